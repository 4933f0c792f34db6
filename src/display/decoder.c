/* decoder.c: the media decoding worker (see decoder.h). Jobs live in a fixed array of slots
 * (free -> queued -> busy -> done -> free), so the number in flight is bounded and nothing is
 * allocated per request; sequence numbers keep decoding and polling in request order. The lock
 * is held only to move a slot between states, never while reading or decoding, so the frame
 * thread's request and poll never wait on a decode. A busy slot belongs to the worker alone.
 * Files are read whole into memory (after an fdatasync) and decoded from there with SDL_image
 * and SDL's WAV loader and audio converter. Surfaces only: no SDL video, no renderer, no
 * knowledge of the cache, the network or the layout. */
#include "decoder.h"
#include "common/buf.h"
#include "common/file.h"
#include "common/util.h"

#include <SDL_image.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum slot_state { SLOT_FREE, SLOT_QUEUED, SLOT_BUSY, SLOT_DONE };

struct slot {
    enum slot_state state;
    uint64_t seq;
    char path[DECODER_PATH_MAX];
    struct decoded res; /* name and kind set at request; the rest when done */
};

struct decoder {
    SDL_Thread *thread;
    SDL_mutex *lock;
    SDL_cond *wake;
    int quit;
    int max_dim, out_rate;
    struct slot *slots;
    int nslots;
    uint64_t next_seq;
};

/* The slot in state st with the lowest sequence number, or NULL. Caller holds the lock. */
static struct slot *oldest(struct decoder *d, enum slot_state st)
{
    struct slot *best = NULL;
    for (int i = 0; i < d->nslots; i++)
        if (d->slots[i].state == st && (!best || d->slots[i].seq < best->seq))
            best = &d->slots[i];
    return best;
}

/* The whole file into *data (owned; free), flushed to disk first: that makes a fresh download
 * durable (mediacache leaves it to us) and is nearly free when clean. 0 or an error in r. */
static int read_file(const char *path, unsigned char **data, size_t *len, struct decoded *r)
{
    struct buf b = BUF_INIT;
    char why[128];
    int rc = file_read(path, DECODER_MAX_FILE_BYTES, FILE_REGULAR | FILE_SYNC, &b, why, sizeof why);
    if (rc < 0 || b.len == 0) {
        snprintf(r->error, sizeof r->error, "%s", rc < 0 ? why : "empty file");
        buf_free(&b);
        *data = NULL;
        return -1;
    }
    *len = b.len;
    *data = (unsigned char *)buf_steal(&b);
    return 0;
}

/* Bilinear scale to w x h (same format); NULL with r->error set on failure. src is kept. */
static SDL_Surface *stretch(SDL_Surface *src, int w, int h, struct decoded *r)
{
    SDL_Surface *dst = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    if (!dst || SDL_SoftStretchLinear(src, NULL, dst, NULL) < 0) {
        snprintf(r->error, sizeof r->error, "scale: %s", SDL_GetError());
        SDL_FreeSurface(dst);
        return NULL;
    }
    return dst;
}

static unsigned be16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static unsigned le16(const unsigned char *p)
{
    return (unsigned)p[1] << 8 | p[0];
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* The first JPEG frame header's size, walking the marker segments. 0 or -1. */
static int jpeg_size(const unsigned char *d, size_t len, uint32_t *w, uint32_t *h)
{
    size_t i = 2;
    while (i + 4 <= len) {
        if (d[i] != 0xff)
            return -1;
        unsigned m = d[i + 1];
        if (m == 0xff) { /* fill byte */
            i++;
            continue;
        }
        if (m == 0x01 || (m >= 0xd0 && m <= 0xd8)) { /* no length */
            i += 2;
            continue;
        }
        if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc) {
            if (i + 9 > len)
                return -1;
            *h = be16(d + i + 5);
            *w = be16(d + i + 7);
            return 0;
        }
        i += 2 + be16(d + i + 2);
    }
    return -1;
}

/* The format ("PNG", "JPG", "WEBP") and the size an image's header claims; NULL if it is none
 * of those or its header is cut short. */
static const char *image_header(const unsigned char *d, size_t len, uint32_t *w, uint32_t *h)
{
    if (len >= 24 && !memcmp(d, "\x89PNG\r\n\x1a\n", 8) && !memcmp(d + 12, "IHDR", 4)) {
        *w = (uint32_t)be16(d + 16) << 16 | be16(d + 18);
        *h = (uint32_t)be16(d + 20) << 16 | be16(d + 22);
        return "PNG";
    }
    if (len >= 4 && d[0] == 0xff && d[1] == 0xd8)
        return jpeg_size(d, len, w, h) == 0 ? "JPG" : NULL;
    if (len >= 30 && !memcmp(d, "RIFF", 4) && !memcmp(d + 8, "WEBP", 4)) {
        if (!memcmp(d + 12, "VP8 ", 4) && d[23] == 0x9d && d[24] == 0x01 && d[25] == 0x2a) {
            *w = le16(d + 26) & 0x3fff;
            *h = le16(d + 28) & 0x3fff;
            return "WEBP";
        }
        if (!memcmp(d + 12, "VP8L", 4) && d[20] == 0x2f) {
            uint32_t b = le32(d + 21);
            *w = (b & 0x3fff) + 1;
            *h = (b >> 14 & 0x3fff) + 1;
            return "WEBP";
        }
        if (!memcmp(d + 12, "VP8X", 4)) {
            *w = (le32(d + 24) & 0xffffff) + 1;
            *h = (le32(d + 27) & 0xffffff) + 1;
            return "WEBP";
        }
    }
    return NULL;
}

static void decode_image(struct decoder *d, const unsigned char *data, size_t len,
                         struct decoded *r)
{
    /* The header first: a small file can claim a huge picture, and SDL_image would allocate
     * it whole before looking at a single pixel. */
    uint32_t claim_w = 0, claim_h = 0;
    const char *type = image_header(data, len, &claim_w, &claim_h);
    if (!type) {
        snprintf(r->error, sizeof r->error, "image: unsupported format (PNG, JPEG, WebP only)");
        return;
    }
    if (claim_w == 0 || claim_h == 0 || (uint64_t)claim_w * claim_h > DECODER_MAX_PIXELS) {
        snprintf(r->error, sizeof r->error, "image: %ux%u pixels, more than the %u allowed",
                 (unsigned)claim_w, (unsigned)claim_h, (unsigned)DECODER_MAX_PIXELS);
        return;
    }
    SDL_RWops *rw = SDL_RWFromConstMem(data, (int)len);
    SDL_Surface *img = rw ? IMG_LoadTyped_RW(rw, 1, type) : NULL;
    if (!img) {
        snprintf(r->error, sizeof r->error, "image: %s", IMG_GetError());
        return;
    }
    SDL_Surface *s = SDL_ConvertSurfaceFormat(img, SDL_PIXELFORMAT_ARGB8888, 0);
    SDL_FreeSurface(img);
    if (!s) {
        snprintf(r->error, sizeof r->error, "convert: %s", SDL_GetError());
        return;
    }
    if (d->max_dim > 0 && (s->w > d->max_dim || s->h > d->max_dim)) {
        double k = s->w >= s->h ? (double)d->max_dim / s->w : (double)d->max_dim / s->h;
        int tw = (int)(s->w * k + 0.5), th = (int)(s->h * k + 0.5);
        tw = tw < 1 ? 1 : tw > d->max_dim ? d->max_dim : tw;
        th = th < 1 ? 1 : th > d->max_dim ? d->max_dim : th;
        /* Bilinear reads 2x2 pixels, so halve first while more than 2x too big: a cheap mipmap
         * that keeps large reductions from aliasing. */
        while (s && (s->w > 2 * tw || s->h > 2 * th)) {
            int hw = s->w > 2 * tw ? s->w / 2 : s->w, hh = s->h > 2 * th ? s->h / 2 : s->h;
            SDL_Surface *half = stretch(s, hw, hh, r);
            SDL_FreeSurface(s);
            s = half;
        }
        if (s) {
            SDL_Surface *fit = stretch(s, tw, th, r);
            SDL_FreeSurface(s);
            s = fit;
        }
        if (!s)
            return;
    }
    r->surface = s;
}

static void decode_audio(struct decoder *d, const unsigned char *data, size_t len,
                         struct decoded *r)
{
    if (len < 12 || memcmp(data, "RIFF", 4) != 0 || memcmp(data + 8, "WAVE", 4) != 0) {
        snprintf(r->error, sizeof r->error, "unsupported audio format (only WAV for now)");
        return;
    }
    SDL_AudioSpec spec;
    Uint8 *wav = NULL;
    Uint32 wlen = 0;
    SDL_RWops *rw = SDL_RWFromConstMem(data, (int)len);
    if (!rw || !SDL_LoadWAV_RW(rw, 1, &spec, &wav, &wlen)) {
        snprintf(r->error, sizeof r->error, "wav: %s", SDL_GetError());
        return;
    }
    size_t frame_bytes = (size_t)SDL_AUDIO_BITSIZE(spec.format) / 8 * spec.channels;
    uint64_t in_frames = frame_bytes ? wlen / frame_bytes : 0;
    if (in_frames == 0 || spec.freq <= 0) {
        snprintf(r->error, sizeof r->error, "wav: no audio frames");
        goto cleanup;
    }
    if (in_frames / (uint64_t)spec.freq > DECODER_MAX_AUDIO_S) {
        snprintf(r->error, sizeof r->error, "wav: longer than %d s", DECODER_MAX_AUDIO_S);
        goto cleanup;
    }
    /* SDL_AudioCVT, not SDL_AudioStream: in SDL 2.26 a stream drops about 5% of a resampled
     * clip, while a one-shot conversion returns every frame. */
    SDL_AudioCVT cvt;
    int need = SDL_BuildAudioCVT(&cvt, spec.format, spec.channels, spec.freq, AUDIO_F32SYS, 1,
                                 d->out_rate);
    if (need < 0) {
        snprintf(r->error, sizeof r->error, "resample: %s", SDL_GetError());
        goto cleanup;
    }
    size_t cap = (size_t)wlen * (size_t)(cvt.len_mult > 0 ? cvt.len_mult : 1);
    if (cap > INT_MAX) {
        snprintf(r->error, sizeof r->error, "wav: too large to convert");
        goto cleanup;
    }
    cvt.len = (int)wlen;
    cvt.buf = xmalloc(cap);
    memcpy(cvt.buf, wav, wlen);
    if (need == 0) {
        cvt.len_cvt = cvt.len; /* already mono float at out_rate */
    } else if (SDL_ConvertAudio(&cvt) < 0) {
        snprintf(r->error, sizeof r->error, "resample: %s", SDL_GetError());
        free(cvt.buf);
        goto cleanup;
    }
    if (cvt.len_cvt < (int)sizeof(float)) {
        snprintf(r->error, sizeof r->error, "resample: no output");
        free(cvt.buf);
        goto cleanup;
    }
    r->frames = (size_t)cvt.len_cvt / sizeof(float);
    /* Give back the conversion headroom; the clip may be held for a long time. */
    r->pcm = xrealloc(cvt.buf, r->frames * sizeof(float));
    r->rate = d->out_rate;
cleanup:
    SDL_FreeWAV(wav);
}

static int worker(void *arg)
{
    struct decoder *d = arg;
    SDL_LockMutex(d->lock);
    for (;;) {
        struct slot *s = NULL;
        while (!d->quit && !(s = oldest(d, SLOT_QUEUED)))
            SDL_CondWait(d->wake, d->lock);
        if (d->quit)
            break;
        s->state = SLOT_BUSY;
        SDL_UnlockMutex(d->lock);

        struct decoded r;
        memset(&r, 0, sizeof r);
        memcpy(r.name, s->res.name, sizeof r.name);
        r.kind = s->res.kind;
        unsigned char *data = NULL;
        size_t len = 0;
        if (read_file(s->path, &data, &len, &r) == 0) {
            if (r.kind == DECODE_IMAGE)
                decode_image(d, data, len, &r);
            else
                decode_audio(d, data, len, &r);
        }
        free(data);

        SDL_LockMutex(d->lock);
        s->res = r;
        s->state = SLOT_DONE;
    }
    SDL_UnlockMutex(d->lock);
    return 0;
}

struct decoder *decoder_new(int max_dim, int out_rate, int depth)
{
    if (max_dim < 0 || out_rate <= 0)
        return NULL;
    /* Load the codecs here, on the caller's thread, not lazily inside the worker. A codec that
     * fails to load shows up later as a decode error for that format. */
    (void)IMG_Init(IMG_INIT_PNG | IMG_INIT_JPG | IMG_INIT_WEBP);
    struct decoder *d = xcalloc(1, sizeof *d);
    d->max_dim = max_dim;
    d->out_rate = out_rate;
    d->nslots = depth < 1 ? 1 : depth;
    d->slots = xcalloc((size_t)d->nslots, sizeof *d->slots);
    d->lock = SDL_CreateMutex();
    d->wake = SDL_CreateCond();
    if (!d->lock || !d->wake)
        goto fail;
    d->thread = SDL_CreateThread(worker, "decoder", d);
    if (!d->thread)
        goto fail;
    return d;
fail:
    SDL_DestroyCond(d->wake);
    SDL_DestroyMutex(d->lock);
    free(d->slots);
    free(d);
    return NULL;
}

void decoder_free(struct decoder *d)
{
    if (!d)
        return;
    SDL_LockMutex(d->lock);
    d->quit = 1;
    SDL_CondSignal(d->wake);
    SDL_UnlockMutex(d->lock);
    SDL_WaitThread(d->thread, NULL);
    for (int i = 0; i < d->nslots; i++)
        if (d->slots[i].state == SLOT_DONE)
            decoder_release(&d->slots[i].res);
    SDL_DestroyCond(d->wake);
    SDL_DestroyMutex(d->lock);
    free(d->slots);
    free(d);
}

int decoder_request(struct decoder *d, const char *name, const char *path, enum decode_kind kind)
{
    if (!name || !*name || !path || !*path || (kind != DECODE_IMAGE && kind != DECODE_AUDIO))
        return -EINVAL;
    if (strlen(name) >= DECODER_NAME_MAX || strlen(path) >= DECODER_PATH_MAX)
        return -ENAMETOOLONG;
    int rc = -EAGAIN;
    SDL_LockMutex(d->lock);
    struct slot *free_slot = NULL;
    for (int i = 0; i < d->nslots; i++) {
        struct slot *s = &d->slots[i];
        if (s->state == SLOT_FREE) {
            if (!free_slot)
                free_slot = s;
        } else if (!strcmp(s->res.name, name)) {
            rc = 1;
            goto out;
        }
    }
    if (free_slot) {
        memset(&free_slot->res, 0, sizeof free_slot->res);
        snprintf(free_slot->res.name, sizeof free_slot->res.name, "%s", name);
        snprintf(free_slot->path, sizeof free_slot->path, "%s", path);
        free_slot->res.kind = kind;
        free_slot->seq = ++d->next_seq;
        free_slot->state = SLOT_QUEUED;
        SDL_CondSignal(d->wake);
        rc = 0;
    }
out:
    SDL_UnlockMutex(d->lock);
    return rc;
}

int decoder_poll(struct decoder *d, struct decoded *out)
{
    SDL_LockMutex(d->lock);
    struct slot *s = oldest(d, SLOT_DONE);
    if (s) {
        *out = s->res;
        memset(&s->res, 0, sizeof s->res);
        s->state = SLOT_FREE;
    }
    SDL_UnlockMutex(d->lock);
    return s != NULL;
}

void decoder_release(struct decoded *r)
{
    if (!r)
        return;
    SDL_FreeSurface(r->surface);
    free(r->pcm);
    r->surface = NULL;
    r->pcm = NULL;
    r->frames = 0;
}

int decoder_pending(struct decoder *d)
{
    int n = 0;
    SDL_LockMutex(d->lock);
    for (int i = 0; i < d->nslots; i++)
        n += d->slots[i].state != SLOT_FREE;
    SDL_UnlockMutex(d->lock);
    return n;
}
