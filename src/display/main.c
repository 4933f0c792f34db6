/* main.c: panic-display, the fullscreen kiosk, wired together: options (options.c), the state
 * dir and media cache, the coordinator client (sync.c), the panic button (panel.c) and, unless
 * --headless, the screen: SDL window and events, the media pipeline (pipeline.c), the QR code
 * (qr.c), layout into a draw list, rendering (to a texture when rotated), screenshots and
 * presenting. One loop runs both ways; systemd hears READY=1 after the first presented frame
 * (at once when headless) and WATCHDOG=1 only from a loop that is still going round. Decisions
 * live in the pieces: nothing here parses, lays out or decodes. */
#include "common/lib/mdns_browse.h"
#include "common/log.h"
#include "common/notify.h"
#include "common/rng.h"
#include "common/util.h"
#include "display/core/app.h"
#include "display/core/hdmi_audio.h"
#include "display/core/layout.h"
#include "display/core/typing.h"
#include "mediacache.h"
#include "options.h"
#include "panel.h"
#include "pipeline.h"
#include "qr.h"
#include "render_sdl.h"
#include "screen.h"
#include "screenshot.h"
#include "sync.h"
#include "tvpower.h"

#include <SDL.h>
#include <SDL_image.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EX_CONFIG 78
#define FULL_REDRAW_MS 10000 /* the safety interval: the whole frame redrawn */
#define IDLE_FRAME_MS 100    /* the frame interval of a still screen */

static volatile sig_atomic_t got_term;

struct display {
    struct display_options o;
    struct app *app;
    struct mediacache *cache;
    struct sync *sync;
    struct panel *panel;
    /* The screen: all NULL when headless. */
    struct screen *screen;
    int lw, lh;                /* the logical size, after rotation */
    int64_t full_at;           /* when the whole frame was last redrawn (the safety interval) */
    int64_t drawn_at;          /* when a frame last changed anything */
    struct display_config cfg; /* the config of the last frame: a change redraws everything */
    struct render *render;
    struct pipeline *pipe;
    struct qr *qr;
    struct drawlist *dl;
    SDL_Keycode button_key;
    float rotation, spin;
    uint64_t spin_rng;  /* seeded once: each clip gets its own spin from it */
    char clip[96];      /* the clip the spin belongs to */
    int64_t vis_at;     /* when the ring last turned (with the visualiser, <= 24 times a second) */
    struct tvpower *tv; /* the TV's power by opening hours (screen only) */
};

static void on_term(int sig)
{
    (void)sig;
    got_term = 1;
}

/* What a headless Pi runs too: the state dir, the media cache, the coordinator, the button. */
static int open_core(struct display *d)
{
    char err[PANIC_ERR_LEN];
    if (mkdir_p(d->o.state_dir, 0750) < 0) {
        log_err("cannot create the state dir path=%s", d->o.state_dir);
        return -1;
    }
    char *cache_dir = xasprintf("%s/cache", d->o.state_dir);
    d->cache = mediacache_open(cache_dir, (uint64_t)d->o.cache_mb << 20, err, sizeof err);
    free(cache_dir);
    if (!d->cache) {
        log_err("media cache: %s", err);
        return -1;
    }
    struct sync_options so = {.coordinator = d->o.coordinator,
                              .token = d->o.token,
                              .state_dir = d->o.state_dir,
                              .heartbeat_ms = d->o.heartbeat_ms,
                              .cache_max_bytes = (uint64_t)d->o.cache_mb << 20};
    d->sync = sync_new(&so, d->app, d->cache);
    if (!d->sync) {
        log_err("cannot start the coordinator client");
        return -1;
    }
    d->panel = panel_new(d->o.button, d->o.led, (int)d->o.long_press_ms, err, sizeof err);
    if (!d->panel) {
        log_err("panic button: %s", err);
        return -1;
    }
    return 0;
}

/* The window and the renderer screen.c picks for it. */
static int open_window(struct display *d)
{
    struct display_options *o = &d->o;
    char err[PANIC_ERR_LEN];
    if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) < 0) {
        log_err("SDL: %s", SDL_GetError());
        return -1;
    }
    struct screen_options so = {.offscreen = o->offscreen,
                                .win_w = o->win_w,
                                .win_h = o->win_h,
                                .rotate = (int)o->rotate,
                                .renderer = (enum screen_renderer)o->renderer};
    d->screen = screen_open(&so, err, sizeof err);
    if (!d->screen) {
        log_err("%s", err);
        return -1;
    }
    screen_size(d->screen, &d->lw, &d->lh);
    log_info("renderer=%s video=%s", screen_renderer_name(d->screen), SDL_GetCurrentVideoDriver());
    return 0;
}

/* The window, then what draws into it. */

/* The ALSA card of this screen's HDMI output, unless the environment names one (the unit's
 * display-OUTPUT.env may): SDL opens AUDIODEV, and each HDMI port of a Pi is its own card. */
static void pick_hdmi_audio(const char *name)
{
    char cards[2][HDMI_AUDIO_CARD_MAX], path[64];
    if (getenv("AUDIODEV"))
        return;
    int n = hdmi_audio_cards(name, cards);
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "/proc/asound/%s", cards[i]);
        if (access(path, F_OK) == 0) {
            char dev[96];
            snprintf(dev, sizeof dev, "sysdefault:CARD=%s", cards[i]);
            setenv("AUDIODEV", dev, 0);
            log_info("audio device=%s for display=%s", dev, name);
            return;
        }
    }
}
static int open_screen(struct display *d)
{
    char err[PANIC_ERR_LEN];
    if (open_window(d) < 0)
        return -1;
    d->render = render_new(screen_renderer(d->screen), d->o.font, 64, err, sizeof err);
    if (!d->render) {
        log_err("%s", err);
        return -1;
    }
    pick_hdmi_audio(d->o.name);
    struct pipeline_parts parts = {
        .app = d->app, .sync = d->sync, .cache = d->cache, .render = d->render};
    d->pipe =
        pipeline_new(&parts, d->o.third_octave ? SPECTRUM_THIRD : SPECTRUM_OCTAVE, err, sizeof err);
    if (!d->pipe) {
        log_err("%s", err);
        return -1;
    }
    if (d->o.screenshot_dir && mkdir_p(d->o.screenshot_dir, 0755) < 0) {
        log_err("cannot create the screenshot dir path=%s", d->o.screenshot_dir);
        return -1;
    }
    d->qr = qr_new();
    d->tv = tvpower_new(d->o.cec);
    d->dl = xcalloc(1, sizeof *d->dl);
    SDL_StartTextInput();
    d->button_key = SDL_GetKeyFromName(d->o.button_key);
    log_info("display name=%s coordinator=%s size=%dx%d rotate=%ld", d->o.name, d->o.coordinator,
             d->lw, d->lh, d->o.rotate);
    d->spin_rng = rng_seed();
    d->app->audible_slot = (int)d->o.audible_slot;
    return 0;
}

/* The button key to the panel; the rest, in terminal mode, types a prompt. */
static void on_events(struct display *d, int64_t now)
{
    SDL_Event ev;
    while (SDL_PollEvent(&ev)) {
        SDL_Keycode k = ev.key.keysym.sym;
        screen_event(d->screen, &ev);
        if (ev.type == SDL_QUIT)
            got_term = 1;
        else if ((ev.type == SDL_KEYDOWN || ev.type == SDL_KEYUP) && !ev.key.repeat &&
                 d->button_key != SDLK_UNKNOWN && k == d->button_key)
            panel_key(d->panel, ev.type == SDL_KEYDOWN, now);
        else if (ev.type == SDL_TEXTINPUT)
            typing_text(d->app, ev.text.text, now);
        else if (ev.type == SDL_KEYDOWN && k == SDLK_BACKSPACE)
            typing_backspace(d->app);
        else if (ev.type == SDL_KEYDOWN && (k == SDLK_RETURN || k == SDLK_KP_ENTER) &&
                 typing_enter(d->app, now))
            sync_post_prompt(d->sync, d->app->input, now);
    }
}

static void draw(struct display *d, int64_t now, float dt, long frame)
{
    const struct display_options *o = &d->o;
    int moved = pipeline_step(d->pipe, dt);
    (void)dt;
    /* A slow random spin of the ring, new for every clip, like the original's -5..5 rpm; it
     * turns only when the visualiser moves (24 times a second). */
    const char *clip = pipeline_playing(d->pipe);
    if (strcmp(clip, d->clip)) {
        snprintf(d->clip, sizeof d->clip, "%s", clip);
        d->spin = (float)((rng_unit(&d->spin_rng) - 0.5) * 2.0 * 5.0 * 2.0 * 3.14159265 / 60.0);
    }
    if (moved) {
        d->rotation += d->spin * (float)(now - d->vis_at) / 1000.0f;
        d->vis_at = now;
    }
    qr_update(d->qr, d->app->prompt_url);
    int nbars, qr_width;
    const float *bars = pipeline_bars(d->pipe, &nbars);
    const unsigned char *qr = qr_modules(d->qr, &qr_width);
    char hud[64] = "";
    struct layout_env env = {.w = d->lw,
                             .h = d->lh,
                             .now = now,
                             .image_size = render_image_size,
                             .user = d->render,
                             .bars = bars,
                             .nbars = nbars,
                             .ring_rotation = d->rotation,
                             .audible_cell = app_audible_cell(d->app),
                             .hud_line = hud,
                             .qr = qr,
                             .qr_width = qr_width,
                             .no_hud = o->no_hud,
                             .no_qr = o->no_qr};
    layout_frame(d->app, &env, d->dl);
    /* Everything again now and then, and when the config changes (a new grid moves every cell). */
    if (now - d->full_at >= FULL_REDRAW_MS || memcmp(&d->cfg, &d->app->cfg, sizeof d->cfg)) {
        screen_force_full(d->screen);
        d->full_at = now;
        d->cfg = d->app->cfg;
    }
    if (screen_frame(d->screen, d->render, d->dl, NULL) > 0)
        d->drawn_at = now;
    char path[1200];
    if (screenshot_due(o->screenshot_dir, o->screenshot_every, o->frames, frame, path,
                       sizeof path) &&
        screen_save(d->screen, path) < 0)
        log_warn("cannot write path=%s", path);
}

/* The TV's power by opening hours (tvpower.c). Off: one black frame (a TV without CEC shows
 * black), then nothing is drawn or presented and the sound pauses; back on: the sound resumes
 * and the next frame draws everything afresh. */
static int screen_on(struct display *d, int64_t now)
{
    int changed, on = tvpower_step(d->tv, &d->app->cfg, now, &changed);
    if (!changed)
        return on;
    pipeline_pause_audio(d->pipe, !on);
    d->app->changed_at = now; /* what the screen shows is all new */
    if (!on) {
        screen_blank(d->screen); /* the next frame on draws everything */
        char path[1200];
        if (screenshot_due(d->o.screenshot_dir, 1, 0, 0, path, sizeof path))
            screen_save(d->screen, path);
    }
    return on;
}

/* Until the next frame, but woken by the coordinator: a change it brings is drawn at once
 * rather than a frame interval later. */
static void wait_frame(struct display *d, int64_t deadline)
{
    int64_t seen = d->app->changed_at;
    for (int64_t t = time_mono_ms(); t < deadline; t = time_mono_ms()) {
        sync_wait(d->sync, (int)(deadline - t));
        sync_pump(d->sync, time_mono_ms());
        if (d->app->changed_at != seen)
            break;
    }
}

/* Without a screen the button's answers go to the journal. */
static void log_message(struct app *a, int64_t now)
{
    if (a->message[0] && now < a->message_until) {
        log_info("button: %s", a->message);
        a->message_until = 0;
    }
}

/* Frames until SIGTERM (or --frames); without a screen, the button alone, sleeping on its fd. */
static int run(struct display *d)
{
    int headless = d->o.headless, ready = headless;
    int64_t watchdog_ms = notify_watchdog_ms() / 2, last_ping = 0;
    int64_t frame_ms = (1000 + d->o.fps / 2) / d->o.fps, prev = time_mono_ms();
    if (headless) {
        notify_send("READY=1\nSTATUS=button only");
        log_info("headless: button only name=%s", d->app->name);
    }
    for (long frame = 0; !got_term && (headless || !d->o.frames || frame < d->o.frames); frame++) {
        int64_t now = time_mono_ms();
        float dt = (float)(now - prev) / 1000.0f;
        prev = now;
        if (!headless)
            on_events(d, now);
        sync_pump(d->sync, now);
        panel_step(d->panel, d->app, d->sync, now);
        int on = headless || screen_on(d, now);
        if (headless) {
            log_message(d->app, now);
        } else if (on) {
            draw(d, now, dt, frame);
            sync_frame(d->sync, now);
            if (!ready)
                notify_send("READY=1\nSTATUS=showing");
            ready = 1;
        } else if (!ready) {
            notify_send("READY=1\nSTATUS=tv off by the schedule");
            ready = 1;
        }
        if (watchdog_ms > 0 && now - last_ping >= watchdog_ms) {
            notify_send("WATCHDOG=1");
            last_ping = now;
        }
        if (!headless) {
            /* A screen that has not changed for a second looks again only every IDLE_FRAME_MS
             * (the coordinator still wakes it at once); off, once a second. */
            int64_t idle = now - d->drawn_at > 1000 && frame_ms < IDLE_FRAME_MS;
            wait_frame(d, now + (!on ? 1000 : idle ? IDLE_FRAME_MS : frame_ms));
            continue;
        }
        struct pollfd pfd = {.fd = panel_fd(d->panel), .events = POLLIN};
        if (poll(&pfd, pfd.fd >= 0 ? 1 : 0, 20) < 0 && errno != EINTR)
            return 1;
    }
    return 0;
}

static void close_all(struct display *d)
{
    panel_free(d->panel);
    tvpower_free(d->tv);
    qr_free(d->qr);
    pipeline_free(d->pipe);
    render_free(d->render);
    screen_close(d->screen);
    sync_free(d->sync);
    mediacache_close(d->cache);
    free(d->dl);
    free(d->app);
    IMG_Quit();
    SDL_Quit();
    options_free(&d->o);
}

/* No coordinator given: the one announced on the LAN (of the configured installation; a few
 * tries while it may still be booting), else panicd on this machine. */
static void find_coordinator(struct display_options *o)
{
    char url[256], why[PANIC_ERR_LEN * 2] = "";
    for (int attempt = 0; attempt < 3; attempt++) {
        if (mdns_find_coordinator(o->installation, 3000, url, sizeof url, why, sizeof why) == 0) {
            log_info("found the coordinator on the LAN url=%s installation=%s", url,
                     o->installation ? o->installation : "(any)");
            o->coordinator = xstrdup(url);
            return;
        }
        if (strstr(why, "cannot browse"))
            break; /* no Avahi daemon: no use waiting */
    }
    log_warn("%s; using http://127.0.0.1:8080", why);
    o->coordinator = xstrdup("http://127.0.0.1:8080");
}

int main(int argc, char **argv)
{
    struct display d = {0};
    char err[512];
    if (argc == 2 && !strcmp(argv[1], "--probe-gl")) { /* screen.c asks, in a fresh process */
        screen_probe_gl_main();
        return 0;
    }
    enum options_result r = options_load(&d.o, argc, argv, DISPLAY_CONFIG_PATH, err, sizeof err);
    if (r != OPTIONS_OK) {
        if (r == OPTIONS_CONFIG)
            fprintf(stderr, "<3>%s\n", err);
        else if (r == OPTIONS_USAGE)
            fprintf(stderr, "panic-display: %s\n", err);
        if (r != OPTIONS_CONFIG)
            options_usage(r == OPTIONS_HELP ? stdout : stderr);
        options_free(&d.o);
        return r == OPTIONS_HELP ? 0 : r == OPTIONS_CONFIG ? EX_CONFIG : 2;
    }
    if (getenv("PANIC_LOG") && log_level_parse(getenv("PANIC_LOG")) > 0)
        log_set_level((enum log_level)log_level_parse(getenv("PANIC_LOG")));
    if (!d.o.coordinator)
        find_coordinator(&d.o);
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    signal(SIGPIPE, SIG_IGN);
    if (d.o.offscreen) {
        /* Pure software: no EGL/GL stack is loaded, so a screenless CI or Pi renders the same. */
        setenv("SDL_VIDEODRIVER", "offscreen", 1);
        SDL_SetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0");
        SDL_SetHint(SDL_HINT_RENDER_DRIVER, "software");
        if (!getenv("SDL_AUDIODRIVER"))
            setenv("SDL_AUDIODRIVER", "dummy", 1);
    }
    d.app = xcalloc(1, sizeof *d.app);
    app_init(d.app, d.o.name);
    if (d.o.prompt_url) /* fixed: the coordinator's does not replace it */
        snprintf(d.app->prompt_url, sizeof d.app->prompt_url, "%s", d.o.prompt_url);
    int rc = 1;
    if (open_core(&d) == 0 && (d.o.headless || open_screen(&d) == 0))
        rc = run(&d);
    close_all(&d);
    return rc;
}
