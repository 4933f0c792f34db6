/* test_mediacache.c: the display's disk cache in a fresh temporary directory per test: commits
 * verified by SHA-256, rejected names and hashes, least-recently-used eviction with pins, and
 * the index rebuilt from the directory on reopen. Hashes are computed here with libcrypto
 * independently of the cache, and the directory is checked with plain stat/readdir. */
#include "display/mediacache.h"
#include "test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[64];
static int dir_counter;

static void rm_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char p[512];
            snprintf(p, sizeof p, "%s/%s", path, e->d_name);
            rm_tree(p);
        }
        closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* A new, not yet existing cache directory path under tmpdir. */
static void fresh_dir(char *buf, size_t len)
{
    snprintf(buf, len, "%s/c%d", tmpdir, ++dir_counter);
}

/* "<sha256 of data>.<ext>" into name (>= MEDIACACHE_NAME_MAX). */
static void name_of(const void *data, size_t len, const char *ext, char *name)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++)
        snprintf(name + 2 * i, 3, "%02x", md[i]);
    snprintf(name + 64, MEDIACACHE_NAME_MAX - 64, ".%s", ext);
}

/* Download data under name in two chunks; the commit's result. */
static int put_as(struct mediacache *c, const char *name, const void *data, size_t len)
{
    struct mediacache_part *p = NULL;
    int rc = mediacache_begin_write(c, name, &p);
    if (rc < 0)
        return rc;
    size_t half = len / 2;
    if (mediacache_part_write(p, data, half) < 0 ||
        mediacache_part_write(p, (const char *)data + half, len - half) < 0) {
        mediacache_abort(c, p);
        return -EIO;
    }
    if (mediacache_part_size(p) != len) {
        mediacache_abort(c, p);
        return -EIO;
    }
    return mediacache_commit(c, p);
}

/* n bytes of a pattern distinct per seed, committed under their real name (into name). */
static int put_blob(struct mediacache *c, int seed, size_t n, char *name)
{
    unsigned char buf[4096];
    for (size_t i = 0; i < n && i < sizeof buf; i++)
        buf[i] = (unsigned char)(seed * 31 + i * 7);
    name_of(buf, n, "png", name);
    return put_as(c, name, buf, n);
}

static int file_exists(const char *dir, const char *name)
{
    char p[512];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return stat(p, &st) == 0;
}

/* Number of entries in dir whose name ends in suffix. */
static int count_suffix(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    int n = 0;
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t a = strlen(e->d_name), b = strlen(suffix);
        n += a >= b && !strcmp(e->d_name + a - b, suffix);
    }
    closedir(d);
    return n;
}

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    if (f) {
        if (len)
            fwrite(data, 1, len, f);
        fclose(f);
    }
}

static void set_mtime(const char *dir, const char *name, time_t t)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    struct timespec ts[2] = {{t, 0}, {t, 0}};
    utimensat(AT_FDCWD, p, ts, 0);
}

static struct mediacache *open_cache(const char *dir, uint64_t max)
{
    char err[256] = "";
    struct mediacache *c = mediacache_open(dir, max, err, sizeof err);
    if (!c)
        printf("  mediacache_open %s: %s\n", dir, err);
    return c;
}

TEST(test_commit_verified)
{
    char dir[128], name[MEDIACACHE_NAME_MAX], path[512];
    fresh_dir(dir, sizeof dir);
    struct mediacache *c = open_cache(dir, 1 << 20);
    CHECK(c != NULL);
    if (!c)
        return;
    const char data[] = "not really a png, but content addressed all the same";
    name_of(data, sizeof data, "png", name);
    CHECK_EQ_INT(mediacache_has(c, name), 0);
    CHECK_EQ_INT(mediacache_path(c, name, path, sizeof path), -ENOENT);
    CHECK_EQ_INT(put_as(c, name, data, sizeof data), 0);
    CHECK_EQ_INT(mediacache_has(c, name), 1);
    CHECK_EQ_INT(mediacache_path(c, name, path, sizeof path), 0);
    char want[512];
    snprintf(want, sizeof want, "%s/%s", dir, name);
    CHECK_STR_EQ(path, want);
    FILE *f = fopen(path, "rb");
    char back[128] = "";
    size_t got = f ? fread(back, 1, sizeof back, f) : 0;
    if (f)
        fclose(f);
    CHECK_EQ_INT(got, sizeof data);
    CHECK(memcmp(back, data, sizeof data) == 0);
    CHECK_EQ_INT(mediacache_total_bytes(c), sizeof data);
    CHECK_EQ_INT(mediacache_count(c), 1);
    CHECK_EQ_INT(count_suffix(dir, ".part"), 0);

    struct mediacache_part *p = (struct mediacache_part *)1;
    CHECK_EQ_INT(mediacache_begin_write(c, name, &p), -EEXIST);
    CHECK(p == NULL);
    char small[8];
    CHECK_EQ_INT(mediacache_path(c, name, small, sizeof small), -ENAMETOOLONG);
    mediacache_close(c);
}

TEST(test_wrong_hash_rejected)
{
    char dir[128], name[MEDIACACHE_NAME_MAX];
    fresh_dir(dir, sizeof dir);
    struct mediacache *c = open_cache(dir, 1 << 20);
    CHECK(c != NULL);
    if (!c)
        return;
    name_of("expected", 8, "jpg", name);
    CHECK_EQ_INT(put_as(c, name, "tampered", 8), -EBADMSG);
    CHECK_EQ_INT(mediacache_has(c, name), 0);
    CHECK(!file_exists(dir, name));
    CHECK_EQ_INT(count_suffix(dir, ".part"), 0);
    CHECK_EQ_INT(mediacache_total_bytes(c), 0);
    /* The right bytes still go in afterwards. */
    CHECK_EQ_INT(put_as(c, name, "expected", 8), 0);
    CHECK_EQ_INT(mediacache_has(c, name), 1);
    mediacache_close(c);
}

TEST(test_bad_names)
{
    char dir[128], path[512], good[MEDIACACHE_NAME_MAX], bad[160];
    fresh_dir(dir, sizeof dir);
    struct mediacache *c = open_cache(dir, 1 << 20);
    CHECK(c != NULL);
    if (!c)
        return;
    name_of("x", 1, "png", good);
    CHECK(mediacache_name_valid(good));
    const char *exts[] = {"png", "jpg", "webp", "wav", "mp3", "ogg"};
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        snprintf(bad, sizeof bad, "%.64s.%s", good, exts[i]);
        CHECK(mediacache_name_valid(bad));
    }
    const char *bads[] = {"../x", "", "x.png", "../../etc/passwd", NULL};
    for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++)
        CHECK(!mediacache_name_valid(bads[i]));
    snprintf(bad, sizeof bad, "../%.61s.png", good); /* still 64 chars before the dot */
    CHECK(!mediacache_name_valid(bad));
    snprintf(bad, sizeof bad, "%.64s", good); /* no extension */
    CHECK(!mediacache_name_valid(bad));
    snprintf(bad, sizeof bad, "%.64s.", good);
    CHECK(!mediacache_name_valid(bad));
    snprintf(bad, sizeof bad, "%.64s.txt", good); /* unknown extension */
    CHECK(!mediacache_name_valid(bad));
    snprintf(bad, sizeof bad, "%.64s.PNG", good);
    CHECK(!mediacache_name_valid(bad));
    snprintf(bad, sizeof bad, "%.64s.png/../../x", good);
    CHECK(!mediacache_name_valid(bad));
    snprintf(bad, sizeof bad, "%.64s.png.part", good);
    CHECK(!mediacache_name_valid(bad));
    snprintf(bad, sizeof bad, "%.63s.png", good); /* 63 hex digits */
    CHECK(!mediacache_name_valid(bad));
    snprintf(bad, sizeof bad, "a%.64s.png", good); /* 65 */
    CHECK(!mediacache_name_valid(bad));
    snprintf(bad, sizeof bad, "%s", good);
    for (int i = 0; i < 64; i++)
        if (bad[i] >= 'a' && bad[i] <= 'f')
            bad[i] = (char)(bad[i] - 'a' + 'A');
    CHECK(!mediacache_name_valid(bad)); /* uppercase hex */
    snprintf(bad, sizeof bad, "g%.63s.png", good);
    CHECK(!mediacache_name_valid(bad));

    struct mediacache_part *p = NULL;
    CHECK_EQ_INT(mediacache_begin_write(c, "../x", &p), -EINVAL);
    CHECK(p == NULL);
    CHECK_EQ_INT(mediacache_begin_write(c, bad, &p), -EINVAL);
    CHECK_EQ_INT(mediacache_path(c, "../x", path, sizeof path), -EINVAL);
    CHECK_EQ_INT(mediacache_has(c, "../x"), 0);
    CHECK_EQ_INT(mediacache_pin(c, "../x", 1), -EINVAL);
    CHECK_EQ_INT(mediacache_remove(c, "../x"), -EINVAL);
    CHECK_EQ_INT(count_suffix(dir, ""), 2); /* "." and ".." only */
    mediacache_close(c);
}

TEST(test_part_lifecycle)
{
    char dir[128], name[MEDIACACHE_NAME_MAX], part[MEDIACACHE_NAME_MAX + 8];
    fresh_dir(dir, sizeof dir);
    struct mediacache *c = open_cache(dir, 1 << 20);
    CHECK(c != NULL);
    if (!c)
        return;
    name_of("abc", 3, "wav", name);
    snprintf(part, sizeof part, "%s.part", name);
    struct mediacache_part *p = NULL, *q = NULL;
    CHECK_EQ_INT(mediacache_begin_write(c, name, &p), 0);
    CHECK(p != NULL);
    CHECK(file_exists(dir, part));
    CHECK_EQ_INT(mediacache_begin_write(c, name, &q), -EBUSY);
    CHECK_EQ_INT(mediacache_part_write(p, "ab", 2), 0);
    mediacache_abort(c, p);
    mediacache_abort(c, NULL);
    CHECK(!file_exists(dir, part));
    CHECK_EQ_INT(mediacache_has(c, name), 0);
    CHECK_EQ_INT(put_as(c, name, "abc", 3), 0);
    /* A part still open at close is aborted, not leaked or left behind. */
    name_of("def", 3, "wav", name);
    snprintf(part, sizeof part, "%s.part", name);
    CHECK_EQ_INT(mediacache_begin_write(c, name, &p), 0);
    mediacache_close(c);
    CHECK(!file_exists(dir, part));
}

TEST(test_lru_eviction)
{
    char dir[128], a[MEDIACACHE_NAME_MAX], b[MEDIACACHE_NAME_MAX], cc[MEDIACACHE_NAME_MAX];
    char d[MEDIACACHE_NAME_MAX], e[MEDIACACHE_NAME_MAX], f[MEDIACACHE_NAME_MAX];
    char big[MEDIACACHE_NAME_MAX];
    fresh_dir(dir, sizeof dir);
    struct mediacache *c = open_cache(dir, 300);
    CHECK(c != NULL);
    if (!c)
        return;
    /* Checks below look at the directory, not mediacache_has, so they do not change recency. */
    CHECK_EQ_INT(put_blob(c, 1, 100, a), 0);
    CHECK_EQ_INT(put_blob(c, 2, 100, b), 0);
    CHECK_EQ_INT(put_blob(c, 3, 100, cc), 0);
    CHECK_EQ_INT(mediacache_total_bytes(c), 300);
    CHECK_EQ_INT(mediacache_has(c, a), 1); /* a becomes the most recently used */
    CHECK_EQ_INT(mediacache_pin(c, b, 1), 0);
    CHECK_EQ_INT(mediacache_pin(c, b, 1), 0); /* pinned twice: needs two unpins */

    /* Over budget: b is the least recently used but pinned, so c goes. */
    CHECK_EQ_INT(put_blob(c, 4, 100, d), 0);
    CHECK_EQ_INT(mediacache_total_bytes(c), 300);
    CHECK(file_exists(dir, a));
    CHECK(file_exists(dir, b));
    CHECK(!file_exists(dir, cc));
    CHECK(file_exists(dir, d));
    CHECK_EQ_INT(mediacache_has(c, cc), 0);

    /* One unpin of two: b stays pinned, so a (older than d) goes. */
    CHECK_EQ_INT(mediacache_pin(c, b, 0), 0);
    CHECK_EQ_INT(put_blob(c, 5, 100, e), 0);
    CHECK(file_exists(dir, b));
    CHECK(!file_exists(dir, a));
    CHECK(file_exists(dir, d));

    /* Fully unpinned (extra unpins stay at zero), b is the oldest use and goes next. */
    CHECK_EQ_INT(mediacache_pin(c, b, 0), 0);
    CHECK_EQ_INT(mediacache_pin(c, b, 0), 0);
    CHECK_EQ_INT(put_blob(c, 6, 100, f), 0);
    CHECK(!file_exists(dir, b));
    CHECK(file_exists(dir, d));
    CHECK(file_exists(dir, e));
    CHECK_EQ_INT(mediacache_count(c), 3);

    /* A file bigger than the whole budget is kept by its own commit; all else unpinned goes. */
    CHECK_EQ_INT(mediacache_pin(c, f, 1), 0);
    CHECK_EQ_INT(put_blob(c, 7, 400, big), 0);
    CHECK(file_exists(dir, big));
    CHECK(file_exists(dir, f));
    CHECK(!file_exists(dir, d));
    CHECK(!file_exists(dir, e));
    CHECK_EQ_INT(mediacache_count(c), 2);
    CHECK_EQ_INT(mediacache_total_bytes(c), 500);
    CHECK_EQ_INT(mediacache_pin(c, d, 1), -ENOENT);

    CHECK_EQ_INT(mediacache_remove(c, big), 0);
    CHECK_EQ_INT(mediacache_remove(c, big), -ENOENT);
    CHECK(!file_exists(dir, big));
    CHECK_EQ_INT(mediacache_total_bytes(c), 100);
    mediacache_close(c);
}

/* An open part counts in the budget as it grows: committed files are evicted to make room for
 * it, and aborting it gives its bytes back. */
TEST(test_parts_count_in_budget)
{
    char dir[128], a[MEDIACACHE_NAME_MAX], b[MEDIACACHE_NAME_MAX], name[MEDIACACHE_NAME_MAX];
    fresh_dir(dir, sizeof dir);
    struct mediacache *c = open_cache(dir, 300);
    REQUIRE(c != NULL);
    CHECK_EQ_INT(put_blob(c, 1, 100, a), 0);
    CHECK_EQ_INT(put_blob(c, 2, 100, b), 0);
    name_of("streaming", 9, "png", name);
    struct mediacache_part *p = NULL;
    CHECK_EQ_INT(mediacache_begin_write(c, name, &p), 0);
    char chunk[50];
    memset(chunk, 'x', sizeof chunk);
    CHECK_EQ_INT(mediacache_part_write(p, chunk, sizeof chunk), 0);
    CHECK_EQ_INT(mediacache_total_bytes(c), 250);
    CHECK(file_exists(dir, a));
    for (int i = 0; i < 3; i++)
        CHECK_EQ_INT(mediacache_part_write(p, chunk, sizeof chunk), 0);
    /* 200 committed + 200 in the part: a (the older) went. */
    CHECK(!file_exists(dir, a));
    CHECK(file_exists(dir, b));
    CHECK_LE(mediacache_total_bytes(c), 300);
    mediacache_abort(c, p);
    CHECK_EQ_INT(mediacache_total_bytes(c), 100);
    CHECK_EQ_INT(count_suffix(dir, ".part"), 0);
    mediacache_close(c);
}

TEST(test_reopen_rebuilds_index)
{
    char dir[128], names[5][MEDIACACHE_NAME_MAX];
    fresh_dir(dir, sizeof dir);
    struct mediacache *c = open_cache(dir, 1 << 20);
    CHECK(c != NULL);
    if (!c)
        return;
    uint64_t sum = 0;
    for (int i = 0; i < 5; i++) {
        CHECK_EQ_INT(put_blob(c, 10 + i, (size_t)(50 + 10 * i), names[i]), 0);
        sum += (uint64_t)(50 + 10 * i);
    }
    CHECK_EQ_INT(mediacache_total_bytes(c), sum);
    mediacache_close(c);

    c = open_cache(dir, 1 << 20);
    CHECK(c != NULL);
    if (!c)
        return;
    CHECK_EQ_INT(mediacache_total_bytes(c), sum);
    CHECK_EQ_INT(mediacache_count(c), 5);
    for (int i = 0; i < 5; i++)
        CHECK_EQ_INT(mediacache_has(c, names[i]), 1);
    mediacache_close(c);

    /* Recency after a restart follows mtime: names[3] oldest, then names[0]. A smaller budget
     * evicts at open. Sizes: 50 60 70 80 90. */
    time_t base = 1700000000;
    for (int i = 0; i < 5; i++)
        set_mtime(dir, names[i], base + 100 * i);
    set_mtime(dir, names[3], base - 500);
    c = open_cache(dir, sum - 100);
    CHECK(c != NULL);
    if (!c)
        return;
    CHECK_EQ_INT(mediacache_has(c, names[3]), 0);
    CHECK_EQ_INT(mediacache_has(c, names[0]), 0);
    CHECK_EQ_INT(mediacache_has(c, names[1]), 1);
    CHECK_EQ_INT(mediacache_total_bytes(c), sum - 130);
    mediacache_close(c);
}

TEST(test_stale_parts_cleaned)
{
    char dir[128], name[MEDIACACHE_NAME_MAX], other[MEDIACACHE_NAME_MAX], torn[160];
    fresh_dir(dir, sizeof dir);
    mkdir(dir, 0755);
    name_of("kept", 4, "ogg", name);
    write_file(dir, name, "kept", 4);
    name_of("gone", 4, "png", other);
    snprintf(torn, sizeof torn, "%s.part", other);
    write_file(dir, torn, "go", 2);
    write_file(dir, "leftover.part", "x", 1);
    name_of("empty", 5, "mp3", other);
    write_file(dir, other, "", 0); /* what a power cut can leave */
    write_file(dir, "README", "not media", 9);

    struct mediacache *c = open_cache(dir, 1 << 20);
    CHECK(c != NULL);
    if (!c)
        return;
    CHECK_EQ_INT(count_suffix(dir, ".part"), 0);
    CHECK(!file_exists(dir, other));
    CHECK(file_exists(dir, "README"));
    CHECK_EQ_INT(mediacache_count(c), 1);
    CHECK_EQ_INT(mediacache_total_bytes(c), 4);
    CHECK_EQ_INT(mediacache_has(c, name), 1);
    mediacache_close(c);
}

TEST(test_open_failure)
{
    char err[256] = "";
    char dir[160];
    snprintf(dir, sizeof dir, "%s/missing/parent/cache", tmpdir);
    CHECK(mediacache_open(dir, 100, err, sizeof err) == NULL);
    CHECK(strstr(err, "cannot create") != NULL);
    mediacache_close(NULL);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/panic-mediacache-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_commit_verified);
    RUN(test_wrong_hash_rejected);
    RUN(test_bad_names);
    RUN(test_part_lifecycle);
    RUN(test_lru_eviction);
    RUN(test_parts_count_in_budget);
    RUN(test_reopen_rebuilds_index);
    RUN(test_stale_parts_cleaned);
    RUN(test_open_failure);
    rm_tree(tmpdir);
    TEST_END("test_mediacache");
}
