/* damage.h: which parts of the screen a new draw list changes, so only those are redrawn and
 * presented. Pure C11 + libc, no allocation: the state is one fixed-size struct.
 *
 * Each command of a frame's list gets a fingerprint of everything that decides its pixels (kind,
 * rect, colour, the text's bytes, the media name and crop, the ring's values and rotation). The
 * new list is compared with the previous one as a multiset: a command found in both is unchanged;
 * the rect of every command only in the old list (what must be erased) or only in the new one
 * (what must be drawn) is damaged. Overlapping damage merges into one rect; a damage rect that
 * touches a scaled picture or a ring grows to hold all of it (a clipped scaled blit may sample
 * its source differently from an unclipped one, so these are always drawn whole). Redrawing a
 * damage rect means running, clipped to it, every command of the new list that intersects it, in
 * order: the pixels are then those of a full redraw. Layout draws the screen's background first,
 * so no clear is needed. */
#ifndef PANIC_DAMAGE_H
#define PANIC_DAMAGE_H

#include "drawlist.h"

#include <stdint.h>

#define DAMAGE_MAX 32 /* rects per frame; more merge into their nearest */

struct damage {
    /* The previous list's fingerprints and rects. */
    uint64_t prev_hash[DRAWLIST_MAX];
    struct rect prev_rect[DRAWLIST_MAX];
    size_t nprev;
    int w, h; /* the screen the previous list was for */
    int full; /* the next diff damages the whole screen (expose, resize, first frame) */
    /* The result of the last damage_diff. */
    struct rect rects[DAMAGE_MAX];
    int n;
    /* Scratch: the new list's fingerprints and an open-addressed table of the old ones. */
    uint64_t new_hash[DRAWLIST_MAX];
    struct {
        uint64_t hash;
        int count, used;
    } table[2 * DRAWLIST_MAX];
    uint16_t filled[DRAWLIST_MAX]; /* the table's slots in use, cleared on the next diff */
    size_t nfilled;
};

/* Start empty: the first diff damages the whole screen. */
void damage_init(struct damage *d);
/* Make the next diff damage the whole screen. */
void damage_force_full(struct damage *d);
/* Compare dl (for a w x h screen) with the list of the previous call and fill d->rects, d->n
 * (0: nothing changed). Remembers dl's fingerprints for the next call. Every rect lies inside
 * the screen. */
void damage_diff(struct damage *d, const struct drawlist *dl, int w, int h);
/* The fingerprint of one command (exported for tests). */
uint64_t damage_hash(const struct draw_cmd *c);
/* 1 if a and b share at least one pixel. */
int damage_intersects(struct rect a, struct rect b);

#endif
