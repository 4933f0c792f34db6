/* discovery.c: the choice among coordinators found on the LAN (discovery.h). Pure: libc only, no
 * sockets, no Avahi; the adapter that browses is lib/mdns_browse.c. */
#include "discovery.h"

#include <stdio.h>
#include <string.h>

/* Append "a, b, c" (each installation once) to err after its current text. */
static void list_names(const struct discovered *r, size_t n, int api, char *err, size_t errlen)
{
    size_t used = strlen(err);
    int first = 1;
    for (size_t i = 0; i < n && used < errlen; i++) {
        if (r[i].api != api)
            continue;
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = r[j].api == api && !strcmp(r[j].installation, r[i].installation);
        if (seen)
            continue;
        int w = snprintf(err + used, errlen - used, "%s'%s' (%s)", first ? "" : ", ",
                         r[i].installation[0] ? r[i].installation : "unnamed", r[i].host);
        if (w < 0)
            break;
        used += (size_t)w;
        first = 0;
    }
}

/* The best entry of an installation: IPv4 first, then the first found. */
static int best_of(const struct discovered *r, size_t n, const char *inst, int api)
{
    int best = -1;
    for (size_t i = 0; i < n; i++) {
        if (r[i].api != api || strcmp(r[i].installation, inst) != 0)
            continue;
        if (best < 0 || (r[best].ipv6 && !r[i].ipv6))
            best = (int)i;
    }
    return best;
}

int discovery_choose(const struct discovered *r, size_t n, const char *installation, int api,
                     char *err, size_t errlen)
{
    size_t usable = 0;
    for (size_t i = 0; i < n; i++)
        usable += r[i].api == api;
    if (n == 0) {
        snprintf(err, errlen, "no PANIC! coordinator announces itself on the LAN (mDNS %s)",
                 DISCOVERY_SERVICE);
        return -1;
    }
    if (usable == 0) {
        snprintf(err, errlen,
                 "the coordinators on the LAN speak another API version than %d (update this "
                 "program or them)",
                 api);
        return -1;
    }
    if (installation && installation[0]) {
        int i = best_of(r, n, installation, api);
        if (i >= 0)
            return i;
        snprintf(err, errlen,
                 "no coordinator of installation '%s' on the LAN; found: ", installation);
        list_names(r, n, api, err, errlen);
        return -1;
    }
    int first = -1;
    for (size_t i = 0; i < n; i++) {
        if (r[i].api != api)
            continue;
        if (first < 0)
            first = (int)i;
        else if (strcmp(r[i].installation, r[first].installation) != 0) {
            snprintf(err, errlen,
                     "several coordinators on the LAN: give the installation name to use "
                     "(installation, --installation) or the URL; found: ");
            list_names(r, n, api, err, errlen);
            return -1;
        }
    }
    return best_of(r, n, r[first].installation, api);
}

void discovery_url(const struct discovered *d, char *buf, size_t len)
{
    if (!d->ipv6) {
        snprintf(buf, len, "http://%s:%d", d->address, d->port);
        return;
    }
    /* A zone ("fe80::1%eth0") is written %25 inside a URL (RFC 6874). */
    char addr[96];
    const char *pct = strchr(d->address, '%');
    if (pct)
        snprintf(addr, sizeof addr, "%.*s%%25%s", (int)(pct - d->address), d->address, pct + 1);
    else
        snprintf(addr, sizeof addr, "%s", d->address);
    snprintf(buf, len, "http://[%s]:%d", addr, d->port);
}
