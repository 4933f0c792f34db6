/* test_tvsched.c: TV power by opening hours (src/display/core/tvsched.c) with fake local times:
 * a day's span, midnight, weekdays, holidays, overnight spans, on == off, month, year and leap
 * day ends, the days clocks change, and the next change with its local time. */
#include "common/proto/display_config.h"
#include "display/core/tvsched.h"
#include "test.h"

#include <string.h>

static struct tm at(int y, int mo, int d, int h, int mi)
{
    return (struct tm){.tm_year = y - 1900,
                       .tm_mon = mo - 1,
                       .tm_mday = d,
                       .tm_hour = h,
                       .tm_min = mi,
                       .tm_wday = -99 /* not used: the date says */};
}

static struct display_config sched(const char *on, const char *off, const char *days)
{
    struct display_config c = display_config_default();
    char err[256];
    if (display_config_set(&c, "tv_on", on, err, sizeof err) ||
        display_config_set(&c, "tv_off", off, err, sizeof err) ||
        display_config_set(&c, "tv_days", days, err, sizeof err))
        TEST_FAIL_AT("%s", err);
    return c;
}

/* The state at y-mo-d h:mi, and the next change: minutes ahead and its local time. */
static void expect(const struct display_config *c, struct tm now, int on, int64_t minutes,
                   const char *next)
{
    struct tm when = {0};
    char got[32] = "never";
    int state = tvsched_on(c, &now);
    int64_t m = tvsched_next(c, &now, &when);
    if (m >= 0) {
        static const char *const wd[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
        snprintf(got, sizeof got, "%s %04d-%02d-%02d %02d:%02d", wd[when.tm_wday % 7],
                 when.tm_year + 1900, when.tm_mon + 1, when.tm_mday, when.tm_hour, when.tm_min);
    }
    if (state != on || m != minutes || strcmp(got, next))
        TEST_FAIL_AT(
            "%04d-%02d-%02d %02d:%02d: on %d next %lld at %s; wanted on %d next %lld at %s",
            now.tm_year + 1900, now.tm_mon + 1, now.tm_mday, now.tm_hour, now.tm_min, state,
            (long long)m, got, on, (long long)minutes, next);
}

TEST(no_schedule_always_on)
{
    struct display_config c = display_config_default();
    expect(&c, at(2026, 12, 3, 3, 0), 1, -1, "never");
    c.tv_on = 600; /* half a schedule counts as none (the config refuses it anyway) */
    expect(&c, at(2026, 12, 3, 3, 0), 1, -1, "never");
}

TEST(daily_hours)
{
    struct display_config c = sched("09:30", "17:15", "all");
    expect(&c, at(2026, 12, 3, 8, 0), 0, 90, "Thu 2026-12-03 09:30");
    expect(&c, at(2026, 12, 3, 9, 29), 0, 1, "Thu 2026-12-03 09:30");
    expect(&c, at(2026, 12, 3, 9, 30), 1, 465, "Thu 2026-12-03 17:15");
    expect(&c, at(2026, 12, 3, 17, 14), 1, 1, "Thu 2026-12-03 17:15");
    expect(&c, at(2026, 12, 3, 17, 15), 0, 975, "Fri 2026-12-04 09:30");
    /* Over the end of a month, a year and a leap February. */
    expect(&c, at(2026, 11, 30, 23, 59), 0, 571, "Tue 2026-12-01 09:30");
    expect(&c, at(2026, 12, 31, 18, 0), 0, 930, "Fri 2027-01-01 09:30");
    expect(&c, at(2028, 2, 28, 20, 0), 0, 810, "Tue 2028-02-29 09:30");
}

TEST(midnight)
{
    struct display_config c = sched("09:30", "00:00", "all"); /* off at the day's end */
    expect(&c, at(2026, 12, 3, 23, 59), 1, 1, "Fri 2026-12-04 00:00");
    expect(&c, at(2026, 12, 4, 0, 0), 0, 570, "Fri 2026-12-04 09:30");
    c = sched("00:00", "06:00", "all"); /* on at midnight */
    expect(&c, at(2026, 12, 3, 23, 59), 0, 1, "Fri 2026-12-04 00:00");
    expect(&c, at(2026, 12, 4, 0, 0), 1, 360, "Fri 2026-12-04 06:00");
}

TEST(weekdays)
{
    struct display_config c = sched("09:30", "17:15", "mon-fri");
    expect(&c, at(2026, 12, 4, 17, 15), 0, 3 * 1440 - 465, "Mon 2026-12-07 09:30");
    expect(&c, at(2026, 12, 5, 12, 0), 0, 2 * 1440 - 150, "Mon 2026-12-07 09:30");
    expect(&c, at(2026, 12, 7, 12, 0), 1, 315, "Mon 2026-12-07 17:15");
    c = sched("10:00", "16:00", "sat,sun");
    expect(&c, at(2026, 12, 4, 12, 0), 0, 1320, "Sat 2026-12-05 10:00");
    expect(&c, at(2026, 12, 6, 12, 0), 1, 240, "Sun 2026-12-06 16:00");
    expect(&c, at(2026, 12, 6, 16, 0), 0, 6 * 1440 - 360, "Sat 2026-12-12 10:00");
    c = sched("10:00", "16:00", "none");
    expect(&c, at(2026, 12, 6, 12, 0), 0, -1, "never");
}

TEST(holidays)
{
    struct display_config c = sched("09:30", "17:15", "mon-fri");
    char err[256];
    CHECK_EQ_INT(display_config_set(&c, "tv_holidays", "2026-12-25,2027-01-01", err, sizeof err),
                 0);
    expect(&c, at(2026, 12, 25, 12, 0), 0, 3 * 1440 - 150, "Mon 2026-12-28 09:30");
    expect(&c, at(2026, 12, 24, 17, 15), 0, 4 * 1440 - 465, "Mon 2026-12-28 09:30");
    expect(&c, at(2026, 12, 31, 17, 15), 0, 4 * 1440 - 465, "Mon 2027-01-04 09:30");
    expect(&c, at(2026, 12, 24, 12, 0), 1, 315, "Thu 2026-12-24 17:15");
    /* A leap day as a holiday. */
    CHECK_EQ_INT(display_config_set(&c, "tv_holidays", "2028-02-29", err, sizeof err), 0);
    expect(&c, at(2028, 2, 28, 20, 0), 0, 1440 + 810, "Wed 2028-03-01 09:30");
}

/* 18:00 to 02:00: the span belongs to the day it starts on. */
TEST(overnight)
{
    struct display_config c = sched("18:00", "02:00", "all");
    expect(&c, at(2026, 12, 3, 1, 0), 1, 60, "Thu 2026-12-03 02:00");
    expect(&c, at(2026, 12, 3, 2, 0), 0, 960, "Thu 2026-12-03 18:00");
    expect(&c, at(2026, 12, 3, 17, 59), 0, 1, "Thu 2026-12-03 18:00");
    expect(&c, at(2026, 12, 3, 23, 59), 1, 121, "Fri 2026-12-04 02:00");
    expect(&c, at(2026, 12, 31, 23, 0), 1, 180, "Fri 2027-01-01 02:00");
    c = sched("18:00", "02:00", "fri");
    expect(&c, at(2026, 12, 4, 19, 0), 1, 420, "Sat 2026-12-05 02:00");
    expect(&c, at(2026, 12, 5, 1, 0), 1, 60, "Sat 2026-12-05 02:00"); /* Friday's, into Saturday */
    expect(&c, at(2026, 12, 6, 1, 0), 0, 5 * 1440 + 1020, "Fri 2026-12-11 18:00");
    /* A holiday on the Friday: no span that night; the Thursday before is closed anyway. */
    char err[256];
    CHECK_EQ_INT(display_config_set(&c, "tv_holidays", "2026-12-04", err, sizeof err), 0);
    expect(&c, at(2026, 12, 5, 1, 0), 0, 6 * 1440 + 1020, "Fri 2026-12-11 18:00");
}

/* on == off: 24 h from the on time, so consecutive open days join into one long span. */
TEST(on_equals_off)
{
    struct display_config c = sched("09:00", "09:00", "all");
    expect(&c, at(2026, 12, 3, 8, 59), 1, -1, "never");
    expect(&c, at(2026, 12, 3, 9, 0), 1, -1, "never");
    c = sched("09:00", "09:00", "mon-fri");
    expect(&c, at(2026, 12, 5, 8, 59), 1, 1, "Sat 2026-12-05 09:00"); /* Friday's span */
    expect(&c, at(2026, 12, 5, 9, 0), 0, 2 * 1440, "Mon 2026-12-07 09:00");
    expect(&c, at(2026, 12, 7, 3, 0), 0, 360, "Mon 2026-12-07 09:00");
    expect(&c, at(2026, 12, 8, 3, 0), 1, 4 * 1440 + 360, "Sat 2026-12-12 09:00");
}

/* Wall-clock minutes: local times straight from localtime_r on the days clocks change
 * (Europe: 2026-03-29 02:00 -> 03:00, 2026-10-25 03:00 -> 02:00). */
TEST(clock_changes)
{
    struct display_config c = sched("02:30", "17:00", "all");
    /* 02:30 never happens on 29 March: at 03:00, the first minute after the jump, it is on. */
    expect(&c, at(2026, 3, 29, 1, 59), 0, 31, "Sun 2026-03-29 02:30");
    expect(&c, at(2026, 3, 29, 3, 0), 1, 840, "Sun 2026-03-29 17:00");
    /* In the repeated hour the schedule reads the wall clock both times. */
    c = sched("20:00", "02:30", "all");
    struct tm first = at(2026, 10, 25, 2, 15), second = first;
    first.tm_isdst = 1;
    second.tm_isdst = 0;
    expect(&c, first, 1, 15, "Sun 2026-10-25 02:30");
    expect(&c, second, 1, 15, "Sun 2026-10-25 02:30");
    expect(&c, at(2026, 10, 25, 2, 30), 0, 1050, "Sun 2026-10-25 20:00");
}

int main(void)
{
    RUN(no_schedule_always_on);
    RUN(daily_hours);
    RUN(midnight);
    RUN(weekdays);
    RUN(holidays);
    RUN(overnight);
    RUN(on_equals_off);
    RUN(clock_changes);
    TEST_END("test_tvsched");
}
