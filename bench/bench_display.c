/* bench_display.c: benchmarks of panic-display, printed as one table. It never fails on a time; it
 * exits non-zero only if something functionally broke (no renderer, a daemon or display that does
 * not start or stop cleanly, a run that never reaches the screen).
 *
 *   1. frame time: a 4x4 grid (7 text cells, 8 images, 1 audio cell with the live visualiser)
 *      through the real layout and renderer into SDL's software renderer on an offscreen
 *      ARGB8888 surface, at 1920x1080 and 3840x2160; median and p99 per frame, split into
 *      layout_frame, render_draw (queues SDL commands) and SDL_RenderPresent (where the software
 *      renderer rasterises the queued commands).
 *   2. instructions per frame at 1920x1080 under callgrind, if valgrind is installed: this binary
 *      runs itself as `--callgrind-one WxH` (5 warm-up frames, 20 collected) and reads the
 *      out file: the total, what layout, render and present take inclusively, the top functions.
 *   3. spectrum_process per frame: FFT 2048 at 48 kHz, octave and third-octave bands.
 *   4. RSS of a real panic-display (offscreen, 60 fps, 1920x1080) following a run of the default
 *      network on a real panicd for 5 s, and its CPU use.
 *   5. SSE event to screen: the real sync module, layout and renderer in this process, paced like
 *      main.c, against a real panicd. A helper thread posts the runs and reads its own event
 *      stream of the same network, so the time an event reached this machine is known; the
 *      display side records when sync_pump applied the genesis and when that frame was done.
 *
 *   6. the original's kiosk screen (1920x1080, a 4x4 grid of one run: 10 images, 5 text cells,
 *      one audio cell with its visualiser) on a real panicd, each variant a fresh panic-display:
 *      offscreen and in a real X11 window (an Xvfb this bench starts, if installed), at 24 and 60
 *      fps, the same grid still (no audio), and 3840x2160. Exec to the first presented frame
 *      (READY=1 on a notify socket), then after a 15 s warm-up CPU % of one core and mean PSS over
 *      30 s; the Chromium figures for the same screen are printed beside. With
 *      PANIC_BENCH_BEFORE=path another panic-display (an older build) runs each variant first,
 *      for a before/after table from one run. `bench_display --kiosk` runs only this part;
 *      PANIC_BENCH_KIOSK_WARM and PANIC_BENCH_KIOSK_SECONDS shorten it for a quick look,
 *      PANIC_BENCH_KIOSK_VARIANTS="1,5" picks rows.
 *
 * Environment: PANIC_BUILD (where panicd and panic-display are, default "build"),
 * PANIC_BENCH_DIR (temporary dirs, default $TMPDIR or /tmp), PANIC_BENCH_FRAMES (a dir: the last
 * frame of each resolution is saved there as PNG). Run it from the repository root: the font is
 * read from fonts/. */
#define _GNU_SOURCE
#include "support.h"
#include "util.h"
#include "common/util.h"
#include "display/core/app.h"
#include "display/core/layout.h"
#include "display/mediacache.h"
#include "display/render_sdl.h"
#include "display/spectrum.h"
#include "display/sync.h"

#include <SDL.h>
#include <SDL_image.h>
#include <curl/curl.h>
#include <jansson.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define HAVE_CALLGRIND_H 1
#endif
#endif

#define FONT "fonts/DepartureMono-Regular.otf"
#define SAMPLE_RATE 48000
#define FFT_SIZE 2048
#define NWARM 5     /* frames before timing: the glyph cache fills */
#define NFRAMES 200 /* timed frames per resolution */
#define CG_FRAMES 20
#define CG_TIMEOUT_MS 90000
#define NSPECTRUM 2000
#define RSS_SECONDS 5
#define NROUNDS 20
#define ROUND_TIMEOUT_MS 5000
#define FRAME_MS (1000 / 60) /* main.c's pacing at --fps 60 */
#define AUDIO_SEQ 6          /* the grid's audio cell */

static char root[1024];
static char build[512];
static volatile pid_t live_pid; /* a child to kill if the bench is interrupted */

/* ---- small helpers ---- */

/* Nearest-rank percentile of v[0..n) (sorts v). */

/* "p50 / p99 / max" of v (sorted in place) into buf. */
static const char *spread(double *v, size_t n, char *buf, size_t len)
{
    double mx = max_of(v, n), p50 = percentile(v, n, 50), p99 = percentile(v, n, 99);
    snprintf(buf, len, "%.2f / %.2f / %.2f ms (n=%zu)", p50, p99, mx, n);
    return buf;
}

/* ---- the table ---- */

/* ---- processes ---- */

static void on_signal(int sig)
{
    if (live_pid > 0)
        kill(live_pid, SIGKILL);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Fork and exec argv with stdout and stderr into log; the child dies with us. The pid or -1. */
static pid_t spawn(char *const argv[], const char *log)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0)
            dup2(null, 0);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        for (int i = 3; i < 1024; i++)
            close(i);
        execv(argv[0], argv);
        dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    if (pid < 0)
        fail("fork: %s", strerror(errno));
    live_pid = pid > 0 ? pid : 0;
    return pid;
}

/* Wait up to timeout_ms for pid; the exit code, 128 + signal, or -1 (then it was killed). */
static int reap(pid_t pid, int timeout_ms)
{
    double end = now_ms() + timeout_ms;
    int status = 0;
    pid_t got;
    while ((got = waitpid(pid, &status, WNOHANG)) == 0 && now_ms() < end)
        support_sleep_ms(10);
    live_pid = 0;
    if (got == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return -1;
    }
    if (got < 0)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void show_tail(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char buf[2048];
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, size > (long)sizeof buf - 1 ? size - (long)sizeof buf + 1 : 0, SEEK_SET);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    fprintf(stderr, "---- %s (tail) ----\n%s\n----\n", path, buf);
}

/* VmRSS and VmHWM of pid in KiB (-1 if unreadable). */
static void proc_mem(pid_t pid, long *rss, long *hwm)
{
    char path[64], line[256];
    *rss = *hwm = -1;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "VmRSS:", 6))
            *rss = strtol(line + 6, NULL, 10);
        else if (!strncmp(line, "VmHWM:", 6))
            *hwm = strtol(line + 6, NULL, 10);
    }
    fclose(f);
}

/* utime + stime of pid in clock ticks, -1 if unreadable. */
static long long cpu_ticks(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    long long ut = -1, st = -1;
    /* After "pid (comm)": state is field 3; utime and stime are fields 14 and 15. */
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lld %lld", &ut, &st) != 2)
        return -1;
    return ut + st;
}

/* ---- a display scene: the real layout and renderer on a software surface ---- */

struct scene {
    int w, h;
    SDL_Surface *surface;
    SDL_Renderer *ren;
    struct render *render;
    struct app *app;
    struct drawlist *dl;
    struct spectrum *spectrum;
    float *signal; /* a second of synthetic audio, so frames cost no synthesis */
    float bars[64];
    long frame;
};

struct frame_times {
    double layout, draw, present;
};

static void scene_free(struct scene *s)
{
    if (!s)
        return;
    render_free(s->render);
    if (s->ren)
        SDL_DestroyRenderer(s->ren);
    SDL_FreeSurface(s->surface);
    spectrum_free(s->spectrum);
    free(s->signal);
    free(s->dl);
    free(s->app);
    free(s);
}

/* A chord with a slow swell and a little noise: every band moves from frame to frame. */
static void synth(float *out, size_t n)
{
    unsigned seed = 12345;
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / SAMPLE_RATE, swell = 0.5 + 0.5 * sin(2 * M_PI * 2 * t);
        seed = seed * 1664525u + 1013904223u;
        double noise = ((double)(seed >> 8) / 16777216.0 - 0.5) * 0.05;
        out[i] = (float)(0.4 * sin(2 * M_PI * 110 * t) + 0.25 * swell * sin(2 * M_PI * 880 * t) +
                         0.1 * (1 - swell) * sin(2 * M_PI * 5000 * t) + noise);
    }
}

/* An empty app named "bench" and a w x h software renderer. NULL on failure (counted). */
static struct scene *scene_new(int w, int h)
{
    struct scene *s = xcalloc(1, sizeof *s);
    char err[256];
    s->w = w;
    s->h = h;
    s->surface = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    s->ren = s->surface ? SDL_CreateSoftwareRenderer(s->surface) : NULL;
    if (!s->ren) {
        fail("a %dx%d software renderer: %s", w, h, SDL_GetError());
        goto fail;
    }
    s->render = render_new(s->ren, FONT, 64, err, sizeof err);
    if (!s->render) {
        fail("render_new: %s", err);
        goto fail;
    }
    s->app = xcalloc(1, sizeof *s->app);
    app_init(s->app, "bench");
    s->dl = xcalloc(1, sizeof *s->dl);
    s->spectrum = spectrum_new(SAMPLE_RATE, FFT_SIZE, SPECTRUM_OCTAVE);
    s->signal = xcalloc(SAMPLE_RATE, sizeof *s->signal);
    synth(s->signal, SAMPLE_RATE);
    return s;
fail:
    scene_free(s);
    return NULL;
}

static const char paragraph[] =
    "The camera looks at the screen that shows what the camera saw a moment ago, and every "
    "model in the loop adds a little of its own idea of the world: a harbour at dusk becomes "
    "a painting of a harbour, the painting becomes a description of a painting, the "
    "description becomes a song about boats, and the song becomes a sentence that nobody in "
    "the gallery ever wrote. Visitors lean in to read the newest cell, then step back to see "
    "the whole grid drift from the prompt they typed. Some try to steer it with a single "
    "word; the loop keeps going anyway, slower as the evening goes on, until the lockout ends "
    "and somebody else gets to start again from nothing at all. ";

/* A 64-hex media name "<sha>.<ext>" (not a real hash: the renderer only uses it as a key). */
static void media_name(char *out, size_t len, int i, const char *ext)
{
    char hex[65];
    for (int k = 0; k < 64; k++)
        hex[k] = "0123456789abcdef"[(i * 7 + k * 13 + (k * k) % 5) & 15];
    hex[64] = '\0';
    snprintf(out, len, "%s.%s", hex, ext);
}

/* A flat-colour picture with a few blocks: 640x360 or, every other one, 1024x1024. */
static SDL_Surface *make_image(int i)
{
    int w = i % 2 ? 1024 : 640, h = i % 2 ? 1024 : 360;
    SDL_Surface *img = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    if (!img)
        return NULL;
    SDL_FillRect(img, NULL,
                 SDL_MapRGBA(img->format, (Uint8)(40 + 25 * i), 90, (Uint8)(200 - 20 * i), 255));
    for (int k = 0; k < 6; k++) {
        SDL_Rect r = {(k * 97 + i * 31) % (w / 2), (k * 53 + i * 17) % (h / 2), w / 4 + k * 7,
                      h / 5 + k * 5};
        SDL_FillRect(
            img, &r,
            SDL_MapRGBA(img->format, (Uint8)(k * 40), (Uint8)(255 - k * 30), (Uint8)(i * 20), 255));
    }
    return img;
}

/* The benchmark grid: 4x4, seq 0..15 of one run; odd seqs are images, AUDIO_SEQ is audio, the
 * other even seqs are text of 160 to 650 characters. 0, or -1 if an image could not be made. */
static int scene_fill_grid(struct scene *s)
{
    struct app *a = s->app;
    struct display_config cfg = {.network = 1,
                                 .mode = DISPLAY_MODE_GRID,
                                 .rows = 4,
                                 .cols = 4,
                                 .offset = 0,
                                 .stride = 1,
                                 .show_invoking = 1,
                                 .audio = 1};
    app_set_config(a, &cfg, 0);
    app_set_online(a, 1, 0);
    snprintf(a->network_name, sizeof a->network_name, "bench grid");
    app_set_run(a, 7, "a harbour at dusk, seen by a camera looking at its own screen", 0);
    struct app_status st = {.run = 7, .seq = 15, .can_start_run = 1};
    snprintf(st.state, sizeof st.state, "processing");
    snprintf(st.model, sizeof st.model, "dummy-i2t");
    app_set_status(a, &st, 0);
    static struct app_inv inv; /* 4 KiB of text: not on the stack */
    for (int seq = 0; seq < 16; seq++) {
        memset(&inv, 0, sizeof inv);
        inv.id = 100 + seq;
        inv.run = 7;
        inv.seq = seq;
        if (seq == AUDIO_SEQ) {
            inv.kind = CELL_AUDIO;
            snprintf(inv.model, sizeof inv.model, "dummy-t2a");
            media_name(inv.media, sizeof inv.media, seq, "wav");
        } else if (seq % 2) {
            inv.kind = CELL_IMAGE;
            snprintf(inv.model, sizeof inv.model, "dummy-t2i");
            media_name(inv.media, sizeof inv.media, seq, "png");
            SDL_Surface *img = make_image(seq / 2);
            if (!img || render_add_image(s->render, inv.media, img) < 0) {
                fail("cannot make image %d: %s", seq, SDL_GetError());
                return -1;
            }
        } else {
            inv.kind = CELL_TEXT;
            snprintf(inv.model, sizeof inv.model, "dummy-i2t");
            size_t len = 160 + 70 * (size_t)(seq / 2), plen = sizeof paragraph - 1, at = 0;
            size_t from = (size_t)seq * 37 % plen;
            while (paragraph[from] != ' ') /* start at a word */
                from = (from + 1) % plen;
            for (size_t k = 1; k <= len; k++)
                inv.text[at++] = paragraph[(from + k) % plen];
            snprintf(inv.text + at, sizeof inv.text - at, " \xe2\x80\x94 caf\xc3\xa9.");
        }
        app_put_invocation(a, &inv, 0);
    }
    return 0;
}

/* The cell whose audio would play: the newest audio cell, as main.c picks it. */
static int audible_cell(const struct app *a)
{
    int best = -1;
    for (int i = 0; i < a->ncells; i++)
        if (a->cells[i].kind == CELL_AUDIO && (best < 0 || a->cells[i].seq > a->cells[best].seq))
            best = i;
    return a->cfg.audio ? best : -1;
}

/* One frame at time now: the visualiser's DSP (untimed), then timed layout, queue and present. */
static void scene_frame(struct scene *s, int64_t now, struct frame_times *t)
{
    size_t at = (size_t)(s->frame++ * (SAMPLE_RATE / 60)) % (SAMPLE_RATE - FFT_SIZE);
    spectrum_process(s->spectrum, s->signal + at, FFT_SIZE, 1.0f / 60, s->bars);
    struct layout_env env = {.w = s->w,
                             .h = s->h,
                             .now = now,
                             .image_size = render_image_size,
                             .user = s->render,
                             .bars = s->bars,
                             .nbars = spectrum_nbands(s->spectrum),
                             .ring_rotation = 0.004f * (float)s->frame,
                             .audible_cell = audible_cell(s->app),
                             .hud_line = ""};
    double t0 = now_ms();
    layout_frame(s->app, &env, s->dl);
    double t1 = now_ms();
    SDL_SetRenderDrawColor(s->ren, 0x18, 0x18, 0x1b, 0xff);
    SDL_RenderClear(s->ren);
    render_draw(s->render, s->dl);
    double t2 = now_ms();
    SDL_RenderPresent(s->ren);
    double t3 = now_ms();
    if (t) {
        t->layout = t1 - t0;
        t->draw = t2 - t1;
        t->present = t3 - t2;
    }
}

static void scene_save(const struct scene *s, const char *name)
{
    const char *dir = getenv("PANIC_BENCH_FRAMES");
    if (!dir || !*dir)
        return;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s.png", dir, name);
    if (mkdir_p(dir, 0755) < 0 || IMG_SavePNG(s->surface, path) < 0)
        note("cannot save %s", path);
}

/* ---- 1: frame time ---- */

/* Median time of drawing only the commands of one kind (kind < 0: SDL_RenderClear), to show
 * where the renderer's time goes. The copies borrow the scene's list, which stays intact. */
static double render_kind(struct scene *s, int kind)
{
    static struct drawlist sub;
    double t[30];
    drawlist_clear(&sub);
    for (size_t i = 0; i < s->dl->n; i++) {
        if ((int)s->dl->cmds[i].kind == kind) {
            struct draw_cmd *c = drawlist_add(&sub, s->dl->cmds[i].kind);
            if (c)
                *c = s->dl->cmds[i];
        }
    }
    for (size_t i = 0; i < ARRAY_LEN(t); i++) {
        double t0 = now_ms();
        if (kind < 0)
            SDL_RenderClear(s->ren);
        else
            render_draw(s->render, &sub);
        SDL_RenderPresent(s->ren);
        t[i] = now_ms() - t0;
    }
    return percentile(t, ARRAY_LEN(t), 50);
}

/* Glyphs the renderer copies for the list: code points above the space in text commands. */
static int count_glyphs(const struct drawlist *dl)
{
    int n = 0;
    for (size_t i = 0; i < dl->n; i++) {
        const struct draw_cmd *c = &dl->cmds[i];
        for (size_t k = 0; c->kind == DRAW_TEXT && k < c->u.text.len; k++) {
            unsigned char b = (unsigned char)c->u.text.text[k];
            n += b > ' ' && (b & 0xc0) != 0x80;
        }
    }
    return n;
}

static void bench_frames(int w, int h)
{
    static double tot[NFRAMES], lay[NFRAMES], drw[NFRAMES], pre[NFRAMES];
    struct scene *s = scene_new(w, h);
    if (!s || scene_fill_grid(s) < 0)
        goto out;
    int64_t now = 1000;
    struct frame_times t;
    double c0 = now_ms();
    scene_frame(s, now, &t);
    double cold = now_ms() - c0;
    for (int i = 1; i < NWARM; i++)
        scene_frame(s, now += FRAME_MS, NULL);
    for (int i = 0; i < NFRAMES; i++) {
        scene_frame(s, now += FRAME_MS, &t);
        lay[i] = t.layout;
        drw[i] = t.draw;
        pre[i] = t.present;
        tot[i] = t.layout + t.draw + t.present;
    }
    int kinds[5] = {0};
    for (size_t i = 0; i < s->dl->n; i++)
        kinds[s->dl->cmds[i].kind]++;
    char name[80], buf[80];
    snprintf(name, sizeof name, "grid-%dx%d", w, h);
    scene_save(s, name);
    snprintf(name, sizeof name, "%dx%d: frame p50 / p99 / max", w, h);
    double med = percentile(tot, NFRAMES, 50);
    row(name, "%s; %.0f fps possible", spread(tot, NFRAMES, buf, sizeof buf), 1000 / med);
    row("  layout_frame", "%s", spread(lay, NFRAMES, buf, sizeof buf));
    row("  clear + render_draw (SDL draws at once)", "%s", spread(drw, NFRAMES, buf, sizeof buf));
    row("  SDL_RenderPresent", "%s", spread(pre, NFRAMES, buf, sizeof buf));
    row("  render by kind: clear/rects/text/images/ring", "%.2f / %.2f / %.2f / %.2f / %.2f ms",
        render_kind(s, -1), render_kind(s, DRAW_RECT), render_kind(s, DRAW_TEXT),
        render_kind(s, DRAW_IMAGE), render_kind(s, DRAW_RING));
    row("  first frame (cold glyph cache)", "%.1f ms", cold);
    row("  draw list", "%zu cmds: %d rects, %d text lines (%d glyphs), %d images, %d ring",
        s->dl->n, kinds[DRAW_RECT], kinds[DRAW_TEXT], count_glyphs(s->dl), kinds[DRAW_IMAGE],
        kinds[DRAW_RING]);
    if (s->dl->overflow)
        fail("%dx%d: %d draw commands overflowed the list", w, h, s->dl->overflow);
out:
    scene_free(s);
}

/* ---- 2: callgrind ---- */

/* The frames callgrind counts (also named by --toggle-collect when callgrind.h is missing). */
static __attribute__((noinline)) void measured_frames(struct scene *s, int64_t *now, int n)
{
    for (int i = 0; i < n; i++)
        scene_frame(s, *now += FRAME_MS, NULL);
}

/* Child mode, run under valgrind: warm up, then CG_FRAMES collected frames. */
static int callgrind_one(const char *size)
{
    int w, h;
    if (sscanf(size, "%dx%d", &w, &h) != 2 || w < 64 || h < 64 || w > 7680 || h > 4320) {
        fprintf(stderr, "bench_display: --callgrind-one wants WxH\n");
        return 2;
    }
    struct scene *s = scene_new(w, h);
    if (!s || scene_fill_grid(s) < 0) {
        scene_free(s);
        return 1;
    }
    int64_t now = 1000;
#ifdef HAVE_CALLGRIND_H
    CALLGRIND_START_INSTRUMENTATION;
#endif
    for (int i = 0; i < NWARM; i++)
        scene_frame(s, now += FRAME_MS, NULL);
#ifdef HAVE_CALLGRIND_H
    CALLGRIND_TOGGLE_COLLECT;
#endif
    measured_frames(s, &now, CG_FRAMES);
#ifdef HAVE_CALLGRIND_H
    CALLGRIND_TOGGLE_COLLECT;
    CALLGRIND_STOP_INSTRUMENTATION;
#endif
    printf("frames=%d size=%dx%d commands=%zu\n", CG_FRAMES, w, h, s->dl->n);
    scene_free(s);
    return 0;
}

/* A callgrind out file, read just enough: per function the self cost, the cost of the calls
 * other functions make into it (its inclusive cost unless it recurses), and its object. */
struct cg_fn {
    char *name;
    const char *ob; /* borrowed from cg.obs */
    unsigned long long self, incl;
};

struct cg_table {
    struct cg_fn *v;
    size_t n, cap;
};

struct cg {
    struct cg_table fns, obs; /* name compression: "fn=(id) name" and "ob=(id) name" */
    unsigned long long total;
};

/* The entry a "fn=", "cfn=" or "ob=" value names: "(id) name", "(id)" or, uncompressed, "name". */
static struct cg_fn *cg_lookup(struct cg_table *t, char *spec)
{
    spec[strcspn(spec, "\n")] = '\0';
    size_t id;
    char *name = spec;
    if (*spec == '(') {
        char *end;
        id = (size_t)strtoul(spec + 1, &end, 10);
        name = *end == ')' ? end + 1 : end;
        while (*name == ' ')
            name++;
    } else {
        for (size_t i = 0; i < t->n; i++)
            if (t->v[i].name && !strcmp(t->v[i].name, name))
                return &t->v[i];
        id = t->n;
    }
    if (id > 1000000)
        return NULL;
    if (id >= t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap <= id)
            cap *= 2;
        t->v = xrealloc(t->v, cap * sizeof *t->v);
        memset(t->v + t->cap, 0, (cap - t->cap) * sizeof *t->v);
        t->cap = cap;
    }
    if (id >= t->n)
        t->n = id + 1;
    if (*name && !t->v[id].name)
        t->v[id].name = xstrdup(name);
    return &t->v[id];
}

/* The event count of a cost line "position Ir" (positions may be "+n", "-n" or "*"). */
static unsigned long long cg_cost(const char *line)
{
    const char *p = line;
    while (*p && !isspace((unsigned char)*p))
        p++;
    return strtoull(p, NULL, 10);
}

/* Self cost per function, inclusive cost of calls into each function, and the total. */
static int cg_parse(const char *path, struct cg *g)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[8192];
    struct cg_fn *cur = NULL, *callee = NULL, *ob = NULL;
    int after_calls = 0;
    while (fgets(line, sizeof line, f)) {
        if (!strchr(line, '\n')) { /* an over-long line: skip the rest of it */
            int c;
            while ((c = fgetc(f)) != EOF && c != '\n') {
            }
        }
        if (after_calls) {
            if (callee && callee != cur)
                callee->incl += cg_cost(line);
            after_calls = 0;
        } else if (!strncmp(line, "ob=", 3)) {
            ob = cg_lookup(&g->obs, line + 3);
        } else if (!strncmp(line, "fn=", 3)) {
            cur = cg_lookup(&g->fns, line + 3);
            if (cur && !cur->ob && ob)
                cur->ob = ob->name;
        } else if (!strncmp(line, "cfn=", 4)) {
            callee = cg_lookup(&g->fns, line + 4);
        } else if (!strncmp(line, "calls=", 6)) {
            after_calls = 1;
        } else if (!strncmp(line, "summary:", 8) || !strncmp(line, "totals:", 7)) {
            unsigned long long t = strtoull(strchr(line, ':') + 1, NULL, 10);
            g->total = t > g->total ? t : g->total;
        } else if (cur && (isdigit((unsigned char)line[0]) || line[0] == '+' || line[0] == '-' ||
                           line[0] == '*')) {
            cur->self += cg_cost(line);
        }
    }
    fclose(f);
    return 0;
}

static void cg_free(struct cg *g)
{
    struct cg_table *t[] = {&g->fns, &g->obs};
    for (size_t k = 0; k < ARRAY_LEN(t); k++) {
        for (size_t i = 0; i < t[k]->n; i++)
            free(t[k]->v[i].name);
        free(t[k]->v);
    }
}

static const struct cg_fn *cg_find(const struct cg *g, const char *name)
{
    for (size_t i = 0; i < g->fns.n; i++)
        if (g->fns.v[i].name && !strcmp(g->fns.v[i].name, name))
            return &g->fns.v[i];
    return NULL;
}

static int find_in_path(const char *name, char *out, size_t len)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/bin:/bin";
    while (*path) {
        size_t n = strcspn(path, ":");
        snprintf(out, len, "%.*s/%s", (int)n, path, name);
        if (n && access(out, X_OK) == 0)
            return 0;
        path += n + (path[n] == ':');
    }
    return -1;
}

static void bench_callgrind(const char *size)
{
    char valgrind[PATH_MAX], self[PATH_MAX], out[PATH_MAX], log[PATH_MAX], opt[PATH_MAX + 32];
    if (find_in_path("valgrind", valgrind, sizeof valgrind) < 0) {
        row("callgrind", "skipped: valgrind is not installed");
        return;
    }
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        fail("readlink /proc/self/exe: %s", strerror(errno));
        return;
    }
    self[n] = '\0';
    snprintf(out, sizeof out, "%s/callgrind.out", root);
    snprintf(log, sizeof log, "%s/callgrind.log", root);
    snprintf(opt, sizeof opt, "--callgrind-out-file=%s", out);
#ifdef HAVE_CALLGRIND_H
    char *argv[] = {valgrind,
                    "--tool=callgrind",
                    opt,
                    "--instr-atstart=no",
                    "--collect-atstart=no",
                    self,
                    "--callgrind-one",
                    (char *)size,
                    NULL};
    const char *how = "client requests";
#else
    char *argv[] = {valgrind, "--tool=callgrind", opt,          "--toggle-collect=measured_frames*",
                    self,     "--callgrind-one",  (char *)size, NULL};
    const char *how = "--toggle-collect";
#endif
    double t0 = now_ms();
    pid_t pid = spawn(argv, log);
    if (pid < 0)
        return;
    int code = reap(pid, CG_TIMEOUT_MS);
    double secs = (now_ms() - t0) / 1000;
    struct cg g = {0};
    if (code != 0 || cg_parse(out, &g) < 0 || g.total == 0) {
        fail("callgrind run exited %d (or left no counts in %s)", code, out);
        show_tail(log);
        cg_free(&g);
        return;
    }
    char name[96];
    snprintf(name, sizeof name, "%s: instructions per frame (callgrind)", size);
    row(name, "%.1f M (%d frames after %d warm-up; %s; %.0f s under valgrind)",
        (double)g.total / CG_FRAMES / 1e6, CG_FRAMES, NWARM, how, secs);
    static const char *const parts[][2] = {
        {"layout_frame", "  layout_frame"},
        {"render_draw", "  render_draw"},
        {"SDL_RenderFillRect", "    SDL_RenderFillRect (rects)"},
        {"SDL_RenderCopy", "    SDL_RenderCopy (glyphs and images)"},
        {"SDL_RenderGeometry", "    SDL_RenderGeometry (ring)"},
        {"SDL_RenderClear", "  SDL_RenderClear"},
        {"SDL_RenderPresent", "  SDL_RenderPresent"},
        {"spectrum_process", "  spectrum_process"},
    };
    for (size_t i = 0; i < ARRAY_LEN(parts); i++) {
        const struct cg_fn *f = cg_find(&g, parts[i][0]);
        if (f)
            row(parts[i][1], "%.2f M per frame (%.1f%%, inclusive)",
                (double)f->incl / CG_FRAMES / 1e6, 100.0 * (double)f->incl / (double)g.total);
    }
    /* The hottest functions by self cost (libraries without symbols show as object + address). */
    for (int k = 0; k < 3; k++) {
        struct cg_fn *best = NULL;
        for (size_t i = 0; i < g.fns.n; i++)
            if (g.fns.v[i].name && g.fns.v[i].self && (!best || g.fns.v[i].self > best->self))
                best = &g.fns.v[i];
        if (!best)
            break;
        const char *ob = best->ob ? strrchr(best->ob, '/') : NULL;
        snprintf(name, sizeof name, "  hottest function #%d (self)", k + 1);
        row(name, "%.1f%% %.60s%s%.60s", 100.0 * (double)best->self / (double)g.total, best->name,
            ob ? " in " : "", ob ? ob + 1 : "");
        best->self = 0;
    }
    cg_free(&g);
    remove(out);
    remove(log);
}

/* ---- 3: spectrum ---- */

static void bench_spectrum(enum spectrum_bands bands, const char *label)
{
    static double t[NSPECTRUM];
    struct spectrum *sp = spectrum_new(SAMPLE_RATE, FFT_SIZE, bands);
    if (!sp) {
        fail("spectrum_new(%d, %d) failed", SAMPLE_RATE, FFT_SIZE);
        return;
    }
    float *sig = xcalloc(SAMPLE_RATE, sizeof *sig), bars[64];
    synth(sig, SAMPLE_RATE);
    for (int i = 0; i < 2 * NSPECTRUM; i++) {
        size_t at = (size_t)i * (SAMPLE_RATE / 60) % (SAMPLE_RATE - FFT_SIZE);
        double t0 = now_ms();
        spectrum_process(sp, sig + at, FFT_SIZE, 1.0f / 60, bars);
        if (i >= NSPECTRUM) /* the first half warms caches and the bars' motion */
            t[i - NSPECTRUM] = (now_ms() - t0) * 1000;
    }
    char name[96];
    snprintf(name, sizeof name, "spectrum_process FFT %d, %s (%d bands)", FFT_SIZE, label,
             spectrum_nbands(sp));
    double mx = max_of(t, NSPECTRUM), p50 = percentile(t, NSPECTRUM, 50),
           p99 = percentile(t, NSPECTRUM, 99);
    row(name, "median %.1f us, p99 %.1f us, max %.1f us (n=%d; aim < 500 us)", p50, p99, mx,
        NSPECTRUM);
    free(sig);
    spectrum_free(sp);
}

/* ---- 4: RSS of a real panic-display ---- */

static int count_media(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += mediacache_name_valid(e->d_name);
    if (d)
        closedir(d);
    return n;
}

static void bench_display_rss(const struct daemon *d)
{
    long st = api_status(d, "POST", "/api/v1/networks/1/runs", d->token,
                         "{\"prompt\":\"a display that measures itself\"}");
    if (st != 201) {
        fail("POST /api/v1/networks/1/runs -> %ld", st);
        return;
    }
    char bin[PATH_MAX], state[PATH_MAX], log[PATH_MAX], cache[PATH_MAX + 8];
    snprintf(bin, sizeof bin, "%s/panic-display", build);
    snprintf(state, sizeof state, "%s/display", root);
    snprintf(log, sizeof log, "%s/display.log", root);
    snprintf(cache, sizeof cache, "%s/cache", state);
    char *argv[] = {bin,         "--offscreen", "--coordinator", (char *)d->url, "--name",
                    "bench",     "--state-dir", state,           "--font",       FONT,
                    "--frames",  "0",           "--fps",         "60",           "--window",
                    "1920x1080", NULL};
    setenv("SDL_AUDIODRIVER", "dummy", 1);
    pid_t pid = spawn(argv, log);
    if (pid < 0)
        return;
    double t0 = now_ms();
    long long cpu0 = -1, cpu1 = -1;
    double c0 = 0, c1 = 0;
    int alive = 1;
    while (alive && now_ms() - t0 < RSS_SECONDS * 1000.0) {
        support_sleep_ms(50);
        alive = waitpid(pid, NULL, WNOHANG) == 0;
        if (cpu0 < 0 && now_ms() - t0 >= 1000) { /* CPU over the last 4 s: past start-up */
            cpu0 = cpu_ticks(pid);
            c0 = now_ms();
        }
    }
    if (!alive) {
        live_pid = 0;
        fail("panic-display exited within %d s", RSS_SECONDS);
        show_tail(log);
        return;
    }
    cpu1 = cpu_ticks(pid);
    c1 = now_ms();
    long rss, hwm;
    proc_mem(pid, &rss, &hwm);
    int media = count_media(cache);
    kill(pid, SIGTERM);
    int code = reap(pid, 5000);
    if (code != 0) {
        fail("panic-display did not exit cleanly on SIGTERM (code %d)", code);
        show_tail(log);
    }
    row("panic-display 1920x1080@60 after 5 s: VmRSS / VmHWM", "%.1f / %.1f MiB (%d media cached)",
        (double)rss / 1024, (double)hwm / 1024, media);
    if (cpu0 >= 0 && cpu1 >= 0)
        row("  panic-display CPU (offscreen, software)", "%.0f%% of one core",
            100.0 * (double)(cpu1 - cpu0) / (double)sysconf(_SC_CLK_TCK) / ((c1 - c0) / 1000));
    if (api_status(d, "POST", "/api/v1/networks/1/stop", d->token, "{}") != 200)
        fail("POST /api/v1/networks/1/stop failed");
}

/* ---- 5: SSE event to screen ---- */

struct post_rec {
    long long run;
    long status;
    double start_at, reply_at;
};

struct arrival {
    long long run;
    double at;
};

/* The outside world: posts runs when asked and reads its own event stream of the network. The
 * fields under mu are the handoff with the frame thread; the rest belongs to the helper. */
struct helper {
    pthread_t thread;
    pthread_mutex_t mu;
    CURLM *multi;
    char events_url[256], runs_url[256], auth[200];
    /* under mu: frame thread -> helper */
    int stop, want_post;
    /* under mu: helper -> frame thread */
    int connected, ended;
    struct post_rec posts[NROUNDS + 8];
    int nposts;
    struct arrival arrivals[4 * NROUNDS];
    int narrivals;
    /* helper only */
    CURL *stream, *post;
    struct curl_slist *stream_hdrs, *post_hdrs;
    char line[16384];
    size_t linelen;
    char event[32];
    char reply[4096];
    size_t replylen;
    int nposted;
};

static void helper_line(struct helper *h, double at)
{
    char *s = h->line;
    size_t n = h->linelen;
    if (n && s[n - 1] == '\r')
        s[--n] = '\0';
    if (n == 0) {
        h->event[0] = '\0';
        return;
    }
    if (!strncmp(s, "event:", 6)) {
        snprintf(h->event, sizeof h->event, "%s", s + 6 + (s[6] == ' '));
        if (!strcmp(h->event, "status")) {
            pthread_mutex_lock(&h->mu);
            h->connected = 1;
            pthread_mutex_unlock(&h->mu);
        }
    } else if (!strncmp(s, "data:", 5) && !strcmp(h->event, "invocation")) {
        json_t *j = json_loads(s + 5, 0, NULL);
        json_t *seq = json_object_get(j, "seq"), *run = json_object_get(j, "run");
        if (json_is_integer(seq) && json_integer_value(seq) == 0 && json_is_integer(run)) {
            long long r = (long long)json_integer_value(run);
            pthread_mutex_lock(&h->mu);
            int known = 0;
            for (int i = 0; i < h->narrivals; i++)
                known |= h->arrivals[i].run == r;
            if (!known && h->narrivals < (int)ARRAY_LEN(h->arrivals))
                h->arrivals[h->narrivals++] = (struct arrival){r, at};
            pthread_mutex_unlock(&h->mu);
        }
        json_decref(j);
    }
}

static size_t helper_on_stream(char *p, size_t size, size_t n, void *user)
{
    struct helper *h = user;
    double at = now_ms();
    for (size_t i = 0; i < size * n; i++) {
        if (p[i] == '\n') {
            h->line[h->linelen] = '\0';
            helper_line(h, at);
            h->linelen = 0;
        } else if (h->linelen + 1 < sizeof h->line) {
            h->line[h->linelen++] = p[i];
        }
    }
    return size * n;
}

static size_t helper_on_reply(char *p, size_t size, size_t n, void *user)
{
    struct helper *h = user;
    size_t len = size * n, room = sizeof h->reply - 1 - h->replylen;
    memcpy(h->reply + h->replylen, p, len < room ? len : room);
    h->replylen += len < room ? len : room;
    h->reply[h->replylen] = '\0';
    return len;
}

static void helper_start_post(struct helper *h)
{
    char body[96];
    snprintf(body, sizeof body, "{\"prompt\":\"latency round %d\"}", ++h->nposted);
    h->replylen = 0;
    h->post = curl_easy_init();
    curl_easy_setopt(h->post, CURLOPT_URL, h->runs_url);
    curl_easy_setopt(h->post, CURLOPT_HTTPHEADER, h->post_hdrs);
    curl_easy_setopt(h->post, CURLOPT_COPYPOSTFIELDS, body);
    curl_easy_setopt(h->post, CURLOPT_WRITEFUNCTION, helper_on_reply);
    curl_easy_setopt(h->post, CURLOPT_WRITEDATA, h);
    curl_easy_setopt(h->post, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(h->post, CURLOPT_NOSIGNAL, 1L);
    pthread_mutex_lock(&h->mu);
    if (h->nposts < (int)ARRAY_LEN(h->posts))
        h->posts[h->nposts].start_at = now_ms();
    pthread_mutex_unlock(&h->mu);
    curl_multi_add_handle(h->multi, h->post);
}

static void helper_end_post(struct helper *h, CURLcode rc)
{
    struct post_rec p = {.run = -1, .status = -1, .reply_at = now_ms()};
    if (rc == CURLE_OK)
        curl_easy_getinfo(h->post, CURLINFO_RESPONSE_CODE, &p.status);
    json_t *j = json_loads(h->reply, 0, NULL);
    if (json_is_integer(json_object_get(j, "run")))
        p.run = (long long)json_integer_value(json_object_get(j, "run"));
    json_decref(j);
    curl_multi_remove_handle(h->multi, h->post);
    curl_easy_cleanup(h->post);
    h->post = NULL;
    pthread_mutex_lock(&h->mu);
    if (h->nposts < (int)ARRAY_LEN(h->posts)) {
        p.start_at = h->posts[h->nposts].start_at;
        h->posts[h->nposts++] = p;
    }
    pthread_mutex_unlock(&h->mu);
}

static void *helper_main(void *arg)
{
    struct helper *h = arg;
    for (;;) {
        int running, queued;
        curl_multi_perform(h->multi, &running);
        CURLMsg *m;
        while ((m = curl_multi_info_read(h->multi, &queued))) {
            if (m->msg != CURLMSG_DONE)
                continue;
            if (m->easy_handle == h->post) {
                helper_end_post(h, m->data.result);
            } else if (m->easy_handle == h->stream) {
                pthread_mutex_lock(&h->mu);
                h->ended = 1;
                pthread_mutex_unlock(&h->mu);
            }
        }
        pthread_mutex_lock(&h->mu);
        int stop = h->stop, post = h->want_post && !h->post;
        if (post)
            h->want_post = 0;
        pthread_mutex_unlock(&h->mu);
        if (stop)
            break;
        if (post) {
            helper_start_post(h);
            continue; /* send it now */
        }
        curl_multi_poll(h->multi, NULL, 0, 100, NULL);
    }
    if (h->post) {
        curl_multi_remove_handle(h->multi, h->post);
        curl_easy_cleanup(h->post);
    }
    curl_multi_remove_handle(h->multi, h->stream);
    return NULL;
}

static int helper_start(struct helper *h, const struct daemon *d, long long net)
{
    memset(h, 0, sizeof *h);
    pthread_mutex_init(&h->mu, NULL);
    snprintf(h->events_url, sizeof h->events_url, "%s/api/v1/networks/%lld/events", d->url, net);
    snprintf(h->runs_url, sizeof h->runs_url, "%s/api/v1/networks/%lld/runs", d->url, net);
    snprintf(h->auth, sizeof h->auth, "Authorization: Bearer %s", d->token);
    h->post_hdrs = curl_slist_append(NULL, h->auth);
    h->post_hdrs = curl_slist_append(h->post_hdrs, "Content-Type: application/json");
    h->stream_hdrs = curl_slist_append(NULL, "Accept: text/event-stream");
    h->multi = curl_multi_init();
    h->stream = curl_easy_init();
    curl_easy_setopt(h->stream, CURLOPT_URL, h->events_url);
    curl_easy_setopt(h->stream, CURLOPT_HTTPHEADER, h->stream_hdrs);
    curl_easy_setopt(h->stream, CURLOPT_WRITEFUNCTION, helper_on_stream);
    curl_easy_setopt(h->stream, CURLOPT_WRITEDATA, h);
    curl_easy_setopt(h->stream, CURLOPT_NOSIGNAL, 1L);
    curl_multi_add_handle(h->multi, h->stream);
    if (pthread_create(&h->thread, NULL, helper_main, h) != 0) {
        fail("pthread_create failed");
        curl_multi_remove_handle(h->multi, h->stream);
        return -1;
    }
    return 0;
}

static void helper_stop(struct helper *h, int started)
{
    if (started) {
        pthread_mutex_lock(&h->mu);
        h->stop = 1;
        pthread_mutex_unlock(&h->mu);
        curl_multi_wakeup(h->multi);
        pthread_join(h->thread, NULL);
    }
    curl_easy_cleanup(h->stream);
    curl_multi_cleanup(h->multi);
    curl_slist_free_all(h->stream_hdrs);
    curl_slist_free_all(h->post_hdrs);
    pthread_mutex_destroy(&h->mu);
}

struct live {
    struct scene *scene;
    struct sync *sync;
};

/* One frame the way main.c's loop does it: pump the coordinator without waiting, lay out, draw,
 * present, then sleep what is left of FRAME_MS. Returns when sync_pump returned (*pumped) and
 * when the frame was presented (*done). */
static void live_frame(struct live *l, double *pumped, double *done)
{
    int64_t now = time_mono_ms();
    sync_pump(l->sync, now);
    *pumped = now_ms();
    scene_frame(l->scene, now, NULL);
    *done = now_ms();
    int64_t spent = time_mono_ms() - now;
    if (spent < FRAME_MS)
        support_sleep_ms((int)(FRAME_MS - spent));
}

static int genesis_shown(const struct app *a, int64_t prev_run)
{
    if (a->run <= 0 || a->run == prev_run)
        return 0;
    int slot = app_slot_for(&a->cfg, 0);
    return slot >= 0 && slot < a->ncells && a->cells[slot].seq == 0 &&
           a->cells[slot].kind != CELL_EMPTY;
}

static void bench_sse_to_frame(const struct daemon *d)
{
    long st;
    json_t *j = api_json(d, "POST", "/api/v1/networks", d->token,
                         "{\"name\":\"b\",\"models\":[\"dummy-t2t\"],\"lockout_seconds\":0}", &st);
    long long net = json_int_of(j, "id", -1);
    json_decref(j);
    if ((st != 200 && st != 201) || net < 0) {
        fail("POST /api/v1/networks -> %ld", st);
        return;
    }
    char body[64];
    snprintf(body, sizeof body, "{\"network\":%lld}", net);
    if ((st = api_status(d, "PUT", "/api/v1/displays/bench", d->token, body)) != 200) {
        fail("PUT /api/v1/displays/bench -> %ld", st);
        return;
    }
    char dir[PATH_MAX], cache_dir[PATH_MAX + 8], err[256];
    snprintf(dir, sizeof dir, "%s/sync", root);
    snprintf(cache_dir, sizeof cache_dir, "%s/cache", dir);
    struct live l = {0};
    struct helper h;
    int helper_up = 0, nrounds = 0;
    double post_to_app[NROUNDS], pumped_to_frame[NROUNDS], arrival_to_frame[NROUNDS],
        post_to_arrival[NROUNDS], arrival_to_app[NROUNDS];
    struct mediacache *cache = NULL;
    if (mkdir_p(dir, 0755) < 0 ||
        !(cache = mediacache_open(cache_dir, 64ull << 20, err, sizeof err))) {
        fail("media cache in %s: %s", cache_dir, err);
        goto out;
    }
    if (!(l.scene = scene_new(1920, 1080)))
        goto out;
    struct sync_options so = {.coordinator = d->url, .token = NULL, .state_dir = dir};
    if (!(l.sync = sync_new(&so, l.scene->app, cache))) {
        fail("sync_new failed");
        goto out;
    }
    if (helper_start(&h, d, net) < 0)
        goto helper_out;
    helper_up = 1;

    /* Until the display streams the new network and the helper's stream is open too. */
    double pumped, done, t0 = now_ms();
    int ready = 0;
    while (!ready && now_ms() - t0 < 10000) {
        live_frame(&l, &pumped, &done);
        pthread_mutex_lock(&h.mu);
        ready = h.connected && sync_streaming(l.sync) && l.scene->app->cfg.network == net;
        pthread_mutex_unlock(&h.mu);
    }
    if (!ready) {
        fail("the display did not stream network %lld within 10 s", net);
        goto helper_out;
    }
    srand(7);
    for (int round = 0; round < NROUNDS; round++) {
        /* A pause of 150..400 ms, so the post lands at a random point of the frame. */
        double wait_until = now_ms() + 150 + rand() % 250;
        while (now_ms() < wait_until)
            live_frame(&l, &pumped, &done);
        int64_t prev_run = l.scene->app->run;
        pthread_mutex_lock(&h.mu);
        h.want_post = 1;
        pthread_mutex_unlock(&h.mu);
        curl_multi_wakeup(h.multi);
        double r0 = now_ms();
        int shown = 0;
        while (!shown && now_ms() - r0 < ROUND_TIMEOUT_MS) {
            live_frame(&l, &pumped, &done);
            shown = genesis_shown(l.scene->app, prev_run);
        }
        if (!shown) {
            fail("round %d: the new run's genesis did not reach the app in %d ms", round + 1,
                 ROUND_TIMEOUT_MS);
            break;
        }
        long long run = l.scene->app->run;
        /* The helper may still be reading the reply: give it a moment. */
        struct post_rec p = {.run = -1};
        struct arrival a = {.run = -1};
        for (double w0 = now_ms(); now_ms() - w0 < 1000 && (p.run != run || a.run != run);) {
            pthread_mutex_lock(&h.mu);
            for (int i = 0; i < h.nposts; i++)
                if (h.posts[i].run == run)
                    p = h.posts[i];
            for (int i = 0; i < h.narrivals; i++)
                if (h.arrivals[i].run == run)
                    a = h.arrivals[i];
            pthread_mutex_unlock(&h.mu);
            if (p.run != run || a.run != run)
                live_frame(&l, &pumped, &done);
        }
        if (p.run != run || a.run != run) {
            fail("round %d: run %lld: the helper saw no reply or no event for it", round + 1, run);
            break;
        }
        post_to_app[nrounds] = pumped - p.start_at;
        post_to_arrival[nrounds] = a.at - p.start_at;
        arrival_to_app[nrounds] = pumped - a.at;
        pumped_to_frame[nrounds] = done - pumped;
        arrival_to_frame[nrounds] = done - a.at;
        nrounds++;
    }
    if (nrounds) {
        char buf[96];
        size_t n = (size_t)nrounds;
        row("SSE->screen (1920x1080, 60 fps): p50 / p99 / max", "%d runs posted", nrounds);
        row("  (a) POST -> genesis in app state", "%s", spread(post_to_app, n, buf, sizeof buf));
        row("  (b) sync_pump applied it -> frame done", "%s",
            spread(pumped_to_frame, n, buf, sizeof buf));
        row("  POST -> event reaches this host", "%s", spread(post_to_arrival, n, buf, sizeof buf));
        row("  event arrival -> in app state", "%s", spread(arrival_to_app, n, buf, sizeof buf));
        row("  event arrival -> frame done (aim 16.7)", "%s",
            spread(arrival_to_frame, n, buf, sizeof buf));
    }
helper_out:
    if (helper_up) {
        pthread_mutex_lock(&h.mu);
        int ended = h.ended;
        pthread_mutex_unlock(&h.mu);
        if (ended)
            fail("the helper's event stream ended early");
    }
    if (l.sync || helper_up)
        helper_stop(&h, helper_up);
out:
    sync_free(l.sync);
    scene_free(l.scene);
    mediacache_close(cache);
    remove_tree(dir);
}

/* ---- main ---- */

/* ---- 6: the original's kiosk screen, side by side ---- */

/* A 4x4 grid of one run: 10 images, 5 text cells, 1 audio cell (seq mod 16 = slot). The network
 * is a cycle: each output feeds the next model, the last (text) feeds the first. */
static const char *const kiosk_models[16] = {"dummy-t2i", "dummy-i2i", "dummy-i2t", "dummy-t2i",
                                             "dummy-i2i", "dummy-i2t", "dummy-t2i", "dummy-i2i",
                                             "dummy-i2t", "dummy-t2i", "dummy-i2i", "dummy-i2i",
                                             "dummy-i2a", "dummy-a2i", "dummy-i2t", "dummy-t2t"};

struct kiosk_variant {
    const char *name;
    int window, w, h, fps, audio;
    /* The Chromium figures for the same screen (CPU %, PSS MB, first frame ms), 0: none. */
    double chromium_cpu, chromium_pss, chromium_first;
};

struct kiosk_result {
    int ok;
    double cpu, pss_mb, first_ms, fps_seen;
};

static int kiosk_seconds(const char *env, int def)
{
    const char *v = getenv(env);
    return v && atoi(v) > 0 ? atoi(v) : def;
}

/* The network, the display "kiosk" on it, one run of exactly 16 invocations (stopped while the
 * runner waits before the 17th). The network id or -1. */
static long long kiosk_setup(const struct daemon *d)
{
    char body[1024];
    size_t n = (size_t)snprintf(body, sizeof body, "{\"name\":\"kiosk\",\"models\":[");
    for (int i = 0; i < 16; i++)
        n += (size_t)snprintf(body + n, sizeof body - n, "%s\"%s\"", i ? "," : "", kiosk_models[i]);
    snprintf(body + n, sizeof body - n,
             "],\"lockout_seconds\":0,\"schedule\":[{\"delay_s\":0.5}]}");
    long st;
    json_t *j = api_json(d, "POST", "/api/v1/networks", d->token, body, &st);
    long long net = st == 201 ? json_int_of(j, "id", -1) : -1;
    json_decref(j);
    if (net < 0) {
        fail("kiosk: POST /api/v1/networks -> %ld", st);
        return -1;
    }
    char path[128];
    snprintf(path, sizeof path, "/api/v1/networks/%lld/runs", net);
    if (api_status(d, "POST", path, d->token,
                   "{\"prompt\":\"a harbour at dusk, seen by a camera looking at its own "
                   "screen\"}") != 201) {
        fail("kiosk: cannot start the run");
        return -1;
    }
    snprintf(path, sizeof path, "/api/v1/networks/%lld/status", net);
    double end = now_ms() + 60000;
    long long seq = -1;
    while (now_ms() < end) {
        j = api_json(d, "GET", path, NULL, NULL, &st);
        seq = json_int_of(j, "seq", -1);
        const char *state = json_str_of(j, "state");
        int waiting = state && !strcmp(state, "waiting");
        json_decref(j);
        if (seq >= 16 && waiting)
            break;
        support_sleep_ms(20);
    }
    snprintf(path, sizeof path, "/api/v1/networks/%lld/stop", net);
    if (seq != 16 || api_status(d, "POST", path, d->token, "{}") != 200) {
        fail("kiosk: the run did not stop after 16 invocations (seq %lld)", seq);
        return -1;
    }
    return net;
}

static int kiosk_display(const struct daemon *d, long long net, int audio)
{
    char body[256];
    snprintf(body, sizeof body,
             "{\"network\":%lld,\"mode\":\"grid\",\"rows\":4,\"cols\":4,\"audio\":%s}", net,
             audio ? "true" : "false");
    return api_status(d, "PUT", "/api/v1/displays/kiosk", d->token, body) == 200 ? 0 : -1;
}

/* Xvfb on a free display of w x h; its number, or -1 (then *pid is 0). */
static int xvfb_start(int w, int h, pid_t *pid)
{
    char xvfb[PATH_MAX], screen[64], fdarg[16];
    int p[2];
    *pid = 0;
    if (find_in_path("Xvfb", xvfb, sizeof xvfb) < 0 || pipe(p) < 0)
        return -1;
    snprintf(screen, sizeof screen, "%dx%dx24", w, h);
    snprintf(fdarg, sizeof fdarg, "%d", p[1]);
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        close(p[0]);
        execl(xvfb, "Xvfb", "-displayfd", fdarg, "-screen", "0", screen, "-nolisten", "tcp",
              "-noreset", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    if (child < 0) {
        close(p[0]);
        return -1;
    }
    char buf[32] = "";
    struct pollfd pfd = {.fd = p[0], .events = POLLIN};
    ssize_t got = poll(&pfd, 1, 10000) == 1 ? read(p[0], buf, sizeof buf - 1) : -1;
    close(p[0]);
    if (got <= 0) {
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        return -1;
    }
    buf[got] = '\0';
    *pid = child;
    return atoi(buf);
}

static void xvfb_stop(pid_t pid)
{
    if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
}

/* Pss of pid in KiB from smaps_rollup, -1 if unreadable. */
static long proc_pss(pid_t pid)
{
    char path[64], line[256];
    long pss = -1;
    snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "Pss:", 4))
            pss = strtol(line + 4, NULL, 10);
    if (f)
        fclose(f);
    return pss;
}

/* A datagram socket for sd_notify at path; the fd or -1. */
static int notify_listen(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path)
        return -1;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    unlink(path);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Until READY=1 arrives on fd or until end; 1 if it came. */
static int wait_ready(int fd, double end)
{
    char msg[512];
    while (now_ms() < end) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, 50) == 1) {
            ssize_t n = recv(fd, msg, sizeof msg - 1, 0);
            if (n > 0) {
                msg[n] = '\0';
                if (strstr(msg, "READY=1"))
                    return 1;
            }
        }
    }
    return 0;
}

/* One panic-display (bin) on the kiosk screen: exec to READY=1 (its first presented frame),
 * then after the warm-up its CPU and mean PSS over the measured seconds. */
static void kiosk_measure(const char *bin, const struct daemon *d, const struct kiosk_variant *v,
                          int xdisplay, int idx, struct kiosk_result *out)
{
    static int run_no;
    char state[PATH_MAX], log[PATH_MAX], sock[PATH_MAX], size[32], fps[16], xd[16];
    int warm = kiosk_seconds("PANIC_BENCH_KIOSK_WARM", 15);
    int measure = kiosk_seconds("PANIC_BENCH_KIOSK_SECONDS", 30);
    memset(out, 0, sizeof *out);
    snprintf(state, sizeof state, "%s/kiosk-%d", root, ++run_no);
    snprintf(log, sizeof log, "%s/kiosk-%d.log", root, run_no);
    snprintf(sock, sizeof sock, "%s/notify-%d", root, run_no);
    snprintf(size, sizeof size, "%dx%d", v->w, v->h);
    snprintf(fps, sizeof fps, "%d", v->fps);
    snprintf(xd, sizeof xd, ":%d", xdisplay);
    int fd = notify_listen(sock);
    if (fd < 0) {
        fail("kiosk: no notify socket at %s", sock);
        return;
    }
    (void)idx;
    char *argv[] = {(char *)bin,
                    "--coordinator",
                    (char *)d->url,
                    "--name",
                    "kiosk",
                    "--state-dir",
                    state,
                    "--font",
                    FONT,
                    "--fps",
                    fps,
                    "--window",
                    size,
                    v->window ? NULL : "--offscreen",
                    NULL};
    setenv("NOTIFY_SOCKET", sock, 1);
    setenv("SDL_AUDIODRIVER", "dummy", 1);
    if (v->window)
        setenv("DISPLAY", xd, 1);
    double t0 = now_ms();
    pid_t pid = spawn(argv, log);
    unsetenv("NOTIFY_SOCKET");
    if (pid < 0) {
        close(fd);
        return;
    }
    int ready = wait_ready(fd, t0 + 20000);
    out->first_ms = now_ms() - t0;
    close(fd);
    unlink(sock);
    if (!ready) {
        fail("kiosk %s: no first frame within 20 s", v->name);
        show_tail(log);
        kill(pid, SIGKILL);
        reap(pid, 5000);
        return;
    }
    while (now_ms() < t0 + warm * 1000.0)
        support_sleep_ms(50);
    long long c0 = cpu_ticks(pid);
    double m0 = now_ms(), pss_sum = 0;
    int samples = 0;
    for (int s = 0; s < measure; s++) {
        while (now_ms() < m0 + (s + 1) * 1000.0)
            support_sleep_ms(20);
        long pss = proc_pss(pid);
        if (pss > 0) {
            pss_sum += (double)pss;
            samples++;
        }
    }
    long long c1 = cpu_ticks(pid);
    double m1 = now_ms();
    kill(pid, SIGTERM);
    int code = reap(pid, 5000);
    if (c0 < 0 || c1 < 0 || !samples || code != 0) {
        fail("kiosk %s: panic-display died or did not stop cleanly (code %d)", v->name, code);
        show_tail(log);
        return;
    }
    out->cpu = 100.0 * (double)(c1 - c0) / (double)sysconf(_SC_CLK_TCK) / ((m1 - m0) / 1000);
    out->pss_mb = pss_sum / samples / 1024;
    out->ok = 1;
}

static const char *kiosk_cell(const struct kiosk_result *r, char *buf, size_t len)
{
    if (!r->ok)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.1f%% / %.0f MB / %.0f ms", r->cpu, r->pss_mb, r->first_ms);
    return buf;
}

/* 1 if the comma-separated list has item. */
static int list_has(const char *list, const char *item)
{
    size_t n = strlen(item);
    for (const char *p = list; *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
        if (strcspn(p, ",") == n && !strncmp(p, item, n))
            return 1;
    }
    return 0;
}

static void bench_kiosk(const struct daemon *d)
{
    static const struct kiosk_variant variants[] = {
        {"offscreen 1920x1080 24 fps", 0, 1920, 1080, 24, 1, 18.7, 462, 2600},
        {"offscreen 1920x1080 60 fps", 0, 1920, 1080, 60, 1, 18.7, 462, 2600},
        {"X11 window 1920x1080 24 fps", 1, 1920, 1080, 24, 1, 18.7, 462, 2600},
        {"X11 window 1920x1080 60 fps", 1, 1920, 1080, 60, 1, 18.7, 462, 2600},
        {"offscreen 1920x1080 24 fps, still (no audio)", 0, 1920, 1080, 24, 0, 0, 0, 0},
        {"X11 window 1920x1080 24 fps, still (no audio)", 1, 1920, 1080, 24, 0, 0, 0, 0},
        {"offscreen 3840x2160 24 fps", 0, 3840, 2160, 24, 1, 0, 0, 0},
        {"X11 window 3840x2160 24 fps", 1, 3840, 2160, 24, 1, 0, 0, 0},
    };
    char after[PATH_MAX];
    snprintf(after, sizeof after, "%s/panic-display", build);
    const char *before = getenv("PANIC_BENCH_BEFORE");
    if (before && access(before, X_OK) < 0) {
        note("kiosk: PANIC_BENCH_BEFORE=%s is not executable: skipped", before);
        before = NULL;
    }
    long long net = kiosk_setup(d);
    if (net < 0)
        return;
    char xvfb[PATH_MAX];
    int have_x = find_in_path("Xvfb", xvfb, sizeof xvfb) == 0;
    if (!have_x)
        note("kiosk: Xvfb is not installed (apt-get install xvfb): no window rows");
    row("kiosk screen (4x4: 10 images, 5 text, 1 audio)",
        "CPU %% of one core / mean PSS / exec to first presented frame; warm-up %d s, "
        "measured %d s",
        kiosk_seconds("PANIC_BENCH_KIOSK_WARM", 15),
        kiosk_seconds("PANIC_BENCH_KIOSK_SECONDS", 30));
    for (size_t i = 0; i < ARRAY_LEN(variants); i++) {
        const struct kiosk_variant *v = &variants[i];
        const char *only = getenv("PANIC_BENCH_KIOSK_VARIANTS"); /* "1,5": just these rows */
        char idx[8];
        snprintf(idx, sizeof idx, "%zu", i + 1);
        if ((v->window && !have_x) || (only && *only && !list_has(only, idx)))
            continue;
        if (kiosk_display(d, net, v->audio) < 0) {
            fail("kiosk: PUT /api/v1/displays/kiosk failed");
            return;
        }
        pid_t xpid = 0;
        int xd = v->window ? xvfb_start(v->w, v->h, &xpid) : 0;
        if (xd < 0) {
            fail("kiosk %s: Xvfb did not start", v->name);
            continue;
        }
        note("kiosk %zu/%zu: %s", i + 1, ARRAY_LEN(variants), v->name);
        struct kiosk_result rb = {0}, ra = {0};
        if (before)
            kiosk_measure(before, d, v, xd, 0, &rb);
        kiosk_measure(after, d, v, xd, 1, &ra);
        xvfb_stop(xpid);
        char b1[64], b2[64], name[96];
        snprintf(name, sizeof name, "  %s", v->name);
        if (before)
            row(name, "before %s -> now %s", kiosk_cell(&rb, b1, sizeof b1),
                kiosk_cell(&ra, b2, sizeof b2));
        else
            row(name, "%s", kiosk_cell(&ra, b2, sizeof b2));
        if (v->chromium_cpu > 0 && ra.ok)
            row("    vs Chromium kiosk (18.7% / 462 MB / 2.6 s, the issue's figures)",
                "%.2fx CPU, %.2fx PSS", ra.cpu / v->chromium_cpu, ra.pss_mb / v->chromium_pss);
    }
    unsetenv("DISPLAY");
}

int main(int argc, char **argv)
{
    bench_name = "bench_display";
    if (argc == 3 && !strcmp(argv[1], "--callgrind-one"))
        return callgrind_one(argv[2]);
    int kiosk_only = argc == 2 && !strcmp(argv[1], "--kiosk");
    if (argc > 1 && !kiosk_only) {
        fprintf(stderr, "usage: bench_display [--kiosk] (from the repository root; "
                        "PANIC_BUILD=dir)\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *b = getenv("PANIC_BUILD");
    snprintf(build, sizeof build, "%s", b && *b ? b : "build");
    char bin[PATH_MAX];
    snprintf(bin, sizeof bin, "%s/panic-display", build);
    if (access(bin, X_OK) < 0 || access(FONT, R_OK) < 0) {
        fprintf(stderr,
                "bench_display: need %s and %s (run from the repository root, set "
                "PANIC_BUILD)\n",
                bin, FONT);
        return 1;
    }
    const char *base = getenv("PANIC_BENCH_DIR");
    if (!base || !*base)
        base = getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    int n = snprintf(root, sizeof root, "%s/panic-bench-display.XXXXXX", base);
    if (n < 0 || (size_t)n >= sizeof root || !mkdtemp(root)) {
        fprintf(stderr, "bench_display: cannot make a temp dir under %s\n", base);
        return 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    double t0 = now_ms();

    if (kiosk_only)
        goto daemon;
    note("1/5 frame time, %d frames each at 1920x1080 and 3840x2160", NFRAMES);
    bench_frames(1920, 1080);
    bench_frames(3840, 2160);
    note("2/5 instructions per frame under callgrind");
    bench_callgrind("1920x1080");
    note("3/5 spectrum");
    bench_spectrum(SPECTRUM_OCTAVE, "octave");
    bench_spectrum(SPECTRUM_THIRD, "third-octave");
daemon:;
    struct daemon d;
    if (daemon_start(&d, NULL) == 0) {
        if (!kiosk_only) {
            note("4/5 panic-display RSS (%d s)", RSS_SECONDS);
            bench_display_rss(&d);
            note("5/5 SSE event to frame, %d runs", NROUNDS);
            bench_sse_to_frame(&d);
        }
        note("6/6 the kiosk screen, offscreen and in a window");
        bench_kiosk(&d);
        int code = daemon_stop(&d, 5000, NULL);
        if (code != 0)
            fail("panicd exited %d after SIGTERM", code);
    } else {
        fail("panicd did not start");
    }
    daemon_cleanup(&d);
    row("bench wall time", "%.1f s", (now_ms() - t0) / 1000);
    print_table();

    support_done();
    curl_global_cleanup();
    SDL_Quit();
    remove_tree(root);
    if (bench_failures())
        fprintf(stderr, "bench_display: %d functional failure(s)\n", bench_failures());
    return bench_failures() ? 1 : 0;
}
