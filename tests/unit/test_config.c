/* test_config.c: panicd's config keys for the visitor features (device tokens and long-press
 * stop, the prompt deck and its order, the visitor secret and rate) through config_load on a
 * temporary file: values, defaults, and the refusals with the line they name, also for checks
 * made after the whole file is read. */
#include "coordinator/core/config.h"
#include "support.h"
#include "test.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define ARRAY_SIZE_OF(a) (sizeof(a) / sizeof((a)[0]))

static int load_config_text(const char *text, struct panicd_config *cfg, char *err, size_t len)
{
    char path[128];
    if (write_temp_file(path, sizeof path, text) < 0)
        return -EIO;
    config_init(cfg);
    int rc = config_load(cfg, path, err, len);
    unlink(path);
    return rc;
}

TEST(config_keys)
{
    struct panicd_config cfg;
    char err[512] = "";
    CHECK_EQ_INT(load_config_text("device.tv1.long_press_stop yes\n"
                                  "device.tv1.token tv1-token-tv1-token\n"
                                  "device.tv2.token tv2-token-tv2-token\n"
                                  "prompt_deck /tmp/deck.txt\n"
                                  "prompt_deck_order cycle\n"
                                  "visitor_secret 0123456789abcdef0123456789abcdef\n"
                                  "visitor_prompts_per_minute 10\n",
                                  &cfg, err, sizeof err),
                 0);
    CHECK_EQ_INT(cfg.ndevices, 2);
    CHECK_EQ_INT(cfg.devices[0].long_press_stop, 1);
    CHECK_STR_EQ(cfg.devices[0].token, "tv1-token-tv1-token");
    CHECK_EQ_INT(cfg.devices[1].long_press_stop, 0);
    CHECK_STR_EQ(cfg.prompt_deck, "/tmp/deck.txt");
    CHECK_EQ_INT(cfg.prompt_deck_cycle, 1);
    CHECK_STR_EQ(cfg.visitor_secret, "0123456789abcdef0123456789abcdef");
    CHECK_EQ_INT(cfg.visitor_per_min, 10);
    config_free(&cfg);

    config_init(&cfg);
    CHECK_EQ_INT(cfg.prompt_deck_cycle, 0); /* shuffle by default */
    CHECK_EQ_INT(cfg.visitor_per_min, 5);
    CHECK(cfg.prompt_deck == NULL && cfg.visitor_secret == NULL);
    config_free(&cfg);

    const struct {
        const char *text, *err;
    } bad[] = {
        {"device.tv1.long_press_stop yes\n", "device tv1 has no token"},
        {"device.tv1.long_press_stop maybe\n", ":1:"},
        {"device.tv1.colour red\n", "long_press_stop"},
        {"prompt_deck_order random\n", "cycle or shuffle"},
        {"visitor_secret short\n", "at least 32"},
        {"visitor_prompts_per_minute -1\n", ":1:"},
    };
    for (size_t i = 0; i < ARRAY_SIZE_OF(bad); i++) {
        err[0] = '\0';
        CHECK(load_config_text(bad[i].text, &cfg, err, sizeof err) < 0);
        if (!strstr(err, bad[i].err))
            printf("  config \"%s\": %s\n", bad[i].text, err);
        CHECK(strstr(err, bad[i].err) != NULL);
        config_free(&cfg);
    }
}

/* Errors found after the file is read name the line to edit, like any other (issue 10). */
TEST(errors_name_the_line)
{
    struct panicd_config cfg;
    char err[512] = "", path[128];
    const struct {
        const char *text, *err;
    } bad[] = {
        /* The device's first line, not the end of the file. */
        {"lockout_seconds 5\ndevice.tv1.long_press_stop yes\n\nlockout_seconds 6\n",
         ":2: device tv1 has no token"},
        {"device.tv1.token tv1-token-tv1-token\ndevice.tv2.long_press_stop no\n",
         ":2: device tv2 has no token"},
        {"# displays\ndisplay.tv1.offset 5\ndisplay.tv1.stride 2\n",
         ":2: display tv1: offset (5) must be smaller than stride (2)"},
    };
    for (size_t i = 0; i < ARRAY_SIZE_OF(bad); i++) {
        err[0] = '\0';
        CHECK(load_config_text(bad[i].text, &cfg, err, sizeof err) < 0);
        if (!strstr(err, bad[i].err))
            printf("  config \"%s\": %s\n", bad[i].text, err);
        CHECK(strstr(err, bad[i].err) != NULL);
        config_free(&cfg);
    }

    /* A NUL byte: the line it is on. */
    static const char nul[] = "lockout_seconds 5\nlisten 127.0.0.1:0\nlog_level i\0nfo\n";
    REQUIRE(write_temp_file(path, sizeof path, "") == 0);
    FILE *f = fopen(path, "wb");
    REQUIRE(f != NULL);
    fwrite(nul, 1, sizeof nul - 1, f);
    fclose(f);
    config_init(&cfg);
    CHECK(config_load(&cfg, path, err, sizeof err) < 0);
    char want[200];
    snprintf(want, sizeof want, "%s:3: contains a NUL byte", path);
    if (strcmp(err, want))
        printf("  NUL: %s\n", err);
    CHECK_STR_EQ(err, want);
    config_free(&cfg);
    unlink(path);

    /* A UTF-8 byte order mark is no part of the first key; errors still count lines from 1. */
    CHECK_EQ_INT(load_config_text("\xef\xbb\xbflockout_seconds 7\n", &cfg, err, sizeof err), 0);
    CHECK_EQ_INT(cfg.lockout_s, 7);
    config_free(&cfg);
    CHECK(load_config_text("\xef\xbb\xbf# top\nlockout_seconds x\n", &cfg, err, sizeof err) < 0);
    CHECK(strstr(err, ":2:") != NULL);
    config_free(&cfg);

    /* Where prompt_deck was set, for the deck's errors (read later, by main). */
    CHECK_EQ_INT(load_config_text("lockout_seconds 5\n\nprompt_deck /nonexistent/deck.txt\n", &cfg,
                                  err, sizeof err),
                 0);
    CHECK_EQ_INT(cfg.prompt_deck_line, 3);
    config_free(&cfg);

    /* An OpenAI-compatible model whose server has no lines: the model's first line. */
    CHECK_EQ_INT(load_config_text("lockout_seconds 5\nmodel.llama.server lan\n"
                                  "model.llama.model llama3\nmodel.llama.input text\n"
                                  "model.llama.output text\n",
                                  &cfg, err, sizeof err),
                 0);
    struct model_info rows[4];
    CHECK_EQ_INT(openai_config_models(&cfg.openai, rows, 4, err, sizeof err), -EINVAL);
    CHECK(strstr(err, "model.llama: its server has no openai_server lines") != NULL);
    CHECK_EQ_INT(cfg.openai.error_line, 2);
    config_free(&cfg);
    CHECK_EQ_INT(load_config_text("openai_server.lan.timeout_s 5\n", &cfg, err, sizeof err), 0);
    CHECK_EQ_INT(openai_config_models(&cfg.openai, rows, 4, err, sizeof err), -EINVAL);
    CHECK(strstr(err, "base_url is missing") != NULL);
    CHECK_EQ_INT(cfg.openai.error_line, 1);
    config_free(&cfg);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    RUN(config_keys);
    RUN(errors_name_the_line);
    TEST_END("test_config");
}
