/* it_backup.c: backups and restores on a real panicd on 127.0.0.1 (issue 13, part 5). Backups
 * appear in STATE_DIR/backups/ every backup_interval_seconds, whole (integrity_check ok, no .part
 * left), without the platform keys, the newest backup_keep kept. `panicctl restore` puts one
 * back: the networks and runs are the backup's, the keys and the id counters the live
 * database's, the old database is kept beside it; a backup made by an older schema (built here
 * from the migrations list, as a released panicd left it) is migrated; a newer schema, a file that
 * is no database and a corrupt one are refused with a clear message and nothing changes. */
#define _GNU_SOURCE /* memmem */
#include "common/util.h"
#include "coordinator/store/store.h"
#include "support.h"
#include "test.h"

#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- helpers ---- */

static long long create_net(const struct daemon *d, const char *name)
{
    char body[256];
    snprintf(body, sizeof body,
             "{\"name\":\"%s\",\"models\":[\"dummy-t2t\"],\"lockout_seconds\":0,"
             "\"schedule\":[{\"delay_s\":0.05}]}",
             name);
    long st;
    json_t *j = api_json(d, "POST", "/api/v1/networks", d->token, body, &st);
    long long id = st == 201 ? json_int_of(j, "id", -1) : -1;
    json_decref(j);
    return id;
}

/* One integer from a query on the database file path (-1 if it fails). */
static long long file_int(const char *path, const char *sql)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    long long v = -1;
    if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

/* 1 if PRAGMA integrity_check of path says ok. */
static int file_sound(const char *path)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    int ok = 0;
    if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        ok = !strcmp((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    sqlite3_close(h);
    return ok;
}

/* Backups in DIR/backups: how many finished ones (names[] gets the newest, if not NULL), and how
 * many .part files into *parts. */
static int list_backups(const struct daemon *d, char *newest, size_t len, int *parts)
{
    char dir[400];
    snprintf(dir, sizeof dir, "%s/backups", d->dir);
    struct dirent **list = NULL;
    int n = scandir(dir, &list, NULL, alphasort), count = 0;
    if (parts)
        *parts = 0;
    for (int i = 0; i < n; i++) {
        const char *name = list[i]->d_name;
        size_t l = strlen(name);
        if (!strncmp(name, "panic-", 6) && l > 7 && !strcmp(name + l - 7, ".sqlite")) {
            count++;
            if (newest)
                snprintf(newest, len, "%s/%s", dir, name);
        } else if (parts && l > 5 && !strcmp(name + l - 5, ".part")) {
            (*parts)++;
        }
        free(list[i]);
    }
    free(list);
    return count;
}

/* POST /api/v1/backups and wait (10 s) for it to be written: its path into out; 0 or -1. */
static int backup_now(const struct daemon *d, char *out, size_t len)
{
    int before = daemon_log_count(d, "backup written");
    long st;
    json_t *j = api_json(d, "POST", "/api/v1/backups", d->token, "{}", &st);
    const char *name = json_str_of(j, "name");
    if (st != 202 || !name) {
        json_decref(j);
        return -1;
    }
    snprintf(out, len, "%s/backups/%s", d->dir, name);
    json_decref(j);
    for (int i = 0; i < 200 && daemon_log_count(d, "backup written") <= before; i++)
        support_sleep_ms(50);
    return access(out, F_OK) == 0 ? 0 : -1;
}

static int has_network(const struct daemon *d, const char *name)
{
    long st;
    json_t *j = api_json(d, "GET", "/api/v1/networks", NULL, NULL, &st), *v;
    size_t i;
    int found = 0;
    json_t *list = json_is_array(j) ? j : json_object_get(j, "networks");
    json_array_foreach(list, i, v)
    {
        const char *n = json_str_of(v, "name");
        found |= n && !strcmp(n, name);
    }
    json_decref(j);
    return found;
}

/* ---- backups ---- */

/* Backups come by themselves every backup_interval_seconds, whole, keyless, the newest kept. */
TEST(backups_written_whole_keyless_and_pruned)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, "backup_interval_seconds 1\nbackup_keep 2\n");
    CHECK_EQ_INT(api_status(&d, "PUT", "/api/v1/platforms/dummy/key", d.token,
                            "{\"key\":\"sk-backup-secret-value\"}"),
                 200);
    REQUIRE(create_net(&d, "nightly") > 0);
    /* Wait for three more backups after the key and network exist. */
    int start = daemon_log_count(&d, "backup written");
    for (int i = 0; i < 200 && daemon_log_count(&d, "backup written") < start + 3; i++)
        support_sleep_ms(50);
    REQUIRE(daemon_log_count(&d, "backup written") >= start + 3);
    char newest[600] = "";
    int parts = -1;
    /* A backup may be under way: at most its one .part; the finished ones are exactly keep. */
    CHECK_EQ_INT(list_backups(&d, newest, sizeof newest, &parts), 2);
    CHECK(parts <= 1);
    CHECK(file_sound(newest));
    CHECK_EQ_INT(file_int(newest, "SELECT count(*) FROM networks WHERE name = 'nightly'"), 1);
    CHECK_EQ_INT(file_int(newest, "SELECT count(*) FROM platform_keys"), 0);
    CHECK_EQ_INT(file_int(newest, "PRAGMA user_version"), store_schema_version());
    /* The key is not in the file's bytes either (free pages scrubbed). */
    FILE *f = fopen(newest, "rb");
    char *buf = xmalloc(1 << 22);
    size_t n = f ? fread(buf, 1, (1 << 22) - 1, f) : 0;
    if (f)
        fclose(f);
    CHECK(n > 0 && !memmem(buf, n, "sk-backup-secret-value", 22));
    free(buf);
    CHECK_EQ_INT(daemon_log_count(&d, "sk-backup-secret"), 0);
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
}

/* The schedule counts from the newest backup on disk, across restarts: none is made while it is
 * younger than the interval, one at once when it is older. */
TEST(backup_schedule_counts_from_the_newest)
{
    struct daemon d;
    char dir[400], planted[500];
    DAEMON_START_OR_FAIL(&d, "backup_interval_seconds 3600\n");
    REQUIRE(daemon_stop(&d, 5000, NULL) == 0);
    snprintf(dir, sizeof dir, "%s/backups", d.dir);
    mkdir(dir, 0700);
    snprintf(planted, sizeof planted, "%s/panic-20000101T000000Z.sqlite", dir);
    REQUIRE(write_file(planted, "old", 3) == 0);
    REQUIRE(daemon_restart(&d) == 0);
    support_sleep_ms(1500);
    CHECK_EQ_INT(list_backups(&d, NULL, 0, NULL), 1); /* the planted one is fresh */
    REQUIRE(daemon_stop(&d, 5000, NULL) == 0);
    struct timeval old[2] = {{time(NULL) - 7200, 0}, {time(NULL) - 7200, 0}};
    REQUIRE(utimes(planted, old) == 0);
    REQUIRE(daemon_restart(&d) == 0);
    for (int i = 0; i < 200 && list_backups(&d, NULL, 0, NULL) < 2; i++)
        support_sleep_ms(50);
    CHECK_EQ_INT(list_backups(&d, NULL, 0, NULL), 2); /* two hours old: one at once */
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
}

/* ---- restore ---- */

/* A backup put back with panicctl: its networks and runs, the live keys and id counters. */
TEST(restore_end_to_end)
{
    struct daemon d;
    char bak[600], out[4096], args[800];
    DAEMON_START_OR_FAIL(&d, "backup_interval_seconds 0\n");
    CHECK_EQ_INT(api_status(&d, "PUT", "/api/v1/platforms/dummy/key", d.token,
                            "{\"key\":\"sk-kept-across-restore\"}"),
                 200);
    long long kept = create_net(&d, "kept");
    REQUIRE(kept > 0);
    CHECK_EQ_INT(api_post_prompt(&d, kept, d.token, NULL, "before the backup", NULL), 201);
    support_sleep_ms(300);
    REQUIRE(backup_now(&d, bak, sizeof bak) == 0);
    long long later = create_net(&d, "later");
    REQUIRE(later > kept);
    CHECK(has_network(&d, "later"));

    /* By its bare name in STATE_DIR/backups/. */
    snprintf(args, sizeof args, "restore '%s'", strrchr(bak, '/') + 1);
    int rc = daemon_ctl(&d, args, out, sizeof out);
    CHECK_EQ_INT(rc, 0);
    CHECK(strstr(out, "restored") != NULL);
    if (rc != 0)
        printf("  panicctl: %s\n", out);
    CHECK(has_network(&d, "kept"));
    CHECK(!has_network(&d, "later"));
    /* The kept network's run is there and runs again. */
    char path[160];
    snprintf(path, sizeof path, "/api/v1/networks/%lld/runs/current", kept);
    CHECK_EQ_INT(api_status(&d, "GET", path, NULL, NULL), 200);
    CHECK_EQ_INT(api_post_prompt(&d, kept, d.token, NULL, "after the restore", NULL), 201);
    /* No id comes back: the next network is past "later". */
    CHECK(create_net(&d, "next") > later);
    /* The key set before stays, the old database is kept beside the new one. */
    char db[400], old[400];
    snprintf(db, sizeof db, "%s/panic.sqlite", d.dir);
    snprintf(old, sizeof old, "%s/panic.sqlite.before-restore", d.dir);
    CHECK_EQ_INT(file_int(db, "SELECT count(*) FROM platform_keys WHERE platform = 'dummy'"), 1);
    CHECK_EQ_INT(file_int(old, "SELECT count(*) FROM networks WHERE name = 'later'"), 1);
    long st;
    json_t *j = api_json(&d, "GET", "/api/v1/restore", d.token, NULL, &st);
    CHECK_EQ_INT(st, 200);
    CHECK_STR_EQ(json_str_of(j, "state"), "done");
    json_decref(j);
    /* It survives a restart as the live database. */
    REQUIRE(daemon_stop(&d, 5000, NULL) == 0);
    REQUIRE(daemon_restart(&d) == 0);
    CHECK(has_network(&d, "kept"));
    CHECK(!has_network(&d, "later"));
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
}

/* A database as a panicd of schema version 4 left it (before ids were AUTOINCREMENT), built from
 * the migrations list, with a network and a finished run of two steps. */
static int build_v4(const char *path)
{
    size_t n;
    const char *const *m = store_migrations(&n);
    sqlite3 *h = NULL;
    int ok = n >= 5 && sqlite3_open(path, &h) == SQLITE_OK;
    for (size_t i = 0; ok && i < 4; i++)
        ok = sqlite3_exec(h, m[i], NULL, NULL, NULL) == SQLITE_OK;
    ok = ok && sqlite3_exec(
                   h,
                   "PRAGMA user_version = 4;"
                   "INSERT INTO networks(id, name, models, lockout_seconds, created_at, updated_at)"
                   " VALUES(7, 'from-v4', '[\"dummy-t2t\"]', 0, 1000, 1000);"
                   "INSERT INTO runs(id, network_id, prompt, state, created_at, ended_at)"
                   " VALUES(3, 7, 'an old prompt', 'stopped', 1000, 2000);"
                   "INSERT INTO invocations(network_id, run, seq, model, state, input_type, input,"
                   " output_type, output, created_at, started_at, finished_at)"
                   " VALUES(7, 3, 0, 'dummy-t2t', 'completed', 'text', 'an old prompt', 'text',"
                   " 'an old answer', 1000, 1000, 1100),"
                   " (7, 3, 1, 'dummy-t2t', 'completed', 'text', 'an old answer', 'text',"
                   " 'another', 1100, 1100, 1200);",
                   NULL, NULL, NULL) == SQLITE_OK;
    sqlite3_close(h);
    return ok ? 0 : -1;
}

TEST(restore_older_schema_migrates)
{
    struct daemon d;
    char old[600], out[4096], args[800];
    DAEMON_START_OR_FAIL(&d, "backup_interval_seconds 0\n");
    long long newer = create_net(&d, "made-today");
    REQUIRE(newer > 0);
    snprintf(old, sizeof old, "%s/old-v4.sqlite", d.dir);
    REQUIRE(build_v4(old) == 0);
    snprintf(args, sizeof args, "restore '%s'", old);
    int rc = daemon_ctl(&d, args, out, sizeof out);
    CHECK_EQ_INT(rc, 0);
    char want[64];
    snprintf(want, sizeof want, "schema version 4, now %d", store_schema_version());
    CHECK(strstr(out, want) != NULL);
    if (rc != 0 || !strstr(out, want))
        printf("  panicctl: %s\n", out);
    CHECK(has_network(&d, "from-v4"));
    CHECK(!has_network(&d, "made-today"));
    char db[400];
    snprintf(db, sizeof db, "%s/panic.sqlite", d.dir);
    CHECK_EQ_INT(file_int(db, "PRAGMA user_version"), store_schema_version());
    CHECK_EQ_INT(file_int(db, "SELECT count(*) FROM invocations WHERE run = 3"), 2);
    long st;
    json_t *j = api_json(&d, "GET", "/api/v1/networks/7/runs/current", NULL, NULL, &st);
    CHECK_EQ_INT(st, 200);
    json_decref(j);
    j = api_json(&d, "GET", "/api/v1/networks/7/status", NULL, NULL, &st);
    CHECK_STR_EQ(json_str_of(j, "state"), "stopped");
    json_decref(j);
    /* The id counters are past what the live database handed out. */
    CHECK(create_net(&d, "after") > newer);
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
}

/* Refused, with a message that says why, and nothing changes: a newer schema, a file that is not
 * a database, a corrupt database, a file that is not there. */
TEST(restore_refusals_change_nothing)
{
    struct daemon d;
    char bak[600], bad[600], out[4096], args[800];
    DAEMON_START_OR_FAIL(&d, "backup_interval_seconds 0\n");
    REQUIRE(create_net(&d, "stays") > 0);
    REQUIRE(backup_now(&d, bak, sizeof bak) == 0);

    /* A newer schema: refused at once. */
    snprintf(bad, sizeof bad, "%s/newer.sqlite", d.dir);
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", bak, bad);
    REQUIRE(system(cmd) == 0);
    sqlite3 *h = NULL;
    REQUIRE(sqlite3_open(bad, &h) == SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(h, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    snprintf(args, sizeof args, "restore '%s'", bad);
    CHECK_EQ_INT(daemon_ctl(&d, args, out, sizeof out), 1);
    CHECK(strstr(out, "schema version 99 is newer than this panicd's") != NULL);

    /* Not a database at all. */
    snprintf(bad, sizeof bad, "%s/notes.txt", d.dir);
    REQUIRE(write_file(bad,
                       "hello, not sqlite, not even close to 100 bytes of header ........"
                       "..........................................................",
                       120) == 0);
    snprintf(args, sizeof args, "restore '%s'", bad);
    CHECK_EQ_INT(daemon_ctl(&d, args, out, sizeof out), 1);
    CHECK(strstr(out, "is not an SQLite database") != NULL);

    /* Corrupt pages behind a good header: the integrity check on the worker refuses it. */
    snprintf(bad, sizeof bad, "%s/corrupt.sqlite", d.dir);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", bak, bad);
    REQUIRE(system(cmd) == 0);
    struct stat sb;
    REQUIRE(stat(bad, &sb) == 0 && sb.st_size >= 8192);
    FILE *f = fopen(bad, "r+b");
    REQUIRE(f != NULL);
    long page = file_int(bak, "PRAGMA page_size");
    char junk[4096];
    memset(junk, 0xA5, sizeof junk);
    for (long off = page; off + (long)sizeof junk <= sb.st_size; off += page) {
        fseek(f, off + 8, SEEK_SET);
        fwrite(junk, 1, (size_t)MIN(page - 16, (long)sizeof junk), f);
    }
    fclose(f);
    snprintf(args, sizeof args, "restore '%s'", bad);
    CHECK_EQ_INT(daemon_ctl(&d, args, out, sizeof out), 1);
    CHECK(strstr(out, "the restore failed") != NULL);
    if (!strstr(out, "the restore failed"))
        printf("  panicctl: %s\n", out);

    /* Not there. */
    CHECK_EQ_INT(daemon_ctl(&d, "restore panic-19990101T000000Z.sqlite", out, sizeof out), 1);
    CHECK(strstr(out, "No such file") != NULL);

    CHECK(has_network(&d, "stays"));
    CHECK_EQ_INT(api_post_prompt(&d, 1, d.token, NULL, "still here", NULL), 201);
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_teardown = support_reap;
    RUN(backups_written_whole_keyless_and_pruned);
    RUN(backup_schedule_counts_from_the_newest);
    RUN(restore_end_to_end);
    RUN(restore_older_schema_migrates);
    RUN(restore_refusals_change_nothing);
    support_done();
    TEST_END("it_backup");
}
