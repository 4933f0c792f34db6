/* tvsched.c: TV power by opening hours (see tvsched.h). Dates become day numbers (days since
 * 1970-01-01, the proleptic Gregorian calendar) so that weekdays, month ends and leap years
 * come from arithmetic, not from the caller's tm_wday; a time is day * 1440 + minute. Pure libc:
 * no clock, no time zone, no I/O. */
#include "tvsched.h"

#include <stddef.h>

#define DAY_MIN 1440
#define HORIZON_DAYS 400

/* Days since 1970-01-01 of y-m-d (m 1-12), and back (H. Hinnant's civil calendar algorithms). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* 0 = Sunday, as tm_wday; 1970-01-01 was a Thursday. */
static int weekday(int64_t day)
{
    int64_t w = (day + 4) % 7;
    return (int)(w < 0 ? w + 7 : w);
}

static int holiday(const struct display_config *c, int64_t day)
{
    int64_t y;
    int m, d;
    civil_from_days(day, &y, &m, &d);
    int64_t key = y * 10000 + m * 100 + d;
    for (size_t i = 0; i < DISPLAY_HOLIDAYS_MAX && c->tv_holidays[i]; i++)
        if (c->tv_holidays[i] == key)
            return 1;
    return 0;
}

static int open_day(const struct display_config *c, int64_t day)
{
    return (c->tv_days >> weekday(day) & 1) && !holiday(c, day);
}

static int has_schedule(const struct display_config *c)
{
    return c->tv_on >= 0 && c->tv_off >= 0;
}

/* Whether time t (day * DAY_MIN + minute) lies in the span that starts on day. */
static int in_span(const struct display_config *c, int64_t day, int64_t t)
{
    int64_t start = day * DAY_MIN + c->tv_on;
    int64_t end =
        c->tv_off > c->tv_on ? day * DAY_MIN + c->tv_off : (day + 1) * DAY_MIN + c->tv_off;
    return t >= start && t < end && open_day(c, day);
}

static int on_at(const struct display_config *c, int64_t t)
{
    int64_t day = t >= 0 ? t / DAY_MIN : -((-t + DAY_MIN - 1) / DAY_MIN);
    return !has_schedule(c) || in_span(c, day, t) || in_span(c, day - 1, t);
}

static int64_t minute_of(const struct tm *local)
{
    return days_from_civil((int64_t)local->tm_year + 1900, local->tm_mon + 1, local->tm_mday) *
               DAY_MIN +
           local->tm_hour * 60 + local->tm_min;
}

int tvsched_on(const struct display_config *c, const struct tm *local)
{
    return on_at(c, minute_of(local));
}

int64_t tvsched_next(const struct display_config *c, const struct tm *local, struct tm *at)
{
    if (!has_schedule(c))
        return -1;
    int64_t now = minute_of(local), today = now / DAY_MIN;
    int state = on_at(c, now);
    /* The state changes only at a day's tv_on or tv_off: try those in time order. */
    int first = c->tv_on < c->tv_off ? c->tv_on : c->tv_off;
    int second = c->tv_on < c->tv_off ? c->tv_off : c->tv_on;
    for (int64_t day = today; day <= today + HORIZON_DAYS; day++) {
        int64_t cand[2] = {day * DAY_MIN + first, day * DAY_MIN + second};
        for (int k = 0; k < 2; k++) {
            if (cand[k] <= now || on_at(c, cand[k]) == state)
                continue;
            int64_t y;
            int m, d;
            civil_from_days(day, &y, &m, &d);
            *at = (struct tm){.tm_year = (int)(y - 1900),
                              .tm_mon = m - 1,
                              .tm_mday = d,
                              .tm_hour = (int)(cand[k] % DAY_MIN / 60),
                              .tm_min = (int)(cand[k] % 60),
                              .tm_wday = weekday(day),
                              .tm_isdst = -1};
            return cand[k] - now;
        }
    }
    return -1;
}
