/* gemini.h: the `gemini` platform: Google's Gemini generateContent, audio in, text out, called
 * through curl_ev on panicd's loop. The models are in gemini_catalog.c. */
#ifndef PANIC_GEMINI_H
#define PANIC_GEMINI_H

#include "coordinator/platforms/platform.h"

#include <stddef.h>

struct gemini_tuning {
    const char *base_url; /* "https://generativelanguage.googleapis.com/v1beta" (copied) */
    long timeout_ms;      /* one generateContent call */
    size_t max_inline;    /* larger audio is refused: inline data must keep the request < 20 MB */
    /* The longest a 429's Retry-After is waited out before the failure is reported (so the
     * runner's own back-off starts after it); GEMINI_RETRY_AFTER_CAP_MS by default. */
    long retry_after_max_ms;
};

#define GEMINI_RETRY_AFTER_CAP_MS 60000L

void gemini_tuning_default(struct gemini_tuning *t);

/* env (and everything in it) is borrowed and outlives the platform. The key is read through
 * env->key(env->owner, "gemini") for every call, sent in x-goog-api-key (never in the URL, so it
 * cannot reach a log) and never logged. */
struct platform gemini_platform_new(const struct platform_env *env);
struct platform gemini_platform_new_tuned(const struct platform_env *env,
                                          const struct gemini_tuning *t);

#endif
