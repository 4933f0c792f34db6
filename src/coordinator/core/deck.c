/* deck.c: the panic button's prompt deck (see deck.h). Pure C11 + libc: parsing, Fisher-Yates
 * shuffles drawn from the seeded splitmix64 stream (common/rng), and one position per network in
 * memory. A restart starts every network at a fresh shuffle (or the top of the file), which is
 * harmless. */
#include "deck.h"
#include "common/buf.h"
#include "common/file.h"
#include "common/rng.h"
#include "common/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DECK_MAX_NETWORKS 256
#define NONE ((size_t)-1)
#define DECK_FILE_MAX ((size_t)16 << 20) /* far more than DECK_MAX_PROMPTS prompts */

struct deck_pos {
    int64_t network;
    size_t *perm; /* shuffle: the current permutation; NULL until the first press */
    size_t pos;   /* next index into perm (shuffle) or into the prompts (cycle) */
    size_t last;  /* prompt drawn last, NONE before the first */
    uint64_t used;
};

struct deck {
    char **prompts;
    size_t n;
    enum deck_order order;
    uint64_t rng;
    uint64_t clock; /* press counter: the least recently used position is reused */
    struct deck_pos pos[DECK_MAX_NETWORKS];
    size_t npos;
};

static const char *const fallback[] = {
    "a lighthouse keeper teaching a robot to paint",
    "two wombats arguing about the weather",
    "a garden growing inside a piano",
    "the museum after the visitors have gone home",
    "a jellyfish made of stained glass",
    "the sound of snow falling on a tin roof",
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static struct deck *deck_empty(enum deck_order order, uint64_t seed)
{
    struct deck *d = xcalloc(1, sizeof *d);
    d->order = order;
    d->rng = seed;
    return d;
}

static void add_prompt(struct deck *d, const char *s, size_t len)
{
    if (d->n % 64 == 0)
        d->prompts = xrealloc(d->prompts, (d->n + 64) * sizeof *d->prompts);
    d->prompts[d->n++] = xstrndup(s, len);
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

struct deck *deck_parse(const char *text, size_t len, enum deck_order order, uint64_t seed,
                        char *err, size_t errlen)
{
    struct deck *d = deck_empty(order, seed);
    size_t line = 0;
    for (size_t at = 0; at < len;) {
        const char *start = text + at;
        const char *nl = memchr(start, '\n', len - at);
        size_t n = nl ? (size_t)(nl - start) : len - at;
        at += n + 1;
        line++;
        while (n && is_space(start[0]))
            start++, n--;
        while (n && is_space(start[n - 1]))
            n--;
        if (n == 0 || start[0] == '#')
            continue;
        if (!utf8_valid(start, n)) {
            set_err(err, errlen, "line %zu: not UTF-8 text", line);
            goto fail;
        }
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)start[i];
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                set_err(err, errlen, "line %zu: a control character", line);
                goto fail;
            }
        }
        if (n > DECK_PROMPT_MAX) {
            set_err(err, errlen, "line %zu: the prompt is too long (%zu bytes; at most %d)", line,
                    n, DECK_PROMPT_MAX);
            goto fail;
        }
        if (d->n == DECK_MAX_PROMPTS) {
            set_err(err, errlen, "line %zu: too many prompts (at most %d)", line, DECK_MAX_PROMPTS);
            goto fail;
        }
        add_prompt(d, start, n);
    }
    if (d->n == 0) {
        set_err(err, errlen, "no prompts (one a line; '#' starts a comment line)");
        goto fail;
    }
    return d;
fail:
    deck_free(d);
    return NULL;
}

struct deck *deck_load(const char *path, enum deck_order order, uint64_t seed, char *err,
                       size_t errlen)
{
    struct buf text = BUF_INIT;
    char why[64];
    int rc = file_read(path, DECK_FILE_MAX, 0, &text, why, sizeof why);
    if (rc < 0) {
        set_err(err, errlen, "%s: %s", path, rc == -EFBIG ? why : strerror(-rc));
        buf_free(&text);
        return NULL;
    }
    char reason[PANIC_ERR_LEN];
    struct deck *d =
        deck_parse(text.data ? text.data : "", text.len, order, seed, reason, sizeof reason);
    buf_free(&text);
    if (!d)
        set_err(err, errlen, "%s:%s%s", path, strncmp(reason, "line ", 5) ? " " : "",
                strncmp(reason, "line ", 5) ? reason : reason + 5);
    return d;
}

struct deck *deck_fallback(enum deck_order order, uint64_t seed)
{
    struct deck *d = deck_empty(order, seed);
    for (size_t i = 0; i < ARRAY_LEN(fallback); i++)
        add_prompt(d, fallback[i], strlen(fallback[i]));
    return d;
}

void deck_free(struct deck *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++)
        free(d->prompts[i]);
    free(d->prompts);
    for (size_t i = 0; i < d->npos; i++)
        free(d->pos[i].perm);
    free(d);
}

size_t deck_count(const struct deck *d)
{
    return d->n;
}

static struct deck_pos *pos_of(struct deck *d, int64_t network)
{
    struct deck_pos *oldest = NULL;
    for (size_t i = 0; i < d->npos; i++) {
        if (d->pos[i].network == network)
            return &d->pos[i];
        if (!oldest || d->pos[i].used < oldest->used)
            oldest = &d->pos[i];
    }
    struct deck_pos *p = d->npos < DECK_MAX_NETWORKS ? &d->pos[d->npos++] : oldest;
    free(p->perm);
    memset(p, 0, sizeof *p);
    p->network = network;
    p->last = NONE;
    return p;
}

/* A new permutation whose first prompt is not the one drawn last. */
static void reshuffle(struct deck *d, struct deck_pos *p)
{
    if (!p->perm)
        p->perm = xmalloc(d->n * sizeof *p->perm);
    for (size_t i = 0; i < d->n; i++)
        p->perm[i] = i;
    for (size_t i = d->n - 1; i > 0; i--) {
        size_t j = (size_t)rng_uniform(&d->rng, i + 1); /* unbiased: short decks too */
        size_t t = p->perm[i];
        p->perm[i] = p->perm[j];
        p->perm[j] = t;
    }
    if (d->n > 1 && p->perm[0] == p->last) {
        size_t j = 1 + (size_t)rng_uniform(&d->rng, d->n - 1);
        p->perm[0] = p->perm[j];
        p->perm[j] = p->last;
    }
    p->pos = 0;
}

/* Index of the prompt the next press uses. */
static size_t upcoming(struct deck *d, struct deck_pos *p)
{
    p->used = ++d->clock;
    if (d->order == DECK_CYCLE)
        return p->pos % d->n;
    if (!p->perm || p->pos >= d->n)
        reshuffle(d, p);
    return p->perm[p->pos];
}

const char *deck_peek(struct deck *d, int64_t network)
{
    struct deck_pos *p = pos_of(d, network);
    return d->prompts[upcoming(d, p)];
}

void deck_advance(struct deck *d, int64_t network)
{
    struct deck_pos *p = pos_of(d, network);
    p->last = upcoming(d, p);
    p->pos = d->order == DECK_CYCLE ? (p->pos + 1) % d->n : p->pos + 1;
}
