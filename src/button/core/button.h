/* button.h: the panic button's press / release / long-press state machine, fed timestamped edges
 * from any backend (GPIO, keyboard, fake). Pure C: time is passed in, no I/O. */
#ifndef PANIC_BUTTON_H
#define PANIC_BUTTON_H

#include <stdint.h>

enum button_event {
    BTN_PRESS = 1, /* a short press ended (released before long_ms) */
    BTN_LONG,      /* held for long_ms: fired once while still held; no BTN_PRESS follows */
};

struct button_cfg {
    int debounce_ms; /* a level must hold this long to count (software debounce); 0: off */
    int long_ms;     /* hold time of a long press (staff stop) */
};

struct button {
    struct button_cfg cfg;
    int raw;            /* last raw level seen (1 pressed) */
    int64_t raw_at;     /* when it changed */
    int stable;         /* debounced level */
    int64_t pressed_at; /* when the press was accepted (its edge + the debounce) */
    int long_fired;
};

#define BUTTON_EVENTS_MAX 4

void button_init(struct button *b, const struct button_cfg *cfg);
/* A raw edge: pressed 1/0 at t_ms (monotonic). Writes up to BUTTON_EVENTS_MAX events to out and
 * returns how many. Edges must come in time order; an edge that repeats the current raw level
 * (a lost opposite edge) is taken as the missing edge and this one together. */
int button_edge(struct button *b, int pressed, int64_t t_ms, enum button_event *out);
/* Time passes with no edge (settles debounce, fires BTN_LONG). Same out contract. */
int button_tick(struct button *b, int64_t t_ms, enum button_event *out);
/* The next time button_tick has something to do, or INT64_MAX. */
int64_t button_next_deadline(const struct button *b);

#endif
