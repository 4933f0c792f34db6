/* state_dir.h: the files panicd keeps in its state dir (besides the database and the media
 * archive): the admin token and the visitor secret, generated on first start with mode 0600, and
 * panicd.url, where local tools find the daemon. Every file is written atomically. */
#ifndef PANIC_STATE_DIR_H
#define PANIC_STATE_DIR_H

#include <stddef.h>
#include <sys/types.h>

/* Create the state dir (mode 0750) unless it exists. 0 or -errno. */
int state_dir_create(const char *dir);

/* Write text to path atomically (path.tmp, fsync, rename) with mode. 0 or -errno; on failure
 * path is as it was and no path.tmp is left. */
int state_dir_write_atomic(const char *path, const char *text, mode_t mode);

/* A secret: configured if it is set, else the first line of DIR/file if it has at least min
 * characters, else nbytes (at most 64) of randomness in hex, written to DIR/file with mode 0600.
 * Owned; NULL with a reason in err. */
char *state_dir_secret(const char *dir, const char *configured, const char *file, size_t min,
                       size_t nbytes, char *err, size_t errlen);

/* The URL local tools (panicctl, make run, the tests) reach panicd by: listen's host, 127.0.0.1
 * for a wildcard or empty one, and the port the server bound. Owned, no trailing newline. */
char *state_dir_local_url(const char *listen, int port);

/* Write url and a newline to DIR/panicd.url (mode 0644); a warning in the log if it cannot. */
void state_dir_publish_url(const char *dir, const char *url);

#endif
