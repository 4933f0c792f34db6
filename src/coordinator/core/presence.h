/* presence.h: which displays are alive. Each display posts a heartbeat (every 10 s) with a few
 * figures; a display not heard from for missing_ms is missing, and back when it is heard again.
 * Pure: time is an argument, no I/O; the table lives in memory only (what survives a restart is
 * the stored display configs, which the API joins in). */
#ifndef PANIC_PRESENCE_H
#define PANIC_PRESENCE_H

#include <stddef.h>
#include <stdint.h>

#define PRESENCE_NAME_MAX 63
#define PRESENCE_MAX 1024 /* displays remembered; the oldest silent one makes room */

/* The figures of one heartbeat; a figure the display could not tell is -1 (text: ""). */
struct presence_report {
    char version[32];
    double fps;
    double frame_p99_ms;
    double newest_age_s; /* since the newest invocation reached the screen */
    double cpu_temp_c;
    int64_t throttled; /* the Pi firmware's get_throttled bits */
    int64_t cache_bytes, cache_max_bytes;
    char audio[96];
    int64_t uptime_s;
    int64_t network; /* the network it shows, 0 if none */
};

struct presence_display {
    char name[PRESENCE_NAME_MAX + 1];
    int64_t first_seen_ms, last_seen_ms; /* wall clock */
    int missing;
    struct presence_report r;
};

/* What a heartbeat or a tick changed. */
enum presence_change {
    PRESENCE_SAME = 0,
    PRESENCE_NEW,     /* first heard of since this panicd started */
    PRESENCE_BACK,    /* was missing, heard again */
    PRESENCE_MISSING, /* silent for missing_ms */
};

struct presence;

struct presence *presence_new(int64_t missing_ms);
void presence_free(struct presence *p);

/* Record a heartbeat of name at now (r copied). What changed; -EINVAL for a bad name. */
int presence_heartbeat(struct presence *p, const char *name, const struct presence_report *r,
                       int64_t now);
/* Mark every display silent since now - missing_ms as missing; fn is called for each one that
 * just became missing. How many did. */
typedef void (*presence_fn)(void *user, const struct presence_display *d);
size_t presence_tick(struct presence *p, int64_t now, presence_fn fn, void *user);

/* The displays in order of first heartbeat; NULL past the end. Borrowed until the next change. */
const struct presence_display *presence_at(const struct presence *p, size_t i);
const struct presence_display *presence_find(const struct presence *p, const char *name);
size_t presence_count(const struct presence *p);

/* The health of a display as words: "ok", or "warning" with the problems (", "-separated) in
 * why; "missing" for a missing one. */
const char *presence_health(const struct presence_display *d, char *why, size_t len);

#endif
