/* dummy_media.c: the dummy platform's pictures and sounds. The seed bytes are hashed (FNV-1a,
 * common/hash) into a splitmix64 stream (common/rng) that picks a palette and flat shapes for a
 * PNG, or pentatonic tones for a WAV, so any prompt gives its own media without a network or an
 * API key. Pictures are painted as palette indices and encoded into memory by common/lib/png_write
 * (this file includes no library); the WAV is written by hand. Nothing here knows about runs, the
 * store or the network, and there is no global mutable state: two threads may call in at once. */
#include "dummy_media.h"
#include "common/hash.h"
#include "common/lib/png_write.h"
#include "common/rng.h"
#include "common/util.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PNG_MAX_SIDE 4096
#define WAV_RATE 22050
#define WAV_MAX_MS 600000
#define WAV_FADE_SAMPLES (WAV_RATE / 100) /* 10 ms: long enough to hide the step, short to hear */

/* A different tag per medium so one prompt's picture and sound are not the same dice rolls. */
static uint64_t seed_hash(const char *tag, const void *seed, size_t len)
{
    return fnv1a64(fnv1a64(FNV1A64_INIT, tag, strlen(tag)), seed, len);
}

/* ---- picture ---------------------------------------------------------------------------- */

#define PAL_BG 0
#define PAL_SHAPES 4 /* indices 1..4: the big shapes */
#define PAL_ACCENT_L (PAL_SHAPES + 1)
#define PAL_ACCENT_R (PAL_SHAPES + 2)
#define PAL_LEN (PAL_SHAPES + 3) /* fits a 4-bit palette PNG */

struct canvas {
    uint8_t *px; /* width * height palette indices */
    int w, h;
    uint8_t pal[PAL_LEN][3];
};

struct box {
    int x0, y0, x1, y1; /* half-open */
};

static unsigned isqrt(unsigned n)
{
    unsigned r = 0, bit = 1u << 30;
    while (bit > n)
        bit >>= 2;
    while (bit) {
        if (n >= r + bit) {
            n -= r + bit;
            r = (r >> 1) + bit;
        } else {
            r >>= 1;
        }
        bit >>= 2;
    }
    return r;
}

/* Integer HSV (h 0..359, s and v 0..255): no libm, so the palette is the same on every CPU. */
static void hsv_to_rgb(int h, int s, int v, uint8_t rgb[3])
{
    int region = h / 60, rem = (h % 60) * 255 / 60;
    int p = v * (255 - s) / 255;
    int q = v * (255 - s * rem / 255) / 255;
    int t = v * (255 - s * (255 - rem) / 255) / 255;
    int r, g, b;
    switch (region) {
    case 0:
        r = v, g = t, b = p;
        break;
    case 1:
        r = q, g = v, b = p;
        break;
    case 2:
        r = p, g = v, b = t;
        break;
    case 3:
        r = p, g = q, b = v;
        break;
    case 4:
        r = t, g = p, b = v;
        break;
    default:
        r = v, g = p, b = q;
        break;
    }
    rgb[0] = (uint8_t)r;
    rgb[1] = (uint8_t)g;
    rgb[2] = (uint8_t)b;
}

/* Related hues (golden-angle steps from one base) so pictures look designed rather than noisy;
 * dark backgrounds mostly, because the gallery's TVs glow. Entries are made pairwise distinct so
 * distinct indices really are distinct colours. */
static void make_palette(struct canvas *c, uint64_t *rs)
{
    int h0 = rng_range(rs, 0, 359);
    int light = rng_range(rs, 0, 3) == 0;
    if (light)
        hsv_to_rgb(h0, rng_range(rs, 20, 60), rng_range(rs, 215, 240), c->pal[PAL_BG]);
    else
        hsv_to_rgb(h0, rng_range(rs, 90, 200), rng_range(rs, 30, 80), c->pal[PAL_BG]);
    for (int i = 1; i < PAL_LEN; i++) {
        int h = (h0 + 30 + i * 137 + rng_range(rs, -12, 12) + 360) % 360;
        int v = light ? rng_range(rs, 90, 190) : rng_range(rs, 170, 255);
        hsv_to_rgb(h, rng_range(rs, 140, 240), v, c->pal[i]);
        for (int j = 0; j < i; j++) {
            if (!memcmp(c->pal[i], c->pal[j], 3)) {
                c->pal[i][0] = (uint8_t)(c->pal[i][0] + 53); /* odd step: cycles all 256 */
                j = -1;
            }
        }
    }
}

static void fill_span(struct canvas *c, const struct box *clip, int y, int x0, int x1, uint8_t col)
{
    if (y < clip->y0 || y >= clip->y1)
        return;
    x0 = MAX(x0, clip->x0);
    x1 = MIN(x1, clip->x1);
    if (x0 < x1)
        memset(c->px + (size_t)y * (size_t)c->w + (size_t)x0, col, (size_t)(x1 - x0));
}

static void fill_rect(struct canvas *c, const struct box *clip, const struct box *r, uint8_t col)
{
    for (int y = MAX(r->y0, clip->y0); y < MIN(r->y1, clip->y1); y++)
        fill_span(c, clip, y, r->x0, r->x1, col);
}

/* A disc when inner is 0, else a ring; spans per row keep it cheap and edges hard. */
static void fill_ring(struct canvas *c, const struct box *clip, int cx, int cy, int outer,
                      int inner, uint8_t col)
{
    for (int dy = -outer; dy <= outer; dy++) {
        int ho = (int)isqrt((unsigned)(outer * outer - dy * dy));
        if (inner > 0 && dy > -inner && dy < inner) {
            int hi = (int)isqrt((unsigned)(inner * inner - dy * dy));
            fill_span(c, clip, cy + dy, cx - ho, cx - hi, col);
            fill_span(c, clip, cy + dy, cx + hi + 1, cx + ho + 1, col);
        } else {
            fill_span(c, clip, cy + dy, cx - ho, cx + ho + 1, col);
        }
    }
}

/* orient 0: horizontal stripes, 1: vertical, 2: diagonal. */
static void fill_stripes(struct canvas *c, const struct box *clip, const struct box *r, int orient,
                         int period, uint8_t col)
{
    int x0 = MAX(r->x0, clip->x0), x1 = MIN(r->x1, clip->x1);
    int y0 = MAX(r->y0, clip->y0), y1 = MIN(r->y1, clip->y1);
    for (int y = y0; y < y1; y++) {
        uint8_t *row = c->px + (size_t)y * (size_t)c->w;
        for (int x = x0; x < x1; x++) {
            int k = orient == 0 ? y : orient == 1 ? x : x + y;
            if (k % period < period / 2)
                row[x] = col;
        }
    }
}

/* A rectangle of roughly size x size in a square world, stretched to the canvas aspect so
 * panels on a 16:9 screen are wide; up to a quarter of it may hang off an edge. */
static void random_rect(uint64_t *rs, const struct canvas *c, int side, int lo, int hi,
                        struct box *r)
{
    int rw = rng_range(rs, lo, hi) * c->w / side, rh = rng_range(rs, lo, hi) * c->h / side;
    rw = MAX(rw, 1);
    rh = MAX(rh, 1);
    r->x0 = rng_range(rs, -rw / 4, c->w - rw * 3 / 4);
    r->y0 = rng_range(rs, -rh / 4, c->h - rh * 3 / 4);
    r->x1 = r->x0 + rw;
    r->y1 = r->y0 + rh;
}

static void paint(struct canvas *c, uint64_t *rs)
{
    const struct box all = {0, 0, c->w, c->h};
    int side = MIN(c->w, c->h);

    make_palette(c, rs);
    memset(c->px, PAL_BG, (size_t)c->w * (size_t)c->h);

    /* Big to small, so later shapes sit on top of earlier ones instead of erasing them. */
    int n = rng_range(rs, 4, 7);
    for (int k = 0; k < n; k++) {
        int hi = MAX(side * (100 - 11 * k) / 100, 1), lo = MAX(hi / 3, 1);
        uint8_t col = (uint8_t)rng_range(rs, 1, PAL_SHAPES);
        struct box r;
        switch (rng_range(rs, 0, 3)) {
        case 0:
            random_rect(rs, c, side, lo, hi, &r);
            fill_rect(c, &all, &r, col);
            break;
        case 1:
            fill_ring(c, &all, rng_range(rs, 0, c->w - 1), rng_range(rs, 0, c->h - 1),
                      rng_range(rs, lo, hi) / 2, 0, col);
            break;
        case 2: {
            int outer = rng_range(rs, lo, hi) / 2;
            fill_ring(c, &all, rng_range(rs, 0, c->w - 1), rng_range(rs, 0, c->h - 1), outer,
                      outer * rng_range(rs, 45, 75) / 100, col);
            break;
        }
        default: {
            random_rect(rs, c, side, lo, hi, &r);
            int orient = rng_range(rs, 0, 2);
            int period = MAX(side / rng_range(rs, 8, 20), 4);
            fill_stripes(c, &all, &r, orient, period, col);
            break;
        }
        }
    }

    /* Two small accents, one per half, in colours no other shape uses: nothing can cover them,
     * so every picture shows at least three colours. */
    for (int half = 0; half < 2; half++) {
        struct box clip = {half ? c->w / 2 : 0, 0, half ? c->w : c->w / 2, c->h};
        uint8_t col = half ? PAL_ACCENT_R : PAL_ACCENT_L;
        int size = MAX(side * rng_range(rs, 8, 16) / 100, 2);
        int cx = rng_range(rs, clip.x0 + size / 2, clip.x1 - 1 - size / 2);
        int cy = rng_range(rs, size / 2, c->h - 1 - size / 2);
        if (rng_range(rs, 0, 1)) {
            fill_ring(c, &clip, cx, cy, size / 2, 0, col);
        } else {
            struct box r = {cx - size / 2, cy - size / 2, cx - size / 2 + size,
                            cy - size / 2 + size};
            fill_rect(c, &clip, &r, col);
        }
    }
}

int dummy_png(const void *seed, size_t len, int width, int height, struct buf *out)
{
    if (!out || (!seed && len) || width <= 0 || height <= 0 || width > PNG_MAX_SIDE ||
        height > PNG_MAX_SIDE)
        return -EINVAL;

    uint64_t rs = seed_hash("png", seed, len);
    struct canvas c = {.w = width, .h = height};
    c.px = xmalloc((size_t)width * (size_t)height);
    paint(&c, &rs);

    /* A 4-bit palette PNG, unfiltered (libpng's own advice for palette pictures). */
    struct pngw_image img = {
        .width = width,
        .height = height,
        .px = c.px,
        .palette = &c.pal[0][0],
        .npal = PAL_LEN,
        .bit_depth = 4,
        .level = -1,
        .unfiltered = 1,
    };
    int rc = pngw_encode(&img, out);
    free(c.px);
    return rc;
}

/* ---- sound ------------------------------------------------------------------------------ */

static void put_le16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v & 0xff);
    p[1] = (uint8_t)((v >> 8) & 0xff);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    put_le16(p, v & 0xffff);
    put_le16(p + 2, v >> 16);
}

/* One tone of n samples: a sine with a touch of octave for colour, a gentle decay so it sounds
 * struck rather than droned, and linear fades at both ends so every tone starts and ends at zero
 * (no clicks at the joins). Writes n little-endian 16-bit samples into the chunked sink. */
static void write_tone(struct buf *out, double freq, double octave, size_t n)
{
    uint8_t chunk[4096];
    size_t used = 0;
    size_t fade = MIN((size_t)WAV_FADE_SAMPLES, n / 2);
    double step = 2.0 * 3.14159265358979323846 * freq / WAV_RATE;
    for (size_t i = 0; i < n; i++) {
        double env = 1.0 - 0.4 * (double)i / (double)n;
        if (i < fade)
            env *= (double)i / (double)fade;
        if (n - 1 - i < fade)
            env *= (double)(n - 1 - i) / (double)fade;
        double ph = step * (double)i;
        double v = ((1.0 - octave) * sin(ph) + octave * sin(2.0 * ph)) * env * 16384.0;
        long s = lrint(v);
        put_le16(chunk + used, (unsigned)(uint16_t)(int16_t)s);
        used += 2;
        if (used == sizeof(chunk)) {
            buf_append(out, chunk, used);
            used = 0;
        }
    }
    buf_append(out, chunk, used);
}

int dummy_wav(const void *seed, size_t len, int duration_ms, struct buf *out)
{
    /* A minor pentatonic from A3: any sequence of its notes sounds intended. */
    static const int scale[] = {0, 3, 5, 7, 10, 12, 15, 17, 19, 22, 24};
    if (!out || (!seed && len) || duration_ms <= 0 || duration_ms > WAV_MAX_MS)
        return -EINVAL;

    uint64_t rs = seed_hash("wav", seed, len);
    size_t total = ((size_t)duration_ms * WAV_RATE + 500) / 1000;
    uint32_t data_len = (uint32_t)(total * 2);

    uint8_t hdr[44];
    memcpy(hdr, "RIFF", 4);
    put_le32(hdr + 4, 36 + data_len);
    memcpy(hdr + 8, "WAVEfmt ", 8);
    put_le32(hdr + 16, 16);
    put_le16(hdr + 20, 1); /* PCM */
    put_le16(hdr + 22, 1); /* mono */
    put_le32(hdr + 24, WAV_RATE);
    put_le32(hdr + 28, WAV_RATE * 2);
    put_le16(hdr + 32, 2);
    put_le16(hdr + 34, 16);
    memcpy(hdr + 36, "data", 4);
    put_le32(hdr + 40, data_len);
    buf_append(out, hdr, sizeof(hdr));

    int ntones = rng_range(&rs, 3, 6), weight[6], wsum = 0;
    for (int i = 0; i < ntones; i++)
        wsum += weight[i] = rng_range(&rs, 2, 6);
    size_t start = 0;
    int wacc = 0;
    for (int i = 0; i < ntones; i++) {
        wacc += weight[i];
        size_t end = total * (size_t)wacc / (size_t)wsum;
        int note = scale[rng_range(&rs, 0, (int)ARRAY_LEN(scale) - 1)];
        double octave = rng_range(&rs, 0, 3) * 0.1;
        write_tone(out, 220.0 * pow(2.0, note / 12.0), octave, end - start);
        start = end;
    }
    return 0;
}
