/* sse.c: the Server-Sent Events parser. Lines end in CR, LF or CR LF; a CR that ends one chunk
 * leaves a flag so the LF that may start the next one is not taken for an empty line (which would
 * dispatch an event too early). Pure C and libc: no curl, no jansson, no I/O. */
#include "sse.h"
#include "buf.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SSE_DEFAULT_MAX (16u * 1024 * 1024)

struct sse_parser {
    sse_event_fn fn;
    void *user;
    size_t max;
    struct buf line;  /* the line being assembled */
    struct buf data;  /* data: values of the event being assembled, each followed by '\n' */
    struct buf event; /* its event: value */
    struct buf id;    /* the last event id; persists across events */
    int has_id;
    int skip_lf;   /* the previous byte was a CR */
    int seen_line; /* a BOM may only start the first line */
};

struct sse_parser *sse_parser_new(size_t max_bytes, sse_event_fn fn, void *user)
{
    struct sse_parser *p = xcalloc(1, sizeof *p);
    p->fn = fn;
    p->user = user;
    p->max = max_bytes ? max_bytes : SSE_DEFAULT_MAX;
    return p;
}

void sse_parser_free(struct sse_parser *p)
{
    if (!p)
        return;
    buf_free(&p->line);
    buf_free(&p->data);
    buf_free(&p->event);
    buf_free(&p->id);
    free(p);
}

static int dispatch(struct sse_parser *p)
{
    int rc = 0;
    if (p->data.len > 0) {
        p->data.len--; /* the newline after the last data: line */
        p->data.data[p->data.len] = '\0';
        struct sse_event ev = {
            .id = p->has_id ? (p->id.data ? p->id.data : "") : NULL,
            .event = p->event.len ? p->event.data : "message",
            .data = p->data.data,
            .data_len = p->data.len,
        };
        rc = p->fn(p->user, &ev);
    }
    buf_reset(&p->data);
    buf_reset(&p->event);
    return rc;
}

static int field_is(const char *field, size_t len, const char *name)
{
    return strlen(name) == len && memcmp(field, name, len) == 0;
}

static int process_line(struct sse_parser *p)
{
    const char *s = p->line.data ? p->line.data : "";
    size_t len = p->line.len;
    if (!p->seen_line) {
        p->seen_line = 1;
        if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
            s += 3, len -= 3;
    }
    if (len == 0)
        return dispatch(p);
    if (s[0] == ':')
        return 0; /* a comment: the server's heartbeat */
    const char *colon = memchr(s, ':', len);
    size_t flen = colon ? (size_t)(colon - s) : len;
    const char *value = colon ? colon + 1 : s + len;
    size_t vlen = (size_t)(s + len - value);
    if (vlen > 0 && value[0] == ' ')
        value++, vlen--;
    if (field_is(s, flen, "data")) {
        if (p->data.len + vlen + 1 > p->max)
            return -E2BIG;
        buf_append(&p->data, value, vlen);
        buf_append(&p->data, "\n", 1);
    } else if (field_is(s, flen, "event")) {
        buf_reset(&p->event);
        buf_append(&p->event, value, vlen);
    } else if (field_is(s, flen, "id")) {
        if (!memchr(value, '\0', vlen)) {
            buf_reset(&p->id);
            buf_append(&p->id, value, vlen);
            p->has_id = 1;
        }
    }
    /* retry: and unknown fields are ignored; we do not reconnect by ourselves. */
    return 0;
}

int sse_parser_feed(struct sse_parser *p, const char *data, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if (p->skip_lf) {
            p->skip_lf = 0;
            if (data[i] == '\n') {
                i++;
                continue;
            }
        }
        size_t j = i;
        while (j < len && data[j] != '\r' && data[j] != '\n')
            j++;
        if (j > i) {
            if (p->line.len + (j - i) > p->max)
                return -E2BIG;
            buf_append(&p->line, data + i, j - i);
        }
        if (j == len)
            break;
        p->skip_lf = data[j] == '\r';
        i = j + 1;
        int rc = process_line(p);
        buf_reset(&p->line);
        if (rc)
            return rc;
    }
    return 0;
}
