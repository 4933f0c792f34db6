/* fake_gemini.c: the fake Gemini server described in fake_gemini.h. libmicrohttpd with a thread
 * per connection, so a stalled answer holds up nothing else. Test support only: aborts on
 * out-of-memory. */
#include "fake_gemini.h"
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

#define SCRIPT_MAX 32

struct canned {
    int status;
    char *body;
    char *retry_after;
    int stall_ms;
};

struct fake_gemini {
    struct MHD_Daemon *d;
    char base[80];
    atomic_int stopping;
    pthread_mutex_t mu;
    char *key;
    struct canned script[SCRIPT_MAX];
    size_t nscript, next;
    struct fake_gemini_request *reqs;
    size_t nreqs, capreqs;
};

struct conn {
    struct buf body;
};

static void nap(struct fake_gemini *f, int ms)
{
    for (int t = 0; t < ms && !atomic_load(&f->stopping); t += 10) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static enum MHD_Result send_body(struct MHD_Connection *mc, unsigned status, const char *body,
                                 const char *retry_after)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        strlen(body), (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(resp, "Content-Type", "application/json; charset=UTF-8");
    if (retry_after)
        MHD_add_response_header(resp, "Retry-After", retry_after);
    enum MHD_Result ret = MHD_queue_response(mc, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *mc, unsigned status, const char *state,
                                  const char *message)
{
    json_t *j = json_pack("{s:{s:i,s:s,s:s}}", "error", "code", (int)status, "message", message,
                          "status", state);
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    enum MHD_Result ret = send_body(mc, status, s, NULL);
    free(s);
    return ret;
}

static enum MHD_Result generate(struct MHD_Connection *mc, const char *model, const struct buf *b)
{
    json_t *j = b->len ? json_loadb(b->data, b->len, 0, NULL) : NULL;
    json_t *parts = json_object_get(json_array_get(json_object_get(j, "contents"), 0), "parts");
    const char *mime = NULL, *data = NULL, *prompt = "";
    size_t i;
    json_t *p;
    json_array_foreach(parts, i, p)
    {
        json_t *in = json_object_get(p, "inline_data");
        if (in) {
            mime = json_string_value(json_object_get(in, "mime_type"));
            data = json_string_value(json_object_get(in, "data"));
        }
        if (json_is_string(json_object_get(p, "text")))
            prompt = json_string_value(json_object_get(p, "text"));
    }
    if (!mime || !data) {
        json_decref(j);
        return send_error(mc, 400, "INVALID_ARGUMENT", "inline_data is required");
    }
    size_t dl = strlen(data);
    size_t n = dl / 4 * 3;
    if (dl >= 1 && data[dl - 1] == '=')
        n--;
    if (dl >= 2 && data[dl - 2] == '=')
        n--;
    char *text = xasprintf("FAKE_DESCRIPTION: %s %s %zu bytes: %.40s", model, mime, n, prompt);
    json_t *ans = json_pack("{s:[{s:{s:[{s:s}],s:s},s:s}],s:{s:i}}", "candidates", "content",
                            "parts", "text", text, "role", "model", "finishReason", "STOP",
                            "usageMetadata", "totalTokenCount", 42);
    free(text);
    json_decref(j);
    char *s = json_dumps(ans, JSON_COMPACT);
    json_decref(ans);
    enum MHD_Result ret = send_body(mc, 200, s, NULL);
    free(s);
    return ret;
}

static enum MHD_Result dispatch(struct fake_gemini *f, struct MHD_Connection *mc, const char *url,
                                const char *method, const struct buf *b)
{
    struct fake_gemini_request r = {0};
    snprintf(r.method, sizeof r.method, "%s", method);
    const char *key = MHD_lookup_connection_value(mc, MHD_GET_ARGUMENT_KIND, "key");
    snprintf(r.path, sizeof r.path, "%s%s%s", url, key ? "?key=" : "", key ? key : "");
    const char *v;
    if ((v = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "x-goog-api-key")))
        snprintf(r.api_key, sizeof r.api_key, "%s", v);
    if ((v = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Authorization")))
        snprintf(r.authorization, sizeof r.authorization, "%s", v);
    if ((v = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Content-Type")))
        snprintf(r.content_type, sizeof r.content_type, "%s", v);
    r.len = b->len;
    r.body = xmalloc(b->len + 1);
    memcpy(r.body, b->data ? b->data : "", b->len);
    r.body[b->len] = '\0';

    pthread_mutex_lock(&f->mu);
    int authorized = !f->key || !strcmp(r.api_key, f->key);
    if (f->nreqs == f->capreqs) {
        f->capreqs = f->capreqs ? f->capreqs * 2 : 16;
        f->reqs = xrealloc(f->reqs, f->capreqs * sizeof *f->reqs);
    }
    f->reqs[f->nreqs++] = r;
    struct canned c = {0};
    int scripted = f->next < f->nscript;
    if (scripted) {
        c = f->script[f->next++];
        c.body = c.body ? xstrdup(c.body) : NULL;
        c.retry_after = c.retry_after ? xstrdup(c.retry_after) : NULL;
    }
    pthread_mutex_unlock(&f->mu);

    if (scripted) {
        if (c.stall_ms)
            nap(f, c.stall_ms);
        enum MHD_Result ret =
            send_body(mc, (unsigned)c.status, c.body ? c.body : "", c.retry_after);
        free(c.body);
        free(c.retry_after);
        return ret;
    }
    if (!authorized)
        return send_error(mc, 403, "PERMISSION_DENIED", "API key not valid.");
    static const char prefix[] = "/v1beta/models/", suffix[] = ":generateContent";
    size_t ul = strlen(url), pl = sizeof prefix - 1, sl = sizeof suffix - 1;
    if (strcmp(method, "POST") || ul <= pl + sl || strncmp(url, prefix, pl) ||
        strcmp(url + ul - sl, suffix))
        return send_error(mc, 404, "NOT_FOUND", "no such method");
    char model[128];
    snprintf(model, sizeof model, "%.*s", (int)(ul - pl - sl), url + pl);
    return generate(mc, model, b);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *mc, const char *url,
                                 const char *method, const char *version, const char *upload,
                                 size_t *upload_size, void **con_cls)
{
    (void)version;
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
    return dispatch(cls, mc, url, method, &c->body);
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

struct fake_gemini *fake_gemini_start(void)
{
    struct fake_gemini *f = xcalloc(1, sizeof *f);
    pthread_mutex_init(&f->mu, NULL);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    f->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
                            NULL, NULL, on_access, f, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, f,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
    if (!f->d) {
        printf("fake_gemini: could not start libmicrohttpd\n");
        pthread_mutex_destroy(&f->mu);
        free(f);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(f->d, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(f->base, sizeof f->base, "http://127.0.0.1:%u/v1beta", (unsigned)info->port);
    return f;
}

void fake_gemini_stop(struct fake_gemini *f)
{
    if (!f)
        return;
    atomic_store(&f->stopping, 1);
    MHD_stop_daemon(f->d);
    for (size_t i = 0; i < f->nscript; i++) {
        free(f->script[i].body);
        free(f->script[i].retry_after);
    }
    for (size_t i = 0; i < f->nreqs; i++)
        free(f->reqs[i].body);
    free(f->reqs);
    free(f->key);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

const char *fake_gemini_base(const struct fake_gemini *f)
{
    return f->base;
}

void fake_gemini_set_key(struct fake_gemini *f, const char *key)
{
    pthread_mutex_lock(&f->mu);
    free(f->key);
    f->key = key ? xstrdup(key) : NULL;
    pthread_mutex_unlock(&f->mu);
}

void fake_gemini_script(struct fake_gemini *f, int status, const char *body,
                        const char *retry_after, int stall_ms)
{
    pthread_mutex_lock(&f->mu);
    if (f->nscript < SCRIPT_MAX) {
        struct canned *c = &f->script[f->nscript++];
        c->status = status;
        c->body = body ? xstrdup(body) : NULL;
        c->retry_after = retry_after ? xstrdup(retry_after) : NULL;
        c->stall_ms = stall_ms;
    }
    pthread_mutex_unlock(&f->mu);
}

size_t fake_gemini_count(struct fake_gemini *f)
{
    pthread_mutex_lock(&f->mu);
    size_t n = f->nreqs;
    pthread_mutex_unlock(&f->mu);
    return n;
}

int fake_gemini_request(struct fake_gemini *f, size_t i, struct fake_gemini_request *out)
{
    int rc = -1;
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&f->mu);
    if (i < f->nreqs) {
        *out = f->reqs[i];
        out->body = xmalloc(out->len + 1);
        memcpy(out->body, f->reqs[i].body, out->len + 1);
        rc = 0;
    }
    pthread_mutex_unlock(&f->mu);
    return rc;
}

void fake_gemini_request_free(struct fake_gemini_request *r)
{
    if (!r)
        return;
    free(r->body);
    r->body = NULL;
}
