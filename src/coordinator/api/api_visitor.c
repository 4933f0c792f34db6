/* api_visitor.c: the visitor's side of the tokens: minting the QR code's link (GET
 * /api/v1/networks/{id}/prompt-url, for displays and staff), the phone terminal page GET
 * /t/{id}?token=... (terminal.c draws it; an expired (410), invalid (403) or foreign (403) code
 * gets a page that says so), and what a visitor's prompt must pass besides the router's role check:
 * its token's network and a per-address rate limit. Token maths is token.c's, the HMAC hmac.c's. */
#include "api_internal.h"
#include "coordinator/core/catalog.h"
#include "coordinator/core/slug.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/util.h"
#include "hmac.h"
#include "terminal.h"
#include "coordinator/coord/views.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* public_url wins; else the Host the caller reached us by (a display's coordinator URL is one the
 * LAN can reach). */
void api_prompt_url(struct api *a, struct http_req *req, int64_t network, char *out, size_t len,
                    int64_t *expires_ms)
{
    api_prompt_url_as(a, req, network, NULL, out, len, expires_ms);
}

void api_prompt_url_as(struct api *a, struct http_req *req, int64_t network, const char *as,
                       char *out, size_t len, int64_t *expires_ms)
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
    int64_t slot = token_slot(api_now_s());
    token_make(hmac_sha256, a->visitor_secret, network, slot, tok, sizeof tok);
    if (as)
        snprintf(out, len, "%s/t/%s?token=%s", base, as, tok);
    else
        snprintf(out, len, "%s/t/%lld?token=%s", base, (long long)network, tok);
    if (expires_ms)
        *expires_ms = token_expires_at(slot) * 1000;
}

void api_get_prompt_url(struct api *a, struct http_req *req, const struct api_call *call)
{
    int64_t id;
    struct runner_status st;
    if (api_network_status(a, req, call, &id, &st) < 0)
        return;
    char url[512];
    int64_t expires;
    api_prompt_url(a, req, id, url, sizeof url, &expires);
    api_reply_json(req, 200,
                   json_pack("{s:I, s:s, s:o, s:I}", "network", (json_int_t)id, "url", url,
                             "expires_at", view_time(expires), "refresh_s",
                             (json_int_t)TOKEN_SLOT_S));
}

int api_visitor_may_post(struct api *a, struct http_req *req, const struct caller *who, int64_t id)
{
    if (who->role != API_VISITOR)
        return 1;
    if (who->network != id) {
        api_reply_error(req, 403, "wrong_network",
                        "This QR code belongs to another PANIC! network. Scan the code on the "
                        "screen you are looking at.");
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

static void reply_message_page(struct http_req *req, int status, const char *title,
                               const char *text)
{
    struct buf b = BUF_INIT;
    terminal_message_page(&b, title, text);
    reply_page(req, status, &b);
}

/* The terminal of network id for a visitor whose token (tok) is good for it. */
static void terminal_for(struct api *a, struct http_req *req, int64_t id, const char *tok)
{
    struct store_network sn = {0};
    struct runner_status st;
    if (store_network_get(a->store, id, &sn) < 0 || coord_status(a->coord, id, &st) < 0) {
        store_network_clear(&sn);
        reply_message_page(req, 404, "Not found", "This PANIC! network no longer exists.");
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
    json_t *models = json_loads(sn.models_json, 0, NULL), *m;
    size_t i;
    json_array_foreach(models, i, m)
    {
        if (v.nmodels == TERMINAL_MODELS_MAX)
            break;
        const struct model_info *info = catalog_find(json_string_value(m));
        v.models[v.nmodels].name = info ? info->name : json_string_value(m);
        v.models[v.nmodels++].description = info ? info->description : NULL;
    }
    struct buf b = BUF_INIT;
    terminal_page(&b, &v);
    json_decref(models);
    reply_page(req, 200, &b);
    store_run_clear(&run);
    store_network_clear(&sn);
}

/* The page answers for itself (HTML, not JSON): the route is public and the token in ?token= is
 * checked here against the page's network. */
void api_get_terminal(struct api *a, struct http_req *req, const struct api_call *call)
{
    int64_t id;
    if (parse_int64(call->param[0], 1, INT64_MAX, &id) < 0 &&
        (!slug_valid(call->param[0]) ||
         (id = store_network_by_slug(a->store, call->param[0])) < 0)) {
        reply_message_page(req, 404, "Not found", "There is no PANIC! network here.");
        return;
    }
    const char *tok = http_req_query(req, "token");
    enum token_result r =
        tok ? token_verify(hmac_sha256, a->visitor_secret, tok, id, api_now_s(), NULL)
            : TOKEN_MALFORMED;
    if (r == TOKEN_WRONG_NETWORK)
        reply_message_page(req, 403, "Wrong QR code",
                           "This QR code belongs to another PANIC! network. Find the screen "
                           "you are looking at and scan its code again.");
    else if (r == TOKEN_EXPIRED)
        reply_message_page(req, 410, "QR code expired", TERMINAL_EXPIRED_TEXT);
    else if (r != TOKEN_OK)
        /* Not ours, altered or cut short: "expired" would send the visitor to scan the same
         * code again for nothing. */
        reply_message_page(req, 403, "QR code not valid",
                           "This QR code is not valid: it was not made by this PANIC! "
                           "network, or part of it is missing. Find the screen and scan its "
                           "code again.");
    else
        terminal_for(a, req, id, tok);
}
