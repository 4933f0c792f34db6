/* mediacache.h: the display's disk cache of coordinator media, one flat directory of files named
 * "<sha256>.<ext>" (the coordinator's content addresses), bounded in bytes, least recently used
 * out. Downloads go to "<name>.part" through a part handle that hashes as it writes; commit
 * checks the SHA-256 against the name and renames into place.
 *
 * Threads: every call runs on the frame thread and does only small metadata work (no reading
 * back, no fsync). A committed file is made durable by the decoder, which fdatasyncs each file
 * before decoding it, off the frame path. A power cut between commit and that sync can leave a
 * torn file under a real name: open drops zero-length ones, and a file that fails to decode
 * should be dropped with mediacache_remove and fetched again. */
#ifndef PANIC_MEDIACACHE_H
#define PANIC_MEDIACACHE_H

#include <stddef.h>
#include <stdint.h>

#define MEDIACACHE_NAME_MAX 72 /* 64 hex + '.' + "webp" + NUL, with room */

struct mediacache;
struct mediacache_part;

/* 1 if name is exactly 64 lowercase hex digits, '.', and one of png, jpg, webp, wav, mp3, ogg.
 * Only such names ever reach a path, so a name can never leave the cache directory. */
int mediacache_name_valid(const char *name);

/* Open the cache in dir (created, one level, if missing), holding at most max_bytes of committed
 * files. Scans dir: removes "*.part" leftovers and zero-length media files, indexes valid names
 * with their sizes, oldest mtime least recently used, then evicts down to max_bytes. Files with
 * other names are left alone. Owned; mediacache_close. NULL with a reason in err. */
struct mediacache *mediacache_open(const char *dir, uint64_t max_bytes, char *err, size_t errlen);
/* Frees the index; files stay. Open part handles must be committed or aborted first. */
void mediacache_close(struct mediacache *c);

/* 1 if name is cached (and marks it used), 0 if not or if name is invalid. */
int mediacache_has(struct mediacache *c, const char *name);
/* The path of a cached name into buf, and marks it used. 0, -EINVAL for an invalid name, -ENOENT
 * if not cached, -ENAMETOOLONG if buf is too small. */
int mediacache_path(struct mediacache *c, const char *name, char *buf, size_t len);
/* Pin (on = 1) or unpin (on = 0) a cached name: pinned files are never evicted. Pins count, so
 * each pin needs its own unpin; pin what is on screen, being played or queued for decoding.
 * 0, -EINVAL, -ENOENT if not cached. */
int mediacache_pin(struct mediacache *c, const char *name, int on);
/* Delete a cached file (e.g. one that failed to decode), pinned or not. 0, -EINVAL, -ENOENT. */
int mediacache_remove(struct mediacache *c, const char *name);
/* Bytes of committed files in the index and of the open parts: both count in max_bytes. */
uint64_t mediacache_total_bytes(const struct mediacache *c);
/* Number of committed files in the index. */
int mediacache_count(const struct mediacache *c);

/* Start downloading name: creates "<dir>/<name>.part" (truncated) and a handle into *out, owned
 * by the caller until mediacache_commit or mediacache_abort consumes it. 0, -EINVAL for an invalid
 * name, -EEXIST if already cached, -EBUSY if a part for name is already open, or the errno of
 * open(2). */
int mediacache_begin_write(struct mediacache *c, const char *name, struct mediacache_part **out);
/* Append len bytes (a curl write callback's chunk) and feed them to the hash. The part counts in
 * max_bytes as it grows: least recently used unpinned files are evicted to make room (how big
 * one download may grow is the caller's limit). 0 or the errno of write(2); after an error every
 * later write returns it again and commit fails with it. */
int mediacache_part_write(struct mediacache_part *p, const void *data, size_t len);
/* Bytes written so far: where a Range request resumes an interrupted transfer on the same handle.
 */
uint64_t mediacache_part_size(const struct mediacache_part *p);
/* Finish a part; consumes p whatever the result. If the bytes' SHA-256 matches the name, renames
 * the part into place (no fsync: see the top of this file), indexes it as most recently used and
 * evicts least recently used unpinned files until the total fits max_bytes; the file just
 * committed is never evicted by its own commit, even if it alone is larger. Otherwise the part is
 * deleted. 0, -EBADMSG if the hash does not match, or a write/rename errno. */
int mediacache_commit(struct mediacache *c, struct mediacache_part *p);
/* Drop a part (failed or cancelled transfer): closes and deletes it; consumes p. NULL is a
 * no-op. */
void mediacache_abort(struct mediacache *c, struct mediacache_part *p);

#endif
