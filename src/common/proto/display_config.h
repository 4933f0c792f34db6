/* display_config.h: one display's configuration as panicd stores it, serves it
 * (GET /api/v1/displays/{name}), panicctl sets it and panic-display follows it: the struct, the
 * mode names, the defaults, setting one key from text with a reason, the whole-config rules and
 * display names. The one definition every program shares; JSON lives in display_config_json.h.
 * Pure libc. */
#ifndef PANIC_PROTO_DISPLAY_CONFIG_H
#define PANIC_PROTO_DISPLAY_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define DISPLAY_CONFIG_NAME_MAX 63

enum display_mode {
    DISPLAY_MODE_GRID,     /* rows x cols, slot = seq mod cells */
    DISPLAY_MODE_SINGLE,   /* one cell: seq mod stride == offset, and the genesis */
    DISPLAY_MODE_INFO,     /* the latest output with the network's details */
    DISPLAY_MODE_TERMINAL, /* the latest output and a prompt typed here */
};
#define DISPLAY_MODE_COUNT 4

/* What the display is: a screen (panic-display draws it) or a Vestaboard (panicd sends it each
 * chosen text output through the board's Local API, offset/stride like a single screen). */
enum display_kind { DISPLAY_KIND_SCREEN, DISPLAY_KIND_VESTABOARD };
#define DISPLAY_KIND_COUNT 2

#define DISPLAY_HOLIDAYS_MAX 64 /* dates in tv_holidays */
#define DISPLAY_URL_MAX 200     /* bytes of vestaboard_url, with its NUL */
#define DISPLAY_DAYS_ALL 0x7f   /* tv_days: every day (bit d is tm_wday d, 0 = Sunday) */

struct display_config {
    int64_t network; /* 0: the first network */
    enum display_mode mode;
    int rows, cols;     /* grid: 1-16 each */
    int offset, stride; /* single: offset 0-63 < stride 1-64 */
    int show_invoking;  /* single: show "invoking" rather than keep the last output */
    int audio;          /* play the audible cell's clip */
    /* TV power by opening hours (HDMI-CEC): on at tv_on and off at tv_off, minutes after local
     * midnight (off <= on spans midnight; on == off is 24 h), on the days of tv_days, never on
     * a date of tv_holidays (yyyymmdd, ascending, 0 after the last). tv_on or tv_off -1: no
     * schedule, the TV stays on. */
    int tv_on, tv_off;
    int tv_days;
    int32_t tv_holidays[DISPLAY_HOLIDAYS_MAX];
    enum display_kind kind;
    char vestaboard_url[DISPLAY_URL_MAX]; /* the board's Local API, http://HOST:7000 */
    int initial_prompt; /* vestaboard: the genesis prompt goes to this board, read for 10 s */
};

/* The kinds of value a key takes, for codecs: a whole number, yes/no, a mode name, a time of
 * day ("09:30", "" for none), days of the week ("mon-fri,sun", "all", "none"), a list of dates
 * ("2026-12-25,2027-01-01"), a kind name, or text (a URL). */
enum display_field_type {
    DISPLAY_FIELD_INT,
    DISPLAY_FIELD_BOOL,
    DISPLAY_FIELD_MODE,
    DISPLAY_FIELD_TIME,
    DISPLAY_FIELD_DAYS,
    DISPLAY_FIELD_DATES,
    DISPLAY_FIELD_KIND,
    DISPLAY_FIELD_TEXT,
};

struct display_field {
    const char *key;
    enum display_field_type type;
    long long min, max; /* DISPLAY_FIELD_INT only */
};

/* "grid", "single", "info", "terminal"; "?" for a value out of range. */
const char *display_mode_name(enum display_mode mode);
/* 0 and *out, or -EINVAL for a name that is none of them. */
int display_mode_parse(const char *name, enum display_mode *out);

/* "screen", "vestaboard"; "?" for a value out of range. */
const char *display_kind_name(enum display_kind kind);

/* A 2x2 grid of the first network, showing invoking cells, with audio, a screen with no TV
 * schedule. */
struct display_config display_config_default(void);
/* Set one key from text (the config file's, panicctl's and the JSON codec's form): 0, or
 * -EINVAL with a reason in err (unknown key, value out of range, not yes/no, not a mode). On
 * failure d is unchanged. */
int display_config_set(struct display_config *d, const char *key, const char *value, char *err,
                       size_t errlen);
/* The rules across keys (offset < stride): 0, or -EINVAL with a reason. */
int display_config_check(const struct display_config *d, char *err, size_t errlen);
/* Display names: 1-63 of [A-Za-z0-9_:-] ("gallery-pi-3:HDMI-A-1"). 1 if valid. */
int display_config_name_valid(const char *name);

/* Fill d's unset TV schedule from global (panicd.conf's tv_* keys): tv_on, tv_off and tv_days
 * together when d has neither time, tv_holidays when d lists none. */
void display_config_inherit_tv(struct display_config *d, const struct display_config *global);

/* The keys in wire order (network, mode, rows, cols, offset, stride, show_invoking, audio, tv_on,
 * tv_off, tv_days, tv_holidays, kind, vestaboard_url, initial_prompt); NULL past the last.
 * Static storage. */
const struct display_field *display_field_at(size_t i);
/* The key's description, or NULL for a key that is not one. */
const struct display_field *display_field_find(const char *key);
/* A key's value: the number, 0/1 for a BOOL, the enum for MODE and KIND, minutes for a TIME (-1
 * none), the mask for DAYS; 0 for DATES and TEXT (see display_field_format). */
long long display_field_get(const struct display_config *d, const struct display_field *f);
/* A key's value as display_config_set takes it back ("09:30", "mon-fri", "2026-12-25", "grid",
 * "yes", "12"), into buf (truncated to len). */
void display_field_format(const struct display_config *d, const struct display_field *f, char *buf,
                          size_t len);

#endif
