/* file.h: reading a whole file into memory, with a limit. */
#ifndef PANIC_FILE_H
#define PANIC_FILE_H

#include "common/buf.h"

#include <stddef.h>

#define FILE_REGULAR 1u /* refuse anything but a regular file, without blocking on a FIFO */
#define FILE_SYNC 2u    /* fdatasync before reading: what was just written becomes durable */

/* Append the whole file at path to out, at most max bytes of it (SIZE_MAX: no limit). 0; -EFBIG
 * if it holds more than max bytes; -EINVAL if FILE_REGULAR is given and it is not a regular
 * file; else the -errno of open or read. On failure out is left as it was and err (when not
 * NULL) says why in a few words for after a caller's "cannot read X: ": "open: <reason>",
 * "read: <reason>", "not a regular file", "larger than 20 MiB". */
int file_read(const char *path, size_t max, unsigned flags, struct buf *out, char *err,
              size_t errlen);

#endif
