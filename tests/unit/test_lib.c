/* test_lib.c: the library adapters in src/common/lib. crypto: SHA-256 against the FIPS 180-2
 * vectors, one-shot and fed in pieces alike; base64 against RFC 4648's vectors, the forms the
 * platforms decode (unpadded, wrapped, padded) and the ones they refuse, round trips across the
 * adapter's internal pieces. png_write: what libpng reads back is what was written, RGB and
 * packed palettes, and a bad spec leaves the buffer alone. */
#include "common/buf.h"
#include "common/lib/crypto.h"
#include "common/lib/png_write.h"
#include "common/util.h"
#include "test.h"

#include <errno.h>
#include <png.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

TEST(sha256_vectors)
{
    static const struct {
        const char *in, *hex;
    } v[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    };
    for (size_t i = 0; i < ARRAY_LEN(v); i++) {
        char hex[CRYPTO_SHA256_HEX_LEN];
        CHECK_EQ_INT(crypto_sha256_hex(v[i].in, strlen(v[i].in), hex), 0);
        CHECK_STR_EQ(hex, v[i].hex);
        struct crypto_sha256 *h = crypto_sha256_new();
        for (size_t k = 0; v[i].in[k]; k++)
            crypto_sha256_update(h, v[i].in + k, 1);
        crypto_sha256_final_hex(h, hex);
        crypto_sha256_free(h);
        CHECK_STR_EQ(hex, v[i].hex);
    }
    crypto_sha256_free(NULL);
}

static char *encode(const void *p, size_t n)
{
    struct buf b = BUF_INIT;
    crypto_base64_encode(p, n, &b);
    return buf_steal(&b);
}

/* Decoded text, or NULL if refused. Owned. */
static char *decode(const char *s)
{
    struct buf b = BUF_INIT;
    buf_puts(&b, "keep:");
    if (crypto_base64_decode(s, strlen(s), &b) < 0) {
        int kept = b.len == 5 && !strcmp(b.data, "keep:");
        buf_free(&b);
        if (!kept)
            TEST_FAIL_AT("\"%s\": a refusal changed the buffer", s);
        return NULL;
    }
    char *out = xstrdup(b.data + 5);
    buf_free(&b);
    return out;
}

TEST(base64_forms)
{
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const coded[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                        "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (size_t i = 0; i < ARRAY_LEN(plain); i++) {
        char *e = encode(plain[i], strlen(plain[i]));
        CHECK_STR_EQ(e, coded[i]);
        free(e);
        char *d = decode(coded[i]);
        CHECK_STR_EQ(d, plain[i]);
        free(d);
    }
    /* Accepted: no padding, white space anywhere (wrapped lines), a lone last character. */
    static const char *const ok[][2] = {
        {"Zg", "f"},  {"Zm8", "fo"},    {"Zm9v\r\nYmFy\n", "foobar"}, {" Z g = = ", "f"},
        {"Zg=", "f"}, {"Zm9vY", "foo"}, {"\tZm9vYg==\n", "foob"},     {"", ""},
    };
    for (size_t i = 0; i < ARRAY_LEN(ok); i++) {
        char *d = decode(ok[i][0]);
        if (!d || strcmp(d, ok[i][1]) != 0)
            TEST_FAIL_AT("\"%s\" gave \"%s\"", ok[i][0], d ? d : "(refused)");
        free(d);
    }
    /* Refused: other characters, padding inside, too much padding, URL-safe letters. */
    static const char *const bad[] = {"Zm9v!", "Zg==Zg==", "Zg===", "Zm9v-_", "=Zg", "Zm9v\x80"};
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        char *d = decode(bad[i]);
        if (d)
            TEST_FAIL_AT("\"%s\" was accepted as \"%s\"", bad[i], d);
        free(d);
    }
}

TEST(base64_round_trips)
{
    /* Sizes around the adapter's 3 MiB pieces and every tail length. */
    static const size_t sizes[] = {
        1, 2, 3, 4, 255, 256, 257, (3u << 20) - 1, 3u << 20, (3u << 20) + 1, (6u << 20) + 2};
    uint64_t x = 1;
    for (size_t i = 0; i < ARRAY_LEN(sizes); i++) {
        size_t n = sizes[i];
        unsigned char *data = xmalloc(n);
        for (size_t k = 0; k < n; k++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            data[k] = (unsigned char)(x >> 56);
        }
        struct buf e = BUF_INIT, d = BUF_INIT;
        crypto_base64_encode(data, n, &e);
        CHECK_EQ_INT(e.len, 4 * ((n + 2) / 3));
        CHECK_EQ_INT(strlen(e.data), e.len);
        CHECK_EQ_INT(crypto_base64_decode(e.data, e.len, &d), 0);
        if (d.len != n || memcmp(d.data, data, n) != 0)
            TEST_FAIL_AT("%zu bytes did not come back (%zu)", n, d.len);
        buf_free(&e);
        buf_free(&d);
        free(data);
    }
}

/* Decode a PNG with libpng's simplified API into 8-bit RGB; NULL if it does not read. */
static unsigned char *read_png(const struct buf *b, int *w, int *h)
{
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&img, b->data, b->len))
        return NULL;
    img.format = PNG_FORMAT_RGB;
    unsigned char *px = xmalloc(PNG_IMAGE_SIZE(img));
    if (!png_image_finish_read(&img, NULL, px, 0, NULL)) {
        free(px);
        return NULL;
    }
    *w = (int)img.width;
    *h = (int)img.height;
    return px;
}

TEST(png_reads_back)
{
    enum { W = 37, H = 11 };
    uint8_t rgb[W * H * 3], idx[W * H];
    static const uint8_t pal[5][3] = {
        {0, 0, 0}, {255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {250, 240, 10}};
    for (int i = 0; i < W * H; i++) {
        rgb[3 * i] = (uint8_t)i;
        rgb[3 * i + 1] = (uint8_t)(i * 7);
        rgb[3 * i + 2] = (uint8_t)(255 - i);
        idx[i] = (uint8_t)(i % 5);
    }
    struct buf b = BUF_INIT;
    struct pngw_image img = {.width = W, .height = H, .px = rgb, .bit_depth = 8, .level = 3};
    CHECK_EQ_INT(pngw_encode(&img, &b), 0);
    int w = 0, h = 0;
    unsigned char *back = read_png(&b, &w, &h);
    CHECK(back && w == W && h == H && !memcmp(back, rgb, sizeof rgb));
    free(back);
    buf_free(&b);

    for (int depth = 4; depth <= 8; depth += 4) {
        struct pngw_image p = {.width = W,
                               .height = H,
                               .px = idx,
                               .palette = &pal[0][0],
                               .npal = 5,
                               .bit_depth = depth,
                               .level = -1,
                               .unfiltered = 1};
        buf_puts(&b, "prefix");
        CHECK_EQ_INT(pngw_encode(&p, &b), 0);
        CHECK(b.len > 6 && !memcmp(b.data, "prefix", 6));
        buf_consume(&b, 6);
        back = read_png(&b, &w, &h);
        int same = back && w == W && h == H;
        for (int i = 0; same && i < W * H; i++)
            same = !memcmp(back + 3 * i, pal[idx[i]], 3);
        CHECK(same);
        free(back);
        buf_free(&b);
    }

    /* Specs libpng cannot write: refused, the buffer untouched. */
    struct pngw_image bad[] = {
        {.width = 0, .height = 1, .px = rgb, .bit_depth = 8, .level = -1},
        {.width = 1, .height = 1, .px = NULL, .bit_depth = 8, .level = -1},
        {.width = 1, .height = 1, .px = rgb, .bit_depth = 4, .level = -1},
        {.width = 1, .height = 1, .px = idx, .palette = &pal[0][0], .npal = 5, .bit_depth = 2},
        {.width = 1, .height = 1, .px = rgb, .bit_depth = 8, .level = 10},
    };
    buf_puts(&b, "x");
    for (size_t i = 0; i < ARRAY_LEN(bad); i++)
        CHECK_EQ_INT(pngw_encode(&bad[i], &b), -EINVAL);
    CHECK_STR_EQ(b.data, "x");
    buf_free(&b);
}

int main(void)
{
    RUN(sha256_vectors);
    RUN(base64_forms);
    RUN(base64_round_trips);
    RUN(png_reads_back);
    TEST_END("test_lib");
}
