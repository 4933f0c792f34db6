/* fake_http.c: the shared server core of the fake platforms (see fake_http.h). libmicrohttpd runs
 * a thread per connection; a request is collected whole (its body, and its parts through MHD's
 * post processor when it is multipart/form-data) before the fake's handler sees it. Knows no
 * platform: routes and answers are the fakes'. Test support only: aborts on out-of-memory. */
#include "fake_http.h"
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
#include <strings.h>
#include <time.h>

struct fake_http {
    struct MHD_Daemon *d;
    char root[64];
    atomic_int stopping;
    pthread_mutex_t mu;
    fake_http_handler handler;
    void *ctx;
    struct fake_http_request *log;
    size_t nlog, caplog;
};

/* One request being received, and the connection it came on. */
struct fake_http_conn {
    struct fake_http *s;
    struct MHD_Connection *mc;
    struct fake_http_request req;
    struct buf body;
    struct MHD_PostProcessor *pp;
};

static void copy_str(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src ? src : "");
}

static char *copy_bytes(const char *data, size_t len)
{
    char *out = xmalloc(len + 1);
    if (len)
        memcpy(out, data, len);
    out[len] = '\0';
    return out;
}

void fake_http_nap(struct fake_http *s, int ms)
{
    for (int t = 0; t < ms && !atomic_load(&s->stopping); t += 10) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* ---- requests ---- */

void fake_http_request_free(struct fake_http_request *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nheaders; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    free(r->headers);
    free(r->body);
    for (size_t i = 0; i < r->nparts; i++)
        free(r->parts[i].data);
    memset(r, 0, sizeof *r);
}

static void request_copy(struct fake_http_request *dst, const struct fake_http_request *src)
{
    *dst = *src;
    dst->headers = src->nheaders ? xcalloc(src->nheaders, sizeof *dst->headers) : NULL;
    for (size_t i = 0; i < src->nheaders; i++) {
        dst->headers[i].name = xstrdup(src->headers[i].name);
        dst->headers[i].value = xstrdup(src->headers[i].value);
    }
    dst->body = copy_bytes(src->body ? src->body : "", src->len);
    for (size_t i = 0; i < src->nparts; i++)
        dst->parts[i].data = copy_bytes(src->parts[i].data, src->parts[i].len);
}

void fake_http_move_head(struct fake_http_request *r, int query, char *method, size_t method_len,
                         char *path, size_t path_len, char **body, size_t *len)
{
    copy_str(method, method_len, r->method);
    copy_str(path, path_len, query ? r->path : r->url);
    *body = r->body;
    *len = r->len;
    r->body = NULL;
}

const char *fake_http_header(const struct fake_http_request *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (!strcasecmp(r->headers[i].name, name))
            return r->headers[i].value;
    return NULL;
}

void fake_http_copy_header(const struct fake_http_request *r, const char *name, char *dst,
                           size_t len)
{
    copy_str(dst, len, fake_http_header(r, name));
}

const struct fake_part *fake_http_part(const struct fake_part *parts, size_t nparts,
                                       const char *name)
{
    for (size_t i = 0; i < nparts; i++)
        if (!strcmp(parts[i].name, name))
            return &parts[i];
    return NULL;
}

int fake_http_route_is(const struct fake_http_request *r, const char *route)
{
    if (!route)
        return 1;
    char line[640];
    snprintf(line, sizeof line, "%s %s", r->method, r->path);
    return strncmp(line, route, strlen(route)) == 0;
}

/* ---- the log ---- */

void fake_http_lock(struct fake_http *s)
{
    pthread_mutex_lock(&s->mu);
}

void fake_http_unlock(struct fake_http *s)
{
    pthread_mutex_unlock(&s->mu);
}

void fake_http_record_locked(struct fake_http *s, const struct fake_http_request *r)
{
    if (s->nlog == s->caplog) {
        s->caplog = s->caplog ? s->caplog * 2 : 16;
        s->log = xrealloc(s->log, s->caplog * sizeof *s->log);
    }
    request_copy(&s->log[s->nlog++], r);
}

void fake_http_forget_locked(struct fake_http *s)
{
    for (size_t i = 0; i < s->nlog; i++)
        fake_http_request_free(&s->log[i]);
    s->nlog = 0;
}

size_t fake_http_count(struct fake_http *s, const char *route)
{
    size_t n = 0;
    fake_http_lock(s);
    for (size_t i = 0; i < s->nlog; i++)
        n += (size_t)fake_http_route_is(&s->log[i], route);
    fake_http_unlock(s);
    return n;
}

int fake_http_request(struct fake_http *s, const char *route, size_t nth,
                      struct fake_http_request *out)
{
    int rc = -1;
    memset(out, 0, sizeof *out);
    fake_http_lock(s);
    for (size_t i = 0; i < s->nlog; i++) {
        if (fake_http_route_is(&s->log[i], route) && nth-- == 0) {
            request_copy(out, &s->log[i]);
            rc = 0;
            break;
        }
    }
    fake_http_unlock(s);
    return rc;
}

/* ---- answers ---- */

static int queue(struct fake_http_conn *c, unsigned status, struct MHD_Response *resp,
                 const char *type, const char *hname, const char *hvalue)
{
    if (type)
        MHD_add_response_header(resp, "Content-Type", type);
    if (hname && hvalue)
        MHD_add_response_header(resp, hname, hvalue);
    enum MHD_Result ret = MHD_queue_response(c->mc, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

int fake_http_send(struct fake_http_conn *c, unsigned status, const char *type, const void *data,
                   size_t len, const char *hname, const char *hvalue)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)(uintptr_t)data, MHD_RESPMEM_MUST_COPY);
    return queue(c, status, resp, type, hname, hvalue);
}

int fake_http_send_text(struct fake_http_conn *c, unsigned status, const char *text)
{
    return fake_http_send(c, status, "text/plain", text, strlen(text), NULL, NULL);
}

int fake_http_send_json(struct fake_http_conn *c, unsigned status, json_t *j, const char *hname,
                        const char *hvalue)
{
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    int ret = fake_http_send(c, status, "application/json", s, strlen(s), hname, hvalue);
    free(s);
    return ret;
}

struct stall {
    struct fake_http *s;
    char head[64];
    size_t head_len;
    int ms, sent;
};

static ssize_t stall_reader(void *cls, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    struct stall *st = cls;
    if (!st->sent && max >= st->head_len) {
        st->sent = 1;
        memcpy(out, st->head, st->head_len);
        return (ssize_t)st->head_len;
    }
    fake_http_nap(st->s, st->ms);
    return MHD_CONTENT_READER_END_WITH_ERROR;
}

int fake_http_send_stall(struct fake_http_conn *c, const char *type, const void *head,
                         size_t head_len, int ms)
{
    struct stall *st = xcalloc(1, sizeof *st);
    st->s = c->s;
    st->head_len = MIN(head_len, sizeof st->head);
    memcpy(st->head, head, st->head_len);
    st->ms = ms;
    return queue(c, 200,
                 MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64, stall_reader, st, free),
                 type, NULL, NULL);
}

static ssize_t filler_reader(void *cls, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    uint64_t *left = cls;
    if (!*left)
        return MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = (size_t)MIN((uint64_t)max, *left);
    memset(out, 'x', n);
    *left -= n;
    return (ssize_t)n;
}

int fake_http_send_filler(struct fake_http_conn *c, unsigned long long n)
{
    uint64_t *left = xmalloc(sizeof *left);
    *left = n;
    return queue(
        c, 200,
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, filler_reader, left, free), NULL,
        NULL, NULL);
}

/* ---- receiving ---- */

static enum MHD_Result add_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    (void)kind;
    struct fake_http_request *r = cls;
    r->headers = xrealloc(r->headers, (r->nheaders + 1) * sizeof *r->headers);
    r->headers[r->nheaders].name = xstrdup(key);
    r->headers[r->nheaders].value = xstrdup(value ? value : "");
    r->nheaders++;
    return MHD_YES;
}

static enum MHD_Result add_argument(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    (void)kind;
    struct fake_http_request *r = cls;
    size_t n = strlen(r->path);
    snprintf(r->path + n, sizeof r->path - n, "%s%s%s%s", strchr(r->path, '?') ? "&" : "?", key,
             value ? "=" : "", value ? value : "");
    return MHD_YES;
}

static enum MHD_Result on_part(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *filename, const char *content_type,
                               const char *transfer_encoding, const char *data, uint64_t off,
                               size_t size)
{
    (void)kind;
    (void)transfer_encoding;
    struct fake_http_request *r = &((struct fake_http_conn *)cls)->req;
    struct fake_part *p = r->nparts ? &r->parts[r->nparts - 1] : NULL;
    if (off == 0 || !p || strcmp(p->name, key ? key : "") != 0) {
        if (r->nparts == FAKE_HTTP_PARTS)
            return MHD_NO;
        p = &r->parts[r->nparts++];
        copy_str(p->name, sizeof p->name, key);
        copy_str(p->filename, sizeof p->filename, filename);
        copy_str(p->type, sizeof p->type, content_type);
    }
    p->data = xrealloc(p->data, p->len + size + 1);
    if (size)
        memcpy(p->data + p->len, data, size);
    p->len += size;
    p->data[p->len] = '\0';
    return MHD_YES;
}

static struct fake_http_conn *conn_new(struct fake_http *s, struct MHD_Connection *mc,
                                       const char *url, const char *method)
{
    struct fake_http_conn *c = xcalloc(1, sizeof *c);
    c->s = s;
    c->mc = mc;
    copy_str(c->req.method, sizeof c->req.method, method);
    copy_str(c->req.url, sizeof c->req.url, url);
    copy_str(c->req.path, sizeof c->req.path, url);
    MHD_get_connection_values(mc, MHD_HEADER_KIND, add_header, &c->req);
    MHD_get_connection_values(mc, MHD_GET_ARGUMENT_KIND, add_argument, &c->req);
    const char *type = fake_http_header(&c->req, "Content-Type");
    if (type && !strncmp(type, "multipart/form-data", 19))
        c->pp = MHD_create_post_processor(mc, 65536, on_part, c);
    return c;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *mc, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    (void)version;
    struct fake_http *s = cls;
    struct fake_http_conn *c = *con_cls;
    if (!c) {
        *con_cls = conn_new(s, mc, url, method);
        return MHD_YES;
    }
    if (*upload_size) {
        buf_append(&c->body, upload, *upload_size);
        if (c->pp)
            MHD_post_process(c->pp, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    c->req.len = c->body.len;
    c->req.body = buf_steal(&c->body);
    return s->handler(s->ctx, c, &c->req) ? MHD_YES : MHD_NO;
}

static void on_completed(void *cls, struct MHD_Connection *mc, void **con_cls,
                         enum MHD_RequestTerminationCode code)
{
    (void)cls;
    (void)mc;
    (void)code;
    struct fake_http_conn *c = *con_cls;
    if (!c)
        return;
    if (c->pp)
        MHD_destroy_post_processor(c->pp);
    buf_free(&c->body);
    fake_http_request_free(&c->req);
    free(c);
    *con_cls = NULL;
}

/* ---- lifecycle ---- */

struct fake_http *fake_http_start(const char *name, unsigned timeout_s, fake_http_handler handler,
                                  void *ctx)
{
    struct fake_http *s = xcalloc(1, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    s->handler = handler;
    s->ctx = ctx;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                                MHD_USE_POLL,
                            0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR,
                            (struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                            MHD_OPTION_CONNECTION_TIMEOUT, timeout_s, MHD_OPTION_END);
    if (!s->d) {
        printf("  %s: could not start libmicrohttpd\n", name);
        pthread_mutex_destroy(&s->mu);
        free(s);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(s->root, sizeof s->root, "http://127.0.0.1:%u", info ? (unsigned)info->port : 0);
    return s;
}

void fake_http_stop(struct fake_http *s)
{
    if (!s)
        return;
    atomic_store(&s->stopping, 1);
    MHD_stop_daemon(s->d);
    fake_http_forget_locked(s);
    free(s->log);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

const char *fake_http_root(const struct fake_http *s)
{
    return s->root;
}
