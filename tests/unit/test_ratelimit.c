/* test_ratelimit.c: the per-address visitor rate limit: the token bucket (burst, refill, retry
 * hints, 0 turns it off) and its bounded table (least recently seen forgotten, long keys cut).
 * Pure: time is an argument. */
#include "coordinator/core/ratelimit.h"
#include "test.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

TEST(ratelimit_bucket)
{
    struct ratelimit *rl = ratelimit_new(5, 60000);
    int64_t t = 1000000, retry = 0;
    for (int i = 0; i < 5; i++)
        CHECK_EQ_INT(ratelimit_take(rl, "192.0.2.1", t, &retry), 1);
    CHECK_EQ_INT(ratelimit_take(rl, "192.0.2.1", t, &retry), 0);
    CHECK_EQ_INT(retry, 12000);
    /* Someone else is not affected. */
    CHECK_EQ_INT(ratelimit_take(rl, "192.0.2.2", t, &retry), 1);
    /* One more every 12 s. */
    CHECK_EQ_INT(ratelimit_take(rl, "192.0.2.1", t + 11999, &retry), 0);
    CHECK_EQ_INT(retry, 1);
    CHECK_EQ_INT(ratelimit_take(rl, "192.0.2.1", t + 12000, &retry), 1);
    CHECK_EQ_INT(ratelimit_take(rl, "192.0.2.1", t + 12000, &retry), 0);
    CHECK_EQ_INT(retry, 12000);
    /* After a quiet minute the whole burst is back, and no more. */
    t += 12000 + 60000;
    for (int i = 0; i < 5; i++)
        CHECK_EQ_INT(ratelimit_take(rl, "192.0.2.1", t, NULL), 1);
    CHECK_EQ_INT(ratelimit_take(rl, "192.0.2.1", t, NULL), 0);
    CHECK_EQ_INT(ratelimit_size(rl), 2);
    ratelimit_free(rl);

    /* 0 turns it off. */
    rl = ratelimit_new(0, 60000);
    for (int i = 0; i < 100; i++)
        CHECK_EQ_INT(ratelimit_take(rl, "x", 0, NULL), 1);
    ratelimit_free(rl);
}

TEST(ratelimit_bounded)
{
    struct ratelimit *rl = ratelimit_new(1, 60000);
    char key[32];
    /* The first client uses its token, then a flood of others fills the table. */
    CHECK_EQ_INT(ratelimit_take(rl, "first", 0, NULL), 1);
    CHECK_EQ_INT(ratelimit_take(rl, "first", 1, NULL), 0);
    for (int i = 0; i < RATELIMIT_SLOTS * 3; i++) {
        snprintf(key, sizeof key, "10.0.%d.%d", i / 256, i % 256);
        ratelimit_take(rl, key, 10 + i, NULL);
    }
    CHECK_EQ_INT(ratelimit_size(rl), RATELIMIT_SLOTS);
    /* "first" was the least recently seen: forgotten, so it starts afresh. */
    CHECK_EQ_INT(ratelimit_take(rl, "first", 5000, NULL), 1);
    /* A recent one is still remembered. */
    snprintf(key, sizeof key, "10.0.%d.%d", (RATELIMIT_SLOTS * 3 - 1) / 256,
             (RATELIMIT_SLOTS * 3 - 1) % 256);
    CHECK_EQ_INT(ratelimit_take(rl, key, 5001, NULL), 0);
    /* An over-long key is cut, not overflowed. */
    char huge[300];
    memset(huge, 'k', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    CHECK_EQ_INT(ratelimit_take(rl, huge, 6000, NULL), 1);
    CHECK_EQ_INT(ratelimit_take(rl, huge, 6001, NULL), 0);
    ratelimit_free(rl);
}

/* Peeking says what a take would, and costs nothing: only the takes count. */
TEST(ratelimit_peek_takes_nothing)
{
    struct ratelimit *rl = ratelimit_new(3, 60000);
    int64_t t = 5000000, retry = 0;
    CHECK_EQ_INT(ratelimit_peek(rl, "192.0.2.9", t, &retry), 1);
    CHECK_EQ_INT(ratelimit_size(rl), 0); /* an unknown key is not remembered */
    for (int i = 0; i < 3; i++) {
        for (int k = 0; k < 10; k++)
            CHECK_EQ_INT(ratelimit_peek(rl, "192.0.2.9", t, &retry), 1);
        CHECK_EQ_INT(ratelimit_take(rl, "192.0.2.9", t, NULL), 1);
    }
    CHECK_EQ_INT(ratelimit_peek(rl, "192.0.2.9", t, &retry), 0);
    CHECK_EQ_INT(retry, 20000);
    CHECK_EQ_INT(ratelimit_peek(rl, "192.0.2.8", t, NULL), 1);
    CHECK_EQ_INT(ratelimit_peek(rl, "192.0.2.9", t + 19999, &retry), 0);
    CHECK_EQ_INT(retry, 1);
    CHECK_EQ_INT(ratelimit_peek(rl, "192.0.2.9", t + 20000, NULL), 1);
    CHECK_EQ_INT(ratelimit_take(rl, "192.0.2.9", t + 20000, NULL), 1);
    CHECK_EQ_INT(ratelimit_peek(rl, "192.0.2.9", t + 20000, NULL), 0);
    ratelimit_free(rl);
    rl = ratelimit_new(0, 60000); /* off */
    CHECK_EQ_INT(ratelimit_peek(rl, "192.0.2.9", t, NULL), 1);
    ratelimit_free(rl);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    RUN(ratelimit_bucket);
    RUN(ratelimit_bounded);
    RUN(ratelimit_peek_takes_nothing);
    TEST_END("test_ratelimit");
}
