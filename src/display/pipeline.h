/* pipeline.h: the display's media pipeline: what the cells show is fetched into the disk cache,
 * decoded on a worker thread, and handed to the renderer (images) or to audio (the audible
 * cell's clip), whose played samples drive the spectrum bars. Stepped once per frame. */
#ifndef PANIC_DISPLAY_PIPELINE_H
#define PANIC_DISPLAY_PIPELINE_H

#include "display/core/app.h"
#include "mediacache.h"
#include "render_sdl.h"
#include "spectrum.h"
#include "sync.h"

#include <stddef.h>

struct pipeline;

/* Borrowed, and must outlive the pipeline. */
struct pipeline_parts {
    struct app *app;
    struct sync *sync;
    struct mediacache *cache;
    struct render *render;
};

/* Starts the decoder thread, audio and the spectrum. Owned; pipeline_free. NULL + err. */
struct pipeline *pipeline_new(const struct pipeline_parts *parts, enum spectrum_bands bands,
                              char *err, size_t errlen);
void pipeline_free(struct pipeline *p);
/* Pause or resume the sound (the TV is off: nothing is heard, nothing is stepped). */
void pipeline_pause_audio(struct pipeline *p, int paused);
/* Take what the decoder finished, ask for what the cells need, advance audio by dt_s and the
 * spectrum with it (at most 24 times a second, only while a clip plays). Never waits. Returns 1
 * if the visualiser moved. */
int pipeline_step(struct pipeline *p, float dt_s);
/* The spectrum of what is playing: *n values in [0, 1], borrowed until the next step. */
const float *pipeline_bars(const struct pipeline *p, int *n);
/* The media name of the clip playing, "" if none. */
const char *pipeline_playing(const struct pipeline *p);

#endif
