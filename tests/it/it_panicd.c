/* it_panicd.c: integration tests of panicd over its real HTTP API. Every test starts its own
 * panicd (PANIC_BUILD/panicd) on 127.0.0.1 with a random port and a fresh state dir under /tmp
 * with real sqlite files, drives it with libcurl, watches it with Server-Sent Events clients and
 * checks what a display, panicctl or the stock sqlite3 tool would see. Networks use the dummy
 * models with a fast schedule so a run makes dozens of invocations in a second. */
#include "support.h"
#include "test.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define ARRAY_SIZE_OF(a) (sizeof(a) / sizeof((a)[0]))

static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

/* ---- helpers ---- */

/* POST a network; its id, or -1. Any 2xx counts here (the exact code is checked in
 * create_network), so one wrong status cannot hide every other test's result. */
static long long create_net(const struct daemon *d, const char *name, const char *models,
                            int lockout, double delay_s)
{
    char body[1024];
    snprintf(body, sizeof body,
             "{\"name\":\"%s\",\"models\":%s,\"lockout_seconds\":%d,"
             "\"schedule\":[{\"delay_s\":%g}]}",
             name, models, lockout, delay_s);
    long st;
    json_t *j = api_json(d, "POST", "/api/v1/networks", d->token, body, &st);
    long long id = (st >= 200 && st < 300) ? json_int_of(j, "id", -1) : -1;
    if (id < 0)
        printf("  create_net %s: status %ld\n", models, st);
    json_decref(j);
    return id;
}

/* Start a run as admin; the run id or -1. */
static long long start_run(const struct daemon *d, long long net, const char *prompt)
{
    json_t *j = NULL;
    long st = api_post_prompt(d, net, d->token, NULL, prompt, &j);
    long long run = st == 201 ? json_int_of(j, "run", -1) : -1;
    if (run < 0)
        printf("  start_run: status %ld\n", st);
    json_decref(j);
    return run;
}

static json_t *get_status(const struct daemon *d, long long net)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/networks/%lld/status", net);
    long st;
    json_t *j = api_json(d, "GET", path, NULL, NULL, &st);
    if (st != 200) {
        printf("  status of network %lld: %ld\n", net, st);
        json_decref(j);
        return NULL;
    }
    return j;
}

static long stop_run(const struct daemon *d, long long net)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/networks/%lld/stop", net);
    return api_status(d, "POST", path, d->token, NULL);
}

static struct sse_client *open_events(const struct daemon *d, long long net,
                                      const char *last_event_id)
{
    char url[256];
    snprintf(url, sizeof url, "%s/api/v1/networks/%lld/events", d->url, net);
    return sse_open(url, last_event_id);
}

/* An invocation event of a run (any run if run < 0), seq >= seq_min, in state (any if NULL). */
struct inv_match {
    long long run;
    long long seq_min;
    const char *state;
};

static int is_inv(const struct sse_msg *ev, void *user)
{
    const struct inv_match *m = user;
    if (!sse_is(ev, "invocation") || !ev->json)
        return 0;
    if (m->run >= 0 && sse_run(ev) != m->run)
        return 0;
    if (sse_seq(ev) < m->seq_min)
        return 0;
    return !m->state || !strcmp(sse_state(ev), m->state);
}

static int is_status_state(const struct sse_msg *ev, void *user)
{
    return sse_is(ev, "status") && !strcmp(sse_state(ev), (const char *)user);
}

/* Pump until the client has seen n completed invocations of run; how many it saw. */
static size_t wait_completed(struct sse_client *c, long long run, size_t n, int timeout_ms)
{
    struct inv_match m = {run, 0, "completed"};
    int64_t end = support_now_ms() + timeout_ms;
    size_t seen = 0, from = 0;
    while (seen < n) {
        int left = (int)(end - support_now_ms());
        long i = sse_wait_for(c, from, is_inv, &m, left > 0 ? left : 0);
        if (i < 0)
            break;
        seen++;
        from = (size_t)i + 1;
    }
    return seen;
}

/* The largest event id the client has seen (0 if none). */
static long long max_id(const struct sse_client *c)
{
    long long m = 0;
    for (size_t i = 0; i < c->nevents; i++)
        if (c->events[i].id > m)
            m = c->events[i].id;
    return m;
}

/* The first event of a new client is the status snapshot; waiting for it means the server has
 * registered the stream, so nothing emitted later can be missed. */
static int wait_registered(struct sse_client *c)
{
    return sse_wait_count(c, 1, 5000) && c->status == 200;
}

/* One text column of a one-row query with ?1 = key on DIR/panic.sqlite, opened read-only the
 * way the stock sqlite3 tool would; owned, or NULL. */
static char *db_text(const struct daemon *d, const char *sql, long long key)
{
    char path[320];
    snprintf(path, sizeof path, "%s/panic.sqlite", d->dir);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char *out = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 2000);
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
            sqlite3_bind_int64(st, 1, key);
            if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
                out = strdup((const char *)sqlite3_column_text(st, 0));
        }
        sqlite3_finalize(st);
    }
    if (!out)
        printf("  sqlite %s: %s\n", sql, db ? sqlite3_errmsg(db) : "cannot open");
    sqlite3_close(db);
    return out;
}

/* The invocations of a run through the paging API (limit per page); the number read, or -1. */
static long read_invocations(const struct daemon *d, long long run, int limit, json_t *out)
{
    long long after = -1;
    for (int pages = 0; pages < 1000; pages++) {
        char path[160];
        snprintf(path, sizeof path, "/api/v1/runs/%lld/invocations?after_seq=%lld&limit=%d", run,
                 after, limit);
        long st;
        json_t *j = api_json(d, "GET", path, NULL, NULL, &st);
        json_t *invs = json_object_get(j, "invocations");
        if (st != 200 || !json_is_array(invs)) {
            printf("  GET %s: %ld\n", path, st);
            json_decref(j);
            return -1;
        }
        json_array_extend(out, invs);
        json_t *next = json_object_get(j, "next_after_seq");
        int more = json_is_integer(next);
        if (more)
            after = json_integer_value(next);
        json_decref(j);
        if (!more)
            return (long)json_array_size(out);
    }
    return -1;
}

static int has_substr(const char *s, const char *needle)
{
    return s && strstr(s, needle) != NULL;
}

/* An oversized POST by hand: the headers (Content-Length, no Expect: 100-continue) and the first
 * `first` bytes of a `total`-byte body, a pause, then the rest. Reads the reply to the end. The
 * status line goes into status_line; *send_failed says whether sending the rest failed (the
 * server had already reset the connection). 0, or -1 if the exchange could not start. */
static int oversized_post(const struct daemon *d, const char *path, size_t total, size_t first,
                          int pause_ms, char *status_line, size_t len, int *send_failed)
{
    const char *colon = strrchr(d->url, ':');
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)atoi(colon ? colon + 1 : "0"));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char head[512];
    int n = snprintf(head, sizeof head,
                     "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                     path, d->token, total);
    char *body = malloc(total);
    if (!body) {
        close(fd);
        return -1;
    }
    memset(body, 'a', total);
    *send_failed = 0;
    if (send(fd, head, (size_t)n, MSG_NOSIGNAL) != n)
        *send_failed = 1;
    for (size_t off = 0; !*send_failed && off < total;) {
        if (off == first)
            support_sleep_ms(pause_ms);
        size_t chunk = (off < first ? first : total) - off;
        ssize_t w = send(fd, body + off, chunk, MSG_NOSIGNAL);
        if (w <= 0)
            *send_failed = 1;
        else
            off += (size_t)w;
    }
    free(body);
    char reply[4096];
    size_t got = 0;
    for (;;) {
        ssize_t r = recv(fd, reply + got, sizeof reply - 1 - got, 0);
        if (r <= 0)
            break;
        got += (size_t)r;
        if (got == sizeof reply - 1)
            break;
    }
    reply[got] = '\0';
    close(fd);
    snprintf(status_line, len, "%.*s", (int)strcspn(reply, "\r\n"), reply);
    return 0;
}

static const char *str_or_empty(const char *s)
{
    return s ? s : "";
}

/* Files named backup-*.sqlite left in a directory. */
static int count_backups(const char *dir)
{
    DIR *dd = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (dd && (e = readdir(dd)))
        n += !strncmp(e->d_name, "backup-", 7) && strstr(e->d_name, ".sqlite") &&
             strcmp(e->d_name, "backup-copy.sqlite") != 0;
    if (dd)
        closedir(dd);
    return n;
}

/* ---- 1: networks ---- */

TEST(create_network)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, NULL);
    long st;
    json_t *j = api_json(&d, "POST", "/api/v1/networks", d.token,
                         "{\"name\":\"loop one\",\"models\":[\"dummy-t2i\",\"dummy-i2t\"],"
                         "\"lockout_seconds\":7,\"schedule\":[{\"delay_s\":0.02}]}",
                         &st);
    CHECK_EQ_INT(st, 201);
    long long id = json_int_of(j, "id", -1);
    CHECK(id > 0);
    json_decref(j);

    char path[128];
    snprintf(path, sizeof path, "/api/v1/networks/%lld", id);
    j = api_json(&d, "GET", path, NULL, NULL, &st);
    CHECK_EQ_INT(st, 200);
    CHECK_EQ_INT(json_int_of(j, "id", -1), id);
    CHECK_STR_EQ(json_str_of(j, "name"), "loop one");
    CHECK_EQ_INT(json_int_of(j, "lockout_seconds", -1), 7);
    json_t *models = json_object_get(j, "models");
    CHECK_EQ_INT(json_array_size(models), 2);
    CHECK_STR_EQ(json_string_value(json_array_get(models, 0)), "dummy-t2i");
    CHECK_STR_EQ(json_string_value(json_array_get(models, 1)), "dummy-i2t");
    json_t *sched = json_object_get(j, "schedule");
    CHECK_EQ_INT(json_array_size(sched), 1);
    CHECK_NEAR(json_number_value(json_object_get(json_array_get(sched, 0), "delay_s")), 0.02, 1e-9);
    json_decref(j);

    /* Seconds come out as written, not as the nearest double's 17 digits (issue 10). */
    j = api_json(&d, "POST", "/api/v1/networks", d.token,
                 "{\"name\":\"tenths\",\"models\":[\"dummy-t2t\"],\"schedule\":"
                 "[{\"until_s\":1.1,\"delay_s\":0.2},{\"delay_s\":0.3}]}",
                 &st);
    CHECK_EQ_INT(st, 201);
    char url[256];
    snprintf(url, sizeof url, "%s/api/v1/networks/%lld", d.url, json_int_of(j, "id", -1));
    json_decref(j);
    struct resp raw;
    CHECK_EQ_INT(http("GET", url, NULL, NULL, 0, &raw), 200);
    if (!raw.body || !strstr(raw.body, "\"until_s\":1.1,\"delay_s\":0.2}") ||
        !strstr(raw.body, "\"delay_s\":0.3}"))
        TEST_FAIL_AT("schedule written as %s", raw.body ? strstr(raw.body, "\"schedule\"") : "");
    resp_free(&raw);

    /* The list shows it too (after the default network). */
    j = api_json(&d, "GET", "/api/v1/networks", NULL, NULL, &st);
    CHECK_EQ_INT(st, 200);
    json_t *list = json_object_get(j, "networks");
    size_t before = json_array_size(list);
    int found = 0;
    for (size_t i = 0; i < before; i++)
        found += json_int_of(json_array_get(list, i), "id", -1) == id;
    CHECK_EQ_INT(found, 1);
    json_decref(j);

    static const struct {
        const char *models;
        const char *names[2];
    } bad[] = {
        {"[\"dummy-t2i\",\"dummy-t2i\"]", {"dummy-t2i", NULL}},
        {"[\"dummy-i2t\"]", {"dummy-i2t", NULL}},
        {"[\"dummy-t2t\",\"no-such-model\"]", {"no-such-model", NULL}},
        {"[\"dummy-t2i\",\"dummy-i2a\",\"dummy-a2t\",\"dummy-t2a\"]", {"dummy-t2a", "dummy-t2i"}},
        {"[]", {NULL, NULL}},
    };
    for (size_t i = 0; i < ARRAY_SIZE_OF(bad); i++) {
        char body[512];
        snprintf(body, sizeof body, "{\"name\":\"bad\",\"models\":%s}", bad[i].models);
        j = api_json(&d, "POST", "/api/v1/networks", d.token, body, &st);
        if (st != 422)
            printf("  models %s\n", bad[i].models);
        CHECK_EQ_INT(st, 422);
        const char *msg = json_str_of(j, "message");
        CHECK(json_str_of(j, "error") != NULL);
        CHECK(msg != NULL && msg[0] != '\0');
        for (int k = 0; k < 2; k++) {
            if (bad[i].names[k] && !has_substr(msg, bad[i].names[k])) {
                printf("  message for %s: \"%s\"\n", bad[i].models, msg ? msg : "(null)");
                CHECK(!"the message names the offending model");
            }
        }
        json_decref(j);
    }
    /* Not an array, not strings, no models at all, no name: 422 as well. */
    CHECK_EQ_INT(
        api_status(&d, "POST", "/api/v1/networks", d.token, "{\"name\":\"x\",\"models\":\"a\"}"),
        422);
    CHECK_EQ_INT(
        api_status(&d, "POST", "/api/v1/networks", d.token, "{\"name\":\"x\",\"models\":[1]}"),
        422);
    CHECK_EQ_INT(api_status(&d, "POST", "/api/v1/networks", d.token, "{\"name\":\"x\"}"), 422);
    CHECK_EQ_INT(
        api_status(&d, "POST", "/api/v1/networks", d.token, "{\"models\":[\"dummy-t2t\"]}"), 422);
    /* None of the refused ones was stored. */
    j = api_json(&d, "GET", "/api/v1/networks", NULL, NULL, &st);
    CHECK_EQ_INT(json_array_size(json_object_get(j, "networks")), before);
    json_decref(j);

    CHECK_EQ_INT(daemon_stop(&d, 5000, NULL), 0);
    daemon_cleanup(&d);
}

/* ---- 2: a run over SSE, and media ---- */

static void check_media(const struct daemon *d, const char *url_path, const char *media)
{
    char url[512], want[160], buf[256];
    snprintf(want, sizeof want, "/media/%s", media);
    CHECK_STR_EQ(url_path, want);
    snprintf(url, sizeof url, "%s%s", d->url, url_path);

    struct resp r;
    CHECK_EQ_INT(http("GET", url, NULL, NULL, 0, &r), 200);
    CHECK(r.len > 8 && memcmp(r.body, png_sig, 8) == 0);
    CHECK(resp_header(&r, "Content-Type", buf, sizeof buf) && !strcmp(buf, "image/png"));
    char etag[160] = "";
    CHECK(resp_header(&r, "ETag", etag, sizeof etag) && etag[0]);
    size_t size = r.len;
    resp_free(&r);

    char inm[200];
    snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
    const char *h1[] = {inm, NULL};
    CHECK_EQ_INT(http_ex("GET", url, NULL, NULL, 0, h1, 5000, &r), 304);
    CHECK_EQ_INT(r.len, 0);
    resp_free(&r);

    CHECK_EQ_INT(http("HEAD", url, NULL, NULL, 0, &r), 200);
    CHECK_EQ_INT(r.len, 0);
    char clen[32];
    snprintf(want, sizeof want, "%zu", size);
    CHECK(resp_header(&r, "Content-Length", clen, sizeof clen) && !strcmp(clen, want));
    resp_free(&r);

    const char *h2[] = {"Range: bytes=0-7", NULL};
    CHECK_EQ_INT(http_ex("GET", url, NULL, NULL, 0, h2, 5000, &r), 206);
    CHECK_EQ_INT(r.len, 8);
    CHECK(r.len == 8 && memcmp(r.body, png_sig, 8) == 0);
    char cr[128];
    snprintf(want, sizeof want, "bytes 0-7/%zu", size);
    CHECK(resp_header(&r, "Content-Range", cr, sizeof cr) && !strcmp(cr, want));
    resp_free(&r);

    /* A range that starts past the end: 416, Content-Range bytes * / size, a JSON error. */
    char range[64];
    snprintf(range, sizeof range, "Range: bytes=%zu-", size + 10);
    const char *h3[] = {range, NULL};
    CHECK_EQ_INT(http_ex("GET", url, NULL, NULL, 0, h3, 5000, &r), 416);
    snprintf(want, sizeof want, "bytes */%zu", size);
    CHECK(resp_header(&r, "Content-Range", cr, sizeof cr) && !strcmp(cr, want));
    json_t *j = resp_json(&r);
    if (!j)
        printf("  416 body is not JSON: \"%s\"\n", r.body);
    CHECK(j != NULL);
    CHECK_STR_EQ(json_str_of(j, "error"), "bad_range");
    json_decref(j);
    resp_free(&r);

    const char *h4[] = {"Range: bytes=7-3", NULL};
    CHECK_EQ_INT(http_ex("GET", url, NULL, NULL, 0, h4, 5000, &r), 416);
    resp_free(&r);
    /* Malformed ranges are 416 too, never the whole file as a 206 (issue 10). */
    static const char *const malformed[] = {
        "Range: bytes=--5",  "Range: bytes=-+5",  "Range: bytes=+0-7", "Range: bytes=0--7",
        "Range: bytes= 0-7", "Range: bytes=0-7x", "Range: bytes=-",    "Range: bytes=-0x5"};
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
        const char *h5[] = {malformed[i], NULL};
        long st = http_ex("GET", url, NULL, NULL, 0, h5, 5000, &r);
        if (st != 416)
            TEST_FAIL_AT("%s: %ld (want 416)", malformed[i], st);
        resp_free(&r);
    }

    /* Unknown media and a name that is not a media name. */
    snprintf(url, sizeof url,
             "%s/media/0000000000000000000000000000000000000000000000000000000000000000.png",
             d->url);
    CHECK_EQ_INT(http("GET", url, NULL, NULL, 0, &r), 404);
    resp_free(&r);
    snprintf(url, sizeof url, "%s/media/..%%2f..%%2fpanic.sqlite", d->url);
    CHECK_EQ_INT(http("GET", url, NULL, NULL, 0, &r), 404);
    resp_free(&r);
}

TEST(run_over_sse)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, NULL);
    long long net = create_net(&d, "t", "[\"dummy-t2t\"]", 0, 0.02);
    CHECK(net > 0);
    struct sse_client *c = open_events(&d, net, NULL);
    REQUIRE(c != NULL);
    CHECK(wait_registered(c));
    CHECK(c->nevents >= 1 && sse_is(&c->events[0], "status") && c->events[0].id == -1);
    long long run = start_run(&d, net, "a watched pot never boils");
    CHECK(run > 0);
    size_t got = wait_completed(c, run, 20, 15000);
    CHECK_GE(got, 20);

    /* Every event after the snapshot has an id, and ids strictly increase. */
    long long prev = 0;
    size_t ncompleted = 0, bad_ids = 0, bad_inv = 0;
    const json_t *completed[256];
    for (size_t i = 1; i < c->nevents; i++) {
        const struct sse_msg *ev = &c->events[i];
        if (ev->id <= prev)
            bad_ids++;
        if (ev->id > prev)
            prev = ev->id;
        if (!sse_is(ev, "invocation"))
            continue;
        json_t *jr = json_object_get(ev->json, "run"), *js = json_object_get(ev->json, "seq");
        if (!json_is_integer(jr) || !json_is_integer(js) || json_integer_value(jr) != run) {
            bad_inv++;
            continue;
        }
        if (!strcmp(sse_state(ev), "completed") && ncompleted < ARRAY_SIZE_OF(completed))
            completed[ncompleted++] = ev->json;
        else if (strcmp(sse_state(ev), "invoking") != 0)
            bad_inv++;
    }
    CHECK_EQ_INT(bad_ids, 0);
    CHECK_EQ_INT(bad_inv, 0);
    CHECK_GE(ncompleted, 20);
    /* seq 0..N-1 in order, no duplicate, no gap; each input is the previous output. */
    size_t bad_seq = 0, bad_chain = 0;
    for (size_t i = 0; i < ncompleted; i++) {
        if (json_int_of(completed[i], "seq", -1) != (long long)i)
            bad_seq++;
        const char *in = json_str_of(json_object_get(completed[i], "input"), "text");
        const char *out = json_str_of(json_object_get(completed[i], "output"), "text");
        if (!out || strncmp(out, "DUMMY_TEXT: ", 12) != 0)
            bad_chain++;
        if (i > 0 &&
            (!in || strcmp(in, str_or_empty(json_str_of(json_object_get(completed[i - 1], "output"),
                                                        "text"))) != 0))
            bad_chain++;
    }
    CHECK_EQ_INT(bad_seq, 0);
    CHECK_EQ_INT(bad_chain, 0);
    CHECK(ncompleted > 0 &&
          !strcmp(str_or_empty(json_str_of(json_object_get(completed[0], "input"), "text")),
                  "a watched pot never boils"));
    CHECK_EQ_INT(stop_run(&d, net), 200);
    sse_close(c);

    /* Mixed network: the image outputs are served as real PNGs. */
    long long net2 = create_net(&d, "mixed", "[\"dummy-t2i\",\"dummy-i2t\"]", 0, 0.02);
    CHECK(net2 > 0);
    c = open_events(&d, net2, NULL);
    REQUIRE(c != NULL);
    CHECK(wait_registered(c));
    long long run2 = start_run(&d, net2, "a lighthouse at dusk");
    CHECK(run2 > 0);
    struct inv_match m = {run2, 1, "completed"};
    long i1 = sse_wait_for(c, 0, is_inv, &m, 10000);
    CHECK_GE(i1, 0);
    struct inv_match m0 = {run2, 0, "completed"};
    long i0 = sse_wait_for(c, 0, is_inv, &m0, 1000);
    CHECK(i0 >= 0 && i0 < i1);
    if (i0 >= 0 && i1 >= 0) {
        const json_t *out = json_object_get(c->events[i0].json, "output");
        CHECK_STR_EQ(json_str_of(out, "type"), "image");
        const char *media = json_str_of(out, "media");
        const char *url = json_str_of(out, "url");
        CHECK(media && url);
        if (media && url)
            check_media(&d, url, media);
        /* The caption model saw that very image. */
        const json_t *cap = c->events[i1].json;
        CHECK_STR_EQ(json_str_of(json_object_get(cap, "input"), "media"), media);
        char hash8[16];
        snprintf(hash8, sizeof hash8, "%.8s", media ? media : "");
        CHECK(has_substr(json_str_of(json_object_get(cap, "output"), "text"), hash8));
    }
    CHECK_EQ_INT(stop_run(&d, net2), 200);
    sse_close(c);
    CHECK_EQ_INT(daemon_stop(&d, 5000, NULL), 0);
    daemon_cleanup(&d);
}

/* ---- 3: lockout ---- */

TEST(lockout)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, NULL);
    long long net = create_net(&d, "t", "[\"dummy-t2t\"]", 2, 0.02);
    struct sse_client *c = open_events(&d, net, NULL);
    REQUIRE(c != NULL);
    CHECK(wait_registered(c));
    long long run1 = start_run(&d, net, "first visitor");
    int64_t t_started = support_now_ms();
    CHECK(run1 > 0);

    json_t *j = NULL;
    CHECK_EQ_INT(api_post_prompt(&d, net, d.token, NULL, "second visitor", &j), 409);
    CHECK_STR_EQ(json_str_of(j, "error"), "lockout");
    long long retry = json_int_of(j, "retry_after_s", -1);
    CHECK(retry >= 1 && retry <= 2);
    json_decref(j);

    j = get_status(&d, net);
    CHECK_STR_EQ(json_str_of(j, "state"), "lockout");
    CHECK(json_is_false(json_object_get(j, "can_start_run")));
    CHECK_EQ_INT(json_int_of(j, "run", -1), run1);
    json_decref(j);

    /* Wait for the lockout to end (status says so), pumping the stream meanwhile. */
    int can = 0;
    while (!can && support_now_ms() - t_started < 5000) {
        sse_pump(100);
        j = get_status(&d, net);
        can = json_is_true(json_object_get(j, "can_start_run"));
        json_decref(j);
    }
    CHECK(can);
    CHECK_GE(support_now_ms() - t_started, 1500);

    long long run2 = start_run(&d, net, "third visitor");
    CHECK(run2 > 0 && run2 != run1);
    struct inv_match g = {run2, 0, NULL};
    long gi = sse_wait_for(c, 0, is_inv, &g, 5000);
    CHECK_GE(gi, 0);
    CHECK(gi >= 0 && sse_seq(&c->events[gi]) == 0);
    sse_pump(1000);
    size_t stale = 0, progress = 0;
    for (size_t i = gi >= 0 ? (size_t)gi : 0; gi >= 0 && i < c->nevents; i++) {
        long long r = sse_run(&c->events[i]);
        if (r == run1) {
            stale++;
            printf("  old run event after the new genesis: %s %s\n", c->events[i].event,
                   c->events[i].data);
        }
        if (r == run2 && sse_is(&c->events[i], "invocation") &&
            !strcmp(sse_state(&c->events[i]), "completed"))
            progress++;
    }
    CHECK_EQ_INT(stale, 0);
    CHECK_GE(progress, 5);
    /* The superseded run was closed cleanly: nothing of it is left invoking. */
    json_t *old = json_array();
    long nold = read_invocations(&d, run1, 1000, old);
    CHECK_GE(nold, 1);
    size_t left_invoking = 0;
    for (long i = 0; i < nold; i++)
        left_invoking +=
            !strcmp(str_or_empty(json_str_of(json_array_get(old, (size_t)i), "state")), "invoking");
    CHECK_EQ_INT(left_invoking, 0);
    json_decref(old);
    char *state = db_text(&d, "SELECT state FROM runs WHERE id = ?1", run1);
    CHECK_STR_EQ(state, "superseded");
    free(state);
    state = db_text(&d, "SELECT state FROM runs WHERE id = ?1", run2);
    CHECK_STR_EQ(state, "running");
    free(state);
    /* The old run is over; the current run is the new one. */
    long st;
    char path[128];
    snprintf(path, sizeof path, "/api/v1/networks/%lld/runs/current", net);
    j = api_json(&d, "GET", path, NULL, NULL, &st);
    CHECK_EQ_INT(st, 200);
    CHECK_EQ_INT(json_int_of(json_object_get(j, "run"), "id", -1), run2);
    json_decref(j);
    CHECK_EQ_INT(stop_run(&d, net), 200);
    sse_close(c);
    CHECK_EQ_INT(daemon_stop(&d, 5000, NULL), 0);
    daemon_cleanup(&d);
}

/* ---- 4: stop ---- */

TEST(stop_run_test)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, "dummy_latency_ms 100");
    long long net = create_net(&d, "t", "[\"dummy-t2t\"]", 0, 0.05);
    struct sse_client *c = open_events(&d, net, NULL);
    REQUIRE(c != NULL);
    CHECK(wait_registered(c));
    long long run = start_run(&d, net, "stop me");
    CHECK(run > 0);
    struct inv_match m = {run, 2, "invoking"};
    long ii = sse_wait_for(c, 0, is_inv, &m, 5000);
    CHECK_GE(ii, 0);
    long long inflight_seq = ii >= 0 ? sse_seq(&c->events[ii]) : -1;

    long st;
    char path[128];
    snprintf(path, sizeof path, "/api/v1/networks/%lld/stop", net);
    json_t *j = api_json(&d, "POST", path, d.token, NULL, &st);
    CHECK_EQ_INT(st, 200);
    CHECK_STR_EQ(json_str_of(j, "state"), "stopped");
    json_decref(j);

    long si = sse_wait_for(c, ii >= 0 ? (size_t)ii : 0, is_status_state, "stopped", 3000);
    CHECK_GE(si, 0);
    sse_pump(1500);
    size_t after = 0;
    for (size_t i = si >= 0 ? (size_t)si + 1 : 0; si >= 0 && i < c->nevents; i++) {
        if (sse_is(&c->events[i], "invocation")) {
            after++;
            printf("  invocation event after the stop: %s\n", c->events[i].data);
        }
    }
    CHECK_EQ_INT(after, 0);

    j = get_status(&d, net);
    CHECK_STR_EQ(json_str_of(j, "state"), "stopped");
    CHECK_EQ_INT(json_int_of(j, "run", -1), run);
    json_decref(j);

    /* The store: every invocation completed except the one in flight, recorded failed. */
    json_t *invs = json_array();
    long n = read_invocations(&d, run, 1000, invs);
    CHECK_GE(n, 3);
    size_t invoking = 0, bad = 0;
    for (long i = 0; i < n; i++) {
        json_t *inv = json_array_get(invs, (size_t)i);
        const char *state = json_str_of(inv, "state");
        long long seq = json_int_of(inv, "seq", -1);
        if (seq != i)
            bad++;
        if (!strcmp(state, "invoking"))
            invoking++;
        else if (i < n - 1 && strcmp(state, "completed") != 0)
            bad++;
    }
    CHECK_EQ_INT(invoking, 0);
    CHECK_EQ_INT(bad, 0);
    json_t *last = json_array_get(invs, n > 0 ? (size_t)n - 1 : 0);
    if (n > 0 && !strcmp(json_str_of(last, "state"), "failed")) {
        CHECK_EQ_INT(json_int_of(last, "seq", -1), inflight_seq);
        CHECK(has_substr(json_str_of(last, "error"), "stop"));
        CHECK(json_string_value(json_object_get(last, "finished_at")) != NULL);
    } else {
        /* The call had finished before the stop arrived; then the next one never started. */
        printf("  note: the stop did not catch a call in flight\n");
        CHECK(n > 0 && !strcmp(json_str_of(last, "state"), "completed"));
    }
    json_decref(invs);
    snprintf(path, sizeof path, "/api/v1/networks/%lld/runs/current", net);
    j = api_json(&d, "GET", path, NULL, NULL, &st);
    CHECK_STR_EQ(json_str_of(json_object_get(j, "run"), "state"), "stopped");
    json_decref(j);
    char *rstate = db_text(&d,
                           "SELECT state || ':' || coalesce(reason, '') FROM runs "
                           "WHERE id = ?1",
                           run);
    CHECK(rstate && !strncmp(rstate, "stopped:", 8) && strlen(rstate) > 8);
    free(rstate);
    /* Stopping again is harmless. */
    CHECK_EQ_INT(stop_run(&d, net), 200);
    sse_close(c);
    CHECK_EQ_INT(daemon_stop(&d, 5000, NULL), 0);
    daemon_cleanup(&d);
}

/* ---- 5: kill -9 and resume ---- */

TEST(kill9_resume)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, "dummy_latency_ms 20");
    long long net = create_net(&d, "t", "[\"dummy-t2t\"]", 30, 0.05);
    struct sse_client *c = open_events(&d, net, NULL);
    REQUIRE(c != NULL);
    CHECK(wait_registered(c));
    long long run = start_run(&d, net, "survive the crash");
    int64_t t_genesis = support_now_ms(); /* the genesis is no later than this */
    CHECK(run > 0);
    CHECK_GE(wait_completed(c, run, 11, 10000), 11);
    while (support_now_ms() - t_genesis < 2000)
        sse_pump(100);
    /* Kill it the moment a call is in flight (the dummy takes 20 ms to answer). */
    struct inv_match inflight = {run, 0, "invoking"};
    long ki = sse_wait_for(c, c->nevents, is_inv, &inflight, 3000);
    daemon_kill9(&d);
    CHECK_GE(ki, 0);
    long long killed_id = ki >= 0 ? json_int_of(c->events[ki].json, "id", -1) : -1;
    long long killed_seq = ki >= 0 ? sse_seq(&c->events[ki]) : -1;
    long long seq_before = -1;
    for (size_t i = 0; i < c->nevents; i++)
        if (sse_is(&c->events[i], "invocation") && sse_seq(&c->events[i]) > seq_before)
            seq_before = sse_seq(&c->events[i]);
    CHECK_GE(seq_before, 10);
    sse_close(c);

    REQUIRE(daemon_restart(&d) == 0);
    int64_t t_status = support_now_ms();
    json_t *j = get_status(&d, net);
    double elapsed_s = (double)(t_status - t_genesis) / 1000.0;
    CHECK(j != NULL);
    CHECK(strcmp(str_or_empty(json_str_of(j, "state")), "idle") != 0);
    CHECK_STR_EQ(json_str_of(j, "state"), "lockout");
    CHECK_EQ_INT(json_int_of(j, "run", -1), run);
    long long remaining = json_int_of(j, "lockout_remaining_s", -1);
    if (!(remaining >= 1 && (double)remaining <= 30.0 - elapsed_s + 1.0))
        printf("  lockout_remaining_s %lld, %.2f s after the genesis\n", remaining, elapsed_s);
    CHECK_GE(remaining, 1);
    CHECK((double)remaining <= 30.0 - elapsed_s + 1.0);
    json_decref(j);
    /* A new prompt is still refused. */
    CHECK_EQ_INT(api_post_prompt(&d, net, d.token, NULL, "too soon", NULL), 409);

    c = open_events(&d, net, NULL);
    REQUIRE(c != NULL);
    CHECK(wait_registered(c));
    CHECK_GE(wait_completed(c, run, 10, 10000), 10);
    /* The resumed run carries on where it was: the snapshot's seq is at least the last one
     * seen before the crash, the first completion is that seq, and the rest follow in order. */
    long long snap_seq = c->nevents ? sse_seq(&c->events[0]) : -1;
    CHECK_GE(snap_seq, seq_before);
    long long prev = -1;
    size_t bad_order = 0;
    for (size_t i = 0; i < c->nevents; i++) {
        const struct sse_msg *ev = &c->events[i];
        if (!sse_is(ev, "invocation") || strcmp(sse_state(ev), "completed") != 0)
            continue;
        if (prev >= 0 && sse_seq(ev) != prev + 1)
            bad_order++;
        if (prev < 0 && sse_seq(ev) != snap_seq) {
            printf("  first completion after the restart: seq %lld, snapshot seq %lld\n",
                   sse_seq(ev), snap_seq);
            bad_order++;
        }
        prev = sse_seq(ev);
    }
    CHECK_EQ_INT(bad_order, 0);
    sse_close(c);

    json_t *invs = json_array();
    long n = read_invocations(&d, run, 1000, invs);
    CHECK_GE(n, 20);
    size_t bad_seq = 0, not_done = 0;
    for (long i = 0; i < n; i++) {
        json_t *inv = json_array_get(invs, (size_t)i);
        if (json_int_of(inv, "seq", -1) != i || json_int_of(inv, "run", -1) != run)
            bad_seq++;
        if (i < n - 1 && strcmp(str_or_empty(json_str_of(inv, "state")), "completed") != 0)
            not_done++;
    }
    CHECK_EQ_INT(bad_seq, 0);
    CHECK_EQ_INT(not_done, 0);
    json_decref(invs);
    /* Small pages give the same sequence. */
    json_t *paged = json_array();
    long np = read_invocations(&d, run, 7, paged);
    CHECK_GE(np, n);
    size_t bad_page = 0;
    for (long i = 0; i < np; i++)
        if (json_int_of(json_array_get(paged, (size_t)i), "seq", -1) != i)
            bad_page++;
    CHECK_EQ_INT(bad_page, 0);
    json_decref(paged);

    /* The call that was in flight at the kill was issued again under the same invocation (one
     * row for its seq, with its id) and completed. */
    char sql[160];
    snprintf(sql, sizeof sql,
             "SELECT group_concat(id || ':' || state) FROM invocations WHERE run = ?1 AND "
             "seq = %lld",
             killed_seq);
    char *row = db_text(&d, sql, run);
    char want_row[64];
    snprintf(want_row, sizeof want_row, "%lld:completed", killed_id);
    CHECK_STR_EQ(row, want_row);
    free(row);

    /* The database as the stock sqlite3 tool sees it. */
    char db_path[320];
    snprintf(db_path, sizeof db_path, "%s/panic.sqlite", d.dir);
    sqlite3 *db = NULL;
    CHECK_EQ_INT(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 2000);
    sqlite3_stmt *stmt = NULL;
    CHECK_EQ_INT(sqlite3_prepare_v2(db,
                                    "SELECT count(*), count(DISTINCT seq), max(seq), "
                                    "(SELECT count(*) FROM invocations i2 WHERE i2.run = ?1 AND "
                                    "i2.state != 'completed' AND i2.seq < "
                                    "(SELECT max(seq) FROM invocations WHERE run = ?1)) "
                                    "FROM invocations WHERE run = ?1",
                                    -1, &stmt, NULL),
                 SQLITE_OK);
    sqlite3_bind_int64(stmt, 1, run);
    CHECK_EQ_INT(sqlite3_step(stmt), SQLITE_ROW);
    long long count = sqlite3_column_int64(stmt, 0), distinct = sqlite3_column_int64(stmt, 1),
              max = sqlite3_column_int64(stmt, 2), unfinished = sqlite3_column_int64(stmt, 3);
    CHECK_GE(count, n);
    CHECK_EQ_INT(count, distinct);
    CHECK_EQ_INT(count, max + 1);
    CHECK_EQ_INT(unfinished, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);

    CHECK_EQ_INT(stop_run(&d, net), 200);
    CHECK_EQ_INT(daemon_stop(&d, 5000, NULL), 0);
    daemon_cleanup(&d);
}

/* ---- 6: Last-Event-ID replay ---- */

TEST(last_event_id_replay)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, NULL);
    long long net = create_net(&d, "t", "[\"dummy-t2t\"]", 0, 0.02);
    struct sse_client *whole = open_events(&d, net, NULL);
    REQUIRE(whole != NULL);
    CHECK(wait_registered(whole));
    struct sse_client *a = open_events(&d, net, NULL);
    REQUIRE(a != NULL);
    CHECK(wait_registered(a));
    long long run = start_run(&d, net, "say it again");
    CHECK(run > 0);
    CHECK(sse_wait_count(a, 16, 10000));
    long long last = max_id(a);
    CHECK(last > 0);
    /* What a saw agrees with the uninterrupted client. */
    size_t disagree = 0;
    for (size_t i = 1; i < a->nevents; i++) {
        long long id = a->events[i].id;
        size_t k = 0;
        while (k < whole->nevents && whole->events[k].id != id)
            k++;
        if (k == whole->nevents || strcmp(whole->events[k].data, a->events[i].data) != 0)
            disagree++;
    }
    CHECK_EQ_INT(disagree, 0);
    sse_close(a);

    sse_pump(500); /* the run goes on while nobody but `whole` listens */
    long long whole_at_reopen = max_id(whole);
    CHECK_GE(whole_at_reopen, last + 5);
    char last_text[32];
    snprintf(last_text, sizeof last_text, "%lld", last);
    struct sse_client *b = open_events(&d, net, last_text);
    REQUIRE(b != NULL);
    int64_t end = support_now_ms() + 5000;
    while (support_now_ms() < end &&
           (max_id(b) < whole_at_reopen + 10 || max_id(whole) < whole_at_reopen + 10))
        sse_pump(50);
    CHECK(b->status == 200);
    long long upto = max_id(b) < max_id(whole) ? max_id(b) : max_id(whole);
    CHECK_GE(upto, whole_at_reopen);

    /* b's events with id <= upto are exactly whole's events with last < id <= upto, in order,
     * each with the same type and data; b has nothing without an id and nothing at or before
     * last. */
    size_t k = 0, mismatches = 0, compared = 0, bad_b = 0;
    for (size_t i = 0; i < b->nevents; i++) {
        const struct sse_msg *ev = &b->events[i];
        if (ev->id <= last || (i > 0 && ev->id <= b->events[i - 1].id))
            bad_b++;
        if (ev->id > upto)
            break;
        while (k < whole->nevents && whole->events[k].id <= last)
            k++;
        if (k >= whole->nevents || whole->events[k].id != ev->id ||
            strcmp(whole->events[k].event, ev->event) != 0 ||
            strcmp(whole->events[k].data, ev->data) != 0) {
            if (mismatches++ < 3)
                printf("  replayed id %lld differs from the live stream (id %lld)\n", ev->id,
                       k < whole->nevents ? whole->events[k].id : -1);
        }
        k++;
        compared++;
    }
    /* ...and nothing that whole saw up to upto is missing from b. */
    size_t expected = 0;
    for (size_t i = 0; i < whole->nevents; i++)
        if (whole->events[i].id > last && whole->events[i].id <= upto)
            expected++;
    CHECK_EQ_INT(bad_b, 0);
    CHECK_EQ_INT(mismatches, 0);
    CHECK_EQ_INT(compared, expected);
    CHECK_GE(expected, 10);
    /* A comment heartbeat comes at least every second (sse_heartbeat_seconds 1). */
    end = support_now_ms() + 2500;
    while (!whole->comments && support_now_ms() < end)
        sse_pump(100);
    CHECK_GE(whole->comments, 1);

    /* A malformed Last-Event-ID is refused. */
    char url[256];
    snprintf(url, sizeof url, "%s/api/v1/networks/%lld/events", d.url, net);
    struct resp r;
    const char *h[] = {"Last-Event-ID: twelve", NULL};
    CHECK_EQ_INT(http_ex("GET", url, NULL, NULL, 0, h, 3000, &r), 400);
    resp_free(&r);

    CHECK_EQ_INT(stop_run(&d, net), 200);
    sse_close(b);
    sse_close(whole);
    CHECK_EQ_INT(daemon_stop(&d, 5000, NULL), 0);
    daemon_cleanup(&d);
}

/* ---- 7: auth ---- */

#define DEVICE_TOKEN "abcdefghijklmnop1234"

TEST(auth)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, "device.tv1.token " DEVICE_TOKEN);
    long long net = create_net(&d, "guarded", "[\"dummy-t2t\"]", 30, 0.5);
    CHECK(net > 0);
    char p_net[96], p_runs[96], p_stop[96];
    snprintf(p_net, sizeof p_net, "/api/v1/networks/%lld", net);
    snprintf(p_runs, sizeof p_runs, "/api/v1/networks/%lld/runs", net);
    snprintf(p_stop, sizeof p_stop, "/api/v1/networks/%lld/stop", net);
    const struct {
        const char *method, *path, *body;
        int device_ok;
    } eps[] = {
        {"POST", "/api/v1/networks", "{\"name\":\"x\",\"models\":[\"dummy-t2t\"]}", 0},
        {"PATCH", p_net, "{\"name\":\"renamed\"}", 0},
        {"DELETE", p_net, NULL, 0},
        {"POST", p_runs, "{\"prompt\":\"hello\"}", 1},
        {"POST", p_stop, NULL, 0},
        {"PUT", "/api/v1/displays/tv1", "{\"mode\":\"single\"}", 0},
        {"GET", "/api/v1/backup", NULL, 0},
    };
    const char *wrong[] = {NULL, "wrong-token-wrong-token", DEVICE_TOKEN "x", ""};
    for (size_t i = 0; i < ARRAY_SIZE_OF(eps); i++) {
        for (size_t w = 0; w < ARRAY_SIZE_OF(wrong); w++) {
            long st;
            json_t *j = api_json(&d, eps[i].method, eps[i].path, wrong[w], eps[i].body, &st);
            if (st != 401)
                printf("  %s %s with token \"%s\": %ld\n", eps[i].method, eps[i].path,
                       wrong[w] ? wrong[w] : "(none)", st);
            CHECK_EQ_INT(st, 401);
            CHECK_STR_EQ(json_str_of(j, "error"), "unauthorized");
            json_decref(j);
        }
        /* Not a bearer token at all. */
        char url[256];
        snprintf(url, sizeof url, "%s%s", d.url, eps[i].path);
        char basic[200];
        snprintf(basic, sizeof basic, "Authorization: Basic %s", d.token);
        const char *h[] = {basic, NULL};
        struct resp r;
        CHECK_EQ_INT(http_ex(eps[i].method, url, NULL, eps[i].body,
                             eps[i].body ? strlen(eps[i].body) : 0, h, 5000, &r),
                     401);
        resp_free(&r);

        long st;
        json_t *j = api_json(&d, eps[i].method, eps[i].path, DEVICE_TOKEN, eps[i].body, &st);
        if (eps[i].device_ok) {
            CHECK(st == 201 || st == 409);
        } else {
            if (st != 403)
                printf("  %s %s with the device token: %ld\n", eps[i].method, eps[i].path, st);
            CHECK_EQ_INT(st, 403);
            CHECK_STR_EQ(json_str_of(j, "error"), "forbidden");
        }
        json_decref(j);
    }
    /* Nothing the refused calls asked for happened. */
    long st;
    json_t *j = api_json(&d, "GET", p_net, NULL, NULL, &st);
    CHECK_EQ_INT(st, 200);
    CHECK_STR_EQ(json_str_of(j, "name"), "guarded");
    json_decref(j);
    j = api_json(&d, "GET", "/api/v1/networks", NULL, NULL, &st);
    CHECK_EQ_INT(json_array_size(json_object_get(j, "networks")), 2);
    json_decref(j);
    j = api_json(&d, "GET", "/api/v1/displays/tv1", NULL, NULL, &st);
    CHECK_STR_EQ(json_str_of(j, "mode"), "grid");
    json_decref(j);
    j = get_status(&d, net);
    CHECK_STR_EQ(json_str_of(j, "state"), "lockout"); /* the device's run, not stopped */
    json_decref(j);

    /* The auth-scheme is case-insensitive (RFC 7235 section 2.1; RFC 6750 uses "Bearer" only as
     * the registered spelling): "bearer <admin token>" is the admin. */
    {
        char url[256], lower[200];
        snprintf(url, sizeof url, "%s/api/v1/backup", d.url);
        snprintf(lower, sizeof lower, "Authorization: bearer %s", d.token);
        const char *h[] = {lower, NULL};
        struct resp r;
        CHECK_EQ_INT(http_ex("GET", url, NULL, NULL, 0, h, 5000, &r), 200);
        resp_free(&r);
    }

    /* The admin token may do all of it. */
    j = api_json(&d, "PATCH", p_net, d.token, "{\"name\":\"renamed\"}", &st);
    CHECK_EQ_INT(st, 200);
    CHECK_STR_EQ(json_str_of(j, "name"), "renamed");
    json_decref(j);
    CHECK_EQ_INT(api_status(&d, "POST", p_stop, d.token, NULL), 200);
    CHECK_EQ_INT(api_status(&d, "PUT", "/api/v1/displays/tv1", d.token, "{\"mode\":\"single\"}"),
                 200);
    CHECK_EQ_INT(api_status(&d, "GET", "/api/v1/backup", d.token, NULL), 200);
    CHECK_EQ_INT(api_status(&d, "DELETE", p_net, d.token, NULL), 200);
    CHECK_EQ_INT(api_status(&d, "GET", p_net, NULL, NULL), 404);
    /* Reading needs no token. */
    CHECK_EQ_INT(api_status(&d, "GET", "/api/v1/networks", NULL, NULL), 200);
    CHECK_EQ_INT(api_status(&d, "GET", "/api/v1/models", NULL, NULL), 200);

    CHECK_EQ_INT(daemon_stop(&d, 5000, NULL), 0);
    daemon_cleanup(&d);
}

/* ---- 8: bad input ---- */

static long post_raw(const struct daemon *d, const char *path, const char *body, size_t len,
                     const char *const *headers)
{
    char url[256];
    snprintf(url, sizeof url, "%s%s", d->url, path);
    struct resp r;
    long st = http_ex("POST", url, d->token, body, len, headers, 20000, &r);
    if (st == 0)
        printf("  %s\n", r.error);
    resp_free(&r);
    return st;
}

TEST(bad_input)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, NULL);
    long long net = create_net(&d, "t", "[\"dummy-t2t\"]", 0, 0.5);
    char p_runs[96];
    snprintf(p_runs, sizeof p_runs, "/api/v1/networks/%lld/runs", net);

    static const char *const bad_json[] = {"{\"prompt\":", "{prompt: 1}", "", "{\"a\":1}x",
                                           "{\"prompt\":\"a\",\"prompt\":\"b\"}"};
    for (size_t i = 0; i < ARRAY_SIZE_OF(bad_json); i++) {
        long st = post_raw(&d, p_runs, bad_json[i], strlen(bad_json[i]), NULL);
        if (st != 400)
            printf("  body '%s': %ld\n", bad_json[i], st);
        CHECK_EQ_INT(st, 400);
    }
    static const char *const not_object[] = {"[1,2]", "\"prompt\"", "42", "null"};
    for (size_t i = 0; i < ARRAY_SIZE_OF(not_object); i++)
        CHECK_EQ_INT(post_raw(&d, p_runs, not_object[i], strlen(not_object[i]), NULL), 400);
    /* Invalid UTF-8 inside a JSON string. */
    const char bad_utf8[] = "{\"prompt\":\"caf\xc3\x28 \xff\xfe\"}";
    CHECK_EQ_INT(post_raw(&d, p_runs, bad_utf8, sizeof bad_utf8 - 1, NULL), 400);
    const char overlong[] = "{\"prompt\":\"\xc0\xaf\"}";
    CHECK_EQ_INT(post_raw(&d, p_runs, overlong, sizeof overlong - 1, NULL), 400);

    /* Bodies over 64 KiB: with and without Expect: 100-continue. */
    size_t big = 100 * 1024;
    char *body = malloc(big + 32);
    CHECK(body != NULL);
    if (body) {
        int n = snprintf(body, 32, "{\"prompt\":\"");
        memset(body + n, 'a', big);
        memcpy(body + n + big, "\"}", 3);
        size_t len = (size_t)n + big + 2;
        CHECK_EQ_INT(post_raw(&d, p_runs, body, len, NULL), 413);
        const char *no_expect[] = {"Expect:", NULL};
        CHECK_EQ_INT(post_raw(&d, p_runs, body, len, no_expect), 413);
        const char *expect[] = {"Expect: 100-continue", NULL};
        CHECK_EQ_INT(post_raw(&d, p_runs, body, len, expect), 413);
        /* No Content-Length at all: the limit holds while the body streams in. */
        const char *chunked[] = {"Transfer-Encoding: chunked", NULL};
        CHECK_EQ_INT(post_raw(&d, p_runs, body, len, chunked), 413);
        free(body);
    }
    /* A client that has already sent part of an oversized body when the 413 comes must still
     * be able to finish sending it and read the 413: the server reads (and drops) the rest or
     * closes gracefully instead of resetting the connection under the client's feet, which
     * libcurl reports as "Failed sending data to the peer" with no status at all. */
    {
        char line[128] = "";
        int send_failed = 1;
        CHECK_EQ_INT(
            oversized_post(&d, p_runs, 100 * 1024, 64 * 1024, 200, line, sizeof line, &send_failed),
            0);
        if (strncmp(line, "HTTP/1.1 413", 12) != 0 || send_failed)
            printf("  oversized POST in two parts: \"%s\", sending the rest %s\n", line,
                   send_failed ? "failed" : "worked");
        CHECK(strncmp(line, "HTTP/1.1 413", 12) == 0);
        CHECK(!send_failed);
    }
    /* A 1 MB prompt. */
    size_t huge = 1024 * 1024;
    body = malloc(huge + 32);
    CHECK(body != NULL);
    if (body) {
        int n = snprintf(body, 32, "{\"prompt\":\"");
        memset(body + n, 'b', huge);
        memcpy(body + n + huge, "\"}", 3);
        CHECK_EQ_INT(post_raw(&d, p_runs, body, (size_t)n + huge + 2, NULL), 413);
        free(body);
    }

    /* Prompt rules: 1..1000 bytes, something visible, no control characters. */
    char prompt[1002];
    memset(prompt, 'x', 1001);
    prompt[1001] = '\0';
    json_t *j = NULL;
    CHECK_EQ_INT(api_post_prompt(&d, net, d.token, NULL, prompt, &j), 422);
    CHECK_STR_EQ(json_str_of(j, "error"), "invalid_prompt");
    json_decref(j);
    prompt[1000] = '\0';
    CHECK_EQ_INT(api_post_prompt(&d, net, d.token, NULL, prompt, NULL), 201);
    /* 1000 bytes counted in bytes: 500 two-byte characters pass, 501 do not. */
    char wide[1010] = "";
    for (int i = 0; i < 501; i++)
        strcat(wide, "\xc3\xa9");
    CHECK_EQ_INT(api_post_prompt(&d, net, d.token, NULL, wide, NULL), 422);
    wide[1000] = '\0';
    CHECK_EQ_INT(api_post_prompt(&d, net, d.token, NULL, wide, NULL), 201);
    CHECK_EQ_INT(api_post_prompt(&d, net, d.token, NULL, "", NULL), 422);
    CHECK_EQ_INT(api_post_prompt(&d, net, d.token, NULL, "   \t\n  ", NULL), 422);
    CHECK_EQ_INT(api_post_prompt(&d, net, d.token, NULL, "bell\x07", NULL), 422);
    CHECK_EQ_INT(api_post_prompt(&d, net, d.token, NULL, "esc\x1b[2J", NULL), 422);
    CHECK_EQ_INT(api_post_prompt(&d, net, d.token, NULL, "del\x7f", NULL), 422);
    CHECK_EQ_INT(post_raw(&d, p_runs, "{\"prompt\":42}", 13, NULL), 422);
    CHECK_EQ_INT(post_raw(&d, p_runs, "{\"text\":\"hi\"}", 13, NULL), 422);

    /* Unknown things. */
    CHECK_EQ_INT(api_status(&d, "GET", "/api/v1/networks/999999/status", NULL, NULL), 404);
    CHECK_EQ_INT(
        api_status(&d, "POST", "/api/v1/networks/999999/runs", d.token, "{\"prompt\":\"hi\"}"),
        404);
    CHECK_EQ_INT(api_status(&d, "GET", "/api/v1/networks/999999/events", NULL, NULL), 404);
    CHECK_EQ_INT(api_status(&d, "GET", "/api/v1/networks/999999", NULL, NULL), 404);
    CHECK_EQ_INT(api_status(&d, "GET", "/api/v1/networks/abc/status", NULL, NULL), 404);
    CHECK_EQ_INT(api_status(&d, "GET", "/api/v1/networks/-1/status", NULL, NULL), 404);
    CHECK_EQ_INT(api_status(&d, "GET", "/api/v1/runs/999999/invocations", NULL, NULL), 404);
    CHECK_EQ_INT(api_status(&d, "GET", "/api/v1/runs/zero/invocations", NULL, NULL), 404);
    CHECK_EQ_INT(api_status(&d, "GET", "/api/v1/nothing-here", NULL, NULL), 404);
    CHECK_EQ_INT(api_status(&d, "GET", "/api/v2/health", NULL, NULL), 404);
    CHECK_EQ_INT(api_status(&d, "GET", "/nope", NULL, NULL), 404);
    CHECK_EQ_INT(api_status(&d, "GET", "/a/b/c/d/e/f/g/h/i/j", NULL, NULL), 404);
    char p_status[96];
    snprintf(p_status, sizeof p_status, "/api/v1/networks/%lld/status", net);
    char p_bad[128];
    snprintf(p_bad, sizeof p_bad, "/api/v1/networks/%lld/frobnicate", net);
    CHECK_EQ_INT(api_status(&d, "GET", p_bad, NULL, NULL), 404);
    CHECK_EQ_INT(api_status(&d, "GET", "/api/v1/runs/1/invocations?limit=0", NULL, NULL), 400);
    CHECK_EQ_INT(api_status(&d, "GET", "/api/v1/runs/1/invocations?after_seq=x", NULL, NULL), 400);

    /* Wrong methods: 405 with an Allow header. */
    struct resp r;
    char url[256], allow[128];
    snprintf(url, sizeof url, "%s/api/v1/health", d.url);
    CHECK_EQ_INT(http("DELETE", url, d.token, NULL, 0, &r), 405);
    CHECK(resp_header(&r, "Allow", allow, sizeof allow) && strstr(allow, "GET"));
    resp_free(&r);
    CHECK_EQ_INT(api_status(&d, "PUT", p_status, d.token, "{}"), 405);
    CHECK_EQ_INT(api_status(&d, "GET", p_runs, d.token, NULL), 405);
    CHECK_EQ_INT(api_status(&d, "PUT", "/api/v1/networks", d.token, "{}"), 405);
    CHECK_EQ_INT(api_status(&d, "POST", "/api/v1/backup", d.token, "{}"), 405);

    /* Still serving, still alive. */
    CHECK_EQ_INT(api_status(&d, "GET", "/api/v1/health", NULL, NULL), 200);
    CHECK(daemon_alive(&d));
    stop_run(&d, net);
    CHECK_EQ_INT(daemon_stop(&d, 5000, NULL), 0);
    daemon_cleanup(&d);
}

/* ---- 9: displays ---- */

TEST(displays)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, NULL);
    long long net = create_net(&d, "t", "[\"dummy-t2t\"]", 0, 0.5);
    CHECK(net > 0);
    long st;
    json_t *j = api_json(&d, "GET", "/api/v1/networks", NULL, NULL, &st);
    long long first = -1;
    json_t *list = json_object_get(j, "networks");
    for (size_t i = 0; i < json_array_size(list); i++) {
        long long id = json_int_of(json_array_get(list, i), "id", -1);
        if (first < 0 || id < first)
            first = id;
    }
    json_decref(j);
    CHECK(first > 0 && first < net);

    j = api_json(&d, "GET", "/api/v1/displays/never-seen", NULL, NULL, &st);
    CHECK_EQ_INT(st, 200);
    CHECK_STR_EQ(json_str_of(j, "name"), "never-seen");
    CHECK_STR_EQ(json_str_of(j, "mode"), "grid");
    CHECK_EQ_INT(json_int_of(j, "network", -1), first);
    CHECK(json_is_false(json_object_get(j, "configured")));
    json_decref(j);

    struct sse_client *c = open_events(&d, net, NULL);
    REQUIRE(c != NULL);
    CHECK(wait_registered(c));
    j = api_json(&d, "PUT", "/api/v1/displays/never-seen", d.token,
                 "{\"mode\":\"single\",\"stride\":4,\"offset\":1}", &st);
    CHECK_EQ_INT(st, 200);
    CHECK_STR_EQ(json_str_of(j, "mode"), "single");
    json_decref(j);
    j = api_json(&d, "GET", "/api/v1/displays/never-seen", NULL, NULL, &st);
    CHECK_EQ_INT(st, 200);
    CHECK_STR_EQ(json_str_of(j, "mode"), "single");
    CHECK_EQ_INT(json_int_of(j, "stride", -1), 4);
    CHECK_EQ_INT(json_int_of(j, "offset", -1), 1);
    CHECK_EQ_INT(json_int_of(j, "network", -1), first);
    CHECK(json_is_true(json_object_get(j, "configured")));
    json_decref(j);

    long di = -1;
    for (long from = 0;;) {
        long i = sse_wait_for(c, (size_t)from, NULL, NULL, 3000);
        if (i < 0)
            break;
        if (sse_is(&c->events[i], "display")) {
            di = i;
            break;
        }
        from = i + 1;
    }
    CHECK_GE(di, 0);
    if (di >= 0) {
        const json_t *dj = c->events[di].json;
        CHECK_STR_EQ(json_str_of(dj, "name"), "never-seen");
        CHECK_STR_EQ(json_str_of(dj, "mode"), "single");
        CHECK_EQ_INT(json_int_of(dj, "stride", -1), 4);
        CHECK(c->events[di].id > 0);
    }

    /* offset >= stride, unknown fields and values: 422, and nothing changes. */
    CHECK_EQ_INT(api_status(&d, "PUT", "/api/v1/displays/never-seen", d.token,
                            "{\"stride\":2,\"offset\":2}"),
                 422);
    CHECK_EQ_INT(api_status(&d, "PUT", "/api/v1/displays/never-seen", d.token, "{\"offset\":4}"),
                 422);
    CHECK_EQ_INT(
        api_status(&d, "PUT", "/api/v1/displays/never-seen", d.token, "{\"mode\":\"disco\"}"), 422);
    CHECK_EQ_INT(
        api_status(&d, "PUT", "/api/v1/displays/never-seen", d.token, "{\"network\":999999}"), 422);
    CHECK_EQ_INT(api_status(&d, "PUT", "/api/v1/displays/never-seen", d.token, "[]"), 400);
    j = api_json(&d, "GET", "/api/v1/displays/never-seen", NULL, NULL, &st);
    CHECK_EQ_INT(json_int_of(j, "stride", -1), 4);
    CHECK_EQ_INT(json_int_of(j, "offset", -1), 1);
    json_decref(j);

    /* Bad names. */
    CHECK_EQ_INT(api_status(&d, "GET", "/api/v1/displays/a%20b", NULL, NULL), 400);
    CHECK_EQ_INT(api_status(&d, "PUT", "/api/v1/displays/a%20b", d.token, "{\"mode\":\"grid\"}"),
                 400);
    char path[160];
    snprintf(path, sizeof path, "/api/v1/displays/%070d", 7);
    CHECK_EQ_INT(api_status(&d, "GET", path, NULL, NULL), 400);
    CHECK_EQ_INT(api_status(&d, "GET", "/api/v1/displays/%C3%A9cran", NULL, NULL), 400);
    snprintf(path, sizeof path, "/api/v1/displays/%063d", 7);
    CHECK_EQ_INT(api_status(&d, "GET", path, NULL, NULL), 200);

    sse_close(c);
    CHECK_EQ_INT(daemon_stop(&d, 5000, NULL), 0);
    daemon_cleanup(&d);
}

/* ---- 10: backup ---- */

TEST(backup)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, NULL);
    long long a = create_net(&d, "backup-alpha", "[\"dummy-t2t\"]", 0, 0.02);
    long long b = create_net(&d, "backup-beta", "[\"dummy-t2i\",\"dummy-i2t\"]", 0, 0.02);
    CHECK(a > 0 && b > 0);
    long long run = start_run(&d, a, "remember me");
    CHECK(run > 0);
    support_sleep_ms(200);

    char url[256], path[320], ctype[128];
    snprintf(url, sizeof url, "%s/api/v1/backup", d.url);
    struct resp r;
    CHECK_EQ_INT(http("GET", url, d.token, NULL, 0, &r), 200);
    CHECK(r.len > 100 && memcmp(r.body, "SQLite format 3", 16) == 0);
    CHECK(resp_header(&r, "Content-Type", ctype, sizeof ctype) &&
          !strcmp(ctype, "application/vnd.sqlite3"));
    snprintf(path, sizeof path, "%s/backup-copy.sqlite", d.dir);
    CHECK_EQ_INT(write_file(path, r.body, r.len), 0);
    resp_free(&r);

    sqlite3 *db = NULL;
    CHECK_EQ_INT(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    CHECK_EQ_INT(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_step(st), SQLITE_ROW);
    CHECK_STR_EQ((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    st = NULL;
    CHECK_EQ_INT(
        sqlite3_prepare_v2(db, "SELECT id, name, models FROM networks ORDER BY id", -1, &st, NULL),
        SQLITE_OK);
    int seen_a = 0, seen_b = 0, rows = 0;
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        rows++;
        long long id = sqlite3_column_int64(st, 0);
        const char *name = (const char *)sqlite3_column_text(st, 1);
        const char *models = (const char *)sqlite3_column_text(st, 2);
        if (id == a && name && !strcmp(name, "backup-alpha") && has_substr(models, "dummy-t2t"))
            seen_a = 1;
        if (id == b && name && !strcmp(name, "backup-beta") && has_substr(models, "dummy-i2t"))
            seen_b = 1;
    }
    sqlite3_finalize(st);
    CHECK_EQ_INT(rows, 3);
    CHECK(seen_a && seen_b);
    st = NULL;
    CHECK_EQ_INT(
        sqlite3_prepare_v2(db, "SELECT count(*) FROM invocations WHERE run = ?1", -1, &st, NULL),
        SQLITE_OK);
    sqlite3_bind_int64(st, 1, run);
    CHECK(st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) >= 1);
    sqlite3_finalize(st);
    sqlite3_close(db);

    /* The daemon leaves no backup file behind in its state dir. */
    CHECK_EQ_INT(count_backups(d.dir), 0);

    stop_run(&d, a);
    CHECK_EQ_INT(daemon_stop(&d, 5000, NULL), 0);
    daemon_cleanup(&d);
}

/* ---- 11: graceful stop ---- */

TEST(graceful_stop)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, "dummy_latency_ms 50");
    long long net = create_net(&d, "t", "[\"dummy-t2i\",\"dummy-i2t\"]", 0, 0.02);
    struct sse_client *c = open_events(&d, net, NULL);
    REQUIRE(c != NULL);
    CHECK(wait_registered(c));
    long long run = start_run(&d, net, "good night");
    CHECK(run > 0);
    CHECK_GE(wait_completed(c, run, 3, 5000), 3);
    int64_t elapsed = 0;
    int code = daemon_stop(&d, 5000, &elapsed);
    CHECK_EQ_INT(code, 0);
    CHECK(elapsed < 5000);
    if (code != 0)
        daemon_print_log(&d, 30);
    /* The stream ends with the daemon. */
    int64_t end = support_now_ms() + 3000;
    while (!c->done && support_now_ms() < end)
        sse_pump(50);
    CHECK(c->done);
    sse_close(c);
    /* It comes back up on the same state dir and resumes the run. */
    REQUIRE(daemon_restart(&d) == 0);
    json_t *j = get_status(&d, net);
    CHECK_EQ_INT(json_int_of(j, "run", -1), run);
    CHECK(strcmp(str_or_empty(json_str_of(j, "state")), "idle") != 0);
    json_decref(j);
    stop_run(&d, net);
    CHECK_EQ_INT(daemon_stop(&d, 5000, NULL), 0);
    daemon_cleanup(&d);
}

/* ---- 12: bad config ---- */

TEST(bad_config)
{
    char dir[64] = "/tmp/panic-it-conf-XXXXXX";
    REQUIRE(mkdtemp(dir) != NULL);
    char conf[160], text[512], out[4096], want[300];
    snprintf(conf, sizeof conf, "%s/panicd.conf", dir);
    snprintf(text, sizeof text,
             "listen 127.0.0.1:0\nstate_dir %s\n\n# a comment\nno_such_key 1\n"
             "dummy_latency_ms 0\n",
             dir);
    CHECK_EQ_INT(write_file(conf, text, strlen(text)), 0);
    const char *args1[] = {"--config", conf, NULL};
    int code = panicd_run(args1, 10000, out, sizeof out);
    CHECK_EQ_INT(code, 78);
    snprintf(want, sizeof want, "%s:5:", conf);
    if (!strstr(out, want))
        printf("  stderr: %s\n", out);
    CHECK(strstr(out, want) != NULL);
    CHECK(strstr(out, "no_such_key") != NULL);

    /* A known key with a bad value, also with its line. */
    snprintf(text, sizeof text, "listen 127.0.0.1:0\nlockout_seconds lots\n");
    CHECK_EQ_INT(write_file(conf, text, strlen(text)), 0);
    code = panicd_run(args1, 10000, out, sizeof out);
    CHECK_EQ_INT(code, 78);
    snprintf(want, sizeof want, "%s:2:", conf);
    CHECK(strstr(out, want) != NULL);

    /* Checks across lines name the line of the entity too (issue 10). */
    snprintf(text, sizeof text,
             "listen 127.0.0.1:0\nstate_dir %s\nmodel.llama.server lan\nmodel.llama.model l3\n"
             "model.llama.input text\nmodel.llama.output text\n",
             dir);
    CHECK_EQ_INT(write_file(conf, text, strlen(text)), 0);
    CHECK_EQ_INT(panicd_run(args1, 10000, out, sizeof out), 78);
    snprintf(want, sizeof want, "%s:3: model.llama: its server has no openai_server lines", conf);
    if (!strstr(out, want))
        printf("  stderr: %s\n", out);
    CHECK(strstr(out, want) != NULL);
    snprintf(text, sizeof text,
             "\xef\xbb\xbflisten 127.0.0.1:0\nstate_dir %s\n\ndevice.tv1.long_press_stop no\n",
             dir);
    CHECK_EQ_INT(write_file(conf, text, strlen(text)), 0);
    CHECK_EQ_INT(panicd_run(args1, 10000, out, sizeof out), 78);
    snprintf(want, sizeof want, "%s:4: device tv1 has no token", conf);
    if (!strstr(out, want))
        printf("  stderr: %s\n", out);
    CHECK(strstr(out, want) != NULL);

    const char *args2[] = {"--config", "/nonexistent/panicd.conf", NULL};
    CHECK_EQ_INT(panicd_run(args2, 10000, out, sizeof out), 78);
    CHECK(strstr(out, "/nonexistent/panicd.conf") != NULL);

    /* Nothing was created in the state dir by the refused starts. */
    snprintf(text, sizeof text, "%s/panic.sqlite", dir);
    CHECK(access(text, F_OK) != 0);
    remove_tree(dir);
}

/* The status of network net, polled until its state is want (at most 10 s); owned or NULL. */
static json_t *status_when(const struct daemon *d, long long net, const char *want)
{
    for (int i = 0; i < 200; i++) {
        json_t *j = get_status(d, net);
        if (j && !strcmp(str_or_empty(json_str_of(j, "state")), want))
            return j;
        json_decref(j);
        support_sleep_ms(50);
    }
    return NULL;
}

/* After a restart, a network whose last run failed (or was stopped) says so, with the reason,
 * as it did before the restart; not "idle" with no error (issue 10). */
TEST(ended_runs_after_restart)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, "dummy.dummy-t2t.always_fail yes\ninvoke_attempts 1\n");
    long long bad = create_net(&d, "fails", "[\"dummy-t2t\"]", 0, 0.01);
    long long good = create_net(&d, "stops", "[\"dummy-t2i\",\"dummy-i2t\"]", 0, 0.01);
    REQUIRE(bad > 0 && good > 0);
    long long run_bad = start_run(&d, bad, "a fox");
    long long run_good = start_run(&d, good, "a hen");
    REQUIRE(run_bad > 0 && run_good > 0);
    json_t *j = status_when(&d, bad, "failed");
    REQUIRE(j != NULL);
    char error[256];
    snprintf(error, sizeof error, "%s", str_or_empty(json_str_of(j, "error")));
    CHECK(error[0] != '\0');
    json_decref(j);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/networks/%lld/stop", good);
    CHECK_EQ_INT(api_status(&d, "POST", path, d.token, NULL), 200);

    REQUIRE(daemon_restart(&d) == 0);
    j = get_status(&d, bad);
    REQUIRE(j != NULL);
    CHECK_STR_EQ(json_str_of(j, "state"), "failed");
    CHECK_STR_EQ(json_str_of(j, "error"), error);
    CHECK_EQ_INT(json_int_of(j, "run", -1), run_bad);
    CHECK(json_is_true(json_object_get(j, "can_start_run")));
    json_decref(j);
    j = get_status(&d, good);
    REQUIRE(j != NULL);
    CHECK_STR_EQ(json_str_of(j, "state"), "stopped");
    CHECK_STR_EQ(json_str_of(j, "error"), "stopped by staff");
    json_decref(j);
    /* A new run starts as usual and the old reason goes. */
    CHECK(start_run(&d, good, "a new hen") > 0);
    j = get_status(&d, good);
    CHECK(j && json_is_null(json_object_get(j, "error")));
    json_decref(j);
    CHECK_EQ_INT(daemon_stop(&d, 5000, NULL), 0);
    daemon_cleanup(&d);
}

/* With the listen port taken, panicd fails before it creates any state (no state dir, token,
 * database or default network) and says why (issue 10). */
TEST(port_taken_leaves_nothing)
{
    char dir[64] = "/tmp/panic-it-port-XXXXXX";
    REQUIRE(mkdtemp(dir) != NULL);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t salen = sizeof sa;
    REQUIRE(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(fd, 1) == 0);
    REQUIRE(getsockname(fd, (struct sockaddr *)&sa, &salen) == 0);
    char conf[160], state[160], listen_at[64], out[4096];
    snprintf(conf, sizeof conf, "%s/panicd.conf", dir);
    snprintf(state, sizeof state, "%s/state", dir);
    snprintf(listen_at, sizeof listen_at, "127.0.0.1:%d", ntohs(sa.sin_port));
    CHECK_EQ_INT(write_file(conf, "dummy_latency_ms 0\n", 19), 0);
    const char *args[] = {"--config", conf, "--state-dir", state, "--listen", listen_at, NULL};
    int code = panicd_run(args, 20000, out, sizeof out);
    CHECK(code != 0 && code != -1);
    if (!strstr(out, listen_at) || !strstr(out, "cannot listen"))
        printf("  output: %s\n", out);
    CHECK(strstr(out, listen_at) != NULL && strstr(out, "cannot listen") != NULL);
    CHECK(access(state, F_OK) != 0); /* not even the directory */
    close(fd);
    remove_tree(dir);
}

/* ---- 13: settings changed while a run is live apply to the next run ---- */

TEST(patch_applies_to_next_run)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, NULL);
    long long net = create_net(&d, "t", "[\"dummy-t2t\"]", 0, 0.02);
    long long run_a = start_run(&d, net, "before the change");
    CHECK(run_a > 0);
    char path[96];
    snprintf(path, sizeof path, "/api/v1/networks/%lld", net);
    long st;
    json_t *j = api_json(&d, "PATCH", path, d.token, "{\"lockout_seconds\":30}", &st);
    CHECK_EQ_INT(st, 200);
    CHECK_EQ_INT(json_int_of(j, "lockout_seconds", -1), 30);
    json_decref(j);
    /* Whether or not the live run adopts the change, the next run must: stop this one, start
     * another, and it is locked out for the 30 s the network now says. */
    CHECK_EQ_INT(stop_run(&d, net), 200);
    long long run_b = start_run(&d, net, "after the change");
    CHECK(run_b > run_a);
    j = get_status(&d, net);
    CHECK_STR_EQ(json_str_of(j, "state"), "lockout");
    long long remaining = json_int_of(j, "lockout_remaining_s", -1);
    CHECK(remaining >= 29 && remaining <= 30);
    json_decref(j);
    json_t *reply = NULL;
    CHECK_EQ_INT(api_post_prompt(&d, net, d.token, NULL, "one too many", &reply), 409);
    CHECK_STR_EQ(json_str_of(reply, "error"), "lockout");
    json_decref(reply);

    stop_run(&d, net);
    CHECK_EQ_INT(daemon_stop(&d, 5000, NULL), 0);
    daemon_cleanup(&d);
}

/* ---- 14: a replay that reaches back past the pruned event log says so ---- */

TEST(replay_after_prune)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, "events_keep 100");
    long long net = create_net(&d, "t", "[\"dummy-t2t\"]", 0, 0.0);
    struct sse_client *c = open_events(&d, net, NULL);
    REQUIRE(c != NULL);
    CHECK(wait_registered(c));
    long long run = start_run(&d, net, "fill the log");
    CHECK(run > 0);
    /* The log is pruned after every 1000 appended events; wait for well past that. */
    struct inv_match m = {run, 400, "completed"};
    CHECK(sse_wait_for(c, 0, is_inv, &m, 20000) >= 0);
    long long first_id = c->nevents > 1 ? c->events[1].id : 0;
    CHECK_EQ_INT(stop_run(&d, net), 200);
    sse_close(c);

    char after[32];
    snprintf(after, sizeof after, "%lld", first_id);
    c = open_events(&d, net, after);
    REQUIRE(c != NULL);
    CHECK(sse_wait_count(c, 1, 5000));
    if (c->nevents) {
        const struct sse_msg *gap = &c->events[0];
        CHECK(sse_is(gap, "gap"));
        CHECK_EQ_INT(gap->id, -1);
        CHECK_EQ_INT(json_int_of(gap->json, "missed_after", -1), first_id);
        long long oldest = json_int_of(gap->json, "oldest_kept", -1);
        CHECK(oldest > first_id + 1);
        /* Then the kept events follow, from the oldest kept one on. */
        CHECK(sse_wait_count(c, 2, 3000));
        CHECK(c->nevents > 1 && c->events[1].id >= oldest);
    }
    sse_close(c);
    CHECK_EQ_INT(daemon_stop(&d, 5000, NULL), 0);
    daemon_cleanup(&d);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_teardown = support_reap;
    RUN(create_network);
    RUN(run_over_sse);
    RUN(lockout);
    RUN(stop_run_test);
    RUN(kill9_resume);
    RUN(last_event_id_replay);
    RUN(auth);
    RUN(bad_input);
    RUN(displays);
    RUN(backup);
    RUN(graceful_stop);
    RUN(bad_config);
    RUN(port_taken_leaves_nothing);
    RUN(ended_runs_after_restart);
    RUN(patch_applies_to_next_run);
    RUN(replay_after_prune);
    support_done();
    TEST_END("it_panicd");
}
