/* coord_keys.c: the platforms' API keys. A key is looked up where an operator may have put it,
 * in order: set through the API (kept in the store), a systemd credential
 * ($CREDENTIALS_DIRECTORY/<platform>, from LoadCredential=), then the config (api_key.NAME or
 * api_key_file.NAME). Keys are never logged or returned over HTTP; the buffer that hands one to a
 * platform is wiped before each use. Depends on the store and the file system; not on HTTP. */
#define _DEFAULT_SOURCE /* explicit_bzero */
#include "coord_internal.h"
#include "common/util.h"
#include "coordinator/store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* First line of a file into buf; 0 or -errno. */
static int read_secret(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -errno;
    int ok = fgets(buf, (int)len, f) != NULL;
    fclose(f);
    buf[strcspn(buf, "\r\n")] = '\0';
    return ok && buf[0] ? 0 : -ENODATA;
}

/* A platform's key: set through the API (the store) first, then a systemd credential
 * ($CREDENTIALS_DIRECTORY/<platform>, from LoadCredential=), then the config. The result lives in
 * c->keybuf until the next call; it is never logged. */
const char *coord_key_lookup(void *owner, const char *platform)
{
    struct coord *c = owner;
    char *stored = NULL;
    explicit_bzero(c->keybuf, sizeof c->keybuf);
    if (store_key_get(c->store, platform, &stored) == 0 && stored && stored[0]) {
        snprintf(c->keybuf, sizeof c->keybuf, "%s", stored);
        explicit_bzero(stored, strlen(stored));
        free(stored);
        return c->keybuf;
    }
    free(stored);
    const char *creds = getenv("CREDENTIALS_DIRECTORY");
    if (creds && strlen(platform) < 64 && !strchr(platform, '/')) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", creds, platform);
        if (read_secret(path, c->keybuf, sizeof c->keybuf) == 0)
            return c->keybuf;
    }
    for (size_t i = 0; i < c->cfg->nkeys; i++) {
        const struct config_key *k = &c->cfg->keys[i];
        if (strcmp(k->platform, platform) != 0)
            continue;
        if (k->value) {
            snprintf(c->keybuf, sizeof c->keybuf, "%s", k->value);
            return c->keybuf;
        }
        if (k->file && read_secret(k->file, c->keybuf, sizeof c->keybuf) == 0)
            return c->keybuf;
    }
    return NULL;
}

int coord_set_key(struct coord *c, const char *platform, const char *secret)
{
    if (!secret)
        return store_key_delete(c->store, platform);
    return store_key_put(c->store, platform, secret, time_wall_ms());
}

int coord_key_set(struct coord *c, const char *platform)
{
    return coord_key_lookup(c, platform) != NULL;
}
