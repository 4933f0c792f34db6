/* test_ph.c: the persistent homology core (src/analysis/core/ph.c) on diagrams known in closed
 * form (regular polygons, points on a circle, the octahedron, duplicate points, ties, one, two and
 * no points), the budget (skipped dimensions, deterministic to the step), and the measures
 * (persistence entropy against hand-computed values, chord drift). */
#include "analysis/core/measures.h"
#include "analysis/core/ph.h"
#include "common/rng.h"
#include "test.h"

#include <stdint.h>

#define PI 3.14159265358979323846

static struct ph_diagram *run_lower(const float *lower, size_t n, int maxdim)
{
    struct ph_options o;
    ph_options_init(&o);
    o.maxdim = maxdim;
    return ph_compute_lower(lower, n, &o);
}

/* The lower-distance matrix of a regular n-gon of circumradius 1 (chords 2 sin(pi k / n)). */
static float *ngon(size_t n)
{
    float *d = malloc(n * (n - 1) / 2 * sizeof *d);
    size_t k = 0;
    for (size_t i = 1; i < n; i++)
        for (size_t j = 0; j < i; j++)
            d[k++] = (float)(2 * sin(PI * (double)(i - j) / (double)n));
    return d;
}

static size_t count_bars(const struct ph_diagram *dg, int dim, float birth, float death)
{
    size_t c = 0;
    for (size_t i = 0; i < dg->n_bars; i++)
        if (dg->bars[i].dim == dim && dg->bars[i].birth == birth && dg->bars[i].death == death)
            c++;
    return c;
}

static size_t count_dim(const struct ph_diagram *dg, int dim)
{
    size_t c = 0;
    for (size_t i = 0; i < dg->n_bars; i++)
        c += dg->bars[i].dim == dim;
    return c;
}

TEST(hexagon_five_h0_bars_one_infinite_one_h1)
{
    float *d = ngon(6);
    struct ph_diagram *dg = run_lower(d, 6, 2);
    REQUIRE(dg);
    float side = (float)(2 * sin(PI / 6)), diag = (float)(2 * sin(2 * PI / 6));
    CHECK(side == 1.0f);
    CHECK_NEAR(diag, sqrt(3), 1e-6);
    CHECK_EQ_INT(count_bars(dg, 0, 0, side), 5);
    CHECK_EQ_INT(count_bars(dg, 0, 0, INFINITY), 1);
    CHECK_EQ_INT(count_dim(dg, 0), 6);
    CHECK_EQ_INT(count_bars(dg, 1, side, diag), 1);
    CHECK_EQ_INT(count_dim(dg, 1), 1);
    /* at sqrt 3 the two long triangles make an octahedron's surface: one H2 bar to 2 */
    CHECK_EQ_INT(count_bars(dg, 2, diag, 2), 1);
    CHECK_EQ_INT(count_dim(dg, 2), 1);
    CHECK(dg->threshold == 2.0f);
    ph_diagram_free(dg);
    free(d);
}

TEST(square_and_pentagon)
{
    for (size_t n = 4; n <= 5; n++) {
        float *d = ngon(n);
        struct ph_diagram *dg = run_lower(d, n, 2);
        REQUIRE(dg);
        float side = (float)(2 * sin(PI / (double)n)), diag = (float)(2 * sin(2 * PI / (double)n));
        CHECK_EQ_INT(count_bars(dg, 0, 0, side), n - 1);
        CHECK_EQ_INT(count_bars(dg, 1, side, diag), 1);
        CHECK_EQ_INT(dg->n_bars, n + 1);
        ph_diagram_free(dg);
        free(d);
    }
}

TEST(hexagon_from_points)
{
    float p[12];
    for (int i = 0; i < 6; i++) {
        p[2 * i] = (float)cos(i * PI / 3);
        p[2 * i + 1] = (float)sin(i * PI / 3);
    }
    struct ph_options o;
    ph_options_init(&o);
    struct ph_diagram *dg = ph_compute_points(p, 6, 2, &o);
    REQUIRE(dg);
    REQUIRE_EQ_INT(dg->n_bars, 7);
    for (int i = 0; i < 5; i++)
        CHECK_NEAR(dg->bars[i].death, 1, 1e-6);
    CHECK(isinf(dg->bars[5].death));
    CHECK_EQ_INT(dg->bars[6].dim, 1);
    CHECK_NEAR(dg->bars[6].birth, 1, 1e-6);
    CHECK_NEAR(dg->bars[6].death, sqrt(3), 1e-6);
    ph_diagram_free(dg);
}

TEST(points_on_a_circle_have_one_long_h1_bar)
{
    enum { N = 40 };
    float p[2 * N];
    for (int i = 0; i < N; i++) {
        p[2 * i] = (float)(3 * cos(2 * PI * i / N));
        p[2 * i + 1] = (float)(3 * sin(2 * PI * i / N));
    }
    struct ph_options o;
    ph_options_init(&o);
    o.maxdim = 2;
    struct ph_diagram *dg = ph_compute_points(p, N, 2, &o);
    REQUIRE(dg);
    size_t h1 = 0, long_h1 = 0;
    for (size_t i = 0; i < dg->n_bars; i++) {
        if (dg->bars[i].dim != 1)
            continue;
        h1++;
        if (dg->bars[i].death - dg->bars[i].birth > 3) {
            long_h1++;
            CHECK_NEAR(dg->bars[i].birth, 6 * sin(PI / N), 1e-5);
        }
    }
    CHECK_EQ_INT(long_h1, 1);
    CHECK_GE(h1, 1);
    CHECK_EQ_INT(count_dim(dg, 0), N);
    ph_diagram_free(dg);
}

TEST(octahedron_has_one_h2_bar)
{
    float p[] = {1, 0, 0, -1, 0, 0, 0, 1, 0, 0, -1, 0, 0, 0, 1, 0, 0, -1};
    struct ph_options o;
    ph_options_init(&o);
    o.maxdim = 2;
    struct ph_diagram *dg = ph_compute_points(p, 6, 3, &o);
    REQUIRE(dg);
    float s2 = (float)sqrt(2);
    CHECK_EQ_INT(count_bars(dg, 0, 0, s2), 5);
    CHECK_EQ_INT(count_bars(dg, 0, 0, INFINITY), 1);
    CHECK_EQ_INT(count_dim(dg, 1), 0);
    CHECK_EQ_INT(count_bars(dg, 2, s2, 2), 1);
    CHECK_EQ_INT(dg->n_bars, 7);
    ph_diagram_free(dg);
}

TEST(duplicate_points_give_no_zero_length_bars)
{
    float p[] = {0, 0, 0, 0, 1, 0, 1, 0, 0, 1};
    struct ph_options o;
    ph_options_init(&o);
    struct ph_diagram *dg = ph_compute_points(p, 5, 2, &o);
    REQUIRE(dg);
    /* {a, a}, {b, b}, c: the duplicates merge at 0 (no bar); then [0,1) twice, one infinite */
    CHECK_EQ_INT(count_bars(dg, 0, 0, 1), 2);
    CHECK_EQ_INT(count_bars(dg, 0, 0, INFINITY), 1);
    CHECK_EQ_INT(dg->n_bars, 3);
    for (size_t i = 0; i < dg->n_bars; i++)
        CHECK(dg->bars[i].death > dg->bars[i].birth);
    ph_diagram_free(dg);
}

TEST(all_distances_equal)
{
    /* six points, every distance 1: a simplex, contractible from 1 on */
    float d[15];
    for (int i = 0; i < 15; i++)
        d[i] = 1;
    struct ph_diagram *dg = run_lower(d, 6, 2);
    REQUIRE(dg);
    CHECK_EQ_INT(count_bars(dg, 0, 0, 1), 5);
    CHECK_EQ_INT(count_bars(dg, 0, 0, INFINITY), 1);
    CHECK_EQ_INT(dg->n_bars, 6);
    ph_diagram_free(dg);
}

TEST(one_two_and_no_points)
{
    struct ph_options o;
    ph_options_init(&o);
    o.maxdim = 2;
    float p[] = {0.5f, 0.5f, 3.5f, 4.5f};
    struct ph_diagram *dg = ph_compute_points(p, 0, 2, &o);
    REQUIRE(dg);
    CHECK_EQ_INT(dg->n_bars, 0);
    ph_diagram_free(dg);
    dg = ph_compute_points(p, 1, 2, &o);
    REQUIRE(dg);
    REQUIRE_EQ_INT(dg->n_bars, 1);
    CHECK(dg->bars[0].dim == 0 && dg->bars[0].birth == 0 && isinf(dg->bars[0].death));
    ph_diagram_free(dg);
    dg = ph_compute_points(p, 2, 2, &o);
    REQUIRE(dg);
    REQUIRE_EQ_INT(dg->n_bars, 2);
    CHECK(dg->bars[0].death == 5.0f);
    CHECK(isinf(dg->bars[1].death));
    ph_diagram_free(dg);
}

TEST(invalid_input_is_refused)
{
    struct ph_options o;
    ph_options_init(&o);
    float d[] = {1, NAN, 1};
    CHECK(ph_compute_lower(d, 3, &o) == NULL);
    d[1] = -1;
    CHECK(ph_compute_lower(d, 3, &o) == NULL);
    d[1] = 1;
    o.maxdim = 3;
    CHECK(ph_compute_lower(d, 3, &o) == NULL);
    o.maxdim = 1;
    float p[] = {0, INFINITY};
    CHECK(ph_compute_points(p, 1, 2, &o) == NULL);
}

static float *gauss_cloud(size_t n, size_t d, uint64_t seed)
{
    float *p = malloc(n * d * sizeof *p);
    for (size_t i = 0; i < n * d; i++)
        p[i] = (float)(rng_unit(&seed) - rng_unit(&seed));
    return p;
}

static int same_bars(const struct ph_diagram *a, const struct ph_diagram *b, int maxdim)
{
    size_t i = 0, j = 0;
    for (;;) {
        while (i < a->n_bars && a->bars[i].dim > maxdim)
            i++;
        while (j < b->n_bars && b->bars[j].dim > maxdim)
            j++;
        if (i == a->n_bars || j == b->n_bars)
            return i == a->n_bars && j == b->n_bars;
        if (a->bars[i].dim != b->bars[j].dim || a->bars[i].birth != b->bars[j].birth ||
            a->bars[i].death != b->bars[j].death)
            return 0;
        i++, j++;
    }
}

TEST(budget_of_steps_skips_deterministically)
{
    float *p = gauss_cloud(40, 5, 7);
    struct ph_options o;
    ph_options_init(&o);
    o.maxdim = 2;
    struct ph_diagram *full = ph_compute_points(p, 40, 5, &o);
    REQUIRE(full);
    CHECK(!full->skipped[1] && !full->skipped[2]);
    CHECK_GE(count_dim(full, 1), 1);
    CHECK_GE(full->steps, 1000);
    /* exactly the steps the whole computation takes: nothing skipped */
    o.max_steps = full->steps;
    struct ph_diagram *dg = ph_compute_points(p, 40, 5, &o);
    REQUIRE(dg);
    CHECK(!dg->skipped[1] && !dg->skipped[2]);
    CHECK(same_bars(dg, full, 2));
    ph_diagram_free(dg);
    /* one step fewer: H2 (at least) skipped, the rest as before */
    o.max_steps = full->steps - 1;
    dg = ph_compute_points(p, 40, 5, &o);
    REQUIRE(dg);
    CHECK(dg->skipped[2]);
    CHECK_EQ_INT(count_dim(dg, 2), 0);
    CHECK(same_bars(dg, full, dg->skipped[1] ? 0 : 1));
    ph_diagram_free(dg);
    /* a small budget: H1 and H2 skipped, H0 whole, the same on every run */
    o.max_steps = 500;
    struct ph_diagram *a = ph_compute_points(p, 40, 5, &o), *b = ph_compute_points(p, 40, 5, &o);
    REQUIRE(a && b);
    CHECK(a->skipped[1] && a->skipped[2] && !a->skipped[0]);
    CHECK_EQ_INT(count_dim(a, 1) + count_dim(a, 2), 0);
    CHECK(same_bars(a, full, 0));
    CHECK_EQ_INT(count_dim(a, 0), 40);
    CHECK(a->steps == b->steps);
    ph_diagram_free(a);
    ph_diagram_free(b);
    ph_diagram_free(full);
    free(p);
}

TEST(budget_of_memory_skips)
{
    float *p = gauss_cloud(60, 4, 9);
    struct ph_options o;
    ph_options_init(&o);
    o.maxdim = 2;
    struct ph_diagram *full = ph_compute_points(p, 60, 4, &o);
    REQUIRE(full);
    CHECK(!full->skipped[2]);
    o.max_bytes = full->peak_bytes;
    struct ph_diagram *dg = ph_compute_points(p, 60, 4, &o);
    REQUIRE(dg);
    CHECK(!dg->skipped[1] && !dg->skipped[2]);
    ph_diagram_free(dg);
    /* the distance matrix alone is 60 * 60 * 4 bytes: H0 goes on, H1/H2 cannot */
    o.max_bytes = 60 * 60 * 4;
    dg = ph_compute_points(p, 60, 4, &o);
    REQUIRE(dg);
    CHECK(dg->skipped[1] && dg->skipped[2]);
    CHECK(same_bars(dg, full, 0));
    CHECK_EQ_INT(count_dim(dg, 0), 60);
    ph_diagram_free(dg);
    ph_diagram_free(full);
    free(p);
}

TEST(points_and_lower_matrix_agree)
{
    float *p = gauss_cloud(30, 3, 11);
    float *lower = malloc(30 * 29 / 2 * sizeof *lower);
    ph_points_distances(p, 30, 3, lower);
    struct ph_options o;
    ph_options_init(&o);
    o.maxdim = 2;
    struct ph_diagram *a = ph_compute_points(p, 30, 3, &o), *b = ph_compute_lower(lower, 30, &o);
    REQUIRE(a && b);
    CHECK(same_bars(a, b, 2));
    CHECK_GE(count_dim(a, 1), 1);
    ph_diagram_free(a);
    ph_diagram_free(b);
    free(lower);
    free(p);
}

/* n independent Gaussian directions in d dimensions (unit vectors): every distance near sqrt 2,
 * the cloud whose reductions grow the longest heaps. */
static float *sphere_cloud(size_t n, size_t d, uint64_t seed)
{
    float *p = malloc(n * d * sizeof *p);
    for (size_t i = 0; i < n; i++) {
        double s = 0;
        for (size_t t = 0; t < d; t++) {
            double u = rng_unit(&seed), v = rng_unit(&seed);
            double g = sqrt(-2 * log(u + 1e-300)) * cos(2 * PI * v);
            p[i * d + t] = (float)g;
            s += g * g;
        }
        for (size_t t = 0; t < d; t++)
            p[i * d + t] = (float)(p[i * d + t] / sqrt(s));
    }
    return p;
}

TEST(heap_widths_and_compaction_agree)
{
    /* one-word and two-word keys, each with and without compaction (past 256 entries), give
     * the same diagram in the same steps; one word takes less memory than two, compaction less
     * than none */
    static const struct {
        size_t n;
        int maxdim;
    } cases[] = {{70, 1}, {40, 2}, {45, 2}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        float *p = sphere_cloud(cases[c].n, 256, 3 + c);
        struct ph_options o;
        ph_options_init(&o);
        o.maxdim = cases[c].maxdim;
        struct ph_diagram *dg[4];
        for (int v = 0; v < 4; v++) {
            o.wide_keys = v & 1;
            o.compact_at = v & 2 ? 256 : 0;
            dg[v] = ph_compute_points(p, cases[c].n, 256, &o);
            REQUIRE(dg[v]);
        }
        for (int v = 1; v < 4; v++) {
            CHECK(same_bars(dg[0], dg[v], 2));
            CHECK(dg[0]->steps == dg[v]->steps);
        }
        CHECK_GE(count_dim(dg[0], cases[c].maxdim), 1);
        CHECK(dg[0]->peak_bytes < dg[1]->peak_bytes);
        CHECK(dg[2]->peak_bytes < dg[0]->peak_bytes);
        CHECK(dg[3]->peak_bytes < dg[1]->peak_bytes);
        for (int v = 0; v < 4; v++)
            ph_diagram_free(dg[v]);
        free(p);
    }
}

TEST(entropy_by_hand)
{
    struct ph_bar bars[] = {
        {0, 0, 1}, {0, 0, 3}, {0, 0, INFINITY}, {1, 0.5f, 1.5f}, {1, 2, 3}, {2, 1, 1},
    };
    /* H0: lifetimes 1 and 3 (the infinite bar left out): -(1/4 ln 1/4 + 3/4 ln 3/4) */
    CHECK_NEAR(ph_entropy(bars, 6, 0), 0.5623351446188083, 1e-12);
    /* H1: two equal lifetimes: ln 2 */
    CHECK_NEAR(ph_entropy(bars, 6, 1), log(2), 1e-12);
    /* H2: one bar of length 0, none of positive length: 0 */
    CHECK(ph_entropy(bars, 6, 2) == 0);
    CHECK(ph_entropy(bars, 0, 0) == 0);
    /* one finite bar: 0; three equal: ln 3 */
    struct ph_bar one[] = {{1, 0, 2}}, three[] = {{1, 0, 2}, {1, 1, 3}, {1, 5, 7}};
    CHECK(ph_entropy(one, 1, 1) == 0);
    CHECK_NEAR(ph_entropy(three, 3, 1), log(3), 1e-12);
}

TEST(chord_drift)
{
    float a[] = {1, 0, 0}, b[] = {0, 1, 0}, c[] = {-1, 0, 0}, v[] = {3, 4, 0}, z[] = {0, 0, 0};
    CHECK_NEAR(ph_chord(a, b, 3), sqrt(2), 1e-12);
    CHECK_NEAR(ph_chord(a, c, 3), 2, 1e-12);
    CHECK(ph_chord(a, a, 3) == 0);
    CHECK_EQ_INT(ph_normalise(v, 3), 0);
    CHECK_NEAR(v[0], 0.6, 1e-7);
    CHECK_NEAR(v[1], 0.8, 1e-7);
    CHECK_EQ_INT(ph_normalise(z, 3), -1);
    float rows[] = {1, 0, 0, 0, 1, 0, -1, 0, 0};
    double out[3];
    ph_drift(rows, 3, 3, a, out);
    CHECK(out[0] == 0);
    CHECK_NEAR(out[1], sqrt(2), 1e-12);
    CHECK_NEAR(out[2], 2, 1e-12);
}

int main(void)
{
    RUN(hexagon_five_h0_bars_one_infinite_one_h1);
    RUN(square_and_pentagon);
    RUN(hexagon_from_points);
    RUN(points_on_a_circle_have_one_long_h1_bar);
    RUN(octahedron_has_one_h2_bar);
    RUN(duplicate_points_give_no_zero_length_bars);
    RUN(all_distances_equal);
    RUN(one_two_and_no_points);
    RUN(invalid_input_is_refused);
    RUN(budget_of_steps_skips_deterministically);
    RUN(budget_of_memory_skips);
    RUN(points_and_lower_matrix_agree);
    RUN(heap_widths_and_compaction_agree);
    RUN(entropy_by_hand);
    RUN(chord_drift);
    TEST_END("test_ph");
}
