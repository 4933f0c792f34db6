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

struct display_config {
    int64_t network; /* 0: the first network */
    enum display_mode mode;
    int rows, cols;     /* grid: 1-16 each */
    int offset, stride; /* single: offset 0-63 < stride 1-64 */
    int show_invoking;  /* single: show "invoking" rather than keep the last output */
    int audio;          /* play the audible cell's clip */
};

/* The kinds of value a key takes, for codecs: a whole number, yes/no, or a mode name. */
enum display_field_type { DISPLAY_FIELD_INT, DISPLAY_FIELD_BOOL, DISPLAY_FIELD_MODE };

struct display_field {
    const char *key;
    enum display_field_type type;
    long long min, max; /* DISPLAY_FIELD_INT only */
};

/* "grid", "single", "info", "terminal"; "?" for a value out of range. */
const char *display_mode_name(enum display_mode mode);
/* 0 and *out, or -EINVAL for a name that is none of them. */
int display_mode_parse(const char *name, enum display_mode *out);

/* A 2x2 grid of the first network, showing invoking cells, with audio. */
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

/* The keys in wire order (network, mode, rows, cols, offset, stride, show_invoking, audio);
 * NULL past the last. Static storage. */
const struct display_field *display_field_at(size_t i);
/* The key's description, or NULL for a key that is not one. */
const struct display_field *display_field_find(const char *key);
/* A key's value: the number, 0/1 for a BOOL, the enum for MODE. */
long long display_field_get(const struct display_config *d, const struct display_field *f);

#endif
