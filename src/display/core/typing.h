/* typing.h: terminal mode's prompt line. Keys arrive already translated (text as UTF-8, and
 * Backspace and Enter as calls); outside terminal mode every call does nothing. Pure. */
#ifndef PANIC_TYPING_H
#define PANIC_TYPING_H

#include "app.h"

#include <stdint.h>

#define TYPING_MAX_BYTES 1000 /* what a prompt may hold */

/* Append text to a->input, unless the network is locked out or the line would be too long. */
void typing_text(struct app *a, const char *text, int64_t now);
/* Delete the last code point of a->input. */
void typing_backspace(struct app *a);
/* Enter: 1 if a->input is to be posted now; during the lockout 0, and a->message says how long
 * to wait. 0 for an empty line. */
int typing_enter(struct app *a, int64_t now);

#endif
