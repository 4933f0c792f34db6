/* it_tda_ripser.c: panic-tda against Debian's ripser, the reference implementation, on fixed-seed
 * random clouds of several kinds (uniform, Gaussian, a noisy circle, a walk among drifting
 * centres, points on an integer grid and integer distances, whose many ties test the tie order)
 * and sizes (n = 20..80, d = 2..16), maxdim 2. Each cloud is written once as a lower-distance
 * matrix of float32 values (%.9g), both programs read that file, and each dimension's bars are
 * compared as a multiset after formatting every value as float32 %g (ripser prints 6 significant
 * digits). Also panic-tda's exit codes on bad input and bad options, the budget (H1/H2 skipped)
 * and the entropy command. Without ripser it says so in one line and runs the rest. */
#include "common/rng.h"
#include "test.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/it_tda_XXXXXX";
static char tda[512];
static int have_ripser;
static int clouds_compared;
static size_t bars_compared[3];

enum kind { UNIFORM, GAUSS, CIRCLE, WALK, GRID, INTDIST, N_KINDS };
static const char *kind_name[] = {"uniform", "gauss", "circle", "walk", "grid", "intdist"};

static double gauss(uint64_t *s)
{
    double u = rng_unit(s), v = rng_unit(s);
    return sqrt(-2 * log(u + 1e-300)) * cos(6.283185307179586 * v);
}

/* A cloud of n points in d dimensions written as a lower-distance file; its path in path. */
static void write_cloud(enum kind k, int n, int d, uint64_t seed, const char *path)
{
    uint64_t s = seed;
    double *p = calloc((size_t)n * (size_t)d, sizeof *p), *c = calloc((size_t)d, sizeof *c);
    for (int i = 0; i < n; i++)
        for (int t = 0; t < d; t++) {
            double *x = &p[i * d + t];
            switch (k) {
            case UNIFORM:
                *x = rng_unit(&s);
                break;
            case GAUSS:
                *x = gauss(&s);
                break;
            case CIRCLE:
                *x = t == 0   ? cos(6.283185307179586 * i / n)
                     : t == 1 ? sin(6.283185307179586 * i / n)
                              : 0;
                *x += 0.05 * gauss(&s);
                break;
            case WALK:
                if (i % 8 == 0 && t == 0)
                    for (int u = 0; u < d; u++)
                        c[u] += 0.6 * gauss(&s);
                *x = c[t] + 0.3 * gauss(&s);
                break;
            case GRID:
                *x = (double)rng_below(&s, 4);
                break;
            case INTDIST:
            case N_KINDS:
                break;
            }
        }
    FILE *f = fopen(path, "w");
    for (int i = 1; i < n; i++) {
        for (int j = 0; j < i; j++) {
            double q = 0;
            if (k == INTDIST) {
                q = (double)(1 + rng_below(&s, 6));
            } else {
                for (int t = 0; t < d; t++)
                    q += (p[i * d + t] - p[j * d + t]) * (p[i * d + t] - p[j * d + t]);
                q = sqrt(q);
            }
            fprintf(f, "%s%.9g", j ? "," : "", (double)(float)q);
        }
        fputc('\n', f);
    }
    fclose(f);
    free(p);
    free(c);
}

/* Lines "DIM b,d" (values as float32 %g), sorted, from either program's output. */
struct bars {
    char **line;
    size_t n, cap;
};

static void bars_add(struct bars *b, int dim, float birth, float death, int inf)
{
    char buf[96];
    if (inf)
        snprintf(buf, sizeof buf, "%d %g,inf", dim, (double)birth);
    else
        snprintf(buf, sizeof buf, "%d %g,%g", dim, (double)birth, (double)death);
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 64;
        b->line = realloc(b->line, b->cap * sizeof *b->line);
    }
    b->line[b->n++] = strdup(buf);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void bars_free(struct bars *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->line[i]);
    free(b->line);
    memset(b, 0, sizeof *b);
}

/* Runs cmd, reading its output as ripser's (ours = 0) or panic-tda's; its exit status. */
static int run_bars(const char *cmd, int ours, struct bars *b)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    char line[256];
    int dim = -1;
    while (fgets(line, sizeof line, p)) {
        if (ours) {
            int d;
            char x[64], y[64];
            if (sscanf(line, "%d %63s %63s", &d, x, y) == 3)
                bars_add(b, d, strtof(x, NULL), strtof(y, NULL), !strcmp(y, "inf"));
            continue;
        }
        if (sscanf(line, "persistence intervals in dim %d", &dim) == 1)
            continue;
        const char *l = strchr(line, '[');
        if (!l || dim < 0)
            continue;
        char *end;
        float birth = strtof(l + 1, &end);
        if (*end != ',')
            continue;
        if (end[1] == ' ' && end[2] == ')')
            bars_add(b, dim, birth, 0, 1);
        else
            bars_add(b, dim, birth, strtof(end + 1, NULL), 0);
    }
    int st = pclose(p);
    qsort(b->line, b->n, sizeof *b->line, cmp_str);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void compare_cloud(enum kind k, int n, int d, uint64_t seed)
{
    char path[128], cmd[1024];
    snprintf(path, sizeof path, "%s/%s_%d_%d_%llu.ld", dir, kind_name[k], n, d,
             (unsigned long long)seed);
    write_cloud(k, n, d, seed, path);
    struct bars want = {0}, got = {0};
    snprintf(cmd, sizeof cmd, "ripser --format lower-distance --dim 2 %s", path);
    int rc1 = run_bars(cmd, 0, &want);
    snprintf(cmd, sizeof cmd, "%s ph --maxdim 2 --format lower-distance %s", tda, path);
    int rc2 = run_bars(cmd, 1, &got);
    CHECK_EQ_INT(rc1, 0);
    CHECK_EQ_INT(rc2, 0);
    int same = want.n == got.n;
    for (size_t i = 0; same && i < want.n; i++)
        same = !strcmp(want.line[i], got.line[i]);
    if (!same) {
        TEST_FAIL_AT("%s n=%d d=%d seed=%llu: ripser %zu bars, panic-tda %zu (file %s)",
                     kind_name[k], n, d, (unsigned long long)seed, want.n, got.n, path);
        for (size_t i = 0, j = 0; (i < want.n || j < got.n) && i + j < 40;) {
            int c = i >= want.n ? 1 : j >= got.n ? -1 : strcmp(want.line[i], got.line[j]);
            if (c < 0)
                printf("    only ripser:    %s\n", want.line[i++]);
            else if (c > 0)
                printf("    only panic-tda: %s\n", got.line[j++]);
            else
                i++, j++;
        }
    } else {
        unlink(path);
        for (size_t i = 0; i < got.n; i++)
            if (got.line[i][0] >= '0' && got.line[i][0] <= '2')
                bars_compared[got.line[i][0] - '0']++;
    }
    clouds_compared++;
    bars_free(&want);
    bars_free(&got);
}

TEST(random_clouds_match_ripser)
{
    static const int sizes[][2] = {{20, 2}, {35, 3}, {50, 8}, {64, 16}, {80, 4}};
    for (int k = 0; k < N_KINDS; k++)
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
            compare_cloud((enum kind)k, sizes[s][0], sizes[s][1], 1000 + 17 * (uint64_t)k + s);
    printf("  %d clouds compared with ripser, each dimension as a multiset: %zu H0, %zu H1, %zu H2 "
           "bars equal\n",
           clouds_compared, bars_compared[0], bars_compared[1], bars_compared[2]);
    CHECK_GE(bars_compared[1], 30);
    CHECK_GE(bars_compared[2], 5);
}

/* Writes text to a file and runs panic-tda with args on it; its exit status and stderr. */
static int run_tda(const char *text, const char *args, char *err, size_t errlen)
{
    char in[64], errpath[64], cmd[2048];
    snprintf(in, sizeof in, "%s/in.txt", dir);
    snprintf(errpath, sizeof errpath, "%s/err.txt", dir);
    FILE *f = fopen(in, "w");
    fputs(text, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s %s %s >/dev/null 2>%s", tda, args, in, errpath);
    int st = system(cmd);
    err[0] = 0;
    f = fopen(errpath, "r");
    if (f) {
        size_t k = fread(err, 1, errlen - 1, f);
        err[k] = 0;
        fclose(f);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST(bad_input_exits_65_with_the_line)
{
    char err[1024];
    CHECK_EQ_INT(run_tda("1,2\n3,4\n5,x\n", "ph", err, sizeof err), 65);
    CHECK(strstr(err, "line 3: not a number") != NULL);
    CHECK_EQ_INT(run_tda("1,2\n\n3,4,5\n", "ph", err, sizeof err), 65);
    CHECK(strstr(err, "line 3: 3 coordinates") != NULL);
    CHECK_EQ_INT(run_tda("1 2 nan\n", "ph", err, sizeof err), 65);
    CHECK(strstr(err, "line 1: not a finite") != NULL);
    CHECK_EQ_INT(run_tda("1\n2 3\n4\n", "ph --format lower-distance", err, sizeof err), 65);
    CHECK(strstr(err, "line 3: 4 distances is not a lower triangle") != NULL);
    CHECK_EQ_INT(run_tda("1\n2 -3\n", "ph --format lower-distance", err, sizeof err), 65);
    CHECK(strstr(err, "line 2: negative distance") != NULL);
    CHECK_EQ_INT(run_tda("1\n2 3\n", "ph --format lower-distance", err, sizeof err), 0);
    CHECK_EQ_INT(run_tda("", "ph", err, sizeof err), 0);
}

TEST(bad_options_exit_64_with_usage)
{
    char err[1024];
    CHECK_EQ_INT(run_tda("0 0\n", "ph --maxdim 3", err, sizeof err), 64);
    CHECK(strstr(err, "usage: panic-tda") != NULL);
    CHECK_EQ_INT(run_tda("0 0\n", "ph --format csv", err, sizeof err), 64);
    CHECK_EQ_INT(run_tda("0 0\n", "ph --frobnicate", err, sizeof err), 64);
    CHECK_EQ_INT(run_tda("0 0\n", "homology", err, sizeof err), 64);
    CHECK_EQ_INT(run_tda("0 0\n", "ph --maxdim", err, sizeof err), 64);
}

TEST(budget_on_the_command_line)
{
    char err[1024], text[4096] = "", cmd[1024], out[256];
    uint64_t seed = 5;
    for (int i = 0; i < 30; i++) {
        size_t len = strlen(text);
        snprintf(text + len, sizeof text - len, "%.6f %.6f %.6f\n", rng_unit(&seed),
                 rng_unit(&seed), rng_unit(&seed));
    }
    CHECK_EQ_INT(run_tda(text, "ph --maxdim 2 --max-steps 10", err, sizeof err), 0);
    CHECK(strstr(err, "H1 skipped") != NULL);
    CHECK(strstr(err, "H2 skipped") != NULL);
    CHECK(strstr(err, "H0 skipped") == NULL);
    CHECK_EQ_INT(run_tda(text, "ph --maxdim 2", err, sizeof err), 0);
    CHECK(strstr(err, "skipped") == NULL);
    /* entropy names the skipped dimensions on stdout (in.txt is still the cloud) */
    snprintf(cmd, sizeof cmd, "%s entropy --maxdim 2 --max-steps 10 %s/in.txt 2>/dev/null", tda,
             dir);
    FILE *p = popen(cmd, "r");
    size_t k = fread(out, 1, sizeof out - 1, p);
    out[k] = 0;
    CHECK_EQ_INT(pclose(p), 0);
    CHECK(strstr(out, "1 skipped\n2 skipped\n") != NULL);
    CHECK(strncmp(out, "0 ", 2) == 0 && strncmp(out, "0 skipped", 9) != 0);
}

TEST(hexagon_on_the_command_line)
{
    char in[64], cmd[1024], out[4096];
    snprintf(in, sizeof in, "%s/hex.txt", dir);
    FILE *f = fopen(in, "w");
    for (int i = 0; i < 6; i++)
        fprintf(f, "%.9g, %.9g\n", cos(i * 1.0471975511965976), sin(i * 1.0471975511965976));
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s ph %s", tda, in);
    FILE *p = popen(cmd, "r");
    size_t k = fread(out, 1, sizeof out - 1, p);
    out[k] = 0;
    CHECK_EQ_INT(pclose(p), 0);
    /* five [0, 1) bars (float32 rounding of the coordinates may move the last digit) */
    int h0 = 0, h1 = 0, inf = 0;
    for (char *l = strtok(out, "\n"); l; l = strtok(NULL, "\n")) {
        int d;
        char b[64], e[64];
        REQUIRE(sscanf(l, "%d %63s %63s", &d, b, e) == 3);
        if (d == 0 && !strcmp(e, "inf"))
            inf++;
        else if (d == 0 && fabs(strtod(e, NULL) - 1) < 1e-6)
            h0++;
        else if (d == 1 && fabs(strtod(b, NULL) - 1) < 1e-6 &&
                 fabs(strtod(e, NULL) - sqrt(3)) < 1e-6)
            h1++;
        else
            TEST_FAIL_AT("unexpected bar %s", l);
    }
    CHECK_EQ_INT(h0, 5);
    CHECK_EQ_INT(inf, 1);
    CHECK_EQ_INT(h1, 1);
    /* entropy: five equal finite H0 bars give ln 5, one H1 bar 0 */
    snprintf(cmd, sizeof cmd, "%s entropy %s", tda, in);
    p = popen(cmd, "r");
    k = fread(out, 1, sizeof out - 1, p);
    out[k] = 0;
    CHECK_EQ_INT(pclose(p), 0);
    double e0 = -1, e1 = -1;
    CHECK(sscanf(out, "0 %lf\n1 %lf", &e0, &e1) == 2);
    CHECK_NEAR(e0, log(5), 1e-6);
    CHECK(e1 == 0);
}

int main(void)
{
    const char *b = getenv("PANIC_BUILD") ? getenv("PANIC_BUILD") : "build";
    snprintf(tda, sizeof tda, "%s/panic-tda", b);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    have_ripser = system("command -v ripser >/dev/null 2>&1") == 0;
    if (have_ripser)
        RUN(random_clouds_match_ripser);
    else
        printf("skip random_clouds_match_ripser: ripser is not installed (make deps-test "
               "installs it)\n");
    RUN(bad_input_exits_65_with_the_line);
    RUN(bad_options_exit_64_with_usage);
    RUN(budget_on_the_command_line);
    RUN(hexagon_on_the_command_line);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        printf("  could not remove %s\n", dir);
    TEST_END("it_tda_ripser");
}
