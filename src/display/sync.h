/* sync.h: the display's link to the coordinator, on libcurl multi pumped once per frame: load
 * this display's config, catch up with the current run, follow the event stream (reconnecting
 * with back-off and Last-Event-ID), fetch media into the disk cache, post prompts, and send a
 * heartbeat with this display's health every 10 s. Nothing here ever blocks the frame loop. */
#ifndef PANIC_SYNC_H
#define PANIC_SYNC_H

#include "display/core/app.h"
#include "mediacache.h"

#include <stdint.h>

struct sync;

/* No download may grow past what the decoder would read (DECODER_MAX_FILE_BYTES). */
#define SYNC_MEDIA_MAX_BYTES (64u << 20)

struct sync_options {
    const char *coordinator;  /* base URL, e.g. http://panic.local:8080 */
    const char *token;        /* device token for prompts, may be NULL */
    const char *state_dir;    /* last-known state is kept here, may be NULL */
    uint64_t media_max_bytes; /* a download past this is stopped and not tried again; 0:
                                 SYNC_MEDIA_MAX_BYTES */
    int64_t heartbeat_ms;     /* POST .../heartbeat this often; 0: SYNC_HEARTBEAT_MS */
    uint64_t cache_max_bytes; /* the media cache's budget, told in the heartbeat */
};

#define SYNC_HEARTBEAT_MS 10000

/* app and cache are borrowed and must outlive the sync. Owned; sync_free. NULL on failure. */
struct sync *sync_new(const struct sync_options *opt, struct app *app, struct mediacache *cache);
void sync_free(struct sync *s);

/* Do whatever network work is ready, without waiting. now: monotonic ms. */
void sync_pump(struct sync *s, int64_t now);
/* The wait before the next attempt to reach the coordinator after a failure, for a back-off of
 * backoff_ms (0.5 s doubling to 30 s): half of it plus a random share of the other half, drawn
 * from *rng (seeded per display), so displays that lost the coordinator together spread their
 * return over half the back-off instead of coming back in step. */
int64_t sync_retry_delay_ms(int64_t backoff_ms, uint64_t *rng);
/* Make sure media name is in the disk cache (starts a download if needed). 1 if it is there.
 * A name whose download failed is tried again after 1 s, then after twice as long each time up
 * to 5 min; one refused for its size is never fetched again. */
int sync_want_media(struct sync *s, const char *name);
/* Post a prompt for the display's network; the outcome lands in app->message. */
void sync_post_prompt(struct sync *s, const char *prompt, int64_t now);
/* A panic-button press (long: the staff stop); the outcome lands in app->message. A press while
 * the coordinator is unreachable is not queued: the message says so. */
void sync_post_panic(struct sync *s, int long_press, int64_t now);
/* Sleep up to ms, waking early when the coordinator sends something (instead of SDL_Delay, so
 * an event reaches the screen without waiting out the frame interval). */
void sync_wait(struct sync *s, int ms);
/* A frame was presented at now (monotonic ms): the heartbeat's frame rate and p99 frame time
 * count these. Call once per frame. */
void sync_frame(struct sync *s, int64_t now);
/* Connected to the event stream. */
int sync_streaming(const struct sync *s);

#endif
