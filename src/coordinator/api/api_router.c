/* api_router.c: the front door of HTTP API v1. api_handle() splits the path, finds its row in the
 * route table (api_routes.c: 404 for an unknown path, 405 with Allow for a known path and another
 * method), works out who is calling from the token, and refuses a caller the row does not allow
 * (401 without a valid token, 403 with a token of another role) before the handler parses
 * anything of the request. Also the api's life cycle.
 *
 * Handlers run on the loop thread and only make short sqlite reads or one coordinator call, so no
 * request can stall the invocation loops. Nothing here knows what an endpoint does. */
#include "api_internal.h"
#include "common/util.h"
#include "hmac.h"
#include "terminal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Longer paths match no route (the longest has 6 segments). */
#define MAX_SEGS 8

int64_t api_now_s(void)
{
    return time_wall_ms() / 1000;
}

/* ---- who is calling ---- */

/* Bearer tokens from the Authorization header; a visitor token may also come as ?token= (the QR
 * code's URL), which is never taken for an admin or device token so those stay out of URLs. On a
 * route with API_STAFF_COOKIE (the staff page only) a staff session cookie is the admin role. */
static struct caller caller_of(struct api *a, struct http_req *req, const struct api_route *r)
{
    struct caller c = {0, -1, 0, TOKEN_OK, 0};
    const char *h = http_req_header(req, "Authorization");
    const char *tok = NULL;
    if (h) {
        if (strncasecmp(h, "Bearer ", 7) != 0) { /* the scheme is case-insensitive (RFC 7235) */
            c.role = CALLER_INVALID;
            return c;
        }
        tok = h + 7;
        if (secret_equal(tok, a->admin_token)) {
            c.role = API_ADMIN;
            return c;
        }
        for (size_t i = 0; i < a->cfg->ndevices; i++) {
            if (a->cfg->devices[i].token && secret_equal(tok, a->cfg->devices[i].token)) {
                c.role = API_DEVICE;
                c.device = (int)i;
                return c;
            }
        }
    } else {
        if ((r->flags & API_STAFF_COOKIE) && api_staff_cookie(a, req)) {
            c.role = API_ADMIN;
            c.by_cookie = 1;
            return c;
        }
        tok = http_req_query(req, "token");
        if (!tok)
            return c;
    }
    c.check = token_verify(hmac_sha256, a->visitor_secret, tok, 0, api_now_s(), &c.network);
    c.role = c.check == TOKEN_OK ? API_VISITOR : CALLER_INVALID;
    return c;
}

/* 1 if the caller may call a route open to roles; otherwise the 401/403 reply is sent. */
static int caller_allowed(struct http_req *req, const struct caller *c, unsigned roles)
{
    if (roles & API_PUBLIC)
        return 1;
    if (c->role == 0) {
        api_reply_error(req, 401, "unauthorized", "this needs a token (Authorization: Bearer ...)");
        return 0;
    }
    if (c->role == CALLER_INVALID && c->check == TOKEN_EXPIRED) {
        api_reply_error(req, 401, "token_expired", "%s", TERMINAL_EXPIRED_TEXT);
        return 0;
    }
    if (c->role == CALLER_INVALID) {
        api_reply_error(req, 401, "unauthorized", "the token is not valid");
        return 0;
    }
    if (!(roles & c->role)) {
        api_reply_error(req, 403, "forbidden", "this token may not do that");
        return 0;
    }
    return 1;
}

/* ---- matching ---- */

/* 1 if the path's segments fit pattern (a "{...}" segment fits any one), its "{...}" segments
 * then in param. */
static int path_matches(const char *pattern, char *const *seg, int nseg, const char **param)
{
    const char *p = pattern;
    int k = 0, np = 0;
    for (;;) {
        while (*p == '/')
            p++;
        if (!*p)
            return k == nseg;
        size_t len = strcspn(p, "/");
        if (k == nseg)
            return 0;
        if (*p == '{') {
            if (np == API_MAX_PARAMS)
                return 0;
            param[np++] = seg[k];
        } else if (strlen(seg[k]) != len || strncmp(seg[k], p, len) != 0) {
            return 0;
        }
        k++;
        p += len;
    }
}

static int method_matches(const struct api_route *r, const char *method)
{
    if (!strcmp(method, r->method))
        return 1;
    return !strcmp(method, "HEAD") && !strcmp(r->method, "GET") && !(r->flags & API_NO_HEAD);
}

/* 405 with the methods of every route of this path, in table order. */
static void method_not_allowed(struct http_req *req, char *const *seg, int nseg)
{
    size_t n;
    const struct api_route *routes = api_routes(&n);
    char allow[96] = "";
    for (size_t i = 0; i < n; i++) {
        const char *param[API_MAX_PARAMS];
        if (!path_matches(routes[i].path, seg, nseg, param))
            continue;
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = !strcmp(routes[j].method, routes[i].method) &&
                   path_matches(routes[j].path, seg, nseg, param);
        if (!seen)
            snprintf(allow + strlen(allow), sizeof allow - strlen(allow), "%s%s",
                     *allow ? ", " : "", routes[i].method);
    }
    const char *h[] = {"Allow", allow, NULL};
    char body[160];
    int len = snprintf(body, sizeof body,
                       "{\"error\":\"method_not_allowed\",\"message\":\"use %s\"}", allow);
    http_reply(req, 405, "application/json", body, (size_t)len, h);
}

/* Find the route for method and the path's segments; NULL with 404 or 405 sent. */
static const struct api_route *route_of(struct http_req *req, const char *method, char *const *seg,
                                        int nseg, struct api_call *call)
{
    size_t n;
    const struct api_route *routes = api_routes(&n);
    int known = 0;
    for (size_t i = 0; i < n; i++) {
        const char *param[API_MAX_PARAMS] = {0};
        if (!path_matches(routes[i].path, seg, nseg, param))
            continue;
        if (method_matches(&routes[i], method)) {
            memcpy(call->param, param, sizeof param);
            return &routes[i];
        }
        known = 1;
    }
    if (known)
        method_not_allowed(req, seg, nseg);
    else
        api_reply_error(req, 404, "not_found", "no such endpoint");
    return NULL;
}

void api_handle(void *user, struct http_req *req)
{
    struct api *a = user;
    const char *path = http_req_path(req);
    if (!utf8_valid(path, strlen(path)) || strlen(path) > 1024) {
        api_reply_error(req, 400, "bad_path", "the path is not valid");
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
    struct api_call call = {0};
    if (too_many) {
        api_reply_error(req, 404, "not_found", "no such endpoint");
    } else if ((call.route = route_of(req, http_req_method(req), seg, nseg, &call))) {
        /* The role first: nothing else of the request is looked at for a caller refused here. */
        call.who = caller_of(a, req, call.route);
        if (caller_allowed(req, &call.who, call.route->roles))
            call.route->handler(a, req, &call);
    }
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
    a->login_limit = ratelimit_new(API_LOGIN_FAILS, API_LOGIN_FAILS * API_LOGIN_FAIL_MS);
    a->ev = ev;
    a->coord = coord;
    a->store = store;
    a->media = media;
    a->cfg = cfg;
    a->admin_token = admin_token;
    a->started_mono = time_mono_ms();
    api_events_start(a);
    api_presence_start(a);
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
    api_events_stop(a);
    api_presence_stop(a);
    ratelimit_free(a->visitor_limit);
    ratelimit_free(a->login_limit);
    free(a);
}
