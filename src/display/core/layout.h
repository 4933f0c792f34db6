/* layout.h: turns the display's pure state (app.h) into a draw list (drawlist.h) for one frame.
 * Pure C11 + libc: no SDL, curl or JSON, no allocation; time comes in through the env.
 *
 * Geometry. The screen is w x h logical px (after rotation). The cells fill it: every cell is
 * 16:9 (to within 1 px); grid: rows x cols cells in reading order, a gap of about 1/60 of the
 * screen width between cells and around them (smaller for many columns), centred. On a portrait
 * screen (h > w) the grid's rows*cols cells take the arrangement, reading order kept, that gives
 * the largest cells. Single, info and terminal: one 16:9 rect, as large as fits, centred
 * (letterboxed); info puts the latest output cell inside it. The HUD (a line in the bottom-left
 * corner) and the QR code of a prompt_url (a square in the bottom-right corner) are small
 * overlays drawn over the cells, each unless the env turns it off; they never move a cell.
 *
 * Text. Departure Mono at 11k px only (k >= 1): advance 7k px, line height 14k px (ascent 11k,
 * descent 3k). Every DRAW_TEXT command is one line whose rect is exactly its box: r.x, r.y is the
 * top-left of the line box, r.w = code points x 7k, r.h = 14k. Layout counts columns by code
 * points, so text never leaves its rect as long as every glyph is one advance wide.
 *
 * Draw-list strings are borrowed from the app, the env (hud_line) or the list's own text arena
 * (formatted strings), so the list is valid until the app or env strings change or the list is
 * cleared. */
#ifndef PANIC_LAYOUT_H
#define PANIC_LAYOUT_H

#include "app.h"
#include "drawlist.h"

#include <stddef.h>
#include <stdint.h>

/* Lines the wrapper handles at once: more than any cell shows and more than the terminal input
 * can ever wrap to (each line consumes at least one byte of it). */
#define LAYOUT_MAX_LINES 1100

/* Colours (Tailwind names, as in the original). */
#define LAYOUT_ZINC_900 ((struct rgba){0x18, 0x18, 0x1b, 0xff})    /* screen background */
#define LAYOUT_ZINC_800 ((struct rgba){0x27, 0x27, 0x2a, 0xff})    /* text cell, input box */
#define LAYOUT_ROSE_500 ((struct rgba){0xf4, 0x3f, 0x5e, 0xff})    /* invoking, offline dot */
#define LAYOUT_ROSE_950 ((struct rgba){0x4c, 0x05, 0x19, 0xff})    /* failed */
#define LAYOUT_PURPLE_300 ((struct rgba){0xd8, 0xb4, 0xfe, 0xff})  /* text */
#define LAYOUT_PURPLE_100 ((struct rgba){0xf3, 0xe8, 0xff, 0xff})  /* strong, headings */
#define LAYOUT_PURPLE_400 ((struct rgba){0xc0, 0x84, 0xfc, 0xff})  /* emphasis */
#define LAYOUT_PURPLE_900 ((struct rgba){0x58, 0x1c, 0x87, 0xff})  /* text shadow */
#define LAYOUT_EMERALD_800 ((struct rgba){0x06, 0x5f, 0x46, 0xff}) /* audio */

struct layout_env {
    int w, h;    /* output size in px (after rotation: the logical size) */
    int64_t now; /* monotonic ms: drives the breathing "P!", the cursor and countdowns */
    /* 1 and *iw, *ih if the media is decoded and ready to draw, else 0. May be NULL. */
    int (*image_size)(void *user, const char *media, int *iw, int *ih);
    void *user;
    /* The visualiser of the audible cell: nbars values in [0, 1], borrowed. */
    const float *bars;
    int nbars;
    float ring_rotation;  /* radians, clockwise */
    int audible_cell;     /* index of the cell whose audio plays, -1 none */
    const char *hud_line; /* optional extra HUD text, may be NULL */
    /* The QR code of a->prompt_url, as libqrencode gives it: qr_width^2 bytes, row-major, bit 0
     * set = dark module. NULL: the corner stays reserved but empty. */
    const unsigned char *qr;
    int qr_width;
    int no_hud; /* --hud off: no HUD line */
    int no_qr;  /* --qr off: no QR corner (nor its "offline" notice) */
};

/* Clear dl and fill it with one frame. Never allocates; commands that do not fit are counted in
 * dl->overflow (the offline dot is always kept). */
void layout_frame(const struct app *a, const struct layout_env *env, struct drawlist *dl);

/* Geometry, exported for tests and for the renderer (hit testing, the audio cell's position).
 * The rect of cell index cell (0 <= cell < a->ncells) on a w x h screen; {0} if out of range.
 * Info mode: cell 0 is the latest-output panel; terminal mode: the terminal panel. */
struct rect layout_cell_rect(const struct app *a, int w, int h, int cell);
/* The HUD text box, bottom left, at most half the width ({0} if the screen is too small). */
struct rect layout_hud_rect(const struct app *a, int w, int h);
/* The square of the QR code overlay ({0} if a->prompt_url is empty or there is no room). */
struct rect layout_qr_rect(const struct app *a, int w, int h);
/* The offline indicator: a small square in the top-right corner. */
struct rect layout_offline_rect(int w, int h);
/* The padded box that text inside a cell must stay in. */
struct rect layout_text_box(struct rect cell);

/* The source crop (in image pixels) that covers a cw x ch cell with an iw x ih image: the largest
 * centred rect of the cell's aspect ratio. {0} if any size is not positive. */
struct rect layout_cover_crop(int iw, int ih, int cw, int ch);
/* The preferred text size for a cell, stepping with its width like the original's container
 * query: 11 px under 400 px, 22 px from 400, 33 px from 600, 33 px per 1600 px from 1600. Text
 * that does not fit steps down by 11 px from here. */
int layout_font_px(int cell_w, int cell_h);
/* The "P!" size for an invoking cell: about 25% of the cell width rounded to a multiple of 11
 * px, shrunk so its 2-column box fits the cell; 0 if not even 11 px fits. */
int layout_invoking_px(int cell_w, int cell_h);
/* Breathing alpha of the "P!" at time now: a 3 s cosine cycle, 0.3 at t = 0, 1.0 at 1.5 s. */
float layout_breath(int64_t now);

/* Wrap NUL-terminated UTF-8 text into lines of at most cols code points. Fills starts[i] (borrowed
 * into text) and lens[i] (bytes) for up to max_lines lines and returns how many it filled; sets
 * *truncated (may be NULL) to 1 if non-blank text remains. Breaks at spaces when it can, hard-
 * breaks words longer than a line, honours '\n', never splits a UTF-8 sequence (a malformed byte
 * counts as one column). Leading blanks of the text and of soft-wrapped lines are skipped,
 * trailing blanks of lines (space, tab, CR) and trailing empty lines are dropped. Other control
 * characters count as one column each: the renderer draws them as blanks. */
int layout_wrap(const char *text, int cols, int max_lines, const char **starts, size_t *lens,
                int *truncated);
/* Code points in s[0..len). */
int layout_utf8_cols(const char *s, size_t len);

#endif
