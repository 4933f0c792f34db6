/* test_display_options.c: panic-display's one table of flags and display.conf keys: the
 * defaults, every key documented in etc/display.conf.example (and the example accepted with every
 * documented key switched on), every flag's bad values refused with a message naming the flag
 * and the value, the same values refused in the file with file:line, the command line winning
 * over the file and the file over the environment, and the usage text listing everything. */
#include "common/util.h"
#include "display/options.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXAMPLE "etc/display.conf.example"

static enum options_result load(struct display_options *o, char **argv, char *err, size_t len)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    return options_load(o, argc, argv, NULL, err, len);
}

/* A temporary file holding text; its path in path (>= 64 bytes). */
static void write_file(char *path, const char *text)
{
    snprintf(path, 64, "/tmp/panic-test-options-XXXXXX");
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *text = xcalloc(1, 1 << 16);
    size_t n = fread(text, 1, (1 << 16) - 1, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

TEST(defaults)
{
    unsetenv("PANIC_COORDINATOR");
    unsetenv("PANIC_TOKEN");
    unsetenv("STATE_DIRECTORY");
    struct display_options o;
    char err[512] = "";
    char *argv[] = {"panic-display", NULL};
    CHECK_EQ_INT(load(&o, argv, err, sizeof err), OPTIONS_OK);
    CHECK(o.coordinator == NULL); /* found on the LAN by main.c, else http://127.0.0.1:8080 */
    CHECK(o.installation == NULL);
    CHECK(o.name && o.name[0]);
    CHECK(o.token == NULL);
    CHECK_STR_EQ(o.state_dir, "/var/lib/panic-display");
    CHECK(o.font && strstr(o.font, "DepartureMono-Regular.otf"));
    CHECK(o.screenshot_dir == NULL);
    CHECK(o.prompt_url == NULL);
    CHECK(o.config == NULL);
    CHECK_EQ_INT(o.win_w, 0);
    CHECK_EQ_INT(o.win_h, 0);
    CHECK_EQ_INT(o.offscreen, 0);
    CHECK_EQ_INT(o.frames, 0);
    CHECK_EQ_INT(o.screenshot_every, 1);
    CHECK_EQ_INT(o.fps, 60);
    CHECK_EQ_INT(o.rotate, 0);
    CHECK_EQ_INT(o.cache_mb, 512);
    CHECK_EQ_INT(o.third_octave, 0);
    CHECK_STR_EQ(o.button, "none");
    CHECK(o.led == NULL);
    CHECK_STR_EQ(o.button_key, "F12");
    CHECK_EQ_INT(o.long_press_ms, 3000);
    CHECK_EQ_INT(o.headless, 0);
    options_free(&o);

    /* The environment fills what neither the file nor the command line set. */
    setenv("PANIC_COORDINATOR", "http://env:1", 1);
    setenv("PANIC_TOKEN", "env-token", 1);
    setenv("STATE_DIRECTORY", "/tmp/env-state", 1);
    CHECK_EQ_INT(load(&o, argv, err, sizeof err), OPTIONS_OK);
    CHECK_STR_EQ(o.coordinator, "http://env:1");
    CHECK_STR_EQ(o.token, "env-token");
    CHECK_STR_EQ(o.state_dir, "/tmp/env-state");
    options_free(&o);
    unsetenv("PANIC_COORDINATOR");
    unsetenv("PANIC_TOKEN");
    unsetenv("STATE_DIRECTORY");
}

/* A line "KEY VALUE" or "# KEY VALUE" documents KEY. */
static const char *documented(const char *text, const char *key)
{
    size_t n = strlen(key);
    for (const char *line = text; *line;) {
        const char *p = line, *eol = strchr(line, '\n');
        if (!strncmp(p, "# ", 2))
            p += 2;
        if (!strncmp(p, key, n) && p[n] == ' ')
            return p;
        if (!eol)
            break;
        line = eol + 1;
    }
    return NULL;
}

TEST(every_key_documented_in_the_example)
{
    char *text = read_all(EXAMPLE);
    CHECK(text != NULL);
    if (!text)
        return;
    const struct display_option *d;
    int keys = 0;
    for (size_t i = 0; (d = display_option_at(i)); i++) {
        if (!d->key)
            continue;
        keys++;
        if (!documented(text, d->key))
            TEST_FAIL_AT("display.conf key '%s' is not in " EXAMPLE, d->key);
    }
    CHECK(keys >= 13);

    /* The example as shipped, and with every documented key switched on, is accepted. */
    struct display_options o;
    char err[512] = "";
    char *argv[] = {"panic-display", "--config", EXAMPLE, NULL};
    CHECK_EQ_INT(load(&o, argv, err, sizeof err), OPTIONS_OK);
    CHECK(o.coordinator == NULL); /* shipped: every line a comment */
    options_free(&o);
    char *on = xcalloc(1, strlen(text) + 1);
    for (const char *line = text; *line;) {
        size_t n = strcspn(line, "\n");
        const char *p = line;
        for (size_t i = 0; (d = display_option_at(i)); i++)
            if (d->key && !strncmp(line, "# ", 2) && documented(line, d->key) == line + 2)
                p = line + 2;
        strncat(on, p, n - (size_t)(p - line));
        strcat(on, "\n");
        line += n + (line[n] == '\n');
    }
    char path[64];
    write_file(path, on);
    argv[2] = path;
    if (load(&o, argv, err, sizeof err) != OPTIONS_OK)
        TEST_FAIL_AT("the example with every key on: %s", err);
    CHECK_STR_EQ(o.coordinator, "http://panic.local:8080");
    CHECK_STR_EQ(o.button, "gpiod");
    CHECK_STR_EQ(o.led, "GPIO22");
    CHECK_EQ_INT(o.long_press_ms, 3000);
    options_free(&o);
    remove(path);
    free(on);
    free(text);
}

/* Bad values for d: each refused on the command line with "--flag: 'value' ..." and in the
 * file with "path:1: 'value' ...". */
static void bad_values(const struct display_option *d, const char *const *values)
{
    struct display_options o;
    for (size_t i = 0; values[i]; i++) {
        char err[512] = "", want[256];
        char *argv[] = {"panic-display", (char *)d->flag, (char *)values[i], NULL};
        snprintf(want, sizeof want, "%s: '%s' is not ", d->flag, values[i]);
        int r = load(&o, argv, err, sizeof err);
        options_free(&o);
        if (r != OPTIONS_USAGE || strncmp(err, want, strlen(want)) != 0)
            TEST_FAIL_AT("%s %s: result %d, \"%s\"", d->flag, values[i], r, err);
        if (!d->key || !values[i][0])
            continue; /* the file has no empty values (conf.c refuses them itself) */
        char text[256], path[64];
        snprintf(text, sizeof text, "%s %s\n", d->key, values[i]);
        write_file(path, text);
        char *fargv[] = {"panic-display", "--config", path, NULL};
        r = load(&o, fargv, err, sizeof err);
        options_free(&o);
        snprintf(want, sizeof want, "%s:1: '%s' is not ", path, values[i]);
        if (r != OPTIONS_CONFIG || strncmp(err, want, strlen(want)) != 0)
            TEST_FAIL_AT("file %s %s: result %d, \"%s\"", d->key, values[i], r, err);
        remove(path);
    }
}

TEST(every_flag_refuses_bad_values)
{
    const struct display_option *d;
    int checked = 0;
    for (size_t i = 0; (d = display_option_at(i)); i++) {
        struct display_options o;
        char err[512] = "";
        if (d->type != OPT_FLAG) {
            /* Every flag that takes a value says so when it has none. */
            char *argv[] = {"panic-display", (char *)d->flag, NULL};
            char want[96];
            snprintf(want, sizeof want, "%s needs a value", d->flag);
            CHECK_EQ_INT(load(&o, argv, err, sizeof err), OPTIONS_USAGE);
            CHECK_STR_EQ(err, want);
            options_free(&o);
        }
        char lo[32], hi[32], mid[32];
        snprintf(lo, sizeof lo, "%ld", d->min - 1);
        snprintf(hi, sizeof hi, "%ld", d->max + 1);
        snprintf(mid, sizeof mid, "%ld", d->min + 1);
        const char *ints[] = {lo, hi, "x", "", "1.5", "7e2", d->step ? mid : NULL, NULL};
        const char *sizes[] = {"63x100", "100x63", "7681x100", "100x4321", "640", "x", "", NULL};
        const char *choices[] = {"bogus", "", "OCTAVE", NULL};
        switch (d->type) {
        case OPT_INT:
            bad_values(d, ints);
            checked++;
            break;
        case OPT_SIZE:
            bad_values(d, sizes);
            checked++;
            break;
        case OPT_CHOICE:
            bad_values(d, choices);
            checked++;
            break;
        case OPT_STRING:
        case OPT_FLAG:
            break; /* any text is a value */
        }
    }
    CHECK(checked >= 8);
    /* The ends of each range are accepted. */
    struct display_options o;
    char err[512] = "";
    char *argv[] = {"panic-display", "--fps",   "240",        "--rotate", "270",
                    "--window",      "64x4320", "--cache-mb", "16",       NULL};
    CHECK_EQ_INT(load(&o, argv, err, sizeof err), OPTIONS_OK);
    CHECK_EQ_INT(o.fps, 240);
    CHECK_EQ_INT(o.rotate, 270);
    CHECK_EQ_INT(o.win_w, 64);
    CHECK_EQ_INT(o.win_h, 4320);
    CHECK_EQ_INT(o.cache_mb, 16);
    options_free(&o);
    char *unknown[] = {"panic-display", "--colour", "red", NULL};
    CHECK_EQ_INT(load(&o, unknown, err, sizeof err), OPTIONS_USAGE);
    CHECK_STR_EQ(err, "unknown option --colour");
    options_free(&o);
    char path[64];
    write_file(path, "fps 30\ncolour red\n");
    char *file[] = {"panic-display", "--config", path, NULL};
    CHECK_EQ_INT(load(&o, file, err, sizeof err), OPTIONS_CONFIG);
    CHECK(strstr(err, ":2: unknown setting 'colour'") != NULL);
    options_free(&o);
    remove(path);
    /* Flags that are command-line only are no file keys. */
    write_file(path, "frames 3\n");
    CHECK_EQ_INT(load(&o, file, err, sizeof err), OPTIONS_CONFIG);
    options_free(&o);
    remove(path);
    char *missing[] = {"panic-display", "--config", "/nonexistent/display.conf", NULL};
    CHECK_EQ_INT(load(&o, missing, err, sizeof err), OPTIONS_CONFIG);
    options_free(&o);
}

TEST(flags_override_the_file)
{
    setenv("PANIC_COORDINATOR", "http://env:1", 1);
    char path[64];
    write_file(path, "coordinator http://file:2\n"
                     "name file-name\n"
                     "token file-token\n"
                     "state_dir /tmp/file-state\n"
                     "font file.otf\n"
                     "fps 30\n"
                     "rotate 90\n"
                     "cache_mb 64\n"
                     "button fifo:/tmp/file-button\n"
                     "led GPIO5\n"
                     "button_key F1\n"
                     "long_press_ms 1000\n"
                     "prompt_url http://file/prompt\n");
    struct display_options o;
    char err[512] = "";
    /* The file alone, over the environment. */
    char *file_only[] = {"panic-display", "--config", path, NULL};
    CHECK_EQ_INT(load(&o, file_only, err, sizeof err), OPTIONS_OK);
    CHECK_STR_EQ(o.coordinator, "http://file:2");
    CHECK_STR_EQ(o.name, "file-name");
    CHECK_STR_EQ(o.token, "file-token");
    CHECK_STR_EQ(o.state_dir, "/tmp/file-state");
    CHECK_STR_EQ(o.font, "file.otf");
    CHECK_EQ_INT(o.fps, 30);
    CHECK_EQ_INT(o.rotate, 90);
    CHECK_EQ_INT(o.cache_mb, 64);
    CHECK_STR_EQ(o.button, "fifo:/tmp/file-button");
    CHECK_STR_EQ(o.led, "GPIO5");
    CHECK_STR_EQ(o.button_key, "F1");
    CHECK_EQ_INT(o.long_press_ms, 1000);
    CHECK_STR_EQ(o.prompt_url, "http://file/prompt");
    options_free(&o);
    /* Flags before and after --config both win over it. */
    char *both[] = {"panic-display",
                    "--fps",
                    "24",
                    "--coordinator",
                    "http://flag:3",
                    "--config",
                    path,
                    "--name",
                    "flag-name",
                    "--token",
                    "flag-token",
                    "--state-dir",
                    "/tmp/flag-state",
                    "--font",
                    "flag.otf",
                    "--rotate",
                    "180",
                    "--cache-mb",
                    "128",
                    "--button",
                    "none",
                    "--led",
                    "GPIO6",
                    "--button-key",
                    "none",
                    "--long-press-ms",
                    "2000",
                    "--prompt-url",
                    "http://flag/prompt",
                    NULL};
    CHECK_EQ_INT(load(&o, both, err, sizeof err), OPTIONS_OK);
    CHECK_STR_EQ(o.coordinator, "http://flag:3");
    CHECK_STR_EQ(o.name, "flag-name");
    CHECK_STR_EQ(o.token, "flag-token");
    CHECK_STR_EQ(o.state_dir, "/tmp/flag-state");
    CHECK_STR_EQ(o.font, "flag.otf");
    CHECK_EQ_INT(o.fps, 24);
    CHECK_EQ_INT(o.rotate, 180);
    CHECK_EQ_INT(o.cache_mb, 128);
    CHECK_STR_EQ(o.button, "none");
    CHECK_STR_EQ(o.led, "GPIO6");
    CHECK_STR_EQ(o.button_key, "none");
    CHECK_EQ_INT(o.long_press_ms, 2000);
    CHECK_STR_EQ(o.prompt_url, "http://flag/prompt");
    CHECK_STR_EQ(o.config, path);
    options_free(&o);
    /* A bad file stops before the command line is looked at, even --help. */
    write_file(path, "fps 0\n");
    char *help[] = {"panic-display", "--config", path, "--help", NULL};
    CHECK_EQ_INT(load(&o, help, err, sizeof err), OPTIONS_CONFIG);
    options_free(&o);
    remove(path);
    unsetenv("PANIC_COORDINATOR");
}

TEST(command_line_only_flags)
{
    struct display_options o;
    char err[512] = "";
    char *argv[] = {"panic-display",
                    "--offscreen",
                    "--headless",
                    "--window",
                    "640x360",
                    "--frames",
                    "5",
                    "--screenshot",
                    "/tmp/shots",
                    "--screenshot-every",
                    "3",
                    "--bands",
                    "third",
                    NULL};
    CHECK_EQ_INT(load(&o, argv, err, sizeof err), OPTIONS_OK);
    CHECK_EQ_INT(o.offscreen, 1);
    CHECK_EQ_INT(o.headless, 1);
    CHECK_EQ_INT(o.win_w, 640);
    CHECK_EQ_INT(o.win_h, 360);
    CHECK_EQ_INT(o.frames, 5);
    CHECK_STR_EQ(o.screenshot_dir, "/tmp/shots");
    CHECK_EQ_INT(o.screenshot_every, 3);
    CHECK_EQ_INT(o.third_octave, 1);
    options_free(&o);
    char *help[] = {"panic-display", "--fps", "30", "-h", NULL};
    CHECK_EQ_INT(load(&o, help, err, sizeof err), OPTIONS_HELP);
    options_free(&o);
}

TEST(usage_lists_every_flag_and_key)
{
    char path[64];
    write_file(path, "");
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    options_usage(f);
    fclose(f);
    char *text = read_all(path);
    const struct display_option *d;
    for (size_t i = 0; text && (d = display_option_at(i)); i++) {
        char flag[64];
        snprintf(flag, sizeof flag, "  %s ", d->flag);
        if (!strstr(text, flag))
            TEST_FAIL_AT("usage has no %s", d->flag);
        if (d->key && !strstr(text, d->key))
            TEST_FAIL_AT("usage has no key %s", d->key);
    }
    CHECK(text && strstr(text, "(default 60)"));
    CHECK(text && strstr(text, "$PANIC_COORDINATOR or"));
    free(text);
    remove(path);
}

int main(void)
{
    RUN(defaults);
    RUN(every_key_documented_in_the_example);
    RUN(every_flag_refuses_bad_values);
    RUN(flags_override_the_file);
    RUN(command_line_only_flags);
    RUN(usage_lists_every_flag_and_key);
    TEST_END("test_display_options");
}
