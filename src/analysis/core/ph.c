/* ph.c: Vietoris-Rips persistent homology over Z/2, after U. Bauer, "Ripser: efficient
 * computation of Vietoris-Rips persistence barcodes", J. Appl. Comput. Topol. 5 (2021) 391-423.
 * Our own C implementation of the algorithm that paper describes:
 *   - H0 by union-find over the edges in filtration order (Kruskal: the bars are the minimum
 *     spanning tree's edge lengths);
 *   - H1, H2 by persistent cohomology: coboundary columns reduced in reverse filtration order,
 *     coboundaries enumerated implicitly from the combinatorial number system (64-bit simplex
 *     indices), never a list of the triangles or tetrahedra; clearing (a simplex that is a
 *     pivot of the dimension below is no column); emergent pairs (a column whose oldest cofacet
 *     has its diameter and is free pairs with it at once); zero-persistence apparent pairs
 *     (skipped as columns, their coboundary added on demand when a reduction meets the cofacet
 *     as its pivot).
 * The filtration order is one total order used in every phase: diameter ascending, then simplex
 * index descending. Distances are float32 values compared exactly. The H2 columns (triangles)
 * are gathered in windows of diameter, largest first, each window a pass over the triangles, so
 * their list never exists whole. The working coboundary is a heap of one-word keys where every
 * index fits in 32 bits, its cancelling pairs dropped when a large one fills.
 * Pure: C11 and libc only (clock() for the optional CPU budget); no I/O. */
#include "analysis/core/ph.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NONE UINT64_MAX

struct ent {
    float diam;
    uint64_t idx;
};

struct heap {
    uint64_t *a; /* n keys of w words (key_of) */
    size_t n, cap;
    int w;
};

struct slot {
    uint64_t key; /* simplex index + 1; 0 = empty */
    uint64_t val;
};

struct hash {
    struct slot *s;
    size_t cap, n;
};

/* A grow-only array of uint64: the reduction matrix V, one column a run [count, column, v...]. */
struct u64s {
    uint64_t *a;
    size_t n, cap;
};

struct ctx {
    size_t n;
    int maxdim;
    float thr;
    float *dist;     /* n x n, row-major */
    uint64_t *binom; /* K rows of n + 1: C(i, k) at k * (n + 1) + i */
    int K;
    int key_words;     /* of a heap entry: 1 when every index fits in 32 bits */
    size_t compact_at; /* heap entries */
    /* budget */
    uint64_t steps, max_steps;
    size_t bytes, peak, max_bytes;
    double max_cpu;
    clock_t c0;
    int over;
    /* bars */
    struct ph_bar *bars;
    size_t n_bars, cap_bars;
};

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        abort();
    return q;
}

/* Counts a change of working memory; 0 (nothing counted) if it would pass the budget: the
 * phase then stops. */
static int account(struct ctx *c, size_t old, size_t new)
{
    size_t b = c->bytes - old + new;
    if (c->max_bytes && new > old && b > c->max_bytes) {
        c->over = 1;
        return 0;
    }
    c->bytes = b;
    if (b > c->peak)
        c->peak = b;
    return 1;
}

/* Counts memory that is taken whatever the budget (H0's). */
static void account_must(struct ctx *c, size_t old, size_t new)
{
    c->bytes = c->bytes - old + new;
    if (c->bytes > c->peak)
        c->peak = c->bytes;
}

/* One step of work; 0 once the budget is spent. */
static inline int step(struct ctx *c)
{
    c->steps++;
    if (c->max_steps && c->steps > c->max_steps)
        c->over = 1;
    if (c->max_cpu > 0 && (c->steps & 0xffff) == 0 &&
        (double)(clock() - c->c0) / CLOCKS_PER_SEC > c->max_cpu)
        c->over = 1;
    return !c->over;
}

static inline float dist(const struct ctx *c, uint32_t i, uint32_t j)
{
    return c->dist[(size_t)i * c->n + j];
}

static inline uint64_t binom(const struct ctx *c, uint64_t n, int k)
{
    return c->binom[(uint64_t)k * (c->n + 1) + n];
}

/* filtration order: a comes before b */
static inline int before(struct ent a, struct ent b)
{
    return a.diam < b.diam || (a.diam == b.diam && a.idx > b.idx);
}

static void add_bar(struct ctx *c, int dim, float birth, float death)
{
    if (c->n_bars == c->cap_bars) {
        c->cap_bars = c->cap_bars ? 2 * c->cap_bars : 64;
        c->bars = xrealloc(c->bars, c->cap_bars * sizeof *c->bars);
    }
    c->bars[c->n_bars++] = (struct ph_bar){dim, birth, death};
}

/* ---- simplices ---- */

/* The largest v <= top with C(v, k) <= idx. */
static uint32_t max_vertex(const struct ctx *c, uint64_t idx, int k, uint32_t top)
{
    if (k == 1)
        return (uint32_t)idx; /* C(v, 1) = v, and idx <= top */
    const uint64_t *row = c->binom + (size_t)k * (c->n + 1);
    uint32_t lo = (uint32_t)(k - 1), hi = top;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo + 1) / 2;
        if (row[mid] <= idx)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* The dim + 1 vertices of a simplex, largest first. */
static void vertices(const struct ctx *c, uint64_t idx, int dim, uint32_t *v)
{
    uint32_t top = (uint32_t)c->n - 1;
    for (int k = dim + 1; k >= 1; k--) {
        top = max_vertex(c, idx, k, top);
        *v++ = top;
        idx -= binom(c, top, k);
    }
}

static float diameter(const struct ctx *c, uint64_t idx, int dim)
{
    uint32_t v[PH_MAXDIM + 2];
    vertices(c, idx, dim, v);
    float d = 0;
    for (int i = 0; i <= dim; i++)
        for (int j = 0; j < i; j++)
            if (dist(c, v[i], v[j]) > d)
                d = dist(c, v[i], v[j]);
    return d;
}

/* The cofacets of a simplex in decreasing index order (a vertex j added, from n-1 down). */
struct cob {
    uint32_t v[PH_MAXDIM + 2];
    int dim, k, p;
    int64_t j;
    uint64_t below, above;
    float diam;
};

static void cob_init(const struct ctx *c, struct cob *e, struct ent s, int dim)
{
    vertices(c, s.idx, dim, e->v);
    e->dim = dim;
    e->k = dim + 1;
    e->p = 0;
    e->j = (int64_t)c->n - 1;
    e->below = s.idx;
    e->above = 0;
    e->diam = s.diam;
}

/* all = 0: only the cofacets whose new vertex is larger than every vertex of the simplex. */
static int cob_next(const struct ctx *c, struct cob *e, int all, struct ent *out)
{
    while (e->p <= e->dim && e->j == (int64_t)e->v[e->p]) {
        if (!all)
            return 0;
        e->below -= binom(c, e->v[e->p], e->k);
        e->above += binom(c, e->v[e->p], e->k + 1);
        e->j--;
        e->k--;
        e->p++;
    }
    if (e->j < 0)
        return 0;
    uint32_t j = (uint32_t)e->j;
    const float *row = c->dist + (size_t)j * c->n;
    float d = e->diam;
    for (int i = 0; i <= e->dim; i++)
        if (row[e->v[i]] > d)
            d = row[e->v[i]];
    out->diam = d;
    out->idx = e->above + binom(c, j, e->k + 1) + e->below;
    e->j--;
    return 1;
}

/* The youngest facet of s if its diameter is s's (the first such in increasing index order). */
static uint64_t zero_pivot_facet(const struct ctx *c, struct ent s, int dim)
{
    uint32_t v[PH_MAXDIM + 2];
    vertices(c, s.idx, dim, v);
    for (int r = 0; r <= dim; r++) {
        float d = 0;
        uint64_t idx = 0;
        for (int i = 0; i <= dim; i++) {
            if (i == r)
                continue;
            idx += binom(c, v[i], i < r ? dim - i : dim + 1 - i);
            for (int j = 0; j < i; j++)
                if (j != r && dist(c, v[i], v[j]) > d)
                    d = dist(c, v[i], v[j]);
        }
        if (d == s.diam)
            return idx;
    }
    return NONE;
}

/* The oldest cofacet of s if its diameter is s's. */
static uint64_t zero_pivot_cofacet(struct ctx *c, struct ent s, int dim)
{
    struct cob e;
    struct ent t;
    cob_init(c, &e, s, dim);
    while (cob_next(c, &e, 1, &t)) {
        step(c);
        if (t.diam == s.diam)
            return t.idx;
    }
    return NONE;
}

/* The facet of t (dimension dim) in a zero-persistence apparent pair with it, or NONE. */
static uint64_t zero_apparent_facet(struct ctx *c, struct ent t, int dim)
{
    uint64_t f = zero_pivot_facet(c, t, dim);
    if (f == NONE)
        return NONE;
    return zero_pivot_cofacet(c, (struct ent){t.diam, f}, dim - 1) == t.idx ? f : NONE;
}

static uint64_t zero_apparent_cofacet(struct ctx *c, struct ent s, int dim)
{
    uint64_t t = zero_pivot_cofacet(c, s, dim);
    if (t == NONE)
        return NONE;
    return zero_pivot_facet(c, (struct ent){s.diam, t}, dim + 1) == s.idx ? t : NONE;
}

static int in_zero_apparent_pair(struct ctx *c, struct ent s, int dim)
{
    return zero_apparent_cofacet(c, s, dim) != NONE || zero_apparent_facet(c, s, dim) != NONE;
}

/* ---- containers (their memory is counted) ---- */

/* A heap entry is a key of h->w words whose ascending order is the filtration order: the
 * diameter's bits (a non-negative float orders as its bits do), then the index reversed. One word
 * (diameter above, 32-bit index below) when every index of the computation fits in 32 bits,
 * else two: half the memory of a long reduction where it can be had. */
static inline void key_of(const struct heap *h, struct ent x, uint64_t *k)
{
    uint32_t bits;
    memcpy(&bits, &x.diam, sizeof bits);
    if (h->w == 1) {
        k[0] = (uint64_t)bits << 32 | (uint32_t)(UINT32_MAX - x.idx);
    } else {
        k[0] = bits;
        k[1] = ~x.idx;
    }
}

static inline struct ent ent_of(const struct heap *h, const uint64_t *k)
{
    struct ent x;
    uint32_t bits = (uint32_t)(h->w == 1 ? k[0] >> 32 : k[0]);
    memcpy(&x.diam, &bits, sizeof bits);
    x.idx = h->w == 1 ? UINT32_MAX - (uint32_t)k[0] : ~k[1];
    return x;
}

static inline int key_lt(const uint64_t *a, const uint64_t *b, int w)
{
    return a[0] < b[0] || (w == 2 && a[0] == b[0] && a[1] < b[1]);
}

static inline int key_eq(const uint64_t *a, const uint64_t *b, int w)
{
    return a[0] == b[0] && (w == 1 || a[1] == b[1]);
}

static inline void key_cp(uint64_t *d, const uint64_t *s, int w)
{
    d[0] = s[0];
    if (w == 2)
        d[1] = s[1];
}

/* Removes the oldest entry into k. */
static void heap_pop_key(struct heap *h, uint64_t *k)
{
    int w = h->w;
    uint64_t *a = h->a, x[2] = {0, 0};
    key_cp(k, a, w);
    key_cp(x, a + --h->n * w, w);
    size_t i = 0, n = h->n;
    for (;;) {
        size_t l = 2 * i + 1, m;
        if (l >= n)
            break;
        m = (l + 1 < n && key_lt(a + (l + 1) * w, a + l * w, w)) ? l + 1 : l;
        if (!key_lt(a + m * w, x, w))
            break;
        key_cp(a + i * w, a + m * w, w);
        i = m;
    }
    if (n)
        key_cp(a + i * w, x, w);
}

/* Cancels the pairs of equal entries of a full heap (Z/2), in place: a heapsort, one pass, then
 * the sorted array (oldest first) is again a heap. Keeps a long reduction's coboundary near the
 * size of the column it stands for instead of the sum of everything added to it. */
static void heap_compact(struct heap *h)
{
    int w = h->w;
    size_t n = h->n, k = 0;
    uint64_t *a = h->a, t[2] = {0, 0};
    while (h->n > 1) {
        heap_pop_key(h, t);
        key_cp(a + h->n * w, t, w);
    }
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && key_eq(a + j * w, a + i * w, w))
            j++;
        if ((j - i) & 1)
            key_cp(a + k++ * w, a + i * w, w);
        i = j;
    }
    for (size_t i = 0; i < k / 2; i++) {
        key_cp(t, a + i * w, w);
        key_cp(a + i * w, a + (k - 1 - i) * w, w);
        key_cp(a + (k - 1 - i) * w, t, w);
    }
    h->n = k;
}

static int heap_push(struct ctx *c, struct heap *h, struct ent e)
{
    size_t sz = (size_t)h->w * sizeof(uint64_t);
    if (h->n == h->cap) {
        if (h->cap >= c->compact_at)
            heap_compact(h);
        /* grows when compacting freed less than half */
        if (!h->cap || 2 * h->n > h->cap) {
            size_t cap = h->cap ? 2 * h->cap : 256;
            if (!account(c, h->cap * sz, cap * sz))
                return 0;
            h->a = xrealloc(h->a, cap * sz);
            h->cap = cap;
        }
    }
    int w = h->w;
    uint64_t x[2] = {0, 0}, *a = h->a;
    key_of(h, e, x);
    size_t i = h->n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!key_lt(x, a + p * w, w))
            break;
        key_cp(a + i * w, a + p * w, w);
        i = p;
    }
    key_cp(a + i * w, x, w);
    return 1;
}

/* The pivot (oldest entry with an odd count) popped, or idx NONE. */
static struct ent pop_pivot(struct heap *h)
{
    uint64_t k[2] = {0, 0};
    while (h->n) {
        heap_pop_key(h, k);
        if (!h->n || !key_eq(h->a, k, h->w))
            return ent_of(h, k);
        heap_pop_key(h, k);
    }
    return (struct ent){0, NONE};
}

static struct ent get_pivot(struct ctx *c, struct heap *h)
{
    struct ent p = pop_pivot(h);
    if (p.idx != NONE)
        heap_push(c, h, p);
    return p;
}

static void heap_free(struct ctx *c, struct heap *h)
{
    account(c, h->cap * (size_t)h->w * sizeof(uint64_t), 0);
    free(h->a);
    h->a = NULL;
    h->n = h->cap = 0;
}

static inline uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

static uint64_t hash_get(const struct hash *h, uint64_t key)
{
    if (!h->cap)
        return NONE;
    size_t m = h->cap - 1;
    for (size_t i = mix(key) & m;; i = (i + 1) & m) {
        if (h->s[i].key == 0)
            return NONE;
        if (h->s[i].key == key + 1)
            return h->s[i].val;
    }
}

static int hash_put(struct ctx *c, struct hash *h, uint64_t key, uint64_t val)
{
    if (2 * (h->n + 1) > h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 1024;
        if (!account(c, h->cap * sizeof(struct slot), cap * sizeof(struct slot)))
            return 0;
        struct slot *s = calloc(cap, sizeof *s);
        if (!s)
            abort();
        for (size_t i = 0; i < h->cap; i++) {
            if (!h->s[i].key)
                continue;
            size_t k = mix(h->s[i].key - 1) & (cap - 1);
            while (s[k].key)
                k = (k + 1) & (cap - 1);
            s[k] = h->s[i];
        }
        free(h->s);
        h->s = s;
        h->cap = cap;
    }
    size_t m = h->cap - 1, i = mix(key) & m;
    while (h->s[i].key)
        i = (i + 1) & m;
    h->s[i] = (struct slot){key + 1, val};
    h->n++;
    return 1;
}

static void hash_free(struct ctx *c, struct hash *h)
{
    account(c, h->cap * sizeof(struct slot), 0);
    free(h->s);
    memset(h, 0, sizeof *h);
}

static int u64s_push(struct ctx *c, struct u64s *v, uint64_t x)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 1024;
        if (!account(c, v->cap * sizeof(uint64_t), cap * sizeof(uint64_t)))
            return 0;
        v->a = xrealloc(v->a, cap * sizeof(uint64_t));
        v->cap = cap;
    }
    v->a[v->n++] = x;
    return 1;
}

static void u64s_free(struct ctx *c, struct u64s *v)
{
    account(c, v->cap * sizeof(uint64_t), 0);
    free(v->a);
    memset(v, 0, sizeof *v);
}

/* ---- H0 ---- */

static int cmp_filtration(const void *pa, const void *pb)
{
    const struct ent *a = pa, *b = pb;
    return before(*a, *b) ? -1 : before(*b, *a) ? 1 : 0;
}

static uint32_t uf_find(uint32_t *parent, uint32_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

/* H0; the edges that are H1 columns (not in the spanning tree, not apparent) go to *cols in
 * reverse filtration order. */
static void compute_h0(struct ctx *c, struct ent **cols, size_t *n_cols)
{
    size_t n = c->n, ne = 0;
    struct ent *edges = xrealloc(NULL, (n * (n - 1) / 2 + 1) * sizeof *edges);
    account_must(c, 0, (n * (n - 1) / 2 + 1) * sizeof *edges);
    for (uint32_t i = 1; i < n; i++)
        for (uint32_t j = 0; j < i; j++)
            if (dist(c, i, j) <= c->thr)
                edges[ne++] = (struct ent){dist(c, i, j), binom(c, i, 2) + j};
    qsort(edges, ne, sizeof *edges, cmp_filtration);
    uint32_t *parent = xrealloc(NULL, n * sizeof *parent);
    account_must(c, 0, n * sizeof *parent);
    for (uint32_t i = 0; i < n; i++)
        parent[i] = i;
    size_t nc = 0;
    for (size_t e = 0; e < ne; e++) {
        uint32_t v[2];
        vertices(c, edges[e].idx, 1, v);
        uint32_t a = uf_find(parent, v[0]), b = uf_find(parent, v[1]);
        if (a != b) {
            if (edges[e].diam != 0)
                add_bar(c, 0, 0, edges[e].diam);
            /* the larger root under the smaller: the same forest whatever the machine */
            if (a < b)
                parent[b] = a;
            else
                parent[a] = b;
        } else if (c->maxdim > 0 && zero_apparent_cofacet(c, edges[e], 1) == NONE) {
            edges[nc++] = edges[e];
        }
    }
    for (uint32_t i = 0; i < n; i++)
        if (uf_find(parent, i) == i)
            add_bar(c, 0, 0, INFINITY);
    account_must(c, n * sizeof *parent, 0);
    free(parent);
    for (size_t i = 0; i < nc / 2; i++) {
        struct ent t = edges[i];
        edges[i] = edges[nc - 1 - i];
        edges[nc - 1 - i] = t;
    }
    *cols = edges;
    *n_cols = nc;
}

/* ---- H1, H2: reducing coboundary columns ---- */

struct reducer {
    int dim; /* of the columns */
    struct hash pivots;
    struct u64s v; /* the reduction matrix */
    struct heap cob, red;
};

/* Pushes s into the reduction column and its cofacets (within the threshold) into the
 * coboundary. */
static int add_simplex_coboundary(struct ctx *c, struct reducer *r, struct ent s)
{
    struct cob e;
    struct ent t;
    if (!heap_push(c, &r->red, s))
        return 0;
    cob_init(c, &e, s, r->dim);
    while (cob_next(c, &e, 1, &t)) {
        if (!step(c))
            return 0;
        if (t.diam <= c->thr && !heap_push(c, &r->cob, t))
            return 0;
    }
    return 1;
}

/* The column's pivot: its emergent pair when there is one (nothing pushed), else the coboundary
 * pushed and its oldest entry. */
static int init_coboundary(struct ctx *c, struct reducer *r, struct ent s, struct ent *pivot)
{
    struct cob e;
    struct ent t;
    int check_emergent = 1;
    cob_init(c, &e, s, r->dim);
    r->cob.n = 0;
    while (cob_next(c, &e, 1, &t)) {
        if (!step(c))
            return 0;
        if (t.diam > c->thr)
            continue;
        if (check_emergent && t.diam == s.diam) {
            if (hash_get(&r->pivots, t.idx) == NONE &&
                zero_apparent_facet(c, t, r->dim + 1) == NONE) {
                r->cob.n = 0;
                *pivot = t;
                return 1;
            }
            check_emergent = 0;
        }
        if (!heap_push(c, &r->cob, t))
            return 0;
    }
    *pivot = get_pivot(c, &r->cob);
    return 1;
}

/* Reduces one column; 0 when the budget ran out. */
static int reduce_column(struct ctx *c, struct reducer *r, struct ent s)
{
    struct ent pivot;
    r->red.n = 0;
    if (!init_coboundary(c, r, s, &pivot))
        return 0;
    for (;;) {
        if (c->over)
            return 0;
        if (pivot.idx == NONE) {
            add_bar(c, r->dim, s.diam, INFINITY);
            return 1;
        }
        uint64_t off = hash_get(&r->pivots, pivot.idx), f;
        if (off != NONE) {
            uint64_t cnt = r->v.a[off];
            for (uint64_t i = 0; i < cnt; i++) {
                uint64_t idx = r->v.a[off + 1 + i];
                if (!add_simplex_coboundary(c, r, (struct ent){diameter(c, idx, r->dim), idx}))
                    return 0;
            }
        } else if ((f = zero_apparent_facet(c, pivot, r->dim + 1)) != NONE) {
            if (!add_simplex_coboundary(c, r, (struct ent){pivot.diam, f}))
                return 0;
        } else {
            break;
        }
        pivot = get_pivot(c, &r->cob);
    }
    if (pivot.diam > s.diam)
        add_bar(c, r->dim, s.diam, pivot.diam);
    size_t start = r->v.n;
    if (!u64s_push(c, &r->v, 0) || !u64s_push(c, &r->v, s.idx))
        return 0;
    for (;;) {
        struct ent x = pop_pivot(&r->red);
        if (x.idx == NONE)
            break;
        if (!u64s_push(c, &r->v, x.idx))
            return 0;
    }
    r->v.a[start] = r->v.n - start - 1;
    return hash_put(c, &r->pivots, pivot.idx, start);
}

static void reducer_free(struct ctx *c, struct reducer *r)
{
    hash_free(c, &r->pivots);
    u64s_free(c, &r->v);
    heap_free(c, &r->cob);
    heap_free(c, &r->red);
}

/* ---- H2 columns: the triangles, gathered one window of diameters at a time ---- */

#define HIST_BINS 4096

static int cmp_reverse(const void *pa, const void *pb)
{
    return -cmp_filtration(pa, pb);
}

static size_t hist_bin(float d, float thr)
{
    if (!(thr > 0))
        return 0;
    size_t b = (size_t)((double)d / thr * (HIST_BINS - 1));
    return b < HIST_BINS ? b : HIST_BINS - 1;
}

/* Calls fn on every triangle whose diameter falls in bins [lo, hi]. */
static void triangles_in(struct ctx *c, size_t lo, size_t hi,
                         void (*fn)(struct ctx *, void *, struct ent, size_t), void *arg)
{
    size_t n = c->n;
    for (uint32_t i = 2; i < n; i++) {
        const float *ri = c->dist + (size_t)i * n;
        uint64_t bi = binom(c, i, 3);
        for (uint32_t j = 1; j < i; j++) {
            float dij = ri[j];
            if (dij > c->thr || hist_bin(dij, c->thr) > hi)
                continue;
            const float *rj = c->dist + (size_t)j * n;
            uint64_t bj = bi + binom(c, j, 2);
            for (uint32_t k = 0; k < j; k++) {
                float d = dij;
                if (ri[k] > d)
                    d = ri[k];
                if (rj[k] > d)
                    d = rj[k];
                if (d > c->thr)
                    continue;
                size_t b = hist_bin(d, c->thr);
                if (b >= lo && b <= hi)
                    fn(c, arg, (struct ent){d, bj + k}, b);
            }
        }
    }
}

static void count_one(struct ctx *c, void *arg, struct ent t, size_t b)
{
    (void)c;
    (void)t;
    ((uint64_t *)arg)[b]++;
}

struct gather {
    struct reducer *below; /* the H1 pivots: cleared triangles */
    struct ent *cols;
    size_t n, cap;
    int ok;
};

static void gather_one(struct ctx *c, void *arg, struct ent t, size_t b)
{
    struct gather *g = arg;
    (void)b;
    if (c->over)
        g->ok = 0;
    if (!g->ok || hash_get(&g->below->pivots, t.idx) != NONE || in_zero_apparent_pair(c, t, 2))
        return;
    if (g->n == g->cap) {
        size_t cap = g->cap ? 2 * g->cap : 1024;
        if (!account(c, g->cap * sizeof(struct ent), cap * sizeof(struct ent))) {
            g->ok = 0;
            return;
        }
        g->cols = xrealloc(g->cols, cap * sizeof(struct ent));
        g->cap = cap;
    }
    g->cols[g->n++] = t;
}

static int compute_h2(struct ctx *c, struct reducer *below)
{
    uint64_t *hist = calloc(HIST_BINS, sizeof *hist);
    if (!hist)
        abort();
    if (!account(c, 0, HIST_BINS * sizeof *hist)) {
        free(hist);
        return 0;
    }
    triangles_in(c, 0, HIST_BINS - 1, count_one, hist);
    uint64_t total = 0;
    for (size_t b = 0; b < HIST_BINS; b++)
        total += hist[b];
    /* A window keeps about a sixteenth of the triangles as columns, at least 4096; most are
     * cleared or apparent in a structured cloud, so each window is sized by the share the one
     * before kept (the first assumes all). */
    uint64_t target = total / 16 > 4096 ? total / 16 : 4096, window = target;
    struct reducer r = {.dim = 2, .cob.w = c->key_words, .red.w = c->key_words};
    struct gather g = {.below = below, .ok = 1};
    int ok = 1;
    for (size_t hi = HIST_BINS; ok && hi > 0;) {
        size_t lo = hi - 1, lo_hi = hi - 1;
        uint64_t in = hist[lo];
        while (lo > 0 && in + hist[lo - 1] <= window)
            in += hist[--lo];
        hi = lo;
        if (in == 0)
            continue;
        g.n = 0;
        triangles_in(c, lo, lo_hi, gather_one, &g);
        ok = g.ok;
        if (g.n)
            qsort(g.cols, g.n, sizeof *g.cols, cmp_reverse);
        for (size_t i = 0; ok && i < g.n; i++)
            ok = reduce_column(c, &r, g.cols[i]);
        double kept = (double)(g.n + 1) / (double)in;
        window = (double)target / kept < (double)total ? (uint64_t)((double)target / kept) : total;
        if (window < target)
            window = target;
    }
    account_must(c, g.cap * sizeof(struct ent) + HIST_BINS * sizeof *hist, 0);
    free(g.cols);
    free(hist);
    reducer_free(c, &r);
    return ok && !c->over;
}

/* ---- driver ---- */

static int cmp_bar(const void *pa, const void *pb)
{
    const struct ph_bar *a = pa, *b = pb;
    if (a->dim != b->dim)
        return a->dim < b->dim ? -1 : 1;
    if (a->birth != b->birth)
        return a->birth < b->birth ? -1 : 1;
    if (a->death != b->death)
        return a->death < b->death ? -1 : 1;
    return 0;
}

void ph_options_init(struct ph_options *o)
{
    memset(o, 0, sizeof *o);
    o->maxdim = 1;
    o->threshold = -1;
}

/* Drops the bars of dim and above (a dimension cut short by the budget). */
static void drop_bars_from(struct ctx *c, int dim)
{
    size_t k = 0;
    for (size_t i = 0; i < c->n_bars; i++)
        if (c->bars[i].dim < dim)
            c->bars[k++] = c->bars[i];
    c->n_bars = k;
}

static struct ph_diagram *compute(struct ctx *c, const struct ph_options *o)
{
    struct ph_diagram *dg = calloc(1, sizeof *dg);
    if (!dg)
        abort();
    size_t n = c->n;
    c->maxdim = o->maxdim;
    c->max_steps = o->max_steps;
    c->max_bytes = o->max_bytes;
    c->max_cpu = o->max_cpu_seconds;
    c->c0 = clock();
    c->K = c->maxdim + 3;
    c->binom = xrealloc(NULL, (n + 1) * (size_t)c->K * sizeof *c->binom);
    account_must(c, 0, (n + 1) * (size_t)c->K * sizeof *c->binom);
    for (size_t i = 0; i <= n; i++)
        for (int k = 0; k < c->K; k++)
            c->binom[(size_t)k * (n + 1) + i] = k == 0 ? 1
                                                : i == 0
                                                    ? 0
                                                    : binom(c, i - 1, k - 1) + binom(c, i - 1, k);
    /* the largest index in a heap is a (maxdim + 1)-simplex's, below C(n, maxdim + 2) */
    c->key_words = o->wide_keys || binom(c, n, c->K - 1) > UINT32_MAX ? 2 : 1;
    c->compact_at = o->compact_at ? o->compact_at : (size_t)1 << 20;
    float thr = 0;
    if (o->threshold >= 0) {
        thr = o->threshold;
    } else if (n > 1) {
        thr = INFINITY;
        for (size_t i = 0; i < n; i++) {
            float r = 0;
            for (size_t j = 0; j < n; j++)
                if (c->dist[i * n + j] > r)
                    r = c->dist[i * n + j];
            if (r < thr)
                thr = r;
        }
    }
    c->thr = thr;
    dg->threshold = thr;
    dg->maxdim = c->maxdim;
    struct ent *cols = NULL;
    size_t n_cols = 0;
    if (n > 0)
        compute_h0(c, &cols, &n_cols);
    /* H0 is always computed; the budget binds from here on */
    if (c->max_bytes && c->bytes > c->max_bytes)
        c->over = 1;
    struct reducer r1 = {.dim = 1, .cob.w = c->key_words, .red.w = c->key_words};
    int d = 1;
    if (c->maxdim >= 1 && !c->over) {
        for (size_t i = 0; i < n_cols && !c->over; i++)
            reduce_column(c, &r1, cols[i]);
        if (c->over) {
            drop_bars_from(c, 1);
        } else {
            d = 2;
            heap_free(c, &r1.cob);
            heap_free(c, &r1.red);
            u64s_free(c, &r1.v);
            if (c->maxdim >= 2 && !compute_h2(c, &r1))
                drop_bars_from(c, 2);
            else
                d = 3;
        }
    }
    for (int k = d; k <= c->maxdim; k++)
        dg->skipped[k] = 1;
    reducer_free(c, &r1);
    if (cols)
        account_must(c, (n * (n - 1) / 2 + 1) * sizeof *cols, 0);
    free(cols);
    if (c->n_bars)
        qsort(c->bars, c->n_bars, sizeof *c->bars, cmp_bar);
    dg->bars = c->bars;
    dg->n_bars = c->n_bars;
    dg->steps = c->steps;
    dg->peak_bytes = c->peak;
    free(c->binom);
    free(c->dist);
    return dg;
}

void ph_points_distances(const float *points, size_t n, size_t d, float *out)
{
    size_t k = 0;
    for (size_t i = 1; i < n; i++)
        for (size_t j = 0; j < i; j++) {
            double s = 0;
            for (size_t t = 0; t < d; t++) {
                double x = (double)points[i * d + t] - (double)points[j * d + t];
                s += x * x;
            }
            out[k++] = (float)sqrt(s);
        }
}

static struct ph_diagram *from_lower(const float *lower, size_t n, const struct ph_options *o)
{
    if (!o || o->maxdim < 0 || o->maxdim > PH_MAXDIM)
        return NULL;
    for (size_t k = 0; k < (n > 1 ? n * (n - 1) / 2 : 0); k++)
        if (!(lower[k] >= 0))
            return NULL;
    struct ctx c = {.n = n};
    c.dist = xrealloc(NULL, (n * n + 1) * sizeof *c.dist);
    account_must(&c, 0, n * n * sizeof *c.dist);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        c.dist[i * n + i] = 0;
        for (size_t j = 0; j < i; j++) {
            float v = lower[k++];
            /* -0 to 0: heap keys order distances by their bits */
            c.dist[i * n + j] = c.dist[j * n + i] = v == 0 ? 0 : v;
        }
    }
    return compute(&c, o);
}

struct ph_diagram *ph_compute_lower(const float *lower, size_t n, const struct ph_options *o)
{
    return from_lower(lower, n, o);
}

struct ph_diagram *ph_compute_points(const float *points, size_t n, size_t d,
                                     const struct ph_options *o)
{
    for (size_t i = 0; i < n * d; i++)
        if (!isfinite(points[i]))
            return NULL;
    float *lower = xrealloc(NULL, (n > 1 ? n * (n - 1) / 2 : 1) * sizeof *lower);
    ph_points_distances(points, n, d, lower);
    struct ph_diagram *dg = from_lower(lower, n, o);
    free(lower);
    return dg;
}

void ph_diagram_free(struct ph_diagram *dg)
{
    if (!dg)
        return;
    free(dg->bars);
    free(dg);
}
