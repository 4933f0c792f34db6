/* api_runs.c: a network's runs: its status (GET .../status, with the burn rate), a new prompt
 * (POST .../runs: 409 in the lockout, 422 for a bad prompt), a stop by staff (POST .../stop),
 * the current run as a display catches up with it on boot (GET .../runs/current), and paging
 * through one run's invocations (GET /api/v1/runs/{run}/invocations). Starting and stopping is
 * the coordinator's; this file only reads the store and shapes the replies. */
#include "api_internal.h"
#include "common/log.h"
#include "common/util.h"
#include "coordinator/coord/views.h"

#include <errno.h>
#include <stdlib.h>

#define PROMPT_MAX 1000

json_t *api_invocation_json(struct api *a, int64_t id)
{
    struct store_invocation inv = {0};
    json_t *j = store_invocation_get(a->store, id, &inv) == 0 ? view_invocation(&inv) : json_null();
    store_invocation_clear(&inv);
    return j;
}

void api_reply_stopped(struct api *a, struct http_req *req, int64_t net, int rc)
{
    struct runner_status st;
    coord_status(a->coord, net, &st);
    json_t *j = view_status(net, &st);
    json_object_set_new(j, "stopped", json_boolean(rc == 0));
    api_reply_json(req, 200, j);
}

int api_network_status(struct api *a, struct http_req *req, const struct api_call *call,
                       int64_t *id, struct runner_status *st)
{
    if (api_path_network(a, req, call->param[0], id) < 0)
        return -1;
    if (coord_status(a->coord, *id, st) < 0) {
        api_reply_no_network(req, *id);
        return -1;
    }
    return 0;
}

void api_get_status(struct api *a, struct http_req *req, const struct api_call *call)
{
    int64_t id;
    struct runner_status st;
    if (api_network_status(a, req, call, &id, &st) < 0)
        return;
    api_reply_json(req, 200, view_status(id, &st));
}

static const char *starter_name(struct api *a, const struct caller *who)
{
    if (who->role == API_VISITOR)
        return "visitor";
    return who->role == API_DEVICE ? a->cfg->devices[who->device].name : "admin";
}

/* Start a run with prompt (already checked) and reply. */
static void start_run(struct api *a, struct http_req *req, const struct caller *who, int64_t id,
                      const char *prompt)
{
    int64_t run = 0, genesis = 0, retry_ms = 0;
    int rc = coord_run_start(a->coord, id, prompt, &run, &genesis, &retry_ms);
    if (rc == -ENOENT) {
        api_reply_no_network(req, id);
    } else if (rc == -EBUSY) {
        api_reply_lockout(req, retry_ms);
    } else if (rc == -EPERM) {
        api_reply_error(req, 422, "platform_unavailable", "%s", coord_last_error(a->coord));
    } else if (rc == -EDQUOT) {
        api_reply_error(req, 429, "budget", "%s", coord_last_error(a->coord));
    } else if (rc == -EIO) {
        api_reply_error(req, 503, "storage", "%s", coord_last_error(a->coord));
    } else if (rc < 0) {
        api_reply_error(req, 500, "internal", "the run could not be started");
    } else {
        json_t *g = api_invocation_json(a, genesis);
        log_info("run started network=%lld run=%lld by=%s", (long long)id, (long long)run,
                 starter_name(a, who));
        api_reply_json(req, 201, json_pack("{s:I, s:o}", "run", (json_int_t)run, "genesis", g));
    }
}

void api_post_run(struct api *a, struct http_req *req, const struct api_call *call)
{
    int64_t id;
    if (api_path_network(a, req, call->param[0], &id) < 0)
        return;
    if (!api_visitor_may_post(a, req, &call->who, id))
        return;
    json_t *body = api_body_object(req);
    if (!body)
        return;
    const char *prompt = json_string_value(json_object_get(body, "prompt"));
    char err[PANIC_ERR_LEN];
    if (!prompt)
        api_reply_error(req, 422, "invalid_prompt", "the body needs a prompt (a string)");
    else if (api_check_text("Your prompt", prompt, PROMPT_MAX, err, sizeof err) < 0)
        api_reply_error(req, 422, "invalid_prompt", "%s", err);
    else
        start_run(a, req, &call->who, id, prompt);
    json_decref(body);
}

void api_post_stop(struct api *a, struct http_req *req, const struct api_call *call)
{
    int64_t id;
    if (api_path_network(a, req, call->param[0], &id) < 0)
        return;
    int rc = coord_run_stop(a->coord, id, "stopped by staff");
    if (rc == -ENOENT)
        api_reply_no_network(req, id);
    else
        api_reply_stopped(a, req, id, rc);
}

void api_post_stop_all(struct api *a, struct http_req *req, const struct api_call *call)
{
    (void)call;
    int stopped = coord_stop_all(a->coord, "stopped by staff (stop all)");
    if (stopped < 0) {
        api_reply_error(req, 503, "storage", "%s", coord_last_error(a->coord));
        return;
    }
    json_t *nets = json_array();
    struct store_network *list = NULL;
    size_t n = 0;
    if (store_network_list(a->store, &list, &n) == 0) {
        for (size_t i = 0; i < n; i++) {
            struct runner_status st;
            if (coord_status(a->coord, list[i].id, &st) == 0)
                json_array_append_new(nets, view_status(list[i].id, &st));
            store_network_clear(&list[i]);
        }
        free(list);
    }
    api_reply_json(req, 200, json_pack("{s:i, s:o}", "stopped", stopped, "networks", nets));
}

static int collect_invocation(void *user, const struct store_invocation *inv)
{
    json_array_append_new(user, view_invocation(inv));
    return 0;
}

/* The run as JSON: id, prompt, state, reason, created_at, ended_at. */
static json_t *run_json(const struct store_run *run)
{
    json_t *j = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)run->id, "prompt", run->prompt,
                          "state", run->state);
    json_object_set_new(j, "reason", run->reason ? json_string(run->reason) : json_null());
    json_object_set_new(j, "created_at", view_time(run->created_at));
    json_object_set_new(j, "ended_at", view_time(run->ended_at));
    return j;
}

/* The network's latest run: its genesis and its last `limit` invocations, with the status. */
static void reply_run(struct api *a, struct http_req *req, int64_t id, const struct store_run *run,
                      int64_t limit, json_t *status)
{
    struct store_invocation last = {0};
    json_t *genesis = json_null(), *invs = json_array();
    if (store_invocation_each(a->store, run->id, -1, 1, collect_invocation, invs) == 1) {
        json_decref(genesis);
        genesis = json_incref(json_array_get(invs, 0));
        json_array_clear(invs);
    }
    int64_t after = -1;
    if (store_invocation_last(a->store, run->id, &last) == 0 && last.seq - limit >= 0)
        after = last.seq - limit;
    store_invocation_each(a->store, run->id, after, limit, collect_invocation, invs);
    api_reply_json(req, 200,
                   json_pack("{s:I, s:o, s:o, s:o, s:o}", "network", (json_int_t)id, "run",
                             run_json(run), "genesis", genesis, "invocations", invs, "status",
                             status));
    store_invocation_clear(&last);
}

void api_get_current_run(struct api *a, struct http_req *req, const struct api_call *call)
{
    int64_t id, limit;
    if (api_path_network(a, req, call->param[0], &id) < 0)
        return;
    struct store_network sn = {0};
    if (store_network_get(a->store, id, &sn) < 0) {
        api_reply_no_network(req, id);
        return;
    }
    store_network_clear(&sn);
    if (api_query_int(req, "limit", 1, 1000, 100, &limit) < 0)
        return;
    struct runner_status st;
    coord_status(a->coord, id, &st);
    json_t *status = view_status(id, &st);
    struct store_run run = {0};
    if (store_run_latest(a->store, id, &run) < 0) {
        api_reply_json(req, 200,
                       json_pack("{s:I, s:n, s:n, s:[], s:o}", "network", (json_int_t)id, "run",
                                 "genesis", "invocations", "status", status));
        return;
    }
    reply_run(a, req, id, &run, limit, status);
    store_run_clear(&run);
}

void api_get_run_invocations(struct api *a, struct http_req *req, const struct api_call *call)
{
    int64_t run_id;
    if (api_path_id(req, call->param[0], "run", &run_id) < 0)
        return;
    struct store_run run = {0};
    if (store_run_get(a->store, run_id, &run) < 0) {
        api_reply_error(req, 404, "not_found", "no run %lld", (long long)run_id);
        return;
    }
    int64_t after, limit;
    if (api_query_int(req, "after_seq", -1, INT64_MAX - 1, -1, &after) == 0 &&
        api_query_int(req, "limit", 1, 1000, 100, &limit) == 0) {
        json_t *invs = json_array();
        int n = store_invocation_each(a->store, run_id, after, limit, collect_invocation, invs);
        json_t *next = json_null();
        if (n == limit && n > 0)
            next = json_integer(
                json_integer_value(json_object_get(json_array_get(invs, (size_t)n - 1), "seq")));
        api_reply_json(req, 200,
                       json_pack("{s:I, s:I, s:o, s:o}", "run", (json_int_t)run_id, "network",
                                 (json_int_t)run.network_id, "invocations", invs, "next_after_seq",
                                 next));
    }
    store_run_clear(&run);
}
