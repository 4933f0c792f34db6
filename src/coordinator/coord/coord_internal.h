/* coord_internal.h: what the coordinator's own files (coord.c, coord_keys.c, coord_seed.c,
 * coord_quota.c) share: the coordinator's state and its transaction brackets. Nothing outside
 * src/coordinator/coord includes this; everyone else has coord.h. */
#ifndef PANIC_COORD_INTERNAL_H
#define PANIC_COORD_INTERNAL_H

#include "coord.h"
#include "coordinator/platforms/platform.h"

#include <stddef.h>
#include <stdint.h>

struct net;
struct pending_event;

struct coord {
    struct ev *ev;
    struct store *store;
    struct media_store *media;
    const struct panicd_config *cfg;
    struct platform_env env;
    struct {
        char name[32];
        struct platform p;
    } platforms[COORD_MAX_PLATFORMS];
    size_t nplatforms;
    char keybuf[1024]; /* the last key handed to a platform (see coord_key_lookup) */
    char last_error[512];
    struct net **nets;
    size_t nnets;
    coord_sink_fn sink;
    void *sink_user;
    int depth;
    /* A step could not be stored: every network waits in storage_error with this reason while
     * storage_timer retries, after storage_backoff_ms (doubling, one log line per step). */
    char storage_err[320];
    int64_t storage_backoff_ms;
    uint64_t storage_timer;
    struct vestaboards *boards; /* the Vestaboards (vestaboard.c sets it), NULL: none */
    struct pending_event *pending;
    size_t npending, cappending;
    int64_t appended;
};

/* One step of the loop is one sqlite transaction; they nest, and the events the outermost one
 * wrote reach the sink after its COMMIT (coord.c). If the outermost cannot be stored, it is
 * rolled back, the networks are put in storage_error (their runners rewound to what the store
 * holds once writes succeed again) and coord_txn_end returns -EIO; else 0. */
void coord_txn_begin(struct coord *c);
int coord_txn_end(struct coord *c);

/* A platform's key, the platform_env.key callback (owner: the coord). Borrowed from c->keybuf
 * until the next call, NULL if none is set anywhere (coord_keys.c). */
const char *coord_key_lookup(void *owner, const char *platform);

/* The default network of a new installation, for an empty store (coord_seed.c). */
int coord_seed_network(struct coord *c, char *err, size_t errlen);

#endif
