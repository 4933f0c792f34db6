/* builtin_engines.h: the offline engines behind the builtin platform, one adapter per library
 * (espeak-ng, flite, pocketsphinx, tesseract, FreeType), plus the pure helpers they share (WAV
 * encoding and decoding, the picture describer, the prompt parrot).
 *
 * Threading: an engine handle is created, used and closed by one thread only (the platform's
 * worker). The *_check functions only look at files and compile-time flags, so any thread may
 * call them. The pure helpers keep no state at all.
 *
 * Each adapter builds with or without its library (PANIC_HAVE_ESPEAK, PANIC_HAVE_FLITE,
 * PANIC_HAVE_SPHINX, PANIC_HAVE_TESSERACT, PANIC_HAVE_FREETYPE): without it, *_check says so and
 * *_open fails with that reason. */
#ifndef PANIC_BUILTIN_ENGINES_H
#define PANIC_BUILTIN_ENGINES_H

#include "common/buf.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* The rate pocketsphinx's en-us acoustic model wants. */
#define BUILTIN_ASR_RATE 16000
/* Longest audio the recogniser listens to; the rest is ignored (bounds the decode time). */
#define BUILTIN_ASR_MAX_S 60
/* Longest text the voices speak, in bytes; longer text is cut at a word boundary. */
#define BUILTIN_TTS_MAX 1000

/* ---- pure helpers (builtin_wav.c, builtin_describe.c, builtin_parrot.c) ---- */

/* Append a RIFF/WAVE PCM 16-bit mono file of n samples at rate to out. */
void builtin_wav_encode(const int16_t *pcm, size_t n, int rate, struct buf *out);

/* Decode a RIFF/WAVE PCM 16-bit file (any rate, any channel count, WAVE_FORMAT_EXTENSIBLE too)
 * into 16 kHz mono: channels are averaged, the rate converted by linear interpolation, and at
 * most max_s seconds kept. *pcm is owned (free()); *n may be 0 for an empty data chunk. 0, or
 * -EINVAL (not a WAV), -ENOTSUP (not 16-bit PCM) with the reason in err. */
int builtin_wav_decode_16k(const void *data, size_t len, int max_s, int16_t **pcm, size_t *n,
                           char *err, size_t errlen);

/* A one-sentence description of a picture given as packed RGB (w*h*3 bytes): its brightness,
 * its dominant colour names and how busy it is, e.g. "A dark picture, mostly navy and black, with
 * some orange; calm, large flat areas." Owned, free(). Deterministic; w and h may be 0. */
char *builtin_describe_rgb(const uint8_t *rgb, int w, int h);

/* What the recogniser answers when it hears no words in pcm (16 kHz mono): a sentence about the
 * sound instead, e.g. "No words, only 3 seconds of loud low hum." Owned, free(). Deterministic. */
char *builtin_describe_pcm(const int16_t *pcm, size_t n, int rate);

/* The prompt parrot: keep the subject of text and dress it with style words, mediums, lighting
 * and "quality" modifiers from built-in lists, some of the previous modifiers kept so a loop
 * drifts instead of resetting. The same (text, counter) always gives the same answer; a new
 * counter (the invocation id) gives a different one. Valid UTF-8 in, valid UTF-8 out, at most
 * BUILTIN_PARROT_MAX bytes. Owned, free(). */
#define BUILTIN_PARROT_MAX 400
char *builtin_parrot(const char *text, uint64_t counter);

/* ---- espeak-ng (builtin_speech.c) ---- */

/* 1 if this build has the engine and its data is installed, else 0 with the reason. */
int builtin_espeak_check(char *why, size_t whylen);
/* The engine is process-global: it is set up on the first open and kept until the process
 * exits, and only one handle may be open at a time (a second open fails). NULL with a reason. */
struct builtin_espeak *builtin_espeak_open(char *err, size_t errlen);
/* Speak text (UTF-8) as a WAV file appended to out (mono, the engine's rate). variation 0 is
 * the plain voice (150 words a minute, pitch 50); any other value picks a speed and pitch near
 * it, so a loop that comes back to the same words need not hear them the same way (the
 * platform passes the invocation id). 0 or -errno with the reason (-EINVAL for text with
 * nothing to say). */
int builtin_espeak_say(struct builtin_espeak *e, const char *text, uint64_t variation,
                       struct buf *out, char *err, size_t errlen);
void builtin_espeak_close(struct builtin_espeak *e);

/* ---- flite, voice cmu_us_slt (builtin_speech.c) ---- */

int builtin_flite_check(char *why, size_t whylen);
struct builtin_flite *builtin_flite_open(char *err, size_t errlen);
/* As builtin_espeak_say; 16 kHz mono. Non-ASCII characters are spoken as spaces. */
int builtin_flite_say(struct builtin_flite *f, const char *text, struct buf *out, char *err,
                      size_t errlen);
void builtin_flite_close(struct builtin_flite *f);

/* ---- pocketsphinx (builtin_sphinx.c) ---- */

/* The en-us model folder (hmm en-us/, en-us.lm.bin, cmudict-en-us.dict). */
#define BUILTIN_SPHINX_MODEL "/usr/share/pocketsphinx/model/en-us"

int builtin_sphinx_check(const char *model_dir, char *why, size_t whylen);
/* Load the decoder once (about 0.6 s and 100 MB). NULL with a reason. */
struct builtin_sphinx *builtin_sphinx_open(const char *model_dir, char *err, size_t errlen);
/* Recognise 16 kHz mono pcm. The decoder adapts its cepstral mean from one utterance to the
 * next (pocketsphinx's live CMN), so a voice is heard better after a few utterances of it and
 * the answer depends a little on what came before: part of a loop's drift. *text is owned (free())
 * and "" when nothing was recognised. The decode stops early with -ECANCELED when *stop becomes
 * non-zero (checked every half second of audio); stop may be NULL. 0 or -errno with the reason. */
int builtin_sphinx_decode(struct builtin_sphinx *s, const int16_t *pcm, size_t n,
                          const atomic_int *stop, char **text, char *err, size_t errlen);
void builtin_sphinx_close(struct builtin_sphinx *s);

/* ---- tesseract + leptonica (builtin_ocr.c) ---- */

/* A picture has no text when tesseract's mean confidence is under BUILTIN_OCR_MIN_CONF and its
 * words above that confidence hold fewer than BUILTIN_OCR_MIN_ALPHA letters, or when all its
 * words do. (Junk read off shape edges scores 0-50 and drags the mean of a good line down, so
 * the confident words still count.) Words without a letter or digit are always dropped. */
#define BUILTIN_OCR_MIN_CONF 60
#define BUILTIN_OCR_MIN_ALPHA 3
/* At most this many bytes of text are read off a picture (whole words). */
#define BUILTIN_OCR_MAX 1000

int builtin_ocr_check(char *why, size_t whylen);
/* Initialise tesseract with English once. NULL with a reason. */
struct builtin_ocr *builtin_ocr_open(char *err, size_t errlen);
/* Read the picture at path (PNG, JPEG, WebP, whatever leptonica reads). *text (owned) is the
 * words found, in reading order, separated by single spaces, or, when there is no text (see
 * above), the builtin_describe_rgb description of the picture; *described says which. *conf gets
 * the mean confidence (of the words kept, when the mean was low); conf may be NULL. Stops early
 * with -ECANCELED once *stop is non-zero (stop may be NULL). 0 or -errno with the reason. */
int builtin_ocr_read(struct builtin_ocr *o, const char *path, const atomic_int *stop, char **text,
                     int *described, int *conf, char *err, size_t errlen);
void builtin_ocr_close(struct builtin_ocr *o);

/* ---- the typographic renderer (builtin_type.c) ---- */

#define BUILTIN_TYPE_W 1280
#define BUILTIN_TYPE_H 720
#define BUILTIN_FONT_FILE "DepartureMono-Regular.otf"

/* Where the font is: the first of /usr/local/share/panic/fonts, /usr/share/panic/fonts, ./fonts
 * that holds it, into path. 0 or -ENOENT. */
int builtin_font_find(char *path, size_t pathlen);
int builtin_type_check(char *why, size_t whylen);
/* Load the font once; font_path NULL finds it. NULL with a reason. */
struct builtin_type *builtin_type_open(const char *font_path, char *err, size_t errlen);
/* Draw text into a BUILTIN_TYPE_W x BUILTIN_TYPE_H PNG appended to out. The look (colours, size,
 * wrapping, position, the flat shapes behind) comes from a hash of the text: same text, same
 * bytes. Ink and background always differ enough for OCR, and no shape touches the text. 0 or
 * -errno with the reason. */
int builtin_type_render(struct builtin_type *t, const char *text, struct buf *out, char *err,
                        size_t errlen);
void builtin_type_close(struct builtin_type *t);

#endif
