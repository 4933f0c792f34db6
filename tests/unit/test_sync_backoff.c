/* test_sync_backoff.c: the display's reconnect delay (sync_retry_delay_ms). Displays that lose
 * the coordinator together (a restart) must not come back together: 50 displays, each with its
 * own seeded stream as sync_new gives it, spread their next attempt over half the back-off, and
 * every delay stays within [back-off / 2, back-off]. Pure arithmetic: no network, no clock. */
#include "common/rng.h"
#include "display/sync.h"
#include "test.h"

#include <stdint.h>
#include <stdio.h>

#define DISPLAYS 50

TEST(reconnects_spread)
{
    static const int64_t backoffs[] = {500, 4000, 30000};
    uint64_t rngs[DISPLAYS];
    for (int i = 0; i < DISPLAYS; i++)
        rngs[i] = rng_seed();
    for (size_t b = 0; b < sizeof backoffs / sizeof backoffs[0]; b++) {
        int64_t lo = INT64_MAX, hi = 0, back = backoffs[b];
        for (int i = 0; i < DISPLAYS; i++) {
            int64_t d = sync_retry_delay_ms(back, &rngs[i]);
            CHECK_GE(d, back / 2);
            CHECK_LE(d, back);
            lo = d < lo ? d : lo;
            hi = d > hi ? d : hi;
        }
        printf("  back-off %lld ms: %d displays come back over %lld ms\n", (long long)back,
               DISPLAYS, (long long)(hi - lo));
        /* 50 uniform draws over half the back-off cover most of it. */
        CHECK_GE(hi - lo, back / 4);
    }
    CHECK_EQ_INT(sync_retry_delay_ms(0, &rngs[0]), 0);
}

int main(void)
{
    RUN(reconnects_spread);
    TEST_END("test_sync_backoff");
}
