/* rng.h: random numbers. One splitmix64 stream for every seeded choice (the dummy and builtin
 * media, the parrot's words, the deck's shuffles): the same seed gives the same numbers on every
 * machine, so a prompt always gives the same picture. The state is a plain uint64_t the caller
 * owns; rng_seed() gives a fresh one from the kernel for choices that should differ per run. */
#ifndef PANIC_RNG_H
#define PANIC_RNG_H

#include <stdint.h>

/* 64 random bits from getrandom(2), or the clock and pid if the kernel has none to give yet. */
uint64_t rng_seed(void);

/* The next number of the splitmix64 stream in *state (Steele, Lea and Flood; Vigna's constants). */
uint64_t rng_next(uint64_t *state);
/* next % n, or 0 without drawing when n is 0. Slightly biased for large n: kept because seeded
 * media must stay the same bytes; use rng_uniform where fairness matters. */
uint64_t rng_below(uint64_t *state, uint64_t n);
/* lo + rng_below(hi - lo + 1): an int in [lo, hi]; lo without drawing when hi <= lo. */
int rng_range(uint64_t *state, int lo, int hi);
/* A double in [0, 1) from the top 53 bits. */
double rng_unit(uint64_t *state);
/* Uniform in [0, n) (n > 0) by rejection, unbiased for any n. */
uint64_t rng_uniform(uint64_t *state, uint64_t n);

#endif
