/* damage.c: the rects a new draw list changes (see damage.h): command fingerprints, a multiset
 * comparison with the previous frame, merging, and growing damage over pictures and rings. Pure
 * C11 + libc, no allocation (it runs every frame); knows nothing of SDL or of the layout's rules
 * beyond the draw list's kinds. */
#include "damage.h"

#include <string.h>

#define FNV_OFFSET 14695981039346656037ull
#define FNV_PRIME 1099511628211ull
#define TABLE_SIZE (2 * DRAWLIST_MAX)

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * FNV_PRIME;
    return h;
}

static uint64_t fnv_int(uint64_t h, int v)
{
    return fnv(h, &v, sizeof v);
}

uint64_t damage_hash(const struct draw_cmd *c)
{
    uint64_t h = fnv_int(FNV_OFFSET, (int)c->kind);
    h = fnv_int(fnv_int(fnv_int(fnv_int(h, c->r.x), c->r.y), c->r.w), c->r.h);
    h = fnv(h, &c->color, sizeof c->color);
    switch (c->kind) {
    case DRAW_TEXT:
        h = fnv_int(h, c->u.text.px);
        h = fnv(h, &c->u.text.shadow, sizeof c->u.text.shadow);
        h = fnv(h, c->u.text.text, c->u.text.len);
        break;
    case DRAW_IMAGE:
        if (c->u.image.media)
            h = fnv(h, c->u.image.media, strlen(c->u.image.media));
        h = fnv_int(fnv_int(h, c->u.image.src.x), c->u.image.src.y);
        h = fnv_int(fnv_int(h, c->u.image.src.w), c->u.image.src.h);
        break;
    case DRAW_RING:
        h = fnv_int(h, c->u.ring.nbars);
        if (c->u.ring.values && c->u.ring.nbars > 0)
            h = fnv(h, c->u.ring.values, sizeof(float) * (size_t)c->u.ring.nbars);
        h = fnv(h, &c->u.ring.rotation, sizeof c->u.ring.rotation);
        h = fnv_int(h, c->u.ring.mirror);
        break;
    case DRAW_RECT:
    case DRAW_CLIP:
        break;
    }
    return h;
}

static int imin(int a, int b)
{
    return a < b ? a : b;
}

static int imax(int a, int b)
{
    return a > b ? a : b;
}

int damage_intersects(struct rect a, struct rect b)
{
    return a.w > 0 && a.h > 0 && b.w > 0 && b.h > 0 && a.x < b.x + b.w && b.x < a.x + a.w &&
           a.y < b.y + b.h && b.y < a.y + a.h;
}

static int contains(struct rect a, struct rect b)
{
    return b.x >= a.x && b.y >= a.y && b.x + b.w <= a.x + a.w && b.y + b.h <= a.y + a.h;
}

static struct rect unite(struct rect a, struct rect b)
{
    int x0 = imin(a.x, b.x), y0 = imin(a.y, b.y);
    int x1 = imax(a.x + a.w, b.x + b.w), y1 = imax(a.y + a.h, b.y + b.h);
    return (struct rect){x0, y0, x1 - x0, y1 - y0};
}

static long long area(struct rect r)
{
    return (long long)r.w * r.h;
}

static struct rect clip_to(struct rect r, int w, int h)
{
    int x0 = imax(r.x, 0), y0 = imax(r.y, 0);
    int x1 = imin(r.x + r.w, w), y1 = imin(r.y + r.h, h);
    if (x1 <= x0 || y1 <= y0)
        return (struct rect){0, 0, 0, 0};
    return (struct rect){x0, y0, x1 - x0, y1 - y0};
}

/* Merge rect i with every rect it overlaps, until none does. */
static void settle(struct damage *d, int i)
{
    for (int again = 1; again;) {
        again = 0;
        for (int j = 0; j < d->n; j++) {
            if (j == i || !damage_intersects(d->rects[i], d->rects[j]))
                continue;
            d->rects[i] = unite(d->rects[i], d->rects[j]);
            d->rects[j] = d->rects[--d->n];
            if (i == d->n)
                i = j;
            again = 1;
            break;
        }
    }
}

static void add(struct damage *d, struct rect r)
{
    r = clip_to(r, d->w, d->h);
    if (r.w <= 0)
        return;
    for (int i = 0; i < d->n; i++)
        if (contains(d->rects[i], r))
            return;
    if (d->n == DAMAGE_MAX) { /* full: grow the rect that grows least */
        int best = 0;
        long long cost = -1;
        for (int i = 0; i < d->n; i++) {
            long long c = area(unite(d->rects[i], r)) - area(d->rects[i]);
            if (cost < 0 || c < cost) {
                cost = c;
                best = i;
            }
        }
        d->rects[best] = unite(d->rects[best], r);
        settle(d, best);
        return;
    }
    d->rects[d->n] = r;
    settle(d, d->n++);
}

static size_t slot_of(const struct damage *d, uint64_t h)
{
    size_t i = (size_t)(h ^ (h >> 29)) % TABLE_SIZE;
    while (d->table[i].used && d->table[i].hash != h)
        i = (i + 1) % TABLE_SIZE;
    return i;
}

/* Pictures and rings touched by damage are drawn whole: grow the damage over them. */
static void grow_over_scaled(struct damage *d, const struct drawlist *dl)
{
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t k = 0; k < dl->n; k++) {
            const struct draw_cmd *c = &dl->cmds[k];
            if (c->kind != DRAW_IMAGE && c->kind != DRAW_RING)
                continue;
            struct rect r = clip_to(c->r, d->w, d->h);
            for (int i = 0; i < d->n; i++) {
                if (damage_intersects(d->rects[i], r) && !contains(d->rects[i], r)) {
                    d->rects[i] = unite(d->rects[i], r);
                    settle(d, i);
                    changed = 1;
                    break;
                }
            }
        }
    }
}

void damage_init(struct damage *d)
{
    memset(d, 0, sizeof *d);
    d->full = 1;
}

void damage_force_full(struct damage *d)
{
    d->full = 1;
}

void damage_diff(struct damage *d, const struct drawlist *dl, int w, int h)
{
    int full = d->full || w != d->w || h != d->h || dl->overflow;
    d->n = 0;
    d->w = w;
    d->h = h;
    for (size_t i = 0; i < d->nfilled; i++) /* cheaper than clearing the whole table */
        d->table[d->filled[i]].used = d->table[d->filled[i]].count = 0;
    d->nfilled = 0;
    for (size_t i = 0; i < d->nprev; i++) {
        size_t s = slot_of(d, d->prev_hash[i]);
        if (!d->table[s].used)
            d->filled[d->nfilled++] = (uint16_t)s;
        d->table[s].hash = d->prev_hash[i];
        d->table[s].used = 1;
        d->table[s].count++;
    }
    /* New commands not in the old list: what must be drawn. */
    for (size_t i = 0; i < dl->n; i++) {
        uint64_t hsh = damage_hash(&dl->cmds[i]);
        size_t s = slot_of(d, hsh);
        d->new_hash[i] = hsh;
        if (d->table[s].count > 0)
            d->table[s].count--;
        else if (dl->cmds[i].kind == DRAW_CLIP)
            full = 1; /* a new clip changes what follows: not worth tracking */
        else
            add(d, draw_bounds(&dl->cmds[i]));
    }
    /* Old commands not in the new list: what must be erased. */
    for (size_t i = 0; i < d->nprev; i++) {
        size_t s = slot_of(d, d->prev_hash[i]);
        if (d->table[s].count > 0) {
            d->table[s].count--;
            add(d, d->prev_rect[i]);
        }
    }
    for (size_t i = 0; i < dl->n; i++) {
        d->prev_hash[i] = d->new_hash[i];
        d->prev_rect[i] = draw_bounds(&dl->cmds[i]);
    }
    d->nprev = dl->n;
    d->full = 0;
    if (full) {
        d->n = w > 0 && h > 0 ? 1 : 0;
        d->rects[0] = (struct rect){0, 0, w, h};
        return;
    }
    grow_over_scaled(d, dl);
    long long total = 0;
    for (int i = 0; i < d->n; i++)
        total += area(d->rects[i]);
    if (total * 4 > (long long)w * h * 3) { /* mostly damaged: one rect is cheaper */
        d->n = 1;
        d->rects[0] = (struct rect){0, 0, w, h};
    }
}
