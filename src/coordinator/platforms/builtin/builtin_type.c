/* builtin_type.c: the builtin text->image model, a typographic renderer. The text is set in the
 * repo's DepartureMono (a monospaced pixel font, sized in multiples of its 11 px grid so the
 * strokes stay crisp) on a 1280x720 canvas, with the look picked from a hash of the text:
 * background and ink (a contrast ratio of at least 7:1, so OCR reads it back), size, wrapping,
 * alignment, a little position jitter, sometimes capitals, and a few flat shapes that stay
 * clear of the text. Reading the picture back therefore gives nearly the same words, and the
 * small differences are the drift of an offline loop. FreeType draws the glyphs,
 * common/lib/png_write encodes in memory. Optional at build time (PANIC_HAVE_FREETYPE). One thread
 * owns a renderer; nothing here knows about the loop or the media store. */
#include "builtin_engines.h"
#include "common/hash.h"
#include "common/lib/png_write.h"
#include "common/rng.h"
#include "common/util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef PANIC_HAVE_FREETYPE
#include <ft2build.h>
#include FT_FREETYPE_H
#endif

int builtin_font_find(char *path, size_t pathlen)
{
    static const char *const dirs[] = {"/usr/local/share/panic/fonts", "/usr/share/panic/fonts",
                                       "fonts"};
    for (size_t i = 0; i < ARRAY_LEN(dirs); i++) {
        snprintf(path, pathlen, "%s/%s", dirs[i], BUILTIN_FONT_FILE);
        if (access(path, R_OK) == 0)
            return 0;
    }
    return -ENOENT;
}

int builtin_type_check(char *why, size_t whylen)
{
#ifdef PANIC_HAVE_FREETYPE
    char path[512];
    if (builtin_font_find(path, sizeof path) < 0) {
        snprintf(why, whylen,
                 "type: no " BUILTIN_FONT_FILE " in /usr/local/share/panic/fonts, "
                 "/usr/share/panic/fonts or ./fonts");
        return 0;
    }
    return 1;
#else
    snprintf(why, whylen, "this panicd was built without FreeType (libfreetype-dev)");
    return 0;
#endif
}

#ifdef PANIC_HAVE_FREETYPE

#define W BUILTIN_TYPE_W
#define H BUILTIN_TYPE_H
#define GRID 11       /* the font's pixel grid */
#define MAX_CHARS 600 /* longer text is cut and ends with "..." */
#define MIN_MULT 2    /* 22 px: still readable by tesseract */
#define MAX_LINES 64
#define MIN_CONTRAST 7.0 /* ink on ground: WCAG AAA; tesseract reads anything above ~4 */
#define MAX_SHAPE_CONTRAST 1.8

struct rgb {
    uint8_t r, g, b;
};

struct builtin_type {
    FT_Library ft;
    FT_Face face;
    uint8_t *px;       /* W * H * 3, reused */
    uint32_t *cps;     /* MAX_CHARS + 4 code points, reused */
    uint8_t *reserved; /* W * H: 1 where the text block is, so shapes stay off it */
};

struct layout {
    int mult, adv, line_h, ascender;
    size_t nlines;
    size_t start[MAX_LINES], len[MAX_LINES];
};

struct builtin_type *builtin_type_open(const char *font_path, char *err, size_t errlen)
{
    char found[512];
    if (!font_path) {
        if (builtin_font_find(found, sizeof found) < 0) {
            builtin_type_check(err, errlen);
            return NULL;
        }
        font_path = found;
    }
    struct builtin_type *t = xcalloc(1, sizeof *t);
    if (FT_Init_FreeType(&t->ft)) {
        snprintf(err, errlen, "type: cannot start FreeType");
        free(t);
        return NULL;
    }
    if (FT_New_Face(t->ft, font_path, 0, &t->face)) {
        snprintf(err, errlen, "type: cannot load the font %s", font_path);
        FT_Done_FreeType(t->ft);
        free(t);
        return NULL;
    }
    t->px = xmalloc((size_t)W * H * 3);
    t->reserved = xmalloc((size_t)W * H);
    t->cps = xmalloc((MAX_CHARS + 4) * sizeof *t->cps);
    return t;
}

void builtin_type_close(struct builtin_type *t)
{
    if (!t)
        return;
    FT_Done_Face(t->face);
    FT_Done_FreeType(t->ft);
    free(t->px);
    free(t->reserved);
    free(t->cps);
    free(t);
}

/* ---- seeded choices ---- */

static double hue_channel(double p, double q, double t)
{
    if (t < 0)
        t += 1;
    if (t > 1)
        t -= 1;
    if (t < 1.0 / 6)
        return p + (q - p) * 6 * t;
    if (t < 0.5)
        return q;
    if (t < 2.0 / 3)
        return p + (q - p) * (2.0 / 3 - t) * 6;
    return p;
}

/* h in turns (0..1), s and l in 0..1. */
static struct rgb hsl(double h, double s, double l)
{
    h -= floor(h);
    double q = l < 0.5 ? l * (1 + s) : l + s - l * s, p = 2 * l - q;
    return (struct rgb){(uint8_t)lround(255 * hue_channel(p, q, h + 1.0 / 3)),
                        (uint8_t)lround(255 * hue_channel(p, q, h)),
                        (uint8_t)lround(255 * hue_channel(p, q, h - 1.0 / 3))};
}

static double lin(uint8_t c)
{
    double v = c / 255.0;
    return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4);
}

static double contrast(struct rgb a, struct rgb b)
{
    double la = 0.2126 * lin(a.r) + 0.7152 * lin(a.g) + 0.0722 * lin(a.b);
    double lb = 0.2126 * lin(b.r) + 0.7152 * lin(b.g) + 0.0722 * lin(b.b);
    return la > lb ? (la + 0.05) / (lb + 0.05) : (lb + 0.05) / (la + 0.05);
}

/* A shape's colour: a nearby hue in a tone close to the ground's, so OCR's global threshold
 * puts shapes with the ground and never with the ink (stronger shapes make tesseract see
 * picture regions and read junk around them). */
static struct rgb shape_colour(uint64_t *rs, double hue, double bg_l, int dark, struct rgb bg,
                               struct rgb ink)
{
    double step = 0.05 + 0.1 * rng_unit(rs);
    double l = dark ? bg_l + step : bg_l - step;
    struct rgb c = hsl(hue + (rng_unit(rs) - 0.5) * 0.5, 0.3 + 0.6 * rng_unit(rs), l);
    for (int i = 0; i < 8 && (contrast(c, bg) > MAX_SHAPE_CONTRAST || contrast(c, ink) < 4); i++) {
        c.r = (uint8_t)((c.r + bg.r) / 2); /* halfway back to the ground */
        c.g = (uint8_t)((c.g + bg.g) / 2);
        c.b = (uint8_t)((c.b + bg.b) / 2);
    }
    return c;
}

/* ---- text ---- */

/* Decode UTF-8 into t->cps: control characters and whitespace become single spaces, malformed
 * bytes '?', capitals (ASCII) if upper, at most MAX_CHARS then "...". The count. */
static size_t decode_text(struct builtin_type *t, const char *text, int upper)
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)text;
    while (*p && n < MAX_CHARS) {
        uint32_t cp;
        size_t k = 1;
        if (*p < 0x80) {
            cp = *p;
        } else if ((*p & 0xe0) == 0xc0 && (p[1] & 0xc0) == 0x80) {
            cp = (uint32_t)(*p & 0x1f) << 6 | (p[1] & 0x3f);
            k = 2;
        } else if ((*p & 0xf0) == 0xe0 && (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80) {
            cp = (uint32_t)(*p & 0x0f) << 12 | (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
            k = 3;
        } else if ((*p & 0xf8) == 0xf0 && (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80 &&
                   (p[3] & 0xc0) == 0x80) {
            cp = (uint32_t)(*p & 0x07) << 18 | (uint32_t)(p[1] & 0x3f) << 12 |
                 (uint32_t)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
            k = 4;
        } else {
            cp = '?';
        }
        p += k;
        if (cp <= ' ' || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
            if (n && t->cps[n - 1] != ' ')
                t->cps[n++] = ' ';
            continue;
        }
        if (upper && cp >= 'a' && cp <= 'z')
            cp -= 'a' - 'A';
        t->cps[n++] = cp;
    }
    while (n && t->cps[n - 1] == ' ')
        n--;
    if (*p) {
        for (int i = 0; i < 3; i++)
            t->cps[n++] = '.';
    }
    return n;
}

/* Greedy word wrap of cps[0..n) into lines of at most cols; words longer than a line are broken.
 * 0 if it fits in rows lines, else -1 (with the lines that fit). */
static int wrap(const uint32_t *cps, size_t n, size_t cols, size_t rows, struct layout *l)
{
    size_t i = 0;
    l->nlines = 0;
    while (i < n) {
        while (i < n && cps[i] == ' ')
            i++;
        if (i >= n)
            break;
        if (l->nlines == rows || l->nlines == MAX_LINES)
            return -1;
        size_t end = MIN(i + cols, n), cut = end;
        if (end < n && cps[end] != ' ') {
            while (cut > i && cps[cut] != ' ')
                cut--;
            if (cut == i)
                cut = end; /* one long word: break it */
        }
        size_t len = cut - i;
        while (len && cps[i + len - 1] == ' ')
            len--;
        l->start[l->nlines] = i;
        l->len[l->nlines++] = len;
        i = cut;
    }
    return 0;
}

static int set_size(struct builtin_type *t, int mult, struct layout *l)
{
    if (FT_Set_Pixel_Sizes(t->face, 0, (FT_UInt)(mult * GRID)))
        return -1;
    const FT_Size_Metrics *m = &t->face->size->metrics;
    l->mult = mult;
    l->adv = (int)((m->max_advance + 63) >> 6);
    l->line_h = (int)((m->height + 63) >> 6);
    l->ascender = (int)((m->ascender + 63) >> 6);
    if (FT_Load_Char(t->face, 'M', FT_LOAD_DEFAULT) == 0)
        l->adv = (int)((t->face->glyph->advance.x + 63) >> 6); /* monospace: every cell */
    return l->adv > 0 && l->line_h > 0 ? 0 : -1;
}

/* ---- drawing ---- */

static void put(struct builtin_type *t, int x, int y, struct rgb c)
{
    uint8_t *p = t->px + ((size_t)y * W + (size_t)x) * 3;
    p[0] = c.r;
    p[1] = c.g;
    p[2] = c.b;
}

static void shape_rect(struct builtin_type *t, int x0, int y0, int x1, int y1, struct rgb c)
{
    for (int y = MAX(y0, 0); y < MIN(y1, H); y++)
        for (int x = MAX(x0, 0); x < MIN(x1, W); x++)
            if (!t->reserved[(size_t)y * W + (size_t)x])
                put(t, x, y, c);
}

static void shape_disc(struct builtin_type *t, int cx, int cy, int r, int ring, struct rgb c)
{
    long r2 = (long)r * r, in2 = ring ? (long)(r - ring) * (r - ring) : -1;
    for (int y = MAX(cy - r, 0); y < MIN(cy + r + 1, H); y++)
        for (int x = MAX(cx - r, 0); x < MIN(cx + r + 1, W); x++) {
            long d2 = (long)(x - cx) * (x - cx) + (long)(y - cy) * (y - cy);
            if (d2 <= r2 && d2 > in2 && !t->reserved[(size_t)y * W + (size_t)x])
                put(t, x, y, c);
        }
}

static void draw_glyph(struct builtin_type *t, const FT_Bitmap *bm, int x0, int y0, struct rgb ink)
{
    for (unsigned row = 0; row < bm->rows; row++) {
        int y = y0 + (int)row;
        if (y < 0 || y >= H)
            continue;
        for (unsigned col = 0; col < bm->width; col++) {
            int x = x0 + (int)col;
            unsigned a = bm->buffer[(long)row * bm->pitch + col];
            if (x < 0 || x >= W || a == 0)
                continue;
            uint8_t *p = t->px + ((size_t)y * W + (size_t)x) * 3;
            p[0] = (uint8_t)((ink.r * a + p[0] * (255 - a)) / 255);
            p[1] = (uint8_t)((ink.g * a + p[1] * (255 - a)) / 255);
            p[2] = (uint8_t)((ink.b * a + p[2] * (255 - a)) / 255);
        }
    }
}

int builtin_type_render(struct builtin_type *t, const char *text, struct buf *out, char *err,
                        size_t errlen)
{
    uint64_t rs = fnv1a64(FNV1A64_INIT, text, strlen(text));

    /* Colours: a dark or light ground of one hue, ink of a far hue on the other side. */
    int dark = (int)(rng_next(&rs) & 1);
    double hue = rng_unit(&rs);
    double bg_l = dark ? 0.07 + 0.15 * rng_unit(&rs) : 0.80 + 0.14 * rng_unit(&rs);
    struct rgb bg = hsl(hue, 0.3 + 0.5 * rng_unit(&rs), bg_l);
    struct rgb ink = hsl(hue + 0.33 + 0.34 * rng_unit(&rs), 0.5 + 0.5 * rng_unit(&rs),
                         dark ? 0.78 + 0.17 * rng_unit(&rs) : 0.06 + 0.18 * rng_unit(&rs));
    if (contrast(bg, ink) < MIN_CONTRAST)
        ink = dark ? (struct rgb){250, 250, 245} : (struct rgb){12, 12, 16};

    size_t n = decode_text(t, text, rng_range(&rs, 0, 5) == 0);
    int margin = rng_range(&rs, 48, 110);
    int box_w = W - 2 * margin, box_h = H - 2 * margin;
    struct layout l;
    int mult = rng_range(&rs, 3, 8); /* 33..88 px */
    for (;; mult--) {
        if (set_size(t, mult, &l) < 0) {
            snprintf(err, errlen, "type: the font cannot be set at %d px", mult * GRID);
            return -EIO;
        }
        size_t cols = (size_t)(box_w / l.adv), rows = (size_t)(box_h / l.line_h);
        if (wrap(t->cps, n, cols, rows, &l) == 0 || mult == MIN_MULT)
            break;
    }
    if (l.nlines && l.start[l.nlines - 1] + l.len[l.nlines - 1] < n) {
        /* Still too long at the smallest size: the last line ends in "...". */
        size_t last = l.nlines - 1, room = (size_t)(box_w / l.adv);
        size_t keep = MIN(l.len[last], room > 3 ? room - 3 : 0);
        for (size_t i = 0; i < 3; i++)
            t->cps[l.start[last] + keep + i] = '.';
        l.len[last] = keep + 3;
    }

    size_t widest = 0;
    for (size_t i = 0; i < l.nlines; i++)
        widest = MAX(widest, l.len[i]);
    int bw = (int)widest * l.adv, bh = (int)l.nlines * l.line_h;
    /* Anchor left, centre or right of the slack, plus a few per cent of jitter. */
    double fx = rng_range(&rs, 0, 2) * 0.5 + (rng_unit(&rs) - 0.5) * 0.1;
    double fy = rng_range(&rs, 0, 2) * 0.5 + (rng_unit(&rs) - 0.5) * 0.1;
    fx = fx < 0 ? 0 : fx > 1 ? 1 : fx;
    fy = fy < 0 ? 0 : fy > 1 ? 1 : fy;
    int bx = margin + (int)((box_w - bw) * fx), by = margin + (int)((box_h - bh) * fy);
    int centred = rng_range(&rs, 0, 2) == 0;

    /* Ground, reserved text block (with a pad of half a line), then shapes around it. */
    for (size_t i = 0; i < (size_t)W * H; i++)
        memcpy(t->px + i * 3, &bg, 3);
    memset(t->reserved, 0, (size_t)W * H);
    int pad = l.line_h;
    /* The whole width of the text's rows, not just its box: a shape level with a line of text
     * (a stripe through it, say) makes tesseract's line finder take the text for a picture. */
    for (int y = MAX(by - pad, 0); y < MIN(by + bh + pad, H); y++)
        memset(t->reserved + (size_t)y * W, 1, W);
    int nshapes = rng_range(&rs, 2, 6);
    for (int i = 0; i < nshapes; i++) {
        struct rgb c = shape_colour(&rs, hue, bg_l, dark, bg, ink);
        int kind = rng_range(&rs, 0, 3);
        int x = rng_range(&rs, 0, W), y = rng_range(&rs, 0, H);
        if (kind == 0) {
            shape_rect(t, x, y, x + rng_range(&rs, 60, 520), y + rng_range(&rs, 40, 360), c);
        } else if (kind == 1) {
            shape_disc(t, x, y, rng_range(&rs, 30, 260), 0, c);
        } else if (kind == 2) {
            int r = rng_range(&rs, 60, 300);
            shape_disc(t, x, y, r, rng_range(&rs, 8, 40), c);
        } else {
            int band = rng_range(&rs, 12, 90); /* a full-width stripe */
            shape_rect(t, 0, y, W, y + band, c);
        }
    }

    for (size_t i = 0; i < l.nlines; i++) {
        int x = bx + (centred ? (int)(widest - l.len[i]) * l.adv / 2 : 0);
        int base = by + (int)i * l.line_h + l.ascender;
        for (size_t k = 0; k < l.len[i]; k++, x += l.adv) {
            uint32_t cp = t->cps[l.start[i] + k];
            if (cp == ' ')
                continue;
            if (FT_Get_Char_Index(t->face, cp) == 0)
                cp = '?'; /* no glyph in the font: a visible stand-in, not a tofu box */
            if (FT_Load_Char(t->face, cp, FT_LOAD_RENDER))
                continue;
            FT_GlyphSlot g = t->face->glyph;
            if (g->bitmap.pixel_mode != FT_PIXEL_MODE_GRAY)
                continue;
            draw_glyph(t, &g->bitmap, x + g->bitmap_left, base - g->bitmap_top, ink);
        }
    }
    /* Flat colour compresses well at any level; 3 is several times faster than the default. */
    struct pngw_image img = {.width = W, .height = H, .px = t->px, .bit_depth = 8, .level = 3};
    int rc = pngw_encode(&img, out);
    if (rc < 0)
        snprintf(err, errlen, "type: PNG encoding failed");
    return rc;
}

#else

struct builtin_type *builtin_type_open(const char *font_path, char *err, size_t errlen)
{
    (void)font_path;
    builtin_type_check(err, errlen);
    return NULL;
}

int builtin_type_render(struct builtin_type *t, const char *text, struct buf *out, char *err,
                        size_t errlen)
{
    (void)t;
    (void)text;
    (void)out;
    builtin_type_check(err, errlen);
    return -ENOSYS;
}

void builtin_type_close(struct builtin_type *t)
{
    (void)t;
}

#endif
