/* file.c: one way to read a whole file (media inputs of the platforms, images the display
 * decodes, the config and the prompt deck), with its size limit checked before the bytes are
 * read where the file says its size, and while reading where it does not (a pipe). Pure libc and
 * POSIX; no project module but buf. */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void say(char *err, size_t errlen, const char *what, int e)
{
    if (err && errlen)
        snprintf(err, errlen, "%s: %s", what, strerror(e));
}

static void say_too_big(char *err, size_t errlen, size_t max)
{
    if (!err || !errlen)
        return;
    if (max >= ((size_t)1 << 20) && max % ((size_t)1 << 20) == 0)
        snprintf(err, errlen, "larger than %zu MiB", max >> 20);
    else
        snprintf(err, errlen, "larger than %zu bytes", max);
}

static int read_all(int fd, size_t max, struct buf *out, char *err, size_t errlen)
{
    size_t start = out->len;
    char chunk[65536];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            say(err, errlen, "read", e);
            return -e;
        }
        if (n == 0)
            return 0;
        if ((size_t)n > max - (out->len - start)) {
            say_too_big(err, errlen, max);
            return -EFBIG;
        }
        buf_append(out, chunk, (size_t)n);
    }
}

int file_read(const char *path, size_t max, unsigned flags, struct buf *out, char *err,
              size_t errlen)
{
    /* O_NONBLOCK only makes the open of a FIFO return at once (to be refused below); reading
     * a regular file ignores it. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | ((flags & FILE_REGULAR) ? O_NONBLOCK : 0));
    if (fd < 0) {
        int e = errno;
        say(err, errlen, "open", e);
        return -e;
    }
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) < 0) {
        rc = -errno;
        say(err, errlen, "stat", -rc);
    } else if ((flags & FILE_REGULAR) && !S_ISREG(st.st_mode)) {
        rc = -EINVAL;
        if (err && errlen)
            snprintf(err, errlen, "not a regular file");
    } else if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > (uintmax_t)max) {
        rc = -EFBIG;
        say_too_big(err, errlen, max);
    }
    if (rc == 0 && (flags & FILE_SYNC))
        (void)fdatasync(fd); /* best effort: a filesystem without it still reads */
    size_t start = out->len;
    if (rc == 0)
        rc = read_all(fd, max, out, err, errlen);
    if (rc < 0)
        buf_truncate(out, start);
    close(fd);
    return rc;
}
