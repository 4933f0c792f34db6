/* bench_archive.c: upload throughput of the off-site archive to a local S3-compatible server
 * (s3rver from ~/.cache/panic/s3rver or $PANIC_S3RVER, as the tests use it; node on loopback, so
 * the server is likely the limit, not panicd). A real panicd (tests/support.c) starts with a queue
 * of files already in its uploads table: 100 of 1 MiB, then 500 of 20 KiB; the time from its
 * start to an empty queue gives MB/s and objects/s, with GET /api/v1/health answered meanwhile.
 * Never fails on a time; exits non-zero when something functionally broke. Without s3rver it says
 * so and exits 0 (nothing measured). */
#define _GNU_SOURCE
#include "common/util.h"
#include "coordinator/store/store.h"
#include "support.h"
#include "util.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char bin[1024];

static int s3rver_start(const char *dir, pid_t *pid)
{
    char log[600];
    snprintf(log, sizeof log, "%s.log", dir);
    mkdir(dir, 0700);
    *pid = fork();
    if (*pid == 0) {
        if (!freopen(log, "w", stdout))
            _exit(127);
        dup2(1, 2);
        execl(bin, "s3rver", "-d", dir, "-a", "127.0.0.1", "-p", "0", "--silent",
              "--configure-bucket", "bench", (char *)NULL);
        _exit(127);
    }
    /* --silent keeps request logs out; the port is read from the listening line anyway. */
    for (int i = 0; i < 300; i++) {
        char buf[4096] = "";
        FILE *f = fopen(log, "r");
        size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
        if (f)
            fclose(f);
        buf[n] = '\0';
        const char *at = strstr(buf, "127.0.0.1:");
        if (at)
            return atoi(at + 10);
        support_sleep_ms(50);
    }
    return -1;
}

/* Queue n files of size bytes (made here) in the state dir's database. */
static int queue_files(const char *state, const char *db, int n, size_t size, const char *tag)
{
    char err[256];
    struct store *s = store_open(db, 0, err, sizeof err);
    if (!s) {
        fail("store_open: %s", err);
        return -1;
    }
    char *data = xmalloc(size);
    for (size_t i = 0; i < size; i++)
        data[i] = (char)(i * 131 + 7);
    store_begin(s);
    for (int i = 0; i < n; i++) {
        char path[600], key[200];
        snprintf(path, sizeof path, "%s/%s-%d.bin", state, tag, i);
        memcpy(data, &i, sizeof i);
        if (write_file(path, data, size) < 0) {
            fail("cannot write %s", path);
            break;
        }
        snprintf(key, sizeof key, "bench/%s-%d.bin", tag, i);
        /* Any 64 hex digits: s3rver does not check the payload hash. */
        store_upload_add(s, "media", path, key,
                         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", 0);
    }
    int rc = store_commit(s);
    store_close(s);
    free(data);
    return rc;
}

static long long queued(const char *db)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    long long v = -1;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(h, "SELECT count(*) FROM uploads", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

static void round_of(const char *what, int n, size_t size, int port)
{
    struct daemon d;
    char conf[600], db[400];
    snprintf(conf, sizeof conf,
             "backup_interval_seconds 0\narchive_s3_endpoint http://127.0.0.1:%d\n"
             "archive_s3_bucket bench\narchive_s3_access_key_id S3RVER\n"
             "archive_s3_secret_key S3RVER\n",
             port);
    if (daemon_start(&d, conf) < 0) {
        fail("panicd did not start");
        return;
    }
    daemon_stop(&d, 5000, NULL);
    snprintf(db, sizeof db, "%s/panic.sqlite", d.dir);
    if (queue_files(d.dir, db, n, size, what) < 0) {
        daemon_cleanup(&d);
        return;
    }
    double t0 = now_ms();
    if (daemon_restart(&d) < 0) {
        fail("panicd did not restart");
        daemon_cleanup(&d);
        return;
    }
    static double health[100000];
    size_t nh = 0;
    while (queued(db) > 0 && now_ms() - t0 < 300000) {
        double a = now_ms();
        if (api_status(&d, "GET", "/api/v1/health", NULL, NULL) == 200 && nh < 100000)
            health[nh++] = now_ms() - a;
        support_sleep_ms(20);
    }
    double ms = now_ms() - t0;
    if (queued(db) != 0)
        fail("%s: %lld uploads still queued", what, queued(db));
    char name[96];
    snprintf(name, sizeof name, "%d x %zu KiB, start to empty queue", n, size >> 10);
    row(name, "%.0f ms: %.1f MB/s, %.0f objects/s", ms, n * (double)size / 1e6 / (ms / 1000),
        n / (ms / 1000));
    row("  health meanwhile", "p50 %.1f ms, max %.1f ms", percentile(health, nh, 50),
        max_of(health, nh));
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
}

int main(void)
{
    bench_name = "bench_archive";
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *env = getenv("PANIC_S3RVER");
    if (env && *env)
        snprintf(bin, sizeof bin, "%s", env);
    else
        snprintf(bin, sizeof bin, "%s/.cache/panic/s3rver/node_modules/.bin/s3rver",
                 getenv("HOME") ? getenv("HOME") : "/root");
    if (access(bin, X_OK) < 0) {
        note("no s3rver at %s (scripts/deps.sh test installs it): nothing measured", bin);
        return 0;
    }
    char dir[] = "/tmp/bench-archive-XXXXXX";
    if (!mkdtemp(dir)) {
        fail("mkdtemp");
        return 1;
    }
    char data[300];
    snprintf(data, sizeof data, "%s/s3", dir);
    pid_t pid;
    int port = s3rver_start(data, &pid);
    if (port <= 0) {
        fail("s3rver did not start");
    } else {
        round_of("big", 100, 1 << 20, port);
        round_of("small", 500, 20 << 10, port);
        print_table();
    }
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    remove_tree(dir);
    support_done();
    return bench_failures() ? 1 : 0;
}
