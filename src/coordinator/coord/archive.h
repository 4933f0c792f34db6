/* archive.h: the off-site archive: files in the store's upload queue (archived pictures and
 * sounds, queued by the coordinator in each step's transaction; nightly backups, queued here) are
 * PUT one at a time to an S3-compatible store, signed with AWS Signature V4 by libcurl, through
 * curl_ev on the loop (the file is read as curl sends it). A failure is retried with back-off:
 * the whole queue waits after a transport failure (a dead link), one row after an error answer. */
#ifndef PANIC_ARCHIVE_H
#define PANIC_ARCHIVE_H

#include "common/ev.h"
#include "coordinator/core/config.h"
#include "coordinator/platforms/curl_ev.h"
#include "coordinator/store/store.h"

#include <stdint.h>

struct coord_archive;

/* NULL when the config names no archive_s3_endpoint (off), or when no secret or key id is found
 * (logged). Everything borrowed must outlive it. Owned; coord_archive_free. */
struct coord_archive *coord_archive_new(struct ev *ev, struct store *store, struct curl_ev *curl,
                                        const struct panicd_config *cfg);
void coord_archive_free(struct coord_archive *a);
/* Queue a backup (the backup_made_fn of backup.h; user = the archive). */
void coord_archive_add_backup(void *user, const char *path, const char *name, const char *sha256);

struct coord_archive_stats {
    uint64_t uploaded, failed, bytes;
};
void coord_archive_get_stats(const struct coord_archive *a, struct coord_archive_stats *out);

#endif
