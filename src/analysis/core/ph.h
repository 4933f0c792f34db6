/* ph.h: Vietoris-Rips persistent homology of a finite metric space (H0, H1, H2 over Z/2), the
 * diagrams the gallery and panic-tda show. Pure: C11 and libc, no I/O; a caller owns its threads.
 *
 * Distances are rounded to float32 once (points: Euclidean distance computed in double); the
 * filtration threshold is the enclosing radius unless given (it does not change the diagram); only
 * bars with death > birth are reported; H0 keeps one infinite bar per component (one, at the
 * enclosing radius). A budget (steps, bytes, CPU seconds) bounds H1 and H2: past it they come back
 * marked skipped, H0 is always computed. Steps and bytes are counted, so a budget of those is
 * deterministic: the same input stops at the same place on every machine. */
#ifndef PANIC_ANALYSIS_PH_H
#define PANIC_ANALYSIS_PH_H

#include <stddef.h>
#include <stdint.h>

#define PH_MAXDIM 2

struct ph_options {
    int maxdim;             /* 0..PH_MAXDIM (default 1) */
    float threshold;        /* < 0 (default): the enclosing radius; else edges up to this length */
    uint64_t max_steps;     /* 0: no limit; a step is one simplex visited by the reduction */
    size_t max_bytes;       /* 0: no limit; the working memory of H1/H2 */
    double max_cpu_seconds; /* 0: no limit; the process's clock() (every thread's CPU time, so
                               a threaded caller prefers max_steps), checked every 2^16 steps */
    size_t compact_at;      /* 0: 2^20; a reduction's heap this long drops its cancelling pairs
                               when full (less memory, a little more time) */
    int wide_keys;          /* tests: 1 uses two-word heap entries even where one would do */
};

struct ph_bar {
    int dim;
    float birth;
    float death; /* INFINITY for an infinite bar */
};

struct ph_diagram {
    struct ph_bar *bars; /* sorted by dim, birth, death */
    size_t n_bars;
    int maxdim;
    int skipped[PH_MAXDIM + 1]; /* 1: this dimension ran past the budget and has no bars */
    float threshold;            /* the one used */
    uint64_t steps;             /* steps taken */
    size_t peak_bytes;          /* peak of the memory counted (distance matrix included) */
};

void ph_options_init(struct ph_options *o);

/* The diagram of n points of d coordinates (row-major), Euclidean distance; caller frees it with
 * ph_diagram_free. NULL for invalid input: a maxdim outside 0..PH_MAXDIM or a non-finite
 * coordinate. Out of memory aborts. */
struct ph_diagram *ph_compute_points(const float *points, size_t n, size_t d,
                                     const struct ph_options *o);
/* The same from a lower-triangular distance matrix: row i (i = 1..n-1) holds d(i,0)..d(i,i-1),
 * rows concatenated (n(n-1)/2 values, ripser's lower-distance order). NULL for a negative or NaN
 * distance or a bad maxdim. */
struct ph_diagram *ph_compute_lower(const float *lower, size_t n, const struct ph_options *o);
void ph_diagram_free(struct ph_diagram *dg);

/* The lower-triangular Euclidean distances of n points, rounded to float32 (n(n-1)/2 values into
 * out): what ph_compute_points uses, for a caller that also wants the recurrence matrix. */
void ph_points_distances(const float *points, size_t n, size_t d, float *out);

#endif
