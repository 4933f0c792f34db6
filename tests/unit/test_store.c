/* test_store.c: the sqlite store against ":memory:" and against real files in a temporary
 * directory: migrations, every table's calls, cascades, event pruning, transactions and backup.
 * Files are inspected with plain sqlite3 calls, the way the stock sqlite3 tool would see them. */
#include "coordinator/store/store.h"
#include "support.h"
#include "test.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[64];
static int db_counter;

/* A fresh store: in memory, or a new file under tmpdir (path copied into path_out if given). */
static struct store *open_fresh(int file, char *path_out, size_t path_len)
{
    char path[256] = ":memory:";
    char err[256] = "";
    if (file)
        snprintf(path, sizeof path, "%s/db%d.sqlite", tmpdir, ++db_counter);
    if (path_out)
        snprintf(path_out, path_len, "%s", path);
    struct store *s = store_open(path, file, err, sizeof err);
    if (!s)
        printf("  store_open %s: %s\n", path, err);
    return s;
}

/* The first column of the first row of sql on the file at path, read with a separate
 * connection; text into buf if given. -1 if anything fails. */
static int64_t raw_query(const char *path, const char *sql, char *buf, size_t len)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        goto cleanup;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        goto cleanup;
    if (sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
        if (buf) {
            const unsigned char *t = sqlite3_column_text(st, 0);
            snprintf(buf, len, "%s", t ? (const char *)t : "");
        }
    }
cleanup:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static int64_t add_network(struct store *s, const char *name)
{
    return store_network_insert(s, name, "[\"dummy-t2t\",\"dummy-t2i\"]", 30, NULL, 1000);
}

/* ---- scenarios, each run on ":memory:" and on a file ---- */

static void scenario_networks(struct store *s)
{
    struct store_network n;
    int64_t a = add_network(s, "alpha");
    int64_t b = store_network_insert(s, "beta", "[\"dummy-i2t\"]", 5, "{\"slow\":1}", 2000);
    CHECK(a > 0);
    CHECK(b > a);

    CHECK_EQ_INT(store_network_get(s, a, &n), 0);
    CHECK_EQ_INT(n.id, a);
    CHECK_STR_EQ(n.name, "alpha");
    CHECK_STR_EQ(n.models_json, "[\"dummy-t2t\",\"dummy-t2i\"]");
    CHECK_EQ_INT(n.lockout_s, 30);
    CHECK(n.schedule_json == NULL);
    CHECK_EQ_INT(n.created_at, 1000);
    CHECK_EQ_INT(n.updated_at, 1000);
    store_network_clear(&n);
    store_network_clear(&n); /* cleared twice is harmless */
    store_network_clear(NULL);

    CHECK_EQ_INT(store_network_get(s, b + 100, &n), -ENOENT);
    store_network_clear(&n);

    CHECK_EQ_INT(store_network_update(s, a, "alpha2", "[\"dummy-t2a\"]", 60, "{\"x\":2}", 5000), 0);
    CHECK_EQ_INT(store_network_update(s, b + 100, "x", "[]", 1, NULL, 5000), -ENOENT);

    struct store_network *list = NULL;
    size_t count = 99;
    CHECK_EQ_INT(store_network_list(s, &list, &count), 0);
    CHECK_EQ_INT(count, 2);
    if (count == 2) {
        CHECK_EQ_INT(list[0].id, a);
        CHECK_STR_EQ(list[0].name, "alpha2");
        CHECK_STR_EQ(list[0].models_json, "[\"dummy-t2a\"]");
        CHECK_EQ_INT(list[0].lockout_s, 60);
        CHECK_STR_EQ(list[0].schedule_json, "{\"x\":2}");
        CHECK_EQ_INT(list[0].created_at, 1000);
        CHECK_EQ_INT(list[0].updated_at, 5000);
        CHECK_EQ_INT(list[1].id, b);
        CHECK_STR_EQ(list[1].name, "beta");
        CHECK_STR_EQ(list[1].schedule_json, "{\"slow\":1}");
    }
    for (size_t i = 0; i < count; i++)
        store_network_clear(&list[i]);
    free(list);

    /* Deleting a cascades to its runs, invocations and events; b and network 0 are untouched. */
    int64_t ra = store_run_insert(s, a, "hello", 6000);
    int64_t rb = store_run_insert(s, b, "other", 6000);
    int64_t ia = store_invocation_insert(s, a, ra, 0, "dummy-t2t", MEDIA_TEXT, "hello", 6001);
    int64_t ib = store_invocation_insert(s, b, rb, 0, "dummy-i2t", MEDIA_IMAGE, "x.png", 6001);
    CHECK(ra > 0 && rb > 0 && ia > 0 && ib > 0);
    int64_t ea = store_event_append(s, a, "status", "{}", 6002);
    int64_t eb = store_event_append(s, b, "status", "{}", 6002);
    int64_t e0 = store_event_append(s, 0, "status", "{}", 6002);
    CHECK(ea > 0 && eb > ea && e0 > eb);

    CHECK_EQ_INT(store_network_delete(s, a), 0);
    CHECK_EQ_INT(store_network_get(s, a, &n), -ENOENT);
    store_network_clear(&n);
    struct store_run r;
    CHECK_EQ_INT(store_run_get(s, ra, &r), -ENOENT);
    store_run_clear(&r);
    CHECK_EQ_INT(store_run_get(s, rb, &r), 0);
    store_run_clear(&r);
    struct store_invocation inv;
    CHECK_EQ_INT(store_invocation_get(s, ia, &inv), -ENOENT);
    store_invocation_clear(&inv);
    CHECK_EQ_INT(store_invocation_get(s, ib, &inv), 0);
    store_invocation_clear(&inv);
    CHECK_EQ_INT(store_event_first_id(s), eb);
    CHECK_EQ_INT(store_event_last_id(s), e0);
    CHECK_EQ_INT(store_network_delete(s, a), -ENOENT);

    CHECK_EQ_INT(store_network_list(s, &list, &count), 0);
    CHECK_EQ_INT(count, 1);
    for (size_t i = 0; i < count; i++)
        store_network_clear(&list[i]);
    free(list);
}

static void scenario_runs(struct store *s)
{
    struct store_run r;
    int64_t net = add_network(s, "n");
    CHECK_EQ_INT(store_run_latest(s, net, &r), -ENOENT);
    store_run_clear(&r);

    int64_t r1 = store_run_insert(s, net, "first prompt", 100);
    int64_t r2 = store_run_insert(s, net, "second prompt", 200);
    CHECK(r1 > 0);
    CHECK(r2 > r1);

    CHECK_EQ_INT(store_run_latest(s, net, &r), 0);
    CHECK_EQ_INT(r.id, r2);
    CHECK_EQ_INT(r.network_id, net);
    CHECK_STR_EQ(r.prompt, "second prompt");
    CHECK_STR_EQ(r.state, "running");
    CHECK(r.reason == NULL);
    CHECK_EQ_INT(r.created_at, 200);
    CHECK_EQ_INT(r.ended_at, 0);
    store_run_clear(&r);

    CHECK_EQ_INT(store_run_end(s, r1, "superseded", "a newer run started", 250), 0);
    CHECK_EQ_INT(store_run_end(s, r2, "stopped", NULL, 300), 0);
    CHECK_EQ_INT(store_run_end(s, r2 + 100, "stopped", NULL, 300), -ENOENT);

    CHECK_EQ_INT(store_run_get(s, r1, &r), 0);
    CHECK_STR_EQ(r.state, "superseded");
    CHECK_STR_EQ(r.reason, "a newer run started");
    CHECK_EQ_INT(r.ended_at, 250);
    CHECK_STR_EQ(r.prompt, "first prompt");
    store_run_clear(&r);

    CHECK_EQ_INT(store_run_latest(s, net, &r), 0);
    CHECK_EQ_INT(r.id, r2);
    CHECK_STR_EQ(r.state, "stopped");
    CHECK(r.reason == NULL);
    CHECK_EQ_INT(r.ended_at, 300);
    store_run_clear(&r);
    store_run_clear(NULL);

    CHECK_EQ_INT(store_run_get(s, r2 + 100, &r), -ENOENT);
    store_run_clear(&r);
}

struct collect {
    int64_t seqs[32];
    int n;
    int stop_after; /* 0: never */
    struct store *s;
    int nested_rc;
};

static int collect_inv(void *user, const struct store_invocation *inv)
{
    struct collect *c = user;
    if (c->n < 32)
        c->seqs[c->n] = inv->seq;
    c->n++;
    if (c->s) /* re-entering the same query must be refused, not corrupt the outer one */
        c->nested_rc = store_invocation_each(c->s, inv->run, -1, 10, collect_inv, NULL);
    return c->stop_after && c->n >= c->stop_after;
}

static void scenario_invocations(struct store *s)
{
    struct store_invocation inv;
    int64_t net = add_network(s, "n");
    int64_t run = store_run_insert(s, net, "p", 100);
    int64_t empty_run = store_run_insert(s, net, "q", 100);
    int64_t ids[10];

    CHECK_EQ_INT(store_invocation_last(s, run, &inv), -ENOENT);
    store_invocation_clear(&inv);

    for (int i = 0; i < 10; i++) {
        ids[i] = store_invocation_insert(s, net, run, i, "dummy-t2i", MEDIA_TEXT, "in", 1000 + i);
        CHECK(ids[i] > 0);
    }
    CHECK_EQ_INT(store_invocation_insert(s, net, run, 3, "dummy-t2i", MEDIA_TEXT, "dup", 2000),
                 -EEXIST);

    CHECK_EQ_INT(store_invocation_get(s, ids[2], &inv), 0);
    CHECK_EQ_INT(inv.id, ids[2]);
    CHECK_EQ_INT(inv.network_id, net);
    CHECK_EQ_INT(inv.run, run);
    CHECK_EQ_INT(inv.seq, 2);
    CHECK_STR_EQ(inv.model, "dummy-t2i");
    CHECK_STR_EQ(inv.state, "invoking");
    CHECK_EQ_INT(inv.input_type, MEDIA_TEXT);
    CHECK_STR_EQ(inv.input, "in");
    CHECK_EQ_INT(inv.has_output, 0);
    CHECK(inv.output == NULL);
    CHECK(inv.error == NULL);
    CHECK_EQ_INT(inv.created_at, 1002);
    CHECK_EQ_INT(inv.started_at, 1002);
    CHECK_EQ_INT(inv.finished_at, 0);
    CHECK_EQ_INT(inv.attempts, 1);
    store_invocation_clear(&inv);

    const char *sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.png";
    CHECK_EQ_INT(store_invocation_finish(s, ids[2], MEDIA_IMAGE, sha, NULL, 3000), 0);
    CHECK_EQ_INT(store_invocation_get(s, ids[2], &inv), 0);
    CHECK_STR_EQ(inv.state, "completed");
    CHECK_EQ_INT(inv.has_output, 1);
    CHECK_EQ_INT(inv.output_type, MEDIA_IMAGE);
    CHECK_STR_EQ(inv.output, sha);
    CHECK(inv.error == NULL);
    CHECK_EQ_INT(inv.finished_at, 3000);
    CHECK_EQ_INT(inv.started_at, 1002);
    CHECK_EQ_INT(inv.attempts, 1);
    store_invocation_clear(&inv);

    CHECK_EQ_INT(store_invocation_finish(s, ids[3], MEDIA_TEXT, NULL, "platform timeout", 3100), 0);
    CHECK_EQ_INT(store_invocation_get(s, ids[3], &inv), 0);
    CHECK_STR_EQ(inv.state, "failed");
    CHECK_EQ_INT(inv.has_output, 0);
    CHECK(inv.output == NULL);
    CHECK_STR_EQ(inv.error, "platform timeout");
    CHECK_EQ_INT(inv.finished_at, 3100);
    store_invocation_clear(&inv);
    store_invocation_clear(NULL);

    CHECK_EQ_INT(store_invocation_finish(s, ids[9] + 1000, MEDIA_TEXT, "x", NULL, 1), -ENOENT);
    CHECK_EQ_INT(store_invocation_get(s, ids[9] + 1000, &inv), -ENOENT);
    store_invocation_clear(&inv);

    CHECK_EQ_INT(store_invocation_last(s, run, &inv), 0);
    CHECK_EQ_INT(inv.seq, 9);
    CHECK_EQ_INT(inv.id, ids[9]);
    store_invocation_clear(&inv);

    struct collect c = {0};
    CHECK_EQ_INT(store_invocation_each(s, run, -1, 100, collect_inv, &c), 10);
    CHECK_EQ_INT(c.n, 10);
    for (int i = 0; i < 10 && i < c.n; i++)
        CHECK_EQ_INT(c.seqs[i], i);

    memset(&c, 0, sizeof c);
    CHECK_EQ_INT(store_invocation_each(s, run, 4, 3, collect_inv, &c), 3);
    CHECK_EQ_INT(c.n, 3);
    CHECK_EQ_INT(c.seqs[0], 5);
    CHECK_EQ_INT(c.seqs[1], 6);
    CHECK_EQ_INT(c.seqs[2], 7);

    memset(&c, 0, sizeof c);
    CHECK_EQ_INT(store_invocation_each(s, run, 7, 100, collect_inv, &c), 2);
    CHECK_EQ_INT(c.seqs[0], 8);
    CHECK_EQ_INT(c.seqs[1], 9);

    memset(&c, 0, sizeof c);
    c.stop_after = 2;
    CHECK_EQ_INT(store_invocation_each(s, run, -1, 100, collect_inv, &c), 2);
    CHECK_EQ_INT(c.n, 2);

    memset(&c, 0, sizeof c);
    CHECK_EQ_INT(store_invocation_each(s, run, 9, 100, collect_inv, &c), 0);
    CHECK_EQ_INT(store_invocation_each(s, empty_run, -1, 100, collect_inv, &c), 0);
    CHECK_EQ_INT(c.n, 0);

    memset(&c, 0, sizeof c);
    c.s = s;
    c.stop_after = 3;
    CHECK_EQ_INT(store_invocation_each(s, run, -1, 100, collect_inv, &c), 3);
    CHECK_EQ_INT(c.nested_rc, -EBUSY);
    CHECK_EQ_INT(c.seqs[2], 2);

    /* The same seq in another run is fine. */
    CHECK(store_invocation_insert(s, net, empty_run, 3, "dummy-t2t", MEDIA_AUDIO, "a.wav", 5) > 0);
    CHECK_EQ_INT(store_invocation_last(s, empty_run, &inv), 0);
    CHECK_EQ_INT(inv.input_type, MEDIA_AUDIO);
    store_invocation_clear(&inv);
}

struct ev_collect {
    int64_t ids[64];
    int64_t nets_seen; /* bit mask of the data field's digit */
    int n;
};

static int collect_ev(void *user, int64_t id, const char *type, const char *data)
{
    struct ev_collect *c = user;
    if (c->n < 64)
        c->ids[c->n] = id;
    c->n++;
    if (type && !strcmp(type, "invocation") && data && data[0] >= '0' && data[0] <= '9')
        c->nets_seen |= 1 << (data[0] - '0');
    return 0;
}

static void scenario_events(struct store *s)
{
    int64_t prev = 0, ids[12];
    CHECK_EQ_INT(store_event_first_id(s), 0);
    CHECK_EQ_INT(store_event_last_id(s), 0);

    /* Networks 1, 2 and 0 in turn; data carries the network's digit. */
    for (int i = 0; i < 12; i++) {
        int net = (i % 3 == 2) ? 0 : 1 + i % 3;
        char data[8];
        snprintf(data, sizeof data, "%d", net);
        ids[i] = store_event_append(s, net, "invocation", data, 100 + i);
        CHECK(ids[i] > prev);
        prev = ids[i];
    }
    CHECK_EQ_INT(store_event_first_id(s), ids[0]);
    CHECK_EQ_INT(store_event_last_id(s), ids[11]);

    struct ev_collect c = {0};
    CHECK_EQ_INT(store_event_each(s, 1, 0, 100, collect_ev, &c), 8);
    CHECK_EQ_INT(c.nets_seen, (1 << 0) | (1 << 1));
    for (int i = 1; i < c.n; i++)
        CHECK(c.ids[i] > c.ids[i - 1]);

    memset(&c, 0, sizeof c);
    CHECK_EQ_INT(store_event_each(s, 2, 0, 100, collect_ev, &c), 8);
    CHECK_EQ_INT(c.nets_seen, (1 << 0) | (1 << 2));

    memset(&c, 0, sizeof c);
    CHECK_EQ_INT(store_event_each(s, 1, ids[5], 2, collect_ev, &c), 2);
    CHECK_EQ_INT(c.ids[0], ids[6]);
    CHECK_EQ_INT(c.ids[1], ids[8]);

    memset(&c, 0, sizeof c);
    CHECK_EQ_INT(store_event_each(s, 7, 0, 100, collect_ev, &c), 4); /* only network 0 */
    CHECK_EQ_INT(c.nets_seen, 1 << 0);

    CHECK_EQ_INT(store_event_prune(s, -1), -EINVAL);
    CHECK_EQ_INT(store_event_prune(s, 100), 0);
    CHECK_EQ_INT(store_event_first_id(s), ids[0]);

    CHECK_EQ_INT(store_event_prune(s, 5), 0);
    CHECK_EQ_INT(store_event_first_id(s), ids[7]);
    CHECK_EQ_INT(store_event_last_id(s), ids[11]);
    memset(&c, 0, sizeof c);
    CHECK_EQ_INT(store_event_each(s, 1, 0, 100, collect_ev, &c), 3); /* i = 8, 9, 11 */
    CHECK_EQ_INT(c.ids[0], ids[8]);
    memset(&c, 0, sizeof c);
    CHECK_EQ_INT(store_event_each(s, 2, 0, 100, collect_ev, &c), 4); /* i = 7, 8, 10, 11 */
    CHECK_EQ_INT(c.ids[0], ids[7]);

    int64_t next = store_event_append(s, 1, "status", "{}", 200);
    CHECK(next > ids[11]);
    CHECK_EQ_INT(store_event_prune(s, 0), 0);
    CHECK_EQ_INT(store_event_first_id(s), 0);
    CHECK_EQ_INT(store_event_last_id(s), 0);
    memset(&c, 0, sizeof c);
    CHECK_EQ_INT(store_event_each(s, 1, 0, 100, collect_ev, &c), 0);
    /* Ids never go back, even with the table empty. */
    int64_t after = store_event_append(s, 2, "status", "{}", 300);
    CHECK(after > next);
    CHECK_EQ_INT(store_event_first_id(s), after);
    CHECK_EQ_INT(store_event_last_id(s), after);
}

static void scenario_displays(struct store *s)
{
    char dummy[] = "untouched", *cfg = dummy;
    CHECK_EQ_INT(store_display_get(s, "lobby", &cfg), -ENOENT);
    CHECK(cfg == NULL);
    CHECK_EQ_INT(store_display_put(s, "lobby", "{\"mode\":\"grid\",\"rows\":2}", 10), 0);
    CHECK_EQ_INT(store_display_put(s, "hall", "{\"mode\":\"single\"}", 10), 0);
    CHECK_EQ_INT(store_display_get(s, "lobby", &cfg), 0);
    CHECK_STR_EQ(cfg, "{\"mode\":\"grid\",\"rows\":2}");
    free(cfg);
    CHECK_EQ_INT(store_display_put(s, "lobby", "{\"mode\":\"info\"}", 20), 0);
    CHECK_EQ_INT(store_display_get(s, "lobby", &cfg), 0);
    CHECK_STR_EQ(cfg, "{\"mode\":\"info\"}");
    free(cfg);
    CHECK_EQ_INT(store_display_get(s, "hall", &cfg), 0);
    CHECK_STR_EQ(cfg, "{\"mode\":\"single\"}");
    free(cfg);
}

static void scenario_transactions(struct store *s)
{
    struct store_network n;

    CHECK_EQ_INT(store_commit(s), -EINVAL);
    store_rollback(s); /* nothing open: a no-op */

    CHECK_EQ_INT(store_begin(s), 0);
    CHECK_EQ_INT(store_begin(s), -EBUSY);
    int64_t kept = add_network(s, "kept");
    int64_t run = store_run_insert(s, kept, "p", 1);
    CHECK(store_invocation_insert(s, kept, run, 0, "dummy-t2t", MEDIA_TEXT, "p", 1) > 0);
    CHECK_EQ_INT(store_commit(s), 0);
    CHECK_EQ_INT(store_network_get(s, kept, &n), 0);
    store_network_clear(&n);

    CHECK_EQ_INT(store_begin(s), 0);
    int64_t gone = add_network(s, "gone");
    CHECK(gone > 0);
    CHECK_EQ_INT(store_network_get(s, gone, &n), 0); /* visible inside the transaction */
    store_network_clear(&n);
    store_rollback(s);
    CHECK_EQ_INT(store_network_get(s, gone, &n), -ENOENT);
    store_network_clear(&n);

    /* network_delete joins an open transaction instead of committing it. */
    CHECK_EQ_INT(store_begin(s), 0);
    CHECK_EQ_INT(store_network_delete(s, kept), 0);
    CHECK_EQ_INT(store_network_get(s, kept, &n), -ENOENT);
    store_network_clear(&n);
    store_rollback(s);
    CHECK_EQ_INT(store_network_get(s, kept, &n), 0);
    store_network_clear(&n);
    struct store_invocation inv;
    CHECK_EQ_INT(store_invocation_last(s, run, &inv), 0);
    store_invocation_clear(&inv);

    /* A failed statement inside a transaction leaves it open and usable. */
    CHECK_EQ_INT(store_begin(s), 0);
    CHECK_EQ_INT(store_invocation_insert(s, kept, run, 0, "dummy-t2t", MEDIA_TEXT, "p", 1),
                 -EEXIST);
    CHECK(store_invocation_insert(s, kept, run, 1, "dummy-t2t", MEDIA_TEXT, "p", 1) > 0);
    CHECK_EQ_INT(store_commit(s), 0);
    CHECK_EQ_INT(store_invocation_last(s, run, &inv), 0);
    CHECK_EQ_INT(inv.seq, 1);
    store_invocation_clear(&inv);
}

typedef void (*scenario_fn)(struct store *s);

static void run_scenario(scenario_fn fn, int file)
{
    struct store *s = open_fresh(file, NULL, 0);
    CHECK(s != NULL);
    if (!s)
        return;
    fn(s);
    store_close(s);
}

#define BOTH(name)                                                                                 \
    TEST(name##_memory)                                                                            \
    {                                                                                              \
        run_scenario(scenario_##name, 0);                                                          \
    }                                                                                              \
    TEST(name##_file)                                                                              \
    {                                                                                              \
        run_scenario(scenario_##name, 1);                                                          \
    }

BOTH(networks)
BOTH(runs)
BOTH(invocations)
BOTH(events)
BOTH(displays)
BOTH(transactions)

/* ---- file-only behaviour ---- */

TEST(migrate_and_reopen)
{
    char path[256], buf[64] = "";
    struct store *s = open_fresh(1, path, sizeof path);
    CHECK(s != NULL);
    if (!s)
        return;
    int64_t net = add_network(s, "persisted");
    int64_t run = store_run_insert(s, net, "p", 1);
    CHECK(store_invocation_insert(s, net, run, 0, "dummy-t2t", MEDIA_TEXT, "p", 1) > 0);
    CHECK(store_event_append(s, net, "status", "{}", 1) > 0);
    CHECK_EQ_INT(store_display_put(s, "lobby", "{}", 1), 0);

    /* Another connection sees the schema, WAL and the committed rows while the store is open. */
    CHECK_EQ_INT(raw_query(path, "PRAGMA user_version", NULL, 0), store_schema_version());
    raw_query(path, "PRAGMA journal_mode", buf, sizeof buf);
    CHECK_STR_EQ(buf, "wal");
    CHECK_EQ_INT(raw_query(path, "SELECT count(*) FROM networks", NULL, 0), 1);
    CHECK_EQ_INT(raw_query(path,
                           "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN "
                           "('networks','runs','invocations','events','displays','platform_keys')",
                           NULL, 0),
                 6);
    store_close(s);

    /* Reopening must not run the migrations again (CREATE TABLE would fail) and keeps the data. */
    char err[256] = "";
    s = store_open(path, 0, err, sizeof err);
    CHECK(s != NULL);
    if (!s) {
        printf("  reopen: %s\n", err);
        return;
    }
    CHECK_EQ_INT(raw_query(path, "PRAGMA user_version", NULL, 0), store_schema_version());
    struct store_network n;
    CHECK_EQ_INT(store_network_get(s, net, &n), 0);
    CHECK_STR_EQ(n.name, "persisted");
    store_network_clear(&n);
    struct store_invocation inv;
    CHECK_EQ_INT(store_invocation_last(s, run, &inv), 0);
    CHECK_STR_EQ(inv.model, "dummy-t2t");
    store_invocation_clear(&inv);
    char *cfg = NULL;
    CHECK_EQ_INT(store_display_get(s, "lobby", &cfg), 0);
    free(cfg);
    CHECK_EQ_INT(store_event_last_id(s), 1);
    store_close(s);
}

/* The schema as panicd left it at user_version 4 (before ids were AUTOINCREMENT), for the
 * migration test: what a released panicd has on its SD card. */
static const char schema_v4[] =
    "CREATE TABLE networks(id INTEGER PRIMARY KEY, name TEXT NOT NULL, models TEXT NOT NULL,"
    " lockout_seconds INTEGER NOT NULL DEFAULT 30, schedule TEXT, created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL);"
    "CREATE TABLE runs(id INTEGER PRIMARY KEY,"
    " network_id INTEGER NOT NULL REFERENCES networks(id) ON DELETE CASCADE,"
    " prompt TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'running', reason TEXT,"
    " created_at INTEGER NOT NULL, ended_at INTEGER);"
    "CREATE INDEX runs_network ON runs(network_id, id);"
    "CREATE TABLE invocations(id INTEGER PRIMARY KEY,"
    " network_id INTEGER NOT NULL REFERENCES networks(id) ON DELETE CASCADE,"
    " run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, seq INTEGER NOT NULL,"
    " model TEXT NOT NULL,"
    " state TEXT NOT NULL CHECK(state IN ('ready','invoking','completed','failed')),"
    " input_type TEXT NOT NULL, input TEXT NOT NULL, output_type TEXT, output TEXT, error TEXT,"
    " created_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER,"
    " attempts INTEGER NOT NULL DEFAULT 1, platform_job TEXT, cost REAL,"
    " UNIQUE(network_id, run, seq));"
    "CREATE INDEX invocations_run ON invocations(run, seq);"
    "CREATE TABLE events(id INTEGER PRIMARY KEY AUTOINCREMENT, network_id INTEGER NOT NULL,"
    " type TEXT NOT NULL, data TEXT NOT NULL, created_at INTEGER NOT NULL);"
    "CREATE INDEX events_network ON events(network_id, id);"
    "CREATE TABLE displays(name TEXT PRIMARY KEY, config TEXT NOT NULL,"
    " updated_at INTEGER NOT NULL);"
    "CREATE TABLE platform_keys(platform TEXT PRIMARY KEY, secret TEXT NOT NULL,"
    " updated_at INTEGER NOT NULL);"
    "CREATE TABLE presses(id INTEGER PRIMARY KEY, display TEXT NOT NULL, device TEXT,"
    " network_id INTEGER, long INTEGER NOT NULL, created_at INTEGER NOT NULL,"
    " result TEXT NOT NULL CHECK(result IN ('started','lockout','stopped','refused','error')),"
    " run INTEGER);"
    "ALTER TABLE runs ADD COLUMN media_evicted INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX invocations_finished ON invocations(network_id, finished_at);"
    /* networks 1..3 (4 was deleted, a press still names it), runs 1..3, invocations 1..4 */
    "INSERT INTO networks VALUES(1,'one','[]',30,NULL,1,1),(2,'two','[]',30,NULL,1,1),"
    " (3,'three','[]',30,NULL,1,1);"
    "INSERT INTO runs(id, network_id, prompt, state, created_at) VALUES(1,1,'a','stopped',1),"
    " (2,3,'b','stopped',1),(3,3,'c','running',1);"
    "INSERT INTO invocations(id, network_id, run, seq, model, state, input_type, input,"
    " created_at) VALUES(1,1,1,0,'dummy-t2t','completed','text','a',1),"
    " (2,3,2,0,'dummy-t2t','completed','text','b',1),"
    " (3,3,3,0,'dummy-t2t','completed','text','c',1),"
    " (4,3,3,1,'dummy-t2t','ready','text','c',1);"
    "INSERT INTO presses VALUES(1,'tv1',NULL,4,0,1,'started',2),(2,'tv1',NULL,3,0,1,'started',3);"
    "PRAGMA user_version = 4;";

/* Issue 10 (2): ids never come back. A database at user_version 4 with rows is migrated: the rows,
 * the foreign keys (with their cascades) and the indexes survive, and after the highest network
 * is deleted the next one gets a new id; runs and invocations too. */
TEST(ids_never_reused_after_migration)
{
    char path[256], err[256] = "";
    snprintf(path, sizeof path, "%s/v4-%d.sqlite", tmpdir, ++db_counter);
    sqlite3 *db = NULL;
    REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
    int rc = sqlite3_exec(db, schema_v4, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        printf("  schema v4: %s\n", sqlite3_errmsg(db));
    sqlite3_close(db);
    REQUIRE(rc == SQLITE_OK);

    struct store *s = store_open(path, 0, err, sizeof err);
    if (!s)
        printf("  store_open: %s\n", err);
    REQUIRE(s != NULL);
    CHECK_EQ_INT(raw_query(path, "PRAGMA user_version", NULL, 0), store_schema_version());
    CHECK_EQ_INT(raw_query(path, "SELECT count(*) FROM networks", NULL, 0), 3);
    CHECK_EQ_INT(raw_query(path, "SELECT count(*) FROM runs", NULL, 0), 3);
    CHECK_EQ_INT(raw_query(path, "SELECT count(*) FROM invocations", NULL, 0), 4);
    CHECK_EQ_INT(raw_query(path, "SELECT count(*) FROM presses", NULL, 0), 2);
    CHECK_EQ_INT(raw_query(path,
                           "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name IN "
                           "('runs_network','invocations_run','invocations_finished')",
                           NULL, 0),
                 3);
    CHECK_EQ_INT(
        raw_query(path, "SELECT count(*) FROM sqlite_schema WHERE name LIKE '%_new'", NULL, 0), 0);
    CHECK_EQ_INT(
        raw_query(path, "SELECT count(*) FROM pragma_foreign_key_list('invocations')", NULL, 0), 2);
    struct store_run r;
    CHECK_EQ_INT(store_run_get(s, 3, &r), 0);
    CHECK_EQ_INT(r.network_id, 3);
    store_run_clear(&r);

    /* Delete the highest network: its runs and invocations go with it (the cascade survived). */
    CHECK_EQ_INT(store_network_delete(s, 3), 0);
    CHECK_EQ_INT(raw_query(path, "SELECT count(*) FROM runs", NULL, 0), 1);
    CHECK_EQ_INT(raw_query(path, "SELECT count(*) FROM invocations", NULL, 0), 1);

    /* Neither 3 (deleted now) nor 4 (deleted before the migration, still named by a press). */
    int64_t net = add_network(s, "newcomer");
    CHECK_EQ_INT(net, 5);
    int64_t run = store_run_insert(s, net, "p", 2);
    CHECK_EQ_INT(run, 4);
    CHECK_EQ_INT(store_invocation_insert(s, net, run, 0, "dummy-t2t", MEDIA_TEXT, "p", 2), 5);
    struct store_press p = {.display = "tv1", .network_id = net, .result = "started", .run = run};
    CHECK_EQ_INT(store_press_insert(s, &p), 3);
    store_close(s);
}

/* The same on a database made new: delete the newest of everything, and nothing comes back. */
TEST(ids_never_reused_fresh)
{
    struct store *s = open_fresh(1, NULL, 0);
    REQUIRE(s != NULL);
    int64_t a = add_network(s, "a");
    int64_t b = add_network(s, "b");
    int64_t run = store_run_insert(s, b, "p", 1);
    int64_t inv = store_invocation_insert(s, b, run, 0, "dummy-t2t", MEDIA_TEXT, "p", 1);
    CHECK(run > 0 && inv > 0);
    CHECK_EQ_INT(store_network_delete(s, b), 0);
    int64_t c = add_network(s, "c");
    CHECK(c > b);
    int64_t run2 = store_run_insert(s, c, "p", 1);
    CHECK(run2 > run);
    CHECK(store_invocation_insert(s, c, run2, 0, "dummy-t2t", MEDIA_TEXT, "p", 1) > inv);
    CHECK(a < b);
    store_close(s);
}

/* A write refused for want of storage sinks its whole transaction: what the transaction wrote
 * before the refusal is rolled back with it, and the next transaction works once there is room.
 * The database is kept from growing by the PANIC_TEST_STORE_FULL hook. */
TEST(refused_write_sinks_the_transaction)
{
    char path[256], flag[300], err[256] = "";
    snprintf(path, sizeof path, "%s/full-%d.sqlite", tmpdir, ++db_counter);
    snprintf(flag, sizeof flag, "%s/full-flag", tmpdir);
    setenv("PANIC_TEST_STORE_FULL", flag, 1);
    struct store *s = store_open(path, 0, err, sizeof err);
    unsetenv("PANIC_TEST_STORE_FULL");
    REQUIRE(s != NULL);
    int64_t net = add_network(s, "n");
    REQUIRE(write_file(flag, "", 0) == 0);

    CHECK_EQ_INT(store_begin(s), 0);
    int64_t run = store_run_insert(s, net, "kept only if all is kept", 1);
    CHECK(run > 0);
    char data[2000];
    memset(data, 'x', sizeof data - 1);
    data[sizeof data - 1] = '\0';
    int refused = 0;
    for (int i = 0; i < 200 && !refused; i++)
        refused = store_event_append(s, net, "status", data, 1) < 0;
    CHECK(refused);
    /* Nothing more of this transaction is written, not even on its own (autocommit). */
    CHECK(store_run_insert(s, net, "after the refusal", 1) < 0);
    CHECK(store_run_end(s, run, "failed", "disk full", 1) < 0);
    CHECK_EQ_INT(raw_query(path, "SELECT count(*) FROM runs", NULL, 0), 0);
    CHECK_EQ_INT(store_commit(s), -EIO);
    CHECK(strstr(store_last_error(s), "full") != NULL);
    CHECK_EQ_INT(raw_query(path, "SELECT count(*) FROM runs", NULL, 0), 0);
    CHECK_EQ_INT(raw_query(path, "SELECT count(*) FROM events", NULL, 0), 0);

    unlink(flag);
    CHECK_EQ_INT(store_begin(s), 0);
    int64_t again = store_run_insert(s, net, "now there is room", 2);
    CHECK_EQ_INT(store_commit(s), 0);
    /* The rolled-back run left no trace, so its number is free again; coord never hands out the
     * ids of a rolled-back step. */
    CHECK_EQ_INT(again, run);
    CHECK_EQ_INT(raw_query(path, "SELECT count(*) FROM runs", NULL, 0), 1);
    store_close(s);
}

TEST(newer_schema_refused)
{
    char path[256], err[256] = "";
    struct store *s = open_fresh(1, path, sizeof path);
    CHECK(s != NULL);
    store_close(s);

    sqlite3 *db = NULL;
    CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    s = store_open(path, 0, err, sizeof err);
    CHECK(s == NULL);
    CHECK(strstr(err, "99") != NULL);
    store_close(s);
}

TEST(open_failure)
{
    char err[256] = "";
    struct store *s = store_open("/nonexistent-dir-for-panic-tests/x.db", 0, err, sizeof err);
    CHECK(s == NULL);
    CHECK(err[0] != '\0');
    store_close(s);
    store_close(NULL);
}

static void check_backup(int file)
{
    char bak[300], err[256] = "";
    struct store *s = open_fresh(file, NULL, 0);
    CHECK(s != NULL);
    if (!s)
        return;
    add_network(s, "one");
    add_network(s, "two");
    snprintf(bak, sizeof bak, "%s/backup-%d.sqlite", tmpdir, ++db_counter);

    CHECK_EQ_INT(store_begin(s), 0);
    CHECK_EQ_INT(store_backup(s, bak, err, sizeof err), -EBUSY);
    store_rollback(s);

    CHECK_EQ_INT(store_backup(s, bak, err, sizeof err), 0);
    CHECK_EQ_INT(raw_query(bak, "SELECT count(*) FROM networks", NULL, 0), 2);
    CHECK_EQ_INT(raw_query(bak, "PRAGMA user_version", NULL, 0), store_schema_version());
    char name[32] = "";
    raw_query(bak, "SELECT name FROM networks ORDER BY id DESC", name, sizeof name);
    CHECK_STR_EQ(name, "two");

    err[0] = '\0';
    CHECK_EQ_INT(store_backup(s, bak, err, sizeof err), -EEXIST);
    CHECK(strstr(err, "exists") != NULL);

    /* The store keeps working after a backup. */
    CHECK(add_network(s, "three") > 0);
    store_close(s);
}

TEST(backup_memory)
{
    check_backup(0);
}

TEST(backup_file)
{
    check_backup(1);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_store.XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }

    RUN(networks_memory);
    RUN(networks_file);
    RUN(runs_memory);
    RUN(runs_file);
    RUN(invocations_memory);
    RUN(invocations_file);
    RUN(events_memory);
    RUN(events_file);
    RUN(displays_memory);
    RUN(displays_file);
    RUN(transactions_memory);
    RUN(transactions_file);
    RUN(migrate_and_reopen);
    RUN(ids_never_reused_after_migration);
    RUN(ids_never_reused_fresh);
    RUN(refused_write_sinks_the_transaction);
    RUN(newer_schema_refused);
    RUN(open_failure);
    RUN(backup_memory);
    RUN(backup_file);

    remove_tree(tmpdir);
    TEST_END("test_store");
}
