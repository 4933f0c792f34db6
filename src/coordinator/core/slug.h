/* slug.h: a network's short name, usable wherever its id is (API paths, panicctl, display
 * configs, the phone page /t/SLUG): 1-48 of a-z, 0-9 and '-', no '-' at either end, never only
 * digits (so it is never taken for an id). Pure: string work only. */
#ifndef PANIC_SLUG_H
#define PANIC_SLUG_H

#include <stddef.h>

#define SLUG_MAX 48

/* 1 if s is a slug. */
int slug_valid(const char *s);
/* The default slug of a network name into out (len > SLUG_MAX): lower case, every run of other
 * characters (spaces, punctuation, any non-ASCII byte) one '-', none at the ends, cut at SLUG_MAX
 * on a whole word where it can; "network" when nothing is left, "network-N" for a name of digits
 * only. */
void slug_from_name(const char *name, char *out, size_t len);
/* base with "-N" (N = 2, 3, ...) until taken(user, candidate) says 0, still within SLUG_MAX.
 * out as for slug_from_name. 0, or -1 if 10,000 candidates were all taken. */
int slug_unique(const char *base, int (*taken)(void *user, const char *slug), void *user, char *out,
                size_t len);

#endif
