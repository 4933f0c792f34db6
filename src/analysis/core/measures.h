/* measures.h: the small numbers shown beside a diagram: persistence entropy per dimension (as the
 * persim package defines it) and semantic drift (chord distance of unit vectors). Pure: C11 and
 * libc only, no I/O. */
#ifndef PANIC_ANALYSIS_MEASURES_H
#define PANIC_ANALYSIS_MEASURES_H

#include "analysis/core/ph.h"

#include <stddef.h>

/* Persistence entropy of the finite bars of one dimension: l_i = death - birth, p_i = l_i / sum l,
 * E = -sum p_i ln p_i (natural log, not normalised); 0 when there is no finite bar of positive
 * length. Infinite bars are left out. */
double ph_entropy(const struct ph_bar *bars, size_t n, int dim);

/* Euclidean distance of two vectors of d floats (computed in double); for unit vectors the chord
 * distance sqrt(2 - 2 cos), 0..2. */
double ph_chord(const float *a, const float *b, size_t d);

/* Scales v to unit length in place; 0, or -1 (v untouched) for a zero or non-finite vector. */
int ph_normalise(float *v, size_t d);

/* Drift of each of n vectors (rows of d floats) from a reference vector (the prompt's, from the
 * same embedder): out[i] = ph_chord(vectors + i * d, ref, d). */
void ph_drift(const float *vectors, size_t n, size_t d, const float *ref, double *out);

#endif
