/* ev.c: poll()-based event loop. Timers live in a small unsorted array: an installation has a
 * handful of networks, each with at most one runner timer and one platform call, so a linear
 * scan is cheaper than keeping a heap. fd watches are likewise few (the HTTP server's epoll fd,
 * signal pipe, curl sockets). Depends on libc only. */
#define _POSIX_C_SOURCE 200809L
#include "ev.h"
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>

struct watch {
    int fd;
    int mask;
    ev_fd_fn fn;
    void *data;
};

struct timer {
    uint64_t id;
    int64_t at;
    ev_timer_fn fn;
    void *data;
};

struct ev {
    struct watch *watches;
    size_t nwatches, capwatches;
    struct timer *timers;
    size_t ntimers, captimers;
    uint64_t next_id;
    ev_before_sleep_fn before_sleep;
    void *before_sleep_data;
    int stop;
    struct pollfd *pfds;
    size_t cappfds;
};

struct ev *ev_new(void)
{
    struct ev *ev = xcalloc(1, sizeof *ev);
    ev->next_id = 1;
    return ev;
}

void ev_free(struct ev *ev)
{
    if (!ev)
        return;
    free(ev->watches);
    free(ev->timers);
    free(ev->pfds);
    free(ev);
}

int ev_fd_add(struct ev *ev, int fd, int mask, ev_fd_fn fn, void *data)
{
    if (fd < 0)
        return -EBADF;
    for (size_t i = 0; i < ev->nwatches; i++) {
        if (ev->watches[i].fd == fd) {
            ev->watches[i] = (struct watch){fd, mask, fn, data};
            return 0;
        }
    }
    if (ev->nwatches == ev->capwatches) {
        ev->capwatches = ev->capwatches ? ev->capwatches * 2 : 8;
        ev->watches = xrealloc(ev->watches, ev->capwatches * sizeof *ev->watches);
    }
    ev->watches[ev->nwatches++] = (struct watch){fd, mask, fn, data};
    return 0;
}

void ev_fd_del(struct ev *ev, int fd)
{
    for (size_t i = 0; i < ev->nwatches; i++) {
        if (ev->watches[i].fd == fd) {
            ev->watches[i] = ev->watches[--ev->nwatches];
            return;
        }
    }
}

uint64_t ev_timer_at(struct ev *ev, int64_t at_ms, ev_timer_fn fn, void *data)
{
    if (ev->ntimers == ev->captimers) {
        ev->captimers = ev->captimers ? ev->captimers * 2 : 8;
        ev->timers = xrealloc(ev->timers, ev->captimers * sizeof *ev->timers);
    }
    uint64_t id = ev->next_id++;
    ev->timers[ev->ntimers++] = (struct timer){id, at_ms, fn, data};
    return id;
}

uint64_t ev_timer_in(struct ev *ev, int64_t delay_ms, ev_timer_fn fn, void *data)
{
    return ev_timer_at(ev, time_mono_ms() + (delay_ms > 0 ? delay_ms : 0), fn, data);
}

void ev_timer_del(struct ev *ev, uint64_t id)
{
    for (size_t i = 0; i < ev->ntimers; i++) {
        if (ev->timers[i].id == id) {
            ev->timers[i] = ev->timers[--ev->ntimers];
            return;
        }
    }
}

void ev_set_before_sleep(struct ev *ev, ev_before_sleep_fn fn, void *data)
{
    ev->before_sleep = fn;
    ev->before_sleep_data = data;
}

size_t ev_watch_count(const struct ev *ev)
{
    return ev->nwatches;
}

size_t ev_timer_count(const struct ev *ev)
{
    return ev->ntimers;
}

static void run_timers(struct ev *ev)
{
    int64_t now = time_mono_ms();
    /* Fire in time order, one at a time: a callback may add or delete timers. Timers added
     * while firing that are already due run in this same pass, which keeps zero-delay chains
     * moving without a poll() in between. */
    for (;;) {
        size_t best = SIZE_MAX;
        for (size_t i = 0; i < ev->ntimers; i++)
            if (ev->timers[i].at <= now &&
                (best == SIZE_MAX || ev->timers[i].at < ev->timers[best].at ||
                 (ev->timers[i].at == ev->timers[best].at &&
                  ev->timers[i].id < ev->timers[best].id)))
                best = i;
        if (best == SIZE_MAX)
            return;
        struct timer t = ev->timers[best];
        ev->timers[best] = ev->timers[--ev->ntimers];
        t.fn(ev, t.id, t.data);
        if (ev->stop)
            return;
    }
}

void ev_run_once(struct ev *ev, int max_ms)
{
    int timeout = max_ms;
    if (ev->before_sleep) {
        int want = ev->before_sleep(ev, ev->before_sleep_data);
        if (want >= 0 && (timeout < 0 || want < timeout))
            timeout = want;
    }
    if (ev->ntimers) {
        int64_t now = time_mono_ms(), first = INT64_MAX;
        for (size_t i = 0; i < ev->ntimers; i++)
            if (ev->timers[i].at < first)
                first = ev->timers[i].at;
        int64_t wait = first - now;
        if (wait < 0)
            wait = 0;
        if (timeout < 0 || wait < timeout)
            timeout = (int)MIN(wait, (int64_t)1 << 30);
    }
    if (ev->cappfds < ev->nwatches) {
        ev->cappfds = ev->nwatches;
        ev->pfds = xrealloc(ev->pfds, ev->cappfds * sizeof *ev->pfds);
    }
    size_t n = ev->nwatches;
    for (size_t i = 0; i < n; i++) {
        ev->pfds[i].fd = ev->watches[i].fd;
        ev->pfds[i].events = (short)(((ev->watches[i].mask & EV_READ) ? POLLIN : 0) |
                                     ((ev->watches[i].mask & EV_WRITE) ? POLLOUT : 0));
        ev->pfds[i].revents = 0;
    }
    int rc = poll(ev->pfds, n, timeout);
    if (rc > 0) {
        for (size_t i = 0; i < n && !ev->stop; i++) {
            short re = ev->pfds[i].revents;
            if (!re)
                continue;
            int mask = ((re & (POLLIN | POLLHUP | POLLERR)) ? EV_READ : 0) |
                       ((re & (POLLOUT | POLLERR)) ? EV_WRITE : 0);
            /* The watch list may have changed under an earlier callback: look the fd up again. */
            for (size_t k = 0; k < ev->nwatches; k++) {
                if (ev->watches[k].fd == ev->pfds[i].fd) {
                    struct watch w = ev->watches[k];
                    w.fn(ev, w.fd, mask & (w.mask | EV_READ), w.data);
                    break;
                }
            }
        }
    }
    if (!ev->stop)
        run_timers(ev);
}

void ev_run(struct ev *ev)
{
    ev->stop = 0;
    while (!ev->stop)
        ev_run_once(ev, -1);
}

void ev_stop(struct ev *ev)
{
    ev->stop = 1;
}
