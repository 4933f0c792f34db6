/* it_ops.c: running an installation, against a real panicd on 127.0.0.1: stop everything (every
 * network stops, a Replicate prediction in flight gets its cancel request at the fake Replicate
 * server, the status events say so; the same through `panicctl stop --all`), displays' presence
 * (heartbeats, the list, missing and back in presence events, panicctl's table) and networks'
 * short names (slugs in API paths, panicctl, the phone page and the staff page).
 * Every test starts its own panicd with a random port. */
#include "fakes/fake_replicate.h"
#include "support.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* ---- helpers ---- */

static const char *build_dir(void)
{
    const char *b = getenv("PANIC_BUILD");
    return b && *b ? b : "build";
}

/* panicctl ARGS (a shell word list) with the admin token; stdout and stderr into out. The exit
 * code, or -1. */
static int run_ctl(const struct daemon *d, const char *args, char *out, size_t len)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "PANIC_TOKEN='%s' '%s/panicctl' --coordinator '%s' %s 2>&1", d->token,
             build_dir(), d->url, args);
    FILE *f = popen(cmd, "r");
    if (!f)
        return -1;
    size_t n = fread(out, 1, len - 1, f);
    out[n] = '\0';
    int status = pclose(f);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* POST a network; its id or -1. body is the JSON text. */
static long long create_net_json(const struct daemon *d, const char *body)
{
    long st;
    json_t *j = api_json(d, "POST", "/api/v1/networks", d->token, body, &st);
    long long id = st == 201 ? json_int_of(j, "id", -1) : -1;
    json_decref(j);
    return id;
}

/* The state of network net ("" if unknown) into out. */
static void net_state(const struct daemon *d, long long net, char *out, size_t len)
{
    char path[96];
    snprintf(path, sizeof path, "/api/v1/networks/%lld/status", net);
    long st;
    json_t *j = api_json(d, "GET", path, NULL, NULL, &st);
    const char *s = json_str_of(j, "state");
    snprintf(out, len, "%s", s ? s : "");
    json_decref(j);
}

static int is_stopped_status(const struct sse_msg *ev, void *user)
{
    (void)user;
    return sse_is(ev, "status") && !strcmp(sse_state(ev), "stopped");
}

/* A daemon with a Replicate text model served by the fake f: network *rep runs it (its
 * prediction stays "processing"), network *dum runs dummy models. 0 or -1. */
static int start_two_networks(struct daemon *d, struct fake_replicate *f, long long *rep,
                              long long *dum)
{
    char extra[512];
    fake_rep_set_key(f, "r8_test_key");
    snprintf(extra, sizeof extra, "replicate_base_url %s\napi_key.replicate r8_test_key\n",
             fake_rep_base(f));
    if (daemon_start(d, extra) < 0)
        return -1;
    *rep = create_net_json(d, "{\"name\":\"cloud\",\"models\":[\"claude-4-sonnet\"],"
                              "\"lockout_seconds\":0}");
    *dum = create_net_json(d, "{\"name\":\"local\",\"models\":[\"dummy-t2t\"],"
                              "\"lockout_seconds\":0,\"schedule\":[{\"delay_s\":0.2}]}");
    return *rep > 0 && *dum > 0 ? 0 : -1;
}

/* Start a run on both networks and wait until the Replicate prediction exists and the cloud
 * network is processing. 1 when there. */
static int runs_in_flight(struct daemon *d, struct fake_replicate *f, long long rep, long long dum,
                          size_t creates_before)
{
    fake_rep_script(f, &(struct fake_rep_pred){.polls = 100000, .output = "\"never\""});
    if (api_post_prompt(d, rep, d->token, NULL, "to the cloud", NULL) != 201 ||
        api_post_prompt(d, dum, d->token, NULL, "stay here", NULL) != 201)
        return 0;
    /* The create has been answered once a poll of it came. */
    for (int i = 0; i < 100; i++) {
        if (fake_rep_count(f, "POST /v1/models/") > creates_before &&
            fake_rep_count(f, "GET /v1/predictions/") > 0)
            return 1;
        support_sleep_ms(50);
    }
    return 0;
}

/* ---- stop everything ---- */

/* POST /api/v1/stop: both networks stop, the prediction in flight is cancelled at Replicate, and
 * each network's event stream says "stopped". */
TEST(stop_all_cancels_every_call)
{
    struct fake_replicate *f = fake_rep_start();
    REQUIRE(f != NULL);
    struct daemon d;
    long long rep = 0, dum = 0;
    if (start_two_networks(&d, f, &rep, &dum) < 0) {
        CHECK(!"panicd started with two networks");
        daemon_cleanup(&d);
        fake_rep_stop(f);
        return;
    }
    char url[256];
    snprintf(url, sizeof url, "%s/api/v1/networks/%lld/events", d.url, rep);
    struct sse_client *es_rep = sse_open(url, NULL);
    snprintf(url, sizeof url, "%s/api/v1/networks/%lld/events", d.url, dum);
    struct sse_client *es_dum = sse_open(url, NULL);
    CHECK(runs_in_flight(&d, f, rep, dum, 0));
    CHECK_EQ_INT(fake_rep_count(f, "POST /v1/predictions/"), 0);
    /* Staff only. */
    CHECK_EQ_INT(api_status(&d, "POST", "/api/v1/stop", NULL, NULL), 401);
    long st;
    json_t *j = api_json(&d, "POST", "/api/v1/stop", d.token, NULL, &st);
    CHECK_EQ_INT(st, 200);
    CHECK_EQ_INT(json_int_of(j, "stopped", -1), 2);
    /* and the default network, which was not running */
    CHECK_EQ_INT(json_array_size(json_object_get(j, "networks")), 3);
    json_decref(j);
    /* The cancel request reaches Replicate for the prediction that was made. */
    for (int i = 0; i < 100 && fake_rep_count(f, "POST /v1/predictions/") == 0; i++)
        support_sleep_ms(50);
    struct fake_rep_request r;
    REQUIRE(fake_rep_request(f, "POST /v1/predictions/", 0, &r) == 0);
    CHECK(strstr(r.path, "/cancel") != NULL);
    const char *id = r.path + strlen("/v1/predictions/");
    char pid[128], pstate[32];
    snprintf(pid, sizeof pid, "%.*s", (int)strcspn(id, "/"), id);
    fake_rep_pred_status(f, pid, pstate, sizeof pstate);
    CHECK_STR_EQ(pstate, "canceled");
    fake_rep_request_free(&r);
    char state[32];
    net_state(&d, rep, state, sizeof state);
    CHECK_STR_EQ(state, "stopped");
    net_state(&d, dum, state, sizeof state);
    CHECK_STR_EQ(state, "stopped");
    long k1 = sse_wait_for(es_rep, 0, is_stopped_status, NULL, 5000);
    long k2 = sse_wait_for(es_dum, 0, is_stopped_status, NULL, 5000);
    CHECK_GE(k1, 0);
    CHECK_GE(k2, 0);
    if (k1 >= 0)
        CHECK(strstr(es_rep->events[k1].data, "stop all") != NULL);
    /* Nothing is running now: a second stop stops nothing. */
    j = api_json(&d, "POST", "/api/v1/stop", d.token, NULL, &st);
    CHECK_EQ_INT(json_int_of(j, "stopped", -1), 0);
    json_decref(j);
    /* The loop stays stopped: no new invocation on the dummy network a while later. */
    support_sleep_ms(500);
    net_state(&d, dum, state, sizeof state);
    CHECK_STR_EQ(state, "stopped");
    sse_close(es_rep);
    sse_close(es_dum);
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
    fake_rep_stop(f);
}

/* panicctl stop --all does the same and says how many it stopped. */
TEST(panicctl_stop_all)
{
    struct fake_replicate *f = fake_rep_start();
    REQUIRE(f != NULL);
    struct daemon d;
    long long rep = 0, dum = 0;
    if (start_two_networks(&d, f, &rep, &dum) < 0) {
        CHECK(!"panicd started with two networks");
        daemon_cleanup(&d);
        fake_rep_stop(f);
        return;
    }
    CHECK(runs_in_flight(&d, f, rep, dum, 0));
    char out[2048];
    CHECK_EQ_INT(run_ctl(&d, "stop --all", out, sizeof out), 0);
    CHECK(strstr(out, "stopped 2 running network(s) of 3") != NULL);
    for (int i = 0; i < 100 && fake_rep_count(f, "POST /v1/predictions/") == 0; i++)
        support_sleep_ms(50);
    CHECK_EQ_INT(fake_rep_count(f, "POST /v1/predictions/"), 1);
    char state[32];
    net_state(&d, dum, state, sizeof state);
    CHECK_STR_EQ(state, "stopped");
    /* --all and --network together is a usage error. */
    CHECK_EQ_INT(run_ctl(&d, "stop --all --network 1", out, sizeof out), 2);
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
    fake_rep_stop(f);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_teardown = support_reap;
    RUN(stop_all_cancels_every_call);
    RUN(panicctl_stop_all);
    support_done();
    TEST_END("it_ops");
}
