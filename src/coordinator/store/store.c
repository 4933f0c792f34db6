/* store.c: panicd's state in one sqlite3 database: WAL, a schema grown by numbered migrations
 * keyed on PRAGMA user_version, and every statement prepared once in store_open. This is the
 * only coordinator file that includes sqlite3.h. It knows rows and columns, not runners, HTTP or
 * JSON (models and schedules are opaque JSON text here), and it never logs: failures go back as
 * a negative errno and the caller that decides does the logging. One thread only (NOMUTEX).
 * A write refused for want of storage (disk full, I/O error) sinks its whole transaction:
 * store_commit rolls it back, so a step is stored whole or not at all. The one test hook,
 * PANIC_TEST_STORE_FULL, is read from the environment at open. */
#include "store.h"
#include "common/util.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>

/* Append only: a released panicd has already run the earlier entries on someone's SD card.
 * Each runs in its own transaction with foreign_keys=OFF (migrate() turns them off around the
 * migrations and runs PRAGMA foreign_key_check before each commit), so a migration that rebuilds
 * a table takes the 12-step route from the sqlite docs: create the new table, copy, drop the old,
 * rename, recreate its indexes; dropping a parent cannot cascade into its children. */
static const char *const migrations[] = {
    /* 1: the first schema */
    "CREATE TABLE networks("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " models TEXT NOT NULL,"
    " lockout_seconds INTEGER NOT NULL DEFAULT 30,"
    " schedule TEXT,"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL);"
    "CREATE TABLE runs("
    " id INTEGER PRIMARY KEY,"
    " network_id INTEGER NOT NULL REFERENCES networks(id) ON DELETE CASCADE,"
    " prompt TEXT NOT NULL,"
    " state TEXT NOT NULL DEFAULT 'running',"
    " reason TEXT,"
    " created_at INTEGER NOT NULL,"
    " ended_at INTEGER);"
    "CREATE INDEX runs_network ON runs(network_id, id);"
    "CREATE TABLE invocations("
    " id INTEGER PRIMARY KEY,"
    " network_id INTEGER NOT NULL REFERENCES networks(id) ON DELETE CASCADE,"
    " run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " seq INTEGER NOT NULL,"
    " model TEXT NOT NULL,"
    " state TEXT NOT NULL CHECK(state IN ('ready','invoking','completed','failed')),"
    " input_type TEXT NOT NULL,"
    " input TEXT NOT NULL,"
    " output_type TEXT,"
    " output TEXT,"
    " error TEXT,"
    " created_at INTEGER NOT NULL,"
    " started_at INTEGER,"
    " finished_at INTEGER,"
    " attempts INTEGER NOT NULL DEFAULT 1,"
    " platform_job TEXT,"
    " cost REAL,"
    " UNIQUE(network_id, run, seq));"
    /* Paging and "last" go by run alone; the UNIQUE index leads with network_id. It also serves
     * the ON DELETE CASCADE from runs. */
    "CREATE INDEX invocations_run ON invocations(run, seq);"
    /* AUTOINCREMENT: SSE ids must never be reused after a prune or a network delete. */
    "CREATE TABLE events("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " network_id INTEGER NOT NULL,"
    " type TEXT NOT NULL,"
    " data TEXT NOT NULL,"
    " created_at INTEGER NOT NULL);"
    "CREATE INDEX events_network ON events(network_id, id);"
    "CREATE TABLE displays("
    " name TEXT PRIMARY KEY,"
    " config TEXT NOT NULL,"
    " updated_at INTEGER NOT NULL);"
    "CREATE TABLE platform_keys("
    " platform TEXT PRIMARY KEY,"
    " secret TEXT NOT NULL,"
    " updated_at INTEGER NOT NULL);",
    /* 2: panic-button presses, kept for the staff (GET /api/v1/presses); no foreign key, so the
     * record outlives a deleted network. */
    "CREATE TABLE presses("
    " id INTEGER PRIMARY KEY,"
    " display TEXT NOT NULL,"
    " device TEXT,"
    " network_id INTEGER,"
    " long INTEGER NOT NULL,"
    " created_at INTEGER NOT NULL,"
    " result TEXT NOT NULL CHECK(result IN ('started','lockout','stopped','refused','error')),"
    " run INTEGER);",
    /* 3: the media quota: runs whose pictures and sounds were deleted to free the disk. */
    "ALTER TABLE runs ADD COLUMN media_evicted INTEGER NOT NULL DEFAULT 0;",
    /* 4: the burn rate in every status answer sums an hour of one network's invocations. */
    "CREATE INDEX invocations_finished ON invocations(network_id, finished_at);",
    /* 5: ids never come back. Without AUTOINCREMENT a deleted network's id went to the next one
     * made, and with it the visitor tokens and displays bound to the old one. Networks, runs,
     * invocations and presses are rebuilt with AUTOINCREMENT; their counters start past every id
     * a press still names, so an id deleted before this migration is not handed out either. */
    "CREATE TABLE networks_new("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " name TEXT NOT NULL,"
    " models TEXT NOT NULL,"
    " lockout_seconds INTEGER NOT NULL DEFAULT 30,"
    " schedule TEXT,"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL);"
    "INSERT INTO networks_new(id, name, models, lockout_seconds, schedule, created_at, updated_at)"
    " SELECT id, name, models, lockout_seconds, schedule, created_at, updated_at FROM networks;"
    "DROP TABLE networks;"
    "ALTER TABLE networks_new RENAME TO networks;"
    "CREATE TABLE runs_new("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " network_id INTEGER NOT NULL REFERENCES networks(id) ON DELETE CASCADE,"
    " prompt TEXT NOT NULL,"
    " state TEXT NOT NULL DEFAULT 'running',"
    " reason TEXT,"
    " created_at INTEGER NOT NULL,"
    " ended_at INTEGER,"
    " media_evicted INTEGER NOT NULL DEFAULT 0);"
    "INSERT INTO runs_new(id, network_id, prompt, state, reason, created_at, ended_at,"
    " media_evicted) SELECT id, network_id, prompt, state, reason, created_at, ended_at,"
    " media_evicted FROM runs;"
    "DROP TABLE runs;"
    "ALTER TABLE runs_new RENAME TO runs;"
    "CREATE INDEX runs_network ON runs(network_id, id);"
    "CREATE TABLE invocations_new("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " network_id INTEGER NOT NULL REFERENCES networks(id) ON DELETE CASCADE,"
    " run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " seq INTEGER NOT NULL,"
    " model TEXT NOT NULL,"
    " state TEXT NOT NULL CHECK(state IN ('ready','invoking','completed','failed')),"
    " input_type TEXT NOT NULL,"
    " input TEXT NOT NULL,"
    " output_type TEXT,"
    " output TEXT,"
    " error TEXT,"
    " created_at INTEGER NOT NULL,"
    " started_at INTEGER,"
    " finished_at INTEGER,"
    " attempts INTEGER NOT NULL DEFAULT 1,"
    " platform_job TEXT,"
    " cost REAL,"
    " UNIQUE(network_id, run, seq));"
    "INSERT INTO invocations_new(id, network_id, run, seq, model, state, input_type, input,"
    " output_type, output, error, created_at, started_at, finished_at, attempts, platform_job,"
    " cost) SELECT id, network_id, run, seq, model, state, input_type, input, output_type,"
    " output, error, created_at, started_at, finished_at, attempts, platform_job, cost"
    " FROM invocations;"
    "DROP TABLE invocations;"
    "ALTER TABLE invocations_new RENAME TO invocations;"
    "CREATE INDEX invocations_run ON invocations(run, seq);"
    "CREATE INDEX invocations_finished ON invocations(network_id, finished_at);"
    "CREATE TABLE presses_new("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " display TEXT NOT NULL,"
    " device TEXT,"
    " network_id INTEGER,"
    " long INTEGER NOT NULL,"
    " created_at INTEGER NOT NULL,"
    " result TEXT NOT NULL CHECK(result IN ('started','lockout','stopped','refused','error')),"
    " run INTEGER);"
    "INSERT INTO presses_new(id, display, device, network_id, long, created_at, result, run)"
    " SELECT id, display, device, network_id, long, created_at, result, run FROM presses;"
    "DROP TABLE presses;"
    "ALTER TABLE presses_new RENAME TO presses;"
    "DELETE FROM sqlite_sequence WHERE name IN ('networks', 'runs', 'invocations', 'presses');"
    "INSERT INTO sqlite_sequence(name, seq) VALUES"
    " ('networks', max(coalesce((SELECT max(id) FROM networks), 0),"
    "  coalesce((SELECT max(network_id) FROM presses), 0))),"
    " ('runs', max(coalesce((SELECT max(id) FROM runs), 0),"
    "  coalesce((SELECT max(run) FROM presses), 0))),"
    " ('invocations', coalesce((SELECT max(id) FROM invocations), 0)),"
    " ('presses', coalesce((SELECT max(id) FROM presses), 0));",
    /* 6: networks' short names (the phone link /t/gallery-a). NULL until coord gives each one
     * its default at start (the rule is C code, core/slug.c); unique once given. */
    "ALTER TABLE networks ADD COLUMN slug TEXT;"
    "CREATE UNIQUE INDEX networks_slug ON networks(slug);",
    /* 7: the off-site archive's queue: files (media, backups) waiting to be uploaded to an
     * S3-compatible store, so uploads survive a restart and a dead link. A row goes when its
     * upload succeeded; next_at holds the back-off of one that failed. */
    "CREATE TABLE uploads("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " kind TEXT NOT NULL CHECK(kind IN ('media','backup')),"
    " path TEXT NOT NULL,"
    " object_key TEXT NOT NULL UNIQUE,"
    " sha256 TEXT NOT NULL,"
    " created_at INTEGER NOT NULL,"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " next_at INTEGER NOT NULL DEFAULT 0,"
    " last_error TEXT);"
    "CREATE INDEX uploads_due ON uploads(next_at, id);",
};

enum stmt_id {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_BACKUP,
    ST_NET_INSERT,
    ST_NET_UPDATE,
    ST_NET_DELETE_EVENTS,
    ST_NET_DELETE,
    ST_NET_GET,
    ST_NET_LIST,
    ST_RUN_INSERT,
    ST_RUN_END,
    ST_RUN_GET,
    ST_RUN_LATEST,
    ST_INV_INSERT,
    ST_INV_FINISH,
    ST_INV_GET,
    ST_INV_LAST,
    ST_INV_EACH,
    ST_EV_APPEND,
    ST_EV_EACH,
    ST_EV_FIRST,
    ST_EV_LAST,
    ST_EV_PRUNE,
    ST_DISPLAY_GET,
    ST_DISPLAY_PUT,
    ST_DISPLAY_EACH,
    ST_PRESS_INSERT,
    ST_PRESS_EACH,
    ST_PRESS_COUNT,
    ST_KEY_GET,
    ST_KEY_PUT,
    ST_KEY_DELETE,
    ST_INV_COST,
    ST_COST_SINCE,
    ST_COST_RUN,
    ST_RUN_OLDEST,
    ST_RUN_MEDIA,
    ST_MEDIA_SHARED,
    ST_RUN_EVICTED,
    ST_UP_ADD,
    ST_UP_NEXT,
    ST_UP_DONE,
    ST_UP_FAILED,
    ST_UP_COUNT,
    ST_NET_SET_SLUG,
    ST_NET_BY_SLUG,
    ST_COUNT
};

/* Column lists shared by the row readers below; keep them in step with *_from_row. */
#define NET_COLS "id, name, models, lockout_seconds, schedule, created_at, updated_at, slug"
#define RUN_COLS "id, network_id, prompt, state, reason, created_at, ended_at"
#define INV_COLS                                                                                   \
    "id, network_id, run, seq, model, state, input_type, input, output_type, output, error, "      \
    "created_at, started_at, finished_at, attempts"

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_BACKUP] = "VACUUM INTO ?1",
    [ST_NET_INSERT] = "INSERT INTO networks(name, models, lockout_seconds, schedule, created_at, "
                      "updated_at) VALUES(?1, ?2, ?3, ?4, ?5, ?5)",
    [ST_NET_UPDATE] = "UPDATE networks SET name = ?2, models = ?3, lockout_seconds = ?4, "
                      "schedule = ?5, updated_at = ?6 WHERE id = ?1",
    [ST_NET_DELETE_EVENTS] = "DELETE FROM events WHERE network_id = ?1",
    [ST_NET_DELETE] = "DELETE FROM networks WHERE id = ?1",
    [ST_NET_GET] = "SELECT " NET_COLS " FROM networks WHERE id = ?1",
    [ST_NET_LIST] = "SELECT " NET_COLS " FROM networks ORDER BY id",
    [ST_RUN_INSERT] = "INSERT INTO runs(network_id, prompt, state, created_at) "
                      "VALUES(?1, ?2, 'running', ?3)",
    [ST_RUN_END] = "UPDATE runs SET state = ?2, reason = ?3, ended_at = ?4 WHERE id = ?1",
    [ST_RUN_GET] = "SELECT " RUN_COLS " FROM runs WHERE id = ?1",
    [ST_RUN_LATEST] = "SELECT " RUN_COLS " FROM runs WHERE network_id = ?1 ORDER BY id DESC "
                      "LIMIT 1",
    [ST_INV_INSERT] = "INSERT INTO invocations(network_id, run, seq, model, state, input_type, "
                      "input, created_at, started_at) "
                      "VALUES(?1, ?2, ?3, ?4, 'invoking', ?5, ?6, ?7, ?7)",
    [ST_INV_FINISH] = "UPDATE invocations SET state = ?2, output_type = ?3, output = ?4, "
                      "error = ?5, finished_at = ?6 WHERE id = ?1",
    [ST_INV_GET] = "SELECT " INV_COLS " FROM invocations WHERE id = ?1",
    [ST_INV_LAST] = "SELECT " INV_COLS " FROM invocations WHERE run = ?1 ORDER BY seq DESC "
                    "LIMIT 1",
    [ST_INV_EACH] = "SELECT " INV_COLS " FROM invocations WHERE run = ?1 AND seq > ?2 "
                    "ORDER BY seq LIMIT ?3",
    [ST_EV_APPEND] = "INSERT INTO events(network_id, type, data, created_at) "
                     "VALUES(?1, ?2, ?3, ?4)",
    [ST_EV_EACH] = "SELECT id, type, data FROM events WHERE (network_id = ?1 OR network_id = 0) "
                   "AND id > ?2 ORDER BY id LIMIT ?3",
    [ST_EV_FIRST] = "SELECT min(id) FROM events",
    [ST_EV_LAST] = "SELECT max(id) FROM events",
    /* The row `keep` places below the newest and everything older; exact even with gaps left by
     * network deletes, and a no-op while there are no more than `keep` rows. */
    [ST_EV_PRUNE] = "DELETE FROM events WHERE id <= "
                    "(SELECT id FROM events ORDER BY id DESC LIMIT 1 OFFSET ?1)",
    [ST_DISPLAY_GET] = "SELECT config FROM displays WHERE name = ?1",
    [ST_DISPLAY_PUT] = "INSERT INTO displays(name, config, updated_at) VALUES(?1, ?2, ?3) "
                       "ON CONFLICT(name) DO UPDATE SET config = excluded.config, "
                       "updated_at = excluded.updated_at",
    [ST_DISPLAY_EACH] = "SELECT name, config FROM displays ORDER BY name",
    [ST_PRESS_INSERT] = "INSERT INTO presses(display, device, network_id, long, created_at, "
                        "result, run) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_PRESS_EACH] = "SELECT id, display, device, network_id, long, created_at, result, run "
                      "FROM presses ORDER BY id DESC LIMIT ?1",
    [ST_PRESS_COUNT] = "SELECT count(*) FROM presses",
    [ST_KEY_GET] = "SELECT secret FROM platform_keys WHERE platform = ?1",
    [ST_KEY_PUT] = "INSERT INTO platform_keys(platform, secret, updated_at) VALUES(?1, ?2, ?3) "
                   "ON CONFLICT(platform) DO UPDATE SET secret = ?2, updated_at = ?3",
    [ST_KEY_DELETE] = "DELETE FROM platform_keys WHERE platform = ?1",
    [ST_INV_COST] = "UPDATE invocations SET cost = ?2 WHERE id = ?1",
    [ST_COST_SINCE] = "SELECT coalesce(sum(cost), 0) FROM invocations "
                      "WHERE network_id = ?1 AND finished_at >= ?2",
    [ST_COST_RUN] = "SELECT coalesce(sum(cost), 0) FROM invocations WHERE run = ?1",
    /* The oldest runs that are over and still have their media, never a network's latest. */
    [ST_RUN_OLDEST] = "SELECT id FROM runs r WHERE media_evicted = 0 AND state != 'running' "
                      "AND id < (SELECT max(id) FROM runs WHERE network_id = r.network_id) "
                      "ORDER BY id LIMIT ?1",
    [ST_RUN_MEDIA] = "SELECT output FROM invocations WHERE run = ?1 AND output_type IN "
                     "('image','audio') UNION SELECT input FROM invocations WHERE run = ?1 "
                     "AND input_type IN ('image','audio')",
    [ST_MEDIA_SHARED] =
        "SELECT count(*) FROM invocations i JOIN runs r ON r.id = i.run "
        "WHERE r.id != ?2 AND r.media_evicted = 0 AND (i.output = ?1 OR i.input = ?1)",
    [ST_RUN_EVICTED] = "UPDATE runs SET media_evicted = 1 WHERE id = ?1",
    [ST_UP_ADD] = "INSERT INTO uploads(kind, path, object_key, sha256, created_at) "
                  "VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(object_key) DO NOTHING",
    [ST_UP_NEXT] = "SELECT id, kind, path, object_key, sha256, attempts, next_at FROM uploads "
                   "ORDER BY next_at, id LIMIT 1",
    [ST_UP_DONE] = "DELETE FROM uploads WHERE id = ?1",
    [ST_UP_FAILED] = "UPDATE uploads SET attempts = attempts + 1, next_at = ?2, last_error = ?3 "
                     "WHERE id = ?1",
    [ST_UP_COUNT] = "SELECT count(*) FROM uploads",
    [ST_NET_SET_SLUG] = "UPDATE networks SET slug = ?2 WHERE id = ?1",
    [ST_NET_BY_SLUG] = "SELECT id FROM networks WHERE slug = ?1",
};

struct store {
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT];
    int in_tx;                    /* between a successful store_begin and commit/rollback */
    char last_err[PANIC_ERR_LEN]; /* sqlite's message for the most recent failure */
    /* A write of the open transaction failed for want of storage (full, I/O, read-only, ...):
     * the transaction can only be rolled back, and tx_err says why. */
    int tx_failed;
    char tx_err[PANIC_ERR_LEN];
    /* Test hook (PANIC_TEST_STORE_FULL): while the file named here exists, the database may not
     * grow (PRAGMA max_page_count), the way a full disk refuses it, and a transaction that
     * changed anything is refused at COMMIT even where its rows fit in pages already there (a
     * capped size alone let a small insert through, now and then). NULL in production. */
    char *full_flag;
    int full_on;
    sqlite3_int64 tx_changes; /* sqlite3_total_changes64 at store_begin (the hook only) */
    char *path;               /* the database file, for store_swap */
    int sync_full;            /* synchronous=FULL */
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Remembers sqlite's message (for the err buffers of store_backup) and maps an extended result
 * code to the errno the header promises. */
static int storage_failure(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_CANTOPEN:
    case SQLITE_NOMEM:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_PROTOCOL:
        return 1;
    }
    return 0;
}

static int fail(struct store *s, int rc)
{
    snprintf(s->last_err, sizeof s->last_err, "%s", sqlite3_errmsg(s->db));
    if (s->in_tx && !s->tx_failed && storage_failure(rc)) {
        s->tx_failed = 1;
        snprintf(s->tx_err, sizeof s->tx_err, "%s", s->last_err);
    }
    if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
        return -EEXIST;
    return -EIO;
}

/* Ready the statement for its next use; it keeps no pointers to the caller's strings. */
static void finish(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* In a transaction that storage already refused, nothing more runs: sqlite may have rolled it
 * back by itself, and a statement run now would commit on its own (autocommit), half a step. */
static int doomed(struct store *s, sqlite3_stmt *st)
{
    if (!s->in_tx || !s->tx_failed || st == s->st[ST_ROLLBACK])
        return 0;
    finish(st);
    return 1;
}

/* Step a statement that returns no rows to completion, then finish it. */
static int step_done(struct store *s, sqlite3_stmt *st)
{
    if (doomed(s, st))
        return -EIO;
    int rc = sqlite3_step(st);
    int ret = rc == SQLITE_DONE ? 0 : fail(s, rc);
    finish(st);
    return ret;
}

/* Run a write that must change a row: -ENOENT when it matched none. */
static int step_changed(struct store *s, sqlite3_stmt *st)
{
    int ret = step_done(s, st);
    if (ret == 0 && sqlite3_changes(s->db) == 0)
        ret = -ENOENT;
    return ret;
}

/* 1 with a row ready, 0 when there are no more rows, a negative errno on failure. */
static int step_row(struct store *s, sqlite3_stmt *st)
{
    if (doomed(s, st))
        return -EIO;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    return fail(s, rc);
}

/* Bind helpers: SQLITE_STATIC is enough because every statement is finished (bindings cleared)
 * before the function that bound it returns. A NULL string binds SQL NULL. */
static int bind_text(sqlite3_stmt *st, int i, const char *v)
{
    return sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

static int bind_int(sqlite3_stmt *st, int i, int64_t v)
{
    return sqlite3_bind_int64(st, i, v);
}

/* A binding can only fail on a string over SQLITE_MAX_LENGTH or out of memory. */
static int bind_fail(struct store *s, sqlite3_stmt *st)
{
    int ret = fail(s, sqlite3_errcode(s->db));
    finish(st);
    return ret;
}

/* The column as a string: copied (owned by the caller) or borrowed until the next step. */
static char *col_str(sqlite3_stmt *st, int i, int copy)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    if (!t || !copy)
        return (char *)t;
    return xstrdup(t);
}

/* ---- opening, migrations, transactions ---- */

static int read_user_version(sqlite3 *db, int *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int(st, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

/* 0 if PRAGMA foreign_key_check finds no row, -1 if it finds one or fails. */
static int foreign_keys_hold(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* One migration per transaction, the version read inside it, so two processes opening a new
 * database at once cannot both apply the same step. Foreign keys are off while they run (a
 * rebuilt parent table must not cascade its DROP into the children) and checked before each
 * commit; the caller turns them on again. */
static int migrate_steps(sqlite3 *db, char *err, size_t errlen)
{
    const int latest = (int)ARRAY_LEN(migrations);
    for (;;) {
        int version = 0;
        char set_version[48];
        if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
            goto fail;
        if (read_user_version(db, &version) != SQLITE_OK)
            goto fail;
        if (version >= latest) {
            if (version > latest) {
                set_err(err, errlen, "schema version %d is newer than this panicd knows (%d)",
                        version, latest);
                sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
                return -EIO;
            }
            if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
                goto fail;
            return 0;
        }
        snprintf(set_version, sizeof set_version, "PRAGMA user_version = %d", version + 1);
        if (sqlite3_exec(db, migrations[version], NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_exec(db, set_version, NULL, NULL, NULL) != SQLITE_OK ||
            foreign_keys_hold(db) < 0 ||
            sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
            set_err(err, errlen, "migration %d: %s", version + 1, sqlite3_errmsg(db));
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return -EIO;
        }
    }
fail:
    set_err(err, errlen, "migrating: %s", sqlite3_errmsg(db));
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -EIO;
}

static int migrate(sqlite3 *db, char *err, size_t errlen)
{
    if (sqlite3_exec(db, "PRAGMA foreign_keys = OFF", NULL, NULL, NULL) != SQLITE_OK) {
        set_err(err, errlen, "migrating: %s", sqlite3_errmsg(db));
        return -EIO;
    }
    int ret = migrate_steps(db, err, errlen);
    if (sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK && ret == 0) {
        set_err(err, errlen, "migrating: %s", sqlite3_errmsg(db));
        ret = -EIO;
    }
    return ret;
}

/* Open s->path into s->db, migrate it and prepare every statement. 0, or -EIO with err set
 * (what was opened stays in s for close_db). */
static int open_db(struct store *s, char *err, size_t errlen)
{
    const char *path = s->path;
    int in_memory = !strcmp(path, ":memory:") || !path[0];
    const char *pragmas = s->sync_full ? "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"
                                       : "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;";

    int rc = sqlite3_open_v2(
        path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        set_err(err, errlen, "%s: %s", path, s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        return -EIO;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, 5000);
    /* WAL: readers (the stock sqlite3 tool, a backup) never block the loop's writes. */
    if ((!in_memory &&
         sqlite3_exec(s->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL) != SQLITE_OK) ||
        sqlite3_exec(s->db, pragmas, NULL, NULL, NULL) != SQLITE_OK) {
        set_err(err, errlen, "%s: %s", path, sqlite3_errmsg(s->db));
        return -EIO;
    }
    if (migrate(s->db, err, errlen) < 0)
        return -EIO;
    for (int i = 0; i < ST_COUNT; i++) {
        if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i],
                               NULL) != SQLITE_OK) {
            set_err(err, errlen, "preparing \"%s\": %s", stmt_sql[i], sqlite3_errmsg(s->db));
            return -EIO;
        }
    }
    return 0;
}

/* Finalize the statements and close the connection (an open transaction is rolled back). */
static void close_db(struct store *s)
{
    for (int i = 0; i < ST_COUNT; i++) {
        sqlite3_finalize(s->st[i]);
        s->st[i] = NULL;
    }
    sqlite3_close_v2(s->db);
    s->db = NULL;
    s->in_tx = 0;
    s->tx_failed = 0;
    s->full_on = 0;
}

struct store *store_open(const char *path, int synchronous_full, char *err, size_t errlen)
{
    struct store *s = xcalloc(1, sizeof *s);
    s->path = xstrdup(path);
    s->sync_full = synchronous_full;
    const char *flag = getenv("PANIC_TEST_STORE_FULL");
    if (flag && flag[0])
        s->full_flag = xstrdup(flag);
    if (open_db(s, err, errlen) < 0) {
        store_close(s);
        return NULL;
    }
    return s;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    close_db(s);
    free(s->full_flag);
    free(s->path);
    free(s);
}

/* The test hook: cap the database at its present size while the flag file exists. */
static void apply_full_flag(struct store *s)
{
    int on = access(s->full_flag, F_OK) == 0;
    if (on == s->full_on)
        return;
    sqlite3_stmt *st = NULL;
    int64_t pages = 1073741823;
    if (on && sqlite3_prepare_v2(s->db, "PRAGMA page_count", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        pages = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", (long long)pages);
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK)
        s->full_on = on;
}

int store_begin(struct store *s)
{
    if (s->in_tx)
        return -EBUSY;
    if (s->full_flag)
        apply_full_flag(s);
    s->tx_failed = 0;
    int ret = step_done(s, s->st[ST_BEGIN]);
    if (ret == 0)
        s->in_tx = 1;
    s->tx_changes = sqlite3_total_changes64(s->db);
    return ret;
}

const char *store_last_error(const struct store *s)
{
    return s->tx_failed ? s->tx_err : s->last_err;
}

/* A failed COMMIT (the disk, a lock held past the busy timeout) is rolled back here, so the
 * caller always leaves the transaction whatever the result. */
int store_commit(struct store *s)
{
    if (!s->in_tx)
        return -EINVAL;
    if (s->full_on && !s->tx_failed && sqlite3_total_changes64(s->db) != s->tx_changes) {
        s->tx_failed = 1;
        snprintf(s->tx_err, sizeof s->tx_err, "database or disk is full");
        snprintf(s->last_err, sizeof s->last_err, "%s", s->tx_err);
    }
    /* A write of this transaction was refused: committing the rest would store half a step. */
    int ret = s->tx_failed ? -EIO : step_done(s, s->st[ST_COMMIT]);
    if (ret < 0 && !sqlite3_get_autocommit(s->db))
        step_done(s, s->st[ST_ROLLBACK]);
    s->in_tx = 0;
    return ret;
}

void store_rollback(struct store *s)
{
    if (!s->in_tx)
        return;
    /* sqlite may already have rolled back by itself after an I/O or full-disk error. */
    if (!sqlite3_get_autocommit(s->db))
        step_done(s, s->st[ST_ROLLBACK]);
    s->in_tx = 0;
}

/* Platform keys never leave panicd, not even in a backup: wipe them from the copy at path (and
 * from its free pages, with secure_delete and a VACUUM). 0 or -EIO with err set. */
static int scrub_keys(const char *path, char *err, size_t errlen)
{
    sqlite3 *copy = NULL;
    char *msg = NULL;
    int ret = 0;
    if (sqlite3_open_v2(path, &copy, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(copy, "PRAGMA secure_delete=ON; DELETE FROM platform_keys; VACUUM;", NULL,
                     NULL, &msg) != SQLITE_OK) {
        set_err(err, errlen, "scrubbing keys from %s: %s", path, msg ? msg : "open failed");
        ret = -EIO;
    }
    sqlite3_free(msg);
    sqlite3_close(copy);
    return ret;
}

int store_backup(struct store *s, const char *path, char *err, size_t errlen)
{
    struct stat sb;
    sqlite3_stmt *st = s->st[ST_BACKUP];

    if (s->in_tx) {
        set_err(err, errlen, "cannot back up inside a transaction");
        return -EBUSY;
    }
    if (stat(path, &sb) == 0) {
        set_err(err, errlen, "%s already exists", path);
        return -EEXIST;
    }
    if (errno != ENOENT) {
        int e = errno;
        set_err(err, errlen, "%s: %s", path, strerror(e));
        return -e;
    }
    if (bind_text(st, 1, path) != SQLITE_OK) {
        set_err(err, errlen, "%s: %s", path, sqlite3_errmsg(s->db));
        return bind_fail(s, st);
    }
    int ret = step_done(s, st);
    if (ret < 0) {
        set_err(err, errlen, "VACUUM INTO %s: %s", path, s->last_err);
        return ret;
    }
    ret = scrub_keys(path, err, errlen);
    if (ret < 0)
        unlink(path);
    return ret;
}

/* ---- networks ---- */

void store_network_clear(struct store_network *n)
{
    if (!n)
        return;
    free(n->name);
    free(n->models_json);
    free(n->schedule_json);
    free(n->slug);
    memset(n, 0, sizeof *n);
}

static void network_from_row(sqlite3_stmt *st, struct store_network *out)
{
    out->id = sqlite3_column_int64(st, 0);
    out->name = col_str(st, 1, 1);
    out->models_json = col_str(st, 2, 1);
    out->lockout_s = sqlite3_column_int64(st, 3);
    out->schedule_json = col_str(st, 4, 1);
    out->created_at = sqlite3_column_int64(st, 5);
    out->updated_at = sqlite3_column_int64(st, 6);
    out->slug = col_str(st, 7, 1);
}

int store_network_set_slug(struct store *s, int64_t id, const char *slug)
{
    sqlite3_stmt *st = s->st[ST_NET_SET_SLUG];
    if (bind_int(st, 1, id) || bind_text(st, 2, slug))
        return bind_fail(s, st);
    return step_changed(s, st);
}

int64_t store_network_by_slug(struct store *s, const char *slug)
{
    sqlite3_stmt *st = s->st[ST_NET_BY_SLUG];
    if (bind_text(st, 1, slug))
        return bind_fail(s, st);
    int ret = step_row(s, st);
    int64_t id = ret == 1 ? sqlite3_column_int64(st, 0) : ret == 0 ? -ENOENT : ret;
    finish(st);
    return id;
}

int64_t store_network_insert(struct store *s, const char *name, const char *models_json,
                             int64_t lockout_s, const char *schedule_json, int64_t now)
{
    sqlite3_stmt *st = s->st[ST_NET_INSERT];
    if (bind_text(st, 1, name) || bind_text(st, 2, models_json) || bind_int(st, 3, lockout_s) ||
        bind_text(st, 4, schedule_json) || bind_int(st, 5, now))
        return bind_fail(s, st);
    int ret = step_done(s, st);
    return ret < 0 ? ret : sqlite3_last_insert_rowid(s->db);
}

int store_network_update(struct store *s, int64_t id, const char *name, const char *models_json,
                         int64_t lockout_s, const char *schedule_json, int64_t now)
{
    sqlite3_stmt *st = s->st[ST_NET_UPDATE];
    if (bind_int(st, 1, id) || bind_text(st, 2, name) || bind_text(st, 3, models_json) ||
        bind_int(st, 4, lockout_s) || bind_text(st, 5, schedule_json) || bind_int(st, 6, now))
        return bind_fail(s, st);
    return step_changed(s, st);
}

/* Events carry no foreign key (network 0 means "everyone"), so they are deleted by hand; runs
 * and invocations go with the network by ON DELETE CASCADE. Joins the caller's transaction if
 * one is open. */
int store_network_delete(struct store *s, int64_t id)
{
    int own_tx = !s->in_tx;
    int ret = 0;

    if (own_tx && (ret = store_begin(s)) < 0)
        return ret;
    sqlite3_stmt *st = s->st[ST_NET_DELETE_EVENTS];
    if (bind_int(st, 1, id)) {
        ret = bind_fail(s, st);
        goto cleanup;
    }
    if ((ret = step_done(s, st)) < 0)
        goto cleanup;
    st = s->st[ST_NET_DELETE];
    if (bind_int(st, 1, id)) {
        ret = bind_fail(s, st);
        goto cleanup;
    }
    if ((ret = step_done(s, st)) < 0)
        goto cleanup;
    if (sqlite3_changes(s->db) == 0)
        ret = -ENOENT;

cleanup:
    if (own_tx) {
        if (ret == 0)
            ret = store_commit(s);
        else
            store_rollback(s);
    }
    return ret;
}

int store_network_get(struct store *s, int64_t id, struct store_network *out)
{
    sqlite3_stmt *st = s->st[ST_NET_GET];
    memset(out, 0, sizeof *out);
    if (bind_int(st, 1, id))
        return bind_fail(s, st);
    int ret = step_row(s, st);
    if (ret == 1)
        network_from_row(st, out);
    finish(st);
    return ret == 1 ? 0 : ret == 0 ? -ENOENT : ret;
}

int store_network_list(struct store *s, struct store_network **out, size_t *n)
{
    sqlite3_stmt *st = s->st[ST_NET_LIST];
    struct store_network *list = NULL;
    size_t len = 0, cap = 0;
    int ret;

    *out = NULL;
    *n = 0;
    while ((ret = step_row(s, st)) == 1) {
        if (len == cap) {
            cap = cap ? cap * 2 : 8;
            list = xrealloc(list, cap * sizeof *list);
        }
        network_from_row(st, &list[len++]);
    }
    finish(st);
    if (ret < 0) {
        for (size_t i = 0; i < len; i++)
            store_network_clear(&list[i]);
        free(list);
        return ret;
    }
    *out = list;
    *n = len;
    return 0;
}

/* ---- runs ---- */

void store_run_clear(struct store_run *r)
{
    if (!r)
        return;
    free(r->prompt);
    free(r->state);
    free(r->reason);
    memset(r, 0, sizeof *r);
}

static void run_from_row(sqlite3_stmt *st, struct store_run *out)
{
    out->id = sqlite3_column_int64(st, 0);
    out->network_id = sqlite3_column_int64(st, 1);
    out->prompt = col_str(st, 2, 1);
    out->state = col_str(st, 3, 1);
    out->reason = col_str(st, 4, 1);
    out->created_at = sqlite3_column_int64(st, 5);
    out->ended_at = sqlite3_column_int64(st, 6); /* NULL reads as 0 */
}

/* A single-row SELECT of runs by one integer key. */
static int run_query(struct store *s, enum stmt_id id, int64_t key, struct store_run *out)
{
    sqlite3_stmt *st = s->st[id];
    memset(out, 0, sizeof *out);
    if (bind_int(st, 1, key))
        return bind_fail(s, st);
    int ret = step_row(s, st);
    if (ret == 1)
        run_from_row(st, out);
    finish(st);
    return ret == 1 ? 0 : ret == 0 ? -ENOENT : ret;
}

int64_t store_run_insert(struct store *s, int64_t network_id, const char *prompt, int64_t now)
{
    sqlite3_stmt *st = s->st[ST_RUN_INSERT];
    if (bind_int(st, 1, network_id) || bind_text(st, 2, prompt) || bind_int(st, 3, now))
        return bind_fail(s, st);
    int ret = step_done(s, st);
    return ret < 0 ? ret : sqlite3_last_insert_rowid(s->db);
}

int store_run_end(struct store *s, int64_t run, const char *state, const char *reason, int64_t now)
{
    sqlite3_stmt *st = s->st[ST_RUN_END];
    if (bind_int(st, 1, run) || bind_text(st, 2, state) || bind_text(st, 3, reason) ||
        bind_int(st, 4, now))
        return bind_fail(s, st);
    return step_changed(s, st);
}

int store_run_get(struct store *s, int64_t run, struct store_run *out)
{
    return run_query(s, ST_RUN_GET, run, out);
}

int store_run_latest(struct store *s, int64_t network_id, struct store_run *out)
{
    return run_query(s, ST_RUN_LATEST, network_id, out);
}

/* ---- invocations ---- */

void store_invocation_clear(struct store_invocation *inv)
{
    if (!inv)
        return;
    free(inv->model);
    free(inv->state);
    free(inv->input);
    free(inv->output);
    free(inv->error);
    memset(inv, 0, sizeof *inv);
}

/* Fills *out from the current row, copying the strings (copy) or borrowing them until the next
 * step (store_invocation_each). -EIO for a media type name this build does not know; nothing
 * is allocated in that case. */
static int invocation_from_row(sqlite3_stmt *st, struct store_invocation *out, int copy)
{
    const char *in_type = (const char *)sqlite3_column_text(st, 6);
    const char *out_type = (const char *)sqlite3_column_text(st, 8);

    memset(out, 0, sizeof *out);
    if (!in_type || media_type_parse(in_type, &out->input_type) < 0)
        return -EIO;
    if (out_type && media_type_parse(out_type, &out->output_type) < 0)
        return -EIO;
    out->id = sqlite3_column_int64(st, 0);
    out->network_id = sqlite3_column_int64(st, 1);
    out->run = sqlite3_column_int64(st, 2);
    out->seq = sqlite3_column_int64(st, 3);
    out->model = col_str(st, 4, copy);
    out->state = col_str(st, 5, copy);
    out->input = col_str(st, 7, copy);
    out->output = col_str(st, 9, copy);
    out->has_output = out->output != NULL;
    out->error = col_str(st, 10, copy);
    out->created_at = sqlite3_column_int64(st, 11);
    out->started_at = sqlite3_column_int64(st, 12);
    out->finished_at = sqlite3_column_int64(st, 13);
    out->attempts = sqlite3_column_int64(st, 14);
    return 0;
}

static int invocation_query(struct store *s, enum stmt_id id, int64_t key,
                            struct store_invocation *out)
{
    sqlite3_stmt *st = s->st[id];
    memset(out, 0, sizeof *out);
    if (bind_int(st, 1, key))
        return bind_fail(s, st);
    int ret = step_row(s, st);
    if (ret == 1)
        ret = invocation_from_row(st, out, 1) < 0 ? -EIO : 1;
    finish(st);
    return ret == 1 ? 0 : ret == 0 ? -ENOENT : ret;
}

int64_t store_invocation_insert(struct store *s, int64_t network_id, int64_t run, int64_t seq,
                                const char *model, enum media_type input_type, const char *input,
                                int64_t now)
{
    sqlite3_stmt *st = s->st[ST_INV_INSERT];
    if (bind_int(st, 1, network_id) || bind_int(st, 2, run) || bind_int(st, 3, seq) ||
        bind_text(st, 4, model) || bind_text(st, 5, media_type_name(input_type)) ||
        bind_text(st, 6, input) || bind_int(st, 7, now))
        return bind_fail(s, st);
    int ret = step_done(s, st);
    return ret < 0 ? ret : sqlite3_last_insert_rowid(s->db);
}

int store_invocation_finish(struct store *s, int64_t id, enum media_type output_type,
                            const char *output, const char *error, int64_t now)
{
    sqlite3_stmt *st = s->st[ST_INV_FINISH];
    int ok = output != NULL;
    if (bind_int(st, 1, id) || bind_text(st, 2, ok ? "completed" : "failed") ||
        bind_text(st, 3, ok ? media_type_name(output_type) : NULL) || bind_text(st, 4, output) ||
        bind_text(st, 5, ok ? NULL : error) || bind_int(st, 6, now))
        return bind_fail(s, st);
    return step_changed(s, st);
}

int store_invocation_get(struct store *s, int64_t id, struct store_invocation *out)
{
    return invocation_query(s, ST_INV_GET, id, out);
}

int store_invocation_last(struct store *s, int64_t run, struct store_invocation *out)
{
    return invocation_query(s, ST_INV_LAST, run, out);
}

/* fn gets strings borrowed from sqlite, valid for the call. It may use the store, but not
 * store_invocation_each itself (-EBUSY): there is one prepared statement per query. A negative
 * limit means no limit. */
int store_invocation_each(struct store *s, int64_t run, int64_t after_seq, int64_t limit,
                          store_invocation_fn fn, void *user)
{
    sqlite3_stmt *st = s->st[ST_INV_EACH];
    int count = 0, ret;

    if (sqlite3_stmt_busy(st))
        return -EBUSY;
    if (bind_int(st, 1, run) || bind_int(st, 2, after_seq) || bind_int(st, 3, limit))
        return bind_fail(s, st);
    while ((ret = step_row(s, st)) == 1) {
        struct store_invocation inv;
        if (invocation_from_row(st, &inv, 0) < 0) {
            ret = -EIO;
            break;
        }
        count++;
        if (fn(user, &inv))
            break;
    }
    finish(st);
    return ret < 0 ? ret : count;
}

/* ---- events ---- */

int64_t store_event_append(struct store *s, int64_t network_id, const char *type, const char *data,
                           int64_t now)
{
    sqlite3_stmt *st = s->st[ST_EV_APPEND];
    if (bind_int(st, 1, network_id) || bind_text(st, 2, type) || bind_text(st, 3, data) ||
        bind_int(st, 4, now))
        return bind_fail(s, st);
    int ret = step_done(s, st);
    return ret < 0 ? ret : sqlite3_last_insert_rowid(s->db);
}

/* Same rules for fn as store_invocation_each. */
int store_event_each(struct store *s, int64_t network_id, int64_t after_id, int64_t limit,
                     store_event_fn fn, void *user)
{
    sqlite3_stmt *st = s->st[ST_EV_EACH];
    int count = 0, ret;

    if (sqlite3_stmt_busy(st))
        return -EBUSY;
    if (bind_int(st, 1, network_id) || bind_int(st, 2, after_id) || bind_int(st, 3, limit))
        return bind_fail(s, st);
    while ((ret = step_row(s, st)) == 1) {
        count++;
        if (fn(user, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
               (const char *)sqlite3_column_text(st, 2)))
            break;
    }
    finish(st);
    return ret < 0 ? ret : count;
}

static int64_t single_int(struct store *s, enum stmt_id id)
{
    sqlite3_stmt *st = s->st[id];
    int ret = step_row(s, st);
    int64_t v = ret == 1 ? sqlite3_column_int64(st, 0) : ret; /* min/max of nothing: 0 */
    finish(st);
    return v;
}

int64_t store_event_first_id(struct store *s)
{
    return single_int(s, ST_EV_FIRST);
}

/* The largest retained id (0 if none); ids handed out later are always larger. */
int64_t store_event_last_id(struct store *s)
{
    return single_int(s, ST_EV_LAST);
}

int store_event_prune(struct store *s, int64_t keep)
{
    sqlite3_stmt *st = s->st[ST_EV_PRUNE];
    if (keep < 0)
        return -EINVAL;
    if (bind_int(st, 1, keep))
        return bind_fail(s, st);
    return step_done(s, st);
}

/* ---- displays ---- */

/* The displays and platform_keys tables are both text keyed by text, with a time stamp: one
 * statement reads a value (owned copy in *out; -ENOENT if absent), one writes it. */
static int text_get(struct store *s, enum stmt_id id, const char *key, char **out)
{
    sqlite3_stmt *st = s->st[id];
    *out = NULL;
    if (bind_text(st, 1, key))
        return bind_fail(s, st);
    int ret = step_row(s, st);
    if (ret == 1)
        *out = col_str(st, 0, 1);
    finish(st);
    return ret == 1 ? 0 : ret == 0 ? -ENOENT : ret;
}

static int text_put(struct store *s, enum stmt_id id, const char *key, const char *value,
                    int64_t now)
{
    sqlite3_stmt *st = s->st[id];
    if (bind_text(st, 1, key) || bind_text(st, 2, value) || bind_int(st, 3, now))
        return bind_fail(s, st);
    return step_done(s, st);
}

int store_display_get(struct store *s, const char *name, char **config_json)
{
    return text_get(s, ST_DISPLAY_GET, name, config_json);
}

int store_display_put(struct store *s, const char *name, const char *config_json, int64_t now)
{
    return text_put(s, ST_DISPLAY_PUT, name, config_json, now);
}

int store_display_each(struct store *s, store_display_fn fn, void *user)
{
    sqlite3_stmt *st = s->st[ST_DISPLAY_EACH];
    int count = 0, ret;
    if (sqlite3_stmt_busy(st))
        return -EBUSY;
    while ((ret = step_row(s, st)) == 1) {
        count++;
        if (fn(user, (const char *)sqlite3_column_text(st, 0),
               (const char *)sqlite3_column_text(st, 1)))
            break;
    }
    finish(st);
    return ret < 0 ? ret : count;
}

/* ---- presses ---- */

/* An optional integer: 0 binds SQL NULL. */
static int bind_opt_int(sqlite3_stmt *st, int i, int64_t v)
{
    return v ? sqlite3_bind_int64(st, i, v) : sqlite3_bind_null(st, i);
}

int64_t store_press_insert(struct store *s, const struct store_press *p)
{
    sqlite3_stmt *st = s->st[ST_PRESS_INSERT];
    if (bind_text(st, 1, p->display) || bind_text(st, 2, p->device) ||
        bind_opt_int(st, 3, p->network_id) || bind_int(st, 4, p->is_long ? 1 : 0) ||
        bind_int(st, 5, p->created_at) || bind_text(st, 6, p->result) ||
        bind_opt_int(st, 7, p->run))
        return bind_fail(s, st);
    int ret = step_done(s, st);
    return ret < 0 ? ret : sqlite3_last_insert_rowid(s->db);
}

int store_press_each(struct store *s, int64_t limit, store_press_fn fn, void *user)
{
    sqlite3_stmt *st = s->st[ST_PRESS_EACH];
    int count = 0, ret;

    if (sqlite3_stmt_busy(st))
        return -EBUSY;
    if (bind_int(st, 1, limit))
        return bind_fail(s, st);
    while ((ret = step_row(s, st)) == 1) {
        struct store_press p = {
            .id = sqlite3_column_int64(st, 0),
            .display = col_str(st, 1, 0),
            .device = col_str(st, 2, 0),
            .network_id = sqlite3_column_int64(st, 3),
            .is_long = sqlite3_column_int(st, 4) != 0,
            .created_at = sqlite3_column_int64(st, 5),
            .result = col_str(st, 6, 0),
            .run = sqlite3_column_int64(st, 7),
        };
        count++;
        if (fn(user, &p))
            break;
    }
    finish(st);
    return ret < 0 ? ret : count;
}

int64_t store_press_count(struct store *s)
{
    return single_int(s, ST_PRESS_COUNT);
}

/* ---- platform keys (write-only through the API) ---- */

int store_key_get(struct store *s, const char *platform, char **secret)
{
    return text_get(s, ST_KEY_GET, platform, secret);
}

int store_key_put(struct store *s, const char *platform, const char *secret, int64_t now)
{
    return text_put(s, ST_KEY_PUT, platform, secret, now);
}

int store_key_delete(struct store *s, const char *platform)
{
    sqlite3_stmt *st = s->st[ST_KEY_DELETE];
    if (bind_text(st, 1, platform))
        return bind_fail(s, st);
    return step_changed(s, st);
}

/* ---- cost ---- */

int store_invocation_set_cost(struct store *s, int64_t id, double cost)
{
    sqlite3_stmt *st = s->st[ST_INV_COST];
    if (bind_int(st, 1, id) || sqlite3_bind_double(st, 2, cost) != SQLITE_OK)
        return bind_fail(s, st);
    return step_changed(s, st);
}

int store_cost_since(struct store *s, int64_t network_id, int64_t since, double *sum)
{
    sqlite3_stmt *st = s->st[ST_COST_SINCE];
    *sum = 0;
    if (bind_int(st, 1, network_id) || bind_int(st, 2, since))
        return bind_fail(s, st);
    int ret = step_row(s, st);
    if (ret == 1)
        *sum = sqlite3_column_double(st, 0);
    finish(st);
    return ret < 0 ? ret : 0;
}

int store_cost_run(struct store *s, int64_t run, double *sum)
{
    sqlite3_stmt *st = s->st[ST_COST_RUN];
    *sum = 0;
    if (bind_int(st, 1, run))
        return bind_fail(s, st);
    int ret = step_row(s, st);
    if (ret == 1)
        *sum = sqlite3_column_double(st, 0);
    finish(st);
    return ret < 0 ? ret : 0;
}

/* ---- the media quota ---- */

int store_runs_for_eviction(struct store *s, int64_t limit, int64_t *runs)
{
    sqlite3_stmt *st = s->st[ST_RUN_OLDEST];
    if (bind_int(st, 1, limit))
        return bind_fail(s, st);
    int n = 0, ret;
    while ((ret = step_row(s, st)) == 1 && n < limit)
        runs[n++] = sqlite3_column_int64(st, 0);
    finish(st);
    return ret < 0 ? ret : n;
}

int store_run_media_each(struct store *s, int64_t run, int (*fn)(void *user, const char *name),
                         void *user)
{
    sqlite3_stmt *st = s->st[ST_RUN_MEDIA];
    if (bind_int(st, 1, run))
        return bind_fail(s, st);
    /* Collect first: fn may run other statements (store_media_shared). */
    char **names = NULL;
    size_t n = 0, cap = 0;
    int ret;
    while ((ret = step_row(s, st)) == 1) {
        const unsigned char *v = sqlite3_column_text(st, 0);
        if (!v)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            names = xrealloc(names, cap * sizeof *names);
        }
        names[n++] = xstrdup((const char *)v);
    }
    finish(st);
    for (size_t i = 0; i < n; i++) {
        if (ret >= 0 && fn(user, names[i]))
            ret = -ECANCELED;
        free(names[i]);
    }
    free(names);
    return ret < 0 ? ret : 0;
}

int store_media_shared(struct store *s, const char *name, int64_t run)
{
    sqlite3_stmt *st = s->st[ST_MEDIA_SHARED];
    if (bind_text(st, 1, name) || bind_int(st, 2, run))
        return bind_fail(s, st);
    int ret = step_row(s, st);
    int64_t count = ret == 1 ? sqlite3_column_int64(st, 0) : 0;
    finish(st);
    return ret < 0 ? ret : count > 0;
}

int store_run_mark_evicted(struct store *s, int64_t run)
{
    sqlite3_stmt *st = s->st[ST_RUN_EVICTED];
    if (bind_int(st, 1, run))
        return bind_fail(s, st);
    return step_changed(s, st);
}

int store_schema_version(void)
{
    return (int)(sizeof migrations / sizeof migrations[0]);
}

/* ---- the off-site archive's queue ---- */

int store_upload_add(struct store *s, const char *kind, const char *path, const char *key,
                     const char *sha256, int64_t now)
{
    sqlite3_stmt *st = s->st[ST_UP_ADD];
    if (bind_text(st, 1, kind) || bind_text(st, 2, path) || bind_text(st, 3, key) ||
        bind_text(st, 4, sha256) || bind_int(st, 5, now))
        return bind_fail(s, st);
    return step_done(s, st);
}

int store_upload_next(struct store *s, struct store_upload *out)
{
    sqlite3_stmt *st = s->st[ST_UP_NEXT];
    memset(out, 0, sizeof *out);
    int ret = step_row(s, st);
    if (ret == 1) {
        out->id = sqlite3_column_int64(st, 0);
        snprintf(out->kind, sizeof out->kind, "%s", (const char *)sqlite3_column_text(st, 1));
        out->path = col_str(st, 2, 1);
        out->key = col_str(st, 3, 1);
        snprintf(out->sha256, sizeof out->sha256, "%s", (const char *)sqlite3_column_text(st, 4));
        out->attempts = sqlite3_column_int64(st, 5);
        out->next_at = sqlite3_column_int64(st, 6);
    }
    finish(st);
    return ret == 1 ? 0 : ret == 0 ? -ENOENT : ret;
}

void store_upload_clear(struct store_upload *u)
{
    free(u->path);
    free(u->key);
    memset(u, 0, sizeof *u);
}

int store_upload_done(struct store *s, int64_t id)
{
    sqlite3_stmt *st = s->st[ST_UP_DONE];
    if (bind_int(st, 1, id))
        return bind_fail(s, st);
    return step_changed(s, st);
}

int store_upload_failed(struct store *s, int64_t id, int64_t next_at, const char *error)
{
    sqlite3_stmt *st = s->st[ST_UP_FAILED];
    if (bind_int(st, 1, id) || bind_int(st, 2, next_at) || bind_text(st, 3, error))
        return bind_fail(s, st);
    return step_changed(s, st);
}

int64_t store_upload_count(struct store *s)
{
    return single_int(s, ST_UP_COUNT);
}

const char *const *store_migrations(size_t *n)
{
    *n = ARRAY_LEN(migrations);
    return migrations;
}

/* ---- whole database files: backups and restores ---- */

/* fsync a file or directory by name. 0 or -errno. */
static int fsync_path(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = fsync(fd) < 0 ? -errno : 0;
    close(fd);
    return rc;
}

/* Runs on any thread: its own connection, no struct store. WAL lets it read a snapshot while the
 * loop's connection goes on writing. */
int store_backup_file(const char *db_path, const char *dest, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int ret = -EIO;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        set_err(err, errlen, "%s: %s", db_path, db ? sqlite3_errmsg(db) : "cannot open");
        goto out;
    }
    sqlite3_busy_timeout(db, 5000);
    if (sqlite3_prepare_v2(db, "VACUUM INTO ?1", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_text(st, 1, dest, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_DONE) {
        set_err(err, errlen, "VACUUM INTO %s: %s", dest, sqlite3_errmsg(db));
        goto out;
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    if (ret == 0)
        ret = scrub_keys(dest, err, errlen);
    if (ret == 0 && (ret = fsync_path(dest)) < 0)
        set_err(err, errlen, "fsync %s: %s", dest, strerror(-ret));
    if (ret < 0)
        unlink(dest);
    return ret;
}

int store_file_schema(const char *path, int *version, char *err, size_t errlen)
{
    unsigned char h[100];
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        set_err(err, errlen, "%s: %s", path, strerror(e));
        return -e;
    }
    struct stat sb;
    ssize_t n = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) ? read(fd, h, sizeof h) : -1;
    close(fd);
    if (n != (ssize_t)sizeof h || memcmp(h, "SQLite format 3", 16) != 0) {
        set_err(err, errlen, "%s is not an SQLite database", path);
        return -EINVAL;
    }
    *version = (int)((uint32_t)h[60] << 24 | (uint32_t)h[61] << 16 | (uint32_t)h[62] << 8 | h[63]);
    return 0;
}

/* The first row of PRAGMA integrity_check into buf ("ok" when the file is sound). */
static int integrity(sqlite3 *db, char *buf, size_t len)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
        rc = SQLITE_OK;
    } else {
        snprintf(buf, len, "%s", sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK && !strcmp(buf, "ok") ? 0 : -1;
}

/* Runs on any thread: its own connection to a copy nobody else has open. */
int store_restore_prepare(const char *path, int *from_version, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    char check[PANIC_ERR_LEN];
    const int latest = (int)ARRAY_LEN(migrations);
    int ret = -EIO;
    *from_version = 0;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        set_err(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
        goto out;
    }
    sqlite3_busy_timeout(db, 5000);
    if (integrity(db, check, sizeof check) < 0) {
        set_err(err, errlen, "the backup fails sqlite's integrity check: %s", check);
        ret = -EINVAL;
        goto out;
    }
    if (read_user_version(db, from_version) != SQLITE_OK || *from_version < 1) {
        set_err(err, errlen, "the file is not a PANIC! database (schema version %d)",
                *from_version);
        ret = -EINVAL;
        goto out;
    }
    if (*from_version > latest) {
        set_err(err, errlen,
                "the backup's schema version %d is newer than this panicd's (%d): restore it "
                "with the panicd that made it, or a newer one",
                *from_version, latest);
        ret = -EPROTO;
        goto out;
    }
    if (migrate(db, err, errlen) < 0 || integrity(db, check, sizeof check) < 0)
        goto out;
    ret = 0;
out:
    if (sqlite3_close(db) != SQLITE_OK && ret == 0) {
        set_err(err, errlen, "closing %s", path);
        ret = -EIO;
    }
    if (ret == 0 && (ret = fsync_path(path)) < 0)
        set_err(err, errlen, "fsync %s: %s", path, strerror(-ret));
    return ret;
}

/* In the restored file (attached as r): the platform keys of the live database (a backup has
 * none), and every id counter at least where the live one is, so no id handed out before the
 * restore (a network, a run, an event a display has seen) is handed out again. */
static const char carry_over_sql[] =
    "BEGIN IMMEDIATE;"
    "INSERT OR REPLACE INTO r.platform_keys SELECT * FROM main.platform_keys;"
    "UPDATE r.sqlite_sequence SET seq = max(seq, (SELECT m.seq FROM main.sqlite_sequence m"
    " WHERE m.name = r.sqlite_sequence.name))"
    " WHERE name IN (SELECT name FROM main.sqlite_sequence);"
    "INSERT INTO r.sqlite_sequence(name, seq) SELECT name, seq FROM main.sqlite_sequence"
    " WHERE name NOT IN (SELECT name FROM r.sqlite_sequence);"
    "COMMIT;";

static int carry_over(struct store *s, const char *new_file, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    char *msg = NULL;
    int ok = sqlite3_prepare_v2(s->db, "ATTACH ?1 AS r", -1, &st, NULL) == SQLITE_OK &&
             sqlite3_bind_text(st, 1, new_file, -1, SQLITE_STATIC) == SQLITE_OK &&
             sqlite3_step(st) == SQLITE_DONE;
    sqlite3_finalize(st);
    if (ok && sqlite3_exec(s->db, carry_over_sql, NULL, NULL, &msg) != SQLITE_OK) {
        ok = 0;
        if (!sqlite3_get_autocommit(s->db))
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    }
    if (!ok)
        set_err(err, errlen, "carrying keys and ids over: %s", msg ? msg : sqlite3_errmsg(s->db));
    sqlite3_free(msg);
    sqlite3_exec(s->db, "DETACH r", NULL, NULL, NULL);
    return ok ? 0 : -EIO;
}

/* The directory part of path into buf ("." when there is none). */
static void dir_of(const char *path, char *buf, size_t len)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(buf, len, ".");
    else
        snprintf(buf, len, "%.*s", (int)(slash == path ? 1 : slash - path), path);
}

int store_swap(struct store *s, const char *new_file, const char *old_copy, char *err,
               size_t errlen)
{
    char dir[4096], side[4200];
    if (s->in_tx)
        return set_err(err, errlen, "a transaction is open"), -EBUSY;
    if (!strcmp(s->path, ":memory:") || !s->path[0])
        return set_err(err, errlen, "an in-memory database cannot be swapped"), -EINVAL;
    int ret = carry_over(s, new_file, err, errlen);
    if (ret < 0)
        return ret;
    /* The last connection's close checkpoints the WAL into the file and deletes it. */
    close_db(s);
    for (const char *suffix = "-wal"; suffix; suffix = strcmp(suffix, "-wal") ? NULL : "-shm") {
        snprintf(side, sizeof side, "%s%s", s->path, suffix);
        unlink(side);
    }
    if (old_copy) {
        unlink(old_copy);
        if (link(s->path, old_copy) < 0)
            old_copy = NULL;
    }
    dir_of(s->path, dir, sizeof dir);
    if (rename(new_file, s->path) < 0) {
        set_err(err, errlen, "rename %s: %s", new_file, strerror(errno));
        ret = -EIO;
    } else {
        fsync_path(dir);
    }
    if (ret == 0 && open_db(s, err, errlen) == 0)
        return 0;
    /* The swapped-in file would not open: put the old one back. */
    close_db(s);
    if (old_copy && rename(old_copy, s->path) == 0)
        fsync_path(dir);
    char again[PANIC_ERR_LEN];
    if (open_db(s, again, sizeof again) < 0)
        close_db(s);
    return -EIO;
}
