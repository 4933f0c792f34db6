/* presence.c: the displays' heartbeats and who is missing (see presence.h). A plain array kept in
 * order of first heartbeat, searched linearly: a few dozen displays, a heartbeat each 10 s. Pure:
 * libc only, time as an argument. */
#include "presence.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct presence {
    int64_t missing_ms;
    struct presence_display *d;
    size_t n, cap;
};

struct presence *presence_new(int64_t missing_ms)
{
    struct presence *p = calloc(1, sizeof *p);
    if (p)
        p->missing_ms = missing_ms > 0 ? missing_ms : 30000;
    return p;
}

void presence_free(struct presence *p)
{
    if (!p)
        return;
    free(p->d);
    free(p);
}

static struct presence_display *find(const struct presence *p, const char *name)
{
    for (size_t i = 0; i < p->n; i++)
        if (!strcmp(p->d[i].name, name))
            return &p->d[i];
    return NULL;
}

/* Room for one more: grow, or at PRESENCE_MAX forget the display silent the longest. */
static struct presence_display *add(struct presence *p)
{
    if (p->n == PRESENCE_MAX) {
        size_t oldest = 0;
        for (size_t i = 1; i < p->n; i++)
            if (p->d[i].last_seen_ms < p->d[oldest].last_seen_ms)
                oldest = i;
        memmove(&p->d[oldest], &p->d[oldest + 1], (p->n - oldest - 1) * sizeof *p->d);
        p->n--;
    }
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        struct presence_display *d = realloc(p->d, cap * sizeof *d);
        if (!d)
            return NULL;
        p->d = d;
        p->cap = cap;
    }
    struct presence_display *d = &p->d[p->n++];
    memset(d, 0, sizeof *d);
    return d;
}

int presence_heartbeat(struct presence *p, const char *name, const struct presence_report *r,
                       int64_t now)
{
    size_t len = strlen(name);
    if (len == 0 || len > PRESENCE_NAME_MAX)
        return -EINVAL;
    struct presence_display *d = find(p, name);
    int change = PRESENCE_SAME;
    if (!d) {
        d = add(p);
        if (!d)
            return -ENOMEM;
        memcpy(d->name, name, len + 1);
        d->first_seen_ms = now;
        change = PRESENCE_NEW;
    } else if (d->missing) {
        change = PRESENCE_BACK;
    }
    d->missing = 0;
    d->last_seen_ms = now;
    d->r = *r;
    return change;
}

size_t presence_tick(struct presence *p, int64_t now, presence_fn fn, void *user)
{
    size_t n = 0;
    for (size_t i = 0; i < p->n; i++) {
        struct presence_display *d = &p->d[i];
        if (d->missing || now - d->last_seen_ms < p->missing_ms)
            continue;
        d->missing = 1;
        n++;
        if (fn)
            fn(user, d);
    }
    return n;
}

const struct presence_display *presence_at(const struct presence *p, size_t i)
{
    return i < p->n ? &p->d[i] : NULL;
}

const struct presence_display *presence_find(const struct presence *p, const char *name)
{
    return find(p, name);
}

size_t presence_count(const struct presence *p)
{
    return p->n;
}

static void add_problem(char *why, size_t len, const char *what)
{
    size_t used = strlen(why);
    snprintf(why + used, len - used, "%s%s", used ? ", " : "", what);
}

const char *presence_health(const struct presence_display *d, char *why, size_t len)
{
    why[0] = '\0';
    if (d->missing)
        return "missing";
    const struct presence_report *r = &d->r;
    /* The firmware's bits now (0-3); the same since boot are 16-19 and tell only of the past. */
    if (r->throttled > 0) {
        if (r->throttled & 1)
            add_problem(why, len, "under-voltage");
        if (r->throttled & 2)
            add_problem(why, len, "arm frequency capped");
        if (r->throttled & 4)
            add_problem(why, len, "throttled");
        if (r->throttled & 8)
            add_problem(why, len, "soft temperature limit");
        if (!(r->throttled & 15) && (r->throttled & (15 << 16)))
            add_problem(why, len, "throttled since boot");
    }
    if (r->cpu_temp_c >= 80)
        add_problem(why, len, "hot");
    if (r->fps >= 0 && r->fps < 5)
        add_problem(why, len, "low frame rate");
    if (r->frame_p99_ms > 500)
        add_problem(why, len, "slow frames");
    return why[0] ? "warning" : "ok";
}
