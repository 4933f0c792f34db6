/* bench_panicd.c: end-to-end benchmarks of panicd, run against the real daemon binary
 * ($PANIC_BUILD/panicd) with throw-away state dirs. It prints one table and never fails on a
 * time; it exits non-zero only if a daemon could not be started or something functionally broke
 * (a request refused, a stream cut, a loop that does not move, a daemon that did not stop cleanly).
 *
 *   1. start to READY: fork/exec with $NOTIFY_SOCKET pointing at our datagram socket, time from
 *      fork() to the "READY=1" datagram; 5 starts on fresh dirs and 5 restarts on an existing one.
 *   2. loop overhead: one dummy-t2t model, zero latency, zero delay: invocations per second over
 *      10 s (status `seq`), with sqlite_synchronous full and normal; panicd CPU and RSS.
 *   3. SSE fan-out: 100 event streams in one libcurl multi; time from POST .../runs to each
 *      stream's `event: invocation` for seq 0 of that run; 5 rounds; RSS idle and with 100 streams.
 *   4. idle RSS right after READY.
 *
 * Environment: PANIC_BUILD (where panicd is, default "build"), PANIC_BENCH_DIR (where the
 * temporary state dirs go, default $TMPDIR or /tmp: put it on the SD card to measure that).
 * Nothing here depends on tests/support.c. */
#define _GNU_SOURCE
#include "util.h"

#include <curl/curl.h>
#include <jansson.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define NSTARTS 5
#define LOOP_SECONDS 10.0
#define NCLIENTS 100
#define NROUNDS 5
#define READY_TIMEOUT_MS 15000.0
#define SSE_TIMEOUT_MS 10000.0

static char root[1024]; /* short, so root + a file name always fits a PATH_MAX buffer */
static char panicd_path[PATH_MAX];
static char notify_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static int notify_fd = -1;
static int nconf;
static volatile pid_t live_pid; /* killed by the signal handler if the bench is interrupted */

/* ---- small helpers ---- */

static void sleep_ms(double ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {(time_t)(ms / 1000), (long)(fmod(ms, 1000.0) * 1e6)};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

/* Nearest-rank percentile of v[0..n) (sorts v). */

/* Whole file as a NUL-terminated string (NULL if unreadable); trailing newlines trimmed. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *s = malloc(cap);
    size_t n;
    while (s && (n = fread(s + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2) {
            char *grown = realloc(s, cap * 2);
            if (!grown) {
                free(s);
                s = NULL;
                break;
            }
            s = grown;
            cap *= 2;
        }
    }
    fclose(f);
    if (!s)
        return NULL;
    s[len] = '\0';
    while (len && (s[len - 1] == '\n' || s[len - 1] == '\r'))
        s[--len] = '\0';
    return s;
}

static int write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int ok = fputs(text, f) >= 0;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    if (remove(path) < 0 && errno != ENOENT)
        note("could not remove %s: %s", path, strerror(errno));
    return 0;
}

static void rm_tree(const char *path)
{
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- /proc readers ---- */

static long rss_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6)) {
            kb = strtol(line + 6, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

/* utime + stime in clock ticks, -1 if unreadable. */
static long long cpu_ticks(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    char *s = slurp(path);
    if (!s)
        return -1;
    char *p = strrchr(s, ')');
    long long ut = -1, st = -1;
    /* After "pid (comm)": state is field 3; utime and stime are fields 14 and 15. */
    if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lld %lld", &ut, &st) != 2)
        ut = -1;
    free(s);
    return ut < 0 ? -1 : ut + st;
}

static const char *fs_magic_name(unsigned long magic)
{
    switch (magic) {
    case 0xEF53:
        return "ext2/3/4";
    case 0x01021994:
        return "tmpfs";
    case 0x794c7630:
        return "overlayfs";
    case 0x58465342:
        return "xfs";
    case 0x9123683E:
        return "btrfs";
    case 0xF2F52010:
        return "f2fs";
    case 0x4d44:
        return "vfat";
    case 0x6969:
        return "nfs";
    case 0x65735546:
        return "fuse";
    case 0x2fc12fc1:
        return "zfs";
    default:
        return "unknown";
    }
}

/* "ext4 (/dev/sda2 on /), statfs 0xef53": the mount holding dir, like `df -T`. */
static void describe_fs(const char *dir, char *out, size_t outlen)
{
    char real[PATH_MAX];
    if (!realpath(dir, real))
        snprintf(real, sizeof real, "%s", dir);
    char best_type[64] = "?", best_dev[256] = "?", best_mnt[PATH_MAX] = "";
    size_t best_len = 0;
    FILE *f = fopen("/proc/self/mounts", "r");
    char line[4096];
    while (f && fgets(line, sizeof line, f)) {
        char dev[256], mnt[PATH_MAX], type[64];
        if (sscanf(line, "%255s %4095s %63s", dev, mnt, type) != 3)
            continue;
        size_t ml = strlen(mnt);
        int inside =
            !strcmp(mnt, "/") || (!strncmp(real, mnt, ml) && (real[ml] == '/' || real[ml] == '\0'));
        if (inside && ml >= best_len) {
            best_len = ml;
            snprintf(best_type, sizeof best_type, "%s", type);
            snprintf(best_dev, sizeof best_dev, "%s", dev);
            snprintf(best_mnt, sizeof best_mnt, "%s", mnt);
        }
    }
    if (f)
        fclose(f);
    struct statfs sf;
    if (statfs(dir, &sf) == 0)
        snprintf(out, outlen, "%s (%s on %s; statfs %s)", best_type, best_dev, best_mnt,
                 fs_magic_name((unsigned long)sf.f_type));
    else
        snprintf(out, outlen, "%s (%s on %s)", best_type, best_dev, best_mnt);
}

/* ---- the daemon ---- */

struct daemon {
    pid_t pid;
    char dir[PATH_MAX];
    char log[PATH_MAX];
    char url[256];
    char token[256];
    double ready_ms;
    long ready_rss_kb;
};

static void on_signal(int sig)
{
    if (live_pid > 0)
        kill(live_pid, SIGKILL);
    signal(sig, SIG_DFL);
    raise(sig);
}

static int open_notify_socket(void)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int n = snprintf(notify_path, sizeof notify_path, "%s/notify.sock", root);
    if (n < 0 || (size_t)n >= sizeof notify_path) /* a long bench dir: the abstract namespace */
        snprintf(notify_path, sizeof notify_path, "@panic-bench-%d", (int)getpid());
    memcpy(sa.sun_path, notify_path, strlen(notify_path));
    if (sa.sun_path[0] == '@')
        sa.sun_path[0] = '\0';
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(notify_path));
    notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (notify_fd < 0 || bind(notify_fd, (struct sockaddr *)&sa, len) < 0) {
        fail("notify socket %s: %s", notify_path, strerror(errno));
        return -1;
    }
    return 0;
}

static void drain_notify(void)
{
    char buf[512];
    while (recv(notify_fd, buf, sizeof buf, MSG_DONTWAIT) > 0) {
    }
}

static int has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; p; p = strchr(p, '\n')) {
        if (*p == '\n')
            p++;
        if (!strncmp(p, line, n) && (p[n] == '\n' || p[n] == '\0'))
            return 1;
    }
    return 0;
}

static void show_log_tail(const struct daemon *d)
{
    char *text = slurp(d->log);
    if (!text)
        return;
    size_t len = strlen(text);
    fprintf(stderr, "---- %s (last 2 KiB) ----\n%s\n----\n", d->log,
            text + (len > 2048 ? len - 2048 : 0));
    free(text);
}

/* Start panicd on dir (created if missing) with the extra config lines; wait for READY=1. */
static int daemon_start(struct daemon *d, const char *dir, const char *extra)
{
    memset(d, 0, sizeof *d);
    snprintf(d->dir, sizeof d->dir, "%s", dir);
    if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
        fail("mkdir %s: %s", dir, strerror(errno));
        return -1;
    }
    char conf[PATH_MAX + 32], text[PATH_MAX + 512];
    int id = ++nconf;
    snprintf(conf, sizeof conf, "%s/panicd-%d.conf", root, id);
    snprintf(d->log, sizeof d->log, "%s/panicd-%d.log", root, id);
    snprintf(text, sizeof text, "listen 127.0.0.1:0\nstate_dir %s\ndefault_network dummy\n%s", dir,
             extra ? extra : "");
    if (write_text(conf, text) < 0) {
        fail("cannot write %s", conf);
        return -1;
    }
    /* The child's environment, built before fork: ours with NOTIFY_SOCKET replaced. */
    size_t nenv = 0;
    while (environ[nenv])
        nenv++;
    char **envp = calloc(nenv + 2, sizeof *envp), notify_env[sizeof notify_path + 16];
    if (!envp) {
        fail("out of memory");
        return -1;
    }
    size_t k = 0;
    for (size_t i = 0; i < nenv; i++)
        if (strncmp(environ[i], "NOTIFY_SOCKET=", 14) && strncmp(environ[i], "WATCHDOG_", 9))
            envp[k++] = environ[i];
    snprintf(notify_env, sizeof notify_env, "NOTIFY_SOCKET=%s", notify_path);
    envp[k++] = notify_env;
    envp[k] = NULL;
    int logfd = open(d->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    drain_notify();

    double t0 = now_ms();
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0)
            dup2(null, 0);
        if (logfd >= 0) {
            dup2(logfd, 1);
            dup2(logfd, 2);
        }
        char *argv[] = {"panicd", "--config", conf, NULL};
        execve(panicd_path, argv, envp);
        _exit(127);
    }
    free(envp);
    if (logfd >= 0)
        close(logfd);
    if (pid < 0) {
        fail("fork: %s", strerror(errno));
        return -1;
    }
    d->pid = pid;
    live_pid = pid;
    for (;;) {
        double left = READY_TIMEOUT_MS - (now_ms() - t0);
        if (left <= 0) {
            fail("panicd gave no READY=1 within %.0f ms", READY_TIMEOUT_MS);
            show_log_tail(d);
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            d->pid = 0;
            live_pid = 0;
            return -1;
        }
        struct pollfd pfd = {notify_fd, POLLIN, 0};
        int rc = poll(&pfd, 1, left < 20 ? (int)left + 1 : 20);
        if (rc > 0) {
            char msg[1024];
            ssize_t n = recv(notify_fd, msg, sizeof msg - 1, MSG_DONTWAIT);
            if (n > 0) {
                msg[n] = '\0';
                if (has_line(msg, "READY=1")) {
                    d->ready_ms = now_ms() - t0;
                    break;
                }
            }
            continue;
        }
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            fail("panicd exited before READY (status 0x%x)", status);
            show_log_tail(d);
            d->pid = 0;
            live_pid = 0;
            return -1;
        }
    }
    d->ready_rss_kb = rss_kb(pid);
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/panicd.url", dir);
    char *url = slurp(path);
    snprintf(path, sizeof path, "%s/admin.token", dir);
    char *token = slurp(path);
    if (!url || !token) {
        fail("panicd is READY but %s/panicd.url or admin.token is missing", dir);
        free(url);
        free(token);
        return 0; /* still running: the caller stops it */
    }
    snprintf(d->url, sizeof d->url, "%s", url);
    snprintf(d->token, sizeof d->token, "%s", token);
    free(url);
    free(token);
    return 0;
}

/* SIGTERM, then wait (5 s) for a clean exit; anything else is a functional failure. */
static void daemon_stop(struct daemon *d)
{
    if (d->pid <= 0)
        return;
    kill(d->pid, SIGTERM);
    double t0 = now_ms();
    int status = 0;
    pid_t got = 0;
    while ((got = waitpid(d->pid, &status, WNOHANG)) == 0 && now_ms() - t0 < 5000)
        sleep_ms(2);
    if (got == 0) {
        fail("panicd pid %d did not stop within 5 s of SIGTERM", (int)d->pid);
        kill(d->pid, SIGKILL);
        waitpid(d->pid, &status, 0);
    } else if (got < 0) {
        fail("waitpid: %s", strerror(errno));
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fail("panicd exited uncleanly after SIGTERM (status 0x%x)", status);
        show_log_tail(d);
    }
    d->pid = 0;
    live_pid = 0;
}

/* ---- plain HTTP (one easy handle per request) ---- */

struct body {
    char *data;
    size_t len;
};

static size_t collect(char *p, size_t size, size_t n, void *user)
{
    struct body *b = user;
    size_t add = size * n;
    char *grown = realloc(b->data, b->len + add + 1);
    if (!grown)
        return 0;
    b->data = grown;
    memcpy(b->data + b->len, p, add);
    b->len += add;
    b->data[b->len] = '\0';
    return add;
}

static struct curl_slist *auth_headers(const char *token, int json)
{
    struct curl_slist *h = NULL;
    char line[320];
    if (token) {
        snprintf(line, sizeof line, "Authorization: Bearer %s", token);
        h = curl_slist_append(h, line);
    }
    if (json)
        h = curl_slist_append(h, "Content-Type: application/json");
    return h;
}

/* One request; the HTTP status (or -1), the body parsed as JSON into *out if out. */
static long http_json(const struct daemon *d, const char *method, const char *path,
                      const char *token, const char *body, json_t **out)
{
    char url[512];
    snprintf(url, sizeof url, "%s%s", d->url, path);
    CURL *h = curl_easy_init();
    struct body resp = {0};
    struct curl_slist *hdrs = auth_headers(token, body != NULL);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    long status = -1;
    CURLcode rc = curl_easy_perform(h);
    if (rc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    else
        fail("%s %s: %s", method, path, curl_easy_strerror(rc));
    if (out)
        *out = resp.data ? json_loads(resp.data, 0, NULL) : NULL;
    free(resp.data);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    return status;
}

/* POST /api/v1/networks; the new id or -1. */
static long long create_network(const struct daemon *d, const char *body)
{
    json_t *j = NULL;
    long st = http_json(d, "POST", "/api/v1/networks", d->token, body, &j);
    long long id = -1;
    static int warned;
    if (st == 200 && !warned++)
        note("note: POST /api/v1/networks answered 200; docs/DESIGN.md promises 201");
    if ((st == 200 || st == 201) && json_is_integer(json_object_get(j, "id")))
        id = (long long)json_integer_value(json_object_get(j, "id"));
    else
        fail("POST /api/v1/networks -> %ld", st);
    json_decref(j);
    return id;
}

/* GET status: seq (or -1) and the state name into state. */
static long long status_seq(const struct daemon *d, long long net, char *state, size_t statelen)
{
    char path[96];
    snprintf(path, sizeof path, "/api/v1/networks/%lld/status", net);
    json_t *j = NULL;
    long st = http_json(d, "GET", path, NULL, NULL, &j);
    long long seq = -1;
    if (st == 200 && json_is_integer(json_object_get(j, "seq")))
        seq = (long long)json_integer_value(json_object_get(j, "seq"));
    if (state)
        snprintf(state, statelen, "%s",
                 json_string_value(json_object_get(j, "state"))
                     ? json_string_value(json_object_get(j, "state"))
                     : "?");
    json_decref(j);
    return seq;
}

/* Median round trip of GET /api/v1/health over one keep-alive connection (ms), NAN on error. */
static double health_rtt(const struct daemon *d, int n)
{
    char url[512];
    snprintf(url, sizeof url, "%s/api/v1/health", d->url);
    CURL *h = curl_easy_init();
    struct body resp = {0};
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    double t[64];
    int k = 0;
    for (int i = 0; i < n + 1 && i < 64; i++) {
        double t0 = now_ms();
        CURLcode rc = curl_easy_perform(h);
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (rc != CURLE_OK || status != 200) {
            fail("GET /api/v1/health -> %ld (%s)", status, curl_easy_strerror(rc));
            break;
        }
        if (i > 0) /* the first one pays for the connect */
            t[k++] = now_ms() - t0;
    }
    free(resp.data);
    curl_easy_cleanup(h);
    return k ? percentile(t, (size_t)k, 50) : NAN;
}

/* ---- the table ---- */

/* ---- 1 and 4: start to READY, idle RSS ---- */

static void bench_start(void)
{
    double fresh[NSTARTS], again[NSTARTS], rss[2 * NSTARTS], rtt = NAN;
    size_t nfresh = 0, nagain = 0, nrss = 0;
    char first_dir[PATH_MAX] = "";
    for (int i = 0; i < NSTARTS; i++) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s/fresh-%d", root, i);
        struct daemon d;
        if (daemon_start(&d, dir, NULL) < 0)
            return;
        fresh[nfresh++] = d.ready_ms;
        if (d.ready_rss_kb > 0)
            rss[nrss++] = (double)d.ready_rss_kb;
        if (i == 0) {
            snprintf(first_dir, sizeof first_dir, "%s", dir);
            rtt = health_rtt(&d, 20);
        }
        daemon_stop(&d);
        if (i > 0)
            rm_tree(dir);
    }
    for (int i = 0; i < NSTARTS; i++) {
        struct daemon d;
        if (daemon_start(&d, first_dir, NULL) < 0)
            break;
        again[nagain++] = d.ready_ms;
        if (d.ready_rss_kb > 0)
            rss[nrss++] = (double)d.ready_rss_kb;
        daemon_stop(&d);
    }
    rm_tree(first_dir);
    double fmax = max_of(fresh, nfresh), amax = max_of(again, nagain);
    row("start to READY (fresh dir) median", "%.1f ms (max %.1f, n=%zu)",
        percentile(fresh, nfresh, 50), fmax, nfresh);
    row("start to READY (existing dir) median", "%.1f ms (max %.1f, n=%zu)",
        percentile(again, nagain, 50), amax, nagain);
    double rmax = max_of(rss, nrss);
    row("idle RSS right after READY median", "%.1f MiB (max %.1f, n=%zu)",
        percentile(rss, nrss, 50) / 1024, rmax / 1024, nrss);
    row("GET /api/v1/health round trip median", "%.3f ms (keep-alive, n=20; the HTTP floor)", rtt);
}

/* ---- 2: loop overhead ---- */

static void bench_loop(const char *sync)
{
    char dir[PATH_MAX], extra[128], name[64];
    snprintf(dir, sizeof dir, "%s/loop-%s", root, sync);
    snprintf(extra, sizeof extra, "dummy_latency_ms 0\nsqlite_synchronous %s\n", sync);
    struct daemon d;
    if (daemon_start(&d, dir, extra) < 0)
        return;
    long long net = create_network(&d, "{\"name\":\"bench loop\",\"models\":[\"dummy-t2t\"],"
                                       "\"lockout_seconds\":0,\"schedule\":[{\"delay_s\":0}]}");
    if (net < 0)
        goto out;
    char path[96];
    snprintf(path, sizeof path, "/api/v1/networks/%lld/runs", net);
    long st =
        http_json(&d, "POST", path, d.token, "{\"prompt\":\"a loop as fast as it goes\"}", NULL);
    if (st != 201) {
        fail("POST %s -> %ld", path, st);
        goto out;
    }
    double a0 = now_ms();
    long long seq0 = status_seq(&d, net, NULL, 0);
    double a1 = now_ms();
    long long cpu0 = cpu_ticks(d.pid);
    sleep_ms(LOOP_SECONDS * 1000 - (a1 - a0));
    long long cpu1 = cpu_ticks(d.pid);
    double b0 = now_ms();
    char state[32];
    long long seq1 = status_seq(&d, net, state, sizeof state);
    double b1 = now_ms();
    long rss = rss_kb(d.pid);
    double secs = ((b0 + b1) / 2 - (a0 + a1) / 2) / 1000;
    if (seq0 < 0 || seq1 < 0 || seq1 <= seq0) {
        fail("the loop did not advance (seq %lld -> %lld, state %s)", seq0, seq1, state);
        goto out;
    }
    if (!strcmp(state, "failed") || !strcmp(state, "stopped") || !strcmp(state, "idle"))
        fail("the loop ended: state %s", state);
    double rate = (double)(seq1 - seq0) / secs;
    double cpu =
        cpu0 >= 0 && cpu1 >= 0 ? (double)(cpu1 - cpu0) / (double)sysconf(_SC_CLK_TCK) : NAN;
    snprintf(path, sizeof path, "/api/v1/networks/%lld/stop", net);
    if ((st = http_json(&d, "POST", path, d.token, "{}", NULL)) != 200)
        fail("POST %s -> %ld", path, st);
    struct stat sb;
    char file[PATH_MAX + 32];
    double dbk = 0;
    snprintf(file, sizeof file, "%s/panic.sqlite", dir);
    if (stat(file, &sb) == 0)
        dbk += (double)sb.st_size / 1024;
    snprintf(file, sizeof file, "%s/panic.sqlite-wal", dir);
    if (stat(file, &sb) == 0)
        dbk += (double)sb.st_size / 1024;

    snprintf(name, sizeof name, "loop invocations/s (sync %s)", sync);
    row(name, "%.0f /s (%lld in %.2f s; %.3f ms each)", rate, seq1 - seq0, secs, 1000 / rate);
    snprintf(name, sizeof name, "  panicd CPU during loop (sync %s)", sync);
    row(name, "%.2f s in %.2f s (%.0f%% of one core)", cpu, secs, 100 * cpu / secs);
    snprintf(name, sizeof name, "  panicd RSS after loop (sync %s)", sync);
    row(name, "%.1f MiB", (double)rss / 1024);
    snprintf(name, sizeof name, "  db + wal size after loop (sync %s)", sync);
    row(name, "%.0f KiB", dbk);
out:
    daemon_stop(&d);
    rm_tree(dir);
}

/* ---- 3: SSE fan-out ---- */

#define SEEN_MAX 16

struct client {
    CURL *h;
    int idx;
    char *line; /* the partial line */
    size_t linelen, linecap;
    char event[32];
    char *data; /* data: lines of the event being read */
    size_t datalen, datacap;
    int connected; /* got its first status event */
    int ended;
    int nseen; /* first seq-0 invocation event of each run */
    long long seen_run[SEEN_MAX];
    double seen_at[SEEN_MAX];
};

static void grow_append(char **buf, size_t *len, size_t *cap, const char *p, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t c = *cap ? *cap : 256;
        while (c < *len + n + 1)
            c *= 2;
        char *g = realloc(*buf, c);
        if (!g)
            abort();
        *buf = g;
        *cap = c;
    }
    memcpy(*buf + *len, p, n);
    *len += n;
    (*buf)[*len] = '\0';
}

static void dispatch(struct client *c, double at)
{
    if (!strcmp(c->event, "status")) {
        c->connected = 1;
    } else if (!strcmp(c->event, "invocation") && c->data) {
        json_t *j = json_loads(c->data, 0, NULL);
        json_t *seq = json_object_get(j, "seq"), *run = json_object_get(j, "run");
        if (json_is_integer(seq) && json_integer_value(seq) == 0 && json_is_integer(run)) {
            long long r = (long long)json_integer_value(run);
            int known = 0;
            for (int i = 0; i < c->nseen; i++)
                known |= c->seen_run[i] == r;
            if (!known && c->nseen < SEEN_MAX) {
                c->seen_run[c->nseen] = r;
                c->seen_at[c->nseen++] = at;
            }
        }
        json_decref(j);
    }
    c->event[0] = '\0';
    c->datalen = 0;
    if (c->data)
        c->data[0] = '\0';
}

static void sse_line(struct client *c, char *s, size_t n, double at)
{
    if (n && s[n - 1] == '\r')
        s[--n] = '\0';
    if (n == 0) {
        dispatch(c, at);
        return;
    }
    if (s[0] == ':')
        return; /* a comment: the heartbeat */
    char *colon = memchr(s, ':', n);
    size_t flen = colon ? (size_t)(colon - s) : n;
    const char *v = colon ? colon + 1 : "";
    if (*v == ' ')
        v++;
    if (flen == 5 && !strncmp(s, "event", 5)) {
        snprintf(c->event, sizeof c->event, "%s", v);
    } else if (flen == 4 && !strncmp(s, "data", 4)) {
        if (c->datalen)
            grow_append(&c->data, &c->datalen, &c->datacap, "\n", 1);
        grow_append(&c->data, &c->datalen, &c->datacap, v, strlen(v));
    }
}

static size_t sse_write(char *p, size_t size, size_t n, void *user)
{
    struct client *c = user;
    size_t len = size * n;
    double at = now_ms();
    for (size_t i = 0; i < len; i++) {
        if (p[i] == '\n') {
            if (!c->line)
                grow_append(&c->line, &c->linelen, &c->linecap, "", 0);
            sse_line(c, c->line, c->linelen, at);
            c->linelen = 0;
            c->line[0] = '\0';
        } else {
            grow_append(&c->line, &c->linelen, &c->linecap, p + i, 1);
        }
    }
    return len;
}

struct request {
    CURL *h;
    struct curl_slist *hdrs;
    struct body resp;
    int done;
    long status;
    double done_at;
};

struct fanout {
    CURLM *multi;
    struct client clients[NCLIENTS];
    struct request *req;
};

/* One round of the multi: run transfers, collect finished ones, wait up to timeout_ms. */
static void pump(struct fanout *f, int timeout_ms)
{
    int running, queued;
    curl_multi_perform(f->multi, &running);
    CURLMsg *m;
    while ((m = curl_multi_info_read(f->multi, &queued))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        if (f->req && m->easy_handle == f->req->h) {
            f->req->done = 1;
            f->req->done_at = now_ms();
            if (m->data.result == CURLE_OK)
                curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &f->req->status);
            else
                fail("request: %s", curl_easy_strerror(m->data.result));
            continue;
        }
        char *priv = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
        struct client *c = (struct client *)(void *)priv;
        if (c && !c->ended) {
            c->ended = 1;
            fail("SSE stream %d ended: %s", c->idx, curl_easy_strerror(m->data.result));
        }
    }
    curl_multi_poll(f->multi, NULL, 0, timeout_ms, NULL);
}

/* Start a request in the multi (the streams keep flowing while it runs). */
static void request_begin(struct fanout *f, struct request *r, const struct daemon *d,
                          const char *path, const char *body)
{
    char url[512];
    memset(r, 0, sizeof *r);
    snprintf(url, sizeof url, "%s%s", d->url, path);
    r->h = curl_easy_init();
    r->hdrs = auth_headers(d->token, 1);
    curl_easy_setopt(r->h, CURLOPT_URL, url);
    curl_easy_setopt(r->h, CURLOPT_HTTPHEADER, r->hdrs);
    curl_easy_setopt(r->h, CURLOPT_COPYPOSTFIELDS, body);
    curl_easy_setopt(r->h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(r->h, CURLOPT_WRITEDATA, &r->resp);
    curl_easy_setopt(r->h, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(r->h, CURLOPT_NOSIGNAL, 1L);
    f->req = r;
    curl_multi_add_handle(f->multi, r->h);
}

static void request_end(struct fanout *f, struct request *r)
{
    curl_multi_remove_handle(f->multi, r->h);
    curl_easy_cleanup(r->h);
    curl_slist_free_all(r->hdrs);
    free(r->resp.data);
    f->req = NULL;
}

/* Run a request to completion while pumping the streams; the status (or -1). */
static long request_run(struct fanout *f, const struct daemon *d, const char *path,
                        const char *body, json_t **out)
{
    struct request r;
    request_begin(f, &r, d, path, body);
    double t0 = now_ms();
    while (!r.done && now_ms() - t0 < SSE_TIMEOUT_MS)
        pump(f, 5);
    long st = r.done ? r.status : -1;
    if (out)
        *out = r.resp.data ? json_loads(r.resp.data, 0, NULL) : NULL;
    request_end(f, &r);
    return st;
}

static int all_connected(const struct fanout *f)
{
    for (int i = 0; i < NCLIENTS; i++)
        if (!f->clients[i].connected || f->clients[i].ended)
            return 0;
    return 1;
}

static double seen_at(const struct client *c, long long run)
{
    for (int i = 0; i < c->nseen; i++)
        if (c->seen_run[i] == run)
            return c->seen_at[i];
    return -1;
}

static void bench_sse(void)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/sse", root);
    struct daemon d;
    /* 100 streams from one address: above the per-address caps meant for a gallery. */
    if (daemon_start(&d, dir, "sse_streams_per_address 200\nhttp_connections_per_address 300\n") <
        0)
        return;
    static struct fanout f; /* static: 100 clients' state is a few KiB */
    memset(&f, 0, sizeof f);
    static double lat[NROUNDS * NCLIENTS];
    size_t nlat = 0;
    double post_ms[NROUNDS];
    int nposts = 0;
    long long net = create_network(&d, "{\"name\":\"bench sse\",\"models\":[\"dummy-t2t\"],"
                                       "\"lockout_seconds\":3600,"
                                       "\"schedule\":[{\"delay_s\":3600}]}");
    if (net < 0)
        goto out;
    sleep_ms(200);
    long rss_idle = rss_kb(d.pid);

    f.multi = curl_multi_init();
    char url[512];
    snprintf(url, sizeof url, "%s/api/v1/networks/%lld/events", d.url, net);
    struct curl_slist *accept = curl_slist_append(NULL, "Accept: text/event-stream");
    double c0 = now_ms();
    for (int i = 0; i < NCLIENTS; i++) {
        struct client *c = &f.clients[i];
        c->idx = i;
        c->h = curl_easy_init();
        curl_easy_setopt(c->h, CURLOPT_URL, url);
        curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, accept);
        curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, sse_write);
        curl_easy_setopt(c->h, CURLOPT_WRITEDATA, c);
        curl_easy_setopt(c->h, CURLOPT_PRIVATE, (char *)(void *)c);
        curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
        curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
        curl_multi_add_handle(f.multi, c->h);
    }
    while (!all_connected(&f) && now_ms() - c0 < SSE_TIMEOUT_MS)
        pump(&f, 10);
    double connect_ms = now_ms() - c0;
    if (!all_connected(&f)) {
        int n = 0;
        for (int i = 0; i < NCLIENTS; i++)
            n += f.clients[i].connected && !f.clients[i].ended;
        fail("only %d of %d SSE clients got their first status event in %.0f ms", n, NCLIENTS,
             SSE_TIMEOUT_MS);
        goto clients_out;
    }
    /* Let the last status writes settle before reading RSS. */
    double s0 = now_ms();
    while (now_ms() - s0 < 200)
        pump(&f, 20);
    long rss_clients = rss_kb(d.pid);
    row("SSE: RSS idle (network, no clients)", "%.1f MiB", (double)rss_idle / 1024);
    row("SSE: RSS with 100 streams connected", "%.1f MiB (+%.1f KiB per stream)",
        (double)rss_clients / 1024, (double)(rss_clients - rss_idle) / NCLIENTS);
    row("SSE: 100 streams connected in", "%.1f ms", connect_ms);

    char runs_path[96], stop_path[96];
    snprintf(runs_path, sizeof runs_path, "/api/v1/networks/%lld/runs", net);
    snprintf(stop_path, sizeof stop_path, "/api/v1/networks/%lld/stop", net);
    for (int round = 0; round < NROUNDS; round++) {
        struct request r;
        double t0 = now_ms();
        request_begin(&f, &r, &d, runs_path, "{\"prompt\":\"one hundred screens\"}");
        long long run = -1;
        int complete = 0;
        while (now_ms() - t0 < SSE_TIMEOUT_MS) {
            pump(&f, 5);
            if (r.done && run < 0) {
                json_t *j = r.resp.data ? json_loads(r.resp.data, 0, NULL) : NULL;
                if (r.status == 201 && json_is_integer(json_object_get(j, "run")))
                    run = (long long)json_integer_value(json_object_get(j, "run"));
                json_decref(j);
                if (run < 0) {
                    fail("round %d: POST %s -> %ld %s", round + 1, runs_path, r.status,
                         r.resp.data ? r.resp.data : "");
                    break;
                }
            }
            if (run >= 0) {
                complete = 1;
                for (int i = 0; i < NCLIENTS && complete; i++)
                    complete = seen_at(&f.clients[i], run) >= 0;
                if (complete)
                    break;
            }
        }
        if (r.done)
            post_ms[nposts++] = r.done_at - t0;
        request_end(&f, &r);
        if (run < 0)
            break;
        if (!complete) {
            fail("round %d: not every stream saw run %lld seq 0 within %.0f ms", round + 1, run,
                 SSE_TIMEOUT_MS);
            break;
        }
        double one[NCLIENTS];
        for (int i = 0; i < NCLIENTS; i++) {
            one[i] = seen_at(&f.clients[i], run) - t0;
            lat[nlat++] = one[i];
        }
        char name[64];
        double mx = max_of(one, NCLIENTS), p50 = percentile(one, NCLIENTS, 50),
               p99 = percentile(one, NCLIENTS, 99);
        snprintf(name, sizeof name, "SSE: POST run -> seq 0 on 100, round %d", round + 1);
        row(name, "p50 %.2f ms, p99 %.2f ms, max %.2f ms", p50, p99, mx);
        /* Stop the run: a stopped network takes a new prompt even inside its lockout. */
        long st = request_run(&f, &d, stop_path, "{}", NULL);
        if (st != 200)
            fail("round %d: POST %s -> %ld", round + 1, stop_path, st);
        double w0 = now_ms();
        while (now_ms() - w0 < 150)
            pump(&f, 10);
    }
    if (nlat) {
        double mx = max_of(lat, nlat), p50 = percentile(lat, nlat, 50),
               p99 = percentile(lat, nlat, 99);
        row("SSE: pooled over rounds (p50/p99/max)", "%.2f / %.2f / %.2f ms (n=%zu)", p50, p99, mx,
            nlat);
    }
    if (nposts)
        row("SSE: POST run reply time median", "%.2f ms (max %.2f)",
            percentile(post_ms, (size_t)nposts, 50), max_of(post_ms, (size_t)nposts));
clients_out:
    for (int i = 0; i < NCLIENTS; i++) {
        struct client *c = &f.clients[i];
        if (c->h) {
            curl_multi_remove_handle(f.multi, c->h);
            curl_easy_cleanup(c->h);
        }
        free(c->line);
        free(c->data);
    }
    curl_slist_free_all(accept);
    curl_multi_cleanup(f.multi);
out:
    daemon_stop(&d);
    rm_tree(dir);
}

int main(void)
{
    bench_name = "bench_panicd";
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *build = getenv("PANIC_BUILD");
    snprintf(panicd_path, sizeof panicd_path, "%s/panicd", build && *build ? build : "build");
    if (access(panicd_path, X_OK) < 0) {
        fprintf(stderr, "bench_panicd: %s is not an executable (set PANIC_BUILD)\n", panicd_path);
        return 1;
    }
    const char *base = getenv("PANIC_BENCH_DIR");
    if (!base || !*base)
        base = getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    int n = snprintf(root, sizeof root, "%s/panic-bench.XXXXXX", base);
    if (n < 0 || (size_t)n >= sizeof root) {
        fprintf(stderr, "bench_panicd: the bench dir %s is too long\n", base);
        return 1;
    }
    if (!mkdtemp(root)) {
        fprintf(stderr, "bench_panicd: mkdtemp %s: %s\n", root, strerror(errno));
        return 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);

    double t0 = now_ms();
    char fs[PATH_MAX + 512];
    describe_fs(root, fs, sizeof fs);
    note("panicd %s, state dirs under %s", panicd_path, root);
    if (open_notify_socket() == 0) {
        note("1/3 start to READY (%d fresh, %d restarts)", NSTARTS, NSTARTS);
        bench_start();
        note("2/3 loop overhead (2 x %.0f s)", LOOP_SECONDS);
        row("state dir filesystem", "%s", fs);
        bench_loop("full");
        bench_loop("normal");
        note("3/3 SSE fan-out (%d streams, %d rounds)", NCLIENTS, NROUNDS);
        bench_sse();
    }
    row("bench wall time", "%.1f s", (now_ms() - t0) / 1000);
    print_table();

    if (notify_fd >= 0)
        close(notify_fd);
    curl_global_cleanup();
    rm_tree(root);
    if (bench_failures())
        fprintf(stderr, "bench_panicd: %d functional failure(s)\n", bench_failures());
    return bench_failures() ? 1 : 0;
}
