/* it_routes.c: the route table of panicd's API (api_routes.c) is the API we document, and a real
 * panicd on 127.0.0.1 keeps its promise for every row of it.
 *
 * On the table alone: each row is well formed, no write (anything but GET/HEAD) is public, and
 * the rows are exactly the list below (docs/DESIGN.md's API table with who may call each), so a new
 * endpoint, or a change of who may call one, shows up here and must be written down.
 * Over HTTP, for every row that needs a token: with none (or a bad, or an expired one) it answers
 * 401, with its path filled with an existing id, an unknown one and text that is no id at all,
 * and with no body, bad JSON, a JSON array and an empty object: the role is checked before
 * anything of the request is parsed or looked up. A token of a role the row does not name gets
 * 403, also with a bad id and a bad body. Public rows answer without a token; unknown paths are
 * 404 and other methods 405 with the row's methods in Allow; a NUL ("%00") in a path is 400. */
#include "coordinator/api/api.h"
#include "coordinator/api/hmac.h"
#include "coordinator/core/token.h"
#include "support.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEVICE "routes-device-token-0001"
#define SECRET "it-routes-secret-0123456789abcdef"
#define ROLES (API_PUBLIC | API_ADMIN | API_DEVICE | API_VISITOR)

/* ---- what the API is (docs/DESIGN.md's table) ---- */

static const struct spec {
    const char *method, *path;
    unsigned roles;
} spec[] = {
    {"GET", "/", API_PUBLIC},
    {"POST", "/login", API_PUBLIC}, /* a browser's staff session: the form checks the token */
    {"POST", "/logout", API_PUBLIC},
    {"GET", "/t/{id}", API_PUBLIC}, /* the page checks its visitor token itself */
    {"GET", "/media/{file}", API_PUBLIC},
    {"GET", "/api/v1/health", API_PUBLIC},
    {"GET", "/api/v1/models", API_PUBLIC},
    {"GET", "/api/v1/platforms", API_PUBLIC},
    {"PUT", "/api/v1/platforms/{platform}/key", API_ADMIN},
    {"DELETE", "/api/v1/platforms/{platform}/key", API_ADMIN},
    {"GET", "/api/v1/networks", API_PUBLIC},
    {"POST", "/api/v1/networks", API_ADMIN},
    {"GET", "/api/v1/networks/{id}", API_PUBLIC},
    {"PATCH", "/api/v1/networks/{id}", API_ADMIN},
    {"DELETE", "/api/v1/networks/{id}", API_ADMIN},
    {"GET", "/api/v1/networks/{id}/status", API_PUBLIC},
    {"POST", "/api/v1/networks/{id}/runs", API_ADMIN | API_DEVICE | API_VISITOR},
    {"POST", "/api/v1/networks/{id}/stop", API_ADMIN},
    {"GET", "/api/v1/networks/{id}/runs/current", API_PUBLIC},
    {"GET", "/api/v1/networks/{id}/events", API_PUBLIC},
    {"GET", "/api/v1/networks/{id}/prompt-url", API_ADMIN | API_DEVICE},
    {"GET", "/api/v1/runs/{run}/invocations", API_PUBLIC},
    {"GET", "/api/v1/displays/{name}", API_PUBLIC},
    {"PUT", "/api/v1/displays/{name}", API_ADMIN},
    {"POST", "/api/v1/panic", API_ADMIN | API_DEVICE},
    {"GET", "/api/v1/presses", API_ADMIN},
    {"GET", "/api/v1/backup", API_ADMIN},
    {"POST", "/api/v1/backups", API_ADMIN},
    {"POST", "/api/v1/restore", API_ADMIN},
    {"GET", "/api/v1/restore", API_ADMIN},
    {"POST", "/api/v1/stop", API_ADMIN},
    {"GET", "/api/v1/displays", API_PUBLIC},
    {"POST", "/api/v1/displays/{name}/heartbeat", API_ADMIN | API_DEVICE},
};
#define NSPEC (sizeof spec / sizeof spec[0])

static const struct spec *spec_of(const char *method, const char *path)
{
    for (size_t i = 0; i < NSPEC; i++)
        if (!strcmp(spec[i].method, method) && !strcmp(spec[i].path, path))
            return &spec[i];
    return NULL;
}

/* The roles a row must have: the list's (so a row made public in the table by mistake is still
 * walked as protected), else the table's. */
static unsigned roles_of(const struct api_route *r)
{
    const struct spec *s = spec_of(r->method, r->path);
    return s ? s->roles : r->roles;
}

/* The path with each "{...}" segment as "{}", to compare shapes. */
static void shape_of(const char *path, char *out, size_t len)
{
    size_t o = 0;
    for (const char *p = path; *p && o + 3 < len; p++) {
        if (*p == '{') {
            out[o++] = '{';
            out[o++] = '}';
            p = strchr(p, '}');
            if (!p)
                break;
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
}

/* 1 if every segment with a brace in it is a whole "{name}". */
static int placeholders_ok(const char *path)
{
    for (const char *p = path; *p;) {
        size_t len = strcspn(p, "/");
        const char *open = memchr(p, '{', len), *close = memchr(p, '}', len);
        if ((open || close) && (open != p || close != p + len - 1 || len < 3 ||
                                memchr(p + 1, '{', len - 1) || memchr(p, '}', len - 1)))
            return 0;
        p += len;
        while (*p == '/')
            p++;
    }
    return 1;
}

TEST(table_rows_are_well_formed)
{
    size_t n;
    const struct api_route *r = api_routes(&n);
    CHECK(n > 0);
    static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
    for (size_t i = 0; i < n; i++) {
        int known = 0;
        for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++)
            known |= !strcmp(r[i].method, methods[m]);
        if (!known || r[i].path[0] != '/' || !placeholders_ok(r[i].path) || !r[i].handler)
            TEST_FAIL_AT("row %zu: %s %s is malformed", i, r[i].method, r[i].path);
        if (r[i].roles == 0 || (r[i].roles & ~ROLES) ||
            ((r[i].roles & API_PUBLIC) && r[i].roles != API_PUBLIC))
            TEST_FAIL_AT("%s %s: roles 0x%x are not API_PUBLIC alone or a set of roles",
                         r[i].method, r[i].path, r[i].roles);
        /* The session cookie counts on the staff page alone (never a JSON route: no cross-site
         * request can change state with it), and the login rows are public POSTs outside /api. */
        if ((r[i].flags & ~(API_NO_HEAD | API_STAFF_COOKIE | API_LOGIN)) ||
            ((r[i].flags & API_NO_HEAD) && strcmp(r[i].method, "GET")) ||
            ((r[i].flags & API_STAFF_COOKIE) &&
             (strcmp(r[i].method, "GET") || strcmp(r[i].path, "/"))) ||
            ((r[i].flags & API_LOGIN) &&
             (strcmp(r[i].method, "POST") || r[i].roles != API_PUBLIC ||
              (strcmp(r[i].path, "/login") && strcmp(r[i].path, "/logout")))))
            TEST_FAIL_AT("%s %s: flags 0x%x", r[i].method, r[i].path, r[i].flags);
        char si[256], sj[256];
        shape_of(r[i].path, si, sizeof si);
        for (size_t j = 0; j < i; j++) {
            shape_of(r[j].path, sj, sizeof sj);
            if (!strcmp(si, sj) && !strcmp(r[i].method, r[j].method))
                TEST_FAIL_AT("%s %s and %s %s are the same route", r[i].method, r[i].path,
                             r[j].method, r[j].path);
        }
    }
}

TEST(writes_name_a_role)
{
    size_t n;
    const struct api_route *r = api_routes(&n);
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(r[i].method, "GET"))
            continue;
        if (r[i].flags & API_LOGIN) /* only the caller's own session (table_rows_are_well_formed) */
            continue;
        if ((r[i].roles & API_PUBLIC) || !(r[i].roles & (API_ADMIN | API_DEVICE | API_VISITOR)))
            TEST_FAIL_AT("%s %s is a write open to anyone", r[i].method, r[i].path);
    }
}

TEST(table_is_the_documented_api)
{
    size_t n;
    const struct api_route *r = api_routes(&n);
    for (size_t i = 0; i < n; i++) {
        const struct spec *s = spec_of(r[i].method, r[i].path);
        if (!s)
            TEST_FAIL_AT("%s %s is not in this test's list: say who may call it", r[i].method,
                         r[i].path);
        else if (s->roles != r[i].roles)
            TEST_FAIL_AT("%s %s: roles 0x%x, the list says 0x%x", r[i].method, r[i].path,
                         r[i].roles, s->roles);
    }
    for (size_t k = 0; k < NSPEC; k++) {
        int found = 0;
        for (size_t i = 0; i < n && !found; i++)
            found = !strcmp(r[i].method, spec[k].method) && !strcmp(r[i].path, spec[k].path);
        if (!found)
            TEST_FAIL_AT("%s %s is missing from the table", spec[k].method, spec[k].path);
    }
}

/* ---- over HTTP ---- */

/* What the walk fills a path's "{...}" segments with. */
enum fill { FILL_EXISTING, FILL_MISSING, FILL_MALFORMED };
#define NFILL 3

struct world {
    struct daemon d;
    long long net, run;
    char visitor[TOKEN_TEXT_LEN + 1], expired[TOKEN_TEXT_LEN + 1];
};

/* The value of placeholder name[0..len) for f; NULL if this test does not know the name. */
static const char *fill_value(const struct world *w, const char *name, size_t len, enum fill f,
                              char *buf, size_t buflen)
{
#define NO_MEDIA "0000000000000000000000000000000000000000000000000000000000000000.png"
    static const struct {
        const char *name, *existing, *missing, *malformed;
    } vals[] = {
        {"id", NULL, "999999", "abc"},   /* existing: the world's network */
        {"run", NULL, "999999", "zero"}, /* existing: the world's run */
        {"name", "tv1", "nobody-here", "bad!name"},
        {"platform", "openai", "nosuch", "bad!name"},
        {"file", NO_MEDIA, NO_MEDIA, "x"}, /* the dummy text model archives no file */
    };
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        if (strlen(vals[i].name) != len || strncmp(vals[i].name, name, len))
            continue;
        if (f == FILL_MISSING)
            return vals[i].missing;
        if (f == FILL_MALFORMED)
            return vals[i].malformed;
        if (vals[i].existing)
            return vals[i].existing;
        snprintf(buf, buflen, "%lld", !strcmp(vals[i].name, "id") ? w->net : w->run);
        return buf;
    }
    return NULL;
}

/* pattern with its "{...}" segments filled; 0, or -1 for a placeholder this test does not know. */
static int fill_path(const struct world *w, const char *pattern, enum fill f, char *out, size_t len)
{
    size_t o = 0;
    out[0] = '\0';
    for (const char *p = pattern; *p;) {
        if (*p != '{') {
            if (o + 1 < len)
                out[o++] = *p;
            out[o] = '\0';
            p++;
            continue;
        }
        const char *close = strchr(p, '}');
        char buf[32];
        const char *v =
            close ? fill_value(w, p + 1, (size_t)(close - p - 1), f, buf, sizeof buf) : NULL;
        if (!v) {
            TEST_FAIL_AT("%s: this test does not know what to put for %s", pattern, p);
            return -1;
        }
        o += (size_t)snprintf(out + o, o < len ? len - o : 0, "%s", v);
        p = close + 1;
    }
    return o < len ? 0 : -1;
}

/* A network with a run on it, a visitor token for it and one an hour old. 0 or -1. */
static int world_setup(struct world *w)
{
    long st;
    json_t *j =
        api_json(&w->d, "POST", "/api/v1/networks", w->d.token,
                 "{\"name\":\"walked\",\"models\":[\"dummy-t2t\"],\"lockout_seconds\":0}", &st);
    w->net = st == 201 ? json_int_of(j, "id", -1) : -1;
    json_decref(j);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/networks/%lld/runs", w->net);
    j = api_json(&w->d, "POST", path, w->d.token, "{\"prompt\":\"walk the routes\"}", &st);
    w->run = st == 201 ? json_int_of(j, "run", -1) : -1;
    json_decref(j);
    int64_t now = (int64_t)time(NULL);
    token_make(hmac_sha256, SECRET, w->net, token_slot(now), w->visitor, sizeof w->visitor);
    token_make(hmac_sha256, SECRET, w->net, token_slot(now - 3600) - 1, w->expired,
               sizeof w->expired);
    return w->net > 0 && w->run > 0 ? 0 : -1;
}

/* In a TEST: panicd with a device and a visitor secret, set up, or the test ends (support_reap
 * stops what was started). */
#define WORLD_START_OR_FAIL(w)                                                                     \
    do {                                                                                           \
        DAEMON_START_OR_FAIL(&(w)->d, "device.tv1.token " DEVICE "\nvisitor_secret " SECRET "\n"); \
        REQUIRE(world_setup(w) == 0);                                                              \
    } while (0)

/* method path with token and body: the status, and the JSON "error" code into err ("" if none). */
static long ask(const struct world *w, const char *method, const char *path, const char *token,
                const char *body, char *err, size_t errlen)
{
    long st;
    json_t *j = api_json(&w->d, method, path, token, body, &st);
    snprintf(err, errlen, "%s", json_str_of(j, "error") ? json_str_of(j, "error") : "");
    json_decref(j);
    return st;
}

static const char *const bodies[] = {NULL, "{not json", "[1,2]", "{}"};
#define NBODIES (sizeof bodies / sizeof bodies[0])

/* Every way of not holding a token: none, one nobody issued, a visitor token an hour old. */
static void refused_without_a_token(const struct world *w, const struct api_route *r,
                                    const char *path)
{
    const char *const tokens[] = {NULL, "not-a-token-anybody-issued", w->expired};
    for (size_t t = 0; t < 3; t++) {
        for (size_t b = 0; b < NBODIES; b++) {
            char err[64];
            long st = ask(w, r->method, path, tokens[t], bodies[b], err, sizeof err);
            const char *want = t == 2 ? "token_expired" : "unauthorized";
            if (st != 401 || strcmp(err, want)) {
                TEST_FAIL_AT("%s %s, token %s, body %s: %ld %s (want 401 %s)", r->method, path,
                             tokens[t] ? tokens[t] : "(none)", bodies[b] ? bodies[b] : "(none)", st,
                             err, want);
                return; /* one line a path is enough */
            }
        }
    }
    if (!strcmp(r->method, "GET") && !(r->flags & API_NO_HEAD)) {
        long st = api_status(&w->d, "HEAD", path, NULL, NULL);
        if (st != 401)
            TEST_FAIL_AT("HEAD %s without a token: %ld (want 401)", path, st);
    }
}

/* A token of each role the row does not name: 403, whatever the path and the body hold. */
static void refused_to_other_roles(const struct world *w, const struct api_route *r, unsigned roles,
                                   const char *path)
{
    const struct {
        unsigned role;
        const char *token;
    } holders[] = {{API_ADMIN, w->d.token}, {API_DEVICE, DEVICE}, {API_VISITOR, w->visitor}};
    for (size_t h = 0; h < 3; h++) {
        if (roles & holders[h].role)
            continue;
        for (size_t b = 0; b < NBODIES; b++) {
            char err[64];
            long st = ask(w, r->method, path, holders[h].token, bodies[b], err, sizeof err);
            if (st != 403 || strcmp(err, "forbidden")) {
                TEST_FAIL_AT("%s %s with a role-0x%x token, body %s: %ld %s (want 403 forbidden)",
                             r->method, path, holders[h].role, bodies[b] ? bodies[b] : "(none)", st,
                             err);
                return;
            }
        }
    }
}

TEST(protected_routes_refuse_before_parsing)
{
    struct world w = {0};
    WORLD_START_OR_FAIL(&w);
    size_t n, walked = 0;
    const struct api_route *r = api_routes(&n);
    for (size_t i = 0; i < n; i++) {
        unsigned roles = roles_of(&r[i]);
        if (roles & API_PUBLIC)
            continue;
        walked++;
        for (int f = 0; f < NFILL; f++) {
            char path[512];
            if (fill_path(&w, r[i].path, (enum fill)f, path, sizeof path) < 0)
                break;
            refused_without_a_token(&w, &r[i], path);
            refused_to_other_roles(&w, &r[i], roles, path);
            if (!strchr(r[i].path, '{'))
                break; /* nothing to fill: once is enough */
        }
    }
    CHECK(walked >= 12);
    /* Nothing the refused calls asked for happened. */
    char path[128], err[64];
    snprintf(path, sizeof path, "/api/v1/networks/%lld", w.net);
    long st;
    json_t *j = api_json(&w.d, "GET", path, NULL, NULL, &st);
    CHECK_EQ_INT(st, 200);
    CHECK_STR_EQ(json_str_of(j, "name"), "walked");
    json_decref(j);
    CHECK_EQ_INT(ask(&w, "GET", "/api/v1/presses", w.d.token, NULL, err, sizeof err), 200);
    j = api_json(&w.d, "GET", "/api/v1/presses", w.d.token, NULL, &st);
    CHECK_EQ_INT(json_int_of(j, "total", -1), 0);
    json_decref(j);
    CHECK_EQ_INT(daemon_stop(&w.d, 5000, NULL), 0);
    daemon_cleanup(&w.d);
}

TEST(public_routes_answer_anyone)
{
    struct world w = {0};
    WORLD_START_OR_FAIL(&w);
    size_t n;
    const struct api_route *r = api_routes(&n);
    for (size_t i = 0; i < n; i++) {
        if (!(roles_of(&r[i]) & API_PUBLIC))
            continue;
        /* An unknown id and no id at all: an existing network's event stream would not end. */
        for (int f = FILL_MISSING; f <= FILL_MALFORMED; f++) {
            char path[512], err[64];
            if (fill_path(&w, r[i].path, (enum fill)f, path, sizeof path) < 0)
                break;
            const char *const tokens[] = {NULL, "not-a-token-anybody-issued", DEVICE};
            for (size_t t = 0; t < 3; t++) {
                long st = ask(&w, r[i].method, path, tokens[t], NULL, err, sizeof err);
                if (st < 200 || st >= 500 || !strcmp(err, "unauthorized") ||
                    !strcmp(err, "forbidden") || !strcmp(err, "token_expired"))
                    TEST_FAIL_AT("%s %s (public) with token %s: %ld %s", r[i].method, path,
                                 tokens[t] ? tokens[t] : "(none)", st, err);
            }
            if (!strchr(r[i].path, '{'))
                break;
        }
    }
    CHECK_EQ_INT(daemon_stop(&w.d, 5000, NULL), 0);
    daemon_cleanup(&w.d);
}

/* The methods of every row with this path, in table order: what Allow must say. */
static void allow_of(const char *pattern, char *out, size_t len)
{
    size_t n;
    const struct api_route *r = api_routes(&n);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        if (!strcmp(r[i].path, pattern) && !strstr(out, r[i].method))
            snprintf(out + strlen(out), len - strlen(out), "%s%s", *out ? ", " : "", r[i].method);
}

TEST(unknown_paths_and_methods)
{
    struct world w = {0};
    WORLD_START_OR_FAIL(&w);
    size_t n;
    const struct api_route *r = api_routes(&n);
    for (size_t i = 0; i < n; i++) {
        char path[512], url[700], want[64], allow[64] = "";
        if (fill_path(&w, r[i].path, FILL_EXISTING, path, sizeof path) < 0)
            continue;
        allow_of(r[i].path, want, sizeof want);
        snprintf(url, sizeof url, "%s%s", w.d.url, path);
        struct resp rs;
        long st = http("OPTIONS", url, w.d.token, NULL, 0, &rs);
        if (st != 405 || !resp_header(&rs, "Allow", allow, sizeof allow) || strcmp(allow, want))
            TEST_FAIL_AT("OPTIONS %s: %ld, Allow \"%s\" (want 405, \"%s\")", path, st, allow, want);
        resp_free(&rs);
    }
    /* HEAD is a GET but for the event stream; nor does it stand for any other method. */
    char path[128];
    snprintf(path, sizeof path, "/api/v1/networks/%lld/events", w.net);
    CHECK_EQ_INT(api_status(&w.d, "HEAD", path, NULL, NULL), 405);
    CHECK_EQ_INT(api_status(&w.d, "HEAD", "/api/v1/panic", DEVICE, NULL), 405);
    CHECK_EQ_INT(api_status(&w.d, "HEAD", "/api/v1/health", NULL, NULL), 200);
    /* No row: 404, with a token or without, and whatever the method. */
    static const char *const unknown[] = {"/api/v1/nothing", "/api/v1/networks/1/nothing",
                                          "/api/v2/health", "/api/v1/panic/now",
                                          "/a/b/c/d/e/f/g/h/i"};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        CHECK_EQ_INT(api_status(&w.d, "GET", unknown[i], NULL, NULL), 404);
        CHECK_EQ_INT(api_status(&w.d, "POST", unknown[i], w.d.token, "{}"), 404);
    }
    /* A NUL ("%00") anywhere in the path is refused, not read up to the NUL (issue 10). */
    snprintf(path, sizeof path, "/api/v1/networks/%lld%%00/status", w.net);
    CHECK_EQ_INT(api_status(&w.d, "GET", path, NULL, NULL), 400);
    snprintf(path, sizeof path, "/api/v1/networks/%lld/status%%00", w.net);
    CHECK_EQ_INT(api_status(&w.d, "GET", path, NULL, NULL), 400);
    CHECK_EQ_INT(api_status(&w.d, "GET", "/api/v1/health%00/x", NULL, NULL), 400);
    CHECK_EQ_INT(api_status(&w.d, "GET", "/%00", NULL, NULL), 400);
    CHECK_EQ_INT(daemon_stop(&w.d, 5000, NULL), 0);
    daemon_cleanup(&w.d);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_teardown = support_reap;
    RUN(table_rows_are_well_formed);
    RUN(writes_name_a_role);
    RUN(table_is_the_documented_api);
    RUN(protected_routes_refuse_before_parsing);
    RUN(public_routes_answer_anyone);
    RUN(unknown_paths_and_methods);
    support_done();
    TEST_END("it_routes");
}
