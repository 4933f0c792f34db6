/* deck.h: the prompt deck of the panic button. A list of prompts (one a line in a text file) and,
 * per network, where the button is in it: in file order (cycle) or in a shuffled order that is
 * reshuffled when it runs out and never gives the same prompt twice in a row (shuffle). Pure:
 * the randomness comes from a seed, the positions live in memory only. */
#ifndef PANIC_DECK_H
#define PANIC_DECK_H

#include <stddef.h>
#include <stdint.h>

#define DECK_MAX_PROMPTS 10000
#define DECK_PROMPT_MAX 1000 /* bytes, as for a typed prompt */

enum deck_order { DECK_SHUFFLE, DECK_CYCLE };

struct deck;

/* Parse a deck: one prompt per line; blank lines and lines starting with '#' are skipped, a
 * trailing \r and surrounding spaces are trimmed. Every prompt must be UTF-8 of at most
 * DECK_PROMPT_MAX bytes without control characters (tabs are fine). NULL with "line N: reason"
 * in err, also for a deck with no prompt. Owned; deck_free. */
struct deck *deck_parse(const char *text, size_t len, enum deck_order order, uint64_t seed,
                        char *err, size_t errlen);
/* deck_parse on a file's contents; err is "path:line: reason" or "path: reason". */
struct deck *deck_load(const char *path, enum deck_order order, uint64_t seed, char *err,
                       size_t errlen);
/* The compiled-in fallback deck (a press always has a prompt). */
struct deck *deck_fallback(enum deck_order order, uint64_t seed);
void deck_free(struct deck *d);

size_t deck_count(const struct deck *d);
/* The prompt the next press on network would use, without using it up. Borrowed (valid until
 * the deck is freed). */
const char *deck_peek(struct deck *d, int64_t network);
/* Use up the prompt deck_peek gave (call after the run started). */
void deck_advance(struct deck *d, int64_t network);

#endif
