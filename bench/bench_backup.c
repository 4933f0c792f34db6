/* bench_backup.c: backups and restores of a database of 100,000 invocations (issue 13, part 5),
 * on a real panicd (tests/support.c) whose state dir is seeded through the store's own calls
 * (1,000 runs of 100 text steps, ~300 bytes each). Prints:
 *   - the database's size;
 *   - store_backup_file alone (what the worker does: VACUUM INTO, keys scrubbed, fsync);
 *   - POST /api/v1/backups to "backup written" in panicd's log, 3 times, and GET /api/v1/health
 *     answered from another connection every 20 ms meanwhile (p50/max: the loop is not stalled);
 *   - POST /api/v1/restore of that backup to GET /api/v1/restore "done" (copy, integrity_check,
 *     migrate, swap, runners restarted), 3 times, with health likewise.
 * Never fails on a time; exits non-zero only when something functionally broke. */
#define _GNU_SOURCE
#include "common/util.h"
#include "coordinator/store/store.h"
#include "support.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RUNS 1000
#define STEPS 100
#define ROUNDS 3

static int seed(const char *path)
{
    char err[256], text[320];
    struct store *s = store_open(path, 0, err, sizeof err);
    if (!s) {
        fail("store_open: %s", err);
        return -1;
    }
    int rc = store_begin(s);
    int64_t net = store_network_insert(s, "bench", "[\"dummy-t2t\"]", 0, NULL, 1000);
    for (int r = 0; rc == 0 && r < RUNS; r++) {
        int64_t run = store_run_insert(s, net, "a prompt to start the bench", 1000 + r);
        for (int k = 0; rc == 0 && k < STEPS; k++) {
            snprintf(text, sizeof text,
                     "step %d of run %d: the loop keeps talking to itself about foxes, letters "
                     "and the weather over the harbour, and each model adds a little more of its "
                     "own; this line is about as long as a small model's answer ...",
                     k, r);
            int64_t id =
                store_invocation_insert(s, net, run, k, "dummy-t2t", MEDIA_TEXT, text, 2000 + k);
            rc = id > 0 ? store_invocation_finish(s, id, MEDIA_TEXT, text, NULL, 2001 + k) : -1;
        }
        if (rc == 0)
            rc = store_run_end(s, run, "stopped", "bench", 3000);
    }
    rc = rc == 0 ? store_commit(s) : rc;
    store_close(s);
    if (rc < 0)
        fail("seeding the database failed");
    return rc;
}

static int log_count(const struct daemon *d, const char *needle)
{
    char path[400], line[4096];
    snprintf(path, sizeof path, "%s/panicd.log", d->dir);
    FILE *f = fopen(path, "r");
    int n = 0;
    while (f && fgets(line, sizeof line, f))
        n += strstr(line, needle) != NULL;
    if (f)
        fclose(f);
    return n;
}

/* Poll health every 20 ms until done(d) or 120 s; the times into h[] (*nh). Elapsed ms. */
static double wait_with_health(const struct daemon *d, int (*done)(const struct daemon *),
                               double *h, size_t *nh, size_t cap)
{
    double t0 = now_ms();
    while (!done(d) && now_ms() - t0 < 120000) {
        double a = now_ms();
        long st = api_status(d, "GET", "/api/v1/health", NULL, NULL);
        if (st == 200 && *nh < cap)
            h[(*nh)++] = now_ms() - a;
        else if (st != 200)
            fail("health answered %ld", st);
        support_sleep_ms(20);
    }
    return now_ms() - t0;
}

static int written_target;
static int backup_written(const struct daemon *d)
{
    return log_count(d, "backup written") >= written_target;
}

static int restore_finished(const struct daemon *d)
{
    long st;
    json_t *j = api_json(d, "GET", "/api/v1/restore", d->token, NULL, &st);
    const char *state = json_str_of(j, "state");
    int fin = state && strcmp(state, "running") != 0;
    if (fin && strcmp(state, "done") != 0)
        fail("restore ended %s: %s", state, json_str_of(j, "error"));
    json_decref(j);
    return fin;
}

int main(void)
{
    bench_name = "bench_backup";
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct daemon d;
    if (daemon_start(&d, "backup_interval_seconds 0\n") < 0) {
        fail("panicd did not start");
        return 1;
    }
    daemon_stop(&d, 5000, NULL);
    char db[400], side[420], bak[600];
    snprintf(db, sizeof db, "%s/panic.sqlite", d.dir);
    unlink(db);
    snprintf(side, sizeof side, "%s-wal", db);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", db);
    unlink(side);
    note("seeding %d invocations", RUNS * STEPS);
    if (seed(db) < 0 || daemon_restart(&d) < 0) {
        daemon_cleanup(&d);
        return 1;
    }
    struct stat sb;
    stat(db, &sb);
    row("database, 100,000 invocations", "%.1f MB", sb.st_size / 1e6);

    char err[256];
    snprintf(bak, sizeof bak, "%s/direct.sqlite", d.dir);
    double t0 = now_ms();
    if (store_backup_file(db, bak, err, sizeof err) < 0)
        fail("store_backup_file: %s", err);
    row("store_backup_file (VACUUM INTO + scrub + fsync)", "%.0f ms", now_ms() - t0);
    stat(bak, &sb);
    row("backup file", "%.1f MB", sb.st_size / 1e6);

    static double health[20000];
    size_t nh = 0;
    double best = 1e18, worst = 0;
    char name[200] = "";
    for (int i = 0; i < ROUNDS; i++) {
        written_target = log_count(&d, "backup written") + 1;
        long st;
        json_t *j = api_json(&d, "POST", "/api/v1/backups", d.token, "{}", &st);
        if (st != 202 || !json_str_of(j, "name"))
            fail("POST /api/v1/backups: %ld", st);
        else
            snprintf(name, sizeof name, "%s", json_str_of(j, "name"));
        json_decref(j);
        double ms = wait_with_health(&d, backup_written, health, &nh, 20000);
        best = MIN(best, ms);
        worst = MAX(worst, ms);
    }
    row("backup through panicd (POST to written)", "best %.0f ms, worst %.0f ms", best, worst);
    double p50 = percentile(health, nh, 50), hmax = max_of(health, nh);
    row("  health meanwhile", "p50 %.1f ms, max %.1f ms (%zu requests)", p50, hmax, nh);

    nh = 0;
    best = 1e18;
    worst = 0;
    for (int i = 0; i < ROUNDS && name[0]; i++) {
        char body[300];
        snprintf(body, sizeof body, "{\"file\":\"%s\"}", name);
        long st = api_status(&d, "POST", "/api/v1/restore", d.token, body);
        if (st != 202) {
            fail("POST /api/v1/restore: %ld", st);
            break;
        }
        double ms = wait_with_health(&d, restore_finished, health, &nh, 20000);
        best = MIN(best, ms);
        worst = MAX(worst, ms);
    }
    row("restore through panicd (POST to done)", "best %.0f ms, worst %.0f ms", best, worst);
    p50 = percentile(health, nh, 50);
    hmax = max_of(health, nh);
    row("  health meanwhile", "p50 %.1f ms, max %.1f ms (%zu requests)", p50, hmax, nh);
    print_table();
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
    support_done();
    return bench_failures() ? 1 : 0;
}
