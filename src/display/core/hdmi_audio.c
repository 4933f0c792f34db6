/* hdmi_audio.c: an HDMI output's ALSA card names from the display's name (see hdmi_audio.h).
 * Pure C: string work only; whether a card exists is main.c's question to /proc/asound. */
#include "hdmi_audio.h"

#include <stdio.h>
#include <string.h>

int hdmi_audio_cards(const char *display_name, char cards[2][HDMI_AUDIO_CARD_MAX])
{
    static const char suffix[] = "HDMI-A-";
    size_t n = strlen(display_name), s = sizeof suffix - 1;
    if (n < s + 1)
        return 0;
    const char *digit = display_name + n - 1;
    if (*digit < '1' || *digit > '9' || strncmp(digit - s, suffix, s) != 0)
        return 0;
    int port = *digit - '1';
    snprintf(cards[0], HDMI_AUDIO_CARD_MAX, "vc4hdmi%d", port);
    if (port > 0)
        return 1;
    snprintf(cards[1], HDMI_AUDIO_CARD_MAX, "vc4hdmi");
    return 2;
}
