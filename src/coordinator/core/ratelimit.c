/* ratelimit.c: token buckets per client key in a fixed array with least-recently-used eviction
 * (see ratelimit.h). A linear scan of RATELIMIT_SLOTS entries per visitor post costs nothing next
 * to the sqlite write that follows it. The bucket is kept as GCRA's one timestamp, exact in
 * integers. Pure C11 + libc. */
#include "ratelimit.h"
#include "common/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bucket {
    char key[RATELIMIT_KEY_MAX];
    int64_t tat;  /* GCRA's theoretical arrival time, in ms * burst */
    int64_t seen; /* ms of the last request, for eviction */
    int used;
};

struct ratelimit {
    int burst;
    int64_t period_ms;
    size_t n;
    struct bucket b[RATELIMIT_SLOTS];
};

struct ratelimit *ratelimit_new(int burst, int64_t period_ms)
{
    struct ratelimit *rl = xcalloc(1, sizeof *rl);
    rl->burst = burst < 0 ? 0 : burst;
    rl->period_ms = period_ms > 0 ? period_ms : 60000;
    return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
    free(rl);
}

size_t ratelimit_size(const struct ratelimit *rl)
{
    return rl->n;
}

static struct bucket *find(struct ratelimit *rl, const char *key)
{
    struct bucket *lru = NULL, *free_slot = NULL;
    for (size_t i = 0; i < RATELIMIT_SLOTS; i++) {
        struct bucket *b = &rl->b[i];
        if (!b->used) {
            if (!free_slot)
                free_slot = b;
            continue;
        }
        if (!strncmp(b->key, key, sizeof b->key - 1))
            return b;
        if (!lru || b->seen < lru->seen)
            lru = b;
    }
    struct bucket *b = free_slot ? free_slot : lru;
    if (free_slot)
        rl->n++;
    memset(b, 0, sizeof *b);
    b->used = 1;
    snprintf(b->key, sizeof b->key, "%s", key);
    b->tat = INT64_MIN;
    return b;
}

int ratelimit_peek(const struct ratelimit *rl, const char *key, int64_t now_ms,
                   int64_t *retry_after_ms)
{
    if (rl->burst == 0)
        return 1;
    for (size_t i = 0; i < RATELIMIT_SLOTS; i++) {
        const struct bucket *b = &rl->b[i];
        if (!b->used || strncmp(b->key, key, sizeof b->key - 1))
            continue;
        int64_t now = now_ms * rl->burst, cost = rl->period_ms;
        int64_t tolerance = cost * (rl->burst - 1);
        int64_t tat = MAX(b->tat, now);
        if (tat - now <= tolerance)
            return 1;
        if (retry_after_ms)
            *retry_after_ms = (tat - tolerance - now + rl->burst - 1) / rl->burst;
        return 0;
    }
    return 1;
}

int ratelimit_take(struct ratelimit *rl, const char *key, int64_t now_ms, int64_t *retry_after_ms)
{
    if (rl->burst == 0)
        return 1;
    struct bucket *b = find(rl, key);
    b->seen = now_ms;
    /* GCRA in units of ms * burst, so the emission interval (period / burst) is exact: each
     * request costs period_ms units, and up to burst of them may be outstanding at once. */
    int64_t now = now_ms * rl->burst, cost = rl->period_ms;
    int64_t tolerance = cost * (rl->burst - 1);
    int64_t tat = MAX(b->tat, now);
    if (tat - now > tolerance) {
        if (retry_after_ms)
            *retry_after_ms = (tat - tolerance - now + rl->burst - 1) / rl->burst;
        return 0;
    }
    b->tat = tat + cost;
    return 1;
}
