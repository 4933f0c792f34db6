/* audio.h: loops the audible cell's clip through SDL audio and taps what is played for the
 * visualiser. The callback runs on SDL's audio thread; the only shared state is the clip pointer
 * (swapped under SDL_LockAudioDevice) and the sample ring (single producer, single consumer). */
#ifndef PANIC_AUDIO_H
#define PANIC_AUDIO_H

#include <stddef.h>

#define AUDIO_RATE 48000

struct audio;
struct ring;

/* The default output, opened while a clip plays (none if SDL has no audio). tap: ring that receives
 * played mono samples, borrowed. Owned; audio_free. Never NULL: without a device it runs silent but
 * still feeds the tap from the clip at real-time pace via audio_tick. */
struct audio *audio_new(struct ring *tap);
void audio_free(struct audio *a);
/* Play pcm (mono float at AUDIO_RATE; ownership passes in) looped under name; NULL stops. */
void audio_play(struct audio *a, const char *name, float *pcm, size_t frames);
/* Name of the clip playing ("" if none). */
const char *audio_playing(const struct audio *a);
/* Without a device: feed the tap for elapsed ms so the visualiser still moves. */
void audio_tick(struct audio *a, int elapsed_ms);
/* Samples queued in the device not yet heard (latency compensation for the visualiser). */
size_t audio_latency_samples(const struct audio *a);
int audio_has_device(const struct audio *a);
/* Pause (1) or resume (0) the device, the clip kept where it was (the TV is off). */
void audio_pause(struct audio *a, int paused);

#endif
