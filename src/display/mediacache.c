/* mediacache.c: the display's content-addressed disk cache (see mediacache.h). The index is an
 * in-memory array: a few hundred entries of a few MB each, so linear scans cost less than a
 * frame's worth of anything. Recency is a counter bumped on every use, seeded at open from the
 * files' mtimes; uses touch the mtime (at most once a minute per file) so the order survives a
 * restart. All file access is relative to one directory fd, and only names that passed
 * mediacache_name_valid are ever used as paths. Plain C and POSIX, SHA-256 from common/lib/crypto:
 * no SDL, no curl, no threads; it must stay cheap enough for the frame thread. */
#include "mediacache.h"
#include "common/lib/crypto.h"
#include "common/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TOUCH_INTERVAL_MS 60000
#define PART_SUFFIX ".part"

struct entry {
    char name[MEDIACACHE_NAME_MAX];
    uint64_t size;
    uint64_t used;      /* recency: larger is more recent */
    int pins;           /* pin count; pinned entries are never evicted */
    int64_t touched_ms; /* monotonic ms of the last mtime touch */
    int64_t mtime_ns;   /* only used to order the scan at open */
};

struct mediacache_part {
    struct mediacache_part *next; /* the cache's list of open parts */
    struct mediacache *cache;
    char name[MEDIACACHE_NAME_MAX];
    int fd;
    struct crypto_sha256 *md;
    uint64_t size;
    int err; /* first write error, as a negative errno */
};

struct mediacache {
    char *dir;
    int dirfd;
    uint64_t max_bytes;
    uint64_t total;      /* committed files */
    uint64_t part_bytes; /* open parts: they count in the budget too */
    uint64_t clock;      /* last recency value handed out */
    struct entry *v;
    int n, cap;
    struct mediacache_part *parts;
};

static const char *const exts[] = {"png", "jpg", "webp", "wav", "mp3", "ogg"};

int mediacache_name_valid(const char *name)
{
    if (!name)
        return 0;
    for (int i = 0; i < 64; i++) {
        char ch = name[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
            return 0;
    }
    if (name[64] != '.')
        return 0;
    for (size_t i = 0; i < ARRAY_LEN(exts); i++)
        if (!strcmp(name + 65, exts[i]))
            return 1;
    return 0;
}

static struct entry *find(struct mediacache *c, const char *name)
{
    for (int i = 0; i < c->n; i++)
        if (!strcmp(c->v[i].name, name))
            return &c->v[i];
    return NULL;
}

static struct entry *add(struct mediacache *c, const char *name, uint64_t size)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 64;
        c->v = xrealloc(c->v, (size_t)c->cap * sizeof *c->v);
    }
    struct entry *e = &c->v[c->n++];
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
    e->size = size;
    e->touched_ms = INT64_MIN;
    c->total += size;
    return e;
}

/* Order is not kept: the last entry takes the hole. */
static void drop(struct mediacache *c, struct entry *e)
{
    c->total -= e->size;
    *e = c->v[--c->n];
}

static void mark_used(struct mediacache *c, struct entry *e)
{
    e->used = ++c->clock;
    int64_t now = time_mono_ms();
    if (e->touched_ms == INT64_MIN || now - e->touched_ms >= TOUCH_INTERVAL_MS) {
        /* A failed touch only costs recency after a restart. */
        (void)utimensat(c->dirfd, e->name, NULL, 0);
        e->touched_ms = now;
    }
}

/* Evict least recently used unpinned entries (never keep) until the total fits. */
static void evict(struct mediacache *c, const char *keep)
{
    while (c->total + c->part_bytes > c->max_bytes) {
        struct entry *victim = NULL;
        for (int i = 0; i < c->n; i++) {
            struct entry *e = &c->v[i];
            if (e->pins > 0 || (keep && !strcmp(e->name, keep)))
                continue;
            if (!victim || e->used < victim->used)
                victim = e;
        }
        if (!victim)
            return;
        /* Gone or not, it leaves the index: a file we cannot delete is not worth a retry loop. */
        (void)unlinkat(c->dirfd, victim->name, 0);
        drop(c, victim);
    }
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

static int by_mtime(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    if (x->mtime_ns != y->mtime_ns)
        return x->mtime_ns < y->mtime_ns ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int scan(struct mediacache *c)
{
    int fd = dup(c->dirfd);
    if (fd < 0)
        return -errno;
    DIR *d = fdopendir(fd);
    if (!d) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *nm = de->d_name;
        if (has_suffix(nm, PART_SUFFIX)) {
            /* A transfer cut short by a crash or restart; never resumed across runs. */
            (void)unlinkat(c->dirfd, nm, 0);
            continue;
        }
        if (!mediacache_name_valid(nm))
            continue;
        struct stat st;
        if (fstatat(c->dirfd, nm, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
            continue;
        if (st.st_size == 0) {
            /* What a power cut leaves when the rename reached the disk before the data. */
            (void)unlinkat(c->dirfd, nm, 0);
            continue;
        }
        struct entry *e = add(c, nm, (uint64_t)st.st_size);
        e->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    }
    closedir(d); /* closes fd */
    if (c->n > 1)
        qsort(c->v, (size_t)c->n, sizeof *c->v, by_mtime);
    for (int i = 0; i < c->n; i++)
        c->v[i].used = ++c->clock;
    return 0;
}

struct mediacache *mediacache_open(const char *dir, uint64_t max_bytes, char *err, size_t errlen)
{
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return NULL;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", dir, strerror(errno));
        return NULL;
    }
    struct mediacache *c = xcalloc(1, sizeof *c);
    c->dir = xstrdup(dir);
    c->dirfd = dfd;
    c->max_bytes = max_bytes;
    int rc = scan(c);
    if (rc < 0) {
        snprintf(err, errlen, "cannot read %s: %s", dir, strerror(-rc));
        mediacache_close(c);
        return NULL;
    }
    evict(c, NULL);
    return c;
}

static void part_free(struct mediacache *c, struct mediacache_part *p, int unlink_it)
{
    for (struct mediacache_part **pp = &c->parts; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    }
    c->part_bytes -= p->size;
    if (p->fd >= 0)
        close(p->fd);
    if (unlink_it) {
        char part[MEDIACACHE_NAME_MAX + sizeof PART_SUFFIX];
        snprintf(part, sizeof part, "%s" PART_SUFFIX, p->name);
        (void)unlinkat(c->dirfd, part, 0);
    }
    crypto_sha256_free(p->md);
    free(p);
}

void mediacache_close(struct mediacache *c)
{
    if (!c)
        return;
    while (c->parts)
        part_free(c, c->parts, 1);
    if (c->dirfd >= 0)
        close(c->dirfd);
    free(c->v);
    free(c->dir);
    free(c);
}

int mediacache_has(struct mediacache *c, const char *name)
{
    if (!mediacache_name_valid(name))
        return 0;
    struct entry *e = find(c, name);
    if (!e)
        return 0;
    mark_used(c, e);
    return 1;
}

int mediacache_path(struct mediacache *c, const char *name, char *buf, size_t len)
{
    if (!mediacache_name_valid(name))
        return -EINVAL;
    struct entry *e = find(c, name);
    if (!e)
        return -ENOENT;
    int n = snprintf(buf, len, "%s/%s", c->dir, name);
    if (n < 0 || (size_t)n >= len)
        return -ENAMETOOLONG;
    mark_used(c, e);
    return 0;
}

int mediacache_pin(struct mediacache *c, const char *name, int on)
{
    if (!mediacache_name_valid(name))
        return -EINVAL;
    struct entry *e = find(c, name);
    if (!e)
        return -ENOENT;
    if (on)
        e->pins++;
    else if (e->pins > 0)
        e->pins--;
    return 0;
}

int mediacache_remove(struct mediacache *c, const char *name)
{
    if (!mediacache_name_valid(name))
        return -EINVAL;
    struct entry *e = find(c, name);
    if (!e)
        return -ENOENT;
    (void)unlinkat(c->dirfd, e->name, 0);
    drop(c, e);
    return 0;
}

uint64_t mediacache_total_bytes(const struct mediacache *c)
{
    return c->total + c->part_bytes;
}

int mediacache_count(const struct mediacache *c)
{
    return c->n;
}

int mediacache_begin_write(struct mediacache *c, const char *name, struct mediacache_part **out)
{
    *out = NULL;
    if (!mediacache_name_valid(name))
        return -EINVAL;
    if (find(c, name))
        return -EEXIST;
    for (struct mediacache_part *q = c->parts; q; q = q->next)
        if (!strcmp(q->name, name))
            return -EBUSY;
    char part[MEDIACACHE_NAME_MAX + sizeof PART_SUFFIX];
    snprintf(part, sizeof part, "%s" PART_SUFFIX, name);
    int fd = openat(c->dirfd, part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return -errno;
    struct mediacache_part *p = xcalloc(1, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->fd = fd;
    p->cache = c;
    p->md = crypto_sha256_new();
    p->next = c->parts;
    c->parts = p;
    *out = p;
    return 0;
}

int mediacache_part_write(struct mediacache_part *p, const void *data, size_t len)
{
    if (p->err)
        return p->err;
    struct mediacache *c = p->cache;
    const char *s = data;
    size_t left = len;
    while (left) {
        ssize_t w = write(p->fd, s, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            p->err = -errno;
            return p->err;
        }
        s += w;
        left -= (size_t)w;
    }
    crypto_sha256_update(p->md, data, len);
    p->size += len;
    c->part_bytes += len;
    evict(c, NULL);
    return 0;
}

uint64_t mediacache_part_size(const struct mediacache_part *p)
{
    return p->size;
}

int mediacache_commit(struct mediacache *c, struct mediacache_part *p)
{
    int rc = p->err;
    if (rc == 0) {
        char hex[CRYPTO_SHA256_HEX_LEN];
        crypto_sha256_final_hex(p->md, hex);
        if (memcmp(hex, p->name, 64) != 0)
            rc = -EBADMSG;
    }
    /* close can report a delayed write error (e.g. ENOSPC on some filesystems). */
    if (close(p->fd) < 0 && rc == 0)
        rc = -errno;
    p->fd = -1;
    if (rc == 0) {
        char part[MEDIACACHE_NAME_MAX + sizeof PART_SUFFIX];
        snprintf(part, sizeof part, "%s" PART_SUFFIX, p->name);
        if (renameat(c->dirfd, part, c->dirfd, p->name) < 0)
            rc = -errno;
    }
    if (rc < 0) {
        part_free(c, p, 1);
        return rc;
    }
    struct entry *e = find(c, p->name); /* only if something else put it there meanwhile */
    if (e) {
        c->total -= e->size;
        e->size = p->size;
        c->total += e->size;
    } else {
        e = add(c, p->name, p->size);
    }
    e->used = ++c->clock;
    e->touched_ms = time_mono_ms(); /* the writes left a fresh mtime */
    char keep[MEDIACACHE_NAME_MAX];
    snprintf(keep, sizeof keep, "%s", p->name);
    part_free(c, p, 0);
    evict(c, keep);
    return 0;
}

void mediacache_abort(struct mediacache *c, struct mediacache_part *p)
{
    if (!p)
        return;
    part_free(c, p, 1);
}
