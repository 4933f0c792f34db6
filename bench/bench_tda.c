/* bench_tda.c: persistent homology, ours (panic-tda) against Debian's ripser in the same run, on
 * N = 50, 100, 200, 500 unit vectors of 256 dimensions of three kinds: a walk among drifting
 * centres (a loop that settles into attractors), a random walk on the sphere, and independent
 * Gaussian points (every distance near sqrt 2: the worst case). Each cloud is written once as a
 * lower-distance matrix; both programs read it as child processes: CPU time (user + system) and
 * peak RSS from wait4's rusage, and the wall clock; H<=1 and H<=2. The ratios are ours / ripser's,
 * by CPU time (the wall clock of a shared machine says more about its neighbours). A cell past the
 * per-cell CPU limit (PANIC_BENCH_TDA_LIMIT seconds, default 60, enforced by RLIMIT_CPU) is skipped
 * and named, and the larger N of that row with it. The bar counts of both must agree (a functional
 * failure otherwise). Then the time to analyse one new point on a window of W = 100 (H<=2) in
 * process. */
#define _DEFAULT_SOURCE /* wait4 */
#include "analysis/core/ph.h"
#include "common/rng.h"
#include "util.h"

#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define D 256

enum kind { DRIFT, SPHERE, GAUSS, N_KINDS };
static const char *kind_name[] = {"drift", "sphere", "gauss"};

static double gauss(uint64_t *s)
{
    double u = rng_unit(s), v = rng_unit(s);
    return sqrt(-2 * log(u + 1e-300)) * cos(6.283185307179586 * v);
}

static void unit(double *x)
{
    double s = 0;
    for (int t = 0; t < D; t++)
        s += x[t] * x[t];
    s = 1 / sqrt(s);
    for (int t = 0; t < D; t++)
        x[t] *= s;
}

/* n unit vectors of D floats. */
static float *cloud(enum kind k, size_t n, uint64_t seed)
{
    enum { CENTRES = 6 };
    float *p = malloc(n * D * sizeof *p);
    double c[CENTRES][D], x[D];
    for (int j = 0; j < CENTRES; j++) {
        for (int t = 0; t < D; t++)
            c[j][t] = gauss(&seed);
        unit(c[j]);
    }
    for (int t = 0; t < D; t++)
        x[t] = gauss(&seed);
    unit(x);
    int at = 0;
    for (size_t i = 0; i < n; i++) {
        switch (k) {
        case DRIFT: /* dwell near a centre (about 10 outputs), then jump; centres drift */
            if (rng_unit(&seed) < 0.1)
                at = (int)rng_below(&seed, CENTRES);
            for (int j = 0; j < CENTRES; j++) {
                for (int t = 0; t < D; t++)
                    c[j][t] += 0.02 * gauss(&seed);
                unit(c[j]);
            }
            for (int t = 0; t < D; t++)
                x[t] = c[at][t] + 0.04 * gauss(&seed);
            break;
        case SPHERE: /* steps of chord about 0.3 */
            for (int t = 0; t < D; t++)
                x[t] += 0.3 / sqrt(D) * gauss(&seed);
            break;
        case GAUSS:
            for (int t = 0; t < D; t++)
                x[t] = gauss(&seed);
            break;
        case N_KINDS:
            break;
        }
        unit(x);
        for (int t = 0; t < D; t++)
            p[i * D + t] = (float)x[t];
    }
    return p;
}

static void write_lower(const char *path, const float *p, size_t n)
{
    float *lower = malloc((n * (n - 1) / 2 + 1) * sizeof *lower);
    ph_points_distances(p, n, D, lower);
    FILE *f = fopen(path, "w");
    size_t k = 0;
    for (size_t i = 1; i < n; i++) {
        for (size_t j = 0; j < i; j++)
            fprintf(f, "%s%.9g", j ? "," : "", (double)lower[k++]);
        fputc('\n', f);
    }
    fclose(f);
    free(lower);
}

struct run {
    double ms, cpu_ms;
    double rss_mb;
    int killed;
    size_t bars[3];
};

/* Runs argv with stdout to out, under the CPU limit; wall time and peak RSS. */
static struct run run_child(char *const argv[], const char *out, int limit)
{
    struct run r = {0};
    double t0 = now_ms();
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit rl = {(rlim_t)limit, (rlim_t)limit + 1};
        setrlimit(RLIMIT_CPU, &rl);
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int nul = open("/dev/null", O_WRONLY);
        dup2(fd, 1);
        dup2(nul, 2);
        execvp(argv[0], argv);
        _exit(127);
    }
    int st = 0;
    struct rusage ru;
    wait4(pid, &st, 0, &ru);
    r.ms = now_ms() - t0;
    r.rss_mb = (double)ru.ru_maxrss / 1024;
    r.cpu_ms = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
               (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
    r.killed = !WIFEXITED(st) || WEXITSTATUS(st) != 0;
    return r;
}

/* Bars per dimension in either program's output. */
static void count_bars(const char *path, int ours, struct run *r)
{
    FILE *f = fopen(path, "r");
    char line[256];
    int dim = -1;
    while (f && fgets(line, sizeof line, f)) {
        int d;
        if (ours) {
            if (sscanf(line, "%d", &d) == 1 && d >= 0 && d <= 2)
                r->bars[d]++;
        } else if (sscanf(line, "persistence intervals in dim %d", &d) == 1) {
            dim = d;
        } else if (strchr(line, '[') && dim >= 0 && dim <= 2) {
            r->bars[dim]++;
        }
    }
    if (f)
        fclose(f);
}

static char dir[] = "/tmp/bench_tda_XXXXXX";

static void cell(enum kind k, size_t n, int maxdim, const char *file, const char *tda, int limit,
                 int skip[2][2])
{
    char name[64], out1[128], out2[128], dim[8];
    snprintf(name, sizeof name, "%s N=%zu H<=%d", kind_name[k], n, maxdim);
    if (skip[maxdim - 1][0] && skip[maxdim - 1][1]) {
        row(name, "skipped: a smaller N passed %d s CPU", limit);
        return;
    }
    snprintf(out1, sizeof out1, "%s/ripser.out", dir);
    snprintf(out2, sizeof out2, "%s/tda.out", dir);
    snprintf(dim, sizeof dim, "%d", maxdim);
    char *rip[] = {"ripser", "--format", "lower-distance", "--dim", dim, (char *)file, NULL};
    char *ours[] = {(char *)tda, "ph", "--format",   "lower-distance",
                    "--maxdim",  dim,  (char *)file, NULL};
    struct run a = {0}, b = {0};
    a.killed = b.killed = 1;
    if (!skip[maxdim - 1][0]) {
        a = run_child(rip, out1, limit);
        count_bars(out1, 0, &a);
    }
    if (!skip[maxdim - 1][1]) {
        b = run_child(ours, out2, limit);
        count_bars(out2, 1, &b);
    }
    skip[maxdim - 1][0] |= a.killed;
    skip[maxdim - 1][1] |= b.killed;
    if (a.killed && b.killed) {
        row(name, "both past %d s CPU: skipped", limit);
    } else if (a.killed) {
        row(name, "ripser past %d s CPU; ours %.0f ms %.1f MB", limit, b.ms, b.rss_mb);
    } else if (b.killed) {
        row(name, "ours past %d s CPU; ripser %.0f ms %.1f MB", limit, a.ms, a.rss_mb);
    } else {
        row(name,
            "ours %7.0f ms (%7.0f wall) %6.1f MB | ripser %7.0f ms (%7.0f wall) %6.1f MB | "
            "cpu x%.2f mem x%.2f",
            b.cpu_ms, b.ms, b.rss_mb, a.cpu_ms, a.ms, a.rss_mb, b.cpu_ms / a.cpu_ms,
            b.rss_mb / a.rss_mb);
        for (int d = 0; d <= maxdim; d++)
            if (a.bars[d] != b.bars[d])
                fail("%s: H%d: ripser %zu bars, ours %zu", name, d, a.bars[d], b.bars[d]);
    }
}

/* One new point on a window of W = 100: the window's diagram (H<=2) recomputed per point. */
static void window_step(enum kind k)
{
    enum { W = 100, STEPS = 20 };
    float *p = cloud(k, W + STEPS, 99);
    double ms[STEPS];
    struct ph_options o;
    ph_options_init(&o);
    o.maxdim = 2;
    size_t peak = 0;
    for (int s = 0; s < STEPS; s++) {
        double t0 = now_ms();
        struct ph_diagram *dg = ph_compute_points(p + (size_t)s * D, W, D, &o);
        ms[s] = now_ms() - t0;
        if (!dg || dg->skipped[2])
            fail("window: no diagram");
        if (dg && dg->peak_bytes > peak)
            peak = dg->peak_bytes;
        ph_diagram_free(dg);
    }
    char name[64];
    snprintf(name, sizeof name, "%s: one new point, W=100 H<=2", kind_name[k]);
    row(name, "median %.1f ms, max %.1f ms, peak %.2f MB counted", percentile(ms, STEPS, 50),
        max_of(ms, STEPS), (double)peak / 1048576);
    free(p);
}

int main(void)
{
    bench_name = "bench_tda";
    const char *b = getenv("PANIC_BUILD") ? getenv("PANIC_BUILD") : "build";
    const char *l = getenv("PANIC_BENCH_TDA_LIMIT");
    int limit = l && atoi(l) > 0 ? atoi(l) : 60;
    char tda[512];
    snprintf(tda, sizeof tda, "%s/panic-tda", b);
    if (system("command -v ripser >/dev/null 2>&1") != 0) {
        note("skipped: ripser is not installed (make deps-test installs it)");
        return 0;
    }
    if (!mkdtemp(dir)) {
        fail("mkdtemp");
        return 1;
    }
    static const size_t sizes[] = {50, 100, 200, 500};
    for (int k = 0; k < N_KINDS; k++) {
        int skip[2][2] = {{0}};
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            char file[128];
            snprintf(file, sizeof file, "%s/%s_%zu.ld", dir, kind_name[k], sizes[s]);
            float *p = cloud((enum kind)k, sizes[s], 42 + (uint64_t)k);
            write_lower(file, p, sizes[s]);
            free(p);
            for (int maxdim = 1; maxdim <= 2; maxdim++) {
                note("%s N=%zu H<=%d", kind_name[k], sizes[s], maxdim);
                cell((enum kind)k, sizes[s], maxdim, file, tda, limit, skip);
            }
            unlink(file);
        }
    }
    window_step(DRIFT);
    window_step(SPHERE);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        note("could not remove %s", dir);
    print_table();
    return bench_failures() ? 1 : 0;
}
