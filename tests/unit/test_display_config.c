/* test_display_config.c: the shared display configuration (src/common/proto): defaults, mode
 * names, setting every key from text, every bad value refused with a reason and the config left
 * as it was, the whole-config rules, display names, and the JSON codec: the exact wire form
 * panicd serves, a round trip of every key, and every bad JSON value refused with a reason. */
#include "common/proto/display_config.h"
#include "common/proto/display_config_json.h"
#include "common/util.h"
#include "test.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static int same(const struct display_config *a, const struct display_config *b)
{
    const struct display_field *f;
    char x[1024], y[1024];
    for (size_t i = 0; (f = display_field_at(i)); i++) {
        display_field_format(a, f, x, sizeof x);
        display_field_format(b, f, y, sizeof y);
        if (display_field_get(a, f) != display_field_get(b, f) || strcmp(x, y))
            return 0;
    }
    return 1;
}

TEST(defaults_and_modes)
{
    struct display_config d = display_config_default();
    CHECK_EQ_INT(d.network, 0);
    CHECK_EQ_INT(d.mode, DISPLAY_MODE_GRID);
    CHECK_EQ_INT(d.rows, 2);
    CHECK_EQ_INT(d.cols, 2);
    CHECK_EQ_INT(d.offset, 0);
    CHECK_EQ_INT(d.stride, 1);
    CHECK_EQ_INT(d.show_invoking, 1);
    CHECK_EQ_INT(d.audio, 1);
    char err[PANIC_ERR_LEN];
    CHECK_EQ_INT(display_config_check(&d, err, sizeof err), 0);

    static const char *const names[] = {"grid", "single", "info", "terminal"};
    for (int i = 0; i < DISPLAY_MODE_COUNT; i++) {
        enum display_mode m = DISPLAY_MODE_GRID;
        CHECK_STR_EQ(display_mode_name((enum display_mode)i), names[i]);
        CHECK_EQ_INT(display_mode_parse(names[i], &m), 0);
        CHECK_EQ_INT(m, i);
    }
    enum display_mode m = DISPLAY_MODE_INFO;
    CHECK(display_mode_parse("Grid", &m) < 0);
    CHECK(display_mode_parse("", &m) < 0);
    CHECK(display_mode_parse(NULL, &m) < 0);
    CHECK_EQ_INT(m, DISPLAY_MODE_INFO);
    CHECK_STR_EQ(display_mode_name((enum display_mode)DISPLAY_MODE_COUNT), "?");
}

TEST(every_key_from_text)
{
    struct display_config d = display_config_default();
    char err[PANIC_ERR_LEN];
    static const char *const good[][2] = {
        {"network", "9223372036854775807"},
        {"mode", "terminal"},
        {"rows", "16"},
        {"cols", "1"},
        {"offset", "63"},
        {"stride", "64"},
        {"show_invoking", "no"},
        {"audio", "off"},
    };
    for (size_t i = 0; i < ARRAY_LEN(good); i++)
        CHECK_EQ_INT(display_config_set(&d, good[i][0], good[i][1], err, sizeof err), 0);
    CHECK_EQ_INT(d.network, INT64_MAX);
    CHECK_EQ_INT(d.mode, DISPLAY_MODE_TERMINAL);
    CHECK_EQ_INT(d.rows, 16);
    CHECK_EQ_INT(d.cols, 1);
    CHECK_EQ_INT(d.offset, 63);
    CHECK_EQ_INT(d.stride, 64);
    CHECK_EQ_INT(d.show_invoking, 0);
    CHECK_EQ_INT(d.audio, 0);
    /* The yes/no words of every config file. */
    static const char *const yes[] = {"yes", "true", "on", "1"};
    for (size_t i = 0; i < ARRAY_LEN(yes); i++) {
        d.audio = 0;
        CHECK_EQ_INT(display_config_set(&d, "audio", yes[i], err, sizeof err), 0);
        CHECK_EQ_INT(d.audio, 1);
    }
    /* Every key is in the table once, found by name, in wire order. */
    static const char *const order[] = {"network", "mode",           "rows",          "cols",
                                        "offset",  "stride",         "show_invoking", "audio",
                                        "tv_on",   "tv_off",         "tv_days",       "tv_holidays",
                                        "kind",    "vestaboard_url", "initial_prompt"};
    for (size_t i = 0; i < ARRAY_LEN(order); i++) {
        CHECK(display_field_at(i) != NULL);
        if (display_field_at(i))
            CHECK_STR_EQ(display_field_at(i)->key, order[i]);
        CHECK(display_field_find(order[i]) == display_field_at(i));
    }
    CHECK(display_field_at(ARRAY_LEN(order)) == NULL);
    CHECK(display_field_find("name") == NULL);
}

/* Each refused with a reason that names the problem, and d unchanged. */
static void refused(const char *key, const char *value, const char *reason)
{
    struct display_config d = display_config_default(), before = d;
    char err[PANIC_ERR_LEN] = "";
    int rc = display_config_set(&d, key, value, err, sizeof err);
    if (rc != -EINVAL || !strstr(err, reason) || !same(&d, &before))
        TEST_FAIL_AT("%s %s: rc %d, reason \"%s\", wanted \"%s\"", key, value, rc, err, reason);
}

TEST(every_bad_value_refused)
{
    refused("network", "-1", "'-1' is not a whole number from 0 to 9223372036854775807");
    refused("network", "9223372036854775808", "is not a whole number");
    refused("network", "1.5", "is not a whole number");
    refused("network", "", "is not a whole number");
    refused("rows", "0", "'0' is not a whole number from 1 to 16");
    refused("rows", "17", "from 1 to 16");
    refused("rows", "two", "from 1 to 16");
    refused("cols", "0", "from 1 to 16");
    refused("cols", "17", "from 1 to 16");
    refused("offset", "-1", "from 0 to 63");
    refused("offset", "64", "from 0 to 63");
    refused("stride", "0", "from 1 to 64");
    refused("stride", "65", "from 1 to 64");
    refused("stride", "4 ", "from 1 to 64");
    refused("show_invoking", "maybe", "'maybe' is not yes/no");
    refused("show_invoking", "", "is not yes/no");
    refused("audio", "2", "'2' is not yes/no");
    refused("mode", "grids", "mode 'grids' is not one of grid, single, info, terminal");
    refused("mode", "GRID", "is not one of grid, single, info, terminal");
    refused("mode", "", "is not one of");
    refused("colour", "red",
            "unknown display setting 'colour' (network, mode, rows, cols, offset, stride, "
            "show_invoking, audio, tv_on, tv_off, tv_days, tv_holidays, kind, vestaboard_url, "
            "initial_prompt)");
    refused("tv_on", "24:00", "tv_on '24:00' is not a time of day HH:MM (00:00 to 23:59) or none");
    refused("tv_on", "9:5", "is not a time of day");
    refused("tv_on", "09:60", "is not a time of day");
    refused("tv_off", "0930", "tv_off '0930' is not a time of day");
    refused("tv_off", "09:30 ", "is not a time of day");
    refused("tv_off", "-1:00", "is not a time of day");
    refused("tv_days", "", "tv_days '' is not days of the week");
    refused("tv_days", "mon,", "is not days of the week");
    refused("tv_days", "monday", "is not days of the week");
    refused("tv_days", "mon-", "is not days of the week");
    refused("tv_days", "Mon", "is not days of the week");
    refused("tv_holidays", "2026-02-29", "tv_holidays: '2026-02-29' is not a date YYYY-MM-DD");
    refused("tv_holidays", "2026-12-25,26-12-2026", "'26-12-2026' is not a date");
    refused("tv_holidays", "2026-13-01", "is not a date");
    refused("tv_holidays", "2026-1-01", "is not a date");
    refused("kind", "tv", "kind 'tv' is not one of screen, vestaboard");
    refused("vestaboard_url", "ftp://board", "vestaboard_url must be an http:// or https:// URL");
    refused("vestaboard_url", "http://a b", "must be an http:// or https:// URL");
}

TEST(whole_config_rules)
{
    char err[PANIC_ERR_LEN] = "";
    struct display_config d = display_config_default();
    d.offset = 3;
    d.stride = 3;
    CHECK_EQ_INT(display_config_check(&d, err, sizeof err), -EINVAL);
    CHECK_STR_EQ(err, "offset (3) must be smaller than stride (3)");
    d.stride = 4;
    CHECK_EQ_INT(display_config_check(&d, err, sizeof err), 0);
    /* A struct filled in code is held to the same ranges. */
    d = display_config_default();
    d.rows = 0;
    CHECK_EQ_INT(display_config_check(&d, err, sizeof err), -EINVAL);
    CHECK_STR_EQ(err, "rows (0) must be from 1 to 16");
    d = display_config_default();
    d.audio = 2;
    CHECK_EQ_INT(display_config_check(&d, err, sizeof err), -EINVAL);
    CHECK_STR_EQ(err, "audio (2) must be from 0 to 1");
    d = display_config_default();
    d.mode = (enum display_mode)DISPLAY_MODE_COUNT;
    CHECK_EQ_INT(display_config_check(&d, err, sizeof err), -EINVAL);
    CHECK_STR_EQ(err, "mode (4) must be from 0 to 3");
    d = display_config_default();
    d.network = -1;
    CHECK_EQ_INT(display_config_check(&d, err, sizeof err), -EINVAL);
}

TEST(display_names)
{
    CHECK(display_config_name_valid("tv1"));
    CHECK(display_config_name_valid("pi1-HDMI-A-1"));
    CHECK(display_config_name_valid("a_b"));
    /* the default name: host and output */
    CHECK(display_config_name_valid("gallery-pi-3:HDMI-A-1"));
    CHECK(!display_config_name_valid("a/b"));
    char longest[DISPLAY_CONFIG_NAME_MAX + 2];
    memset(longest, 'x', sizeof longest);
    longest[DISPLAY_CONFIG_NAME_MAX] = '\0';
    CHECK(display_config_name_valid(longest));
    longest[DISPLAY_CONFIG_NAME_MAX] = 'x';
    longest[DISPLAY_CONFIG_NAME_MAX + 1] = '\0';
    CHECK(!display_config_name_valid(longest));
    CHECK(!display_config_name_valid(""));
    CHECK(!display_config_name_valid("tv 1"));
    CHECK(!display_config_name_valid("tv1.local"));
    CHECK(!display_config_name_valid("../x"));
    CHECK(!display_config_name_valid("caf\xc3\xa9"));
}

/* The TV schedule's and the Vestaboard's keys: their text forms both ways. */
TEST(tv_and_vestaboard_keys)
{
    char err[PANIC_ERR_LEN] = "", text[1024];
    struct display_config d = display_config_default();
    CHECK_EQ_INT(d.tv_on, -1);
    CHECK_EQ_INT(d.tv_off, -1);
    CHECK_EQ_INT(d.tv_days, DISPLAY_DAYS_ALL);
    CHECK_EQ_INT(d.kind, DISPLAY_KIND_SCREEN);
    static const struct {
        const char *key, *in, *out;
    } ok[] = {
        {"tv_on", "09:30", "09:30"},
        {"tv_on", "9:05", "09:05"},
        {"tv_off", "00:00", "00:00"},
        {"tv_off", "23:59", "23:59"},
        {"tv_off", "none", ""},
        {"tv_off", "", ""},
        {"tv_days", "mon-fri", "mon,tue,wed,thu,fri"},
        {"tv_days", "sun,sat", "sat,sun"},
        {"tv_days", "fri-mon", "mon,fri,sat,sun"},
        {"tv_days", "mon-sun", "all"},
        {"tv_days", "daily", "all"},
        {"tv_days", "none", "none"},
        {"tv_days", "wed", "wed"},
        {"tv_holidays", "2027-01-01,2026-12-25, 2026-12-25", "2026-12-25,2027-01-01"},
        {"tv_holidays", "2028-02-29", "2028-02-29"},
        {"tv_holidays", "", ""},
        {"tv_holidays", "none", ""},
        {"kind", "vestaboard", "vestaboard"},
        {"kind", "screen", "screen"},
        {"vestaboard_url", "http://192.168.1.50:7000", "http://192.168.1.50:7000"},
        {"initial_prompt", "yes", "yes"},
    };
    for (size_t i = 0; i < ARRAY_LEN(ok); i++) {
        CHECK_EQ_INT(display_config_set(&d, ok[i].key, ok[i].in, err, sizeof err), 0);
        display_field_format(&d, display_field_find(ok[i].key), text, sizeof text);
        if (strcmp(text, ok[i].out))
            TEST_FAIL_AT("%s %s: got '%s', wanted '%s'", ok[i].key, ok[i].in, text, ok[i].out);
    }
    CHECK_EQ_INT(display_config_set(&d, "tv_on", "18:00", err, sizeof err), 0);
    CHECK_EQ_INT(d.tv_on, 18 * 60);
    CHECK_EQ_INT(display_config_set(&d, "tv_days", "sat-sun", err, sizeof err), 0);
    CHECK_EQ_INT(d.tv_days, 0x41);
    /* Sixty-four dates fit, a sixty-fifth does not. */
    char many[2048] = "";
    for (int i = 0; i < DISPLAY_HOLIDAYS_MAX; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "%s2026-%02d-%02d", i ? "," : "",
                 1 + i / 28, 1 + i % 28);
    CHECK_EQ_INT(display_config_set(&d, "tv_holidays", many, err, sizeof err), 0);
    CHECK_EQ_INT(d.tv_holidays[DISPLAY_HOLIDAYS_MAX - 1], 20260308);
    strcat(many, ",2027-01-01");
    CHECK_EQ_INT(display_config_set(&d, "tv_holidays", many, err, sizeof err), -EINVAL);
    CHECK(strstr(err, "at most 64 dates") != NULL);
}

TEST(tv_and_vestaboard_rules)
{
    char err[PANIC_ERR_LEN] = "";
    struct display_config d = display_config_default();
    d.tv_on = 9 * 60;
    CHECK_EQ_INT(display_config_check(&d, err, sizeof err), -EINVAL);
    CHECK(strstr(err, "tv_on and tv_off go together") != NULL);
    d.tv_off = 9 * 60; /* on == off: around the clock on open days */
    CHECK_EQ_INT(display_config_check(&d, err, sizeof err), 0);
    d.tv_off = 1440;
    CHECK_EQ_INT(display_config_check(&d, err, sizeof err), -EINVAL);
    CHECK(strstr(err, "tv_off (1440) must be from -1 to 1439") != NULL);
    d = display_config_default();
    d.kind = DISPLAY_KIND_VESTABOARD;
    CHECK_EQ_INT(display_config_check(&d, err, sizeof err), -EINVAL);
    CHECK(strstr(err, "a vestaboard display needs vestaboard_url") != NULL);
    snprintf(d.vestaboard_url, sizeof d.vestaboard_url, "http://127.0.0.1:7000");
    CHECK_EQ_INT(display_config_check(&d, err, sizeof err), 0);
    /* The JSON form takes the holidays as a list too, and the rules across keys. */
    json_t *j = json_pack("{s:s, s:s, s:[s,s]}", "tv_on", "18:00", "tv_off", "02:00", "tv_holidays",
                          "2026-12-31", "2026-12-25");
    struct display_config e = display_config_default();
    CHECK_EQ_INT(display_config_from_json(j, &e, 0, err, sizeof err), 0);
    CHECK_EQ_INT(e.tv_off, 120);
    CHECK_EQ_INT(e.tv_holidays[0], 20261225);
    CHECK_EQ_INT(e.tv_holidays[1], 20261231);
    CHECK_EQ_INT(e.tv_holidays[2], 0);
    json_decref(j);
    j = json_pack("{s:s}", "tv_on", "18:00");
    e = display_config_default();
    CHECK_EQ_INT(display_config_from_json(j, &e, 0, err, sizeof err), -EINVAL);
    CHECK(strstr(err, "go together") != NULL);
    CHECK_EQ_INT(e.tv_on, -1);
    json_decref(j);
    j = json_pack("{s:[i]}", "tv_holidays", 3);
    CHECK_EQ_INT(display_config_from_json(j, &e, 0, err, sizeof err), -EINVAL);
    CHECK(strstr(err, "tv_holidays must be a list of strings") != NULL);
    json_decref(j);
}

/* A display with no schedule of its own takes the installation's (panicd.conf's tv_*). */
TEST(tv_inherit)
{
    struct display_config global = display_config_default(), d = display_config_default();
    global.tv_on = 570;
    global.tv_off = 1035;
    global.tv_days = 0x3e;
    global.tv_holidays[0] = 20261225;
    display_config_inherit_tv(&d, &global);
    CHECK_EQ_INT(d.tv_on, 570);
    CHECK_EQ_INT(d.tv_off, 1035);
    CHECK_EQ_INT(d.tv_days, 0x3e);
    CHECK_EQ_INT(d.tv_holidays[0], 20261225);
    struct display_config own = display_config_default();
    own.tv_on = 600;
    own.tv_off = 600;
    own.tv_holidays[0] = 20270101;
    display_config_inherit_tv(&own, &global);
    CHECK_EQ_INT(own.tv_on, 600);
    CHECK_EQ_INT(own.tv_days, DISPLAY_DAYS_ALL);
    CHECK_EQ_INT(own.tv_holidays[0], 20270101);
    CHECK_EQ_INT(own.tv_holidays[1], 0);
}

/* The wire form is what panicd's view has always been: json_pack in this order. */
TEST(json_wire_form)
{
    struct display_config d = display_config_default();
    d.network = 7;
    d.mode = DISPLAY_MODE_SINGLE;
    d.offset = 1;
    d.stride = 4;
    d.show_invoking = 0;
    json_t *j = display_config_to_json("tv1", &d, 1);
    char *got = json_dumps(j, JSON_COMPACT);
    CHECK_STR_EQ(got, "{\"name\":\"tv1\",\"network\":7,\"mode\":\"single\",\"rows\":2,\"cols\":2,"
                      "\"offset\":1,\"stride\":4,\"show_invoking\":false,\"audio\":true,"
                      "\"tv_on\":\"\",\"tv_off\":\"\",\"tv_days\":\"all\",\"tv_holidays\":\"\","
                      "\"kind\":\"screen\",\"vestaboard_url\":\"\",\"initial_prompt\":false,"
                      "\"configured\":true}");
    free(got);
    json_decref(j);
    j = display_config_to_json(NULL, &d, -1);
    got = json_dumps(j, JSON_COMPACT);
    CHECK_STR_EQ(got,
                 "{\"network\":7,\"mode\":\"single\",\"rows\":2,\"cols\":2,\"offset\":1,"
                 "\"stride\":4,\"show_invoking\":false,\"audio\":true,\"tv_on\":\"\","
                 "\"tv_off\":\"\",\"tv_days\":\"all\",\"tv_holidays\":\"\",\"kind\":\"screen\","
                 "\"vestaboard_url\":\"\",\"initial_prompt\":false}");
    free(got);
    json_decref(j);
    json_t *v = display_field_to_json(&d, display_field_find("mode"));
    CHECK_STR_EQ(json_string_value(v), "single");
    json_decref(v);
}

TEST(json_round_trip)
{
    char err[PANIC_ERR_LEN] = "";
    for (int m = 0; m < DISPLAY_MODE_COUNT; m++) {
        struct display_config d = {.network = 123456789012345,
                                   .mode = (enum display_mode)m,
                                   .rows = 16,
                                   .cols = 3,
                                   .offset = 5,
                                   .stride = 64,
                                   .show_invoking = m % 2,
                                   .audio = !(m % 2),
                                   .tv_on = m % 2 ? 18 * 60 : -1,
                                   .tv_off = m % 2 ? 2 * 60 : -1,
                                   .tv_days = 0x3e >> m,
                                   .tv_holidays = {20261225, 20270101},
                                   .kind = (enum display_kind)(m % 2),
                                   .vestaboard_url = "http://10.0.0.9:7000",
                                   .initial_prompt = m % 2};
        json_t *j = display_config_to_json("tv1", &d, m % 2);
        /* Through text too, as the store and the event stream carry it. */
        char *text = json_dumps(j, JSON_COMPACT);
        json_t *back = json_loads(text, 0, NULL);
        struct display_config got = display_config_default();
        CHECK_EQ_INT(display_config_from_json(back, &got, 0, err, sizeof err), 0);
        CHECK(same(&got, &d));
        free(text);
        json_decref(back);
        json_decref(j);
    }
    /* Strings are text, like the config file; keys left out keep their value. */
    json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "rows", "3", "audio", "no", "mode", "info",
                          "network", "2");
    struct display_config d = display_config_default();
    CHECK_EQ_INT(display_config_from_json(j, &d, 0, err, sizeof err), 0);
    CHECK_EQ_INT(d.rows, 3);
    CHECK_EQ_INT(d.cols, 2);
    CHECK_EQ_INT(d.audio, 0);
    CHECK_EQ_INT(d.mode, DISPLAY_MODE_INFO);
    CHECK_EQ_INT(d.network, 2);
    json_decref(j);
    /* What a GET adds is skipped; a key from a newer coordinator only when asked to. */
    j = json_pack("{s:s, s:b, s:s, s:i}", "name", "tv1", "configured", 1, "prompt_url",
                  "http://x/t/1?token=a", "rows", 4);
    CHECK_EQ_INT(display_config_from_json(j, &d, 0, err, sizeof err), 0);
    CHECK_EQ_INT(d.rows, 4);
    json_object_set_new(j, "brightness", json_integer(3));
    CHECK_EQ_INT(
        display_config_from_json(j, &d, DISPLAY_CONFIG_JSON_IGNORE_UNKNOWN, err, sizeof err), 0);
    json_decref(j);
}

/* Refused with a reason, d unchanged. */
static void json_refused(const char *text, unsigned flags, const char *reason)
{
    json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
    struct display_config d = display_config_default(), before = d;
    char err[PANIC_ERR_LEN] = "";
    int rc = display_config_from_json(j, &d, flags, err, sizeof err);
    if (!j || rc != -EINVAL || !strstr(err, reason) || !same(&d, &before))
        TEST_FAIL_AT("%s: rc %d, reason \"%s\", wanted \"%s\"", text, rc, err, reason);
    json_decref(j);
}

TEST(json_bad_values_refused)
{
    json_refused("{\"rows\":17}", 0, "'17' is not a whole number from 1 to 16");
    json_refused("{\"rows\":\"x\"}", 0, "'x' is not a whole number from 1 to 16");
    json_refused("{\"rows\":1.5}", 0, "rows must be a string, a whole number or a boolean");
    json_refused("{\"rows\":null}", 0, "rows must be a string, a whole number or a boolean");
    json_refused("{\"cols\":[2]}", 0, "cols must be a string, a whole number or a boolean");
    json_refused("{\"network\":-1}", 0, "from 0 to");
    json_refused("{\"network\":true}", 0, "'yes' is not a whole number");
    json_refused("{\"offset\":64}", 0, "from 0 to 63");
    json_refused("{\"stride\":0}", 0, "from 1 to 64");
    json_refused("{\"audio\":\"maybe\"}", 0, "'maybe' is not yes/no");
    json_refused("{\"audio\":2}", 0, "'2' is not yes/no");
    json_refused("{\"show_invoking\":{}}", 0, "show_invoking must be a string");
    json_refused("{\"mode\":\"wall\"}", 0, "mode 'wall' is not one of grid, single, info");
    json_refused("{\"mode\":1}", 0, "mode '1' is not one of");
    json_refused("{\"rows\":3,\"colour\":\"red\"}", 0, "unknown display setting 'colour'");
    /* Ignoring unknown keys ignores their values too, but never a known key's bad value. */
    json_refused("{\"colour\":[],\"rows\":0}", DISPLAY_CONFIG_JSON_IGNORE_UNKNOWN, "from 1 to 16");
    json_refused("{\"mode\":\"single\",\"offset\":2,\"stride\":2}", 0,
                 "offset (2) must be smaller than stride (2)");
    json_refused("[]", 0, "must be a JSON object");
    json_refused("\"grid\"", 0, "must be a JSON object");
    char err[PANIC_ERR_LEN];
    struct display_config d = display_config_default();
    CHECK_EQ_INT(display_config_from_json(NULL, &d, 0, err, sizeof err), -EINVAL);
}

int main(void)
{
    RUN(defaults_and_modes);
    RUN(every_key_from_text);
    RUN(every_bad_value_refused);
    RUN(whole_config_rules);
    RUN(display_names);
    RUN(json_wire_form);
    RUN(tv_and_vestaboard_keys);
    RUN(tv_and_vestaboard_rules);
    RUN(tv_inherit);
    RUN(json_round_trip);
    RUN(json_bad_values_refused);
    TEST_END("test_display_config");
}
