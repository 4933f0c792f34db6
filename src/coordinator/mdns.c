/* mdns.c: panicd's DNS-SD announcement (mdns.h), the only panicd file that includes Avahi's
 * headers. Avahi runs on its own thread (AvahiThreadedPoll), which touches nothing of panicd's
 * but this struct, set up before the thread starts: the loop never waits on it. With
 * AVAHI_CLIENT_NO_FAIL the client waits for a daemon that is not (yet) there and comes back after
 * one restarts; a name already taken on the LAN gets Avahi's alternative ("... #2"). Logs what
 * happens, nothing secret. */
#include "mdns.h"
#include "common/discovery.h"
#include "common/log.h"
#include "common/util.h"

#include <avahi-client/client.h>
#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-common/thread-watch.h>
#include <avahi-common/timeval.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mdns {
    AvahiThreadedPoll *tp;
    AvahiClient *client;
    AvahiEntryGroup *group;
    char *name; /* avahi_malloc'ed: the service instance name */
    char installation[64], version[32];
    int port;
    AvahiIfIndex iface;
    int said_waiting;
};

static void add_service(struct mdns *m, AvahiClient *c);
static void say_waiting(struct mdns *m);

static void rename_service(struct mdns *m)
{
    char *alt = avahi_alternative_service_name(m->name);
    log_warn("mDNS: the name '%s' is taken on the LAN; announcing as '%s'", m->name, alt);
    avahi_free(m->name);
    m->name = alt;
}

static void on_group(AvahiEntryGroup *g, AvahiEntryGroupState state, void *user)
{
    struct mdns *m = user;
    switch (state) {
    case AVAHI_ENTRY_GROUP_ESTABLISHED:
        log_info("mDNS: announced name=\"%s\" service=%s port=%d installation=%s", m->name,
                 DISCOVERY_SERVICE, m->port, m->installation);
        break;
    case AVAHI_ENTRY_GROUP_COLLISION:
        rename_service(m);
        avahi_entry_group_reset(g);
        add_service(m, avahi_entry_group_get_client(g));
        break;
    case AVAHI_ENTRY_GROUP_FAILURE:
        log_warn("mDNS: announcing failed: %s",
                 avahi_strerror(avahi_client_errno(avahi_entry_group_get_client(g))));
        break;
    default:
        break;
    }
}

static void add_service(struct mdns *m, AvahiClient *c)
{
    if (!m->group && !(m->group = avahi_entry_group_new(c, on_group, m))) {
        log_warn("mDNS: %s", avahi_strerror(avahi_client_errno(c)));
        return;
    }
    if (!avahi_entry_group_is_empty(m->group))
        return;
    char inst[96], api[16], ver[48];
    snprintf(inst, sizeof inst, "installation=%s", m->installation);
    snprintf(api, sizeof api, "api=%d", DISCOVERY_API);
    snprintf(ver, sizeof ver, "version=%s", m->version);
    for (int tries = 0; tries < 10; tries++) {
        int rc = avahi_entry_group_add_service(m->group, m->iface, AVAHI_PROTO_UNSPEC, 0, m->name,
                                               DISCOVERY_SERVICE, NULL, NULL, (uint16_t)m->port,
                                               inst, api, ver, NULL);
        if (rc == AVAHI_ERR_COLLISION) {
            rename_service(m);
            continue;
        }
        if (rc < 0 || (rc = avahi_entry_group_commit(m->group)) < 0)
            log_warn("mDNS: cannot announce: %s", avahi_strerror(rc));
        return;
    }
}

static void on_client(AvahiClient *c, AvahiClientState state, void *user)
{
    struct mdns *m = user;
    switch (state) {
    case AVAHI_CLIENT_S_RUNNING:
        m->said_waiting = 0;
        add_service(m, c);
        break;
    case AVAHI_CLIENT_S_COLLISION:
    case AVAHI_CLIENT_S_REGISTERING:
        if (m->group)
            avahi_entry_group_reset(m->group);
        break;
    case AVAHI_CLIENT_CONNECTING:
        say_waiting(m);
        break;
    case AVAHI_CLIENT_FAILURE:
        log_warn("mDNS: the Avahi client failed: %s", avahi_strerror(avahi_client_errno(c)));
        break;
    default:
        break;
    }
}

#define RETRY_S 5 /* without a D-Bus system bus, the client is made again this often */

static void say_waiting(struct mdns *m)
{
    if (!m->said_waiting)
        log_warn("mDNS: no Avahi daemon (avahi-daemon) yet: panicd is not announced on the "
                 "LAN, so displays and panicctl need its URL (--coordinator) until one runs");
    m->said_waiting = 1;
}

/* On the Avahi thread: try to make the client again (no D-Bus bus was there). */
static void on_retry(AvahiTimeout *t, void *user)
{
    struct mdns *m = user;
    const AvahiPoll *api = avahi_threaded_poll_get(m->tp);
    int error = 0;
    m->client = avahi_client_new(api, AVAHI_CLIENT_NO_FAIL, on_client, m, &error);
    if (!m->client) {
        struct timeval tv;
        api->timeout_update(t, avahi_elapse_time(&tv, RETRY_S * 1000, 0));
    }
}

struct mdns *mdns_announce(const char *installation, int port, int loopback_only,
                           const char *version)
{
    struct mdns *m = xcalloc(1, sizeof *m);
    snprintf(m->installation, sizeof m->installation, "%s", installation);
    snprintf(m->version, sizeof m->version, "%s", version);
    m->port = port;
    m->iface = AVAHI_IF_UNSPEC;
    if (loopback_only) {
        unsigned lo = if_nametoindex("lo");
        if (lo)
            m->iface = (AvahiIfIndex)lo;
    }
    char name[64];
    snprintf(name, sizeof name, "PANIC! %s", installation);
    m->name = avahi_strdup(name);
    int error = 0;
    m->tp = avahi_threaded_poll_new();
    if (!m->tp) {
        log_warn("mDNS: cannot announce panicd on the LAN (out of memory)");
        mdns_stop(m);
        return NULL;
    }
    const AvahiPoll *api = avahi_threaded_poll_get(m->tp);
    m->client = avahi_client_new(api, AVAHI_CLIENT_NO_FAIL, on_client, m, &error);
    if (!m->client) {
        /* No D-Bus system bus at all: say so, and try again now and then. */
        say_waiting(m);
        struct timeval tv;
        api->timeout_new(api, avahi_elapse_time(&tv, RETRY_S * 1000, 0), on_retry, m);
    }
    if (avahi_threaded_poll_start(m->tp) < 0) {
        log_warn("mDNS: cannot start the Avahi thread; panicd is not announced");
        mdns_stop(m);
        return NULL;
    }
    return m;
}

void mdns_stop(struct mdns *m)
{
    if (!m)
        return;
    if (m->tp)
        avahi_threaded_poll_stop(m->tp);
    if (m->client)
        avahi_client_free(m->client); /* and its entry group: the announcement is withdrawn */
    if (m->tp)
        avahi_threaded_poll_free(m->tp);
    avahi_free(m->name);
    free(m);
}
