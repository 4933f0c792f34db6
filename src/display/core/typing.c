/* typing.c: typing a prompt on a display in terminal mode (see typing.h). Backspace removes a
 * whole UTF-8 code point so the line never holds half a character; the lockout answer is given
 * here, at once, rather than after a round trip. Pure: no SDL (main.c translates its events),
 * no network (the caller posts). */
#include "typing.h"

#include <stdio.h>
#include <string.h>

#define MESSAGE_MS 3000

void typing_text(struct app *a, const char *text, int64_t now)
{
    if (a->cfg.mode != DISPLAY_MODE_TERMINAL || app_lockout_left_s(a, now) > 0)
        return;
    size_t len = strlen(a->input), add = strlen(text);
    if (len + add < sizeof a->input && len + add <= TYPING_MAX_BYTES)
        memcpy(a->input + len, text, add + 1);
}

void typing_backspace(struct app *a)
{
    size_t len = strlen(a->input);
    if (a->cfg.mode != DISPLAY_MODE_TERMINAL || !len)
        return;
    while (len > 0 && ((unsigned char)a->input[len - 1] & 0xc0) == 0x80)
        len--;
    a->input[len ? len - 1 : 0] = '\0';
}

int typing_enter(struct app *a, int64_t now)
{
    if (a->cfg.mode != DISPLAY_MODE_TERMINAL || !a->input[0])
        return 0;
    int left = app_lockout_left_s(a, now);
    if (left > 0) {
        snprintf(a->message, sizeof a->message, "Please wait %d s.", left);
        a->message_until = now + MESSAGE_MS;
        return 0;
    }
    return 1;
}
