/* fake_http.h: the HTTP server core that the fake platforms (fake_openai, fake_replicate,
 * fake_gemini) share: libmicrohttpd on 127.0.0.1 with a random port and a thread per connection
 * (so a sleeping or stalled answer never holds up another request), each request handed over
 * whole (method, path, headers, body and, for multipart/form-data, its parts), a log of the
 * requests and the ways to answer. A fake keeps only its platform's routes and answers.
 *
 * Threads: the handler runs on a connection thread. The server's one mutex (fake_http_lock)
 * guards the request log and whatever state the fake keeps beside it, so a fake can record a
 * request and take its scripted answer in one step. Test support only: aborts on out-of-memory. */
#ifndef PANIC_FAKE_HTTP_H
#define PANIC_FAKE_HTTP_H

#include <stddef.h>

struct json_t;

/* A part of a multipart/form-data body. */
struct fake_part {
    char name[64];
    char filename[128];
    char type[64];
    char *data; /* owned, NUL-terminated */
    size_t len;
};

struct fake_http_header {
    char *name, *value; /* owned */
};

#define FAKE_HTTP_PARTS 8

/* One request as received. */
struct fake_http_request {
    char method[16];
    char url[512];  /* the path alone */
    char path[512]; /* url, then ?name=value&... with the query's (decoded) arguments, if any */
    struct fake_http_header *headers;
    size_t nheaders;
    char *body; /* owned, NUL-terminated */
    size_t len;
    struct fake_part parts[FAKE_HTTP_PARTS];
    size_t nparts;
};

struct fake_http;
struct fake_http_conn; /* the connection a request is answered on */

/* Answers r on c with one of the fake_http_send functions and returns what it returned. */
typedef int (*fake_http_handler)(void *ctx, struct fake_http_conn *c,
                                 const struct fake_http_request *r);

/* Start serving; name is for the message when it cannot start (then NULL). A connection idle
 * for timeout_s is closed. Owned; fake_http_stop. */
struct fake_http *fake_http_start(const char *name, unsigned timeout_s, fake_http_handler handler,
                                  void *ctx);
/* Ends every nap and stalled answer, then stops the server and forgets the log. */
void fake_http_stop(struct fake_http *s);
/* "http://127.0.0.1:PORT". Borrowed, valid until stop. */
const char *fake_http_root(const struct fake_http *s);
/* Sleep up to ms, waking early when the server stops. */
void fake_http_nap(struct fake_http *s, int ms);

void fake_http_lock(struct fake_http *s);
void fake_http_unlock(struct fake_http *s);
/* With the lock held: add a copy of r to the log; forget the whole log. */
void fake_http_record_locked(struct fake_http *s, const struct fake_http_request *r);
void fake_http_forget_locked(struct fake_http *s);

/* 1 if "METHOD path" of r starts with route (NULL: any request). */
int fake_http_route_is(const struct fake_http_request *r, const char *route);
/* Logged requests matching route (NULL: all). */
size_t fake_http_count(struct fake_http *s, const char *route);
/* Copy the nth (from 0) logged request matching route into out (fake_http_request_free);
 * 0, or -1 if there is none. */
int fake_http_request(struct fake_http *s, const char *route, size_t nth,
                      struct fake_http_request *out);
void fake_http_request_free(struct fake_http_request *r);
/* For a fake's own request type: r's method and path (its url alone when query is 0) copied out,
 * and its body handed over. */
void fake_http_move_head(struct fake_http_request *r, int query, char *method, size_t method_len,
                         char *path, size_t path_len, char **body, size_t *len);
/* The value of header name (any case), or NULL. Borrowed from r. */
const char *fake_http_header(const struct fake_http_request *r, const char *name);
/* The same copied into dst ("" if absent). */
void fake_http_copy_header(const struct fake_http_request *r, const char *name, char *dst,
                           size_t len);
/* The part named name, or NULL. Borrowed from parts. */
const struct fake_part *fake_http_part(const struct fake_part *parts, size_t nparts,
                                       const char *name);

/* Answer with data (copied); the header hname: hvalue when both are set. */
int fake_http_send(struct fake_http_conn *c, unsigned status, const char *type, const void *data,
                   size_t len, const char *hname, const char *hvalue);
int fake_http_send_text(struct fake_http_conn *c, unsigned status, const char *text);
/* Answer with j as compact JSON (consumes the reference). */
int fake_http_send_json(struct fake_http_conn *c, unsigned status, struct json_t *j,
                        const char *hname, const char *hvalue);
/* 200 with head, then nothing for ms (or until stop), then the connection breaks off. */
int fake_http_send_stall(struct fake_http_conn *c, const char *type, const void *head,
                         size_t head_len, int ms);
/* 200 with n bytes of 'x' and no Content-Length (chunked). */
int fake_http_send_filler(struct fake_http_conn *c, unsigned long long n);

#endif
