/* ring.c: the SPSC sample ring between the audio callback and the frame loop (see ring.h).
 * It must not depend on SDL or on any lock: the producer runs in the audio callback, which may
 * not block, and the consumer in the frame loop, which may not stall the audio.
 *
 * Memory ordering. Positions are absolute sample counts (size_t, compared only by unsigned
 * difference, so wrapping after 2^32 samples on 32-bit is harmless); slot j lives at j & mask.
 * Every slot is an atomic float, so producer and consumer never race on plain memory.
 *   Producer (ring_push): claim = end (relaxed); each slot store (release); head = end (release).
 *   Consumer (ring_latest): h = head (acquire); each slot load (acquire); c = claim (relaxed).
 * Acquiring head makes every slot below h visible, so the window is at least as new as h. The
 * only hazard is the producer lapping the window while it is copied. A slot store is a release
 * sequenced after the claim that announced it, so if the consumer's acquire load read a slot
 * from a later lap, that claim happens-before its final claim load, which therefore sees it:
 * any copied position j with c - j > capacity may be torn, every other one is not. The consumer
 * retries a torn window a few times and then returns only its intact, newer part. This is a
 * seqlock done with release/acquire per slot instead of fences (ThreadSanitizer does not model
 * atomic_thread_fence); on x86 these are plain moves, on ARMv8 stlr/ldar. */
#include "ring.h"

#include "common/util.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define RING_MAX ((size_t)1 << 24)
#define READ_TRIES 4

struct ring {
    size_t cap, mask;
    _Atomic size_t claim; /* producer: slots below this may be being written */
    _Atomic size_t head;  /* producer: slots below this are written */
    atomic_bool filled;   /* head has reached cap at least once: all cap slots hold samples */
    size_t written;       /* producer only: samples pushed, saturating at cap */
    _Atomic float *slot;  /* cap */
};

struct ring *ring_new(size_t capacity)
{
    if (capacity < 1 || capacity > RING_MAX)
        return NULL;
    size_t cap = 1;
    while (cap < capacity)
        cap <<= 1;

    struct ring *r = xcalloc(1, sizeof *r);
    r->cap = cap;
    r->mask = cap - 1;
    r->slot = xcalloc(cap, sizeof *r->slot);
    atomic_init(&r->claim, 0);
    atomic_init(&r->head, 0);
    atomic_init(&r->filled, false);
    for (size_t i = 0; i < cap; i++)
        atomic_init(&r->slot[i], 0.0f);
    return r;
}

void ring_free(struct ring *r)
{
    if (!r)
        return;
    free(r->slot);
    free(r);
}

size_t ring_capacity(const struct ring *r)
{
    return r->cap;
}

void ring_push(struct ring *r, const float *x, size_t n)
{
    size_t h = atomic_load_explicit(&r->head, memory_order_relaxed); /* only we write it */
    size_t end = h + n, start = h, m = n;
    if (n > r->cap) {
        start = end - r->cap;
        x += n - r->cap;
        m = r->cap;
    }

    atomic_store_explicit(&r->claim, end, memory_order_relaxed);
    for (size_t i = 0; i < m; i++)
        atomic_store_explicit(&r->slot[(start + i) & r->mask], x[i], memory_order_release);

    if (r->written < r->cap) {
        r->written += m < r->cap - r->written ? m : r->cap - r->written;
        if (r->written == r->cap)
            atomic_store_explicit(&r->filled, true, memory_order_relaxed); /* head publishes */
    }
    atomic_store_explicit(&r->head, end, memory_order_release);
}

size_t ring_latest(struct ring *r, float *out, size_t n, size_t delay_samples)
{
    size_t k = 0, torn = 0;
    for (int attempt = 0; attempt < READ_TRIES; attempt++) {
        size_t h = atomic_load_explicit(&r->head, memory_order_acquire);
        size_t avail = atomic_load_explicit(&r->filled, memory_order_relaxed) ? r->cap : h;

        k = 0;
        if (delay_samples < avail)
            k = n < avail - delay_samples ? n : avail - delay_samples;
        size_t start = h - delay_samples - k; /* absolute position of out[n - k] */
        for (size_t i = 0; i < k; i++)
            out[n - k + i] =
                atomic_load_explicit(&r->slot[(start + i) & r->mask], memory_order_acquire);

        size_t c = atomic_load_explicit(&r->claim, memory_order_relaxed);
        torn = c - start > r->cap ? c - start - r->cap : 0;
        if (torn == 0)
            break;
    }
    /* Still torn after every try: keep the intact newer part. */
    if (torn > k)
        torn = k;
    k -= torn;
    memset(out, 0, (n - k) * sizeof *out);
    return k;
}
