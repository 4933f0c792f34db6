/* pipeline.c: cache -> decoder -> renderer and audio (see pipeline.h). Each name is asked of
 * the decoder once until it comes back; a file that will not decode (most likely torn by a
 * power cut) is dropped from the cache so it is fetched again, and not asked for again here.
 * Only the audible cell's clip (app_audible_cell) plays; the others are never decoded. Knows
 * nothing of windows, events or layout. */
#include "pipeline.h"

#define VIS_FPS 24
#include "audio.h"
#include "common/log.h"
#include "common/util.h"
#include "decoder.h"
#include "display/core/ring.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FFT_SIZE 2048
#define MAX_BARS 64

struct pipeline {
    struct pipeline_parts parts;
    struct decoder *dec;
    struct ring *tap;
    struct audio *audio;
    struct spectrum *spectrum;
    float *mono; /* FFT_SIZE samples of what played */
    float bars[MAX_BARS];
    long steps;
    float since;            /* seconds since the visualiser last moved */
    char requested[64][96]; /* names handed to the decoder and not yet back */
    int nrequested;
    char failed[32][96]; /* names that would not decode: not asked for again */
    int nfailed;
};

struct pipeline *pipeline_new(const struct pipeline_parts *parts, enum spectrum_bands bands,
                              char *err, size_t errlen)
{
    struct pipeline *p = xcalloc(1, sizeof *p);
    p->parts = *parts;
    p->dec = decoder_new(3840, AUDIO_RATE, 32);
    p->tap = ring_new(1 << 16);
    p->audio = audio_new(p->tap);
    p->spectrum = spectrum_new(AUDIO_RATE, FFT_SIZE, bands);
    p->mono = xcalloc(FFT_SIZE, sizeof *p->mono);
    if (!p->dec || !p->spectrum) {
        snprintf(err, errlen, "cannot start the decoder or the spectrum");
        pipeline_free(p);
        return NULL;
    }
    return p;
}

void pipeline_free(struct pipeline *p)
{
    if (!p)
        return;
    audio_free(p->audio);
    decoder_free(p->dec);
    spectrum_free(p->spectrum);
    ring_free(p->tap);
    free(p->mono);
    free(p);
}

static int requested(struct pipeline *p, const char *name)
{
    for (int i = 0; i < p->nrequested; i++)
        if (!strcmp(p->requested[i], name))
            return 1;
    return 0;
}

static void forget(struct pipeline *p, const char *name)
{
    for (int i = 0; i < p->nrequested; i++) {
        if (!strcmp(p->requested[i], name)) {
            memcpy(p->requested[i], p->requested[--p->nrequested], sizeof p->requested[i]);
            return;
        }
    }
}

static void want(struct pipeline *p, const char *name, enum decode_kind kind)
{
    if (requested(p, name) || p->nrequested == (int)ARRAY_LEN(p->requested))
        return;
    for (int i = 0; i < p->nfailed; i++)
        if (!strcmp(p->failed[i], name))
            return;
    if (!sync_want_media(p->parts.sync, name))
        return;
    char path[1024];
    if (mediacache_path(p->parts.cache, name, path, sizeof path) < 0)
        return;
    if (decoder_request(p->dec, name, path, kind) == 0) {
        log_debug("decoding media=%s", name);
        snprintf(p->requested[p->nrequested++], sizeof p->requested[0], "%s", name);
    }
}

static void take_decoded(struct pipeline *p)
{
    struct decoded d;
    while (decoder_poll(p->dec, &d)) {
        forget(p, d.name);
        if (d.error[0]) {
            /* Most likely a file torn by a power cut: drop it so it is fetched again. */
            log_warn("cannot decode media=%s error=\"%s\"", d.name, d.error);
            mediacache_remove(p->parts.cache, d.name);
            snprintf(p->failed[p->nfailed++ % (int)ARRAY_LEN(p->failed)], sizeof p->failed[0], "%s",
                     d.name);
            if (p->nfailed > (int)ARRAY_LEN(p->failed))
                p->nfailed = (int)ARRAY_LEN(p->failed);
        } else if (d.kind == DECODE_IMAGE && d.surface) {
            log_debug("decoded image media=%s size=%dx%d", d.name, d.surface->w, d.surface->h);
            render_add_image(p->parts.render, d.name, d.surface);
            d.surface = NULL;
        } else if (d.kind == DECODE_AUDIO && d.pcm) {
            log_debug("decoded audio media=%s frames=%zu", d.name, d.frames);
            int cell = app_audible_cell(p->parts.app);
            if (cell >= 0 && !strcmp(p->parts.app->cells[cell].media, d.name)) {
                audio_play(p->audio, d.name, d.pcm, d.frames);
                spectrum_reset(p->spectrum);
                d.pcm = NULL;
            }
        }
        decoder_release(&d);
    }
}

static void ask(struct pipeline *p)
{
    const struct app *a = p->parts.app;
    int iw, ih;
    for (int i = 0; i < a->ncells; i++)
        if (a->cells[i].kind == CELL_IMAGE &&
            !render_image_size(p->parts.render, a->cells[i].media, &iw, &ih))
            want(p, a->cells[i].media, DECODE_IMAGE);
    int cell = app_audible_cell(a);
    if (cell < 0) {
        if (audio_playing(p->audio)[0])
            audio_play(p->audio, NULL, NULL, 0);
    } else if (strcmp(audio_playing(p->audio), a->cells[cell].media) != 0) {
        want(p, a->cells[cell].media, DECODE_AUDIO);
    }
}

/* The bars follow what the device played (the tap, delayed by its latency), not the clip. */
static void analyse(struct pipeline *p, float dt)
{
    audio_tick(p->audio, (int)(dt * 1000));
    size_t got = ring_latest(p->tap, p->mono, FFT_SIZE, audio_latency_samples(p->audio));
    if (got < FFT_SIZE)
        memset(p->mono, 0, sizeof *p->mono * (FFT_SIZE - got));
    spectrum_process(p->spectrum, p->mono, FFT_SIZE, dt, p->bars);
    if (p->steps % 60 == 30) {
        float peak = 0, level = 0;
        for (int i = 0; i < FFT_SIZE; i++)
            level = fabsf(p->mono[i]) > level ? fabsf(p->mono[i]) : level;
        for (int i = 0; i < spectrum_nbands(p->spectrum); i++)
            peak = p->bars[i] > peak ? p->bars[i] : peak;
        log_debug("audio clip=%s device=%d got=%zu level=%.3f bar_peak=%.3f",
                  audio_playing(p->audio), audio_has_device(p->audio), got, level, peak);
    }
}

int pipeline_step(struct pipeline *p, float dt_s)
{
    int moved = 0;
    take_decoded(p);
    ask(p);
    /* The visualiser moves at most VIS_FPS times a second, like the original's maxFPS 24, and
     * not at all with nothing playing: a frame where it did not move redraws nothing of it. */
    p->since += dt_s;
    if (p->since >= 1.0f / VIS_FPS && audio_playing(p->audio)[0]) {
        analyse(p, p->since);
        p->since = 0;
        moved = 1;
    }
    p->steps++;
    return moved;
}

const char *pipeline_playing(const struct pipeline *p)
{
    return audio_playing(p->audio);
}

const float *pipeline_bars(const struct pipeline *p, int *n)
{
    *n = spectrum_nbands(p->spectrum);
    return p->bars;
}

void pipeline_pause_audio(struct pipeline *p, int paused)
{
    audio_pause(p->audio, paused);
}
