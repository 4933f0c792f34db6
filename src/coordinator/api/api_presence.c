/* api_presence.c: which displays are alive. POST /api/v1/displays/{name}/heartbeat (a display,
 * every 10 s) records its figures in memory (core/presence.c); GET /api/v1/displays lists every
 * display known (heard from since this panicd started, or configured in the store) with its
 * network, last-seen time and health. A timer marks displays silent for display_missing_seconds
 * as missing; a `presence` event on every stream says so, and again when one comes back.
 * Cheap by design: a heartbeat touches no disk; only those changes are written (as events).
 * What survives a restart is the stored configs: a configured display is "unknown" until its
 * first heartbeat. Monotonic time decides who is missing, so a clock step does not. */
#include "api_internal.h"
#include "common/log.h"
#include "common/proto/display_config.h"
#include "common/util.h"
#include "coordinator/coord/views.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The wall-clock time of a monotonic instant. */
static int64_t wall_of(int64_t mono)
{
    return time_wall_ms() - (time_mono_ms() - mono);
}

static void emit_presence(struct api *a, const struct presence_display *d, const char *state)
{
    json_t *j = json_pack("{s:s, s:s, s:I}", "display", d->name, "presence", state, "network",
                          (json_int_t)d->r.network);
    json_object_set_new(j, "last_seen", view_time(wall_of(d->last_seen_ms)));
    char *text = view_dump(j);
    if (coord_emit(a->coord, 0, "presence", text) < 0)
        log_warn("could not record the presence of display=%s", d->name);
    free(text);
}

static void on_missing(void *user, const struct presence_display *d)
{
    struct api *a = user;
    log_warn("display missing name=%s silent_for_s=%lld", d->name,
             (long long)((time_mono_ms() - d->last_seen_ms) / 1000));
    emit_presence(a, d, "missing");
}

static void on_presence_tick(struct ev *ev, uint64_t id, void *data)
{
    (void)id;
    struct api *a = data;
    presence_tick(a->presence, time_mono_ms(), on_missing, a);
    a->presence_timer = ev_timer_in(ev, a->presence_tick_ms, on_presence_tick, a);
}

void api_presence_start(struct api *a)
{
    a->presence = presence_new(a->cfg->display_missing_ms);
    a->presence_tick_ms = MIN(1000, MAX(a->cfg->display_missing_ms / 4, 50));
    a->presence_timer = ev_timer_in(a->ev, a->presence_tick_ms, on_presence_tick, a);
}

void api_presence_stop(struct api *a)
{
    ev_timer_del(a->ev, a->presence_timer);
    presence_free(a->presence);
    a->presence = NULL;
}

/* ---- the heartbeat ---- */

static double num_or(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) && json_number_value(v) >= 0 ? json_number_value(v) : -1;
}

/* A short text member into out ("" when absent); -1 if it is there and not short clean text. */
static int text_of(const json_t *o, const char *key, char *out, size_t len)
{
    const json_t *v = json_object_get(o, key);
    out[0] = '\0';
    if (!v || json_is_null(v))
        return 0;
    char err[PANIC_ERR_LEN];
    if (!json_is_string(v) || api_check_text(key, json_string_value(v), len - 1, err, sizeof err))
        return -1;
    snprintf(out, len, "%s", json_string_value(v));
    return 0;
}

void api_post_heartbeat(struct api *a, struct http_req *req, const struct api_call *call)
{
    const char *name = api_path_name(req, call->param[0], DISPLAY_CONFIG_NAME_MAX, "display");
    if (!name)
        return;
    json_t *b = api_body_object(req);
    if (!b)
        return;
    struct presence_report r = {
        .fps = num_or(b, "fps"),
        .frame_p99_ms = num_or(b, "frame_p99_ms"),
        .newest_age_s = num_or(b, "newest_age_s"),
        .cpu_temp_c = num_or(b, "cpu_temp_c"),
        .throttled = (int64_t)num_or(b, "throttled"),
        .cache_bytes = (int64_t)num_or(b, "cache_bytes"),
        .cache_max_bytes = (int64_t)num_or(b, "cache_max_bytes"),
        .uptime_s = (int64_t)num_or(b, "uptime_s"),
        .network = (int64_t)MAX(num_or(b, "network"), 0),
    };
    if (text_of(b, "version", r.version, sizeof r.version) < 0 ||
        text_of(b, "audio", r.audio, sizeof r.audio) < 0) {
        api_reply_error(req, 422, "invalid_heartbeat", "version and audio are short texts");
        json_decref(b);
        return;
    }
    json_decref(b);
    int change = presence_heartbeat(a->presence, name, &r, time_mono_ms());
    const struct presence_display *d = presence_find(a->presence, name);
    if (change == PRESENCE_NEW || change == PRESENCE_BACK) {
        log_info("display %s name=%s version=%s", change == PRESENCE_NEW ? "seen" : "back", name,
                 r.version);
        emit_presence(a, d, "online");
    }
    api_reply_json(req, 200, json_pack("{s:s}", "presence", "online"));
}

/* ---- the list ---- */

static json_t *num_json(double v)
{
    return v < 0 ? json_null() : json_real(round(v * 10) / 10);
}

static json_t *int_json(int64_t v)
{
    return v < 0 ? json_null() : json_integer(v);
}

static json_t *report_json(const struct presence_report *r)
{
    json_t *j = json_object();
    json_object_set_new(j, "version", r->version[0] ? json_string(r->version) : json_null());
    json_object_set_new(j, "fps", num_json(r->fps));
    json_object_set_new(j, "frame_p99_ms", num_json(r->frame_p99_ms));
    json_object_set_new(j, "newest_age_s", num_json(r->newest_age_s));
    json_object_set_new(j, "cpu_temp_c", num_json(r->cpu_temp_c));
    json_object_set_new(j, "throttled", int_json(r->throttled));
    json_object_set_new(j, "cache_bytes", int_json(r->cache_bytes));
    json_object_set_new(j, "cache_max_bytes", int_json(r->cache_max_bytes));
    json_object_set_new(j, "audio", r->audio[0] ? json_string(r->audio) : json_null());
    json_object_set_new(j, "uptime_s", int_json(r->uptime_s));
    return j;
}

/* One display's entry: from its heartbeats (d, may be NULL) and its stored config. */
static json_t *display_entry(struct api *a, const char *name, const struct presence_display *d)
{
    int configured;
    struct display_config cfg = api_display_load(a, name, &configured);
    char why[256] = "";
    const char *health = d ? presence_health(d, why, sizeof why) : "unknown";
    json_t *j = json_pack("{s:s, s:I, s:b, s:s, s:s, s:s}", "name", name, "network",
                          (json_int_t)cfg.network, "configured", configured, "state",
                          !d           ? "unknown"
                          : d->missing ? "missing"
                                       : "online",
                          "health", health, "problems", why);
    int64_t now = time_mono_ms();
    json_object_set_new(j, "last_seen", d ? view_time(wall_of(d->last_seen_ms)) : json_null());
    json_object_set_new(j, "last_seen_s",
                        d ? json_integer((now - d->last_seen_ms) / 1000) : json_null());
    json_object_set_new(j, "heartbeat", d ? report_json(&d->r) : json_null());
    return j;
}

struct collect {
    struct api *a;
    json_t *list;
};

static int collect_configured(void *user, const char *name, const char *config)
{
    (void)config;
    struct collect *c = user;
    if (!presence_find(c->a->presence, name))
        json_array_append_new(c->list, display_entry(c->a, name, NULL));
    return 0;
}

json_t *api_displays_json(struct api *a)
{
    struct collect c = {a, json_array()};
    const struct presence_display *d;
    for (size_t i = 0; (d = presence_at(a->presence, i)); i++)
        json_array_append_new(c.list, display_entry(a, d->name, d));
    store_display_each(a->store, collect_configured, &c);
    return c.list;
}

void api_get_displays(struct api *a, struct http_req *req, const struct api_call *call)
{
    (void)call;
    api_reply_json(req, 200,
                   json_pack("{s:o, s:I, s:I}", "displays", api_displays_json(a), "heartbeat_s",
                             (json_int_t)10, "missing_after_s",
                             (json_int_t)(a->cfg->display_missing_ms / 1000)));
}
