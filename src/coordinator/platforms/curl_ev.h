/* curl_ev.h: HTTP client calls on libcurl multi, driven by panicd's event loop (socket and timer
 * callbacks feed ev, the shape of curl's ephiperfifo example). A call never blocks the loop; its
 * result arrives later through a callback run from the loop. */
#ifndef PANIC_CURL_EV_H
#define PANIC_CURL_EV_H

#include "common/ev.h"

#include <stddef.h>
#include <stdint.h>

struct curl_ev;

/* One request. Strings and buffers are copied by curl_ev_start; the struct may be on the stack. */
struct http_call {
    const char *method; /* "GET", "POST", ... */
    const char *url;
    const char *const *headers; /* NULL-terminated "Name: value" list, or NULL */
    const char *body;           /* request body (POST/PUT), or NULL */
    size_t body_len;
    /* multipart/form-data instead of body when form_fields or form_file is set */
    const char *const *form_fields; /* NULL-terminated name, value, name, value, ... */
    const char *form_file_field;    /* e.g. "file" */
    const void *form_file;
    size_t form_file_len;
    const char *form_file_name; /* e.g. "audio.wav" */
    const char *form_file_type; /* e.g. "audio/wav" */
    /* PUT the file at upload_path instead of body: read as curl sends it (a chunk at a time,
     * never whole into memory). The call does not start if it cannot be opened. */
    const char *upload_path;
    /* AWS Signature Version 4 (CURLOPT_AWS_SIGV4, "aws:amz:REGION:s3") with the access key id
     * and secret as user and password; NULL: none. Copied into curl, never logged. */
    const char *aws_sigv4;
    const char *aws_key_id;
    const char *aws_secret;
    long timeout_ms;         /* whole transfer; 0: 60 s */
    long connect_timeout_ms; /* 0: 10 s */
    size_t max_body;         /* larger answers fail; 0: 64 MiB */
};

/* How a call ended, from the transport's side. Whether the request may have reached the server
 * matters to anything billed: after HTTP_NOT_SENT it certainly did not (nothing was made, the
 * call may simply be made again); after HTTP_FAILED and HTTP_TIMED_OUT it may have, and the
 * server may have acted on it without our hearing the answer. */
enum http_outcome {
    HTTP_OK,        /* a whole answer arrived, whatever its status */
    HTTP_NOT_SENT,  /* failed before a byte of the request left: no name, no connection, TLS
                     * handshake refused, a URL or scheme we do not speak */
    HTTP_FAILED,    /* failed after the request may have been sent (a reset, a broken answer,
                     * too many redirects, ...) */
    HTTP_TIMED_OUT, /* no whole answer within timeout_ms (or no connection within
                     * connect_timeout_ms): the request may have been sent */
    HTTP_TOO_LARGE, /* the answer was larger than max_body */
};

struct http_result {
    enum http_outcome outcome;
    /* The HTTP status of a whole answer. 0 unless outcome is HTTP_OK: a transfer that broke off
     * after the status line counts as no answer, as its "200" may sit over a truncated body. */
    long status;
    const char *error; /* human text when outcome is not HTTP_OK, NULL otherwise */
    const char *body;  /* NUL-terminated for convenience (may contain NULs: use len) */
    size_t len;
    const char *content_type; /* or NULL */
    const char *retry_after;  /* the Retry-After header's value, or NULL */
    long elapsed_ms;
};

/* Called once per call from the event loop (never from inside curl_ev_start or curl_ev_cancel).
 * r and everything it points to are borrowed for the duration of the call. */
typedef void (*http_done_fn)(void *user, const struct http_result *r);

/* ev is borrowed. Owned; curl_ev_free (pending calls are dropped without callbacks). */
struct curl_ev *curl_ev_new(struct ev *ev);
void curl_ev_free(struct curl_ev *c);
/* Start a call; returns its id (> 0), or 0 if it could not be started. */
uint64_t curl_ev_start(struct curl_ev *c, const struct http_call *call, http_done_fn done,
                       void *user);
/* Abandon a call: done is not called for it. A no-op for an unknown or finished id. */
void curl_ev_cancel(struct curl_ev *c, uint64_t id);
/* Calls in flight. */
size_t curl_ev_pending(const struct curl_ev *c);

/* "ok", "not sent", "failed", "timed out", "too large": for logs. */
const char *http_outcome_name(enum http_outcome o);
/* The outcome of a transfer that ended with this CURLcode (an int here so no platform sees
 * curl.h). Exposed for the test that pins which codes count as not sent. */
enum http_outcome curl_ev_outcome_of(int curl_code);

#endif
