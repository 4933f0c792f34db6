/* audio.c: looped playback of one clip with SDL audio (F32 mono at 48 kHz), and a tap of the
 * samples actually handed to the device, for the spectrum. The callback allocates nothing and
 * takes no lock of ours: SDL holds the device lock while it runs, and audio_play swaps the clip
 * under SDL_LockAudioDevice, so the two never see a half-changed clip. With no audio device
 * (CI, a silent Pi) audio_tick feeds the tap at real-time pace instead. The device is opened
 * when a clip starts and closed when none plays. */
#include "audio.h"
#include "common/util.h"
#include "display/core/ring.h"

#include <SDL.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct audio {
    SDL_AudioDeviceID dev;
    struct ring *tap;
    float *pcm; /* owned */
    size_t frames, pos;
    char name[96];
    int buffer_samples;
    int no_device; /* SDL has no audio output here: audio_tick feeds the tap */
    int paused;    /* audio_pause: a device opened now starts paused */
    float scratch[4096];
};

static void callback(void *user, Uint8 *stream, int len)
{
    struct audio *a = user;
    float *out = (float *)stream;
    size_t n = (size_t)len / sizeof(float);
    for (size_t i = 0; i < n; i++) {
        if (a->pcm && a->frames) {
            out[i] = a->pcm[a->pos];
            a->pos = (a->pos + 1) % a->frames;
        } else {
            out[i] = 0.0f;
        }
    }
    ring_push(a->tap, out, n);
}

struct audio *audio_new(struct ring *tap)
{
    struct audio *a = xcalloc(1, sizeof *a);
    a->tap = tap;
    a->no_device = !SDL_WasInit(SDL_INIT_AUDIO) && SDL_InitSubSystem(SDL_INIT_AUDIO) != 0;
    return a;
}

/* The device is open only while a clip plays: SDL's audio thread wakes for every buffer, even
 * paused, and a still screen should cost nothing. */
static void open_device(struct audio *a)
{
    if (a->dev || a->no_device)
        return;
    SDL_AudioSpec want = {.freq = AUDIO_RATE,
                          .format = AUDIO_F32SYS,
                          .channels = 1,
                          .samples = 1024,
                          .callback = callback,
                          .userdata = a};
    SDL_AudioSpec have;
    a->dev = SDL_OpenAudioDevice(NULL, 0, &want, &have, 0);
    if (!a->dev) {
        a->no_device = 1; /* from now on audio_tick feeds the visualiser */
        return;
    }
    a->buffer_samples = have.samples;
    SDL_PauseAudioDevice(a->dev, a->paused);
}

void audio_free(struct audio *a)
{
    if (!a)
        return;
    if (a->dev)
        SDL_CloseAudioDevice(a->dev);
    free(a->pcm);
    free(a);
}

void audio_play(struct audio *a, const char *name, float *pcm, size_t frames)
{
    float *old;
    if (!pcm && a->dev) { /* nothing to play: no device, no audio thread */
        SDL_CloseAudioDevice(a->dev);
        a->dev = 0;
    }
    if (a->dev)
        SDL_LockAudioDevice(a->dev);
    old = a->pcm;
    a->pcm = pcm;
    a->frames = pcm ? frames : 0;
    a->pos = 0;
    snprintf(a->name, sizeof a->name, "%s", pcm && name ? name : "");
    if (a->dev)
        SDL_UnlockAudioDevice(a->dev);
    free(old);
    if (pcm)
        open_device(a);
}

const char *audio_playing(const struct audio *a)
{
    return a->name;
}

void audio_tick(struct audio *a, int elapsed_ms)
{
    if (a->dev || !a->pcm || elapsed_ms <= 0)
        return;
    size_t n = (size_t)AUDIO_RATE * (size_t)elapsed_ms / 1000;
    while (n) {
        size_t k = MIN(n, ARRAY_LEN(a->scratch));
        for (size_t i = 0; i < k; i++) {
            a->scratch[i] = a->pcm[a->pos];
            a->pos = (a->pos + 1) % a->frames;
        }
        ring_push(a->tap, a->scratch, k);
        n -= k;
    }
}

size_t audio_latency_samples(const struct audio *a)
{
    return a->dev ? (size_t)a->buffer_samples : 0;
}

int audio_has_device(const struct audio *a)
{
    return a->dev != 0;
}

void audio_pause(struct audio *a, int paused)
{
    a->paused = paused;
    if (a->dev)
        SDL_PauseAudioDevice(a->dev, paused);
}
