/* panel.h: the panic button (and its LED) wired to the display: edges from a backend or a key
 * go through the button state machine; a short press asks for a run, a long press for the staff
 * stop, and the screen answers at once, locally, when the network is locked out or the
 * coordinator is away (a press is never queued). */
#ifndef PANIC_PANEL_H
#define PANIC_PANEL_H

#include "display/core/app.h"
#include "sync.h"

#include <stddef.h>
#include <stdint.h>

struct panel;

/* spec: "none", "gpiod" or "gpiod:LINE" (default line GPIO17), or "fifo:PATH". led: the LED
 * line name or NULL. long_ms: the staff-stop hold time. Owned; panel_free. NULL + err. */
struct panel *panel_new(const char *spec, const char *led, int long_ms, char *err, size_t errlen);
void panel_free(struct panel *p);
/* A key acting as the button (an arcade button that types a key, or a key in the window). */
void panel_key(struct panel *p, int pressed, int64_t now);
/* Read the backend, advance time, act on presses, drive the LED. now: monotonic ms. */
void panel_step(struct panel *p, struct app *a, struct sync *s, int64_t now);
/* The backend's pollable fd or -1 (for a loop without a screen). */
int panel_fd(const struct panel *p);
/* Presses handled so far (short and long). */
long panel_presses(const struct panel *p);

#endif
