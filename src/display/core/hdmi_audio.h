/* hdmi_audio.h: which ALSA card plays an HDMI output's sound on a Raspberry Pi. The vc4 driver
 * names one card per HDMI port: vc4hdmi0 and vc4hdmi1 on a Pi 4/400/5 (HDMI-A-1, HDMI-A-2), and
 * plain vc4hdmi on a Pi with one port (Pi 3, Zero 2 W). Pure: the caller checks which exists. */
#ifndef PANIC_HDMI_AUDIO_H
#define PANIC_HDMI_AUDIO_H

#include <stddef.h>

#define HDMI_AUDIO_CARD_MAX 16

/* The cards to try, in order, for a display named "...HDMI-A-N" (the unit's --name is
 * <host>-<output>): 0 when the name ends in no HDMI output, else 1 or 2 names in cards. */
int hdmi_audio_cards(const char *display_name, char cards[2][HDMI_AUDIO_CARD_MAX]);

#endif
