/* coord_archive.c: the off-site archive (archive.h). One upload at a time from the store's queue
 * (uploads), oldest due first: a PUT of ENDPOINT/BUCKET/[PREFIX]KEY (path-style) with the file's
 * SHA-256 as x-amz-content-sha256, signed by libcurl (CURLOPT_AWS_SIGV4) through curl_ev, so
 * nothing waits on the network: the loop only reads the file a chunk at a time as curl sends it.
 * A success deletes the row. A transport failure (the link or the store is down) holds the whole
 * queue for a back-off that doubles from 1 s to archive_retry_max_seconds; an error answer (4xx,
 * 5xx) puts that row back with its own back-off and the queue goes on. A queued file that is gone
 * (a backup pruned, a picture evicted by the quota) is dropped with a warning. The secret comes
 * from $CREDENTIALS_DIRECTORY/archive_s3_secret_key, else the config; it is never logged.
 * Depends on the store, curl_ev and the config; not on HTTP or sqlite's header. */
#define _DEFAULT_SOURCE /* explicit_bzero */
#include "archive.h"
#include "common/log.h"
#include "common/util.h"
#include "coordinator/store/media.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define POLL_MS 2000                          /* an idle queue is looked at this often */
#define UPLOAD_TIMEOUT_MS (30L * 60 * 1000)   /* a whole backup over a slow uplink */
#define ROW_BACKOFF_FIRST_MS 30000            /* after an error answer */
#define ROW_BACKOFF_MAX_MS (60LL * 60 * 1000) /* an hour */

struct coord_archive {
    struct ev *ev;
    struct store *store;
    struct curl_ev *curl;
    const struct panicd_config *cfg;
    char secret[256], key_id[256], sigv4[96];
    uint64_t timer, call;
    int64_t row, row_attempts, started_ms;
    char row_key[512], row_kind[8];
    uint64_t row_bytes;
    int64_t link_failures; /* transport failures in a row */
    struct coord_archive_stats stats;
};

static void pump(struct coord_archive *a);

static void on_timer(struct ev *ev, uint64_t id, void *data)
{
    (void)ev;
    (void)id;
    struct coord_archive *a = data;
    a->timer = 0;
    pump(a);
}

static void arm(struct coord_archive *a, int64_t delay_ms)
{
    ev_timer_del(a->ev, a->timer);
    a->timer = ev_timer_in(a->ev, MAX(delay_ms, 0), on_timer, a);
}

static void upload_done(void *user, const struct http_result *r)
{
    struct coord_archive *a = user;
    int64_t now = time_wall_ms();
    a->call = 0;
    if (r->outcome == HTTP_OK && r->status >= 200 && r->status <= 299) {
        store_upload_done(a->store, a->row);
        a->link_failures = 0;
        a->stats.uploaded++;
        a->stats.bytes += a->row_bytes;
        if (!strcmp(a->row_kind, "backup"))
            log_info("archive: uploaded key=%s bytes=%llu ms=%lld", a->row_key,
                     (unsigned long long)a->row_bytes, (long long)(time_mono_ms() - a->started_ms));
        else
            log_debug("archive: uploaded key=%s bytes=%llu", a->row_key,
                      (unsigned long long)a->row_bytes);
        arm(a, 0);
        return;
    }
    char why[PANIC_ERR_LEN];
    a->stats.failed++;
    if (r->outcome != HTTP_OK) {
        /* The link or the store is down: the whole queue waits. */
        int64_t max = a->cfg->archive_retry_max_ms;
        int64_t hold = MIN(max, (int64_t)1000 << MIN(a->link_failures, 20));
        a->link_failures++;
        snprintf(why, sizeof why, "%s: %s", http_outcome_name(r->outcome),
                 r->error ? r->error : "");
        store_upload_failed(a->store, a->row, now + hold, why);
        log_warn("archive: upload failed key=%s error=\"%s\"; retrying in %lld ms", a->row_key, why,
                 (long long)hold);
        arm(a, hold);
        return;
    }
    int64_t back =
        MIN(ROW_BACKOFF_MAX_MS, (int64_t)ROW_BACKOFF_FIRST_MS << MIN(a->row_attempts, 10));
    back = MIN(back, MAX(a->cfg->archive_retry_max_ms, 1000));
    snprintf(why, sizeof why, "HTTP %ld %.160s", r->status, r->body ? r->body : "");
    why[strcspn(why, "\r\n")] = '\0';
    store_upload_failed(a->store, a->row, now + back, why);
    log_warn("archive: the store refused key=%s status=%ld; retrying it in %lld ms", a->row_key,
             r->status, (long long)back);
    arm(a, 0);
}

static const char *content_type(const struct store_upload *u)
{
    if (!strcmp(u->kind, "backup"))
        return "application/vnd.sqlite3";
    const char *t = media_content_type(u->key);
    return t ? t : "application/octet-stream";
}

/* Start the upload of u. 0, or -1 if its file is gone (the row is dropped). */
static int start(struct coord_archive *a, const struct store_upload *u)
{
    struct stat sb;
    if (stat(u->path, &sb) < 0 || !S_ISREG(sb.st_mode)) {
        log_warn("archive: dropped key=%s: the file is gone path=%s", u->key, u->path);
        store_upload_done(a->store, u->id);
        return -1;
    }
    char url[2048], sha[100], ctype[128];
    size_t base = url_base_len(a->cfg->archive_endpoint);
    snprintf(url, sizeof url, "%.*s/%s/%s", (int)base, a->cfg->archive_endpoint,
             a->cfg->archive_bucket, u->key);
    snprintf(sha, sizeof sha, "x-amz-content-sha256: %s", u->sha256);
    snprintf(ctype, sizeof ctype, "Content-Type: %s", content_type(u));
    const char *headers[] = {sha, ctype, NULL};
    struct http_call call = {
        .method = "PUT",
        .url = url,
        .headers = headers,
        .upload_path = u->path,
        .aws_sigv4 = a->sigv4,
        .aws_key_id = a->key_id,
        .aws_secret = a->secret,
        .timeout_ms = UPLOAD_TIMEOUT_MS,
    };
    a->row = u->id;
    a->row_attempts = u->attempts;
    a->row_bytes = (uint64_t)sb.st_size;
    snprintf(a->row_key, sizeof a->row_key, "%s", u->key);
    snprintf(a->row_kind, sizeof a->row_kind, "%s", u->kind);
    a->started_ms = time_mono_ms();
    a->call = curl_ev_start(a->curl, &call, upload_done, a);
    if (!a->call) {
        store_upload_failed(a->store, u->id, time_wall_ms() + a->cfg->archive_retry_max_ms,
                            "the upload could not start");
        log_warn("archive: could not start the upload key=%s", u->key);
    }
    return 0;
}

static void pump(struct coord_archive *a)
{
    if (a->call)
        return;
    struct store_upload u;
    for (int dropped = 0; dropped < 100; dropped++) {
        int rc = store_upload_next(a->store, &u);
        if (rc < 0) {
            arm(a, POLL_MS);
            return;
        }
        int64_t wait = u.next_at - time_wall_ms();
        if (wait > 0) {
            store_upload_clear(&u);
            arm(a, MIN(wait, POLL_MS));
            return;
        }
        rc = start(a, &u);
        store_upload_clear(&u);
        if (rc == 0) {
            if (!a->call)
                arm(a, POLL_MS);
            return;
        }
    }
    arm(a, 0);
}

/* First line of a file into buf; 0 or -1. */
static int read_line(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int ok = fgets(buf, (int)len, f) != NULL;
    fclose(f);
    buf[strcspn(buf, "\r\n")] = '\0';
    return ok && buf[0] ? 0 : -1;
}

/* A credential ($CREDENTIALS_DIRECTORY/name), else the config's value, else its file. */
static int credential(const char *name, const char *value, const char *file, char *buf, size_t len)
{
    const char *dir = getenv("CREDENTIALS_DIRECTORY");
    char path[4200];
    if (dir) {
        snprintf(path, sizeof path, "%s/%s", dir, name);
        if (read_line(path, buf, len) == 0)
            return 0;
    }
    if (value) {
        snprintf(buf, len, "%s", value);
        return 0;
    }
    return file ? read_line(file, buf, len) : -1;
}

struct coord_archive *coord_archive_new(struct ev *ev, struct store *store, struct curl_ev *curl,
                                        const struct panicd_config *cfg)
{
    if (!cfg->archive_endpoint)
        return NULL;
    struct coord_archive *a = xcalloc(1, sizeof *a);
    a->ev = ev;
    a->store = store;
    a->curl = curl;
    a->cfg = cfg;
    if (credential("archive_s3_access_key_id", cfg->archive_key_id, NULL, a->key_id,
                   sizeof a->key_id) < 0 ||
        credential("archive_s3_secret_key", cfg->archive_secret, cfg->archive_secret_file,
                   a->secret, sizeof a->secret) < 0) {
        log_err("archive: no access key id or secret (archive_s3_access_key_id, "
                "archive_s3_secret_key[_file] or the systemd credentials of those names); "
                "nothing is uploaded");
        coord_archive_free(a);
        return NULL;
    }
    snprintf(a->sigv4, sizeof a->sigv4, "aws:amz:%s:s3", cfg->archive_region);
    log_info("archive: uploading to endpoint=%s bucket=%s region=%s queued=%lld",
             cfg->archive_endpoint, cfg->archive_bucket, cfg->archive_region,
             (long long)store_upload_count(store));
    arm(a, 0);
    return a;
}

void coord_archive_free(struct coord_archive *a)
{
    if (!a)
        return;
    ev_timer_del(a->ev, a->timer);
    curl_ev_cancel(a->curl, a->call);
    explicit_bzero(a->secret, sizeof a->secret);
    explicit_bzero(a->key_id, sizeof a->key_id);
    free(a);
}

void coord_archive_add_backup(void *user, const char *path, const char *name, const char *sha256)
{
    struct coord_archive *a = user;
    char key[512];
    snprintf(key, sizeof key, "%sbackups/%s", a->cfg->archive_prefix ? a->cfg->archive_prefix : "",
             name);
    if (store_upload_add(a->store, "backup", path, key, sha256, time_wall_ms()) < 0)
        log_warn("archive: could not queue backup=%s", name);
    else if (!a->call)
        arm(a, 0);
}

void coord_archive_get_stats(const struct coord_archive *a, struct coord_archive_stats *out)
{
    *out = a->stats;
}
