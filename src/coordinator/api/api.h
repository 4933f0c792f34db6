/* api.h: the HTTP API v1 of DESIGN.md on top of the coordinator core, plus the SSE fan-out. */
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
/* Number of connected event-stream clients. */
size_t api_stream_count(const struct api *a);

#endif
