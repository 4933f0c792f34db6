/* sync.c: the display's coordinator client (see sync.h).
 *
 * Phases: CONFIG (GET /api/v1/displays/NAME) -> NETWORK (GET /api/v1/networks/ID) -> CATCHUP
 * (GET .../runs/current) -> STREAM (GET .../events, kept open). Any failure drops back to CONFIG
 * after a capped, jittered back-off, and a stream that was open reconnects with Last-Event-ID so
 * the coordinator replays exactly what was missed. Responses are parsed with jansson into the
 * pure app state. Media downloads go to a .part file in the disk cache and are committed (hash
 * checked) when complete. libcurl multi is pumped from the frame loop with a zero timeout. */
#include "sync.h"
#include "common/buf.h"
#include "common/file.h"
#include "common/log.h"
#include "common/proto/display_config_json.h"
#include "common/rng.h"
#include "common/sse.h"
#include "common/util.h"
#include "common/version.h"
#include "decoder.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DOWNLOADS 4
_Static_assert(SYNC_MEDIA_MAX_BYTES == DECODER_MAX_FILE_BYTES, "a download the decoder reads");
#define MEDIA_RETRY_FIRST_MS 1000          /* a failed download is tried again after 1 s, */
#define MEDIA_RETRY_MAX_MS (5 * 60 * 1000) /* doubling up to 5 min */
#define MEDIA_FAILS 64                     /* names remembered as failed or refused */
#define STREAM_SILENCE_MS 40000            /* > 2 heartbeats: the coordinator is gone */

enum phase { PH_IDLE, PH_CONFIG, PH_NETWORK, PH_CATCHUP, PH_STREAM };
enum xkind {
    X_CONFIG,
    X_NETWORK,
    X_CATCHUP,
    X_STREAM,
    X_MEDIA,
    X_PROMPT,
    X_PANIC,
    X_QR,
    X_HEARTBEAT
};
#define FRAME_SAMPLES 2048 /* frame times kept between heartbeats (10 s at up to 200 fps) */

#define QR_REFRESH_MS (5 * 60 * 1000) /* visitor tokens live an hour; the code is renewed often */

struct xfer {
    struct sync *s;
    enum xkind kind;
    CURL *easy;
    struct curl_slist *headers;
    struct buf body;
    char media[96];
    struct mediacache_part *part;
    int too_big; /* a media transfer stopped for passing the size limit */
    struct xfer *next;
};

/* A media name whose download failed (retried with back-off) or was refused (never again). */
struct media_fail {
    char name[96];
    int64_t retry_at;
    int64_t delay_ms;
    int refused;
};

struct sync {
    struct app *app;
    struct mediacache *cache;
    char *base;
    char *token;
    char *state_dir;
    CURLM *multi;
    struct xfer *xfers;
    enum phase phase;
    int64_t retry_at;
    int64_t backoff_ms;
    int64_t last_byte_at;
    int64_t last_event_id;
    int streaming;
    int catching_up;      /* replaying a run: only what stays on screen is fetched, by the caller */
    int fixed_prompt_url; /* --prompt-url given: the coordinator's does not replace it */
    int64_t qr_at;        /* when to fetch a fresh prompt URL next */
    /* Media wanted from inside a curl callback, where libcurl forbids starting transfers; they
     * start in sync_pump. */
    char queued[8][96];
    int nqueued;
    /* The current run as runs/current would give it, kept up to date from events and saved to
     * STATE/current.json now and then, so a display that boots with the coordinator away shows
     * the latest it saw, not just what it caught up with at its last start. */
    json_t *snapshot;
    int snapshot_dirty;
    int64_t snapshot_saved_at;
    struct sse_parser *parser;
    int64_t now;
    uint64_t rng; /* jitter of the reconnect back-off, so displays do not come back in step */
    uint64_t media_max_bytes;
    struct media_fail fails[MEDIA_FAILS];
    int nfails;
    /* The heartbeat: when the next is due, the frames since the last one, what it tells. */
    int64_t heartbeat_ms, heartbeat_at, started_at, shown_at, last_frame;
    uint64_t cache_max_bytes;
    float frame_ms[FRAME_SAMPLES];
    int nframes;
    int64_t frames_since, frames_from;
    int heartbeat_refused; /* said once in the log */
    char *sys_root;        /* "/sys", or PANIC_SYS_ROOT's fake tree (tests) */
};

/* ---- transfers ---- */

static size_t on_body(char *data, size_t size, size_t n, void *user)
{
    struct xfer *x = user;
    size_t len = size * n;
    x->s->last_byte_at = x->s->now;
    if (x->kind == X_MEDIA) {
        curl_off_t announced = -1;
        curl_easy_getinfo(x->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &announced);
        if (mediacache_part_size(x->part) + len > x->s->media_max_bytes ||
            (announced > 0 && (uint64_t)announced > x->s->media_max_bytes)) {
            x->too_big = 1;
            return 0; /* stops the transfer */
        }
        return mediacache_part_write(x->part, data, len) == 0 ? len : 0;
    }
    if (x->kind == X_STREAM) {
        if (!x->s->streaming) {
            x->s->streaming = 1;
            app_set_online(x->s->app, 1, x->s->now);
            x->s->backoff_ms = 0;
        }
        return sse_parser_feed(x->s->parser, data, len) == 0 ? len : 0;
    }
    if (x->body.len + len > 8 * 1024 * 1024)
        return 0;
    buf_append(&x->body, data, len);
    return len;
}

static struct xfer *start(struct sync *s, enum xkind kind, const char *path, const char *post)
{
    struct xfer *x = xcalloc(1, sizeof *x);
    x->s = s;
    x->kind = kind;
    x->easy = curl_easy_init();
    if (!x->easy) {
        free(x);
        return NULL;
    }
    char *url = xasprintf("%s%s", s->base, path);
    curl_easy_setopt(x->easy, CURLOPT_URL, url);
    free(url);
    curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
    curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    if (kind == X_STREAM) {
        curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, 0L);
        x->headers = curl_slist_append(x->headers, "Accept: text/event-stream");
        if (s->last_event_id > 0) {
            char h[64];
            snprintf(h, sizeof h, "Last-Event-ID: %lld", (long long)s->last_event_id);
            x->headers = curl_slist_append(x->headers, h);
        }
    } else {
        curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, kind == X_MEDIA ? 120000L : 15000L);
    }
    if (post) {
        x->headers = curl_slist_append(x->headers, "Content-Type: application/json");
        curl_easy_setopt(x->easy, CURLOPT_COPYPOSTFIELDS, post);
    }
    if ((post || kind == X_QR) && s->token) {
        char *h = xasprintf("Authorization: Bearer %s", s->token);
        x->headers = curl_slist_append(x->headers, h);
        free(h);
    }
    curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers);
    if (curl_multi_add_handle(s->multi, x->easy) != CURLM_OK) {
        curl_easy_cleanup(x->easy);
        curl_slist_free_all(x->headers);
        free(x);
        return NULL;
    }
    x->next = s->xfers;
    s->xfers = x;
    return x;
}

static void finish(struct sync *s, struct xfer *x)
{
    for (struct xfer **pp = &s->xfers; *pp; pp = &(*pp)->next) {
        if (*pp == x) {
            *pp = x->next;
            break;
        }
    }
    curl_multi_remove_handle(s->multi, x->easy);
    curl_easy_cleanup(x->easy);
    curl_slist_free_all(x->headers);
    if (x->part)
        mediacache_abort(s->cache, x->part);
    buf_free(&x->body);
    free(x);
}

static int count(struct sync *s, enum xkind kind)
{
    int n = 0;
    for (struct xfer *x = s->xfers; x; x = x->next)
        n += x->kind == kind;
    return n;
}

/* ---- parsing ---- */

static int hex4(const char *p, size_t left, unsigned *v)
{
    if (left < 4)
        return -1;
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                            : 16u;
        if (d > 15)
            return -1;
        *v = *v << 4 | d;
    }
    return 0;
}

/* Make a coordinator's JSON acceptable to jansson without changing its length or shape: bytes
 * that are not UTF-8 become '?', and \u escapes jansson refuses (U+0000, a lone surrogate)
 * become \ufffd. One bad text must not cost the whole answer (a catch-up of 300 rows). */
static void scrub_json(char *s, size_t len)
{
    int in_string = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
            if (n > 1 && i + n <= len && utf8_valid(s + i, n)) {
                i += n;
            } else {
                s[i++] = '?';
            }
            continue;
        }
        if (c == '"') {
            in_string = !in_string;
        } else if (in_string && c == '\\' && i + 1 < len) {
            unsigned v, lo;
            if (s[i + 1] == 'u' && hex4(s + i + 2, len - i - 2, &v) == 0) {
                int pair = v >= 0xd800 && v <= 0xdbff && i + 12 <= len && s[i + 6] == '\\' &&
                           s[i + 7] == 'u' && hex4(s + i + 8, len - i - 8, &lo) == 0 &&
                           lo >= 0xdc00 && lo <= 0xdfff;
                if (pair) {
                    i += 12;
                    continue;
                }
                if (v == 0 || (v >= 0xd800 && v <= 0xdfff))
                    memcpy(s + i + 2, "fffd", 4);
                i += 6;
                continue;
            }
            i += 2;
            continue;
        }
        i++;
    }
}

/* json_loadb after scrub_json, on a copy when data is not ours to change. */
static json_t *load_lenient(char *data, size_t len)
{
    scrub_json(data, len);
    return json_loadb(data, len, 0, NULL);
}

static int parse_invocation(json_t *j, struct app_inv *out)
{
    memset(out, 0, sizeof *out);
    json_t *output = json_object_get(j, "output");
    const char *state = json_string_value(json_object_get(j, "state"));
    const char *model = json_string_value(json_object_get(j, "model"));
    if (!state || !json_is_integer(json_object_get(j, "seq")))
        return -EINVAL;
    out->id = json_integer_value(json_object_get(j, "id"));
    out->run = json_integer_value(json_object_get(j, "run"));
    out->seq = json_integer_value(json_object_get(j, "seq"));
    snprintf(out->model, sizeof out->model, "%s", model ? model : "");
    if (!strcmp(state, "invoking") || !strcmp(state, "ready")) {
        out->kind = CELL_INVOKING;
    } else if (!strcmp(state, "failed") || !json_is_object(output)) {
        out->kind = CELL_FAILED;
    } else {
        const char *type = json_string_value(json_object_get(output, "type"));
        const char *text = json_string_value(json_object_get(output, "text"));
        const char *media = json_string_value(json_object_get(output, "media"));
        if (type && !strcmp(type, "text") && text) {
            out->kind = CELL_TEXT;
            snprintf(out->text, sizeof out->text, "%s", text);
        } else if (type && media && (!strcmp(type, "image") || !strcmp(type, "audio"))) {
            out->kind = !strcmp(type, "image") ? CELL_IMAGE : CELL_AUDIO;
            snprintf(out->media, sizeof out->media, "%s", media);
        } else {
            out->kind = CELL_FAILED;
        }
    }
    return 0;
}

#define SNAPSHOT_KEEP 300
#define SNAPSHOT_SAVE_MS 5000

static void snapshot_invocation(struct sync *s, json_t *j, const struct app_inv *inv)
{
    if (s->catching_up)
        return;
    if (inv->seq == 0 || !s->snapshot) {
        if (inv->seq != 0)
            return; /* mid-run with no snapshot: the next catch-up brings one */
        json_t *input = json_object_get(j, "input");
        json_decref(s->snapshot);
        s->snapshot =
            json_pack("{s:{s:I, s:O}, s:O, s:[], s:n}", "run", "id", (json_int_t)inv->run, "prompt",
                      json_object_get(input, "text") ? json_object_get(input, "text") : json_null(),
                      "genesis", j, "invocations", "status");
    }
    json_t *list = json_object_get(s->snapshot, "invocations");
    size_t n = json_array_size(list);
    json_t *last = n ? json_array_get(list, n - 1) : NULL;
    if (last && json_integer_value(json_object_get(last, "seq")) == inv->seq)
        json_array_set(list, n - 1, j);
    else
        json_array_append(list, j);
    while (json_array_size(list) > SNAPSHOT_KEEP)
        json_array_remove(list, 0);
    if (inv->seq == 0)
        json_object_set(s->snapshot, "genesis", j);
    s->snapshot_dirty = 1;
}

static void snapshot_save(struct sync *s)
{
    if (!s->state_dir || !s->snapshot || !s->snapshot_dirty)
        return;
    char *path = xasprintf("%s/current.json", s->state_dir);
    char *tmp = xasprintf("%s.tmp", path);
    if (json_dump_file(s->snapshot, tmp, JSON_COMPACT) == 0 && rename(tmp, path) == 0)
        s->snapshot_dirty = 0;
    else
        remove(tmp);
    s->snapshot_saved_at = s->now;
    free(tmp);
    free(path);
}

static void take_invocation(struct sync *s, json_t *j)
{
    struct app_inv inv;
    if (parse_invocation(j, &inv) < 0)
        return;
    snapshot_invocation(s, j, &inv);
    if (inv.seq == 0 && inv.run != s->app->run) {
        const char *prompt =
            json_string_value(json_object_get(json_object_get(j, "input"), "text"));
        app_set_run(s->app, inv.run, prompt, s->now);
    }
    /* Fetch at once what lands on screen (catch-up rows that do not are never downloaded). */
    int shown = app_put_invocation(s->app, &inv, s->now);
    if (shown)
        s->shown_at = s->now;
    if (shown && !s->catching_up && (inv.kind == CELL_IMAGE || inv.kind == CELL_AUDIO) &&
        s->nqueued < (int)ARRAY_LEN(s->queued))
        snprintf(s->queued[s->nqueued++], sizeof s->queued[0], "%s", inv.media);
}

static void take_status(struct sync *s, json_t *j)
{
    struct app_status st = {0};
    const char *state = json_string_value(json_object_get(j, "state"));
    const char *model = json_string_value(json_object_get(j, "model"));
    snprintf(st.state, sizeof st.state, "%s", state ? state : "idle");
    snprintf(st.model, sizeof st.model, "%s", model ? model : "");
    st.run = json_integer_value(json_object_get(j, "run"));
    st.seq = json_integer_value(json_object_get(j, "seq"));
    st.can_start_run = json_is_true(json_object_get(j, "can_start_run"));
    st.paid = json_is_true(json_object_get(j, "paid"));
    st.cost_usd = json_number_value(json_object_get(j, "cost_usd"));
    st.burn_usd_per_hour = json_number_value(json_object_get(j, "burn_usd_per_hour"));
    json_int_t left = json_integer_value(json_object_get(j, "lockout_remaining_s"));
    st.lockout_until = left > 0 ? s->now + left * 1000 : 0;
    app_set_status(s->app, &st, s->now);
    if (s->snapshot && !s->catching_up && json_is_object(j)) {
        json_object_set(s->snapshot, "status", j);
        s->snapshot_dirty = 1;
    }
}

/* Put the run as the display knows it (the last catch-up plus the events since) through the
 * current layout again. Nothing is fetched here: the pipeline asks for what lands on screen. */
static void replay_snapshot(struct sync *s)
{
    json_t *genesis = json_object_get(s->snapshot, "genesis"), *inv;
    int was = s->catching_up;
    s->catching_up = 1;
    if (json_is_object(genesis))
        take_invocation(s, genesis);
    size_t i;
    json_array_foreach(json_object_get(s->snapshot, "invocations"), i, inv) take_invocation(s, inv);
    s->catching_up = was;
}

static void take_config(struct sync *s, json_t *j)
{
    /* Onto what we have; keys a newer coordinator adds are skipped, a bad config is ignored. */
    struct display_config c = s->app->cfg;
    char err[PANIC_ERR_LEN];
    if (display_config_from_json(j, &c, DISPLAY_CONFIG_JSON_IGNORE_UNKNOWN, err, sizeof err) < 0) {
        log_warn("ignoring the display config: %s", err);
        return;
    }
    struct display_config was = s->app->cfg;
    app_set_config(s->app, &c, s->now);
    if (c.network != was.network && !s->fixed_prompt_url) {
        /* The old network's QR code must not stay up: fetch the new one as soon as we stream. */
        s->app->prompt_url[0] = '\0';
        s->qr_at = 0;
    }
    /* Cells the old layout had no room for (2x2 -> 4x4) are filled from the run as far as the
     * display has it, not left empty until the next catch-up. */
    if (c.network == was.network && s->snapshot &&
        (c.mode != was.mode || c.rows != was.rows || c.cols != was.cols || c.stride != was.stride ||
         c.offset != was.offset || c.show_invoking != was.show_invoking))
        replay_snapshot(s);
    /* Where phones go to prompt (the QR code), when the coordinator offers it. */
    const char *url = json_string_value(json_object_get(j, "prompt_url"));
    if (url && !s->fixed_prompt_url)
        snprintf(s->app->prompt_url, sizeof s->app->prompt_url, "%s", url);
}

static void take_network(struct sync *s, json_t *j)
{
    struct app *a = s->app;
    const char *name = json_string_value(json_object_get(j, "name"));
    snprintf(a->network_name, sizeof a->network_name, "%s", name ? name : "");
    json_t *models = json_object_get(j, "models");
    /* A coordinator that knows them sends each model's name and description alongside. */
    json_t *details = json_object_get(j, "model_details");
    a->nmodels = 0;
    for (size_t i = 0; i < json_array_size(models) && a->nmodels < 16; i++) {
        const char *m = json_string_value(json_array_get(models, i));
        json_t *d = json_array_get(details, i);
        const char *mname = json_string_value(json_object_get(d, "name"));
        const char *desc = json_string_value(json_object_get(d, "description"));
        snprintf(a->models[a->nmodels], APP_NAME_MAX, "%s", mname ? mname : m ? m : "?");
        snprintf(a->model_desc[a->nmodels++], APP_DESC_MAX, "%s", desc ? desc : "");
    }
}

static void take_catchup(struct sync *s, json_t *j)
{
    json_t *run = json_object_get(j, "run");
    take_status(s, json_object_get(j, "status"));
    if (!json_is_object(run))
        return;
    app_set_run(s->app, json_integer_value(json_object_get(run, "id")),
                json_string_value(json_object_get(run, "prompt")), s->now);
    json_t *genesis = json_object_get(j, "genesis"), *inv;
    s->catching_up = 1;
    if (json_is_object(genesis))
        take_invocation(s, genesis);
    size_t i;
    json_array_foreach(json_object_get(j, "invocations"), i, inv) take_invocation(s, inv);
    s->catching_up = 0;
}

/* Keep the last good answer on disk so a display that boots while the coordinator is away
 * still shows the last run. */
static void remember(struct sync *s, const char *what, const struct buf *body)
{
    if (!s->state_dir)
        return;
    char *path = xasprintf("%s/%s.json", s->state_dir, what);
    char *tmp = xasprintf("%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f) {
        int ok = fwrite(body->data, 1, body->len, f) == body->len;
        ok = fclose(f) == 0 && ok;
        if (ok)
            rename(tmp, path);
        else
            remove(tmp);
    }
    free(tmp);
    free(path);
}

static void recall(struct sync *s)
{
    if (!s->state_dir)
        return;
    static const char *const what[] = {"display", "network", "current"};
    for (size_t i = 0; i < ARRAY_LEN(what); i++) {
        char *path = xasprintf("%s/%s.json", s->state_dir, what[i]);
        struct buf b = BUF_INIT;
        json_t *j = file_read(path, 8u << 20, FILE_REGULAR, &b, NULL, 0) == 0 && b.len
                        ? load_lenient(b.data, b.len)
                        : NULL;
        buf_free(&b);
        free(path);
        if (!j)
            continue;
        if (i == 0)
            take_config(s, j);
        else if (i == 1)
            take_network(s, j);
        else
            take_catchup(s, j);
        json_decref(j);
    }
}

static int on_event(void *user, const struct sse_event *ev)
{
    struct sync *s = user;
    if (ev->id) {
        int64_t id;
        if (parse_int64(ev->id, 1, INT64_MAX, &id) == 0)
            s->last_event_id = id;
    }
    char *copy = xstrndup(ev->data, ev->data_len);
    json_t *j = load_lenient(copy, ev->data_len);
    free(copy);
    if (!j)
        return 0;
    if (!strcmp(ev->event, "invocation")) {
        take_invocation(s, j);
    } else if (!strcmp(ev->event, "status")) {
        take_status(s, j);
    } else if (!strcmp(ev->event, "display")) {
        const char *name = json_string_value(json_object_get(j, "name"));
        if (name && !strcmp(name, s->app->name)) {
            int64_t old = s->app->cfg.network;
            take_config(s, j);
            if (s->app->cfg.network != old)
                s->phase = PH_IDLE; /* follow the display to its new network */
        }
    } else if (!strcmp(ev->event, "network")) {
        /* Our network was deleted: the coordinator has moved us; ask where to. */
        if (json_is_true(json_object_get(j, "deleted")) &&
            json_integer_value(json_object_get(j, "id")) == s->app->cfg.network)
            s->phase = PH_IDLE;
    } else if (!strcmp(ev->event, "gap")) {
        s->phase = PH_IDLE; /* events were lost: catch up again */
    }
    json_decref(j);
    return 0;
}

/* ---- the state machine ---- */

static void go(struct sync *s)
{
    char path[256];
    switch (s->phase) {
    case PH_CONFIG:
        snprintf(path, sizeof path, "/api/v1/displays/%s", s->app->name);
        start(s, X_CONFIG, path, NULL);
        break;
    case PH_NETWORK:
        snprintf(path, sizeof path, "/api/v1/networks/%lld", (long long)s->app->cfg.network);
        start(s, X_NETWORK, path, NULL);
        break;
    case PH_CATCHUP:
        snprintf(path, sizeof path, "/api/v1/networks/%lld/runs/current?limit=300",
                 (long long)s->app->cfg.network);
        start(s, X_CATCHUP, path, NULL);
        break;
    case PH_STREAM:
        snprintf(path, sizeof path, "/api/v1/networks/%lld/events", (long long)s->app->cfg.network);
        sse_parser_free(s->parser);
        s->parser = sse_parser_new(1 << 20, on_event, s);
        s->last_byte_at = s->now;
        start(s, X_STREAM, path, NULL);
        break;
    case PH_IDLE:
        break;
    }
}

int64_t sync_retry_delay_ms(int64_t backoff_ms, uint64_t *rng)
{
    if (backoff_ms <= 0)
        return 0;
    return backoff_ms / 2 + (int64_t)rng_below(rng, (uint64_t)(backoff_ms - backoff_ms / 2) + 1);
}

static void fail(struct sync *s, const char *why)
{
    if (s->app->online || s->streaming)
        log_warn("coordinator unreachable: %s; retrying", why);
    s->streaming = 0;
    app_set_online(s->app, 0, s->now);
    s->backoff_ms = s->backoff_ms ? MIN(s->backoff_ms * 2, 30000) : 500;
    s->retry_at = s->now + sync_retry_delay_ms(s->backoff_ms, &s->rng);
    /* A stream that had been open resumes with Last-Event-ID; otherwise start over. */
    s->phase = s->last_event_id > 0 ? PH_STREAM : PH_CONFIG;
}

static struct media_fail *media_fail_find(struct sync *s, const char *name)
{
    for (int i = 0; i < s->nfails; i++)
        if (!strcmp(s->fails[i].name, name))
            return &s->fails[i];
    return NULL;
}

/* A download of name failed: try again after a doubling delay, or never if it was refused for
 * its size. Logged once per failure, so at most once per back-off step. A full table drops the
 * entry due soonest (a refusal only if every entry is one). */
static void media_failed(struct sync *s, const char *name, int refused, const char *why)
{
    struct media_fail *f = media_fail_find(s, name);
    if (!f && s->nfails < MEDIA_FAILS) {
        f = &s->fails[s->nfails++];
        memset(f, 0, sizeof *f);
    } else if (!f) {
        f = &s->fails[0];
        for (int i = 1; i < MEDIA_FAILS; i++)
            if (f->refused > s->fails[i].refused ||
                (f->refused == s->fails[i].refused && s->fails[i].retry_at < f->retry_at))
                f = &s->fails[i];
        memset(f, 0, sizeof *f);
    }
    snprintf(f->name, sizeof f->name, "%s", name);
    f->delay_ms = f->delay_ms ? MIN(f->delay_ms * 2, MEDIA_RETRY_MAX_MS) : MEDIA_RETRY_FIRST_MS;
    f->retry_at = s->now + f->delay_ms;
    f->refused = refused;
    if (refused)
        log_warn("media refused name=%s: larger than %llu bytes; not fetched again", name,
                 (unsigned long long)s->media_max_bytes);
    else
        log_warn("media download failed name=%s: %s; retrying in %lld s", name, why,
                 (long long)(f->delay_ms / 1000));
}

static void media_fetched(struct sync *s, const char *name)
{
    struct media_fail *f = media_fail_find(s, name);
    if (f)
        *f = s->fails[--s->nfails];
}

static void done(struct sync *s, struct xfer *x, CURLcode rc)
{
    long status = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    int ok = rc == CURLE_OK && status >= 200 && status < 300;
    json_t *j = NULL;
    if (ok && x->kind != X_MEDIA && x->kind != X_STREAM && x->body.data)
        j = load_lenient(x->body.data, x->body.len);
    switch (x->kind) {
    case X_CONFIG:
    case X_NETWORK:
    case X_CATCHUP:
        if (!j) {
            fail(s, rc != CURLE_OK ? curl_easy_strerror(rc) : "a bad answer");
            break;
        }
        if (x->kind == X_CONFIG) {
            take_config(s, j);
            remember(s, "display", &x->body);
            s->phase = PH_NETWORK;
        } else if (x->kind == X_NETWORK) {
            take_network(s, j);
            remember(s, "network", &x->body);
            s->phase = PH_CATCHUP;
        } else {
            take_catchup(s, j);
            remember(s, "current", &x->body);
            json_decref(s->snapshot);
            s->snapshot = json_incref(j);
            s->snapshot_dirty = 0;
            s->phase = PH_STREAM;
        }
        app_set_online(s->app, 1, s->now);
        s->retry_at = s->now;
        break;
    case X_STREAM:
        fail(s, rc != CURLE_OK ? curl_easy_strerror(rc) : "the event stream ended");
        /* Refused (the network is gone, say): resuming the same stream cannot help; start over
         * from the display's config. */
        if (rc == CURLE_OK && status >= 300)
            s->phase = PH_CONFIG;
        break;
    case X_MEDIA: {
        struct mediacache_part *part = x->part;
        x->part = NULL;
        log_debug("media fetched name=%s status=%ld curl=%d", x->media, status, (int)rc);
        int crc = ok ? mediacache_commit(s->cache, part) : 0;
        if (ok && crc == 0) {
            media_fetched(s, x->media);
            break;
        }
        if (!ok)
            mediacache_abort(s->cache, part);
        char why[96];
        if (!ok && rc != CURLE_OK)
            snprintf(why, sizeof why, "%s", curl_easy_strerror(rc));
        else if (!ok)
            snprintf(why, sizeof why, "HTTP %ld", status);
        else
            snprintf(why, sizeof why, "%s", crc == -EBADMSG ? "hash mismatch" : strerror(-crc));
        media_failed(s, x->media, x->too_big, why);
        break;
    }
    case X_QR: {
        json_t *r = ok ? json_loadb(x->body.data ? x->body.data : "", x->body.len, 0, NULL) : NULL;
        const char *url = json_string_value(json_object_get(r, "url"));
        if (url && !s->fixed_prompt_url)
            snprintf(s->app->prompt_url, sizeof s->app->prompt_url, "%s", url);
        /* No such endpoint or no rights: try again much later, not every frame. */
        s->qr_at = s->now + (url ? QR_REFRESH_MS : 4 * QR_REFRESH_MS);
        json_decref(r);
        break;
    }
    case X_HEARTBEAT:
        if ((status == 401 || status == 403) && !s->heartbeat_refused) {
            s->heartbeat_refused = 1;
            log_warn("the coordinator refuses this display's heartbeat (HTTP %ld): give it a "
                     "device token (token in display.conf)",
                     status);
        }
        break;
    case X_PROMPT:
    case X_PANIC: {
        json_t *r = json_loadb(x->body.data ? x->body.data : "", x->body.len, 0, NULL);
        struct app *a = s->app;
        const char *m = json_string_value(json_object_get(r, "message"));
        if (rc != CURLE_OK)
            snprintf(a->message, sizeof a->message,
                     "Cannot reach the coordinator. Try again in a moment.");
        else if (status == 201)
            snprintf(a->message, sizeof a->message, "Here we go!");
        else if (status == 200)
            snprintf(a->message, sizeof a->message, "Stopped.");
        else if (status == 409)
            snprintf(a->message, sizeof a->message, "Ready in %lld s",
                     (long long)json_integer_value(json_object_get(r, "retry_after_s")));
        else if (status == 401 || status == 403)
            snprintf(a->message, sizeof a->message, "%s",
                     x->kind == X_PANIC && m ? m : "This screen may not start runs.");
        else if (status == 429)
            snprintf(a->message, sizeof a->message, "Too many prompts. Wait a minute.");
        else
            snprintf(a->message, sizeof a->message, "%s", m ? m : "That did not work.");
        if (status == 201 && x->kind == X_PROMPT)
            a->input[0] = '\0';
        a->message_until = s->now + 4000;
        json_decref(r);
        break;
    }
    }
    json_decref(j);
    finish(s, x);
}

/* ---- the heartbeat ---- */

void sync_frame(struct sync *s, int64_t now)
{
    if (s->last_frame && s->nframes < FRAME_SAMPLES)
        s->frame_ms[s->nframes++] = (float)(now - s->last_frame);
    if (!s->frames_from)
        s->frames_from = now;
    s->frames_since++;
    s->last_frame = now;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* A small sysfs file's first number (base 10 or 16) into *out; 0, or -1 if absent. Files under
 * /sys are answered by the kernel from memory; the Pi's get_throttled asks the firmware, which
 * answers within a millisecond, once every 10 s. */
static int read_sys(const struct sync *s, const char *rel, int base, long long *out)
{
    char path[512], text[64];
    snprintf(path, sizeof path, "%s/%s", s->sys_root, rel);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    char *end;
    *out = strtoll(text, &end, base);
    return end == text ? -1 : 0;
}

/* The figures of one heartbeat; the frame samples start over. */
static json_t *heartbeat_body(struct sync *s, int64_t now)
{
    json_t *j = json_pack("{s:s, s:I}", "version", PANIC_VERSION, "uptime_s",
                          (json_int_t)((now - s->started_at) / 1000));
    if (s->frames_since > 1 && now > s->frames_from)
        json_object_set_new(
            j, "fps", json_real((double)s->frames_since * 1000.0 / (double)(now - s->frames_from)));
    if (s->nframes > 0) {
        qsort(s->frame_ms, (size_t)s->nframes, sizeof s->frame_ms[0], cmp_float);
        json_object_set_new(j, "frame_p99_ms",
                            json_real(s->frame_ms[(s->nframes * 99 + 99) / 100 - 1]));
    }
    s->nframes = 0;
    s->frames_since = 0;
    s->frames_from = now;
    if (s->shown_at)
        json_object_set_new(j, "newest_age_s", json_real((double)(now - s->shown_at) / 1000.0));
    long long v;
    if (read_sys(s, "class/thermal/thermal_zone0/temp", 10, &v) == 0)
        json_object_set_new(j, "cpu_temp_c", json_real((double)v / 1000.0));
    if (read_sys(s, "devices/platform/soc/soc:firmware/get_throttled", 16, &v) == 0)
        json_object_set_new(j, "throttled", json_integer(v));
    json_object_set_new(j, "cache_bytes",
                        json_integer((json_int_t)mediacache_total_bytes(s->cache)));
    if (s->cache_max_bytes)
        json_object_set_new(j, "cache_max_bytes", json_integer((json_int_t)s->cache_max_bytes));
    const char *drv = getenv("SDL_AUDIODRIVER"), *dev = getenv("AUDIODEV");
    json_object_set_new(j, "audio",
                        json_string(drv && !strcmp(drv, "dummy") ? "none"
                                    : dev                        ? dev
                                                                 : "default"));
    if (s->app->cfg.network > 0)
        json_object_set_new(j, "network", json_integer(s->app->cfg.network));
    return j;
}

/* Every heartbeat_ms, one at a time; the first as soon as the display starts. */
static void heartbeat(struct sync *s, int64_t now)
{
    if (now < s->heartbeat_at || count(s, X_HEARTBEAT))
        return;
    s->heartbeat_at = now + s->heartbeat_ms;
    json_t *j = heartbeat_body(s, now);
    char *body = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    char *esc = curl_easy_escape(NULL, s->app->name, 0);
    char *path = xasprintf("/api/v1/displays/%s/heartbeat", esc ? esc : s->app->name);
    if (body)
        start(s, X_HEARTBEAT, path, body);
    curl_free(esc);
    free(path);
    free(body);
}

void sync_pump(struct sync *s, int64_t now)
{
    s->now = now;
    int running;
    curl_multi_perform(s->multi, &running);
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(s->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        struct xfer *x = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        if (x)
            done(s, x, msg->data.result);
    }
    for (int i = 0; i < s->nqueued; i++)
        sync_want_media(s, s->queued[i]);
    s->nqueued = 0;
    if (s->snapshot_dirty && now - s->snapshot_saved_at >= SNAPSHOT_SAVE_MS)
        snapshot_save(s);
    if (s->streaming && now - s->last_byte_at > STREAM_SILENCE_MS) {
        for (struct xfer *x = s->xfers; x; x = x->next) {
            if (x->kind == X_STREAM) {
                finish(s, x);
                break;
            }
        }
        fail(s, "no heartbeat");
    }
    if (s->phase == PH_IDLE) {
        /* An event asked to start over (network change, gap): drop the stream first. */
        for (struct xfer *x = s->xfers; x; x = x->next) {
            if (x->kind == X_STREAM) {
                finish(s, x);
                break;
            }
        }
        s->streaming = 0;
    }
    if (s->streaming && !s->fixed_prompt_url && now >= s->qr_at && !count(s, X_QR)) {
        char path[96];
        snprintf(path, sizeof path, "/api/v1/networks/%lld/prompt-url",
                 (long long)s->app->cfg.network);
        s->qr_at = now + QR_REFRESH_MS;
        start(s, X_QR, path, NULL);
    }
    int busy = count(s, X_CONFIG) + count(s, X_NETWORK) + count(s, X_CATCHUP) + count(s, X_STREAM);
    if (!busy && s->phase == PH_IDLE)
        s->phase = PH_CONFIG;
    if (!busy && now >= s->retry_at)
        go(s);
    heartbeat(s, now);
}

int sync_want_media(struct sync *s, const char *name)
{
    if (mediacache_has(s->cache, name))
        return 1;
    struct media_fail *f = media_fail_find(s, name);
    if (f && (f->refused || s->now < f->retry_at))
        return 0;
    for (struct xfer *x = s->xfers; x; x = x->next)
        if (x->kind == X_MEDIA && !strcmp(x->media, name))
            return 0;
    if (count(s, X_MEDIA) >= MAX_DOWNLOADS)
        return 0;
    struct mediacache_part *part = NULL;
    if (mediacache_begin_write(s->cache, name, &part) < 0)
        return 0;
    char path[160];
    snprintf(path, sizeof path, "/media/%s", name);
    struct xfer *x = start(s, X_MEDIA, path, NULL);
    if (!x) {
        mediacache_abort(s->cache, part);
        return 0;
    }
    x->part = part;
    snprintf(x->media, sizeof x->media, "%s", name);
    return 0;
}

void sync_post_prompt(struct sync *s, const char *prompt, int64_t now)
{
    s->now = now;
    char path[96];
    snprintf(path, sizeof path, "/api/v1/networks/%lld/runs", (long long)s->app->cfg.network);
    json_t *j = json_pack("{s:s}", "prompt", prompt);
    char *body = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (body)
        start(s, X_PROMPT, path, body);
    free(body);
}

void sync_post_panic(struct sync *s, int long_press, int64_t now)
{
    s->now = now;
    json_t *j = json_pack("{s:s, s:b}", "display", s->app->name, "long", long_press);
    char *body = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (body)
        start(s, X_PANIC, "/api/v1/panic", body);
    free(body);
}

void sync_wait(struct sync *s, int ms)
{
    if (ms > 0)
        curl_multi_poll(s->multi, NULL, 0, ms, NULL);
}

int sync_streaming(const struct sync *s)
{
    return s->streaming;
}

struct sync *sync_new(const struct sync_options *opt, struct app *app, struct mediacache *cache)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return NULL;
    struct sync *s = xcalloc(1, sizeof *s);
    s->app = app;
    s->cache = cache;
    s->base = xstrndup(opt->coordinator, url_base_len(opt->coordinator));
    s->token = opt->token ? xstrdup(opt->token) : NULL;
    s->state_dir = opt->state_dir ? xstrdup(opt->state_dir) : NULL;
    s->multi = curl_multi_init();
    s->phase = PH_CONFIG;
    s->rng = rng_seed();
    s->media_max_bytes = opt->media_max_bytes ? opt->media_max_bytes : SYNC_MEDIA_MAX_BYTES;
    s->fixed_prompt_url = app->prompt_url[0] != '\0';
    s->heartbeat_ms = opt->heartbeat_ms > 0 ? opt->heartbeat_ms : SYNC_HEARTBEAT_MS;
    s->cache_max_bytes = opt->cache_max_bytes;
    s->started_at = time_mono_ms();
    const char *root = getenv("PANIC_SYS_ROOT");
    s->sys_root = xstrdup(root && *root ? root : "/sys");
    recall(s);
    return s;
}

void sync_free(struct sync *s)
{
    if (!s)
        return;
    snapshot_save(s);
    json_decref(s->snapshot);
    while (s->xfers)
        finish(s, s->xfers);
    curl_multi_cleanup(s->multi);
    sse_parser_free(s->parser);
    free(s->base);
    free(s->token);
    free(s->state_dir);
    free(s->sys_root);
    free(s);
    curl_global_cleanup();
}
