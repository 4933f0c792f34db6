/* mdns_browse.c: the Avahi client side, shared by panic-display and panicctl (the only file of
 * theirs that includes Avahi's headers; panicd's announcing side is coordinator/mdns.c). One
 * browse at a time on a private AvahiSimplePoll: the caller blocks for at most timeout_ms, before
 * it has anything else to do. Each service found is resolved (host, address, port, TXT
 * installation= and api=) to an IPv4 address, what panicd listens on by default; the choice
 * among them is common/discovery.c's. No daemon (or no
 * D-Bus) is an error that says so, at once. */
#include "mdns_browse.h"

#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-common/simple-watch.h>
#include <avahi-common/timeval.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct browse {
    AvahiSimplePoll *sp;
    const char *want; /* an installation: browse on until it is found (or the time is up) */
    int found_want;
    struct discovered *out;
    size_t max, n;
    int pending, all_for_now, failed;
    char *err;
    size_t errlen;
};

/* Done when the daemon has told all it knows for now and each service is resolved; when one
 * installation is wanted, once it is found (a service announced a moment ago may come after
 * "all for now"). */
static void maybe_done(struct browse *b)
{
    if (b->pending == 0 && (b->want ? b->found_want : b->all_for_now))
        avahi_simple_poll_quit(b->sp);
}

/* TXT key=value into buf ("" when absent). */
static void txt_value(AvahiStringList *txt, const char *key, char *buf, size_t len)
{
    buf[0] = '\0';
    AvahiStringList *l = avahi_string_list_find(txt, key);
    char *k = NULL, *v = NULL;
    if (l && avahi_string_list_get_pair(l, &k, &v, NULL) == 0 && v)
        snprintf(buf, len, "%s", v);
    avahi_free(k);
    avahi_free(v);
}

static void on_resolved(AvahiServiceResolver *r, AvahiIfIndex iface, AvahiProtocol proto,
                        AvahiResolverEvent event, const char *name, const char *type,
                        const char *domain, const char *host, const AvahiAddress *a, uint16_t port,
                        AvahiStringList *txt, AvahiLookupResultFlags flags, void *user)
{
    (void)proto;
    (void)type;
    (void)domain;
    (void)flags;
    struct browse *b = user;
    if (event == AVAHI_RESOLVER_FOUND && b->n < b->max) {
        struct discovered *d = &b->out[b->n++];
        memset(d, 0, sizeof *d);
        snprintf(d->name, sizeof d->name, "%s", name);
        snprintf(d->host, sizeof d->host, "%s", host);
        avahi_address_snprint(d->address, sizeof d->address, a);
        d->ipv6 = a->proto == AVAHI_PROTO_INET6;
        char ifname[IF_NAMESIZE];
        size_t used = strlen(d->address);
        if (d->ipv6 && !strncmp(d->address, "fe80:", 5) && if_indextoname((unsigned)iface, ifname))
            snprintf(d->address + used, sizeof d->address - used, "%%%s", ifname);
        d->port = port;
        txt_value(txt, "installation", d->installation, sizeof d->installation);
        char api[16];
        txt_value(txt, "api", api, sizeof api);
        d->api = atoi(api);
        b->found_want |= b->want && d->api == DISCOVERY_API && !strcmp(d->installation, b->want);
    }
    avahi_service_resolver_free(r);
    b->pending--;
    maybe_done(b);
}

static void on_browse(AvahiServiceBrowser *sb, AvahiIfIndex iface, AvahiProtocol proto,
                      AvahiBrowserEvent event, const char *name, const char *type,
                      const char *domain, AvahiLookupResultFlags flags, void *user)
{
    (void)flags;
    struct browse *b = user;
    AvahiClient *c = avahi_service_browser_get_client(sb);
    switch (event) {
    case AVAHI_BROWSER_NEW:
        /* An IPv4 address: what panicd listens on by default (0.0.0.0). */
        if (avahi_service_resolver_new(c, iface, proto, name, type, domain, AVAHI_PROTO_INET, 0,
                                       on_resolved, b))
            b->pending++;
        break;
    case AVAHI_BROWSER_ALL_FOR_NOW:
        b->all_for_now = 1;
        maybe_done(b);
        break;
    case AVAHI_BROWSER_FAILURE:
        snprintf(b->err, b->errlen, "mDNS browse failed: %s",
                 avahi_strerror(avahi_client_errno(c)));
        b->failed = 1;
        avahi_simple_poll_quit(b->sp);
        break;
    default:
        break;
    }
}

static void on_client(AvahiClient *c, AvahiClientState state, void *user)
{
    struct browse *b = user;
    if (state == AVAHI_CLIENT_FAILURE) {
        snprintf(b->err, b->errlen, "the Avahi daemon went away: %s",
                 avahi_strerror(avahi_client_errno(c)));
        b->failed = 1;
        avahi_simple_poll_quit(b->sp);
    }
}

static void on_timeout(AvahiTimeout *t, void *user)
{
    (void)t;
    struct browse *b = user;
    avahi_simple_poll_quit(b->sp);
}

int mdns_browse(const char *want, int timeout_ms, struct discovered *out, size_t max, char *err,
                size_t errlen)
{
    struct browse b = {.want = want && want[0] ? want : NULL,
                       .out = out,
                       .max = max,
                       .err = err,
                       .errlen = errlen};
    int error = 0, rc = -1;
    AvahiClient *c = NULL;
    b.sp = avahi_simple_poll_new();
    if (!b.sp) {
        snprintf(err, errlen, "mDNS: out of memory");
        return -1;
    }
    const AvahiPoll *api = avahi_simple_poll_get(b.sp);
    c = avahi_client_new(api, 0, on_client, &b, &error);
    if (!c) {
        snprintf(err, errlen,
                 "cannot browse the LAN: %s (is avahi-daemon running?); give the coordinator's URL",
                 avahi_strerror(error));
        goto out;
    }
    if (!avahi_service_browser_new(c, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, DISCOVERY_SERVICE, NULL,
                                   0, on_browse, &b)) {
        snprintf(err, errlen, "mDNS browse: %s", avahi_strerror(avahi_client_errno(c)));
        goto out;
    }
    struct timeval tv;
    api->timeout_new(api, avahi_elapse_time(&tv, (unsigned)timeout_ms, 0), on_timeout, &b);
    avahi_simple_poll_loop(b.sp);
    if (!b.failed)
        rc = (int)b.n;
out:
    if (c)
        avahi_client_free(c); /* frees its browsers and resolvers */
    avahi_simple_poll_free(b.sp);
    return rc;
}

int mdns_find_coordinator(const char *installation, int timeout_ms, char *url, size_t urllen,
                          char *err, size_t errlen)
{
    struct discovered found[32];
    int n =
        mdns_browse(installation, timeout_ms, found, sizeof found / sizeof found[0], err, errlen);
    if (n < 0)
        return -1;
    int i = discovery_choose(found, (size_t)n, installation, DISCOVERY_API, err, errlen);
    if (i < 0)
        return -1;
    discovery_url(&found[i], url, urllen);
    return 0;
}
