/* options.c: panic-display's flags and display.conf keys from one table (see options.h). A value
 * is checked by one setter whichever way it comes, so the file and the command line accept and
 * refuse the same things; the file's reasons get "file:line:" from conf.c, the command line's
 * the flag's name. Defaults go through the same setter, so a bad default cannot hide. Uses libc
 * and the environment only: no SDL, no network. */
#include "options.h"
#include "common/conf.h"
#include "common/checkout.h"
#include "common/util.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define AT(field) offsetof(struct display_options, field)
#define USAGE_COLUMN 22 /* where the help text starts */
#define USAGE_WIDTH 80

/* The host name up to its first dot, then ":" and the output when PANIC_OUTPUT names one (the
 * systemd unit sets it to its instance): "gallery-pi-3:HDMI-A-1", so a fresh Pi shows up as itself.
 */
static const char *find_host(void)
{
    static char name[64 + 1 + 64];
    char host[64] = "display";
    gethostname(host, sizeof host - 1);
    host[strcspn(host, ".")] = '\0';
    const char *output = getenv("PANIC_OUTPUT");
    if (output && *output)
        snprintf(name, sizeof name, "%s:%.63s", host, output);
    else
        snprintf(name, sizeof name, "%s", host);
    return name;
}

/* From the build tree the repository's state/display, like `make run`, so a normal user needs
 * no /var/lib; installed, the table's default. */
static const char *find_state_dir(void)
{
    static char dir[PATH_MAX + 16];
    const char *repo = checkout_root();
    if (!repo)
        return NULL;
    snprintf(dir, sizeof dir, "%s/state/display", repo);
    return dir;
}

static const char *find_font(void)
{
    static char in_repo[PATH_MAX + 64];
    static const char *const candidates[] = {
        "/usr/local/share/panic/fonts/DepartureMono-Regular.otf",
        "/usr/share/panic/fonts/DepartureMono-Regular.otf",
        CHECKOUT_FONT,
    };
    const char *repo = checkout_root();
    if (repo) {
        snprintf(in_repo, sizeof in_repo, "%s/" CHECKOUT_FONT, repo);
        return in_repo;
    }
    for (size_t i = 0; i < ARRAY_LEN(candidates); i++)
        if (access(candidates[i], R_OK) == 0)
            return candidates[i];
    return candidates[ARRAY_LEN(candidates) - 1];
}

static const struct display_option table[] = {
    {.flag = "--config",
     .type = OPT_STRING,
     .arg = "FILE",
     .help = "settings",
     .def_doc = DISPLAY_CONFIG_PATH ", optional",
     .off = AT(config)},
    {.key = "coordinator",
     .flag = "--coordinator",
     .type = OPT_STRING,
     .arg = "URL",
     .env = "PANIC_COORDINATOR",
     .def_doc = "$PANIC_COORDINATOR or the one announced on the LAN (mDNS), else "
                "http://127.0.0.1:8080",
     .help = "panicd's address",
     .off = AT(coordinator)},
    {.key = "installation",
     .flag = "--installation",
     .type = OPT_STRING,
     .arg = "NAME",
     .env = "PANIC_INSTALLATION",
     .def_doc = "$PANIC_INSTALLATION or the only one on the LAN",
     .help = "with several coordinators on the LAN, the installation to join",
     .off = AT(installation)},
    {.key = "name",
     .flag = "--name",
     .type = OPT_STRING,
     .arg = "NAME",
     .find = find_host,
     .def_doc = "HOST:$PANIC_OUTPUT, or the host name",
     .help = "this display's name",
     .off = AT(name)},
    {.key = "token",
     .flag = "--token",
     .type = OPT_STRING,
     .arg = "TOKEN",
     .env = "PANIC_TOKEN",
     .help = "device token for prompts typed here",
     .off = AT(token)},
    {.key = "state_dir",
     .flag = "--state-dir",
     .type = OPT_STRING,
     .arg = "DIR",
     .env = "STATE_DIRECTORY",
     .find = find_state_dir,
     .def = "/var/lib/panic-display",
     .def_doc = "/var/lib/panic-display; from the build tree, the repository's state/display",
     .help = "media cache and last state",
     .off = AT(state_dir)},
    {.key = "font",
     .flag = "--font",
     .type = OPT_STRING,
     .arg = "FILE",
     .find = find_font,
     .def_doc = "the installed copy; from the build tree, the repository's fonts/",
     .help = "Departure Mono",
     .off = AT(font)},
    {.flag = "--window",
     .type = OPT_SIZE,
     .arg = "WxH",
     .min = 64,
     .max = 7680,
     .max_h = 4320,
     .help = "a window instead of fullscreen (development)",
     .off = AT(win_w)},
    {.flag = "--offscreen",
     .type = OPT_FLAG,
     .help = "render without a screen (software renderer)",
     .off = AT(offscreen)},
    {.flag = "--frames",
     .type = OPT_INT,
     .arg = "N",
     .min = 0,
     .max = INT32_MAX,
     .def = "0",
     .def_doc = "0: run until stopped",
     .help = "stop after N frames",
     .off = AT(frames)},
    {.flag = "--screenshot",
     .type = OPT_STRING,
     .arg = "DIR",
     .help = "write frames as PNG into DIR",
     .off = AT(screenshot_dir)},
    {.flag = "--screenshot-every",
     .type = OPT_INT,
     .arg = "K",
     .min = 1,
     .max = 100000,
     .def = "1",
     .help = "every K-th frame; with --frames 0 it writes DIR/latest.png",
     .off = AT(screenshot_every)},
    {.key = "fps",
     .flag = "--fps",
     .type = OPT_INT,
     .arg = "N",
     .min = 1,
     .max = 240,
     .def = "60",
     .help = "cap the frame rate",
     .off = AT(fps)},
    {.key = "rotate",
     .flag = "--rotate",
     .type = OPT_INT,
     .arg = "DEG",
     .min = 0,
     .max = 270,
     .step = 90,
     .def = "0",
     .help = "clockwise: 0, 90, 180 or 270",
     .off = AT(rotate)},
    {.key = "cache_mb",
     .flag = "--cache-mb",
     .type = OPT_INT,
     .arg = "N",
     .min = 16,
     .max = 1 << 20,
     .def = "512",
     .help = "disk cache budget",
     .off = AT(cache_mb)},
    {.key = "renderer",
     .flag = "--renderer",
     .type = OPT_CHOICE,
     .arg = "auto|software|gl",
     .choices = "auto|software|gl",
     .def = "auto",
     .def_doc = "auto: gl unless GL is emulated on the CPU (llvmpipe), software offscreen",
     .help = "how frames are drawn",
     .off = AT(renderer)},
    {.key = "audible_slot",
     .flag = "--audible-slot",
     .type = OPT_INT,
     .arg = "N",
     .min = -1,
     .max = 255,
     .def = "-1",
     .def_doc = "-1: the newest audio cell",
     .help = "the cell whose audio plays (if it holds audio)",
     .off = AT(audible_slot)},
    {.key = "hud",
     .flag = "--hud",
     .type = OPT_CHOICE,
     .arg = "on|off",
     .choices = "on|off",
     .def = "on",
     .help = "a status line over the bottom-left corner",
     .off = AT(no_hud)},
    {.key = "qr",
     .flag = "--qr",
     .type = OPT_CHOICE,
     .arg = "corner|off",
     .choices = "corner|off",
     .def = "corner",
     .help = "the prompt page's QR code over the bottom-right corner",
     .off = AT(no_qr)},
    {.flag = "--bands",
     .type = OPT_CHOICE,
     .arg = "octave|third",
     .choices = "octave|third",
     .def = "octave",
     .def_doc = "octave, like the original",
     .help = "visualiser bands",
     .off = AT(third_octave)},
    {.key = "button",
     .flag = "--button",
     .type = OPT_STRING,
     .arg = "SPEC",
     .def = "none",
     .help = "the panic button: none, gpiod[:LINE] (GPIO17), fifo:PATH (lines 1/0, for tests "
             "and other devices)",
     .off = AT(button)},
    {.key = "led",
     .flag = "--led",
     .type = OPT_STRING,
     .arg = "LINE",
     .help = "GPIO line of the button's LED",
     .off = AT(led)},
    {.key = "button_key",
     .flag = "--button-key",
     .type = OPT_STRING,
     .arg = "KEY",
     .def = "F12",
     .help = "a key that acts as the button (none: no key)",
     .off = AT(button_key)},
    {.key = "long_press_ms",
     .flag = "--long-press-ms",
     .type = OPT_INT,
     .arg = "N",
     .min = 500,
     .max = 60000,
     .def = "3000",
     .help = "hold time of the staff stop",
     .off = AT(long_press_ms)},
    {.flag = "--headless",
     .type = OPT_FLAG,
     .help = "no screen: only the button (a button-only Pi)",
     .off = AT(headless)},
    {.key = "prompt_url",
     .flag = "--prompt-url",
     .type = OPT_STRING,
     .arg = "URL",
     .def_doc = "from the coordinator",
     .help = "the QR code's address",
     .off = AT(prompt_url)},
    {.key = "heartbeat_ms",
     .flag = "--heartbeat-ms",
     .type = OPT_INT,
     .arg = "N",
     .min = 100,
     .max = 600000,
     .def = "10000",
     .help = "how often this display tells the coordinator it is alive",
     .off = AT(heartbeat_ms)},
    {.key = "cec",
     .flag = "--cec",
     .type = OPT_STRING,
     .arg = "DEVICE",
     .def = "auto",
     .help = "the HDMI-CEC device that switches the TV by the coordinator's tv_on/tv_off "
             "(auto: the first /dev/cecN; none: leave the TV alone, only stop drawing)",
     .off = AT(cec)},
};

const struct display_option *display_option_at(size_t i)
{
    return i < ARRAY_LEN(table) ? &table[i] : NULL;
}

static void *slot(struct display_options *o, const struct display_option *d)
{
    return (char *)o + d->off;
}

/* Item i of count onto a list in words: "a", "a or b", "a, b or c". */
static void list_add(char *out, size_t len, size_t i, size_t count, const char *item, size_t n)
{
    size_t used = strlen(out);
    if (used < len)
        snprintf(out + used, len - used, "%s%.*s",
                 !i               ? ""
                 : i + 1 == count ? " or "
                                  : ", ",
                 (int)n, item);
}

static int set_int(struct display_options *o, const struct display_option *d, const char *value,
                   char *err, size_t errlen)
{
    long long v;
    if (conf_int(value, d->min, d->max, &v, err, errlen) < 0 || (d->step && v % d->step)) {
        if (d->step) {
            char list[64] = "", item[24];
            size_t count = (size_t)((d->max - d->min) / d->step + 1);
            for (size_t i = 0; i < count; i++) {
                int n = snprintf(item, sizeof item, "%ld", d->min + (long)i * d->step);
                list_add(list, sizeof list, i, count, item, (size_t)n);
            }
            snprintf(err, errlen, "'%s' is not %s", value, list);
        }
        return -EINVAL;
    }
    *(long *)slot(o, d) = (long)v;
    return 0;
}

static int set_choice(struct display_options *o, const struct display_option *d, const char *value,
                      char *err, size_t errlen)
{
    const char *c = d->choices;
    for (int i = 0; *c; i++) {
        size_t n = strcspn(c, "|");
        if (strlen(value) == n && !strncmp(c, value, n)) {
            *(int *)slot(o, d) = i;
            return 0;
        }
        c += n + (c[n] == '|');
    }
    char list[128] = "";
    size_t count = 1;
    for (c = d->choices; *c; c++)
        count += *c == '|';
    c = d->choices;
    for (size_t i = 0; i < count; i++) {
        size_t n = strcspn(c, "|");
        list_add(list, sizeof list, i, count, c, n);
        c += n + (c[n] == '|');
    }
    snprintf(err, errlen, "'%s' is not %s", value, list);
    return -EINVAL;
}

static int set_size(struct display_options *o, const struct display_option *d, const char *value,
                    char *err, size_t errlen)
{
    int w, h;
    if (sscanf(value, "%dx%d", &w, &h) != 2 || w < d->min || h < d->min || w > d->max ||
        h > d->max_h) {
        snprintf(err, errlen, "'%s' is not WxH from %ldx%ld to %ldx%ld, e.g. 1280x720", value,
                 d->min, d->min, d->max, d->max_h);
        return -EINVAL;
    }
    o->win_w = w;
    o->win_h = h;
    return 0;
}

/* One value, from the file or the command line (NULL for a flag without one). 0, or -EINVAL
 * with a reason that names the value, not the key or flag: the caller adds where it came from. */
static int set(struct display_options *o, const struct display_option *d, const char *value,
               char *err, size_t errlen)
{
    switch (d->type) {
    case OPT_STRING: {
        char **s = slot(o, d);
        free(*s);
        *s = xstrdup(value);
        return 0;
    }
    case OPT_INT:
        return set_int(o, d, value, err, errlen);
    case OPT_FLAG:
        if (!value) {
            *(int *)slot(o, d) = 1;
            return 0;
        }
        return conf_bool(value, slot(o, d), err, errlen);
    case OPT_CHOICE:
        return set_choice(o, d, value, err, errlen);
    case OPT_SIZE:
        return set_size(o, d, value, err, errlen);
    }
    return -EINVAL;
}

static int on_setting(void *user, const char *key, const char *value, char *err, size_t errlen)
{
    for (size_t i = 0; i < ARRAY_LEN(table); i++)
        if (table[i].key && !strcmp(table[i].key, key))
            return set(user, &table[i], value, err, errlen);
    snprintf(err, errlen, "unknown setting '%s'", key);
    return -EINVAL;
}

static const struct display_option *by_flag(const char *flag)
{
    for (size_t i = 0; i < ARRAY_LEN(table); i++)
        if (!strcmp(table[i].flag, flag))
            return &table[i];
    return NULL;
}

static int is_help(const char *a)
{
    return !strcmp(a, "--help") || !strcmp(a, "-h");
}

/* The command line onto o. OPTIONS_OK, OPTIONS_HELP or OPTIONS_USAGE with err. */
static enum options_result parse_args(struct display_options *o, int argc, char **argv, char *err,
                                      size_t errlen)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const struct display_option *d = by_flag(a);
        if (is_help(a))
            return OPTIONS_HELP;
        if (!d) {
            snprintf(err, errlen, "unknown option %s", a);
            return OPTIONS_USAGE;
        }
        const char *v = NULL;
        if (d->type != OPT_FLAG) {
            if (i + 1 >= argc) {
                snprintf(err, errlen, "%s needs a value", a);
                return OPTIONS_USAGE;
            }
            v = argv[++i];
        }
        char reason[PANIC_ERR_LEN] = "";
        if (set(o, d, v, reason, sizeof reason) < 0) {
            snprintf(err, errlen, "%s: %s", a, reason);
            return OPTIONS_USAGE;
        }
    }
    return OPTIONS_OK;
}

/* --config's value, looked for before anything else is set; NULL if not given. */
static const char *config_arg(int argc, char **argv)
{
    const char *config = NULL;
    for (int i = 1; i < argc; i++) {
        const struct display_option *d = by_flag(argv[i]);
        if (!d || d->type == OPT_FLAG || i + 1 >= argc)
            continue;
        if (!strcmp(d->flag, "--config"))
            config = argv[i + 1];
        i++;
    }
    return config;
}

/* Strings still unset: the environment, then what is found, then the table's default. */
static void fill_strings(struct display_options *o)
{
    for (size_t i = 0; i < ARRAY_LEN(table); i++) {
        const struct display_option *d = &table[i];
        char **s = slot(o, d);
        if (d->type != OPT_STRING || *s)
            continue;
        const char *v = d->env ? getenv(d->env) : NULL;
        if (!v && d->find)
            v = d->find();
        if (!v)
            v = d->def;
        if (v)
            *s = xstrdup(v);
    }
}

enum options_result options_load(struct display_options *o, int argc, char **argv,
                                 const char *default_config, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    for (size_t i = 0; i < ARRAY_LEN(table); i++)
        if (table[i].def && table[i].type != OPT_STRING &&
            set(o, &table[i], table[i].def, err, errlen) < 0)
            return OPTIONS_USAGE; /* a bad table: the unit test sees it first */
    const char *config = config_arg(argc, argv);
    if (config || (default_config && access(default_config, F_OK) == 0)) {
        if (conf_parse_file(config ? config : default_config, on_setting, o, err, errlen) < 0)
            return OPTIONS_CONFIG;
    }
    enum options_result r = parse_args(o, argc, argv, err, errlen);
    if (r == OPTIONS_OK)
        fill_strings(o);
    return r;
}

void options_free(struct display_options *o)
{
    for (size_t i = 0; i < ARRAY_LEN(table); i++) {
        if (table[i].type == OPT_STRING) {
            char **s = slot(o, &table[i]);
            free(*s);
            *s = NULL;
        }
    }
}

/* text wrapped into the help column; the first line goes on from column col. */
static void wrap(FILE *f, const char *text, int col)
{
    for (int first = 1; *text; first = 0) {
        size_t word = strcspn(text, " ");
        if (!first && col + 1 + (int)word > USAGE_WIDTH) {
            fprintf(f, "\n%*s", USAGE_COLUMN, "");
            col = USAGE_COLUMN;
        } else if (!first) {
            fputc(' ', f);
            col++;
        }
        fwrite(text, 1, word, f);
        col += (int)word;
        text += word;
        text += strspn(text, " ");
    }
    fputc('\n', f);
}

void options_usage(FILE *f)
{
    fputs("usage: panic-display [options]\n", f);
    for (size_t i = 0; i < ARRAY_LEN(table); i++) {
        const struct display_option *d = &table[i];
        char left[64], text[512], def[160] = "";
        snprintf(left, sizeof left, "%s%s%s", d->flag, d->arg ? " " : "", d->arg ? d->arg : "");
        if (d->def_doc)
            snprintf(def, sizeof def, " (default %s)", d->def_doc);
        else if (d->env && d->def)
            snprintf(def, sizeof def, " (default $%s or %s)", d->env, d->def);
        else if (d->env || d->def)
            snprintf(def, sizeof def, " (default %s%s)", d->env ? "$" : "",
                     d->env ? d->env : d->def);
        snprintf(text, sizeof text, "%s%s", d->help, def);
        int col = 2 + (int)strlen(left);
        int pad = col < USAGE_COLUMN ? USAGE_COLUMN - col : 2;
        fprintf(f, "  %s%*s", left, pad, "");
        wrap(f, text, col + pad);
    }
    fputs("  -h, --help          this text\n"
          "The settings file holds KEY VALUE lines; its keys, as the options of the same name:\n ",
          f);
    for (size_t i = 0, col = 1; i < ARRAY_LEN(table); i++) {
        if (!table[i].key)
            continue;
        if (col + 1 + strlen(table[i].key) > USAGE_WIDTH) {
            fputs("\n ", f);
            col = 1;
        }
        col += (size_t)fprintf(f, " %s", table[i].key);
    }
    fputc('\n', f);
}
