/* bench_presence.c: what displays' heartbeats cost panicd, and how soon a new display shows up.
 * A real panicd (tests/support.c) with a device token, then, one phase at a time:
 *   0. nothing (the baseline): panicd's CPU and RSS over PHASE_S seconds;
 *   1. 100 simulated displays, each posting a heartbeat every 10 s (as panic-display does),
 *      spread over the interval: CPU, RSS, heartbeat round trip p50/p99;
 *   2. the same 100 at one heartbeat a second each (10 times the real rate), for the cost of
 *      one heartbeat;
 *   3. real panic-display processes (offscreen) started one after another: the time from the
 *      process start until GET /api/v1/displays lists it online.
 * CPU is panicd's user + system time from /proc/PID/stat. Never fails on a time; exits non-zero
 * only if panicd did not start or a heartbeat was refused. Only 127.0.0.1. */
#define _GNU_SOURCE
#include "support.h"
#include "util.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DISPLAYS 100
#define PHASE_S 20
#define NEW_DISPLAYS 5
#define TOKEN "bench-device-token-0123456789"
#define MAX_SAMPLES 8192

/* panicd's CPU time so far in ms (user + system), -1 if unknown. */
static double cpu_ms(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    unsigned long utime = 0, stime = 0;
    /* after ")": state, then fields 4..13, then utime (14) and stime (15) */
    if (!p ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
        return -1;
    return (double)(utime + stime) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

static long heartbeat(const struct daemon *d, int i, double *rtt)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/displays/bench-%03d:HDMI-A-1/heartbeat", i);
    const char *body = "{\"version\":\"0.1.0\",\"fps\":60,\"frame_p99_ms\":17.2,"
                       "\"newest_age_s\":4.2,\"cpu_temp_c\":51.0,\"throttled\":0,"
                       "\"cache_bytes\":123456789,\"cache_max_bytes\":536870912,"
                       "\"audio\":\"sysdefault:CARD=vc4hdmi0\",\"uptime_s\":3600,\"network\":1}";
    double t = now_ms();
    long st = api_status(d, "POST", path, TOKEN, body);
    *rtt = now_ms() - t;
    return st;
}

/* Heartbeats from DISPLAYS displays, each every every_ms, spread evenly, for PHASE_S s; a row
 * with panicd's CPU and RSS. */
static void phase(const struct daemon *d, const char *name, int every_ms)
{
    static double rtt[MAX_SAMPLES];
    size_t n = 0, refused = 0;
    double cpu0 = cpu_ms(d->pid), t0 = now_ms();
    long rss_peak = proc_rss_kb(d->pid);
    double next[DISPLAYS];
    for (int i = 0; i < DISPLAYS; i++)
        next[i] = every_ms > 0 ? t0 + (double)every_ms * i / DISPLAYS : INFINITY;
    while (now_ms() - t0 < PHASE_S * 1000.0) {
        double now = now_ms(), soonest = t0 + PHASE_S * 1000.0;
        for (int i = 0; i < DISPLAYS; i++) {
            if (next[i] <= now) {
                double r;
                if (heartbeat(d, i, &r) != 200)
                    refused++;
                if (n < MAX_SAMPLES)
                    rtt[n++] = r;
                next[i] += every_ms;
            }
            if (next[i] < soonest)
                soonest = next[i];
        }
        double wait = soonest - now_ms();
        if (wait > 0)
            support_sleep_ms((int)wait + 1);
        long rss = proc_rss_kb(d->pid);
        if (rss > rss_peak)
            rss_peak = rss;
    }
    double secs = (now_ms() - t0) / 1000.0, cpu = cpu_ms(d->pid) - cpu0;
    if (refused)
        fail("%zu heartbeats refused in phase %s", refused, name);
    if (n == 0) {
        row(name, "CPU %.1f ms/s (%.2f%% of a core), RSS peak %.1f MB", cpu / secs,
            cpu / secs / 10.0, rss_peak / 1024.0);
        return;
    }
    double per_hb = cpu * 1000.0 / (double)n;
    char p50[32], p99[32];
    snprintf(p50, sizeof p50, "%.2f", percentile(rtt, n, 50));
    snprintf(p99, sizeof p99, "%.2f", percentile(rtt, n, 99));
    row(name,
        "%zu heartbeats: CPU %.1f ms/s (%.2f%% of a core), %.0f us each; RSS peak %.1f MB; "
        "round trip p50 %s ms, p99 %s ms",
        n, cpu / secs, cpu / secs / 10.0, per_hb, rss_peak / 1024.0, p50, p99);
}

/* A real display's time from its start until panicd lists it online, in ms (-1 if never). */
static double time_to_appear(const struct daemon *d, int k)
{
    char name[64], want[96];
    snprintf(name, sizeof name, "bench-new-%d", k);
    snprintf(want, sizeof want, "\"name\":\"%s\"", name);
    struct display disp = {0};
    const char *extra[] = {"--token", TOKEN, NULL};
    double t0 = now_ms(), found = -1;
    if (display_start(&disp, d->url, name, 320, 180, extra) < 0)
        return -1;
    while (now_ms() - t0 < 20000) {
        struct resp r = {0};
        char url[256];
        snprintf(url, sizeof url, "%s/api/v1/displays", d->url);
        http("GET", url, NULL, NULL, 0, &r);
        char *at = r.body ? strstr(r.body, want) : NULL;
        int online = at && strstr(at, "\"state\":\"online\"") &&
                     (!strchr(at, '}') || strstr(at, "\"state\":\"online\"") < strchr(at, '}'));
        resp_free(&r);
        if (online) {
            found = now_ms() - t0;
            break;
        }
        support_sleep_ms(5);
    }
    display_stop(&disp);
    remove_tree(disp.dir);
    return found;
}

int main(void)
{
    bench_name = "bench_presence";
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    double t0 = now_ms();
    struct daemon d;
    if (daemon_start(&d, "device.bench.token " TOKEN "\n") < 0) {
        fail("panicd did not start");
        daemon_cleanup(&d);
        support_done();
        return 1;
    }
    long rss_start = proc_rss_kb(d.pid);
    note("0/3 baseline (%d s)", PHASE_S);
    phase(&d, "no displays (baseline)", 0);
    note("1/3 %d displays, a heartbeat each 10 s (%d s)", DISPLAYS, PHASE_S);
    phase(&d, "100 displays, every 10 s", 10000);
    note("2/3 %d displays, a heartbeat each second (%d s)", DISPLAYS, PHASE_S);
    phase(&d, "100 displays, every 1 s", 1000);
    note("3/3 %d real displays started one by one", NEW_DISPLAYS);
    double appear[NEW_DISPLAYS];
    size_t n = 0;
    for (int k = 0; k < NEW_DISPLAYS; k++) {
        double t = time_to_appear(&d, k);
        if (t < 0)
            fail("display %d never appeared", k);
        else
            appear[n++] = t;
    }
    if (n)
        row("new display: start to listed online", "p50 %.0f ms, max %.0f ms (%zu displays)",
            percentile(appear, n, 50), max_of(appear, n), n);
    row("panicd RSS", "%.1f MB after start, %.1f MB at the end (%d displays known)",
        rss_start / 1024.0, proc_rss_kb(d.pid) / 1024.0, DISPLAYS + NEW_DISPLAYS);
    if (daemon_stop(&d, 5000, NULL) != 0)
        fail("panicd did not stop cleanly");
    daemon_cleanup(&d);
    row("bench wall time", "%.1f s", (now_ms() - t0) / 1000);
    print_table();
    support_done();
    return bench_failures() ? 1 : 0;
}
