/* display_config.c: a display's configuration keys (see display_config.h). One table names every
 * key with its type, range and place in the struct; setting, reading, the unknown-key message
 * and the codecs all walk it, so a new key is one row. Values from text go through conf.c's
 * number and yes/no rules, the same words as every config file. Pure libc: no JSON, no I/O. */
#include "display_config.h"
#include "common/conf.h"
#include "common/util.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

static const char *const mode_names[DISPLAY_MODE_COUNT] = {
    [DISPLAY_MODE_GRID] = "grid",
    [DISPLAY_MODE_SINGLE] = "single",
    [DISPLAY_MODE_INFO] = "info",
    [DISPLAY_MODE_TERMINAL] = "terminal",
};

/* Where each key lives in the struct: an int64_t, an int, or the enum. */
static const struct field_slot {
    struct display_field f;
    size_t off, size;
} fields[] = {
#define SLOT(m)                                                                                    \
    .off = offsetof(struct display_config, m), .size = sizeof(((struct display_config *)0)->m)
    {.f = {.key = "network", .type = DISPLAY_FIELD_INT, .min = 0, .max = INT64_MAX}, SLOT(network)},
    {.f = {.key = "mode", .type = DISPLAY_FIELD_MODE}, SLOT(mode)},
    {.f = {.key = "rows", .type = DISPLAY_FIELD_INT, .min = 1, .max = 16}, SLOT(rows)},
    {.f = {.key = "cols", .type = DISPLAY_FIELD_INT, .min = 1, .max = 16}, SLOT(cols)},
    {.f = {.key = "offset", .type = DISPLAY_FIELD_INT, .min = 0, .max = 63}, SLOT(offset)},
    {.f = {.key = "stride", .type = DISPLAY_FIELD_INT, .min = 1, .max = 64}, SLOT(stride)},
    {.f = {.key = "show_invoking", .type = DISPLAY_FIELD_BOOL}, SLOT(show_invoking)},
    {.f = {.key = "audio", .type = DISPLAY_FIELD_BOOL}, SLOT(audio)},
#undef SLOT
};

const char *display_mode_name(enum display_mode mode)
{
    return (unsigned)mode < DISPLAY_MODE_COUNT ? mode_names[mode] : "?";
}

int display_mode_parse(const char *name, enum display_mode *out)
{
    for (int i = 0; i < DISPLAY_MODE_COUNT; i++) {
        if (name && !strcmp(name, mode_names[i])) {
            *out = (enum display_mode)i;
            return 0;
        }
    }
    return -EINVAL;
}

struct display_config display_config_default(void)
{
    return (struct display_config){.network = 0,
                                   .mode = DISPLAY_MODE_GRID,
                                   .rows = 2,
                                   .cols = 2,
                                   .offset = 0,
                                   .stride = 1,
                                   .show_invoking = 1,
                                   .audio = 1};
}

int display_config_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > DISPLAY_CONFIG_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == ':'))
            return 0;
    }
    return 1;
}

const struct display_field *display_field_at(size_t i)
{
    return i < ARRAY_LEN(fields) ? &fields[i].f : NULL;
}

static const struct field_slot *slot_of(const char *key)
{
    for (size_t i = 0; i < ARRAY_LEN(fields); i++)
        if (!strcmp(fields[i].f.key, key))
            return &fields[i];
    return NULL;
}

const struct display_field *display_field_find(const char *key)
{
    const struct field_slot *s = slot_of(key);
    return s ? &s->f : NULL;
}

long long display_field_get(const struct display_config *d, const struct display_field *f)
{
    const struct field_slot *s = slot_of(f->key);
    if (!s)
        return 0;
    const char *p = (const char *)d + s->off;
    if (s->size == sizeof(int64_t))
        return *(const int64_t *)(const void *)p;
    if (s->f.type == DISPLAY_FIELD_MODE)
        return *(const enum display_mode *)(const void *)p;
    return *(const int *)(const void *)p;
}

static void put(struct display_config *d, const struct field_slot *s, long long v)
{
    char *p = (char *)d + s->off;
    if (s->size == sizeof(int64_t))
        *(int64_t *)(void *)p = (int64_t)v;
    else if (s->f.type == DISPLAY_FIELD_MODE)
        *(enum display_mode *)(void *)p = (enum display_mode)v;
    else
        *(int *)(void *)p = (int)v;
}

static void unknown_key(const char *key, char *err, size_t errlen)
{
    char list[160] = "";
    for (size_t i = 0, n = 0; i < ARRAY_LEN(fields) && n < sizeof list; i++)
        n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "", fields[i].f.key);
    snprintf(err, errlen, "unknown display setting '%s' (%s)", key, list);
}

int display_config_set(struct display_config *d, const char *key, const char *value, char *err,
                       size_t errlen)
{
    const struct field_slot *s = slot_of(key);
    if (!s) {
        unknown_key(key, err, errlen);
        return -EINVAL;
    }
    long long v;
    int b;
    enum display_mode m;
    switch (s->f.type) {
    case DISPLAY_FIELD_INT:
        if (conf_int(value, s->f.min, s->f.max, &v, err, errlen) < 0)
            return -EINVAL;
        break;
    case DISPLAY_FIELD_BOOL:
        if (conf_bool(value, &b, err, errlen) < 0)
            return -EINVAL;
        v = b;
        break;
    case DISPLAY_FIELD_MODE:
        if (display_mode_parse(value, &m) < 0) {
            snprintf(err, errlen, "mode '%s' is not one of grid, single, info, terminal", value);
            return -EINVAL;
        }
        v = m;
        break;
    default:
        return -EINVAL;
    }
    put(d, s, v);
    return 0;
}

int display_config_check(const struct display_config *d, char *err, size_t errlen)
{
    /* Values that did not come through display_config_set (a struct filled in code). */
    for (size_t i = 0; i < ARRAY_LEN(fields); i++) {
        const struct display_field *f = &fields[i].f;
        long long v = display_field_get(d, f), min = f->min, max = f->max;
        if (f->type != DISPLAY_FIELD_INT) {
            min = 0;
            max = f->type == DISPLAY_FIELD_BOOL ? 1 : DISPLAY_MODE_COUNT - 1;
        }
        if (v < min || v > max) {
            snprintf(err, errlen, "%s (%lld) must be from %lld to %lld", f->key, v, min, max);
            return -EINVAL;
        }
    }
    if (d->offset >= d->stride) {
        snprintf(err, errlen, "offset (%lld) must be smaller than stride (%lld)",
                 (long long)d->offset, (long long)d->stride);
        return -EINVAL;
    }
    return 0;
}
