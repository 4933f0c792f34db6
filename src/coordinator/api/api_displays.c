/* api_displays.c: each display's config (network, mode, rows, cols, offset, stride, ...): GET
 * /api/v1/displays/{name} answers the stored one or a default (plus, for a display or staff, the
 * link its QR code shows), PUT stores one and tells every display through the event stream. The
 * fields' rules are config.c's (display_cfg_set, display_cfg_check); the JSON is views.c's. */
#include "api_internal.h"
#include "common/util.h"
#include "views.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

struct display_cfg api_display_load(struct api *a, const char *name, int *configured)
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

void api_get_display(struct api *a, struct http_req *req, const struct api_call *call)
{
    const char *name = api_path_name(req, call->param[0], DISPLAY_NAME_MAX, "display");
    if (!name)
        return;
    int configured;
    struct display_cfg d = api_display_load(a, name, &configured);
    json_t *j = view_display(name, &d, configured);
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
    const char *name = api_path_name(req, call->param[0], DISPLAY_NAME_MAX, "display");
    if (!name)
        return;
    json_t *body = api_body_object(req);
    if (!body)
        return;
    int configured;
    struct display_cfg d = api_display_load(a, name, &configured);
    char err[PANIC_ERR_LEN];
    struct runner_status st;
    if (display_from_json(body, &d, err, sizeof err) < 0) {
        api_reply_error(req, 422, "invalid_display", "%s", err);
    } else if (d.network && coord_status(a->coord, d.network, &st) < 0) {
        api_reply_error(req, 422, "invalid_display", "no network %lld", (long long)d.network);
    } else {
        char *text = view_dump(view_display(name, &d, 1));
        if (store_display_put(a->store, name, text, time_wall_ms()) < 0) {
            api_reply_error(req, 500, "internal", "could not store the display");
        } else {
            coord_emit(a->coord, 0, "display", text);
            api_reply_json(req, 200, view_display(name, &d, 1));
        }
        free(text);
    }
    json_decref(body);
}
