/* test_rng.c: the splitmix64 stream against the reference outputs (Vigna's splitmix64.c for seed
 * 1234567, and seed 0), the ranges drawn from it (bounds, no draw for an empty range, the
 * rejection sampler's fairness), FNV-1a against the reference test vectors, and kernel seeds. */
#include "common/hash.h"
#include "common/rng.h"
#include "common/util.h"
#include "test.h"

#include <stdint.h>
#include <string.h>

TEST(splitmix64_reference)
{
    static const uint64_t want[] = {6457827717110365317ull, 3203168211198807973ull,
                                    9817491932198370423ull, 4593380528125082431ull,
                                    16408922859458223821ull};
    uint64_t s = 1234567;
    for (size_t i = 0; i < ARRAY_LEN(want); i++)
        CHECK(rng_next(&s) == want[i]);
    s = 0;
    CHECK(rng_next(&s) == 0xe220a8397b1dcdafull);
    CHECK(rng_next(&s) == 0x6e789e6aa1b965f4ull);
    CHECK(rng_next(&s) == 0x06c45d188009454full);
}

TEST(ranges)
{
    uint64_t s = 42, t = 42;
    /* rng_below and rng_range are the reductions the media generators always used. */
    for (int i = 0; i < 1000; i++) {
        uint64_t raw = rng_next(&t);
        CHECK(rng_below(&s, 7) == raw % 7);
    }
    uint64_t before = s;
    CHECK_EQ_INT(rng_below(&s, 0), 0);
    CHECK_EQ_INT(rng_range(&s, 5, 5), 5);
    CHECK_EQ_INT(rng_range(&s, 5, 2), 5);
    CHECK(s == before); /* empty ranges draw nothing */
    CHECK_EQ_INT(rng_below(&s, 1), 0);
    CHECK(s != before); /* a range of one still draws, as the parrot always did */
    int seen[11] = {0};
    for (int i = 0; i < 20000; i++) {
        int v = rng_range(&s, -3, 7);
        if (v < -3 || v > 7) {
            TEST_FAIL_AT("rng_range gave %d", v);
            break;
        }
        seen[v + 3]++;
        double u = rng_unit(&s);
        if (u < 0.0 || u >= 1.0) {
            TEST_FAIL_AT("rng_unit gave %g", u);
            break;
        }
    }
    for (int i = 0; i < 11; i++)
        CHECK(seen[i] > 1500 && seen[i] < 2150); /* about 1818 each */
    CHECK_EQ_INT(rng_range(&s, INT32_MIN, INT32_MIN + 1) <= INT32_MIN + 1, 1);
}

TEST(uniform_is_fair)
{
    /* n = 3 * 2^62: modulo would give 0 .. 2^62 twice as often as the rest; rejection does not. */
    uint64_t s = 7, n = 3ull << 62, low = 0;
    for (int i = 0; i < 30000; i++) {
        uint64_t v = rng_uniform(&s, n);
        if (v >= n) {
            TEST_FAIL_AT("rng_uniform gave %llu", (unsigned long long)v);
            break;
        }
        low += v < (1ull << 62);
    }
    CHECK(low > 9400 && low < 10600); /* a third; biased modulo would give a half */
    CHECK_EQ_INT(rng_uniform(&s, 1), 0);
}

TEST(fnv1a_reference)
{
    CHECK(fnv1a64(FNV1A64_INIT, "", 0) == 0xcbf29ce484222325ull);
    CHECK(fnv1a64(FNV1A64_INIT, "a", 1) == 0xaf63dc4c8601ec8cull);
    CHECK(fnv1a64(FNV1A64_INIT, "foobar", 6) == 0x85944171f73967e8ull);
    /* Pieces chain into the hash of the whole. */
    CHECK(fnv1a64(fnv1a64(FNV1A64_INIT, "foo", 3), "bar", 3) == 0x85944171f73967e8ull);
}

TEST(kernel_seeds_differ)
{
    uint64_t a = rng_seed(), b = rng_seed(), c = rng_seed();
    CHECK(a != b || b != c);
}

int main(void)
{
    RUN(splitmix64_reference);
    RUN(ranges);
    RUN(uniform_is_fair);
    RUN(fnv1a_reference);
    RUN(kernel_seeds_differ);
    TEST_END("test_rng");
}
