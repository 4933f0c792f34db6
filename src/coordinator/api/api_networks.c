/* api_networks.c: the networks: list, read, create (POST /api/v1/networks), edit (PATCH) and
 * delete; a network in a path is its id or its slug (api_path_network). The body's fields are
 * checked here (types, ranges, the name as text a person typed); whether the models form a valid
 * cycle is the coordinator's answer, given back as 422 with its reason. */
#include "api_internal.h"
#include "common/log.h"
#include "common/util.h"
#include "coordinator/coord/views.h"
#include "coordinator/core/slug.h"

#include <errno.h>
#include <stdlib.h>

void api_get_networks(struct api *a, struct http_req *req, const struct api_call *call)
{
    (void)call;
    struct store_network *list = NULL;
    size_t n = 0;
    if (store_network_list(a->store, &list, &n) < 0) {
        api_reply_error(req, 500, "internal", "could not read the networks");
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(arr, view_network(&list[i]));
        store_network_clear(&list[i]);
    }
    free(list);
    api_reply_json(req, 200, json_pack("{s:o}", "networks", arr));
}

static void reply_network(struct api *a, struct http_req *req, int status, int64_t id)
{
    struct store_network sn = {0};
    if (store_network_get(a->store, id, &sn) < 0) {
        api_reply_no_network(req, id);
        return;
    }
    api_reply_json(req, status, view_network(&sn));
    store_network_clear(&sn);
}

int api_path_network(struct api *a, struct http_req *req, const char *text, int64_t *id)
{
    if (parse_int64(text, 1, INT64_MAX, id) == 0)
        return 0;
    int64_t found = slug_valid(text) ? store_network_by_slug(a->store, text) : -ENOENT;
    if (found > 0) {
        *id = found;
        return 0;
    }
    api_reply_error(req, 404, "not_found", "no network '%s'", text);
    return -1;
}

void api_get_network(struct api *a, struct http_req *req, const struct api_call *call)
{
    int64_t id;
    if (api_path_network(a, req, call->param[0], &id) == 0)
        reply_network(a, req, 200, id);
}

/* A JSON array of model id strings -> owned array of borrowed strings (NULL + reply on error). */
static const char **models_arg(struct http_req *req, json_t *arr, size_t *n)
{
    if (!json_is_array(arr)) {
        api_reply_error(req, 422, "invalid", "models must be an array of model ids");
        return NULL;
    }
    *n = json_array_size(arr);
    if (*n > NETWORK_MAX_MODELS) {
        api_reply_error(req, 422, "invalid", "a network may contain at most %d models",
                        NETWORK_MAX_MODELS);
        return NULL;
    }
    const char **models = xcalloc(*n ? *n : 1, sizeof *models);
    for (size_t i = 0; i < *n; i++) {
        models[i] = json_string_value(json_array_get(arr, i));
        if (!models[i]) {
            free(models);
            api_reply_error(req, 422, "invalid", "models must be an array of model ids");
            return NULL;
        }
    }
    return models;
}

/* The optional fields of a create or an edit; absent ones are NULL, -1 and 0. */
struct network_body {
    const char *name;
    const char *slug;
    int64_t lockout;
    struct schedule sched;
    int has_sched;
};

/* Pull the optional fields out of the body. 0, or -1 with the reply sent. */
static int network_fields(struct http_req *req, json_t *body, struct network_body *f)
{
    json_t *jn = json_object_get(body, "name"), *jl = json_object_get(body, "lockout_seconds"),
           *js = json_object_get(body, "schedule"), *jslug = json_object_get(body, "slug");
    char err[PANIC_ERR_LEN];
    f->name = NULL;
    f->slug = NULL;
    if (jslug && !json_is_null(jslug)) {
        f->slug = json_string_value(jslug);
        if (!f->slug) {
            api_reply_error(req, 422, "invalid", "slug must be a string");
            return -1;
        }
    }
    f->lockout = -1;
    f->has_sched = 0;
    if (jn) {
        f->name = json_string_value(jn);
        if (!f->name || api_check_text("name", f->name, 200, err, sizeof err) < 0) {
            api_reply_error(req, 422, "invalid", "%s", f->name ? err : "name must be a string");
            return -1;
        }
    }
    if (jl) {
        if (!json_is_integer(jl) || json_integer_value(jl) < 0 || json_integer_value(jl) > 86400) {
            api_reply_error(req, 422, "invalid", "lockout_seconds must be a whole number, 0-86400");
            return -1;
        }
        f->lockout = json_integer_value(jl);
    }
    if (js && !json_is_null(js)) {
        if (view_parse_schedule(js, &f->sched, err, sizeof err) < 0) {
            api_reply_error(req, 422, "invalid", "%s", err);
            return -1;
        }
        f->has_sched = 1;
    }
    return 0;
}

void api_post_network(struct api *a, struct http_req *req, const struct api_call *call)
{
    (void)call;
    json_t *body = api_body_object(req);
    if (!body)
        return;
    struct network_body f;
    int64_t id;
    size_t n = 0;
    const char **models = NULL;
    char err[PANIC_ERR_LEN * 2];
    if (network_fields(req, body, &f) < 0)
        goto out;
    if (!f.name) {
        api_reply_error(req, 422, "invalid", "a network needs a name");
        goto out;
    }
    if (!json_object_get(body, "models")) {
        api_reply_error(req, 422, "invalid", "a network needs models (an array of model ids)");
        goto out;
    }
    models = models_arg(req, json_object_get(body, "models"), &n);
    if (!models)
        goto out;
    int rc = coord_network_create(a->coord, f.name, f.slug, models, n,
                                  f.lockout >= 0 ? f.lockout : a->cfg->lockout_s,
                                  f.has_sched ? &f.sched : NULL, &id, err, sizeof err);
    if (rc == -EINVAL)
        api_reply_error(req, 422, "invalid_network", "%s", err);
    else if (rc == -EEXIST)
        api_reply_error(req, 409, "slug_taken", "%s", err);
    else if (rc < 0)
        api_reply_error(req, 500, "internal", "%s", err);
    else
        reply_network(a, req, 201, id);
    if (rc == 0)
        log_info("network created id=%lld", (long long)id);
out:
    free(models);
    json_decref(body);
}

void api_patch_network(struct api *a, struct http_req *req, const struct api_call *call)
{
    int64_t id;
    if (api_path_network(a, req, call->param[0], &id) < 0)
        return;
    json_t *body = api_body_object(req);
    if (!body)
        return;
    struct network_body f;
    size_t n = 0;
    const char **models = NULL;
    char err[PANIC_ERR_LEN * 2];
    if (network_fields(req, body, &f) < 0)
        goto out;
    if (json_object_get(body, "models")) {
        models = models_arg(req, json_object_get(body, "models"), &n);
        if (!models)
            goto out;
    }
    int rc = coord_network_update(a->coord, id, f.name, f.slug, models, n, f.lockout,
                                  f.has_sched ? &f.sched : NULL, err, sizeof err);
    if (rc == -ENOENT)
        api_reply_no_network(req, id);
    else if (rc == -EINVAL)
        api_reply_error(req, 422, "invalid_network", "%s", err);
    else if (rc == -EEXIST)
        api_reply_error(req, 409, "slug_taken", "%s", err);
    else if (rc < 0)
        api_reply_error(req, 500, "internal", "%s", err);
    else
        reply_network(a, req, 200, id);
out:
    free(models);
    json_decref(body);
}

void api_delete_network(struct api *a, struct http_req *req, const struct api_call *call)
{
    int64_t id;
    if (api_path_network(a, req, call->param[0], &id) < 0)
        return;
    int rc = coord_network_delete(a->coord, id);
    if (rc == -ENOENT)
        api_reply_no_network(req, id);
    else if (rc < 0)
        api_reply_error(req, 500, "internal", "could not delete network %lld", (long long)id);
    else
        api_reply_json(req, 200, json_pack("{s:I, s:b}", "id", (json_int_t)id, "deleted", 1));
}
