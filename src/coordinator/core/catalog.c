/* catalog.c: every model panicd knows: the tables each platform keeps in its own folder
 * (platforms/NAME/NAME_catalog.c) plus the models a config declares at start. Pure C: no I/O. */
#include "catalog.h"

#include <string.h>

/* One table per platform, plus the models a config declares at start (OpenAI-compatible servers
 * on the LAN). */
static const struct {
    const struct model_info *models;
    const size_t *count;
} tables[] = {
    {dummy_models, &dummy_models_count},         {builtin_models, &builtin_models_count},
    {replicate_models, &replicate_models_count}, {openai_models, &openai_models_count},
    {gemini_models, &gemini_models_count},
};

#define CATALOG_EXTRA_MAX 64
static struct model_info extra[CATALOG_EXTRA_MAX];
static size_t nextra;

static size_t table_count(size_t t)
{
    return *tables[t].count;
}

size_t catalog_count(void)
{
    size_t n = nextra;
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        n += table_count(t);
    return n;
}

const struct model_info *catalog_at(size_t i)
{
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        if (i < table_count(t))
            return &tables[t].models[i];
        i -= table_count(t);
    }
    return i < nextra ? &extra[i] : NULL;
}

const struct model_info *catalog_find(const char *id)
{
    if (!id)
        return NULL;
    size_t n = catalog_count();
    for (size_t i = 0; i < n; i++) {
        const struct model_info *m = catalog_at(i);
        if (strcmp(m->id, id) == 0)
            return m;
    }
    return NULL;
}

int catalog_register(const struct model_info *m)
{
    if (!m || !m->id || catalog_find(m->id))
        return -1;
    if (nextra == CATALOG_EXTRA_MAX)
        return -2;
    extra[nextra++] = *m;
    return 0;
}

void catalog_reset_registered(void)
{
    nextra = 0;
}

int catalog_paid(const struct model_info *m)
{
    static const char *const paid[] = {"replicate", "openai", "gemini"};
    if (!m || m->base_url || (m->params_json && strstr(m->params_json, "\"_passthrough\":true")))
        return 0;
    for (size_t i = 0; i < sizeof paid / sizeof paid[0]; i++)
        if (strcmp(m->platform, paid[i]) == 0)
            return 1;
    return 0;
}

const char *media_type_name(enum media_type t)
{
    switch (t) {
    case MEDIA_TEXT:
        return "text";
    case MEDIA_IMAGE:
        return "image";
    case MEDIA_AUDIO:
        return "audio";
    }
    return "?";
}

int media_type_parse(const char *s, enum media_type *out)
{
    static const enum media_type all[] = {MEDIA_TEXT, MEDIA_IMAGE, MEDIA_AUDIO};
    for (size_t i = 0; i < 3; i++) {
        if (strcmp(s, media_type_name(all[i])) == 0) {
            *out = all[i];
            return 0;
        }
    }
    return -1;
}
