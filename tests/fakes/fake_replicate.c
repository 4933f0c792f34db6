/* fake_replicate.c: the fake Replicate server described in fake_replicate.h. libmicrohttpd runs a
 * thread per connection, so a sleeping or stalled answer never holds up the others; the request
 * log, script and predictions sit under one mutex. Test support only: aborts on out-of-memory. */
#include "fake_replicate.h"
#include "common/buf.h"
#include "common/util.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
    struct MHD_Daemon *d;
    char root[64];
    char base[80];
    atomic_int stopping;
    pthread_mutex_t mu;
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
    struct fake_rep_request *reqs;
    size_t nreqs, capreqs;
};

struct conn {
    struct buf body;
};

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void nap(struct fake_replicate *f, int ms)
{
    for (int t = 0; t < ms && !atomic_load(&f->stopping); t += 10)
        sleep_ms(10);
}

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
            buf_puts(&b, f->root);
            p += 5;
        } else {
            buf_append(&b, p, 1);
            p++;
        }
    }
    return buf_steal(&b);
}

/* ---- answers ---- */

static enum MHD_Result send_body(struct MHD_Connection *mc, unsigned status, const char *type,
                                 const void *data, size_t len, const char *retry_after)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)(uintptr_t)data, MHD_RESPMEM_MUST_COPY);
    if (type)
        MHD_add_response_header(resp, "Content-Type", type);
    if (retry_after)
        MHD_add_response_header(resp, "Retry-After", retry_after);
    enum MHD_Result ret = MHD_queue_response(mc, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *mc, unsigned status, json_t *j,
                                 const char *retry_after)
{
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    enum MHD_Result ret = send_body(mc, status, "application/json", s, strlen(s), retry_after);
    free(s);
    return ret;
}

static enum MHD_Result send_problem(struct MHD_Connection *mc, unsigned status, const char *detail,
                                    const char *retry_after)
{
    return send_json(mc, status, json_pack("{s:s,s:i}", "detail", detail, "status", (int)status),
                     retry_after);
}

struct stall {
    struct fake_replicate *f;
    int sent;
};

static ssize_t stall_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct stall *s = cls;
    if (!s->sent && max >= 4) {
        s->sent = 1;
        memcpy(buf, "\x89PNG", 4);
        return 4;
    }
    nap(s->f, STALL_FILE_MS);
    return MHD_CONTENT_READER_END_WITH_ERROR;
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

static enum MHD_Result create(struct fake_replicate *f, struct MHD_Connection *mc,
                              const char *model_path, const char *body, size_t len)
{
    json_t *j = json_loadb(body, len, 0, NULL);
    json_t *input = json_object_get(j, "input");
    if (!json_is_object(input)) {
        json_decref(j);
        return send_problem(mc, 422, "input is required", NULL);
    }
    pthread_mutex_lock(&f->mu);
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
            pthread_mutex_unlock(&f->mu);
            json_decref(j);
            return send_problem(mc, 422, "Invalid version or not permitted", NULL);
        }
    }
    struct script *s = f->script_next < f->nscript ? &f->script[f->script_next++] : NULL;
    struct pred *p = NULL;
    if (!s || !s->create_status || s->made)
        p = make_pred(f, model, input, s);
    int stall = s ? s->stall_ms : 0;
    int sync = s ? s->sync : 1;
    int prefer = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Prefer") != NULL;
    if (p && sync && prefer) {
        p->polls = 0; /* finished within the wait: every later look sees the end */
        p->gets = 1;
    }
    json_t *answer = p ? pred_json(f, p, sync && prefer) : NULL;
    int cstatus = s ? s->create_status : 0;
    char *cbody = s ? dup_or_null(s->create_body) : NULL;
    char *ra = s ? dup_or_null(s->retry_after) : NULL;
    pthread_mutex_unlock(&f->mu);
    json_decref(j);
    if (stall)
        nap(f, stall);
    enum MHD_Result ret;
    if (cstatus) {
        json_decref(answer);
        if (cbody)
            ret = send_body(mc, (unsigned)cstatus, "application/json", cbody, strlen(cbody), ra);
        else
            ret = send_problem(mc, (unsigned)cstatus, "scripted failure", ra);
    } else if (answer) {
        ret = send_json(mc, 201, answer, NULL);
    } else {
        ret = send_problem(mc, 500, "fake is full", NULL);
    }
    free(cbody);
    free(ra);
    return ret;
}

static enum MHD_Result get_pred(struct fake_replicate *f, struct MHD_Connection *mc, const char *id)
{
    pthread_mutex_lock(&f->mu);
    struct pred *p = find_pred(f, id);
    json_t *o = NULL;
    if (p) {
        p->gets++;
        o = pred_json(f, p, p->gets > p->polls);
    }
    pthread_mutex_unlock(&f->mu);
    if (!o)
        return send_problem(mc, 404, "Not found.", NULL);
    return send_json(mc, 200, o, NULL);
}

static enum MHD_Result list_preds(struct fake_replicate *f, struct MHD_Connection *mc)
{
    json_t *results = json_array();
    pthread_mutex_lock(&f->mu);
    for (size_t i = f->npreds; i-- > 0;) {
        struct pred *p = &f->preds[i];
        json_array_append_new(results, pred_json(f, p, p->gets > p->polls));
    }
    pthread_mutex_unlock(&f->mu);
    return send_json(mc, 200, json_pack("{s:o,s:n,s:n}", "results", results, "next", "previous"),
                     NULL);
}

static enum MHD_Result cancel_pred(struct fake_replicate *f, struct MHD_Connection *mc,
                                   const char *id)
{
    pthread_mutex_lock(&f->mu);
    struct pred *p = find_pred(f, id);
    json_t *o = NULL;
    if (p) {
        if (p->gets <= p->polls)
            p->canceled = 1;
        o = pred_json(f, p, 1);
    }
    pthread_mutex_unlock(&f->mu);
    if (!o)
        return send_problem(mc, 404, "Not found.", NULL);
    return send_json(mc, 200, o, NULL);
}

static enum MHD_Result get_model(struct fake_replicate *f, struct MHD_Connection *mc,
                                 const char *path)
{
    pthread_mutex_lock(&f->mu);
    size_t i;
    for (i = 0; i < f->nmodels; i++)
        if (!strcmp(f->models[i], path))
            break;
    if (i == f->nmodels && f->nmodels < MODEL_MAX)
        f->models[f->nmodels++] = xstrdup(path);
    pthread_mutex_unlock(&f->mu);
    if (i == MODEL_MAX)
        return send_problem(mc, 500, "fake is full", NULL);
    char v[65];
    snprintf(v, sizeof v, "%064zx", i + 1);
    return send_json(mc, 200, json_pack("{s:s,s:{s:s}}", "url", path, "latest_version", "id", v),
                     NULL);
}

static enum MHD_Result get_file(struct fake_replicate *f, struct MHD_Connection *mc,
                                const char *name)
{
    pthread_mutex_lock(&f->mu);
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
    pthread_mutex_unlock(&f->mu);
    if (!file)
        return send_body(mc, 404, "text/plain", "not found", 9, NULL);
    enum MHD_Result ret;
    if (stall) {
        struct stall *s = xcalloc(1, sizeof *s);
        s->f = f;
        struct MHD_Response *resp =
            MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64, stall_reader, s, free);
        MHD_add_response_header(resp, "Content-Type", "image/png");
        ret = MHD_queue_response(mc, 200, resp);
        MHD_destroy_response(resp);
    } else {
        ret = send_body(mc, 200, type, data, len, NULL);
    }
    free(data);
    free(type);
    return ret;
}

/* ---- dispatch ---- */

static void record(struct fake_replicate *f, struct MHD_Connection *mc, const char *method,
                   const char *path, const struct buf *body)
{
    struct fake_rep_request r = {0};
    snprintf(r.method, sizeof r.method, "%s", method);
    snprintf(r.path, sizeof r.path, "%s", path);
    const char *v;
    if ((v = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Authorization")))
        snprintf(r.authorization, sizeof r.authorization, "%s", v);
    if ((v = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Prefer")))
        snprintf(r.prefer, sizeof r.prefer, "%s", v);
    if ((v = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Cancel-After")))
        snprintf(r.cancel_after, sizeof r.cancel_after, "%s", v);
    if ((v = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Content-Type")))
        snprintf(r.content_type, sizeof r.content_type, "%s", v);
    r.len = body->len;
    r.body = xmalloc(body->len + 1);
    memcpy(r.body, body->data ? body->data : "", body->len);
    r.body[body->len] = '\0';
    if (f->nreqs == f->capreqs) {
        f->capreqs = f->capreqs ? f->capreqs * 2 : 32;
        f->reqs = xrealloc(f->reqs, f->capreqs * sizeof *f->reqs);
    }
    f->reqs[f->nreqs++] = r;
}

static int route_match(const struct fake_rep_request *r, const char *route)
{
    if (!route)
        return 1;
    char line[600];
    snprintf(line, sizeof line, "%s %s", r->method, r->path);
    return strncmp(line, route, strlen(route)) == 0;
}

static enum MHD_Result dispatch(struct fake_replicate *f, struct MHD_Connection *mc,
                                const char *url, const char *method, const struct buf *body)
{
    char path[512];
    const char *after = MHD_lookup_connection_value(mc, MHD_GET_ARGUMENT_KIND, "created_after");
    if (after)
        snprintf(path, sizeof path, "%s?created_after=%s", url, after);
    else
        snprintf(path, sizeof path, "%s", url);

    pthread_mutex_lock(&f->mu);
    record(f, mc, method, path, body);
    const struct fake_rep_request *last = &f->reqs[f->nreqs - 1];
    struct fault *fault = NULL;
    for (size_t i = 0; i < f->nfaults; i++) {
        if (f->faults[i].n > 0 && route_match(last, f->faults[i].route)) {
            fault = &f->faults[i];
            fault->n--;
            break;
        }
    }
    int fstatus = fault ? fault->status : 0, fstall = fault ? fault->stall_ms : 0;
    char *fbody = fault ? dup_or_null(fault->body) : NULL;
    char *fra = fault ? dup_or_null(fault->retry_after) : NULL;
    int authorized = 1;
    if (f->key && !strncmp(url, "/v1/", 4)) {
        char want[300];
        snprintf(want, sizeof want, "Bearer %s", f->key);
        authorized = !strcmp(last->authorization, want);
    }
    pthread_mutex_unlock(&f->mu);

    if (fault) {
        if (fstall)
            nap(f, fstall);
        enum MHD_Result ret =
            fbody ? send_body(mc, (unsigned)fstatus, "application/json", fbody, strlen(fbody), fra)
                  : send_problem(mc, (unsigned)fstatus, "scripted fault", fra);
        free(fbody);
        free(fra);
        return ret;
    }
    if (!authorized)
        return send_problem(mc, 401, "You did not pass a valid authentication token", NULL);

    int post = !strcmp(method, "POST"), get = !strcmp(method, "GET");
    size_t ul = strlen(url);
    if (post && !strcmp(url, "/v1/predictions"))
        return create(f, mc, NULL, body->data, body->len);
    if (post && !strncmp(url, "/v1/models/", 11) && ul > 23 &&
        !strcmp(url + ul - 12, "/predictions")) {
        char model[256];
        snprintf(model, sizeof model, "%.*s", (int)(ul - 11 - 12), url + 11);
        return create(f, mc, model, body->data, body->len);
    }
    if (get && !strcmp(url, "/v1/predictions"))
        return list_preds(f, mc);
    if (post && !strncmp(url, "/v1/predictions/", 16) && ul > 23 &&
        !strcmp(url + ul - 7, "/cancel")) {
        char id[64];
        snprintf(id, sizeof id, "%.*s", (int)(ul - 16 - 7), url + 16);
        return cancel_pred(f, mc, id);
    }
    if (get && !strncmp(url, "/v1/predictions/", 16))
        return get_pred(f, mc, url + 16);
    if (get && !strncmp(url, "/v1/models/", 11))
        return get_model(f, mc, url + 11);
    if (post && !strcmp(url, "/v1/files")) {
        static atomic_int nfile;
        int n = atomic_fetch_add(&nfile, 1) + 1;
        char id[32], get_url[160];
        snprintf(id, sizeof id, "file%d", n);
        snprintf(get_url, sizeof get_url, "%s/files/%s", f->base, id);
        return send_json(mc, 201,
                         json_pack("{s:s,s:I,s:{s:s}}", "id", id, "size", (json_int_t)body->len,
                                   "urls", "get", get_url),
                         NULL);
    }
    if (get && !strncmp(url, "/files/", 7))
        return get_file(f, mc, url + 7);
    return send_problem(mc, 404, "Not found.", NULL);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *mc, const char *url,
                                 const char *method, const char *version, const char *upload,
                                 size_t *upload_size, void **con_cls)
{
    (void)version;
    struct fake_replicate *f = cls;
    struct conn *c = *con_cls;
    if (!c) {
        c = xcalloc(1, sizeof *c);
        *con_cls = c;
        return MHD_YES;
    }
    if (*upload_size) {
        buf_append(&c->body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    return dispatch(f, mc, url, method, &c->body);
}

static void on_completed(void *cls, struct MHD_Connection *mc, void **con_cls,
                         enum MHD_RequestTerminationCode code)
{
    (void)cls;
    (void)mc;
    (void)code;
    struct conn *c = *con_cls;
    if (c) {
        buf_free(&c->body);
        free(c);
        *con_cls = NULL;
    }
}

/* ---- API ---- */

struct fake_replicate *fake_rep_start(void)
{
    struct fake_replicate *f = xcalloc(1, sizeof *f);
    pthread_mutex_init(&f->mu, NULL);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = 0;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    f->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
                            NULL, NULL, on_access, f, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, f,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
    if (!f->d) {
        printf("fake_replicate: could not start libmicrohttpd\n");
        pthread_mutex_destroy(&f->mu);
        free(f);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(f->d, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(f->root, sizeof f->root, "http://127.0.0.1:%u", (unsigned)info->port);
    snprintf(f->base, sizeof f->base, "%s/v1", f->root);
    return f;
}

void fake_rep_stop(struct fake_replicate *f)
{
    if (!f)
        return;
    atomic_store(&f->stopping, 1);
    MHD_stop_daemon(f->d);
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
    for (size_t i = 0; i < f->nreqs; i++)
        free(f->reqs[i].body);
    free(f->reqs);
    free(f->key);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

const char *fake_rep_root(const struct fake_replicate *f)
{
    return f->root;
}

const char *fake_rep_base(const struct fake_replicate *f)
{
    return f->base;
}

void fake_rep_set_key(struct fake_replicate *f, const char *key)
{
    pthread_mutex_lock(&f->mu);
    free(f->key);
    f->key = dup_or_null(key);
    pthread_mutex_unlock(&f->mu);
}

void fake_rep_script(struct fake_replicate *f, const struct fake_rep_pred *p)
{
    pthread_mutex_lock(&f->mu);
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
    pthread_mutex_unlock(&f->mu);
}

void fake_rep_fault(struct fake_replicate *f, const char *route, int status, const char *body,
                    const char *retry_after, int stall_ms, int n)
{
    pthread_mutex_lock(&f->mu);
    if (f->nfaults < FAULT_MAX) {
        struct fault *x = &f->faults[f->nfaults++];
        x->route = xstrdup(route);
        x->status = status;
        x->body = dup_or_null(body);
        x->retry_after = dup_or_null(retry_after);
        x->stall_ms = stall_ms;
        x->n = n;
    }
    pthread_mutex_unlock(&f->mu);
}

void fake_rep_add_file(struct fake_replicate *f, const char *name, const void *data, size_t len,
                       const char *content_type, int stall_first)
{
    pthread_mutex_lock(&f->mu);
    if (f->nfiles < FILE_MAX) {
        struct file *x = &f->files[f->nfiles++];
        x->name = xstrdup(name);
        x->data = xmalloc(len + 1);
        memcpy(x->data, data, len);
        x->len = len;
        x->type = dup_or_null(content_type);
        x->stall_first = stall_first;
    }
    pthread_mutex_unlock(&f->mu);
}

size_t fake_rep_count(struct fake_replicate *f, const char *route)
{
    size_t n = 0;
    pthread_mutex_lock(&f->mu);
    for (size_t i = 0; i < f->nreqs; i++)
        n += (size_t)route_match(&f->reqs[i], route);
    pthread_mutex_unlock(&f->mu);
    return n;
}

int fake_rep_request(struct fake_replicate *f, const char *route, size_t nth,
                     struct fake_rep_request *out)
{
    int rc = -1;
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&f->mu);
    for (size_t i = 0; i < f->nreqs; i++) {
        if (!route_match(&f->reqs[i], route))
            continue;
        if (nth-- == 0) {
            *out = f->reqs[i];
            out->body = xmalloc(out->len + 1);
            memcpy(out->body, f->reqs[i].body, out->len + 1);
            rc = 0;
            break;
        }
    }
    pthread_mutex_unlock(&f->mu);
    return rc;
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
    pthread_mutex_lock(&f->mu);
    struct pred *p = find_pred(f, id);
    snprintf(out, outlen, "%s",
             !p                   ? ""
             : p->canceled        ? "canceled"
             : p->gets > p->polls ? p->status
                                  : "processing");
    pthread_mutex_unlock(&f->mu);
}
