/* panel.c: the panic button's glue (see panel.h). The decisions that need no coordinator are
 * taken here so a visitor gets an answer in the same frame: during a lockout "Ready in N s"
 * (the press still goes to panicd, which records it), with the coordinator away "cannot reach";
 * otherwise the press goes to POST /api/v1/panic and
 * the coordinator's answer replaces the message. The LED is steady when a run can start,
 * blinks during a lockout and is off while the coordinator is away. */
#include "panel.h"
#include "button/core/button.h"
#include "button/input.h"
#include "common/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MESSAGE_MS 3000

struct panel {
    struct button_input *in;
    struct button btn;
    int led_state; /* last level written, -1 unknown */
    long presses;
    /* Edges from a key are fed on arrival; the events they cause wait for the next step. */
    enum button_event key_events[BUTTON_EVENTS_MAX * 4];
    int nkey_events;
};

struct panel *panel_new(const char *spec, const char *led, int long_ms, char *err, size_t errlen)
{
    struct panel *p = xcalloc(1, sizeof *p);
    struct button_cfg cfg = {.debounce_ms = 30, .long_ms = long_ms > 0 ? long_ms : 3000};
    p->led_state = -1;
    if (!spec || !strcmp(spec, "none")) {
        p->in = NULL;
    } else if (!strncmp(spec, "gpiod", 5) && (spec[5] == '\0' || spec[5] == ':')) {
#ifdef PANIC_HAVE_GPIOD
        p->in = button_input_gpiod_new(spec[5] ? spec + 6 : "GPIO17", led, 10, err, errlen);
        if (!p->in)
            goto fail;
#else
        (void)led;
        snprintf(err, errlen, "this build has no libgpiod (install libgpiod-dev and rebuild)");
        goto fail;
#endif
    } else if (!strncmp(spec, "fifo:", 5) && spec[5]) {
        p->in = button_input_fifo_new(spec + 5, err, errlen);
        if (!p->in)
            goto fail;
    } else {
        snprintf(err, errlen, "button '%s' is not none, gpiod[:LINE] or fifo:PATH", spec);
        goto fail;
    }
    button_init(&p->btn, &cfg);
    return p;
fail:
    free(p);
    return NULL;
}

void panel_free(struct panel *p)
{
    if (!p)
        return;
    button_input_close(p->in);
    free(p);
}

int panel_fd(const struct panel *p)
{
    return p->in ? p->in->ops->fd(p->in) : -1;
}

long panel_presses(const struct panel *p)
{
    return p->presses;
}

static void say(struct app *a, int64_t now, const char *msg)
{
    snprintf(a->message, sizeof a->message, "%s", msg);
    a->message_until = now + MESSAGE_MS;
}

static void act(struct panel *p, enum button_event ev, struct app *a, struct sync *s, int64_t now)
{
    p->presses++;
    int left = app_lockout_left_s(a, now);
    if (!a->online) {
        say(a, now, "Cannot reach the coordinator. Press again in a moment.");
    } else if (ev == BTN_PRESS && left > 0) {
        char msg[64];
        snprintf(msg, sizeof msg, "Ready in %d s", left);
        say(a, now, msg);
        /* Answered here at once, but still sent: panicd records every press (its 409 only
         * repeats the countdown). */
        sync_post_panic(s, 0, now);
    } else {
        say(a, now, ev == BTN_LONG ? "Stopping..." : "PANIC!");
        sync_post_panic(s, ev == BTN_LONG, now);
    }
}

static void handle(struct panel *p, int n, const enum button_event *evs, struct app *a,
                   struct sync *s, int64_t now)
{
    for (int i = 0; i < n; i++)
        act(p, evs[i], a, s, now);
}

void panel_key(struct panel *p, int pressed, int64_t now)
{
    enum button_event evs[BUTTON_EVENTS_MAX];
    int n = button_edge(&p->btn, pressed, now, evs);
    for (int i = 0; i < n && p->nkey_events < (int)ARRAY_LEN(p->key_events); i++)
        p->key_events[p->nkey_events++] = evs[i];
}

void panel_step(struct panel *p, struct app *a, struct sync *s, int64_t now)
{
    enum button_event evs[BUTTON_EVENTS_MAX];
    handle(p, p->nkey_events, p->key_events, a, s, now);
    p->nkey_events = 0;
    if (p->in) {
        struct button_edge edges[16];
        int n;
        while ((n = p->in->ops->read(p->in, edges, (int)ARRAY_LEN(edges))) > 0)
            for (int i = 0; i < n; i++)
                handle(p, button_edge(&p->btn, edges[i].pressed, edges[i].t_ms, evs), evs, a, s,
                       now);
    }
    if (now >= button_next_deadline(&p->btn))
        handle(p, button_tick(&p->btn, now, evs), evs, a, s, now);
    if (p->in) {
        int want = !a->online ? 0 : app_lockout_left_s(a, now) > 0 ? (int)((now / 500) % 2) : 1;
        if (want != p->led_state && p->in->ops->set_led(p->in, want) != -ENOTSUP)
            p->led_state = want;
    }
}
