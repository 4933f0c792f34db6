/* decoder.h: decodes cached media files on a worker thread so no frame waits on disk or a codec.
 * The frame thread queues (name, path, kind) with decoder_request and collects finished jobs
 * with decoder_poll; images come back as ARGB8888 SDL surfaces (the frame thread makes the
 * texture), audio as mono float PCM at the output rate. Only PNG, JPEG and WebP images are
 * decoded, and only after their header's size passed DECODER_MAX_PIXELS. The worker touches no SDL
 * video or renderer state, only surfaces, and fdatasyncs each file before reading it: that is where
 * a fresh download from mediacache becomes durable, off the frame path.
 *
 * decoder_new calls IMG_Init for PNG, JPEG and WebP on the calling thread, so the worker never
 * races SDL_image's lazy codec loading; the program calls IMG_Quit after decoder_free. */
#ifndef PANIC_DECODER_H
#define PANIC_DECODER_H

#include <SDL.h>
#include <stddef.h>

#define DECODER_NAME_MAX 72
#define DECODER_PATH_MAX 1024
#define DECODER_MAX_FILE_BYTES (64u << 20) /* larger files are refused, not read */
#define DECODER_MAX_AUDIO_S 600            /* longer clips are refused */
/* Images of more pixels are refused from their header, before anything is decoded: a small
 * file can claim 16000 x 16000 (1 GB once decoded). 24 M is a large camera's photo. */
#define DECODER_MAX_PIXELS (24u * 1000 * 1000)

enum decode_kind { DECODE_IMAGE, DECODE_AUDIO };

/* One finished job. On success error is "" and exactly one of surface / pcm is set; on failure
 * error says why and neither is. */
struct decoded {
    char name[DECODER_NAME_MAX];
    enum decode_kind kind;
    SDL_Surface *surface; /* IMAGE: ARGB8888, owned by the caller (SDL_FreeSurface) */
    float *pcm;           /* AUDIO: mono float frames, owned by the caller (free) */
    size_t frames;        /* AUDIO: number of frames in pcm */
    int rate;             /* AUDIO: frames per second of pcm (the decoder's out_rate) */
    char error[160];
};

struct decoder;

/* Start the worker. max_dim: images wider or taller are scaled down (aspect kept) to fit
 * max_dim x max_dim, 0 for no limit. out_rate: audio is resampled to it (e.g. 48000). depth:
 * the most jobs in flight (queued, decoding or finished but not yet polled), at least 1. Owned;
 * decoder_free. NULL if SDL cannot create the thread or its locks. */
struct decoder *decoder_new(int max_dim, int out_rate, int depth);
/* Stop the worker: the job being decoded finishes, queued jobs are dropped, and every unpolled
 * result is freed. Blocks for at most one decode. NULL is a no-op. */
void decoder_free(struct decoder *d);

/* Queue a file for decoding; never blocks on the worker. name (a media name, the result's key)
 * and path are copied. 0 if queued, 1 if name is already in flight (queued, decoding or waiting
 * to be polled: the duplicate is ignored), -EAGAIN if depth jobs are in flight, -EINVAL or
 * -ENAMETOOLONG for a bad name or path. */
int decoder_request(struct decoder *d, const char *name, const char *path, enum decode_kind kind);
/* Take one finished job, oldest first: 1 and *out filled (ownership of surface / pcm passes to
 * the caller), or 0 if none is ready. Never blocks on the worker. */
int decoder_poll(struct decoder *d, struct decoded *out);
/* Free what a polled result still owns (surface, pcm) and clear those fields; for callers that
 * drop a result. NULL is a no-op. */
void decoder_release(struct decoded *r);
/* Jobs in flight (queued, decoding, or finished and not yet polled). */
int decoder_pending(struct decoder *d);

#endif
