/* screenshot.h: frames written as PNG files (--screenshot DIR), for tests and remote checks. */
#ifndef PANIC_DISPLAY_SCREENSHOT_H
#define PANIC_DISPLAY_SCREENSHOT_H

#include <stddef.h>

struct SDL_Renderer; /* SDL's, by its tag: only screenshot.c needs SDL's headers */

/* Whether frame is one to write: every `every`-th and the last of `frames` (0: no end). 1 and
 * path (DIR/frame-NNNNN.png with an end, DIR/latest.png without) or 0. */
int screenshot_due(const char *dir, long every, long frames, long frame, char *path, size_t len);
/* What ren shows now (w x h) into path, atomically (a .tmp renamed). 0 or negative. */
int screenshot_save(struct SDL_Renderer *ren, int w, int h, const char *path);

#endif
