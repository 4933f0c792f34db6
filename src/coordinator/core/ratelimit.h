/* ratelimit.h: per-client token buckets for visitors' prompts, in a fixed table: when it is full
 * the least recently seen client is forgotten, so memory stays bounded whoever floods us. Pure:
 * time (ms, monotonic) is an argument. */
#ifndef PANIC_RATELIMIT_H
#define PANIC_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define RATELIMIT_SLOTS 512
#define RATELIMIT_KEY_MAX 64 /* an IPv6 address in text is at most 45 */

struct ratelimit;

/* burst requests at once, then one every period_ms / burst (burst per period_ms in the long
 * run). burst 0 disables the limit. Owned; ratelimit_free. */
struct ratelimit *ratelimit_new(int burst, int64_t period_ms);
void ratelimit_free(struct ratelimit *rl);
/* Take one token for key: 1 allowed; 0 limited with *retry_after_ms (if not NULL) until the next
 * token. Keys longer than RATELIMIT_KEY_MAX - 1 are cut. */
int ratelimit_take(struct ratelimit *rl, const char *key, int64_t now_ms, int64_t *retry_after_ms);
/* Whether ratelimit_take would allow key now, without taking a token (so only failures need to
 * cost one: a login form takes a token per wrong password). 1 allowed; 0 limited with
 * *retry_after_ms (if not NULL). An unknown key is allowed and not remembered. */
int ratelimit_peek(const struct ratelimit *rl, const char *key, int64_t now_ms,
                   int64_t *retry_after_ms);
/* Clients currently remembered. */
size_t ratelimit_size(const struct ratelimit *rl);

#endif
