/* views.c: maps rows and runner status to the JSON of the API and the event stream, and back.
 * It lives in coord/ because the coordinator emits these shapes as events after every step and
 * api/ serves the same ones. Nothing in core/ or store/ depends on jansson. */
#include "views.h"
#include "common/util.h"
#include "coordinator/core/catalog.h"
#include "coordinator/store/media.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *view_time(int64_t wall_ms)
{
    if (wall_ms <= 0)
        return json_null();
    char buf[40];
    time_format_iso(wall_ms, buf, sizeof buf);
    return json_string(buf);
}

static json_t *io(enum media_type type, const char *value)
{
    if (!value)
        return json_null();
    if (type == MEDIA_TEXT)
        return json_pack("{s:s, s:s}", "type", "text", "text", value);
    char url[MEDIA_NAME_MAX + 16];
    snprintf(url, sizeof url, "/media/%s", value);
    return json_pack("{s:s, s:s, s:s}", "type", media_type_name(type), "media", value, "url", url);
}

json_t *view_invocation(const struct store_invocation *inv)
{
    json_t *j = json_pack("{s:I, s:I, s:I, s:I, s:s, s:s}", "id", (json_int_t)inv->id, "network",
                          (json_int_t)inv->network_id, "run", (json_int_t)inv->run, "seq",
                          (json_int_t)inv->seq, "model", inv->model, "state", inv->state);
    if (!j)
        return NULL;
    json_object_set_new(j, "input", io(inv->input_type, inv->input));
    json_object_set_new(j, "output",
                        inv->has_output ? io(inv->output_type, inv->output) : json_null());
    json_object_set_new(j, "error", inv->error ? json_string(inv->error) : json_null());
    json_object_set_new(j, "created_at", view_time(inv->created_at));
    json_object_set_new(j, "started_at", view_time(inv->started_at));
    json_object_set_new(j, "finished_at", view_time(inv->finished_at));
    json_object_set_new(j, "duration_ms",
                        inv->finished_at ? json_integer(inv->finished_at - inv->started_at)
                                         : json_null());
    json_object_set_new(j, "attempts", json_integer(inv->attempts));
    return j;
}

json_t *view_status(int64_t network_id, const struct runner_status *st)
{
    json_t *j =
        json_pack("{s:I, s:s, s:b, s:I}", "network", (json_int_t)network_id, "state",
                  runner_state_name(st), "can_start_run", st->can_start_run, "lockout_remaining_s",
                  (json_int_t)((st->lockout_remaining_ms + 999) / 1000));
    json_object_set_new(j, "run", st->run ? json_integer(st->run) : json_null());
    json_object_set_new(j, "seq", st->run ? json_integer(st->seq) : json_null());
    json_object_set_new(j, "model", st->model ? json_string(st->model) : json_null());
    json_object_set_new(j, "invocation",
                        st->invocation ? json_integer(st->invocation) : json_null());
    json_object_set_new(j, "genesis_at", view_time(st->genesis_at));
    json_object_set_new(j, "next_at", view_time(st->next_at));
    json_object_set_new(j, "error", st->error ? json_string(st->error) : json_null());
    json_object_set_new(j, "attempt", json_integer(st->attempt));
    json_object_set_new(j, "paid", json_boolean(st->paid));
    json_object_set_new(j, "cost_usd", json_real(st->cost_usd));
    json_object_set_new(j, "burn_usd_per_hour", json_real(st->burn_usd_per_hour));
    return j;
}

json_t *view_schedule(const struct schedule *s)
{
    json_t *a = json_array();
    for (int i = 0; i < s->nsteps; i++) {
        json_t *step = json_object();
        if (s->steps[i].until_ms >= 0)
            json_object_set_new(step, "until_s", json_real((double)s->steps[i].until_ms / 1000));
        json_object_set_new(step, "delay_s", json_real((double)s->steps[i].delay_ms / 1000));
        json_array_append_new(a, step);
    }
    return a;
}

int view_parse_schedule(const json_t *j, struct schedule *out, char *err, size_t errlen)
{
    if (!json_is_array(j) || json_array_size(j) < 1 || json_array_size(j) > SCHEDULE_MAX_STEPS) {
        snprintf(err, errlen, "schedule must be an array of 1 to %d steps", SCHEDULE_MAX_STEPS);
        return -EINVAL;
    }
    memset(out, 0, sizeof *out);
    out->nsteps = (int)json_array_size(j);
    for (int i = 0; i < out->nsteps; i++) {
        json_t *step = json_array_get(j, (size_t)i);
        json_t *until = json_object_get(step, "until_s"), *delay = json_object_get(step, "delay_s");
        if (!json_is_object(step) || !json_is_number(delay) ||
            (until && !json_is_null(until) && !json_is_number(until))) {
            snprintf(err, errlen, "schedule step %d needs a number delay_s (and until_s)", i + 1);
            return -EINVAL;
        }
        double d = json_number_value(delay);
        double u = until && json_is_number(until) ? json_number_value(until) : -1;
        if (!isfinite(d) || !isfinite(u) || d > 86400 || u > 1e9) {
            snprintf(err, errlen, "schedule step %d is out of range", i + 1);
            return -EINVAL;
        }
        out->steps[i].delay_ms = (int64_t)llround(d * 1000);
        out->steps[i].until_ms = u < 0 ? -1 : (int64_t)llround(u * 1000);
    }
    return schedule_check(out, err, errlen);
}

/* What a visitor reads about each of the network's models (the info screen, the phone page). */
static json_t *model_details(const json_t *models)
{
    json_t *arr = json_array(), *v;
    size_t i;
    json_array_foreach(models, i, v)
    {
        const char *id = json_string_value(v);
        const struct model_info *m = catalog_find(id);
        if (!m) {
            json_array_append_new(arr, json_pack("{s:s?, s:s?, s:n, s:b}", "id", id, "name", id,
                                                 "description", "paid", 0));
            continue;
        }
        json_array_append_new(
            arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "id", m->id, "name", m->name,
                           "platform", m->platform, "input", media_type_name(m->input), "output",
                           media_type_name(m->output), "description",
                           m->description ? m->description : "", "paid", catalog_paid(m)));
    }
    return arr;
}

json_t *view_network(const struct store_network *n)
{
    json_t *models = json_loads(n->models_json, 0, NULL);
    json_t *sched = n->schedule_json ? json_loads(n->schedule_json, 0, NULL) : NULL;
    if (!sched) {
        struct schedule def = schedule_default();
        sched = view_schedule(&def);
    }
    json_t *j = json_pack("{s:I, s:s, s:o, s:I, s:o}", "id", (json_int_t)n->id, "name", n->name,
                          "models", models ? models : json_array(), "lockout_seconds",
                          (json_int_t)n->lockout_s, "schedule", sched);
    if (j) {
        json_object_set_new(j, "created_at", view_time(n->created_at));
        json_object_set_new(j, "updated_at", view_time(n->updated_at));
        json_object_set_new(j, "slug", n->slug ? json_string(n->slug) : json_null());
        json_object_set_new(j, "model_details", model_details(json_object_get(j, "models")));
    }
    return j;
}

char *view_dump(json_t *j)
{
    if (!j)
        return xstrdup("null");
    /* 15 significant digits (DBL_DIG): 0.2 comes out as 0.2, not as the 17 digits of the double
     * nearest to it; every number we keep (seconds from milliseconds, dollars) fits in 15. */
    char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
    json_decref(j);
    if (!s)
        abort(); /* jansson only fails here on out of memory */
    return s;
}
