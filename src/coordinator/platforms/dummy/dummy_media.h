/* dummy_media.h: deterministic placeholder media for the dummy AI platform. The same seed bytes
 * always give the same file, and different seeds give pictures and sounds that are visibly and
 * audibly different, so a run on a laptop with no API keys still looks like a real run. */
#ifndef PANIC_DUMMY_MEDIA_H
#define PANIC_DUMMY_MEDIA_H

#include "common/buf.h"
#include <stddef.h>

/* Render a deterministic PNG of width x height (the daemon uses 640x360, 16:9) whose picture is
 * derived from the seed bytes (hash them, e.g. FNV-1a/splitmix64, to drive colours and shapes).
 * Appends the PNG file bytes to out. Returns 0 or a negative errno. Same seed -> same bytes.
 *
 * The picture is a flat background plus flat rectangles, circles, rings and striped panels, all
 * in at least three distinct colours, never gradients. seed may be NULL only when len is 0.
 * width and height must be in 1..4096, otherwise -EINVAL; -EIO if libpng fails. On error out
 * is left exactly as it was. */
int dummy_png(const void *seed, size_t len, int width, int height, struct buf *out);

/* A deterministic WAV file: RIFF/WAVE, PCM 16-bit mono at 22050 Hz, duration_ms long, made of a few
 * (3-6) tones whose pitches/lengths come from the seed, with short fades so there are no clicks,
 * peak amplitude about half of full scale. Appends the file bytes to out. 0 or a negative errno.
 *
 * The data chunk holds round(duration_ms * 22050 / 1000) samples. duration_ms must be in
 * 1..600000 (ten minutes), otherwise -EINVAL; seed may be NULL only when len is 0. On error out
 * is left exactly as it was. */
int dummy_wav(const void *seed, size_t len, int duration_ms, struct buf *out);

#endif
