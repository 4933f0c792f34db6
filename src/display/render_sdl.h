/* render_sdl.h: turns a draw list into SDL_Renderer calls, with the Departure Mono glyph cache
 * and a bounded texture cache of decoded images. The only display code that draws. */
#ifndef PANIC_RENDER_SDL_H
#define PANIC_RENDER_SDL_H

#include "display/core/drawlist.h"

#include <SDL.h>
#include <stddef.h>

struct render;

/* ren is borrowed. font_path: DepartureMono-Regular.otf. max_images bounds the texture cache.
 * Owned; render_free. NULL with a reason in err. */
struct render *render_new(SDL_Renderer *ren, const char *font_path, size_t max_images, char *err,
                          size_t errlen);
void render_free(struct render *r);

void render_draw(struct render *r, const struct drawlist *dl);
/* Redraw only rects (damage.h): for each, clipped to it, every command of dl that intersects it,
 * in order. The pixels inside the rects are then those render_draw would give. */
void render_draw_rects(struct render *r, const struct drawlist *dl, const struct rect *rects,
                       int nrects);

/* Layout's image_size callback (user = the render): 1 and the size if the image is loaded. */
int render_image_size(void *user, const char *media, int *w, int *h);
/* Hand over a decoded image (ARGB8888); the surface is freed here. 0 or -errno. */
int render_add_image(struct render *r, const char *media, SDL_Surface *surface);
/* Number of cached image textures. */
size_t render_image_count(const struct render *r);

#endif
