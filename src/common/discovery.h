/* discovery.h: choosing a coordinator among those found on the LAN by DNS-SD (_panic._tcp), and
 * the URL to reach it. Pure: the browsing itself is lib/mdns_browse.c's (Avahi); this only
 * decides, so it is tested with made-up results. */
#ifndef PANIC_DISCOVERY_H
#define PANIC_DISCOVERY_H

#include <stddef.h>

#define DISCOVERY_SERVICE "_panic._tcp"
#define DISCOVERY_API 1 /* the API version (TXT api=) this build speaks */

/* One resolved service. */
struct discovered {
    char name[64];    /* the service instance name */
    char host[256];   /* "panic-coordinator.local" */
    char address[64]; /* "192.168.1.20", "fe80::1%2" */
    int ipv6;         /* address is IPv6 */
    int port;
    char installation[64]; /* TXT installation= ("" if none) */
    int api;               /* TXT api= (0 if none) */
};

/* The index of the coordinator to use among r[0..n): the one whose installation name is
 * `installation` (NULL or "": the only one there is), speaking API version api. An installation
 * seen at several addresses (IPv4 and IPv6, several interfaces) counts once; its IPv4 address is
 * preferred. -1 with err saying why: none found, none of that name (the names found are listed),
 * several and no name given (listed: give one), or only other API versions. */
int discovery_choose(const struct discovered *r, size_t n, const char *installation, int api,
                     char *err, size_t errlen);

/* "http://ADDRESS:PORT" ("http://[ADDRESS]:PORT" for IPv6, with a zone as %25) into buf. */
void discovery_url(const struct discovered *d, char *buf, size_t len);

#endif
