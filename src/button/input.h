/* input.h: button backends behind one small ops struct. Each produces timestamped raw edges that
 * button.c turns into presses; the frame loop (or a headless loop) polls without blocking. */
#ifndef PANIC_BUTTON_INPUT_H
#define PANIC_BUTTON_INPUT_H

#include <stddef.h>
#include <stdint.h>

struct button_edge {
    int pressed;  /* 1 pressed, 0 released */
    int64_t t_ms; /* monotonic ms (CLOCK_MONOTONIC, as time_mono_ms) */
};

struct button_input;

struct button_input_ops {
    const char *name;
    /* Pollable fd that becomes readable when edges are pending, or -1. */
    int (*fd)(struct button_input *in);
    /* Non-blocking: fill up to max edges, return how many (0 none), negative errno on failure. */
    int (*read)(struct button_input *in, struct button_edge *out, int max);
    /* The optional LED; 0 or -ENOTSUP. */
    int (*set_led)(struct button_input *in, int on);
    void (*close)(struct button_input *in);
};

struct button_input {
    const struct button_input_ops *ops;
};

/* libgpiod (1.6 or 2.x, chosen at build time): the input line found by name (e.g. "GPIO17") on
 * whichever chip has it, pull-up, both edges, kernel debounce on 2.x (debounce_ms); the LED line
 * by name or NULL. NULL with a reason in err (no such line, permission, built without gpiod). */
struct button_input *button_input_gpiod_new(const char *line, const char *led_line, int debounce_ms,
                                            char *err, size_t errlen);
/* A named pipe (created if missing) carrying lines "1" (pressed) and "0" (released); each edge is
 * timestamped when read. For tests and for wiring any other device in. NULL + err. */
struct button_input *button_input_fifo_new(const char *path, char *err, size_t errlen);
/* An in-memory backend for unit tests: edges are queued with button_input_fake_push. */
struct button_input *button_input_fake_new(void);
void button_input_fake_push(struct button_input *in, int pressed, int64_t t_ms);
/* The LED state last set on a fake (-1 never set). */
int button_input_fake_led(const struct button_input *in);

static inline void button_input_close(struct button_input *in)
{
    if (in)
        in->ops->close(in);
}

#endif
