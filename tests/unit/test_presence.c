/* test_presence.c: the displays' presence table: a first heartbeat is new, silence past the
 * timeout is missing once (not again each tick), a heartbeat after that is back; health words
 * from the Pi's throttling bits, temperature and frame figures; the table stays bounded.
 * Pure: time is an argument. */
#include "coordinator/core/presence.h"
#include "test.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static struct presence_report quiet(void)
{
    return (struct presence_report){.fps = 20,
                                    .frame_p99_ms = 60,
                                    .newest_age_s = -1,
                                    .cpu_temp_c = 50,
                                    .throttled = 0,
                                    .cache_bytes = 10,
                                    .cache_max_bytes = 100,
                                    .uptime_s = 5,
                                    .network = 1};
}

struct seen {
    char names[8][64];
    int n;
};

static void on_missing(void *user, const struct presence_display *d)
{
    struct seen *s = user;
    if (s->n < 8)
        snprintf(s->names[s->n++], 64, "%s", d->name);
}

TEST(missing_and_back)
{
    struct presence *p = presence_new(30000);
    struct presence_report r = quiet();
    int64_t t = 1000000;
    CHECK_EQ_INT(presence_heartbeat(p, "gallery-pi-3:HDMI-A-1", &r, t), PRESENCE_NEW);
    CHECK_EQ_INT(presence_heartbeat(p, "gallery-pi-3:HDMI-A-2", &r, t + 5000), PRESENCE_NEW);
    CHECK_EQ_INT(presence_heartbeat(p, "gallery-pi-3:HDMI-A-1", &r, t + 10000), PRESENCE_SAME);
    struct seen s = {0};
    /* 29.999 s after the last heartbeat: still there. */
    CHECK_EQ_INT(presence_tick(p, t + 34999, on_missing, &s), 0);
    /* A-2 last heard at t+5000: missing at t+35000; A-1 (t+10000) not yet. */
    CHECK_EQ_INT(presence_tick(p, t + 35000, on_missing, &s), 1);
    CHECK_EQ_INT(s.n, 1);
    CHECK_STR_EQ(s.names[0], "gallery-pi-3:HDMI-A-2");
    /* Said once, not at every tick. */
    CHECK_EQ_INT(presence_tick(p, t + 36000, on_missing, &s), 0);
    CHECK_EQ_INT(presence_tick(p, t + 40000, on_missing, &s), 1);
    CHECK_STR_EQ(s.names[1], "gallery-pi-3:HDMI-A-1");
    char why[128];
    CHECK_STR_EQ(presence_health(presence_find(p, "gallery-pi-3:HDMI-A-1"), why, sizeof why),
                 "missing");
    CHECK_EQ_INT(presence_heartbeat(p, "gallery-pi-3:HDMI-A-1", &r, t + 50000), PRESENCE_BACK);
    CHECK_STR_EQ(presence_health(presence_find(p, "gallery-pi-3:HDMI-A-1"), why, sizeof why), "ok");
    CHECK_EQ_INT(presence_find(p, "gallery-pi-3:HDMI-A-1")->first_seen_ms, t);
    CHECK_EQ_INT(presence_find(p, "gallery-pi-3:HDMI-A-1")->last_seen_ms, t + 50000);
    /* Order of first heartbeat. */
    CHECK_STR_EQ(presence_at(p, 0)->name, "gallery-pi-3:HDMI-A-1");
    CHECK_STR_EQ(presence_at(p, 1)->name, "gallery-pi-3:HDMI-A-2");
    CHECK(presence_at(p, 2) == NULL);
    CHECK_EQ_INT(presence_heartbeat(p, "", &r, t), -EINVAL);
    char longname[80];
    memset(longname, 'a', 64);
    longname[64] = '\0';
    CHECK_EQ_INT(presence_heartbeat(p, longname, &r, t), -EINVAL);
    presence_free(p);
}

TEST(health_words)
{
    struct presence_display d = {.r = quiet()};
    char why[256];
    CHECK_STR_EQ(presence_health(&d, why, sizeof why), "ok");
    CHECK_STR_EQ(why, "");
    d.r.throttled = 0x50005; /* under-voltage and throttled now, and since boot */
    CHECK_STR_EQ(presence_health(&d, why, sizeof why), "warning");
    CHECK_STR_EQ(why, "under-voltage, throttled");
    d.r.throttled = 0x50000; /* only in the past */
    presence_health(&d, why, sizeof why);
    CHECK_STR_EQ(why, "throttled since boot");
    d.r.throttled = -1; /* not a Pi: nothing to say */
    d.r.cpu_temp_c = 82.5;
    d.r.fps = 2;
    d.r.frame_p99_ms = 900;
    CHECK_STR_EQ(presence_health(&d, why, sizeof why), "warning");
    CHECK_STR_EQ(why, "hot, low frame rate, slow frames");
    d.r = quiet();
    d.r.fps = -1; /* unknown figures are no problem */
    d.r.cpu_temp_c = -1;
    CHECK_STR_EQ(presence_health(&d, why, sizeof why), "ok");
}

TEST(bounded)
{
    struct presence *p = presence_new(1000);
    struct presence_report r = quiet();
    char name[32];
    for (int i = 0; i < PRESENCE_MAX + 10; i++) {
        snprintf(name, sizeof name, "d%d", i);
        CHECK_EQ_INT(presence_heartbeat(p, name, &r, 1000 + i), PRESENCE_NEW);
    }
    CHECK_EQ_INT(presence_count(p), PRESENCE_MAX);
    /* The ten silent the longest made room. */
    CHECK(presence_find(p, "d9") == NULL);
    CHECK(presence_find(p, "d10") != NULL);
    snprintf(name, sizeof name, "d%d", PRESENCE_MAX + 9);
    CHECK(presence_find(p, name) != NULL);
    presence_free(p);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    RUN(missing_and_back);
    RUN(health_words);
    RUN(bounded);
    TEST_END("test_presence");
}
