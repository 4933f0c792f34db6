/* mdns_browse.h: finding the coordinator on the LAN by DNS-SD (_panic._tcp) through the Avahi
 * daemon, for panic-display and panicctl when they are given no URL. */
#ifndef PANIC_MDNS_BROWSE_H
#define PANIC_MDNS_BROWSE_H

#include "common/discovery.h"

#include <stddef.h>

/* Browse DISCOVERY_SERVICE for up to timeout_ms. It ends sooner once the daemon has answered
 * for now and every service is resolved, or, with want (an installation name; NULL: any), as soon
 * as that one is resolved. The number of services resolved into out[0..max), or -1 with err
 * saying why (no Avahi daemon, no D-Bus, ...). */
int mdns_browse(const char *want, int timeout_ms, struct discovered *out, size_t max, char *err,
                size_t errlen);

/* Browse and choose (discovery_choose): the coordinator's URL into url; 0, or -1 with err. */
int mdns_find_coordinator(const char *installation, int timeout_ms, char *url, size_t urllen,
                          char *err, size_t errlen);

#endif
