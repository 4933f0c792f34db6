/* rng.c: the splitmix64 stream and a kernel seed (see rng.h). The stream's arithmetic must never
 * change: stored media names are hashes of what it drew. Pure libc plus getrandom(2). */
#define _GNU_SOURCE
#include "rng.h"
#include "util.h"

#include <sys/random.h>
#include <unistd.h>

uint64_t rng_seed(void)
{
    uint64_t seed;
    if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed)
        seed = (uint64_t)time_wall_ms() ^ (uint64_t)getpid() << 32;
    return seed;
}

uint64_t rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t rng_below(uint64_t *state, uint64_t n)
{
    return n ? rng_next(state) % n : 0;
}

int rng_range(uint64_t *state, int lo, int hi)
{
    if (hi <= lo)
        return lo;
    return lo + (int)rng_below(state, (uint64_t)((int64_t)hi - lo + 1));
}

double rng_unit(uint64_t *state)
{
    return (double)(rng_next(state) >> 11) / 9007199254740992.0;
}

uint64_t rng_uniform(uint64_t *state, uint64_t n)
{
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t r;
    do
        r = rng_next(state);
    while (r >= limit);
    return r % n;
}
