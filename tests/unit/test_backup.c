/* test_backup.c: the backup worker and its handoff to the loop (coord/coord_backup.c), in one
 * process with a real store, coordinator and ev loop, so ThreadSanitizer sees both sides
 * (tests/checks/check_tsan.sh runs it): the loop keeps committing events while the worker runs
 * VACUUM INTO on its own connection; the backup it reports is whole, has the SHA-256 it claims,
 * holds no platform key; a restore of it on the same loop puts the networks back as they were
 * and no id handed out since comes back. */
#define _GNU_SOURCE /* memmem */
#include "common/buf.h"
#include "common/ev.h"
#include "common/file.h"
#include "common/lib/crypto.h"
#include "common/util.h"
#include "coordinator/coord/backup.h"
#include "coordinator/coord/coord.h"
#include "coordinator/store/media.h"
#include "coordinator/store/store.h"
#include "test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct made {
    int calls;
    char path[600], sha[CRYPTO_SHA256_HEX_LEN];
};

static void on_made(void *user, const char *path, const char *name, const char *sha256)
{
    (void)name;
    struct made *m = user;
    m->calls++;
    snprintf(m->path, sizeof m->path, "%s", path);
    snprintf(m->sha, sizeof m->sha, "%s", sha256);
}

struct writer {
    struct coord *coord;
    struct ev *ev;
    int written;
    int stop;
};

/* The loop's own work meanwhile: an event committed every millisecond. */
static void on_write(struct ev *ev, uint64_t id, void *data)
{
    (void)id;
    struct writer *w = data;
    if (w->stop)
        return;
    if (coord_emit(w->coord, 0, "note", "{\"n\":1}") > 0)
        w->written++;
    ev_timer_in(ev, 1, on_write, w);
}

TEST(backup_off_the_loop_then_restore)
{
    char dir[] = "/tmp/panic-test-backup-XXXXXX", db[128], err[256] = "";
    REQUIRE(mkdtemp(dir) != NULL);
    snprintf(db, sizeof db, "%s/panic.sqlite", dir);
    struct panicd_config cfg;
    config_init(&cfg);
    REQUIRE(config_set(&cfg, "state_dir", dir, err, sizeof err) == 0);
    REQUIRE(config_set(&cfg, "default_network", "dummy", err, sizeof err) == 0);
    REQUIRE(config_set(&cfg, "backup_interval_seconds", "0", err, sizeof err) == 0);
    struct ev *ev = ev_new();
    struct media_store *media = media_open(dir, err, sizeof err);
    struct store *store = store_open(db, 0, err, sizeof err);
    REQUIRE(media && store);
    struct coord *coord = coord_new(ev, store, media, &cfg);
    REQUIRE(coord_start(coord, err, sizeof err) == 0);
    CHECK_EQ_INT(store_key_put(store, "dummy", "sk-never-in-a-backup", 1), 0);
    struct backups *b = backups_new(ev, coord, store, &cfg);
    struct made m = {0};
    backups_on_made(b, on_made, &m);

    struct writer w = {.coord = coord, .ev = ev};
    ev_timer_in(ev, 0, on_write, &w);
    CHECK_EQ_INT(backups_start(b), 0);
    CHECK_EQ_INT(backups_start(b), -EBUSY); /* one job at a time */
    int64_t t0 = time_mono_ms();
    while (!m.calls && time_mono_ms() - t0 < 20000)
        ev_run_once(ev, 10);
    w.stop = 1;
    REQUIRE(m.calls == 1);
    CHECK(w.written > 0); /* the loop went on while the worker copied */
    struct buf bytes = BUF_INIT;
    REQUIRE(file_read(m.path, SIZE_MAX, 0, &bytes, NULL, 0) == 0);
    char sha[CRYPTO_SHA256_HEX_LEN];
    crypto_sha256_hex(bytes.data, bytes.len, sha);
    CHECK_STR_EQ(sha, m.sha);
    CHECK(!memmem(bytes.data, bytes.len, "sk-never-in-a-backup", 20));
    buf_free(&bytes);

    /* A network made after the backup goes with the restore; ids stay ahead. */
    int64_t later = 0;
    const char *models[] = {"dummy-t2t"};
    CHECK_EQ_INT(
        coord_network_create(coord, "later", NULL, models, 1, 0, NULL, &later, err, sizeof err), 0);
    int64_t last_event = store_event_last_id(store);
    CHECK_EQ_INT(backups_restore(b, m.path), 0);
    struct restore_status st;
    t0 = time_mono_ms();
    do {
        ev_run_once(ev, 10);
        backups_restore_status(b, &st);
    } while (st.state == RESTORE_RUNNING && time_mono_ms() - t0 < 20000);
    CHECK_EQ_INT(st.state, RESTORE_DONE);
    struct store_network n;
    CHECK_EQ_INT(store_network_get(store, later, &n), -ENOENT);
    CHECK(coord_first_network(coord) > 0);
    CHECK(coord_emit(coord, 0, "note", "{}") > last_event);
    char *key = NULL;
    CHECK_EQ_INT(store_key_get(store, "dummy", &key), 0); /* the live key is kept */
    free(key);

    backups_free(b);
    coord_free(coord);
    store_close(store);
    media_close(media);
    ev_free(ev);
    config_free(&cfg);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK_EQ_INT(system(cmd), 0);
}

int main(void)
{
    RUN(backup_off_the_loop_then_restore);
    TEST_END("test_backup");
}
