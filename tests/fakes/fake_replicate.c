/* fake_replicate.c: the fake Replicate server described in fake_replicate.h, on the shared server
 * core (fake_http.c): only the routes, the script, the faults, the predictions and the files are
 * here, under the core's lock with its request log. Test support only: aborts on out-of-memory. */
#include "fake_replicate.h"
#include "common/buf.h"
#include "common/util.h"
#include "fake_http.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCRIPT_MAX 64
#define FAULT_MAX 32
#define PRED_MAX 256
#define FILE_MAX 32
#define MODEL_MAX 32
#define STALL_FILE_MS 3000

struct pred {
    char id[16];
    char model[128];
    json_t *input;
    int polls, gets;
    char status[16]; /* final */
    char *output;    /* JSON text, $ROOT replaced */
    char *error;
    int canceled;
    char created_at[40];
};

struct script {
    int create_status;
    char *create_body;
    char *retry_after;
    int made, stall_ms, sync, polls;
    char *status, *output, *error;
};

struct fault {
    char *route;
    int status;
    char *body;
    char *retry_after;
    int stall_ms;
    int n;
};

struct file {
    char *name;
    char *data;
    size_t len;
    char *type;
    int stall_first;
};

struct fake_replicate {
    struct fake_http *http; /* its lock guards the fields below */
    char base[80];
    char *key;
    struct script script[SCRIPT_MAX];
    size_t nscript, script_next;
    struct fault faults[FAULT_MAX];
    size_t nfaults;
    struct pred preds[PRED_MAX];
    size_t npreds;
    struct file files[FILE_MAX];
    size_t nfiles;
    char *models[MODEL_MAX]; /* index i has version "%064x" of i + 1 */
    size_t nmodels;
};

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

/* s with every "$ROOT" replaced by the server's root URL (owned). */
static char *expand(struct fake_replicate *f, const char *s)
{
    struct buf b = BUF_INIT;
    for (const char *p = s; *p;) {
        if (!strncmp(p, "$ROOT", 5)) {
            buf_puts(&b, fake_http_root(f->http));
            p += 5;
        } else {
            buf_append(&b, p, 1);
            p++;
        }
    }
    return buf_steal(&b);
}

/* ---- answers ---- */

static int send_body(struct fake_http_conn *c, unsigned status, const char *type, const void *data,
                     size_t len, const char *retry_after)
{
    return fake_http_send(c, status, type, data, len, "Retry-After", retry_after);
}

static int send_json(struct fake_http_conn *c, unsigned status, json_t *j, const char *retry_after)
{
    return fake_http_send_json(c, status, j, "Retry-After", retry_after);
}

static int send_problem(struct fake_http_conn *c, unsigned status, const char *detail,
                        const char *retry_after)
{
    return send_json(c, status, json_pack("{s:s,s:i}", "detail", detail, "status", (int)status),
                     retry_after);
}

/* The prediction object as Replicate shows it (mu held). */
static json_t *pred_json(struct fake_replicate *f, struct pred *p, int final)
{
    const char *status = final ? p->status : p->gets == 0 ? "starting" : "processing";
    if (p->canceled)
        status = "canceled";
    json_t *o = json_pack("{s:s,s:s,s:s,s:O,s:s,s:s,s:n,s:n}", "id", p->id, "model", p->model,
                          "version", "hidden", "input", p->input, "status", status, "created_at",
                          p->created_at, "output", "error");
    if (!strcmp(status, "succeeded") && p->output) {
        json_t *out = json_loads(p->output, JSON_DECODE_ANY, NULL);
        if (out)
            json_object_set_new(o, "output", out);
    }
    if (!strcmp(status, "failed") && p->error)
        json_object_set_new(o, "error", json_string(p->error));
    char *get = xasprintf("%s/predictions/%s", f->base, p->id);
    char *cancel = xasprintf("%s/predictions/%s/cancel", f->base, p->id);
    json_object_set_new(o, "urls", json_pack("{s:s,s:s}", "get", get, "cancel", cancel));
    free(get);
    free(cancel);
    return o;
}

static struct pred *find_pred(struct fake_replicate *f, const char *id)
{
    for (size_t i = 0; i < f->npreds; i++)
        if (!strcmp(f->preds[i].id, id))
            return &f->preds[i];
    return NULL;
}

/* mu held. */
static struct pred *make_pred(struct fake_replicate *f, const char *model, json_t *input,
                              const struct script *s)
{
    if (f->npreds == PRED_MAX)
        return NULL;
    struct pred *p = &f->preds[f->npreds];
    memset(p, 0, sizeof *p);
    snprintf(p->id, sizeof p->id, "p%zu", f->npreds + 1);
    f->npreds++;
    snprintf(p->model, sizeof p->model, "%s", model);
    p->input = json_incref(input);
    p->polls = s ? s->polls : 0;
    snprintf(p->status, sizeof p->status, "%s", s && s->status ? s->status : "succeeded");
    p->output = expand(f, s && s->output ? s->output : "\"fake output\"");
    p->error = dup_or_null(s ? s->error : NULL);
    time_format_iso(time_wall_ms(), p->created_at, sizeof p->created_at);
    return p;
}

static int create(struct fake_replicate *f, struct fake_http_conn *c, const char *model_path,
                  const char *body, size_t len, int prefer_wait)
{
    json_t *j = json_loadb(body, len, 0, NULL);
    json_t *input = json_object_get(j, "input");
    if (!json_is_object(input)) {
        json_decref(j);
        return send_problem(c, 422, "input is required", NULL);
    }
    fake_http_lock(f->http);
    char model[128] = "";
    if (model_path) {
        snprintf(model, sizeof model, "%s", model_path);
    } else {
        const char *v = json_string_value(json_object_get(j, "version"));
        for (size_t i = 0; v && i < f->nmodels; i++) {
            char want[65];
            snprintf(want, sizeof want, "%064zx", i + 1);
            if (!strcmp(v, want))
                snprintf(model, sizeof model, "%s", f->models[i]);
        }
        if (!model[0]) {
            fake_http_unlock(f->http);
            json_decref(j);
            return send_problem(c, 422, "Invalid version or not permitted", NULL);
        }
    }
    struct script *s = f->script_next < f->nscript ? &f->script[f->script_next++] : NULL;
    struct pred *p = NULL;
    if (!s || !s->create_status || s->made)
        p = make_pred(f, model, input, s);
    int stall = s ? s->stall_ms : 0;
    int sync = s ? s->sync : 1;
    int prefer = prefer_wait;
    if (p && sync && prefer) {
        p->polls = 0; /* finished within the wait: every later look sees the end */
        p->gets = 1;
    }
    json_t *answer = p ? pred_json(f, p, sync && prefer) : NULL;
    int cstatus = s ? s->create_status : 0;
    char *cbody = s ? dup_or_null(s->create_body) : NULL;
    char *ra = s ? dup_or_null(s->retry_after) : NULL;
    fake_http_unlock(f->http);
    json_decref(j);
    if (stall)
        fake_http_nap(f->http, stall);
    int ret;
    if (cstatus) {
        json_decref(answer);
        if (cbody)
            ret = send_body(c, (unsigned)cstatus, "application/json", cbody, strlen(cbody), ra);
        else
            ret = send_problem(c, (unsigned)cstatus, "scripted failure", ra);
    } else if (answer) {
        ret = send_json(c, 201, answer, NULL);
    } else {
        ret = send_problem(c, 500, "fake is full", NULL);
    }
    free(cbody);
    free(ra);
    return ret;
}

static int get_pred(struct fake_replicate *f, struct fake_http_conn *c, const char *id)
{
    fake_http_lock(f->http);
    struct pred *p = find_pred(f, id);
    json_t *o = NULL;
    if (p) {
        p->gets++;
        o = pred_json(f, p, p->gets > p->polls);
    }
    fake_http_unlock(f->http);
    if (!o)
        return send_problem(c, 404, "Not found.", NULL);
    return send_json(c, 200, o, NULL);
}

static int list_preds(struct fake_replicate *f, struct fake_http_conn *c)
{
    json_t *results = json_array();
    fake_http_lock(f->http);
    for (size_t i = f->npreds; i-- > 0;) {
        struct pred *p = &f->preds[i];
        json_array_append_new(results, pred_json(f, p, p->gets > p->polls));
    }
    fake_http_unlock(f->http);
    return send_json(c, 200, json_pack("{s:o,s:n,s:n}", "results", results, "next", "previous"),
                     NULL);
}

static int cancel_pred(struct fake_replicate *f, struct fake_http_conn *c, const char *id)
{
    fake_http_lock(f->http);
    struct pred *p = find_pred(f, id);
    json_t *o = NULL;
    if (p) {
        if (p->gets <= p->polls)
            p->canceled = 1;
        o = pred_json(f, p, 1);
    }
    fake_http_unlock(f->http);
    if (!o)
        return send_problem(c, 404, "Not found.", NULL);
    return send_json(c, 200, o, NULL);
}

static int get_model(struct fake_replicate *f, struct fake_http_conn *c, const char *path)
{
    fake_http_lock(f->http);
    size_t i;
    for (i = 0; i < f->nmodels; i++)
        if (!strcmp(f->models[i], path))
            break;
    if (i == f->nmodels && f->nmodels < MODEL_MAX)
        f->models[f->nmodels++] = xstrdup(path);
    fake_http_unlock(f->http);
    if (i == MODEL_MAX)
        return send_problem(c, 500, "fake is full", NULL);
    char v[65];
    snprintf(v, sizeof v, "%064zx", i + 1);
    return send_json(c, 200, json_pack("{s:s,s:{s:s}}", "url", path, "latest_version", "id", v),
                     NULL);
}

static int get_file(struct fake_replicate *f, struct fake_http_conn *c, const char *name)
{
    fake_http_lock(f->http);
    struct file *file = NULL;
    for (size_t i = 0; i < f->nfiles; i++)
        if (!strcmp(f->files[i].name, name))
            file = &f->files[i];
    int stall = file && file->stall_first;
    if (stall)
        file->stall_first = 0;
    char *data = NULL, *type = NULL;
    size_t len = 0;
    if (file && !stall) {
        data = xmalloc(file->len + 1);
        memcpy(data, file->data, file->len);
        len = file->len;
        type = dup_or_null(file->type);
    }
    fake_http_unlock(f->http);
    if (!file)
        return send_body(c, 404, "text/plain", "not found", 9, NULL);
    int ret;
    if (stall)
        ret = fake_http_send_stall(c, "image/png", "\x89PNG", 4, STALL_FILE_MS);
    else
        ret = send_body(c, 200, type, data, len, NULL);
    free(data);
    free(type);
    return ret;
}

/* ---- dispatch ---- */

static int dispatch(void *ctx, struct fake_http_conn *c, const struct fake_http_request *r)
{
    struct fake_replicate *f = ctx;
    fake_http_lock(f->http);
    fake_http_record_locked(f->http, r);
    struct fault *fault = NULL;
    for (size_t i = 0; i < f->nfaults; i++) {
        if (f->faults[i].n > 0 && fake_http_route_is(r, f->faults[i].route)) {
            fault = &f->faults[i];
            fault->n--;
            break;
        }
    }
    int fstatus = fault ? fault->status : 0, fstall = fault ? fault->stall_ms : 0;
    char *fbody = fault ? dup_or_null(fault->body) : NULL;
    char *fra = fault ? dup_or_null(fault->retry_after) : NULL;
    int authorized = 1;
    if (f->key && !strncmp(r->url, "/v1/", 4)) {
        char want[300];
        snprintf(want, sizeof want, "Bearer %s", f->key);
        const char *auth = fake_http_header(r, "Authorization");
        authorized = auth && !strcmp(auth, want);
    }
    fake_http_unlock(f->http);

    if (fault) {
        if (fstall)
            fake_http_nap(f->http, fstall);
        int ret =
            fbody ? send_body(c, (unsigned)fstatus, "application/json", fbody, strlen(fbody), fra)
                  : send_problem(c, (unsigned)fstatus, "scripted fault", fra);
        free(fbody);
        free(fra);
        return ret;
    }
    if (!authorized)
        return send_problem(c, 401, "You did not pass a valid authentication token", NULL);

    const char *url = r->url;
    int post = !strcmp(r->method, "POST"), get = !strcmp(r->method, "GET");
    int prefer = fake_http_header(r, "Prefer") != NULL;
    size_t ul = strlen(url);
    if (post && !strcmp(url, "/v1/predictions"))
        return create(f, c, NULL, r->body, r->len, prefer);
    if (post && !strncmp(url, "/v1/models/", 11) && ul > 23 &&
        !strcmp(url + ul - 12, "/predictions")) {
        char model[256];
        snprintf(model, sizeof model, "%.*s", (int)(ul - 11 - 12), url + 11);
        return create(f, c, model, r->body, r->len, prefer);
    }
    if (get && !strcmp(url, "/v1/predictions"))
        return list_preds(f, c);
    if (post && !strncmp(url, "/v1/predictions/", 16) && ul > 23 &&
        !strcmp(url + ul - 7, "/cancel")) {
        char id[64];
        snprintf(id, sizeof id, "%.*s", (int)(ul - 16 - 7), url + 16);
        return cancel_pred(f, c, id);
    }
    if (get && !strncmp(url, "/v1/predictions/", 16))
        return get_pred(f, c, url + 16);
    if (get && !strncmp(url, "/v1/models/", 11))
        return get_model(f, c, url + 11);
    if (post && !strcmp(url, "/v1/files")) {
        static atomic_int nfile;
        int n = atomic_fetch_add(&nfile, 1) + 1;
        char id[32], get_url[160];
        snprintf(id, sizeof id, "file%d", n);
        snprintf(get_url, sizeof get_url, "%s/files/%s", f->base, id);
        return send_json(c, 201,
                         json_pack("{s:s,s:I,s:{s:s}}", "id", id, "size", (json_int_t)r->len,
                                   "urls", "get", get_url),
                         NULL);
    }
    if (get && !strncmp(url, "/files/", 7))
        return get_file(f, c, url + 7);
    return send_problem(c, 404, "Not found.", NULL);
}

/* ---- API ---- */

struct fake_replicate *fake_rep_start(void)
{
    struct fake_replicate *f = xcalloc(1, sizeof *f);
    f->http = fake_http_start("fake_replicate", 10, dispatch, f);
    if (!f->http) {
        free(f);
        return NULL;
    }
    snprintf(f->base, sizeof f->base, "%s/v1", fake_http_root(f->http));
    return f;
}

void fake_rep_stop(struct fake_replicate *f)
{
    if (!f)
        return;
    fake_http_stop(f->http);
    for (size_t i = 0; i < f->nscript; i++) {
        struct script *s = &f->script[i];
        free(s->create_body);
        free(s->retry_after);
        free(s->status);
        free(s->output);
        free(s->error);
    }
    for (size_t i = 0; i < f->nfaults; i++) {
        free(f->faults[i].route);
        free(f->faults[i].body);
        free(f->faults[i].retry_after);
    }
    for (size_t i = 0; i < f->npreds; i++) {
        json_decref(f->preds[i].input);
        free(f->preds[i].output);
        free(f->preds[i].error);
    }
    for (size_t i = 0; i < f->nfiles; i++) {
        free(f->files[i].name);
        free(f->files[i].data);
        free(f->files[i].type);
    }
    for (size_t i = 0; i < f->nmodels; i++)
        free(f->models[i]);
    free(f->key);
    free(f);
}

const char *fake_rep_root(const struct fake_replicate *f)
{
    return fake_http_root(f->http);
}

const char *fake_rep_base(const struct fake_replicate *f)
{
    return f->base;
}

void fake_rep_set_key(struct fake_replicate *f, const char *key)
{
    fake_http_lock(f->http);
    free(f->key);
    f->key = dup_or_null(key);
    fake_http_unlock(f->http);
}

void fake_rep_script(struct fake_replicate *f, const struct fake_rep_pred *p)
{
    fake_http_lock(f->http);
    if (f->nscript < SCRIPT_MAX) {
        struct script *s = &f->script[f->nscript++];
        s->create_status = p->create_status;
        s->create_body = dup_or_null(p->create_body);
        s->retry_after = dup_or_null(p->retry_after);
        s->made = p->made;
        s->stall_ms = p->stall_ms;
        s->sync = p->sync;
        s->polls = p->polls;
        s->status = dup_or_null(p->status);
        s->output = dup_or_null(p->output);
        s->error = dup_or_null(p->error);
    }
    fake_http_unlock(f->http);
}

void fake_rep_fault(struct fake_replicate *f, const char *route, int status, const char *body,
                    const char *retry_after, int stall_ms, int n)
{
    fake_http_lock(f->http);
    if (f->nfaults < FAULT_MAX) {
        struct fault *x = &f->faults[f->nfaults++];
        x->route = xstrdup(route);
        x->status = status;
        x->body = dup_or_null(body);
        x->retry_after = dup_or_null(retry_after);
        x->stall_ms = stall_ms;
        x->n = n;
    }
    fake_http_unlock(f->http);
}

void fake_rep_add_file(struct fake_replicate *f, const char *name, const void *data, size_t len,
                       const char *content_type, int stall_first)
{
    fake_http_lock(f->http);
    if (f->nfiles < FILE_MAX) {
        struct file *x = &f->files[f->nfiles++];
        x->name = xstrdup(name);
        x->data = xmalloc(len + 1);
        memcpy(x->data, data, len);
        x->len = len;
        x->type = dup_or_null(content_type);
        x->stall_first = stall_first;
    }
    fake_http_unlock(f->http);
}

size_t fake_rep_count(struct fake_replicate *f, const char *route)
{
    return fake_http_count(f->http, route);
}

int fake_rep_request(struct fake_replicate *f, const char *route, size_t nth,
                     struct fake_rep_request *out)
{
    struct fake_http_request r;
    memset(out, 0, sizeof *out);
    if (fake_http_request(f->http, route, nth, &r) < 0)
        return -1;
    fake_http_move_head(&r, 1, out->method, sizeof out->method, out->path, sizeof out->path,
                        &out->body, &out->len);
    fake_http_copy_header(&r, "Authorization", out->authorization, sizeof out->authorization);
    fake_http_copy_header(&r, "Prefer", out->prefer, sizeof out->prefer);
    fake_http_copy_header(&r, "Cancel-After", out->cancel_after, sizeof out->cancel_after);
    fake_http_copy_header(&r, "Content-Type", out->content_type, sizeof out->content_type);
    fake_http_request_free(&r);
    return 0;
}

void fake_rep_request_free(struct fake_rep_request *r)
{
    if (!r)
        return;
    free(r->body);
    r->body = NULL;
}

void fake_rep_pred_status(struct fake_replicate *f, const char *id, char *out, size_t outlen)
{
    fake_http_lock(f->http);
    struct pred *p = find_pred(f, id);
    snprintf(out, outlen, "%s",
             !p                   ? ""
             : p->canceled        ? "canceled"
             : p->gets > p->polls ? p->status
                                  : "processing");
    fake_http_unlock(f->http);
}
