/* ring.h: a lock-free single-producer single-consumer ring of float samples. The audio callback
 * pushes what it plays; the frame loop copies out the most recent window for the spectrum.
 * Overwrite-oldest: the producer never waits and never fails; a consumer that falls behind
 * simply sees newer samples, which is what a visualiser wants. A read that races with the
 * producer lapping it is detected and retried, so a window never mixes old and new laps.
 * Exactly one producer thread and one consumer thread; ring_new/ring_free are not concurrent
 * with either. Pure C11 atomics: no locks, no allocation after ring_new. */
#ifndef PANIC_RING_H
#define PANIC_RING_H

#include <stddef.h>

struct ring;

/* A ring holding at least capacity samples (rounded up to a power of two, 1 .. 2^24). Size it
 * for the largest window plus delay plus one producer burst (an audio callback) so a read
 * rarely races a lap. NULL if capacity is out of range; out of memory aborts. Owned by the
 * caller: ring_free(). */
struct ring *ring_new(size_t capacity);

/* ring_free(NULL) is a no-op. */
void ring_free(struct ring *r);

/* The capacity actually allocated (a power of two >= the one asked for). */
size_t ring_capacity(const struct ring *r);

/* Producer: append n samples, overwriting the oldest. If n exceeds the capacity only the last
 * capacity samples are kept (the count of samples written still advances by n). Wait-free. */
void ring_push(struct ring *r, const float *x, size_t n);

/* Consumer: copy into out[0..n) the n samples that end delay_samples before the newest one
 * (delay 0: out[n-1] is the newest sample), oldest first. Returns how many real samples were
 * available, k <= n; they are out[n-k..n) and out[0..n-k) is zero-filled, so out can always be
 * handed to the spectrum as it is. Fewer are available at start-up, when n + delay_samples
 * exceeds the capacity, or if the producer overwrote part of the window on every retry. */
size_t ring_latest(struct ring *r, float *out, size_t n, size_t delay_samples);

#endif
