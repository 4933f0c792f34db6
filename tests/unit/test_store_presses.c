/* test_store_presses.c: the store's presses table (button presses and what they did): insert,
 * count, newest-first listing, refused results, and the migration that adds it to a database
 * written before presses existed. In memory and in a temporary directory, inspected with plain
 * sqlite3 calls. */
#include "coordinator/store/store.h"
#include "support.h"
#include "test.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct press_list {
    int n;
    char results[8][16];
    int64_t ids[8], networks[8], runs[8];
    int has_device[8], is_long[8];
};

static int take_press(void *user, const struct store_press *p)
{
    struct press_list *l = user;
    if (l->n < 8) {
        snprintf(l->results[l->n], sizeof l->results[0], "%s", p->result);
        l->ids[l->n] = p->id;
        l->networks[l->n] = p->network_id;
        l->runs[l->n] = p->run;
        l->has_device[l->n] = p->device != NULL;
        l->is_long[l->n] = p->is_long;
    }
    l->n++;
    return 0;
}

TEST(store_presses)
{
    char err[256] = "";
    struct store *s = store_open(":memory:", 0, err, sizeof err);
    REQUIRE(s != NULL);
    CHECK_EQ_INT(store_press_count(s), 0);
    struct store_press p = {.display = "tv1",
                            .device = "tv1",
                            .network_id = 1,
                            .created_at = 1000,
                            .result = "started",
                            .run = 5};
    int64_t id1 = store_press_insert(s, &p);
    CHECK(id1 > 0);
    p.result = "lockout";
    p.run = 0;
    p.created_at = 2000;
    CHECK(store_press_insert(s, &p) > id1);
    struct store_press q = {
        .display = "lobby", .device = NULL, .network_id = 0, .is_long = 1, .result = "refused"};
    CHECK(store_press_insert(s, &q) > id1);
    q.result = "exploded"; /* not one of the results */
    CHECK_EQ_INT(store_press_insert(s, &q), -EIO);
    CHECK_EQ_INT(store_press_count(s), 3);

    struct press_list l = {0};
    CHECK_EQ_INT(store_press_each(s, 10, take_press, &l), 3);
    CHECK_STR_EQ(l.results[0], "refused"); /* newest first */
    CHECK_STR_EQ(l.results[1], "lockout");
    CHECK_STR_EQ(l.results[2], "started");
    CHECK_EQ_INT(l.has_device[0], 0);
    CHECK_EQ_INT(l.networks[0], 0);
    CHECK_EQ_INT(l.is_long[0], 1);
    CHECK_EQ_INT(l.runs[1], 0);
    CHECK_EQ_INT(l.runs[2], 5);
    CHECK_EQ_INT(l.ids[2], id1);
    struct press_list two = {0};
    CHECK_EQ_INT(store_press_each(s, 2, take_press, &two), 2);
    store_close(s);
}

static int exec_sql(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open(path, &db);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

static int user_version(const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int v = -1;
    if (sqlite3_open(path, &db) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

TEST(presses_migration_from_v1)
{
    char dir[64] = "/tmp/panic-test-presses-XXXXXX", path[128], err[256] = "";
    REQUIRE(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/v1.sqlite", dir);
    struct store *s = store_open(path, 0, err, sizeof err);
    REQUIRE(s != NULL);
    int64_t net = store_network_insert(s, "kept", "[\"dummy-t2t\"]", 30, NULL, 1);
    CHECK(net > 0);
    store_close(s);
    CHECK_EQ_INT(user_version(path), store_schema_version());
    /* Make it look like a database written by the panicd before presses existed (undo every
     * migration after the first). */
    CHECK_EQ_INT(exec_sql(path, "DROP TABLE presses; ALTER TABLE runs DROP COLUMN media_evicted; "
                                "DROP INDEX invocations_finished; DROP TABLE uploads; "
                                "PRAGMA user_version = 1;"),
                 SQLITE_OK);
    CHECK_EQ_INT(user_version(path), 1);
    s = store_open(path, 0, err, sizeof err);
    if (!s)
        printf("  reopen: %s\n", err);
    REQUIRE(s != NULL);
    CHECK_EQ_INT(user_version(path), store_schema_version());
    struct store_network n;
    CHECK_EQ_INT(store_network_get(s, net, &n), 0);
    CHECK_STR_EQ(n.name, "kept");
    store_network_clear(&n);
    struct store_press p = {.display = "tv1", .network_id = net, .result = "started", .run = 1};
    CHECK(store_press_insert(s, &p) > 0);
    CHECK_EQ_INT(store_press_count(s), 1);
    store_close(s);
    remove_tree(dir);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    RUN(store_presses);
    RUN(presses_migration_from_v1);
    TEST_END("test_store_presses");
}
