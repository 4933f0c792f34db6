/* coord.h: the coordinator core: one runner per network, wired to the store, the media archive,
 * the platforms and the event log. Every state change happens in one sqlite transaction, and
 * its events reach the sink (the SSE fan-out) only after that transaction committed. */
#ifndef PANIC_COORD_H
#define PANIC_COORD_H

#include "common/ev.h"
#include "config.h"
#include "media.h"
#include "network.h"
#include "runner.h"
#include "store.h"

#include <stddef.h>
#include <stdint.h>

struct coord;

/* A committed event: id, the network it belongs to (0: all), type and JSON data (borrowed). */
typedef void (*coord_sink_fn)(void *user, int64_t id, int64_t network, const char *type,
                              const char *data);

/* ev, store, media and cfg are borrowed and must outlive the coordinator. Owned; coord_free. */
struct coord *coord_new(struct ev *ev, struct store *store, struct media_store *media,
                        const struct panicd_config *cfg);
void coord_free(struct coord *c);
void coord_set_sink(struct coord *c, coord_sink_fn fn, void *user);

/* Load the networks (creating the default network on an empty store) and resume live runs. */
int coord_start(struct coord *c, char *err, size_t errlen);

/* Networks. models are validated; err names the offending models. schedule NULL: default. */
int coord_network_create(struct coord *c, const char *name, const char *const *models, size_t n,
                         int64_t lockout_s, const struct schedule *schedule, int64_t *id, char *err,
                         size_t errlen);
/* NULL name / models / schedule and lockout_s < 0 keep the current value. A change of models
 * stops a live run. -ENOENT for an unknown network. */
int coord_network_update(struct coord *c, int64_t id, const char *name, const char *const *models,
                         size_t n, int64_t lockout_s, const struct schedule *schedule, char *err,
                         size_t errlen);
int coord_network_delete(struct coord *c, int64_t id);
/* The lowest network id, 0 if there is none. */
int64_t coord_first_network(struct coord *c);

/* Runs. -ENOENT unknown network, -EBUSY lockout (*retry_after_ms set). */
int coord_run_start(struct coord *c, int64_t network, const char *prompt, int64_t *run,
                    int64_t *genesis, int64_t *retry_after_ms);
/* -ENOENT unknown network, -EALREADY nothing running. */
int coord_run_stop(struct coord *c, int64_t network, const char *reason);
int coord_status(struct coord *c, int64_t network, struct runner_status *out);

/* Append a non-runner event (display changes, ...) in its own transaction. */
int64_t coord_emit(struct coord *c, int64_t network, const char *type, const char *data);

#endif
