/* test_config.c: panicd's config keys for the visitor features (device tokens and long-press
 * stop, the prompt deck and its order, the visitor secret and rate) through config_load on a
 * temporary file: values, defaults, and the refusals with the line they name. */
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

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    RUN(config_keys);
    TEST_END("test_config");
}
