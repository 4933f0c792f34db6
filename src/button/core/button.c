/* button.c: the panic button's state machine. Raw edges go through a software debounce and come
 * out as BTN_PRESS (a short press, at its release) or BTN_LONG (once, while still held). Pure C11:
 * time is an argument, nothing is allocated, no I/O, no backend or library may be needed here.
 *
 * Debounce is "wait until stable": a raw level is accepted once it has held for debounce_ms with
 * no further edge, and the accepted (stable) level changes at raw_at + debounce_ms. So the stable
 * signal is the raw signal delayed by debounce_ms with every shorter blip removed; press lengths
 * measured on it equal the raw ones. pressed_at is when the press was accepted, and BTN_LONG fires
 * at pressed_at + long_ms: the button has been held long_ms (plus the debounce latency). A release
 * that becomes stable at exactly that moment counts as long (long_ms reached is long). With
 * debounce_ms 0 every edge is accepted at once; long_ms <= 0 turns long presses off.
 *
 * Lost edges. A backend may report the same level twice: a kernel or pipe buffer overflowed, a
 * writer repeated itself, or, on libgpiod 1.6 (uAPI v1, no kernel debounce), the kernel read the
 * level after the contact had bounced again. The opposite edge is then taken to have happened
 * right before this one, at t:
 *   - pressed, pressed (a lost release): if the first press had been accepted, it ends at t and
 *     counts as a BTN_PRESS unless BTN_LONG already fired for it (it held past the debounce, and a
 *     new press proves the release happened before long_ms could pass). A press not yet accepted
 *     was shorter than the debounce and is dropped. Either way the new press starts at t and must
 *     itself hold debounce_ms.
 *   - released, released (a lost press): the press is unseen, of unknown length and never held
 *     debounce_ms here, so it counts as nothing: it cannot be told from bounce or noise, and a
 *     phantom panic is worse than a missed one (the visitor presses again). Only the release at t
 *     is kept: a pending release restarts its debounce, an idle button stays idle. A button held
 *     while the backend opened, whose first edge is a release, is the same case.
 *
 * Edges must come in time order; callers read every pending edge before ticking with "now". An
 * edge stamped before the previous edge, or before a press was accepted or went long (a tick ran
 * first), is moved to that time, so no decision is ever revisited. */
#include "button.h"

#include <stddef.h>

static int64_t add_sat(int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b)
        return INT64_MAX;
    return a + b;
}

static int64_t settle_deadline(const struct button *b)
{
    if (b->raw == b->stable)
        return INT64_MAX;
    return add_sat(b->raw_at, b->cfg.debounce_ms);
}

static int64_t long_deadline(const struct button *b)
{
    if (!b->stable || b->long_fired || b->cfg.long_ms <= 0)
        return INT64_MAX;
    return add_sat(b->pressed_at, b->cfg.long_ms);
}

/* An accepted press ends (by a debounced release or a lost release edge). */
static int end_press(struct button *b, enum button_event *out)
{
    int short_press = !b->long_fired;
    b->stable = 0;
    b->long_fired = 0;
    if (!short_press)
        return 0;
    out[0] = BTN_PRESS;
    return 1;
}

/* Runs every deadline up to and including t, earliest first; a long deadline wins a tie with a
 * release settling at the same moment. At most one settle and one long deadline are pending, and
 * after BTN_LONG the release emits nothing, so this emits at most one event. */
static int advance(struct button *b, int64_t t, enum button_event *out)
{
    int n = 0;
    for (;;) {
        int64_t ds = settle_deadline(b), dl = long_deadline(b);
        if (dl <= ds && dl <= t) {
            b->long_fired = 1;
            out[n++] = BTN_LONG;
        } else if (ds < dl && ds <= t) {
            if (b->raw) {
                b->stable = 1;
                b->pressed_at = ds;
                b->long_fired = 0;
            } else {
                n += end_press(b, out + n);
            }
        } else {
            return n;
        }
    }
}

void button_init(struct button *b, const struct button_cfg *cfg)
{
    b->cfg = *cfg;
    if (b->cfg.debounce_ms < 0)
        b->cfg.debounce_ms = 0;
    b->raw = 0;
    b->raw_at = INT64_MIN;
    b->stable = 0;
    b->pressed_at = INT64_MIN;
    b->long_fired = 0;
}

int button_edge(struct button *b, int pressed, int64_t t_ms, enum button_event *out)
{
    pressed = pressed != 0;
    if (t_ms < b->raw_at)
        t_ms = b->raw_at;
    if (b->stable && t_ms < b->pressed_at)
        t_ms = b->pressed_at;
    if (b->stable && b->long_fired && t_ms < add_sat(b->pressed_at, b->cfg.long_ms))
        t_ms = add_sat(b->pressed_at, b->cfg.long_ms);

    int n = advance(b, t_ms, out);
    if (pressed == b->raw) {
        /* The opposite edge was lost (see the top of the file). */
        if (pressed && b->stable)
            n += end_press(b, out + n);
    }
    b->raw = pressed;
    b->raw_at = t_ms;
    /* Only does something with debounce_ms 0: the new level is accepted at once. Two events at
     * most per call (a lost release's BTN_PRESS excludes an earlier one), within
     * BUTTON_EVENTS_MAX. */
    n += advance(b, t_ms, out + n);
    return n;
}

int button_tick(struct button *b, int64_t t_ms, enum button_event *out)
{
    return advance(b, t_ms, out);
}

int64_t button_next_deadline(const struct button *b)
{
    int64_t ds = settle_deadline(b), dl = long_deadline(b);
    return ds < dl ? ds : dl;
}
