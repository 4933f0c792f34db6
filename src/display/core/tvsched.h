/* tvsched.h: TV power by opening hours: whether the TV is on at a local time, and when that
 * next changes. Pure: the local broken-down time is an argument (localtime_r is the caller's). */
#ifndef PANIC_TVSCHED_H
#define PANIC_TVSCHED_H

#include "common/proto/display_config.h"

#include <stdint.h>
#include <time.h>

/* The rule (display_config.h's tv_* keys): on each open day D (its weekday in tv_days, its date
 * not in tv_holidays) the TV is on from D at tv_on until tv_off, on D when tv_off > tv_on, else
 * on D+1 (an overnight span, 18:00-02:00; tv_on == tv_off is 24 h). A span that starts on an open
 * day runs to its end even past midnight into a closed day. No schedule (tv_on or tv_off -1):
 * always on. Times compare as wall-clock minutes, so on the day clocks spring forward a time
 * that does not exist counts from the first minute after the jump, and in the hour that repeats
 * in autumn the TV follows the wall clock (on again for the repeat if an overnight span ended
 * inside it). Fields used: tv_on, tv_off, tv_days, tv_holidays; tm fields used: tm_year,
 * tm_mon, tm_mday, tm_hour, tm_min (the weekday is computed from the date). */
int tvsched_on(const struct display_config *c, const struct tm *local);

/* When the state next changes after local: the wall-clock minutes until then (> 0) with *at set
 * to that local time (tm_year, tm_mon, tm_mday, tm_hour, tm_min, tm_wday; seconds 0), or -1 if
 * it never changes within 400 days (no schedule, no open day, every day 24 h). */
int64_t tvsched_next(const struct display_config *c, const struct tm *local, struct tm *at);

#endif
