/* test_decoder.c: the media decoding worker with SDL_Init(0) only (no video, no audio device):
 * PNGs written here with IMG_SavePNG and WAVs written byte by byte come back as ARGB8888
 * surfaces (scaled down past max_dim) and 48 kHz mono float PCM whose length, peak and pitch are
 * checked; corrupt, missing and unsupported files give error results; the queue stays bounded;
 * and decoder_free with jobs queued or unpolled neither hangs nor leaks (ASan watches). */
#include "display/decoder.h"
#include "support.h"
#include "test.h"

#include <SDL.h>
#include <SDL_image.h>
#include <errno.h>
#include <png.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RATE 48000
#define TAU 6.283185307179586

static char tmpdir[64];

static void tmp_path(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", tmpdir, name);
}

/* A w x h PNG: left half opaque red, right half opaque blue. 0 on success. */
static int write_png(const char *path, int w, int h)
{
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_RGBA32);
    if (!s)
        return -1;
    SDL_Rect left = {0, 0, w / 2, h}, right = {w / 2, 0, w - w / 2, h};
    SDL_FillRect(s, &left, SDL_MapRGBA(s->format, 255, 0, 0, 255));
    SDL_FillRect(s, &right, SDL_MapRGBA(s->format, 0, 0, 255, 255));
    int rc = IMG_SavePNG(s, path);
    SDL_FreeSurface(s);
    return rc;
}

static void put_le16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v & 0xff);
    p[1] = (unsigned char)(v >> 8 & 0xff);
}

static void put_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i) & 0xff);
}

/* A 16-bit PCM WAV of a sine at hz with peak amp (in [0,1]) on every channel. 0 on success. */
static int write_wav(const char *path, int rate, int channels, double seconds, double hz,
                     double amp)
{
    uint32_t frames = (uint32_t)(rate * seconds);
    uint32_t data_len = frames * (uint32_t)channels * 2;
    unsigned char *b = calloc(1, 44 + data_len);
    if (!b)
        return -1;
    memcpy(b, "RIFF", 4);
    put_le32(b + 4, 36 + data_len);
    memcpy(b + 8, "WAVEfmt ", 8);
    put_le32(b + 16, 16);
    put_le16(b + 20, 1); /* PCM */
    put_le16(b + 22, (unsigned)channels);
    put_le32(b + 24, (uint32_t)rate);
    put_le32(b + 28, (uint32_t)(rate * channels * 2));
    put_le16(b + 32, (unsigned)(channels * 2));
    put_le16(b + 34, 16);
    memcpy(b + 36, "data", 4);
    put_le32(b + 40, data_len);
    for (uint32_t i = 0; i < frames; i++) {
        double v = amp * sin(TAU * hz * i / rate);
        int16_t s = (int16_t)lrint(v * 32767);
        for (int ch = 0; ch < channels; ch++)
            put_le16(b + 44 + (i * (uint32_t)channels + (uint32_t)ch) * 2, (uint16_t)s);
    }
    FILE *f = fopen(path, "wb");
    int rc = -1;
    if (f) {
        rc = fwrite(b, 1, 44 + data_len, f) == 44 + data_len ? 0 : -1;
        fclose(f);
    }
    free(b);
    return rc;
}

/* A 32-bit float mono WAV at rate (the decoder's own output format when rate is RATE). */
static int write_wav_f32(const char *path, int rate, double seconds, double hz, double amp)
{
    uint32_t frames = (uint32_t)(rate * seconds), data_len = frames * 4;
    unsigned char *b = calloc(1, 44 + data_len);
    if (!b)
        return -1;
    memcpy(b, "RIFF", 4);
    put_le32(b + 4, 36 + data_len);
    memcpy(b + 8, "WAVEfmt ", 8);
    put_le32(b + 16, 16);
    put_le16(b + 20, 3); /* IEEE float */
    put_le16(b + 22, 1);
    put_le32(b + 24, (uint32_t)rate);
    put_le32(b + 28, (uint32_t)rate * 4);
    put_le16(b + 32, 4);
    put_le16(b + 34, 32);
    memcpy(b + 36, "data", 4);
    put_le32(b + 40, data_len);
    for (uint32_t i = 0; i < frames; i++) {
        float v = (float)(amp * sin(TAU * hz * i / rate));
        uint32_t u;
        memcpy(&u, &v, 4);
        put_le32(b + 44 + 4 * i, u);
    }
    FILE *f = fopen(path, "wb");
    int rc = -1;
    if (f) {
        rc = fwrite(b, 1, 44 + data_len, f) == 44 + data_len ? 0 : -1;
        fclose(f);
    }
    free(b);
    return rc;
}

static int write_bytes(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t n = fwrite(data, 1, len, f);
    fclose(f);
    return n == len ? 0 : -1;
}

/* The first n bytes of src into dst. */
static int truncate_copy(const char *src, const char *dst, size_t n)
{
    unsigned char buf[65536];
    FILE *f = fopen(src, "rb");
    if (!f)
        return -1;
    size_t got = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return write_bytes(dst, buf, got < n ? got : n);
}

/* Poll until a result arrives or 5 s pass. 1 with *out filled, 0 on timeout. */
static int wait_result(struct decoder *d, struct decoded *out)
{
    Uint32 start = SDL_GetTicks();
    while (SDL_GetTicks() - start < 5000) {
        if (decoder_poll(d, out))
            return 1;
        SDL_Delay(2);
    }
    return 0;
}

static Uint32 pixel_at(const SDL_Surface *s, int x, int y)
{
    const Uint8 *row = (const Uint8 *)s->pixels + (size_t)y * (size_t)s->pitch;
    Uint32 v;
    memcpy(&v, row + 4 * x, 4);
    return v;
}

TEST(test_image)
{
    char path[256];
    tmp_path(path, sizeof path, "a.png");
    CHECK_EQ_INT(write_png(path, 64, 48), 0);
    struct decoder *d = decoder_new(3840, RATE, 8);
    CHECK(d != NULL);
    if (!d)
        return;
    CHECK_EQ_INT(decoder_request(d, "a.png", path, DECODE_IMAGE), 0);
    CHECK_EQ_INT(decoder_request(d, "a.png", path, DECODE_IMAGE), 1); /* duplicate ignored */
    struct decoded r;
    CHECK(wait_result(d, &r));
    CHECK_STR_EQ(r.name, "a.png");
    CHECK_EQ_INT(r.kind, DECODE_IMAGE);
    CHECK_STR_EQ(r.error, "");
    CHECK(r.pcm == NULL);
    CHECK(r.surface != NULL);
    if (r.surface) {
        CHECK_EQ_INT(r.surface->w, 64);
        CHECK_EQ_INT(r.surface->h, 48);
        CHECK_EQ_INT(r.surface->format->format, SDL_PIXELFORMAT_ARGB8888);
        CHECK_EQ_INT(pixel_at(r.surface, 3, 3), 0xffff0000u);
        CHECK_EQ_INT(pixel_at(r.surface, 60, 40), 0xff0000ffu);
    }
    SDL_FreeSurface(r.surface);
    CHECK(!decoder_poll(d, &r)); /* the duplicate made no second job */
    CHECK_EQ_INT(decoder_pending(d), 0);
    /* Polled, the name can be requested again. */
    CHECK_EQ_INT(decoder_request(d, "a.png", path, DECODE_IMAGE), 0);
    CHECK(wait_result(d, &r));
    CHECK(r.surface != NULL);
    decoder_release(&r);
    CHECK(r.surface == NULL);
    decoder_free(d);
}

TEST(test_image_downscaled)
{
    char wide[256], huge[256];
    tmp_path(wide, sizeof wide, "wide.png");
    tmp_path(huge, sizeof huge, "huge.png");
    CHECK_EQ_INT(write_png(wide, 200, 50), 0);
    CHECK_EQ_INT(write_png(huge, 1000, 1000), 0);
    struct decoder *d = decoder_new(32, RATE, 4);
    CHECK(d != NULL);
    if (!d)
        return;
    CHECK_EQ_INT(decoder_request(d, "wide", wide, DECODE_IMAGE), 0);
    CHECK_EQ_INT(decoder_request(d, "huge", huge, DECODE_IMAGE), 0);
    struct decoded r;
    CHECK(wait_result(d, &r));
    CHECK_STR_EQ(r.name, "wide"); /* results come back in request order */
    CHECK(r.surface != NULL);
    if (r.surface) {
        CHECK_EQ_INT(r.surface->w, 32);
        CHECK_EQ_INT(r.surface->h, 8);
        CHECK_EQ_INT(r.surface->format->format, SDL_PIXELFORMAT_ARGB8888);
        CHECK_EQ_INT(pixel_at(r.surface, 1, 4), 0xffff0000u);
        CHECK_EQ_INT(pixel_at(r.surface, 30, 4), 0xff0000ffu);
    }
    decoder_release(&r);
    CHECK(wait_result(d, &r));
    CHECK_STR_EQ(r.name, "huge");
    CHECK(r.surface != NULL);
    if (r.surface) {
        CHECK_EQ_INT(r.surface->w, 32);
        CHECK_EQ_INT(r.surface->h, 32);
        CHECK_EQ_INT(pixel_at(r.surface, 2, 16), 0xffff0000u);
        CHECK_EQ_INT(pixel_at(r.surface, 29, 16), 0xff0000ffu);
    }
    decoder_release(&r);
    decoder_free(d);
}

/* Peak |sample| and the number of upward zero crossings of pcm. */
static void measure(const float *pcm, size_t n, double *peak, int *crossings)
{
    *peak = 0;
    *crossings = 0;
    for (size_t i = 0; i < n; i++) {
        if (fabs(pcm[i]) > *peak)
            *peak = fabs(pcm[i]);
        if (i > 0 && pcm[i - 1] < 0 && pcm[i] >= 0)
            (*crossings)++;
    }
}

TEST(test_audio_resampled)
{
    char mono[256], stereo[256], native[256];
    tmp_path(mono, sizeof mono, "mono.wav");
    tmp_path(stereo, sizeof stereo, "stereo.wav");
    tmp_path(native, sizeof native, "native.wav");
    CHECK_EQ_INT(write_wav(mono, 22050, 1, 0.5, 440, 0.5), 0);
    CHECK_EQ_INT(write_wav(stereo, 44100, 2, 0.25, 1000, 0.8), 0);
    CHECK_EQ_INT(write_wav_f32(native, RATE, 0.1, 100, 0.25), 0);
    struct decoder *d = decoder_new(3840, RATE, 4);
    CHECK(d != NULL);
    if (!d)
        return;
    CHECK_EQ_INT(decoder_request(d, "mono.wav", mono, DECODE_AUDIO), 0);
    CHECK_EQ_INT(decoder_request(d, "stereo.wav", stereo, DECODE_AUDIO), 0);
    CHECK_EQ_INT(decoder_request(d, "native.wav", native, DECODE_AUDIO), 0);
    struct decoded r;
    CHECK(wait_result(d, &r));
    CHECK_STR_EQ(r.name, "mono.wav");
    CHECK_EQ_INT(r.kind, DECODE_AUDIO);
    CHECK_STR_EQ(r.error, "");
    CHECK(r.surface == NULL);
    CHECK(r.pcm != NULL);
    CHECK_EQ_INT(r.rate, RATE);
    CHECK_NEAR(r.frames, 0.5 * RATE, 0.01 * RATE);
    if (r.pcm) {
        double peak;
        int up;
        measure(r.pcm, r.frames, &peak, &up);
        CHECK_NEAR(peak, 0.5, 0.03);
        CHECK_NEAR(up, 440 * 0.5, 3); /* pitch kept: 440 cycles a second */
    }
    decoder_release(&r);
    CHECK(r.pcm == NULL);

    CHECK(wait_result(d, &r));
    CHECK_STR_EQ(r.name, "stereo.wav");
    CHECK_STR_EQ(r.error, "");
    CHECK_NEAR(r.frames, 0.25 * RATE, 0.01 * RATE);
    if (r.pcm) {
        double peak;
        int up;
        measure(r.pcm, r.frames, &peak, &up);
        CHECK_NEAR(peak, 0.8, 0.05); /* both channels equal: the mono mix keeps the level */
        CHECK_NEAR(up, 1000 * 0.25, 3);
    }
    free(r.pcm);

    /* Already the output format: passed through sample for sample. */
    CHECK(wait_result(d, &r));
    CHECK_STR_EQ(r.name, "native.wav");
    CHECK_STR_EQ(r.error, "");
    CHECK_EQ_INT(r.frames, RATE / 10);
    if (r.pcm && r.frames > 120)
        CHECK_NEAR(r.pcm[120], 0.25 * sin(TAU * 100 * 120 / RATE), 1e-6);
    decoder_release(&r);
    decoder_free(d);
}

TEST(test_bad_files)
{
    char good[256], junk[256], cut[256], missing[256], text[256], badwav[256], mp3[256];
    tmp_path(good, sizeof good, "good.png");
    tmp_path(junk, sizeof junk, "junk.png");
    tmp_path(cut, sizeof cut, "cut.png");
    tmp_path(missing, sizeof missing, "missing.png");
    tmp_path(text, sizeof text, "text.wav");
    tmp_path(badwav, sizeof badwav, "bad.wav");
    tmp_path(mp3, sizeof mp3, "x.mp3");
    CHECK_EQ_INT(write_png(good, 300, 300), 0);
    unsigned char noise[2048];
    for (size_t i = 0; i < sizeof noise; i++)
        noise[i] = (unsigned char)(i * 2654435761u >> 13);
    CHECK_EQ_INT(write_bytes(junk, noise, sizeof noise), 0);
    CHECK_EQ_INT(truncate_copy(good, cut, 80), 0);
    CHECK_EQ_INT(write_bytes(text, "hello, not audio", 16), 0);
    unsigned char wav[60];
    memcpy(wav, "RIFF\x34\0\0\0WAVEfmt ", 16);
    memcpy(wav + 16, noise, sizeof wav - 16);
    CHECK_EQ_INT(write_bytes(badwav, wav, sizeof wav), 0);
    CHECK_EQ_INT(write_bytes(mp3, "ID3\x04\0\0\0\0\0\0\xff\xfb", 12), 0);

    struct decoder *d = decoder_new(3840, RATE, 8);
    CHECK(d != NULL);
    if (!d)
        return;
    const char *paths[] = {junk, cut, missing, text, badwav, mp3, junk};
    enum decode_kind kinds[] = {DECODE_IMAGE, DECODE_IMAGE, DECODE_IMAGE, DECODE_AUDIO,
                                DECODE_AUDIO, DECODE_AUDIO, DECODE_AUDIO};
    const char *names[] = {"junk", "cut", "missing", "text", "badwav", "mp3", "junk-as-audio"};
    for (int i = 0; i < 7; i++)
        CHECK_EQ_INT(decoder_request(d, names[i], paths[i], kinds[i]), 0);
    for (int i = 0; i < 7; i++) {
        struct decoded r;
        CHECK(wait_result(d, &r));
        CHECK_STR_EQ(r.name, names[i]);
        CHECK(r.error[0] != '\0');
        CHECK(r.surface == NULL);
        CHECK(r.pcm == NULL);
        if (i == 5 || i == 3)
            CHECK(strstr(r.error, "unsupported") != NULL);
        if (i == 2)
            CHECK(strstr(r.error, "open") != NULL);
        decoder_release(&r);
    }
    /* Still working after all that. */
    CHECK_EQ_INT(decoder_request(d, "good", good, DECODE_IMAGE), 0);
    struct decoded r;
    CHECK(wait_result(d, &r));
    CHECK_STR_EQ(r.error, "");
    CHECK(r.surface != NULL);
    decoder_release(&r);

    CHECK_EQ_INT(decoder_request(d, "", good, DECODE_IMAGE), -EINVAL);
    CHECK_EQ_INT(decoder_request(d, "x", "", DECODE_IMAGE), -EINVAL);
    CHECK_EQ_INT(decoder_request(d, "x", good, (enum decode_kind)7), -EINVAL);
    char longpath[DECODER_PATH_MAX + 10];
    memset(longpath, 'a', sizeof longpath - 1);
    longpath[sizeof longpath - 1] = '\0';
    CHECK_EQ_INT(decoder_request(d, "x", longpath, DECODE_IMAGE), -ENAMETOOLONG);
    decoder_free(d);
}

TEST(test_bounded_queue)
{
    char path[256];
    tmp_path(path, sizeof path, "q.png");
    CHECK_EQ_INT(write_png(path, 16, 16), 0);
    struct decoder *d = decoder_new(3840, RATE, 2);
    CHECK(d != NULL);
    if (!d)
        return;
    CHECK_EQ_INT(decoder_request(d, "q1", path, DECODE_IMAGE), 0);
    CHECK_EQ_INT(decoder_request(d, "q2", path, DECODE_IMAGE), 0);
    /* Finished but unpolled results still count: the third waits for a poll. */
    CHECK_EQ_INT(decoder_request(d, "q3", path, DECODE_IMAGE), -EAGAIN);
    CHECK_EQ_INT(decoder_pending(d), 2);
    struct decoded r;
    CHECK(wait_result(d, &r));
    decoder_release(&r);
    CHECK_EQ_INT(decoder_request(d, "q3", path, DECODE_IMAGE), 0);
    decoder_free(d); /* q2 and q3 queued, decoding or unpolled */
}

TEST(test_free_with_jobs)
{
    char big[256], wav[256];
    tmp_path(big, sizeof big, "big.png");
    tmp_path(wav, sizeof wav, "long.wav");
    CHECK_EQ_INT(write_png(big, 2000, 2000), 0);
    CHECK_EQ_INT(write_wav(wav, 44100, 1, 2.0, 220, 0.3), 0);
    /* Queued jobs dropped at once. */
    struct decoder *d = decoder_new(512, RATE, 16);
    CHECK(d != NULL);
    if (!d)
        return;
    for (int i = 0; i < 16; i++) {
        char name[32];
        snprintf(name, sizeof name, "job%d", i);
        CHECK_EQ_INT(
            decoder_request(d, name, i % 2 ? wav : big, i % 2 ? DECODE_AUDIO : DECODE_IMAGE), 0);
    }
    Uint32 t0 = SDL_GetTicks();
    decoder_free(d);
    CHECK(SDL_GetTicks() - t0 < 3000);

    /* Finished results never polled are freed by decoder_free. */
    d = decoder_new(512, RATE, 4);
    CHECK(d != NULL);
    if (!d)
        return;
    CHECK_EQ_INT(decoder_request(d, "w", wav, DECODE_AUDIO), 0);
    CHECK_EQ_INT(decoder_request(d, "b", big, DECODE_IMAGE), 0);
    SDL_Delay(1000); /* let both finish; nothing polls */
    decoder_free(d);
    decoder_free(NULL);
    decoder_release(NULL);
}

/* A decompression bomb: a w x h one-bit grey PNG of zeros, a few hundred kB on disk for a
 * picture that decodes to w * h * 4 bytes. Written a row at a time. 0 on success. */
static int write_bomb_png(const char *path, uint32_t w, uint32_t h)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    unsigned char *row = calloc(1, w / 8 + 1);
    int rc = -1;
    if (png && info && row && !setjmp(png_jmpbuf(png))) {
        png_init_io(png, f);
        png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
        png_set_IHDR(png, info, w, h, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
        png_write_info(png, info);
        for (uint32_t y = 0; y < h; y++)
            png_write_row(png, row);
        png_write_end(png, NULL);
        rc = 0;
    }
    png_destroy_write_struct(&png, &info);
    free(row);
    return fclose(f) == 0 ? rc : -1;
}

static long max_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* A 16000 x 16000 PNG of under 1 MB is refused from its header: no 1 GB surface, the peak
 * memory grows by far less than 100 MB. A JPEG (header walked to its frame) still decodes. */
TEST(test_bomb_refused)
{
    char bomb[256], jpg[256];
    tmp_path(bomb, sizeof bomb, "bomb.png");
    tmp_path(jpg, sizeof jpg, "photo.jpg");
    REQUIRE_EQ_INT(write_bomb_png(bomb, 16000, 16000), 0);
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, 64, 48, 32, SDL_PIXELFORMAT_RGBA32);
    REQUIRE(s != NULL);
    SDL_FillRect(s, NULL, SDL_MapRGBA(s->format, 0, 200, 0, 255));
    CHECK_EQ_INT(IMG_SaveJPG(s, jpg, 90), 0);
    SDL_FreeSurface(s);
    struct stat st;
    CHECK_EQ_INT(stat(bomb, &st), 0);
    CHECK_LE(st.st_size, 1 << 20);

    struct decoder *d = decoder_new(3840, RATE, 4);
    REQUIRE(d != NULL);
    long before = max_rss_kb();
    struct decoded r;
    CHECK_EQ_INT(decoder_request(d, "bomb", bomb, DECODE_IMAGE), 0);
    CHECK(wait_result(d, &r));
    CHECK(r.surface == NULL);
    CHECK(strstr(r.error, "16000x16000") != NULL);
    decoder_release(&r);
    long grown = max_rss_kb() - before;
    printf("  peak memory grew by %ld kB decoding a 16000x16000 PNG of %lld bytes\n", grown,
           (long long)st.st_size);
    CHECK_LE(grown, 100 * 1024);

    CHECK_EQ_INT(decoder_request(d, "jpg", jpg, DECODE_IMAGE), 0);
    CHECK(wait_result(d, &r));
    CHECK_STR_EQ(r.error, "");
    CHECK(r.surface != NULL && r.surface->w == 64 && r.surface->h == 48);
    decoder_release(&r);
    decoder_free(d);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/panic-decoder-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    if (SDL_Init(0) < 0) {
        printf("SDL_Init: %s\n", SDL_GetError());
        return 1;
    }
    RUN(test_bomb_refused); /* first: the peak memory is measured from here */
    RUN(test_image);
    RUN(test_image_downscaled);
    RUN(test_audio_resampled);
    RUN(test_bad_files);
    RUN(test_bounded_queue);
    RUN(test_free_with_jobs);
    IMG_Quit();
    SDL_Quit();
    remove_tree(tmpdir);
    TEST_END("test_decoder");
}
