/* api.h: the HTTP API v1 of docs/DESIGN.md on top of the coordinator core, plus the SSE fan-out.
 * Every endpoint is one row of the route table (api_routes.c), which says who may call it. */
#ifndef PANIC_API_H
#define PANIC_API_H

#include "common/ev.h"
#include "coordinator/core/config.h"
#include "coordinator/coord/coord.h"
#include "coordinator/core/deck.h"
#include "http.h"
#include "coordinator/store/media.h"
#include "coordinator/store/store.h"

struct api;

/* All arguments are borrowed and must outlive the api. admin_token and visitor_secret are the
 * resolved secrets (from the config or the state dir); the api moves the deck's positions along
 * as the panic button is pressed. Owned; api_free. */
struct api *api_new(struct ev *ev, struct coord *coord, struct store *store,
                    struct media_store *media, const struct panicd_config *cfg,
                    const char *admin_token, const char *visitor_secret, struct deck *deck);
/* Closes every event stream. NULL-safe. */
void api_free(struct api *a);
/* The http_handler_fn for http_server_new (user = the api). */
void api_handle(void *user, struct http_req *req);
/* Attach the server once it exists (needed for stream bookkeeping). */
void api_set_server(struct api *a, struct http_server *srv);
/* The coord_sink_fn that fans committed events out to stream clients (user = the api). */
void api_on_event(void *user, int64_t id, int64_t network, const char *type, const char *data);
/* Restores go through b (POST/GET /api/v1/restore; borrowed, or NULL: none), and after one the
 * event streams are closed (api_restored, the backup_restored_fn). */
struct backups;
void api_set_backups(struct api *a, struct backups *b);
void api_restored(void *user);
/* Number of connected event-stream clients. */
size_t api_stream_count(const struct api *a);

/* ---- the route table ---- */

/* Who may call a route, as a set of bits. API_PUBLIC: anyone, with any token or none; otherwise
 * the caller needs a token of one of the roles: the admin token, a device's token (from the
 * config), or a visitor token (from a QR code, bound to one network: the handler checks which). A
 * missing or invalid token gets 401, a token of another role 403, before anything else of the
 * request is looked at. */
#define API_PUBLIC (1u << 0)
#define API_VISITOR (1u << 1)
#define API_DEVICE (1u << 2)
#define API_ADMIN (1u << 3)

/* A route's flags: API_NO_HEAD, a GET route that does not also answer HEAD (an event stream).
 * API_STAFF_COOKIE: a staff browser's session cookie (POST /login) counts as the admin role here;
 * only the staff page (GET /) has it, never a JSON route, so a forged cross-site request cannot
 * reach anything that changes state. API_LOGIN: a public write that only starts or ends the
 * caller's own browser session (POST /login, /logout). */
#define API_NO_HEAD (1u << 0)
#define API_STAFF_COOKIE (1u << 1)
#define API_LOGIN (1u << 2)

struct api_call;
typedef void (*api_handler_fn)(struct api *a, struct http_req *req, const struct api_call *call);

struct api_route {
    const char *method; /* "GET" also answers HEAD unless flags has API_NO_HEAD */
    const char *path;   /* "/api/v1/networks/{id}/runs": a "{...}" segment matches any segment */
    unsigned roles;     /* API_PUBLIC, or a set of API_ADMIN, API_DEVICE, API_VISITOR */
    api_handler_fn handler;
    unsigned flags;
};

/* The whole API, read-only and static: *n rows. A path that matches no row is 404; a path that
 * matches rows of other methods only is 405 with those methods in Allow. */
const struct api_route *api_routes(size_t *n);

#endif
