/* coord.h: the coordinator core: one runner per network, wired to the store, the media archive,
 * the platforms and the event log. Every state change happens in one sqlite transaction, and
 * its events reach the sink (the SSE fan-out) only after that transaction committed. */
#ifndef PANIC_COORD_H
#define PANIC_COORD_H

#include "common/ev.h"
#include "coordinator/core/config.h"
#include "coordinator/store/media.h"
#include "coordinator/core/network.h"
#include "coordinator/core/runner.h"
#include "coordinator/store/store.h"

#include <stddef.h>
#include <stdint.h>

struct coord;
struct platform;
struct platform_env;
struct model_info;

#define COORD_MAX_PLATFORMS 8

/* A committed event: id, the network it belongs to (0: all), type and JSON data (borrowed). */
typedef void (*coord_sink_fn)(void *user, int64_t id, int64_t network, const char *type,
                              const char *data);

/* ev, store, media and cfg are borrowed and must outlive the coordinator. Owned; coord_free. */
struct coord *coord_new(struct ev *ev, struct store *store, struct media_store *media,
                        const struct panicd_config *cfg);
void coord_free(struct coord *c);
void coord_set_sink(struct coord *c, coord_sink_fn fn, void *user);

/* Store the displays the config declares (display.NAME.*), as PUT /api/v1/displays/NAME would;
 * a failure is a warning in the log. */
void coord_seed_displays(struct coord *c);

/* Load the networks (creating the default network on an empty store) and resume live runs. */
int coord_start(struct coord *c, char *err, size_t errlen);

/* Networks. models are validated; err names the offending models. schedule NULL: default.
 * slug NULL: the name's default slug (core/slug.c), made unique; a slug given must be valid
 * (-EINVAL) and free (-EEXIST). */
int coord_network_create(struct coord *c, const char *name, const char *slug,
                         const char *const *models, size_t n, int64_t lockout_s,
                         const struct schedule *schedule, int64_t *id, char *err, size_t errlen);
/* NULL name / slug / models / schedule and lockout_s < 0 keep the current value (a new name keeps
 * the slug: printed links stay good). A change of models stops a live run. -ENOENT for an unknown
 * network, -EINVAL / -EEXIST for a bad or taken slug. */
int coord_network_update(struct coord *c, int64_t id, const char *name, const char *slug,
                         const char *const *models, size_t n, int64_t lockout_s,
                         const struct schedule *schedule, char *err, size_t errlen);
/* The network text names: an id ("3") or a slug ("gallery-a"). Its id, or -ENOENT. */
int64_t coord_network_resolve(struct coord *c, const char *text);
int coord_network_delete(struct coord *c, int64_t id);
/* The lowest network id, 0 if there is none. */
int64_t coord_first_network(struct coord *c);

/* Runs. -ENOENT unknown network, -EBUSY lockout (*retry_after_ms set), -EPERM a platform
 * cannot run and -EDQUOT over the budget (coord_last_error says why), -EIO the database cannot
 * be written (the networks are in storage_error; coord_last_error has the reason). *run and
 * *genesis mean something only when 0 is returned (the start was committed). */
int coord_run_start(struct coord *c, int64_t network, const char *prompt, int64_t *run,
                    int64_t *genesis, int64_t *retry_after_ms);
/* -ENOENT unknown network, -EALREADY nothing running. */
int coord_run_stop(struct coord *c, int64_t network, const char *reason);
int coord_status(struct coord *c, int64_t network, struct runner_status *out);
/* Stop every network's run in one transaction (each call in flight cancelled, each a status
 * event). How many were running, or -EIO if the stop could not be stored. */
int coord_stop_all(struct coord *c, const char *reason);

/* Platforms. The env every platform is built with (ev, media, config, done callback, keys); the
 * caller may set env->curl before building HTTP platforms. Borrowed, lives with c. */
struct platform_env *coord_platform_env(struct coord *c);
/* Register a platform under its name ("builtin", "openai", ...); c frees it. 0 or -EINVAL. */
int coord_add_platform(struct coord *c, const char *name, struct platform p);
/* 1 if the model's platform is built in and can be called now, else 0 and why. */
int coord_model_available(struct coord *c, const struct model_info *m, char *why, size_t len);
/* The registered platform called name, or NULL. Borrowed, lives with c. */
struct platform *coord_platform(struct coord *c, const char *name);
/* 1 if any network has a model on that platform. */
int coord_uses_platform(struct coord *c, const char *platform);
/* Set (secret) or remove (NULL) a platform's API key; stored, never returned. */
int coord_set_key(struct coord *c, const char *platform, const char *secret);
/* 1 if a key for the platform is found anywhere (store, credentials, config). */
int coord_key_set(struct coord *c, const char *platform);
/* Why the last coord_run_start failed with -EPERM (a platform cannot run) or -EDQUOT (the
 * network already spent budget_usd_per_hour in the last hour), human text. */
const char *coord_last_error(struct coord *c);

/* Estimated USD spent by the network's invocations in the last hour (config price table). */
double coord_burn_per_hour(struct coord *c, int64_t network);

/* Keep the media archive under quota bytes: delete the pictures and sounds of the oldest finished
 * runs (never a network's latest run, never a file another run still uses) until it is under 90%
 * of the quota. Returns how many runs were freed; *freed the bytes. */
int coord_media_quota(struct coord *c, uint64_t quota, uint64_t *freed);

/* The settings the coordinator runs with (borrowed). */
const struct panicd_config *coord_config(const struct coord *c);

/* Append a non-runner event (display changes, ...) in its own transaction. */
int64_t coord_emit(struct coord *c, int64_t network, const char *type, const char *data);

#endif
