/* notify.h: the systemd sd_notify protocol (READY=1, WATCHDOG=1, STATUS=...), reimplemented so no
 * program links libsystemd for one datagram. */
#ifndef PANIC_NOTIFY_H
#define PANIC_NOTIFY_H

#include <stdint.h>

/* Send state to $NOTIFY_SOCKET; 0 if sent or no socket is set, -errno on failure. */
int notify_send(const char *state);
/* Watchdog interval from $WATCHDOG_USEC in ms (0 if not enabled for this pid). */
int64_t notify_watchdog_ms(void);

#endif
