/* spectrum.h: the audio visualiser's DSP. Mono float samples in, one bar height per frequency
 * band out, with the bars' motion (instant attack, gravity release) computed from the elapsed
 * time so 24 and 60 fps look the same. Pure maths over kissfft: no SDL, no audio device; the
 * caller hands in the most recent samples (see ring.h) and the frame's dt. */
#ifndef PANIC_SPECTRUM_H
#define PANIC_SPECTRUM_H

#include <stddef.h>

/* Band layouts. Centres are exact base-2 values 1000 * 2^(k/b) Hz (b = 1 or 3), so the nominal
 * labels 63, 125, ... 16k are 62.5, 125, ... 16000. Bands centred below SPECTRUM_MIN_HZ or at or
 * above the Nyquist frequency are left out: 9 octave bands (63 Hz .. 16 kHz) and 27 third-octave
 * bands (50 Hz .. 20 kHz) at 44.1 or 48 kHz. */
enum spectrum_bands {
    SPECTRUM_OCTAVE, /* 1/1 octave, like the original's audioMotion mode 8 */
    SPECTRUM_THIRD,  /* 1/3 octave, for a bar-grid look */
};

#define SPECTRUM_MIN_HZ 40.0f
#define SPECTRUM_MIN_DB (-85.0f) /* maps to bar 0 */
#define SPECTRUM_MAX_DB (-25.0f) /* maps to bar 1 */
#define SPECTRUM_FALL_S 0.6f     /* a bar falls from its peak to 0 in this many seconds */

struct spectrum;

/* A spectrum analyser for sample_rate Hz and fft_size-point frames (even, 64..65536; a power of
 * two such as 2048 or 4096 is fastest). Allocates everything it will ever use. Returns NULL if
 * the arguments are out of range or no band fits below Nyquist; out of memory aborts. The
 * result is owned by the caller: spectrum_free(). */
struct spectrum *spectrum_new(int sample_rate, int fft_size, enum spectrum_bands bands);

/* spectrum_free(NULL) is a no-op. */
void spectrum_free(struct spectrum *s);

/* Number of bars spectrum_process writes (at least 1). */
int spectrum_nbands(const struct spectrum *s);

/* Centre frequency of band 0 .. nbands-1 in Hz (ascending); 0 for an out-of-range band. */
float spectrum_band_hz(const struct spectrum *s, int band);

/* One frame. mono holds the n most recent samples in [-1, 1], oldest first; n should equal
 * fft_size (if larger, only the last fft_size are used; if smaller, the missing older samples
 * count as silence). dt_s is the time in seconds since the previous call (<= 0 or NaN counts as
 * 0). Writes nbands values in [0, 1] to out: per band the loudest FFT bin (Hann window,
 * magnitude corrected for the window's coherent gain, so a full-scale sine reads 0 dB) mapped
 * linearly from [SPECTRUM_MIN_DB, SPECTRUM_MAX_DB] and clamped, then the bar dynamics: a louder
 * value is taken at once; otherwise the bar follows peak * (1 - (t / SPECTRUM_FALL_S)^2) where t
 * is the time since the last peak. Non-finite input never yields NaN. No allocation: safe to
 * call every frame. Not thread-safe per spectrum. */
void spectrum_process(struct spectrum *s, const float *mono, size_t n, float dt_s, float *out);

/* Forget the bars' motion (all bars at 0), e.g. when a new clip starts. */
void spectrum_reset(struct spectrum *s);

#endif
