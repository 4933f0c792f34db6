/* api_internal.h: what the api_*.c files share and nothing outside src/coordinator/api/ may use:
 * the api's state, who is calling, the matched route's path parameters, the reply and input
 * helpers, and every handler the route table (api_routes.c) names. Each handler replies exactly
 * once, with a JSON error {"error","message"} for every bad input. */
#ifndef PANIC_API_INTERNAL_H
#define PANIC_API_INTERNAL_H

#include "api.h"
#include "common/version.h"
#include "coordinator/core/presence.h"
#include "coordinator/core/ratelimit.h"
#include "coordinator/core/session.h"
#include "coordinator/core/token.h"

#include <jansson.h>
#include <stdint.h>

/* The most "{...}" segments a route's path has. */
#define API_MAX_PARAMS 2

struct api_client; /* one event-stream client (api_events.c) */

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
    struct api_client *clients;
    size_t nclients;
    uint64_t heartbeat;
    int64_t started_mono;
    struct backups *backups;   /* NULL: no restores (api_set_backups) */
    struct presence *presence; /* displays' heartbeats (api_presence.c) */
    uint64_t presence_timer;
    int64_t presence_tick_ms;
    struct staff_sessions sessions; /* staff browsers logged in (api_login.c) */
    struct ratelimit *login_limit;  /* failed logins per address */
};

/* A token that is not valid (an unknown bearer token, a bad or expired visitor token, another
 * scheme than Bearer): never one of the API_* role bits. */
#define CALLER_INVALID (1u << 15)

/* Who is calling: the role, and for a device its index in the config, for a visitor the network
 * its token names. */
struct caller {
    unsigned role;           /* API_ADMIN, API_DEVICE, API_VISITOR; 0 no token; CALLER_INVALID */
    int device;              /* index into cfg->devices, -1 if not a device */
    int64_t network;         /* visitor: the token's network */
    enum token_result check; /* CALLER_INVALID: why a visitor token was refused */
    int by_cookie;           /* API_ADMIN from a staff session cookie (API_STAFF_COOKIE routes) */
};

/* What the router hands a handler: the route, the caller (already allowed by the route's roles)
 * and the path's "{...}" segments in order, borrowed until the handler returns. */
struct api_call {
    const struct api_route *route;
    struct caller who;
    const char *param[API_MAX_PARAMS];
};

/* ---- api_router.c ---- */

/* Wall clock in seconds (visitor tokens count in it). */
int64_t api_now_s(void);

/* ---- api_reply.c: replies and input ---- */

/* Reply with j as JSON (consumes the reference). */
void api_reply_json(struct http_req *req, int status, json_t *j);
void api_reply_error(struct http_req *req, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* 404 "no network N". */
void api_reply_no_network(struct http_req *req, int64_t id);
/* 409 lockout with retry_after_s rounded up from retry_ms. */
void api_reply_lockout(struct http_req *req, int64_t retry_ms);
/* The body as a JSON object (new reference); NULL with 400 sent if it is not one. */
json_t *api_body_object(struct http_req *req);
/* A path segment as a positive id into *id: 0, or -1 with 404 "no <what> '<text>'" sent. */
int api_path_id(struct http_req *req, const char *text, const char *what, int64_t *id);
/* A path segment that must be a name (display_config_name_valid, at most max bytes): text, or NULL
 * with 400 "a <what> name is 1-<max> letters, ..." sent. */
const char *api_path_name(struct http_req *req, const char *text, size_t max, const char *what);
/* The query parameter name as a whole number in min..max (def if absent): 0, or -1 with 400 sent.
 */
int api_query_int(struct http_req *req, const char *name, int64_t min, int64_t max, int64_t def,
                  int64_t *out);
/* Visitors' and staff's text: UTF-8 (jansson checked), 1..max bytes, no control characters but
 * newline and tab. 0, or -EINVAL with a reason in err. */
int api_check_text(const char *what, const char *s, size_t max, char *err, size_t errlen);

/* ---- api_root.c: the staff's links page and health ---- */

void api_get_root(struct api *a, struct http_req *req, const struct api_call *call);
/* The staff page with status: staff (an admin or device caller) see the phone links' QR codes, a
 * browser logged in by cookie also a "log out" button, anyone else the login form, message (may
 * be NULL) above it; headers as for http_reply. */
void api_staff_page(struct api *a, struct http_req *req, int status, int staff, int by_cookie,
                    const char *message, const char *const *headers);
void api_get_health(struct api *a, struct http_req *req, const struct api_call *call);

/* ---- api_login.c: staff browsers' sessions ---- */

/* Failed logins: an address may fail API_LOGIN_FAILS times at once, then once every
 * API_LOGIN_FAIL_MS; while it is over, every login from it (a right token too) gets 429. */
#define API_LOGIN_FAILS 5
#define API_LOGIN_FAIL_MS 60000
/* The staff session cookie's name. */
#define API_STAFF_COOKIE_NAME "panic_staff"

/* 1 if the request's Cookie header names a live staff session. */
int api_staff_cookie(struct api *a, struct http_req *req);
void api_post_login(struct api *a, struct http_req *req, const struct api_call *call);
void api_post_logout(struct api *a, struct http_req *req, const struct api_call *call);

/* ---- api_models.c: the catalogue, platforms and their keys ---- */

void api_get_models(struct api *a, struct http_req *req, const struct api_call *call);
void api_get_platforms(struct api *a, struct http_req *req, const struct api_call *call);
void api_put_platform_key(struct api *a, struct http_req *req, const struct api_call *call);
void api_delete_platform_key(struct api *a, struct http_req *req, const struct api_call *call);

/* ---- api_networks.c ---- */

/* A path segment naming a network: its id ("3", not checked to exist, as api_path_id) or its
 * slug ("gallery-a"). 0, or -1 with 404 "no network '<text>'" sent. */
int api_path_network(struct api *a, struct http_req *req, const char *text, int64_t *id);

void api_get_networks(struct api *a, struct http_req *req, const struct api_call *call);
void api_post_network(struct api *a, struct http_req *req, const struct api_call *call);
void api_get_network(struct api *a, struct http_req *req, const struct api_call *call);
void api_patch_network(struct api *a, struct http_req *req, const struct api_call *call);
void api_delete_network(struct api *a, struct http_req *req, const struct api_call *call);

/* ---- api_runs.c: status, runs, invocations ---- */

void api_get_status(struct api *a, struct http_req *req, const struct api_call *call);
void api_post_run(struct api *a, struct http_req *req, const struct api_call *call);
void api_post_stop(struct api *a, struct http_req *req, const struct api_call *call);
/* POST /api/v1/stop: every network stops, every call in flight is cancelled. */
void api_post_stop_all(struct api *a, struct http_req *req, const struct api_call *call);
void api_get_current_run(struct api *a, struct http_req *req, const struct api_call *call);
void api_get_run_invocations(struct api *a, struct http_req *req, const struct api_call *call);
/* The stored invocation id as JSON (new reference), JSON null if it cannot be read. */
json_t *api_invocation_json(struct api *a, int64_t id);
/* The path's network id and its runner status: 0, or -1 with 404 sent (a bad id or no such
 * network). */
int api_network_status(struct api *a, struct http_req *req, const struct api_call *call,
                       int64_t *id, struct runner_status *st);
/* After coord_run_stop(net) returned rc (not -ENOENT): 200 with the status and "stopped". */
void api_reply_stopped(struct api *a, struct http_req *req, int64_t net, int rc);

/* ---- api_events.c: Server-Sent Events ---- */

void api_get_events(struct api *a, struct http_req *req, const struct api_call *call);
/* Start the heartbeat comments (api_new) / forget every client (api_free). */
void api_events_start(struct api *a);
void api_events_stop(struct api *a);

/* Close every event stream (after a restore: clients reconnect and catch up). */
void api_events_close_all(struct api *a);

/* ---- api_backup.c: restoring a backup ---- */

void api_post_restore(struct api *a, struct http_req *req, const struct api_call *call);
void api_get_restore(struct api *a, struct http_req *req, const struct api_call *call);
void api_post_backups(struct api *a, struct http_req *req, const struct api_call *call);

/* ---- api_displays.c ---- */

void api_get_display(struct api *a, struct http_req *req, const struct api_call *call);
void api_put_display(struct api *a, struct http_req *req, const struct api_call *call);
/* The stored config of a display, else the default; *configured says which. Its network is an
 * existing one (the first network when the stored one is gone; 0 when there is none). */
struct display_config api_display_load(struct api *a, const char *name, int *configured);

/* ---- api_presence.c: displays' heartbeats, the list of displays, missing ones ---- */

void api_post_heartbeat(struct api *a, struct http_req *req, const struct api_call *call);
void api_get_displays(struct api *a, struct http_req *req, const struct api_call *call);
/* Every known display (heard from, or configured) as a JSON array (new reference). */
json_t *api_displays_json(struct api *a);
/* The table and its missing-check timer (api_new) / their end (api_free). */
void api_presence_start(struct api *a);
void api_presence_stop(struct api *a);

/* ---- api_visitor.c: visitor tokens, the phone page ---- */

void api_get_prompt_url(struct api *a, struct http_req *req, const struct api_call *call);
void api_get_terminal(struct api *a, struct http_req *req, const struct api_call *call);
/* The URL phones should open for network, with a token minted now, into out; *expires_ms (if
 * not NULL) when it stops working. */
void api_prompt_url(struct api *a, struct http_req *req, int64_t network, char *out, size_t len,
                    int64_t *expires_ms);
/* The same with the network named as in the path /t/AS (its slug); as NULL: its id. */
void api_prompt_url_as(struct api *a, struct http_req *req, int64_t network, const char *as,
                       char *out, size_t len, int64_t *expires_ms);
/* A visitor's token names one network, and each address may post a few prompts a minute. 1 to
 * go on (always for a caller that is not a visitor); otherwise the reply is sent. */
int api_visitor_may_post(struct api *a, struct http_req *req, const struct caller *who, int64_t id);

/* ---- api_panic.c: the panic button and its presses log ---- */

void api_post_panic(struct api *a, struct http_req *req, const struct api_call *call);
void api_get_presses(struct api *a, struct http_req *req, const struct api_call *call);

/* ---- api_media.c: archived media and the backup ---- */

void api_get_media(struct api *a, struct http_req *req, const struct api_call *call);
void api_get_backup(struct api *a, struct http_req *req, const struct api_call *call);

#endif
