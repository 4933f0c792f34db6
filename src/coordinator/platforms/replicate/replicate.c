/* replicate.c: the `replicate` platform. One job per invocation walks: [version lookup] ->
 * [upload of a large input file] -> create (Prefer: wait) -> poll with a growing interval ->
 * download of the output into the media store -> done. Every step is one curl_ev call or one ev
 * timer, so nothing blocks panicd's loop, and the runner hears the answer from the loop only.
 *
 * Money rule: a create is never sent twice blindly. A create that failed ambiguously (5xx, 409,
 * a timeout or a broken connection after sending, an unreadable 2xx) may have made a billed
 * prediction, so the job lists the account's recent predictions and adopts the one with the same
 * model and input; if none is found the invocation fails with retryable=0, so the runner does
 * not re-create it either. A create is repeated only after a 429 (refused, nothing made) and the
 * runner retries (retryable=1) only definite failures: nothing sent, a prediction that ended
 * (failed, canceled, timed out and canceled by us), or an output that could not be fetched.
 *
 * Inputs: text as is; an image or audio file inline as a data: URL up to data_url_max (256 KiB,
 * the size the API spec recommends data: URLs for), else uploaded with POST /files first and
 * passed by its URL. Outputs are downloaded at once (Replicate deletes them after an hour); the
 * key goes only to the API's origin and replicate.delivery, never to other hosts.
 *
 * Depends on curl_ev, ev, the media store, jansson and common/lib/crypto (base64); never on
 * sqlite, HTTP serving or the runner's state. Keys come from env->key per request and are never
 * logged. */
#include "replicate.h"
#include "common/buf.h"
#include "common/ev.h"
#include "common/file.h"
#include "common/httpdate.h"
#include "common/lib/crypto.h"
#include "common/log.h"
#include "common/util.h"
#include "coordinator/platforms/curl_ev.h"
#include "coordinator/store/media.h"
#include "nsfw.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VERSION_TTL_MS (60LL * 60 * 1000)
#define VERSION_CACHE_MAX 32
#define SEEN_MAX 64
#define TEXT_MAX (16 * 1024)
#define RECONCILE_TRIES 3
#define RECONCILE_WINDOW_MS (5LL * 60 * 1000) /* allowance for our clock against Replicate's */

enum step {
    STEP_START,
    STEP_VERSION,
    STEP_UPLOAD,
    STEP_CREATE,
    STEP_RECONCILE,
    STEP_POLL,
    STEP_DOWNLOAD,
};

struct job {
    struct replicate *r;
    struct job *next;
    struct platform_call call;
    char *input;        /* owned copy of call.input.value */
    const char *text;   /* the text sent: input, or the fallback prompt */
    int fallback;       /* NSFW_FALLBACK_PROMPT is in use */
    json_t *params;     /* the parsed params_json (owned) */
    json_t *spec;       /* params or its "_if_text" (borrowed from params) */
    char *path;         /* "owner/name" */
    char *version;      /* NULL: the official-model endpoint */
    int latest;         /* the version is looked up */
    const char *media;  /* the stored file sent as the input, or NULL for text */
    char *media_value;  /* its data: URL or uploaded file URL */
    json_t *sent_input; /* the create's "input" object, for reconciling */
    char *pred_id;
    char *url; /* output file being downloaded */
    enum step step;
    int terminal; /* the prediction has ended: nothing to cancel */
    uint64_t http;
    uint64_t timer;
    void (*due)(struct job *j); /* the step the timer starts when it fires */
    int64_t deadline;           /* monotonic ms */
    int64_t create_wall;        /* wall ms the create was first sent */
    int64_t poll_interval;
    int throttled, errors;
    int orphan; /* cancelled while the create's fate was open: cancel what it made, say nothing */
    char status[16]; /* the prediction's last status */
    char ambiguous[PANIC_ERR_LEN];
};

struct replicate {
    struct platform_env env;
    struct replicate_tuning t;
    char *base;   /* without a trailing slash */
    char *origin; /* scheme://host[:port] of base */
    struct job *jobs;
    struct {
        char *path;
        char *version;
        int64_t at;
    } versions[VERSION_CACHE_MAX];
    char *seen[SEEN_MAX]; /* prediction ids this process made or adopted: never adopted again */
    size_t seen_next;
};

static void job_next(struct job *j);
static void start_create(struct job *j);
static void start_poll(struct job *j);
static void start_download(struct job *j);
static void start_reconcile(struct job *j);

void replicate_tuning_default(struct replicate_tuning *t)
{
    *t = (struct replicate_tuning){
        .base_url = "https://api.replicate.com/v1",
        .wait_s = 10,
        .poll_ms = 1000,
        .poll_max_ms = 5000,
        .deadline_ms = 10 * 60 * 1000,
        .backoff_ms = 1000,
        .backoff_max_ms = 60 * 1000,
        .http_timeout_ms = 30 * 1000,
        .download_timeout_ms = 120 * 1000,
        .data_url_max = 256 * 1024,
        .max_throttled = 10,
        .max_errors = 5,
    };
}

/* ---- small helpers ---- */

static int64_t backoff(const struct replicate *r, int n)
{
    int64_t d = r->t.backoff_ms;
    for (int i = 1; i < n && d < r->t.backoff_max_ms; i++)
        d *= 2;
    return MIN(d, r->t.backoff_max_ms);
}

/* Retry-After (common/httpdate), else Replicate's "~Ns" in the detail; ms or -1. */
static int64_t retry_after_ms(const struct http_result *res, const char *detail)
{
    int64_t ms = http_retry_after_ms(res->retry_after, time_wall_ms());
    if (ms >= 0)
        return ms;
    const char *t = detail ? strchr(detail, '~') : NULL;
    if (t) {
        char *end;
        long s = strtol(t + 1, &end, 10);
        if (end > t + 1 && *end == 's' && s >= 0)
            return (int64_t)s * 1000;
    }
    return -1;
}

/* The JSON object in an answer body, or NULL (owned). */
static json_t *parse_object(const struct http_result *res)
{
    if (!res->body || !res->len)
        return NULL;
    json_t *j = json_loadb(res->body, res->len, 0, NULL);
    if (j && !json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* A readable reason from an error answer: RFC 7807 detail, then title, then the body itself. */
static void problem_text(const struct http_result *res, char *out, size_t outlen)
{
    json_t *o = parse_object(res);
    const char *s = NULL;
    if (o) {
        s = json_string_value(json_object_get(o, "detail"));
        if (!s)
            s = json_string_value(json_object_get(o, "title"));
    }
    if (s) {
        snprintf(out, outlen, "%s", s);
    } else if (res->status == 0) {
        snprintf(out, outlen, "%s", res->error ? res->error : "no answer");
    } else if (res->body && res->len && utf8_valid(res->body, res->len)) {
        snprintf(out, outlen, "%.*s", (int)MIN(res->len, 160), res->body);
        for (char *p = out; *p; p++)
            if (*p == '\n' || *p == '\r' || *p == '"')
                *p = ' ';
    } else {
        snprintf(out, outlen, "no details");
    }
    json_decref(o);
}

static int has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static char *origin_of(const char *url)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t n = strcspn(p, "/?#");
    return xstrndup(url, (size_t)(p - url) + n);
}

static int host_is_delivery(const char *url)
{
    if (!has_prefix(url, "https://"))
        return 0;
    const char *h = url + 8;
    size_t n = strcspn(h, "/?#:");
    static const char dom[] = "replicate.delivery";
    size_t dl = sizeof dom - 1;
    if (n == dl)
        return strncmp(h, dom, dl) == 0;
    return n > dl && h[n - dl - 1] == '.' && strncmp(h + n - dl, dom, dl) == 0;
}

/* The media extension of some output bytes: magic first (Replicate may send webp for png), then
 * the Content-Type, then the URL's path. NULL if none is one the store knows. */
static const char *sniff_ext(const unsigned char *d, size_t n)
{
    if (n >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0)
        return "png";
    if (n >= 3 && d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff)
        return "jpg";
    if (n >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0)
        return "webp";
    if (n >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WAVE", 4) == 0)
        return "wav";
    if (n >= 4 && memcmp(d, "OggS", 4) == 0)
        return "ogg";
    if (n >= 3 && memcmp(d, "ID3", 3) == 0)
        return "mp3";
    if (n >= 2 && d[0] == 0xff && (d[1] & 0xe0) == 0xe0)
        return "mp3";
    return NULL;
}

static const char *type_ext(const char *ctype)
{
    static const struct {
        const char *type, *ext;
    } map[] = {
        {"image/png", "png"},   {"image/jpeg", "jpg"},     {"image/jpg", "jpg"},
        {"image/webp", "webp"}, {"audio/wav", "wav"},      {"audio/x-wav", "wav"},
        {"audio/wave", "wav"},  {"audio/vnd.wave", "wav"}, {"audio/mpeg", "mp3"},
        {"audio/mp3", "mp3"},   {"audio/ogg", "ogg"},      {"application/ogg", "ogg"},
    };
    if (!ctype)
        return NULL;
    size_t n = strcspn(ctype, "; ");
    for (size_t i = 0; i < ARRAY_LEN(map); i++)
        if (strlen(map[i].type) == n && strncmp(ctype, map[i].type, n) == 0)
            return map[i].ext;
    return NULL;
}

static const char *url_ext(const char *url)
{
    static const char *const exts[] = {"png", "jpg", "jpeg", "webp", "wav", "mp3", "ogg"};
    size_t end = strcspn(url, "?#");
    const char *dot = NULL;
    for (size_t i = 0; i < end; i++) {
        if (url[i] == '.')
            dot = url + i;
        else if (url[i] == '/')
            dot = NULL;
    }
    if (!dot)
        return NULL;
    size_t n = (size_t)(url + end - dot - 1);
    for (size_t i = 0; i < ARRAY_LEN(exts); i++)
        if (strlen(exts[i]) == n && strncmp(dot + 1, exts[i], n) == 0)
            return strcmp(exts[i], "jpeg") == 0 ? "jpg" : exts[i];
    return NULL;
}

static int ext_is(const char *ext, enum media_type t)
{
    const char *ct = media_content_type(ext);
    return ct && has_prefix(ct, t == MEDIA_IMAGE ? "image/" : "audio/");
}

/* ---- HTTP with the key ---- */

/* Start a request to Replicate's API (with the key) or elsewhere (auth 0). The call id, or 0
 * with a reason in why (no key; curl_ev refused). */
static uint64_t api_call(struct replicate *r, const char *method, const char *url, const char *body,
                         const char *const *extra, long timeout_ms, int auth, http_done_fn fn,
                         void *user, const struct http_call *form, char *why, size_t whylen)
{
    const char *headers[8];
    size_t nh = 0;
    char *authz = NULL;
    if (auth) {
        const char *key = r->env.key ? r->env.key(r->env.owner, "replicate") : NULL;
        if (!key || !*key) {
            snprintf(why, whylen, "no API key is set");
            return 0;
        }
        authz = xasprintf("Authorization: Bearer %s", key);
        headers[nh++] = authz;
    }
    if (body)
        headers[nh++] = "Content-Type: application/json";
    for (size_t i = 0; extra && extra[i] && nh < ARRAY_LEN(headers) - 1; i++)
        headers[nh++] = extra[i];
    headers[nh] = NULL;
    struct http_call call = {0};
    if (form)
        call = *form;
    call.method = method;
    call.url = url;
    call.headers = headers;
    call.body = body;
    call.body_len = body ? strlen(body) : 0;
    call.timeout_ms = timeout_ms;
    uint64_t id = curl_ev_start(r->env.curl, &call, fn, user);
    if (authz) {
        volatile char *p = authz; /* the key does not linger in freed memory */
        while (*p)
            *p++ = 0;
        free(authz);
    }
    if (!id)
        snprintf(why, whylen, "the HTTP client could not start a request");
    return id;
}

static void on_cancel_done(void *user, const struct http_result *res)
{
    (void)user;
    if (res->status != 200)
        log_debug("replicate: cancel answered status=%ld", res->status);
}

/* Fire and forget: the answer is only logged, and user is NULL so a freed platform is safe. */
static void cancel_prediction(struct replicate *r, const char *id)
{
    char why[128];
    char *url = xasprintf("%s/predictions/%s/cancel", r->base, id);
    if (!api_call(r, "POST", url, "", NULL, r->t.http_timeout_ms, 1, on_cancel_done, NULL, NULL,
                  why, sizeof why))
        log_warn("replicate: could not cancel prediction=%s reason=\"%s\"", id, why);
    else
        log_info("replicate: cancelling prediction=%s", id);
    free(url);
}

static void seen_add(struct replicate *r, const char *id)
{
    free(r->seen[r->seen_next]);
    r->seen[r->seen_next] = xstrdup(id);
    r->seen_next = (r->seen_next + 1) % SEEN_MAX;
}

static int seen_has(const struct replicate *r, const char *id)
{
    for (size_t i = 0; i < SEEN_MAX; i++)
        if (r->seen[i] && strcmp(r->seen[i], id) == 0)
            return 1;
    return 0;
}

/* ---- job lifetime ---- */

static void job_unlink(struct job *j)
{
    for (struct job **pp = &j->r->jobs; *pp; pp = &(*pp)->next) {
        if (*pp == j) {
            *pp = j->next;
            return;
        }
    }
}

static void job_destroy(struct job *j)
{
    struct replicate *r = j->r;
    if (j->http)
        curl_ev_cancel(r->env.curl, j->http);
    if (j->timer)
        ev_timer_del(r->env.ev, j->timer);
    json_decref(j->params);
    json_decref(j->sent_input);
    free(j->input);
    free(j->path);
    free(j->version);
    free(j->media_value);
    free(j->pred_id);
    free(j->url);
    free(j);
}

/* Tell the runner (unless the job was orphaned by a cancel) and end the job. */
static void job_finish(struct job *j, const struct runner_io *out, const char *error, int retryable)
{
    struct replicate *r = j->r;
    job_unlink(j);
    if (j->orphan) {
        if (j->pred_id && !j->terminal)
            cancel_prediction(r, j->pred_id);
    } else {
        r->env.done(r->env.owner, &j->call, out, error, retryable);
    }
    job_destroy(j);
}

static void job_fail(struct job *j, int retryable, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void job_fail(struct job *j, int retryable, const char *fmt, ...)
{
    char msg[PANIC_ERR_LEN];
    int n = snprintf(msg, sizeof msg, "Replicate: ");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    if (!j->orphan)
        log_debug("replicate: invocation failed model=%s invocation=%lld prediction=%s "
                  "retryable=%d error=\"%s\"",
                  j->call.model->id, (long long)j->call.inv_id, j->pred_id ? j->pred_id : "-",
                  retryable, msg);
    job_finish(j, NULL, msg, retryable);
}

/* A job waits on at most one timer at a time; when it fires, the step it was armed for starts. */
static void on_job_due(struct ev *ev, uint64_t id, void *data)
{
    (void)ev;
    (void)id;
    struct job *j = data;
    j->timer = 0;
    j->due(j);
}

static void job_timer(struct job *j, int64_t delay, void (*step)(struct job *j))
{
    j->due = step;
    j->timer = ev_timer_in(j->r->env.ev, delay, on_job_due, j);
}

/* ---- choosing what to send ---- */

static int names_stored_image(struct replicate *r, const char *s)
{
    char path[1024];
    const char *ct = media_name_valid(s) ? media_content_type(s) : NULL;
    return ct && has_prefix(ct, "image/") && media_path(r->env.media, s, path, sizeof path) == 0;
}

/* (Re)compute spec, path, version and media from j->text. 0, or -1 with the reason in why. */
static int job_setup(struct job *j, char *why, size_t whylen)
{
    const struct model_info *m = j->call.model;
    j->spec = j->params;
    json_t *alt = json_object_get(j->params, "_if_text");
    int media_in = m->input != MEDIA_TEXT && !j->fallback;
    if (m->input == MEDIA_TEXT && alt) {
        if (!j->fallback && names_stored_image(j->r, j->text))
            media_in = 1;
        else
            j->spec = alt;
    }
    if (!json_is_object(j->spec)) {
        snprintf(why, whylen, "the catalogue entry of %s is malformed", m->id);
        return -1;
    }
    const char *path = json_string_value(json_object_get(j->spec, "_path"));
    if (!path)
        path = m->path;
    if (!json_string_value(json_object_get(j->spec, "_input")) || !path || !strchr(path, '/')) {
        snprintf(why, whylen, "the catalogue entry of %s has no path or _input", m->id);
        return -1;
    }
    free(j->path);
    free(j->version);
    j->version = NULL;
    j->latest = 0;
    const char *colon = strchr(path, ':');
    if (colon) {
        j->path = xstrndup(path, (size_t)(colon - path));
        if (strcmp(colon + 1, "latest") == 0)
            j->latest = 1;
        else
            j->version = xstrdup(colon + 1);
    } else {
        j->path = xstrdup(path);
    }
    j->media = media_in ? j->text : NULL;
    free(j->media_value);
    j->media_value = NULL;
    return 0;
}

/* ---- outputs ---- */

static int text_of(json_t *v, const char *key, struct buf *out)
{
    static const char *const keys[] = {"text", "transcription", "output", "caption"};
    if (json_is_string(v)) {
        buf_append(out, json_string_value(v), json_string_length(v));
        return 0;
    }
    if (json_is_array(v)) {
        size_t i, n = 0;
        json_t *e;
        json_array_foreach(v, i, e)
        {
            if (json_is_string(e)) {
                buf_append(out, json_string_value(e), json_string_length(e));
                n++;
            }
        }
        return n ? 0 : -1;
    }
    if (json_is_object(v)) {
        if (key)
            return text_of(json_object_get(v, key), NULL, out);
        for (size_t i = 0; i < ARRAY_LEN(keys); i++)
            if (json_object_get(v, keys[i]))
                return text_of(json_object_get(v, keys[i]), NULL, out);
    }
    return -1;
}

static int is_file_url(const char *s)
{
    return has_prefix(s, "https://") || has_prefix(s, "http://") || has_prefix(s, "data:");
}

static const char *url_of(json_t *v, const char *key)
{
    static const char *const keys[] = {"wav", "audio", "image", "output", "url", "file"};
    if (json_is_string(v))
        return is_file_url(json_string_value(v)) ? json_string_value(v) : NULL;
    if (json_is_array(v))
        return url_of(json_array_get(v, 0), NULL);
    if (json_is_object(v)) {
        if (key)
            return url_of(json_object_get(v, key), NULL);
        for (size_t i = 0; i < ARRAY_LEN(keys); i++)
            if (url_of(json_object_get(v, keys[i]), NULL))
                return url_of(json_object_get(v, keys[i]), NULL);
        const char *k;
        json_t *e;
        json_object_foreach(v, k, e)
        {
            if (json_is_string(e) && is_file_url(json_string_value(e)))
                return json_string_value(e);
        }
    }
    return NULL;
}

static void finish_text(struct job *j, json_t *output)
{
    struct buf b = BUF_INIT;
    const char *key = json_string_value(json_object_get(j->spec, "_output"));
    if (text_of(output, key, &b) < 0) {
        buf_free(&b);
        job_fail(j, 1, "the answer of %s holds no text", j->call.model->id);
        return;
    }
    const char *s = b.data ? b.data : "";
    size_t len = b.len;
    int strip = json_is_true(json_object_get(j->spec, "_strip_quotes"));
    for (int pass = 0; pass < 2; pass++) {
        while (len && strchr(" \t\r\n", s[len - 1]))
            len--;
        while (len && strchr(" \t\r\n", *s)) {
            s++;
            len--;
        }
        if (!strip)
            break;
        while (len && s[len - 1] == '"')
            len--;
        while (len && *s == '"') {
            s++;
            len--;
        }
    }
    if (len > TEXT_MAX) {
        len = TEXT_MAX;
        while (len && ((unsigned char)s[len] & 0xc0) == 0x80)
            len--; /* never cut a code point in half */
    }
    if (!len || !utf8_valid(s, len) || memchr(s, 0, len)) {
        buf_free(&b);
        job_fail(j, 1, "%s answered with %s", j->call.model->id,
                 len ? "text that is not valid UTF-8" : "empty text");
        return;
    }
    char *text = xstrndup(s, len);
    buf_free(&b);
    struct runner_io out = {MEDIA_TEXT, text};
    job_finish(j, &out, NULL, 0);
    free(text);
}

static void store_output(struct job *j, const void *data, size_t len, const char *ctype,
                         const char *url)
{
    enum media_type want = j->call.model->output;
    const char *ext = sniff_ext(data, len);
    if (!ext)
        ext = type_ext(ctype);
    if (!ext && url && !has_prefix(url, "data:"))
        ext = url_ext(url);
    if (!ext || !ext_is(ext, want)) {
        job_fail(j, 1,
                 "%s answered with a file that is not a PNG/JPEG/WebP/WAV/MP3/Ogg %s "
                 "(type %s)",
                 j->call.model->id, media_type_name(want), ctype ? ctype : "unknown");
        return;
    }
    char name[MEDIA_NAME_MAX];
    int rc = media_put(j->r->env.media, data, len, ext, name, sizeof name);
    if (rc < 0) {
        job_fail(j, 1, "could not store the output: %s", strerror(-rc));
        return;
    }
    log_debug("replicate: output stored model=%s prediction=%s name=%s bytes=%zu",
              j->call.model->id, j->pred_id ? j->pred_id : "-", name, len);
    struct runner_io out = {want, name};
    job_finish(j, &out, NULL, 0);
}

static void finish_media(struct job *j, json_t *output)
{
    const char *key = json_string_value(json_object_get(j->spec, "_output"));
    const char *url = url_of(output, key);
    if (!url) {
        job_fail(j, 1, "the answer of %s holds no file URL", j->call.model->id);
        return;
    }
    if (has_prefix(url, "data:")) {
        const char *comma = strchr(url, ',');
        struct buf b = BUF_INIT;
        if (!comma || !strstr(url, ";base64,") ||
            crypto_base64_decode(comma + 1, strlen(comma + 1), &b) < 0 || b.len == 0) {
            buf_free(&b);
            job_fail(j, 1, "%s answered with a data: URL that is not base64", j->call.model->id);
            return;
        }
        char *ctype = xstrndup(url + 5, strcspn(url + 5, ";,"));
        store_output(j, b.data, b.len, ctype, url);
        free(ctype);
        buf_free(&b);
        return;
    }
    j->url = xstrdup(url);
    j->step = STEP_DOWNLOAD;
    j->errors = 0;
    start_download(j);
}

static void on_download_done(void *user, const struct http_result *res)
{
    struct job *j = user;
    j->http = 0;
    if (res->status == 200) {
        store_output(j, res->body, res->len, res->content_type, j->url);
        return;
    }
    char why[160];
    problem_text(res, why, sizeof why);
    if (res->status == 401 || res->status == 403 || res->status == 404 || res->status == 410) {
        job_fail(j, 1, "the output file of %s is gone (HTTP %ld while downloading it)",
                 j->call.model->id, res->status);
        return;
    }
    if (++j->errors >= j->r->t.max_errors || time_mono_ms() >= j->deadline) {
        if (res->status)
            job_fail(j, 1, "could not download the output file (HTTP %ld): %s", res->status, why);
        else
            job_fail(j, 1, "could not download the output file: %s", why);
        return;
    }
    int64_t delay = res->status == 429 ? retry_after_ms(res, NULL) : -1;
    if (delay < 0)
        delay = backoff(j->r, j->errors);
    job_timer(j, MIN(delay, j->r->t.backoff_max_ms), start_download);
}

static void start_download(struct job *j)
{
    struct replicate *r = j->r;
    char why[128];
    int auth = has_prefix(j->url, r->origin) || host_is_delivery(j->url);
    j->http = api_call(r, "GET", j->url, NULL, NULL, r->t.download_timeout_ms, auth,
                       on_download_done, j, NULL, why, sizeof why);
    if (!j->http)
        job_fail(j, 1, "could not download the output file: %s", why);
}

/* ---- predictions ---- */

static void timed_out(struct job *j)
{
    if (j->pred_id && !j->terminal)
        cancel_prediction(j->r, j->pred_id);
    j->terminal = 1;
    job_fail(j, 1, "%s did not finish within %.1f s (last status %s); cancelled", j->call.model->id,
             (double)j->r->t.deadline_ms / 1000.0, j->status[0] ? j->status : "unknown");
}

static void schedule_poll(struct job *j, int64_t delay)
{
    int64_t left = j->deadline - time_mono_ms();
    if (left <= 0) {
        timed_out(j);
        return;
    }
    j->step = STEP_POLL;
    job_timer(j, MIN(delay, left), start_poll);
}

static void model_failed(struct job *j, const char *error)
{
    const char *id = j->call.model->id;
    if (!nsfw_detect(error)) {
        job_fail(j, 1, "%s failed: %s", id, error ? error : "no reason given");
        return;
    }
    if (j->call.input.type == MEDIA_TEXT && !j->fallback) {
        char why[PANIC_ERR_LEN];
        log_info("replicate: NSFW refusal, retrying once with the fallback prompt model=%s "
                 "prediction=%s",
                 id, j->pred_id ? j->pred_id : "-");
        j->fallback = 1;
        j->text = NSFW_FALLBACK_PROMPT;
        free(j->pred_id);
        j->pred_id = NULL;
        j->terminal = 0;
        j->throttled = 0;
        j->create_wall = 0;
        json_decref(j->sent_input);
        j->sent_input = NULL;
        if (job_setup(j, why, sizeof why) < 0) {
            job_fail(j, 0, "%s", why);
            return;
        }
        job_next(j);
        return;
    }
    if (j->fallback)
        job_fail(j, 0, "%s refused the input as NSFW, and the fallback prompt too: %s", id, error);
    else
        job_fail(j, 0, "%s refused the input as NSFW: %s", id, error);
}

/* A prediction object from a create, a poll or the reconciling list. */
static void handle_prediction(struct job *j, json_t *p)
{
    const char *id = json_string_value(json_object_get(p, "id"));
    const char *status = json_string_value(json_object_get(p, "status"));
    if (!j->pred_id && id) {
        j->pred_id = xstrdup(id);
        seen_add(j->r, id);
        log_debug("replicate: prediction model=%s invocation=%lld prediction=%s status=%s",
                  j->call.model->id, (long long)j->call.inv_id, id, status ? status : "?");
    }
    if (!status)
        status = "unknown";
    snprintf(j->status, sizeof j->status, "%s", status);
    j->terminal = !strcmp(status, "succeeded") || !strcmp(status, "failed") ||
                  !strcmp(status, "canceled") || !strcmp(status, "aborted");
    if (j->orphan) {
        job_finish(j, NULL, NULL, 0);
        return;
    }
    if (!strcmp(status, "succeeded")) {
        json_t *output = json_object_get(p, "output");
        if (json_is_null(output) || !output)
            job_fail(j, 1, "%s succeeded without an output (already removed?)", j->call.model->id);
        else if (j->call.model->output == MEDIA_TEXT)
            finish_text(j, output);
        else
            finish_media(j, output);
    } else if (!strcmp(status, "failed")) {
        model_failed(j, json_string_value(json_object_get(p, "error")));
    } else if (!strcmp(status, "canceled") || !strcmp(status, "aborted")) {
        job_fail(j, 1, "the prediction of %s was %s by Replicate", j->call.model->id, status);
    } else {
        int64_t delay = j->poll_interval;
        j->poll_interval = MIN(j->poll_interval * 3 / 2, j->r->t.poll_max_ms);
        schedule_poll(j, delay);
    }
}

static void on_poll_done(void *user, const struct http_result *res)
{
    struct job *j = user;
    struct replicate *r = j->r;
    j->http = 0;
    json_t *p = res->status == 200 ? parse_object(res) : NULL;
    if (p && json_is_string(json_object_get(p, "status"))) {
        j->errors = 0;
        handle_prediction(j, p);
        json_decref(p);
        return;
    }
    json_decref(p);
    char why[160];
    problem_text(res, why, sizeof why);
    if (res->status == 401 || res->status == 403) {
        job_fail(j, 0, "Replicate refused the API key (HTTP %ld): %s", res->status, why);
        return;
    }
    if (res->status == 404) {
        job_fail(j, 1, "the prediction %s disappeared (HTTP 404)", j->pred_id);
        return;
    }
    int64_t delay = -1;
    if (res->status == 429) {
        delay = retry_after_ms(res, why);
    } else if (++j->errors >= r->t.max_errors) {
        cancel_prediction(r, j->pred_id);
        j->terminal = 1;
        job_fail(j, 1, "could not read the prediction's status %d times (%s%s)", j->errors,
                 res->status == 200 ? "unreadable answer: " : "", why);
        return;
    }
    if (delay < 0)
        delay = backoff(r, j->errors ? j->errors : 1);
    schedule_poll(j, MIN(delay, r->t.backoff_max_ms));
}

static void start_poll(struct job *j)
{
    struct replicate *r = j->r;
    char why[128];
    char *url = xasprintf("%s/predictions/%s", r->base, j->pred_id);
    j->http = api_call(r, "GET", url, NULL, NULL, r->t.http_timeout_ms, 1, on_poll_done, j, NULL,
                       why, sizeof why);
    free(url);
    if (!j->http) {
        cancel_prediction(r, j->pred_id);
        j->terminal = 1;
        job_fail(j, 1, "%s", why);
    }
}

/* ---- reconciling an ambiguous create ---- */

static void reconcile_give_up(struct job *j, const char *how)
{
    job_fail(j, 0,
             "the create of %s failed ambiguously (%s) and %s; not sent again, so no "
             "duplicate is billed",
             j->call.model->id, j->ambiguous, how);
}

static void on_reconcile_done(void *user, const struct http_result *res)
{
    struct job *j = user;
    struct replicate *r = j->r;
    j->http = 0;
    json_t *o = res->status == 200 ? parse_object(res) : NULL;
    json_t *results = json_object_get(o, "results");
    if (!json_is_array(results)) {
        json_decref(o);
        if (++j->errors >= RECONCILE_TRIES) {
            reconcile_give_up(j, "the list of recent predictions could not be read");
            return;
        }
        job_timer(j, backoff(r, j->errors), start_reconcile);
        return;
    }
    size_t i;
    json_t *p;
    json_array_foreach(results, i, p)
    {
        const char *id = json_string_value(json_object_get(p, "id"));
        const char *model = json_string_value(json_object_get(p, "model"));
        if (id && model && !strcmp(model, j->path) && !seen_has(r, id) &&
            json_equal(json_object_get(p, "input"), j->sent_input)) {
            log_warn("replicate: adopted prediction=%s after an ambiguous create model=%s "
                     "reason=\"%s\"",
                     id, j->call.model->id, j->ambiguous);
            json_incref(p);
            json_decref(o);
            handle_prediction(j, p);
            json_decref(p);
            return;
        }
    }
    json_decref(o);
    reconcile_give_up(j, "no matching prediction was found");
}

static void start_reconcile(struct job *j)
{
    struct replicate *r = j->r;
    char iso[40], why[128];
    time_format_iso(j->create_wall - RECONCILE_WINDOW_MS, iso, sizeof iso);
    char *url = xasprintf("%s/predictions?created_after=%s", r->base, iso);
    j->http = api_call(r, "GET", url, NULL, NULL, r->t.http_timeout_ms, 1, on_reconcile_done, j,
                       NULL, why, sizeof why);
    free(url);
    if (!j->http)
        reconcile_give_up(j, why);
}

/* The create may have made a prediction: look before doing anything else. */
static void create_ambiguous(struct job *j)
{
    log_warn("replicate: create failed ambiguously model=%s invocation=%lld reason=\"%s\"; "
             "looking for the prediction",
             j->call.model->id, (long long)j->call.inv_id, j->ambiguous);
    j->step = STEP_RECONCILE;
    j->errors = 0;
    /* Give a create still in progress on Replicate's side a moment to show up. */
    job_timer(j, j->r->t.backoff_ms, start_reconcile);
}

/* ---- create ---- */

static void on_create_done(void *user, const struct http_result *res)
{
    struct job *j = user;
    struct replicate *r = j->r;
    j->http = 0;
    char why[160];
    if (res->status >= 200 && res->status < 300) {
        json_t *p = parse_object(res);
        if (p && json_is_string(json_object_get(p, "id"))) {
            handle_prediction(j, p);
            json_decref(p);
            return;
        }
        json_decref(p);
        snprintf(j->ambiguous, sizeof j->ambiguous, "HTTP %ld with an unreadable answer",
                 res->status);
        create_ambiguous(j);
        return;
    }
    if (res->outcome == HTTP_NOT_SENT) {
        job_fail(j, 1, "could not reach %s: %s", r->base, res->error ? res->error : "no answer");
        return;
    }
    problem_text(res, why, sizeof why);
    if (j->orphan && (res->status == 0 || res->status >= 400)) {
        if (res->status == 0 || res->status >= 500 || res->status == 409) {
            snprintf(j->ambiguous, sizeof j->ambiguous, "HTTP %ld", res->status);
            create_ambiguous(j);
        } else {
            job_finish(j, NULL, NULL, 0);
        }
        return;
    }
    if (res->status == 429) {
        int64_t delay = retry_after_ms(res, why);
        if (delay < 0)
            delay = backoff(r, j->throttled + 1);
        delay = MIN(delay, r->t.backoff_max_ms);
        if (++j->throttled > r->t.max_throttled || time_mono_ms() + delay >= j->deadline) {
            job_fail(j, 1, "rate limited (HTTP 429) %d times: %s", j->throttled, why);
            return;
        }
        log_info("replicate: throttled model=%s retry_in_ms=%lld", j->call.model->id,
                 (long long)delay);
        job_timer(j, delay, start_create);
        return;
    }
    if (res->status == 402) {
        job_fail(j, 0, "the account is out of credit (HTTP 402): %s", why);
        return;
    }
    if (res->status == 401 || res->status == 403) {
        job_fail(j, 0, "the API key was refused (HTTP %ld): %s", res->status, why);
        return;
    }
    if (res->status >= 400 && res->status < 500 && res->status != 409) {
        job_fail(j, 0, "%s was refused (HTTP %ld): %s", j->call.model->id, res->status, why);
        return;
    }
    if (res->status)
        snprintf(j->ambiguous, sizeof j->ambiguous, "HTTP %ld: %s", res->status, why);
    else
        snprintf(j->ambiguous, sizeof j->ambiguous, "%s", why);
    create_ambiguous(j);
}

static void cancel_after(int64_t ms, char *out, size_t len)
{
    int64_t s = MAX(ms / 1000, 5);
    int64_t h = s / 3600, m = s / 60 % 60;
    s %= 60;
    int n = 0;
    out[0] = 0;
    if (h)
        n += snprintf(out + n, len - (size_t)n, "%lldh", (long long)h);
    if (m)
        n += snprintf(out + n, len - (size_t)n, "%lldm", (long long)m);
    if (s)
        snprintf(out + n, len - (size_t)n, "%llds", (long long)s);
}

static void start_create(struct job *j)
{
    struct replicate *r = j->r;
    char why[128];
    if (!j->sent_input) {
        json_t *in = json_object();
        const char *k;
        json_t *v;
        json_object_foreach(j->spec, k, v)
        {
            if (k[0] != '_')
                json_object_set(in, k, v);
        }
        const char *field = json_string_value(json_object_get(j->spec, "_input"));
        json_t *val = json_string(j->media ? j->media_value : j->text);
        if (!val) {
            json_decref(in);
            job_fail(j, 0, "the input is not valid UTF-8");
            return;
        }
        json_object_set_new(in, field, val);
        j->sent_input = in;
    }
    json_t *body = json_object();
    if (j->version)
        json_object_set_new(body, "version", json_string(j->version));
    json_object_set(body, "input", j->sent_input);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    char *url = j->version ? xasprintf("%s/predictions", r->base)
                           : xasprintf("%s/models/%s/predictions", r->base, j->path);
    int64_t left = j->deadline - time_mono_ms();
    char prefer[32], cancel[48], ca[32];
    const char *extra[3] = {NULL, NULL, NULL};
    size_t ne = 0;
    if (r->t.wait_s > 0) {
        int wait = (int)MIN((int64_t)MIN(r->t.wait_s, 60), MAX(left / 1000, 1));
        snprintf(prefer, sizeof prefer, "Prefer: wait=%d", wait);
        extra[ne++] = prefer;
    }
    cancel_after(left, ca, sizeof ca);
    snprintf(cancel, sizeof cancel, "Cancel-After: %s", ca);
    extra[ne++] = cancel;
    if (!j->create_wall)
        j->create_wall = time_wall_ms();
    j->step = STEP_CREATE;
    j->poll_interval = r->t.poll_ms;
    j->http = api_call(r, "POST", url, text, extra, r->t.http_timeout_ms + r->t.wait_s * 1000L, 1,
                       on_create_done, j, NULL, why, sizeof why);
    free(url);
    free(text);
    if (!j->http)
        job_fail(j, !has_prefix(why, "no API key"), "%s", why);
}

/* ---- version lookup and upload ---- */

static const char *version_cached(struct replicate *r, const char *path)
{
    int64_t now = time_mono_ms();
    for (size_t i = 0; i < VERSION_CACHE_MAX; i++)
        if (r->versions[i].path && !strcmp(r->versions[i].path, path) &&
            now - r->versions[i].at < VERSION_TTL_MS)
            return r->versions[i].version;
    return NULL;
}

static void version_store(struct replicate *r, const char *path, const char *version)
{
    size_t slot = 0;
    for (size_t i = 0; i < VERSION_CACHE_MAX; i++) {
        if (!r->versions[i].path || !strcmp(r->versions[i].path, path)) {
            slot = i;
            break;
        }
        if (r->versions[i].at < r->versions[slot].at)
            slot = i;
    }
    free(r->versions[slot].path);
    free(r->versions[slot].version);
    r->versions[slot].path = xstrdup(path);
    r->versions[slot].version = xstrdup(version);
    r->versions[slot].at = time_mono_ms();
}

static void on_version_done(void *user, const struct http_result *res)
{
    struct job *j = user;
    j->http = 0;
    json_t *o = res->status == 200 ? parse_object(res) : NULL;
    const char *v = json_string_value(json_object_get(json_object_get(o, "latest_version"), "id"));
    if (v) {
        version_store(j->r, j->path, v);
        j->version = xstrdup(v);
        json_decref(o);
        job_next(j);
        return;
    }
    json_decref(o);
    char why[160];
    problem_text(res, why, sizeof why);
    if (res->status == 401 || res->status == 403)
        job_fail(j, 0, "the API key was refused (HTTP %ld): %s", res->status, why);
    else if (res->status == 404)
        job_fail(j, 0, "there is no model %s (HTTP 404)", j->path);
    else if (res->status == 200)
        job_fail(j, 1, "the model %s has no version to run", j->path);
    else
        job_fail(j, 1, "could not look up the version of %s: %s", j->path, why);
}

static void on_upload_done(void *user, const struct http_result *res)
{
    struct job *j = user;
    j->http = 0;
    json_t *o = res->status >= 200 && res->status < 300 ? parse_object(res) : NULL;
    const char *u = json_string_value(json_object_get(json_object_get(o, "urls"), "get"));
    if (u) {
        j->media_value = xstrdup(u);
        json_decref(o);
        job_next(j);
        return;
    }
    json_decref(o);
    char why[160];
    problem_text(res, why, sizeof why);
    if (res->status == 401 || res->status == 403 || res->status == 402)
        job_fail(j, 0, "the input file upload was refused (HTTP %ld): %s", res->status, why);
    else
        job_fail(j, 1, "could not upload the input file (HTTP %ld): %s", res->status, why);
}

/* A media input: inline as a data: URL, or uploaded when large. 0 when the value is ready, 1 when
 * an upload is under way, -1 when the job failed. */
static int prepare_media(struct job *j)
{
    struct replicate *r = j->r;
    char path[1024], why[128];
    struct buf b = BUF_INIT;
    const char *ctype = media_content_type(j->media);
    int rc = media_path(r->env.media, j->media, path, sizeof path);
    if (rc < 0)
        snprintf(why, sizeof why, "%s", strerror(-rc));
    else
        rc = file_read(path, SIZE_MAX, 0, &b, why, sizeof why);
    if (rc < 0 || !ctype) {
        buf_free(&b);
        job_fail(j, 0, "the input file %s cannot be read: %s", j->media,
                 rc < 0 ? why : "unknown type");
        return -1;
    }
    if (b.len <= r->t.data_url_max) {
        struct buf url = BUF_INIT;
        buf_printf(&url, "data:%s;base64,", ctype);
        crypto_base64_encode(b.data, b.len, &url);
        j->media_value = buf_steal(&url);
        buf_free(&b);
        return 0;
    }
    const char *fields[] = {"filename", j->media, "type", ctype, NULL};
    struct http_call form = {
        .form_fields = fields,
        .form_file_field = "content",
        .form_file = b.data,
        .form_file_len = b.len,
        .form_file_name = j->media,
        .form_file_type = ctype,
    };
    char *url = xasprintf("%s/files", r->base);
    j->step = STEP_UPLOAD;
    j->http = api_call(r, "POST", url, NULL, NULL, r->t.download_timeout_ms, 1, on_upload_done, j,
                       &form, why, sizeof why);
    free(url);
    buf_free(&b);
    if (!j->http) {
        job_fail(j, !has_prefix(why, "no API key"), "%s", why);
        return -1;
    }
    return 1;
}

static void job_next(struct job *j)
{
    struct replicate *r = j->r;
    if (j->media && !j->media_value) {
        if (prepare_media(j) != 0)
            return;
    }
    if (j->latest && !j->version) {
        const char *v = version_cached(r, j->path);
        if (v) {
            j->version = xstrdup(v);
        } else {
            char why[128];
            char *url = xasprintf("%s/models/%s", r->base, j->path);
            j->step = STEP_VERSION;
            j->http = api_call(r, "GET", url, NULL, NULL, r->t.http_timeout_ms, 1, on_version_done,
                               j, NULL, why, sizeof why);
            free(url);
            if (!j->http)
                job_fail(j, !has_prefix(why, "no API key"), "%s", why);
            return;
        }
    }
    start_create(j);
}

static void on_start(struct job *j)
{
    struct replicate *r = j->r;
    const struct model_info *m = j->call.model;
    json_error_t jerr;
    j->params = json_loads(m->params_json ? m->params_json : "{}", 0, &jerr);
    if (!json_is_object(j->params)) {
        job_fail(j, 0, "the catalogue entry of %s is malformed: %s", m->id, jerr.text);
        return;
    }
    if (json_is_true(json_object_get(j->params, "_passthrough"))) {
        struct runner_io out = {MEDIA_TEXT, j->input};
        job_finish(j, &out, NULL, 0);
        return;
    }
    const char *key = r->env.key ? r->env.key(r->env.owner, "replicate") : NULL;
    if (!key || !*key) {
        job_fail(j, 0, "no API key is set");
        return;
    }
    char why[PANIC_ERR_LEN];
    if (job_setup(j, why, sizeof why) < 0) {
        job_fail(j, 0, "%s", why);
        return;
    }
    job_next(j);
}

/* ---- platform ops ---- */

static int replicate_invoke(void *self, const struct platform_call *call)
{
    struct replicate *r = self;
    if (!call->model || !call->input.value)
        return -EINVAL;
    struct job *j = xcalloc(1, sizeof *j);
    j->r = r;
    j->call = *call;
    j->input = xstrdup(call->input.value);
    j->call.input.value = j->input;
    j->text = j->input;
    j->deadline = time_mono_ms() + r->t.deadline_ms;
    j->step = STEP_START;
    j->next = r->jobs;
    r->jobs = j;
    /* Everything, failures included, reaches the runner from the loop. */
    job_timer(j, 0, on_start);
    return 0;
}

static void replicate_cancel(void *self, int64_t inv_id)
{
    struct replicate *r = self;
    for (struct job *j = r->jobs; j; j = j->next) {
        if (j->call.inv_id != inv_id || j->orphan)
            continue;
        if ((j->step == STEP_CREATE && j->http) || j->step == STEP_RECONCILE) {
            /* The create's fate is open: let it land, then cancel what it made. */
            j->orphan = 1;
            return;
        }
        job_unlink(j);
        if (j->pred_id && !j->terminal)
            cancel_prediction(r, j->pred_id);
        job_destroy(j);
        return;
    }
}

static void replicate_free(void *self)
{
    struct replicate *r = self;
    if (!r)
        return;
    while (r->jobs) {
        struct job *j = r->jobs;
        r->jobs = j->next;
        job_destroy(j);
    }
    for (size_t i = 0; i < VERSION_CACHE_MAX; i++) {
        free(r->versions[i].path);
        free(r->versions[i].version);
    }
    for (size_t i = 0; i < SEEN_MAX; i++)
        free(r->seen[i]);
    free(r->base);
    free(r->origin);
    free(r);
}

static int replicate_available(void *self, char *why, size_t whylen)
{
    struct replicate *r = self;
    return platform_has_key(&r->env, "replicate", "Replicate", why, whylen);
}

static const struct platform_ops replicate_ops = {
    .name = "replicate",
    .available = replicate_available,
    .invoke = replicate_invoke,
    .cancel = replicate_cancel,
    .free = replicate_free,
};

struct platform replicate_platform_new_tuned(const struct platform_env *env,
                                             const struct replicate_tuning *t)
{
    struct replicate *r = xcalloc(1, sizeof *r);
    r->env = *env;
    r->t = *t;
    r->base = xstrndup(t->base_url, url_base_len(t->base_url));
    r->t.base_url = r->base;
    r->origin = origin_of(r->base);
    if (r->t.poll_ms <= 0)
        r->t.poll_ms = 1000;
    if (r->t.poll_max_ms < r->t.poll_ms)
        r->t.poll_max_ms = r->t.poll_ms;
    if (r->t.backoff_ms <= 0)
        r->t.backoff_ms = 1000;
    if (r->t.backoff_max_ms < r->t.backoff_ms)
        r->t.backoff_max_ms = r->t.backoff_ms;
    if (r->t.max_errors < 1)
        r->t.max_errors = 1;
    return (struct platform){.ops = &replicate_ops, .self = r};
}

struct platform replicate_platform_new(const struct platform_env *env)
{
    struct replicate_tuning t;
    replicate_tuning_default(&t);
    return replicate_platform_new_tuned(env, &t);
}
