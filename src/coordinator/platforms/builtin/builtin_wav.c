/* builtin_wav.c: WAV files for the builtin voices and the recogniser. Encoding writes the 44-byte
 * RIFF header by hand; decoding walks the RIFF chunks, accepts 16-bit PCM only (plain or
 * WAVE_FORMAT_EXTENSIBLE), averages the channels and converts any rate to the 16 kHz the
 * recogniser wants by linear interpolation: no low-pass filter, which is fine for speech going
 * down from 22.05 or 24 kHz and is what keeps this file small. Pure C: no library, no state. */
#include "builtin_engines.h"
#include "common/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_u32(struct buf *b, uint32_t v)
{
    unsigned char p[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    buf_append(b, p, 4);
}

static void put_u16(struct buf *b, uint16_t v)
{
    unsigned char p[2] = {(unsigned char)v, (unsigned char)(v >> 8)};
    buf_append(b, p, 2);
}

void builtin_wav_encode(const int16_t *pcm, size_t n, int rate, struct buf *out)
{
    uint32_t bytes = (uint32_t)(n * 2);
    buf_append(out, "RIFF", 4);
    put_u32(out, 36 + bytes);
    buf_append(out, "WAVEfmt ", 8);
    put_u32(out, 16);
    put_u16(out, 1); /* PCM */
    put_u16(out, 1); /* mono */
    put_u32(out, (uint32_t)rate);
    put_u32(out, (uint32_t)rate * 2);
    put_u16(out, 2);
    put_u16(out, 16);
    buf_append(out, "data", 4);
    put_u32(out, bytes);
    /* Samples are little-endian on disk; write them byte by byte so a big-endian host works. */
    for (size_t i = 0; i < n; i++)
        put_u16(out, (uint16_t)pcm[i]);
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t get_u16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

/* The mono sample at frame i: the mean of its channels. */
static double frame_at(const unsigned char *data, size_t i, unsigned channels)
{
    const unsigned char *f = data + i * channels * 2;
    long sum = 0;
    for (unsigned c = 0; c < channels; c++)
        sum += (int16_t)get_u16(f + 2 * c);
    return (double)sum / channels;
}

int builtin_wav_decode_16k(const void *data, size_t len, int max_s, int16_t **pcm, size_t *n,
                           char *err, size_t errlen)
{
    const unsigned char *p = data;
    *pcm = NULL;
    *n = 0;
    if (len < 12 || memcmp(p, "RIFF", 4) || memcmp(p + 8, "WAVE", 4)) {
        snprintf(err, errlen, "not a WAV file");
        return -EINVAL;
    }
    const unsigned char *fmt = NULL, *samples = NULL;
    size_t nbytes = 0, fmt_size = 0;
    size_t off = 12;
    while (off + 8 <= len && !(fmt && samples)) {
        size_t size = get_u32(p + off + 4);
        const unsigned char *body = p + off + 8;
        size_t avail = len - off - 8;
        if (!memcmp(p + off, "fmt ", 4) && size >= 16 && avail >= 16) {
            fmt = body;
            fmt_size = MIN(size, avail);
        } else if (!memcmp(p + off, "data", 4)) {
            samples = body;
            nbytes = MIN(size, avail); /* streamed files leave the size unset or too big */
        }
        if (size > avail)
            break;
        off += 8 + size + (size & 1); /* chunks are padded to even sizes */
    }
    if (!fmt || !samples) {
        snprintf(err, errlen, "WAV file without %s chunk", fmt ? "a data" : "a fmt");
        return -EINVAL;
    }
    unsigned tag = get_u16(fmt), channels = get_u16(fmt + 2), bits = get_u16(fmt + 14);
    uint32_t rate = get_u32(fmt + 4);
    if (tag == 0xfffe && fmt_size >= 26)
        tag = get_u16(fmt + 24); /* WAVE_FORMAT_EXTENSIBLE: the sub-format GUID starts here */
    if (tag != 1 || bits != 16 || channels == 0 || rate < 1000 || rate > 384000) {
        snprintf(err, errlen,
                 "unsupported WAV (format %u, %u bits, %u channels, %u Hz): only 16-bit PCM", tag,
                 bits, channels, (unsigned)rate);
        return -ENOTSUP;
    }
    size_t frames = nbytes / (2 * channels);
    if (max_s > 0 && frames > (size_t)max_s * rate)
        frames = (size_t)max_s * rate;
    size_t out_n = (size_t)((double)frames * BUILTIN_ASR_RATE / rate);
    int16_t *out = xmalloc(out_n ? out_n * sizeof *out : 1);
    double step = (double)rate / BUILTIN_ASR_RATE;
    for (size_t i = 0; i < out_n; i++) {
        double pos = (double)i * step;
        size_t k = (size_t)pos;
        double frac = pos - (double)k;
        double a = frame_at(samples, k, channels);
        double b = k + 1 < frames ? frame_at(samples, k + 1, channels) : a;
        double v = a + (b - a) * frac;
        out[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
    }
    *pcm = out;
    *n = out_n;
    return 0;
}
