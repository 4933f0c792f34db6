/* test_ring.c: the SPSC sample ring: ordering, wrap-around, delay, oversize pushes, and a real
 * producer thread racing a consumer, where every window read must be a contiguous run of the
 * producer's counter (a torn read would show a jump). Build it once with -fsanitize=thread too. */
#include "display/core/ring.h"
#include "test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

static float seq[64];

static void fill_seq(float first, size_t n)
{
    for (size_t i = 0; i < n; i++)
        seq[i] = first + (float)i;
}

/* out[0..n) == zeros then first, first+1, ... */
static int is_run(const float *out, size_t n, size_t k, float first)
{
    for (size_t i = 0; i < n - k; i++)
        if (out[i] != 0.0f)
            return 0;
    for (size_t i = 0; i < k; i++)
        if (out[n - k + i] != first + (float)i)
            return 0;
    return 1;
}

TEST(create)
{
    struct ring *r = ring_new(5);
    CHECK(r);
    CHECK_EQ_INT(ring_capacity(r), 8);
    ring_free(r);
    r = ring_new(4096);
    CHECK_EQ_INT(ring_capacity(r), 4096);
    ring_free(r);
    CHECK(ring_new(0) == NULL);
    CHECK(ring_new((size_t)1 << 30) == NULL);
    ring_free(NULL);
}

TEST(ordering)
{
    float out[16];
    struct ring *r = ring_new(8);

    CHECK_EQ_INT(ring_latest(r, out, 4, 0), 0); /* empty */
    CHECK(is_run(out, 4, 0, 0));

    fill_seq(1, 5);
    ring_push(r, seq, 5);
    CHECK_EQ_INT(ring_latest(r, out, 3, 0), 3);
    CHECK(is_run(out, 3, 3, 3)); /* 3 4 5 */
    CHECK_EQ_INT(ring_latest(r, out, 8, 0), 5);
    CHECK(is_run(out, 8, 5, 1)); /* 0 0 0 1 2 3 4 5 */
    CHECK_EQ_INT(ring_latest(r, out, 1, 0), 1);
    CHECK(out[0] == 5.0f);
    ring_push(r, seq, 0); /* no-op */
    CHECK_EQ_INT(ring_latest(r, out, 1, 0), 1);
    CHECK(out[0] == 5.0f);
    ring_free(r);
}

TEST(wrap_around)
{
    float out[16];
    struct ring *r = ring_new(8);
    for (int v = 1; v <= 20; v += 3) { /* 1..21 in threes, wrapping mid-push */
        fill_seq((float)v, 3);
        ring_push(r, seq, 3);
    }
    CHECK_EQ_INT(ring_latest(r, out, 8, 0), 8);
    CHECK(is_run(out, 8, 8, 14)); /* 14..21 */
    CHECK_EQ_INT(ring_latest(r, out, 4, 0), 4);
    CHECK(is_run(out, 4, 4, 18));
    CHECK_EQ_INT(ring_latest(r, out, 12, 0), 8); /* more than the ring holds */
    CHECK(is_run(out, 12, 8, 14));

    /* One push larger than the ring keeps its newest samples. */
    fill_seq(100, 20);
    ring_push(r, seq, 20);
    CHECK_EQ_INT(ring_latest(r, out, 8, 0), 8);
    CHECK(is_run(out, 8, 8, 112));
    fill_seq(120, 2);
    ring_push(r, seq, 2);
    CHECK_EQ_INT(ring_latest(r, out, 4, 0), 4);
    CHECK(is_run(out, 4, 4, 118));
    ring_free(r);
}

TEST(delay)
{
    float out[16];
    struct ring *r = ring_new(8);
    fill_seq(1, 20);
    ring_push(r, seq, 20); /* holds 13..20 */

    CHECK_EQ_INT(ring_latest(r, out, 4, 2), 4);
    CHECK(is_run(out, 4, 4, 15)); /* ends two before the newest: 15..18 */
    CHECK_EQ_INT(ring_latest(r, out, 4, 6), 2);
    CHECK(is_run(out, 4, 2, 13)); /* only 13, 14 are that old */
    CHECK_EQ_INT(ring_latest(r, out, 4, 8), 0);
    CHECK(is_run(out, 4, 0, 0));
    CHECK_EQ_INT(ring_latest(r, out, 4, 1000), 0);
    ring_free(r);

    /* Before the ring fills, the delay counts back from what was pushed. */
    r = ring_new(8);
    fill_seq(1, 3);
    ring_push(r, seq, 3);
    CHECK_EQ_INT(ring_latest(r, out, 4, 1), 2);
    CHECK(is_run(out, 4, 2, 1)); /* 0 0 1 2 */
    CHECK_EQ_INT(ring_latest(r, out, 4, 3), 0);
    ring_free(r);
}

/* ---- two threads ---- */

#define TOTAL 3000000 /* floats hold integers exactly up to 2^24 */
#define WIN 1024
#define DELAY 384

struct race {
    struct ring *r;
    atomic_int done;
};

static void *producer(void *arg)
{
    struct race *x = arg;
    float chunk[700];
    uint32_t rng = 12345, next = 1;
    while (next <= TOTAL) {
        rng = rng * 1103515245u + 12345u;
        size_t n = 1 + (rng >> 16) % 700;
        if (n > TOTAL + 1 - next)
            n = TOTAL + 1 - next;
        for (size_t i = 0; i < n; i++)
            chunk[i] = (float)next++;
        ring_push(x->r, chunk, n);
    }
    atomic_store_explicit(&x->done, 1, memory_order_release);
    return NULL;
}

/* Races one producer against this thread reading windows from a ring of cap samples. */
static void race(size_t cap)
{
    struct race x = {.r = ring_new(cap)};
    atomic_init(&x.done, 0);
    static float out[WIN];
    pthread_t t;
    CHECK_EQ_INT(pthread_create(&t, NULL, producer, &x), 0);

    long reads = 0, full = 0, lapped = 0, bad = 0;
    float last_newest = 0.0f;
    for (;;) {
        int finished = atomic_load_explicit(&x.done, memory_order_acquire);
        size_t delay = reads % 2 ? DELAY : 0;
        size_t k = ring_latest(x.r, out, WIN, delay);
        reads++;
        if (k == WIN)
            full++;
        if (k > 0) {
            float first = out[WIN - k];
            if (!is_run(out, WIN, k, first) || first < 1.0f) {
                if (bad++ < 3)
                    TEST_FAIL_AT("read %ld: window of %zu not contiguous from %g", reads, k,
                                 (double)first);
            }
            float newest = out[WIN - 1] + (float)delay;
            if (newest < last_newest && bad++ < 3)
                TEST_FAIL_AT("read %ld went back in time: %g < %g", reads, (double)newest,
                             (double)last_newest);
            if (newest > last_newest)
                last_newest = newest;
            if (k < WIN && newest > (float)(WIN + DELAY))
                lapped++; /* short but not for lack of samples: trimmed after a lap */
        }
        if (finished)
            break;
    }
    CHECK_EQ_INT(pthread_join(t, NULL), 0);

    /* After the producer is done the last read saw everything. */
    CHECK_EQ_INT(ring_latest(x.r, out, WIN, 0), WIN);
    CHECK(is_run(out, WIN, WIN, (float)(TOTAL - WIN + 1)));
    printf("  ring %zu: %ld reads, %ld whole, %ld trimmed after a lap, %ld bad\n", cap, reads, full,
           lapped, bad);
    CHECK(reads > 10);
    ring_free(x.r);
}

TEST(producer_consumer)
{
    /* A ring barely larger than window + delay: the unpaced producer laps the reader all the
     * time, so the torn-read retry and trimming run. */
    race(2048);
    /* A roomy ring, as the display sizes it: reads are whole. */
    race(65536);
}

int main(void)
{
    RUN(create);
    RUN(ordering);
    RUN(wrap_around);
    RUN(delay);
    RUN(producer_consumer);
    TEST_END("test_ring");
}
