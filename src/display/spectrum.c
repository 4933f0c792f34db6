/* spectrum.c: bar heights for the audio visualiser (see spectrum.h). Each frame windows the most
 * recent samples with a periodic Hann window, runs kissfft's real FFT, takes the loudest bin of
 * each 1/1- or 1/3-octave band in dB (audioMotion's "max of bins" with its -85..-25 dB window, as
 * the original used), and moves the bars with an instant attack and a gravity release computed
 * from elapsed time rather than frame count, so the kiosk looks the same at 24 and 60 fps.
 * This is the only file that includes kissfft. It must not depend on SDL, the audio device or
 * the clock: samples and dt come in as arguments. All memory is allocated in spectrum_new;
 * spectrum_process runs per frame and never allocates. */
#include "spectrum.h"

#include "common/util.h"

#include <kiss_fftr.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FFT_MIN 64
#define FFT_MAX 65536
#define PI 3.14159265358979323846 /* M_PI is not in C11 */

struct band {
    float hz;    /* centre */
    int lo, hi;  /* FFT bins inside the band, inclusive; hi < lo if none */
    int i0;      /* narrow band (no bin inside): interpolate bins i0 and i0+1 ... */
    float frac;  /* ... at this fraction, i.e. at the centre frequency */
    float peak;  /* bar height at the last peak */
    float since; /* seconds since that peak, capped at SPECTRUM_FALL_S */
};

struct spectrum {
    int sample_rate, fft_size, nbands;
    float gain_db;      /* 20 log10(2 / (N * 0.5)): |X| to amplitude, Hann coherent gain 0.5 */
    kiss_fftr_cfg fft;  /* owned, kiss_fftr_free */
    float *window;      /* fft_size */
    float *frame;       /* fft_size, windowed input */
    kiss_fft_cpx *bins; /* fft_size / 2 + 1 */
    struct band *band;  /* nbands */
};

/* Band k of a 1/per-octave layout is centred at 1000 * 2^(k / per) Hz. */
static double band_centre(int k, int per)
{
    return 1000.0 * pow(2.0, (double)k / per);
}

static int band_fits(double fc, double nyquist)
{
    return fc >= SPECTRUM_MIN_HZ && fc < nyquist;
}

static void band_place(struct band *b, double fc, int per, double df, int half)
{
    double edge = pow(2.0, 0.5 / per);
    double lo_hz = fc / edge, hi_hz = fc * edge;

    b->hz = (float)fc;
    /* Bins whose frequency i * df lies in [lo_hz, hi_hz). */
    b->lo = (int)ceil(lo_hz / df);
    b->hi = (int)ceil(hi_hz / df) - 1;
    if (b->lo < 1)
        b->lo = 1;
    if (b->hi > half)
        b->hi = half;
    /* A third-octave band at low frequencies can be narrower than one bin; reading the spectrum
     * at its centre keeps it from showing a hole or copying a neighbour's bin. */
    double pos = fc / df;
    b->i0 = (int)floor(pos);
    if (b->i0 > half - 1)
        b->i0 = half - 1;
    b->frac = (float)(pos - b->i0);
    if (b->i0 < 1) { /* a tiny FFT: never read the DC bin */
        b->i0 = 1;
        b->frac = 0.0f;
    }
}

struct spectrum *spectrum_new(int sample_rate, int fft_size, enum spectrum_bands bands)
{
    if (sample_rate <= 0 || fft_size < FFT_MIN || fft_size > FFT_MAX || fft_size % 2)
        return NULL;
    if (bands != SPECTRUM_OCTAVE && bands != SPECTRUM_THIRD)
        return NULL;

    int per = bands == SPECTRUM_THIRD ? 3 : 1;
    double nyquist = sample_rate / 2.0, df = (double)sample_rate / fft_size;
    int half = fft_size / 2;
    /* Band indices k with centres in [SPECTRUM_MIN_HZ, nyquist). */
    int kmin = (int)ceil(per * log2(SPECTRUM_MIN_HZ / 1000.0));
    int kmax = (int)floor(per * log2(nyquist / 1000.0));
    while (kmin <= kmax && !band_fits(band_centre(kmin, per), nyquist))
        kmin++;
    while (kmax >= kmin && !band_fits(band_centre(kmax, per), nyquist))
        kmax--;
    if (kmin > kmax)
        return NULL;

    kiss_fftr_cfg fft = kiss_fftr_alloc(fft_size, 0, NULL, NULL);
    if (!fft)
        abort(); /* the size was checked above: only out of memory is left */

    struct spectrum *s = xcalloc(1, sizeof *s);
    s->sample_rate = sample_rate;
    s->fft_size = fft_size;
    s->nbands = kmax - kmin + 1;
    s->gain_db = (float)(20.0 * log10(2.0 / (fft_size * 0.5)));
    s->fft = fft;
    s->window = xcalloc((size_t)fft_size, sizeof *s->window);
    s->frame = xcalloc((size_t)fft_size, sizeof *s->frame);
    s->bins = xcalloc((size_t)half + 1, sizeof *s->bins);
    s->band = xcalloc((size_t)s->nbands, sizeof *s->band);

    /* Periodic Hann (divide by N, not N-1): its coherent gain is exactly 0.5 and a DC offset
     * stays in bins 0 and 1, below every band. */
    for (int i = 0; i < fft_size; i++)
        s->window[i] = (float)(0.5 * (1.0 - cos(2.0 * PI * i / fft_size)));
    for (int k = kmin; k <= kmax; k++)
        band_place(&s->band[k - kmin], band_centre(k, per), per, df, half);
    spectrum_reset(s);
    return s;
}

void spectrum_free(struct spectrum *s)
{
    if (!s)
        return;
    kiss_fftr_free(s->fft);
    free(s->window);
    free(s->frame);
    free(s->bins);
    free(s->band);
    free(s);
}

int spectrum_nbands(const struct spectrum *s)
{
    return s->nbands;
}

float spectrum_band_hz(const struct spectrum *s, int band)
{
    if (band < 0 || band >= s->nbands)
        return 0.0f;
    return s->band[band].hz;
}

void spectrum_reset(struct spectrum *s)
{
    for (int b = 0; b < s->nbands; b++) {
        s->band[b].peak = 0.0f;
        s->band[b].since = SPECTRUM_FALL_S;
    }
}

static float bin_power(const kiss_fft_cpx *c)
{
    return c->r * c->r + c->i * c->i;
}

/* The band's loudest bin as a bar height in [0, 1], before dynamics. */
static float band_level(const struct spectrum *s, const struct band *b)
{
    float p = 0.0f;
    if (b->hi >= b->lo) {
        for (int i = b->lo; i <= b->hi; i++) {
            float q = bin_power(&s->bins[i]);
            if (q > p) /* false for NaN, so a NaN bin is skipped */
                p = q;
        }
    } else {
        float m0 = sqrtf(bin_power(&s->bins[b->i0]));
        float m1 = sqrtf(bin_power(&s->bins[b->i0 + 1]));
        float m = m0 + b->frac * (m1 - m0);
        p = m * m;
    }
    if (!(p > 0.0f))
        return 0.0f;
    float db = 10.0f * log10f(p) + s->gain_db;
    float v = (db - SPECTRUM_MIN_DB) / (SPECTRUM_MAX_DB - SPECTRUM_MIN_DB);
    if (!(v > 0.0f)) /* also NaN */
        return 0.0f;
    return v > 1.0f ? 1.0f : v;
}

void spectrum_process(struct spectrum *s, const float *mono, size_t n, float dt_s, float *out)
{
    size_t N = (size_t)s->fft_size;
    size_t pad = 0;
    if (n > N) {
        mono += n - N;
        n = N;
    } else {
        pad = N - n;
        memset(s->frame, 0, pad * sizeof *s->frame);
    }
    for (size_t i = 0; i < n; i++)
        s->frame[pad + i] = mono[i] * s->window[pad + i];
    kiss_fftr(s->fft, s->frame, s->bins);

    if (!(dt_s > 0.0f)) /* also NaN */
        dt_s = 0.0f;
    const float k = 1.0f / SPECTRUM_FALL_S;
    for (int bi = 0; bi < s->nbands; bi++) {
        struct band *b = &s->band[bi];
        float x = band_level(s, b);

        /* Gravity: the fall depends only on the time since the peak, never on how many frames
         * passed, so every frame rate traces the same curve. */
        b->since += dt_s;
        if (b->since > SPECTRUM_FALL_S)
            b->since = SPECTRUM_FALL_S;
        float kt = k * b->since;
        float fall = b->peak * (1.0f - kt * kt);
        if (fall < 0.0f)
            fall = 0.0f;
        if (x >= fall) {
            b->peak = x;
            b->since = 0.0f;
            out[bi] = x;
        } else {
            out[bi] = fall;
        }
    }
}
