/* registry.c: the list of platforms (see registry.h). Each constructor takes the shared env
 * (loop, HTTP client, media store, config, done callback, key lookup); the coordinator frees
 * them. Depends on the platform headers only. */
#include "registry.h"
#include "common/log.h"
#include "coordinator/platforms/builtin/builtin.h"
#include "coordinator/platforms/gemini/gemini.h"
#include "coordinator/platforms/openai/openai.h"
#include "platform.h"
#include "coordinator/platforms/replicate/replicate.h"

void platforms_register(struct coord *c, const struct panicd_config *cfg)
{
    const struct platform_env *env = coord_platform_env(c);
    coord_add_platform(c, "builtin", builtin_platform_new(env));
    coord_add_platform(c, "openai", openai_platform_new(env));
    struct replicate_tuning rt;
    replicate_tuning_default(&rt);
    if (cfg->replicate_base_url)
        rt.base_url = cfg->replicate_base_url;
    coord_add_platform(c, "replicate", replicate_platform_new_tuned(env, &rt));
    coord_add_platform(c, "gemini", gemini_platform_new(env));
    for (size_t i = 0; i < cfg->openai.nservers; i++) {
        const char *name = cfg->openai.servers[i].name;
        if (coord_add_platform(c, name, openai_platform_new_server(env, name)) < 0)
            log_warn("cannot add the OpenAI-compatible server %s", name);
    }
}

void platforms_prewarm(struct coord *c)
{
    /* The offline engines (pocketsphinx alone is ~100 MB) load now, on the worker thread, only
     * when a network uses them, so the first visitor does not wait and a dummy-only or cloud-only
     * installation does not carry them. */
    struct platform *builtin = coord_platform(c, "builtin");
    if (builtin && coord_uses_platform(c, "builtin"))
        builtin_platform_prewarm(builtin->self);
}
