/* platform.h: where models run, behind one small ops struct per platform (dummy now; builtin,
 * replicate, openai and gemini plug in the same way).
 *
 * Contract: invoke() copies what it needs and returns at once; the answer always arrives later,
 * from the event loop, through the done callback given at construction (never from inside
 * invoke or cancel). After cancel(inv_id) the done callback is never called for that call.
 * Outputs that are media are already in the media store when done is called. */
#ifndef PANIC_PLATFORM_H
#define PANIC_PLATFORM_H

#include "coordinator/core/catalog.h"
#include "coordinator/core/runner.h"

#include <stdint.h>

struct platform_call {
    int64_t network_id;
    uint64_t gen;
    int64_t inv_id;
    const struct model_info *model;
    struct runner_io input; /* borrowed for the duration of invoke() */
    int attempt;
};

/* output (success) or error (failure; retryable says whether trying again may help). The call,
 * output and error are borrowed for the duration of the callback. */
typedef void (*platform_done_fn)(void *owner, const struct platform_call *call,
                                 const struct runner_io *output, const char *error, int retryable);

struct ev;
struct curl_ev;
struct media_store;
struct panicd_config;

/* What every platform is built with. All borrowed; they outlive the platforms. */
struct platform_env {
    struct ev *ev;
    struct curl_ev *curl; /* HTTP client on the loop */
    struct media_store *media;
    const struct panicd_config *cfg;
    platform_done_fn done;
    void *owner;
    /* The API key for platform ("replicate", "openai", "gemini", or a configured server's name),
     * or NULL if none is set. Borrowed until the next call; never logged. */
    const char *(*key)(void *owner, const char *platform);
};

struct platform_ops {
    const char *name;
    /* 1 if calls can be made (keys present, models loaded), else 0 with the reason in why. */
    int (*available)(void *self, char *why, size_t whylen);
    /* Optional, per model: 1 if this model can be called now, else 0 and why. */
    int (*model_available)(void *self, const struct model_info *m, char *why, size_t whylen);
    /* 0, or a negative errno if the call could not even be started (then done is not called). */
    int (*invoke)(void *self, const struct platform_call *call);
    void (*cancel)(void *self, int64_t inv_id);
    /* Frees self; pending calls are dropped without callbacks. */
    void (*free)(void *self);
};

struct platform {
    const struct platform_ops *ops;
    void *self;
};

/* For available(): 1 if env holds a key for platform, else 0 and "no <label> API key is set". */
int platform_has_key(const struct platform_env *env, const char *platform, const char *label,
                     char *why, size_t whylen);

#endif
