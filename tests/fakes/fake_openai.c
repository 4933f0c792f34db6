/* fake_openai.c: the fake OpenAI server and plain HTTP routes described in fake_openai.h. It runs
 * libmicrohttpd with a thread per connection so one stalled or sleeping answer never holds up the
 * others, and parses multipart uploads with MHD's post processor. Media answers are real files
 * from the dummy platform's generators. Test support only: it aborts on out-of-memory. */
#include "fake_openai.h"
#include "common/buf.h"
#include "common/util.h"
#include "coordinator/platforms/dummy/dummy_media.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FAKE_SCRIPT_MAX 64

struct fake_openai {
    struct MHD_Daemon *d;
    char root[64];
    char base[80];
    atomic_int stopping;
    pthread_mutex_t mu;
    char *key;
    char *retry_after;
    int delay_ms; /* every API answer waits this long (a model's thinking time) */
    enum fake_fault script[FAKE_SCRIPT_MAX];
    size_t nscript;
    struct fake_request *reqs;
    size_t nreqs, capreqs;
};

/* One request being received. */
struct conn {
    struct fake_request req;
    struct buf body;
    struct MHD_PostProcessor *pp;
};

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Sleep up to ms, waking early when the server stops. */
static void nap(struct fake_openai *f, int ms)
{
    for (int t = 0; t < ms && !atomic_load(&f->stopping); t += 10)
        sleep_ms(10);
}

/* ---- recording ---- */

static void copy_str(char *dst, size_t dstlen, const char *src)
{
    snprintf(dst, dstlen, "%s", src ? src : "");
}

void fake_request_free(struct fake_request *r)
{
    if (!r)
        return;
    free(r->body);
    for (size_t i = 0; i < r->nparts; i++)
        free(r->parts[i].data);
    memset(r, 0, sizeof *r);
}

static void request_copy(struct fake_request *dst, const struct fake_request *src)
{
    *dst = *src;
    dst->body = xmalloc(src->len + 1);
    memcpy(dst->body, src->body ? src->body : "", src->len);
    dst->body[src->len] = '\0';
    for (size_t i = 0; i < src->nparts; i++) {
        dst->parts[i].data = xmalloc(src->parts[i].len + 1);
        if (src->parts[i].len)
            memcpy(dst->parts[i].data, src->parts[i].data, src->parts[i].len);
        dst->parts[i].data[src->parts[i].len] = '\0';
    }
}

/* Record the request and take the next scripted fault (for /v1 requests). */
static enum fake_fault record(struct fake_openai *f, const struct fake_request *r, int api)
{
    pthread_mutex_lock(&f->mu);
    if (f->nreqs == f->capreqs) {
        f->capreqs = f->capreqs ? f->capreqs * 2 : 16;
        f->reqs = xrealloc(f->reqs, f->capreqs * sizeof *f->reqs);
    }
    request_copy(&f->reqs[f->nreqs++], r);
    enum fake_fault fault = FAKE_OK;
    if (api && f->nscript) {
        fault = f->script[0];
        memmove(f->script, f->script + 1, (f->nscript - 1) * sizeof f->script[0]);
        f->nscript--;
    }
    pthread_mutex_unlock(&f->mu);
    return fault;
}

static enum MHD_Result on_part(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *filename, const char *content_type,
                               const char *transfer_encoding, const char *data, uint64_t off,
                               size_t size)
{
    (void)kind;
    (void)transfer_encoding;
    struct conn *c = cls;
    struct fake_request *r = &c->req;
    struct fake_part *p = r->nparts ? &r->parts[r->nparts - 1] : NULL;
    if (off == 0 || !p || strcmp(p->name, key ? key : "") != 0) {
        if (r->nparts == sizeof r->parts / sizeof r->parts[0])
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

/* ---- answers ---- */

static enum MHD_Result send_bytes(struct MHD_Connection *mc, unsigned status, const char *type,
                                  const void *data, size_t len, const char *hname,
                                  const char *hvalue)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)(uintptr_t)data, MHD_RESPMEM_MUST_COPY);
    if (type)
        MHD_add_response_header(resp, "Content-Type", type);
    if (hname && hvalue)
        MHD_add_response_header(resp, hname, hvalue);
    enum MHD_Result ret = MHD_queue_response(mc, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result send_text(struct MHD_Connection *mc, unsigned status, const char *text)
{
    return send_bytes(mc, status, "text/plain", text, strlen(text), NULL, NULL);
}

/* Send j (a new reference, consumed). */
static enum MHD_Result send_json(struct MHD_Connection *mc, unsigned status, json_t *j,
                                 const char *hname, const char *hvalue)
{
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    enum MHD_Result ret = send_bytes(mc, status, "application/json", s, strlen(s), hname, hvalue);
    free(s);
    return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *mc, unsigned status, const char *message,
                                  const char *type, const char *code, const char *hname,
                                  const char *hvalue)
{
    json_t *err =
        json_pack("{s:s, s:s, s:n, s:s?}", "message", message, "type", type, "param", "code", code);
    return send_json(mc, status, json_pack("{s:o}", "error", err), hname, hvalue);
}

struct stall {
    struct fake_openai *f;
    int sent;
};

static ssize_t stall_reader(void *cls, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    struct stall *s = cls;
    if (!s->sent && max >= 6) {
        s->sent = 1;
        memcpy(out, "{\"id\":", 6);
        return 6;
    }
    nap(s->f, 20000);
    return MHD_CONTENT_READER_END_WITH_ERROR;
}

static enum MHD_Result send_stall(struct fake_openai *f, struct MHD_Connection *mc)
{
    struct stall *s = xcalloc(1, sizeof *s);
    s->f = f;
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64, stall_reader, s, free);
    MHD_add_response_header(resp, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(mc, 200, resp);
    MHD_destroy_response(resp);
    return ret;
}

struct gen {
    uint64_t left;
};

static ssize_t gen_reader(void *cls, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    struct gen *g = cls;
    if (!g->left)
        return MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = (size_t)MIN((uint64_t)max, g->left);
    memset(out, 'x', n);
    g->left -= n;
    return (ssize_t)n;
}

static char *b64(const void *data, size_t len)
{
    char *out = xmalloc(4 * ((len + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    return out;
}

/* ---- plain routes ---- */

static enum MHD_Result plain_route(struct fake_openai *f, struct MHD_Connection *mc,
                                   const struct fake_request *r)
{
    const char *p = r->path + 2; /* after "/t" */
    long n = 0;
    if (!strcmp(p, "/echo"))
        return send_bytes(mc, 200, "application/octet-stream", r->body, r->len, "X-Method",
                          r->method);
    if (sscanf(p, "/status/%ld", &n) == 1) {
        char text[64];
        snprintf(text, sizeof text, "status %ld", n);
        return send_text(mc, (unsigned)n, text);
    }
    if (sscanf(p, "/sleep/%ld", &n) == 1) {
        nap(f, (int)n);
        return send_text(mc, 200, "slept");
    }
    if (sscanf(p, "/size/%ld", &n) == 1) {
        char *data = xmalloc((size_t)n + 1);
        memset(data, 'x', (size_t)n);
        enum MHD_Result ret = send_bytes(mc, 200, "text/plain", data, (size_t)n, NULL, NULL);
        free(data);
        return ret;
    }
    if (sscanf(p, "/chunked/%ld", &n) == 1) {
        struct gen *g = xcalloc(1, sizeof *g);
        g->left = (uint64_t)n;
        struct MHD_Response *resp =
            MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, gen_reader, g, free);
        enum MHD_Result ret = MHD_queue_response(mc, 200, resp);
        MHD_destroy_response(resp);
        return ret;
    }
    if (!strcmp(p, "/retry"))
        return send_bytes(mc, 429, "text/plain", "slow down", 9, "Retry-After", "7");
    if (sscanf(p, "/redirect/%ld", &n) == 1) {
        if (n <= 0)
            return send_text(mc, 200, "landed");
        char loc[64];
        snprintf(loc, sizeof loc, "/t/redirect/%ld", n - 1);
        return send_bytes(mc, 302, "text/plain", "", 0, "Location", loc);
    }
    if (!strcmp(p, "/stall"))
        return send_stall(f, mc);
    if (!strcmp(p, "/png")) {
        struct buf png = BUF_INIT;
        dummy_png("url", 3, 64, 36, &png);
        enum MHD_Result ret = send_bytes(mc, 200, "image/png", png.data, png.len, NULL, NULL);
        buf_free(&png);
        return ret;
    }
    return send_text(mc, 404, "no such route");
}

/* ---- OpenAI routes ---- */

/* The text a request is "about": the last user message's text, the image prompt or the speech
 * input. Borrowed from j, or NULL. */
static const char *prompt_of(json_t *j)
{
    const char *s = json_string_value(json_object_get(j, "prompt"));
    if (s)
        return s;
    s = json_string_value(json_object_get(j, "input"));
    if (s)
        return s;
    json_t *msgs = json_object_get(j, "messages");
    for (size_t i = json_array_size(msgs); i-- > 0;) {
        json_t *m = json_array_get(msgs, i);
        const char *role = json_string_value(json_object_get(m, "role"));
        if (!role || strcmp(role, "user") != 0)
            continue;
        json_t *content = json_object_get(m, "content");
        if (json_is_string(content))
            return json_string_value(content);
        return NULL;
    }
    return NULL;
}

static enum MHD_Result chat(struct MHD_Connection *mc, json_t *j, int empty)
{
    json_t *msgs = json_object_get(j, "messages");
    if (!json_string_value(json_object_get(j, "model")) || !json_array_size(msgs))
        return send_error(mc, 400, "model and messages are required", "invalid_request_error", NULL,
                          NULL, NULL);
    struct buf answer = BUF_INIT;
    json_t *last = json_array_get(msgs, json_array_size(msgs) - 1);
    json_t *content = json_object_get(last, "content");
    if (json_is_string(content)) {
        buf_printf(&answer, "FAKE_CHAT: %s", json_string_value(content));
    } else {
        size_t i;
        json_t *part;
        json_array_foreach(content, i, part)
        {
            const char *url =
                json_string_value(json_object_get(json_object_get(part, "image_url"), "url"));
            if (!url)
                continue;
            const char *comma = strchr(url, ',');
            const char *semi = strchr(url, ';');
            if (strncmp(url, "data:", 5) != 0 || !comma || !semi || semi > comma)
                return send_error(mc, 400, "bad image url", "invalid_request_error", NULL, NULL,
                                  NULL);
            size_t b = strlen(comma + 1);
            size_t bytes = b / 4 * 3 - (b && comma[b] == '=') - (b > 1 && comma[b - 1] == '=');
            buf_printf(&answer, "FAKE_CAPTION: %.*s %zu bytes", (int)(semi - url - 5), url + 5,
                       bytes);
        }
    }
    json_t *resp =
        json_pack("{s:s, s:s, s:[{s:i, s:{s:s, s:s}, s:s}], s:{s:i, s:i}}", "id", "chatcmpl-fake",
                  "object", "chat.completion", "choices", "index", 0, "message", "role",
                  "assistant", "content", empty ? "" : (answer.data ? answer.data : ""),
                  "finish_reason", "stop", "usage", "prompt_tokens", 10, "completion_tokens", 5);
    buf_free(&answer);
    return send_json(mc, 200, resp, NULL, NULL);
}

static enum MHD_Result images(struct fake_openai *f, struct MHD_Connection *mc, json_t *j,
                              int as_url)
{
    const char *prompt = json_string_value(json_object_get(j, "prompt"));
    if (!prompt || !json_string_value(json_object_get(j, "model")))
        return send_error(mc, 400, "model and prompt are required", "invalid_request_error", NULL,
                          NULL, NULL);
    if (as_url) {
        char url[160];
        snprintf(url, sizeof url, "%s/t/png", f->root);
        return send_json(mc, 200, json_pack("{s:i, s:[{s:s}]}", "created", 1, "data", "url", url),
                         NULL, NULL);
    }
    struct buf png = BUF_INIT;
    dummy_png(prompt, strlen(prompt), 64, 36, &png);
    char *enc = b64(png.data, png.len);
    buf_free(&png);
    json_t *resp = json_pack("{s:i, s:[{s:s}]}", "created", 1, "data", "b64_json", enc);
    free(enc);
    return send_json(mc, 200, resp, NULL, NULL);
}

static enum MHD_Result speech(struct MHD_Connection *mc, json_t *j, int empty)
{
    const char *input = json_string_value(json_object_get(j, "input"));
    if (!input || !json_string_value(json_object_get(j, "voice")))
        return send_error(mc, 400, "input and voice are required", "invalid_request_error", NULL,
                          NULL, NULL);
    if (empty)
        return send_bytes(mc, 200, "audio/wav", "", 0, NULL, NULL);
    struct buf wav = BUF_INIT;
    dummy_wav(input, strlen(input), 200, &wav);
    enum MHD_Result ret = send_bytes(mc, 200, "audio/wav", wav.data, wav.len, NULL, NULL);
    buf_free(&wav);
    return ret;
}

static enum MHD_Result transcribe(struct MHD_Connection *mc, const struct fake_request *r,
                                  int empty)
{
    const struct fake_part *file = fake_request_part(r, "file");
    const struct fake_part *model = fake_request_part(r, "model");
    if (!file || !model || !file->filename[0])
        return send_error(mc, 400, "file and model are required", "invalid_request_error", NULL,
                          NULL, NULL);
    char text[256];
    snprintf(text, sizeof text, "FAKE_TRANSCRIPT: %s %zu bytes", file->filename, file->len);
    return send_json(mc, 200, json_pack("{s:s}", "text", empty ? "" : text), NULL, NULL);
}

static enum MHD_Result api_route(struct fake_openai *f, struct MHD_Connection *mc,
                                 const struct fake_request *r, enum fake_fault fault)
{
    pthread_mutex_lock(&f->mu);
    char *key = f->key ? xstrdup(f->key) : NULL;
    char *retry_after = f->retry_after ? xstrdup(f->retry_after) : NULL;
    int delay_ms = f->delay_ms;
    pthread_mutex_unlock(&f->mu);
    if (delay_ms > 0) {
        /* One thread per connection: a slow answer holds up no other request. */
        struct timespec ts = {delay_ms / 1000, (long)(delay_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    enum MHD_Result ret;
    json_t *j = NULL;
    if (key) {
        char want[512];
        snprintf(want, sizeof want, "Bearer %s", key);
        if (strcmp(r->authorization, want) != 0) {
            char msg[600];
            /* Echo the key like a careless server would: the client must not pass it on. */
            snprintf(msg, sizeof msg, "Incorrect API key provided: %s",
                     strncmp(r->authorization, "Bearer ", 7) ? r->authorization
                                                             : r->authorization + 7);
            ret = send_error(mc, 401, msg, "invalid_request_error", "invalid_api_key", NULL, NULL);
            goto out;
        }
    }
    int multipart = !strncmp(r->content_type, "multipart/form-data", 19);
    if (!multipart) {
        j = json_loadb(r->body, r->len, 0, NULL);
        if (!json_is_object(j)) {
            ret = send_error(mc, 400, "the body is not a JSON object", "invalid_request_error",
                             NULL, NULL, NULL);
            goto out;
        }
    }
    const char *prompt = j ? prompt_of(j) : NULL;
    switch (fault) {
    case FAKE_OK:
    case FAKE_EMPTY:
    case FAKE_IMAGE_URL:
        break;
    case FAKE_RATE_LIMIT:
        ret = send_error(mc, 429, "Rate limit reached for requests", "requests",
                         "rate_limit_exceeded", "Retry-After", retry_after);
        goto out;
    case FAKE_SERVER_ERROR:
        ret = send_error(mc, 500, "The server had an error while processing your request.",
                         "server_error", NULL, NULL, NULL);
        goto out;
    case FAKE_STALL:
        ret = send_stall(f, mc);
        goto out;
    case FAKE_MALFORMED:
        ret = send_bytes(mc, 200, "application/json", "{\"choices\":[{\"mess", 18, NULL, NULL);
        goto out;
    case FAKE_QUOTA:
        ret = send_error(mc, 429,
                         "You exceeded your current quota, please check your plan and billing "
                         "details.",
                         "insufficient_quota", "insufficient_quota", NULL, NULL);
        goto out;
    case FAKE_POLICY:
        if (prompt && !strcmp(prompt, FAKE_WOMBAT))
            break;
        /* fall through */
    case FAKE_POLICY_ALWAYS:
        ret = send_error(mc, 400,
                         "Your request was rejected as a result of our safety system. Your "
                         "prompt may contain text that is not allowed by our safety system.",
                         "invalid_request_error", "content_policy_violation", NULL, NULL);
        goto out;
    case FAKE_BAD_REQUEST:
        ret = send_error(mc, 400, "Invalid value for 'size'.", "invalid_request_error", NULL, NULL,
                         NULL);
        goto out;
    }
    int empty = fault == FAKE_EMPTY;
    if (strcmp(r->method, "POST") != 0)
        ret = send_error(mc, 405, "POST only", "invalid_request_error", NULL, NULL, NULL);
    else if (!strcmp(r->path, "/v1/chat/completions"))
        ret = chat(mc, j, empty);
    else if (!strcmp(r->path, "/v1/images/generations"))
        ret = images(f, mc, j, fault == FAKE_IMAGE_URL);
    else if (!strcmp(r->path, "/v1/audio/speech"))
        ret = speech(mc, j, empty);
    else if (!strcmp(r->path, "/v1/audio/transcriptions") && multipart)
        ret = transcribe(mc, r, empty);
    else
        ret = send_error(mc, 404, "Unknown request URL", "invalid_request_error", "unknown_url",
                         NULL, NULL);
out:
    json_decref(j);
    free(key);
    free(retry_after);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *mc, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct fake_openai *f = cls;
    struct conn *c = *con_cls;
    if (!c) {
        c = xcalloc(1, sizeof *c);
        copy_str(c->req.method, sizeof c->req.method, method);
        copy_str(c->req.path, sizeof c->req.path, url);
        copy_str(c->req.authorization, sizeof c->req.authorization,
                 MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Authorization"));
        copy_str(c->req.content_type, sizeof c->req.content_type,
                 MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Content-Type"));
        if (!strncmp(c->req.content_type, "multipart/form-data", 19))
            c->pp = MHD_create_post_processor(mc, 65536, on_part, c);
        *con_cls = c;
        return MHD_YES;
    }
    if (*upload_data_size) {
        buf_append(&c->body, upload_data, *upload_data_size);
        if (c->pp)
            MHD_post_process(c->pp, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    c->req.len = c->body.len;
    c->req.body = buf_steal(&c->body);
    int api = !strncmp(c->req.path, "/v1/", 4);
    enum fake_fault fault = record(f, &c->req, api);
    if (api)
        return api_route(f, mc, &c->req, fault);
    if (!strncmp(c->req.path, "/t/", 3))
        return plain_route(f, mc, &c->req);
    return send_text(mc, 404, "no such route");
}

static void on_completed(void *cls, struct MHD_Connection *mc, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)mc;
    (void)toe;
    struct conn *c = *con_cls;
    if (!c)
        return;
    if (c->pp)
        MHD_destroy_post_processor(c->pp);
    buf_free(&c->body);
    fake_request_free(&c->req);
    free(c);
    *con_cls = NULL;
}

/* ---- lifecycle ---- */

struct fake_openai *fake_openai_start(void)
{
    struct fake_openai *f = xcalloc(1, sizeof *f);
    pthread_mutex_init(&f->mu, NULL);
    f->retry_after = xstrdup("1");
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = 0;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    f->d = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, 0, NULL,
        NULL, on_request, f, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
        f, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
    if (!f->d) {
        printf("  fake_openai: MHD_start_daemon failed\n");
        pthread_mutex_destroy(&f->mu);
        free(f->retry_after);
        free(f);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(f->d, MHD_DAEMON_INFO_BIND_PORT);
    unsigned port = info ? info->port : 0;
    snprintf(f->root, sizeof f->root, "http://127.0.0.1:%u", port);
    snprintf(f->base, sizeof f->base, "%s/v1", f->root);
    return f;
}

void fake_openai_stop(struct fake_openai *f)
{
    if (!f)
        return;
    atomic_store(&f->stopping, 1);
    MHD_stop_daemon(f->d);
    for (size_t i = 0; i < f->nreqs; i++)
        fake_request_free(&f->reqs[i]);
    free(f->reqs);
    free(f->key);
    free(f->retry_after);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

const char *fake_openai_root(const struct fake_openai *f)
{
    return f->root;
}

const char *fake_openai_base(const struct fake_openai *f)
{
    return f->base;
}

void fake_openai_set_key(struct fake_openai *f, const char *key)
{
    pthread_mutex_lock(&f->mu);
    free(f->key);
    f->key = key ? xstrdup(key) : NULL;
    pthread_mutex_unlock(&f->mu);
}

void fake_openai_set_retry_after(struct fake_openai *f, const char *value)
{
    pthread_mutex_lock(&f->mu);
    free(f->retry_after);
    f->retry_after = value ? xstrdup(value) : NULL;
    pthread_mutex_unlock(&f->mu);
}

void fake_openai_script(struct fake_openai *f, enum fake_fault fault, int n)
{
    pthread_mutex_lock(&f->mu);
    for (int i = 0; i < n && f->nscript < FAKE_SCRIPT_MAX; i++)
        f->script[f->nscript++] = fault;
    pthread_mutex_unlock(&f->mu);
}

size_t fake_openai_count(struct fake_openai *f)
{
    pthread_mutex_lock(&f->mu);
    size_t n = f->nreqs;
    pthread_mutex_unlock(&f->mu);
    return n;
}

int fake_openai_request(struct fake_openai *f, size_t i, struct fake_request *out)
{
    int rc = -1;
    pthread_mutex_lock(&f->mu);
    if (i < f->nreqs) {
        request_copy(out, &f->reqs[i]);
        rc = 0;
    }
    pthread_mutex_unlock(&f->mu);
    return rc;
}

const struct fake_part *fake_request_part(const struct fake_request *r, const char *name)
{
    for (size_t i = 0; i < r->nparts; i++)
        if (!strcmp(r->parts[i].name, name))
            return &r->parts[i];
    return NULL;
}

void fake_openai_reset(struct fake_openai *f)
{
    pthread_mutex_lock(&f->mu);
    for (size_t i = 0; i < f->nreqs; i++)
        fake_request_free(&f->reqs[i]);
    f->nreqs = 0;
    f->nscript = 0;
    pthread_mutex_unlock(&f->mu);
}

void fake_openai_set_delay_ms(struct fake_openai *f, int ms)
{
    pthread_mutex_lock(&f->mu);
    f->delay_ms = ms;
    pthread_mutex_unlock(&f->mu);
}
