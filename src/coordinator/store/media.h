/* media.h: the content-addressed media archive: STATE_DIR/media/ab/<sha256>.<ext>, written as
 * .part + fsync + rename so a crash or power cut never leaves a torn file under a real name. */
#ifndef PANIC_MEDIA_H
#define PANIC_MEDIA_H

#include <stddef.h>
#include <stdint.h>

#define MEDIA_NAME_MAX 80 /* 64 hex + '.' + extension + NUL, with room */

struct media_store;

/* Open the archive under dir (created with its media/ folder if missing). Owned; media_close.
 * NULL with a reason in err. The .part files a killed panicd left half written are removed (they
 * are never renamed into place, so nothing names them, and the quota could never evict them);
 * a .part whose writer is still a running panicd stays. */
struct media_store *media_open(const char *dir, char *err, size_t errlen);
void media_close(struct media_store *m);

/* Store bytes under their SHA-256; name receives "<sha256>.<ext>". Storing the same bytes twice
 * is a no-op. ext must be one media_content_type knows. 0 or a negative errno. */
int media_put(struct media_store *m, const void *data, size_t len, const char *ext, char *name,
              size_t namelen);
/* The file path of a stored name. -EINVAL for a malformed name, -ENOENT if it is not stored. */
int media_path(struct media_store *m, const char *name, char *path, size_t pathlen);
/* 1 if name is "<64 lowercase hex>.<known ext>". */
int media_name_valid(const char *name);
/* Content-Type for a name or extension ("image/png", ...); NULL if unknown. */
const char *media_content_type(const char *name_or_ext);

/* Bytes and files in the archive (walks the directory tree). 0 or -errno. */
int media_usage(struct media_store *m, uint64_t *bytes, size_t *files);
/* Delete a stored file; its size, or a negative errno (-ENOENT if it was not there). */
int64_t media_remove(struct media_store *m, const char *name);

#endif
