/* bench_hostile.c: "hostile neighbours": how panicd answers staff and displays (GET
 * /api/v1/health from 127.0.0.2, a new connection each time, every 50 ms) while one address,
 * 127.0.0.1, misbehaves. A real panicd (tests/support.c, default limits, a 1 s SSE heartbeat) with
 * 8,000 stored events of 2 KB (a 16 MB log) for its network, then, one phase at a time, each well
 * under a minute:
 *   0. nothing else (the baseline);
 *   1. slowloris: 1,050 connections, each with a request begun and a byte every 3 s (15 s);
 *   2. an SSE flood: 2,000 attempts to open the event stream, the admitted ones held open;
 *   3. 50 clients asking for the whole log (Last-Event-ID: 0) that never read, from 127.0.0.1,
 *      then the same from 50 addresses (127.0.1.x) so that none is refused by the per-address cap.
 * Prints health p50/p99/max and failures per phase, what panicd did with the hostile connections
 * (and its open files: a client that never reads sees no end, panicd's side is what counts), and
 * its RSS before and after. Never fails on a time; exits non-zero only if panicd did not start
 * or stopped answering entirely. Only loopback addresses. */
#define _GNU_SOURCE
#include "support.h"
#include "util.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define SLOWLORIS 1050
#define SLOW_SECONDS 15
#define FLOOD 2000
#define REPLAYERS 50
#define REPLAY_SECONDS 10
#define SEEDED 8000
#define EVENT_SIZE 2000
#define HEALTH_EVERY_MS 50
#define MAX_SAMPLES 4096
/* The most a phase spends opening its connections (a panicd that lets connections hang would
 * otherwise keep us waiting for each). */
#define OPEN_BUDGET_MS 20000.0

static int port;

/* Open files of pid (its connections among them), -1 if unknown. */
static int fd_count(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *dir = opendir(path);
    if (!dir)
        return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(dir));)
        n += e->d_name[0] != '.';
    closedir(dir);
    return n;
}

/* Health polled from 127.0.0.2 during a phase. */
struct probe {
    double ms[MAX_SAMPLES];
    size_t n, failed;
    double next_at;
};

static void probe_once(struct probe *p)
{
    double t0 = now_ms();
    int fd = raw_connect(port, "127.0.0.2", 0);
    int st = fd >= 0 && raw_send(fd, "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n"
                                     "Connection: close\r\n\r\n") == 0
                 ? raw_read_head(fd, 2000, NULL, 0)
                 : 0;
    if (fd >= 0)
        close(fd);
    if (st == 200 && p->n < MAX_SAMPLES)
        p->ms[p->n++] = now_ms() - t0;
    else if (st != 200)
        p->failed++;
}

/* Poll health if it is due; returns at once otherwise. */
static void probe_due(struct probe *p)
{
    if (now_ms() < p->next_at)
        return;
    probe_once(p);
    p->next_at = now_ms() + HEALTH_EVERY_MS;
}

static void probe_row(const char *phase, struct probe *p)
{
    char name[96];
    snprintf(name, sizeof name, "health from 127.0.0.2, %s", phase);
    double mx = max_of(p->ms, p->n);
    row(name, "p50 %.2f ms, p99 %.2f ms, max %.2f ms, %zu answered, %zu failed",
        percentile(p->ms, p->n, 50), percentile(p->ms, p->n, 99), mx, p->n, p->failed);
    if (p->n == 0)
        fail("health from 127.0.0.2 never answered during %s", phase);
}

static void close_all(int *fds, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

static size_t count_open(int *fds, size_t n)
{
    size_t open = 0;
    for (size_t i = 0; i < n; i++) {
        if (fds[i] >= 0 && raw_peer_closed(fds[i], 65536)) {
            close(fds[i]);
            fds[i] = -1;
        }
        open += fds[i] >= 0;
    }
    return open;
}

static void phase_idle(void)
{
    static struct probe p;
    memset(&p, 0, sizeof p);
    for (int i = 0; i < 200; i++) {
        probe_once(&p);
        support_sleep_ms(HEALTH_EVERY_MS / 5);
    }
    probe_row("nothing else", &p);
}

static void phase_slowloris(pid_t pid)
{
    int files_idle = fd_count(pid);
    static int fds[SLOWLORIS];
    static struct probe p;
    memset(&p, 0, sizeof p);
    size_t connected = 0;
    double stop_at = now_ms() + OPEN_BUDGET_MS;
    for (int i = 0; i < SLOWLORIS; i++) {
        fds[i] = now_ms() < stop_at ? raw_connect(port, "127.0.0.1", 0) : -1;
        if (fds[i] >= 0 && raw_send(fds[i], "GET /api/v1/health HTTP/1.1\r\nHo") < 0) {
            close(fds[i]);
            fds[i] = -1;
        }
        connected += fds[i] >= 0;
        if (i % 20 == 0)
            probe_due(&p);
    }
    support_sleep_ms(200);
    size_t held_at_start = count_open(fds, SLOWLORIS);
    int files_at_start = fd_count(pid);
    double end = now_ms() + SLOW_SECONDS * 1000.0, next_drip = now_ms() + 3000;
    while (now_ms() < end) {
        if (now_ms() >= next_drip) {
            for (int i = 0; i < SLOWLORIS; i++)
                if (fds[i] >= 0 && send(fds[i], "s", 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
                    close(fds[i]);
                    fds[i] = -1;
                }
            next_drip += 3000;
        }
        probe_due(&p);
        support_sleep_ms(5);
    }
    size_t held_at_end = count_open(fds, SLOWLORIS);
    probe_row("1,050 slowloris from 127.0.0.1", &p);
    row("slowloris: connections panicd held", "%zu of %zu after 0.2 s, %zu after %d s",
        held_at_start, connected, held_at_end, SLOW_SECONDS);
    row("slowloris: panicd open files", "%d idle, %d after 0.2 s, %d after %d s", files_idle,
        files_at_start, fd_count(pid), SLOW_SECONDS);
    close_all(fds, SLOWLORIS);
}

static void phase_flood(long long net)
{
    static int fds[FLOOD];
    static struct probe p;
    memset(&p, 0, sizeof p);
    size_t ok = 0, busy = 0, other = 0;
    char req[256];
    snprintf(req, sizeof req, "GET /api/v1/networks/%lld/events HTTP/1.1\r\nHost: x\r\n\r\n", net);
    double t0 = now_ms();
    size_t tried = 0;
    for (int i = 0; i < FLOOD; i++) {
        fds[i] = -1;
        if (now_ms() - t0 > OPEN_BUDGET_MS)
            continue;
        tried++;
        fds[i] = raw_connect(port, "127.0.0.1", 0);
        int st =
            fds[i] >= 0 && raw_send(fds[i], req) == 0 ? raw_read_head(fds[i], 1000, NULL, 0) : 0;
        if (st == 200) {
            ok++;
        } else {
            busy += st == 503;
            other += st != 503;
            if (fds[i] >= 0)
                close(fds[i]);
            fds[i] = -1;
        }
        probe_due(&p);
    }
    double took = now_ms() - t0;
    /* The admitted streams stay open a few seconds more while health is polled. */
    double end = now_ms() + 3000;
    while (now_ms() < end) {
        probe_due(&p);
        support_sleep_ms(5);
    }
    probe_row("2,000 SSE attempts from 127.0.0.1", &p);
    row("SSE flood: answers", "%zu tried: %zu streams, %zu x 503, %zu unanswered in 1 s, in %.1f s",
        tried, ok, busy, other, took / 1000);
    close_all(fds, FLOOD);
}

/* REPLAYERS clients from src (or 127.0.1.k when src is NULL) asking for the whole log and never
 * reading; RSS before and after, health meanwhile. */
static void phase_replay(const struct daemon *d, long long net, const char *src)
{
    static struct probe p;
    memset(&p, 0, sizeof p);
    int fds[REPLAYERS];
    char req[256], addr[32];
    snprintf(req, sizeof req,
             "GET /api/v1/networks/%lld/events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 0\r\n\r\n",
             net);
    support_sleep_ms(500);
    long before = proc_rss_kb(d->pid), peak = before;
    size_t ok = 0, busy = 0;
    double stop_at = now_ms() + OPEN_BUDGET_MS;
    for (int i = 0; i < REPLAYERS; i++) {
        snprintf(addr, sizeof addr, "127.0.1.%d", i + 1);
        fds[i] = now_ms() < stop_at ? raw_connect(port, src ? src : addr, 4096) : -1;
        int st =
            fds[i] >= 0 && raw_send(fds[i], req) == 0 ? raw_read_head(fds[i], 2000, NULL, 0) : 0;
        ok += st == 200;
        busy += st == 503;
        if (st != 200 && fds[i] >= 0) {
            close(fds[i]);
            fds[i] = -1;
        }
        probe_due(&p);
    }
    int fds_with = fd_count(d->pid);
    double end = now_ms() + REPLAY_SECONDS * 1000.0;
    while (now_ms() < end) {
        probe_due(&p);
        long now = proc_rss_kb(d->pid);
        peak = now > peak ? now : peak;
        support_sleep_ms(5);
    }
    long after = proc_rss_kb(d->pid);
    int fds_after = fd_count(d->pid);
    char phase[96];
    snprintf(phase, sizeof phase, "50 non-reading replays from %s", src ? src : "50 addresses");
    probe_row(phase, &p);
    snprintf(phase, sizeof phase, "replays from %s: RSS", src ? src : "50 addresses");
    row(phase, "%.1f MB before, %.1f MB peak, %.1f MB after %d s", before / 1024.0, peak / 1024.0,
        after / 1024.0, REPLAY_SECONDS);
    snprintf(phase, sizeof phase, "replays from %s: streams", src ? src : "50 addresses");
    row(phase, "%zu opened, %zu x 503; panicd open files %d with them, %d after %d s", ok, busy,
        fds_with, fds_after, REPLAY_SECONDS);
    close_all(fds, REPLAYERS);
}

static long long setup(struct daemon *d)
{
    if (daemon_start(d, NULL) < 0)
        return -1;
    long st;
    json_t *j = api_json(d, "POST", "/api/v1/networks", d->token,
                         "{\"name\":\"h\",\"models\":[\"dummy-t2t\"],\"lockout_seconds\":0,"
                         "\"schedule\":[{\"delay_s\":1}]}",
                         &st);
    long long net = st == 201 ? json_int_of(j, "id", -1) : -1;
    json_decref(j);
    if (net < 0 || daemon_stop(d, 5000, NULL) != 0 ||
        daemon_seed_events(d, net, SEEDED, EVENT_SIZE) < 0 || daemon_restart(d) < 0)
        return -1;
    const char *colon = strrchr(d->url, ':');
    port = colon ? atoi(colon + 1) : 0;
    return net;
}

int main(void)
{
    bench_name = "bench_hostile";
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    /* Room for every hostile connection at once. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 4096) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > 4096 ? 4096 : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    double t0 = now_ms();
    struct daemon d;
    long long net = setup(&d);
    if (net < 0) {
        fail("panicd did not start or could not be seeded");
        daemon_cleanup(&d);
        support_done();
        return 1;
    }
    long rss_start = proc_rss_kb(d.pid);
    note("0/4 baseline");
    phase_idle();
    note("1/4 slowloris (%d connections, %d s)", SLOWLORIS, SLOW_SECONDS);
    phase_slowloris(d.pid);
    note("2/4 SSE flood (%d attempts)", FLOOD);
    phase_flood(net);
    note("3/4 replays from one address");
    phase_replay(&d, net, "127.0.0.1");
    note("4/4 replays from 50 addresses");
    phase_replay(&d, net, NULL);
    support_sleep_ms(500);
    row("panicd RSS", "%.1f MB after start (16 MB event log), %.1f MB at the end",
        rss_start / 1024.0, proc_rss_kb(d.pid) / 1024.0);
    if (daemon_stop(&d, 5000, NULL) != 0)
        fail("panicd did not stop cleanly");
    daemon_cleanup(&d);
    row("bench wall time", "%.1f s", (now_ms() - t0) / 1000);
    print_table();
    support_done();
    return bench_failures() ? 1 : 0;
}
