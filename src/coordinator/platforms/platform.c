/* platform.c: small helpers shared by the platform clients. */
#include "platform.h"

#include <stdio.h>

int platform_has_key(const struct platform_env *env, const char *platform, const char *label,
                     char *why, size_t whylen)
{
    const char *key = env->key ? env->key(env->owner, platform) : NULL;
    if (key && *key)
        return 1;
    snprintf(why, whylen, "no %s API key is set", label);
    return 0;
}
