/* backup.h: the nightly backups (STATE_DIR/backups/panic-YYYYMMDDTHHMMSSZ.sqlite, the newest
 * backup_keep kept) and restoring one. The slow parts (VACUUM INTO, copying, integrity_check,
 * migrating) run on a worker thread with its own sqlite connection; the loop only swaps the file
 * in, between stopping and starting the runners. */
#ifndef PANIC_BACKUP_H
#define PANIC_BACKUP_H

#include "common/ev.h"
#include "coordinator/coord/coord.h"

#include <stdint.h>

struct backups;

/* A backup was written (path, its file name and the SHA-256 of its bytes): for the off-site
 * archive. */
typedef void (*backup_made_fn)(void *user, const char *path, const char *name, const char *sha256);
/* A restore swapped the database: for the API, which drops its event streams. */
typedef void (*backup_restored_fn)(void *user);

/* Everything borrowed must outlive the backups. Arms the next backup backup_interval_seconds
 * after the newest in STATE_DIR/backups (at once if that is past), or, when there is none, after
 * the interval but at most an hour. backup_interval_seconds 0: no automatic backups. Owned;
 * backups_free (waits for a job on the worker to end). */
struct backups *backups_new(struct ev *ev, struct coord *coord, struct store *store,
                            const struct panicd_config *cfg);
void backups_free(struct backups *b);
void backups_on_made(struct backups *b, backup_made_fn fn, void *user);
void backups_on_restored(struct backups *b, backup_restored_fn fn, void *user);

/* Start a backup now. 0, or -EBUSY while a backup or restore is under way. */
int backups_start(struct backups *b);
/* The file name of the backup started last ("" before any). Borrowed. */
const char *backups_current_name(const struct backups *b);

/* Restore the database from file (a path panicd can read): copied, checked and migrated on the
 * worker, then swapped in on the loop with the runners stopped and started again. 0 when it
 * started (follow it with backups_restore_status), -EBUSY while a backup or restore is under
 * way. */
int backups_restore(struct backups *b, const char *file);

enum restore_state { RESTORE_NONE, RESTORE_RUNNING, RESTORE_DONE, RESTORE_FAILED };

struct restore_status {
    enum restore_state state;
    const char *file;                /* borrowed; "" when none */
    int from_version;                /* the backup's schema version (0 until read) */
    int to_version;                  /* this build's */
    const char *error;               /* borrowed; "" unless failed */
    int64_t started_at, finished_at; /* wall ms; 0 while not */
};
void backups_restore_status(const struct backups *b, struct restore_status *out);
const char *restore_state_name(enum restore_state s);

#endif
