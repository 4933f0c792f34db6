/* it_ops.c: running an installation, against a real panicd on 127.0.0.1: stop everything (every
 * network stops, a Replicate prediction in flight gets its cancel request at the fake Replicate
 * server, the status events say so; the same through `panicctl stop --all`), displays' presence
 * (heartbeats, the list, missing and back in presence events, panicctl's table) and networks'
 * short names (slugs in API paths, panicctl, the phone page and the staff page).
 * Every test starts its own panicd with a random port. */
#include "fakes/fake_replicate.h"
#include "support.h"
#include "test.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- helpers ---- */

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
    CHECK_EQ_INT(daemon_ctl(&d, "stop --all", out, sizeof out), 0);
    CHECK(strstr(out, "stopped 2 running network(s) of 3") != NULL);
    for (int i = 0; i < 100 && fake_rep_count(f, "POST /v1/predictions/") == 0; i++)
        support_sleep_ms(50);
    CHECK_EQ_INT(fake_rep_count(f, "POST /v1/predictions/"), 1);
    char state[32];
    net_state(&d, dum, state, sizeof state);
    CHECK_STR_EQ(state, "stopped");
    /* --all and --network together is a usage error. */
    CHECK_EQ_INT(daemon_ctl(&d, "stop --all --network 1", out, sizeof out), 2);
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
    fake_rep_stop(f);
}

/* ---- presence ---- */

#define DEVICE_TOKEN "device-token-0123456789"
#define PRESENCE_CONFIG "display_missing_seconds 2\ndevice.gallery.token " DEVICE_TOKEN "\n"

static int is_presence(const struct sse_msg *ev, void *user)
{
    const char *want = user;
    return sse_is(ev, "presence") && ev->json &&
           !strcmp(json_str_of(ev->json, "presence") ? json_str_of(ev->json, "presence") : "",
                   want);
}

/* The entry of display name in GET /api/v1/displays (new reference), or NULL. */
static json_t *display_entry(const struct daemon *d, const char *name)
{
    long st;
    json_t *j = api_json(d, "GET", "/api/v1/displays", NULL, NULL, &st), *e, *found = NULL;
    size_t i;
    json_array_foreach(json_object_get(j, "displays"), i, e)
    {
        const char *n = json_str_of(e, "name");
        if (n && !strcmp(n, name))
            found = json_incref(e);
    }
    json_decref(j);
    return found;
}

/* The state of display name in the list ("" if not listed) into out. */
static void display_state(const struct daemon *d, const char *name, char *out, size_t len)
{
    json_t *e = display_entry(d, name);
    snprintf(out, len, "%s", e && json_str_of(e, "state") ? json_str_of(e, "state") : "");
    json_decref(e);
}

static long heartbeat(const struct daemon *d, const char *name, const char *token, const char *body)
{
    char path[160];
    snprintf(path, sizeof path, "/api/v1/displays/%s/heartbeat", name);
    return api_status(d, "POST", path, token, body);
}

/* A fake display's heartbeats: listed with its figures and health; silent past the timeout it is
 * missing and an event says so; a heartbeat brings it back with another event. A configured
 * display never heard from is listed as unknown. panicctl displays shows the table. */
TEST(presence_missing_and_back)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, PRESENCE_CONFIG);
    char url[256];
    snprintf(url, sizeof url, "%s/api/v1/networks/1/events", d.url);
    struct sse_client *es = sse_open(url, NULL);
    const char *name = "gallery-pi-3:HDMI-A-1";
    const char *body = "{\"version\":\"0.1.0\",\"fps\":59.9,\"frame_p99_ms\":18.5,"
                       "\"newest_age_s\":3.5,\"cpu_temp_c\":48.3,\"throttled\":327685,"
                       "\"cache_bytes\":1000,\"cache_max_bytes\":536870912,"
                       "\"audio\":\"sysdefault:CARD=vc4hdmi0\",\"uptime_s\":12,\"network\":1}";
    REQUIRE(sse_wait_count(es, 1, 5000)); /* connected: its first status came */
    CHECK_EQ_INT(heartbeat(&d, name, NULL, body), 401);
    CHECK_EQ_INT(heartbeat(&d, name, DEVICE_TOKEN, "[1]"), 400);
    CHECK_EQ_INT(heartbeat(&d, "a/b", DEVICE_TOKEN, body), 404);
    CHECK_EQ_INT(heartbeat(&d, name, DEVICE_TOKEN, "{\"version\":7}"), 422);
    /* A configured display that never sent a heartbeat. */
    CHECK_EQ_INT(api_status(&d, "PUT", "/api/v1/displays/tv9", d.token, "{\"mode\":\"grid\"}"),
                 200);
    CHECK_EQ_INT(heartbeat(&d, name, DEVICE_TOKEN, body), 200);
    json_t *e = display_entry(&d, name);
    REQUIRE(e != NULL);
    CHECK_STR_EQ(json_str_of(e, "state"), "online");
    CHECK_STR_EQ(json_str_of(e, "health"), "warning");
    CHECK_STR_EQ(json_str_of(e, "problems"), "under-voltage, throttled");
    CHECK_EQ_INT(json_int_of(e, "network", 0), 1);
    json_t *hb = json_object_get(e, "heartbeat");
    CHECK_EQ_INT(json_int_of(hb, "throttled", 0), 0x50005);
    CHECK(json_number_value(json_object_get(hb, "cpu_temp_c")) > 48.2);
    CHECK_STR_EQ(json_str_of(hb, "audio"), "sysdefault:CARD=vc4hdmi0");
    CHECK(json_is_string(json_object_get(e, "last_seen")));
    json_decref(e);
    long k = sse_wait_for(es, 0, is_presence, "online", 5000);
    CHECK_GE(k, 0);
    if (k >= 0)
        CHECK_STR_EQ(json_str_of(es->events[k].json, "display"), name);
    char state[32];
    display_state(&d, "tv9", state, sizeof state);
    CHECK_STR_EQ(state, "unknown");
    char out[4096];
    CHECK_EQ_INT(heartbeat(&d, name, DEVICE_TOKEN, body), 200);
    CHECK_EQ_INT(daemon_ctl(&d, "displays", out, sizeof out), 0);
    CHECK(strstr(out, "NAME") && strstr(out, "HEALTH") && strstr(out, "LAST SEEN"));
    CHECK(strstr(out, name) && strstr(out, "online") && strstr(out, "under-voltage"));
    CHECK(strstr(out, "tv9") && strstr(out, "unknown"));
    /* Silent for more than two seconds: missing, said once. */
    size_t from = es->nevents;
    k = sse_wait_for(es, from, is_presence, "missing", 5000);
    CHECK_GE(k, 0);
    display_state(&d, name, state, sizeof state);
    CHECK_STR_EQ(state, "missing");
    CHECK_EQ_INT(daemon_ctl(&d, "displays", out, sizeof out), 0);
    CHECK(strstr(out, "missing") != NULL);
    /* Back. */
    CHECK_EQ_INT(heartbeat(&d, name, DEVICE_TOKEN, body), 200);
    CHECK_GE(sse_wait_for(es, k + 1, is_presence, "online", 5000), 0);
    display_state(&d, name, state, sizeof state);
    CHECK_STR_EQ(state, "online");
    /* Missing was said once: no second missing event before the comeback. */
    int missing = 0;
    for (size_t i = from; i < es->nevents; i++)
        missing += is_presence(&es->events[i], "missing");
    CHECK_EQ_INT(missing, 1);
    sse_close(es);
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
}

/* A real panic-display with no --name: it calls itself HOST:OUTPUT, gets the default config,
 * and its heartbeats carry its frame rate, the (fake) Pi's temperature and throttling bits, its
 * cache and audio; when it stops it goes missing. */
TEST(real_display_default_name_and_heartbeat)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, PRESENCE_CONFIG);
    /* A fake /sys: a thermal zone and the Pi firmware's get_throttled. */
    char root[300], path[1000];
    snprintf(root, sizeof root, "%s/sys", d.dir);
    snprintf(path, sizeof path,
             "mkdir -p '%s/class/thermal/thermal_zone0' "
             "'%s/devices/platform/soc/soc:firmware'",
             root, root);
    REQUIRE(system(path) == 0);
    snprintf(path, sizeof path, "%s/class/thermal/thermal_zone0/temp", root);
    REQUIRE(write_file(path, "51234\n", 6) == 0);
    snprintf(path, sizeof path, "%s/devices/platform/soc/soc:firmware/get_throttled", root);
    REQUIRE(write_file(path, "50000\n", 6) == 0);
    char host[64] = "";
    gethostname(host, sizeof host - 1);
    host[strcspn(host, ".")] = '\0';
    char name[160];
    snprintf(name, sizeof name, "%s:HDMI-A-1", host);
    setenv("PANIC_OUTPUT", "HDMI-A-1", 1);
    setenv("PANIC_SYS_ROOT", root, 1);
    struct display disp = {0};
    const char *extra[] = {"--token", DEVICE_TOKEN, "--heartbeat-ms", "200", NULL};
    int started = display_start(&disp, d.url, NULL, 320, 180, extra);
    unsetenv("PANIC_OUTPUT");
    unsetenv("PANIC_SYS_ROOT");
    REQUIRE(started == 0);
    json_t *e = NULL;
    for (int i = 0; i < 100; i++) {
        json_decref(e);
        e = display_entry(&d, name);
        json_t *hb = json_object_get(e, "heartbeat");
        if (hb && json_is_number(json_object_get(hb, "fps")))
            break;
        support_sleep_ms(100);
    }
    REQUIRE(e != NULL);
    CHECK_STR_EQ(json_str_of(e, "state"), "online");
    CHECK(json_is_false(json_object_get(e, "configured")));
    CHECK_EQ_INT(json_int_of(e, "network", 0), 1);
    CHECK_STR_EQ(json_str_of(e, "problems"), "throttled since boot");
    json_t *hb = json_object_get(e, "heartbeat");
    CHECK(json_number_value(json_object_get(hb, "fps")) > 0);
    CHECK(json_is_number(json_object_get(hb, "frame_p99_ms")));
    CHECK(json_number_value(json_object_get(hb, "cpu_temp_c")) > 51.1);
    CHECK(json_number_value(json_object_get(hb, "cpu_temp_c")) < 51.3);
    CHECK_EQ_INT(json_int_of(hb, "throttled", 0), 0x50000);
    CHECK_EQ_INT(json_int_of(hb, "cache_max_bytes", 0), 512LL << 20);
    CHECK_STR_EQ(json_str_of(hb, "audio"), "none");
    CHECK_STR_EQ(json_str_of(hb, "version"), "0.1.0");
    json_decref(e);
    /* Its config is the default one. */
    char cfgpath[256];
    snprintf(cfgpath, sizeof cfgpath, "/api/v1/displays/%s", name);
    long st;
    json_t *cfg = api_json(&d, "GET", cfgpath, NULL, NULL, &st);
    CHECK_EQ_INT(st, 200);
    CHECK(json_is_false(json_object_get(cfg, "configured")));
    json_decref(cfg);
    CHECK_EQ_INT(display_stop(&disp), 0);
    char state[32] = "";
    for (int i = 0; i < 50 && strcmp(state, "missing"); i++) {
        display_state(&d, name, state, sizeof state);
        support_sleep_ms(100);
    }
    CHECK_STR_EQ(state, "missing");
    remove_tree(disp.dir);
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
}

/* ---- short names ---- */

/* The network's JSON by path (id or slug) into a new reference; NULL unless 200. */
static json_t *get_net(const struct daemon *d, const char *ref)
{
    char path[160];
    snprintf(path, sizeof path, "/api/v1/networks/%s", ref);
    long st;
    json_t *j = api_json(d, "GET", path, NULL, NULL, &st);
    if (st != 200) {
        json_decref(j);
        return NULL;
    }
    return j;
}

static long long post_net(const struct daemon *d, const char *name, const char *slug, long *st)
{
    json_t *b =
        json_pack("{s:s, s:[s], s:i}", "name", name, "models", "dummy-t2t", "lockout_seconds", 0);
    if (slug)
        json_object_set_new(b, "slug", json_string(slug));
    char *body = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    json_t *j = api_json(d, "POST", "/api/v1/networks", d->token, body, st);
    free(body);
    long long id = *st == 201 ? json_int_of(j, "id", -1) : -1;
    json_decref(j);
    return id;
}

static const char *slug_of(const struct daemon *d, long long id, char *out, size_t len)
{
    char ref[32];
    snprintf(ref, sizeof ref, "%lld", id);
    json_t *j = get_net(d, ref);
    snprintf(out, len, "%s", j && json_str_of(j, "slug") ? json_str_of(j, "slug") : "");
    json_decref(j);
    return out;
}

/* Slugs: the default from the name, unique, given or changed; usable in API paths, display
 * configs and the phone page; refused when bad (422) or taken (409). */
TEST(slugs_in_the_api)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, NULL);
    long st;
    char slug[64];
    long long a = post_net(&d, "Gallery A", NULL, &st);
    long long a2 = post_net(&d, "gallery  a!", NULL, &st);
    long long lobby = post_net(&d, "Lobby screens", "lobby", &st);
    REQUIRE(a > 0 && a2 > 0 && lobby > 0);
    CHECK_STR_EQ(slug_of(&d, a, slug, sizeof slug), "gallery-a");
    CHECK_STR_EQ(slug_of(&d, a2, slug, sizeof slug), "gallery-a-2");
    CHECK_STR_EQ(slug_of(&d, lobby, slug, sizeof slug), "lobby");
    CHECK_STR_EQ(slug_of(&d, 1, slug, sizeof slug), "default");
    CHECK_EQ_INT(post_net(&d, "another", "lobby", &st), -1);
    CHECK_EQ_INT(st, 409);
    CHECK_EQ_INT(post_net(&d, "another", "Not A Slug", &st), -1);
    CHECK_EQ_INT(st, 422);
    CHECK_EQ_INT(post_net(&d, "another", "42", &st), -1); /* it would read as an id */
    CHECK_EQ_INT(st, 422);
    /* Wherever an id goes. */
    json_t *j = get_net(&d, "gallery-a");
    CHECK_EQ_INT(json_int_of(j, "id", 0), a);
    json_decref(j);
    CHECK(get_net(&d, "nope") == NULL);
    CHECK_EQ_INT(api_status(&d, "GET", "/api/v1/networks/nope", NULL, NULL), 404);
    CHECK_EQ_INT(api_status(&d, "GET", "/api/v1/networks/lobby/status", NULL, NULL), 200);
    CHECK_EQ_INT(api_status(&d, "POST", "/api/v1/networks/lobby/runs", d.token,
                            "{\"prompt\":\"by its short name\"}"),
                 201);
    j = api_json(&d, "GET", "/api/v1/networks/lobby/runs/current", NULL, NULL, &st);
    CHECK_EQ_INT(st, 200);
    json_decref(j);
    CHECK_EQ_INT(api_status(&d, "POST", "/api/v1/networks/lobby/stop", d.token, NULL), 200);
    /* A new name keeps the slug (printed links stay good); a new slug replaces it. */
    CHECK_EQ_INT(api_status(&d, "PATCH", "/api/v1/networks/gallery-a", d.token,
                            "{\"name\":\"Gallery One\"}"),
                 200);
    CHECK_STR_EQ(slug_of(&d, a, slug, sizeof slug), "gallery-a");
    CHECK_EQ_INT(api_status(&d, "PATCH", "/api/v1/networks/gallery-a", d.token,
                            "{\"slug\":\"gallery-one\"}"),
                 200);
    CHECK_STR_EQ(slug_of(&d, a, slug, sizeof slug), "gallery-one");
    CHECK(get_net(&d, "gallery-a") == NULL);
    CHECK_EQ_INT(
        api_status(&d, "PATCH", "/api/v1/networks/gallery-one", d.token, "{\"slug\":\"lobby\"}"),
        409);
    CHECK_EQ_INT(api_status(&d, "PATCH", "/api/v1/networks/gallery-one", d.token,
                            "{\"slug\":\"gallery-one\"}"),
                 200); /* its own */
    /* A display config names the network by its slug; the stored config has the id. */
    CHECK_EQ_INT(api_status(&d, "PUT", "/api/v1/displays/tv1", d.token, "{\"network\":\"lobby\"}"),
                 200);
    j = api_json(&d, "GET", "/api/v1/displays/tv1", NULL, NULL, &st);
    CHECK_EQ_INT(json_int_of(j, "network", 0), lobby);
    json_decref(j);
    CHECK_EQ_INT(api_status(&d, "PUT", "/api/v1/displays/tv1", d.token, "{\"network\":\"nope\"}"),
                 422);
    /* The phone page by slug, with a token minted for that network. */
    char path[160];
    snprintf(path, sizeof path, "/api/v1/networks/%lld/prompt-url", lobby);
    j = api_json(&d, "GET", path, d.token, NULL, &st);
    const char *url = json_str_of(j, "url"), *tok = url ? strstr(url, "token=") : NULL;
    REQUIRE(tok != NULL);
    snprintf(path, sizeof path, "/t/lobby?%s", tok);
    CHECK_EQ_INT(api_status(&d, "GET", path, NULL, NULL), 200);
    snprintf(path, sizeof path, "/t/gallery-one?%s", tok);
    CHECK_EQ_INT(api_status(&d, "GET", path, NULL, NULL), 403); /* another network's code */
    snprintf(path, sizeof path, "/t/nope?%s", tok);
    CHECK_EQ_INT(api_status(&d, "GET", path, NULL, NULL), 404);
    json_decref(j);
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
}

/* panicctl takes a slug wherever it takes a network id. */
TEST(slugs_in_panicctl)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, NULL);
    long st;
    long long lobby = post_net(&d, "Lobby", NULL, &st);
    long long gone = post_net(&d, "Old room", NULL, &st);
    REQUIRE(lobby > 0 && gone > 0);
    char out[4096], want[64];
    CHECK_EQ_INT(daemon_ctl(&d, "networks", out, sizeof out), 0);
    CHECK(strstr(out, "lobby") && strstr(out, "old-room") && strstr(out, "default"));
    CHECK_EQ_INT(daemon_ctl(&d, "status lobby", out, sizeof out), 0);
    snprintf(want, sizeof want, "network %lld (Lobby): idle", lobby);
    CHECK(strstr(out, want) != NULL);
    CHECK_EQ_INT(daemon_ctl(&d, "prompt --network lobby a fox", out, sizeof out), 0);
    CHECK_EQ_INT(daemon_ctl(&d, "stop --network lobby", out, sizeof out), 0);
    snprintf(want, sizeof want, "stopped the run on network %lld", lobby);
    CHECK(strstr(out, want) != NULL);
    CHECK_EQ_INT(daemon_ctl(&d, "display set tv2 network=lobby mode=single", out, sizeof out), 0);
    long st2;
    json_t *j = api_json(&d, "GET", "/api/v1/displays/tv2", NULL, NULL, &st2);
    CHECK_EQ_INT(json_int_of(j, "network", 0), lobby);
    json_decref(j);
    CHECK_EQ_INT(daemon_ctl(&d, "display set tv2 network=nowhere", out, sizeof out), 1);
    CHECK_EQ_INT(daemon_ctl(&d, "network delete old-room", out, sizeof out), 0);
    CHECK(get_net(&d, "old-room") == NULL);
    CHECK_EQ_INT(daemon_ctl(&d, "status nowhere", out, sizeof out), 1);
    CHECK(strstr(out, "nowhere") != NULL);
    CHECK_EQ_INT(daemon_ctl(&d, "status 'Bad Slug'", out, sizeof out), 2);
    CHECK_EQ_INT(daemon_ctl(&d, "network create 'Roof top' dummy-t2t --slug roof", out, sizeof out),
                 0);
    CHECK(strstr(out, "(slug roof)") != NULL);
    json_t *roof = get_net(&d, "roof");
    CHECK(roof != NULL);
    json_decref(roof);
    CHECK_EQ_INT(daemon_ctl(&d, "network create 'Roof 2' dummy-t2t --slug roof", out, sizeof out),
                 1);
    CHECK(strstr(out, "roof") != NULL);
    CHECK_EQ_INT(daemon_ctl(&d, "network create Cellar dummy-t2t", out, sizeof out), 0);
    CHECK(strstr(out, "(slug cellar)") != NULL);
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
}

/* panicd.conf may name a display's network by its slug: found when panicd seeds the displays;
 * one no network has yet is said in the log and the display keeps the default. */
TEST(slugs_in_panicd_conf)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, "display.hall.network default\ndisplay.attic.network nowhere-yet\n");
    long st;
    json_t *def = get_net(&d, "default");
    REQUIRE(def != NULL);
    long long id = json_int_of(def, "id", -1);
    json_decref(def);
    json_t *j = api_json(&d, "GET", "/api/v1/displays/hall", NULL, NULL, &st);
    CHECK_EQ_INT(st, 200);
    CHECK_EQ_INT(json_int_of(j, "network", -1), id);
    json_decref(j);
    j = api_json(&d, "GET", "/api/v1/displays/attic", NULL, NULL, &st);
    CHECK_EQ_INT(st, 200);
    CHECK_EQ_INT(json_int_of(j, "network", -1), id); /* network 0: served as the default */
    json_decref(j);
    CHECK_EQ_INT(daemon_log_count(&d, "no network has the slug 'nowhere-yet'"), 1);
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
}

/* The staff page: each network with its slug and state, the displays on it with their health,
 * and for staff (the admin token) its phone link as an inline QR code; anyone else gets no
 * visitor token. */
TEST(staff_page)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, PRESENCE_CONFIG);
    long st;
    long long lobby = post_net(&d, "Lobby <screens>", "lobby", &st);
    REQUIRE(lobby > 0);
    CHECK_EQ_INT(api_status(&d, "PUT", "/api/v1/displays/tv1", d.token, "{\"network\":\"lobby\"}"),
                 200);
    CHECK_EQ_INT(heartbeat(&d, "tv1", DEVICE_TOKEN, "{\"fps\":2,\"network\":2}"), 200);
    char url[256];
    snprintf(url, sizeof url, "%s/", d.url);
    struct resp r;
    CHECK_EQ_INT(http("GET", url, NULL, NULL, 0, &r), 200);
    REQUIRE(r.body != NULL);
    CHECK(strstr(r.body, "Lobby &lt;screens&gt;") != NULL);
    CHECK(strstr(r.body, "<screens>") == NULL);
    CHECK(strstr(r.body, "<small>lobby</small>") != NULL);
    CHECK(strstr(r.body, "<b>idle</b>") != NULL);
    CHECK(strstr(r.body, "<td>tv1") != NULL);
    CHECK(strstr(r.body, "low frame rate") != NULL);
    CHECK(strstr(r.body, "/t/lobby") != NULL);
    CHECK(strstr(r.body, "token=") == NULL);
    CHECK(strstr(r.body, "<svg") == NULL);
    resp_free(&r);
    CHECK_EQ_INT(http("GET", url, d.token, NULL, 0, &r), 200);
    REQUIRE(r.body != NULL);
    char want[300];
    snprintf(want, sizeof want, "%s/t/lobby?token=", d.url);
    CHECK(strstr(r.body, want) != NULL);
    CHECK(strstr(r.body, "<svg") != NULL);
    CHECK(strstr(r.body, "<path fill=\"#000\" d=\"M2 2h1v1h-1z") != NULL); /* a finder corner */
    resp_free(&r);
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
}

/* A database from before slugs (schema 5, no slug column) migrates and every network gets its
 * name's default at start. */
TEST(old_database_gets_slugs)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, NULL);
    long st;
    long long a = post_net(&d, "Gallery A", "custom", &st);
    REQUIRE(a > 0);
    REQUIRE(daemon_stop(&d, 5000, NULL) == 0);
    char db[400];
    snprintf(db, sizeof db, "%s/panic.sqlite", d.dir);
    sqlite3 *h = NULL;
    int ok = sqlite3_open(db, &h) == SQLITE_OK &&
             sqlite3_exec(h,
                          "DROP INDEX networks_slug; ALTER TABLE networks DROP COLUMN slug; "
                          "DROP TABLE uploads; PRAGMA user_version = 5;",
                          NULL, NULL, NULL) == SQLITE_OK;
    sqlite3_close(h);
    REQUIRE(ok);
    REQUIRE(daemon_restart(&d) == 0);
    char slug[64];
    CHECK_STR_EQ(slug_of(&d, a, slug, sizeof slug), "gallery-a");
    CHECK_STR_EQ(slug_of(&d, 1, slug, sizeof slug), "default-loop-dummy-models");
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_teardown = support_reap;
    RUN(stop_all_cancels_every_call);
    RUN(panicctl_stop_all);
    RUN(presence_missing_and_back);
    RUN(real_display_default_name_and_heartbeat);
    RUN(slugs_in_the_api);
    RUN(slugs_in_panicctl);
    RUN(slugs_in_panicd_conf);
    RUN(staff_page);
    RUN(old_database_gets_slugs);
    support_done();
    TEST_END("it_ops");
}
