/* screen.c: the window, the renderer picked for it, and presenting only the damaged rects (see
 * screen.h). Depends on SDL2 and the display's render and damage modules; decides nothing about
 * what is drawn. */
#include "screen.h"
#include "common/log.h"
#include "common/util.h"
#include "display/core/damage.h"
#include "screenshot.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define GL_RENDERER_STRING 0x1F01

struct screen {
    SDL_Window *win;
    SDL_Renderer *ren;
    SDL_Surface *logical; /* software: the frame, drawn by ren */
    SDL_Texture *target;  /* gl: the frame, drawn by ren */
    int software;
    int lw, lh, rotate;
    char name[32];
    struct damage *damage;
    SDL_Rect out[DAMAGE_MAX]; /* damage in window coordinates */
};

/* The window: fullscreen at the desktop's size (at most 4K) unless a size is given. */
static SDL_Window *open_window(const struct screen_options *o, int *w, int *h)
{
    SDL_DisplayMode mode = {0};
    int fullscreen = !o->win_w && !o->offscreen;
    *w = o->win_w ? o->win_w : 1920;
    *h = o->win_w ? o->win_h : 1080;
    if (fullscreen && SDL_GetDesktopDisplayMode(0, &mode) == 0) {
        *w = mode.w > 3840 ? 3840 : mode.w;
        *h = mode.h > 2160 ? 2160 : mode.h;
    }
    return SDL_CreateWindow("PANIC!", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, *w, *h,
                            fullscreen ? SDL_WINDOW_FULLSCREEN : 0);
}

/* The GL driver's renderer string, "" if ren is not a GL renderer. */
static const char *gl_renderer_string(SDL_Renderer *ren)
{
    SDL_RendererInfo info;
    if (SDL_GetRendererInfo(ren, &info) < 0 || strncmp(info.name, "opengl", 6) != 0)
        return "";
    const unsigned char *(*get)(unsigned) = NULL;
    void *sym = SDL_GL_GetProcAddress("glGetString");
    memcpy(&get, &sym, sizeof get); /* POSIX: a data pointer may hold a function */
    const unsigned char *s = get ? get(GL_RENDERER_STRING) : NULL;
    return s ? (const char *)s : "";
}

static int emulated_gl(const char *renderer)
{
    return strstr(renderer, "llvmpipe") || strstr(renderer, "softpipe") ||
           strstr(renderer, "swrast") || strstr(renderer, "Software");
}

void screen_probe_gl_main(void)
{
    if (SDL_Init(SDL_INIT_VIDEO) < 0)
        return;
    SDL_Window *w = SDL_CreateWindow("probe", 0, 0, 1, 1, SDL_WINDOW_HIDDEN);
    SDL_Renderer *r = w ? SDL_CreateRenderer(w, -1, SDL_RENDERER_ACCELERATED) : NULL;
    SDL_RendererInfo info;
    if (r && SDL_GetRendererInfo(r, &info) == 0)
        printf("%s %s\n", info.name, gl_renderer_string(r));
    fflush(stdout);
    if (r)
        SDL_DestroyRenderer(r);
    if (w)
        SDL_DestroyWindow(w);
    SDL_Quit();
}

/* "NAME GL-RENDERER" of the accelerated renderer, from a fresh copy of this program run with
 * --probe-gl: an emulated GL's libraries (llvmpipe, tens of MB) never load into this one. ""
 * if the probe says nothing within 10 s. */
static void probe_gl(char *out, size_t len)
{
    int p[2];
    out[0] = '\0';
    if (pipe(p) < 0)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0)
            dup2(null, 2);
        execl("/proc/self/exe", "panic-display", "--probe-gl", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    size_t n = 0;
    for (int64_t end = time_mono_ms() + 10000; pid > 0 && n + 1 < len;) {
        struct pollfd pfd = {.fd = p[0], .events = POLLIN};
        int64_t left = end - time_mono_ms();
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
            break;
        ssize_t got = read(p[0], out + n, len - 1 - n);
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    close(p[0]);
    out[n] = '\0';
    out[strcspn(out, "\n")] = '\0';
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
}

/* An accelerated renderer on s->win unless it only emulates a GPU (auto); 0 or -1. */
static int try_gl(struct screen *s, const struct screen_options *o)
{
    s->ren = SDL_CreateRenderer(s->win, -1,
                                SDL_RENDERER_ACCELERATED | SDL_RENDERER_PRESENTVSYNC |
                                    SDL_RENDERER_TARGETTEXTURE);
    if (!s->ren)
        return -1;
    SDL_RendererInfo info;
    const char *gl = gl_renderer_string(s->ren);
    if (SDL_GetRendererInfo(s->ren, &info) < 0 || !strcmp(info.name, "software") ||
        (o->renderer == SCREEN_AUTO && emulated_gl(gl))) {
        log_info("renderer %s (%s) only emulates a GPU: drawing in software",
                 SDL_GetRendererInfo(s->ren, &info) == 0 ? info.name : "?", gl);
        SDL_DestroyRenderer(s->ren);
        s->ren = NULL;
        return -1;
    }
    s->target =
        SDL_CreateTexture(s->ren, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_TARGET, s->lw, s->lh);
    if (!s->target) {
        SDL_DestroyRenderer(s->ren);
        s->ren = NULL;
        return -1;
    }
    snprintf(s->name, sizeof s->name, "%s", info.name);
    log_info("renderer=%s gl=%s", info.name, gl);
    return 0;
}

static int open_software(struct screen *s)
{
    /* Else SDL backs an X11 window's surface with a GL texture: llvmpipe again, for every
     * update. */
    SDL_SetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0");
    s->logical = SDL_CreateRGBSurfaceWithFormat(0, s->lw, s->lh, 32, SDL_PIXELFORMAT_ARGB8888);
    if (!s->logical)
        return -1;
    SDL_SetSurfaceBlendMode(s->logical, SDL_BLENDMODE_NONE);
    s->ren = SDL_CreateSoftwareRenderer(s->logical);
    if (!s->ren || !SDL_GetWindowSurface(s->win))
        return -1;
    s->software = 1;
    snprintf(s->name, sizeof s->name, "software");
    log_info("renderer=software");
    return 0;
}

struct screen *screen_open(const struct screen_options *o, char *err, size_t errlen)
{
    struct screen *s = xcalloc(1, sizeof *s);
    int w, h;
    s->rotate = o->rotate;
    s->win = open_window(o, &w, &h);
    if (!s->win) {
        snprintf(err, errlen, "cannot open a window: %s", SDL_GetError());
        goto fail;
    }
    s->lw = o->rotate % 180 ? h : w;
    s->lh = o->rotate % 180 ? w : h;
    int gl = !o->offscreen && o->renderer != SCREEN_SOFTWARE;
    if (gl && o->renderer == SCREEN_AUTO) {
        char probe[256];
        probe_gl(probe, sizeof probe);
        if (!strncmp(probe, "software", 8) || emulated_gl(probe)) {
            log_info("renderer probe: %s only emulates a GPU: drawing in software", probe);
            gl = 0;
        }
    }
    if (gl && try_gl(s, o) < 0 && o->renderer == SCREEN_GL) {
        snprintf(err, errlen, "no accelerated renderer: %s", SDL_GetError());
        goto fail;
    }
    if (!s->ren) {
        if (gl) { /* a window a GL renderer touched may not give a surface: a new one */
            SDL_DestroyWindow(s->win);
            s->win = open_window(o, &w, &h);
        }
        if (!s->win || open_software(s) < 0) {
            snprintf(err, errlen, "cannot draw in software: %s", SDL_GetError());
            goto fail;
        }
    }
    s->damage = xcalloc(1, sizeof *s->damage);
    damage_init(s->damage);
    SDL_SetRenderDrawBlendMode(s->ren, SDL_BLENDMODE_BLEND);
    SDL_ShowCursor(SDL_DISABLE);
    return s;
fail:
    screen_close(s);
    return NULL;
}

void screen_close(struct screen *s)
{
    if (!s)
        return;
    if (s->target)
        SDL_DestroyTexture(s->target);
    if (s->ren)
        SDL_DestroyRenderer(s->ren);
    if (s->logical)
        SDL_FreeSurface(s->logical);
    if (s->win)
        SDL_DestroyWindow(s->win);
    free(s->damage);
    free(s);
}

SDL_Renderer *screen_renderer(const struct screen *s)
{
    return s->ren;
}

void screen_size(const struct screen *s, int *w, int *h)
{
    *w = s->lw;
    *h = s->lh;
}

const char *screen_renderer_name(const struct screen *s)
{
    return s->name;
}

SDL_Window *screen_window(const struct screen *s)
{
    return s->win;
}

SDL_Surface *screen_surface(const struct screen *s)
{
    return s->logical;
}

void screen_force_full(struct screen *s)
{
    damage_force_full(s->damage);
}

void screen_event(struct screen *s, const SDL_Event *ev)
{
    if (ev->type == SDL_WINDOWEVENT &&
        (ev->window.event == SDL_WINDOWEVENT_EXPOSED ||
         ev->window.event == SDL_WINDOWEVENT_SIZE_CHANGED ||
         ev->window.event == SDL_WINDOWEVENT_RESIZED || ev->window.event == SDL_WINDOWEVENT_SHOWN))
        damage_force_full(s->damage);
    else if (ev->type == SDL_RENDER_TARGETS_RESET || ev->type == SDL_RENDER_DEVICE_RESET)
        damage_force_full(s->damage);
}

/* r (logical) turned by the rotation into window coordinates, the frame centred in a ww x wh
 * window. */
static SDL_Rect turn(const struct screen *s, struct rect r, int ww, int wh)
{
    int ow = s->rotate % 180 ? s->lh : s->lw, oh = s->rotate % 180 ? s->lw : s->lh;
    int ox = (ww - ow) / 2, oy = (wh - oh) / 2;
    SDL_Rect o;
    switch (s->rotate) {
    case 90:
        o = (SDL_Rect){s->lh - r.y - r.h, r.x, r.h, r.w};
        break;
    case 180:
        o = (SDL_Rect){s->lw - r.x - r.w, s->lh - r.y - r.h, r.w, r.h};
        break;
    case 270:
        o = (SDL_Rect){r.y, s->lw - r.x - r.w, r.h, r.w};
        break;
    default:
        o = (SDL_Rect){r.x, r.y, r.w, r.h};
        break;
    }
    o.x += ox;
    o.y += oy;
    return o;
}

/* Copy logical rect r into the window surface ws at o, turned. */
static void copy_turned(const struct screen *s, SDL_Surface *ws, struct rect r, SDL_Rect o)
{
    const Uint8 *src = s->logical->pixels;
    Uint8 *dst = ws->pixels;
    int sp = s->logical->pitch, dp = ws->pitch;
    for (int y = r.y; y < r.y + r.h; y++) {
        const Uint32 *row = (const Uint32 *)(src + (size_t)y * (size_t)sp);
        for (int x = r.x; x < r.x + r.w; x++) {
            int wx, wy;
            if (s->rotate == 90) {
                wx = o.x + (r.y + r.h - 1 - y);
                wy = o.y + (x - r.x);
            } else if (s->rotate == 180) {
                wx = o.x + (r.x + r.w - 1 - x);
                wy = o.y + (r.y + r.h - 1 - y);
            } else {
                wx = o.x + (y - r.y);
                wy = o.y + (r.x + r.w - 1 - x);
            }
            if (wx >= 0 && wy >= 0 && wx < ws->w && wy < ws->h)
                ((Uint32 *)(dst + (size_t)wy * (size_t)dp))[wx] = row[x];
        }
    }
}

static int present_software(struct screen *s, const struct rect *rects, int n, int full)
{
    SDL_RenderFlush(s->ren);
    SDL_Surface *ws = SDL_GetWindowSurface(s->win);
    if (!ws)
        return -1;
    int ow = s->rotate % 180 ? s->lh : s->lw, oh = s->rotate % 180 ? s->lw : s->lh;
    int border = full && (ws->w != ow || ws->h != oh);
    if (border) /* around the frame */
        SDL_FillRect(ws, NULL, SDL_MapRGB(ws->format, 0, 0, 0));
    int turned = s->rotate && ws->format->BytesPerPixel == 4;
    if (SDL_MUSTLOCK(ws))
        SDL_LockSurface(ws);
    for (int i = 0; i < n; i++) {
        s->out[i] = turn(s, rects[i], ws->w, ws->h);
        if (turned) {
            copy_turned(s, ws, rects[i], s->out[i]);
        } else {
            SDL_Rect src = {rects[i].x, rects[i].y, rects[i].w, rects[i].h}, o = s->out[i];
            SDL_BlitSurface(s->logical, &src, ws, &o);
        }
    }
    if (SDL_MUSTLOCK(ws))
        SDL_UnlockSurface(ws);
    return border ? SDL_UpdateWindowSurface(s->win)
                  : SDL_UpdateWindowSurfaceRects(s->win, s->out, n);
}

static int present_gl(struct screen *s)
{
    int ww, wh;
    SDL_SetRenderTarget(s->ren, NULL);
    SDL_GetRendererOutputSize(s->ren, &ww, &wh);
    SDL_SetRenderDrawColor(s->ren, 0, 0, 0, 0xff);
    SDL_RenderClear(s->ren);
    SDL_Rect dst = {(ww - s->lw) / 2, (wh - s->lh) / 2, s->lw, s->lh};
    SDL_RenderCopyEx(s->ren, s->target, NULL, &dst, (double)s->rotate, NULL, SDL_FLIP_NONE);
    SDL_RenderPresent(s->ren);
    return 0;
}

int screen_frame(struct screen *s, struct render *r, const struct drawlist *dl,
                 const struct rect **rects)
{
    int full = s->damage->full;
    damage_diff(s->damage, dl, s->lw, s->lh);
    if (rects)
        *rects = s->damage->rects;
    int n = s->damage->n;
    if (!n)
        return 0;
    if (s->target)
        SDL_SetRenderTarget(s->ren, s->target);
    render_draw_rects(r, dl, s->damage->rects, n);
    if (s->software)
        present_software(s, s->damage->rects, n, full);
    else
        present_gl(s);
    return n;
}

void screen_blank(struct screen *s)
{
    if (s->target)
        SDL_SetRenderTarget(s->ren, s->target);
    SDL_SetRenderDrawColor(s->ren, 0, 0, 0, 0xff);
    SDL_RenderClear(s->ren);
    if (s->software)
        present_software(s, &(struct rect){0, 0, s->lw, s->lh}, 1, 1);
    else
        present_gl(s);
    damage_force_full(s->damage);
}

int screen_save(struct screen *s, const char *path)
{
    if (s->target)
        SDL_SetRenderTarget(s->ren, s->target);
    int rc = screenshot_save(s->ren, s->lw, s->lh, path);
    if (s->target)
        SDL_SetRenderTarget(s->ren, NULL);
    return rc;
}
