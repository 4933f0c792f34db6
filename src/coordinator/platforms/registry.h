/* registry.h: builds every platform this panicd was compiled with and registers it with the
 * coordinator. The one place that knows the list. */
#ifndef PANIC_PLATFORMS_H
#define PANIC_PLATFORMS_H

#include "coordinator/core/config.h"
#include "coordinator/coord/coord.h"

/* Register dummy's siblings: builtin (when its engines are built in), openai and every
 * configured OpenAI-compatible server, replicate, gemini. Uses coord_platform_env(c), whose curl
 * must be set first. */
void platforms_register(struct coord *c, const struct panicd_config *cfg);
/* Load what the networks will need (call after coord_start). */
void platforms_prewarm(struct coord *c);

#endif
