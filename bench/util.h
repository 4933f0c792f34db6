/* util.h: small helpers shared by the benchmarks: messages, a monotonic clock, percentiles and
 * the printed table. */
#ifndef PANIC_BENCH_UTIL_H
#define PANIC_BENCH_UTIL_H

#include <stddef.h>

/* The running benchmark's name, used as the prefix of its messages; each main sets it. */
extern const char *bench_name;

/* A functional failure (counted; the bench exits non-zero), or a progress note, on stderr. */
void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int bench_failures(void);
/* CLOCK_MONOTONIC in ms. */
double now_ms(void);
int cmp_double(const void *a, const void *b);
/* The p-th percentile (nearest rank) of v[0..n); sorts v. NAN for n == 0. */
double percentile(double *v, size_t n, double p);
double max_of(const double *v, size_t n);
/* Add a row to the table, and print it. */
void row(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void print_table(void);

#endif
