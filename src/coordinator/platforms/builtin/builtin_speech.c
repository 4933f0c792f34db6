/* builtin_speech.c: the builtin voices. espeak-ng (formant synthesis, lively and a little alien,
 * so speech recognition drifts) and flite's cmu_us_slt (diphone, clear enough that a recogniser
 * nearly always hears the words back). Both synthesise into memory, never to an audio device,
 * and the samples become a WAV file with builtin_wav_encode. Each library is optional at build
 * time (PANIC_HAVE_ESPEAK, PANIC_HAVE_FLITE). Both keep process-global state, so one thread
 * must own them; the builtin platform's worker is that thread. Nothing here knows about the
 * media store or the event loop. */
#include "builtin_engines.h"
#include "common/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef PANIC_HAVE_ESPEAK
#include <espeak-ng/espeak_ng.h>
#include <stdatomic.h>
#endif
#ifdef PANIC_HAVE_FLITE
#include <flite/flite.h>
#include <setjmp.h>
#endif

#if defined(PANIC_HAVE_ESPEAK) || defined(PANIC_HAVE_FLITE)

/* The text a voice should speak: at most BUILTIN_TTS_MAX bytes, cut at a space, NULL if there is
 * nothing but blanks. ascii_only replaces bytes >= 0x80 with spaces (flite reads Latin-1 and
 * would spell out UTF-8 byte by byte). Owned. */
static char *speakable(const char *text, int ascii_only)
{
    size_t len = strlen(text);
    if (len > BUILTIN_TTS_MAX) {
        len = BUILTIN_TTS_MAX;
        while (len > BUILTIN_TTS_MAX / 2 && text[len] != ' ')
            len--;
        while (len > 0 && ((unsigned char)text[len] & 0xc0) == 0x80)
            len--;
    }
    char *s = xstrndup(text, len);
    int blank = 1;
    for (unsigned char *p = (unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f || (ascii_only && *p >= 0x80))
            *p = ' ';
        if (*p != ' ')
            blank = 0;
    }
    if (blank) {
        free(s);
        return NULL;
    }
    return s;
}

#endif

/* ---- espeak-ng ---- */

#ifdef PANIC_HAVE_ESPEAK

#define ESPEAK_VOICE "en-us"
#define ESPEAK_WPM 150
#define ESPEAK_PITCH 50 /* espeak's own default, 0..100 */

struct builtin_espeak {
    int rate;
    struct buf pcm; /* samples of the current utterance, reused between calls */
};

static atomic_int espeak_taken;
/* The engine is set up once per process and never terminated: espeak-ng 1.51 does not come
 * back from espeak_ng_Terminate (a second Initialize leaves its command fifo marked busy and the
 * next Synchronize spins forever). Only the thread that holds the handle touches it. */
static int espeak_ready;
static int espeak_rate;
static char espeak_error[PANIC_ERR_LEN];

int builtin_espeak_check(char *why, size_t whylen)
{
    (void)why;
    (void)whylen;
    return 1;
}

static void espeak_reason(espeak_ng_STATUS st, const char *what, char *err, size_t errlen)
{
    char msg[160];
    espeak_ng_GetStatusCodeMessage(st, msg, sizeof msg);
    snprintf(err, errlen, "espeak-ng: %s: %s", what, msg);
}

/* Synchronous mode calls this from inside espeak_ng_Synthesize on the same thread; wav is NULL
 * at the end of the utterance. Returning 0 means go on. */
static int espeak_collect(short *wav, int n, espeak_EVENT *events)
{
    struct buf *pcm = events->user_data;
    if (wav && n > 0 && pcm)
        buf_append(pcm, wav, (size_t)n * sizeof *wav);
    return 0;
}

static void espeak_setup(void)
{
    espeak_ng_ERROR_CONTEXT ctx = NULL;
    espeak_ng_InitializePath(NULL);
    espeak_ng_STATUS st = espeak_ng_Initialize(&ctx);
    if (st != ENS_OK) {
        espeak_reason(st, "cannot load its data (install espeak-ng-data)", espeak_error,
                      sizeof espeak_error);
        espeak_ng_ClearErrorContext(&ctx);
        return;
    }
    st = espeak_ng_InitializeOutput(ENOUTPUT_MODE_SYNCHRONOUS, 0, NULL);
    if (st == ENS_OK)
        st = espeak_ng_SetVoiceByName(ESPEAK_VOICE);
    if (st == ENS_OK)
        st = espeak_ng_SetParameter(espeakRATE, ESPEAK_WPM, 0);
    if (st != ENS_OK) {
        espeak_reason(st, "cannot set up the " ESPEAK_VOICE " voice", espeak_error,
                      sizeof espeak_error);
        return;
    }
    espeak_rate = espeak_ng_GetSampleRate();
    espeak_SetSynthCallback(espeak_collect);
}

struct builtin_espeak *builtin_espeak_open(char *err, size_t errlen)
{
    if (atomic_exchange(&espeak_taken, 1)) {
        snprintf(err, errlen, "espeak-ng: already in use by another handle");
        return NULL;
    }
    /* espeak_taken orders this against the previous holder, on whatever thread it was. */
    if (!espeak_ready) {
        espeak_setup();
        espeak_ready = 1;
    }
    if (espeak_error[0]) {
        snprintf(err, errlen, "%s", espeak_error);
        atomic_store(&espeak_taken, 0);
        return NULL;
    }
    struct builtin_espeak *e = xcalloc(1, sizeof *e);
    e->rate = espeak_rate;
    return e;
}

int builtin_espeak_say(struct builtin_espeak *e, const char *text, uint64_t variation,
                       struct buf *out, char *err, size_t errlen)
{
    char *s = speakable(text, 0);
    if (!s) {
        snprintf(err, errlen, "espeak-ng: the text has nothing to say");
        return -EINVAL;
    }
    /* 0 is the plain voice; anything else picks one of 25 rate and pitch pairs around it. */
    int rate = ESPEAK_WPM, pitch = ESPEAK_PITCH;
    if (variation) {
        uint64_t v = variation * 0x9e3779b97f4a7c15ull >> 32;
        rate = ESPEAK_WPM - 16 + (int)(v % 5) * 8;
        pitch = ESPEAK_PITCH - 12 + (int)(v / 5 % 5) * 6;
    }
    espeak_ng_SetParameter(espeakRATE, rate, 0);
    espeak_ng_SetParameter(espeakPITCH, pitch, 0);
    buf_reset(&e->pcm);
    /* Synchronous mode: the callback has had every sample when this returns. */
    espeak_ng_STATUS st = espeak_ng_Synthesize(s, strlen(s) + 1, 0, POS_CHARACTER, 0,
                                               espeakCHARS_UTF8, NULL, &e->pcm);
    free(s);
    if (st != ENS_OK) {
        espeak_reason(st, "synthesis failed", err, errlen);
        return -EIO;
    }
    if (e->pcm.len < 2) {
        snprintf(err, errlen, "espeak-ng: the text has nothing to say");
        return -EINVAL;
    }
    builtin_wav_encode((const int16_t *)(const void *)e->pcm.data, e->pcm.len / 2, e->rate, out);
    return 0;
}

void builtin_espeak_close(struct builtin_espeak *e)
{
    if (!e)
        return;
    buf_free(&e->pcm);
    free(e);
    atomic_store(&espeak_taken, 0);
}

#else

int builtin_espeak_check(char *why, size_t whylen)
{
    snprintf(why, whylen, "this panicd was built without espeak-ng (libespeak-ng-dev)");
    return 0;
}

struct builtin_espeak *builtin_espeak_open(char *err, size_t errlen)
{
    builtin_espeak_check(err, errlen);
    return NULL;
}

int builtin_espeak_say(struct builtin_espeak *e, const char *text, uint64_t variation,
                       struct buf *out, char *err, size_t errlen)
{
    (void)e;
    (void)text;
    (void)variation;
    (void)out;
    builtin_espeak_check(err, errlen);
    return -ENOSYS;
}

void builtin_espeak_close(struct builtin_espeak *e)
{
    (void)e;
}

#endif

/* ---- flite ---- */

#ifdef PANIC_HAVE_FLITE

/* The voice library has no header of its own. */
cst_voice *register_cmu_us_slt(const char *voxdir);
void unregister_cmu_us_slt(cst_voice *v);

struct builtin_flite {
    cst_voice *voice;
};

int builtin_flite_check(char *why, size_t whylen)
{
    (void)why;
    (void)whylen;
    return 1;
}

struct builtin_flite *builtin_flite_open(char *err, size_t errlen)
{
    flite_init();
    cst_voice *v = register_cmu_us_slt(NULL);
    if (!v) {
        snprintf(err, errlen, "flite: cannot load the cmu_us_slt voice");
        return NULL;
    }
    struct builtin_flite *f = xcalloc(1, sizeof *f);
    f->voice = v;
    return f;
}

int builtin_flite_say(struct builtin_flite *f, const char *text, struct buf *out, char *err,
                      size_t errlen)
{
    char *s = speakable(text, 1);
    if (!s) {
        snprintf(err, errlen, "flite: the text has nothing to say");
        return -EINVAL;
    }
    /* flite's errors exit() the process unless cst_errjmp is set: catch them instead. What
     * flite had allocated before the jump leaks, which beats losing the daemon. */
    jmp_buf jb;
    jmp_buf *volatile saved = cst_errjmp;
    cst_wave *volatile w = NULL;
    cst_errjmp = &jb;
    if (setjmp(jb) == 0)
        w = flite_text_to_wave(s, f->voice);
    cst_errjmp = saved;
    free(s);
    if (!w || w->num_samples <= 0 || w->num_channels != 1) {
        if (w)
            delete_wave(w);
        snprintf(err, errlen, "flite: synthesis failed");
        return -EIO;
    }
    builtin_wav_encode(w->samples, (size_t)w->num_samples, w->sample_rate, out);
    delete_wave(w);
    return 0;
}

void builtin_flite_close(struct builtin_flite *f)
{
    if (!f)
        return;
    unregister_cmu_us_slt(f->voice);
    free(f);
}

#else

int builtin_flite_check(char *why, size_t whylen)
{
    snprintf(why, whylen, "this panicd was built without flite (flite1-dev)");
    return 0;
}

struct builtin_flite *builtin_flite_open(char *err, size_t errlen)
{
    builtin_flite_check(err, errlen);
    return NULL;
}

int builtin_flite_say(struct builtin_flite *f, const char *text, struct buf *out, char *err,
                      size_t errlen)
{
    (void)f;
    (void)text;
    (void)out;
    builtin_flite_check(err, errlen);
    return -ENOSYS;
}

void builtin_flite_close(struct builtin_flite *f)
{
    (void)f;
}

#endif
