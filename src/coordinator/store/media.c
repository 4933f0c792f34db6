/* media.c: content-addressed files on disk. SHA-256 comes from common/lib/crypto (this file
 * includes no library); the write path is tmp + fsync + rename + fsync(dir), the sequence that
 * survives a power cut on ext4 and f2fs SD cards. Nothing here knows about runs or the network. */
#include "media.h"
#include "common/lib/crypto.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

struct media_store {
    char *root; /* .../media */
};

static const struct {
    const char *ext;
    const char *type;
} types[] = {
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"webp", "image/webp"},
    {"wav", "audio/wav"},
    {"mp3", "audio/mpeg"},
    {"ogg", "audio/ogg"},
    {"txt", "text/plain; charset=utf-8"},
};

const char *media_content_type(const char *name_or_ext)
{
    const char *dot = strrchr(name_or_ext, '.');
    const char *ext = dot ? dot + 1 : name_or_ext;
    for (size_t i = 0; i < ARRAY_LEN(types); i++)
        if (!strcmp(ext, types[i].ext))
            return types[i].type;
    return NULL;
}

int media_name_valid(const char *name)
{
    for (int i = 0; i < 64; i++) {
        char c = name[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return 0;
    }
    return name[64] == '.' && strlen(name) < MEDIA_NAME_MAX && media_content_type(name + 65);
}

/* 1 if pid is a running process with the same name as this one (a panicd still writing). */
static int writer_alive(long pid)
{
    if (pid <= 0 || pid == (long)getpid())
        return pid > 0;
    char path[64], theirs[64] = "", ours[64] = "";
    snprintf(path, sizeof path, "/proc/%ld/comm", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    int got = fgets(theirs, sizeof theirs, f) != NULL;
    fclose(f);
    f = fopen("/proc/self/comm", "re");
    if (f) {
        got = got && fgets(ours, sizeof ours, f) != NULL;
        fclose(f);
    }
    return got && !strcmp(theirs, ours);
}

/* The writer's pid of "<hash>.<ext>.<pid>.part"; 0 for a .part without a readable pid (an
 * orphan too), -1 for a name that is not a .part file. */
static long part_writer(const char *name)
{
    size_t len = strlen(name);
    if (len < 6 || strcmp(name + len - 5, ".part"))
        return -1;
    char copy[MEDIA_NAME_MAX + 32];
    if (len >= sizeof copy)
        return 0;
    memcpy(copy, name, len - 5);
    copy[len - 5] = '\0';
    const char *dot = strrchr(copy, '.');
    char *end = NULL;
    long pid = dot ? strtol(dot + 1, &end, 10) : 0;
    return end && *end == '\0' && pid > 0 ? pid : 0;
}

/* Remove every .part file under root/xx/ whose writer is gone; how many went. */
static size_t remove_orphans(const char *root)
{
    size_t removed = 0;
    DIR *top = opendir(root);
    if (!top)
        return 0;
    struct dirent *d;
    while ((d = readdir(top))) {
        if (d->d_name[0] == '.' || strlen(d->d_name) != 2)
            continue;
        char sub[4200];
        snprintf(sub, sizeof sub, "%s/%s", root, d->d_name);
        DIR *dir = opendir(sub);
        if (!dir)
            continue;
        struct dirent *f;
        while ((f = readdir(dir))) {
            long pid = part_writer(f->d_name);
            if (pid < 0 || writer_alive(pid))
                continue;
            if (unlinkat(dirfd(dir), f->d_name, 0) == 0)
                removed++;
        }
        closedir(dir);
    }
    closedir(top);
    return removed;
}

struct media_store *media_open(const char *dir, char *err, size_t errlen)
{
    char *root = xasprintf("%s/media", dir);
    int rc = mkdir_p(root, 0755);
    if (rc < 0) {
        snprintf(err, errlen, "cannot create %s: %s", root, strerror(-rc));
        free(root);
        return NULL;
    }
    remove_orphans(root);
    struct media_store *m = xcalloc(1, sizeof *m);
    m->root = root;
    return m;
}

void media_close(struct media_store *m)
{
    if (!m)
        return;
    free(m->root);
    free(m);
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = fsync(fd) < 0 ? -errno : 0;
    close(fd);
    return rc;
}

int media_put(struct media_store *m, const void *data, size_t len, const char *ext, char *name,
              size_t namelen)
{
    if (!media_content_type(ext) || namelen < MEDIA_NAME_MAX)
        return -EINVAL;
    char hex[CRYPTO_SHA256_HEX_LEN];
    if (crypto_sha256_hex(data, len, hex) < 0)
        return -EIO;
    snprintf(name, namelen, "%s.%s", hex, ext);

    char dir[4096], path[4200], part[4300];
    snprintf(dir, sizeof dir, "%s/%.2s", m->root, hex);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (access(path, F_OK) == 0)
        return 0;
    int rc = mkdir_p(dir, 0755);
    if (rc < 0)
        return rc;
    snprintf(part, sizeof part, "%s.%ld.part", path, (long)getpid());
    int fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    rc = write_all(fd, data, len);
    if (rc == 0 && fsync(fd) < 0)
        rc = -errno;
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(part, path) < 0)
        rc = -errno;
    if (rc < 0) {
        unlink(part);
        return rc;
    }
    return fsync_dir(dir);
}

int media_path(struct media_store *m, const char *name, char *path, size_t pathlen)
{
    if (!media_name_valid(name))
        return -EINVAL;
    snprintf(path, pathlen, "%s/%.2s/%s", m->root, name, name);
    return access(path, R_OK) == 0 ? 0 : -ENOENT;
}

int media_usage(struct media_store *m, uint64_t *bytes, size_t *files)
{
    *bytes = 0;
    if (files)
        *files = 0;
    DIR *top = opendir(m->root);
    if (!top)
        return -errno;
    struct dirent *d;
    while ((d = readdir(top))) {
        if (d->d_name[0] == '.' || strlen(d->d_name) != 2)
            continue;
        char sub[4200];
        snprintf(sub, sizeof sub, "%s/%s", m->root, d->d_name);
        DIR *dir = opendir(sub);
        if (!dir)
            continue;
        struct dirent *f;
        while ((f = readdir(dir))) {
            struct stat sb;
            if (f->d_name[0] == '.' || fstatat(dirfd(dir), f->d_name, &sb, 0) < 0 ||
                !S_ISREG(sb.st_mode))
                continue;
            *bytes += (uint64_t)sb.st_size;
            if (files)
                (*files)++;
        }
        closedir(dir);
    }
    closedir(top);
    return 0;
}

int64_t media_remove(struct media_store *m, const char *name)
{
    char path[4200];
    if (!media_name_valid(name))
        return -EINVAL;
    snprintf(path, sizeof path, "%s/%.2s/%s", m->root, name, name);
    struct stat sb;
    if (stat(path, &sb) < 0)
        return -errno;
    if (unlink(path) < 0)
        return -errno;
    return (int64_t)sb.st_size;
}
