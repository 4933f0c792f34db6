/* openai.c: the openai platform (see openai.h for the shapes, params and outcomes). Each call is
 * a small state machine on the loop: build the request from the model's params and the input
 * (reading image or audio inputs from the media store), start it on curl_ev, and on the answer
 * either finish (outputs into the media store first), resend once with the fallback prompt after
 * a content-policy refusal, fetch an image URL when a server answered with one, or wait out a
 * Retry-After on an ev timer before reporting. Every answer reaches the runner from the loop.
 *
 * The API key is copied into one request header and wiped after curl_ev_start copied it. It is
 * never logged, and any error text from a server is scrubbed of it before it goes anywhere.
 * Depends on curl_ev, ev, the media store, jansson, common/lib/crypto (base64) and log; never on
 * sqlite or the HTTP server. */
#include "openai.h"
#include "common/buf.h"
#include "common/ev.h"
#include "common/file.h"
#include "common/httpdate.h"
#include "common/lib/crypto.h"
#include "common/log.h"
#include "common/util.h"
#include "coordinator/platforms/curl_ev.h"
#include "coordinator/store/media.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_IMAGE_INPUT ((size_t)20 << 20) /* OpenAI's vision limit per image */
#define MAX_AUDIO_INPUT ((size_t)25 << 20) /* OpenAI's transcription upload limit */
#define MAX_JSON_ANSWER ((size_t)4 << 20)
#define MAX_MEDIA_ANSWER ((size_t)64 << 20)
#define SPEECH_INPUT_MAX 4096 /* bytes; the API allows 4096 characters */
#define IMAGE_PROMPT_MAX 4000 /* bytes; dall-e-3's limit, the smallest of the current models */

enum shape { SHAPE_NONE, SHAPE_CHAT, SHAPE_VISION, SHAPE_IMAGE, SHAPE_SPEECH, SHAPE_TRANSCRIBE };

struct oa_call {
    struct openai *o;
    struct platform_call call;
    char *input; /* owned copy of call.input.value */
    enum shape shape;
    int fallback;    /* the fallback prompt replaced the input after a refusal */
    int downloading; /* fetching an image URL the server answered with */
    uint64_t http;   /* curl_ev call in flight, 0 if none */
    uint64_t timer;  /* deferred answer, 0 if none */
    char err[PANIC_ERR_LEN];
    int retryable;
    struct oa_call *next;
};

struct openai {
    struct platform_env env;
    char server[OPENAI_SERVER_NAME_MAX]; /* "" for OpenAI itself */
    struct oa_call *calls;
};

/* ---- pure helpers ---- */

static enum shape shape_of(const struct model_info *m)
{
    if (m->input == MEDIA_TEXT && m->output == MEDIA_TEXT)
        return SHAPE_CHAT;
    if (m->input == MEDIA_IMAGE && m->output == MEDIA_TEXT)
        return SHAPE_VISION;
    if (m->input == MEDIA_TEXT && m->output == MEDIA_IMAGE)
        return SHAPE_IMAGE;
    if (m->input == MEDIA_TEXT && m->output == MEDIA_AUDIO)
        return SHAPE_SPEECH;
    if (m->input == MEDIA_AUDIO && m->output == MEDIA_TEXT)
        return SHAPE_TRANSCRIBE;
    return SHAPE_NONE;
}

static const char *endpoint_of(enum shape s)
{
    switch (s) {
    case SHAPE_CHAT:
    case SHAPE_VISION:
        return "/chat/completions";
    case SHAPE_IMAGE:
        return "/images/generations";
    case SHAPE_SPEECH:
        return "/audio/speech";
    case SHAPE_TRANSCRIBE:
        return "/audio/transcriptions";
    case SHAPE_NONE:
        break;
    }
    return "";
}

/* Seconds for the whole call when the params say nothing: image generation and cold models on a
 * LAN box take a while; chat is quick. */
static long default_timeout_s(enum shape s)
{
    switch (s) {
    case SHAPE_IMAGE:
        return 180;
    case SHAPE_TRANSCRIBE:
        return 120;
    case SHAPE_VISION:
    case SHAPE_SPEECH:
        return 90;
    default:
        return 60;
    }
}

static int contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; hay && *hay; hay++)
        if (!strncasecmp(hay, needle, n))
            return 1;
    return 0;
}

int openai_is_policy_refusal(const char *code, const char *type, const char *message)
{
    static const char *const codes[] = {"content_policy_violation", "moderation_blocked",
                                        "content_filter", "image_generation_user_error"};
    for (size_t i = 0; i < ARRAY_LEN(codes); i++)
        if ((code && !strcmp(code, codes[i])) || (type && !strcmp(type, codes[i])))
            return 1;
    /* What OpenAI says, and the original's detect_nsfw phrases for other servers. */
    static const char *const phrases[] = {
        "safety system",        "content policy",        "content_policy",   "nsfw",
        "flagged as sensitive", "inappropriate content", "explicit content", "adult content"};
    for (size_t i = 0; i < ARRAY_LEN(phrases); i++)
        if (contains_ci(message, phrases[i]))
            return 1;
    return 0;
}

const char *openai_sniff_ext(const void *data, size_t len)
{
    const unsigned char *b = data;
    if (len >= 8 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8))
        return "png";
    if (len >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff)
        return "jpg";
    if (len >= 12 && !memcmp(b, "RIFF", 4) && !memcmp(b + 8, "WEBP", 4))
        return "webp";
    if (len >= 12 && !memcmp(b, "RIFF", 4) && !memcmp(b + 8, "WAVE", 4))
        return "wav";
    if (len >= 4 && !memcmp(b, "OggS", 4))
        return "ogg";
    if ((len >= 3 && !memcmp(b, "ID3", 3)) || (len >= 2 && b[0] == 0xff && (b[1] & 0xe0) == 0xe0))
        return "mp3";
    return NULL;
}

/* Copy at most max bytes of s, never cutting a UTF-8 sequence. Owned. */
static char *utf8_cut(const char *s, size_t max)
{
    size_t len = strlen(s);
    if (len > max) {
        len = max;
        while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
            len--;
    }
    return xstrndup(s, len);
}

/* Trim white space at both ends, in place. */
static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* Overwrite every occurrence of secret in s (a server may echo the key in its error text). */
static void scrub(char *s, const char *secret)
{
    size_t n = secret ? strlen(secret) : 0;
    if (n < 4)
        return;
    for (char *p = strstr(s, secret); p; p = strstr(p, secret)) {
        static const char mark[] = "[redacted]";
        size_t m = MIN(n, sizeof mark - 1);
        memcpy(p, mark, m);
        memmove(p + m, p + n, strlen(p + n) + 1);
        p += m;
    }
}

static void wipe(char *s)
{
    if (!s)
        return;
    volatile char *v = s;
    while (*v)
        *v++ = '\0';
}

/* ---- call bookkeeping ---- */

static void unlink_call(struct openai *o, struct oa_call *k)
{
    for (struct oa_call **pp = &o->calls; *pp; pp = &(*pp)->next) {
        if (*pp == k) {
            *pp = k->next;
            return;
        }
    }
}

static void call_free(struct openai *o, struct oa_call *k)
{
    curl_ev_cancel(o->env.curl, k->http);
    ev_timer_del(o->env.ev, k->timer);
    free(k->input);
    free(k);
}

static const char *key_for(struct openai *o, const struct model_info *m)
{
    if (!o->env.key)
        return NULL;
    const char *key = o->env.key(o->env.owner, m->platform);
    return key && *key ? key : NULL;
}

/* Report and forget the call. Runs from the loop only. */
static void finish(struct oa_call *k, const struct runner_io *out, const char *err, int retryable)
{
    struct openai *o = k->o;
    unlink_call(o, k);
    char msg[PANIC_ERR_LEN];
    if (err) {
        snprintf(msg, sizeof msg, "%s: %s", k->call.model->id, err);
        scrub(msg, key_for(o, k->call.model));
    }
    log_debug("openai done model=%s invocation=%lld ok=%d retryable=%d", k->call.model->id,
              (long long)k->call.inv_id, err == NULL, err ? retryable : 0);
    o->env.done(o->env.owner, &k->call, err ? NULL : out, err ? msg : NULL, err ? retryable : 0);
    call_free(o, k);
}

static void on_deferred(struct ev *ev, uint64_t id, void *data)
{
    (void)ev;
    (void)id;
    struct oa_call *k = data;
    k->timer = 0;
    finish(k, NULL, k->err, k->retryable);
}

/* Fail later, from the loop (after delay_ms). */
static void fail_later(struct oa_call *k, int64_t delay_ms, int retryable, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void fail_later(struct oa_call *k, int64_t delay_ms, int retryable, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(k->err, sizeof k->err, fmt, ap);
    va_end(ap);
    k->retryable = retryable;
    k->timer = ev_timer_in(k->o->env.ev, delay_ms, on_deferred, k);
}

/* ---- requests ---- */

static void on_http_done(void *user, const struct http_result *r);

/* The model's params as a JSON object (new reference), or NULL if they are not one. */
static json_t *model_params(const struct model_info *m)
{
    json_t *p = json_loads(m->params_json && *m->params_json ? m->params_json : "{}", 0, NULL);
    if (!json_is_object(p)) {
        json_decref(p);
        return NULL;
    }
    return p;
}

/* Take a string member out of params: an owned copy, or NULL. */
static char *take_string(json_t *params, const char *name)
{
    const char *s = json_string_value(json_object_get(params, name));
    char *copy = s ? xstrdup(s) : NULL;
    json_object_del(params, name);
    return copy;
}

static void set_default(json_t *obj, const char *name, json_t *value)
{
    if (!json_object_get(obj, name))
        json_object_set_new(obj, name, value);
    else
        json_decref(value);
}

struct request {
    json_t *body;    /* JSON requests */
    struct buf file; /* transcription upload */
    const char *file_ext;
    char *fields[24]; /* multipart name/value pairs, owned, NULL-terminated */
    long timeout_ms;
};

/* Build the request of k into rq. 0, or -1 with a readable reason in err (not retryable). */
static int build(struct oa_call *k, struct request *rq, char *err, size_t errlen)
{
    struct openai *o = k->o;
    const struct model_info *m = k->call.model;
    const char *model = m->path ? m->path : m->id;
    const char *text = k->fallback ? OPENAI_FALLBACK_PROMPT : k->input;
    json_t *params = model_params(m);
    if (!params) {
        snprintf(err, errlen, "the model's params are not a JSON object");
        return -1;
    }
    char *system = take_string(params, "system");
    char *prompt = take_string(params, "prompt");
    char *detail = take_string(params, "detail");
    json_int_t timeout_s = json_integer_value(json_object_get(params, "timeout_s"));
    json_object_del(params, "timeout_s");
    rq->timeout_ms = (timeout_s > 0 ? (long)timeout_s : default_timeout_s(k->shape)) * 1000L;
    int rc = 0;

    if (k->shape == SHAPE_CHAT || k->shape == SHAPE_VISION) {
        json_t *msgs = json_array();
        if (system)
            json_array_append_new(msgs,
                                  json_pack("{s:s, s:s}", "role", "system", "content", system));
        if (k->shape == SHAPE_CHAT) {
            json_array_append_new(msgs, json_pack("{s:s, s:s}", "role", "user", "content", text));
        } else {
            char path[4096], why[128];
            struct buf img = BUF_INIT, url = BUF_INIT;
            const char *type = media_content_type(k->input);
            if (media_path(o->env.media, k->input, path, sizeof path) < 0 || !type ||
                strncmp(type, "image/", 6) != 0) {
                snprintf(err, errlen, "the input image %.16s... is not in the media store",
                         k->input);
                rc = -1;
            } else if (file_read(path, MAX_IMAGE_INPUT, 0, &img, why, sizeof why) < 0) {
                snprintf(err, errlen, "could not read the input image: %s", why);
                rc = -1;
            } else {
                buf_printf(&url, "data:%s;base64,", type);
                crypto_base64_encode(img.data, img.len, &url);
                json_t *content =
                    json_pack("[{s:s, s:s}, {s:s, s:{s:s, s:s}}]", "type", "text", "text",
                              prompt ? prompt : OPENAI_CAPTION_PROMPT, "type", "image_url",
                              "image_url", "url", url.data, "detail", detail ? detail : "low");
                json_array_append_new(msgs,
                                      json_pack("{s:s, s:o}", "role", "user", "content", content));
            }
            buf_free(&img);
            buf_free(&url);
        }
        json_object_set_new(params, "messages", msgs);
    } else if (k->shape == SHAPE_IMAGE) {
        char *cut = utf8_cut(text, IMAGE_PROMPT_MAX);
        json_object_set_new(params, "prompt", json_string(cut));
        free(cut);
        set_default(params, "n", json_integer(1));
    } else if (k->shape == SHAPE_SPEECH) {
        char *cut = utf8_cut(text, SPEECH_INPUT_MAX);
        json_object_set_new(params, "input", json_string(cut));
        free(cut);
        set_default(params, "voice", json_string("alloy"));
        set_default(params, "response_format", json_string("wav"));
    } else if (k->shape == SHAPE_TRANSCRIBE) {
        char path[4096], why[128];
        const char *type = media_content_type(k->input);
        if (media_path(o->env.media, k->input, path, sizeof path) < 0 || !type ||
            strncmp(type, "audio/", 6) != 0) {
            snprintf(err, errlen, "the input audio %.16s... is not in the media store", k->input);
            rc = -1;
        } else if (file_read(path, MAX_AUDIO_INPUT, 0, &rq->file, why, sizeof why) < 0) {
            snprintf(err, errlen, "could not read the input audio: %s", why);
            rc = -1;
        } else {
            rq->file_ext = strrchr(k->input, '.') + 1; /* media_path checked the name */
        }
        /* Multipart fields: the model, then every string or number param (a few). */
        size_t nf = 0;
        rq->fields[nf++] = xstrdup("model");
        rq->fields[nf++] = xstrdup(model);
        if (prompt) { /* a transcription prompt is a hint about the words, not a caption */
            rq->fields[nf++] = xstrdup("prompt");
            rq->fields[nf++] = xstrdup(prompt);
        }
        set_default(params, "response_format", json_string("json"));
        const char *name;
        json_t *v;
        json_object_foreach(params, name, v)
        {
            if (nf + 2 >= ARRAY_LEN(rq->fields))
                break;
            char *val = json_is_string(v)   ? xstrdup(json_string_value(v))
                        : json_is_number(v) ? xasprintf("%g", json_number_value(v))
                                            : NULL;
            if (!val || !strcmp(name, "model")) {
                free(val);
                continue;
            }
            rq->fields[nf++] = xstrdup(name);
            rq->fields[nf++] = val;
        }
        json_decref(params);
        params = NULL;
    }
    if (params) {
        json_object_set_new(params, "model", json_string(model));
        rq->body = params;
    }
    free(system);
    free(prompt);
    free(detail);
    return rc;
}

static void request_free(struct request *rq)
{
    json_decref(rq->body);
    buf_free(&rq->file);
    for (size_t i = 0; i < ARRAY_LEN(rq->fields); i++)
        free(rq->fields[i]);
}

static const char *base_url(const struct model_info *m)
{
    return m->base_url && *m->base_url ? m->base_url : OPENAI_DEFAULT_BASE_URL;
}

/* Build and start k's request. On failure k gets a deferred, non-retryable answer. */
static void send_request(struct oa_call *k)
{
    struct openai *o = k->o;
    const struct model_info *m = k->call.model;
    struct request rq = {0};
    char err[PANIC_ERR_LEN];
    if (build(k, &rq, err, sizeof err) < 0) {
        fail_later(k, 0, 0, "%s", err);
        request_free(&rq);
        return;
    }
    const char *base = base_url(m);
    char *url = xasprintf("%.*s%s", (int)url_base_len(base), base, endpoint_of(k->shape));
    const char *key = key_for(o, m);
    char *auth = key ? xasprintf("Authorization: Bearer %s", key) : NULL;
    const char *headers[3] = {NULL, NULL, NULL};
    size_t nh = 0;
    if (auth)
        headers[nh++] = auth;
    char *body = NULL;
    struct http_call call = {.method = "POST", .url = url, .headers = headers};
    call.timeout_ms = rq.timeout_ms;
    call.max_body =
        (k->shape == SHAPE_IMAGE || k->shape == SHAPE_SPEECH) ? MAX_MEDIA_ANSWER : MAX_JSON_ANSWER;
    char filename[32];
    if (rq.body) {
        headers[nh++] = "Content-Type: application/json";
        body = json_dumps(rq.body, JSON_COMPACT);
        call.body = body;
        call.body_len = strlen(body);
    } else {
        snprintf(filename, sizeof filename, "audio.%s", rq.file_ext);
        call.form_fields = (const char *const *)rq.fields;
        call.form_file_field = "file";
        call.form_file = rq.file.data ? rq.file.data : "";
        call.form_file_len = rq.file.len;
        call.form_file_name = filename;
        call.form_file_type = media_content_type(rq.file_ext);
    }
    log_debug("openai call model=%s invocation=%lld endpoint=%s fallback=%d", m->id,
              (long long)k->call.inv_id, endpoint_of(k->shape), k->fallback);
    k->http = curl_ev_start(o->env.curl, &call, on_http_done, k);
    wipe(auth);
    free(auth);
    free(body);
    free(url);
    request_free(&rq);
    if (!k->http)
        fail_later(k, 0, 1, "could not start the HTTP call");
}

/* ---- answers ---- */

/* Put media bytes into the store and finish with them. */
static void finish_media(struct oa_call *k, const void *data, size_t len)
{
    const char *ext = openai_sniff_ext(data, len);
    int image = k->shape == SHAPE_IMAGE;
    int fits = ext && (image ? (!strcmp(ext, "png") || !strcmp(ext, "jpg") || !strcmp(ext, "webp"))
                             : (!strcmp(ext, "wav") || !strcmp(ext, "mp3") || !strcmp(ext, "ogg")));
    if (!fits) {
        finish(k, NULL,
               image ? "the answer is not a PNG, JPEG or WebP image"
                     : "the answer is not WAV, MP3 or Ogg audio",
               1);
        return;
    }
    char name[MEDIA_NAME_MAX], err[PANIC_ERR_LEN];
    int rc = media_put(k->o->env.media, data, len, ext, name, sizeof name);
    if (rc < 0) {
        snprintf(err, sizeof err, "could not store the output: %s", strerror(-rc));
        finish(k, NULL, err, 1);
        return;
    }
    struct runner_io out = {k->call.model->output, name};
    finish(k, &out, NULL, 0);
}

static void finish_text(struct oa_call *k, const char *text)
{
    char *copy = utf8_cut(text, OPENAI_TEXT_MAX);
    char *t = trim(copy);
    if (!*t) {
        finish(k, NULL, "the model answered with empty text", 1);
    } else {
        struct runner_io out = {MEDIA_TEXT, t};
        finish(k, &out, NULL, 0);
    }
    free(copy);
}

/* The text of a chat answer (owned), or NULL; *filtered if the server withheld it. */
static char *chat_text(json_t *j, int *filtered)
{
    json_t *choice = json_array_get(json_object_get(j, "choices"), 0);
    const char *finish_reason = json_string_value(json_object_get(choice, "finish_reason"));
    *filtered = finish_reason && !strcmp(finish_reason, "content_filter");
    json_t *content = json_object_get(json_object_get(choice, "message"), "content");
    if (json_is_string(content))
        return xstrdup(json_string_value(content));
    if (json_is_array(content)) {
        struct buf b = BUF_INIT;
        size_t i;
        json_t *part;
        json_array_foreach(content, i, part)
        {
            const char *t = json_string_value(json_object_get(part, "text"));
            if (t)
                buf_puts(&b, t);
        }
        return buf_steal(&b);
    }
    const char *t = json_string_value(json_object_get(choice, "text"));
    if (t)
        return xstrdup(t);
    return choice ? xstrdup("") : NULL;
}

static void start_download(struct oa_call *k, const char *url)
{
    /* No Authorization here: the URL is usually on another host (signed storage). */
    struct http_call call = {.method = "GET", .url = url, .max_body = MAX_MEDIA_ANSWER};
    call.timeout_ms = 60000;
    k->downloading = 1;
    k->http = curl_ev_start(k->o->env.curl, &call, on_http_done, k);
    if (!k->http)
        fail_later(k, 0, 1, "could not start the image download");
}

static void on_success(struct oa_call *k, const struct http_result *r)
{
    if (k->shape == SHAPE_SPEECH) {
        if (!r->len)
            finish(k, NULL, "the server answered with no audio", 1);
        else
            finish_media(k, r->body, r->len);
        return;
    }
    json_error_t jerr;
    json_t *j = json_loadb(r->body, r->len, 0, &jerr);
    if (!j && k->shape == SHAPE_TRANSCRIBE && r->content_type &&
        !strncmp(r->content_type, "text/plain", 10) && utf8_valid(r->body, r->len)) {
        finish_text(k, r->body); /* a server that answers response_format=text */
        return;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        finish(k, NULL, "the server's answer is not the JSON it should be", 1);
        return;
    }
    if (k->shape == SHAPE_CHAT || k->shape == SHAPE_VISION) {
        int filtered = 0;
        char *text = chat_text(j, &filtered);
        if (!text) {
            finish(k, NULL, "the answer has no choices", 1);
        } else if (filtered && !*trim(text) && k->shape == SHAPE_CHAT && !k->fallback) {
            log_info("openai content filter, retrying with the fallback prompt model=%s "
                     "invocation=%lld",
                     k->call.model->id, (long long)k->call.inv_id);
            k->fallback = 1;
            send_request(k);
        } else if (filtered && !*trim(text)) {
            finish(k, NULL, "the answer was withheld by the content filter", 0);
        } else {
            finish_text(k, text);
        }
        free(text);
    } else if (k->shape == SHAPE_TRANSCRIBE) {
        const char *text = json_string_value(json_object_get(j, "text"));
        if (!text)
            finish(k, NULL, "the answer has no text", 1);
        else if (!*text)
            finish(k, NULL, "no speech was recognised in the audio", 0);
        else
            finish_text(k, text);
    } else {
        json_t *d0 = json_array_get(json_object_get(j, "data"), 0);
        const char *b64 = json_string_value(json_object_get(d0, "b64_json"));
        const char *url = json_string_value(json_object_get(d0, "url"));
        struct buf img = BUF_INIT;
        if (b64) {
            if (crypto_base64_decode(b64, strlen(b64), &img) < 0 || !img.len)
                finish(k, NULL, "the image in the answer is not valid base64", 1);
            else
                finish_media(k, img.data, img.len);
        } else if (url && (!strncmp(url, "https://", 8) || !strncmp(url, "http://", 7))) {
            start_download(k, url);
        } else {
            finish(k, NULL, "the answer holds no image", 1);
        }
        buf_free(&img);
    }
    json_decref(j);
}

static void on_download(struct oa_call *k, const struct http_result *r)
{
    char err[PANIC_ERR_LEN];
    int broken = r->outcome != HTTP_OK;
    if (broken || r->status / 100 != 2) {
        if (broken)
            snprintf(err, sizeof err, "could not download the image: %s", r->error);
        else
            snprintf(err, sizeof err, "could not download the image: HTTP %ld", r->status);
        finish(k, NULL, err, broken || r->status >= 500 || r->status == 429);
        return;
    }
    finish_media(k, r->body, r->len);
}

static void on_failure(struct oa_call *k, const struct http_result *r)
{
    char err[PANIC_ERR_LEN], msg[160] = "";
    const char *code = NULL, *type = NULL;
    json_t *j = json_loadb(r->body, r->len, 0, NULL);
    json_t *e = json_object_get(j, "error");
    if (json_is_object(e)) {
        code = json_string_value(json_object_get(e, "code"));
        type = json_string_value(json_object_get(e, "type"));
        const char *m = json_string_value(json_object_get(e, "message"));
        snprintf(msg, sizeof msg, "%s", m ? m : "");
    } else if (json_is_string(e)) {
        snprintf(msg, sizeof msg, "%s", json_string_value(e));
    } else if (utf8_valid(r->body, r->len)) {
        snprintf(msg, sizeof msg, "%.*s", (int)MIN(r->len, 120), r->body); /* a local server */
    }
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    long st = r->status;
    if ((code && !strcmp(code, "insufficient_quota")) ||
        (type && !strcmp(type, "insufficient_quota"))) {
        finish(k, NULL, "the OpenAI account has no credit left (insufficient_quota)", 0);
    } else if ((st == 400 || st == 403 || st == 422) && openai_is_policy_refusal(code, type, msg)) {
        if (!k->fallback && k->shape != SHAPE_VISION && k->shape != SHAPE_TRANSCRIBE) {
            log_info("openai content policy refusal, retrying with the fallback prompt model=%s "
                     "invocation=%lld",
                     k->call.model->id, (long long)k->call.inv_id);
            k->fallback = 1;
            send_request(k);
        } else {
            snprintf(err, sizeof err, "refused by the content policy%s: %s",
                     k->fallback ? ", even with the fallback prompt" : "", msg);
            finish(k, NULL, err, 0);
        }
    } else if (st == 429) {
        int64_t wait = http_retry_after_ms(r->retry_after, time_wall_ms());
        if (wait > 0) {
            wait = MIN(wait, OPENAI_RETRY_AFTER_CAP_MS);
            log_info("openai rate limited model=%s invocation=%lld wait_ms=%lld", k->call.model->id,
                     (long long)k->call.inv_id, (long long)wait);
            fail_later(k, wait, 1, "rate limited (429), waited %.1f s as asked: %s",
                       (double)wait / 1000.0, msg);
        } else {
            snprintf(err, sizeof err, "rate limited (429): %s", msg);
            finish(k, NULL, err, 1);
        }
    } else if (st == 401) {
        snprintf(err, sizeof err, "the API key was refused (401): %s", msg);
        finish(k, NULL, err, 0);
    } else if (st >= 500 || st == 408 || st == 409) {
        snprintf(err, sizeof err, "server error %ld: %s", st, msg);
        finish(k, NULL, err, 1);
    } else {
        snprintf(err, sizeof err, "request refused (%ld): %s", st, msg);
        finish(k, NULL, err, 0);
    }
    json_decref(j);
}

static void on_http_done(void *user, const struct http_result *r)
{
    struct oa_call *k = user;
    k->http = 0;
    log_debug("openai answer model=%s invocation=%lld status=%ld outcome=\"%s\" ms=%ld download=%d",
              k->call.model->id, (long long)k->call.inv_id, r->status,
              http_outcome_name(r->outcome), r->elapsed_ms, k->downloading);
    if (k->downloading) {
        on_download(k, r);
        return;
    }
    char err[PANIC_ERR_LEN];
    if (r->outcome == HTTP_TIMED_OUT) {
        snprintf(err, sizeof err, "no answer within %ld s", (r->elapsed_ms + 500) / 1000);
        finish(k, NULL, err, 1);
    } else if (r->outcome == HTTP_TOO_LARGE) {
        finish(k, NULL, "the answer is too large", 0);
    } else if (r->outcome != HTTP_OK) {
        snprintf(err, sizeof err, "could not reach the server: %s", r->error ? r->error : "?");
        finish(k, NULL, err, 1);
    } else if (r->status / 100 == 2) {
        on_success(k, r);
    } else {
        on_failure(k, r);
    }
}

/* ---- ops ---- */

static int openai_available(void *self, char *why, size_t whylen)
{
    struct openai *o = self;
    if (o->server[0])
        return 1; /* a LAN server may need no key; its models say so when called */
    return platform_has_key(&o->env, "openai", "OpenAI", why, whylen);
}

int openai_model_available(void *self, const struct model_info *m, char *why, size_t whylen)
{
    if (shape_of(m) == SHAPE_NONE) {
        snprintf(why, whylen, "the openai platform has no %s to %s endpoint",
                 media_type_name(m->input), media_type_name(m->output));
        return 0;
    }
    if (strcmp(m->platform, "openai") != 0)
        return 1; /* a configured server: the key is optional */
    struct openai *o = self;
    const char *key = o->env.key ? o->env.key(o->env.owner, "openai") : NULL;
    if (key && *key)
        return 1;
    snprintf(why, whylen, "no OpenAI API key is set");
    return 0;
}

static int openai_invoke(void *self, const struct platform_call *call)
{
    struct openai *o = self;
    if (!call || !call->model || !call->input.value)
        return -EINVAL;
    enum shape shape = shape_of(call->model);
    if (shape == SHAPE_NONE)
        return -ENOTSUP;
    struct oa_call *k = xcalloc(1, sizeof *k);
    k->o = o;
    k->call = *call;
    k->input = xstrdup(call->input.value);
    k->call.input.value = k->input;
    k->shape = shape;
    k->next = o->calls;
    o->calls = k;
    char why[PANIC_ERR_LEN];
    if (!openai_model_available(o, call->model, why, sizeof why))
        fail_later(k, 0, 0, "%s", why);
    else
        send_request(k);
    return 0;
}

static void openai_cancel(void *self, int64_t inv_id)
{
    struct openai *o = self;
    for (struct oa_call *k = o->calls; k; k = k->next) {
        if (k->call.inv_id == inv_id) {
            unlink_call(o, k);
            call_free(o, k);
            return;
        }
    }
}

static void openai_free(void *self)
{
    struct openai *o = self;
    if (!o)
        return;
    while (o->calls) {
        struct oa_call *k = o->calls;
        o->calls = k->next;
        call_free(o, k);
    }
    free(o);
}

static const struct platform_ops openai_ops = {
    .name = "openai",
    .available = openai_available,
    .model_available = openai_model_available,
    .invoke = openai_invoke,
    .cancel = openai_cancel,
    .free = openai_free,
};

struct platform openai_platform_new_server(const struct platform_env *env, const char *server)
{
    struct openai *o = xcalloc(1, sizeof *o);
    o->env = *env;
    if (server)
        snprintf(o->server, sizeof o->server, "%s", server);
    return (struct platform){.ops = &openai_ops, .self = o};
}

struct platform openai_platform_new(const struct platform_env *env)
{
    return openai_platform_new_server(env, NULL);
}
