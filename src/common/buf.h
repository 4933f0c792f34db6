/* buf.h: a growable byte buffer, always NUL-terminated after len. */
#ifndef PANIC_BUF_H
#define PANIC_BUF_H

#include <stddef.h>

struct buf {
    char *data; /* owned; NULL until the first append */
    size_t len;
    size_t cap;
};

#define BUF_INIT                                                                                   \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append n bytes left for the caller to fill and return where they start (valid until the next
 * change to b). */
char *buf_extend(struct buf *b, size_t n);
/* Drop the first n bytes. */
void buf_consume(struct buf *b, size_t n);
/* Keep the first len bytes (len <= b->len): what a failed append wrote is undone so. */
void buf_truncate(struct buf *b, size_t len);
void buf_reset(struct buf *b);
/* Free the storage; the struct may be reused afterwards. */
void buf_free(struct buf *b);
/* Hand the storage to the caller (owned, free()) and reset b. Never NULL. */
char *buf_steal(struct buf *b);

#endif
