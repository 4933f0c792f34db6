/* cec.h: switching the TV on and off over HDMI-CEC through the kernel CEC API (/dev/cecN):
 * claim a playback device's logical address, then Image View On + Active Source to switch the TV
 * on, Standby to switch it off. Where there is no CEC device, opening fails with a message that
 * says so. */
#ifndef PANIC_CEC_H
#define PANIC_CEC_H

#include <stddef.h>

#define CEC_FRAME_MAX 16

/* One CEC message as it goes on the bus: header (initiator << 4 | destination), opcode, operands.
 */
struct cec_frame {
    unsigned char len;
    unsigned char b[CEC_FRAME_MAX];
};

/* The messages that switch the TV on (Image View On to the TV, then Active Source broadcast with
 * phys, our physical address) or off (Standby to the TV), sent from logical address la. Fills
 * out and returns how many (2 or 1). */
int cec_power_frames(int on, unsigned la, unsigned phys, struct cec_frame out[2]);

struct cec_adapter;

/* Open path ("/dev/cec0"), or with path NULL or "auto" the first of /dev/cec0../dev/cec15 that
 * opens, and ask it for a playback device's logical address (without waiting for the claim: it
 * happens on the bus once a TV is linked). NULL with a reason in err (no CEC device, no
 * permission, an adapter that cannot claim addresses). Owned; cec_adapter_close. */
struct cec_adapter *cec_adapter_open(const char *path, char *err, size_t errlen);
void cec_adapter_close(struct cec_adapter *c);
const char *cec_adapter_path(const struct cec_adapter *c);
/* Switch the TV on or off (blocks until the TV has acknowledged or refused, tens of ms). 0, or
 * -1 with a reason (no CEC link, address not claimed yet, the TV did not acknowledge). */
int cec_adapter_power(struct cec_adapter *c, int on, char *err, size_t errlen);

#endif
