/* test_config_table.c: unit tests of panicd's config table (coordinator/core/config.c): the
 * defaults config_init takes from it, the bounds of every key by its type (whole numbers, yes/no,
 * USD amounts, choices, checked text), the families (device.NAME.*, dummy.MODEL.*, display.NAME.*,
 * price.MODEL, api_key*.NAME, openai_server.NAME.*, model.ID.*) with their name checks and limits,
 * and that etc/panicd.conf.example documents every key of the table and nothing else. Pure: no
 * daemon; reads the example file from the source tree (run from the repository's root). */
#include "coordinator/core/config.h"
#include "common/util.h"
#include "test.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXAMPLE "etc/panicd.conf.example"

static const struct config_spec *table(size_t *n)
{
    return config_specs(n);
}

static int has_prefix(const char *s, const char *prefix)
{
    return !strncmp(s, prefix, strlen(prefix));
}

/* A NAME that each family accepts. */
static const char *sample_name(const struct config_spec *s)
{
    if (has_prefix(s->name, "dummy."))
        return "dummy-t2i";
    if (has_prefix(s->name, "price."))
        return "gpt-5";
    if (has_prefix(s->name, "api_key"))
        return "openai";
    if (has_prefix(s->name, "openai_server."))
        return "gpu";
    if (has_prefix(s->name, "model."))
        return "m1";
    return "tv1";
}

/* The key a row stands for, its NAME replaced by a sample and "*" by field. */
static void sample_key(const struct config_spec *s, const char *field, char *out, size_t len)
{
    size_t pl = strcspn(s->name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
    if (!s->family) {
        snprintf(out, len, "%s", s->name);
        return;
    }
    const char *rest = strchr(s->name + pl, '.');
    const char *tail = !rest ? "" : !strcmp(rest, ".*") ? field : rest + 1;
    snprintf(out, len, "%.*s%s%s%s", (int)pl, s->name, sample_name(s), rest ? "." : "", tail);
}

/* Where the row's value went: into cfg, or into the first entry of its family. */
static void *slot_of(struct panicd_config *cfg, const struct config_spec *s)
{
    char *base = (char *)cfg;
    if (has_prefix(s->name, "device."))
        base = (char *)&cfg->devices[0];
    else if (has_prefix(s->name, "dummy."))
        base = (char *)&cfg->dummy[0];
    else if (has_prefix(s->name, "price."))
        base = (char *)&cfg->prices[0];
    else if (has_prefix(s->name, "api_key"))
        base = (char *)&cfg->keys[0];
    return base + s->off;
}

/* config_set on a fresh config; 0 or -EINVAL with err. */
static int set_one(struct panicd_config *cfg, const char *key, const char *value, char *err,
                   size_t errlen)
{
    config_init(cfg);
    err[0] = '\0';
    return config_set(cfg, key, value, err, errlen);
}

/* Each of bad[0..n) is refused for key, with why in the reason. */
static void check_refused(const char *key, const char *const *bad, size_t n, const char *why)
{
    struct panicd_config cfg;
    char err[PANIC_ERR_LEN];
    for (size_t b = 0; b < n && bad[b]; b++) {
        int rc = set_one(&cfg, key, bad[b], err, sizeof err);
        if (rc != -EINVAL || !strstr(err, why))
            TEST_FAIL_AT("%s '%s': rc %d \"%s\"", key, bad[b], rc, err);
        config_free(&cfg);
    }
}

TEST(table_is_well_formed)
{
    size_t n;
    const struct config_spec *s = table(&n);
    CHECK(n >= 30);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < i; j++)
            if (!strcmp(s[i].name, s[j].name))
                TEST_FAIL_AT("%s twice in the table", s[i].name);
        int upper = s[i].name[strcspn(s[i].name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")] != '\0';
        if (upper != (s[i].family != NULL) || (!s[i].family && strchr(s[i].name, '.')))
            TEST_FAIL_AT("%s: a family has a NAME, a plain key none (and no dot)", s[i].name);
        if (s[i].family && s[i].def)
            TEST_FAIL_AT("%s: a family's NAME has no default", s[i].name);
        if (s[i].type == CONFIG_INT && (s[i].min > s[i].max || s[i].scale < 1))
            TEST_FAIL_AT("%s: range %lld..%lld scale %lld", s[i].name, s[i].min, s[i].max,
                         (long long)s[i].scale);
        if (s[i].type == CONFIG_ENUM && (!s[i].choices || !s[i].choices[0].name))
            TEST_FAIL_AT("%s: no choices", s[i].name);
        char key[128];
        sample_key(&s[i], "mode", key, sizeof key);
        if (config_spec_find(key) != &s[i])
            TEST_FAIL_AT("%s: its key %s finds another row", s[i].name, key);
    }
    CHECK(config_spec_find("bogus") == NULL);
    CHECK(config_spec_find("device.tv1.colour") == NULL);
    CHECK(config_spec_find("device.tv1") == NULL);
    CHECK(config_spec_find("price.") == config_spec_find("price.x")); /* name checked later */
}

TEST(defaults_come_from_the_table)
{
    struct panicd_config cfg;
    config_init(&cfg);
    CHECK_STR_EQ(cfg.listen, "0.0.0.0:8080");
    CHECK_STR_EQ(cfg.state_dir, "/var/lib/panic");
    CHECK(!cfg.admin_token && !cfg.public_url && !cfg.prompt_deck && !cfg.visitor_secret);
    CHECK_EQ_INT(cfg.prompt_deck_cycle, 0);
    CHECK_EQ_INT(cfg.visitor_per_min, 5);
    CHECK_EQ_INT(cfg.log_level, 6);
    CHECK_EQ_INT(cfg.sync_full, 1);
    CHECK_EQ_INT(cfg.lockout_s, 30);
    CHECK_EQ_INT(cfg.heartbeat_ms, 15000);
    CHECK_EQ_INT(cfg.events_keep, 20000);
    CHECK_EQ_INT(cfg.max_attempts, 3);
    CHECK_EQ_INT(cfg.retry_base_ms, 1000);
    CHECK_EQ_INT(cfg.dummy_latency_ms, 300);
    CHECK_EQ_INT(cfg.default_builtin, 1);
    CHECK_EQ_INT(cfg.media_quota_mb, 4096);
    CHECK_EQ_INT(cfg.media_check_s, 600);
    CHECK_STR_EQ(cfg.replicate_base_url, "https://api.replicate.com/v1");
    CHECK_EQ_INT(cfg.display_missing_ms, 30000);
    CHECK(cfg.budget_usd_per_hour == 0);
    CHECK(!cfg.ndevices && !cfg.nkeys && !cfg.nprices && !cfg.ndummy && !cfg.ndisplays);
    CHECK(!cfg.openai.nservers && !cfg.openai.nmodels);
    config_free(&cfg);
    CHECK(config_spec_find("listen")->def != NULL);
}

TEST(int_bounds)
{
    size_t n;
    const struct config_spec *s = table(&n);
    struct panicd_config cfg;
    char key[128], value[64], err[PANIC_ERR_LEN], want[128];
    int seen = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i].type != CONFIG_INT)
            continue;
        seen++;
        sample_key(&s[i], NULL, key, sizeof key);
        const long long edge[2] = {s[i].min, s[i].max};
        for (int e = 0; e < 2; e++) {
            snprintf(value, sizeof value, "%lld", edge[e]);
            if (set_one(&cfg, key, value, err, sizeof err) != 0)
                TEST_FAIL_AT("%s %s: %s", key, value, err);
            else if (*(int64_t *)slot_of(&cfg, &s[i]) != edge[e] * s[i].scale)
                TEST_FAIL_AT("%s %s stored %lld", key, value,
                             (long long)*(int64_t *)slot_of(&cfg, &s[i]));
            config_free(&cfg);
            snprintf(value, sizeof value, "%lld", e ? edge[e] + 1 : edge[e] - 1);
            snprintf(want, sizeof want, "is not a whole number from %lld to %lld", s[i].min,
                     s[i].max);
            if (set_one(&cfg, key, value, err, sizeof err) != -EINVAL || !strstr(err, want))
                TEST_FAIL_AT("%s %s: \"%s\"", key, value, err);
            config_free(&cfg);
        }
        static const char *const bad[] = {"", "abc", "1.5", "0x10", "5 ", "9223372036854775808"};
        check_refused(key, bad, ARRAY_LEN(bad), "is not a whole number");
    }
    CHECK_EQ_INT(seen, 16);
    /* The heartbeat is in seconds in the file, in ms inside. */
    CHECK_EQ_INT(set_one(&cfg, "sse_heartbeat_seconds", "7", err, sizeof err), 0);
    CHECK_EQ_INT(cfg.heartbeat_ms, 7000);
    config_free(&cfg);
}

TEST(bool_values)
{
    size_t n;
    const struct config_spec *s = table(&n);
    struct panicd_config cfg;
    char key[128], err[PANIC_ERR_LEN];
    static const char *const yes[] = {"yes", "true", "on", "1"}, *const no[] = {"no", "false",
                                                                                "off", "0"};
    static const char *const bad[] = {"maybe", "Yes", "2", "", "y"};
    int seen = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i].type != CONFIG_BOOL)
            continue;
        seen++;
        sample_key(&s[i], NULL, key, sizeof key);
        for (size_t v = 0; v < 4; v++) {
            CHECK_EQ_INT(set_one(&cfg, key, yes[v], err, sizeof err), 0);
            CHECK_EQ_INT(*(int *)slot_of(&cfg, &s[i]), 1);
            config_free(&cfg);
            CHECK_EQ_INT(set_one(&cfg, key, no[v], err, sizeof err), 0);
            CHECK_EQ_INT(*(int *)slot_of(&cfg, &s[i]), 0);
            config_free(&cfg);
        }
        check_refused(key, bad, ARRAY_LEN(bad), "is not yes/no");
    }
    CHECK_EQ_INT(seen, 2);
}

TEST(usd_bounds)
{
    size_t n;
    const struct config_spec *s = table(&n);
    struct panicd_config cfg;
    char key[128], err[PANIC_ERR_LEN];
    static const struct {
        const char *text;
        double usd;
    } good[] = {{"0", 0}, {"0.003", 0.003}, {"2.50", 2.5}, {"1e6", 1e6}, {"1000000", 1e6}};
    static const char *const bad[] = {"-0.01", "1000000.01", "nan", "inf", "abc", "1x", "1,5"};
    int seen = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i].type != CONFIG_USD)
            continue;
        seen++;
        sample_key(&s[i], NULL, key, sizeof key);
        for (size_t g = 0; g < ARRAY_LEN(good); g++) {
            CHECK_EQ_INT(set_one(&cfg, key, good[g].text, err, sizeof err), 0);
            CHECK_NEAR(*(double *)slot_of(&cfg, &s[i]), good[g].usd, 1e-9);
            config_free(&cfg);
        }
        check_refused(key, bad, ARRAY_LEN(bad), "is not an amount in USD (0 to 1000000)");
    }
    CHECK_EQ_INT(seen, 2);
    CHECK_EQ_INT(set_one(&cfg, "price.gpt-5", "0.25", err, sizeof err), 0);
    CHECK_NEAR(config_price(&cfg, "gpt-5"), 0.25, 1e-9);
    CHECK(config_price(&cfg, "gpt-4") == 0);
    config_free(&cfg);
}

TEST(enum_choices)
{
    size_t n;
    const struct config_spec *s = table(&n);
    struct panicd_config cfg;
    char err[PANIC_ERR_LEN];
    int seen = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i].type != CONFIG_ENUM)
            continue;
        seen++;
        for (const struct config_choice *c = s[i].choices; c->name; c++) {
            CHECK_EQ_INT(set_one(&cfg, s[i].name, c->name, err, sizeof err), 0);
            CHECK_EQ_INT(*(int *)slot_of(&cfg, &s[i]), c->value);
            config_free(&cfg);
        }
        CHECK_EQ_INT(set_one(&cfg, s[i].name, "bogus", err, sizeof err), -EINVAL);
        config_free(&cfg);
        char want[128];
        snprintf(want, sizeof want, "%s 'bogus' is not ", s[i].name);
        CHECK(strstr(err, want) == err);
    }
    CHECK_EQ_INT(seen, 4);
    /* The messages name every choice, as they always have. */
    static const char *const want[][2] = {
        {"log_level", "log_level 'x' is not err, warn, info or debug"},
        {"prompt_deck_order", "prompt_deck_order 'x' is not cycle or shuffle"},
        {"sqlite_synchronous", "sqlite_synchronous 'x' is not full or normal"},
        {"default_network", "default_network 'x' is not builtin or dummy"},
    };
    for (size_t i = 0; i < ARRAY_LEN(want); i++) {
        CHECK_EQ_INT(set_one(&cfg, want[i][0], "x", err, sizeof err), -EINVAL);
        CHECK_STR_EQ(err, want[i][1]);
        config_free(&cfg);
    }
    CHECK_EQ_INT(set_one(&cfg, "default_network", "dummy", err, sizeof err), 0);
    CHECK_EQ_INT(cfg.default_builtin, 0);
    config_free(&cfg);
}

/* Text keys: what each takes and refuses, and the reason it gives. */
static const struct {
    const char *key;
    const char *good[3];
    const char *bad[3];
    const char *why;
} texts[] = {
    {"listen", {"127.0.0.1:0", "[::]:65535", ":8080"}, {"nowhere", "h:65536", "h:"}, "host:port"},
    {"state_dir", {"/var/x", "./x", "."}, {"x", "", "~/x"}, "state_dir must be a path"},
    {"admin_token",
     {"0123456789abcdef", "0123456789abcdef0123456789abcdef", "!@#$%^&*()_+-=[]"},
     {"0123456789abcde", "0123456789abcdef 0", "0123456789abcdef\t0"},
     "a token must be at least 16 characters with no spaces"},
    {"public_url",
     {"http://panic.local:8080", "https://x", "http://"},
     {"ftp://x", "panic.local", ""},
     "public_url must start with http:// or https://"},
    {"replicate_base_url",
     {"http://127.0.0.1:9/v1", "https://api.replicate.com/v1", "http://x"},
     {"api.replicate.com", "ftp://x", ""},
     "replicate_base_url must start with http:// or https://"},
    {"prompt_deck", {"/etc/panic/prompts.txt", "prompts.txt", "."}, {""}, "must be a path"},
    {"visitor_secret",
     {"0123456789abcdef0123456789abcdef"},
     {"0123456789abcdef0123456789abcde", "0123456789abcdef0123456789abcde f"},
     "visitor_secret must be at least 32 characters with no spaces"},
    {"api_key.NAME", {"sk-anything at all", "x"}, {NULL}, NULL},
    {"api_key_file.NAME", {"/etc/panic/creds/openai", "/"}, {"creds/openai", ""}, "absolute"},
    {"tv_on", {"09:30", "0:00", "none"}, {"24:00", "9", "09:30am"}, "is not a time of day HH:MM"},
    {"tv_off", {"17:15", "23:59", ""}, {"17:60", "5pm", "-1"}, "is not a time of day HH:MM"},
    {"tv_days", {"mon-fri", "sat,sun", "all"}, {"weekdays", "mon,", "Mon"}, "not days of the week"},
    {"tv_holidays",
     {"2026-12-25", "2026-12-25,2027-01-01", ""},
     {"2026-02-30", "25/12/2026", "2026-12-25,x"},
     "is not a date YYYY-MM-DD"},
    {"device.NAME.token",
     {"0123456789abcdef"},
     {"0123456789abcde", "0123456789abcdef 0"},
     "a token must be at least 16 characters with no spaces"},
};

TEST(string_checks)
{
    size_t n;
    const struct config_spec *s = table(&n);
    struct panicd_config cfg;
    char key[128], err[PANIC_ERR_LEN];
    for (size_t i = 0; i < n; i++) {
        if (s[i].type != CONFIG_STR)
            continue;
        size_t t = 0;
        while (t < ARRAY_LEN(texts) && strcmp(texts[t].key, s[i].name) != 0)
            t++;
        if (t == ARRAY_LEN(texts)) {
            TEST_FAIL_AT("%s: a text key with no cases in this test", s[i].name);
            continue;
        }
        sample_key(&s[i], NULL, key, sizeof key);
        for (size_t g = 0; g < 3 && texts[t].good[g]; g++) {
            if (set_one(&cfg, key, texts[t].good[g], err, sizeof err) != 0)
                TEST_FAIL_AT("%s '%s': %s", key, texts[t].good[g], err);
            else
                CHECK_STR_EQ(*(char **)slot_of(&cfg, &s[i]), texts[t].good[g]);
            /* Set twice: the second replaces the first (and nothing leaks). */
            CHECK_EQ_INT(config_set(&cfg, key, texts[t].good[0], err, sizeof err), 0);
            CHECK_STR_EQ(*(char **)slot_of(&cfg, &s[i]), texts[t].good[0]);
            config_free(&cfg);
        }
        check_refused(key, texts[t].bad, 3, texts[t].why);
        /* Shorter than the shortest length the table gives is refused. */
        if (s[i].min > 0) {
            char shorter[64];
            memset(shorter, 'x', sizeof shorter);
            shorter[s[i].min - 1] = '\0';
            CHECK_EQ_INT(set_one(&cfg, key, shorter, err, sizeof err), -EINVAL);
            config_free(&cfg);
        }
    }
}

TEST(families)
{
    struct panicd_config cfg;
    char key[128], err[PANIC_ERR_LEN];
    /* A NAME's settings gather in one entry, in the order the names first appear. */
    config_init(&cfg);
    CHECK_EQ_INT(config_set(&cfg, "device.tv1.long_press_stop", "yes", err, sizeof err), 0);
    CHECK_EQ_INT(config_set(&cfg, "device.tv2.token", "tv2-token-tv2-token", err, sizeof err), 0);
    CHECK_EQ_INT(config_set(&cfg, "device.tv1.token", "tv1-token-tv1-token", err, sizeof err), 0);
    CHECK_EQ_INT(config_set(&cfg, "device.a.b.token", "tv3-token-tv3-token", err, sizeof err), 0);
    CHECK_EQ_INT(cfg.ndevices, 3);
    CHECK_STR_EQ(cfg.devices[0].name, "tv1");
    CHECK_STR_EQ(cfg.devices[0].token, "tv1-token-tv1-token");
    CHECK_EQ_INT(cfg.devices[0].long_press_stop, 1);
    CHECK_EQ_INT(cfg.devices[1].long_press_stop, 0);
    CHECK_STR_EQ(cfg.devices[2].name, "a.b"); /* the field is after the last dot */
    CHECK_EQ_INT(config_set(&cfg, "dummy.dummy-i2t.fail_times", "2", err, sizeof err), 0);
    CHECK_EQ_INT(config_dummy(&cfg, "dummy-i2t")->latency_ms, -1); /* the global one */
    CHECK_EQ_INT(config_dummy(&cfg, "dummy-i2t")->fail_times, 2);
    CHECK(config_dummy(&cfg, "dummy-t2i") == NULL);
    CHECK_EQ_INT(config_set(&cfg, "display.tv1.rows", "3", err, sizeof err), 0);
    CHECK_EQ_INT(cfg.displays[0].cfg.rows, 3);
    CHECK_EQ_INT(cfg.displays[0].cfg.cols, 2); /* display_cfg_default */
    CHECK_EQ_INT(config_set(&cfg, "api_key.openai", "sk-1", err, sizeof err), 0);
    CHECK_EQ_INT(config_set(&cfg, "api_key_file.openai", "/run/creds/openai", err, sizeof err), 0);
    CHECK_EQ_INT(cfg.nkeys, 1);
    CHECK_STR_EQ(cfg.keys[0].value, "sk-1");
    CHECK_STR_EQ(cfg.keys[0].file, "/run/creds/openai");
    CHECK_EQ_INT(
        config_set(&cfg, "openai_server.gpu.base_url", "http://gpu:8080/v1", err, sizeof err), 0);
    CHECK_EQ_INT(config_set(&cfg, "model.m1.server", "gpu", err, sizeof err), 0);
    CHECK_EQ_INT(cfg.openai.nservers, 1);
    CHECK_EQ_INT(cfg.openai.nmodels, 1);
    config_free(&cfg);

    /* Each family's limit, with its message. */
    static const struct {
        const char *prefix, *suffix, *value;
        int max;
        const char *why;
    } caps[] = {
        {"device.d", ".token", "0123456789abcdef", CONFIG_MAX_DEVICES,
         "too many devices (at most 64)"},
        {"display.d", ".rows", "3", CONFIG_MAX_DISPLAYS, "too many displays (at most 64)"},
        {"price.m", "", "1", CONFIG_MAX_PRICES, "too many prices (at most 128)"},
        {"api_key.p", "", "s", CONFIG_MAX_KEYS, "too many api keys (at most 16)"},
        {"openai_server.s", ".timeout_s", "5", OPENAI_CONFIG_MAX_SERVERS,
         "too many OpenAI-compatible servers (at most 8)"},
    };
    for (size_t c = 0; c < ARRAY_LEN(caps); c++) {
        config_init(&cfg);
        for (int i = 0; i <= caps[c].max; i++) {
            snprintf(key, sizeof key, "%s%d%s", caps[c].prefix, i, caps[c].suffix);
            int rc = config_set(&cfg, key, caps[c].value, err, sizeof err);
            if (rc != (i < caps[c].max ? 0 : -EINVAL))
                TEST_FAIL_AT("%s: rc %d (%s)", key, rc, err);
        }
        CHECK_STR_EQ(err, caps[c].why);
        /* A NAME already there still takes settings. */
        snprintf(key, sizeof key, "%s0%s", caps[c].prefix, caps[c].suffix);
        CHECK_EQ_INT(config_set(&cfg, key, caps[c].value, err, sizeof err), 0);
        config_free(&cfg);
    }

    /* Names, fields and shapes each family refuses, with the reason. */
    static const char *const bad[][3] = {
        {"device.tv1.colour", "red", "unknown device setting 'colour' (token, long_press_stop)"},
        {"device.tv1.", "x", "unknown device setting '' (token, long_press_stop)"},
        {"dummy.dummy-t2i.colour", "red",
         "unknown dummy setting 'colour' (latency_ms, fail_times, always_fail)"},
        {"dummy.gpt-5.latency_ms", "3", "'gpt-5' is not a dummy model"},
        {"dummy.nope.colour", "3", "'nope' is not a dummy model"},
        {"display.a b.mode", "grid", "display name 'a b' must be 1-63 letters, digits, -, _ or :"},
        {"display.tv1.colour", "red", "unknown display setting 'colour'"},
        {"display.tv1.mode", "cinema", "mode 'cinema' is not one of grid, single, info, terminal"},
        {"api_key.", "x", "'api_key.' needs a platform name (api_key.openai, ...)"},
        {"api_key_file.", "/x", "'api_key_file.' needs a platform name"},
        {"api_key.012345678901234567890123456789012", "x", "needs a platform name"},
        {"openai_server.gpu", "x", "'openai_server.gpu' should be openai_server.NAME.FIELD"},
        {"openai_server.openai.base_url", "http://x/v1", "is a platform's name"},
        {"model.m1.colour", "red", "unknown model setting 'colour'"},
        {"model.", "x", "should be model.NAME.FIELD"},
        /* Not a family's shape at all: an unknown key. */
        {"price.", "1", "unknown setting 'price.'"},
        {"device.tv1", "x", "unknown setting 'device.tv1'"},
        {"device..token", "0123456789abcdef", "unknown setting 'device..token'"},
        {"display.0123456789012345678901234567890123456789012345678901234567890123.mode", "grid",
         "unknown setting"},
        {"dummy.", "1", "unknown setting 'dummy.'"},
        {"api_key", "x", "unknown setting 'api_key'"},
        {"Listen", "127.0.0.1:0", "unknown setting 'Listen'"},
        {"bogus", "1", "unknown setting 'bogus'"},
    };
    for (size_t b = 0; b < ARRAY_LEN(bad); b++) {
        int rc = set_one(&cfg, bad[b][0], bad[b][1], err, sizeof err);
        if (rc != -EINVAL || !strstr(err, bad[b][2]))
            TEST_FAIL_AT("%s %s: rc %d \"%s\"", bad[b][0], bad[b][1], rc, err);
        config_free(&cfg);
    }
    /* A 63-character display name is the longest. */
    CHECK_EQ_INT(set_one(&cfg,
                         "display.012345678901234567890123456789012345678901234567890123456789012."
                         "mode",
                         "grid", err, sizeof err),
                 0);
    config_free(&cfg);
    CHECK_EQ_INT(set_one(&cfg, "api_key.01234567890123456789012345678901", "x", err, sizeof err),
                 0);
    config_free(&cfg);
}

/* A commented-out setting in the example: "# key value", key in lower case with a '.' or '_'. */
static int looks_like_key(const char *w, size_t len)
{
    if (len == 0 || w[0] < 'a' || w[0] > 'z')
        return 0;
    int marked = 0;
    for (size_t i = 0; i < len; i++) {
        char c = w[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
            return 0;
        marked |= c == '_' || c == '.';
    }
    return marked;
}

/* One "key value" line of the example: it must be a key of the table whose value the table
 * takes (placeholders "..." aside); an uncommented one must say the default. */
static void example_setting(int lineno, int commented, const char *key, const char *value,
                            int *covered)
{
    size_t n;
    const struct config_spec *s = table(&n);
    const struct config_spec *spec = config_spec_find(key);
    if (!spec) {
        TEST_FAIL_AT(EXAMPLE ":%d: '%s' is not a key of the table", lineno, key);
        return;
    }
    covered[spec - s] = 1;
    struct panicd_config cfg;
    char err[PANIC_ERR_LEN];
    int rc = set_one(&cfg, key, value, err, sizeof err);
    config_free(&cfg);
    if (rc < 0 && strstr(err, "unknown"))
        TEST_FAIL_AT(EXAMPLE ":%d: %s", lineno, err);
    else if (rc < 0 && strncmp(value, "...", 3) != 0)
        TEST_FAIL_AT(EXAMPLE ":%d: %s %s: %s", lineno, key, value, err);
    if (!commented && (spec->family || !spec->def || strcmp(spec->def, value) != 0))
        TEST_FAIL_AT(EXAMPLE ":%d: %s %s: an uncommented line must say the default (%s)", lineno,
                     key, value, spec->def ? spec->def : "none");
}

TEST(example_documents_every_key)
{
    FILE *f = fopen(EXAMPLE, "r");
    if (!f) {
        TEST_FAIL_AT("cannot open " EXAMPLE " (run from the repository's root)");
        return;
    }
    size_t n;
    table(&n);
    int covered[64] = {0};
    CHECK(n <= ARRAY_LEN(covered));
    char line[512];
    int lineno = 0, settings = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        int commented = line[0] == '#';
        const char *w = line + commented;
        while (commented && *w == ' ')
            w++;
        size_t len = strcspn(w, " \t");
        if (!*w || (commented && !looks_like_key(w, len)))
            continue;
        char key[128];
        snprintf(key, sizeof key, "%.*s", (int)len, w);
        const char *value = w + len + strspn(w + len, " \t");
        settings++;
        example_setting(lineno, commented, key, value, covered);
    }
    fclose(f);
    CHECK(settings > 40);
    const struct config_spec *s = table(&n);
    for (size_t i = 0; i < n; i++)
        if (!covered[i])
            TEST_FAIL_AT(EXAMPLE " does not document %s", s[i].name);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    RUN(table_is_well_formed);
    RUN(defaults_come_from_the_table);
    RUN(int_bounds);
    RUN(bool_values);
    RUN(usd_bounds);
    RUN(enum_choices);
    RUN(string_checks);
    RUN(families);
    RUN(example_documents_every_key);
    TEST_END("test_config_table");
}
