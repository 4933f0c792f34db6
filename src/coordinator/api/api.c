/* api.c: routes and handlers of HTTP API v1 (DESIGN.md's table), token roles, input validation,
 * media with ETag and Range, and the Server-Sent Events fan-out with Last-Event-ID replay; also
 * the visitor's side: the panic button (POST /api/v1/panic, the prompt deck, the presses log),
 * visitor tokens (token.c) with a per-address rate limit, and the phone terminal page /t/{id}.
 *
 * How to read it: api_handle() authenticates, splits the path and dispatches to one handler per
 * endpoint; each handler replies exactly once, with JSON errors {"error","message"} for every bad
 * input. Handlers run on the loop thread and only make short sqlite reads or one coordinator
 * call, so no request can stall the invocation loops. */
#include "api.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/util.h"
#include "hmac.h"
#include "coordinator/core/ratelimit.h"
#include "terminal.h"
#include "coordinator/core/token.h"
#include "views.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define PANIC_VERSION "0.1.0"
#define PROMPT_MAX 1000
#define STREAM_BACKLOG_MAX (1024 * 1024)
#define REPLAY_MAX 10000

enum role { ROLE_NONE, ROLE_INVALID, ROLE_VISITOR, ROLE_DEVICE, ROLE_ADMIN };
#define ALLOW_ADMIN (1u << ROLE_ADMIN)
#define ALLOW_DEVICE (1u << ROLE_DEVICE)
#define ALLOW_VISITOR (1u << ROLE_VISITOR)

struct client {
    struct api *a;
    struct http_stream *st;
    int64_t network;
    struct client *next;
};

struct api {
    struct ev *ev;
    struct coord *coord;
    struct store *store;
    struct media_store *media;
    const struct panicd_config *cfg;
    const char *admin_token;
    const char *visitor_secret;
    struct deck *deck;
    struct ratelimit *visitor_limit;
    struct http_server *srv;
    struct client *clients;
    size_t nclients;
    uint64_t heartbeat;
    int64_t started_mono;
};

/* ---- replies ---- */

static void reply_json(struct http_req *req, int status, json_t *j)
{
    char *text = view_dump(j);
    http_reply(req, status, "application/json", text, strlen(text), NULL);
    free(text);
}

static void reply_error(struct http_req *req, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void reply_error(struct http_req *req, int status, const char *code, const char *fmt, ...)
{
    char msg[PANIC_ERR_LEN * 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    reply_json(req, status, json_pack("{s:s, s:s}", "error", code, "message", msg));
}

/* ---- auth ---- */

/* Who is calling: the role, and for a device its index in the config, for a visitor the network
 * its token names. */
struct caller {
    enum role role;
    int device;              /* index into cfg->devices, -1 if not a device */
    int64_t network;         /* visitor: the token's network */
    enum token_result check; /* visitor: why the token was refused */
};

static int64_t now_s(void)
{
    return time_wall_ms() / 1000;
}

/* Bearer tokens from the Authorization header; a visitor token may also come as ?token= (the QR
 * code's URL), which is never taken for an admin or device token so those stay out of URLs. */
static struct caller caller_of(struct api *a, struct http_req *req)
{
    struct caller c = {ROLE_NONE, -1, 0, TOKEN_OK};
    const char *h = http_req_header(req, "Authorization");
    const char *tok = NULL;
    if (h) {
        if (strncasecmp(h, "Bearer ", 7) != 0) { /* the scheme is case-insensitive (RFC 7235) */
            c.role = ROLE_INVALID;
            return c;
        }
        tok = h + 7;
        if (secret_equal(tok, a->admin_token)) {
            c.role = ROLE_ADMIN;
            return c;
        }
        for (size_t i = 0; i < a->cfg->ndevices; i++) {
            if (a->cfg->devices[i].token && secret_equal(tok, a->cfg->devices[i].token)) {
                c.role = ROLE_DEVICE;
                c.device = (int)i;
                return c;
            }
        }
    } else {
        tok = http_req_query(req, "token");
        if (!tok)
            return c;
    }
    c.check = token_verify(hmac_sha256, a->visitor_secret, tok, 0, now_s(), &c.network);
    c.role = c.check == TOKEN_OK ? ROLE_VISITOR : ROLE_INVALID;
    return c;
}

/* 1 if the caller may go on (*who filled in when not NULL); otherwise the 401/403 reply is
 * sent. */
static int require_who(struct api *a, struct http_req *req, unsigned allowed, struct caller *who)
{
    struct caller c = caller_of(a, req);
    if (who)
        *who = c;
    if (c.role == ROLE_NONE) {
        reply_error(req, 401, "unauthorized", "this needs a token (Authorization: Bearer ...)");
        return 0;
    }
    if (c.role == ROLE_INVALID && c.check == TOKEN_EXPIRED) {
        reply_error(req, 401, "token_expired", "%s", TERMINAL_EXPIRED_TEXT);
        return 0;
    }
    if (c.role == ROLE_INVALID) {
        reply_error(req, 401, "unauthorized", "the token is not valid");
        return 0;
    }
    if (!(allowed & (1u << c.role))) {
        reply_error(req, 403, "forbidden", "this token may not do that");
        return 0;
    }
    return 1;
}

static int require(struct api *a, struct http_req *req, unsigned allowed)
{
    return require_who(a, req, allowed, NULL);
}

/* ---- helpers ---- */

static int parse_id(const char *s, int64_t *out)
{
    return parse_int64(s, 1, INT64_MAX, out);
}

/* Parse the body as a JSON object; replies 400 and returns NULL if it is not one. */
static json_t *body_object(struct http_req *req)
{
    size_t len;
    const char *body = http_req_body(req, &len);
    json_error_t jerr;
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!j) {
        reply_error(req, 400, "bad_json", "the body is not valid JSON: %s", jerr.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        reply_error(req, 400, "bad_json", "the body must be a JSON object");
        return NULL;
    }
    return j;
}

/* Visitors' and staff's text: UTF-8 (jansson checked), 1..max bytes, no control characters but
 * newline and tab. 0, or -EINVAL with a reason in err. */
static int check_text(const char *what, const char *s, size_t max, char *err, size_t errlen)
{
    size_t len = strlen(s), visible = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if ((ch < 0x20 && ch != '\n' && ch != '\t') || ch == 0x7f) {
            snprintf(err, errlen, "%s contains control characters", what);
            return -EINVAL;
        }
        if (ch != ' ' && ch != '\n' && ch != '\t')
            visible++;
    }
    if (!visible) {
        snprintf(err, errlen, "%s is empty", what);
        return -EINVAL;
    }
    if (len > max) {
        snprintf(err, errlen, "%s is too long (%zu bytes; at most %zu)", what, len, max);
        return -EINVAL;
    }
    return 0;
}

/* A JSON array of model id strings -> owned array of borrowed strings (NULL + reply on error). */
static const char **models_arg(struct http_req *req, json_t *arr, size_t *n)
{
    if (!json_is_array(arr)) {
        reply_error(req, 422, "invalid", "models must be an array of model ids");
        return NULL;
    }
    *n = json_array_size(arr);
    if (*n > NETWORK_MAX_MODELS) {
        reply_error(req, 422, "invalid", "a network may contain at most %d models",
                    NETWORK_MAX_MODELS);
        return NULL;
    }
    const char **models = xcalloc(*n ? *n : 1, sizeof *models);
    for (size_t i = 0; i < *n; i++) {
        models[i] = json_string_value(json_array_get(arr, i));
        if (!models[i]) {
            free(models);
            reply_error(req, 422, "invalid", "models must be an array of model ids");
            return NULL;
        }
    }
    return models;
}

/* ---- handlers: models and networks ---- */

static void get_health(struct api *a, struct http_req *req)
{
    reply_json(req, 200,
               json_pack("{s:s, s:s, s:I}", "status", "ok", "version", PANIC_VERSION, "uptime_s",
                         (json_int_t)((time_mono_ms() - a->started_mono) / 1000)));
}

static void get_models(struct api *a, struct http_req *req)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < catalog_count(); i++) {
        const struct model_info *m = catalog_at(i);
        json_t *params = json_loads(m->params_json, 0, NULL);
        char why[256] = "";
        int ok = coord_model_available(a->coord, m, why, sizeof why);
        json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:o}", "id", m->id, "name",
                              m->name, "platform", m->platform, "input", media_type_name(m->input),
                              "output", media_type_name(m->output), "description", m->description,
                              "available", ok, "parameters", params ? params : json_object());
        if (!ok)
            json_object_set_new(j, "unavailable_reason", json_string(why));
        json_array_append_new(arr, j);
    }
    reply_json(req, 200, json_pack("{s:o}", "models", arr));
}

/* GET /api/v1/platforms: which platforms have a key; never the key itself. */
static void get_platforms(struct api *a, struct http_req *req)
{
    static const char *const names[] = {"dummy", "builtin", "replicate", "openai", "gemini"};
    json_t *arr = json_array();
    for (size_t i = 0; i < ARRAY_LEN(names); i++) {
        int needs_key = i >= 2;
        json_array_append_new(arr,
                              json_pack("{s:s, s:b, s:b}", "name", names[i], "needs_key", needs_key,
                                        "key_set", needs_key && coord_key_set(a->coord, names[i])));
    }
    reply_json(req, 200, json_pack("{s:o}", "platforms", arr));
}

/* PUT /api/v1/platforms/{name}/key {"key": "..."}: write-only; DELETE removes it. */
static void put_platform_key(struct api *a, struct http_req *req, const char *name, int remove)
{
    if (strlen(name) > 32 || !display_name_valid(name)) {
        reply_error(req, 400, "bad_name", "a platform name is 1-32 letters, digits, '-' or '_'");
        return;
    }
    if (remove) {
        int rc = coord_set_key(a->coord, name, NULL);
        if (rc == -ENOENT)
            reply_error(req, 404, "not_found", "no key stored for %s", name);
        else if (rc < 0)
            reply_error(req, 500, "internal", "could not remove the key");
        else
            reply_json(req, 200,
                       json_pack("{s:s, s:b}", "platform", name, "key_set",
                                 coord_key_set(a->coord, name)));
        return;
    }
    json_t *body = body_object(req);
    if (!body)
        return;
    const char *key = json_string_value(json_object_get(body, "key"));
    size_t len = key ? strlen(key) : 0;
    int bad = !key || len < 8 || len > 512;
    for (size_t i = 0; !bad && i < len; i++)
        bad = (unsigned char)key[i] <= ' ' || key[i] == 0x7f;
    if (bad) {
        reply_error(req, 422, "invalid_key",
                    "the key must be 8-512 printable characters, no spaces");
    } else if (coord_set_key(a->coord, name, key) < 0) {
        reply_error(req, 500, "internal", "could not store the key");
    } else {
        log_info("api key set platform=%s", name); /* the platform only, never the key */
        reply_json(req, 200, json_pack("{s:s, s:b}", "platform", name, "key_set", 1));
    }
    json_decref(body);
}

static void get_networks(struct api *a, struct http_req *req)
{
    struct store_network *list = NULL;
    size_t n = 0;
    if (store_network_list(a->store, &list, &n) < 0) {
        reply_error(req, 500, "internal", "could not read the networks");
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(arr, view_network(&list[i]));
        store_network_clear(&list[i]);
    }
    free(list);
    reply_json(req, 200, json_pack("{s:o}", "networks", arr));
}

static void reply_network(struct api *a, struct http_req *req, int status, int64_t id)
{
    struct store_network sn = {0};
    if (store_network_get(a->store, id, &sn) < 0) {
        reply_error(req, 404, "not_found", "no network %lld", (long long)id);
        return;
    }
    reply_json(req, status, view_network(&sn));
    store_network_clear(&sn);
}

static void get_network(struct api *a, struct http_req *req, int64_t id)
{
    reply_network(a, req, 200, id);
}

/* Shared by create and update: pull the optional fields out of the body. 0, or the reply sent. */
static int network_fields(struct http_req *req, json_t *body, const char **name, int64_t *lockout,
                          struct schedule *sched, int *has_sched)
{
    json_t *jn = json_object_get(body, "name"), *jl = json_object_get(body, "lockout_seconds"),
           *js = json_object_get(body, "schedule");
    char err[PANIC_ERR_LEN];
    *name = NULL;
    *lockout = -1;
    *has_sched = 0;
    if (jn) {
        *name = json_string_value(jn);
        if (!*name || check_text("name", *name, 200, err, sizeof err) < 0) {
            reply_error(req, 422, "invalid", "%s", *name ? err : "name must be a string");
            return -1;
        }
    }
    if (jl) {
        if (!json_is_integer(jl) || json_integer_value(jl) < 0 || json_integer_value(jl) > 86400) {
            reply_error(req, 422, "invalid", "lockout_seconds must be a whole number, 0-86400");
            return -1;
        }
        *lockout = json_integer_value(jl);
    }
    if (js && !json_is_null(js)) {
        if (view_parse_schedule(js, sched, err, sizeof err) < 0) {
            reply_error(req, 422, "invalid", "%s", err);
            return -1;
        }
        *has_sched = 1;
    }
    return 0;
}

static void post_network(struct api *a, struct http_req *req)
{
    json_t *body = body_object(req);
    if (!body)
        return;
    const char *name;
    int64_t lockout, id;
    struct schedule sched;
    int has_sched;
    size_t n = 0;
    const char **models = NULL;
    char err[PANIC_ERR_LEN * 2];
    if (network_fields(req, body, &name, &lockout, &sched, &has_sched) < 0)
        goto out;
    if (!name) {
        reply_error(req, 422, "invalid", "a network needs a name");
        goto out;
    }
    if (!json_object_get(body, "models")) {
        reply_error(req, 422, "invalid", "a network needs models (an array of model ids)");
        goto out;
    }
    models = models_arg(req, json_object_get(body, "models"), &n);
    if (!models)
        goto out;
    int rc =
        coord_network_create(a->coord, name, models, n, lockout >= 0 ? lockout : a->cfg->lockout_s,
                             has_sched ? &sched : NULL, &id, err, sizeof err);
    if (rc == -EINVAL)
        reply_error(req, 422, "invalid_network", "%s", err);
    else if (rc < 0)
        reply_error(req, 500, "internal", "%s", err);
    else
        reply_network(a, req, 201, id);
    if (rc == 0)
        log_info("network created id=%lld", (long long)id);
out:
    free(models);
    json_decref(body);
}

static void patch_network(struct api *a, struct http_req *req, int64_t id)
{
    json_t *body = body_object(req);
    if (!body)
        return;
    const char *name;
    int64_t lockout;
    struct schedule sched;
    int has_sched;
    size_t n = 0;
    const char **models = NULL;
    char err[PANIC_ERR_LEN * 2];
    if (network_fields(req, body, &name, &lockout, &sched, &has_sched) < 0)
        goto out;
    if (json_object_get(body, "models")) {
        models = models_arg(req, json_object_get(body, "models"), &n);
        if (!models)
            goto out;
    }
    int rc = coord_network_update(a->coord, id, name, models, n, lockout, has_sched ? &sched : NULL,
                                  err, sizeof err);
    if (rc == -ENOENT)
        reply_error(req, 404, "not_found", "no network %lld", (long long)id);
    else if (rc == -EINVAL)
        reply_error(req, 422, "invalid_network", "%s", err);
    else if (rc < 0)
        reply_error(req, 500, "internal", "%s", err);
    else
        get_network(a, req, id);
out:
    free(models);
    json_decref(body);
}

static void delete_network(struct api *a, struct http_req *req, int64_t id)
{
    int rc = coord_network_delete(a->coord, id);
    if (rc == -ENOENT)
        reply_error(req, 404, "not_found", "no network %lld", (long long)id);
    else if (rc < 0)
        reply_error(req, 500, "internal", "could not delete network %lld", (long long)id);
    else
        reply_json(req, 200, json_pack("{s:I, s:b}", "id", (json_int_t)id, "deleted", 1));
}

/* ---- handlers: runs ---- */

static void get_status(struct api *a, struct http_req *req, int64_t id)
{
    struct runner_status st;
    if (coord_status(a->coord, id, &st) < 0) {
        reply_error(req, 404, "not_found", "no network %lld", (long long)id);
        return;
    }
    json_t *j = view_status(id, &st);
    json_object_set_new(j, "burn_usd_per_hour", json_real(coord_burn_per_hour(a->coord, id)));
    reply_json(req, 200, j);
}

/* A visitor's token names one network, and each address may post a few prompts a minute. 1 to go
 * on; otherwise the reply is sent. */
static int visitor_may_post(struct api *a, struct http_req *req, const struct caller *who,
                            int64_t id)
{
    if (who->role != ROLE_VISITOR)
        return 1;
    if (who->network != id) {
        reply_error(req, 403, "wrong_network",
                    "This QR code belongs to another PANIC! network. Scan the code on the screen "
                    "you are looking at.");
        return 0;
    }
    char ip[64];
    int64_t retry_ms = 0;
    if (http_req_client_ip(req, ip, sizeof ip) < 0)
        snprintf(ip, sizeof ip, "unknown");
    if (!ratelimit_take(a->visitor_limit, ip, time_mono_ms(), &retry_ms)) {
        char after[24];
        int64_t s = (retry_ms + 999) / 1000;
        snprintf(after, sizeof after, "%lld", (long long)s);
        const char *h[] = {"Retry-After", after, NULL};
        char *text = view_dump(json_pack("{s:s, s:s, s:I}", "error", "rate_limited", "message",
                                         "Too many prompts from this address; please wait a little",
                                         "retry_after_s", (json_int_t)s));
        http_reply(req, 429, "application/json", text, strlen(text), h);
        free(text);
        log_info("visitor rate-limited network=%lld ip=%s", (long long)id, ip);
        return 0;
    }
    return 1;
}

static void post_run(struct api *a, struct http_req *req, int64_t id, const struct caller *who)
{
    if (!visitor_may_post(a, req, who, id))
        return;
    json_t *body = body_object(req);
    if (!body)
        return;
    const char *prompt = json_string_value(json_object_get(body, "prompt"));
    char err[PANIC_ERR_LEN];
    int64_t run = 0, genesis = 0, retry_ms = 0;
    if (!prompt) {
        reply_error(req, 422, "invalid_prompt", "the body needs a prompt (a string)");
        goto out;
    }
    if (check_text("Your prompt", prompt, PROMPT_MAX, err, sizeof err) < 0) {
        reply_error(req, 422, "invalid_prompt", "%s", err);
        goto out;
    }
    int rc = coord_run_start(a->coord, id, prompt, &run, &genesis, &retry_ms);
    if (rc == -ENOENT) {
        reply_error(req, 404, "not_found", "no network %lld", (long long)id);
    } else if (rc == -EBUSY) {
        int64_t s = (retry_ms + 999) / 1000;
        reply_json(req, 409,
                   json_pack("{s:s, s:s, s:I}", "error", "lockout", "message",
                             "a run has just started; please wait", "retry_after_s",
                             (json_int_t)s));
    } else if (rc == -EPERM) {
        reply_error(req, 422, "platform_unavailable", "%s", coord_last_error(a->coord));
    } else if (rc < 0) {
        reply_error(req, 500, "internal", "the run could not be started");
    } else {
        struct store_invocation inv = {0};
        json_t *g = store_invocation_get(a->store, genesis, &inv) == 0 ? view_invocation(&inv)
                                                                       : json_null();
        store_invocation_clear(&inv);
        log_info("run started network=%lld run=%lld by=%s", (long long)id, (long long)run,
                 who->role == ROLE_VISITOR  ? "visitor"
                 : who->role == ROLE_DEVICE ? a->cfg->devices[who->device].name
                                            : "admin");
        reply_json(req, 201, json_pack("{s:I, s:o}", "run", (json_int_t)run, "genesis", g));
    }
out:
    json_decref(body);
}

static void post_stop(struct api *a, struct http_req *req, int64_t id)
{
    int rc = coord_run_stop(a->coord, id, "stopped by staff");
    if (rc == -ENOENT) {
        reply_error(req, 404, "not_found", "no network %lld", (long long)id);
        return;
    }
    struct runner_status st;
    coord_status(a->coord, id, &st);
    json_t *j = view_status(id, &st);
    json_object_set_new(j, "stopped", json_boolean(rc == 0));
    reply_json(req, 200, j);
}

static int collect_invocation(void *user, const struct store_invocation *inv)
{
    json_array_append_new(user, view_invocation(inv));
    return 0;
}

static int query_int(struct http_req *req, const char *name, int64_t min, int64_t max, int64_t def,
                     int64_t *out)
{
    const char *v = http_req_query(req, name);
    if (!v) {
        *out = def;
        return 0;
    }
    if (parse_int64(v, min, max, out) < 0) {
        reply_error(req, 400, "bad_query", "%s must be a whole number from %lld to %lld", name,
                    (long long)min, (long long)max);
        return -1;
    }
    return 0;
}

static void get_current_run(struct api *a, struct http_req *req, int64_t id)
{
    struct store_network sn = {0};
    if (store_network_get(a->store, id, &sn) < 0) {
        reply_error(req, 404, "not_found", "no network %lld", (long long)id);
        return;
    }
    store_network_clear(&sn);
    int64_t limit;
    if (query_int(req, "limit", 1, 1000, 100, &limit) < 0)
        return;
    struct runner_status st;
    coord_status(a->coord, id, &st);
    json_t *status = view_status(id, &st);
    struct store_run run = {0};
    if (store_run_latest(a->store, id, &run) < 0) {
        reply_json(req, 200,
                   json_pack("{s:I, s:n, s:n, s:[], s:o}", "network", (json_int_t)id, "run",
                             "genesis", "invocations", "status", status));
        return;
    }
    struct store_invocation last = {0};
    json_t *genesis = json_null(), *invs = json_array();
    if (store_invocation_each(a->store, run.id, -1, 1, collect_invocation, invs) == 1) {
        json_decref(genesis);
        genesis = json_incref(json_array_get(invs, 0));
        json_array_clear(invs);
    }
    int64_t after = -1;
    if (store_invocation_last(a->store, run.id, &last) == 0 && last.seq - limit >= 0)
        after = last.seq - limit;
    store_invocation_each(a->store, run.id, after, limit, collect_invocation, invs);
    json_t *jrun = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)run.id, "prompt", run.prompt,
                             "state", run.state);
    json_object_set_new(jrun, "reason", run.reason ? json_string(run.reason) : json_null());
    json_object_set_new(jrun, "created_at", view_time(run.created_at));
    json_object_set_new(jrun, "ended_at", view_time(run.ended_at));
    reply_json(req, 200,
               json_pack("{s:I, s:o, s:o, s:o, s:o}", "network", (json_int_t)id, "run", jrun,
                         "genesis", genesis, "invocations", invs, "status", status));
    store_invocation_clear(&last);
    store_run_clear(&run);
}

static void get_run_invocations(struct api *a, struct http_req *req, int64_t run_id)
{
    struct store_run run = {0};
    if (store_run_get(a->store, run_id, &run) < 0) {
        reply_error(req, 404, "not_found", "no run %lld", (long long)run_id);
        return;
    }
    int64_t after, limit;
    if (query_int(req, "after_seq", -1, INT64_MAX - 1, -1, &after) == 0 &&
        query_int(req, "limit", 1, 1000, 100, &limit) == 0) {
        json_t *invs = json_array();
        int n = store_invocation_each(a->store, run_id, after, limit, collect_invocation, invs);
        json_t *next = json_null();
        if (n == limit && n > 0)
            next = json_integer(
                json_integer_value(json_object_get(json_array_get(invs, (size_t)n - 1), "seq")));
        reply_json(req, 200,
                   json_pack("{s:I, s:I, s:o, s:o}", "run", (json_int_t)run_id, "network",
                             (json_int_t)run.network_id, "invocations", invs, "next_after_seq",
                             next));
    }
    store_run_clear(&run);
}

/* ---- event streams ---- */

static void stream_closed(void *user, struct http_stream *st)
{
    struct api *a = user;
    for (struct client **pp = &a->clients; *pp; pp = &(*pp)->next) {
        if ((*pp)->st == st) {
            struct client *gone = *pp;
            *pp = gone->next;
            free(gone);
            a->nclients--;
            return;
        }
    }
}

static void send_event(struct http_stream *st, int64_t id, const char *type, const char *data)
{
    struct buf b = BUF_INIT;
    if (id > 0)
        buf_printf(&b, "id: %lld\n", (long long)id);
    buf_printf(&b, "event: %s\ndata: %s\n\n", type, data);
    http_stream_write(st, b.data, b.len);
    buf_free(&b);
}

static int replay_one(void *user, int64_t id, const char *type, const char *data)
{
    send_event(user, id, type, data);
    return 0;
}

static void get_events(struct api *a, struct http_req *req, int64_t id)
{
    struct runner_status st;
    if (coord_status(a->coord, id, &st) < 0) {
        reply_error(req, 404, "not_found", "no network %lld", (long long)id);
        return;
    }
    const char *last = http_req_header(req, "Last-Event-ID");
    if (!last)
        last = http_req_query(req, "last_event_id");
    int64_t after = -1;
    if (last && *last && parse_int64(last, 0, INT64_MAX, &after) < 0) {
        reply_error(req, 400, "bad_last_event_id", "Last-Event-ID must be an event id");
        return;
    }
    struct http_stream *stream = http_reply_stream(req, "text/event-stream", stream_closed, a);
    if (!stream)
        return;
    struct client *cl = xcalloc(1, sizeof *cl);
    cl->a = a;
    cl->st = stream;
    cl->network = id;
    cl->next = a->clients;
    a->clients = cl;
    a->nclients++;
    http_stream_write(stream, "retry: 2000\n\n", 13);
    if (after >= 0) {
        int64_t first = store_event_first_id(a->store);
        if (first > after + 1) {
            /* Some of what this client missed has been pruned: tell it to reload the run. */
            char data[96];
            snprintf(data, sizeof data, "{\"missed_after\":%lld,\"oldest_kept\":%lld}",
                     (long long)after, (long long)first);
            send_event(stream, 0, "gap", data);
        }
        store_event_each(a->store, id, after, REPLAY_MAX, replay_one, stream);
    } else {
        /* A new client: the current status, without an id so replay semantics stay exact. */
        char *data = view_dump(view_status(id, &st));
        send_event(stream, 0, "status", data);
        free(data);
    }
}

void api_on_event(void *user, int64_t id, int64_t network, const char *type, const char *data)
{
    struct api *a = user;
    for (struct client *cl = a->clients; cl; cl = cl->next) {
        if (network != 0 && cl->network != network)
            continue;
        if (http_stream_pending(cl->st) > STREAM_BACKLOG_MAX) {
            /* A client this far behind reconnects and replays from its Last-Event-ID. */
            http_stream_close(cl->st);
            continue;
        }
        send_event(cl->st, id, type, data);
    }
}

static void on_heartbeat(struct ev *ev, uint64_t tid, void *data)
{
    (void)tid;
    struct api *a = data;
    for (struct client *cl = a->clients; cl; cl = cl->next)
        http_stream_write(cl->st, ":\n\n", 3);
    a->heartbeat = ev_timer_in(ev, a->cfg->heartbeat_ms, on_heartbeat, a);
}

size_t api_stream_count(const struct api *a)
{
    return a->nclients;
}

/* ---- displays ---- */

/* Apply the JSON object's fields onto d; 0, or -EINVAL with err. */
static int display_from_json(json_t *obj, struct display_cfg *d, char *err, size_t errlen)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        char text[64];
        if (!strcmp(key, "name") || !strcmp(key, "configured") || !strcmp(key, "prompt_url"))
            continue;
        if (json_is_string(v))
            snprintf(text, sizeof text, "%s", json_string_value(v));
        else if (json_is_integer(v))
            snprintf(text, sizeof text, "%lld", (long long)json_integer_value(v));
        else if (json_is_boolean(v))
            snprintf(text, sizeof text, "%s", json_is_true(v) ? "yes" : "no");
        else {
            snprintf(err, errlen, "%s must be a string, a whole number or a boolean", key);
            return -EINVAL;
        }
        if (display_cfg_set(d, key, text, err, errlen) < 0)
            return -EINVAL;
    }
    return display_cfg_check(d, err, errlen);
}

/* The stored config of a display, else the default; *configured says which. */
static struct display_cfg display_load(struct api *a, const char *name, int *configured)
{
    struct display_cfg d = display_cfg_default();
    char *text = NULL;
    *configured = 0;
    if (store_display_get(a->store, name, &text) == 0) {
        json_t *j = json_loads(text, 0, NULL);
        char err[PANIC_ERR_LEN];
        struct display_cfg stored = display_cfg_default();
        if (j && display_from_json(j, &stored, err, sizeof err) == 0) {
            d = stored;
            *configured = 1;
        }
        json_decref(j);
        free(text);
    }
    struct runner_status st;
    if (d.network == 0 || coord_status(a->coord, d.network, &st) < 0)
        d.network = coord_first_network(a->coord);
    return d;
}

/* ---- visitor links ---- */

/* A Host header we may put into a link: a name or address and an optional port, nothing else. */
static int host_ok(const char *h)
{
    size_t n = strlen(h);
    if (n == 0 || n > 255)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = h[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr(".-_:[]", c)))
            return 0;
    }
    return 1;
}

/* The URL phones should open for network, with a token minted now; *expires_ms when it stops
 * working. public_url wins; else the Host the caller reached us by (a display's coordinator URL
 * is one the LAN can reach). */
static void prompt_url(struct api *a, struct http_req *req, int64_t network, char *out, size_t len,
                       int64_t *expires_ms)
{
    char base[320], tok[TOKEN_TEXT_LEN + 1];
    const char *host = http_req_header(req, "Host");
    if (a->cfg->public_url)
        snprintf(base, sizeof base, "%s", a->cfg->public_url);
    else if (host && host_ok(host))
        snprintf(base, sizeof base, "http://%s", host);
    else
        snprintf(base, sizeof base, "http://127.0.0.1:%d", a->srv ? http_server_port(a->srv) : 0);
    for (size_t n = strlen(base); n > 0 && base[n - 1] == '/'; n--)
        base[n - 1] = '\0';
    int64_t slot = token_slot(now_s());
    token_make(hmac_sha256, a->visitor_secret, network, slot, tok, sizeof tok);
    snprintf(out, len, "%s/t/%lld?token=%s", base, (long long)network, tok);
    if (expires_ms)
        *expires_ms = token_expires_at(slot) * 1000;
}

static void get_prompt_url(struct api *a, struct http_req *req, int64_t id)
{
    struct runner_status st;
    if (coord_status(a->coord, id, &st) < 0) {
        reply_error(req, 404, "not_found", "no network %lld", (long long)id);
        return;
    }
    char url[512];
    int64_t expires;
    prompt_url(a, req, id, url, sizeof url, &expires);
    reply_json(req, 200,
               json_pack("{s:I, s:s, s:o, s:I}", "network", (json_int_t)id, "url", url,
                         "expires_at", view_time(expires), "refresh_s", (json_int_t)TOKEN_SLOT_S));
}

static void get_display(struct api *a, struct http_req *req, const char *name)
{
    int configured;
    struct display_cfg d = display_load(a, name, &configured);
    json_t *j = view_display(name, &d, configured);
    /* Reading a display's config needs no token, but minting visitor tokens does: only a
     * display (device token) or staff get the QR code's link with it. */
    struct caller who = caller_of(a, req);
    if (d.network && (who.role == ROLE_DEVICE || who.role == ROLE_ADMIN)) {
        char url[512];
        prompt_url(a, req, d.network, url, sizeof url, NULL);
        json_object_set_new(j, "prompt_url", json_string(url));
    }
    reply_json(req, 200, j);
}

/* ---- the phone terminal ---- */

static void reply_page(struct http_req *req, int status, struct buf *b)
{
    const char *h[] = {"Cache-Control",
                       "no-store",
                       "X-Content-Type-Options",
                       "nosniff",
                       "Referrer-Policy",
                       "no-referrer",
                       "X-Frame-Options",
                       "DENY",
                       NULL};
    http_reply(req, status, "text/html; charset=utf-8", b->data ? b->data : "", b->len, h);
    buf_free(b);
}

static void get_terminal(struct api *a, struct http_req *req, const char *idtext)
{
    struct buf b = BUF_INIT;
    int64_t id;
    if (parse_id(idtext, &id) < 0) {
        terminal_message_page(&b, "Not found", "There is no PANIC! network here.");
        reply_page(req, 404, &b);
        return;
    }
    const char *tok = http_req_query(req, "token");
    enum token_result r = tok ? token_verify(hmac_sha256, a->visitor_secret, tok, id, now_s(), NULL)
                              : TOKEN_MALFORMED;
    if (r == TOKEN_WRONG_NETWORK) {
        terminal_message_page(&b, "Wrong QR code",
                              "This QR code belongs to another PANIC! network. Find the screen "
                              "you are looking at and scan its code again.");
        reply_page(req, 403, &b);
        return;
    }
    if (r != TOKEN_OK) {
        terminal_message_page(&b, "QR code expired", TERMINAL_EXPIRED_TEXT);
        reply_page(req, 401, &b);
        return;
    }
    struct store_network sn = {0};
    struct runner_status st;
    if (store_network_get(a->store, id, &sn) < 0 || coord_status(a->coord, id, &st) < 0) {
        store_network_clear(&sn);
        terminal_message_page(&b, "Not found", "This PANIC! network no longer exists.");
        reply_page(req, 404, &b);
        return;
    }
    struct store_run run = {0};
    int has_run = store_run_latest(a->store, id, &run) == 0;
    struct terminal_view v = {.network = id,
                              .name = sn.name,
                              .token = tok,
                              .prompt = has_run ? run.prompt : NULL,
                              .run = has_run ? run.id : 0,
                              .lockout_s = (st.lockout_remaining_ms + 999) / 1000};
    terminal_page(&b, &v);
    reply_page(req, 200, &b);
    store_run_clear(&run);
    store_network_clear(&sn);
}

/* ---- the panic button ---- */

static void record_press(struct api *a, const char *display, const struct caller *who,
                         int64_t network, int is_long, const char *result, int64_t run)
{
    struct store_press p = {
        .display = display,
        .device = who->role == ROLE_DEVICE ? a->cfg->devices[who->device].name : NULL,
        .network_id = network,
        .is_long = is_long,
        .created_at = time_wall_ms(),
        .result = result,
        .run = run,
    };
    if (store_press_insert(a->store, &p) < 0)
        log_warn("could not record a press display=%s result=%s", display, result);
    log_info("panic button display=%s device=%s network=%lld long=%d result=%s run=%lld", display,
             p.device ? p.device : "(admin)", (long long)network, is_long, result, (long long)run);
}

static void panic_stop(struct api *a, struct http_req *req, const struct caller *who,
                       const char *display, int64_t net)
{
    if (who->role == ROLE_DEVICE && !a->cfg->devices[who->device].long_press_stop) {
        const char *dev = a->cfg->devices[who->device].name;
        record_press(a, display, who, net, 1, "refused", 0);
        reply_error(req, 403, "long_press_not_allowed",
                    "a long press on device %s does not stop runs; allow it with "
                    "\"device.%s.long_press_stop yes\" in panicd.conf",
                    dev, dev);
        return;
    }
    struct runner_status st;
    coord_status(a->coord, net, &st);
    int64_t run = st.run;
    char reason[128];
    snprintf(reason, sizeof reason, "stopped by a long press on %s", display);
    int rc = coord_run_stop(a->coord, net, reason);
    if (rc == -ENOENT) {
        record_press(a, display, who, net, 1, "error", 0);
        reply_error(req, 404, "not_found", "no network %lld", (long long)net);
        return;
    }
    record_press(a, display, who, net, 1, "stopped", rc == 0 ? run : 0);
    coord_status(a->coord, net, &st);
    json_t *j = view_status(net, &st);
    json_object_set_new(j, "stopped", json_boolean(rc == 0));
    reply_json(req, 200, j);
}

static void panic_start(struct api *a, struct http_req *req, const struct caller *who,
                        const char *display, int64_t net)
{
    /* The deck moves on only when a run starts, so a press in the lockout loses no prompt. */
    const char *prompt = deck_peek(a->deck, net);
    int64_t run = 0, genesis = 0, retry_ms = 0;
    int rc = coord_run_start(a->coord, net, prompt, &run, &genesis, &retry_ms);
    if (rc == -EBUSY) {
        int64_t s = (retry_ms + 999) / 1000;
        record_press(a, display, who, net, 0, "lockout", 0);
        reply_json(req, 409,
                   json_pack("{s:s, s:s, s:I}", "error", "lockout", "message",
                             "a run has just started; please wait", "retry_after_s",
                             (json_int_t)s));
        return;
    }
    if (rc < 0) {
        record_press(a, display, who, net, 0, "error", 0);
        if (rc == -ENOENT)
            reply_error(req, 404, "not_found", "no network %lld", (long long)net);
        else if (rc == -EPERM)
            reply_error(req, 422, "platform_unavailable", "%s", coord_last_error(a->coord));
        else
            reply_error(req, 500, "internal", "the run could not be started");
        return;
    }
    deck_advance(a->deck, net);
    record_press(a, display, who, net, 0, "started", run);
    struct store_invocation inv = {0};
    json_t *g =
        store_invocation_get(a->store, genesis, &inv) == 0 ? view_invocation(&inv) : json_null();
    store_invocation_clear(&inv);
    reply_json(req, 201,
               json_pack("{s:I, s:I, s:o, s:s}", "network", (json_int_t)net, "run", (json_int_t)run,
                         "genesis", g, "prompt", prompt));
}

static void post_panic(struct api *a, struct http_req *req, const struct caller *who)
{
    json_t *body = body_object(req);
    if (!body)
        return;
    json_t *jd = json_object_get(body, "display"), *jl = json_object_get(body, "long");
    const char *display = json_string_value(jd);
    if (!display || !display_name_valid(display)) {
        reply_error(req, 422, "invalid_display",
                    "display must be a display name: 1-63 letters, digits, '-' or '_'");
    } else if (jl && !json_is_boolean(jl)) {
        reply_error(req, 422, "invalid", "long must be true or false");
    } else {
        int configured;
        struct display_cfg d = display_load(a, display, &configured);
        if (!d.network) {
            record_press(a, display, who, 0, json_is_true(jl), "error", 0);
            reply_error(req, 404, "not_found", "there is no network for display %s", display);
        } else if (json_is_true(jl)) {
            panic_stop(a, req, who, display, d.network);
        } else {
            panic_start(a, req, who, display, d.network);
        }
    }
    json_decref(body);
}

static int collect_press(void *user, const struct store_press *p)
{
    json_t *j = json_pack("{s:I, s:s, s:b, s:s}", "id", (json_int_t)p->id, "display", p->display,
                          "long", p->is_long, "result", p->result);
    json_object_set_new(j, "device", p->device ? json_string(p->device) : json_null());
    json_object_set_new(j, "network", p->network_id ? json_integer(p->network_id) : json_null());
    json_object_set_new(j, "run", p->run ? json_integer(p->run) : json_null());
    json_object_set_new(j, "created_at", view_time(p->created_at));
    json_array_append_new(user, j);
    return 0;
}

static void get_presses(struct api *a, struct http_req *req)
{
    int64_t limit;
    if (query_int(req, "limit", 1, 1000, 100, &limit) < 0)
        return;
    json_t *arr = json_array();
    if (store_press_each(a->store, limit, collect_press, arr) < 0) {
        json_decref(arr);
        reply_error(req, 500, "internal", "could not read the presses");
        return;
    }
    reply_json(
        req, 200,
        json_pack("{s:o, s:I}", "presses", arr, "total", (json_int_t)store_press_count(a->store)));
}

static void put_display(struct api *a, struct http_req *req, const char *name)
{
    json_t *body = body_object(req);
    if (!body)
        return;
    int configured;
    struct display_cfg d = display_load(a, name, &configured);
    char err[PANIC_ERR_LEN];
    struct runner_status st;
    if (display_from_json(body, &d, err, sizeof err) < 0) {
        reply_error(req, 422, "invalid_display", "%s", err);
    } else if (d.network && coord_status(a->coord, d.network, &st) < 0) {
        reply_error(req, 422, "invalid_display", "no network %lld", (long long)d.network);
    } else {
        char *text = view_dump(view_display(name, &d, 1));
        if (store_display_put(a->store, name, text, time_wall_ms()) < 0) {
            reply_error(req, 500, "internal", "could not store the display");
        } else {
            coord_emit(a->coord, 0, "display", text);
            reply_json(req, 200, view_display(name, &d, 1));
        }
        free(text);
    }
    json_decref(body);
}

/* ---- media and backup ---- */

/* Parse a single "bytes=" range against size. 1 ok, 0 none, -1 unsatisfiable/invalid. */
static int parse_range(const char *h, uint64_t size, uint64_t *from, uint64_t *len)
{
    if (!h)
        return 0;
    if (strncmp(h, "bytes=", 6) != 0 || strchr(h, ','))
        return -1;
    const char *p = h + 6, *dash = strchr(p, '-');
    if (!dash)
        return -1;
    char *end;
    if (p == dash) {
        unsigned long long suffix = strtoull(dash + 1, &end, 10);
        if (*end || end == dash + 1 || suffix == 0 || size == 0)
            return -1;
        if (suffix > size)
            suffix = size;
        *from = size - suffix;
        *len = suffix;
        return 1;
    }
    unsigned long long a = strtoull(p, &end, 10);
    if (end != dash || a >= size)
        return -1;
    unsigned long long b = size - 1;
    if (dash[1]) {
        b = strtoull(dash + 1, &end, 10);
        if (*end || b < a)
            return -1;
        if (b >= size)
            b = size - 1;
    }
    *from = a;
    *len = b - a + 1;
    return 1;
}

static void get_media(struct api *a, struct http_req *req, const char *name)
{
    char path[4096];
    if (media_path(a->media, name, path, sizeof path) < 0) {
        reply_error(req, 404, "not_found", "no such media");
        return;
    }
    char etag[80];
    snprintf(etag, sizeof etag, "\"%.64s\"", name);
    const char *inm = http_req_header(req, "If-None-Match");
    if (inm && (strstr(inm, etag) || !strcmp(inm, "*"))) {
        const char *h[] = {"ETag", etag, NULL};
        http_reply(req, 304, NULL, "", 0, h);
        return;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) < 0) {
        if (fd >= 0)
            close(fd);
        reply_error(req, 404, "not_found", "no such media");
        return;
    }
    uint64_t size = (uint64_t)sb.st_size, from = 0, len = size;
    int r = parse_range(http_req_header(req, "Range"), size, &from, &len);
    char cr[96];
    if (r < 0) {
        close(fd);
        snprintf(cr, sizeof cr, "bytes */%llu", (unsigned long long)size);
        const char *h[] = {"Content-Range", cr, NULL};
        static const char body[] =
            "{\"error\":\"bad_range\",\"message\":\"the range is not satisfiable\"}";
        http_reply(req, 416, "application/json", body, sizeof body - 1, h);
        return;
    }
    snprintf(cr, sizeof cr, "bytes %llu-%llu/%llu", (unsigned long long)from,
             (unsigned long long)(from + len - 1), (unsigned long long)size);
    const char *h[] = {"ETag",
                       etag,
                       "Accept-Ranges",
                       "bytes",
                       "Cache-Control",
                       "public, max-age=31536000, immutable",
                       r ? "Content-Range" : NULL,
                       cr,
                       NULL};
    http_reply_fd(req, r ? 206 : 200, fd, from, len, media_content_type(name), h);
}

static void get_backup(struct api *a, struct http_req *req)
{
    char path[4200], err[PANIC_ERR_LEN];
    snprintf(path, sizeof path, "%s/backup-%lld.sqlite", a->cfg->state_dir,
             (long long)time_wall_ms());
    if (store_backup(a->store, path, err, sizeof err) < 0) {
        reply_error(req, 500, "backup_failed", "%s", err);
        return;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    unlink(path); /* the open fd keeps the copy alive until it is sent */
    if (fd < 0 || fstat(fd, &sb) < 0) {
        if (fd >= 0)
            close(fd);
        reply_error(req, 500, "backup_failed", "could not read the backup");
        return;
    }
    const char *h[] = {"Content-Disposition", "attachment; filename=\"panic-backup.sqlite\"", NULL};
    log_info("backup sent bytes=%lld", (long long)sb.st_size);
    http_reply_fd(req, 200, fd, 0, (uint64_t)sb.st_size, "application/vnd.sqlite3", h);
}

static void get_root(struct api *a, struct http_req *req)
{
    struct buf b = BUF_INIT;
    buf_puts(&b, "<!doctype html><html><head><meta charset=utf-8>"
                 "<meta name=viewport content=\"width=device-width\"><title>PANIC!</title>"
                 "<style>body{background:#18181b;color:#d8b4fe;font-family:monospace;"
                 "margin:2em}a{color:#f43f5e}</style></head><body><h1>PANIC!</h1>"
                 "<p>Coordinator " PANIC_VERSION ". API links for staff:</p><ul>"
                 "<li><a href=/api/v1/health>health</a></li>"
                 "<li><a href=/api/v1/models>models</a></li>"
                 "<li><a href=/api/v1/networks>networks</a></li>");
    struct store_network *list = NULL;
    size_t n = 0;
    if (store_network_list(a->store, &list, &n) == 0) {
        for (size_t i = 0; i < n; i++) {
            long long id = (long long)list[i].id;
            json_t *name = json_string(list[i].name);
            char *quoted = view_dump(name);
            buf_puts(&b, "<li>network ");
            /* The name is shown as JSON text, whose escaping also keeps HTML inert. */
            for (const char *p = quoted; *p; p++) {
                if (*p == '<')
                    buf_puts(&b, "&lt;");
                else if (*p == '&')
                    buf_puts(&b, "&amp;");
                else
                    buf_append(&b, p, 1);
            }
            free(quoted);
            buf_printf(&b,
                       ": <a href=/api/v1/networks/%lld/status>status</a> "
                       "<a href=/api/v1/networks/%lld/runs/current>current run</a> "
                       "<a href=/api/v1/networks/%lld/events>events</a></li>",
                       id, id, id);
            store_network_clear(&list[i]);
        }
        free(list);
    }
    buf_puts(&b, "</ul></body></html>");
    http_reply(req, 200, "text/html; charset=utf-8", b.data, b.len, NULL);
    buf_free(&b);
}

/* ---- routing ---- */

#define MAX_SEGS 8

static void method_not_allowed(struct http_req *req, const char *allow)
{
    const char *h[] = {"Allow", allow, NULL};
    char body[160];
    int n = snprintf(body, sizeof body, "{\"error\":\"method_not_allowed\",\"message\":\"use %s\"}",
                     allow);
    http_reply(req, 405, "application/json", body, (size_t)n, h);
}

static int is(const char *method, const char *want)
{
    return !strcmp(method, want) || (!strcmp(want, "GET") && !strcmp(method, "HEAD"));
}

static void route_network(struct api *a, struct http_req *req, const char *method, char **seg,
                          int nseg)
{
    int64_t id;
    if (parse_id(seg[3], &id) < 0) {
        reply_error(req, 404, "not_found", "no network '%s'", seg[3]);
        return;
    }
    if (nseg == 4) {
        if (is(method, "GET"))
            get_network(a, req, id);
        else if (!strcmp(method, "PATCH")) {
            if (require(a, req, ALLOW_ADMIN))
                patch_network(a, req, id);
        } else if (!strcmp(method, "DELETE")) {
            if (require(a, req, ALLOW_ADMIN))
                delete_network(a, req, id);
        } else
            method_not_allowed(req, "GET, PATCH, DELETE");
        return;
    }
    const char *what = seg[4];
    if (nseg == 5 && !strcmp(what, "status")) {
        if (is(method, "GET"))
            get_status(a, req, id);
        else
            method_not_allowed(req, "GET");
    } else if (nseg == 5 && !strcmp(what, "runs")) {
        if (!strcmp(method, "POST")) {
            struct caller who;
            if (require_who(a, req, ALLOW_ADMIN | ALLOW_DEVICE | ALLOW_VISITOR, &who))
                post_run(a, req, id, &who);
        } else
            method_not_allowed(req, "POST");
    } else if (nseg == 5 && !strcmp(what, "stop")) {
        if (!strcmp(method, "POST")) {
            if (require(a, req, ALLOW_ADMIN))
                post_stop(a, req, id);
        } else
            method_not_allowed(req, "POST");
    } else if (nseg == 6 && !strcmp(what, "runs") && !strcmp(seg[5], "current")) {
        if (is(method, "GET"))
            get_current_run(a, req, id);
        else
            method_not_allowed(req, "GET");
    } else if (nseg == 5 && !strcmp(what, "events")) {
        if (!strcmp(method, "GET"))
            get_events(a, req, id);
        else
            method_not_allowed(req, "GET");
    } else if (nseg == 5 && !strcmp(what, "prompt-url")) {
        if (!is(method, "GET"))
            method_not_allowed(req, "GET");
        else if (require(a, req, ALLOW_ADMIN | ALLOW_DEVICE))
            get_prompt_url(a, req, id);
    } else {
        reply_error(req, 404, "not_found", "no such endpoint");
    }
}

static void route(struct api *a, struct http_req *req, const char *method, char **seg, int nseg)
{
    if (nseg == 0) {
        if (is(method, "GET"))
            get_root(a, req);
        else
            method_not_allowed(req, "GET");
        return;
    }
    if (nseg == 2 && !strcmp(seg[0], "t")) {
        if (is(method, "GET"))
            get_terminal(a, req, seg[1]);
        else
            method_not_allowed(req, "GET");
        return;
    }
    if (nseg == 2 && !strcmp(seg[0], "media")) {
        if (is(method, "GET"))
            get_media(a, req, seg[1]);
        else
            method_not_allowed(req, "GET");
        return;
    }
    if (nseg < 3 || strcmp(seg[0], "api") || strcmp(seg[1], "v1")) {
        reply_error(req, 404, "not_found", "no such endpoint");
        return;
    }
    const char *what = seg[2];
    if (nseg == 3 && !strcmp(what, "health")) {
        if (is(method, "GET"))
            get_health(a, req);
        else
            method_not_allowed(req, "GET");
    } else if (nseg == 3 && !strcmp(what, "models")) {
        if (is(method, "GET"))
            get_models(a, req);
        else
            method_not_allowed(req, "GET");
    } else if (nseg == 3 && !strcmp(what, "networks")) {
        if (is(method, "GET"))
            get_networks(a, req);
        else if (!strcmp(method, "POST")) {
            if (require(a, req, ALLOW_ADMIN))
                post_network(a, req);
        } else
            method_not_allowed(req, "GET, POST");
    } else if (nseg >= 4 && !strcmp(what, "networks")) {
        route_network(a, req, method, seg, nseg);
    } else if (nseg == 5 && !strcmp(what, "runs") && !strcmp(seg[4], "invocations")) {
        int64_t run;
        if (parse_id(seg[3], &run) < 0)
            reply_error(req, 404, "not_found", "no run '%s'", seg[3]);
        else if (is(method, "GET"))
            get_run_invocations(a, req, run);
        else
            method_not_allowed(req, "GET");
    } else if (nseg == 3 && !strcmp(what, "platforms")) {
        if (is(method, "GET"))
            get_platforms(a, req);
        else
            method_not_allowed(req, "GET");
    } else if (nseg == 5 && !strcmp(what, "platforms") && !strcmp(seg[4], "key")) {
        if (!strcmp(method, "PUT") || !strcmp(method, "DELETE")) {
            if (require(a, req, ALLOW_ADMIN))
                put_platform_key(a, req, seg[3], !strcmp(method, "DELETE"));
        } else
            method_not_allowed(req, "PUT, DELETE");
    } else if (nseg == 4 && !strcmp(what, "displays")) {
        if (!display_name_valid(seg[3]))
            reply_error(req, 400, "bad_name", "a display name is 1-63 letters, digits, '-' or '_'");
        else if (is(method, "GET"))
            get_display(a, req, seg[3]);
        else if (!strcmp(method, "PUT")) {
            if (require(a, req, ALLOW_ADMIN))
                put_display(a, req, seg[3]);
        } else
            method_not_allowed(req, "GET, PUT");
    } else if (nseg == 3 && !strcmp(what, "panic")) {
        struct caller who;
        if (strcmp(method, "POST") != 0)
            method_not_allowed(req, "POST");
        else if (require_who(a, req, ALLOW_ADMIN | ALLOW_DEVICE, &who))
            post_panic(a, req, &who);
    } else if (nseg == 3 && !strcmp(what, "presses")) {
        if (!is(method, "GET"))
            method_not_allowed(req, "GET");
        else if (require(a, req, ALLOW_ADMIN))
            get_presses(a, req);
    } else if (nseg == 3 && !strcmp(what, "backup")) {
        if (!is(method, "GET"))
            method_not_allowed(req, "GET");
        else if (require(a, req, ALLOW_ADMIN))
            get_backup(a, req);
    } else {
        reply_error(req, 404, "not_found", "no such endpoint");
    }
}

void api_handle(void *user, struct http_req *req)
{
    struct api *a = user;
    const char *path = http_req_path(req);
    const char *method = http_req_method(req);
    if (!utf8_valid(path, strlen(path)) || strlen(path) > 1024) {
        reply_error(req, 400, "bad_path", "the path is not valid");
        return;
    }
    char *copy = xstrdup(path);
    char *seg[MAX_SEGS];
    int nseg = 0, too_many = 0;
    for (char *save = NULL, *s = strtok_r(copy, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
        if (nseg == MAX_SEGS) {
            too_many = 1;
            break;
        }
        seg[nseg++] = s;
    }
    if (too_many)
        reply_error(req, 404, "not_found", "no such endpoint");
    else
        route(a, req, method, seg, nseg);
    free(copy);
}

/* ---- life cycle ---- */

struct api *api_new(struct ev *ev, struct coord *coord, struct store *store,
                    struct media_store *media, const struct panicd_config *cfg,
                    const char *admin_token, const char *visitor_secret, struct deck *deck)
{
    struct api *a = xcalloc(1, sizeof *a);
    a->visitor_secret = visitor_secret;
    a->deck = deck;
    a->visitor_limit = ratelimit_new((int)cfg->visitor_per_min, 60000);
    a->ev = ev;
    a->coord = coord;
    a->store = store;
    a->media = media;
    a->cfg = cfg;
    a->admin_token = admin_token;
    a->started_mono = time_mono_ms();
    a->heartbeat = ev_timer_in(ev, cfg->heartbeat_ms, on_heartbeat, a);
    return a;
}

void api_set_server(struct api *a, struct http_server *srv)
{
    a->srv = srv;
}

void api_free(struct api *a)
{
    if (!a)
        return;
    ev_timer_del(a->ev, a->heartbeat);
    ratelimit_free(a->visitor_limit);
    /* Streams end with the server; forget the clients so no callback touches freed memory. */
    while (a->clients) {
        struct client *cl = a->clients;
        a->clients = cl->next;
        free(cl);
    }
    free(a);
}
