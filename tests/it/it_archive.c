/* it_archive.c: the off-site archive (issue 13, part 6) against a real S3-compatible server on
 * loopback: s3rver (the npm registry's, installed by `scripts/deps.sh test` into
 * ~/.cache/panic/s3rver, or $PANIC_S3RVER), started here with its data in the test's dir. A real
 * panicd with the archive configured (the secret as a systemd credential) uploads the pictures a
 * run makes and a backup; every object is fetched back with a signed GET and compared byte for
 * byte with the local file. Then the server is down: the uploads wait in the queue, which
 * survives a restart of panicd, and arrive once the server is up again. Without s3rver the tests
 * fail, unless PANIC_NO_NPM=1 (no npm registry here) says to skip them.
 * Note: s3rver checks the access key id and the x-amz-content-sha256 header but not the V4
 * signature itself; the signing is libcurl's. */
#define _GNU_SOURCE
#include "common/buf.h"
#include "common/file.h"
#include "support.h"
#include "test.h"

#include <curl/curl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define BUCKET "panic-archive"
#define KEY_ID "S3RVER"
#define SECRET "S3RVER"

static char s3rver_bin[1024];

static int find_s3rver(void)
{
    const char *env = getenv("PANIC_S3RVER");
    if (env && *env)
        snprintf(s3rver_bin, sizeof s3rver_bin, "%s", env);
    else if (getenv("XDG_CACHE_HOME"))
        snprintf(s3rver_bin, sizeof s3rver_bin, "%s/panic/s3rver/node_modules/.bin/s3rver",
                 getenv("XDG_CACHE_HOME"));
    else
        snprintf(s3rver_bin, sizeof s3rver_bin, "%s/.cache/panic/s3rver/node_modules/.bin/s3rver",
                 getenv("HOME") ? getenv("HOME") : "/root");
    return access(s3rver_bin, X_OK) == 0 ? 0 : -1;
}

struct s3 {
    pid_t pid;
    int port;
    char dir[400], log[420];
};

/* Start s3rver on 127.0.0.1 (port 0: a free one) with its data in dir; wait for its port. */
static int s3_start(struct s3 *s, const char *dir, int port)
{
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    snprintf(s->log, sizeof s->log, "%s.log", dir);
    mkdir(dir, 0700);
    unlink(s->log);
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    s->pid = fork();
    if (s->pid == 0) {
        FILE *f = freopen(s->log, "w", stdout);
        (void)f;
        dup2(1, 2);
        execl(s3rver_bin, "s3rver", "-d", dir, "-a", "127.0.0.1", "-p", portstr,
              "--configure-bucket", BUCKET, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 300; i++) {
        char buf[4096] = "";
        FILE *f = fopen(s->log, "r");
        size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
        if (f)
            fclose(f);
        buf[n] = '\0';
        const char *at = strstr(buf, "listening on 127.0.0.1:");
        if (at) {
            s->port = atoi(at + strlen("listening on 127.0.0.1:"));
            return s->port > 0 ? 0 : -1;
        }
        support_sleep_ms(50);
    }
    printf("  s3rver did not start; its log:\n");
    char cmd[600];
    snprintf(cmd, sizeof cmd, "tail -n 20 '%s'", s->log);
    if (system(cmd) != 0) {
    }
    return -1;
}

static void s3_stop(struct s3 *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        waitpid(s->pid, NULL, 0);
    }
    s->pid = 0;
}

static size_t collect(char *ptr, size_t size, size_t n, void *user)
{
    struct buf *b = user;
    buf_append(b, ptr, size * n);
    return size * n;
}

/* A signed GET of BUCKET/key into out; the HTTP status (0: no answer). */
static long s3_get(const struct s3 *s, const char *key, struct buf *out)
{
    char url[1024];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/%s/%s", s->port, BUCKET, key);
    CURL *h = curl_easy_init();
    struct curl_slist *hd =
        curl_slist_append(NULL, "x-amz-content-sha256: "
                                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_AWS_SIGV4, "aws:amz:us-east-1:s3");
    curl_easy_setopt(h, CURLOPT_USERNAME, KEY_ID);
    curl_easy_setopt(h, CURLOPT_PASSWORD, SECRET);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
    long status = 0;
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hd);
    curl_easy_cleanup(h);
    return status;
}

/* The archive's config for the server on port; the secret goes in as a systemd credential. */
static void archive_config(const struct daemon *d, int port, char *out, size_t len)
{
    char creds[400];
    snprintf(creds, sizeof creds, "%s/creds", d->dir);
    mkdir(creds, 0700);
    char path[500];
    snprintf(path, sizeof path, "%s/archive_s3_secret_key", creds);
    write_file(path, SECRET "\n", strlen(SECRET) + 1);
    setenv("CREDENTIALS_DIRECTORY", creds, 1);
    snprintf(out, len,
             "backup_interval_seconds 0\narchive_s3_endpoint http://127.0.0.1:%d/\n"
             "archive_s3_bucket " BUCKET "\narchive_s3_access_key_id " KEY_ID "\n"
             "archive_s3_prefix gallery-a/\narchive_s3_retry_max_seconds 1\n",
             port);
}

/* A network of pictures and captions, run until it has made `pictures` pictures. */
static int make_pictures(const struct daemon *d, int pictures)
{
    long st;
    json_t *j = api_json(
        d, "POST", "/api/v1/networks", d->token,
        "{\"name\":\"pics\",\"models\":[\"dummy-t2i\",\"dummy-i2t\"],\"lockout_seconds\":0,"
        "\"schedule\":[{\"delay_s\":0.05}]}",
        &st);
    long long net = st == 201 ? json_int_of(j, "id", -1) : -1;
    json_decref(j);
    if (net < 0 || api_post_prompt(d, net, d->token, NULL, "a harbour at dusk", NULL) != 201)
        return -1;
    char sql[200];
    snprintf(sql, sizeof sql,
             "SELECT count(DISTINCT output) FROM invocations WHERE network_id = %lld AND "
             "output_type = 'image'",
             net);
    for (int i = 0; i < 200 && daemon_db_int(d, sql) < pictures; i++)
        support_sleep_ms(50);
    char path[96];
    snprintf(path, sizeof path, "/api/v1/networks/%lld/stop", net);
    api_status(d, "POST", path, d->token, NULL);
    return daemon_db_int(d, sql) >= pictures ? 0 : -1;
}

static int queue_empty(const struct daemon *d, int timeout_ms)
{
    for (int i = 0; i < timeout_ms / 50 && daemon_db_int(d, "SELECT count(*) FROM uploads") != 0;
         i++)
        support_sleep_ms(50);
    return daemon_db_int(d, "SELECT count(*) FROM uploads") == 0;
}

/* Every picture of the store and every backup in backups/ is in the bucket, byte for byte. */
static int check_objects(const struct daemon *d, const struct s3 *s)
{
    char db[400];
    snprintf(db, sizeof db, "%s/panic.sqlite", d->dir);
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    int checked = 0, bad = 0;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(h, "SELECT DISTINCT output FROM invocations WHERE output_type = 'image'",
                           -1, &st, NULL) != SQLITE_OK) {
        sqlite3_close(h);
        return -1;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        char local[600], key[300];
        snprintf(local, sizeof local, "%s/media/%.2s/%s", d->dir, name, name);
        snprintf(key, sizeof key, "gallery-a/media/%s", name);
        struct buf want = BUF_INIT, got = BUF_INIT;
        long status = s3_get(s, key, &got);
        if (file_read(local, SIZE_MAX, 0, &want, NULL, 0) < 0 || status != 200 ||
            got.len != want.len || memcmp(got.data, want.data, want.len) != 0) {
            printf("  object %s: status %ld, %zu bytes, local %zu\n", key, status, got.len,
                   want.len);
            bad++;
        }
        checked++;
        buf_free(&want);
        buf_free(&got);
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    return bad ? -1 : checked;
}

static int check_backup_object(const struct daemon *d, const struct s3 *s, const char *name)
{
    char local[600], key[300];
    snprintf(local, sizeof local, "%s/backups/%s", d->dir, name);
    snprintf(key, sizeof key, "gallery-a/backups/%s", name);
    struct buf want = BUF_INIT, got = BUF_INIT;
    long status = s3_get(s, key, &got);
    int ok = file_read(local, SIZE_MAX, 0, &want, NULL, 0) == 0 && status == 200 &&
             got.len == want.len && want.len > 0 && !memcmp(got.data, want.data, want.len);
    if (!ok)
        printf("  backup %s: status %ld, %zu bytes, local %zu\n", key, status, got.len, want.len);
    buf_free(&want);
    buf_free(&got);
    return ok ? 0 : -1;
}

/* POST /api/v1/backups; its file name into name once written. */
static int backup_now(const struct daemon *d, char *name, size_t len)
{
    int before = daemon_log_count(d, "backup written");
    long st;
    json_t *j = api_json(d, "POST", "/api/v1/backups", d->token, "{}", &st);
    if (st == 202 && json_str_of(j, "name"))
        snprintf(name, len, "%s", json_str_of(j, "name"));
    json_decref(j);
    for (int i = 0; i < 200 && daemon_log_count(d, "backup written") <= before; i++)
        support_sleep_ms(50);
    return st == 202 && daemon_log_count(d, "backup written") > before ? 0 : -1;
}

#define NEED_S3RVER()                                                                              \
    do {                                                                                           \
        if (find_s3rver() < 0) {                                                                   \
            if (getenv("PANIC_NO_NPM") && !strcmp(getenv("PANIC_NO_NPM"), "1")) {                  \
                printf("  skipped: no s3rver at %s (PANIC_NO_NPM=1)\n", s3rver_bin);               \
                return;                                                                            \
            }                                                                                      \
            printf("  no s3rver at %s: run scripts/deps.sh test (or set PANIC_S3RVER)\n",          \
                   s3rver_bin);                                                                    \
            CHECK(!"s3rver is installed");                                                         \
            return;                                                                                \
        }                                                                                          \
    } while (0)

TEST(media_and_backups_arrive)
{
    NEED_S3RVER();
    struct daemon d;
    struct s3 s = {0};
    char dir[300], conf[800], name[200] = "";
    REQUIRE(daemon_start(&d, "") == 0); /* for its dir; restarted below with the archive */
    daemon_stop(&d, 5000, NULL);
    snprintf(dir, sizeof dir, "%s/s3data", d.dir);
    if (s3_start(&s, dir, 0) < 0) {
        CHECK(!"s3rver started");
        daemon_cleanup(&d);
        return;
    }
    archive_config(&d, s.port, conf, sizeof conf);
    FILE *f = fopen(d.config, "a");
    fputs(conf, f);
    fclose(f);
    if (daemon_restart(&d) < 0) {
        CHECK(!"panicd restarted with the archive");
        goto out;
    }
    CHECK(make_pictures(&d, 3) == 0);
    CHECK(backup_now(&d, name, sizeof name) == 0);
    CHECK(queue_empty(&d, 20000));
    CHECK_GE(check_objects(&d, &s), 3);
    CHECK(check_backup_object(&d, &s, name) == 0);
    CHECK_EQ_INT(daemon_log_count(&d, SECRET), 0);
    CHECK_EQ_INT(daemon_log_count(&d, "archive: uploaded key=gallery-a/backups/"), 1);
out:
    daemon_stop(&d, 5000, NULL);
    s3_stop(&s);
    daemon_cleanup(&d);
    unsetenv("CREDENTIALS_DIRECTORY");
}

/* The server is down: uploads wait in the queue, across a restart of panicd, and arrive when it
 * is up again. */
TEST(queue_survives_restart_and_dead_link)
{
    NEED_S3RVER();
    struct daemon d;
    struct s3 s = {0};
    char dir[300], conf[800], name[200] = "";
    REQUIRE(daemon_start(&d, "") == 0);
    daemon_stop(&d, 5000, NULL);
    snprintf(dir, sizeof dir, "%s/s3data", d.dir);
    if (s3_start(&s, dir, 0) < 0) {
        CHECK(!"s3rver started");
        daemon_cleanup(&d);
        return;
    }
    int port = s.port;
    s3_stop(&s); /* the link is dead from the start */
    archive_config(&d, port, conf, sizeof conf);
    FILE *f = fopen(d.config, "a");
    fputs(conf, f);
    fclose(f);
    if (daemon_restart(&d) < 0) {
        CHECK(!"panicd restarted with the archive");
        goto out;
    }
    CHECK(make_pictures(&d, 2) == 0);
    CHECK(backup_now(&d, name, sizeof name) == 0);
    for (int i = 0; i < 100 && daemon_log_count(&d, "archive: upload failed") < 2; i++)
        support_sleep_ms(50);
    CHECK_GE(daemon_log_count(&d, "archive: upload failed"), 2);
    long long queued = daemon_db_int(&d, "SELECT count(*) FROM uploads");
    CHECK_GE(queued, 3);
    CHECK_EQ_INT(daemon_db_int(&d, "SELECT count(*) FROM uploads WHERE kind = 'backup'"), 1);

    /* A restart keeps the queue. */
    REQUIRE(daemon_stop(&d, 5000, NULL) == 0);
    CHECK_EQ_INT(daemon_db_int(&d, "SELECT count(*) FROM uploads"), queued);
    REQUIRE(daemon_restart(&d) == 0);
    support_sleep_ms(300);
    CHECK(daemon_db_int(&d, "SELECT count(*) FROM uploads") >= queued);

    /* The server comes back on its port: everything arrives. */
    if (s3_start(&s, dir, port) < 0) {
        CHECK(!"s3rver restarted on its port");
        goto out;
    }
    CHECK(queue_empty(&d, 20000));
    CHECK_GE(check_objects(&d, &s), 2);
    CHECK(check_backup_object(&d, &s, name) == 0);
out:
    daemon_stop(&d, 5000, NULL);
    s3_stop(&s);
    daemon_cleanup(&d);
    unsetenv("CREDENTIALS_DIRECTORY");
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_teardown = support_reap;
    RUN(media_and_backups_arrive);
    RUN(queue_survives_restart_and_dead_link);
    support_done();
    TEST_END("it_archive");
}
