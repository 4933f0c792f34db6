/* api_displays.c: each display's config (network, mode, rows, cols, offset, stride, ...): GET
 * /api/v1/displays/{name} answers the stored one or a default (plus, for a display or staff, the
 * link its QR code shows), PUT stores one and tells every display through the event stream. The
 * fields' rules and their JSON are the shared display config's (common/proto). A Vestaboard's
 * key comes in the PUT body as "vestaboard_key" and is kept apart, write-only, as a credential;
 * a GET says only whether one is set. */
#define _DEFAULT_SOURCE /* explicit_bzero */
#include "api_internal.h"
#include "common/log.h"
#include "common/proto/display_config_json.h"
#include "common/util.h"
#include "coordinator/coord/views.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct display_config api_display_load(struct api *a, const char *name, int *configured)
{
    struct display_config d = display_config_default();
    char *text = NULL;
    *configured = 0;
    if (store_display_get(a->store, name, &text) == 0) {
        json_t *j = json_loads(text, 0, NULL);
        char err[PANIC_ERR_LEN];
        struct display_config stored = display_config_default();
        if (j && display_config_from_json(j, &stored, 0, err, sizeof err) == 0) {
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

/* What the display follows: its own config, with the installation's TV schedule (panicd.conf's
 * tv_*) where it has none of its own. Stored configs keep only their own. */
static struct display_config effective(const struct api *a, struct display_config d)
{
    struct display_config tv = config_tv_default(a->cfg);
    display_config_inherit_tv(&d, &tv);
    return d;
}

/* A Vestaboard's key is a credential named vestaboard-NAME (coord_keys.c finds it in the store,
 * a systemd credential or the config); written here, never read back or logged. */
static void board_key_name(const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "vestaboard-%s", name);
}

static int board_key_set(struct api *a, const char *name)
{
    char key[DISPLAY_CONFIG_NAME_MAX + 16];
    board_key_name(name, key, sizeof key);
    return coord_key_set(a->coord, key);
}

/* "vestaboard_key" taken out of a PUT body: 1 with *secret (NULL or "" removes it), 0 if the body
 * has none, -1 (answered 422) if it is not a string or null. */
static int take_board_key(struct http_req *req, json_t *body, char **secret)
{
    json_t *k = json_object_get(body, "vestaboard_key");
    *secret = NULL;
    if (!k)
        return 0;
    if (!json_is_string(k) && !json_is_null(k)) {
        api_reply_error(req, 422, "invalid_display",
                        "vestaboard_key must be a string (null or \"\" removes it)");
        return -1;
    }
    if (json_is_string(k) && json_string_length(k))
        *secret = xstrdup(json_string_value(k));
    json_object_del(body, "vestaboard_key");
    return 1;
}

void api_get_display(struct api *a, struct http_req *req, const struct api_call *call)
{
    const char *name = api_path_name(req, call->param[0], DISPLAY_CONFIG_NAME_MAX, "display");
    if (!name)
        return;
    int configured;
    struct display_config d = effective(a, api_display_load(a, name, &configured));
    json_t *j = display_config_to_json(name, &d, configured);
    if (d.kind == DISPLAY_KIND_VESTABOARD) /* whether, never what */
        json_object_set_new(j, "vestaboard_key_set", json_boolean(board_key_set(a, name)));
    /* Reading a display's config needs no token, but minting visitor tokens does: only a
     * display (device token) or staff get the QR code's link with it. */
    if (d.network && (call->who.role == API_DEVICE || call->who.role == API_ADMIN)) {
        char url[512];
        api_prompt_url(a, req, d.network, url, sizeof url, NULL);
        json_object_set_new(j, "prompt_url", json_string(url));
    }
    api_reply_json(req, 200, j);
}

void api_put_display(struct api *a, struct http_req *req, const struct api_call *call)
{
    const char *name = api_path_name(req, call->param[0], DISPLAY_CONFIG_NAME_MAX, "display");
    if (!name)
        return;
    json_t *body = api_body_object(req);
    if (!body)
        return;
    /* A network may be named by its slug; the stored config keeps the id. */
    const char *net = json_string_value(json_object_get(body, "network"));
    if (net) {
        int64_t id = coord_network_resolve(a->coord, net);
        if (id < 0) {
            api_reply_error(req, 422, "invalid_display", "no network '%s'", net);
            json_decref(body);
            return;
        }
        json_object_set_new(body, "network", json_integer(id));
    }
    int configured;
    struct display_config d = api_display_load(a, name, &configured);
    char err[PANIC_ERR_LEN], *secret = NULL;
    struct runner_status st;
    int has_key = take_board_key(req, body, &secret);
    if (has_key < 0) {
        /* answered: a key that is not text */
    } else if (display_config_from_json(body, &d, 0, err, sizeof err) < 0) {
        api_reply_error(req, 422, "invalid_display", "%s", err);
    } else if (d.network && coord_status(a->coord, d.network, &st) < 0) {
        api_reply_error(req, 422, "invalid_display", "no network %lld", (long long)d.network);
    } else {
        char *text = view_dump(display_config_to_json(name, &d, 1));
        struct display_config e = effective(a, d);
        if (store_display_put(a->store, name, text, time_wall_ms()) < 0) {
            api_reply_error(req, 500, "internal", "could not store the display");
        } else {
            char key[DISPLAY_CONFIG_NAME_MAX + 16];
            board_key_name(name, key, sizeof key);
            if (has_key > 0 && coord_set_key(a->coord, key, secret) < 0)
                log_warn("could not store the key of display=%s", name);
            char *shown = view_dump(display_config_to_json(name, &e, 1));
            coord_emit(a->coord, 0, "display", shown);
            free(shown);
            json_t *j = display_config_to_json(name, &e, 1);
            if (e.kind == DISPLAY_KIND_VESTABOARD)
                json_object_set_new(j, "vestaboard_key_set", json_boolean(board_key_set(a, name)));
            api_reply_json(req, 200, j);
        }
        free(text);
    }
    if (secret) {
        explicit_bzero(secret, strlen(secret));
        free(secret);
    }
    json_decref(body);
}
