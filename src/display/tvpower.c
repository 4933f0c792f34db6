/* tvpower.c: the screen's power by opening hours (see tvpower.h): reads the local time (the
 * Pi's time zone, once a second), asks core/tvsched.c, and on a change switches the TV through
 * cec.c and logs when the next change comes. A CEC failure is logged and the screen still
 * follows the schedule (a TV without CEC shows a black screen). Knows nothing of SDL. */
#include "tvpower.h"
#include "cec.h"
#include "common/log.h"
#include "common/util.h"
#include "display/core/tvsched.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct tvpower {
    char *cec_path; /* NULL: leave the TV alone */
    struct cec_adapter *cec;
    int cec_failed; /* opening failed once: said so, not tried again */
    int on;         /* -1 until the first reading */
    int scheduled;  /* the last reading had a schedule */
    int64_t read_at;
    struct display_config last;
};

struct tvpower *tvpower_new(const char *cec)
{
    struct tvpower *t = xcalloc(1, sizeof *t);
    t->on = -1;
    t->read_at = INT64_MIN;
    if (cec && strcmp(cec, "none") != 0)
        t->cec_path = xstrdup(cec);
    return t;
}

void tvpower_free(struct tvpower *t)
{
    if (!t)
        return;
    cec_adapter_close(t->cec);
    free(t->cec_path);
    free(t);
}

static void switch_tv(struct tvpower *t, int on)
{
    char err[PANIC_ERR_LEN];
    if (!t->cec_path)
        return;
    if (!t->cec && !t->cec_failed) {
        t->cec = cec_adapter_open(t->cec_path, err, sizeof err);
        if (!t->cec) {
            t->cec_failed = 1;
            log_warn("tv power: %s; the screen follows the schedule, the TV's power does not", err);
            return;
        }
        log_info("tv power: HDMI-CEC on %s", cec_adapter_path(t->cec));
    }
    if (t->cec && cec_adapter_power(t->cec, on, err, sizeof err) < 0)
        log_warn("tv power: cannot switch the TV %s: %s", on ? "on" : "off", err);
}

static int same_schedule(const struct display_config *a, const struct display_config *b)
{
    return a->tv_on == b->tv_on && a->tv_off == b->tv_off && a->tv_days == b->tv_days &&
           !memcmp(a->tv_holidays, b->tv_holidays, sizeof a->tv_holidays);
}

int tvpower_step(struct tvpower *t, const struct display_config *cfg, int64_t mono, int *changed)
{
    *changed = 0;
    if (t->on >= 0 && mono - t->read_at < 1000 && same_schedule(cfg, &t->last))
        return t->on;
    t->read_at = mono;
    t->last = *cfg;
    time_t now = time(NULL);
    struct tm local, next;
    if (!localtime_r(&now, &local))
        return t->on >= 0 ? t->on : 1;
    int scheduled = cfg->tv_on >= 0 && cfg->tv_off >= 0;
    int on = tvsched_on(cfg, &local);
    int was = t->on, had = t->scheduled;
    t->scheduled = scheduled;
    if (on == was)
        return on;
    t->on = on;
    *changed = was >= 0 || !on; /* a start with the TV off blanks the screen too */
    /* Without a schedule the TV is left alone, unless one just ended with the TV off. */
    if (scheduled || (had && was == 0))
        switch_tv(t, on);
    int64_t in = tvsched_next(cfg, &local, &next);
    char when[32] = "never";
    if (in >= 0)
        strftime(when, sizeof when, "%a %Y-%m-%d %H:%M", &next);
    if (scheduled)
        log_info("tv %s by the schedule; next change %s", on ? "on" : "off", when);
    return on;
}
