/* mdns.h: panicd announces itself on the LAN by DNS-SD (_panic._tcp, TXT installation=, api=,
 * version=) through the Avahi daemon, so displays and panicctl find it without a URL. */
#ifndef PANIC_MDNS_H
#define PANIC_MDNS_H

struct mdns;

/* Announce the coordinator of installation on port, on the loopback interface only when
 * loopback_only (panicd listens on 127.0.0.1). Never fails: without an Avahi daemon it logs once
 * that displays need the URL, and announces when a daemon appears. Owned; mdns_stop. */
struct mdns *mdns_announce(const char *installation, int port, int loopback_only,
                           const char *version);
void mdns_stop(struct mdns *m);

#endif
