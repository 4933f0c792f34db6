/* it_faults.c: panicd under the faults and mistakes of issue 10, over its real HTTP API: ids that
 * must never come back (a visitor token or a display bound to a deleted network must not reach
 * the next one made), keys for platforms that do not exist, the hourly budget checked before a
 * run starts, orphan .part files from a kill -9 removed at start, and a database that cannot
 * grow (the PANIC_TEST_STORE_FULL hook) pausing the networks in storage_error until writes
 * succeed again. Every test starts its own panicd on 127.0.0.1 with a random port; nothing here
 * depends on timing beyond bounded polls. */
#include "support.h"
#include "test.h"

#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEVICE1 "device-one-token-0001"
#define SECRET "it-faults-secret-0123456789abcdef"

static long long create_net(const struct daemon *d, const char *name)
{
    char body[256];
    snprintf(body, sizeof body,
             "{\"name\":\"%s\",\"models\":[\"dummy-t2t\"],\"lockout_seconds\":0,"
             "\"schedule\":[{\"delay_s\":0.02}]}",
             name);
    long st;
    json_t *j = api_json(d, "POST", "/api/v1/networks", d->token, body, &st);
    long long id = st == 201 ? json_int_of(j, "id", -1) : -1;
    if (id < 0)
        printf("  create_net %s: status %ld\n", name, st);
    json_decref(j);
    return id;
}

/* A visitor token for net from its prompt URL ("...?token=X"); 0 or -1. */
static int visitor_token(const struct daemon *d, long long net, char *tok, size_t len)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/networks/%lld/prompt-url", net);
    long st;
    json_t *j = api_json(d, "GET", path, DEVICE1, NULL, &st);
    const char *url = st == 200 ? json_str_of(j, "url") : NULL;
    const char *t = url ? strstr(url, "?token=") : NULL;
    if (t)
        snprintf(tok, len, "%s", t + 7);
    json_decref(j);
    return t ? 0 : -1;
}

/* ---- 2: ids never come back ---- */

TEST(deleted_network_id_not_reused)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, "device.tv1.token " DEVICE1 "\nvisitor_secret " SECRET "\n");
    long long a = create_net(&d, "alpha"), b = create_net(&d, "beta");
    REQUIRE(a > 0 && b > a);
    char tok[128] = "", path[160];
    REQUIRE(visitor_token(&d, b, tok, sizeof tok) == 0);
    snprintf(path, sizeof path, "{\"network\":%lld}", b);
    CHECK_EQ_INT(api_status(&d, "PUT", "/api/v1/displays/tv1", d.token, path), 200);

    /* Delete the newest network, make another: it gets a new id. */
    snprintf(path, sizeof path, "/api/v1/networks/%lld", b);
    CHECK_EQ_INT(api_status(&d, "DELETE", path, d.token, NULL), 200);
    long long c = create_net(&d, "stranger");
    CHECK(c > b);

    /* The old visitor token reaches nothing: not the deleted network, not the stranger. */
    CHECK_EQ_INT(api_post_prompt(&d, b, tok, NULL, "for beta", NULL), 404);
    CHECK_EQ_INT(api_post_prompt(&d, c, tok, NULL, "for beta", NULL), 403);
    /* The display's network is gone: it falls back to the first network (the default one made at
     * start), as documented, and does not follow the stranger. */
    long st;
    json_t *j = api_json(&d, "GET", "/api/v1/displays/tv1", d.token, NULL, &st);
    CHECK_EQ_INT(st, 200);
    long long shown = json_int_of(j, "network", -1);
    CHECK(shown > 0 && shown < b);
    json_decref(j);
    snprintf(path, sizeof path, "/api/v1/networks/%lld/status", b);
    CHECK_EQ_INT(api_status(&d, "GET", path, NULL, NULL), 404);

    /* Runs too: the stranger's first run is not a number the deleted network had. */
    json_t *r = NULL;
    CHECK_EQ_INT(api_post_prompt(&d, a, d.token, NULL, "first", &r), 201);
    long long run_a = json_int_of(r, "run", -1);
    json_decref(r);
    snprintf(path, sizeof path, "/api/v1/networks/%lld", a);
    CHECK_EQ_INT(api_status(&d, "DELETE", path, d.token, NULL), 200);
    CHECK_EQ_INT(api_post_prompt(&d, c, d.token, NULL, "second", &r), 201);
    CHECK(json_int_of(r, "run", -1) > run_a);
    json_decref(r);
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
}

/* ---- 6: keys only for platforms that exist ---- */

/* How many rows the state dir's database has in table (read with its own connection); -1. */
static int count_rows(const struct daemon *d, const char *table)
{
    char db[400], sql[128];
    snprintf(db, sizeof db, "%s/panic.sqlite", d->dir);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    int n = -1;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return n;
}

TEST(keys_for_unknown_platforms_refused)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, "openai_server.gpubox.base_url http://127.0.0.1:9/v1\n");
    const char *body = "{\"key\":\"sk-0123456789abcdef\"}";
    long st;
    json_t *j = api_json(&d, "PUT", "/api/v1/platforms/nosuch/key", d.token, body, &st);
    CHECK_EQ_INT(st, 404);
    CHECK_STR_EQ(json_str_of(j, "error"), "not_found");
    json_decref(j);
    CHECK_EQ_INT(count_rows(&d, "platform_keys"), 0);
    CHECK_EQ_INT(api_status(&d, "DELETE", "/api/v1/platforms/nosuch/key", d.token, NULL), 404);

    /* A built-in platform and a configured OpenAI-compatible server take a key. */
    CHECK_EQ_INT(api_status(&d, "PUT", "/api/v1/platforms/replicate/key", d.token, body), 200);
    CHECK_EQ_INT(api_status(&d, "PUT", "/api/v1/platforms/gpubox/key", d.token, body), 200);
    CHECK_EQ_INT(count_rows(&d, "platform_keys"), 2);
    CHECK_EQ_INT(api_status(&d, "DELETE", "/api/v1/platforms/gpubox/key", d.token, NULL), 200);
    CHECK_EQ_INT(count_rows(&d, "platform_keys"), 1);
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
}

/* ---- 5: the budget is checked before a run starts ---- */

/* Poll the network's status until state is want (at most 10 s); 0 or -1. */
static int wait_state(const struct daemon *d, long long net, const char *want)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/networks/%lld/status", net);
    for (int tries = 0; tries < 200; tries++) {
        long st;
        json_t *j = api_json(d, "GET", path, NULL, NULL, &st);
        const char *state = json_str_of(j, "state");
        int done = state && !strcmp(state, want);
        json_decref(j);
        if (done)
            return 0;
        support_sleep_ms(50);
    }
    return -1;
}

TEST(budget_refused_up_front)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, "device.tv1.token " DEVICE1
                             "\nprice.dummy-t2t 1.25\nbudget_usd_per_hour 5\n");
    long long net = create_net(&d, "paid");
    REQUIRE(net > 0);
    /* The first run spends the budget and is stopped by the cap. */
    CHECK_EQ_INT(api_post_prompt(&d, net, d.token, NULL, "spend it", NULL), 201);
    REQUIRE(wait_state(&d, net, "stopped") == 0);
    int before = count_rows(&d, "invocations");
    CHECK_GE(before, 4);

    /* The next is refused up front, naming the cap, and no call is made. */
    json_t *r = NULL;
    CHECK_EQ_INT(api_post_prompt(&d, net, d.token, NULL, "more", &r), 429);
    CHECK_STR_EQ(json_str_of(r, "error"), "budget");
    const char *msg = json_str_of(r, "message");
    CHECK(msg && strstr(msg, "budget_usd_per_hour") && strstr(msg, "$5.00"));
    json_decref(r);

    /* The panic button too: refused, and the press says so. */
    char body[64];
    snprintf(body, sizeof body, "{\"network\":%lld}", net);
    CHECK_EQ_INT(api_status(&d, "PUT", "/api/v1/displays/tv1", d.token, body), 200);
    long st;
    r = api_json(&d, "POST", "/api/v1/panic", DEVICE1, "{\"display\":\"tv1\",\"long\":false}", &st);
    CHECK_EQ_INT(st, 429);
    CHECK_STR_EQ(json_str_of(r, "error"), "budget");
    json_decref(r);
    r = api_json(&d, "GET", "/api/v1/presses?limit=1", d.token, NULL, &st);
    CHECK_STR_EQ(json_str_of(json_array_get(json_object_get(r, "presses"), 0), "result"),
                 "refused");
    json_decref(r);

    CHECK_EQ_INT(count_rows(&d, "invocations"), before);
    CHECK_EQ_INT(count_rows(&d, "runs"), 1);
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
}

/* ---- 7: orphan .part files are removed at start ---- */

#define HASH_A "ab00000000000000000000000000000000000000000000000000000000000001"
#define HASH_B "ab00000000000000000000000000000000000000000000000000000000000002"

static int exists(const char *dir, const char *name)
{
    char path[600];
    snprintf(path, sizeof path, "%s/media/ab/%s", dir, name);
    return access(path, F_OK) == 0;
}

static void plant(const char *dir, const char *name)
{
    char path[600];
    snprintf(path, sizeof path, "%s/media/ab", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/media/ab/%s", dir, name);
    CHECK_EQ_INT(write_file(path, "half written", 12), 0);
}

TEST(orphan_part_files_removed_at_start)
{
    struct daemon d, other;
    DAEMON_START_OR_FAIL(&d, NULL);
    CHECK_EQ_INT(daemon_stop(&d, 5000, NULL), 0);
    /* A panicd that is still running, on its own state dir: its .part may be in flight. */
    DAEMON_START_OR_FAIL(&other, NULL);

    /* A pid that is surely gone: a child that has exited and been reaped. */
    pid_t gone = fork();
    if (gone == 0)
        _exit(0);
    REQUIRE(gone > 0);
    waitpid(gone, NULL, 0);

    char dead[160], garbled[160], live[160];
    snprintf(dead, sizeof dead, HASH_A ".png.%ld.part", (long)gone);
    snprintf(garbled, sizeof garbled, HASH_A ".png.x.part");
    snprintf(live, sizeof live, HASH_B ".png.%ld.part", (long)other.pid);
    plant(d.dir, HASH_A ".png"); /* a committed file */
    plant(d.dir, dead);
    plant(d.dir, garbled);
    plant(d.dir, live);

    REQUIRE(daemon_restart(&d) == 0);
    CHECK(!exists(d.dir, dead));
    CHECK(!exists(d.dir, garbled));
    CHECK(exists(d.dir, live));
    CHECK(exists(d.dir, HASH_A ".png"));
    daemon_stop(&other, 5000, NULL);
    daemon_cleanup(&other);
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
}

/* ---- 1: nothing runs ahead of the store ---- */

/* The network's status: state into buf, seq (or -1) returned. */
static long long status_of(const struct daemon *d, long long net, char *state, size_t len,
                           char *error, size_t errlen)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/networks/%lld/status", net);
    long st;
    json_t *j = api_json(d, "GET", path, NULL, NULL, &st);
    snprintf(state, len, "%s", json_str_of(j, "state") ? json_str_of(j, "state") : "");
    if (error)
        snprintf(error, errlen, "%s", json_str_of(j, "error") ? json_str_of(j, "error") : "");
    long long seq = json_int_of(j, "seq", -1);
    json_decref(j);
    return seq;
}

/* The database is made unable to grow (the test hook caps it with PRAGMA max_page_count while
 * a flag file exists, as a full disk would): the network shows storage_error with the reason,
 * POST /runs answers 503, the log takes one line per back-off step; once writes succeed the run
 * resumes where the store has it, and no run or invocation id is handed out twice. */
TEST(storage_full_pauses_and_resumes)
{
    char flag[300];
    snprintf(flag, sizeof flag, "/tmp/panic-it-full-%ld", (long)getpid());
    unlink(flag);
    setenv("PANIC_TEST_STORE_FULL", flag, 1);
    struct daemon d;
    int started = daemon_start(&d, NULL);
    unsetenv("PANIC_TEST_STORE_FULL");
    if (started < 0) {
        CHECK(!"panicd started");
        daemon_cleanup(&d);
        return;
    }
    long long net = create_net(&d, "fast");
    REQUIRE(net > 0);
    json_t *r = NULL;
    REQUIRE(api_post_prompt(&d, net, d.token, NULL, "before", &r) == 201);
    long long run1 = json_int_of(r, "run", -1);
    json_decref(r);
    char state[64] = "", err[512] = "";
    long long seq = -1;
    for (int i = 0; i < 200 && seq < 3; i++, support_sleep_ms(20))
        seq = status_of(&d, net, state, sizeof state, NULL, 0);
    REQUIRE(seq >= 3);

    /* The disk fills up. */
    REQUIRE(write_file(flag, "", 0) == 0);
    int seen = 0;
    for (int i = 0; i < 500 && !seen; i++, support_sleep_ms(20)) {
        status_of(&d, net, state, sizeof state, err, sizeof err);
        seen = !strcmp(state, "storage_error");
    }
    CHECK(seen);
    CHECK(strstr(err, "storage error") != NULL && strstr(err, "full") != NULL);
    {
        char spath[128];
        snprintf(spath, sizeof spath, "/api/v1/networks/%lld/status", net);
        long sst;
        json_t *sj = api_json(&d, "GET", spath, NULL, NULL, &sst);
        CHECK(json_is_false(json_object_get(sj, "can_start_run")));
        json_decref(sj);
    }
    long st;
    r = api_json(&d, "POST", "/api/v1/networks/1/runs", d.token, "{\"prompt\":\"during\"}", &st);
    CHECK_EQ_INT(st, 503);
    CHECK_STR_EQ(json_str_of(r, "error"), "storage");
    CHECK(json_str_of(r, "message") && strstr(json_str_of(r, "message"), "full"));
    json_decref(r);
    /* A network made now is not stored, so it gets no id. */
    CHECK_EQ_INT(api_status(&d, "POST", "/api/v1/networks", d.token,
                            "{\"name\":\"lost\",\"models\":[\"dummy-t2t\"]}"),
                 500);
    /* While it lasts, nothing moves: the status stays storage_error over a few retries. */
    long long stored = daemon_db_int(&d, "SELECT count(*) FROM invocations");
    for (int i = 0; i < 5; i++) {
        support_sleep_ms(200);
        status_of(&d, net, state, sizeof state, NULL, 0);
        CHECK_STR_EQ(state, "storage_error");
    }
    CHECK_EQ_INT(daemon_db_int(&d, "SELECT count(*) FROM invocations"), stored);
    int lines = daemon_log_count(&d, "could not be written");
    CHECK_GE(lines, 1);
    CHECK_LE(lines, 8); /* 0.5 s doubling: a handful over ~1.5 s, not one per attempt */

    /* Space comes back: the run resumes from the last stored step. */
    unlink(flag);
    long long seq2 = -1;
    for (int i = 0; i < 500; i++, support_sleep_ms(20)) {
        seq2 = status_of(&d, net, state, sizeof state, NULL, 0);
        if ((!strcmp(state, "processing") || !strcmp(state, "waiting")) && seq2 > stored + 2)
            break;
    }
    CHECK(!strcmp(state, "processing") || !strcmp(state, "waiting"));
    CHECK(seq2 > stored);
    CHECK_EQ_INT(
        daemon_db_int(&d,
                      "SELECT state = 'running' FROM runs WHERE id = (SELECT max(id) FROM runs)"),
        1);
    /* The run's stored steps have no hole and no duplicate. */
    CHECK_EQ_INT(daemon_db_int(&d,
                               "SELECT count(*) = max(seq) + 1 AND count(DISTINCT seq) = count(*) "
                               "FROM invocations WHERE run = (SELECT max(id) FROM runs)"),
                 1);
    CHECK_EQ_INT(daemon_db_int(&d, "SELECT max(id) FROM runs"), run1);

    /* A new run and a new network get ids never handed out. */
    CHECK_EQ_INT(create_net(&d, "later"), net + 1);
    r = NULL;
    CHECK_EQ_INT(api_post_prompt(&d, net, d.token, NULL, "after", &r), 201);
    CHECK(json_int_of(r, "run", -1) > run1);
    json_decref(r);
    CHECK_EQ_INT(daemon_log_count(&d, "writes succeed again"), 1);
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
    unlink(flag);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_teardown = support_reap;
    RUN(deleted_network_id_not_reused);
    RUN(keys_for_unknown_platforms_refused);
    RUN(budget_refused_up_front);
    RUN(orphan_part_files_removed_at_start);
    RUN(storage_full_pauses_and_resumes);
    support_done();
    TEST_END("it_faults");
}
