/* coord_backup.c: the nightly backups and restores (backup.h). The loop never waits on a backup:
 * each job runs on a thread of its own (one job at a time), which uses its own sqlite connection
 * (store_backup_file, store_restore_prepare: WAL lets it read a snapshot while the loop writes)
 * and tells the loop it is done by a byte on a pipe the loop watches; the loop then joins the
 * thread (so it sees the job's results) and acts. A backup is written as a hidden .part name,
 * fsynced, renamed and the directory fsynced; then the oldest beyond backup_keep are deleted. A
 * restore copies the file next to the database, checks and migrates the copy on the thread; the
 * loop then unloads the runners, swaps the file in (store_swap: an atomic rename, the old
 * database kept as panic.sqlite.before-restore) and starts them again. Depends on the store's
 * header, the coordinator and POSIX threads; not on HTTP or sqlite's header. */
#define _DEFAULT_SOURCE /* scandir, alphasort */
#include "backup.h"
#include "common/lib/crypto.h"
#include "common/log.h"
#include "common/util.h"
#include "coordinator/store/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RETRY_AFTER_FAILURE_MS (10 * 60 * 1000)
#define FIRST_BACKUP_MAX_MS (60 * 60 * 1000)

enum job { JOB_NONE, JOB_BACKUP, JOB_RESTORE };

struct backups {
    struct ev *ev;
    struct coord *coord;
    struct store *store;
    const struct panicd_config *cfg;
    char *db_path, *dir, *before_restore;
    int pipe_rd, pipe_wr;
    uint64_t timer;
    backup_made_fn on_made;
    void *on_made_user;
    backup_restored_fn on_restored;
    void *on_restored_user;
    /* The job on the worker. Written by the loop before pthread_create, results by the worker
     * before its byte on the pipe; the loop reads them after pthread_join. */
    enum job job;
    pthread_t thread;
    char src[4096], part[4300], final[4300], name[96];
    int rc, from_version;
    char err[PANIC_ERR_LEN];
    char sha256[CRYPTO_SHA256_HEX_LEN]; /* of a written backup, when on_made wants it */
    int64_t elapsed_ms;
    /* The last restore, for GET /api/v1/restore. */
    enum restore_state rstate;
    char rfile[4096], rerr[PANIC_ERR_LEN];
    int rfrom;
    int64_t rstarted, rfinished;
};

/* ---- on the worker ---- */

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = fsync(fd) < 0 ? -errno : 0;
    close(fd);
    return rc;
}

static int is_backup_name(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return !strncmp(e->d_name, "panic-", 6) && n > 13 && !strcmp(e->d_name + n - 7, ".sqlite");
}

/* Delete the oldest backups beyond keep (the names sort by time). */
static void prune(struct backups *b)
{
    struct dirent **list = NULL;
    int n = scandir(b->dir, &list, is_backup_name, alphasort);
    for (int i = 0; i < n; i++) {
        if (i < n - b->cfg->backup_keep) {
            char path[4400];
            snprintf(path, sizeof path, "%s/%s", b->dir, list[i]->d_name);
            unlink(path);
        }
        free(list[i]);
    }
    free(list);
}

/* The SHA-256 of a file's bytes into hex ("" if it cannot be read). */
static void hash_file(const char *path, char hex[CRYPTO_SHA256_HEX_LEN])
{
    hex[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    struct crypto_sha256 *h = crypto_sha256_new();
    char *buf = xmalloc(1 << 20);
    ssize_t n;
    while ((n = read(fd, buf, 1 << 20)) > 0)
        crypto_sha256_update(h, buf, (size_t)n);
    if (n == 0)
        crypto_sha256_final_hex(h, hex);
    crypto_sha256_free(h);
    free(buf);
    close(fd);
}

static void job_backup(struct backups *b)
{
    unlink(b->part);
    b->rc = store_backup_file(b->db_path, b->part, b->err, sizeof b->err);
    if (b->rc == 0 && rename(b->part, b->final) < 0) {
        b->rc = -errno;
        snprintf(b->err, sizeof b->err, "rename %.160s: %s", b->part, strerror(errno));
        unlink(b->part);
    }
    if (b->rc == 0) {
        fsync_dir(b->dir);
        prune(b);
        b->sha256[0] = '\0';
        if (b->on_made)
            hash_file(b->final, b->sha256);
    }
}

static int write_whole(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Copy src to dst (created 0600, fsynced). 0, or -errno with err set. */
static int copy_file(const char *src, const char *dst, char *err, size_t errlen)
{
    int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, rc = 0;
    if (in < 0) {
        rc = -errno;
        snprintf(err, errlen, "%.160s: %s", src, strerror(errno));
        return rc;
    }
    out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0) {
        rc = -errno;
        snprintf(err, errlen, "%.160s: %s", dst, strerror(errno));
        close(in);
        return rc;
    }
    static const size_t chunk = 1 << 20;
    char *buf = xmalloc(chunk);
    ssize_t n;
    while ((n = read(in, buf, chunk)) > 0) {
        if (write_whole(out, buf, (size_t)n) < 0) {
            n = -1;
            break;
        }
    }
    if (n < 0 || fsync(out) < 0) {
        rc = -errno;
        snprintf(err, errlen, "copying %.160s: %s", src, strerror(errno));
    }
    free(buf);
    close(in);
    close(out);
    return rc;
}

static void job_restore(struct backups *b)
{
    unlink(b->part);
    b->rc = copy_file(b->src, b->part, b->err, sizeof b->err);
    if (b->rc == 0)
        b->rc = store_restore_prepare(b->part, &b->from_version, b->err, sizeof b->err);
    if (b->rc < 0)
        unlink(b->part);
}

static void *worker(void *arg)
{
    struct backups *b = arg;
    int64_t t0 = time_mono_ms();
    if (b->job == JOB_BACKUP)
        job_backup(b);
    else
        job_restore(b);
    b->elapsed_ms = time_mono_ms() - t0;
    char c = 1;
    while (write(b->pipe_wr, &c, 1) < 0 && errno == EINTR) {
    }
    return NULL;
}

/* ---- on the loop ---- */

static void on_timer(struct ev *ev, uint64_t id, void *data);

static void arm(struct backups *b, int64_t delay_ms)
{
    ev_timer_del(b->ev, b->timer);
    b->timer = b->cfg->backup_interval_ms > 0 ? ev_timer_in(b->ev, delay_ms, on_timer, b) : 0;
}

static int start_job(struct backups *b, enum job job)
{
    if (b->job != JOB_NONE)
        return -EBUSY;
    if (b->pipe_wr < 0)
        return -EIO;
    b->job = job;
    b->rc = 0;
    b->from_version = 0;
    b->err[0] = '\0';
    /* Signals stay with the main thread. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&b->thread, NULL, worker, b);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        b->job = JOB_NONE;
        log_err("backup: cannot start a thread: %s", strerror(rc));
        return -rc;
    }
    return 0;
}

int backups_start(struct backups *b)
{
    if (b->job != JOB_NONE)
        return -EBUSY;
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    /* Two in one second: the second gets -2, -3, ... (still sorting after the first). */
    struct stat sb;
    for (int k = 1; k < 100; k++) {
        if (k == 1)
            snprintf(b->name, sizeof b->name, "panic-%s.sqlite", stamp);
        else
            snprintf(b->name, sizeof b->name, "panic-%s-%02d.sqlite", stamp, k);
        snprintf(b->final, sizeof b->final, "%s/%s", b->dir, b->name);
        if (stat(b->final, &sb) < 0)
            break;
    }
    snprintf(b->part, sizeof b->part, "%s/.%s.part", b->dir, b->name);
    return start_job(b, JOB_BACKUP);
}

const char *backups_current_name(const struct backups *b)
{
    return b->name;
}

static void on_timer(struct ev *ev, uint64_t id, void *data)
{
    (void)ev;
    (void)id;
    struct backups *b = data;
    b->timer = 0;
    if (backups_start(b) < 0)
        arm(b, 1000); /* a restore (or a failed thread) is in the way: soon again */
}

static void backup_done(struct backups *b)
{
    if (b->rc < 0) {
        log_err("backup failed error=\"%s\"; next try in %d min", b->err,
                RETRY_AFTER_FAILURE_MS / 60000);
        arm(b, MIN(RETRY_AFTER_FAILURE_MS, b->cfg->backup_interval_ms));
        return;
    }
    struct stat sb;
    long long size = stat(b->final, &sb) == 0 ? (long long)sb.st_size : -1;
    log_info("backup written path=%s bytes=%lld ms=%lld", b->final, size, (long long)b->elapsed_ms);
    arm(b, b->cfg->backup_interval_ms);
    if (b->on_made && b->sha256[0])
        b->on_made(b->on_made_user, b->final, b->name, b->sha256);
}

/* The runners stop, the file is swapped in, they start again as the restored store has them. */
static void restore_swap(struct backups *b)
{
    char err[PANIC_ERR_LEN];
    coord_unload(b->coord, "restoring a backup");
    int rc = store_swap(b->store, b->part, b->before_restore, err, sizeof err);
    if (rc < 0) {
        unlink(b->part);
        snprintf(b->rerr, sizeof b->rerr, "%s", err);
    }
    char start_err[160];
    if (coord_start(b->coord, start_err, sizeof start_err) < 0) {
        log_err("restore: cannot start the runners again: %s", start_err);
        if (rc == 0)
            snprintf(b->rerr, sizeof b->rerr, "cannot start the runners: %s", start_err);
        rc = -EIO;
    }
    coord_announce(b->coord);
    b->rstate = rc < 0 ? RESTORE_FAILED : RESTORE_DONE;
    if (rc == 0)
        log_info("restored file=%s schema=%d->%d ms=%lld (the old database is %s)", b->rfile,
                 b->rfrom, store_schema_version(), (long long)(time_wall_ms() - b->rstarted),
                 b->before_restore);
    else
        log_err("restore failed file=%s error=\"%s\"", b->rfile, b->rerr);
    if (b->on_restored)
        b->on_restored(b->on_restored_user);
}

static void restore_done(struct backups *b)
{
    b->rfrom = b->from_version;
    if (b->rc < 0) {
        snprintf(b->rerr, sizeof b->rerr, "%s", b->err);
        b->rstate = RESTORE_FAILED;
        log_err("restore refused file=%s error=\"%s\"", b->rfile, b->rerr);
    } else {
        restore_swap(b);
    }
    b->rfinished = time_wall_ms();
}

static void on_pipe(struct ev *ev, int fd, int mask, void *data)
{
    (void)ev;
    (void)mask;
    struct backups *b = data;
    char drain[16];
    while (read(fd, drain, sizeof drain) > 0) {
    }
    if (b->job == JOB_NONE)
        return;
    pthread_join(b->thread, NULL);
    enum job job = b->job;
    b->job = JOB_NONE;
    if (job == JOB_BACKUP)
        backup_done(b);
    else
        restore_done(b);
}

int backups_restore(struct backups *b, const char *file)
{
    if (b->job != JOB_NONE)
        return -EBUSY;
    snprintf(b->src, sizeof b->src, "%s", file);
    snprintf(b->part, sizeof b->part, "%s.restore.part", b->db_path);
    snprintf(b->rfile, sizeof b->rfile, "%s", file);
    b->rerr[0] = '\0';
    b->rfrom = 0;
    b->rstarted = time_wall_ms();
    b->rfinished = 0;
    int rc = start_job(b, JOB_RESTORE);
    b->rstate = rc == 0 ? RESTORE_RUNNING : RESTORE_FAILED;
    if (rc == 0)
        log_info("restore started file=%s", file);
    return rc;
}

void backups_restore_status(const struct backups *b, struct restore_status *out)
{
    *out = (struct restore_status){
        .state = b->rstate,
        .file = b->rfile,
        .from_version = b->rfrom,
        .to_version = store_schema_version(),
        .error = b->rerr,
        .started_at = b->rstarted,
        .finished_at = b->rfinished,
    };
}

const char *restore_state_name(enum restore_state s)
{
    static const char *const names[] = {"none", "running", "done", "failed"};
    return names[s];
}

/* The newest backup's age in ms, or -1 when there is none. */
static int64_t newest_age_ms(const struct backups *b)
{
    struct dirent **list = NULL;
    int n = scandir(b->dir, &list, is_backup_name, alphasort);
    int64_t age = -1;
    struct stat sb;
    char path[4400];
    if (n > 0) {
        snprintf(path, sizeof path, "%s/%s", b->dir, list[n - 1]->d_name);
        if (stat(path, &sb) == 0)
            age = MAX(time_wall_ms() - (int64_t)sb.st_mtime * 1000, 0);
    }
    for (int i = 0; i < n; i++)
        free(list[i]);
    free(list);
    return age;
}

struct backups *backups_new(struct ev *ev, struct coord *coord, struct store *store,
                            const struct panicd_config *cfg)
{
    struct backups *b = xcalloc(1, sizeof *b);
    b->ev = ev;
    b->coord = coord;
    b->store = store;
    b->cfg = cfg;
    b->db_path = xasprintf("%s/panic.sqlite", cfg->state_dir);
    b->dir = xasprintf("%s/backups", cfg->state_dir);
    b->before_restore = xasprintf("%s/panic.sqlite.before-restore", cfg->state_dir);
    b->pipe_rd = b->pipe_wr = -1;
    if (mkdir(b->dir, 0700) < 0 && errno != EEXIST)
        log_warn("backup: cannot create %s: %s", b->dir, strerror(errno));
    int p[2];
    if (pipe(p) < 0) {
        log_err("backup: pipe: %s", strerror(errno));
        return b; /* no job can start (-EIO) */
    }
    b->pipe_rd = p[0];
    b->pipe_wr = p[1];
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    fcntl(p[0], F_SETFD, FD_CLOEXEC);
    fcntl(p[1], F_SETFD, FD_CLOEXEC);
    ev_fd_add(ev, p[0], EV_READ, on_pipe, b);
    /* Due an interval after the newest backup, so restarts (a nightly one) do not put it off;
     * a new installation's first one comes after at most an hour. */
    int64_t age = newest_age_ms(b);
    arm(b, age < 0 ? MIN(cfg->backup_interval_ms, FIRST_BACKUP_MAX_MS)
                   : MAX(cfg->backup_interval_ms - age, 0));
    return b;
}

void backups_free(struct backups *b)
{
    if (!b)
        return;
    if (b->job != JOB_NONE)
        pthread_join(b->thread, NULL);
    if (b->job == JOB_RESTORE)
        unlink(b->part);
    ev_timer_del(b->ev, b->timer);
    if (b->pipe_rd >= 0) {
        ev_fd_del(b->ev, b->pipe_rd);
        close(b->pipe_rd);
        close(b->pipe_wr);
    }
    free(b->db_path);
    free(b->dir);
    free(b->before_restore);
    free(b);
}

void backups_on_made(struct backups *b, backup_made_fn fn, void *user)
{
    b->on_made = fn;
    b->on_made_user = user;
}

void backups_on_restored(struct backups *b, backup_restored_fn fn, void *user)
{
    b->on_restored = fn;
    b->on_restored_user = user;
}
