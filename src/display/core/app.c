/* app.c: the display's state machine (see app.h). Which cell an invocation lands in follows the
 * original's display modes: a grid is a ring buffer in reading order (slot = seq mod rows*cols);
 * a single screen shows seq where seq mod stride == offset, plus the genesis on every screen;
 * info and terminal show the latest output. Pure C: no SDL, curl or JSON. */
#include "app.h"

#include "common/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void app_init(struct app *a, const char *name)
{
    memset(a, 0, sizeof *a);
    snprintf(a->name, sizeof a->name, "%s", name);
    a->cfg = display_config_default(); /* a 2x2 grid */
    a->ncells = 4;
    snprintf(a->status.state, sizeof a->status.state, "idle");
    a->audible_slot = -1;
}

static int cell_count(const struct display_config *cfg)
{
    if (cfg->mode != DISPLAY_MODE_GRID)
        return 1;
    int n = cfg->rows * cfg->cols;
    return n < 1 ? 1 : n > APP_MAX_CELLS ? APP_MAX_CELLS : n;
}

int app_slot_for(const struct display_config *cfg, int64_t seq)
{
    if (seq < 0)
        return -1;
    switch (cfg->mode) {
    case DISPLAY_MODE_GRID:
        return (int)(seq % cell_count(cfg));
    case DISPLAY_MODE_SINGLE:
        if (seq == 0 || (cfg->stride > 0 && seq % cfg->stride == cfg->offset))
            return 0;
        return -1;
    case DISPLAY_MODE_INFO:
    case DISPLAY_MODE_TERMINAL:
        return 0;
    }
    return -1;
}

static void clear_cells(struct app *a)
{
    for (int i = 0; i < APP_MAX_CELLS; i++) {
        a->cells[i].kind = CELL_EMPTY;
        a->cells[i].seq = -1;
        a->cells[i].id = 0;
        a->cells[i].run = 0;
        a->cells[i].text[0] = '\0';
        a->cells[i].media[0] = '\0';
    }
}

void app_set_config(struct app *a, const struct display_config *cfg, int64_t now)
{
    int network_changed = cfg->network != a->cfg.network;
    /* On the heap: 256 cells are over a megabyte, too much for a small stack. Config changes
     * are rare, so this allocation is off every hot path. */
    struct app_inv *keep = xcalloc(APP_MAX_CELLS, sizeof *keep);
    int nkeep = 0;
    if (!network_changed) {
        for (int i = 0; i < a->ncells; i++)
            if (a->cells[i].kind != CELL_EMPTY)
                keep[nkeep++] = a->cells[i];
    }
    a->cfg = *cfg;
    a->ncells = cell_count(cfg);
    clear_cells(a);
    if (network_changed) {
        a->run = 0;
        a->prompt[0] = '\0';
    }
    /* Re-slot what we had, oldest first, so each slot ends with its newest invocation. */
    for (int pass = 0; pass < nkeep; pass++) {
        int oldest = -1;
        for (int i = 0; i < nkeep; i++)
            if (keep[i].seq >= 0 && (oldest < 0 || keep[i].seq < keep[oldest].seq))
                oldest = i;
        if (oldest < 0)
            break;
        app_put_invocation(a, &keep[oldest], now);
        keep[oldest].seq = -1;
    }
    free(keep);
    a->changed_at = now;
}

void app_set_run(struct app *a, int64_t run, const char *prompt, int64_t now)
{
    if (run == a->run)
        return;
    a->run = run;
    snprintf(a->prompt, sizeof a->prompt, "%s", prompt ? prompt : "");
    clear_cells(a);
    a->input[0] = '\0'; /* a new run clears what a visitor was typing */
    a->changed_at = now;
}

int app_put_invocation(struct app *a, const struct app_inv *inv, int64_t now)
{
    if (inv->run != a->run)
        return 0;
    int slot = app_slot_for(&a->cfg, inv->seq);
    if (slot < 0 || slot >= a->ncells)
        return 0;
    int quiet = a->cfg.mode == DISPLAY_MODE_INFO || a->cfg.mode == DISPLAY_MODE_TERMINAL ||
                (a->cfg.mode == DISPLAY_MODE_SINGLE && !a->cfg.show_invoking);
    /* A screen that hides invoking keeps the previous output while the next one computes; the
     * genesis still shows on every screen. */
    if (inv->kind == CELL_INVOKING && quiet && inv->seq != 0)
        return 0;
    struct app_inv *cell = &a->cells[slot];
    if (cell->kind != CELL_EMPTY && cell->seq > inv->seq)
        return 0; /* an older invocation never replaces a newer one */
    *cell = *inv;
    a->changed_at = now;
    return 1;
}

void app_set_status(struct app *a, const struct app_status *st, int64_t now)
{
    a->status = *st;
    (void)now;
}

void app_set_online(struct app *a, int online, int64_t now)
{
    if (online == a->online)
        return;
    a->online = online;
    if (!online)
        a->offline_since = now;
    a->changed_at = now;
}

int app_audible_cell(const struct app *a)
{
    int best = -1;
    if (!a->cfg.audio)
        return -1;
    if (a->audible_slot >= 0)
        return a->audible_slot < a->ncells && a->cells[a->audible_slot].kind == CELL_AUDIO
                   ? a->audible_slot
                   : -1;
    for (int i = 0; i < a->ncells; i++)
        if (a->cells[i].kind == CELL_AUDIO && (best < 0 || a->cells[i].seq > a->cells[best].seq))
            best = i;
    return a->cfg.audio ? best : -1;
}

int app_lockout_left_s(const struct app *a, int64_t now)
{
    if (!a->status.lockout_until || now >= a->status.lockout_until)
        return 0;
    return (int)((a->status.lockout_until - now + 999) / 1000);
}
