/* render_sdl.c: executes draw lists with SDL_Renderer and SDL_ttf.
 *
 * Glyphs are rasterised once per (size, code point) into small white textures and tinted with
 * SDL_SetTextureColorMod, so steady-state frames allocate nothing. Departure Mono is a pixel font
 * drawn at multiples of 11 px (advance 7/11 of the size), so text lands on whole pixels. Images
 * live in a bounded least-recently-used texture cache keyed by media name; textures are only
 * ever created here, on the frame thread. Depends on SDL2 and SDL2_ttf; knows no layout rules. */
#include "render_sdl.h"
#include "common/util.h"
#include "display/core/damage.h"

#include <SDL_ttf.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAX_SIZES 16
#define IMAGE_BYTES_MAX (160ull << 20) /* textures of decoded pictures, at 4 bytes a pixel */
#define GLYPH_SLOTS 4096

struct glyph {
    int px;
    int opaque; /* drawn only at alpha 255, or only below (see glyph()) */
    Uint32 cp;
    SDL_Texture *tex;
    int w, h;
};

struct image {
    char name[96];
    SDL_Texture *tex;
    int w, h;
    uint64_t used;
};

struct render {
    SDL_Renderer *ren;
    char *font_path;
    struct {
        int px;
        TTF_Font *font;
    } fonts[MAX_SIZES];
    int nfonts;
    struct glyph glyphs[GLYPH_SLOTS];
    struct image *images;
    size_t nimages, max_images;
    uint64_t image_bytes;
    uint64_t tick;
    SDL_Vertex *verts;
    int *indices;
    int cap_verts;
};

struct render *render_new(SDL_Renderer *ren, const char *font_path, size_t max_images, char *err,
                          size_t errlen)
{
    if (TTF_Init() < 0) { /* counted: every render_new pairs with the TTF_Quit of render_free */
        snprintf(err, errlen, "SDL_ttf: %s", TTF_GetError());
        return NULL;
    }
    TTF_Font *probe = TTF_OpenFont(font_path, 11);
    if (!probe) {
        snprintf(err, errlen, "cannot open the font %s: %s", font_path, TTF_GetError());
        TTF_Quit();
        return NULL;
    }
    TTF_CloseFont(probe);
    struct render *r = xcalloc(1, sizeof *r);
    r->ren = ren;
    r->font_path = xstrdup(font_path);
    r->max_images = max_images ? max_images : 64;
    r->images = xcalloc(r->max_images, sizeof *r->images);
    SDL_SetRenderDrawBlendMode(ren, SDL_BLENDMODE_BLEND);
    return r;
}

void render_free(struct render *r)
{
    if (!r)
        return;
    for (int i = 0; i < GLYPH_SLOTS; i++)
        if (r->glyphs[i].tex)
            SDL_DestroyTexture(r->glyphs[i].tex);
    for (size_t i = 0; i < r->nimages; i++)
        SDL_DestroyTexture(r->images[i].tex);
    for (int i = 0; i < r->nfonts; i++)
        TTF_CloseFont(r->fonts[i].font);
    free(r->images);
    free(r->verts);
    free(r->indices);
    free(r->font_path);
    free(r);
    TTF_Quit();
}

static TTF_Font *font_at(struct render *r, int px)
{
    for (int i = 0; i < r->nfonts; i++)
        if (r->fonts[i].px == px)
            return r->fonts[i].font;
    TTF_Font *f = TTF_OpenFont(r->font_path, px);
    if (!f)
        return NULL;
    TTF_SetFontHinting(f, TTF_HINTING_MONO);
    if (r->nfonts == MAX_SIZES) {
        TTF_CloseFont(r->fonts[0].font);
        memmove(r->fonts, r->fonts + 1, sizeof r->fonts[0] * (MAX_SIZES - 1));
        r->nfonts--;
    }
    r->fonts[r->nfonts].px = px;
    r->fonts[r->nfonts].font = f;
    r->nfonts++;
    return f;
}

/* The glyph of cp at px, for text drawn opaque or not. Two textures rather than one: SDL's
 * software blitter rebuilds a texture's blit map, allocating, whenever its alpha modulation
 * switches on or off, and a still frame must not allocate. */
static struct glyph *glyph(struct render *r, int px, Uint32 cp, int opaque)
{
    unsigned h = (cp * 2654435761u) ^ (unsigned)px * 40503u ^ (unsigned)opaque * 0x9e3779b9u;
    for (int probe = 0; probe < 16; probe++) {
        struct glyph *g = &r->glyphs[(h + (unsigned)probe) % GLYPH_SLOTS];
        if (g->tex && g->px == px && g->cp == cp && g->opaque == opaque)
            return g;
        if (!g->tex) {
            TTF_Font *f = font_at(r, px);
            if (!f)
                return NULL;
            SDL_Color white = {255, 255, 255, 255};
            SDL_Surface *s = TTF_RenderGlyph32_Blended(f, cp, white);
            if (!s)
                return NULL;
            g->tex = SDL_CreateTextureFromSurface(r->ren, s);
            g->w = s->w;
            g->h = s->h;
            SDL_FreeSurface(s);
            if (!g->tex)
                return NULL;
            g->px = px;
            g->cp = cp;
            g->opaque = opaque;
            return g;
        }
    }
    return NULL; /* the cache neighbourhood is full: skip this glyph rather than stall */
}

/* Decode one UTF-8 code point (input already validated upstream; be lenient anyway). */
static Uint32 next_cp(const unsigned char **p, const unsigned char *end)
{
    const unsigned char *s = *p;
    Uint32 c = *s++;
    int extra = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
    if (extra)
        c &= (Uint32)(0x3f >> extra);
    while (extra-- > 0 && s < end && (*s & 0xc0) == 0x80)
        c = (c << 6) | (*s++ & 0x3f);
    *p = s;
    return c;
}

static void draw_glyphs(struct render *r, const struct draw_cmd *c, int dx, struct rgba col)
{
    int px = c->u.text.px;
    int advance = px * 7 / 11;
    const unsigned char *p = (const unsigned char *)c->u.text.text;
    const unsigned char *end = p + c->u.text.len;
    int x = c->r.x + dx;
    while (p < end) {
        Uint32 cp = next_cp(&p, end);
        if (cp > ' ') { /* blanks and control characters take one advance, drawn as nothing */
            struct glyph *g = glyph(r, px, cp, col.a == 255);
            if (g) {
                SDL_SetTextureColorMod(g->tex, col.r, col.g, col.b);
                SDL_SetTextureAlphaMod(g->tex, col.a);
                SDL_Rect dst = {x, c->r.y + dx, g->w, g->h};
                SDL_RenderCopy(r->ren, g->tex, NULL, &dst);
            }
        }
        x += advance;
    }
}

static void draw_text(struct render *r, const struct draw_cmd *c)
{
    if (c->u.text.shadow.a)
        draw_glyphs(r, c, DRAWLIST_SHADOW_PX, c->u.text.shadow);
    draw_glyphs(r, c, 0, c->color);
}

static struct image *find_image(struct render *r, const char *name)
{
    for (size_t i = 0; i < r->nimages; i++)
        if (!strcmp(r->images[i].name, name))
            return &r->images[i];
    return NULL;
}

int render_image_size(void *user, const char *media, int *w, int *h)
{
    struct render *r = user;
    struct image *img = find_image(r, media);
    if (!img)
        return 0;
    *w = img->w;
    *h = img->h;
    return 1;
}

size_t render_image_count(const struct render *r)
{
    return r->nimages;
}

int render_add_image(struct render *r, const char *media, SDL_Surface *surface)
{
    SDL_Texture *tex = SDL_CreateTextureFromSurface(r->ren, surface);
    int w = surface->w, h = surface->h;
    SDL_FreeSurface(surface);
    if (!tex)
        return -ENOMEM;
    /* Pictures are drawn opaque (cover-cropped, nothing behind them shows). */
    SDL_SetTextureBlendMode(tex, SDL_BLENDMODE_NONE);
    struct image *slot = find_image(r, media);
    if (slot) {
        SDL_DestroyTexture(slot->tex);
        r->image_bytes -= (uint64_t)slot->w * (uint64_t)slot->h * 4;
    } else {
        /* Evict least recently drawn images while over either bound. */
        uint64_t need = (uint64_t)w * (uint64_t)h * 4;
        while (r->nimages &&
               (r->nimages >= r->max_images || r->image_bytes + need > IMAGE_BYTES_MAX)) {
            struct image *old = &r->images[0];
            for (size_t i = 1; i < r->nimages; i++)
                if (r->images[i].used < old->used)
                    old = &r->images[i];
            SDL_DestroyTexture(old->tex);
            r->image_bytes -= (uint64_t)old->w * (uint64_t)old->h * 4;
            *old = r->images[--r->nimages];
        }
        slot = &r->images[r->nimages++];
    }
    snprintf(slot->name, sizeof slot->name, "%s", media);
    slot->tex = tex;
    slot->w = w;
    slot->h = h;
    slot->used = ++r->tick;
    r->image_bytes += (uint64_t)w * (uint64_t)h * 4;
    return 0;
}

/* audioMotion's "rainbow" colour stops, as flat steps from the centre out (no smooth gradients:
 * they band on the gallery's TVs). */
static const SDL_Color rainbow[] = {
    {0x88, 0x11, 0x77, 255}, {0xaa, 0x33, 0x55, 255}, {0xcc, 0x66, 0x66, 255},
    {0xee, 0x99, 0x44, 255}, {0xee, 0xdd, 0x00, 255}, {0x99, 0xdd, 0x55, 255},
    {0x44, 0xdd, 0x88, 255}, {0x22, 0xcc, 0xbb, 255}, {0x00, 0xbb, 0xcc, 255},
    {0x00, 0x99, 0xcc, 255}, {0x33, 0x66, 0xbb, 255}};
#define NSTEPS ((int)(sizeof rainbow / sizeof rainbow[0]))

/* One bar at angle a (radians, clockwise from up), from radius inner to outer, in steps. */
static int ring_bar(struct render *r, int at, float cx, float cy, float a, float half, float inner,
                    float span, float outer, Uint8 alpha)
{
    float ang[2] = {a - half, a + half};
    for (int s = 0; s < NSTEPS; s++) {
        float r0 = inner + span * (float)s / NSTEPS, r1 = inner + span * (float)(s + 1) / NSTEPS;
        if (r0 >= outer)
            break;
        float rad[2] = {r0, r1 < outer ? r1 : outer};
        SDL_Color col = rainbow[s];
        col.a = alpha;
        for (int k = 0; k < 4; k++) {
            SDL_Vertex *vx = &r->verts[at * 4 + k];
            float an = ang[k & 1], rr = rad[k >> 1];
            vx->position.x = cx + rr * sinf(an);
            vx->position.y = cy - rr * cosf(an);
            vx->color = col;
            vx->tex_coord.x = vx->tex_coord.y = 0;
        }
        static const int quad[6] = {0, 1, 2, 1, 3, 2};
        for (int k = 0; k < 6; k++)
            r->indices[at * 6 + k] = at * 4 + quad[k];
        at++;
    }
    return at;
}

static void draw_ring(struct render *r, const struct draw_cmd *c)
{
    int n = c->u.ring.nbars, bars = c->u.ring.mirror ? 2 * n : n;
    if (n <= 0)
        return;
    if (r->cap_verts < bars * NSTEPS * 4) { /* grows once: steady frames allocate nothing */
        r->cap_verts = bars * NSTEPS * 4;
        r->verts = xrealloc(r->verts, sizeof *r->verts * (size_t)r->cap_verts);
        r->indices = xrealloc(r->indices, sizeof *r->indices * (size_t)bars * NSTEPS * 6);
    }
    float cx = c->r.x + c->r.w / 2.0f, cy = c->r.y + c->r.h / 2.0f;
    float radius = (c->r.w < c->r.h ? c->r.w : c->r.h) / 2.0f;
    float inner = radius * 0.3f, span = radius - inner;
    float step = 2.0f * 3.14159265f / (float)bars, half = step * 0.4f;
    Uint8 alpha = c->color.a ? c->color.a : 255;
    int quads = 0;
    for (int i = 0; i < bars; i++) {
        /* mirrored: bar i of the right half and its reflection on the left */
        int band = !c->u.ring.mirror ? i : i < n ? i : 2 * n - 1 - i;
        float v = c->u.ring.values[band];
        v = v < 0 ? 0 : v > 1 ? 1 : v;
        float outer = inner + span * (0.04f + 0.96f * v);
        float a = c->u.ring.rotation + step * ((float)i + 0.5f);
        quads = ring_bar(r, quads, cx, cy, a, half, inner, span, outer, alpha);
    }
    SDL_RenderGeometry(r->ren, NULL, r->verts, quads * 4, r->indices, quads * 6);
}

static void exec(struct render *r, const struct draw_cmd *c, const SDL_Rect *clip)
{
    SDL_Rect rect = {c->r.x, c->r.y, c->r.w, c->r.h};
    switch (c->kind) {
    case DRAW_RECT:
        /* Blending an opaque fill costs the software renderer ~20x: only blend when needed. */
        SDL_SetRenderDrawBlendMode(r->ren,
                                   c->color.a == 255 ? SDL_BLENDMODE_NONE : SDL_BLENDMODE_BLEND);
        SDL_SetRenderDrawColor(r->ren, c->color.r, c->color.g, c->color.b, c->color.a);
        SDL_RenderFillRect(r->ren, &rect);
        break;
    case DRAW_TEXT:
        draw_text(r, c);
        break;
    case DRAW_IMAGE: {
        struct image *img = find_image(r, c->u.image.media);
        if (!img)
            break;
        img->used = r->tick;
        SDL_Rect src = {c->u.image.src.x, c->u.image.src.y, c->u.image.src.w, c->u.image.src.h};
        SDL_RenderCopy(r->ren, img->tex, src.w > 0 ? &src : NULL, &rect);
        break;
    }
    case DRAW_RING:
        draw_ring(r, c);
        break;
    case DRAW_CLIP: {
        SDL_Rect both;
        if (c->r.w <= 0)
            SDL_RenderSetClipRect(r->ren, clip);
        else if (!clip)
            SDL_RenderSetClipRect(r->ren, &rect);
        else if (SDL_IntersectRect(&rect, clip, &both))
            SDL_RenderSetClipRect(r->ren, &both);
        else /* nothing of the clip is damaged: an empty clip draws nothing */
            SDL_RenderSetClipRect(r->ren, &(SDL_Rect){clip->x, clip->y, 0, 0});
        break;
    }
    }
}

void render_draw(struct render *r, const struct drawlist *dl)
{
    r->tick++;
    for (size_t i = 0; i < dl->n; i++)
        exec(r, &dl->cmds[i], NULL);
    SDL_RenderSetClipRect(r->ren, NULL);
}

void render_draw_rects(struct render *r, const struct drawlist *dl, const struct rect *rects,
                       int nrects)
{
    r->tick++;
    for (int k = 0; k < nrects; k++) {
        SDL_Rect clip = {rects[k].x, rects[k].y, rects[k].w, rects[k].h};
        SDL_RenderSetClipRect(r->ren, &clip);
        for (size_t i = 0; i < dl->n; i++) {
            const struct draw_cmd *c = &dl->cmds[i];
            if (c->kind == DRAW_CLIP || damage_intersects(draw_bounds(c), rects[k]))
                exec(r, c, &clip);
        }
    }
    SDL_RenderSetClipRect(r->ren, NULL);
}
