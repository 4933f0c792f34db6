/* it_staff_login.c: staff log in from a browser to see the phone links on the staff page, on a
 * real panicd on 127.0.0.1. POST /login with the admin token (a form) sets an HttpOnly,
 * SameSite=Strict session cookie that is not the token; with it GET / shows each network's QR code
 * and a phone link the phone page and the prompt route accept. A wrong token is 401 with the form
 * again and no cookie; the cookie authorises no /api/v1 route; logout, a restart, a forged cookie
 * or the admin token as the cookie end or never start a session; an address that keeps failing is
 * 429 even with the right token. (A session's 12-hour end is tests/unit/test_session.c's: time is
 * an argument there.) */
#include "support.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORM "Content-Type: application/x-www-form-urlencoded"

static long long post_net(const struct daemon *d, const char *name, const char *slug)
{
    char body[256];
    snprintf(body, sizeof body,
             "{\"name\":\"%s\",\"slug\":\"%s\",\"models\":[\"dummy-t2t\"],\"lockout_seconds\":0}",
             name, slug);
    long st;
    json_t *j = api_json(d, "POST", "/api/v1/networks", d->token, body, &st);
    long long id = st == 201 ? json_int_of(j, "id", -1) : -1;
    json_decref(j);
    return id;
}

/* POST /login with the form body; the status, r the reply (resp_free). */
static long login(const struct daemon *d, const char *form, struct resp *r)
{
    char url[256];
    snprintf(url, sizeof url, "%s/login", d->url);
    const char *h[] = {FORM, NULL};
    return http_ex("POST", url, NULL, form, strlen(form), h, 5000, r);
}

/* The form body with the admin token, every byte percent-encoded when encode. */
static void token_form(const struct daemon *d, int encode, char *out, size_t len)
{
    size_t o = (size_t)snprintf(out, len, "other=x&admin_token=");
    for (const char *p = d->token; *p && o + 4 < len; p++)
        o += (size_t)(encode ? snprintf(out + o, len - o, "%%%02X", (unsigned char)*p)
                             : snprintf(out + o, len - o, "%c", *p));
    snprintf(out + o, len - o, "&more=y");
}

/* Log in with the admin token; the cookie ("panic_staff=ID") into cookie: 0, or -1. */
static int login_ok(const struct daemon *d, char *cookie, size_t len)
{
    char form[512], set[512];
    token_form(d, 0, form, sizeof form);
    struct resp r;
    long st = login(d, form, &r);
    int ok = st == 303 && resp_header(&r, "Set-Cookie", set, sizeof set);
    resp_free(&r);
    if (!ok)
        return -1;
    snprintf(cookie, len, "%.*s", (int)strcspn(set, ";"), set);
    return 0;
}

/* method on d's path with "Cookie: cookie" (NULL: none); the status, r the reply (resp_free). */
static long with_cookie(const struct daemon *d, const char *method, const char *path,
                        const char *cookie, const char *body, struct resp *r)
{
    char url[300], h0[600];
    snprintf(url, sizeof url, "%s%s", d->url, path);
    snprintf(h0, sizeof h0, "Cookie: %s", cookie ? cookie : "");
    const char *h[] = {h0, "Content-Type: application/json", NULL};
    return http_ex(method, url, NULL, body, body ? strlen(body) : 0, cookie ? h : h + 1, 5000, r);
}

/* 1 if GET / with cookie shows the QR codes (and the admin's view of them). */
static int page_has_qr(const struct daemon *d, const char *cookie)
{
    struct resp r;
    long st = with_cookie(d, "GET", "/", cookie, NULL, &r);
    int qr = st == 200 && r.body && strstr(r.body, "<svg") && strstr(r.body, "token=");
    resp_free(&r);
    return qr;
}

TEST(login_shows_the_phone_links)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, NULL);
    long long net = post_net(&d, "Lobby", "lobby");
    REQUIRE(net > 0);
    /* Not logged in: the list, the form, no visitor token. */
    struct resp r;
    CHECK_EQ_INT(with_cookie(&d, "GET", "/", NULL, NULL, &r), 200);
    REQUIRE(r.body != NULL);
    CHECK(strstr(r.body, "<small>lobby</small>") != NULL);
    CHECK(strstr(r.body, "Log in to show the phone links") != NULL);
    CHECK(strstr(r.body, "action=/login") != NULL);
    CHECK(strstr(r.body, "<svg") == NULL);
    CHECK(strstr(r.body, "token=") == NULL);
    CHECK(strstr(r.body, "log out") == NULL);
    resp_free(&r);
    /* The right token (percent-encoded, between other fields): 303 to / with the cookie. */
    char form[512], set[512];
    token_form(&d, 1, form, sizeof form);
    CHECK_EQ_INT(login(&d, form, &r), 303);
    char loc[64] = "";
    CHECK(resp_header(&r, "Location", loc, sizeof loc));
    CHECK_STR_EQ(loc, "/");
    REQUIRE(resp_header(&r, "Set-Cookie", set, sizeof set));
    CHECK(strstr(r.headers, d.token) == NULL);
    CHECK(strstr(r.body, d.token) == NULL);
    resp_free(&r);
    CHECK(strncmp(set, "panic_staff=", 12) == 0);
    CHECK(strstr(set, d.token) == NULL);
    CHECK(strstr(set, "; HttpOnly") != NULL);
    CHECK(strstr(set, "; SameSite=Strict") != NULL);
    CHECK(strstr(set, "; Path=/") != NULL);
    CHECK(strstr(set, "; Max-Age=43200") != NULL);
    char cookie[256];
    snprintf(cookie, sizeof cookie, "%.*s", (int)strcspn(set, ";"), set);
    CHECK_EQ_INT((int)strlen(cookie), 12 + 64);
    /* Logged in: the QR code, the phone link, the log-out button, no form. */
    CHECK_EQ_INT(with_cookie(&d, "GET", "/", cookie, NULL, &r), 200);
    REQUIRE(r.body != NULL);
    CHECK(strstr(r.body, "<path fill=\"#000\" d=\"M2 2h1v1h-1z") != NULL); /* a finder corner */
    CHECK(strstr(r.body, "action=/logout") != NULL);
    CHECK(strstr(r.body, "log out") != NULL);
    CHECK(strstr(r.body, "action=/login") == NULL);
    char cache[64] = "";
    CHECK(resp_header(&r, "Cache-Control", cache, sizeof cache));
    CHECK_STR_EQ(cache, "no-store");
    char want[300];
    snprintf(want, sizeof want, "%s/t/lobby?token=", d.url);
    const char *a = strstr(r.body, want);
    REQUIRE(a != NULL);
    char link[512];
    snprintf(link, sizeof link, "%.*s", (int)strcspn(a, "\"<"), a);
    resp_free(&r);
    /* The link works: the phone page takes its token, and so does the prompt route. */
    CHECK_EQ_INT(http("GET", link, NULL, NULL, 0, &r), 200);
    CHECK(r.body && strstr(r.body, "not valid") == NULL);
    resp_free(&r);
    CHECK_EQ_INT(api_post_prompt(&d, net, NULL, link + strlen(want), "hello from the page", NULL),
                 201);
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
}

TEST(wrong_token_gets_the_form_again)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, NULL);
    REQUIRE(post_net(&d, "Lobby", "lobby") > 0);
    const char *const forms[] = {"admin_token=0123456789abcdef",
                                 "admin_token=",
                                 "",
                                 "x=1",
                                 "admin_token=%zz",
                                 "admin_token=%00"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        struct resp r;
        char set[256];
        CHECK_EQ_INT(login(&d, forms[i], &r), 401);
        CHECK(!resp_header(&r, "Set-Cookie", set, sizeof set));
        CHECK(r.body && strstr(r.body, "That is not the admin token") != NULL);
        CHECK(r.body && strstr(r.body, "action=/login") != NULL);
        CHECK(r.body && strstr(r.body, "<small>lobby</small>") != NULL);
        CHECK(r.body && strstr(r.body, "<svg") == NULL);
        resp_free(&r);
        /* Five wrong tries are the limit: start over with a fresh count. */
        if (i == 3) {
            REQUIRE(daemon_restart(&d) == 0);
        }
    }
    /* Cookies nobody was given: no QR codes. */
    char forged[128], admin[200];
    snprintf(forged, sizeof forged, "panic_staff=%064d", 7);
    snprintf(admin, sizeof admin, "panic_staff=%s", d.token);
    const char *const cookies[] = {forged, admin, "panic_staff=", "panic_staff", "x=y"};
    for (size_t i = 0; i < sizeof cookies / sizeof cookies[0]; i++)
        CHECK(!page_has_qr(&d, cookies[i]));
    /* And the admin token still works as a Bearer token on the page. */
    struct resp r;
    char url[256];
    snprintf(url, sizeof url, "%s/", d.url);
    CHECK_EQ_INT(http("GET", url, d.token, NULL, 0, &r), 200);
    CHECK(r.body && strstr(r.body, "<svg") != NULL);
    CHECK(r.body && strstr(r.body, "log out") == NULL); /* no session to end */
    resp_free(&r);
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
}

TEST(cookie_is_not_an_api_token)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, NULL);
    long long net = post_net(&d, "Lobby", "lobby");
    REQUIRE(net > 0);
    char cookie[256];
    REQUIRE(login_ok(&d, cookie, sizeof cookie) == 0);
    REQUIRE(page_has_qr(&d, cookie));
    CHECK_EQ_INT(api_post_prompt(&d, net, d.token, NULL, "keep running", NULL), 201);
    static const struct {
        const char *method, *path, *body;
    } calls[] = {
        {"POST", "/api/v1/stop", NULL},
        {"POST", "/api/v1/networks/lobby/stop", NULL},
        {"POST", "/api/v1/networks", "{\"name\":\"x\",\"models\":[\"dummy-t2t\"]}"},
        {"DELETE", "/api/v1/networks/lobby", NULL},
        {"PUT", "/api/v1/displays/tv1", "{\"network\":\"lobby\"}"},
        {"GET", "/api/v1/networks/lobby/prompt-url", NULL},
        {"GET", "/api/v1/presses", NULL},
        {"GET", "/api/v1/backup", NULL},
        {"POST", "/api/v1/networks/lobby/runs", "{\"prompt\":\"by cookie\"}"},
    };
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        struct resp r;
        long st = with_cookie(&d, calls[i].method, calls[i].path, cookie, calls[i].body, &r);
        if (st != 401)
            TEST_FAIL_AT("%s %s with the staff cookie: %ld (want 401)", calls[i].method,
                         calls[i].path, st);
        resp_free(&r);
    }
    /* Nothing happened: the network is there, its run still going, no display configured. */
    long st;
    json_t *j = api_json(&d, "GET", "/api/v1/networks/lobby/status", NULL, NULL, &st);
    CHECK_EQ_INT(st, 200);
    CHECK(json_str_of(j, "state") && strcmp(json_str_of(j, "state"), "stopped") != 0);
    json_decref(j);
    j = api_json(&d, "GET", "/api/v1/networks", NULL, NULL, &st);
    CHECK_EQ_INT(json_array_size(json_object_get(j, "networks")), 2); /* the seeded one, lobby */
    json_decref(j);
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
}

TEST(logout_and_restart_end_the_session)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, NULL);
    REQUIRE(post_net(&d, "Lobby", "lobby") > 0);
    char one[256], two[256];
    REQUIRE(login_ok(&d, one, sizeof one) == 0);
    REQUIRE(login_ok(&d, two, sizeof two) == 0);
    CHECK(strcmp(one, two) != 0);
    CHECK(page_has_qr(&d, one));
    CHECK(page_has_qr(&d, two));
    struct resp r;
    char set[256] = "";
    CHECK_EQ_INT(with_cookie(&d, "POST", "/logout", one, NULL, &r), 303);
    CHECK(resp_header(&r, "Set-Cookie", set, sizeof set));
    CHECK(strncmp(set, "panic_staff=;", 13) == 0);
    CHECK(strstr(set, "Max-Age=0") != NULL);
    resp_free(&r);
    /* The old cookie, kept by someone, is worthless; the other browser stays logged in. */
    CHECK(!page_has_qr(&d, one));
    CHECK(page_has_qr(&d, two));
    /* Logging out without a session is harmless. */
    CHECK_EQ_INT(with_cookie(&d, "POST", "/logout", NULL, NULL, &r), 303);
    resp_free(&r);
    CHECK(page_has_qr(&d, two));
    /* Sessions live in memory: a restart logs everyone out. */
    REQUIRE(daemon_restart(&d) == 0);
    CHECK(!page_has_qr(&d, two));
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
}

TEST(failed_logins_are_rate_limited)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, NULL);
    struct resp r;
    for (int i = 0; i < 5; i++) {
        CHECK_EQ_INT(login(&d, "admin_token=guess", &r), 401);
        resp_free(&r);
    }
    CHECK_EQ_INT(login(&d, "admin_token=guess", &r), 429);
    char retry[32] = "";
    CHECK(resp_header(&r, "Retry-After", retry, sizeof retry));
    CHECK(atoi(retry) >= 1 && atoi(retry) <= 60);
    CHECK(r.body && strstr(r.body, "Too many wrong tokens") != NULL);
    resp_free(&r);
    /* Even the right token waits, and gets no cookie. */
    char form[512], set[256];
    token_form(&d, 0, form, sizeof form);
    CHECK_EQ_INT(login(&d, form, &r), 429);
    CHECK(!resp_header(&r, "Set-Cookie", set, sizeof set));
    resp_free(&r);
    /* A Bearer caller is not affected. */
    CHECK_EQ_INT(api_status(&d, "GET", "/api/v1/presses", d.token, NULL), 200);
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
}

/* Right logins cost nothing: many in a row all work. */
TEST(right_logins_are_not_counted)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, NULL);
    char cookie[256];
    for (int i = 0; i < 8; i++)
        CHECK_EQ_INT(login_ok(&d, cookie, sizeof cookie), 0);
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_teardown = support_reap;
    RUN(login_shows_the_phone_links);
    RUN(wrong_token_gets_the_form_again);
    RUN(cookie_is_not_an_api_token);
    RUN(logout_and_restart_end_the_session);
    RUN(failed_logins_are_rate_limited);
    RUN(right_logins_are_not_counted);
    TEST_END("it_staff_login");
}
