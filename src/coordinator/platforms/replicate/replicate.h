/* replicate.h: the `replicate` platform: models hosted on Replicate's HTTP API, called through
 * curl_ev on panicd's loop. How a catalogue row is read: replicate_catalog.c. */
#ifndef PANIC_REPLICATE_H
#define PANIC_REPLICATE_H

#include "coordinator/platforms/platform.h"

#include <stddef.h>
#include <stdint.h>

/* The knobs; replicate_tuning_default gives the production values. Tests point base_url at a
 * fake server and shorten the times; a config key can do the same for an installation. */
struct replicate_tuning {
    const char *base_url;   /* "https://api.replicate.com/v1" (copied, no trailing slash) */
    int wait_s;             /* Prefer: wait=N on the create (1..60); 0: no Prefer header */
    int64_t poll_ms;        /* first poll interval; each next one is 1.5 times longer ... */
    int64_t poll_max_ms;    /* ... up to this */
    int64_t deadline_ms;    /* one invocation, start to answer; also sent as Cancel-After */
    int64_t backoff_ms;     /* after a 429 without a usable Retry-After, or a failed poll: ... */
    int64_t backoff_max_ms; /* ... backoff_ms * 2^n, capped here (Retry-After is capped too) */
    long http_timeout_ms;   /* each request; the create gets wait_s on top */
    long download_timeout_ms;
    size_t data_url_max; /* media inputs up to this size go inline as data: URLs; larger
                          * ones are uploaded with POST /files first */
    int max_throttled;   /* 429s on one create before giving up */
    int max_errors;      /* consecutive failed polls or downloads before giving up */
};

void replicate_tuning_default(struct replicate_tuning *t);

/* env (and everything in it) is borrowed and outlives the platform. The key is read through
 * env->key(env->owner, "replicate") for every request and never logged. */
struct platform replicate_platform_new(const struct platform_env *env);
/* The same with explicit tuning (copied). */
struct platform replicate_platform_new_tuned(const struct platform_env *env,
                                             const struct replicate_tuning *t);

#endif
