/* gemini.c: the `gemini` platform. One call per invocation: the audio file from the media store
 * goes inline (base64) with its true MIME type and the model's prompt to
 * models/{path}:generateContent; the text parts of the first candidate are the answer. Safety
 * blocks become readable, non-retryable failures; 429, 5xx and transport failures are retryable
 * (a generateContent call makes nothing that lasts, so the runner may simply call again). A 429
 * with a Retry-After is reported only after that wait (capped), as openai does.
 *
 * Depends on curl_ev, ev, the media store, jansson and common/lib/crypto (base64); never on
 * sqlite, HTTP serving or the runner's state. The key is never logged and never put in a URL. */
#include "gemini.h"
#include "common/buf.h"
#include "common/ev.h"
#include "common/file.h"
#include "common/httpdate.h"
#include "common/lib/crypto.h"
#include "common/log.h"
#include "common/util.h"
#include "coordinator/platforms/curl_ev.h"
#include "coordinator/store/media.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_MAX (16 * 1024)

struct call {
    struct gemini *g;
    struct call *next;
    struct platform_call pc;
    char *input; /* owned copy of pc.input.value */
    uint64_t http;
    uint64_t timer;
    char waited[PANIC_ERR_LEN]; /* the failure told after a Retry-After wait */
};

struct gemini {
    struct platform_env env;
    struct gemini_tuning t;
    char *base;
    struct call *calls;
};

void gemini_tuning_default(struct gemini_tuning *t)
{
    *t = (struct gemini_tuning){
        .base_url = "https://generativelanguage.googleapis.com/v1beta",
        .timeout_ms = 60 * 1000,
        .max_inline = 14 * 1024 * 1024, /* base64 grows it by 4/3: under the 20 MB request cap */
        .retry_after_max_ms = GEMINI_RETRY_AFTER_CAP_MS,
    };
}

static void call_unlink(struct call *c)
{
    for (struct call **pp = &c->g->calls; *pp; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            return;
        }
    }
}

static void call_destroy(struct call *c)
{
    if (c->http)
        curl_ev_cancel(c->g->env.curl, c->http);
    if (c->timer)
        ev_timer_del(c->g->env.ev, c->timer);
    free(c->input);
    free(c);
}

static void call_finish(struct call *c, const char *text, const char *error, int retryable)
{
    struct gemini *g = c->g;
    struct runner_io out = {MEDIA_TEXT, text};
    call_unlink(c);
    g->env.done(g->env.owner, &c->pc, text ? &out : NULL, error, retryable);
    call_destroy(c);
}

static void call_fail(struct call *c, int retryable, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void call_fail(struct call *c, int retryable, const char *fmt, ...)
{
    char msg[PANIC_ERR_LEN];
    int n = snprintf(msg, sizeof msg, "Gemini: ");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    log_debug("gemini: invocation failed model=%s invocation=%lld retryable=%d error=\"%s\"",
              c->pc.model->id, (long long)c->pc.inv_id, retryable, msg);
    call_finish(c, NULL, msg, retryable);
}

/* Google's error JSON {"error":{"code","message","status"}}, else the body, else curl's text. */
static void error_text(const struct http_result *res, char *out, size_t outlen)
{
    json_t *o = res->body && res->len ? json_loadb(res->body, res->len, 0, NULL) : NULL;
    const char *msg = json_string_value(json_object_get(json_object_get(o, "error"), "message"));
    if (msg)
        snprintf(out, outlen, "%s", msg);
    else if (res->status == 0)
        snprintf(out, outlen, "%s", res->error ? res->error : "no answer");
    else if (res->body && res->len && utf8_valid(res->body, res->len))
        snprintf(out, outlen, "%.*s", (int)MIN(res->len, 160), res->body);
    else
        snprintf(out, outlen, "no details");
    for (char *p = out; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '"')
            *p = ' ';
    json_decref(o);
}

static void answer(struct call *c, json_t *o)
{
    const char *id = c->pc.model->id;
    const char *block =
        json_string_value(json_object_get(json_object_get(o, "promptFeedback"), "blockReason"));
    if (block) {
        call_fail(c, 0, "%s blocked the audio (%s)", id, block);
        return;
    }
    json_t *cand = json_array_get(json_object_get(o, "candidates"), 0);
    const char *finish = json_string_value(json_object_get(cand, "finishReason"));
    struct buf b = BUF_INIT;
    size_t i;
    json_t *part;
    json_array_foreach(json_object_get(json_object_get(cand, "content"), "parts"), i, part)
    {
        json_t *t = json_object_get(part, "text");
        if (json_is_string(t) && !json_is_true(json_object_get(part, "thought")))
            buf_append(&b, json_string_value(t), json_string_length(t));
    }
    const char *s = b.data ? b.data : "";
    size_t len = b.len;
    while (len && strchr(" \t\r\n", s[len - 1]))
        len--;
    while (len && strchr(" \t\r\n", *s)) {
        s++;
        len--;
    }
    if (len == 0 && finish &&
        (!strcmp(finish, "SAFETY") || !strcmp(finish, "PROHIBITED_CONTENT") ||
         !strcmp(finish, "BLOCKLIST") || !strcmp(finish, "SPII") ||
         !strcmp(finish, "RECITATION"))) {
        buf_free(&b);
        call_fail(c, 0, "%s withheld its answer (finishReason %s)", id, finish);
        return;
    }
    if (len > TEXT_MAX) {
        len = TEXT_MAX;
        while (len && ((unsigned char)s[len] & 0xc0) == 0x80)
            len--;
    }
    if (len == 0 || !utf8_valid(s, len) || memchr(s, 0, len)) {
        buf_free(&b);
        call_fail(c, 1, "%s answered with no text (finishReason %s)", id, finish ? finish : "none");
        return;
    }
    char *text = xstrndup(s, len);
    buf_free(&b);
    call_finish(c, text, NULL, 0);
    free(text);
}

static void on_waited(struct ev *ev, uint64_t id, void *data)
{
    (void)ev;
    (void)id;
    struct call *c = data;
    c->timer = 0;
    call_fail(c, 1, "%s", c->waited);
}

/* A 429: wait out its Retry-After first (capped), so the runner's back-off starts after it. */
static void rate_limited(struct call *c, const struct http_result *res, const char *why)
{
    int64_t wait = http_retry_after_ms(res->retry_after, time_wall_ms());
    if (wait <= 0) {
        call_fail(c, 1, "rate limited (HTTP 429%s%s): %s", res->retry_after ? ", retry after " : "",
                  res->retry_after ? res->retry_after : "", why);
        return;
    }
    wait = MIN(wait, (int64_t)c->g->t.retry_after_max_ms);
    log_info("gemini: rate limited model=%s invocation=%lld wait_ms=%lld", c->pc.model->id,
             (long long)c->pc.inv_id, (long long)wait);
    snprintf(c->waited, sizeof c->waited, "rate limited (HTTP 429), waited %.1f s as asked: %s",
             (double)wait / 1000.0, why);
    c->timer = ev_timer_in(c->g->env.ev, wait, on_waited, c);
}

static void on_done(void *user, const struct http_result *res)
{
    struct call *c = user;
    c->http = 0;
    char why[200];
    if (res->status == 200) {
        json_t *o = json_loadb(res->body, res->len, 0, NULL);
        if (json_is_object(o)) {
            answer(c, o);
            json_decref(o);
            return;
        }
        json_decref(o);
        call_fail(c, 1, "unreadable answer from %s", c->pc.model->id);
        return;
    }
    error_text(res, why, sizeof why);
    if (res->status == 0)
        call_fail(c, 1, "no answer: %s", why);
    else if (res->status == 429)
        rate_limited(c, res, why);
    else if (res->status >= 500 || res->status == 408)
        call_fail(c, 1, "HTTP %ld: %s", res->status, why);
    else if (res->status == 401 || res->status == 403)
        call_fail(c, 0, "the API key was refused (HTTP %ld): %s", res->status, why);
    else
        call_fail(c, 0, "%s refused the request (HTTP %ld): %s", c->pc.model->id, res->status, why);
}

static void on_start(struct ev *ev, uint64_t id, void *data)
{
    (void)ev;
    (void)id;
    struct call *c = data;
    struct gemini *g = c->g;
    const struct model_info *m = c->pc.model;
    c->timer = 0;
    const char *key = g->env.key ? g->env.key(g->env.owner, "gemini") : NULL;
    if (!key || !*key) {
        call_fail(c, 0, "no API key is set");
        return;
    }
    const char *mime = media_content_type(c->input);
    char path[1024];
    int rc = media_name_valid(c->input) ? media_path(g->env.media, c->input, path, sizeof path)
                                        : -EINVAL;
    if (rc < 0 || !mime || strncmp(mime, "audio/", 6) != 0 || !m->path) {
        call_fail(c, 0, "the input %s is not a stored audio file", c->input);
        return;
    }
    struct buf audio = BUF_INIT;
    char why[128];
    rc = file_read(path, g->t.max_inline, 0, &audio, why, sizeof why);
    if (rc < 0 || audio.len == 0) {
        buf_free(&audio);
        call_fail(c, 0, "the audio file %s cannot be sent: %s", c->input,
                  rc == -EFBIG ? "too large for inline data"
                  : rc < 0     ? why
                               : "empty");
        return;
    }
    json_t *params = json_loads(m->params_json ? m->params_json : "{}", 0, NULL);
    const char *prompt = json_string_value(json_object_get(params, "prompt"));
    struct buf b64 = BUF_INIT;
    crypto_base64_encode(audio.data, audio.len, &b64);
    buf_free(&audio);
    /* The audio first, then the instruction, as the original sent them. */
    json_t *parts = json_array();
    json_array_append_new(
        parts, json_pack("{s:{s:s,s:s}}", "inline_data", "mime_type", mime, "data", b64.data));
    if (prompt)
        json_array_append_new(parts, json_pack("{s:s}", "text", prompt));
    json_t *body = json_pack("{s:[{s:s,s:o}]}", "contents", "role", "user", "parts", parts);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    json_decref(params);
    buf_free(&b64);

    char *url = xasprintf("%s/models/%s:generateContent", g->base, m->path);
    char *keyh = xasprintf("x-goog-api-key: %s", key);
    const char *headers[] = {keyh, "Content-Type: application/json", NULL};
    struct http_call hc = {
        .method = "POST",
        .url = url,
        .headers = headers,
        .body = text,
        .body_len = strlen(text),
        .timeout_ms = g->t.timeout_ms,
    };
    c->http = curl_ev_start(g->env.curl, &hc, on_done, c);
    for (volatile char *p = keyh; *p; p++)
        *p = 0; /* the key does not linger in freed memory */
    free(keyh);
    free(url);
    free(text);
    if (!c->http)
        call_fail(c, 1, "the HTTP client could not start a request");
}

static int gemini_invoke(void *self, const struct platform_call *pc)
{
    struct gemini *g = self;
    if (!pc->model || !pc->input.value)
        return -EINVAL;
    struct call *c = xcalloc(1, sizeof *c);
    c->g = g;
    c->pc = *pc;
    c->input = xstrdup(pc->input.value);
    c->pc.input.value = c->input;
    c->next = g->calls;
    g->calls = c;
    /* Everything, failures included, reaches the runner from the loop. */
    c->timer = ev_timer_in(g->env.ev, 0, on_start, c);
    return 0;
}

static void gemini_cancel(void *self, int64_t inv_id)
{
    struct gemini *g = self;
    for (struct call *c = g->calls; c; c = c->next) {
        if (c->pc.inv_id == inv_id) {
            call_unlink(c);
            call_destroy(c);
            return;
        }
    }
}

static void gemini_free(void *self)
{
    struct gemini *g = self;
    if (!g)
        return;
    while (g->calls) {
        struct call *c = g->calls;
        g->calls = c->next;
        call_destroy(c);
    }
    free(g->base);
    free(g);
}

static int gemini_available(void *self, char *why, size_t whylen)
{
    struct gemini *g = self;
    return platform_has_key(&g->env, "gemini", "Gemini", why, whylen);
}

static const struct platform_ops gemini_ops = {
    .name = "gemini",
    .available = gemini_available,
    .invoke = gemini_invoke,
    .cancel = gemini_cancel,
    .free = gemini_free,
};

struct platform gemini_platform_new_tuned(const struct platform_env *env,
                                          const struct gemini_tuning *t)
{
    struct gemini *g = xcalloc(1, sizeof *g);
    g->env = *env;
    g->t = *t;
    g->base = xstrndup(t->base_url, url_base_len(t->base_url));
    g->t.base_url = g->base;
    return (struct platform){.ops = &gemini_ops, .self = g};
}

struct platform gemini_platform_new(const struct platform_env *env)
{
    struct gemini_tuning t;
    gemini_tuning_default(&t);
    return gemini_platform_new_tuned(env, &t);
}
