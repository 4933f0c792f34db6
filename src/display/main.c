/* main.c: panic-display, the fullscreen kiosk. Wires the pieces into one frame loop: SDL events
 * (terminal typing), sync with the coordinator (curl multi, pumped without waiting), the media
 * pipeline (disk cache -> decoder thread -> textures), audio and the spectrum, layout into a draw
 * list, rendering (to a texture when rotated), presenting, screenshots, and systemd readiness
 * (READY=1 after the first presented frame, WATCHDOG=1 only after successful presents). */
#include "display/core/app.h"
#include "audio.h"
#include "common/conf.h"
#include "common/log.h"
#include "common/notify.h"
#include "common/util.h"
#include "decoder.h"
#include "display/core/layout.h"
#include "mediacache.h"
#include "panel.h"
#include "render_sdl.h"
#include "display/core/ring.h"
#include "spectrum.h"
#include "sync.h"

#include <SDL.h>
#include <SDL_image.h>
#include <errno.h>
#include <poll.h>
#include <math.h>
#include <qrencode.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FFT_SIZE 2048

struct opts {
    const char *coordinator;
    const char *name;
    const char *token;
    const char *state_dir;
    const char *font;
    const char *screenshot_dir;
    const char *prompt_url;
    int win_w, win_h;
    int offscreen;
    long frames;
    int screenshot_every;
    int fps;
    int rotate;
    long cache_mb;
    int third_octave;
    const char *button;     /* none, gpiod[:LINE], fifo:PATH */
    const char *led;        /* LED line name */
    const char *button_key; /* SDL key name acting as the button, "none" for none */
    int long_press_ms;
    int headless;
};

#define DISPLAY_CONFIG "/etc/panic/display.conf"
#define EX_CONFIG 78

static volatile sig_atomic_t got_term;
static char *conf_strings[16];
static size_t nconf_strings;

/* Settings from the config file; the command line overrides them. */
static int on_setting(void *user, const char *key, const char *value, char *err, size_t errlen)
{
    struct opts *o = user;
    static const char *const keys[] = {"coordinator", "name", "token",
                                       "state_dir",   "font", "prompt_url"};
    const char **slots[] = {&o->coordinator, &o->name, &o->token,
                            &o->state_dir,   &o->font, &o->prompt_url};
    for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
        if (!strcmp(key, keys[i]) && nconf_strings < ARRAY_LEN(conf_strings)) {
            conf_strings[nconf_strings] = xstrdup(value);
            *slots[i] = conf_strings[nconf_strings++];
            return 0;
        }
    }
    long long v;
    if (!strcmp(key, "fps")) {
        if (conf_int(value, 1, 240, &v, err, errlen) < 0)
            return -EINVAL;
        o->fps = (int)v;
        return 0;
    }
    if (!strcmp(key, "long_press_ms")) {
        if (conf_int(value, 500, 60000, &v, err, errlen) < 0)
            return -EINVAL;
        o->long_press_ms = (int)v;
        return 0;
    }
    if (!strcmp(key, "cache_mb")) {
        if (conf_int(value, 16, 1 << 20, &v, err, errlen) < 0)
            return -EINVAL;
        o->cache_mb = (long)v;
        return 0;
    }
    if (!strcmp(key, "rotate")) {
        if (conf_int(value, 0, 270, &v, err, errlen) < 0 || v % 90) {
            snprintf(err, errlen, "rotate must be 0, 90, 180 or 270");
            return -EINVAL;
        }
        o->rotate = (int)v;
        return 0;
    }
    snprintf(err, errlen, "unknown setting '%s'", key);
    return -EINVAL;
}

static void on_term(int sig)
{
    (void)sig;
    got_term = 1;
}

static void usage(FILE *f)
{
    fputs("usage: panic-display [options]\n"
          "  --config FILE       settings (default " DISPLAY_CONFIG ", optional)\n"
          "  --coordinator URL   panicd's address (default $PANIC_COORDINATOR or\n"
          "                      http://127.0.0.1:8080)\n"
          "  --name NAME         this display's name (default: the host name)\n"
          "  --token TOKEN       device token for prompts typed here (or $PANIC_TOKEN)\n"
          "  --state-dir DIR     media cache and last state (default /var/lib/panic-display)\n"
          "  --font FILE         Departure Mono (default: the installed copy)\n"
          "  --window WxH        a window instead of fullscreen (development)\n"
          "  --offscreen         render without a screen (software renderer)\n"
          "  --frames N          stop after N frames (0: run until stopped)\n"
          "  --screenshot DIR    write frames as PNG into DIR\n"
          "  --screenshot-every K  every K-th frame (default 1; with --frames 0 it writes\n"
          "                      DIR/latest.png)\n"
          "  --fps N             cap the frame rate (default 60)\n"
          "  --rotate DEG        0, 90, 180 or 270 (clockwise)\n"
          "  --cache-mb N        disk cache budget (default 512)\n"
          "  --bands octave|third  visualiser bands (default octave, like the original)\n"
          "  --button SPEC       the panic button: none (default), gpiod[:LINE] (GPIO17),\n"
          "                      fifo:PATH (lines 1/0, for tests and other devices)\n"
          "  --led LINE          GPIO line of the button's LED\n"
          "  --button-key KEY    a key that acts as the button (default F12; none)\n"
          "  --long-press-ms N   hold time of the staff stop (default 3000)\n"
          "  --headless          no screen: only the button (a button-only Pi)\n"
          "  --prompt-url URL    the QR code's address (default: from the coordinator)\n",
          f);
}

static int parse_args(int argc, char **argv, struct opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int64_t n;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(a, "--offscreen")) {
            o->offscreen = 1;
            continue;
        } else if (!strcmp(a, "--headless")) {
            o->headless = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "panic-display: %s needs a value\n", a);
            return -EINVAL;
        }
        i++;
        if (!strcmp(a, "--config"))
            continue; /* read before the other options */
        else if (!strcmp(a, "--coordinator"))
            o->coordinator = v;
        else if (!strcmp(a, "--name"))
            o->name = v;
        else if (!strcmp(a, "--token"))
            o->token = v;
        else if (!strcmp(a, "--state-dir"))
            o->state_dir = v;
        else if (!strcmp(a, "--font"))
            o->font = v;
        else if (!strcmp(a, "--screenshot"))
            o->screenshot_dir = v;
        else if (!strcmp(a, "--prompt-url"))
            o->prompt_url = v;
        else if (!strcmp(a, "--button"))
            o->button = v;
        else if (!strcmp(a, "--led"))
            o->led = v;
        else if (!strcmp(a, "--button-key"))
            o->button_key = v;
        else if (!strcmp(a, "--long-press-ms") && parse_int64(v, 500, 60000, &n) == 0)
            o->long_press_ms = (int)n;
        else if (!strcmp(a, "--bands") && (!strcmp(v, "octave") || !strcmp(v, "third")))
            o->third_octave = !strcmp(v, "third");
        else if (!strcmp(a, "--window")) {
            if (sscanf(v, "%dx%d", &o->win_w, &o->win_h) != 2 || o->win_w < 64 || o->win_h < 64 ||
                o->win_w > 7680 || o->win_h > 4320) {
                fprintf(stderr, "panic-display: --window wants WxH, e.g. 1280x720\n");
                return -EINVAL;
            }
        } else if (!strcmp(a, "--frames") && parse_int64(v, 0, INT32_MAX, &n) == 0)
            o->frames = (long)n;
        else if (!strcmp(a, "--screenshot-every") && parse_int64(v, 1, 100000, &n) == 0)
            o->screenshot_every = (int)n;
        else if (!strcmp(a, "--fps") && parse_int64(v, 1, 240, &n) == 0)
            o->fps = (int)n;
        else if (!strcmp(a, "--cache-mb") && parse_int64(v, 16, 1 << 20, &n) == 0)
            o->cache_mb = (long)n;
        else if (!strcmp(a, "--rotate") && parse_int64(v, 0, 270, &n) == 0 && n % 90 == 0)
            o->rotate = (int)n;
        else {
            fprintf(stderr, "panic-display: bad option %s %s\n", a, v);
            return -EINVAL;
        }
    }
    return 0;
}

static const char *default_font(void)
{
    static const char *const candidates[] = {
        "/usr/local/share/panic/fonts/DepartureMono-Regular.otf",
        "/usr/share/panic/fonts/DepartureMono-Regular.otf",
        "fonts/DepartureMono-Regular.otf",
    };
    for (size_t i = 0; i < ARRAY_LEN(candidates); i++)
        if (access(candidates[i], R_OK) == 0)
            return candidates[i];
    return candidates[ARRAY_LEN(candidates) - 1];
}

/* Feed decoded media to the renderer and audio; ask for what the cells need. */
struct pipeline {
    struct app *app;
    struct sync *sync;
    struct mediacache *cache;
    struct decoder *dec;
    struct render *render;
    struct audio *audio;
    struct spectrum *spectrum;
    char requested[64][96]; /* names handed to the decoder and not yet back */
    int nrequested;
    char failed[32][96]; /* names that would not decode: not asked for again */
    int nfailed;
};

static int requested(struct pipeline *p, const char *name)
{
    for (int i = 0; i < p->nrequested; i++)
        if (!strcmp(p->requested[i], name))
            return 1;
    return 0;
}

static void forget(struct pipeline *p, const char *name)
{
    for (int i = 0; i < p->nrequested; i++) {
        if (!strcmp(p->requested[i], name)) {
            memcpy(p->requested[i], p->requested[--p->nrequested], sizeof p->requested[i]);
            return;
        }
    }
}

static void want(struct pipeline *p, const char *name, enum decode_kind kind)
{
    if (requested(p, name) || p->nrequested == (int)ARRAY_LEN(p->requested))
        return;
    for (int i = 0; i < p->nfailed; i++)
        if (!strcmp(p->failed[i], name))
            return;
    if (!sync_want_media(p->sync, name))
        return;
    char path[1024];
    if (mediacache_path(p->cache, name, path, sizeof path) < 0)
        return;
    if (decoder_request(p->dec, name, path, kind) == 0) {
        log_debug("decoding media=%s", name);
        snprintf(p->requested[p->nrequested++], sizeof p->requested[0], "%s", name);
    }
}

/* The audible cell: the newest audio invocation on screen, if this display plays audio. */
static int audible_cell(const struct app *a)
{
    int best = -1;
    for (int i = 0; i < a->ncells; i++)
        if (a->cells[i].kind == CELL_AUDIO && (best < 0 || a->cells[i].seq > a->cells[best].seq))
            best = i;
    return a->cfg.audio ? best : -1;
}

static void pipeline_step(struct pipeline *p)
{
    struct decoded d;
    while (decoder_poll(p->dec, &d)) {
        forget(p, d.name);
        if (d.error[0]) {
            /* Most likely a file torn by a power cut: drop it so it is fetched again. */
            log_warn("cannot decode media=%s error=\"%s\"", d.name, d.error);
            mediacache_remove(p->cache, d.name);
            snprintf(p->failed[p->nfailed++ % (int)ARRAY_LEN(p->failed)], sizeof p->failed[0], "%s",
                     d.name);
            if (p->nfailed > (int)ARRAY_LEN(p->failed))
                p->nfailed = (int)ARRAY_LEN(p->failed);
        } else if (d.kind == DECODE_IMAGE && d.surface) {
            log_debug("decoded image media=%s size=%dx%d", d.name, d.surface->w, d.surface->h);
            render_add_image(p->render, d.name, d.surface);
            d.surface = NULL;
        } else if (d.kind == DECODE_AUDIO && d.pcm) {
            log_debug("decoded audio media=%s frames=%zu", d.name, d.frames);
            int cell = audible_cell(p->app);
            if (cell >= 0 && !strcmp(p->app->cells[cell].media, d.name)) {
                audio_play(p->audio, d.name, d.pcm, d.frames);
                spectrum_reset(p->spectrum);
                d.pcm = NULL;
            }
        }
        decoder_release(&d);
    }
    const struct app *a = p->app;
    int iw, ih;
    for (int i = 0; i < a->ncells; i++)
        if (a->cells[i].kind == CELL_IMAGE &&
            !render_image_size(p->render, a->cells[i].media, &iw, &ih))
            want(p, a->cells[i].media, DECODE_IMAGE);
    int cell = audible_cell(a);
    if (cell < 0) {
        if (audio_playing(p->audio)[0])
            audio_play(p->audio, NULL, NULL, 0);
    } else if (strcmp(audio_playing(p->audio), a->cells[cell].media) != 0) {
        want(p, a->cells[cell].media, DECODE_AUDIO);
    }
}

static int save_png(SDL_Renderer *ren, int w, int h, const char *path)
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

static void update_qr(struct app *a, QRcode **qr, char *qr_text, size_t len)
{
    if (!strcmp(qr_text, a->prompt_url))
        return;
    snprintf(qr_text, len, "%s", a->prompt_url);
    QRcode_free(*qr);
    *qr =
        a->prompt_url[0] ? QRcode_encodeString(a->prompt_url, 0, QR_ECLEVEL_M, QR_MODE_8, 1) : NULL;
}

/* Terminal mode: typing, Enter posts, Backspace deletes a code point. */
static void on_key(struct app *a, struct sync *s, const SDL_Event *ev, int64_t now)
{
    if (a->cfg.mode != DISPLAY_MODE_TERMINAL)
        return;
    if (ev->type == SDL_TEXTINPUT) {
        if (app_lockout_left_s(a, now) > 0)
            return;
        size_t len = strlen(a->input), add = strlen(ev->text.text);
        if (len + add < sizeof a->input && len + add <= 1000)
            memcpy(a->input + len, ev->text.text, add + 1);
    } else if (ev->type == SDL_KEYDOWN) {
        SDL_Keycode k = ev->key.keysym.sym;
        size_t len = strlen(a->input);
        if (k == SDLK_BACKSPACE && len) {
            while (len > 0 && ((unsigned char)a->input[len - 1] & 0xc0) == 0x80)
                len--;
            a->input[len ? len - 1 : 0] = '\0';
        } else if ((k == SDLK_RETURN || k == SDLK_KP_ENTER) && len) {
            if (app_lockout_left_s(a, now) > 0) {
                snprintf(a->message, sizeof a->message, "Please wait %d s.",
                         app_lockout_left_s(a, now));
                a->message_until = now + 3000;
            } else {
                sync_post_prompt(s, a->input, now);
            }
        }
    }
}

/* A Pi with a button and no screen: follow the coordinator (for the lockout) and handle
 * presses, sleeping on the button's fd. Ends on SIGTERM. */
static int run_headless(struct app *app, struct sync *s, struct panel *panel)
{
    int64_t watchdog_ms = notify_watchdog_ms() / 2, last_ping = 0;
    notify_send("READY=1\nSTATUS=button only");
    log_info("headless: button only name=%s", app->name);
    while (!got_term) {
        int64_t now = time_mono_ms();
        sync_pump(s, now);
        panel_step(panel, app, s, now);
        if (app->message[0] && now < app->message_until) {
            log_info("button: %s", app->message);
            app->message_until = 0;
        }
        if (watchdog_ms > 0 && now - last_ping >= watchdog_ms) {
            notify_send("WATCHDOG=1");
            last_ping = now;
        }
        struct pollfd pfd = {.fd = panel_fd(panel), .events = POLLIN};
        if (poll(&pfd, pfd.fd >= 0 ? 1 : 0, 20) < 0 && errno != EINTR)
            return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct opts o = {.fps = 60, .screenshot_every = 1, .cache_mb = 512, .frames = 0};
    const char *config = NULL;
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--config"))
            config = argv[i + 1];
    if (config || access(DISPLAY_CONFIG, F_OK) == 0) {
        char err[512];
        if (conf_parse_file(config ? config : DISPLAY_CONFIG, on_setting, &o, err, sizeof err) <
            0) {
            fprintf(stderr, "<3>%s\n", err);
            return EX_CONFIG;
        }
    }
    if (parse_args(argc, argv, &o) < 0) {
        usage(stderr);
        return 2;
    }
    if (getenv("PANIC_LOG") && log_level_parse(getenv("PANIC_LOG")) > 0)
        log_set_level((enum log_level)log_level_parse(getenv("PANIC_LOG")));
    char host[64] = "display";
    gethostname(host, sizeof host - 1);
    if (!o.coordinator)
        o.coordinator =
            getenv("PANIC_COORDINATOR") ? getenv("PANIC_COORDINATOR") : "http://127.0.0.1:8080";
    if (!o.name)
        o.name = host;
    if (!o.token)
        o.token = getenv("PANIC_TOKEN");
    if (!o.state_dir)
        o.state_dir =
            getenv("STATE_DIRECTORY") ? getenv("STATE_DIRECTORY") : "/var/lib/panic-display";
    if (!o.font)
        o.font = default_font();
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    signal(SIGPIPE, SIG_IGN);

    if (o.offscreen) {
        /* Pure software: no EGL/GL stack is loaded, so a screenless CI or Pi renders the same. */
        setenv("SDL_VIDEODRIVER", "offscreen", 1);
        SDL_SetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0");
        SDL_SetHint(SDL_HINT_RENDER_DRIVER, "software");
        if (!getenv("SDL_AUDIODRIVER"))
            setenv("SDL_AUDIODRIVER", "dummy", 1);
    }
    int rc = 1;
    struct app *app = xcalloc(1, sizeof *app);
    app_init(app, o.name);
    if (o.prompt_url)
        snprintf(app->prompt_url, sizeof app->prompt_url, "%s", o.prompt_url);
    struct pipeline p = {.app = app};
    struct drawlist *dl = xcalloc(1, sizeof *dl);
    struct ring *tap = ring_new(1 << 16);
    float *mono = xcalloc(FFT_SIZE, sizeof *mono);
    float bars[64] = {0};
    SDL_Window *win = NULL;
    SDL_Renderer *ren = NULL;
    SDL_Texture *target = NULL;
    QRcode *qr = NULL;
    struct panel *panel = NULL;
    char qr_text[512] = "";
    char err[256];

    if (mkdir_p(o.state_dir, 0750) < 0) {
        log_err("cannot create the state dir path=%s", o.state_dir);
        goto out;
    }
    char *cache_dir = xasprintf("%s/cache", o.state_dir);
    p.cache = mediacache_open(cache_dir, (uint64_t)o.cache_mb << 20, err, sizeof err);
    free(cache_dir);
    if (!p.cache) {
        log_err("media cache: %s", err);
        goto out;
    }
    struct sync_options so = {o.coordinator, o.token, o.state_dir};
    p.sync = sync_new(&so, app, p.cache);
    if (!p.sync) {
        log_err("cannot start the coordinator client");
        goto out;
    }
    panel = panel_new(o.button, o.led, o.long_press_ms, err, sizeof err);
    if (!panel) {
        log_err("panic button: %s", err);
        goto out;
    }
    if (o.headless) {
        rc = run_headless(app, p.sync, panel);
        goto out;
    }
    if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) < 0) {
        log_err("SDL: %s", SDL_GetError());
        goto out;
    }
    SDL_DisplayMode mode = {0};
    int fullscreen = !o.win_w && !o.offscreen;
    if (fullscreen && SDL_GetDesktopDisplayMode(0, &mode) == 0) {
        o.win_w = mode.w > 3840 ? 3840 : mode.w;
        o.win_h = mode.h > 2160 ? 2160 : mode.h;
    } else if (!o.win_w) {
        o.win_w = 1920;
        o.win_h = 1080;
    }
    win = SDL_CreateWindow("PANIC!", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, o.win_w,
                           o.win_h, fullscreen ? SDL_WINDOW_FULLSCREEN : 0);
    if (!win) {
        log_err("cannot open a window: %s", SDL_GetError());
        goto out;
    }
    ren = SDL_CreateRenderer(win, -1,
                             o.offscreen ? SDL_RENDERER_SOFTWARE | SDL_RENDERER_TARGETTEXTURE
                                         : SDL_RENDERER_ACCELERATED | SDL_RENDERER_PRESENTVSYNC |
                                               SDL_RENDERER_TARGETTEXTURE);
    if (!ren)
        ren = SDL_CreateRenderer(win, -1, SDL_RENDERER_SOFTWARE | SDL_RENDERER_TARGETTEXTURE);
    if (!ren) {
        log_err("cannot create a renderer: %s", SDL_GetError());
        goto out;
    }
    SDL_ShowCursor(SDL_DISABLE);
    SDL_RendererInfo rinfo;
    if (SDL_GetRendererInfo(ren, &rinfo) == 0)
        log_info("renderer=%s video=%s", rinfo.name, SDL_GetCurrentVideoDriver());
    SDL_GetRendererOutputSize(ren, &o.win_w, &o.win_h);
    int lw = o.rotate % 180 ? o.win_h : o.win_w, lh = o.rotate % 180 ? o.win_w : o.win_h;
    if (o.rotate) {
        target = SDL_CreateTexture(ren, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_TARGET, lw, lh);
        if (!target) {
            log_err("cannot rotate: %s", SDL_GetError());
            goto out;
        }
    }
    p.render = render_new(ren, o.font, 64, err, sizeof err);
    if (!p.render) {
        log_err("%s", err);
        goto out;
    }
    p.dec = decoder_new(3840, AUDIO_RATE, 32);
    p.audio = audio_new(tap);
    p.spectrum =
        spectrum_new(AUDIO_RATE, FFT_SIZE, o.third_octave ? SPECTRUM_THIRD : SPECTRUM_OCTAVE);
    if (!p.dec || !p.spectrum) {
        log_err("cannot start the decoder or the spectrum");
        goto out;
    }
    if (o.screenshot_dir && mkdir_p(o.screenshot_dir, 0755) < 0) {
        log_err("cannot create the screenshot dir path=%s", o.screenshot_dir);
        goto out;
    }
    SDL_StartTextInput();
    SDL_Keycode button_key = SDL_GetKeyFromName(o.button_key ? o.button_key : "F12");
    log_info("display name=%s coordinator=%s size=%dx%d rotate=%d", o.name, o.coordinator, lw, lh,
             o.rotate);

    int64_t watchdog_ms = notify_watchdog_ms() / 2, last_ping = 0;
    int64_t frame_ms = (1000 + o.fps / 2) / o.fps, prev = time_mono_ms();
    float rotation = 0, spin = ((float)(rand() % 1000) / 1000.0f - 0.5f) * 2.0f * 0.52f;
    int ready = 0;
    for (long frame = 0; !got_term && (o.frames == 0 || frame < o.frames); frame++) {
        int64_t now = time_mono_ms();
        float dt = (float)(now - prev) / 1000.0f;
        prev = now;
        SDL_Event ev;
        while (SDL_PollEvent(&ev)) {
            if (ev.type == SDL_QUIT)
                got_term = 1;
            else if ((ev.type == SDL_KEYDOWN || ev.type == SDL_KEYUP) && !ev.key.repeat &&
                     button_key != SDLK_UNKNOWN && ev.key.keysym.sym == button_key)
                panel_key(panel, ev.type == SDL_KEYDOWN, now);
            else
                on_key(app, p.sync, &ev, now);
        }
        sync_pump(p.sync, now);
        panel_step(panel, app, p.sync, now);
        pipeline_step(&p);
        audio_tick(p.audio, (int)(dt * 1000));
        size_t got = ring_latest(tap, mono, FFT_SIZE, audio_latency_samples(p.audio));
        if (got < FFT_SIZE)
            memset(mono, 0, sizeof *mono * (FFT_SIZE - got));
        spectrum_process(p.spectrum, mono, FFT_SIZE, dt, bars);
        if (frame % 60 == 30) {
            float peak = 0, level = 0;
            for (int i = 0; i < FFT_SIZE; i++)
                level = fabsf(mono[i]) > level ? fabsf(mono[i]) : level;
            for (int i = 0; i < spectrum_nbands(p.spectrum); i++)
                peak = bars[i] > peak ? bars[i] : peak;
            log_debug("audio clip=%s device=%d got=%zu level=%.3f bar_peak=%.3f",
                      audio_playing(p.audio), audio_has_device(p.audio), got, level, peak);
        }
        rotation += spin * dt; /* a slow random spin, like the original's +-5 rpm */
        update_qr(app, &qr, qr_text, sizeof qr_text);

        char hud[64] = "";
        struct layout_env env = {.w = lw,
                                 .h = lh,
                                 .now = now,
                                 .image_size = render_image_size,
                                 .user = p.render,
                                 .bars = bars,
                                 .nbars = spectrum_nbands(p.spectrum),
                                 .ring_rotation = rotation,
                                 .audible_cell = audible_cell(app),
                                 .hud_line = hud,
                                 .qr = qr ? qr->data : NULL,
                                 .qr_width = qr ? qr->width : 0};
        layout_frame(app, &env, dl);
        if (target)
            SDL_SetRenderTarget(ren, target);
        SDL_SetRenderDrawColor(ren, 0x18, 0x18, 0x1b, 0xff);
        SDL_RenderClear(ren);
        render_draw(p.render, dl);
        if (target) {
            SDL_SetRenderTarget(ren, NULL);
            SDL_Rect dst = {(o.win_w - lw) / 2, (o.win_h - lh) / 2, lw, lh};
            SDL_RenderCopyEx(ren, target, NULL, &dst, o.rotate, NULL, SDL_FLIP_NONE);
        }
        if (o.screenshot_dir && (frame % o.screenshot_every == 0 || frame + 1 == o.frames)) {
            char path[1200];
            if (o.frames)
                snprintf(path, sizeof path, "%s/frame-%05ld.png", o.screenshot_dir, frame);
            else
                snprintf(path, sizeof path, "%s/latest.png", o.screenshot_dir);
            if (save_png(ren, o.win_w, o.win_h, path) < 0)
                log_warn("cannot write path=%s", path);
        }
        SDL_RenderPresent(ren);
        if (!ready) {
            notify_send("READY=1\nSTATUS=showing");
            ready = 1;
        }
        if (watchdog_ms > 0 && now - last_ping >= watchdog_ms) {
            notify_send("WATCHDOG=1");
            last_ping = now;
        }
        /* Wait for the next frame, but wake for the coordinator: a change it brings is drawn
         * at once rather than a frame interval later. */
        int64_t deadline = now + frame_ms, seen = app->changed_at;
        for (int64_t t = time_mono_ms(); t < deadline; t = time_mono_ms()) {
            sync_wait(p.sync, (int)(deadline - t));
            sync_pump(p.sync, time_mono_ms());
            if (app->changed_at != seen)
                break;
        }
    }
    rc = 0;
out:
    panel_free(panel);
    QRcode_free(qr);
    audio_free(p.audio);
    decoder_free(p.dec);
    spectrum_free(p.spectrum);
    render_free(p.render);
    if (target)
        SDL_DestroyTexture(target);
    if (ren)
        SDL_DestroyRenderer(ren);
    if (win)
        SDL_DestroyWindow(win);
    sync_free(p.sync);
    mediacache_close(p.cache);
    ring_free(tap);
    free(mono);
    free(dl);
    free(app);
    IMG_Quit();
    SDL_Quit();
    for (size_t i = 0; i < nconf_strings; i++)
        free(conf_strings[i]);
    return rc;
}
