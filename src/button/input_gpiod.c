/* input_gpiod.c: the panic button on a GPIO line through libgpiod, 1.6 (Debian bookworm) or 2.x
 * (trixie), picked at build time by PANIC_GPIOD_MAJOR (>= 2: the v2 API; unset: sniffed from the
 * header). The only file that includes <gpiod.h>; it must not depend on SDL, the display or the
 * coordinator. The button goes between the line and ground with the internal pull-up on, so it is
 * active low: a falling edge is a press, a rising edge a release.
 *
 * Lines are found by name ("GPIO17"), never by chip number: the Pi 5's RP1 moved from gpiochip4
 * to gpiochip0 in kernel 6.6.45, so every /dev/gpiochip* is searched. The optional LED line (an
 * output, initially off) is found the same way; steady or blinking is the caller's business.
 *
 * Debounce: 2.x asks the kernel to debounce the line (debounce_ms, software-emulated by gpiolib
 * when the controller has none, kernel >= 5.10). 1.6 speaks uAPI v1, which has no debounce at all,
 * and during bounce the kernel may even report the same edge type twice (it reads the level after
 * the interrupt); button.c's software debounce and lost-edge rules cover both. On 2.x the two
 * debounces add up (twice debounce_ms of latency), which nobody can feel.
 *
 * Timestamps: the kernel stamps each edge when it happens. 2.x: gpio_v2_line_event.timestamp_ns
 * is CLOCK_MONOTONIC unless a realtime/HTE clock is requested (linux/gpio.h), and we request
 * GPIOD_LINE_CLOCK_MONOTONIC explicitly. 1.6: gpioevent_data.timestamp, handed on as
 * gpiod_line_event.ts, is CLOCK_MONOTONIC since Linux 5.7 (ktime_get_ns; CLOCK_REALTIME before).
 * Both are converted to ms, the scale of time_mono_ms. A stamp from the future (an old kernel's
 * realtime clock) is replaced by the read time, and stamps never go backwards. */
#include "input.h"

#include <gpiod.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef PANIC_GPIOD_MAJOR
#ifdef GPIOD_LINE_BULK_MAX_LINES /* only 1.x defines it */
#define PANIC_GPIOD_MAJOR 1
#else
#define PANIC_GPIOD_MAJOR 2
#endif
#endif
#if PANIC_GPIOD_MAJOR >= 2
#define GPIOD_V2 1
#else
#define GPIOD_V2 0
#endif

#define CONSUMER "panic-display"
#define DEFAULT_LINE "GPIO17"
#define EVENTS_MAX 16

struct gpiod_input {
    struct button_input base; /* first */
    int64_t last_ms;          /* the latest stamp handed out */
#if GPIOD_V2
    struct gpiod_line_request *req, *led_req;
    struct gpiod_edge_event_buffer *events; /* allocated once */
    unsigned int led_offset;
#else
    struct gpiod_chip *chip, *led_chip; /* a v1 line lives as long as its chip */
    struct gpiod_line *line, *led;
    struct gpiod_line_event events[EVENTS_MAX];
#endif
};

/* A line located by name: the chip is open and owned by whoever holds this. */
struct found_line {
    struct gpiod_chip *chip;
    char path[sizeof("/dev/") + 256]; /* d_name is at most 255 bytes */
#if GPIOD_V2
    unsigned int offset;
#else
    struct gpiod_line *line;
#endif
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!err || !errlen)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int is_chip_name(const struct dirent *d)
{
    return strncmp(d->d_name, "gpiochip", 8) == 0;
}

/* 1 if chip has a line called name (f filled in), 0 if not. */
static int chip_has_line(struct gpiod_chip *chip, const char *name, struct found_line *f)
{
#if GPIOD_V2
    int off = gpiod_chip_get_line_offset_from_name(chip, name);
    if (off < 0)
        return 0;
    f->offset = (unsigned int)off;
#else
    f->line = gpiod_chip_find_line(chip, name);
    if (!f->line)
        return 0;
#endif
    f->chip = chip;
    return 1;
}

/* Searches every /dev/gpiochip* for the line called name. 0 and f filled, or -ENOENT (not on any
 * chip), -EACCES (not on the chips we could open, and some we could not) or another -errno. */
static int find_line(const char *name, struct found_line *f, char *err, size_t errlen)
{
    struct dirent **list = NULL;
    char denied[sizeof(f->path)] = "";
    int nchips = scandir("/dev", &list, is_chip_name, alphasort);
    int opened = 0;

    memset(f, 0, sizeof(*f));
    if (nchips < 0) {
        int e = errno;
        set_err(err, errlen, "line %s not found: cannot list /dev: %s", name, strerror(e));
        return -e;
    }
    for (int i = 0; i < nchips && !f->chip; i++) {
        snprintf(f->path, sizeof(f->path), "/dev/%s", list[i]->d_name);
        struct gpiod_chip *chip = gpiod_chip_open(f->path);
        if (!chip) {
            if ((errno == EACCES || errno == EPERM) && !denied[0])
                snprintf(denied, sizeof(denied), "%s", f->path);
            continue;
        }
        opened++;
        if (!chip_has_line(chip, name, f))
            gpiod_chip_close(chip);
    }
    for (int i = 0; i < nchips; i++)
        free(list[i]);
    free(list);

    if (f->chip)
        return 0;
    if (denied[0]) {
        set_err(err, errlen,
                "line %s not found on the %d of %d GPIO chip(s) we could open; %s: permission "
                "denied (add the user to the gpio group)",
                name, opened, nchips, denied);
        return -EACCES;
    }
    if (nchips == 0)
        set_err(err, errlen, "line %s not found: no /dev/gpiochip* (no GPIO on this machine)",
                name);
    else
        set_err(err, errlen, "line %s not found on any of %d GPIO chip(s) (see gpioinfo)", name,
                nchips);
    return -ENOENT;
}

static void request_err(char *err, size_t errlen, const char *what, const char *name,
                        const struct found_line *f, int e)
{
    if (e == EBUSY)
        set_err(err, errlen, "%s line %s on %s is busy (claimed by another program?)", what, name,
                f->path);
    else if (e == EACCES || e == EPERM)
        set_err(err, errlen, "%s line %s on %s: permission denied (add the user to the gpio group)",
                what, name, f->path);
    else
        set_err(err, errlen, "%s line %s on %s: cannot request it: %s", what, name, f->path,
                strerror(e));
}

/* Kernel ns (CLOCK_MONOTONIC) to our ms; see the top of the file. */
static int64_t stamp_ms(struct gpiod_input *g, int64_t ns, int64_t now)
{
    int64_t ms = ns / 1000000;
    if (ms > now + 1000 || ms < 0)
        ms = now;
    if (ms < g->last_ms)
        ms = g->last_ms;
    g->last_ms = ms;
    return ms;
}

/* 1 if the fd has something to read, 0 if not, -errno. */
static int readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r;
    do
        r = poll(&p, 1, 0);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return -errno;
    if (r > 0 && (p.revents & (POLLERR | POLLNVAL)))
        return -EIO;
    return r > 0 && (p.revents & POLLIN);
}

#if GPIOD_V2

static struct gpiod_line_request *request_line(struct gpiod_chip *chip, unsigned int offset,
                                               int output, int debounce_ms)
{
    struct gpiod_line_settings *ls = gpiod_line_settings_new();
    struct gpiod_line_config *lc = gpiod_line_config_new();
    struct gpiod_request_config *rc = gpiod_request_config_new();
    struct gpiod_line_request *req = NULL;
    int e = ENOMEM;

    if (!ls || !lc || !rc)
        goto cleanup;
    if (output) {
        if (gpiod_line_settings_set_direction(ls, GPIOD_LINE_DIRECTION_OUTPUT) < 0 ||
            gpiod_line_settings_set_output_value(ls, GPIOD_LINE_VALUE_INACTIVE) < 0)
            goto fail;
    } else {
        if (gpiod_line_settings_set_direction(ls, GPIOD_LINE_DIRECTION_INPUT) < 0 ||
            gpiod_line_settings_set_edge_detection(ls, GPIOD_LINE_EDGE_BOTH) < 0 ||
            gpiod_line_settings_set_bias(ls, GPIOD_LINE_BIAS_PULL_UP) < 0 ||
            gpiod_line_settings_set_event_clock(ls, GPIOD_LINE_CLOCK_MONOTONIC) < 0)
            goto fail;
        gpiod_line_settings_set_debounce_period_us(ls, (unsigned long)debounce_ms * 1000UL);
    }
    if (gpiod_line_config_add_line_settings(lc, &offset, 1, ls) < 0)
        goto fail;
    gpiod_request_config_set_consumer(rc, CONSUMER);
    req = gpiod_chip_request_lines(chip, rc, lc);
    if (!req)
        goto fail;
    e = 0;
    goto cleanup;
fail:
    e = errno ? errno : EINVAL;
cleanup:
    gpiod_request_config_free(rc);
    gpiod_line_config_free(lc);
    gpiod_line_settings_free(ls);
    errno = e;
    return req;
}

static int gpiod_fd(struct button_input *in)
{
    struct gpiod_input *g = (struct gpiod_input *)in;
    return gpiod_line_request_get_fd(g->req);
}

static int gpiod_read(struct button_input *in, struct button_edge *out, int max)
{
    struct gpiod_input *g = (struct gpiod_input *)in;
    int n = 0;
    while (n < max) {
        int r = readable(gpiod_line_request_get_fd(g->req));
        if (r <= 0)
            return n ? n : r;
        int want = max - n < EVENTS_MAX ? max - n : EVENTS_MAX;
        int got = gpiod_line_request_read_edge_events(g->req, g->events, (size_t)want);
        if (got < 0)
            return n ? n : -(errno ? errno : EIO);
        int64_t now = mono_ms();
        for (int i = 0; i < got; i++) {
            struct gpiod_edge_event *ev = gpiod_edge_event_buffer_get_event(g->events, i);
            out[n].pressed = gpiod_edge_event_get_event_type(ev) == GPIOD_EDGE_EVENT_FALLING_EDGE;
            out[n].t_ms = stamp_ms(g, (int64_t)gpiod_edge_event_get_timestamp_ns(ev), now);
            n++;
        }
        if (got == 0)
            break;
    }
    return n;
}

static int gpiod_set_led(struct button_input *in, int on)
{
    struct gpiod_input *g = (struct gpiod_input *)in;
    if (!g->led_req)
        return -ENOTSUP;
    if (gpiod_line_request_set_value(g->led_req, g->led_offset,
                                     on ? GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE) < 0)
        return -(errno ? errno : EIO);
    return 0;
}

static void gpiod_close(struct button_input *in)
{
    struct gpiod_input *g = (struct gpiod_input *)in;
    if (!g)
        return;
    if (g->led_req)
        gpiod_line_request_release(g->led_req);
    if (g->req)
        gpiod_line_request_release(g->req);
    if (g->events)
        gpiod_edge_event_buffer_free(g->events);
    free(g);
}

/* The request holds its own fd: the chip is closed either way. */
static int open_lines(struct gpiod_input *g, const char *line, const char *led_line,
                      int debounce_ms, char *err, size_t errlen)
{
    struct found_line f;
    int ret = find_line(line, &f, err, errlen);
    if (ret < 0)
        return ret;
    g->req = request_line(f.chip, f.offset, 0, debounce_ms);
    if (!g->req) {
        ret = -errno;
        request_err(err, errlen, "button", line, &f, errno);
    }
    gpiod_chip_close(f.chip);
    if (ret < 0)
        return ret;

    g->events = gpiod_edge_event_buffer_new(EVENTS_MAX);
    if (!g->events) {
        set_err(err, errlen, "cannot allocate the edge event buffer");
        return -ENOMEM;
    }

    if (!led_line || !led_line[0])
        return 0;
    ret = find_line(led_line, &f, err, errlen);
    if (ret < 0)
        return ret;
    g->led_offset = f.offset;
    g->led_req = request_line(f.chip, f.offset, 1, 0);
    if (!g->led_req) {
        ret = -errno;
        request_err(err, errlen, "LED", led_line, &f, errno);
    }
    gpiod_chip_close(f.chip);
    return ret;
}

#else /* libgpiod 1.x */

static int gpiod_fd(struct button_input *in)
{
    struct gpiod_input *g = (struct gpiod_input *)in;
    return gpiod_line_event_get_fd(g->line);
}

static int gpiod_read(struct button_input *in, struct button_edge *out, int max)
{
    struct gpiod_input *g = (struct gpiod_input *)in;
    int fd = gpiod_line_event_get_fd(g->line);
    int n = 0;
    while (n < max) {
        int r = readable(fd);
        if (r <= 0)
            return n ? n : r;
        /* One read(2) of the kernel's queue: it returns what is there once poll said POLLIN. */
        int want = max - n < EVENTS_MAX ? max - n : EVENTS_MAX;
        int got = gpiod_line_event_read_fd_multiple(fd, g->events, (unsigned int)want);
        if (got < 0)
            return n ? n : -(errno ? errno : EIO);
        int64_t now = mono_ms();
        for (int i = 0; i < got; i++) {
            const struct gpiod_line_event *ev = &g->events[i];
            int64_t ns = (int64_t)ev->ts.tv_sec * 1000000000 + ev->ts.tv_nsec;
            out[n].pressed = ev->event_type == GPIOD_LINE_EVENT_FALLING_EDGE;
            out[n].t_ms = stamp_ms(g, ns, now);
            n++;
        }
        if (got == 0)
            break;
    }
    return n;
}

static int gpiod_set_led(struct button_input *in, int on)
{
    struct gpiod_input *g = (struct gpiod_input *)in;
    if (!g->led)
        return -ENOTSUP;
    if (gpiod_line_set_value(g->led, on ? 1 : 0) < 0)
        return -(errno ? errno : EIO);
    return 0;
}

static void gpiod_close(struct button_input *in)
{
    struct gpiod_input *g = (struct gpiod_input *)in;
    if (!g)
        return;
    if (g->led)
        gpiod_line_release(g->led);
    if (g->line)
        gpiod_line_release(g->line);
    if (g->led_chip)
        gpiod_chip_close(g->led_chip);
    if (g->chip)
        gpiod_chip_close(g->chip);
    free(g);
}

/* No kernel debounce in uAPI v1: debounce_ms is button.c's business. The chips stay open (owned by
 * g) because v1 line handles live inside them. */
static int open_lines(struct gpiod_input *g, const char *line, const char *led_line,
                      int debounce_ms, char *err, size_t errlen)
{
    struct found_line f;
    (void)debounce_ms;
    int ret = find_line(line, &f, err, errlen);
    if (ret < 0)
        return ret;
    g->chip = f.chip;
    if (gpiod_line_request_both_edges_events_flags(f.line, CONSUMER,
                                                   GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP) < 0) {
        ret = -errno;
        request_err(err, errlen, "button", line, &f, errno);
        return ret;
    }
    g->line = f.line;

    if (!led_line || !led_line[0])
        return 0;
    ret = find_line(led_line, &f, err, errlen);
    if (ret < 0)
        return ret;
    g->led_chip = f.chip;
    if (gpiod_line_request_output(f.line, CONSUMER, 0) < 0) {
        ret = -errno;
        request_err(err, errlen, "LED", led_line, &f, errno);
        return ret;
    }
    g->led = f.line;
    return 0;
}

#endif

static const struct button_input_ops gpiod_ops = {
#if GPIOD_V2
    .name = "gpiod2",
#else
    .name = "gpiod1",
#endif
    .fd = gpiod_fd,
    .read = gpiod_read,
    .set_led = gpiod_set_led,
    .close = gpiod_close,
};

/* Owned by the caller; freed with button_input_close. line NULL or "" means "GPIO17". */
struct button_input *button_input_gpiod_new(const char *line, const char *led_line, int debounce_ms,
                                            char *err, size_t errlen)
{
    struct gpiod_input *g = calloc(1, sizeof(*g));
    if (!g)
        abort(); /* out of memory aborts, as everywhere (common/util's policy) */
    g->base.ops = &gpiod_ops;
    g->last_ms = INT64_MIN;
    if (!line || !line[0])
        line = DEFAULT_LINE;
    if (debounce_ms < 0)
        debounce_ms = 0;
    if (open_lines(g, line, led_line, debounce_ms, err, errlen) < 0) {
        gpiod_close(&g->base);
        return NULL;
    }
    return &g->base;
}
