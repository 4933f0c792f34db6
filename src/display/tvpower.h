/* tvpower.h: the screen's power by the coordinator's opening hours (tv_on, tv_off, tv_days,
 * tv_holidays in the display config): the schedule read at the local time (core/tvsched.c),
 * the TV switched over HDMI-CEC (cec.c) when it changes. The frame loop asks once a frame and
 * stops drawing while the answer is off. */
#ifndef PANIC_TVPOWER_H
#define PANIC_TVPOWER_H

#include "common/proto/display_config.h"

#include <stdint.h>

struct tvpower;

/* cec: "auto" (the first /dev/cecN), "none" (never touch the TV: the screen only stops
 * drawing), or a device path. The device is opened when a schedule first needs it; a machine
 * without one says so once in the log. Owned; tvpower_free. */
struct tvpower *tvpower_new(const char *cec);
void tvpower_free(struct tvpower *t);

/* Whether the screen is on now (mono: monotonic ms, to read the clock at most once a second).
 * *changed is set to 1 when this call switched it (the TV was sent Image View On + Active
 * Source, or Standby) or found it off at the first reading, else 0. Without a schedule: always on,
 * the TV left alone. */
int tvpower_step(struct tvpower *t, const struct display_config *cfg, int64_t mono, int *changed);

#endif
