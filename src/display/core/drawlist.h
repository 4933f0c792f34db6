/* drawlist.h: the seam between layout and rendering. Layout code (pure) appends commands to a
 * fixed-capacity list; render_sdl.c is the only code that turns them into SDL calls. Tests assert
 * on the list. Strings and arrays in commands are borrowed from the app state and valid until the
 * state next changes (the renderer runs right after layout, in the same frame). */
#ifndef PANIC_DRAWLIST_H
#define PANIC_DRAWLIST_H

#include <stddef.h>
#include <stdint.h>

struct rgba {
    uint8_t r, g, b, a;
};

struct rect {
    int x, y, w, h;
};

enum draw_kind {
    DRAW_RECT,  /* filled rectangle in color */
    DRAW_TEXT,  /* one line of Departure Mono: text[0..len) at r.x, r.y (top-left), px size */
    DRAW_IMAGE, /* media name, source crop src (in image pixels) scaled into r */
    DRAW_RING,  /* radial spectrum: nbars values in [0,1] around the centre of r, rotated; mirrored:
                   the values over one half, again mirrored over the other (audioMotion's
                   radial mirror 1); each bar in rainbow steps from the centre out */
    DRAW_CLIP,  /* clip to r until the next DRAW_CLIP (w == 0: no clip) */
};

struct draw_cmd {
    enum draw_kind kind;
    struct rect r;
    struct rgba color;
    union {
        struct {
            const char *text; /* borrowed, UTF-8, not NUL-terminated at len */
            size_t len;
            int px;             /* font size in px, a multiple of 11 */
            struct rgba shadow; /* a == 0: none; else drawn first, 2 px right and down */
        } text;
        struct {
            const char *media; /* borrowed media name "<sha>.<ext>" */
            struct rect src;   /* crop in image pixels (cover-crop) */
        } image;
        struct {
            const float *values; /* borrowed, nbars values in [0, 1] */
            int nbars;
            float rotation; /* radians, clockwise */
            int mirror;     /* 1: 2 * nbars bars, symmetric */
        } ring;
    } u;
};

#define DRAWLIST_MAX 4096
#define DRAWLIST_TEXT_MAX 65536

struct drawlist {
    struct draw_cmd cmds[DRAWLIST_MAX];
    size_t n;
    int overflow; /* commands dropped because the list was full */
    /* Strings formatted while building the list (HUD, countdowns, text cells' Markdown as plain
     * text); commands borrow them until the next drawlist_clear. */
    char text[DRAWLIST_TEXT_MAX];
    size_t ntext;
};

static inline void drawlist_clear(struct drawlist *dl)
{
    dl->n = 0;
    dl->overflow = 0;
    dl->ntext = 0;
}

#define DRAWLIST_SHADOW_PX 2

/* Every pixel a command may touch: its rect, and a text's shadow. */
static inline struct rect draw_bounds(const struct draw_cmd *c)
{
    struct rect r = c->r;
    if (c->kind == DRAW_TEXT && c->u.text.shadow.a) {
        r.w += DRAWLIST_SHADOW_PX;
        r.h += DRAWLIST_SHADOW_PX;
    }
    return r;
}

/* Append; returns the new command (zeroed but for kind) or NULL when full (overflow counted). */
static inline struct draw_cmd *drawlist_add(struct drawlist *dl, enum draw_kind kind)
{
    if (dl->n >= DRAWLIST_MAX) {
        dl->overflow++;
        return NULL;
    }
    struct draw_cmd *c = &dl->cmds[dl->n++];
    *c = (struct draw_cmd){.kind = kind};
    return c;
}

#endif
