/* builtin_describe.c: what the builtin reader says when a picture holds no text, and the
 * builtin recogniser when a sound holds no words: one sentence built from a coarse sample of the
 * pixels (brightness, the dominant colour names, how many hard edges there are) or of the
 * samples (length, loudness, zero crossings), so an image->text or audio->text hop always
 * answers something and the loop never stalls. Colours are named by hue bucket and lightness
 * rather than nearest-RGB, which names flat generated art the way a person would. Pure C: no
 * library, no state, no allocation except the answer. */
#include "builtin_engines.h"
#include "common/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Sample at most about this many pixels: plenty for shares of a few per cent. */
#define DESCRIBE_SAMPLES 40000

enum { NAME_DARK, NAME_MID, NAME_LIGHT };

static const struct {
    int hue_end; /* bucket is [previous hue_end, hue_end) degrees */
    const char *name[3];
} hues[] = {
    {15, {"maroon", "red", "pink"}},           {40, {"brown", "orange", "peach"}},
    {66, {"olive", "yellow", "cream"}},        {160, {"forest green", "green", "mint"}},
    {200, {"teal", "turquoise", "pale cyan"}}, {250, {"navy", "blue", "sky blue"}},
    {290, {"indigo", "purple", "lavender"}},   {345, {"plum", "magenta", "pink"}},
    {360, {"maroon", "red", "pink"}},
};

static const char *const greys[] = {"black", "charcoal", "grey", "silver", "white"};

#define NHUES (sizeof hues / sizeof hues[0])
#define NGREYS (sizeof greys / sizeof greys[0])
#define NBINS (NHUES * 3 + NGREYS)

static const char *bin_name(size_t bin)
{
    return bin < NHUES * 3 ? hues[bin / 3].name[bin % 3] : greys[bin - NHUES * 3];
}

static size_t colour_bin(int r, int g, int b)
{
    int mx = MAX(r, MAX(g, b)), mn = MIN(r, MIN(g, b));
    int chroma = mx - mn;
    int light = (mx + mn) / 2; /* 0..255 */
    if (chroma < 31) {
        size_t k = light < 31 ? 0 : light < 90 ? 1 : light < 166 ? 2 : light < 225 ? 3 : 4;
        return NHUES * 3 + k;
    }
    int h;
    if (mx == r)
        h = 60 * (g - b) / chroma;
    else if (mx == g)
        h = 120 + 60 * (b - r) / chroma;
    else
        h = 240 + 60 * (r - g) / chroma;
    if (h < 0)
        h += 360;
    size_t i = 0;
    while (i + 1 < NHUES && h >= hues[i].hue_end)
        i++;
    int shade = light < 77 ? NAME_DARK : light > 184 ? NAME_LIGHT : NAME_MID;
    return i * 3 + (size_t)shade;
}

static int luma(const uint8_t *p)
{
    return (54 * p[0] + 183 * p[1] + 19 * p[2]) >> 8; /* Rec. 709 weights, 0..255 */
}

/* Two bins that print the same name (red and pink appear twice) count as one. */
static void merge_same_names(unsigned long *count)
{
    for (size_t i = 0; i < NBINS; i++)
        for (size_t j = i + 1; j < NBINS; j++)
            if (count[j] && !strcmp(bin_name(i), bin_name(j))) {
                count[i] += count[j];
                count[j] = 0;
            }
}

char *builtin_describe_rgb(const uint8_t *rgb, int w, int h)
{
    if (w <= 0 || h <= 0 || !rgb)
        return xstrdup("An empty picture, nothing to see.");
    unsigned long count[NBINS] = {0};
    unsigned long total = 0, edges = 0, pairs = 0;
    unsigned long long lsum = 0;
    long area = (long)w * h;
    int step = 1;
    while (area / ((long)step * step) > DESCRIBE_SAMPLES)
        step++;
    for (int y = 0; y < h; y += step) {
        int prev = -1;
        for (int x = 0; x < w; x += step) {
            const uint8_t *p = rgb + ((size_t)y * (size_t)w + (size_t)x) * 3;
            count[colour_bin(p[0], p[1], p[2])]++;
            int l = luma(p);
            lsum += (unsigned long long)l;
            total++;
            if (prev >= 0) {
                pairs++;
                if (abs(l - prev) > 40)
                    edges++;
            }
            prev = l;
        }
    }
    merge_same_names(count);

    int mean = (int)(lsum / total);
    const char *tone = mean < 40    ? "A near-black"
                       : mean < 90  ? "A dark"
                       : mean < 150 ? "A mid-toned"
                       : mean < 210 ? "A bright"
                                    : "A pale, washed-out";
    struct buf out = BUF_INIT;
    buf_printf(&out, "%s picture", tone);

    /* Up to five names, largest share first; ties go to the lower bin for determinism. */
    size_t order[NBINS];
    size_t norder = 0;
    for (size_t i = 0; i < NBINS; i++)
        if (count[i] * 50 >= total) /* at least 2% */
            order[norder++] = i;
    for (size_t i = 1; i < norder; i++)
        for (size_t j = i; j > 0 && count[order[j]] > count[order[j - 1]]; j--) {
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    norder = MIN(norder, (size_t)5);
    size_t i = 0;
    if (norder > 0) {
        buf_printf(&out, ", mostly %s", bin_name(order[0]));
        i = 1;
        if (norder > 1 && count[order[1]] * 4 >= total) /* a second main colour: >= 25% */
            buf_printf(&out, " and %s", bin_name(order[i++]));
    }
    for (const char *lead = ", with some "; i < norder && count[order[i]] * 12 >= total; i++) {
        buf_printf(&out, "%s%s", lead, bin_name(order[i]));
        lead = " and ";
    }
    if (i < norder)
        buf_printf(&out, ", a touch of %s", bin_name(order[i++]));
    for (; i < norder; i++)
        buf_printf(&out, " and %s", bin_name(order[i]));

    double density = pairs ? (double)edges / (double)pairs : 0;
    buf_puts(&out, density < 0.02   ? "; calm, with large flat areas."
                   : density < 0.08 ? "; a few hard edges between flat shapes."
                   : density < 0.2  ? "; busy with edges and shapes."
                                    : "; crowded with fine detail, like noise or texture.");
    return buf_steal(&out);
}

char *builtin_describe_pcm(const int16_t *pcm, size_t n, int rate)
{
    double secs = rate > 0 ? (double)n / rate : 0;
    if (n == 0 || !pcm)
        return xstrdup("No words, only silence.");
    double sum2 = 0;
    size_t crossings = 0;
    for (size_t i = 0; i < n; i++) {
        sum2 += (double)pcm[i] * pcm[i];
        if (i && (pcm[i] >= 0) != (pcm[i - 1] >= 0))
            crossings++;
    }
    double rms = sqrt(sum2 / (double)n);
    double zcr = (double)crossings / (double)n; /* crossings per sample */
    const char *loud = rms < 300 ? NULL : rms < 3000 ? "quiet" : rms < 10000 ? "steady" : "loud";
    const char *kind = zcr < 0.02 ? "low hum" : zcr < 0.08 ? "tones" : zcr < 0.25 ? "buzz" : "hiss";
    struct buf out = BUF_INIT;
    long whole = lround(secs);
    if (whole < 1)
        buf_puts(&out, "No words, only a moment of ");
    else
        buf_printf(&out, "No words, only %ld second%s of ", whole, whole == 1 ? "" : "s");
    if (loud)
        buf_printf(&out, "%s %s.", loud, kind);
    else
        buf_puts(&out, "near silence.");
    return buf_steal(&out);
}
