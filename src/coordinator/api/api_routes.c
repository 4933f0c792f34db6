/* api_routes.c: the route table, the one place that says which endpoints exist and who may call
 * each (docs/DESIGN.md's API table). The router (api_router.c) matches a request against it and
 * checks the caller's role before the handler runs; a handler never checks a role again (a
 * visitor's network is the handler's business: the router only knows the token is a visitor's).
 * Data only: no I/O, nothing but the handlers' names from api_internal.h. */
#include "api_internal.h"

/* Order matters only for the Allow header of a 405: a path's methods are listed as they come. */
static const struct api_route routes[] = {
    {"GET", "/", API_PUBLIC, api_get_root, API_STAFF_COOKIE},
    {"POST", "/login", API_PUBLIC, api_post_login, API_LOGIN},
    {"POST", "/logout", API_PUBLIC, api_post_logout, API_LOGIN},
    {"GET", "/t/{id}", API_PUBLIC, api_get_terminal, 0},
    {"GET", "/media/{file}", API_PUBLIC, api_get_media, 0},
    {"GET", "/api/v1/health", API_PUBLIC, api_get_health, 0},
    {"GET", "/api/v1/models", API_PUBLIC, api_get_models, 0},
    {"GET", "/api/v1/platforms", API_PUBLIC, api_get_platforms, 0},
    {"PUT", "/api/v1/platforms/{platform}/key", API_ADMIN, api_put_platform_key, 0},
    {"DELETE", "/api/v1/platforms/{platform}/key", API_ADMIN, api_delete_platform_key, 0},
    {"GET", "/api/v1/networks", API_PUBLIC, api_get_networks, 0},
    {"POST", "/api/v1/networks", API_ADMIN, api_post_network, 0},
    {"GET", "/api/v1/networks/{id}", API_PUBLIC, api_get_network, 0},
    {"PATCH", "/api/v1/networks/{id}", API_ADMIN, api_patch_network, 0},
    {"DELETE", "/api/v1/networks/{id}", API_ADMIN, api_delete_network, 0},
    {"GET", "/api/v1/networks/{id}/status", API_PUBLIC, api_get_status, 0},
    {"POST", "/api/v1/networks/{id}/runs", API_ADMIN | API_DEVICE | API_VISITOR, api_post_run, 0},
    {"POST", "/api/v1/networks/{id}/stop", API_ADMIN, api_post_stop, 0},
    {"GET", "/api/v1/networks/{id}/runs/current", API_PUBLIC, api_get_current_run, 0},
    {"GET", "/api/v1/networks/{id}/events", API_PUBLIC, api_get_events, API_NO_HEAD},
    {"GET", "/api/v1/networks/{id}/prompt-url", API_ADMIN | API_DEVICE, api_get_prompt_url, 0},
    {"GET", "/api/v1/runs/{run}/invocations", API_PUBLIC, api_get_run_invocations, 0},
    {"GET", "/api/v1/displays", API_PUBLIC, api_get_displays, 0},
    {"GET", "/api/v1/displays/{name}", API_PUBLIC, api_get_display, 0},
    {"PUT", "/api/v1/displays/{name}", API_ADMIN, api_put_display, 0},
    {"POST", "/api/v1/panic", API_ADMIN | API_DEVICE, api_post_panic, 0},
    {"GET", "/api/v1/presses", API_ADMIN, api_get_presses, 0},
    {"GET", "/api/v1/backup", API_ADMIN, api_get_backup, 0},
    {"POST", "/api/v1/backups", API_ADMIN, api_post_backups, 0},
    {"POST", "/api/v1/restore", API_ADMIN, api_post_restore, 0},
    {"GET", "/api/v1/restore", API_ADMIN, api_get_restore, 0},
    {"POST", "/api/v1/stop", API_ADMIN, api_post_stop_all, 0},
    {"POST", "/api/v1/displays/{name}/heartbeat", API_ADMIN | API_DEVICE, api_post_heartbeat, 0},
};

const struct api_route *api_routes(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}
