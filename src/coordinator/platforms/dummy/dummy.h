/* dummy.h: the offline `dummy` platform: deterministic models for every input/output pair,
 * producing real PNGs and WAVs, with configurable latency and failure injection. */
#ifndef PANIC_DUMMY_H
#define PANIC_DUMMY_H

#include "common/ev.h"
#include "coordinator/core/config.h"
#include "coordinator/store/media.h"
#include "coordinator/platforms/platform.h"

#include <stddef.h>

/* ev, media and cfg are borrowed and must outlive the platform. */
struct platform dummy_platform_new(struct ev *ev, struct media_store *media,
                                   const struct panicd_config *cfg, platform_done_fn done,
                                   void *owner);

/* The text a dummy text-output model answers for an input (owned, free()); exposed for tests.
 * Always valid UTF-8 and at most 1000 bytes. */
char *dummy_text(const char *model_id, const struct runner_io *input);

#endif
