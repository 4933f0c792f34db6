/* ev.h: a single-threaded poll() event loop with fd events, monotonic timers and a before-sleep
 * hook (the shape of redis ae). Nothing here is thread-safe: one loop per process. */
#ifndef PANIC_EV_H
#define PANIC_EV_H

#include <stddef.h>
#include <stdint.h>

struct ev;

#define EV_READ 1
#define EV_WRITE 2

typedef void (*ev_fd_fn)(struct ev *ev, int fd, int mask, void *data);
typedef void (*ev_timer_fn)(struct ev *ev, uint64_t id, void *data);
/* Runs before each sleep; returns the longest the loop may sleep in ms, or -1 for no limit. */
typedef int (*ev_before_sleep_fn)(struct ev *ev, void *data);

/* Owned; free with ev_free. */
struct ev *ev_new(void);
void ev_free(struct ev *ev);

/* Watch fd for mask (replaces an earlier watch of the same fd). 0 or -errno. */
int ev_fd_add(struct ev *ev, int fd, int mask, ev_fd_fn fn, void *data);
void ev_fd_del(struct ev *ev, int fd);

/* Call fn once, at or after monotonic time at_ms. Returns an id > 0 for ev_timer_del. */
uint64_t ev_timer_at(struct ev *ev, int64_t at_ms, ev_timer_fn fn, void *data);
uint64_t ev_timer_in(struct ev *ev, int64_t delay_ms, ev_timer_fn fn, void *data);
/* Cancel a timer; a no-op if it already fired or id is 0. */
void ev_timer_del(struct ev *ev, uint64_t id);

void ev_set_before_sleep(struct ev *ev, ev_before_sleep_fn fn, void *data);

/* How many fds are watched and timers pending: a module that has let go of the loop leaves none
 * of its own behind (the tests check that). */
size_t ev_watch_count(const struct ev *ev);
size_t ev_timer_count(const struct ev *ev);

/* One iteration: wait at most max_ms (or -1), run ready fds and due timers. */
void ev_run_once(struct ev *ev, int max_ms);
/* Loop until ev_stop. */
void ev_run(struct ev *ev);
void ev_stop(struct ev *ev);

#endif
