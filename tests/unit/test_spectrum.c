/* test_spectrum.c: the visualiser's DSP as a blueprint test in the manner of cava's: pure sines
 * land in the band whose centre is nearest, silence gives zeros, louder gives taller, bars fall
 * under gravity to zero in time and trace the same curve at 24 and 60 fps, and nothing ever
 * leaves [0, 1] or turns into NaN. Signals are synthesised; no audio device. */
#include "display/spectrum.h"
#include "test.h"

#include <math.h>
#include <stdlib.h>

#define RATE 48000
#define MAXN 4096
#define MAXB 64
#define TAU 6.28318530717958647692

static float buf[MAXN];
static float bars[MAXB];

/* Samples [first, first + n) of a sine that starts at sample 0. */
static void sine_at(float *x, size_t n, long first, double hz, double amp)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(amp * sin(TAU * hz * (double)(first + (long)i) / RATE));
}

/* The same sine, but silent from sample stop on. */
static void sine_until(float *x, size_t n, long first, double hz, double amp, long stop)
{
    sine_at(x, n, first, hz, amp);
    for (size_t i = 0; i < n; i++)
        if (first + (long)i >= stop)
            x[i] = 0.0f;
}

static int argmax(const float *v, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (v[i] > v[best])
            best = i;
    return best;
}

/* The band whose centre is nearest hz on a log axis. */
static int nearest_band(const struct spectrum *s, double hz)
{
    int best = 0;
    double bd = 1e9;
    for (int b = 0; b < spectrum_nbands(s); b++) {
        double d = fabs(log2(spectrum_band_hz(s, b) / hz));
        if (d < bd) {
            bd = d;
            best = b;
        }
    }
    return best;
}

static int all_in_range(const float *v, int n)
{
    for (int i = 0; i < n; i++)
        if (!(v[i] >= 0.0f && v[i] <= 1.0f)) /* also catches NaN */
            return 0;
    return 1;
}

static const double tones[] = {63, 125, 250, 500, 1000, 2000, 4000, 8000};
#define NTONES ((int)(sizeof tones / sizeof tones[0]))

TEST(layout)
{
    struct spectrum *s = spectrum_new(RATE, 2048, SPECTRUM_OCTAVE);
    CHECK(s);
    CHECK_EQ_INT(spectrum_nbands(s), 9);
    CHECK_NEAR(spectrum_band_hz(s, 0), 62.5, 1e-3);
    CHECK_NEAR(spectrum_band_hz(s, 8), 16000, 1e-1);
    CHECK(spectrum_band_hz(s, 9) == 0.0f);
    CHECK(spectrum_band_hz(s, -1) == 0.0f);
    spectrum_free(s);

    s = spectrum_new(RATE, 4096, SPECTRUM_THIRD);
    CHECK(s);
    CHECK_EQ_INT(spectrum_nbands(s), 27);
    CHECK_NEAR(spectrum_band_hz(s, 0), 49.6, 0.1);
    for (int b = 1; b < spectrum_nbands(s); b++) {
        CHECK_NEAR(spectrum_band_hz(s, b) / spectrum_band_hz(s, b - 1), pow(2, 1 / 3.0), 1e-4);
        CHECK(spectrum_band_hz(s, b) >= 40.0f && spectrum_band_hz(s, b) < RATE / 2);
    }
    spectrum_free(s);

    /* A low rate drops the bands at and above Nyquist. */
    s = spectrum_new(8000, 1024, SPECTRUM_OCTAVE);
    CHECK(s);
    CHECK_EQ_INT(spectrum_nbands(s), 6); /* 63 .. 2000 Hz */
    spectrum_free(s);
    s = spectrum_new(44100, 2048, SPECTRUM_OCTAVE);
    CHECK_EQ_INT(spectrum_nbands(s), 9);
    spectrum_free(s);

    CHECK(spectrum_new(0, 2048, SPECTRUM_OCTAVE) == NULL);
    CHECK(spectrum_new(RATE, 2047, SPECTRUM_OCTAVE) == NULL);
    CHECK(spectrum_new(RATE, 32, SPECTRUM_OCTAVE) == NULL);
    CHECK(spectrum_new(RATE, 2048, (enum spectrum_bands)7) == NULL);
    CHECK(spectrum_new(60, 64, SPECTRUM_OCTAVE) == NULL); /* Nyquist 30 Hz: no band fits */
    spectrum_free(NULL);
}

/* Octave mode: the tallest bar is the nearest band, both at 0.5 (where neighbours may also
 * clip at 1, so ties are allowed) and at 0.01 (no clipping: it must be the strict maximum). */
TEST(sines_octave)
{
    static const int sizes[] = {2048, 4096};
    for (int z = 0; z < 2; z++) {
        int N = sizes[z];
        struct spectrum *s = spectrum_new(RATE, N, SPECTRUM_OCTAVE);
        int nb = spectrum_nbands(s);
        for (int t = 0; t < NTONES; t++) {
            int want = nearest_band(s, tones[t]);

            spectrum_reset(s);
            sine_at(buf, (size_t)N, 1234, tones[t], 0.5);
            spectrum_process(s, buf, (size_t)N, 0.0f, bars);
            int got = argmax(bars, nb);
            if (bars[got] > bars[want] || bars[want] < 0.99f)
                TEST_FAIL_AT("N=%d %.0f Hz amp 0.5: band %d (%.1f Hz) = %.3f, want band %d = %.3f",
                             N, tones[t], got, (double)spectrum_band_hz(s, got), (double)bars[got],
                             want, (double)bars[want]);
            CHECK(all_in_range(bars, nb));

            spectrum_reset(s);
            sine_at(buf, (size_t)N, 1234, tones[t], 0.01);
            spectrum_process(s, buf, (size_t)N, 0.0f, bars);
            got = argmax(bars, nb);
            for (int b = 0; b < nb; b++)
                if (b != want && bars[b] >= bars[want])
                    TEST_FAIL_AT("N=%d %.0f Hz amp 0.01: band %d = %.3f >= band %d = %.3f", N,
                                 tones[t], b, (double)bars[b], want, (double)bars[want]);
        }
        spectrum_free(s);
    }
}

/* Third-octave mode: the tallest bar is within one band of the nearest (neighbours share a
 * Hann main lobe). At 0.01 no bar clips, so argmax is meaningful. */
TEST(sines_third)
{
    static const int sizes[] = {2048, 4096};
    for (int z = 0; z < 2; z++) {
        int N = sizes[z];
        struct spectrum *s = spectrum_new(RATE, N, SPECTRUM_THIRD);
        int nb = spectrum_nbands(s);
        for (int t = 0; t < NTONES; t++) {
            int want = nearest_band(s, tones[t]);
            static const double amps[] = {0.5, 0.01};
            for (int a = 0; a < 2; a++) {
                spectrum_reset(s);
                sine_at(buf, (size_t)N, 777, tones[t], amps[a]);
                spectrum_process(s, buf, (size_t)N, 0.0f, bars);
                int got = argmax(bars, nb);
                if (abs(got - want) > 1)
                    TEST_FAIL_AT("N=%d %.0f Hz amp %g: band %d (%.1f Hz), want %d (%.1f Hz)", N,
                                 tones[t], amps[a], got, (double)spectrum_band_hz(s, got), want,
                                 (double)spectrum_band_hz(s, want));
                CHECK(all_in_range(bars, nb));
            }
        }
        spectrum_free(s);
    }
}

TEST(silence)
{
    for (int mode = 0; mode < 2; mode++) {
        struct spectrum *s = spectrum_new(RATE, 2048, mode ? SPECTRUM_THIRD : SPECTRUM_OCTAVE);
        int nb = spectrum_nbands(s);
        memset(buf, 0, sizeof buf);
        for (int f = 0; f < 3; f++) {
            spectrum_process(s, buf, 2048, 1 / 60.0f, bars);
            for (int b = 0; b < nb; b++)
                CHECK(bars[b] == 0.0f);
        }
        /* Sound, then reset: back to zeros at once. */
        sine_at(buf, 2048, 0, 1000, 0.5);
        spectrum_process(s, buf, 2048, 1 / 60.0f, bars);
        CHECK(bars[argmax(bars, nb)] > 0.9f);
        spectrum_reset(s);
        memset(buf, 0, sizeof buf);
        spectrum_process(s, buf, 2048, 1 / 60.0f, bars);
        for (int b = 0; b < nb; b++)
            CHECK(bars[b] == 0.0f);
        spectrum_free(s);
    }
}

TEST(louder_is_taller)
{
    struct spectrum *s = spectrum_new(RATE, 2048, SPECTRUM_OCTAVE);
    int band = nearest_band(s, 1000);
    static const double amps[] = {0.0003, 0.001, 0.003, 0.01, 0.03};
    float prev = -1.0f;
    for (int a = 0; a < 5; a++) {
        spectrum_reset(s);
        sine_at(buf, 2048, 0, 1000, amps[a]);
        spectrum_process(s, buf, 2048, 0.0f, bars);
        if (!(bars[band] > prev + 0.05f))
            TEST_FAIL_AT("amp %g: %.3f not above %.3f", amps[a], (double)bars[band], (double)prev);
        prev = bars[band];
    }
    /* A bin-centred sine (1031.25 Hz = bin 44) of amplitude A reads 20 log10(A) dB exactly:
     * 0.01 is -40 dB, i.e. (85 - 40) / 60 = 0.75. */
    spectrum_reset(s);
    sine_at(buf, 2048, 0, 1031.25, 0.01);
    spectrum_process(s, buf, 2048, 0.0f, bars);
    CHECK_NEAR(bars[band], 0.75, 0.01);
    spectrum_free(s);
}

/* Streams a 1 kHz sine that stops at stop_s through a fps-rate frame loop (each frame sees the
 * last N samples, as from the ring) and records the tallest bar at each frame. Returns the time
 * after the stop at which every bar first read 0, or -1. */
static double stream(int N, int fps, double stop_s, double end_s, float *trace, int *nframes)
{
    struct spectrum *s = spectrum_new(RATE, N, SPECTRUM_OCTAVE);
    int nb = spectrum_nbands(s);
    long stop = (long)(stop_s * RATE);
    double zero_at = -1;
    int f = 0;
    for (; (double)f / fps <= end_s + 1e-9; f++) {
        long now = (long)((double)f * RATE / fps + 0.5);
        sine_until(buf, (size_t)N, now - N, 1000, 0.5, stop);
        spectrum_process(s, buf, (size_t)N, f ? 1.0f / fps : 0.0f, bars);
        trace[f] = bars[argmax(bars, nb)];
        if (!all_in_range(bars, nb))
            TEST_FAIL_AT("N=%d fps=%d frame %d out of range", N, fps, f);
        if (trace[f] == 0.0f && zero_at < 0 && now > stop)
            zero_at = (double)(now - stop) / RATE;
    }
    *nframes = f;
    spectrum_free(s);
    return zero_at;
}

TEST(gravity_falls_in_time)
{
    static float trace[200];
    static const int sizes[] = {2048, 4096};
    static const int rates[] = {24, 60};
    for (int z = 0; z < 2; z++) {
        for (int r = 0; r < 2; r++) {
            int fps = rates[r], nf;
            double zero = stream(sizes[z], fps, 1.0, 2.0, trace, &nf);
            printf("  N=%d fps=%d: silent %.3f s after the sine stopped\n", sizes[z], fps, zero);
            if (!(zero > 0 && zero <= 0.7))
                TEST_FAIL_AT("N=%d fps=%d: bars reached 0 after %.3f s", sizes[z], fps, zero);
            /* Gravity, not a cut: a third of the way down the fall the bar is still high, and
             * once silent it stays silent. */
            int f03 = (int)(1.3 * fps + 0.5);
            CHECK(trace[f03] > 0.5f);
            for (int f = (int)(1.75 * fps); f < nf; f++)
                CHECK(trace[f] == 0.0f);
        }
    }
}

/* The fall curve is a function of time, not frames: frames at 24 and 60 fps that fall at the
 * same instant agree. The sine is switched off between frames (each frame analyses either a
 * full sine window or silence) so both rates see the same peak; with a streamed stop the
 * faster rate also catches the sine's tail leaving the FFT window, covered by the test above. */
TEST(gravity_frame_rate_independent)
{
    static float at24[200], at60[200];
    const int N = 2048;
    float *traces[2] = {at24, at60};
    static const int rates[] = {24, 60};
    for (int r = 0; r < 2; r++) {
        struct spectrum *s = spectrum_new(RATE, N, SPECTRUM_OCTAVE);
        int nb = spectrum_nbands(s), fps = rates[r];
        for (int f = 0; f <= 2 * fps; f++) {
            long now = (long)((double)f * RATE / fps + 0.5);
            if (f <= fps / 2) /* on up to and including t = 0.5 s */
                sine_at(buf, (size_t)N, now - N, 1000, 0.003); /* below clipping */
            else
                memset(buf, 0, sizeof buf);
            spectrum_process(s, buf, (size_t)N, f ? 1.0f / fps : 0.0f, bars);
            traces[r][f] = bars[argmax(bars, nb)];
        }
        spectrum_free(s);
    }
    /* Common instants: every 1/12 s (2 frames at 24 fps, 5 at 60 fps) up to 2 s. */
    double worst = 0;
    for (int i = 0; i <= 24; i++) {
        double d = fabs((double)at24[2 * i] - (double)at60[5 * i]);
        if (d > worst)
            worst = d;
        if (d > 0.05)
            TEST_FAIL_AT("t=%.3f s: %.3f at 24 fps vs %.3f at 60 fps", i / 12.0,
                         (double)at24[2 * i], (double)at60[5 * i]);
    }
    printf("  worst 24 vs 60 fps difference %.4f\n", worst);
    /* The curve itself: peak * (1 - (t / 0.6)^2) from the last sine frame at t = 0.5 s. */
    CHECK(at60[30] > 0.5f && at60[30] < 0.9f);
    CHECK_NEAR(at60[30 + 18], 0.75 * at60[30], 0.01); /* 0.3 s after: 1 - 0.5^2 */
    CHECK(at60[30 + 36] == 0.0f);                     /* 0.6 s after */
}

TEST(nasty_inputs)
{
    for (int mode = 0; mode < 2; mode++) {
        struct spectrum *s = spectrum_new(RATE, 4096, mode ? SPECTRUM_THIRD : SPECTRUM_OCTAVE);
        int nb = spectrum_nbands(s);

        for (int i = 0; i < 4096; i++) /* DC at full scale */
            buf[i] = 1.0f;
        spectrum_process(s, buf, 4096, 1 / 60.0f, bars);
        CHECK(all_in_range(bars, nb));
        CHECK(bars[0] < 0.5f); /* DC stays below the lowest band */

        for (int i = 0; i < 4096; i++) /* full-scale 1 kHz square */
            buf[i] = (i / 24) % 2 ? 1.0f : -1.0f;
        spectrum_process(s, buf, 4096, 1 / 60.0f, bars);
        CHECK(all_in_range(bars, nb));

        srand(42);
        for (int f = 0; f < 10; f++) { /* full-scale white noise */
            for (int i = 0; i < 4096; i++)
                buf[i] = 2.0f * (float)rand() / (float)RAND_MAX - 1.0f;
            spectrum_process(s, buf, 4096, 1 / 24.0f, bars);
            CHECK(all_in_range(bars, nb));
        }

        buf[100] = NAN; /* a bad sample, a bad clock */
        spectrum_process(s, buf, 4096, NAN, bars);
        CHECK(all_in_range(bars, nb));
        buf[100] = INFINITY;
        spectrum_process(s, buf, 4096, -1.0f, bars);
        CHECK(all_in_range(bars, nb));
        spectrum_process(s, buf, 4096, 1e30f, bars);
        CHECK(all_in_range(bars, nb));
        spectrum_free(s);
    }
}

/* Fewer samples than fft_size are zero-padded in front; more use only the newest. */
TEST(short_and_long_input)
{
    static float big[2 * MAXN];
    static float ref[MAXB];
    struct spectrum *s = spectrum_new(RATE, 2048, SPECTRUM_THIRD);
    int nb = spectrum_nbands(s);

    memset(buf, 0, sizeof buf);
    sine_at(buf + 1024, 1024, 0, 440, 0.3);
    spectrum_process(s, buf, 2048, 0.0f, ref);
    spectrum_reset(s);
    spectrum_process(s, buf + 1024, 1024, 0.0f, bars);
    for (int b = 0; b < nb; b++)
        CHECK(bars[b] == ref[b]);

    spectrum_reset(s);
    sine_at(big, 3000, 0, 440, 0.3);
    spectrum_process(s, big + 952, 2048, 0.0f, ref);
    spectrum_reset(s);
    spectrum_process(s, big, 3000, 0.0f, bars);
    for (int b = 0; b < nb; b++)
        CHECK(bars[b] == ref[b]);
    spectrum_free(s);
}

int main(void)
{
    RUN(layout);
    RUN(sines_octave);
    RUN(sines_third);
    RUN(silence);
    RUN(louder_is_taller);
    RUN(gravity_falls_in_time);
    RUN(gravity_frame_rate_independent);
    RUN(nasty_inputs);
    RUN(short_and_long_input);
    TEST_END("test_spectrum");
}
