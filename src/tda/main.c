/* main.c: panic-tda, persistent homology of a point cloud or a distance matrix on the command
 * line, for exports of a run and for outside tools. This file holds only the I/O: options, reading
 * and checking the input (a bad value is "line N: reason", exit 65), printing the bars or the
 * entropy; the mathematics is src/analysis/core (ph.c, measures.c). */
#include "analysis/core/measures.h"
#include "analysis/core/ph.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EX_USAGE 64
#define EX_DATAERR 65
#define EX_NOINPUT 66

static const char usage_text[] =
    "usage: panic-tda ph|entropy [--maxdim N] [--format points|lower-distance]\n"
    "                 [--max-steps N] [--max-mb N] [--stats] [FILE|-]\n"
    "\n"
    "Vietoris-Rips persistent homology over Z/2 (threshold: the enclosing radius).\n"
    "  ph       one line per bar, DIM BIRTH DEATH (DEATH inf for an infinite bar), sorted\n"
    "  entropy  one line per dimension, DIM ENTROPY (persistence entropy, natural log)\n"
    "  --maxdim N         highest homology dimension, 0..2 (default 1)\n"
    "  --format points    one point a line, coordinates separated by commas or spaces\n"
    "                     (default; Euclidean distance)\n"
    "  --format lower-distance\n"
    "                     the lower triangle of a distance matrix, row by row (as ripser)\n"
    "  --max-steps N, --max-mb N\n"
    "                     a budget: past it H1/H2 are reported skipped on stderr (H0 always)\n"
    "  --stats            the steps taken and the peak of the memory counted, on stderr\n"
    "Blank lines and lines starting with # are ignored. Bad input: \"line N: reason\", exit 65.\n";

static int usage(const char *fmt, ...)
{
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        fputs("panic-tda: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
    }
    fputs(usage_text, stderr);
    return EX_USAGE;
}

struct input {
    float *v; /* every number read, in order */
    size_t n, cap;
    size_t rows, dim; /* points: rows of dim numbers */
};

static void push(struct input *in, float x)
{
    if (in->n == in->cap) {
        in->cap = in->cap ? 2 * in->cap : 1024;
        in->v = realloc(in->v, in->cap * sizeof *in->v);
        if (!in->v)
            abort();
    }
    in->v[in->n++] = x;
}

/* Reads the numbers of one line into in; the count, or -1 with *why set. */
static long parse_line(char *s, struct input *in, char *why, size_t whylen)
{
    long count = 0;
    for (;;) {
        while (*s == ' ' || *s == '\t' || *s == ',' || *s == '\r')
            s++;
        if (!*s || *s == '\n')
            return count;
        char *end;
        errno = 0;
        double x = strtod(s, &end);
        if (end == s) {
            size_t len = strcspn(s, " \t,\r\n");
            snprintf(why, whylen, "not a number: \"%.*s\"", (int)(len > 40 ? 40 : len), s);
            return -1;
        }
        if (!isfinite(x) || fabs(x) > 3.4e38) {
            snprintf(why, whylen, "not a finite float: \"%.*s\"", (int)(end - s), s);
            return -1;
        }
        if (*end && !strchr(" \t,\r\n", *end)) {
            size_t len = strcspn(s, " \t,\r\n");
            snprintf(why, whylen, "not a number: \"%.*s\"", (int)(len > 40 ? 40 : len), s);
            return -1;
        }
        push(in, (float)x);
        count++;
        s = end;
    }
}

/* Reads the whole input; 0, or EX_DATAERR after printing "line N: reason". */
static int read_input(FILE *f, int lower, struct input *in)
{
    char *line = NULL, why[128];
    size_t cap = 0, lineno = 0, last_line = 0;
    ssize_t len;
    int rc = 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        const char *p = line + strspn(line, " \t\r\n,");
        if (!*p || *p == '#')
            continue;
        size_t before = in->n;
        long k = parse_line(line, in, why, sizeof why);
        if (k < 0) {
            fprintf(stderr, "line %zu: %s\n", lineno, why);
            rc = EX_DATAERR;
            break;
        }
        last_line = lineno;
        if (lower) {
            for (size_t i = before; i < in->n; i++)
                if (in->v[i] < 0) {
                    fprintf(stderr, "line %zu: negative distance %g\n", lineno, in->v[i]);
                    rc = EX_DATAERR;
                    break;
                }
            if (rc)
                break;
        } else if (in->rows == 0) {
            in->dim = (size_t)k;
        } else if ((size_t)k != in->dim) {
            fprintf(stderr, "line %zu: %ld coordinates, the first point has %zu\n", lineno, k,
                    in->dim);
            rc = EX_DATAERR;
            break;
        }
        in->rows++;
    }
    if (!rc && ferror(f)) {
        fprintf(stderr, "line %zu: read error: %s\n", lineno + 1, strerror(errno));
        rc = EX_DATAERR;
    }
    if (!rc && lower) {
        /* n(n-1)/2 values make n points (none: one point, as ripser reads it) */
        size_t n = 1;
        while (n * (n - 1) / 2 < in->n)
            n++;
        if (n * (n - 1) / 2 != in->n) {
            fprintf(stderr, "line %zu: %zu distances is not a lower triangle (n(n-1)/2)\n",
                    last_line, in->n);
            rc = EX_DATAERR;
        }
        in->rows = n;
    }
    free(line);
    return rc;
}

static void print_value(float x)
{
    if (isinf(x))
        fputs("inf", stdout);
    else
        printf("%.9g", (double)x);
}

int main(int argc, char **argv)
{
    struct ph_options o;
    ph_options_init(&o);
    int lower = 0, stats = 0, i = 1;
    const char *path = NULL;
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        if (argc >= 2) {
            fputs(usage_text, stdout);
            return 0;
        }
        return usage(NULL);
    }
    const char *cmd = argv[i++];
    if (strcmp(cmd, "ph") && strcmp(cmd, "entropy"))
        return usage("unknown command \"%s\"", cmd);
    for (; i < argc; i++) {
        const char *a = argv[i];
        char *end;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (!strcmp(a, "--stats")) {
            stats = 1;
            continue;
        }
        if (a[0] == '-' && a[1] && i + 1 >= argc)
            return usage("%s needs a value", a);
        if (!strcmp(a, "--maxdim")) {
            long v = strtol(argv[++i], &end, 10);
            if (*end || end == argv[i] || v < 0 || v > PH_MAXDIM)
                return usage("--maxdim: 0..%d, not \"%s\"", PH_MAXDIM, argv[i]);
            o.maxdim = (int)v;
        } else if (!strcmp(a, "--format")) {
            i++;
            if (!strcmp(argv[i], "points"))
                lower = 0;
            else if (!strcmp(argv[i], "lower-distance"))
                lower = 1;
            else
                return usage("--format: points or lower-distance, not \"%s\"", argv[i]);
        } else if (!strcmp(a, "--max-steps") || !strcmp(a, "--max-mb")) {
            unsigned long long v = strtoull(argv[++i], &end, 10);
            if (*end || end == argv[i] || argv[i][0] == '-')
                return usage("%s: a whole number, not \"%s\"", a, argv[i]);
            if (!strcmp(a, "--max-steps"))
                o.max_steps = v;
            else
                o.max_bytes = (size_t)v << 20;
        } else if (a[0] == '-' && a[1]) {
            return usage("unknown option %s", a);
        } else if (path) {
            return usage("one input at most");
        } else {
            path = a;
        }
    }
    FILE *f = stdin;
    if (path && strcmp(path, "-")) {
        f = fopen(path, "r");
        if (!f) {
            fprintf(stderr, "panic-tda: %s: %s\n", path, strerror(errno));
            return EX_NOINPUT;
        }
    }
    struct input in = {0};
    int rc = read_input(f, lower, &in);
    if (f != stdin)
        fclose(f);
    if (rc) {
        free(in.v);
        return rc;
    }
    struct ph_diagram *dg =
        lower ? ph_compute_lower(in.v, in.rows, &o) : ph_compute_points(in.v, in.rows, in.dim, &o);
    free(in.v);
    if (!dg) {
        fprintf(stderr, "panic-tda: the input cannot be analysed\n");
        return EX_DATAERR;
    }
    for (int d = 0; d <= o.maxdim; d++) {
        if (dg->skipped[d])
            fprintf(stderr, "panic-tda: H%d skipped: past the budget\n", d);
        if (!strcmp(cmd, "entropy")) {
            printf("%d ", d);
            if (dg->skipped[d])
                puts("skipped");
            else
                printf("%.9g\n", ph_entropy(dg->bars, dg->n_bars, d));
        }
    }
    if (!strcmp(cmd, "ph"))
        for (size_t k = 0; k < dg->n_bars; k++) {
            printf("%d ", dg->bars[k].dim);
            print_value(dg->bars[k].birth);
            putchar(' ');
            print_value(dg->bars[k].death);
            putchar('\n');
        }
    if (stats)
        fprintf(stderr, "panic-tda: steps %llu peak_bytes %zu threshold %.9g\n",
                (unsigned long long)dg->steps, dg->peak_bytes, (double)dg->threshold);
    ph_diagram_free(dg);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "panic-tda: stdout: %s\n", strerror(errno));
        return 74;
    }
    return 0;
}
