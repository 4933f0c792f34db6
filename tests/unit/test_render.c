/* test_render.c: real frames from the real renderer. The app state is set by hand, laid out,
 * drawn with SDL's software renderer into a surface (no window, no display server), saved as
 * PNG under build/, and checked: the colour of each cell state, text pixels inside their cell
 * only, images cover-cropped into their cell. */
#include "display/core/app.h"
#include "display/core/layout.h"
#include "display/render_sdl.h"
#include "test.h"

#include <SDL.h>
#include <SDL_image.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define W 960
#define H 540
#define FONT "fonts/DepartureMono-Regular.otf"

struct frame {
    SDL_Surface *surface;
    SDL_Renderer *ren;
    struct render *render;
    struct drawlist dl;
};

static struct frame *frame_new(void)
{
    struct frame *f = calloc(1, sizeof *f);
    f->surface = SDL_CreateRGBSurfaceWithFormat(0, W, H, 32, SDL_PIXELFORMAT_ARGB8888);
    f->ren = SDL_CreateSoftwareRenderer(f->surface);
    char err[256];
    f->render = render_new(f->ren, FONT, 16, err, sizeof err);
    if (!f->render)
        printf("  render_new: %s\n", err);
    return f;
}

static void frame_free(struct frame *f)
{
    render_free(f->render);
    SDL_DestroyRenderer(f->ren);
    SDL_FreeSurface(f->surface);
    free(f);
}

static void draw(struct frame *f, const struct app *a, int64_t now, const char *png)
{
    struct layout_env env = {.w = W,
                             .h = H,
                             .now = now,
                             .image_size = render_image_size,
                             .user = f->render,
                             .audible_cell = -1};
    layout_frame(a, &env, &f->dl);
    SDL_SetRenderDrawColor(f->ren, 0x18, 0x18, 0x1b, 0xff);
    SDL_RenderClear(f->ren);
    render_draw(f->render, &f->dl);
    SDL_RenderPresent(f->ren);
    mkdir("build", 0755);
    mkdir("build/test-frames", 0755);
    char path[256];
    snprintf(path, sizeof path, "build/test-frames/%s.png", png);
    IMG_SavePNG(f->surface, path);
}

static Uint32 pixel(struct frame *f, int x, int y)
{
    Uint32 *row = (Uint32 *)((Uint8 *)f->surface->pixels + y * f->surface->pitch);
    return row[x] & 0xffffff;
}

/* Fraction of pixels in r whose colour is rgb. */
static double share(struct frame *f, struct rect r, Uint32 rgb)
{
    long hit = 0, all = 0;
    for (int y = r.y; y < r.y + r.h; y++)
        for (int x = r.x; x < r.x + r.w; x++, all++)
            hit += pixel(f, x, y) == rgb;
    return all ? (double)hit / (double)all : 0;
}

static struct app *grid_app(void)
{
    struct app *a = calloc(1, sizeof *a);
    app_init(a, "test");
    struct display_config c = {.network = 1,
                               .mode = DISPLAY_MODE_GRID,
                               .rows = 2,
                               .cols = 2,
                               .stride = 1,
                               .show_invoking = 1,
                               .audio = 0};
    app_set_config(a, &c, 0);
    app_set_run(a, 5, "a prompt", 0);
    a->online = 1;
    return a;
}

static void put(struct app *a, int64_t seq, enum cell_kind kind, const char *text,
                const char *media)
{
    struct app_inv inv = {.id = seq + 1, .run = 5, .seq = seq, .kind = kind};
    snprintf(inv.model, sizeof inv.model, "dummy-t2t");
    if (text)
        snprintf(inv.text, sizeof inv.text, "%s", text);
    if (media)
        snprintf(inv.media, sizeof inv.media, "%s", media);
    app_put_invocation(a, &inv, 0);
}

TEST(cell_states_have_their_colours)
{
    struct frame *f = frame_new();
    struct app *a = grid_app();
    put(a, 0, CELL_INVOKING, NULL, NULL);
    put(a, 1, CELL_FAILED, NULL, NULL);
    put(a, 2, CELL_TEXT, "the quick brown fox jumps over the lazy dog", NULL);
    draw(f, a, 1500, "states");
    struct rect c0 = layout_cell_rect(a, W, H, 0), c1 = layout_cell_rect(a, W, H, 1),
                c2 = layout_cell_rect(a, W, H, 2), c3 = layout_cell_rect(a, W, H, 3);
    CHECK(share(f, c0, 0xf43f5e) > 0.6); /* rose, with the P! on top */
    CHECK(share(f, c1, 0x4c0519) > 0.99);
    CHECK(share(f, c2, 0x27272a) > 0.5);
    CHECK(share(f, c2, 0xd8b4fe) > 0.005); /* the text is drawn */
    CHECK(share(f, c3, 0x18181b) > 0.5);   /* empty: background and its placeholder */
    CHECK(share(f, c3, 0x27272a) < 0.01);
    free(a);
    frame_free(f);
}

TEST(text_stays_inside_its_cell)
{
    struct frame *f = frame_new();
    struct app *a = grid_app();
    char long_text[3000];
    for (size_t i = 0; i < sizeof long_text - 1; i++)
        long_text[i] = "abcdefghij klmnopqrstuvwxyz\n"[i % 28];
    long_text[sizeof long_text - 1] = '\0';
    put(a, 2, CELL_TEXT, long_text, NULL);
    draw(f, a, 0, "long-text");
    struct rect c2 = layout_cell_rect(a, W, H, 2);
    long outside = 0, inside = 0;
    for (int y = 0; y < H; y++) {
        for (int x = 0; x < W; x++) {
            if (pixel(f, x, y) != 0xd8b4fe)
                continue;
            int in = x >= c2.x && x < c2.x + c2.w && y >= c2.y && y < c2.y + c2.h;
            in ? inside++ : outside++;
        }
    }
    CHECK(inside > 1000);
    /* The HUD may use purple text too, but never inside another cell. */
    for (int cell = 0; cell < 4; cell++) {
        if (cell == 2)
            continue;
        CHECK(share(f, layout_cell_rect(a, W, H, cell), 0xd8b4fe) == 0);
    }
    free(a);
    frame_free(f);
}

TEST(images_are_cover_cropped_into_their_cell)
{
    struct frame *f = frame_new();
    struct app *a = grid_app();
    /* A square image: left half green, right half blue, with a red band at the top 10%. */
    SDL_Surface *img = SDL_CreateRGBSurfaceWithFormat(0, 400, 400, 32, SDL_PIXELFORMAT_ARGB8888);
    SDL_Rect left = {0, 0, 200, 400}, right = {200, 0, 200, 400}, top = {0, 0, 400, 40};
    SDL_FillRect(img, &left, SDL_MapRGB(img->format, 0, 255, 0));
    SDL_FillRect(img, &right, SDL_MapRGB(img->format, 0, 0, 255));
    SDL_FillRect(img, &top, SDL_MapRGB(img->format, 255, 0, 0));
    const char *name = "0000000000000000000000000000000000000000000000000000000000000000.png";
    CHECK_EQ_INT(render_add_image(f->render, name, img), 0);
    put(a, 3, CELL_IMAGE, NULL, name);
    draw(f, a, 0, "image");
    struct rect c3 = layout_cell_rect(a, W, H, 3);
    /* 16:9 cover of a square crops the top and bottom: the red band is cut off. */
    CHECK(share(f, c3, 0xff0000) < 0.01);
    struct rect lh = {c3.x + 2, c3.y + 2, c3.w / 2 - 4, c3.h - 4};
    struct rect rh = {c3.x + c3.w / 2 + 2, c3.y + 2, c3.w / 2 - 4, c3.h - 4};
    CHECK(share(f, lh, 0x00ff00) > 0.95);
    CHECK(share(f, rh, 0x0000ff) > 0.95);
    /* Nothing of the image outside the cell. */
    CHECK(share(f, layout_cell_rect(a, W, H, 0), 0x00ff00) == 0);
    free(a);
    frame_free(f);
}

TEST(offline_indicator_keeps_last_content)
{
    struct frame *f = frame_new();
    struct app *a = grid_app();
    put(a, 1, CELL_FAILED, NULL, NULL);
    app_set_online(a, 0, 100);
    draw(f, a, 200, "offline");
    CHECK(share(f, layout_cell_rect(a, W, H, 1), 0x4c0519) > 0.99);
    CHECK(share(f, layout_offline_rect(W, H), 0xf43f5e) > 0.5);
    app_set_online(a, 1, 300);
    draw(f, a, 300, "online");
    CHECK(share(f, layout_offline_rect(W, H), 0xf43f5e) < 0.01);
    free(a);
    frame_free(f);
}

/* Markdown on a real frame: the shadow's purple-900 right below and right of the glyphs, strong
 * words brighter, no marker characters drawn. */
TEST(markdown_text_on_a_real_frame)
{
    struct frame *f = frame_new();
    struct app *a = grid_app();
    put(a, 0, CELL_TEXT, "**STRONG** plain", NULL);
    draw(f, a, 0, "markdown");
    struct rect c0 = layout_cell_rect(a, W, H, 0);
    double area = (double)c0.w * c0.h;
    CHECK(share(f, c0, 0x581c87) * area > 50); /* the shadow */
    CHECK(share(f, c0, 0xf3e8ff) * area > 50); /* strong */
    CHECK(share(f, c0, 0xd8b4fe) * area > 50); /* plain */
    /* a shadow pixel sits 2 px down-right of a glyph pixel somewhere */
    long paired = 0;
    for (int y = c0.y; y < c0.y + c0.h - 2; y++)
        for (int x = c0.x; x < c0.x + c0.w - 2; x++)
            paired += pixel(f, x, y) == 0xd8b4fe && pixel(f, x + 2, y + 2) == 0x581c87;
    CHECK(paired > 10);
    free(a);
    frame_free(f);
}

/* The visualiser: a mirrored ring of bars in rainbow steps from the centre out, symmetric about
 * the vertical axis when not turned. */
TEST(ring_is_a_mirrored_rainbow)
{
    struct frame *f = frame_new();
    static const float values[10] = {0.9f, 0.7f, 0.5f, 0.8f, 0.6f, 0.4f, 0.7f, 0.3f, 0.5f, 0.2f};
    drawlist_clear(&f->dl);
    struct draw_cmd *bg = drawlist_add(&f->dl, DRAW_RECT);
    bg->r = (struct rect){0, 0, W, H};
    bg->color = LAYOUT_EMERALD_800;
    struct draw_cmd *c = drawlist_add(&f->dl, DRAW_RING);
    c->r = (struct rect){W / 2 - 200, H / 2 - 200, 400, 400};
    c->u.ring.values = values;
    c->u.ring.nbars = 10;
    c->u.ring.mirror = 1;
    render_draw(f->render, &f->dl);
    SDL_RenderPresent(f->ren);
    mkdir("build/test-frames", 0755);
    IMG_SavePNG(f->surface, "build/test-frames/ring.png");
    struct rect all = {0, 0, W, H};
    CHECK(share(f, all, 0x881177) > 0.001);  /* the first stop, near the centre */
    CHECK(share(f, all, 0xeedd00) > 0.001);  /* a middle one */
    CHECK(share(f, all, 0x0099cc) > 0.0001); /* near the tips of the tallest bars */
    long left = 0, right = 0, mismatched = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W / 2; x++) {
            int l = pixel(f, x, y) != 0x065f46, r = pixel(f, W - 1 - x, y) != 0x065f46;
            left += l;
            right += r;
            mismatched += l != r;
        }
    printf("  ring pixels left %ld right %ld, %ld unmatched in the mirror\n", left, right,
           mismatched);
    CHECK(left > 10000);
    CHECK(labs(left - right) < left / 50);
    CHECK(mismatched < left / 10); /* edge pixels of the rasterised quads */
    frame_free(f);
}

int main(void)
{
    if (SDL_Init(0) < 0 || IMG_Init(IMG_INIT_PNG) == 0) {
        printf("SDL: %s\n", SDL_GetError());
        return 1;
    }
    RUN(cell_states_have_their_colours);
    RUN(text_stays_inside_its_cell);
    RUN(images_are_cover_cropped_into_their_cell);
    RUN(offline_indicator_keeps_last_content);
    RUN(markdown_text_on_a_real_frame);
    RUN(ring_is_a_mirrored_rainbow);
    IMG_Quit();
    SDL_Quit();
    TEST_END("test_render");
}
