/* layout.c: one frame of the display as a draw list (see layout.h): grid geometry, what each cell
 * state looks like (docs/DESIGN.md "Displays", the original's section 4.2-4.3), text wrapping and
 * fitting with Departure Mono's fixed metrics, the HUD, the QR corner, the info and terminal
 * screens. Pure C11 + libc: it must not include SDL, curl or JSON headers (the Makefile builds it
 * without their cflags) and must not allocate, since it runs every frame. Every command stays
 * inside its cell, so the renderer never has to clip to keep cells apart. */
#include "layout.h"
#include "markdown.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ADV(k) (7 * (k))   /* Departure Mono advance at 11k px */
#define LINE(k) (14 * (k)) /* and its line height (ascent 11k + descent 3k) */
#define PI 3.14159265358979323846

static const char dots[] = "...";
/* The ring of an audio cell that is not the one playing: ten small, still bars. */
static const float quiet_bars[10] = {0.12f, 0.08f, 0.1f,  0.06f, 0.12f,
                                     0.08f, 0.1f,  0.06f, 0.12f, 0.08f};

static int imin(int a, int b)
{
    return a < b ? a : b;
}

static int imax(int a, int b)
{
    return a > b ? a : b;
}

static struct rgba with_alpha(struct rgba c, float a)
{
    if (a < 0)
        a = 0;
    if (a > 1)
        a = 1;
    c.a = (uint8_t)(a * 255.0f + 0.5f);
    return c;
}

/* ---- UTF-8 and wrapping ---- */

/* Bytes in the sequence at s (at most avail): 1 for ASCII and for any malformed byte. Stops at the
 * first byte that is not a continuation, so it never reads past a NUL. */
static size_t u8_seq(const char *s, size_t avail)
{
    unsigned char c = (unsigned char)s[0];
    size_t n;
    if (c < 0x80)
        return 1;
    else if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4;
    else
        return 1;
    if (n > avail)
        return 1;
    for (size_t i = 1; i < n; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80)
            return 1;
    return n;
}

/* The longest prefix of s[0..len) that does not end inside a UTF-8 sequence. */
static size_t u8_cut(const char *s, size_t len)
{
    size_t i = len;
    while (i > 0 && len - i < 3 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
        i--;
    if (i == 0)
        return len;
    unsigned char lead = (unsigned char)s[i - 1];
    size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    return (i - 1) + need > len ? i - 1 : len;
}

/* Bytes of the first cols code points of s[0..len). */
static size_t u8_prefix(const char *s, size_t len, int cols)
{
    size_t i = 0;
    for (int n = 0; n < cols && i < len; n++)
        i += u8_seq(s + i, len - i);
    return i;
}

int layout_utf8_cols(const char *s, size_t len)
{
    int n = 0;
    for (size_t i = 0; i < len; n++)
        i += u8_seq(s + i, len - i);
    return n;
}

static int is_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r';
}

static int blank_rest(const char *p)
{
    while (*p && (is_blank(*p) || *p == '\n'))
        p++;
    return *p == '\0';
}

int layout_wrap(const char *text, int cols, int max_lines, const char **starts, size_t *lens,
                int *truncated)
{
    const char *p = text ? text : "";
    int n = 0, trunc = 0;
    while (*p && (is_blank(*p) || *p == '\n'))
        p++;
    if (cols < 1) {
        trunc = *p != '\0'; /* no room for a single column: everything is cut */
        goto out;
    }
    while (*p) {
        if (n >= max_lines) {
            trunc = !blank_rest(p);
            break;
        }
        const char *q = p, *brk = NULL, *end, *next;
        int ncp = 0;
        for (;;) {
            if (!*q) {
                end = next = q;
                break;
            }
            if (*q == '\n') {
                end = q;
                next = q + 1;
                break;
            }
            if (ncp == cols) {
                if (is_blank(*q)) { /* the line is full exactly at a word's end */
                    end = next = q;
                    while (is_blank(*next))
                        next++;
                    if (*next == '\n') /* the wrap already broke the line */
                        next++;
                } else {
                    const char *e = brk;
                    while (e && e > p && is_blank(e[-1]))
                        e--;
                    if (e && e > p) { /* back to the last space */
                        end = brk;
                        next = brk;
                        while (is_blank(*next))
                            next++;
                    } else { /* a word longer than the line */
                        end = next = q;
                    }
                }
                break;
            }
            if (is_blank(*q))
                brk = q;
            q += u8_seq(q, 4);
            ncp++;
        }
        while (end > p && is_blank(end[-1]))
            end--;
        starts[n] = p;
        lens[n] = (size_t)(end - p);
        n++;
        p = next;
    }
    if (!trunc)
        while (n > 0 && lens[n - 1] == 0)
            n--;
out:
    if (truncated)
        *truncated = trunc;
    return n;
}

/* ---- geometry ---- */

static int hud_k(int h)
{
    return h >= 1000 ? 2 : 1;
}

struct geom {
    struct rect hud; /* HUD text box, w == 0 if none */
    struct rect qr;  /* w == 0 if none */
    int rows, cols;  /* 1 x 1 outside grid mode */
    int ncells;      /* cells laid out */
    int gap;         /* between cells and around the grid */
    int cw, ch;      /* cell size */
    int ox, oy;      /* top-left of cell 0 */
};

/* Fit rows x cols 16:9 cells with gaps (and a margin of one gap) into area, centred. */
static void fit_cells(struct geom *g, struct rect area)
{
    int gw = area.w - (g->cols + 1) * g->gap;
    int gh = area.h - (g->rows + 1) * g->gap;
    int cw = imax(0, gw / g->cols), chmax = imax(0, gh / g->rows);
    long long cw_h = (long long)chmax * 16 / 9;
    if (cw > cw_h)
        cw = (int)cw_h;
    int ch = imin((cw * 9 + 8) / 16, chmax);
    int tw = g->cols * cw + (g->cols - 1) * g->gap, th = g->rows * ch + (g->rows - 1) * g->gap;
    g->cw = cw;
    g->ch = ch;
    g->ox = area.x + (area.w - tw) / 2;
    g->oy = area.y + (area.h - th) / 2;
}

/* A portrait screen: the n cells in the arrangement (rows' x cols', reading order kept) that gives
 * the largest 16:9 cells, rather than the configured grid turned into a strip across the middle. */
static void portrait_grid(struct geom *g, int w, int h, int n)
{
    int best_cw = -1, best_r = g->rows, best_c = g->cols;
    for (int cols = 1; cols <= n; cols++) {
        int rows = (n + cols - 1) / cols;
        if ((rows - 1) * cols >= n)
            continue; /* a whole empty row */
        struct geom t = *g;
        t.rows = rows;
        t.cols = cols;
        t.gap = imin(w / 60, imin(w / (16 * cols), h / (16 * rows)));
        fit_cells(&t, (struct rect){0, 0, w, h});
        if (t.cw > best_cw) {
            best_cw = t.cw;
            best_r = rows;
            best_c = cols;
        }
    }
    g->rows = best_r;
    g->cols = best_c;
}

static void geometry(const struct app *a, int w, int h, struct geom *g)
{
    memset(g, 0, sizeof *g);
    g->rows = g->cols = g->ncells = 1;
    if (w <= 0 || h <= 0) {
        g->ncells = 0;
        return;
    }
    if (a->cfg.mode == DISPLAY_MODE_GRID) {
        g->rows = imin(imax(a->cfg.rows, 1), APP_MAX_CELLS);
        g->cols = imin(imax(a->cfg.cols, 1), APP_MAX_CELLS);
        g->ncells = imin(imin(a->ncells, g->rows * g->cols), APP_MAX_CELLS);
        if (h > w)
            portrait_grid(g, w, h, g->rows * g->cols);
        /* About 1/60 of the width (the original's 1 rem on a 1920 px screen), but never more
         * than 1/16 of a cell's pitch: a 16 x 16 grid with 32 px gaps would be mostly gap. */
        g->gap = imin(w / 60, imin(w / (16 * g->cols), h / (16 * g->rows)));
    }
    /* The cells fill the screen; the HUD and the QR code are small overlays on top. */
    fit_cells(g, (struct rect){0, 0, w, h});
    int k = hud_k(h), pad = 3 * k, m = 2 * pad;
    if (h >= 6 * (LINE(k) + 2 * pad) && w >= 20 * ADV(k))
        g->hud = (struct rect){m + pad, h - m - pad - LINE(k), w / 2 - 2 * m, LINE(k)};
    if (a->prompt_url[0]) {
        int side = imax(h * 3 / 20, 20 * k);
        if (side + 2 * m <= w / 3 && side + 2 * m <= h / 2)
            g->qr = (struct rect){w - m - side, h - m - side, side, side};
    }
}

static struct rect panel_rect(const struct geom *g)
{
    return (struct rect){g->ox, g->oy, g->cw, g->ch};
}

/* Info mode: the text column on the left two fifths, the latest output on the right. */
static struct rect info_text_rect(struct rect p)
{
    int pad = p.w / 48;
    return (struct rect){p.x + pad, p.y + pad, imax(0, p.w * 2 / 5 - 2 * pad),
                         imax(0, p.h - 2 * pad)};
}

static struct rect info_output_rect(struct rect p)
{
    int pad = p.w / 48;
    int rx = p.x + p.w * 2 / 5, rw = imax(0, p.x + p.w - pad - rx), rh = imax(0, p.h - 2 * pad);
    int ow = imin(rw, (int)((long long)rh * 16 / 9));
    int oh = imin((ow * 9 + 8) / 16, rh);
    return (struct rect){rx + (rw - ow) / 2, p.y + pad + (rh - oh) / 2, ow, oh};
}

static struct rect cell_rect(const struct app *a, const struct geom *g, int cell)
{
    if (cell < 0 || cell >= g->ncells)
        return (struct rect){0, 0, 0, 0};
    switch (a->cfg.mode) {
    case DISPLAY_MODE_GRID: {
        int r = cell / g->cols, c = cell % g->cols;
        return (struct rect){g->ox + c * (g->cw + g->gap), g->oy + r * (g->ch + g->gap), g->cw,
                             g->ch};
    }
    case DISPLAY_MODE_INFO:
        return info_output_rect(panel_rect(g));
    case DISPLAY_MODE_SINGLE:
    case DISPLAY_MODE_TERMINAL:
        break;
    }
    return panel_rect(g);
}

struct rect layout_cell_rect(const struct app *a, int w, int h, int cell)
{
    struct geom g;
    geometry(a, w, h, &g);
    return cell_rect(a, &g, cell);
}

struct rect layout_hud_rect(const struct app *a, int w, int h)
{
    struct geom g;
    geometry(a, w, h, &g);
    return g.hud;
}

struct rect layout_qr_rect(const struct app *a, int w, int h)
{
    struct geom g;
    geometry(a, w, h, &g);
    return g.qr;
}

struct rect layout_offline_rect(int w, int h)
{
    int s = imin(imax(4, h / 72), imin(w, h) / 4);
    int m = s / 2;
    return (struct rect){w - m - s, m, s, s};
}

struct rect layout_text_box(struct rect cell)
{
    int pad = imax(1, cell.w / 64);
    return (struct rect){cell.x + pad, cell.y + pad, imax(0, cell.w - 2 * pad),
                         imax(0, cell.h - 2 * pad)};
}

struct rect layout_cover_crop(int iw, int ih, int cw, int ch)
{
    if (iw <= 0 || ih <= 0 || cw <= 0 || ch <= 0)
        return (struct rect){0, 0, 0, 0};
    struct rect r = {0, 0, iw, ih};
    if ((long long)iw * ch > (long long)ih * cw) { /* wider than the cell: crop the sides */
        r.w = (int)(((long long)ih * cw * 2 + ch) / (2LL * ch));
        r.w = imax(1, imin(r.w, iw));
        r.x = (iw - r.w) / 2;
    } else if ((long long)iw * ch < (long long)ih * cw) { /* taller: crop top and bottom */
        r.h = (int)(((long long)iw * ch * 2 + cw) / (2LL * cw));
        r.h = imax(1, imin(r.h, ih));
        r.y = (ih - r.h) / 2;
    }
    return r;
}

int layout_font_px(int cell_w, int cell_h)
{
    /* The original's container query (8 and 10 px, then text-xs/sm/base from 400/600/800 px on
     * a 32 px root: 24, 28, 32 px) in Departure Mono's 11 px steps, and twice that again for
     * every further 1600 px (a 4K screen shows what a 1080p one does); fit_text steps down
     * for text that does not fit. */
    (void)cell_h;
    int k = cell_w >= 1600 ? 3 * (cell_w / 1600) : cell_w >= 600 ? 3 : cell_w >= 400 ? 2 : 1;
    return 11 * k;
}

int layout_invoking_px(int cell_w, int cell_h)
{
    int k = (cell_w + 22) / 44; /* round(cell_w / 4 / 11) */
    while (k > 0 && (LINE(k) > cell_w || LINE(k) > cell_h))
        k--;
    return 11 * k;
}

float layout_breath(int64_t now)
{
    int64_t t = now % 3000;
    if (t < 0)
        t += 3000;
    return (float)(0.65 - 0.35 * cos(2.0 * PI * (double)t / 3000.0));
}

/* ---- emitting ---- */

struct ctx {
    const struct app *a;
    const struct layout_env *env;
    struct drawlist *dl;
    size_t limit; /* commands past this are dropped, keeping room for the overlays */
};

struct lines {
    const char *starts[LAYOUT_MAX_LINES];
    size_t lens[LAYOUT_MAX_LINES];
    int n, truncated;
};

static struct draw_cmd *emit(struct ctx *c, enum draw_kind kind)
{
    if (c->dl->n >= c->limit) {
        c->dl->overflow++;
        return NULL;
    }
    return drawlist_add(c->dl, kind);
}

static void fill(struct ctx *c, struct rect r, struct rgba color)
{
    if (r.w <= 0 || r.h <= 0)
        return;
    struct draw_cmd *d = emit(c, DRAW_RECT);
    if (d) {
        d->r = r;
        d->color = color;
    }
}

static void text_shadowed(struct ctx *c, int x, int y, int k, const char *s, size_t len,
                          struct rgba color, struct rgba shadow)
{
    if (!s || !len)
        return;
    struct draw_cmd *d = emit(c, DRAW_TEXT);
    if (!d)
        return;
    d->r = (struct rect){x, y, layout_utf8_cols(s, len) * ADV(k), LINE(k)};
    d->color = color;
    d->u.text.text = s;
    d->u.text.len = len;
    d->u.text.px = 11 * k;
    d->u.text.shadow = shadow;
}

static void text_cmd(struct ctx *c, int x, int y, int k, const char *s, size_t len,
                     struct rgba color)
{
    text_shadowed(c, x, y, k, s, len, color, (struct rgba){0, 0, 0, 0});
}

/* How a text cell's Markdown looks: the base colour and shadow, and per style. */
struct look {
    struct rgba color, shadow;
    const char *base;           /* the plain text style[] describes; NULL: unstyled */
    const unsigned char *style; /* enum md_style per byte of base */
};

/* One line of a text cell: a command per run of one style; code on a dark box. */
static void styled_line(struct ctx *c, int x, int y, int k, const char *s, size_t len,
                        const struct look *lk)
{
    if (!lk->style) {
        text_shadowed(c, x, y, k, s, len, lk->color, lk->shadow);
        return;
    }
    for (size_t i = 0; i < len;) {
        unsigned char st = lk->style[s + i - lk->base];
        size_t j = i;
        while (j < len && lk->style[s + j - lk->base] == st)
            j++;
        int cols = layout_utf8_cols(s + i, j - i);
        struct rgba col = st & (MD_STRONG | MD_HEADING) ? LAYOUT_PURPLE_100
                          : st & MD_EM                  ? LAYOUT_PURPLE_400
                                                        : lk->color;
        if (st & MD_CODE)
            fill(c, (struct rect){x, y, cols * ADV(k), LINE(k)}, LAYOUT_ZINC_900);
        text_shadowed(c, x, y, k, s + i, j - i, col, lk->shadow);
        x += cols * ADV(k);
        i = j;
    }
}

/* printf into the list's text arena (a string cut at the end keeps whole UTF-8 sequences);
 * NULL when the arena is full. */
static const char *arena_printf(struct drawlist *dl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static const char *arena_printf(struct drawlist *dl, const char *fmt, ...)
{
    size_t room = sizeof dl->text - dl->ntext;
    if (room < 2)
        return NULL;
    char *s = dl->text + dl->ntext;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(s, room, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    size_t len = (size_t)n;
    if (len >= room)
        len = u8_cut(s, room - 1);
    s[len] = '\0';
    dl->ntext += len + 1;
    return s;
}

/* Emit wrapped lines at scale k in box: the block centred, or at the top-left. A truncated last
 * line ends in "...". The caller made sure cols columns and ls->n lines fit the box. */
static void emit_styled(struct ctx *c, struct rect box, int k, const struct lines *ls, int cols,
                        int centre, const struct look *lk)
{
    int n = ls->n, ndots = 0, widest = 0;
    if (n <= 0)
        return;
    size_t last_len = ls->lens[n - 1];
    const char *last = ls->starts[n - 1];
    if (ls->truncated) {
        ndots = imin(cols, 3);
        last_len = u8_prefix(last, last_len, cols - ndots);
        while (last_len > 0 && is_blank(last[last_len - 1]))
            last_len--;
    }
    int last_cols = layout_utf8_cols(last, last_len);
    for (int i = 0; i < n - 1; i++)
        widest = imax(widest, layout_utf8_cols(ls->starts[i], ls->lens[i]));
    widest = imax(widest, last_cols + ndots);
    int x = box.x, y = box.y;
    if (centre) {
        x += (box.w - widest * ADV(k)) / 2;
        y += (box.h - n * LINE(k)) / 2;
    }
    for (int i = 0; i < n - 1; i++)
        styled_line(c, x, y + i * LINE(k), k, ls->starts[i], ls->lens[i], lk);
    styled_line(c, x, y + (n - 1) * LINE(k), k, last, last_len, lk);
    if (ndots)
        text_shadowed(c, x + last_cols * ADV(k), y + (n - 1) * LINE(k), k, dots, (size_t)ndots,
                      lk->color, lk->shadow);
}

static void emit_lines(struct ctx *c, struct rect box, int k, const struct lines *ls, int cols,
                       int centre, struct rgba color)
{
    struct look lk = {.color = color};
    emit_styled(c, box, k, ls, cols, centre, &lk);
}

/* Cell text, as the original drew it: Markdown (markdown.h) in a left-aligned block centred in
 * the cell, with a purple-900 shadow, at the preferred size, stepping down by 11 px until it
 * fits, truncated at 11 px. The plain text lives in the list's arena; if it is full, the raw
 * text is drawn unstyled. */
static void fit_text(struct ctx *c, struct rect cell, const char *text, struct rgba color)
{
    struct rect box = layout_text_box(cell);
    struct lines ls;
    unsigned char style[2 * APP_TEXT_MAX + 16];
    struct look lk = {.color = color, .shadow = LAYOUT_PURPLE_900};
    size_t need = 2 * strlen(text) + 16, room = sizeof c->dl->text - c->dl->ntext;
    if (need <= room && need <= sizeof style) {
        char *plain = c->dl->text + c->dl->ntext;
        size_t n = markdown_plain(text, plain, style, need);
        c->dl->ntext += n + 1;
        text = plain;
        lk.base = plain;
        lk.style = style;
    }
    for (int k = layout_font_px(cell.w, cell.h) / 11; k >= 1; k--) {
        int cols = box.w / ADV(k), rows = imin(box.h / LINE(k), LAYOUT_MAX_LINES);
        if (cols < 1 || rows < 1)
            continue;
        ls.n = layout_wrap(text, cols, rows, ls.starts, ls.lens, &ls.truncated);
        if (!ls.truncated || k == 1) {
            emit_styled(c, box, k, &ls, cols, 1, &lk);
            return;
        }
    }
}

/* One short line centred in a cell's text box, at scale k or smaller; nothing if even 11 px
 * does not fit. */
static void centred_label(struct ctx *c, struct rect cell, int k, const char *s, struct rgba col)
{
    if (!s)
        return;
    struct rect box = layout_text_box(cell);
    size_t len = strlen(s);
    int n = layout_utf8_cols(s, len);
    while (k >= 1 && (n * ADV(k) > box.w || LINE(k) > box.h))
        k--;
    if (k < 1)
        return;
    text_cmd(c, box.x + (box.w - n * ADV(k)) / 2, box.y + (box.h - LINE(k)) / 2, k, s, len, col);
}

/* A block of text at the top-left of col starting at *y, at most max_lines lines (and no lower
 * than the column's bottom); moves *y past it. */
static void put_block(struct ctx *c, struct rect col, int *y, int k, const char *text,
                      int max_lines, struct rgba color)
{
    struct lines ls;
    int cols = col.w / ADV(k);
    int rows = imin(imin(max_lines, (col.y + col.h - *y) / LINE(k)), LAYOUT_MAX_LINES);
    if (!text || cols < 1 || rows < 1)
        return;
    ls.n = layout_wrap(text, cols, rows, ls.starts, ls.lens, &ls.truncated);
    emit_lines(c, (struct rect){col.x, *y, col.w, rows * LINE(k)}, k, &ls, cols, 0, color);
    *y += ls.n * LINE(k);
}

static void ring(struct ctx *c, struct rect cell, const float *values, int n, float rotation)
{
    int side = imin(cell.w, cell.h) * 9 / 10;
    if (side < 2 || !values || n <= 0)
        return;
    struct draw_cmd *d = emit(c, DRAW_RING);
    if (!d)
        return;
    d->r = (struct rect){cell.x + (cell.w - side) / 2, cell.y + (cell.h - side) / 2, side, side};
    d->color = LAYOUT_PURPLE_300;
    d->u.ring.values = values;
    d->u.ring.nbars = n;
    d->u.ring.rotation = rotation;
    d->u.ring.mirror = 1;
}

static void draw_cell(struct ctx *c, struct rect r, const struct app_inv *inv, int index,
                      const char *placeholder)
{
    const struct layout_env *env = c->env;
    if (r.w <= 0 || r.h <= 0)
        return;
    switch (inv->kind) {
    case CELL_EMPTY:
        /* Legible across a room: about a third of the cell wide (shrunk to fit). */
        centred_label(c, r, imax(1, r.w / 70), placeholder, with_alpha(LAYOUT_PURPLE_300, 0.5f));
        break;
    case CELL_INVOKING: {
        fill(c, r, LAYOUT_ROSE_500);
        int k = layout_invoking_px(r.w, r.h) / 11;
        if (k)
            text_shadowed(c, r.x + (r.w - LINE(k)) / 2, r.y + (r.h - LINE(k)) / 2, k, "P!", 2,
                          with_alpha(LAYOUT_PURPLE_300, layout_breath(env->now)),
                          with_alpha(LAYOUT_PURPLE_900, layout_breath(env->now)));
        break;
    }
    case CELL_FAILED:
        fill(c, r, LAYOUT_ROSE_950);
        break;
    case CELL_TEXT:
        fill(c, r, LAYOUT_ZINC_800);
        fit_text(c, r, inv->text, LAYOUT_PURPLE_300);
        break;
    case CELL_IMAGE: {
        int iw = 0, ih = 0;
        if (inv->media[0] && env->image_size && env->image_size(env->user, inv->media, &iw, &ih) &&
            iw > 0 && ih > 0) {
            struct draw_cmd *d = emit(c, DRAW_IMAGE);
            if (d) {
                d->r = r;
                d->color = (struct rgba){0xff, 0xff, 0xff, 0xff};
                d->u.image.media = inv->media;
                d->u.image.src = layout_cover_crop(iw, ih, r.w, r.h);
            }
        } else { /* still downloading or decoding: never a hole in the grid */
            fill(c, r, LAYOUT_ZINC_800);
            centred_label(c, r, layout_font_px(r.w, r.h) / 11, dots,
                          with_alpha(LAYOUT_PURPLE_300, 0.5f));
        }
        break;
    }
    case CELL_AUDIO:
        fill(c, r, LAYOUT_EMERALD_800);
        if (index == env->audible_cell && env->bars && env->nbars > 0)
            ring(c, r, env->bars, env->nbars, env->ring_rotation);
        else
            ring(c, r, quiet_bars, (int)(sizeof quiet_bars / sizeof quiet_bars[0]), 0.0f);
        break;
    }
}

/* ---- the fixed parts: HUD, QR, offline dot ---- */

static void cat(char *buf, size_t size, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void cat(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
    if (*len + 1 >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *len, size - *len, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (*len + (size_t)n >= size)
        *len = u8_cut(buf, size - 1);
    else
        *len += (size_t)n;
    buf[*len] = '\0';
}

/* The lockout countdown as the screen may show it: none while the coordinator is unreachable
 * (nobody can start a run then, so "ready in N s" would be a promise the screen cannot keep). */
static int ready_in_s(const struct app *a, int64_t now)
{
    return a->online ? app_lockout_left_s(a, now) : 0;
}

static const char *network_title(struct ctx *c)
{
    const struct app *a = c->a;
    if (a->network_name[0])
        return a->network_name;
    if (a->cfg.network)
        return arena_printf(c->dl, "network %lld", (long long)a->cfg.network);
    return a->name;
}

static void draw_hud(struct ctx *c, struct rect hud)
{
    const struct app *a = c->a;
    const struct app_status *st = &a->status;
    char buf[768];
    size_t len = 0;
    buf[0] = '\0';
    if (hud.w <= 0 || hud.h <= 0)
        return;
    const char *title = network_title(c);
    cat(buf, sizeof buf, &len, "%s", title ? title : "");
    int64_t run = st->run > 0 ? st->run : a->run;
    if (run > 0)
        cat(buf, sizeof buf, &len, " \xc2\xb7 run %lld \xc2\xb7 seq %lld", (long long)run,
            (long long)st->seq);
    if (st->model[0])
        cat(buf, sizeof buf, &len, " \xc2\xb7 %s", st->model);
    int left = ready_in_s(a, c->env->now);
    if (left > 0)
        cat(buf, sizeof buf, &len, " \xc2\xb7 ready in %d s", left);
    else if (!strcmp(st->state, "idle") || !strcmp(st->state, "failed") ||
             !strcmp(st->state, "stopped"))
        cat(buf, sizeof buf, &len, " \xc2\xb7 %s", st->state);
    if (!a->online)
        cat(buf, sizeof buf, &len, " \xc2\xb7 offline");
    if (c->env->hud_line && c->env->hud_line[0])
        cat(buf, sizeof buf, &len, " \xc2\xb7 %s", c->env->hud_line);
    int k = hud.h / LINE(1), pad = 3 * k, y = hud.y;
    const char *line = arena_printf(c->dl, "%s", buf);
    int cols = line ? imin(layout_utf8_cols(line, strlen(line)), hud.w / ADV(k)) : 0;
    if (cols <= 0)
        return;
    fill(c, (struct rect){hud.x - pad, hud.y - pad, cols * ADV(k) + 2 * pad, hud.h + 2 * pad},
         with_alpha(LAYOUT_ZINC_900, 0.8f));
    put_block(c, hud, &y, k, line, 1, with_alpha(LAYOUT_PURPLE_300, 0.8f));
}

/* The commands the overlays will take: the QR code's runs and square (or the offline notice's
 * square and label), the HUD's box and line, the banner's box and line. */
static int overlay_cmds(const struct app *a, const struct layout_env *env, const struct geom *g)
{
    const unsigned char *m = env->qr;
    int n = env->qr_width, total = 0;
    if (!env->no_qr && g->qr.w > 0 && !a->online)
        total += 2;
    else if (!env->no_qr && g->qr.w > 0 && m && n > 0 && n <= 177) {
        total++;
        for (int i = 0; i < n * n; i++)
            total += (m[i] & 1) && (i % n == 0 || !(m[i - 1] & 1));
    }
    if (!env->no_hud && g->hud.w > 0)
        total += 2;
    if (a->cfg.mode != DISPLAY_MODE_TERMINAL && a->message[0] && env->now < a->message_until)
        total += 2;
    return total;
}

/* Standard polarity (dark modules on a light square) scans on every phone; the original's
 * purple-on-black inverse does not. Runs of dark modules merge into one rect. */
static void draw_qr(struct ctx *c, struct rect q)
{
    const unsigned char *m = c->env->qr;
    int n = c->env->qr_width;
    if (q.w <= 0 || !m || n <= 0 || n > 177)
        return;
    int total = n + 8, scale = q.w / total; /* a quiet zone of 4 modules */
    if (scale < 1) {
        total = n + 2;
        scale = q.w / total;
    }
    if (scale < 1)
        return;
    int side = total * scale, ox = q.x + (q.w - side) / 2, oy = q.y + (q.h - side) / 2;
    fill(c, (struct rect){ox, oy, side, side}, LAYOUT_PURPLE_300);
    ox += (total - n) / 2 * scale;
    oy += (total - n) / 2 * scale;
    for (int y = 0; y < n; y++)
        for (int x = 0; x < n;) {
            if (!(m[y * n + x] & 1)) {
                x++;
                continue;
            }
            int run = 1;
            while (x + run < n && (m[y * n + x + run] & 1))
                run++;
            fill(c, (struct rect){ox + x * scale, oy + y * scale, run * scale, scale},
                 LAYOUT_ZINC_900);
            x += run;
        }
}

/* Offline, the QR code would lead phones to a coordinator that does not answer: its corner says
 * so instead (the cells keep their place). */
static void draw_offline_corner(struct ctx *c, struct rect q)
{
    if (q.w <= 0)
        return;
    fill(c, q, LAYOUT_ZINC_800);
    centred_label(c, q, 1, "offline", LAYOUT_ROSE_500);
}

/* ---- info and terminal screens ---- */

static void draw_info(struct ctx *c, struct rect panel, const char *placeholder)
{
    const struct app *a = c->a;
    struct rect col = info_text_rect(panel);
    int k = imax(1, panel.h / 400);
    while (k > 1 && col.w / ADV(k) < 24)
        k--;
    int lh = LINE(k), y = col.y, total = col.h / lh;
    struct rgba text = LAYOUT_PURPLE_300, dim = with_alpha(LAYOUT_PURPLE_300, 0.6f);

    put_block(c, col, &y, k, network_title(c), 2, text);
    y += lh / 2;
    /* Models (each with up to 3 lines of what it does) get at most half the column; the prompt
     * gets what the status and the cost leave. */
    const struct app_status *st = &a->status;
    int model_end = col.y + (imax(1, total / 2 - 1) + 3) * lh;
    put_block(c, col, &y, k, "Models:", 1, dim);
    for (int i = 0; i < a->nmodels && y + lh <= model_end; i++) {
        put_block(c, col, &y, k, arena_printf(c->dl, "%d. %s", i + 1, a->models[i]), 1, text);
        int room = (model_end - y) / lh;
        if (a->model_desc[i][0] && room > 0)
            put_block(c, col, &y, k, a->model_desc[i], imin(3, room), dim);
    }
    y += lh / 2;
    put_block(c, col, &y, k, "Last prompt:", 1, dim);
    int prompt_lines = imax(1, (col.y + col.h - y) / lh - (st->paid ? 4 : 3));
    put_block(c, col, &y, k, a->prompt[0] ? a->prompt : "none", prompt_lines, text);
    y += lh / 2;
    if (st->paid)
        put_block(c, col, &y, k,
                  arena_printf(c->dl, "cost $%.2f so far \xc2\xb7 $%.2f an hour", st->cost_usd,
                               st->burn_usd_per_hour),
                  1, dim);
    int left = ready_in_s(a, c->env->now);
    char extra[32] = "";
    if (left > 0)
        snprintf(extra, sizeof extra, " \xc2\xb7 ready in %d s", left);
    put_block(c, col, &y, k,
              arena_printf(c->dl, "%s \xc2\xb7 run %lld \xc2\xb7 seq %lld%s", st->state,
                           (long long)(st->run ? st->run : a->run), (long long)st->seq, extra),
              2, dim);
    draw_cell(c, info_output_rect(panel), &a->cells[0], 0, placeholder);
}

static void draw_terminal(struct ctx *c, struct rect panel)
{
    const struct app *a = c->a;
    int64_t now = c->env->now;
    int pad = panel.w / 32;
    struct rect in = {panel.x + pad, panel.y + pad, imax(0, panel.w - 2 * pad),
                      imax(0, panel.h - 2 * pad)};
    /* Eleven lines: label, 3 of prompt, the box (3 lines and its padding), 2 of message. */
    int k = imax(1, imin(layout_font_px(panel.w, panel.h) / 11, in.h / (11 * LINE(1))));
    int lh = LINE(k), y = in.y, bottom = in.y + in.h;
    struct rgba text = LAYOUT_PURPLE_300, dim = with_alpha(LAYOUT_PURPLE_300, 0.5f);

    put_block(c, in, &y, k, "Current run:", 1, with_alpha(LAYOUT_PURPLE_300, 0.6f));
    put_block(c, in, &y, k, a->prompt[0] ? a->prompt : "none", 3, text);
    y += lh / 2;

    int ipad = 4 * k, left = ready_in_s(a, now);
    int box_lines = imin(3, (bottom - y - 2 * ipad - lh / 2 - 2 * lh) / lh);
    if (box_lines < 1 && bottom - y >= lh + 2 * ipad)
        box_lines = 1;
    if (box_lines >= 1) {
        struct rect box = {in.x, y, in.w, box_lines * lh + 2 * ipad};
        struct rect ta = {box.x + ipad, box.y + ipad, imax(0, box.w - 2 * ipad), box_lines * lh};
        int cols = ta.w / ADV(k), cur_line = 0, cur_col = 0;
        fill(c, box, LAYOUT_ZINC_800);
        if (cols >= 1 && a->input[0]) {
            struct lines ls;
            /* The whole input always wraps within LAYOUT_MAX_LINES; show its tail, where the
             * cursor is. */
            ls.n = layout_wrap(a->input, cols, LAYOUT_MAX_LINES, ls.starts, ls.lens, &ls.truncated);
            int first = imax(0, ls.n - box_lines);
            for (int i = first; i < ls.n; i++)
                text_cmd(c, ta.x, ta.y + (i - first) * lh, k, ls.starts[i], ls.lens[i], text);
            if (ls.n > 0) {
                const char *s = ls.starts[ls.n - 1];
                cur_line = ls.n - 1 - first;
                cur_col = layout_utf8_cols(s, strlen(s));
            } else {
                cur_col = layout_utf8_cols(a->input, strlen(a->input));
            }
        } else if (cols >= 1) {
            const char *ph = !a->online ? "Offline: cannot reach the coordinator"
                             : left > 0
                                 ? arena_printf(c->dl, "%d second%s until ready for new input",
                                                left, left == 1 ? "" : "s")
                                 : "Ready for new input";
            int ty = ta.y;
            put_block(c, ta, &ty, k, ph, 1, dim);
        }
        /* A blinking bar cursor while input is accepted; it may sit in the box's padding. */
        if (cols >= 1 && a->online && left == 0 && (now / 500) % 2 == 0)
            fill(c,
                 (struct rect){ta.x + imin(cur_col, cols) * ADV(k), ta.y + cur_line * lh + k, k,
                               12 * k},
                 text);
        y = box.y + box.h + lh / 2;
    }
    if (a->message[0] && now < a->message_until)
        put_block(c, in, &y, k, a->message, 2, LAYOUT_ROSE_500);
}

/* ---- the frame ---- */

/* A short notice ("ready in 12 s", "cannot reach the coordinator") over the middle of the
 * screen, for the panic button's immediate feedback in every mode but the terminal (which shows
 * messages under its input box). One line, cut to fit. */
static void draw_banner(struct ctx *c, const char *msg)
{
    int w = c->env->w, h = c->env->h;
    int k = imax(1, imin(w / 480, h / 270)) * 2;
    size_t len = strlen(msg);
    int cols = layout_utf8_cols(msg, len);
    while (k > 1 && (cols + 4) * ADV(k) > w)
        k--;
    int maxcols = imax(1, w / ADV(k) - 4);
    if (cols > maxcols) {
        /* Cut at a code point boundary. */
        size_t cut = 0;
        int n = 0;
        while (cut < len && n < maxcols) {
            cut++;
            while (cut < len && ((unsigned char)msg[cut] & 0xc0) == 0x80)
                cut++;
            n++;
        }
        len = cut;
        cols = n;
    }
    int bw = (cols + 4) * ADV(k), bh = LINE(k) * 2;
    struct rect box = {(w - bw) / 2, (h - bh) / 2, bw, bh};
    fill(c, box, LAYOUT_ROSE_500);
    text_cmd(c, box.x + 2 * ADV(k), box.y + LINE(k) / 2, k, msg, len, LAYOUT_ZINC_900);
}

void layout_frame(const struct app *a, const struct layout_env *env, struct drawlist *dl)
{
    struct geom g;
    struct ctx c = {.a = a, .env = env, .dl = dl, .limit = DRAWLIST_MAX - 1};
    drawlist_clear(dl);
    if (env->w <= 0 || env->h <= 0)
        return;
    geometry(a, env->w, env->h, &g);
    fill(&c, (struct rect){0, 0, env->w, env->h}, LAYOUT_ZINC_900);
    /* Room kept at the end for the overlays, drawn last (on top of the cells). */
    c.limit = DRAWLIST_MAX - 1 - (size_t)overlay_cmds(a, env, &g);

    const char *placeholder = a->cfg.mode == DISPLAY_MODE_GRID
                                  ? arena_printf(dl, "%d/%d", a->cfg.rows, a->cfg.cols)
                                  : arena_printf(dl, "%d/%d", a->cfg.offset, a->cfg.stride);
    switch (a->cfg.mode) {
    case DISPLAY_MODE_GRID:
    case DISPLAY_MODE_SINGLE:
        for (int i = 0; i < g.ncells; i++)
            draw_cell(&c, cell_rect(a, &g, i), &a->cells[i], i, placeholder);
        break;
    case DISPLAY_MODE_INFO:
        draw_info(&c, panel_rect(&g), placeholder);
        break;
    case DISPLAY_MODE_TERMINAL:
        draw_terminal(&c, panel_rect(&g));
        break;
    }

    c.limit = DRAWLIST_MAX - 1;
    if (!env->no_qr) {
        if (a->online)
            draw_qr(&c, g.qr);
        else
            draw_offline_corner(&c, g.qr);
    }
    if (!env->no_hud)
        draw_hud(&c, g.hud);

    if (a->cfg.mode != DISPLAY_MODE_TERMINAL && a->message[0] && env->now < a->message_until)
        draw_banner(&c, a->message);

    if (!a->online) { /* last: over the top-right cell, and the list always has room for it */
        c.limit = DRAWLIST_MAX;
        fill(&c, layout_offline_rect(env->w, env->h), LAYOUT_ROSE_500);
    }
}
