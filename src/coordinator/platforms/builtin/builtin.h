/* builtin.h: the `builtin` platform: real offline models from Debian packages, so the default
 * appliance runs an AI loop with no internet and no keys.
 *
 *   builtin-espeak     text->audio  espeak-ng, en-us (WAV)
 *   builtin-flite      text->audio  flite, cmu_us_slt (WAV)
 *   builtin-sphinx     audio->text  pocketsphinx en-us (16-bit PCM WAV in)
 *   builtin-tesseract  image->text  tesseract eng; a description of the picture if it has no text
 *   builtin-type       text->image  the text typeset in DepartureMono, 1280x720 PNG
 *   builtin-parrot     text->text   a prompt embellisher (style words from built-in lists)
 *
 * Threading: every call runs on one worker thread owned by the platform (engines are loaded
 * there once, lazily or by builtin_platform_prewarm). The loop thread only queues jobs and,
 * when the worker signals a pipe watched by the loop, stores media and calls env->done. All
 * functions here are for the loop thread, except builtin_reexec_with_env (main, at start). */
#ifndef PANIC_BUILTIN_H
#define PANIC_BUILTIN_H

#include "coordinator/platforms/platform.h"

#include <stddef.h>

/* env->ev, env->media, env->done and env->owner are used (borrowed; they must outlive the
 * platform); env->cfg, env->curl and env->key are not. No thread starts until the first call or
 * prewarm. Free with ops->free, which waits for the call in progress (at most one: a running
 * recognition or OCR is asked to stop early) and drops the rest without callbacks. ops->free
 * must not be called from inside env->done. */
struct platform builtin_platform_new(const struct platform_env *env);

/* Load every available engine on the worker now (about 0.7 s of CPU and 150 MB for
 * pocketsphinx and tesseract), so the first call does not pay for it. Returns at once. self is
 * the platform's self. 0, or a negative errno if the worker could not start. */
int builtin_platform_prewarm(void *self);

/* 1 if model m can run here, else 0 with the reason (not built in, data not installed, failed
 * to load, not a builtin model). ops->available is 1 only when every builtin model can run, and
 * otherwise lists the ones that cannot in why; this is the per-model answer. */
int builtin_model_available(void *self, const struct model_info *m, char *why, size_t whylen);

/* Calls queued, running or finished but not yet delivered: 0 when the worker is idle. */
size_t builtin_platform_busy(void *self);

/* tesseract's OpenMP runtime reads OMP_THREAD_LIMIT only when it is loaded, before main, and
 * without a limit tesseract runs 4 spinning threads per recognition, which halves its speed
 * on a busy Pi and steals the display's CPU. Call this first thing in main: if the variable is
 * unset it sets OMP_THREAD_LIMIT=1 and re-executes /proc/self/exe with argv (same pid), so it
 * returns only when nothing was needed (0) or the exec failed (-errno; carry on regardless). */
int builtin_reexec_with_env(char **argv);

#endif
