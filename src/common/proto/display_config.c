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
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[DISPLAY_KIND_COUNT] = {
    [DISPLAY_KIND_SCREEN] = "screen",
    [DISPLAY_KIND_VESTABOARD] = "vestaboard",
};

static const char *const day_names[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

static const char *const mode_names[DISPLAY_MODE_COUNT] = {
    [DISPLAY_MODE_GRID] = "grid",
    [DISPLAY_MODE_SINGLE] = "single",
    [DISPLAY_MODE_INFO] = "info",
    [DISPLAY_MODE_TERMINAL] = "terminal",
};

/* Where each key lives in the struct: an int64_t, an int, an enum, the dates or the text. */
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
    {.f = {.key = "tv_on", .type = DISPLAY_FIELD_TIME, .min = -1, .max = 1439}, SLOT(tv_on)},
    {.f = {.key = "tv_off", .type = DISPLAY_FIELD_TIME, .min = -1, .max = 1439}, SLOT(tv_off)},
    {.f = {.key = "tv_days", .type = DISPLAY_FIELD_DAYS, .min = 0, .max = DISPLAY_DAYS_ALL},
     SLOT(tv_days)},
    {.f = {.key = "tv_holidays", .type = DISPLAY_FIELD_DATES}, SLOT(tv_holidays)},
    {.f = {.key = "kind", .type = DISPLAY_FIELD_KIND}, SLOT(kind)},
    {.f = {.key = "vestaboard_url", .type = DISPLAY_FIELD_TEXT}, SLOT(vestaboard_url)},
    {.f = {.key = "initial_prompt", .type = DISPLAY_FIELD_BOOL}, SLOT(initial_prompt)},
#undef SLOT
};

const char *display_mode_name(enum display_mode mode)
{
    return (unsigned)mode < DISPLAY_MODE_COUNT ? mode_names[mode] : "?";
}

const char *display_kind_name(enum display_kind kind)
{
    return (unsigned)kind < DISPLAY_KIND_COUNT ? kind_names[kind] : "?";
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
                                   .audio = 1,
                                   .tv_on = -1,
                                   .tv_off = -1,
                                   .tv_days = DISPLAY_DAYS_ALL,
                                   .kind = DISPLAY_KIND_SCREEN};
}

void display_config_inherit_tv(struct display_config *d, const struct display_config *global)
{
    if (d->tv_on < 0 && d->tv_off < 0) {
        d->tv_on = global->tv_on;
        d->tv_off = global->tv_off;
        d->tv_days = global->tv_days;
    }
    if (!d->tv_holidays[0])
        memcpy(d->tv_holidays, global->tv_holidays, sizeof d->tv_holidays);
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
    if (s->f.type == DISPLAY_FIELD_KIND)
        return *(const enum display_kind *)(const void *)p;
    if (s->f.type == DISPLAY_FIELD_DATES || s->f.type == DISPLAY_FIELD_TEXT)
        return 0;
    return *(const int *)(const void *)p;
}

static void put(struct display_config *d, const struct field_slot *s, long long v)
{
    char *p = (char *)d + s->off;
    if (s->size == sizeof(int64_t))
        *(int64_t *)(void *)p = (int64_t)v;
    else if (s->f.type == DISPLAY_FIELD_MODE)
        *(enum display_mode *)(void *)p = (enum display_mode)v;
    else if (s->f.type == DISPLAY_FIELD_KIND)
        *(enum display_kind *)(void *)p = (enum display_kind)v;
    else
        *(int *)(void *)p = (int)v;
}

static void unknown_key(const char *key, char *err, size_t errlen)
{
    char list[400] = "";
    for (size_t i = 0, n = 0; i < ARRAY_LEN(fields) && n < sizeof list; i++)
        n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "", fields[i].f.key);
    snprintf(err, errlen, "unknown display setting '%s' (%s)", key, list);
}

/* ---- the text forms of times, days, dates and URLs ---- */

static int parse_time(const char *key, const char *v, long long *out, char *err, size_t errlen)
{
    unsigned h, m;
    char end;
    if (!v[0] || !strcmp(v, "none")) {
        *out = -1;
        return 0;
    }
    if (sscanf(v, "%2u:%2u%c", &h, &m, &end) == 2 && v[0] >= '0' && v[0] <= '9' && strlen(v) >= 4 &&
        v[strlen(v) - 3] == ':' && h < 24 && m < 60) {
        *out = (long long)(h * 60 + m);
        return 0;
    }
    snprintf(err, errlen, "%s '%s' is not a time of day HH:MM (00:00 to 23:59) or none", key, v);
    return -EINVAL;
}

static int day_index(const char *name, size_t len)
{
    for (int i = 0; i < 7; i++)
        if (len == 3 && !strncmp(name, day_names[i], 3))
            return i;
    return -1;
}

/* "mon-fri,sun", "all", "none": a mask of tm_wday bits. */
static int parse_days(const char *key, const char *v, long long *out, char *err, size_t errlen)
{
    if (!strcmp(v, "all") || !strcmp(v, "daily") || !strcmp(v, "none")) {
        *out = v[0] == 'n' ? 0 : DISPLAY_DAYS_ALL;
        return 0;
    }
    long long mask = 0;
    const char *p = v;
    do {
        size_t n = strcspn(p, ",");
        const char *dash = memchr(p, '-', n);
        int a = day_index(p, dash ? (size_t)(dash - p) : n), b = a;
        if (dash)
            b = day_index(dash + 1, n - (size_t)(dash - p) - 1);
        if (a < 0 || b < 0) {
            snprintf(err, errlen,
                     "%s '%s' is not days of the week: mon, tue, wed, thu, fri, sat, sun, "
                     "ranges like mon-fri, commas between, or all / none",
                     key, v);
            return -EINVAL;
        }
        for (int d = a;; d = (d + 1) % 7) { /* fri-mon wraps over the weekend */
            mask |= 1 << d;
            if (d == b)
                break;
        }
        p += n;
    } while (*p++ == ',');
    *out = mask;
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

static int cmp_date(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* "2026-12-25,2027-01-01" into dates (sorted, each once, 0 after the last). */
static int parse_dates(const char *key, const char *v, int32_t *dates, char *err, size_t errlen)
{
    int32_t got[DISPLAY_HOLIDAYS_MAX] = {0};
    size_t n = 0;
    for (const char *p = !strcmp(v, "none") ? "" : v; *p;) {
        size_t len = strcspn(p, ", ");
        int y, m, d, used = 0;
        if (len != 10 || sscanf(p, "%4d-%2d-%2d%n", &y, &m, &d, &used) != 3 || used != 10 ||
            y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) {
            snprintf(err, errlen, "%s: '%.*s' is not a date YYYY-MM-DD", key, (int)len, p);
            return -EINVAL;
        }
        if (n == DISPLAY_HOLIDAYS_MAX) {
            snprintf(err, errlen, "%s: at most %d dates", key, DISPLAY_HOLIDAYS_MAX);
            return -EINVAL;
        }
        got[n++] = y * 10000 + m * 100 + d;
        p += len;
        p += strspn(p, ", ");
    }
    qsort(got, n, sizeof got[0], cmp_date);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!k || got[k - 1] != got[i])
            got[k++] = got[i];
    memset(dates, 0, sizeof got);
    memcpy(dates, got, k * sizeof got[0]);
    return 0;
}

/* "" or an http:// or https:// URL of printable characters without spaces. */
static int check_url(const char *key, const char *v, char *err, size_t errlen)
{
    size_t n = strlen(v);
    int ok = n < DISPLAY_URL_MAX && (!n || !strncmp(v, "http://", 7) || !strncmp(v, "https://", 8));
    for (size_t i = 0; ok && i < n; i++)
        ok = v[i] > ' ' && v[i] < 0x7f;
    if (ok)
        return 0;
    snprintf(err, errlen, "%s must be an http:// or https:// URL of at most %d characters", key,
             DISPLAY_URL_MAX - 1);
    return -EINVAL;
}

void display_field_format(const struct display_config *d, const struct display_field *f, char *buf,
                          size_t len)
{
    const struct field_slot *s = slot_of(f->key);
    long long v = display_field_get(d, f);
    size_t n = 0;
    buf[0] = '\0';
    if (!s || !len)
        return;
    switch (f->type) {
    case DISPLAY_FIELD_INT:
        snprintf(buf, len, "%lld", v);
        break;
    case DISPLAY_FIELD_BOOL:
        snprintf(buf, len, "%s", v ? "yes" : "no");
        break;
    case DISPLAY_FIELD_MODE:
        snprintf(buf, len, "%s", display_mode_name((enum display_mode)v));
        break;
    case DISPLAY_FIELD_KIND:
        snprintf(buf, len, "%s", display_kind_name((enum display_kind)v));
        break;
    case DISPLAY_FIELD_TIME:
        if (v >= 0)
            snprintf(buf, len, "%02lld:%02lld", v / 60, v % 60);
        break;
    case DISPLAY_FIELD_DAYS:
        if ((v & DISPLAY_DAYS_ALL) == DISPLAY_DAYS_ALL || !(v & DISPLAY_DAYS_ALL)) {
            snprintf(buf, len, "%s", v ? "all" : "none");
            break;
        }
        for (int i = 1; i <= 7; i++) /* monday first, as a week reads */
            if (v & (1 << (i % 7)) && n < len)
                n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "," : "", day_names[i % 7]);
        break;
    case DISPLAY_FIELD_DATES:
        for (size_t i = 0; i < DISPLAY_HOLIDAYS_MAX && d->tv_holidays[i] && n < len; i++) {
            int32_t x = d->tv_holidays[i];
            n += (size_t)snprintf(buf + n, len - n, "%s%04d-%02d-%02d", n ? "," : "",
                                  (int)(x / 10000), (int)(x / 100 % 100), (int)(x % 100));
        }
        break;
    case DISPLAY_FIELD_TEXT:
        snprintf(buf, len, "%s", (const char *)d + s->off);
        break;
    }
}

/* One value from text into v (or straight into d for DATES and TEXT). */
static int parse_value(struct display_config *d, const struct field_slot *s, const char *value,
                       long long *v, char *err, size_t errlen)
{
    int b;
    enum display_mode m;
    const char *key = s->f.key;
    switch (s->f.type) {
    case DISPLAY_FIELD_INT:
        return conf_int(value, s->f.min, s->f.max, v, err, errlen);
    case DISPLAY_FIELD_BOOL:
        if (conf_bool(value, &b, err, errlen) < 0)
            return -EINVAL;
        *v = b;
        return 0;
    case DISPLAY_FIELD_MODE:
        if (display_mode_parse(value, &m) < 0) {
            snprintf(err, errlen, "mode '%s' is not one of grid, single, info, terminal", value);
            return -EINVAL;
        }
        *v = m;
        return 0;
    case DISPLAY_FIELD_KIND:
        for (int i = 0; i < DISPLAY_KIND_COUNT; i++)
            if (!strcmp(value, kind_names[i])) {
                *v = i;
                return 0;
            }
        snprintf(err, errlen, "kind '%s' is not one of screen, vestaboard", value);
        return -EINVAL;
    case DISPLAY_FIELD_TIME:
        return parse_time(key, value, v, err, errlen);
    case DISPLAY_FIELD_DAYS:
        return parse_days(key, value, v, err, errlen);
    case DISPLAY_FIELD_DATES:
        return parse_dates(key, value, (int32_t *)(void *)((char *)d + s->off), err, errlen);
    case DISPLAY_FIELD_TEXT:
        if (check_url(key, value, err, errlen) < 0)
            return -EINVAL;
        snprintf((char *)d + s->off, s->size, "%s", value);
        return 0;
    }
    return -EINVAL;
}

int display_config_set(struct display_config *d, const char *key, const char *value, char *err,
                       size_t errlen)
{
    const struct field_slot *s = slot_of(key);
    if (!s) {
        unknown_key(key, err, errlen);
        return -EINVAL;
    }
    struct display_config c = *d;
    long long v = 0;
    if (parse_value(&c, s, value, &v, err, errlen) < 0)
        return -EINVAL;
    if (s->f.type != DISPLAY_FIELD_DATES && s->f.type != DISPLAY_FIELD_TEXT)
        put(&c, s, v);
    *d = c;
    return 0;
}

/* Limits of a key's number form for display_config_check. */
static void field_range(const struct display_field *f, long long *min, long long *max)
{
    *min = f->min;
    *max = f->max;
    if (f->type == DISPLAY_FIELD_BOOL || f->type == DISPLAY_FIELD_MODE ||
        f->type == DISPLAY_FIELD_KIND) {
        *min = 0;
        *max = f->type == DISPLAY_FIELD_BOOL   ? 1
               : f->type == DISPLAY_FIELD_MODE ? DISPLAY_MODE_COUNT - 1
                                               : DISPLAY_KIND_COUNT - 1;
    }
}

int display_config_check(const struct display_config *d, char *err, size_t errlen)
{
    /* Values that did not come through display_config_set (a struct filled in code). */
    for (size_t i = 0; i < ARRAY_LEN(fields); i++) {
        const struct display_field *f = &fields[i].f;
        long long v = display_field_get(d, f), min, max;
        field_range(f, &min, &max);
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
    if ((d->tv_on < 0) != (d->tv_off < 0)) {
        snprintf(err, errlen, "tv_on and tv_off go together: set both times, or neither");
        return -EINVAL;
    }
    if (memchr(d->vestaboard_url, '\0', sizeof d->vestaboard_url) == NULL) {
        snprintf(err, errlen, "vestaboard_url is too long");
        return -EINVAL;
    }
    if (d->kind == DISPLAY_KIND_VESTABOARD && !d->vestaboard_url[0]) {
        snprintf(err, errlen, "a vestaboard display needs vestaboard_url (http://HOST:7000)");
        return -EINVAL;
    }
    return 0;
}
