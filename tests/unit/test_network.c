/* test_network.c: network validation messages and the config parser (file:line errors). */
#include "common/conf.h"
#include "coordinator/core/catalog.h"
#include "coordinator/core/config.h"
#include "coordinator/core/network.h"
#include "test.h"

#include <errno.h>
#include <string.h>

static int validate(const char *const *m, size_t n, char *err)
{
    return network_validate(m, n, err, 512);
}

TEST(valid_networks)
{
    char err[512];
    const char *const a[] = {"dummy-t2t"};
    const char *const b[] = {"dummy-t2i", "dummy-i2t", "dummy-t2a", "dummy-a2t"};
    CHECK_EQ_INT(validate(a, 1, err), 0);
    CHECK_EQ_INT(validate(b, 4, err), 0);
}

TEST(invalid_networks_name_the_models)
{
    char err[512];
    CHECK_EQ_INT(validate(NULL, 0, err), -EINVAL);
    CHECK(strstr(err, "at least one model") != NULL);
    const char *const unknown[] = {"dummy-t2t", "no-such", "gone-too"};
    CHECK_EQ_INT(validate(unknown, 3, err), -EINVAL);
    CHECK(strstr(err, "no-such") && strstr(err, "gone-too"));
    const char *const first_image[] = {"dummy-i2t"};
    CHECK_EQ_INT(validate(first_image, 1, err), -EINVAL);
    CHECK(strstr(err, "dummy-i2t") && strstr(err, "text prompt"));
    const char *const chain[] = {"dummy-t2i", "dummy-t2t"};
    CHECK_EQ_INT(validate(chain, 2, err), -EINVAL);
    CHECK(strstr(err, "dummy-t2i output (image) does not match dummy-t2t input (text)") != NULL);
    const char *const open[] = {"dummy-t2i"};
    CHECK_EQ_INT(validate(open, 1, err), -EINVAL);
    CHECK(strstr(err, "not a cycle") != NULL);
}

TEST(catalogue_has_every_dummy_pair)
{
    int pairs[3][3] = {{0}};
    for (size_t i = 0; i < catalog_count(); i++) {
        const struct model_info *m = catalog_at(i);
        if (!strcmp(m->platform, "dummy"))
            pairs[m->input][m->output]++;
    }
    for (int i = 0; i < 3; i++)
        for (int o = 0; o < 3; o++)
            CHECK_EQ_INT(pairs[i][o], 1);
    CHECK(catalog_find("dummy-t2i") != NULL);
    CHECK(catalog_find("nope") == NULL);
}

static int parse(struct panicd_config *cfg, const char *text, char *err)
{
    config_init(cfg);
    return conf_parse_text("panicd.conf", text, (conf_setting_fn)config_set, cfg, err, 512);
}

TEST(config_accepts_every_key)
{
    struct panicd_config cfg;
    char err[512] = "";
    int rc = parse(&cfg,
                   "# comment\n\nlisten 127.0.0.1:0\nstate_dir /tmp/x\n"
                   "admin_token 0123456789abcdef0123\nlockout_seconds 12\n"
                   "sqlite_synchronous normal\nsse_heartbeat_seconds 5\nevents_keep 500\n"
                   "invoke_attempts 2\nretry_base_ms 10\ndummy_latency_ms 0\n"
                   "dummy.dummy-t2i.latency_ms 50\ndummy.dummy-t2i.fail_times 2\n"
                   "device.tv1.token abcdefghijklmnopqrst\ndisplay.tv1.mode single\n"
                   "display.tv1.stride 4\ndisplay.tv1.offset 3\nlog_level debug\n"
                   "public_url http://panic.local:8080\n",
                   err);
    CHECK_EQ_INT(rc, 0);
    if (rc)
        printf("  %s\n", err);
    CHECK_STR_EQ(cfg.listen, "127.0.0.1:0");
    CHECK_EQ_INT(cfg.lockout_s, 12);
    CHECK_EQ_INT(cfg.sync_full, 0);
    CHECK_EQ_INT(cfg.heartbeat_ms, 5000);
    CHECK_EQ_INT(config_dummy(&cfg, "dummy-t2i")->latency_ms, 50);
    CHECK_EQ_INT(config_dummy(&cfg, "dummy-t2i")->fail_times, 2);
    CHECK_EQ_INT(cfg.ndevices, 1);
    CHECK_EQ_INT(cfg.ndisplays, 1);
    CHECK_STR_EQ(display_mode_name(cfg.displays[0].cfg.mode), "single");
    CHECK_EQ_INT(cfg.displays[0].cfg.offset, 3);
    config_free(&cfg);
}

TEST(config_errors_name_file_and_line)
{
    struct panicd_config cfg;
    char err[512];
    CHECK_EQ_INT(parse(&cfg, "listen 127.0.0.1:0\n\nbogus_key 1\n", err), -EINVAL);
    CHECK(strstr(err, "panicd.conf:3:") && strstr(err, "bogus_key"));
    config_free(&cfg);
    CHECK_EQ_INT(parse(&cfg, "lockout_seconds -4\n", err), -EINVAL);
    CHECK(strstr(err, "panicd.conf:1:") != NULL);
    config_free(&cfg);
    CHECK_EQ_INT(parse(&cfg, "listen nowhere\n", err), -EINVAL);
    config_free(&cfg);
    CHECK_EQ_INT(parse(&cfg, "admin_token short\n", err), -EINVAL);
    config_free(&cfg);
    CHECK_EQ_INT(parse(&cfg, "dummy.gpt-5.latency_ms 3\n", err), -EINVAL);
    config_free(&cfg);
    CHECK_EQ_INT(parse(&cfg, "display.tv1.mode cinema\n", err), -EINVAL);
    config_free(&cfg);
    CHECK_EQ_INT(parse(&cfg, "lockout_seconds\n", err), -EINVAL);
    CHECK(strstr(err, "needs a value") != NULL);
    config_free(&cfg);
    struct display_config d = display_config_default();
    d.stride = 2;
    d.offset = 2;
    CHECK_EQ_INT(display_config_check(&d, err, 512), -EINVAL);
    CHECK(!display_config_name_valid("a b"));
    CHECK(display_config_name_valid("tv-1_x"));
}

int main(void)
{
    RUN(valid_networks);
    RUN(invalid_networks_name_the_models);
    RUN(catalogue_has_every_dummy_pair);
    RUN(config_accepts_every_key);
    RUN(config_errors_name_file_and_line);
    TEST_END("test_network");
}
