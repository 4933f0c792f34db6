/* test_dummy_media.c: the dummy platform's PNG and WAV generators. PNGs are decoded back with
 * libpng's simplified API and WAVs are parsed by hand, so the checks are on what a viewer or a
 * player would actually get, not on the generator's internals. */
#include "coordinator/platforms/dummy/dummy_media.h"
#include "common/buf.h"
#include "test.h"

#include <errno.h>
#include <png.h>
#include <stdint.h>
#include <stdlib.h>

/* Decode to packed RGB; NULL (and a failed check) if libpng rejects the bytes. Owned; free(). */
static uint8_t *decode_png(const struct buf *b, int *w, int *h)
{
    png_image img;
    memset(&img, 0, sizeof(img));
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&img, b->data, b->len)) {
        printf("  png: %s\n", img.message);
        return NULL;
    }
    img.format = PNG_FORMAT_RGB;
    uint8_t *px = malloc(PNG_IMAGE_SIZE(img));
    if (!px || !png_image_finish_read(&img, NULL, px, 0, NULL)) {
        printf("  png: %s\n", img.message);
        png_image_free(&img);
        free(px);
        return NULL;
    }
    *w = (int)img.width;
    *h = (int)img.height;
    return px;
}

static int count_colours(const uint8_t *px, size_t npx)
{
    uint32_t seen[64];
    int n = 0;
    for (size_t i = 0; i < npx && n < 64; i++) {
        uint32_t c = (uint32_t)px[3 * i] << 16 | (uint32_t)px[3 * i + 1] << 8 | px[3 * i + 2];
        int j = 0;
        while (j < n && seen[j] != c)
            j++;
        if (j == n)
            seen[n++] = c;
    }
    return n;
}

static int buf_same(const struct buf *a, const struct buf *b)
{
    return a->len == b->len && !memcmp(a->data, b->data, a->len);
}

TEST(png_size_and_appends)
{
    static const struct {
        int w, h;
    } sizes[] = {{640, 360}, {97, 55}, {1, 1}, {3, 200}};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        struct buf b = BUF_INIT;
        buf_append(&b, "xyz", 3);
        CHECK_EQ_INT(dummy_png("a cat on a bicycle", 18, sizes[i].w, sizes[i].h, &b), 0);
        CHECK(b.len > 3 + 8 && !memcmp(b.data, "xyz\x89PNG\r\n\x1a\n", 11));
        struct buf png = BUF_INIT;
        buf_append(&png, b.data + 3, b.len - 3);
        int w = 0, h = 0;
        uint8_t *px = decode_png(&png, &w, &h);
        CHECK(px != NULL);
        CHECK_EQ_INT(w, sizes[i].w);
        CHECK_EQ_INT(h, sizes[i].h);
        free(px);
        buf_free(&png);
        buf_free(&b);
    }
}

TEST(png_deterministic)
{
    struct buf a = BUF_INIT, b = BUF_INIT;
    CHECK_EQ_INT(dummy_png("seed", 4, 640, 360, &a), 0);
    CHECK_EQ_INT(dummy_png("seed", 4, 640, 360, &b), 0);
    CHECK(buf_same(&a, &b));
    buf_free(&a);
    buf_free(&b);
    /* An empty seed is a seed like any other. */
    CHECK_EQ_INT(dummy_png(NULL, 0, 640, 360, &a), 0);
    CHECK_EQ_INT(dummy_png("", 0, 640, 360, &b), 0);
    CHECK(buf_same(&a, &b));
    buf_free(&a);
    buf_free(&b);
}

TEST(png_seeds_differ_and_are_colourful)
{
    static const char *seeds[] = {"a cat on a bicycle",
                                  "a cat on a bicyclf",
                                  "",
                                  "x",
                                  "sunset over the harbour",
                                  "0",
                                  "1",
                                  "2"};
    uint8_t *prev = NULL;
    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
        struct buf b = BUF_INIT;
        CHECK_EQ_INT(dummy_png(seeds[i], strlen(seeds[i]), 640, 360, &b), 0);
        int w = 0, h = 0;
        uint8_t *px = decode_png(&b, &w, &h);
        buf_free(&b);
        CHECK(px != NULL);
        if (!px)
            break;
        size_t npx = (size_t)w * (size_t)h;
        int colours = count_colours(px, npx);
        if (colours <= 2)
            TEST_FAIL_AT("seed \"%s\": %d colours", seeds[i], colours);
        if (prev) {
            size_t diff = 0;
            for (size_t p = 0; p < npx; p++)
                diff += memcmp(px + 3 * p, prev + 3 * p, 3) != 0;
            if (diff * 20 <= npx)
                TEST_FAIL_AT("seeds \"%s\" and \"%s\": only %zu of %zu pixels differ", seeds[i - 1],
                             seeds[i], diff, npx);
        }
        free(prev);
        prev = px;
    }
    free(prev);
}

TEST(png_rejects_bad_arguments)
{
    struct buf b = BUF_INIT;
    CHECK_EQ_INT(dummy_png("s", 1, 0, 360, &b), -EINVAL);
    CHECK_EQ_INT(dummy_png("s", 1, -5, 360, &b), -EINVAL);
    CHECK_EQ_INT(dummy_png("s", 1, 640, 0, &b), -EINVAL);
    CHECK_EQ_INT(dummy_png("s", 1, 640, -1, &b), -EINVAL);
    CHECK_EQ_INT(dummy_png("s", 1, 100000, 360, &b), -EINVAL);
    CHECK_EQ_INT(dummy_png(NULL, 3, 640, 360, &b), -EINVAL);
    CHECK_EQ_INT(dummy_png("s", 1, 640, 360, NULL), -EINVAL);
    CHECK_EQ_INT(b.len, 0);
    buf_free(&b);
}

static unsigned le16(const char *p)
{
    return (unsigned)(uint8_t)p[0] | (unsigned)(uint8_t)p[1] << 8;
}

static uint32_t le32(const char *p)
{
    return le16(p) | (uint32_t)le16(p + 2) << 16;
}

/* Parse a canonical 44-byte-header WAV; the samples pointer aliases b. 0 if malformed. */
static int parse_wav(const struct buf *b, const char **samples, size_t *nsamples)
{
    CHECK(b->len >= 44);
    if (b->len < 44)
        return 0;
    const char *p = b->data;
    CHECK(!memcmp(p, "RIFF", 4) && !memcmp(p + 8, "WAVE", 4) && !memcmp(p + 12, "fmt ", 4));
    CHECK_EQ_INT(le32(p + 4), b->len - 8);
    CHECK_EQ_INT(le32(p + 16), 16);
    CHECK_EQ_INT(le16(p + 20), 1); /* PCM */
    CHECK_EQ_INT(le16(p + 22), 1); /* mono */
    CHECK_EQ_INT(le32(p + 24), 22050);
    CHECK_EQ_INT(le32(p + 28), 44100);
    CHECK_EQ_INT(le16(p + 32), 2);
    CHECK_EQ_INT(le16(p + 34), 16);
    CHECK(!memcmp(p + 36, "data", 4));
    CHECK_EQ_INT(le32(p + 40), b->len - 44);
    *samples = p + 44;
    *nsamples = (b->len - 44) / 2;
    return !memcmp(p + 36, "data", 4) && le32(p + 40) == b->len - 44;
}

TEST(wav_format_and_level)
{
    static const int durations[] = {3000, 1, 7, 1234, 10000};
    for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
        struct buf b = BUF_INIT;
        CHECK_EQ_INT(dummy_wav("a cat on a bicycle", 18, durations[i], &b), 0);
        const char *s;
        size_t n;
        if (!parse_wav(&b, &s, &n)) {
            buf_free(&b);
            continue;
        }
        CHECK_NEAR((double)n, durations[i] * 22.05, 1.0);
        double sum = 0;
        int peak = 0, jump = 0, prev = 0;
        for (size_t k = 0; k < n; k++) {
            int v = (int16_t)le16(s + 2 * k);
            sum += (double)v * v;
            peak = abs(v) > peak ? abs(v) : peak;
            jump = abs(v - prev) > jump ? abs(v - prev) : jump;
            prev = v;
        }
        jump = abs(prev) > jump ? abs(prev) : jump; /* the step back to silence after the end */
        double rms = sqrt(sum / (double)n) / 32768.0;
        if (durations[i] >= 1000) {
            if (rms < 0.1)
                TEST_FAIL_AT("%d ms: rms %.3f of full scale", durations[i], rms);
            if (peak < 0.4 * 32768)
                TEST_FAIL_AT("%d ms: peak %d is quieter than about half scale", durations[i], peak);
        }
        if (peak >= 0.6 * 32768)
            TEST_FAIL_AT("%d ms: peak %d is 0.6 of full scale or more", durations[i], peak);
        /* A click is a step from near the peak to near zero; a tone at these pitches moves at
         * most about a fifth of full scale from one sample to the next. */
        if (jump > 0.25 * 32768)
            TEST_FAIL_AT("%d ms: a %d step between samples would click", durations[i], jump);
        buf_free(&b);
    }
}

TEST(wav_deterministic_and_seeds_differ)
{
    struct buf a = BUF_INIT, b = BUF_INIT, c = BUF_INIT;
    CHECK_EQ_INT(dummy_wav("seed", 4, 3000, &a), 0);
    CHECK_EQ_INT(dummy_wav("seed", 4, 3000, &b), 0);
    CHECK_EQ_INT(dummy_wav("seee", 4, 3000, &c), 0);
    CHECK(buf_same(&a, &b));
    CHECK(a.len == c.len && memcmp(a.data, c.data, a.len) != 0);
    buf_free(&a);
    buf_free(&b);
    buf_free(&c);

    /* Appends after what is already there. */
    buf_append(&a, "xyz", 3);
    CHECK_EQ_INT(dummy_wav(NULL, 0, 500, &a), 0);
    CHECK(a.len > 3 + 44 && !memcmp(a.data, "xyzRIFF", 7));
    buf_free(&a);
}

TEST(wav_rejects_bad_arguments)
{
    struct buf b = BUF_INIT;
    CHECK_EQ_INT(dummy_wav("s", 1, 0, &b), -EINVAL);
    CHECK_EQ_INT(dummy_wav("s", 1, -100, &b), -EINVAL);
    CHECK_EQ_INT(dummy_wav("s", 1, 600001, &b), -EINVAL);
    CHECK_EQ_INT(dummy_wav(NULL, 2, 1000, &b), -EINVAL);
    CHECK_EQ_INT(dummy_wav("s", 1, 1000, NULL), -EINVAL);
    CHECK_EQ_INT(b.len, 0);
    buf_free(&b);
}

int main(void)
{
    RUN(png_size_and_appends);
    RUN(png_deterministic);
    RUN(png_seeds_differ_and_are_colourful);
    RUN(png_rejects_bad_arguments);
    RUN(wav_format_and_level);
    RUN(wav_deterministic_and_seeds_differ);
    RUN(wav_rejects_bad_arguments);
    TEST_END("test_dummy_media");
}
