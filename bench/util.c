/* util.c: the benchmarks' shared helpers (see util.h). */
#include "util.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ROWS 64

const char *bench_name = "bench";
static int failures;
static char rows[MAX_ROWS][2][160];
static int nrows;

void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: FAIL: ", bench_name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    failures++;
}

void note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", bench_name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int bench_failures(void)
{
    return failures;
}

double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double percentile(double *v, size_t n, double p)
{
    if (n == 0)
        return NAN;
    qsort(v, n, sizeof *v, cmp_double);
    size_t rank = (size_t)ceil(p / 100.0 * (double)n);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return v[rank - 1];
}

double max_of(const double *v, size_t n)
{
    double m = n ? v[0] : NAN;
    for (size_t i = 1; i < n; i++)
        if (v[i] > m)
            m = v[i];
    return m;
}

void row(const char *name, const char *fmt, ...)
{
    if (nrows == MAX_ROWS)
        return;
    snprintf(rows[nrows][0], sizeof rows[nrows][0], "%s", name);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rows[nrows][1], sizeof rows[nrows][1], fmt, ap);
    va_end(ap);
    nrows++;
}

void print_table(void)
{
    int w = 9;
    for (int i = 0; i < nrows; i++)
        if ((int)strlen(rows[i][0]) > w)
            w = (int)strlen(rows[i][0]);
    printf("\n%-*s  %s\n", w, "benchmark", "value");
    for (int i = 0; i < nrows; i++)
        printf("%-*s  %s\n", w, rows[i][0], rows[i][1]);
    fflush(stdout);
}
