/* sse.h: an incremental parser of text/event-stream (Server-Sent Events, WHATWG HTML section
 * 9.2). Bytes go in as they arrive, split anywhere, even inside a CR LF pair or a UTF-8 sequence;
 * each complete event comes out through a callback. Pure C: no I/O. */
#ifndef PANIC_SSE_H
#define PANIC_SSE_H

#include <stddef.h>

/* One dispatched event; every pointer is borrowed for the duration of the callback only. */
struct sse_event {
    const char *id;    /* the last event id seen on the stream, or NULL if none yet */
    const char *event; /* "message" when the event had no event: field */
    const char *data;  /* data: lines joined by '\n', without the final newline */
    size_t data_len;
};

/* Return 0 to go on; anything else stops the parser and is returned by sse_parser_feed. */
typedef int (*sse_event_fn)(void *user, const struct sse_event *ev);

struct sse_parser;

/* Owned; sse_parser_free. max_bytes bounds one line and one event's data (0: 16 MiB). */
struct sse_parser *sse_parser_new(size_t max_bytes, sse_event_fn fn, void *user);
void sse_parser_free(struct sse_parser *p);
/* 0, -E2BIG when a line or an event outgrows max_bytes, or the callback's non-zero return. An
 * event still incomplete when the stream ends is never dispatched, as the standard says. */
int sse_parser_feed(struct sse_parser *p, const char *data, size_t len);

#endif
