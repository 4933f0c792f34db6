/* test_damage.c: drawing only what changed. The damage of each kind of change, computed on real
 * layout draw lists (a change outside a cell damages nothing inside it); a scripted minute of
 * events drawn twice, in full every frame and by damage rects only, with the frames compared
 * pixel for pixel in memory (SDL's software renderer on surfaces, no display server); and the
 * frame path of panic-display (screen.c on SDL's offscreen video driver) counted for heap
 * allocations over 1,000 frames. */
#include "display/core/app.h"
#include "display/core/damage.h"
#include "display/core/layout.h"
#include "display/render_sdl.h"
#include "display/screen.h"
#include "test.h"

#include <SDL.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
/* From the sanitizer runtime (sanitizer/allocator_interface.h, not always installed). */
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
                                              void (*free_hook)(const volatile void *));
#define COUNT_ALLOCS 1
#elif !defined(__SANITIZE_THREAD__)
#define COUNT_ALLOCS 2
#endif

#define W 640
#define H 360
#define FONT "fonts/DepartureMono-Regular.otf"
#define IMG_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.png"
#define IMG_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.png"

/* ---- counting allocations ---- */

static volatile long allocs;
static volatile int counting;

#if COUNT_ALLOCS == 1
static void on_malloc(const volatile void *p, size_t n)
{
    (void)p;
    (void)n;
    if (counting)
        allocs++;
}
static void on_free(const volatile void *p)
{
    (void)p;
}
static void count_start(void)
{
    __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
}
#elif COUNT_ALLOCS == 2
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
void *malloc(size_t n)
{
    if (counting)
        allocs++;
    return __libc_malloc(n);
}
void *calloc(size_t n, size_t size)
{
    if (counting)
        allocs++;
    return __libc_calloc(n, size);
}
void *realloc(void *p, size_t n)
{
    if (counting)
        allocs++;
    return __libc_realloc(p, n);
}
static void count_start(void)
{
}
#endif

/* ---- a scene ---- */

static int fake_image_size(void *user, const char *media, int *w, int *h)
{
    (void)user;
    if (strcmp(media, IMG_A) && strcmp(media, IMG_B))
        return 0;
    *w = 400;
    *h = 300;
    return 1;
}

static struct app *new_app(void)
{
    struct app *a = calloc(1, sizeof *a);
    app_init(a, "test");
    struct display_config c = {.network = 1,
                               .mode = DISPLAY_MODE_GRID,
                               .rows = 2,
                               .cols = 2,
                               .stride = 1,
                               .show_invoking = 1,
                               .audio = 1};
    app_set_config(a, &c, 0);
    app_set_run(a, 5, "a prompt", 0);
    app_set_online(a, 1, 0);
    snprintf(a->network_name, sizeof a->network_name, "damage");
    return a;
}

static void put(struct app *a, int64_t run, int64_t seq, enum cell_kind kind, const char *text,
                const char *media, int64_t now)
{
    static struct app_inv inv;
    memset(&inv, 0, sizeof inv);
    inv.id = run * 100 + seq + 1;
    inv.run = run;
    inv.seq = seq;
    inv.kind = kind;
    snprintf(inv.model, sizeof inv.model, "dummy");
    if (text)
        snprintf(inv.text, sizeof inv.text, "%s", text);
    if (media)
        snprintf(inv.media, sizeof inv.media, "%s", media);
    app_put_invocation(a, &inv, now);
}

static float bars[10];

static void set_bars(long frame)
{
    for (int i = 0; i < 10; i++)
        bars[i] = 0.5f + 0.45f * sinf(0.3f * (float)frame + (float)i);
}

static struct layout_env env_at(const struct app *a, int64_t now,
                                int (*size)(void *, const char *, int *, int *), void *user,
                                float rotation)
{
    return (struct layout_env){.w = W,
                               .h = H,
                               .now = now,
                               .image_size = size,
                               .user = user,
                               .bars = bars,
                               .nbars = 10,
                               .ring_rotation = rotation,
                               .audible_cell = app_audible_cell(a),
                               .hud_line = ""};
}

/* Lay out a at now and diff against the previous list; the damage. */
static const struct damage *step(struct damage *d, struct drawlist *dl, const struct app *a,
                                 int64_t now, float rotation)
{
    struct layout_env env = env_at(a, now, fake_image_size, NULL, rotation);
    layout_frame(a, &env, dl);
    damage_diff(d, dl, W, H);
    return d;
}

static int inside(struct rect outer, struct rect r)
{
    return r.x >= outer.x && r.y >= outer.y && r.x + r.w <= outer.x + outer.w &&
           r.y + r.h <= outer.y + outer.h;
}

/* Every damage rect inside cell, or (cell < 0) none touching any cell. */
static int damage_within(const struct damage *d, const struct app *a, int cell)
{
    for (int i = 0; i < d->n; i++) {
        if (cell >= 0 && !inside(layout_cell_rect(a, W, H, cell), d->rects[i]))
            return 0;
        for (int k = 0; k < 4; k++)
            if (k != cell && damage_intersects(d->rects[i], layout_cell_rect(a, W, H, k)))
                return 0;
    }
    return 1;
}

TEST(damage_per_kind_of_change)
{
    static struct damage d;
    static struct drawlist dl;
    struct app *a = new_app();
    damage_init(&d);
    put(a, 5, 0, CELL_TEXT, "words *in* a cell", NULL, 0);
    put(a, 5, 1, CELL_IMAGE, NULL, IMG_A, 0);
    put(a, 5, 2, CELL_INVOKING, NULL, NULL, 0);
    put(a, 5, 3, CELL_AUDIO, NULL, "cccc.wav", 0);
    set_bars(0);
    step(&d, &dl, a, 0, 0);
    CHECK_EQ_INT(d.n, 1); /* the first frame: everything */
    CHECK(d.rects[0].w == W && d.rects[0].h == H);

    /* Nothing changed (same time, same bars): nothing to draw. */
    step(&d, &dl, a, 0, 0);
    CHECK_EQ_INT(d.n, 0);

    /* The breathing "P!" moves on: only inside the invoking cell. */
    step(&d, &dl, a, 700, 0);
    CHECK(d.n >= 1);
    CHECK(damage_within(&d, a, 2));

    /* The visualiser turns: only inside the audio cell. */
    set_bars(1);
    step(&d, &dl, a, 700, 0.1f);
    CHECK(d.n >= 1);
    CHECK(damage_within(&d, a, 3));

    /* The HUD changes (a new seq in the status): only the HUD's overlay, over the bottom-left
     * cell; nothing in the other cells. */
    struct app_status st = {.run = 5, .seq = 3};
    snprintf(st.state, sizeof st.state, "processing");
    app_set_status(a, &st, 700);
    step(&d, &dl, a, 700, 0.1f);
    CHECK(d.n >= 1);
    struct rect hud = layout_hud_rect(a, W, H);
    struct rect hud_box = {hud.x - 3, hud.y - 3, hud.w + 6, hud.h + 6};
    for (int i = 0; i < d.n; i++) {
        CHECK(inside(hud_box, d.rects[i]));
        for (int k = 0; k < 4; k++)
            if (k != 2)
                CHECK(!damage_intersects(d.rects[i], layout_cell_rect(a, W, H, k)));
    }

    /* A cell's content changes: only that cell. */
    put(a, 5, 0, CELL_TEXT, "other words in the cell", NULL, 700);
    step(&d, &dl, a, 700, 0.1f);
    CHECK(d.n >= 1);
    CHECK(damage_within(&d, a, 0));

    /* An image arrives in place of another: the whole picture, nothing else. */
    put(a, 5, 1, CELL_IMAGE, NULL, IMG_B, 700);
    step(&d, &dl, a, 700, 0.1f);
    CHECK_EQ_INT(d.n, 1);
    CHECK(damage_within(&d, a, 1));
    struct rect c1 = layout_cell_rect(a, W, H, 1);
    CHECK(inside(d.rects[0], c1));

    /* Offline: the dot in the corner (over cell 1) and the HUD (over cell 2); cells 0 and 3
     * untouched. */
    app_set_online(a, 0, 800);
    step(&d, &dl, a, 700, 0.1f);
    CHECK(d.n >= 1);
    for (int i = 0; i < d.n; i++) {
        CHECK(!damage_intersects(d.rects[i], layout_cell_rect(a, W, H, 0)));
        CHECK(!damage_intersects(d.rects[i], layout_cell_rect(a, W, H, 3)));
    }

    /* A forced full redraw (expose, resize, safety interval). */
    damage_force_full(&d);
    step(&d, &dl, a, 700, 0.1f);
    CHECK_EQ_INT(d.n, 1);
    CHECK(d.rects[0].w == W && d.rects[0].h == H);
    free(a);
}

/* A damage rect touching part of a picture grows over all of it. */
TEST(damage_grows_over_pictures)
{
    static struct damage d;
    static struct drawlist dl;
    damage_init(&d);
    drawlist_clear(&dl);
    struct draw_cmd *bg = drawlist_add(&dl, DRAW_RECT);
    bg->r = (struct rect){0, 0, W, H};
    struct draw_cmd *img = drawlist_add(&dl, DRAW_IMAGE);
    img->r = (struct rect){100, 100, 200, 100};
    img->u.image.media = IMG_A;
    damage_diff(&d, &dl, W, H);
    struct draw_cmd *dot = drawlist_add(&dl, DRAW_RECT);
    dot->r = (struct rect){290, 95, 20, 20}; /* overlaps the picture's corner */
    damage_diff(&d, &dl, W, H);
    REQUIRE_EQ_INT(d.n, 1);
    CHECK(inside(d.rects[0], img->r));
    CHECK(inside(d.rects[0], dot->r));
}

/* ---- the same pixels with and without damage tracking ---- */

struct pair {
    SDL_Surface *full_s, *dmg_s;
    SDL_Renderer *full_r, *dmg_r;
    struct render *full, *dmg;
};

static SDL_Surface *picture(Uint8 r, Uint8 g, Uint8 b)
{
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, 400, 300, 32, SDL_PIXELFORMAT_ARGB8888);
    SDL_FillRect(s, NULL, SDL_MapRGB(s->format, r, g, b));
    for (int k = 0; k < 12; k++) {
        SDL_Rect q = {k * 31 % 380, k * 23 % 280, 7 + k * 5, 5 + k * 3};
        SDL_FillRect(s, &q, SDL_MapRGB(s->format, (Uint8)(k * 20), (Uint8)(255 - k * 20), 90));
    }
    return s;
}

static int pair_open(struct pair *p)
{
    char err[256];
    p->full_s = SDL_CreateRGBSurfaceWithFormat(0, W, H, 32, SDL_PIXELFORMAT_ARGB8888);
    p->dmg_s = SDL_CreateRGBSurfaceWithFormat(0, W, H, 32, SDL_PIXELFORMAT_ARGB8888);
    p->full_r = SDL_CreateSoftwareRenderer(p->full_s);
    p->dmg_r = SDL_CreateSoftwareRenderer(p->dmg_s);
    p->full = render_new(p->full_r, FONT, 16, err, sizeof err);
    p->dmg = render_new(p->dmg_r, FONT, 16, err, sizeof err);
    if (!p->full || !p->dmg)
        return -1;
    SDL_FillRect(p->dmg_s, NULL, SDL_MapRGB(p->dmg_s->format, 255, 0, 255)); /* never shown */
    render_add_image(p->full, IMG_A, picture(200, 40, 40));
    render_add_image(p->dmg, IMG_A, picture(200, 40, 40));
    render_add_image(p->full, IMG_B, picture(40, 40, 200));
    render_add_image(p->dmg, IMG_B, picture(40, 40, 200));
    return 0;
}

static void pair_close(struct pair *p)
{
    render_free(p->full);
    render_free(p->dmg);
    SDL_DestroyRenderer(p->full_r);
    SDL_DestroyRenderer(p->dmg_r);
    SDL_FreeSurface(p->full_s);
    SDL_FreeSurface(p->dmg_s);
}

static const char *const texts[] = {
    "The camera looks at the screen that shows what it saw a moment ago.",
    "# A heading\n\nSome **strong** words, some *emphasis*, and `code`.\n\n- one\n- two",
    "a harbour at dusk becomes a painting of a harbour, the painting becomes a description",
    "short",
};

/* One scripted event per second of a minute: cells arriving, states changing, the status, the
 * lockout countdown, going offline and back, a banner, a new grid, a new run. */
static void script(struct app *a, int s, int64_t now)
{
    struct app_status st = {.run = a->run, .seq = s};
    snprintf(st.state, sizeof st.state, "processing");
    int64_t run = a->run;
    switch (s % 60) {
    case 1:
    case 9:
    case 41:
        put(a, run, s % 4, CELL_INVOKING, NULL, NULL, now);
        break;
    case 3:
    case 12:
    case 44:
        put(a, run, s % 4, CELL_TEXT, texts[s % 4], NULL, now);
        break;
    case 5:
    case 14:
    case 50:
        put(a, run, (s + 1) % 4, CELL_IMAGE, NULL, s % 2 ? IMG_A : IMG_B, now);
        break;
    case 7:
    case 46:
        put(a, run, 3, CELL_AUDIO, NULL, "cccc.wav", now);
        break;
    case 11:
        put(a, run, 2, CELL_FAILED, NULL, NULL, now);
        break;
    case 16:
    case 20:
    case 33:
        app_set_status(a, &st, now);
        break;
    case 18:
        st.lockout_until = now + 9000;
        snprintf(st.state, sizeof st.state, "lockout");
        app_set_status(a, &st, now);
        break;
    case 22:
        app_set_online(a, 0, now);
        break;
    case 25:
        app_set_online(a, 1, now);
        break;
    case 27:
        snprintf(a->message, sizeof a->message, "ready in 12 s");
        a->message_until = now + 2500;
        break;
    case 30: {
        struct display_config c = a->cfg;
        c.rows = 3;
        c.cols = 3;
        app_set_config(a, &c, now);
        break;
    }
    case 36: {
        struct display_config c = a->cfg;
        c.rows = 2;
        c.cols = 2;
        app_set_config(a, &c, now);
        break;
    }
    case 38:
        app_set_run(a, run + 1, "another prompt", now);
        break;
    case 55:
        snprintf(a->prompt_url, sizeof a->prompt_url, "http://panic.local/t");
        break;
    }
}

TEST(damage_frames_equal_full_frames_for_a_minute)
{
    struct pair p = {0};
    static struct damage d;
    static struct drawlist dl;
    REQUIRE(pair_open(&p) == 0);
    struct app *a = new_app();
    damage_init(&d);
    const int fps = 12;
    long frames = 0, differing = 0, partial = 0, drawn_px = 0;
    unsigned char qr[21 * 21];
    for (int i = 0; i < 21 * 21; i++)
        qr[i] = (unsigned char)((i * 7 + i / 21) % 3 == 0);
    for (int s = 0; s < 60; s++) {
        script(a, s, (int64_t)s * 1000);
        for (int f = 0; f < fps; f++, frames++) {
            int64_t now = (int64_t)s * 1000 + f * 1000 / fps;
            set_bars(frames);
            struct layout_env env =
                env_at(a, now, render_image_size, p.full, 0.05f * (float)frames);
            env.qr = a->prompt_url[0] ? qr : NULL;
            env.qr_width = 21;
            layout_frame(a, &env, &dl);
            SDL_SetRenderDrawColor(p.full_r, 0x18, 0x18, 0x1b, 0xff);
            SDL_RenderClear(p.full_r);
            render_draw(p.full, &dl);
            SDL_RenderFlush(p.full_r);
            damage_diff(&d, &dl, W, H);
            render_draw_rects(p.dmg, &dl, d.rects, d.n);
            SDL_RenderFlush(p.dmg_r);
            for (int i = 0; i < d.n; i++)
                drawn_px += (long)d.rects[i].w * d.rects[i].h;
            partial += d.n > 0 && !(d.rects[0].w == W && d.rects[0].h == H);
            for (int y = 0; y < H; y++) {
                if (memcmp((Uint8 *)p.full_s->pixels + y * p.full_s->pitch,
                           (Uint8 *)p.dmg_s->pixels + y * p.dmg_s->pitch, W * 4)) {
                    if (!differing++)
                        printf("  frame %ld (t=%lld ms) differs first at row %d\n", frames,
                               (long long)now, y);
                    break;
                }
            }
        }
    }
    CHECK_EQ_INT(differing, 0);
    /* And it did draw less: most frames were partial, under a third of the pixels in all. */
    CHECK(partial > frames / 2);
    CHECK(drawn_px < (long)frames * W * H / 3);
    printf("  %ld frames, %ld partial, %.1f%% of the pixels drawn\n", frames, partial,
           100.0 * (double)drawn_px / ((double)frames * W * H));
    free(a);
    pair_close(&p);
}

/* ---- no allocation per frame ---- */

TEST(frames_allocate_nothing)
{
#ifndef COUNT_ALLOCS
    printf("  skipped: allocations are not counted under this sanitizer\n");
#else
    char err[256];
    struct screen_options so = {.offscreen = 1, .win_w = W, .win_h = H};
    struct screen *sc = screen_open(&so, err, sizeof err);
    REQUIRE(sc != NULL);
    struct render *r = render_new(screen_renderer(sc), FONT, 16, err, sizeof err);
    REQUIRE(r != NULL);
    render_add_image(r, IMG_A, picture(200, 40, 40));
    struct app *a = new_app();
    static struct drawlist dl;
    put(a, 5, 0, CELL_TEXT, texts[0], NULL, 0);
    put(a, 5, 1, CELL_IMAGE, NULL, IMG_A, 0);
    put(a, 5, 2, CELL_INVOKING, NULL, NULL, 0);
    put(a, 5, 3, CELL_AUDIO, NULL, "cccc.wav", 0);
    struct app_status st = {.run = 5, .seq = 3, .lockout_until = 60000};
    snprintf(st.state, sizeof st.state, "lockout");
    app_set_status(a, &st, 0);
    long drawn = 0;
    count_start();
    /* The same 1,000 frames twice: the first pass rasterises every glyph the scene needs (the
     * countdown brings new digits), the second is counted. */
    for (long f = 0; f < 2000; f++) {
        if (f == 1000) {
            counting = 1;
            drawn = 0;
        }
        if (f % 250 == 0)
            screen_force_full(sc);
        set_bars(f % 1000);
        struct layout_env env =
            env_at(a, (f % 1000) * 42, render_image_size, r, 0.05f * (float)(f % 1000));
        layout_frame(a, &env, &dl);
        drawn += screen_frame(sc, r, &dl, NULL) > 0;
    }
    counting = 0;
    printf("  %ld allocations in 1000 frames (%ld drawn)\n", (long)allocs, drawn);
    CHECK_EQ_INT(allocs, 0);
    CHECK(drawn >= 900);
    free(a);
    render_free(r);
    screen_close(sc);
#endif
}

static Uint32 at(SDL_Surface *s, int x, int y)
{
    return ((Uint32 *)((Uint8 *)s->pixels + y * s->pitch))[x] & 0xffffff;
}

/* Rotated screens: the window shows the logical frame turned clockwise, damage rects too. */
TEST(rotated_frames_reach_the_window_turned)
{
    static const int turns[] = {90, 180, 270};
    static struct drawlist dl;
    for (size_t t = 0; t < sizeof turns / sizeof turns[0]; t++) {
        char err[256];
        int rot = turns[t];
        struct screen_options so = {.offscreen = 1, .win_w = 320, .win_h = 180, .rotate = rot};
        struct screen *sc = screen_open(&so, err, sizeof err);
        REQUIRE(sc != NULL);
        struct render *r = render_new(screen_renderer(sc), FONT, 4, err, sizeof err);
        REQUIRE(r != NULL);
        int lw, lh;
        screen_size(sc, &lw, &lh);
        CHECK_EQ_INT(lw, rot == 180 ? 320 : 180);
        for (int frame = 0; frame < 2; frame++) {
            drawlist_clear(&dl);
            struct draw_cmd *c = drawlist_add(&dl, DRAW_RECT);
            c->r = (struct rect){0, 0, lw, lh};
            c->color = (struct rgba){0x18, 0x18, 0x1b, 0xff};
            c = drawlist_add(&dl, DRAW_RECT); /* a marker in the top-left, moving on frame 2 */
            c->r = (struct rect){frame * 10, 0, 10, 5};
            c->color = (struct rgba){0xff, 0, 0, 0xff};
            CHECK(screen_frame(sc, r, &dl, NULL) >= 1);
        }
        SDL_Surface *ws = SDL_GetWindowSurface(screen_window(sc));
        SDL_Surface *ls = screen_surface(sc);
        REQUIRE(ws != NULL && ls != NULL);
        long wrong = 0;
        for (int y = 0; y < lh; y++)
            for (int x = 0; x < lw; x++) {
                int wx = rot == 90 ? lh - 1 - y : rot == 180 ? lw - 1 - x : y;
                int wy = rot == 90 ? x : rot == 180 ? lh - 1 - y : lw - 1 - x;
                wrong += at(ls, x, y) != at(ws, wx, wy);
            }
        CHECK_EQ_INT(wrong, 0);
        CHECK_EQ_INT(at(ls, 12, 1), 0xff0000);
        CHECK_EQ_INT(at(ls, 2, 1), 0x18181b); /* erased where the marker was */
        render_free(r);
        screen_close(sc);
    }
}

int main(void)
{
    setenv("SDL_VIDEODRIVER", "offscreen", 1);
    SDL_SetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0");
    SDL_SetHint(SDL_HINT_RENDER_DRIVER, "software");
    if (SDL_Init(SDL_INIT_VIDEO) < 0) {
        printf("SDL: %s\n", SDL_GetError());
        return 1;
    }
    RUN(damage_per_kind_of_change);
    RUN(damage_grows_over_pictures);
    RUN(damage_frames_equal_full_frames_for_a_minute);
    RUN(frames_allocate_nothing);
    RUN(rotated_frames_reach_the_window_turned);
    SDL_Quit();
    TEST_END("test_damage");
}
