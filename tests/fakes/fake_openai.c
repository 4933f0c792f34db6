/* fake_openai.c: the fake OpenAI server and plain HTTP routes described in fake_openai.h, on the
 * shared server core (fake_http.c): only the routes, the scripted faults and the answers are
 * here. Media answers are real files from the dummy platform's generators. Test support only: it
 * aborts on out-of-memory. */
#include "fake_openai.h"
#include "common/buf.h"
#include "common/util.h"
#include "coordinator/platforms/dummy/dummy_media.h"
#include "fake_http.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FAKE_SCRIPT_MAX 64

struct fake_openai {
    struct fake_http *http; /* its lock guards the fields below */
    char base[80];
    char *key;
    char *retry_after;
    int delay_ms; /* every API answer waits this long (a model's thinking time) */
    enum fake_fault script[FAKE_SCRIPT_MAX];
    size_t nscript;
};

static int send_error(struct fake_http_conn *c, unsigned status, const char *message,
                      const char *type, const char *code, const char *hname, const char *hvalue)
{
    json_t *err =
        json_pack("{s:s, s:s, s:n, s:s?}", "message", message, "type", type, "param", "code", code);
    return fake_http_send_json(c, status, json_pack("{s:o}", "error", err), hname, hvalue);
}

/* A body that starts and then never ends. */
static int send_stall(struct fake_http_conn *c)
{
    return fake_http_send_stall(c, "application/json", "{\"id\":", 6, 20000);
}

static char *b64(const void *data, size_t len)
{
    char *out = xmalloc(4 * ((len + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    return out;
}

/* ---- plain routes ---- */

static int plain_route(struct fake_openai *f, struct fake_http_conn *c,
                       const struct fake_http_request *r)
{
    const char *p = r->url + 2; /* after "/t" */
    long n = 0;
    if (!strcmp(p, "/echo"))
        return fake_http_send(c, 200, "application/octet-stream", r->body, r->len, "X-Method",
                              r->method);
    if (sscanf(p, "/status/%ld", &n) == 1) {
        char text[64];
        snprintf(text, sizeof text, "status %ld", n);
        return fake_http_send_text(c, (unsigned)n, text);
    }
    if (sscanf(p, "/sleep/%ld", &n) == 1) {
        fake_http_nap(f->http, (int)n);
        return fake_http_send_text(c, 200, "slept");
    }
    if (sscanf(p, "/size/%ld", &n) == 1) {
        char *data = xmalloc((size_t)n + 1);
        memset(data, 'x', (size_t)n);
        int ret = fake_http_send(c, 200, "text/plain", data, (size_t)n, NULL, NULL);
        free(data);
        return ret;
    }
    if (sscanf(p, "/chunked/%ld", &n) == 1) {
        return fake_http_send_filler(c, (unsigned long long)n);
    }
    if (!strcmp(p, "/retry"))
        return fake_http_send(c, 429, "text/plain", "slow down", 9, "Retry-After", "7");
    if (sscanf(p, "/redirect/%ld", &n) == 1) {
        if (n <= 0)
            return fake_http_send_text(c, 200, "landed");
        char loc[64];
        snprintf(loc, sizeof loc, "/t/redirect/%ld", n - 1);
        return fake_http_send(c, 302, "text/plain", "", 0, "Location", loc);
    }
    if (!strcmp(p, "/stall"))
        return send_stall(c);
    if (!strcmp(p, "/png")) {
        struct buf png = BUF_INIT;
        dummy_png("url", 3, 64, 36, &png);
        int ret = fake_http_send(c, 200, "image/png", png.data, png.len, NULL, NULL);
        buf_free(&png);
        return ret;
    }
    return fake_http_send_text(c, 404, "no such route");
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

static int chat(struct fake_http_conn *c, json_t *j, int empty)
{
    json_t *msgs = json_object_get(j, "messages");
    if (!json_string_value(json_object_get(j, "model")) || !json_array_size(msgs))
        return send_error(c, 400, "model and messages are required", "invalid_request_error", NULL,
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
                return send_error(c, 400, "bad image url", "invalid_request_error", NULL, NULL,
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
    return fake_http_send_json(c, 200, resp, NULL, NULL);
}

static int images(struct fake_openai *f, struct fake_http_conn *c, json_t *j, int as_url)
{
    const char *prompt = json_string_value(json_object_get(j, "prompt"));
    if (!prompt || !json_string_value(json_object_get(j, "model")))
        return send_error(c, 400, "model and prompt are required", "invalid_request_error", NULL,
                          NULL, NULL);
    if (as_url) {
        char url[160];
        snprintf(url, sizeof url, "%s/t/png", fake_http_root(f->http));
        return fake_http_send_json(
            c, 200, json_pack("{s:i, s:[{s:s}]}", "created", 1, "data", "url", url), NULL, NULL);
    }
    struct buf png = BUF_INIT;
    dummy_png(prompt, strlen(prompt), 64, 36, &png);
    char *enc = b64(png.data, png.len);
    buf_free(&png);
    json_t *resp = json_pack("{s:i, s:[{s:s}]}", "created", 1, "data", "b64_json", enc);
    free(enc);
    return fake_http_send_json(c, 200, resp, NULL, NULL);
}

static int speech(struct fake_http_conn *c, json_t *j, int empty)
{
    const char *input = json_string_value(json_object_get(j, "input"));
    if (!input || !json_string_value(json_object_get(j, "voice")))
        return send_error(c, 400, "input and voice are required", "invalid_request_error", NULL,
                          NULL, NULL);
    if (empty)
        return fake_http_send(c, 200, "audio/wav", "", 0, NULL, NULL);
    struct buf wav = BUF_INIT;
    dummy_wav(input, strlen(input), 200, &wav);
    int ret = fake_http_send(c, 200, "audio/wav", wav.data, wav.len, NULL, NULL);
    buf_free(&wav);
    return ret;
}

static int transcribe(struct fake_http_conn *c, const struct fake_http_request *r, int empty)
{
    const struct fake_part *file = fake_http_part(r->parts, r->nparts, "file");
    const struct fake_part *model = fake_http_part(r->parts, r->nparts, "model");
    if (!file || !model || !file->filename[0])
        return send_error(c, 400, "file and model are required", "invalid_request_error", NULL,
                          NULL, NULL);
    char text[256];
    snprintf(text, sizeof text, "FAKE_TRANSCRIPT: %s %zu bytes", file->filename, file->len);
    return fake_http_send_json(c, 200, json_pack("{s:s}", "text", empty ? "" : text), NULL, NULL);
}

static int api_route(struct fake_openai *f, struct fake_http_conn *c,
                     const struct fake_http_request *r, enum fake_fault fault)
{
    fake_http_lock(f->http);
    char *key = f->key ? xstrdup(f->key) : NULL;
    char *retry_after = f->retry_after ? xstrdup(f->retry_after) : NULL;
    int delay_ms = f->delay_ms;
    fake_http_unlock(f->http);
    if (delay_ms > 0) {
        /* One thread per connection: a slow answer holds up no other request. */
        struct timespec ts = {delay_ms / 1000, (long)(delay_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    int ret;
    json_t *j = NULL;
    if (key) {
        char want[512];
        snprintf(want, sizeof want, "Bearer %s", key);
        const char *auth = fake_http_header(r, "Authorization");
        auth = auth ? auth : "";
        if (strcmp(auth, want) != 0) {
            char msg[600];
            /* Echo the key like a careless server would: the client must not pass it on. */
            snprintf(msg, sizeof msg, "Incorrect API key provided: %s",
                     strncmp(auth, "Bearer ", 7) ? auth : auth + 7);
            ret = send_error(c, 401, msg, "invalid_request_error", "invalid_api_key", NULL, NULL);
            goto out;
        }
    }
    const char *type = fake_http_header(r, "Content-Type");
    int multipart = type && !strncmp(type, "multipart/form-data", 19);
    if (!multipart) {
        j = json_loadb(r->body, r->len, 0, NULL);
        if (!json_is_object(j)) {
            ret = send_error(c, 400, "the body is not a JSON object", "invalid_request_error", NULL,
                             NULL, NULL);
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
        ret = send_error(c, 429, "Rate limit reached for requests", "requests",
                         "rate_limit_exceeded", "Retry-After", retry_after);
        goto out;
    case FAKE_SERVER_ERROR:
        ret = send_error(c, 500, "The server had an error while processing your request.",
                         "server_error", NULL, NULL, NULL);
        goto out;
    case FAKE_STALL:
        ret = send_stall(c);
        goto out;
    case FAKE_MALFORMED:
        ret = fake_http_send(c, 200, "application/json", "{\"choices\":[{\"mess", 18, NULL, NULL);
        goto out;
    case FAKE_QUOTA:
        ret = send_error(c, 429,
                         "You exceeded your current quota, please check your plan and billing "
                         "details.",
                         "insufficient_quota", "insufficient_quota", NULL, NULL);
        goto out;
    case FAKE_POLICY:
        if (prompt && !strcmp(prompt, FAKE_WOMBAT))
            break;
        /* fall through */
    case FAKE_POLICY_ALWAYS:
        ret = send_error(c, 400,
                         "Your request was rejected as a result of our safety system. Your "
                         "prompt may contain text that is not allowed by our safety system.",
                         "invalid_request_error", "content_policy_violation", NULL, NULL);
        goto out;
    case FAKE_BAD_REQUEST:
        ret = send_error(c, 400, "Invalid value for 'size'.", "invalid_request_error", NULL, NULL,
                         NULL);
        goto out;
    }
    int empty = fault == FAKE_EMPTY;
    if (strcmp(r->method, "POST") != 0)
        ret = send_error(c, 405, "POST only", "invalid_request_error", NULL, NULL, NULL);
    else if (!strcmp(r->url, "/v1/chat/completions"))
        ret = chat(c, j, empty);
    else if (!strcmp(r->url, "/v1/images/generations"))
        ret = images(f, c, j, fault == FAKE_IMAGE_URL);
    else if (!strcmp(r->url, "/v1/audio/speech"))
        ret = speech(c, j, empty);
    else if (!strcmp(r->url, "/v1/audio/transcriptions") && multipart)
        ret = transcribe(c, r, empty);
    else
        ret = send_error(c, 404, "Unknown request URL", "invalid_request_error", "unknown_url",
                         NULL, NULL);
out:
    json_decref(j);
    free(key);
    free(retry_after);
    return ret;
}

/* Record the request and, for the API, take the next scripted fault in the same step. */
static int on_request(void *ctx, struct fake_http_conn *c, const struct fake_http_request *r)
{
    struct fake_openai *f = ctx;
    int api = !strncmp(r->url, "/v1/", 4);
    enum fake_fault fault = FAKE_OK;
    fake_http_lock(f->http);
    fake_http_record_locked(f->http, r);
    if (api && f->nscript) {
        fault = f->script[0];
        memmove(f->script, f->script + 1, (f->nscript - 1) * sizeof f->script[0]);
        f->nscript--;
    }
    fake_http_unlock(f->http);
    if (api)
        return api_route(f, c, r, fault);
    if (!strncmp(r->url, "/t/", 3))
        return plain_route(f, c, r);
    return fake_http_send_text(c, 404, "no such route");
}

/* ---- lifecycle ---- */

struct fake_openai *fake_openai_start(void)
{
    struct fake_openai *f = xcalloc(1, sizeof *f);
    f->http = fake_http_start("fake_openai", 30, on_request, f);
    if (!f->http) {
        free(f);
        return NULL;
    }
    f->retry_after = xstrdup("1");
    snprintf(f->base, sizeof f->base, "%s/v1", fake_http_root(f->http));
    return f;
}

void fake_openai_stop(struct fake_openai *f)
{
    if (!f)
        return;
    fake_http_stop(f->http);
    free(f->key);
    free(f->retry_after);
    free(f);
}

const char *fake_openai_root(const struct fake_openai *f)
{
    return fake_http_root(f->http);
}

const char *fake_openai_base(const struct fake_openai *f)
{
    return f->base;
}

/* Replace *slot with a copy of value under the server's lock. */
static void set_str(struct fake_openai *f, char **slot, const char *value)
{
    fake_http_lock(f->http);
    free(*slot);
    *slot = value ? xstrdup(value) : NULL;
    fake_http_unlock(f->http);
}

void fake_openai_set_key(struct fake_openai *f, const char *key)
{
    set_str(f, &f->key, key);
}

void fake_openai_set_retry_after(struct fake_openai *f, const char *value)
{
    set_str(f, &f->retry_after, value);
}

void fake_openai_set_delay_ms(struct fake_openai *f, int ms)
{
    fake_http_lock(f->http);
    f->delay_ms = ms;
    fake_http_unlock(f->http);
}

void fake_openai_script(struct fake_openai *f, enum fake_fault fault, int n)
{
    fake_http_lock(f->http);
    for (int i = 0; i < n && f->nscript < FAKE_SCRIPT_MAX; i++)
        f->script[f->nscript++] = fault;
    fake_http_unlock(f->http);
}

void fake_openai_reset(struct fake_openai *f)
{
    fake_http_lock(f->http);
    fake_http_forget_locked(f->http);
    f->nscript = 0;
    fake_http_unlock(f->http);
}

/* ---- the request log ---- */

size_t fake_openai_count(struct fake_openai *f)
{
    return fake_http_count(f->http, NULL);
}

int fake_openai_request(struct fake_openai *f, size_t i, struct fake_request *out)
{
    struct fake_http_request r;
    memset(out, 0, sizeof *out);
    if (fake_http_request(f->http, NULL, i, &r) < 0)
        return -1;
    fake_http_move_head(&r, 0, out->method, sizeof out->method, out->path, sizeof out->path,
                        &out->body, &out->len);
    fake_http_copy_header(&r, "Authorization", out->authorization, sizeof out->authorization);
    fake_http_copy_header(&r, "Content-Type", out->content_type, sizeof out->content_type);
    fake_http_copy_header(&r, "X-Amz-Date", out->x_amz_date, sizeof out->x_amz_date);
    memcpy(out->parts, r.parts, sizeof out->parts); /* the parts change hands too */
    out->nparts = r.nparts;
    r.nparts = 0;
    fake_http_request_free(&r);
    return 0;
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

const struct fake_part *fake_request_part(const struct fake_request *r, const char *name)
{
    return fake_http_part(r->parts, r->nparts, name);
}
