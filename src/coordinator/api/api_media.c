/* api_media.c: files served from disk: the archived outputs GET /media/{sha256}.{ext} (named by
 * their content, so an ETag that never changes, 304 for If-None-Match, one byte range with 206
 * or 416, cached for a year) and GET /api/v1/backup (a consistent copy of the database made with
 * VACUUM INTO, sent and removed). Where media lives is media.c's; how to copy the store store.c's.
 */
#include "api_internal.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Digits only, up to end (strtoull alone takes a sign or spaces: "bytes=--5" is no range). 0 or
 * -1. */
static int parse_digits(const char *s, const char *end, unsigned long long *out)
{
    if (s == end)
        return -1;
    for (const char *c = s; c < end; c++)
        if (*c < '0' || *c > '9')
            return -1;
    char *stop;
    errno = 0;
    *out = strtoull(s, &stop, 10);
    return stop == end && errno == 0 ? 0 : -1;
}

/* Parse a single "bytes=" range against size. 1 ok, 0 none, -1 unsatisfiable/invalid. */
static int parse_range(const char *h, uint64_t size, uint64_t *from, uint64_t *len)
{
    if (!h)
        return 0;
    if (strncmp(h, "bytes=", 6) != 0 || strchr(h, ','))
        return -1;
    const char *p = h + 6, *dash = strchr(p, '-'), *stop = dash ? dash + strlen(dash) : NULL;
    if (!dash)
        return -1;
    if (p == dash) {
        unsigned long long suffix;
        if (parse_digits(dash + 1, stop, &suffix) < 0 || suffix == 0 || size == 0)
            return -1;
        if (suffix > size)
            suffix = size;
        *from = size - suffix;
        *len = suffix;
        return 1;
    }
    unsigned long long a, b = size - 1;
    if (parse_digits(p, dash, &a) < 0 || a >= size)
        return -1;
    if (dash[1]) {
        if (parse_digits(dash + 1, stop, &b) < 0 || b < a)
            return -1;
        if (b >= size)
            b = size - 1;
    }
    *from = a;
    *len = b - a + 1;
    return 1;
}

/* fd opened read-only and its size; -1 (nothing open) if it cannot be opened or read. */
static int open_sized(const char *path, uint64_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *size = (uint64_t)sb.st_size;
    return fd;
}

void api_get_media(struct api *a, struct http_req *req, const struct api_call *call)
{
    const char *name = call->param[0];
    char path[4096];
    if (media_path(a->media, name, path, sizeof path) < 0) {
        api_reply_error(req, 404, "not_found", "no such media");
        return;
    }
    char etag[80];
    snprintf(etag, sizeof etag, "\"%.64s\"", name);
    const char *inm = http_req_header(req, "If-None-Match");
    if (inm && (strstr(inm, etag) || !strcmp(inm, "*"))) {
        const char *h[] = {"ETag", etag, NULL};
        http_reply(req, 304, NULL, "", 0, h);
        return;
    }
    uint64_t size = 0, from = 0, len;
    int fd = open_sized(path, &size);
    if (fd < 0) {
        api_reply_error(req, 404, "not_found", "no such media");
        return;
    }
    len = size;
    int r = parse_range(http_req_header(req, "Range"), size, &from, &len);
    char cr[96];
    if (r < 0) {
        close(fd);
        snprintf(cr, sizeof cr, "bytes */%llu", (unsigned long long)size);
        const char *h[] = {"Content-Range", cr, NULL};
        static const char body[] =
            "{\"error\":\"bad_range\",\"message\":\"the range is not satisfiable\"}";
        http_reply(req, 416, "application/json", body, sizeof body - 1, h);
        return;
    }
    snprintf(cr, sizeof cr, "bytes %llu-%llu/%llu", (unsigned long long)from,
             (unsigned long long)(from + len - 1), (unsigned long long)size);
    const char *h[] = {"ETag",
                       etag,
                       "Accept-Ranges",
                       "bytes",
                       "Cache-Control",
                       "public, max-age=31536000, immutable",
                       r ? "Content-Range" : NULL,
                       cr,
                       NULL};
    http_reply_fd(req, r ? 206 : 200, fd, from, len, media_content_type(name), h);
}

void api_get_backup(struct api *a, struct http_req *req, const struct api_call *call)
{
    (void)call;
    char path[4200], err[PANIC_ERR_LEN];
    snprintf(path, sizeof path, "%s/backup-%lld.sqlite", a->cfg->state_dir,
             (long long)time_wall_ms());
    if (store_backup(a->store, path, err, sizeof err) < 0) {
        api_reply_error(req, 500, "backup_failed", "%s", err);
        return;
    }
    uint64_t size = 0;
    int fd = open_sized(path, &size);
    unlink(path); /* the open fd keeps the copy alive until it is sent */
    if (fd < 0) {
        api_reply_error(req, 500, "backup_failed", "could not read the backup");
        return;
    }
    const char *h[] = {"Content-Disposition", "attachment; filename=\"panic-backup.sqlite\"", NULL};
    log_info("backup sent bytes=%lld", (long long)size);
    http_reply_fd(req, 200, fd, 0, size, "application/vnd.sqlite3", h);
}
