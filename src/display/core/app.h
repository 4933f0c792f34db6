/* app.h: what a display knows, as pure state: its configuration, the current run's prompt, the
 * invocations that fill its cells, the coordinator's status and whether it is reachable.
 * Events come in already parsed (sync.c does the JSON); time is passed in (monotonic ms).
 * No SDL, no curl, no JSON here. */
#ifndef PANIC_APP_H
#define PANIC_APP_H

#include "common/proto/display_config.h"

#include <stddef.h>
#include <stdint.h>

#define APP_MAX_CELLS 256 /* rows * cols up to 16 x 16 */
#define APP_TEXT_MAX 4096
#define APP_NAME_MAX 64
#define APP_DESC_MAX 192

enum cell_kind { CELL_EMPTY, CELL_INVOKING, CELL_FAILED, CELL_TEXT, CELL_IMAGE, CELL_AUDIO };

/* One invocation as the display needs it. */
struct app_inv {
    int64_t id, run, seq;
    char model[APP_NAME_MAX];
    enum cell_kind kind;     /* from state and output type */
    char text[APP_TEXT_MAX]; /* text output (CELL_TEXT) */
    char media[96];          /* "<sha>.<ext>" output (CELL_IMAGE, CELL_AUDIO) */
};

struct app_status {
    char state[16]; /* idle, lockout, processing, waiting, failed, stopped */
    int64_t run, seq;
    char model[APP_NAME_MAX];
    int can_start_run;
    int64_t lockout_until;    /* monotonic ms, 0 if none */
    int paid;                 /* the network calls models that cost money: info shows the cost */
    double cost_usd;          /* the current run's estimated cost so far */
    double burn_usd_per_hour; /* the network's estimated spending over the last hour */
};

struct app {
    char name[APP_NAME_MAX];   /* this display's name */
    struct display_config cfg; /* as the coordinator serves it */
    char network_name[128];
    char models[16][APP_NAME_MAX];     /* the network's models (names where known), for info mode */
    char model_desc[16][APP_DESC_MAX]; /* what each does, in a visitor's words ("" if unknown) */
    int nmodels;
    int64_t run;               /* current run, 0 if none */
    char prompt[APP_TEXT_MAX]; /* its genesis prompt */
    struct app_inv cells[APP_MAX_CELLS];
    int ncells; /* rows*cols for grid, 1 for single */
    struct app_status status;
    int online;            /* the coordinator answered recently */
    int64_t offline_since; /* monotonic ms */
    char prompt_url[512];  /* where phones go to prompt (QR), "" if none */
    char input[1024];      /* terminal mode: the text being typed */
    char message[256];     /* terminal mode: the last error or notice, in words */
    int64_t message_until;
    int64_t changed_at; /* monotonic ms of the last visible change */
    int audible_slot;   /* the cell whose audio plays: -1 the newest audio cell (the default) */
};

/* A fresh app with a default config (grid 2x2). */
void app_init(struct app *a, const char *name);
/* New config (from the coordinator). Cells are re-slotted; a network change clears the run. */
void app_set_config(struct app *a, const struct display_config *cfg, int64_t now);
/* A run became current (from runs/current or a genesis event): clears every cell. */
void app_set_run(struct app *a, int64_t run, const char *prompt, int64_t now);
/* An invocation event or catch-up row. Returns 1 if it changed what is shown. Invocations of
 * another run are ignored: the caller starts a new run with app_set_run (it knows the prompt). */
int app_put_invocation(struct app *a, const struct app_inv *inv, int64_t now);
void app_set_status(struct app *a, const struct app_status *st, int64_t now);
void app_set_online(struct app *a, int online, int64_t now);
/* Lockout seconds left (ceil), 0 if none. */
int app_lockout_left_s(const struct app *a, int64_t now);

/* The cell an invocation seq goes to, or -1 if this display does not show it. */
int app_slot_for(const struct display_config *cfg, int64_t seq);
/* The audible cell, if this display plays audio (else -1): with audible_slot -1 the newest audio
 * invocation on screen, else that slot if it holds audio (-1 if it does not). One cell plays at
 * a time; every audio cell shows a ring, only the audible one moves. */
int app_audible_cell(const struct app *a);

#endif
