/* screen.h: the window, the renderer chosen for it, and presenting only what changed.
 *
 * Renderers: "gl" is SDL's accelerated renderer (OpenGL ES 2 on a Pi's KMSDRM) drawing into a
 * target texture the size of the logical frame, copied (turned when rotated) to the window and
 * presented when something changed. "software" draws with SDL's software renderer into a
 * surface of the logical frame and copies only the damaged rects (turned when rotated) into the
 * window's own surface, updating just those rects. "auto" takes gl unless the GL driver is an
 * emulation on the CPU (llvmpipe, softpipe, swrast: asked of a fresh process, see
 * screen_probe_gl_main), and software offscreen. Each frame the draw
 * list is compared with the previous one (damage.h); nothing changed means nothing is drawn or
 * presented. The whole frame is redrawn on the first frame, an expose or resize, and when asked
 * (screen_force_full). */
#ifndef PANIC_SCREEN_H
#define PANIC_SCREEN_H

#include "display/core/drawlist.h"
#include "render_sdl.h"

#include <SDL.h>

enum screen_renderer {
    SCREEN_AUTO,
    SCREEN_SOFTWARE,
    SCREEN_GL,
};

struct screen_options {
    int offscreen;    /* SDL's offscreen video driver: software */
    int win_w, win_h; /* 0: fullscreen at the desktop's size (at most 4K) */
    int rotate;       /* 0, 90, 180, 270 clockwise */
    enum screen_renderer renderer;
};

struct screen;

/* panic-display --probe-gl: print "NAME GL-RENDERER" of SDL's accelerated renderer on stdout
 * (what screen_open's auto choice asks a fresh process, so that an emulated GL never loads into
 * the display itself). */
void screen_probe_gl_main(void);
/* SDL video must be initialised. NULL with a reason in err. */
struct screen *screen_open(const struct screen_options *o, char *err, size_t errlen);
void screen_close(struct screen *s);
/* What render_new draws with. */
SDL_Renderer *screen_renderer(const struct screen *s);
/* The logical frame (after rotation) and the renderer's name ("software", "opengles2", ...). */
void screen_size(const struct screen *s, int *w, int *h);
const char *screen_renderer_name(const struct screen *s);
/* Draw what dl changes and present it. The number of damage rects drawn (0: nothing changed,
 * nothing presented); rects (may be NULL) gets the damage (borrowed until the next call). */
int screen_frame(struct screen *s, struct render *r, const struct drawlist *dl,
                 const struct rect **rects);
/* An SDL event: an expose or a size change redraws everything. */
void screen_event(struct screen *s, const SDL_Event *ev);
void screen_force_full(struct screen *s);
/* Black, presented at once (a TV switched off); the next frame redraws everything. */
void screen_blank(struct screen *s);
/* The last frame as PNG (the logical frame, unrotated). 0 or -errno / SDL's -1. */
int screen_save(struct screen *s, const char *path);
/* The window (borrowed). */
SDL_Window *screen_window(const struct screen *s);
/* The logical frame's pixels (ARGB8888) for tests: the software renderer's surface, else NULL. */
SDL_Surface *screen_surface(const struct screen *s);

#endif
