/* it_tvpower.c: TV power by opening hours end to end, with a real panicd and an offscreen
 * panic-display on 127.0.0.1. The hours are chosen around the real clock (the display runs with
 * TZ=UTC0): panicd.conf's installation-wide tv_on/tv_off put the TV off now, so the display
 * shows one black frame and then presents nothing (its latest frame file stays untouched) and
 * says in its log that there is no CEC device here; the display's own hours (PUT) put it on
 * now and it draws again; bad times are refused with the reason, by the API and at start. */
#define _GNU_SOURCE
#include "display/core/app.h"
#include "support.h"
#include "test.h"

#include <SDL.h>
#include <SDL_image.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define W 320
#define H 180

static int frame_black(SDL_Surface *s, const struct app *a)
{
    (void)a;
    return frame_share(s, (struct rect){0, 0, (float)s->w, (float)s->h}, 0x000000) > 0.99;
}

static int frame_drawn(SDL_Surface *s, const struct app *a)
{
    (void)a;
    return frame_share(s, (struct rect){0, 0, (float)s->w, (float)s->h}, 0x18181b) > 0.2;
}

/* HH:MM of the UTC minute of the day now + delta minutes. */
static void hhmm(int delta, char *out, size_t len)
{
    time_t now = time(NULL);
    struct tm u;
    gmtime_r(&now, &u);
    int m = ((u.tm_hour * 60 + u.tm_min + delta) % 1440 + 1440) % 1440;
    snprintf(out, len, "%02d:%02d", m / 60, m % 60);
}

static int log_has(const struct display *disp, const char *text)
{
    char path[400], buf[16384] = "";
    snprintf(path, sizeof path, "%s/display.log", disp->dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return strstr(buf, text) != NULL;
}

static int wait_log(const struct display *disp, const char *text, int timeout_ms)
{
    for (int64_t until = support_now_ms() + timeout_ms; support_now_ms() < until;
         support_sleep_ms(50))
        if (log_has(disp, text))
            return 1;
    return log_has(disp, text);
}

static long long mtime_ns(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return -1;
    return (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
}

TEST(tv_follows_opening_hours)
{
    struct daemon d;
    struct display disp = {0};
    char on[8], off[8], conf[128], body[160];
    setenv("TZ", "UTC0", 1); /* the display's local time */
    hhmm(120, on, sizeof on);
    hhmm(180, off, sizeof off);
    snprintf(conf, sizeof conf, "tv_on %s\ntv_off %s\ntv_days all\n", on, off);
    DAEMON_START_OR_FAIL(&d, conf);
    /* Every display without hours of its own gets the installation's. */
    long status;
    json_t *j = api_json(&d, "GET", "/api/v1/displays/tv1", NULL, NULL, &status);
    CHECK_EQ_INT(status, 200);
    CHECK_STR_EQ(json_str_of(j, "tv_on"), on);
    CHECK_STR_EQ(json_str_of(j, "tv_off"), off);
    CHECK_STR_EQ(json_str_of(j, "tv_days"), "all");
    json_decref(j);

    struct app *a = calloc(1, sizeof *a);
    app_init(a, "tv1");
    REQUIRE_EQ_INT(display_start(&disp, d.url, "tv1", W, H, NULL), 0);
    /* Off now: one black frame, a clear word about CEC, then nothing is presented. */
    CHECK(wait_log(&disp, "tv off by the schedule", 10000));
    CHECK(display_wait(&disp, a, frame_black, 5000));
    if (access("/dev/cec0", F_OK) < 0)
        CHECK(log_has(&disp, "no CEC device (/dev/cec0 ... /dev/cec15)"));
    long long t0 = mtime_ns(disp.png);
    CHECK(t0 > 0);
    support_sleep_ms(1500); /* 30 frames' time at 20 fps, a screenshot every 3 */
    CHECK_EQ_INT(mtime_ns(disp.png), t0);

    /* The display's own hours win, on now: it draws again. */
    hhmm(-60, on, sizeof on);
    hhmm(60, off, sizeof off);
    snprintf(body, sizeof body, "{\"tv_on\":\"%s\",\"tv_off\":\"%s\"}", on, off);
    CHECK_EQ_INT(api_status(&d, "PUT", "/api/v1/displays/tv1", d.token, body), 200);
    CHECK(wait_log(&disp, "tv on by the schedule", 10000));
    CHECK(display_wait(&disp, a, frame_drawn, 10000));

    /* Bad hours are refused with the reason. */
    j = api_json(&d, "PUT", "/api/v1/displays/tv1", d.token,
                 "{\"tv_on\":\"25:00\",\"tv_off\":\"10:00\"}", &status);
    CHECK_EQ_INT(status, 422);
    CHECK(strstr(json_str_of(j, "message"), "tv_on '25:00' is not a time of day") != NULL);
    json_decref(j);
    j = api_json(&d, "PUT", "/api/v1/displays/tv2", d.token, "{\"tv_on\":\"10:00\"}", &status);
    CHECK_EQ_INT(status, 422);
    CHECK(strstr(json_str_of(j, "message"), "tv_on and tv_off go together") != NULL);
    json_decref(j);
    j = api_json(&d, "PUT", "/api/v1/displays/tv2", d.token, "{\"tv_days\":\"weekdays\"}", &status);
    CHECK_EQ_INT(status, 422);
    CHECK(strstr(json_str_of(j, "message"), "tv_days 'weekdays' is not days of the week") != NULL);
    json_decref(j);

    CHECK_EQ_INT(display_stop(&disp), 0);
    if (test_checks_failed_in_test) {
        display_print_log(&disp, 20);
        daemon_print_log(&d, 20);
    }
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
    remove_tree(disp.dir);
    free(a);
}

/* panicd refuses bad installation-wide hours at start, naming the line. */
TEST(bad_hours_refused_at_start)
{
    char dir[64] = "/tmp/panic-it-tv-XXXXXX";
    REQUIRE(mkdtemp(dir) != NULL);
    char conf[160], text[512], out[4096], want[300];
    snprintf(conf, sizeof conf, "%s/panicd.conf", dir);
    const char *args[] = {"--config", conf, NULL};
    snprintf(text, sizeof text, "listen 127.0.0.1:0\nstate_dir %s\ntv_on 9am\n", dir);
    CHECK_EQ_INT(write_file(conf, text, strlen(text)), 0);
    CHECK_EQ_INT(panicd_run(args, 10000, out, sizeof out), 78);
    snprintf(want, sizeof want, "%s:3:", conf);
    CHECK(strstr(out, want) != NULL);
    CHECK(strstr(out, "tv_on '9am' is not a time of day HH:MM") != NULL);
    snprintf(text, sizeof text, "listen 127.0.0.1:0\nstate_dir %s\ntv_off 17:00\n", dir);
    CHECK_EQ_INT(write_file(conf, text, strlen(text)), 0);
    CHECK_EQ_INT(panicd_run(args, 10000, out, sizeof out), 78);
    CHECK(strstr(out, "tv_on and tv_off go together") != NULL);
    snprintf(text, sizeof text,
             "listen 127.0.0.1:0\nstate_dir %s\ndisplay.tv3.tv_holidays 2026-02-30\n", dir);
    CHECK_EQ_INT(write_file(conf, text, strlen(text)), 0);
    CHECK_EQ_INT(panicd_run(args, 10000, out, sizeof out), 78);
    CHECK(strstr(out, "tv_holidays: '2026-02-30' is not a date YYYY-MM-DD") != NULL);
    if (test_checks_failed_in_test)
        printf("  stderr: %s\n", out);
    remove_tree(dir);
}

int main(void)
{
    if (SDL_Init(0) < 0 || !(IMG_Init(IMG_INIT_PNG) & IMG_INIT_PNG)) {
        printf("SDL: %s\n", SDL_GetError());
        return 1;
    }
    test_teardown = support_reap;
    RUN(tv_follows_opening_hours);
    RUN(bad_hours_refused_at_start);
    IMG_Quit();
    SDL_Quit();
    support_done();
    TEST_END("it_tvpower");
}
