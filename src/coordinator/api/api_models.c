/* api_models.c: what can run: GET /api/v1/models (the catalogue, with whether each model is
 * available here and why not), GET /api/v1/platforms (which platforms have a key), and the
 * write-only platform keys (PUT/DELETE /api/v1/platforms/{platform}/key), only for a platform
 * this panicd has (built in, or a configured OpenAI-compatible server). A key goes to the
 * coordinator and never comes back out: not in a reply, not in the log. */
#include "api_internal.h"
#include "coordinator/core/catalog.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <string.h>

#define PLATFORM_NAME_MAX 32

void api_get_models(struct api *a, struct http_req *req, const struct api_call *call)
{
    (void)call;
    json_t *arr = json_array();
    for (size_t i = 0; i < catalog_count(); i++) {
        const struct model_info *m = catalog_at(i);
        json_t *params = json_loads(m->params_json, 0, NULL);
        char why[256] = "";
        int ok = coord_model_available(a->coord, m, why, sizeof why);
        json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:o}", "id", m->id, "name",
                              m->name, "platform", m->platform, "input", media_type_name(m->input),
                              "output", media_type_name(m->output), "description", m->description,
                              "available", ok, "parameters", params ? params : json_object());
        if (!ok)
            json_object_set_new(j, "unavailable_reason", json_string(why));
        json_array_append_new(arr, j);
    }
    api_reply_json(req, 200, json_pack("{s:o}", "models", arr));
}

void api_get_platforms(struct api *a, struct http_req *req, const struct api_call *call)
{
    (void)call;
    static const char *const names[] = {"dummy", "builtin", "replicate", "openai", "gemini"};
    json_t *arr = json_array();
    for (size_t i = 0; i < ARRAY_LEN(names); i++) {
        int needs_key = i >= 2;
        json_array_append_new(arr,
                              json_pack("{s:s, s:b, s:b}", "name", names[i], "needs_key", needs_key,
                                        "key_set", needs_key && coord_key_set(a->coord, names[i])));
    }
    api_reply_json(req, 200, json_pack("{s:o}", "platforms", arr));
}

/* The {platform} of the path if this panicd has a platform by that name; else the 400 or 404 is
 * answered and NULL returned. A key for a platform that does not exist is never stored. */
static const char *known_platform(struct api *a, struct http_req *req, const struct api_call *call)
{
    const char *name = api_path_name(req, call->param[0], PLATFORM_NAME_MAX, "platform");
    if (name && !coord_platform(a->coord, name)) {
        api_reply_error(req, 404, "not_found", "there is no platform called %s", name);
        return NULL;
    }
    return name;
}

void api_put_platform_key(struct api *a, struct http_req *req, const struct api_call *call)
{
    const char *name = known_platform(a, req, call);
    if (!name)
        return;
    json_t *body = api_body_object(req);
    if (!body)
        return;
    const char *key = json_string_value(json_object_get(body, "key"));
    size_t len = key ? strlen(key) : 0;
    int bad = !key || len < 8 || len > 512;
    for (size_t i = 0; !bad && i < len; i++)
        bad = (unsigned char)key[i] <= ' ' || key[i] == 0x7f;
    if (bad) {
        api_reply_error(req, 422, "invalid_key",
                        "the key must be 8-512 printable characters, no spaces");
    } else if (coord_set_key(a->coord, name, key) < 0) {
        api_reply_error(req, 500, "internal", "could not store the key");
    } else {
        log_info("api key set platform=%s", name); /* the platform only, never the key */
        api_reply_json(req, 200, json_pack("{s:s, s:b}", "platform", name, "key_set", 1));
    }
    json_decref(body);
}

void api_delete_platform_key(struct api *a, struct http_req *req, const struct api_call *call)
{
    const char *name = known_platform(a, req, call);
    if (!name)
        return;
    int rc = coord_set_key(a->coord, name, NULL);
    if (rc == -ENOENT)
        api_reply_error(req, 404, "not_found", "no key stored for %s", name);
    else if (rc < 0)
        api_reply_error(req, 500, "internal", "could not remove the key");
    else
        api_reply_json(
            req, 200,
            json_pack("{s:s, s:b}", "platform", name, "key_set", coord_key_set(a->coord, name)));
}
