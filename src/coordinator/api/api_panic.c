/* api_panic.c: the physical panic button. POST /api/v1/panic {"display","long"} from a display's
 * device (or staff): a press starts a run on that display's network with the next prompt of the
 * deck (which moves on only when a run starts, so a press in the lockout loses no prompt); a long
 * press stops the run where the device's config allows it. Every press, refused or not, goes
 * into the presses log that GET /api/v1/presses reads. */
#include "api_internal.h"
#include "common/log.h"
#include "common/util.h"
#include "coordinator/coord/views.h"

#include <errno.h>
#include <stdio.h>

static void record_press(struct api *a, const char *display, const struct caller *who,
                         int64_t network, int is_long, const char *result, int64_t run)
{
    struct store_press p = {
        .display = display,
        .device = who->role == API_DEVICE ? a->cfg->devices[who->device].name : NULL,
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
    if (who->role == API_DEVICE && !a->cfg->devices[who->device].long_press_stop) {
        const char *dev = a->cfg->devices[who->device].name;
        record_press(a, display, who, net, 1, "refused", 0);
        api_reply_error(req, 403, "long_press_not_allowed",
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
        api_reply_no_network(req, net);
        return;
    }
    record_press(a, display, who, net, 1, "stopped", rc == 0 ? run : 0);
    api_reply_stopped(a, req, net, rc);
}

static void panic_start(struct api *a, struct http_req *req, const struct caller *who,
                        const char *display, int64_t net)
{
    const char *prompt = deck_peek(a->deck, net);
    int64_t run = 0, genesis = 0, retry_ms = 0;
    int rc = coord_run_start(a->coord, net, prompt, &run, &genesis, &retry_ms);
    if (rc == -EBUSY) {
        record_press(a, display, who, net, 0, "lockout", 0);
        api_reply_lockout(req, retry_ms);
        return;
    }
    if (rc == -EDQUOT) {
        record_press(a, display, who, net, 0, "refused", 0);
        api_reply_error(req, 429, "budget", "%s", coord_last_error(a->coord));
        return;
    }
    if (rc < 0) {
        record_press(a, display, who, net, 0, "error", 0);
        if (rc == -ENOENT)
            api_reply_no_network(req, net);
        else if (rc == -EPERM)
            api_reply_error(req, 422, "platform_unavailable", "%s", coord_last_error(a->coord));
        else if (rc == -EIO)
            api_reply_error(req, 503, "storage", "%s", coord_last_error(a->coord));
        else
            api_reply_error(req, 500, "internal", "the run could not be started");
        return;
    }
    deck_advance(a->deck, net);
    record_press(a, display, who, net, 0, "started", run);
    json_t *g = api_invocation_json(a, genesis);
    api_reply_json(req, 201,
                   json_pack("{s:I, s:I, s:o, s:s}", "network", (json_int_t)net, "run",
                             (json_int_t)run, "genesis", g, "prompt", prompt));
}

void api_post_panic(struct api *a, struct http_req *req, const struct api_call *call)
{
    const struct caller *who = &call->who;
    json_t *body = api_body_object(req);
    if (!body)
        return;
    json_t *jd = json_object_get(body, "display"), *jl = json_object_get(body, "long");
    const char *display = json_string_value(jd);
    if (!display || !display_config_name_valid(display)) {
        api_reply_error(req, 422, "invalid_display",
                        "display must be a display name: 1-63 letters, digits, '-', '_' or ':'");
    } else if (jl && !json_is_boolean(jl)) {
        api_reply_error(req, 422, "invalid", "long must be true or false");
    } else {
        int configured;
        struct display_config d = api_display_load(a, display, &configured);
        if (!d.network) {
            record_press(a, display, who, 0, json_is_true(jl), "error", 0);
            api_reply_error(req, 404, "not_found", "there is no network for display %s", display);
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

void api_get_presses(struct api *a, struct http_req *req, const struct api_call *call)
{
    (void)call;
    int64_t limit;
    if (api_query_int(req, "limit", 1, 1000, 100, &limit) < 0)
        return;
    json_t *arr = json_array();
    if (store_press_each(a->store, limit, collect_press, arr) < 0) {
        json_decref(arr);
        api_reply_error(req, 500, "internal", "could not read the presses");
        return;
    }
    api_reply_json(
        req, 200,
        json_pack("{s:o, s:I}", "presses", arr, "total", (json_int_t)store_press_count(a->store)));
}
