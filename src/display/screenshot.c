/* screenshot.c: frames as PNG through SDL_image (see screenshot.h). A reader never sees a half
 * written file: the PNG goes to a .tmp beside it and is renamed. Nothing here decides what is
 * drawn. */
#include "screenshot.h"
#include "common/util.h"

#include <SDL_image.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int screenshot_due(const char *dir, long every, long frames, long frame, char *path, size_t len)
{
    if (!dir || !(frame % every == 0 || frame + 1 == frames))
        return 0;
    if (frames)
        snprintf(path, len, "%s/frame-%05ld.png", dir, frame);
    else
        snprintf(path, len, "%s/latest.png", dir);
    return 1;
}

int screenshot_save(SDL_Renderer *ren, int w, int h, const char *path)
{
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    if (!s)
        return -ENOMEM;
    int rc = SDL_RenderReadPixels(ren, NULL, SDL_PIXELFORMAT_ARGB8888, s->pixels, s->pitch);
    if (rc == 0) {
        char *tmp = xasprintf("%s.tmp", path);
        rc = IMG_SavePNG(s, tmp);
        if (rc == 0 && rename(tmp, path) < 0)
            rc = -errno;
        free(tmp);
    }
    SDL_FreeSurface(s);
    return rc;
}
