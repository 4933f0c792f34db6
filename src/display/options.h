/* options.h: panic-display's settings. One table describes every command-line flag and every
 * display.conf key (name, --flag, type, range, default, help, where it goes); it drives parsing
 * of both, the usage text and the defaults. The file is read first and the command line
 * overrides it; what is still unset comes from the environment or is found (host name, font). */
#ifndef PANIC_DISPLAY_OPTIONS_H
#define PANIC_DISPLAY_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

#define DISPLAY_CONFIG_PATH "/etc/panic/display.conf"

/* Every string is owned (options_free); NULL only where no default exists (token, led, ...). */
struct display_options {
    char *config;       /* --config: the settings file */
    char *coordinator;  /* panicd's base URL; NULL: found on the LAN (main.c) */
    char *installation; /* the installation to look for on the LAN; NULL: the only one */
    char *name;         /* this display's name on the coordinator */
    char *token;        /* device token, NULL for none */
    char *state_dir;
    char *font;
    char *screenshot_dir; /* NULL: no screenshots */
    char *prompt_url;     /* NULL: the coordinator's */
    char *cec;            /* the CEC device: "auto", "none" or a path */
    int win_w, win_h;     /* --window (one setting, two fields); 0: fullscreen */
    int offscreen;
    long frames; /* 0: run until stopped */
    long screenshot_every;
    long fps;
    long rotate; /* degrees clockwise: 0, 90, 180, 270 */
    long cache_mb;
    int third_octave;  /* --bands third */
    long audible_slot; /* -1: the newest audio cell */
    int no_hud;        /* --hud off */
    int no_qr;         /* --qr off */
    int renderer;      /* --renderer: 0 auto, 1 software, 2 gl (enum screen_renderer) */
    char *button;      /* none, gpiod[:LINE], fifo:PATH */
    char *led;         /* the LED's line name, NULL for none */
    char *button_key;  /* SDL key name acting as the button, "none" for none */
    long long_press_ms;
    int headless;
    long heartbeat_ms;
};

enum display_option_type {
    OPT_STRING,
    OPT_INT,    /* a whole number in [min, max], a multiple of step if step is set */
    OPT_FLAG,   /* no value on the command line; yes/no in the file */
    OPT_CHOICE, /* one of choices ("a|b"): its index */
    OPT_SIZE,   /* WxH, each side from min to max (max_h for the height) */
};

struct display_option {
    const char *key;  /* display.conf key; NULL: command line only */
    const char *flag; /* "--fps" */
    enum display_option_type type;
    const char *arg; /* the value's name in the usage ("N", "URL") */
    long min, max, max_h, step;
    const char *choices;
    const char *def;           /* the default, as text through the same parser; NULL: none */
    const char *env;           /* OPT_STRING: an environment variable used before def */
    const char *(*find)(void); /* OPT_STRING: a default found at run time, used before def */
    const char *def_doc;       /* the usage's "(default ...)" when it is not def itself */
    const char *help;
    size_t off; /* where it goes in struct display_options */
};

enum options_result {
    OPTIONS_OK,
    OPTIONS_HELP,   /* -h or --help: print options_usage to stdout, exit 0 */
    OPTIONS_USAGE,  /* a bad command line: err says why (exit 2 with the usage) */
    OPTIONS_CONFIG, /* a bad config file: err is "file:line: reason" (exit 78) */
};

/* Fill o: defaults, then the settings file (--config FILE, else default_config if it exists;
 * default_config may be NULL), then the command line, then for strings still unset the
 * environment and what is found. On anything but OPTIONS_OK err says why. options_free after,
 * whatever the result. */
enum options_result options_load(struct display_options *o, int argc, char **argv,
                                 const char *default_config, char *err, size_t errlen);
void options_free(struct display_options *o);
/* The usage text, from the table. */
void options_usage(FILE *f);
/* The table, in usage order; NULL past the last entry. */
const struct display_option *display_option_at(size_t i);

#endif
