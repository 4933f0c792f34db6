/* store.h: panicd's state in sqlite3 (WAL, migrations keyed on PRAGMA user_version, prepared
 * statements made once in store_open). Times are wall-clock milliseconds since the epoch.
 * Only the loop thread touches a store. Functions return 0 / an id > 0, or a negative errno
 * (-ENOENT when a row does not exist, -EEXIST on a uniqueness clash, -EIO otherwise). */
#ifndef PANIC_STORE_H
#define PANIC_STORE_H

#include "coordinator/core/catalog.h"

#include <stddef.h>
#include <stdint.h>

struct store;

/* Open (creating and migrating) the database at path (":memory:" for tests). synchronous_full
 * selects PRAGMA synchronous=FULL (every commit fsyncs the WAL) instead of NORMAL. Owned;
 * store_close. NULL with a reason in err on failure. */
struct store *store_open(const char *path, int synchronous_full, char *err, size_t errlen);
void store_close(struct store *s);

/* Transactions do not nest: store_begin inside an open transaction returns -EBUSY. */
int store_begin(struct store *s);
/* -EIO (and the transaction rolled back) if COMMIT fails or a write inside the transaction was
 * refused for want of storage (disk full, I/O error, read-only, locked): a step is stored whole
 * or not at all. store_last_error says why. */
int store_commit(struct store *s);
/* sqlite's message for the failure that sank the last transaction, or the latest failure. */
const char *store_last_error(const struct store *s);
void store_rollback(struct store *s);
/* A consistent copy of the whole database in a new file (VACUUM INTO); path must not exist. */
int store_backup(struct store *s, const char *path, char *err, size_t errlen);

/* ---- networks ---- */
struct store_network {
    int64_t id;
    char *name;        /* owned */
    char *models_json; /* owned: JSON array of model ids */
    int64_t lockout_s;
    char *schedule_json; /* owned, NULL for the default schedule */
    int64_t created_at;
    int64_t updated_at;
    char *slug; /* owned; NULL until coord gives the network its short name */
};
void store_network_clear(struct store_network *n); /* frees the strings; NULL-safe */

int64_t store_network_insert(struct store *s, const char *name, const char *models_json,
                             int64_t lockout_s, const char *schedule_json, int64_t now);
/* A network's short name: 0, -ENOENT (no such network) or -EEXIST (another has it). */
int store_network_set_slug(struct store *s, int64_t id, const char *slug);
/* The id of the network with that slug, -ENOENT if none. */
int64_t store_network_by_slug(struct store *s, const char *slug);
int store_network_update(struct store *s, int64_t id, const char *name, const char *models_json,
                         int64_t lockout_s, const char *schedule_json, int64_t now);
/* Deletes the network with its runs, invocations and events. */
int store_network_delete(struct store *s, int64_t id);
int store_network_get(struct store *s, int64_t id, struct store_network *out);
/* All networks by id; *out is an owned array (free each with store_network_clear, then free()). */
int store_network_list(struct store *s, struct store_network **out, size_t *n);

/* ---- runs ---- */
struct store_run {
    int64_t id;
    int64_t network_id;
    char *prompt; /* owned */
    char *state;  /* owned: "running", "stopped", "failed", "superseded" */
    char *reason; /* owned, may be NULL */
    int64_t created_at;
    int64_t ended_at; /* 0 while running */
};
void store_run_clear(struct store_run *r);

int64_t store_run_insert(struct store *s, int64_t network_id, const char *prompt, int64_t now);
int store_run_end(struct store *s, int64_t run, const char *state, const char *reason, int64_t now);
int store_run_get(struct store *s, int64_t run, struct store_run *out);
/* The network's most recent run (any state); -ENOENT if it never ran. */
int store_run_latest(struct store *s, int64_t network_id, struct store_run *out);

/* ---- invocations ---- */
struct store_invocation {
    int64_t id;
    int64_t network_id;
    int64_t run;
    int64_t seq;
    char *model; /* owned */
    char *state; /* owned: "invoking", "completed", "failed" */
    enum media_type input_type;
    char *input; /* owned: text, or "<sha256>.<ext>" media name */
    int has_output;
    enum media_type output_type;
    char *output; /* owned, NULL until completed */
    char *error;  /* owned, NULL unless failed */
    int64_t created_at;
    int64_t started_at;
    int64_t finished_at; /* 0 until finished */
    int64_t attempts;
};
void store_invocation_clear(struct store_invocation *inv);

/* New invocation in state "invoking"; -EEXIST if (network, run, seq) exists. */
int64_t store_invocation_insert(struct store *s, int64_t network_id, int64_t run, int64_t seq,
                                const char *model, enum media_type input_type, const char *input,
                                int64_t now);
/* Mark it completed (output != NULL) or failed (output == NULL, error set). */
int store_invocation_finish(struct store *s, int64_t id, enum media_type output_type,
                            const char *output, const char *error, int64_t now);
int store_invocation_get(struct store *s, int64_t id, struct store_invocation *out);
/* The invocation of the run with the highest seq. */
int store_invocation_last(struct store *s, int64_t run, struct store_invocation *out);
/* Invocations of run with seq > after_seq, in seq order, at most limit; fn returns non-zero to
 * stop early. Returns the number delivered or a negative errno. */
typedef int (*store_invocation_fn)(void *user, const struct store_invocation *inv);
int store_invocation_each(struct store *s, int64_t run, int64_t after_seq, int64_t limit,
                          store_invocation_fn fn, void *user);

/* ---- events: the SSE log, bounded ---- */
/* Append an event for network_id (0: for every network's stream). Returns its id (> 0); ids only
 * ever grow, even after pruning. */
int64_t store_event_append(struct store *s, int64_t network_id, const char *type, const char *data,
                           int64_t now);
/* Events with id > after_id for network_id (and network 0), in id order, at most limit. */
typedef int (*store_event_fn)(void *user, int64_t id, const char *type, const char *data);
int store_event_each(struct store *s, int64_t network_id, int64_t after_id, int64_t limit,
                     store_event_fn fn, void *user);
/* The smallest retained event id (0 if none): a client asking to replay from before it missed
 * events that are gone. */
int64_t store_event_first_id(struct store *s);
int64_t store_event_last_id(struct store *s);
/* Keep the newest `keep` events, delete older ones. */
int store_event_prune(struct store *s, int64_t keep);

/* ---- displays ---- */
/* *config_json is owned by the caller (free()). -ENOENT for a display never configured. */
int store_display_get(struct store *s, const char *name, char **config_json);
int store_display_put(struct store *s, const char *name, const char *config_json, int64_t now);
/* Every configured display in name order; fn returns non-zero to stop. The count, or < 0. */
typedef int (*store_display_fn)(void *user, const char *name, const char *config_json);
int store_display_each(struct store *s, store_display_fn fn, void *user);

/* ---- panic-button presses ---- */
struct store_press {
    int64_t id;
    const char *display; /* the display the button belongs to */
    const char *device;  /* the device whose token pressed, NULL for the admin */
    int64_t network_id;  /* 0 (SQL NULL) when there was no network to act on */
    int is_long;
    int64_t created_at;
    const char *result; /* "started", "lockout", "stopped", "refused", "error" */
    int64_t run;        /* the run started or stopped, 0 (NULL) if none */
};

/* Record a press (p->id is ignored); its id or a negative errno. */
int64_t store_press_insert(struct store *s, const struct store_press *p);
/* The newest presses first, at most limit; strings borrowed for the call; same rules for fn as
 * store_invocation_each. The number delivered or a negative errno. */
typedef int (*store_press_fn)(void *user, const struct store_press *p);
int store_press_each(struct store *s, int64_t limit, store_press_fn fn, void *user);
/* How many presses are recorded (negative errno on failure). */
int64_t store_press_count(struct store *s);

/* ---- platform keys: set through the API, never read back out of panicd ---- */
/* *secret is owned by the caller (free(); wipe it first). -ENOENT if none is stored. */
int store_key_get(struct store *s, const char *platform, char **secret);
int store_key_put(struct store *s, const char *platform, const char *secret, int64_t now);
int store_key_delete(struct store *s, const char *platform);

/* ---- cost ---- */
int store_invocation_set_cost(struct store *s, int64_t id, double cost);
/* Sum of the cost of the network's invocations finished at or after since (wall ms). */
int store_cost_since(struct store *s, int64_t network_id, int64_t since, double *sum);
/* Sum of the cost of one run's invocations so far. */
int store_cost_run(struct store *s, int64_t run, double *sum);

/* ---- the media quota ---- */
/* Up to limit ids of the oldest finished runs that still have their media (never a network's
 * latest run), oldest first, into runs[]. Returns how many or a negative errno. */
int store_runs_for_eviction(struct store *s, int64_t limit, int64_t *runs);
/* Each media name (input or output) of a run; fn returns non-zero to stop. */
int store_run_media_each(struct store *s, int64_t run, int (*fn)(void *user, const char *name),
                         void *user);
/* 1 if a run other than run, not yet evicted, uses media name; 0 if not; negative errno. */
int store_media_shared(struct store *s, const char *name, int64_t run);
int store_run_mark_evicted(struct store *s, int64_t run);

/* ---- the off-site archive's queue (uploads) ---- */
struct store_upload {
    int64_t id;
    char kind[8];    /* "media" or "backup" */
    char *path;      /* owned: the local file */
    char *key;       /* owned: the object's key in the bucket */
    char sha256[65]; /* of the file's bytes, lowercase hex */
    int64_t attempts;
    int64_t next_at; /* wall ms: not before (0: at once) */
};
void store_upload_clear(struct store_upload *u);
/* Queue a file (a key already queued is left as it is). 0 or a negative errno. */
int store_upload_add(struct store *s, const char *kind, const char *path, const char *key,
                     const char *sha256, int64_t now);
/* The row due first (the smallest next_at, then the oldest): 0, -ENOENT if the queue is empty. */
int store_upload_next(struct store *s, struct store_upload *out);
/* Uploaded: the row goes. */
int store_upload_done(struct store *s, int64_t id);
/* Failed: one more attempt counted, not again before next_at. */
int store_upload_failed(struct store *s, int64_t id, int64_t next_at, const char *error);
int64_t store_upload_count(struct store *s);

/* The schema version this build migrates to (PRAGMA user_version). */
int store_schema_version(void);
/* The migrations, in order (*n of them; migration k takes user_version k-1 to k): for tests and
 * benches that build a database as an older panicd left it. Static. */
const char *const *store_migrations(size_t *n);

/* ---- whole database files: backups and restores ---- */
/* These two use their own connection and no struct store, so they may run on a worker thread
 * while the loop goes on with the live store. */
/* A consistent copy of the database at db_path (VACUUM INTO) as dest (must not exist), platform
 * keys scrubbed, fsynced. 0, or a negative errno with err set (and no dest left). */
int store_backup_file(const char *db_path, const char *dest, char *err, size_t errlen);
/* Make a copy of a backup ready to be the live database: PRAGMA integrity_check must say ok, its
 * schema version (into *from_version) must be 1 to store_schema_version() (-EPROTO, with a
 * message that says so, when it is newer; -EINVAL when it is not a PANIC! database or fails the
 * check), then it is migrated to this build's schema and fsynced. */
int store_restore_prepare(const char *path, int *from_version, char *err, size_t errlen);
/* Read only the header of path: 0 with its PRAGMA user_version, -EINVAL if it is not an SQLite
 * database, else -errno. Cheap: for refusing a file at once. */
int store_file_schema(const char *path, int *version, char *err, size_t errlen);
/* On the loop: make new_file (prepared by store_restore_prepare) the live database, atomically
 * (rename over the file; the old one kept as old_copy when not NULL). The live platform keys and
 * id counters are carried over first (no id comes back). s stays valid: every statement is
 * prepared again. On failure the old database stays (or is put back) live. */
int store_swap(struct store *s, const char *new_file, const char *old_copy, char *err,
               size_t errlen);

#endif
