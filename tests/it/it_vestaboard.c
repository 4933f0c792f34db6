/* it_vestaboard.c: a Vestaboard end to end: a real panicd on 127.0.0.1 with a display of kind
 * vestaboard (panicd.conf) against a fake Local API (tests/fakes/fake_vestaboard.c, real HTTP)
 * that checks the key header and the body's shape. The genesis prompt goes to the board
 * (initial_prompt) and waits invoking for the original's 8 + 2 s before its call; each chosen
 * text output follows, laid out as core/vestaboard.c lays it out, and the loop then holds for
 * 8 s; a wrong key set through the API is refused by the board and never appears in panicd's
 * log or answers; bad board settings are refused with the reason. A board set up through the API
 * alone works, survives a restart (read back from the store) and stops when it is a screen
 * again. */
#define _GNU_SOURCE
#include "coordinator/core/vestaboard.h"
#include "fakes/fake_vestaboard.h"
#include "support.h"
#include "test.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KEY "board-key-0123456789abcdef"

static size_t shown(struct fake_vestaboard *f)
{
    size_t s, k, b;
    fake_vestaboard_counts(f, &s, &k, &b);
    return s;
}

static int wait_shown(struct fake_vestaboard *f, size_t n, int timeout_ms)
{
    for (int64_t until = support_now_ms() + timeout_ms; support_now_ms() < until;
         support_sleep_ms(50))
        if (shown(f) >= n)
            return 1;
    return shown(f) >= n;
}

/* text as the board shows it (core/vestaboard.c's layout in the fake's letters). */
static void as_board(const char *text, char *out, size_t len)
{
    static const char map[64] = " ABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890!@#$()~-~+&=;:~'\"%,.~~/?~~";
    struct vb_board b;
    vb_layout(text, &b);
    size_t n = 0;
    for (int r = 0; r < VB_ROWS && n + VB_COLS + 2 < len; r++) {
        for (int c = 0; c < VB_COLS; c++)
            out[n++] = b.c[r][c] < 64 ? map[b.c[r][c]] : '~';
        out[n++] = '\n';
    }
    out[n] = '\0';
}

static int file_has(const char *path, const char *text)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char *buf = calloc(1, 1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    buf[n] = '\0';
    int has = strstr(buf, text) != NULL;
    free(buf);
    return has;
}

static int wait_file(const char *path, const char *text, int timeout_ms)
{
    for (int64_t until = support_now_ms() + timeout_ms; support_now_ms() < until;
         support_sleep_ms(50))
        if (file_has(path, text))
            return 1;
    return 0;
}

/* Wall ms of the API's "2026-12-03T19:24:22.123Z", 0 if it is not one. */
static long long iso_ms(const char *s)
{
    struct tm tm = {0};
    int ms = 0;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                     &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (long long)timegm(&tm) * 1000 + ms;
}

/* The output text of invocation seq of the current run, its state and finish time, via the
 * API. 1 if it has a text output. */
static int current_output(const struct daemon *d, long long seq, char *text, size_t len,
                          long long *finished, char *state, size_t slen)
{
    long status;
    json_t *j = api_json(d, "GET", "/api/v1/networks/1/runs/current", NULL, NULL, &status);
    size_t i;
    json_t *inv;
    int found = 0;
    json_array_foreach(json_object_get(j, "invocations"), i, inv)
    {
        if (json_int_of(inv, "seq", -1) != seq)
            continue;
        const char *t = json_str_of(json_object_get(inv, "output"), "text");
        snprintf(text, len, "%s", t ? t : "");
        *finished = iso_ms(json_str_of(inv, "finished_at"));
        snprintf(state, slen, "%s", json_str_of(inv, "state") ? json_str_of(inv, "state") : "");
        found = t != NULL;
    }
    json_decref(j);
    return found;
}

TEST(board_shows_prompt_and_chosen_outputs)
{
    struct fake_vestaboard *fb = fake_vestaboard_start(KEY);
    REQUIRE(fb != NULL);
    struct daemon d;
    char conf[1024], want[256], got[256], log[400];
    snprintf(conf, sizeof conf,
             "default_network dummy\nlockout_seconds 0\ndummy_latency_ms 200\n"
             "display.board1.kind vestaboard\ndisplay.board1.vestaboard_url %s/\n"
             "display.board1.offset 1\ndisplay.board1.stride 2\n"
             "display.board1.initial_prompt yes\napi_key.vestaboard-board1 %s\n",
             fake_vestaboard_url(fb), KEY);
    DAEMON_START_OR_FAIL(&d, conf);
    snprintf(log, sizeof log, "%s/panicd.log", d.dir);

    /* The prompt goes up at once and the genesis waits invoking, its call not yet made. */
    const char *prompt = "a fox delivering letters at dawn, in the rain";
    json_t *j = NULL;
    CHECK_EQ_INT(api_post_prompt(&d, 1, d.token, NULL, prompt, &j), 201);
    json_decref(j);
    REQUIRE(wait_shown(fb, 1, 5000));
    as_board(prompt, want, sizeof want);
    CHECK_EQ_INT(fake_vestaboard_last(fb, got, sizeof got), 0);
    CHECK_STR_EQ(got, want);
    long status;
    j = api_json(&d, "GET", "/api/v1/networks/1/status", NULL, NULL, &status);
    CHECK_STR_EQ(json_str_of(j, "state"), "processing");
    json_decref(j);
    support_sleep_ms(1000);
    long long fin = 0;
    char state[32] = "";
    current_output(&d, 0, got, sizeof got, &fin, state, sizeof state);
    CHECK_STR_EQ(state, "invoking"); /* 1 s later, though the model takes 0.2 s */

    /* seq 1 (dummy-i2t's caption, text) is the board's (offset 1, stride 2). */
    REQUIRE(wait_shown(fb, 2, 20000));
    char text[512];
    REQUIRE(current_output(&d, 1, text, sizeof text, &fin, state, sizeof state));
    as_board(text, want, sizeof want);
    CHECK_EQ_INT(fake_vestaboard_last(fb, got, sizeof got), 0);
    CHECK_STR_EQ(got, want);
    /* And the loop holds 8 s after it, not the schedule's 1 s. */
    j = api_json(&d, "GET", "/api/v1/networks/1/status", NULL, NULL, &status);
    long long next = iso_ms(json_str_of(j, "next_at"));
    CHECK_STR_EQ(json_str_of(j, "state"), "waiting");
    CHECK_GE(next - fin, 8000);
    CHECK_LE(next - fin, 9000);
    json_decref(j);
    size_t s, bad_key, bad_body;
    fake_vestaboard_counts(fb, &s, &bad_key, &bad_body);
    CHECK_EQ_INT(bad_key, 0);
    CHECK_EQ_INT(bad_body, 0);
    CHECK(wait_file(log, "vestaboard board=board1 message shown status=200", 2000));

    /* A wrong key set through the API wins over the config's: the board refuses it, panicd
     * says so, and neither key is ever in its log or its answers. */
    j = api_json(&d, "PUT", "/api/v1/displays/board1", d.token,
                 "{\"vestaboard_key\":\"wrong-key-9876543210\"}", &status);
    CHECK_EQ_INT(status, 200);
    CHECK(json_is_true(json_object_get(j, "vestaboard_key_set")));
    char *dump = json_dumps(j, JSON_COMPACT);
    CHECK(strstr(dump, "wrong-key") == NULL);
    free(dump);
    json_decref(j);
    j = api_json(&d, "GET", "/api/v1/displays/board1", d.token, NULL, &status);
    dump = json_dumps(j, JSON_COMPACT);
    CHECK(strstr(dump, "wrong-key") == NULL && strstr(dump, KEY) == NULL);
    CHECK_STR_EQ(json_str_of(j, "kind"), "vestaboard");
    free(dump);
    json_decref(j);
    CHECK_EQ_INT(api_post_prompt(&d, 1, d.token, NULL, "a second prompt", NULL), 201);
    CHECK(wait_file(log, "vestaboard board=board1 refused the message status=401", 5000));
    fake_vestaboard_counts(fb, &s, &bad_key, &bad_body);
    CHECK_EQ_INT(bad_key, 1);
    CHECK(!file_has(log, "wrong-key-9876543210"));
    CHECK(!file_has(log, KEY));

    /* Bad board settings are refused with the reason. */
    j = api_json(&d, "PUT", "/api/v1/displays/board2", d.token, "{\"kind\":\"vestaboard\"}",
                 &status);
    CHECK_EQ_INT(status, 422);
    CHECK(strstr(json_str_of(j, "message"), "a vestaboard display needs vestaboard_url") != NULL);
    json_decref(j);
    j = api_json(&d, "PUT", "/api/v1/displays/board1", d.token, "{\"vestaboard_key\":5}", &status);
    CHECK_EQ_INT(status, 422);
    CHECK(strstr(json_str_of(j, "message"), "vestaboard_key must be a string") != NULL);
    json_decref(j);
    j = api_json(&d, "PUT", "/api/v1/displays/board1", d.token,
                 "{\"vestaboard_url\":\"board.local:7000\"}", &status);
    CHECK_EQ_INT(status, 422);
    CHECK(strstr(json_str_of(j, "message"), "vestaboard_url must be an http://") != NULL);
    json_decref(j);

    if (test_checks_failed_in_test)
        daemon_print_log(&d, 30);
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
    fake_vestaboard_stop(fb);
}

/* A board set up through the API alone: it takes the genesis prompt at offset 0 (no hold), is
 * still a board after a restart (read back from the store), and stops being one when its kind
 * goes back to screen. */
TEST(board_added_through_the_api)
{
    struct fake_vestaboard *fb = fake_vestaboard_start(KEY);
    REQUIRE(fb != NULL);
    struct daemon d;
    char body[512], log[400];
    DAEMON_START_OR_FAIL(&d, "default_network dummy\nlockout_seconds 0\ndummy_latency_ms 100\n");
    snprintf(log, sizeof log, "%s/panicd.log", d.dir);
    snprintf(body, sizeof body,
             "{\"kind\":\"vestaboard\",\"vestaboard_url\":\"%s\",\"offset\":0,\"stride\":4,"
             "\"vestaboard_key\":\"%s\"}",
             fake_vestaboard_url(fb), KEY);
    CHECK_EQ_INT(api_status(&d, "PUT", "/api/v1/displays/board3", d.token, body), 200);
    CHECK_EQ_INT(api_post_prompt(&d, 1, d.token, NULL, "first light", NULL), 201);
    CHECK(wait_shown(fb, 1, 5000));
    char got[256], want[256];
    as_board("first light", want, sizeof want);
    CHECK_EQ_INT(fake_vestaboard_last(fb, got, sizeof got), 0);
    CHECK_STR_EQ(got, want);

    daemon_stop(&d, 5000, NULL);
    REQUIRE_EQ_INT(daemon_restart(&d), 0);
    CHECK_EQ_INT(api_post_prompt(&d, 1, d.token, NULL, "after the restart", NULL), 201);
    CHECK(wait_shown(fb, 2, 5000));
    as_board("after the restart", want, sizeof want);
    CHECK_EQ_INT(fake_vestaboard_last(fb, got, sizeof got), 0);
    CHECK_STR_EQ(got, want);

    CHECK_EQ_INT(api_status(&d, "PUT", "/api/v1/displays/board3", d.token, "{\"kind\":\"screen\"}"),
                 200);
    CHECK(wait_file(log, "vestaboard board=board3 removed", 5000));
    CHECK_EQ_INT(api_post_prompt(&d, 1, d.token, NULL, "nobody reads this", NULL), 201);
    support_sleep_ms(1000);
    CHECK_EQ_INT(shown(fb), 2);
    CHECK(!file_has(log, KEY));

    if (test_checks_failed_in_test)
        daemon_print_log(&d, 30);
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
    fake_vestaboard_stop(fb);
}

int main(void)
{
    test_teardown = support_reap;
    RUN(board_shows_prompt_and_chosen_outputs);
    RUN(board_added_through_the_api);
    support_done();
    TEST_END("it_vestaboard");
}
