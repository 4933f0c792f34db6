/* fake_replicate.h: a fake Replicate HTTP API on 127.0.0.1 with a random port, served by
 * libmicrohttpd (a thread per connection) inside the test process, for test_replicate.
 *
 * Routes, speaking the documented shapes (platforms.md section 1):
 *   POST /v1/models/{o}/{n}/predictions   create for an official model
 *   POST /v1/predictions                  create with {"version": ...} (from GET /v1/models)
 *   GET  /v1/predictions/{id}             the prediction: "processing" for its first `polls`
 *                                         GETs, then its final state
 *   GET  /v1/predictions?created_after=   the list, newest first: {"results":[...],"next":null}
 *   POST /v1/predictions/{id}/cancel      marks it canceled (if it has not ended)
 *   GET  /v1/models/{o}/{n}               {"latest_version":{"id": <64 hex for that model>}}
 *   POST /v1/files                        multipart upload: {"id","urls":{"get": ...}}
 *   GET  /files/{name}                    a file added with fake_rep_add_file, else 404
 * Every /v1 route wants "Authorization: Bearer <key>" once a key is set (else 401).
 *
 * Each create takes the next scripted prediction (fake_rep_script); with none scripted it
 * succeeds at once with the text output "fake output". Route faults (fake_rep_fault) answer the
 * next matching requests with a canned answer instead.
 *
 * Threads: the server threads and the test thread share the state under one mutex; everything the
 * test reads is copied out. */
#ifndef PANIC_FAKE_REPLICATE_H
#define PANIC_FAKE_REPLICATE_H

#include <stddef.h>

/* How one create goes. Strings are copied. */
struct fake_rep_pred {
    int create_status;       /* 0: 201 with the prediction; else this status and create_body */
    const char *create_body; /* with create_status (NULL: a {"detail": ...} problem) */
    const char *retry_after; /* Retry-After header with create_status */
    int made;                /* with create_status: the prediction is made all the same */
    int stall_ms;            /* sleep this long (after making it) before answering the create */
    int sync;                /* a create with Prefer: wait gets the final state at once */
    int polls;               /* GETs answering "processing" before the final state */
    const char *status;      /* the final state; NULL: "succeeded" */
    const char *output;      /* JSON text; "$ROOT" becomes http://127.0.0.1:PORT */
    const char *error;       /* for "failed" */
};

struct fake_replicate;

/* Start on 127.0.0.1, port 0. NULL (with the reason printed) on failure. Owned; fake_rep_stop. */
struct fake_replicate *fake_rep_start(void);
void fake_rep_stop(struct fake_replicate *f);

/* "http://127.0.0.1:PORT" and "http://127.0.0.1:PORT/v1". Borrowed, valid until stop. */
const char *fake_rep_root(const struct fake_replicate *f);
const char *fake_rep_base(const struct fake_replicate *f);

void fake_rep_set_key(struct fake_replicate *f, const char *key);
/* Append one create's behaviour to the script. */
void fake_rep_script(struct fake_replicate *f, const struct fake_rep_pred *p);
/* The next n requests whose "METHOD /path" starts with route get status, body (NULL: a problem
 * JSON) and Retry-After, after sleeping stall_ms. A fault on a create makes no prediction. */
void fake_rep_fault(struct fake_replicate *f, const char *route, int status, const char *body,
                    const char *retry_after, int stall_ms, int n);
/* Serve data at /files/{name}. stall_first: the first GET sends headers and a few bytes, then
 * nothing for 3 s (or until stop) and breaks off; later GETs get the whole file. */
void fake_rep_add_file(struct fake_replicate *f, const char *name, const void *data, size_t len,
                       const char *content_type, int stall_first);

struct fake_rep_request {
    char method[16];
    char path[512]; /* with "?created_after=..." for the list */
    char authorization[256];
    char prefer[64];
    char cancel_after[64];
    char content_type[256];
    char *body; /* owned, NUL-terminated */
    size_t len;
};

/* Requests whose "METHOD /path" starts with route (NULL: all). */
size_t fake_rep_count(struct fake_replicate *f, const char *route);
/* Copy the nth (from 0) such request into out (fake_rep_request_free); 0, or -1 if none. */
int fake_rep_request(struct fake_replicate *f, const char *route, size_t nth,
                     struct fake_rep_request *out);
void fake_rep_request_free(struct fake_rep_request *r);
/* The status of prediction id ("" if unknown) into out. */
void fake_rep_pred_status(struct fake_replicate *f, const char *id, char *out, size_t outlen);

#endif
