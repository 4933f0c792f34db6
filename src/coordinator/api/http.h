/* http.h: panicd's HTTP/1.1 server: libmicrohttpd driven by our event loop (one thread), with
 * whole-body requests handed to one handler, buffer and file replies, and long-lived streams for
 * Server-Sent Events. Request bodies over the limit get 413 before the handler sees them. One
 * address holds at most a few connections, and a request must arrive whole within a deadline. */
#ifndef PANIC_HTTP_H
#define PANIC_HTTP_H

#include "common/ev.h"

#include <stddef.h>
#include <stdint.h>

struct http_server;
struct http_req;
struct http_stream;

/* Called once per request with the whole body; must reply exactly once (an unreplied request
 * gets 500). req is borrowed until the reply. */
typedef void (*http_handler_fn)(void *user, struct http_req *req);
/* A stream's client went away (or the server closed it); the stream is freed after this. */
typedef void (*http_stream_closed_fn)(void *user, struct http_stream *st);
/* A stream's buffer is empty: write more now if there is more (else it waits for a write). */
typedef void (*http_stream_drain_fn)(void *user, struct http_stream *st);

struct http_limits {
    size_t max_body;            /* a bigger request body gets 413 */
    unsigned per_address;       /* connections one client address may hold; 0: no limit */
    int64_t request_timeout_ms; /* from accept (or the last response) to the whole request */
};

/* Listen on "host:port" (port 0: a free port). Owned; http_server_free. NULL + err. */
struct http_server *http_server_new(struct ev *ev, const char *listen,
                                    const struct http_limits *lim, http_handler_fn fn, void *user,
                                    char *err, size_t errlen);
/* Closes every stream (their closed callbacks run), then stops. NULL-safe. */
void http_server_free(struct http_server *srv);
int http_server_port(const struct http_server *srv);
/* For the loop's before-sleep hook: let the server make progress; returns the longest the loop
 * may sleep (ms) or -1. */
int http_server_before_sleep(struct http_server *srv);

const char *http_req_method(const struct http_req *req);
const char *http_req_path(const struct http_req *req);
/* NULL if absent. Borrowed until the reply. */
const char *http_req_header(const struct http_req *req, const char *name);
const char *http_req_query(const struct http_req *req, const char *name);
/* The peer's address as text ("192.0.2.7", "2001:db8::1"; an IPv4-mapped IPv6 address is given
 * as IPv4) into buf; 0, or -1 with buf = "" when it is unknown. */
int http_req_client_ip(const struct http_req *req, char *buf, size_t len);
/* The body (NUL-terminated for convenience; may hold NULs: use len). */
const char *http_req_body(const struct http_req *req, size_t *len);

/* headers: NULL or a NULL-terminated list of name, value, name, value, ... */
void http_reply(struct http_req *req, int status, const char *content_type, const char *body,
                size_t len, const char *const *headers);
/* Send len bytes of fd from offset; takes ownership of fd. */
void http_reply_fd(struct http_req *req, int status, int fd, uint64_t offset, uint64_t len,
                   const char *content_type, const char *const *headers);
/* Answer with an open-ended stream (text/event-stream). Borrowed: valid until closed_fn. */
struct http_stream *http_reply_stream(struct http_req *req, const char *content_type,
                                      http_stream_closed_fn closed_fn, void *user);
void http_stream_write(struct http_stream *st, const char *data, size_t len);
/* Bytes written but not yet taken by the socket (a slow client's backlog). */
size_t http_stream_pending(const struct http_stream *st);
/* Bytes the server has taken from the stream so far (progress of a reader). */
uint64_t http_stream_taken(const struct http_stream *st);
/* Ask fn(user, st) for more each time the buffer empties (a replay fed as the client reads). */
void http_stream_set_drain(struct http_stream *st, http_stream_drain_fn fn, void *user);
/* End the stream from our side once its pending bytes are sent. */
void http_stream_close(struct http_stream *st);
/* End it now, dropping what is pending (a client that stopped reading). */
void http_stream_drop(struct http_stream *st);

#endif
