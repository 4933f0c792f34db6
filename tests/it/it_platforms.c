/* it_platforms.c: platform keys and money against a real panicd: keys are set write-only through
 * the API (never echoed, never in the log, never in a backup), availability shows in the
 * catalogue, a per-call price gives a burn rate, and the hourly budget cap stops the run with
 * the reason on its status. */
#define _GNU_SOURCE
#include "fakes/fake_openai.h"
#include "support.h"
#include "test.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECRET "sk-test-SECRET-9f8e7d6c5b4a"

static int log_contains(const struct daemon *d, const char *needle)
{
    char path[400];
    snprintf(path, sizeof path, "%s/panicd.log", d->dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[4096];
    int found = 0;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

static int key_set(const struct daemon *d, const char *platform)
{
    long st;
    json_t *j = api_json(d, "GET", "/api/v1/platforms", NULL, NULL, &st);
    json_t *p;
    size_t i;
    int set = -1;
    json_array_foreach(json_object_get(j, "platforms"), i,
                       p) if (!strcmp(json_str_of(p, "name"), platform)) set =
        json_is_true(json_object_get(p, "key_set"));
    json_decref(j);
    return set;
}

TEST(keys_are_write_only)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, "device.tv1.token tv1-device-token-0123456789\n");
    CHECK_EQ_INT(key_set(&d, "openai"), 0);
    const char *body = "{\"key\":\"" SECRET "\"}";
    CHECK_EQ_INT(api_status(&d, "PUT", "/api/v1/platforms/openai/key", NULL, body), 401);
    CHECK_EQ_INT(
        api_status(&d, "PUT", "/api/v1/platforms/openai/key", "tv1-device-token-0123456789", body),
        403);
    CHECK_EQ_INT(
        api_status(&d, "PUT", "/api/v1/platforms/openai/key", d.token, "{\"key\":\"a b\"}"), 422);
    long st;
    json_t *j = api_json(&d, "PUT", "/api/v1/platforms/openai/key", d.token, body, &st);
    CHECK_EQ_INT(st, 200);
    char *text = json_dumps(j, 0);
    CHECK(text && !strstr(text, SECRET)); /* the answer never echoes it */
    free(text);
    json_decref(j);
    CHECK_EQ_INT(key_set(&d, "openai"), 1);
    /* No read path: platforms, models and status never carry it. */
    const char *paths[] = {"/api/v1/platforms", "/api/v1/models", "/api/v1/networks"};
    for (size_t i = 0; i < 3; i++) {
        char url[256];
        struct resp r;
        snprintf(url, sizeof url, "%s%s", d.url, paths[i]);
        CHECK_EQ_INT(http("GET", url, d.token, NULL, 0, &r), 200);
        CHECK(r.body && !strstr(r.body, SECRET));
        resp_free(&r);
    }
    /* A backup is a copy of the database without the keys. */
    char url[256], copy[400];
    struct resp r;
    snprintf(url, sizeof url, "%s/api/v1/backup", d.url);
    snprintf(copy, sizeof copy, "%s/backup.sqlite", d.dir);
    CHECK_EQ_INT(http("GET", url, d.token, NULL, 0, &r), 200);
    CHECK(r.len > 0 && !memmem(r.body, r.len, SECRET, strlen(SECRET)));
    CHECK_EQ_INT(write_file(copy, r.body, r.len), 0);
    resp_free(&r);
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    CHECK(sqlite3_open_v2(copy, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    CHECK(sqlite3_prepare_v2(db, "SELECT count(*) FROM platform_keys", -1, &q, NULL) == SQLITE_OK);
    CHECK(q && sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int(q, 0) == 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    CHECK(!log_contains(&d, SECRET));
    CHECK_EQ_INT(api_status(&d, "DELETE", "/api/v1/platforms/openai/key", d.token, NULL), 200);
    CHECK_EQ_INT(key_set(&d, "openai"), 0);
    CHECK_EQ_INT(api_status(&d, "DELETE", "/api/v1/platforms/openai/key", d.token, NULL), 404);
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
}

TEST(catalogue_says_what_can_run)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, NULL);
    long st;
    json_t *j = api_json(&d, "GET", "/api/v1/models", NULL, NULL, &st);
    json_t *m;
    size_t i;
    int dummy_ok = 0, unavailable_explained = 1;
    json_array_foreach(json_object_get(j, "models"), i, m)
    {
        int ok = json_is_true(json_object_get(m, "available"));
        if (!strcmp(json_str_of(m, "platform"), "dummy"))
            dummy_ok += ok;
        if (!ok && !json_str_of(m, "unavailable_reason"))
            unavailable_explained = 0;
    }
    json_decref(j);
    CHECK_EQ_INT(dummy_ok, 9);
    CHECK(unavailable_explained);
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
}

TEST(budget_cap_stops_the_run)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, "price.dummy-t2t 1.25\nbudget_usd_per_hour 5\n");
    long st;
    json_t *j = api_json(&d, "POST", "/api/v1/networks", d.token,
                         "{\"name\":\"paid\",\"models\":[\"dummy-t2t\"],\"lockout_seconds\":0,"
                         "\"schedule\":[{\"delay_s\":0.02}]}",
                         &st);
    long long net = json_int_of(j, "id", 0);
    json_decref(j);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/networks/%lld/runs", net);
    CHECK_EQ_INT(api_status(&d, "POST", path, d.token, "{\"prompt\":\"spend it\"}"), 201);
    snprintf(path, sizeof path, "/api/v1/networks/%lld/status", net);
    const char *state = NULL;
    for (int tries = 0; tries < 100; tries++) {
        j = api_json(&d, "GET", path, NULL, NULL, &st);
        state = json_str_of(j, "state");
        if (state && !strcmp(state, "stopped"))
            break;
        json_decref(j);
        j = NULL;
        support_sleep_ms(50);
    }
    REQUIRE(j != NULL);
    CHECK_STR_EQ(json_str_of(j, "state"), "stopped");
    const char *err = json_str_of(j, "error");
    CHECK(err && strstr(err, "budget cap reached"));
    /* Four completed calls at $1.25 reach the $5 cap; the burn rate says so. */
    json_t *burn = json_object_get(j, "burn_usd_per_hour");
    CHECK(json_is_number(burn) && json_number_value(burn) >= 5.0 &&
          json_number_value(burn) < 5.0 + 1.25 * 2);
    json_decref(j);
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
}

/* The number of the run's invocations of model that have an output. */
static int outputs_of(const struct daemon *d, long long run, const char *model)
{
    char path[160];
    long st;
    snprintf(path, sizeof path, "/api/v1/runs/%lld/invocations?limit=1000", run);
    json_t *j = api_json(d, "GET", path, NULL, NULL, &st), *inv;
    size_t i;
    int n = 0;
    json_array_foreach(json_object_get(j, "invocations"), i, inv)
    {
        const char *m = json_str_of(inv, "model");
        n += m && !strcmp(m, model) && json_is_object(json_object_get(inv, "output"));
    }
    json_decref(j);
    return n;
}

/* A network's JSON carries each model's description (the info screen and the phone page show
 * them); its status carries whether it calls paid models, the run's cost so far and the last
 * hour's burn rate, from the price table. A free network shows no cost. */
TEST(network_descriptions_and_run_cost)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, "price.dummy-t2t 0.5\n");
    long st;
    json_t *j = api_json(&d, "POST", "/api/v1/networks", d.token,
                         "{\"name\":\"priced\",\"models\":[\"dummy-t2t\"],\"lockout_seconds\":0,"
                         "\"schedule\":[{\"delay_s\":0.02}]}",
                         &st);
    long long paid = json_int_of(j, "id", 0);
    json_t *det = json_array_get(json_object_get(j, "model_details"), 0);
    CHECK_STR_EQ(json_str_of(det, "id"), "dummy-t2t");
    CHECK_STR_EQ(json_str_of(det, "name"), "Dummy Text-to-Text");
    const char *desc = json_str_of(det, "description");
    CHECK(desc && strlen(desc) > 20 && strstr(desc, "on this computer"));
    CHECK(json_is_false(json_object_get(det, "paid"))); /* the model itself is free... */
    json_decref(j);
    j = api_json(&d, "POST", "/api/v1/networks", d.token,
                 "{\"name\":\"free\",\"models\":[\"dummy-t2i\",\"dummy-i2t\"],"
                 "\"lockout_seconds\":0,\"schedule\":[{\"delay_s\":0.02}]}",
                 &st);
    long long free_net = json_int_of(j, "id", 0);
    json_decref(j);
    /* The list and the single network both carry the details. */
    char path[128];
    snprintf(path, sizeof path, "/api/v1/networks/%lld", free_net);
    j = api_json(&d, "GET", path, NULL, NULL, &st);
    det = json_object_get(j, "model_details");
    CHECK_EQ_INT((int)json_array_size(det), 2);
    desc = json_str_of(json_array_get(det, 1), "description");
    CHECK(desc && strstr(desc, "picture"));
    json_decref(j);

    long long run = 0;
    for (int k = 0; k < 2; k++) {
        long long net = k ? free_net : paid;
        snprintf(path, sizeof path, "/api/v1/networks/%lld/runs", net);
        j = api_json(&d, "POST", path, d.token, "{\"prompt\":\"count the cost\"}", &st);
        CHECK_EQ_INT((int)st, 201);
        if (!k)
            run = json_int_of(j, "run", 0);
        json_decref(j);
    }
    snprintf(path, sizeof path, "/api/v1/networks/%lld/status", paid);
    for (int tries = 0; tries < 200; tries++) {
        j = api_json(&d, "GET", path, NULL, NULL, &st);
        long long seq = json_int_of(j, "seq", 0);
        json_decref(j);
        if (seq >= 4)
            break;
        support_sleep_ms(20);
    }
    snprintf(path, sizeof path, "/api/v1/networks/%lld/stop", paid);
    CHECK_EQ_INT(api_status(&d, "POST", path, d.token, NULL), 200);
    int calls = outputs_of(&d, run, "dummy-t2t");
    CHECK_GE(calls, 3);
    /* ...but priced by the config: the network counts as paid. */
    snprintf(path, sizeof path, "/api/v1/networks/%lld/status", paid);
    j = api_json(&d, "GET", path, NULL, NULL, &st);
    CHECK(json_is_true(json_object_get(j, "paid")));
    CHECK(fabs(json_number_value(json_object_get(j, "cost_usd")) - 0.5 * calls) < 1e-9);
    CHECK(fabs(json_number_value(json_object_get(j, "burn_usd_per_hour")) - 0.5 * calls) < 1e-9);
    json_decref(j);
    /* The current run as a display catches up with it carries the same status. */
    snprintf(path, sizeof path, "/api/v1/networks/%lld/runs/current", paid);
    j = api_json(&d, "GET", path, NULL, NULL, &st);
    json_t *s = json_object_get(j, "status");
    CHECK(json_is_true(json_object_get(s, "paid")));
    CHECK(fabs(json_number_value(json_object_get(s, "cost_usd")) - 0.5 * calls) < 1e-9);
    json_decref(j);
    snprintf(path, sizeof path, "/api/v1/networks/%lld/status", free_net);
    j = api_json(&d, "GET", path, NULL, NULL, &st);
    CHECK(json_is_false(json_object_get(j, "paid")));
    CHECK(json_number_value(json_object_get(j, "cost_usd")) == 0);
    CHECK(json_number_value(json_object_get(j, "burn_usd_per_hour")) == 0);
    json_decref(j);
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
}

/* The first audio output of a run, from runs/invocations. */
static int first_audio(const struct daemon *d, long long run, char *name, size_t len)
{
    char path[160];
    long st;
    snprintf(path, sizeof path, "/api/v1/runs/%lld/invocations?limit=100", run);
    json_t *j = api_json(d, "GET", path, NULL, NULL, &st), *inv;
    size_t i;
    int found = 0;
    json_array_foreach(json_object_get(j, "invocations"), i, inv)
    {
        json_t *out = json_object_get(inv, "output");
        const char *type = json_str_of(out, "type");
        if (!found && type && !strcmp(type, "audio")) {
            snprintf(name, len, "%s", json_str_of(out, "media"));
            found = 1;
        }
    }
    json_decref(j);
    return found;
}

static long media_status(const struct daemon *d, const char *name)
{
    char url[300];
    struct resp r;
    snprintf(url, sizeof url, "%s/media/%s", d->url, name);
    long st = http("GET", url, NULL, NULL, 0, &r);
    resp_free(&r);
    return st;
}

TEST(media_quota_frees_the_oldest_runs)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, "media_quota_mb 1\nmedia_quota_check_seconds 1\n");
    long st;
    json_t *j = api_json(&d, "POST", "/api/v1/networks", d.token,
                         "{\"name\":\"loud\",\"models\":[\"dummy-t2a\",\"dummy-a2t\"],"
                         "\"lockout_seconds\":0,\"schedule\":[{\"delay_s\":0.01}]}",
                         &st);
    long long net = json_int_of(j, "id", 0);
    json_decref(j);
    char runs[96], stop[96], status[96];
    snprintf(runs, sizeof runs, "/api/v1/networks/%lld/runs", net);
    snprintf(stop, sizeof stop, "/api/v1/networks/%lld/stop", net);
    snprintf(status, sizeof status, "/api/v1/networks/%lld/status", net);
    /* Run A: about 2 MB of WAVs, over the 1 MB quota. */
    j = api_json(&d, "POST", runs, d.token, "{\"prompt\":\"first\"}", &st);
    long long run_a = json_int_of(j, "run", 0);
    json_decref(j);
    for (int i = 0; i < 200; i++) {
        j = api_json(&d, "GET", status, NULL, NULL, &st);
        long long seq = json_int_of(j, "seq", 0);
        json_decref(j);
        if (seq >= 32)
            break;
        support_sleep_ms(20);
    }
    char old[100] = "", recent[100] = "";
    CHECK(first_audio(&d, run_a, old, sizeof old));
    CHECK_EQ_INT(media_status(&d, old), 200);
    /* Run B replaces it and stops after a few steps; it is the network's latest: kept. */
    j = api_json(&d, "POST", runs, d.token, "{\"prompt\":\"second\"}", &st);
    long long run_b = json_int_of(j, "run", 0);
    json_decref(j);
    for (int i = 0; i < 100 && !first_audio(&d, run_b, recent, sizeof recent); i++)
        support_sleep_ms(20);
    CHECK_EQ_INT(api_status(&d, "POST", stop, d.token, NULL), 200);
    CHECK(recent[0]);
    /* Within a few checks, run A's media are gone and run B's stay. */
    for (int i = 0; i < 40 && media_status(&d, old) != 404; i++)
        support_sleep_ms(100);
    CHECK_EQ_INT(media_status(&d, old), 404);
    CHECK_EQ_INT(media_status(&d, recent), 200);
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
}

/* A LAN server's model through panicd's runner: a 500 is retried and the loop goes on; a
 * no-credit answer fails the run with words a person understands. */
TEST(remote_faults_through_the_runner)
{
    struct fake_openai *f = fake_openai_start();
    REQUIRE(f != NULL);
    char extra[600];
    snprintf(extra, sizeof extra,
             "openai_server.lan.base_url %s\nmodel.lan-chat.server lan\n"
             "model.lan-chat.model m\nmodel.lan-chat.input text\nmodel.lan-chat.output text\n"
             "retry_base_ms 50\n",
             fake_openai_base(f));
    struct daemon d;
    if (daemon_start(&d, extra) < 0) {
        CHECK(!"panicd started");
        daemon_cleanup(&d);
        fake_openai_stop(f);
        return;
    }
    long st;
    json_t *j = api_json(&d, "POST", "/api/v1/networks", d.token,
                         "{\"name\":\"lan\",\"models\":[\"lan-chat\"],\"lockout_seconds\":0,"
                         "\"schedule\":[{\"delay_s\":0.05}]}",
                         &st);
    long long net = json_int_of(j, "id", 0);
    json_decref(j);
    char runs[96], status[96];
    snprintf(runs, sizeof runs, "/api/v1/networks/%lld/runs", net);
    snprintf(status, sizeof status, "/api/v1/networks/%lld/status", net);
    /* One server error: the runner retries and the run carries on past it. */
    fake_openai_script(f, FAKE_SERVER_ERROR, 1);
    CHECK_EQ_INT(api_status(&d, "POST", runs, d.token, "{\"prompt\":\"hello\"}"), 201);
    long long seq = 0;
    for (int i = 0; i < 100 && seq < 3; i++) {
        j = api_json(&d, "GET", status, NULL, NULL, &st);
        seq = json_int_of(j, "seq", 0);
        json_decref(j);
        support_sleep_ms(50);
    }
    CHECK_GE(seq, 3);
    /* No credit left: not retried; the run fails and says why. */
    fake_openai_script(f, FAKE_QUOTA, 10);
    const char *state = "";
    char err[256] = "";
    for (int i = 0; i < 100; i++) {
        j = api_json(&d, "GET", status, NULL, NULL, &st);
        state = json_str_of(j, "state");
        int failed = state && !strcmp(state, "failed");
        if (failed && json_str_of(j, "error"))
            snprintf(err, sizeof err, "%s", json_str_of(j, "error"));
        json_decref(j);
        if (failed)
            break;
        support_sleep_ms(50);
    }
    CHECK(strstr(err, "credit") != NULL);
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
    fake_openai_stop(f);
}

int main(void)
{
    test_teardown = support_reap;
    RUN(keys_are_write_only);
    RUN(catalogue_says_what_can_run);
    RUN(budget_cap_stops_the_run);
    RUN(network_descriptions_and_run_cost);
    RUN(media_quota_frees_the_oldest_runs);
    RUN(remote_faults_through_the_runner);
    support_done();
    TEST_END("it_platforms");
}
