/* network.c: the rules that make a list of models a runnable loop, and the slow-down schedule.
 * Pure C on top of the catalogue; no I/O, no clock. */
#include "network.h"
#include "catalog.h"
#include "common/buf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct schedule schedule_default(void)
{
    struct schedule s = {.nsteps = 3};
    s.steps[0].until_ms = 10 * 60 * 1000;
    s.steps[0].delay_ms = 1000;
    s.steps[1].until_ms = 60 * 60 * 1000;
    s.steps[1].delay_ms = 15 * 1000;
    s.steps[2].until_ms = -1;
    s.steps[2].delay_ms = 10 * 60 * 1000;
    return s;
}

int64_t schedule_delay(const struct schedule *s, int64_t age_ms)
{
    for (int i = 0; i < s->nsteps; i++)
        if (s->steps[i].until_ms < 0 || age_ms < s->steps[i].until_ms)
            return s->steps[i].delay_ms;
    return s->nsteps ? s->steps[s->nsteps - 1].delay_ms : 1000;
}

int schedule_check(const struct schedule *s, char *err, size_t errlen)
{
    if (s->nsteps < 1 || s->nsteps > SCHEDULE_MAX_STEPS) {
        snprintf(err, errlen, "schedule needs 1 to %d steps", SCHEDULE_MAX_STEPS);
        return -EINVAL;
    }
    for (int i = 0; i < s->nsteps; i++) {
        int last = i == s->nsteps - 1;
        if (s->steps[i].delay_ms < 0) {
            snprintf(err, errlen, "schedule step %d: delay must not be negative", i + 1);
            return -EINVAL;
        }
        if (last && s->steps[i].until_ms >= 0) {
            snprintf(err, errlen,
                     "schedule: the last step must have no until_s (it lasts forever)");
            return -EINVAL;
        }
        if (!last && s->steps[i].until_ms <= (i ? s->steps[i - 1].until_ms : 0)) {
            snprintf(err, errlen, "schedule step %d: until_s must be greater than the step before",
                     i + 1);
            return -EINVAL;
        }
    }
    return 0;
}

int network_validate(const char *const *models, size_t n, char *err, size_t errlen)
{
    struct buf msg = BUF_INIT;
    if (n == 0) {
        snprintf(err, errlen, "a network must contain at least one model");
        return -EINVAL;
    }
    if (n > NETWORK_MAX_MODELS) {
        snprintf(err, errlen, "a network may contain at most %d models", NETWORK_MAX_MODELS);
        return -EINVAL;
    }
    int unknown = 0;
    for (size_t i = 0; i < n; i++) {
        if (!catalog_find(models[i])) {
            buf_printf(&msg, "%s%s", unknown ? ", " : "unknown models: ", models[i]);
            unknown++;
        }
    }
    if (!unknown) {
        const struct model_info *first = catalog_find(models[0]);
        if (first->input != MEDIA_TEXT)
            buf_printf(&msg, "the first model %s takes %s, but a run starts from a text prompt",
                       first->id, media_type_name(first->input));
        for (size_t i = 0; i + 1 < n; i++) {
            const struct model_info *a = catalog_find(models[i]), *b = catalog_find(models[i + 1]);
            if (a->output != b->input)
                buf_printf(&msg, "%s%s output (%s) does not match %s input (%s)",
                           msg.len ? "; " : "", a->id, media_type_name(a->output), b->id,
                           media_type_name(b->input));
        }
        const struct model_info *last = catalog_find(models[n - 1]);
        if (last->output != first->input)
            buf_printf(
                &msg, "%snot a cycle: the last model %s outputs %s but the first model %s takes %s",
                msg.len ? "; " : "", last->id, media_type_name(last->output), first->id,
                media_type_name(first->input));
    }
    int rc = 0;
    if (msg.len) {
        snprintf(err, errlen, "%s", msg.data);
        rc = -EINVAL;
    }
    buf_free(&msg);
    return rc;
}
