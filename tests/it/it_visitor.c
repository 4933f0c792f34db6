/* it_visitor.c: the visitor's side of panicd over its real HTTP API: the panic button
 * (POST /api/v1/panic with a device token, the prompt deck, lockout, long-press stop, the presses
 * log), visitor tokens (minted by /prompt-url, bound to one network, expiring after an hour), the
 * phone terminal page /t/{network} (escaping, the expired page), the per-address rate limit,
 * and `panicctl press`. Every test starts its own panicd on 127.0.0.1 with a random port. */
#include "coordinator/api/hmac.h"
#include "coordinator/core/catalog.h"
#include "coordinator/core/token.h"
#include "support.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEVICE1 "device-one-token-0001"
#define DEVICE2 "device-two-token-0002"
#define SECRET "it-visitor-secret-0123456789abcdef"

/* ---- helpers ---- */

static long long create_net(const struct daemon *d, const char *name, int lockout)
{
    json_t *b = json_pack("{s:s, s:[s], s:i, s:[{s:f}]}", "name", name, "models", "dummy-t2t",
                          "lockout_seconds", lockout, "schedule", "delay_s", 0.5);
    char *body = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    long st;
    json_t *j = api_json(d, "POST", "/api/v1/networks", d->token, body, &st);
    free(body);
    long long id = st == 201 ? json_int_of(j, "id", -1) : -1;
    if (id < 0)
        printf("  create_net %s: status %ld\n", name, st);
    json_decref(j);
    return id;
}

/* The lowest network id (the default network, which displays use unless told otherwise). */
static long long first_net(const struct daemon *d)
{
    long st;
    json_t *j = api_json(d, "GET", "/api/v1/networks", NULL, NULL, &st);
    long long id = json_int_of(json_array_get(json_object_get(j, "networks"), 0), "id", -1);
    json_decref(j);
    return id;
}

static json_t *press(const struct daemon *d, const char *token, const char *display, int is_long,
                     long *st)
{
    char body[160];
    snprintf(body, sizeof body, "{\"display\":\"%s\",\"long\":%s}", display,
             is_long ? "true" : "false");
    return api_json(d, "POST", "/api/v1/panic", token, body, st);
}

/* The visitor token in a prompt URL ("...?token=X"), copied into tok. */
static int token_of_url(const char *url, char *tok, size_t len)
{
    const char *t = url ? strstr(url, "?token=") : NULL;
    if (!t)
        return -1;
    snprintf(tok, len, "%s", t + 7);
    return 0;
}

/* A fresh visitor token for net through the API (device token); 0 or -1. */
static int visitor_token(const struct daemon *d, long long net, char *tok, size_t len)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/networks/%lld/prompt-url", net);
    long st;
    json_t *j = api_json(d, "GET", path, DEVICE1, NULL, &st);
    int rc = st == 200 ? token_of_url(json_str_of(j, "url"), tok, len) : -1;
    if (rc < 0)
        printf("  prompt-url of %lld: %ld\n", net, st);
    json_decref(j);
    return rc;
}

static long get_page(const struct daemon *d, const char *path, struct resp *r)
{
    char url[512];
    snprintf(url, sizeof url, "%s%s", d->url, path);
    return http("GET", url, NULL, NULL, 0, r);
}

/* A deck file in its own temp dir; path into buf. */
static int write_deck(char *path, size_t len, const char *text)
{
    char dir[64] = "/tmp/panic-it-deck-XXXXXX";
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, len, "%s/prompts.txt", dir);
    return write_file(path, text, strlen(text));
}

static void remove_deck(const char *path)
{
    char dir[256];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    remove_tree(dir);
}

static int start(struct daemon *d, const char *extra)
{
    if (daemon_start(d, extra) == 0)
        return 0;
    daemon_print_log(d, 20);
    daemon_cleanup(d);
    return -1;
}

/* ---- the panic button ---- */

TEST(panic_button)
{
    char deck[256], conf[1024];
    CHECK_EQ_INT(write_deck(deck, sizeof deck,
                            "# the test deck\nfirst from the deck\nsecond from the deck\n\n"
                            "third from the deck\n"),
                 0);
    snprintf(conf, sizeof conf,
             "device.tv1.token " DEVICE1 "\n"
             "device.tv2.token " DEVICE2 "\n"
             "device.tv2.long_press_stop yes\n"
             "prompt_deck %s\n"
             "prompt_deck_order cycle\n"
             "lockout_seconds 30\n",
             deck);
    struct daemon d;
    if (start(&d, conf) < 0) {
        CHECK(!"panicd started");
        remove_deck(deck);
        return;
    }
    long long net = first_net(&d);
    CHECK(net > 0);

    /* A short press starts a run with the deck's next prompt on the display's network. */
    long st;
    json_t *j = press(&d, DEVICE1, "tv1", 0, &st);
    CHECK_EQ_INT(st, 201);
    long long run = json_int_of(j, "run", -1);
    CHECK(run > 0);
    CHECK_EQ_INT(json_int_of(j, "network", -1), net);
    CHECK_STR_EQ(json_str_of(j, "prompt"), "first from the deck");
    json_t *g = json_object_get(j, "genesis");
    CHECK_EQ_INT(json_int_of(g, "seq", -1), 0);
    CHECK_STR_EQ(json_str_of(json_object_get(g, "input"), "text"), "first from the deck");
    json_decref(j);
    char path[160];
    snprintf(path, sizeof path, "/api/v1/networks/%lld/runs/current", net);
    j = api_json(&d, "GET", path, NULL, NULL, &st);
    CHECK_STR_EQ(json_str_of(json_object_get(j, "run"), "prompt"), "first from the deck");
    json_decref(j);

    /* A second press in the lockout: 409 with the wait, and the deck does not move on. */
    j = press(&d, DEVICE1, "tv1", 0, &st);
    CHECK_EQ_INT(st, 409);
    CHECK_STR_EQ(json_str_of(j, "error"), "lockout");
    long long wait = json_int_of(j, "retry_after_s", -1);
    CHECK(wait >= 1 && wait <= 30);
    CHECK(json_str_of(j, "message") != NULL);
    json_decref(j);

    /* A long press is a staff stop only where the config allows it for the pressing device. */
    j = press(&d, DEVICE1, "tv1", 1, &st);
    CHECK_EQ_INT(st, 403);
    CHECK(json_str_of(j, "message") && strstr(json_str_of(j, "message"), "long_press_stop"));
    json_decref(j);
    snprintf(path, sizeof path, "/api/v1/networks/%lld/status", net);
    j = api_json(&d, "GET", path, NULL, NULL, &st);
    CHECK_STR_EQ(json_str_of(j, "state"), "lockout"); /* still running */
    json_decref(j);
    j = press(&d, DEVICE2, "tv1", 1, &st);
    CHECK_EQ_INT(st, 200);
    CHECK(json_is_true(json_object_get(j, "stopped")));
    CHECK_STR_EQ(json_str_of(j, "state"), "stopped");
    json_decref(j);
    j = api_json(&d, "GET", path, NULL, NULL, &st);
    CHECK_STR_EQ(json_str_of(j, "state"), "stopped");
    json_decref(j);

    /* Bad presses are refused before anything happens (and are not recorded). */
    CHECK_EQ_INT(api_status(&d, "POST", "/api/v1/panic", DEVICE1, "{\"display\":\"no good!\"}"),
                 422);
    CHECK_EQ_INT(api_status(&d, "POST", "/api/v1/panic", DEVICE1, "{}"), 422);
    CHECK_EQ_INT(
        api_status(&d, "POST", "/api/v1/panic", DEVICE1, "{\"display\":\"tv1\",\"long\":\"yes\"}"),
        422);
    CHECK_EQ_INT(api_status(&d, "POST", "/api/v1/panic", DEVICE1, "not json"), 400);
    CHECK_EQ_INT(api_status(&d, "GET", "/api/v1/panic", DEVICE1, NULL), 405);
    /* Who may press: devices and the admin; a visitor token or none may not. */
    CHECK_EQ_INT(api_status(&d, "POST", "/api/v1/panic", NULL, "{\"display\":\"tv1\"}"), 401);
    CHECK_EQ_INT(
        api_status(&d, "POST", "/api/v1/panic", "nope-nope-nope-nope", "{\"display\":\"tv1\"}"),
        401);
    char tok[128];
    CHECK_EQ_INT(visitor_token(&d, net, tok, sizeof tok), 0);
    j = api_json(&d, "POST", "/api/v1/panic", tok, "{\"display\":\"tv1\"}", &st);
    CHECK_EQ_INT(st, 403);
    CHECK_STR_EQ(json_str_of(j, "error"), "forbidden");
    json_decref(j);

    /* Every press is in the log, newest first. */
    j = api_json(&d, "GET", "/api/v1/presses", d.token, NULL, &st);
    CHECK_EQ_INT(st, 200);
    json_t *list = json_object_get(j, "presses");
    CHECK_EQ_INT(json_array_size(list), 4);
    CHECK_EQ_INT(json_int_of(j, "total", -1), 4);
    static const char *const want[] = {"stopped", "refused", "lockout", "started"};
    static const char *const dev[] = {"tv2", "tv1", "tv1", "tv1"};
    for (size_t i = 0; i < 4 && i < json_array_size(list); i++) {
        json_t *p = json_array_get(list, i);
        CHECK_STR_EQ(json_str_of(p, "result"), want[i]);
        CHECK_STR_EQ(json_str_of(p, "device"), dev[i]);
        CHECK_STR_EQ(json_str_of(p, "display"), "tv1");
        CHECK_EQ_INT(json_int_of(p, "network", -1), net);
        CHECK(json_is_boolean(json_object_get(p, "long")));
        CHECK(json_str_of(p, "created_at") != NULL);
    }
    json_t *stopped = json_array_get(list, 0), *started = json_array_get(list, 3);
    CHECK(json_is_true(json_object_get(stopped, "long")));
    CHECK_EQ_INT(json_int_of(stopped, "run", -1), run);
    CHECK(json_is_false(json_object_get(started, "long")));
    CHECK_EQ_INT(json_int_of(started, "run", -1), run);
    CHECK(json_is_null(json_object_get(json_array_get(list, 2), "run")));
    json_decref(j);
    j = api_json(&d, "GET", "/api/v1/presses?limit=1", d.token, NULL, &st);
    CHECK_EQ_INT(json_array_size(json_object_get(j, "presses")), 1);
    json_decref(j);
    CHECK_EQ_INT(api_status(&d, "GET", "/api/v1/presses?limit=0", d.token, NULL), 400);
    CHECK_EQ_INT(api_status(&d, "GET", "/api/v1/presses", DEVICE1, NULL), 403);
    CHECK_EQ_INT(api_status(&d, "GET", "/api/v1/presses", NULL, NULL), 401);

    /* Cycle order on a network with no lockout: the deck's lines in file order, from the top
     * (each network keeps its own place), then round again. The admin may press too. */
    long long fast = create_net(&d, "fast", 0);
    CHECK(fast > 0);
    char body[96];
    snprintf(body, sizeof body, "{\"network\":%lld}", fast);
    CHECK_EQ_INT(api_status(&d, "PUT", "/api/v1/displays/tv3", d.token, body), 200);
    static const char *const order[] = {"first from the deck", "second from the deck",
                                        "third from the deck", "first from the deck"};
    for (size_t i = 0; i < 4; i++) {
        j = press(&d, i % 2 ? d.token : DEVICE2, "tv3", 0, &st);
        CHECK_EQ_INT(st, 201);
        CHECK_EQ_INT(json_int_of(j, "network", -1), fast);
        CHECK_STR_EQ(json_str_of(j, "prompt"), order[i]);
        json_decref(j);
    }
    /* The first network's place was kept: its next prompt is the second line. Its lockout was
     * cut short by the stop, so a press starts a run at once. */
    j = press(&d, DEVICE1, "tv1", 0, &st);
    if (st == 201)
        CHECK_STR_EQ(json_str_of(j, "prompt"), "second from the deck");
    else
        CHECK_EQ_INT(st, 409);
    json_decref(j);
    /* The admin's long press stops without a device setting. */
    j = press(&d, d.token, "tv3", 1, &st);
    CHECK_EQ_INT(st, 200);
    json_decref(j);

    CHECK_EQ_INT(daemon_stop(&d, 5000, NULL), 0);
    daemon_cleanup(&d);
    remove_deck(deck);
}

TEST(bad_deck_is_a_config_error)
{
    char deck[256], conf[512], out[2048] = "";
    CHECK_EQ_INT(write_deck(deck, sizeof deck, "fine\nnot \x01 fine\n"), 0);
    snprintf(conf, sizeof conf, "prompt_deck %s\n", deck);
    /* daemon_start waits for readiness, which never comes: run panicd directly instead. */
    char dir[64] = "/tmp/panic-it-cfg-XXXXXX", cpath[128];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(cpath, sizeof cpath, "%s/panicd.conf", dir);
    char text[1024];
    snprintf(text, sizeof text, "listen 127.0.0.1:0\nstate_dir %s\n%s", dir, conf);
    CHECK_EQ_INT(write_file(cpath, text, strlen(text)), 0);
    const char *args[] = {"--config", cpath, NULL};
    CHECK_EQ_INT(panicd_run(args, 10000, out, sizeof out), 78);
    char want[300];
    snprintf(want, sizeof want, "%s:2: a control character", deck);
    if (!strstr(out, want))
        printf("  output: %s\n", out);
    CHECK(strstr(out, want) != NULL);
    /* A missing deck file too. */
    snprintf(text, sizeof text, "listen 127.0.0.1:0\nstate_dir %s\nprompt_deck %s/none.txt\n", dir,
             dir);
    CHECK_EQ_INT(write_file(cpath, text, strlen(text)), 0);
    CHECK_EQ_INT(panicd_run(args, 10000, out, sizeof out), 78);
    CHECK(strstr(out, "none.txt") != NULL);
    snprintf(want, sizeof want, "%s:3: prompt_deck", cpath); /* the line to edit */
    if (!strstr(out, want))
        printf("  output: %s\n", out);
    CHECK(strstr(out, want) != NULL);
    remove_tree(dir);
    remove_deck(deck);
}

/* ---- visitor tokens ---- */

TEST(visitor_tokens)
{
    struct daemon d;
    REQUIRE(start(&d, "device.tv1.token " DEVICE1 "\nvisitor_secret " SECRET "\n") == 0);
    long long a = create_net(&d, "alpha", 0), b = create_net(&d, "beta", 0);
    CHECK(a > 0 && b > 0);

    /* The prompt URL: device or admin only; a fresh token for that network. */
    char path[160];
    snprintf(path, sizeof path, "/api/v1/networks/%lld/prompt-url", a);
    long st;
    json_t *j = api_json(&d, "GET", path, DEVICE1, NULL, &st);
    CHECK_EQ_INT(st, 200);
    const char *url = json_str_of(j, "url");
    char want[256], tok[128] = "";
    snprintf(want, sizeof want, "%s/t/%lld?token=", d.url, a);
    CHECK(url && strncmp(url, want, strlen(want)) == 0);
    CHECK_EQ_INT(token_of_url(url, tok, sizeof tok), 0);
    CHECK_EQ_INT(strlen(tok), TOKEN_TEXT_LEN);
    CHECK(json_str_of(j, "expires_at") != NULL);
    json_decref(j);
    CHECK_EQ_INT(api_status(&d, "GET", path, d.token, NULL), 200);
    CHECK_EQ_INT(api_status(&d, "GET", path, NULL, NULL), 401);
    CHECK_EQ_INT(api_status(&d, "GET", path, tok, NULL), 403); /* a visitor cannot mint */
    CHECK_EQ_INT(api_status(&d, "GET", "/api/v1/networks/99999/prompt-url", d.token, NULL), 404);
    /* public_url is not set: the link uses the Host the caller reached us by. */
    {
        char full[400];
        snprintf(full, sizeof full, "%s%s", d.url, path);
        const char *h[] = {"Host: panic.example:8080", NULL};
        struct resp r;
        CHECK_EQ_INT(http_ex("GET", full, DEVICE1, NULL, 0, h, 5000, &r), 200);
        json_t *rj = resp_json(&r);
        const char *u = json_str_of(rj, "url");
        CHECK(u && strncmp(u, "http://panic.example:8080/t/", 28) == 0);
        json_decref(rj);
        resp_free(&r);
    }

    /* The display's config carries a fresh link for its network, for a device or the admin. */
    snprintf(path, sizeof path, "{\"network\":%lld}", a);
    CHECK_EQ_INT(api_status(&d, "PUT", "/api/v1/displays/tv1", d.token, path), 200);
    j = api_json(&d, "GET", "/api/v1/displays/tv1", DEVICE1, NULL, &st);
    snprintf(want, sizeof want, "%s/t/%lld?token=", d.url, a);
    const char *pu = json_str_of(j, "prompt_url");
    CHECK(pu && strncmp(pu, want, strlen(want)) == 0);
    json_decref(j);
    j = api_json(&d, "GET", "/api/v1/displays/tv1", NULL, NULL, &st);
    CHECK_EQ_INT(st, 200);
    CHECK(json_object_get(j, "prompt_url") == NULL);
    json_decref(j);
    /* Sending the config back (with the link in it) is fine. */
    CHECK_EQ_INT(api_status(&d, "PUT", "/api/v1/displays/tv1", d.token,
                            "{\"mode\":\"single\",\"prompt_url\":\"http://x/t/1\"}"),
                 200);

    /* The token works for its network, by header or by ?token=. */
    json_t *r = NULL;
    CHECK_EQ_INT(api_post_prompt(&d, a, tok, NULL, "a visitor's prompt", &r), 201);
    CHECK(json_int_of(r, "run", -1) > 0);
    json_decref(r);
    CHECK_EQ_INT(api_post_prompt(&d, a, NULL, tok, "by query", NULL), 201);
    /* Not for another network (403), nor as garbage (401). */
    CHECK_EQ_INT(api_post_prompt(&d, b, tok, NULL, "elsewhere", &r), 403);
    CHECK_STR_EQ(json_str_of(r, "error"), "wrong_network");
    json_decref(r);
    CHECK_EQ_INT(api_post_prompt(&d, b, NULL, tok, "elsewhere", NULL), 403);
    CHECK_EQ_INT(api_post_prompt(&d, a, "garbage-garbage-garbage", NULL, "x", &r), 401);
    CHECK_STR_EQ(json_str_of(r, "error"), "unauthorized");
    json_decref(r);
    CHECK_EQ_INT(api_post_prompt(&d, a, NULL, "garbage", "x", NULL), 401);
    char tampered[128];
    snprintf(tampered, sizeof tampered, "%s", tok);
    tampered[40] = tampered[40] == 'A' ? 'B' : 'A';
    CHECK_EQ_INT(api_post_prompt(&d, a, tampered, NULL, "x", NULL), 401);
    /* Not for anything else either: a visitor is not staff. */
    CHECK_EQ_INT(api_status(&d, "POST", "/api/v1/networks", tok,
                            "{\"name\":\"x\",\"models\":[\"dummy-t2t\"]}"),
                 403);
    snprintf(path, sizeof path, "/api/v1/networks/%lld/stop", a);
    CHECK_EQ_INT(api_status(&d, "POST", path, tok, NULL), 403);
    /* A device token is no admin token. */
    CHECK_EQ_INT(api_status(&d, "POST", "/api/v1/networks", DEVICE1,
                            "{\"name\":\"x\",\"models\":[\"dummy-t2t\"]}"),
                 403);

    /* A token minted with the same secret an hour and more ago: 401, "expired". */
    char old[TOKEN_TEXT_LEN + 1], future[TOKEN_TEXT_LEN + 1], other[TOKEN_TEXT_LEN + 1];
    int64_t now = (int64_t)time(NULL);
    token_make(hmac_sha256, SECRET, a, token_slot(now - 3600) - 1, old, sizeof old);
    token_make(hmac_sha256, SECRET, a, token_slot(now) + 3, future, sizeof future);
    token_make(hmac_sha256, SECRET "-other", a, token_slot(now), other, sizeof other);
    CHECK_EQ_INT(api_post_prompt(&d, a, old, NULL, "too late", &r), 401);
    CHECK_STR_EQ(json_str_of(r, "error"), "token_expired");
    CHECK(json_str_of(r, "message") && strstr(json_str_of(r, "message"), "expired"));
    json_decref(r);
    CHECK_EQ_INT(api_post_prompt(&d, a, future, NULL, "too early", NULL), 401);
    CHECK_EQ_INT(api_post_prompt(&d, a, other, NULL, "wrong secret", NULL), 401);
    /* A token minted in the test for the current slot is as good as the API's. */
    char mine[TOKEN_TEXT_LEN + 1];
    token_make(hmac_sha256, SECRET, b, token_slot(now), mine, sizeof mine);
    CHECK_EQ_INT(api_post_prompt(&d, b, mine, NULL, "for beta", NULL), 201);

    /* The phone page: the terminal with a good token; an explanation otherwise. */
    struct resp pg;
    char ppath[256], ctype[128];
    snprintf(ppath, sizeof ppath, "/t/%lld?token=%s", a, tok);
    CHECK_EQ_INT(get_page(&d, ppath, &pg), 200);
    CHECK(resp_header(&pg, "Content-Type", ctype, sizeof ctype) && strstr(ctype, "text/html"));
    CHECK(resp_header(&pg, "Cache-Control", ctype, sizeof ctype) && strstr(ctype, "no-store"));
    CHECK(pg.body && strstr(pg.body, "alpha") && strstr(pg.body, "Current run:"));
    CHECK(pg.body && strstr(pg.body, "by query")); /* the current run's prompt */
    CHECK(pg.body && strstr(pg.body, "maxlength=1000"));
    /* What the network's model does, in a visitor's words, from the catalogue. */
    CHECK(pg.body && strstr(pg.body, "<ol id=models><li><b>Dummy Text-to-Text</b><span>") &&
          strstr(pg.body, catalog_find("dummy-t2t")->description));
    CHECK(pg.len < 10 * 1024);
    resp_free(&pg);
    /* Genuine but old: gone (410), "expired". */
    snprintf(ppath, sizeof ppath, "/t/%lld?token=%s", a, old);
    CHECK_EQ_INT(get_page(&d, ppath, &pg), 410);
    CHECK(pg.body && strstr(pg.body, "expired") && strstr(pg.body, "scan the code again"));
    CHECK(resp_header(&pg, "Content-Type", ctype, sizeof ctype) && strstr(ctype, "text/html"));
    resp_free(&pg);
    /* Missing, garbage, tampered with, signed elsewhere or from the future: not valid (403),
     * never "expired". */
    const char *bad_tokens[] = {NULL, "garbage", tampered, other, future};
    for (size_t i = 0; i < sizeof bad_tokens / sizeof *bad_tokens; i++) {
        if (bad_tokens[i])
            snprintf(ppath, sizeof ppath, "/t/%lld?token=%s", a, bad_tokens[i]);
        else
            snprintf(ppath, sizeof ppath, "/t/%lld", a);
        CHECK_EQ_INT(get_page(&d, ppath, &pg), 403);
        CHECK(pg.body && strstr(pg.body, "not valid") && !strstr(pg.body, "expired"));
        resp_free(&pg);
    }
    snprintf(ppath, sizeof ppath, "/t/%lld?token=%s", b, tok);
    CHECK_EQ_INT(get_page(&d, ppath, &pg), 403);
    CHECK(pg.body && strstr(pg.body, "another"));
    resp_free(&pg);
    CHECK_EQ_INT(get_page(&d, "/t/abc", &pg), 404);
    resp_free(&pg);
    CHECK_EQ_INT(api_status(&d, "POST", "/t/1", NULL, "{}"), 405);

    /* A deleted network's still-valid token gets a clear page, not a terminal. */
    CHECK_EQ_INT(visitor_token(&d, b, mine, sizeof mine), 0);
    snprintf(ppath, sizeof ppath, "/api/v1/networks/%lld", b);
    CHECK_EQ_INT(api_status(&d, "DELETE", ppath, d.token, NULL), 200);
    snprintf(ppath, sizeof ppath, "/t/%lld?token=%s", b, mine);
    CHECK_EQ_INT(get_page(&d, ppath, &pg), 404);
    resp_free(&pg);
    CHECK_EQ_INT(api_post_prompt(&d, b, mine, NULL, "gone", NULL), 404);

    /* A restart keeps the secret (from the config here) and so the tokens. */
    daemon_stop(&d, 5000, NULL);
    REQUIRE_EQ_INT(daemon_restart(&d), 0);
    CHECK_EQ_INT(api_post_prompt(&d, a, tok, NULL, "after a restart", NULL), 201);

    CHECK_EQ_INT(daemon_stop(&d, 5000, NULL), 0);
    daemon_cleanup(&d);
}

TEST(generated_secret)
{
    struct daemon d;
    REQUIRE(start(&d, "device.tv1.token " DEVICE1 "\n") == 0);
    char path[320], tok[128];
    snprintf(path, sizeof path, "%s/visitor.secret", d.dir);
    CHECK(access(path, R_OK) == 0);
    char cmd[400], out[64] = "";
    snprintf(cmd, sizeof cmd, "stat -c %%a %s", path);
    FILE *f = popen(cmd, "r");
    if (f) {
        if (!fgets(out, sizeof out, f))
            out[0] = '\0';
        pclose(f);
    }
    CHECK(strncmp(out, "600", 3) == 0);
    long long net = first_net(&d);
    CHECK_EQ_INT(visitor_token(&d, net, tok, sizeof tok), 0);
    CHECK_EQ_INT(api_post_prompt(&d, net, tok, NULL, "before", NULL), 201);
    /* The generated secret is kept across restarts: the QR code on screen stays good. */
    daemon_stop(&d, 5000, NULL);
    REQUIRE_EQ_INT(daemon_restart(&d), 0);
    long st = api_post_prompt(&d, net, tok, NULL, "after", NULL);
    CHECK(st == 201 || st == 409);
    CHECK_EQ_INT(daemon_stop(&d, 5000, NULL), 0);
    daemon_cleanup(&d);
}

/* ---- rate limit ---- */

TEST(rate_limit)
{
    struct daemon d;
    REQUIRE(start(&d, "device.tv1.token " DEVICE1 "\n") == 0);
    long long net = create_net(&d, "quick", 0);
    char tok[128];
    CHECK_EQ_INT(visitor_token(&d, net, tok, sizeof tok), 0);
    for (int i = 0; i < 5; i++) {
        char prompt[32];
        snprintf(prompt, sizeof prompt, "visitor prompt %d", i);
        CHECK_EQ_INT(api_post_prompt(&d, net, tok, NULL, prompt, NULL), 201);
    }
    /* The sixth in the minute: 429 with the wait, as JSON and as Retry-After. */
    char url[256], after[32];
    snprintf(url, sizeof url, "%s/api/v1/networks/%lld/runs", d.url, net);
    struct resp r;
    CHECK_EQ_INT(http("POST", url, tok, "{\"prompt\":\"one too many\"}", 25, &r), 429);
    json_t *j = resp_json(&r);
    CHECK_STR_EQ(json_str_of(j, "error"), "rate_limited");
    long long wait = json_int_of(j, "retry_after_s", -1);
    CHECK(wait >= 1 && wait <= 12);
    CHECK(resp_header(&r, "Retry-After", after, sizeof after) && atoll(after) == wait);
    json_decref(j);
    resp_free(&r);
    /* Also when the prompt would be refused anyway: the limit comes first. */
    CHECK_EQ_INT(api_post_prompt(&d, net, tok, NULL, "", NULL), 429);
    /* Staff and devices are not limited. */
    for (int i = 0; i < 7; i++) {
        CHECK_EQ_INT(api_post_prompt(&d, net, d.token, NULL, "staff", NULL), 201);
        CHECK_EQ_INT(api_post_prompt(&d, net, DEVICE1, NULL, "device", NULL), 201);
    }
    CHECK_EQ_INT(daemon_stop(&d, 5000, NULL), 0);
    daemon_cleanup(&d);
}

/* ---- the page's escaping and the visitor's messages ---- */

TEST(page_escaping_and_messages)
{
    struct daemon d;
    REQUIRE(start(&d, "device.tv1.token " DEVICE1 "\nvisitor_prompts_per_minute 0\n") == 0);
    long long net = create_net(&d, "<script>x</script>", 0);
    CHECK(net > 0);
    char tok[128];
    CHECK_EQ_INT(visitor_token(&d, net, tok, sizeof tok), 0);
    CHECK_EQ_INT(api_post_prompt(&d, net, tok, NULL, "<b>bold</b> & \"quoted\"", NULL), 201);
    struct resp pg;
    char ppath[256];
    snprintf(ppath, sizeof ppath, "/t/%lld?token=%s", net, tok);
    CHECK_EQ_INT(get_page(&d, ppath, &pg), 200);
    CHECK(pg.body && strstr(pg.body, "&lt;script&gt;x&lt;/script&gt;"));
    CHECK(pg.body && !strstr(pg.body, "<script>x"));
    CHECK(pg.body && strstr(pg.body, "&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;"));
    CHECK(pg.body && !strstr(pg.body, "<b>bold"));
    resp_free(&pg);

    /* What a visitor reads when the prompt is refused. */
    json_t *r = NULL;
    CHECK_EQ_INT(api_post_prompt(&d, net, tok, NULL, "  ", &r), 422);
    CHECK_STR_EQ(json_str_of(r, "message"), "Your prompt is empty");
    json_decref(r);
    char big[1300];
    memset(big, 'y', 1234);
    big[1234] = '\0';
    CHECK_EQ_INT(api_post_prompt(&d, net, tok, NULL, big, &r), 422);
    CHECK_STR_EQ(json_str_of(r, "message"), "Your prompt is too long (1234 bytes; at most 1000)");
    json_decref(r);
    CHECK_EQ_INT(api_post_prompt(&d, net, tok, NULL, "ring\x07", &r), 422);
    CHECK_STR_EQ(json_str_of(r, "message"), "Your prompt contains control characters");
    json_decref(r);
    /* visitor_prompts_per_minute 0: no limit. */
    for (int i = 0; i < 8; i++)
        CHECK_EQ_INT(api_post_prompt(&d, net, tok, NULL, "again", NULL), 201);
    CHECK_EQ_INT(daemon_stop(&d, 5000, NULL), 0);
    daemon_cleanup(&d);
}

/* ---- panicctl press ---- */

/* Run panicctl with PANIC_TOKEN=token; its exit code, output (stdout and stderr) into out. */
static int run_ctl(const struct daemon *d, const char *token, const char *args, char *out,
                   size_t len)
{
    const char *build = getenv("PANIC_BUILD") ? getenv("PANIC_BUILD") : "build";
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "PANIC_TOKEN='%s' '%s/panicctl' --coordinator '%s' %s 2>&1", token,
             build, d->url, args);
    FILE *f = popen(cmd, "r");
    if (!f)
        return -1;
    size_t n = fread(out, 1, len - 1, f);
    out[n] = '\0';
    int status = pclose(f);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(panicctl_press)
{
    char deck[256], conf[1024], out[2048];
    CHECK_EQ_INT(write_deck(deck, sizeof deck, "ctl deck prompt\n"), 0);
    snprintf(conf, sizeof conf,
             "device.tv1.token " DEVICE1 "\ndevice.tv2.token " DEVICE2
             "\ndevice.tv2.long_press_stop yes\nprompt_deck %s\nlockout_seconds 30\n",
             deck);
    struct daemon d;
    if (start(&d, conf) < 0) {
        CHECK(!"panicd started");
        remove_deck(deck);
        return;
    }
    int rc = run_ctl(&d, DEVICE1, "press --display tv1", out, sizeof out);
    if (rc != 0)
        printf("  panicctl: %s\n", out);
    CHECK_EQ_INT(rc, 0);
    CHECK(strstr(out, "started run") && strstr(out, "ctl deck prompt"));
    /* In the lockout: exit 75, like prompt. */
    rc = run_ctl(&d, DEVICE1, "press --display tv1", out, sizeof out);
    CHECK_EQ_INT(rc, 75);
    CHECK(strstr(out, "locked out") != NULL);
    /* A long press where the device may not stop: refused. */
    rc = run_ctl(&d, DEVICE1, "press --long --display tv1", out, sizeof out);
    CHECK_EQ_INT(rc, 1);
    CHECK(strstr(out, "long_press_stop") != NULL);
    rc = run_ctl(&d, DEVICE2, "press --display=tv1 --long", out, sizeof out);
    if (rc != 0)
        printf("  panicctl: %s\n", out);
    CHECK_EQ_INT(rc, 0);
    CHECK(strstr(out, "stopped") != NULL);
    rc = run_ctl(&d, DEVICE2, "--json press --display tv1 --long", out, sizeof out);
    CHECK_EQ_INT(rc, 0);
    CHECK(strstr(out, "\"stopped\":false") != NULL);
    /* Usage errors. */
    CHECK_EQ_INT(run_ctl(&d, DEVICE1, "press extra-word", out, sizeof out), 2);
    CHECK_EQ_INT(run_ctl(&d, DEVICE1, "press --network 1", out, sizeof out), 2);
    CHECK_EQ_INT(run_ctl(&d, DEVICE1, "prompt --long hello", out, sizeof out), 2);
    /* Without --display: this host's name (which may or may not be a valid display name). */
    rc = run_ctl(&d, DEVICE1, "press", out, sizeof out);
    CHECK(rc == 0 || rc == 75 || rc == 1);
    CHECK_EQ_INT(daemon_stop(&d, 5000, NULL), 0);
    daemon_cleanup(&d);
    remove_deck(deck);
}

/* panicctl stop says whether there was a run to stop (issue 10). */
TEST(panicctl_stop)
{
    struct daemon d;
    if (start(&d, "lockout_seconds 0\ndefault_network dummy\n") < 0) {
        CHECK(!"panicd started");
        return;
    }
    char out[2048];
    int rc = run_ctl(&d, d.token, "stop --network 1", out, sizeof out);
    CHECK_EQ_INT(rc, 0);
    if (!strstr(out, "nothing was running on network 1"))
        printf("  panicctl: %s\n", out);
    CHECK(strstr(out, "nothing was running on network 1") != NULL);
    CHECK(strstr(out, "stopped") == NULL);
    CHECK_EQ_INT(
        api_status(&d, "POST", "/api/v1/networks/1/runs", d.token, "{\"prompt\":\"a fox\"}"), 201);
    rc = run_ctl(&d, d.token, "stop --network 1", out, sizeof out);
    CHECK_EQ_INT(rc, 0);
    if (!strstr(out, "stopped the run on network 1"))
        printf("  panicctl: %s\n", out);
    CHECK(strstr(out, "stopped the run on network 1") != NULL);
    CHECK_EQ_INT(daemon_stop(&d, 5000, NULL), 0);
    daemon_cleanup(&d);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_teardown = support_reap;
    RUN(panic_button);
    RUN(bad_deck_is_a_config_error);
    RUN(visitor_tokens);
    RUN(generated_secret);
    RUN(rate_limit);
    RUN(page_escaping_and_messages);
    RUN(panicctl_press);
    RUN(panicctl_stop);
    support_done();
    TEST_END("it_visitor");
}
