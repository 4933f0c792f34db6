/* prompt_deck.h: which prompt deck the panic button draws from. */
#ifndef PANIC_PROMPT_DECK_H
#define PANIC_PROMPT_DECK_H

#include "coordinator/core/deck.h"

#include <stddef.h>

/* The deck at path if it is set (a bad one is NULL with the reason in err: a config error),
 * else the first installed deck that loads (/usr/local/share/panic, /usr/share/panic, then
 * assets/prompts.txt), else the compiled-in one, so a press always has a prompt. Shuffled with
 * a seed from common/rng; logs which deck it took. Owned; deck_free. */
struct deck *prompt_deck_open(const char *path, enum deck_order order, char *err, size_t errlen);

#endif
