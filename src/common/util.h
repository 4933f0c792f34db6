/* util.h: allocation that aborts on out-of-memory, and small helpers. */
#ifndef PANIC_UTIL_H
#define PANIC_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define PANIC_ERR_LEN 256

/* Allocation never fails: out of memory aborts and systemd restarts us. Results are owned by the
 * caller and freed with free(). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Length of a base URL without its trailing slashes ("http://h/v1/" -> that of "http://h/v1"),
 * so an endpoint path can be appended. */
size_t url_base_len(const char *url);

/* printf into a new owned string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Constant-time comparison of two NUL-terminated secrets; 1 if equal. */
int secret_equal(const char *a, const char *b);

/* 1 if s[0..len) is well-formed UTF-8 (no overlongs, no surrogates, max U+10FFFF). */
int utf8_valid(const char *s, size_t len);

/* Parse a whole decimal integer in [min, max]; 0 on success, -EINVAL otherwise. */
int parse_int64(const char *s, int64_t min, int64_t max, int64_t *out);

/* Create dir and any missing parents with mode; 0 if it exists or was made, else -errno. */
int mkdir_p(const char *path, unsigned mode);

/* Wall-clock milliseconds since the epoch, and monotonic milliseconds. */
int64_t time_wall_ms(void);
int64_t time_mono_ms(void);

/* Format a wall-clock ms timestamp as RFC 3339 UTC with milliseconds into buf (>= 32 bytes). */
void time_format_iso(int64_t wall_ms, char *buf, size_t len);

#endif
