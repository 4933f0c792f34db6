/* state_dir.c: the small files panicd keeps in its state dir (see state_dir.h): atomic writes,
 * the secrets generated on first start, and panicd.url. Uses the file system and getrandom;
 * knows nothing of the config file, the database or HTTP. */
#include "state_dir.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

int state_dir_create(const char *dir)
{
    if (mkdir(dir, 0750) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

int state_dir_write_atomic(const char *path, const char *text, mode_t mode)
{
    char *tmp = xasprintf("%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    int rc = 0;
    if (fd < 0) {
        rc = -errno;
        goto out;
    }
    size_t len = strlen(text);
    if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0)
        rc = errno ? -errno : -EIO;
    close(fd);
    if (rc == 0 && rename(tmp, path) < 0)
        rc = -errno;
    if (rc < 0)
        unlink(tmp);
out:
    free(tmp);
    return rc;
}

char *state_dir_secret(const char *dir, const char *configured, const char *file, size_t min,
                       size_t nbytes, char *err, size_t errlen)
{
    if (configured)
        return xstrdup(configured);
    char *path = xasprintf("%s/%s", dir, file);
    char line[256] = "";
    FILE *f = fopen(path, "r");
    if (f) {
        if (!fgets(line, sizeof line, f))
            line[0] = '\0';
        fclose(f);
        line[strcspn(line, "\r\n")] = '\0';
        if (strlen(line) >= min) {
            free(path);
            return xstrdup(line);
        }
    }
    unsigned char raw[64];
    if (nbytes > sizeof raw || getrandom(raw, nbytes, 0) != (ssize_t)nbytes) {
        snprintf(err, errlen, "cannot get random bytes for %s", file);
        free(path);
        return NULL;
    }
    for (size_t i = 0; i < nbytes; i++)
        snprintf(line + 2 * i, 3, "%02x", raw[i]);
    char *text = xasprintf("%s\n", line);
    int rc = state_dir_write_atomic(path, text, 0600);
    free(text);
    if (rc < 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(-rc));
        free(path);
        return NULL;
    }
    log_info("generated a secret path=%s", path);
    free(path);
    return xstrdup(line);
}

char *state_dir_local_url(const char *listen, int port)
{
    char host[256];
    snprintf(host, sizeof host, "%s", listen);
    char *colon = strrchr(host, ':');
    if (colon)
        *colon = '\0';
    if (!host[0] || !strcmp(host, "0.0.0.0") || !strcmp(host, "[::]") || !strcmp(host, "::"))
        snprintf(host, sizeof host, "127.0.0.1");
    return xasprintf("http://%s:%d", host, port);
}

void state_dir_publish_url(const char *dir, const char *url)
{
    char *path = xasprintf("%s/panicd.url", dir);
    char *text = xasprintf("%s\n", url);
    if (state_dir_write_atomic(path, text, 0644) < 0)
        log_warn("cannot write path=%s", path);
    free(text);
    free(path);
}
