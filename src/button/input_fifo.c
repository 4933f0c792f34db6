/* input_fifo.c: a button backend reading a named pipe. Each line is a raw level: "1" or "down"
 * for pressed, "0" or "up" for released (surrounding blanks and a CR are ignored, other lines are
 * skipped). The pipe is created if missing and never removed. Edges are stamped with
 * CLOCK_MONOTONIC ms when read, so lines read together share a timestamp: a writer that wants a
 * press to survive the debounce writes "1", waits longer than the debounce, then writes "0".
 * POSIX and common/util only; no GPIO and no event loop of its own.
 *
 * The reader also holds a write end of its own pipe open, so when the last outside writer closes
 * the pipe read() keeps saying "nothing yet" (EAGAIN) instead of EOF, and the fd never turns
 * permanently readable in the caller's poll set. */
#include "common/util.h"
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FIFO_LINE_MAX 64

struct fifo_input {
    struct button_input base; /* first */
    int rfd, wfd;
    char buf[256]; /* bytes read but not yet parsed; buf[0..len) */
    size_t len;
    int discarding; /* inside an over-long line: drop up to its newline */
};

static const struct button_input_ops fifo_ops;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 1 pressed, 0 released, -1 not a level line. */
static int parse_level(const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    if ((n == 1 && s[0] == '1') || (n == 4 && memcmp(s, "down", 4) == 0))
        return 1;
    if ((n == 1 && s[0] == '0') || (n == 2 && memcmp(s, "up", 2) == 0))
        return 0;
    return -1;
}

/* Moves complete lines out of buf as edges stamped t; leaves a partial line in place. */
static int parse_lines(struct fifo_input *f, struct button_edge *out, int max, int64_t t)
{
    int n = 0;
    size_t start = 0;
    while (n < max) {
        char *nl = memchr(f->buf + start, '\n', f->len - start);
        if (!nl)
            break;
        size_t end = (size_t)(nl - f->buf);
        if (f->discarding) {
            f->discarding = 0;
        } else {
            int level = parse_level(f->buf + start, end - start);
            if (level >= 0)
                out[n++] = (struct button_edge){.pressed = level, .t_ms = t};
        }
        start = end + 1;
    }
    memmove(f->buf, f->buf + start, f->len - start);
    f->len -= start;
    if (f->len >= FIFO_LINE_MAX && !memchr(f->buf, '\n', f->len)) {
        f->len = 0; /* no level line is this long */
        f->discarding = 1;
    }
    return n;
}

static int fifo_fd(struct button_input *in)
{
    return ((struct fifo_input *)in)->rfd;
}

static int fifo_read(struct button_input *in, struct button_edge *out, int max)
{
    struct fifo_input *f = (struct fifo_input *)in;
    int n = 0;
    if (max <= 0)
        return 0;
    /* Lines left over when an earlier call filled max are stamped now: late, still in order. */
    int64_t now = mono_ms();
    n = parse_lines(f, out, max, now);
    while (n < max) {
        ssize_t r = read(f->rfd, f->buf + f->len, sizeof(f->buf) - f->len);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            return n ? n : -errno;
        }
        if (r == 0)
            break; /* cannot happen while wfd is open; harmless if it does */
        f->len += (size_t)r;
        n += parse_lines(f, out + n, max - n, now);
    }
    return n;
}

static int fifo_set_led(struct button_input *in, int on)
{
    (void)in;
    (void)on;
    return -ENOTSUP;
}

static void fifo_close(struct button_input *in)
{
    struct fifo_input *f = (struct fifo_input *)in;
    if (!f)
        return;
    if (f->wfd >= 0)
        close(f->wfd);
    if (f->rfd >= 0)
        close(f->rfd);
    free(f);
}

static const struct button_input_ops fifo_ops = {
    .name = "fifo",
    .fd = fifo_fd,
    .read = fifo_read,
    .set_led = fifo_set_led,
    .close = fifo_close,
};

/* Owned by the caller; freed with button_input_close. */
struct button_input *button_input_fifo_new(const char *path, char *err, size_t errlen)
{
    struct fifo_input *f = xcalloc(1, sizeof(*f));
    struct stat st;
    f->base.ops = &fifo_ops;
    f->rfd = f->wfd = -1;

    if (mkfifo(path, 0660) < 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: cannot create the pipe: %s", path, strerror(errno));
        goto fail;
    }
    f->rfd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (f->rfd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto fail;
    }
    if (fstat(f->rfd, &st) < 0 || !S_ISFIFO(st.st_mode)) {
        snprintf(err, errlen, "%s: exists and is not a named pipe", path);
        goto fail;
    }
    /* With our read end open this cannot fail with ENXIO. */
    f->wfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (f->wfd < 0) {
        snprintf(err, errlen, "%s: cannot hold a write end open: %s", path, strerror(errno));
        goto fail;
    }
    return &f->base;

fail:
    fifo_close(&f->base);
    return NULL;
}
