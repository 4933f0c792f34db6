/* tail.c: "panicctl tail", a network's events in words as they happen: one line per finished
 * invocation, a status line when the runner's state changes, networks created, changed and
 * deleted. Without --last-event-id it starts at the current run's genesis: it replays the event log
 * and prints from the first event of that run on. The body of the event stream goes through the
 * incremental parser in sse.c straight from curl's write callback, so each line is printed and
 * flushed as soon as its event is complete. There is no overall timeout; a coordinator that says
 * nothing (not even its 15 s heartbeat) for a minute, restarts or goes away is reconnected to with
 * the last event id seen, as the display does, until interrupted. */
#include "request.h"
#include "common/sse.h"
#include "common/util.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#define TAIL_STALL_MS 60000L

struct tail {
    struct ctl *c;
    int out_errno;     /* writing to stdout failed */
    int64_t from_run;  /* print nothing of runs before this one (the replay of older runs) */
    int started;       /* an event of from_run (or later) has been seen */
    char last_id[24];  /* the id of the last event with one: where a reconnect resumes */
    char state[24];    /* the runner state last printed */
    int64_t state_run; /* and its run */
    int lost;          /* the stream broke and no event has come since: said once */
    int got;           /* events on this connection */
};

static int64_t int_or(const json_t *j, int64_t dflt)
{
    return json_is_integer(j) ? json_integer_value(j) : dflt;
}

static void put_field(const json_t *obj, const char *key)
{
    const char *s = ctl_json_str(obj, key);
    ctl_put_clean(stdout, s ? s : "?", 60);
}

/* An input or output: `text "..."` cut at 80 characters, or `image /media/<sha>.png`. */
static void put_io(const json_t *io)
{
    const char *type = ctl_json_str(io, "type");
    if (type && strcmp(type, "text") == 0) {
        const char *text = ctl_json_str(io, "text");
        fputs("text \"", stdout);
        ctl_put_clean(stdout, text ? text : "", 80);
        fputc('"', stdout);
        return;
    }
    const char *where = ctl_json_str(io, "url");
    if (!where)
        where = ctl_json_str(io, "media");
    ctl_put_clean(stdout, type ? type : "?", 20);
    fputc(' ', stdout);
    ctl_put_clean(stdout, where ? where : "?", 200);
}

static void print_invocation(const json_t *inv)
{
    printf(" run %" PRId64 " seq %" PRId64 " ", int_or(json_object_get(inv, "run"), -1),
           int_or(json_object_get(inv, "seq"), -1));
    put_field(inv, "model");
    fputc(' ', stdout);
    put_field(inv, "state");
    const json_t *output = json_object_get(inv, "output");
    const json_t *input = json_object_get(inv, "input");
    const char *error = ctl_json_str(inv, "error");
    int genesis = int_or(json_object_get(inv, "seq"), -1) == 0;
    /* The genesis shows its prompt: nothing else in the tail does. */
    if (genesis && json_is_object(input)) {
        fputs(" <- ", stdout);
        put_io(input);
    }
    if (json_is_object(output)) {
        fputs(" -> ", stdout);
        put_io(output);
    } else if (error) {
        fputs(": ", stdout);
        ctl_put_clean(stdout, error, 200);
    } else if (json_is_object(input) && !genesis) {
        fputs(" <- ", stdout);
        put_io(input);
    }
    const json_t *ms = json_object_get(inv, "duration_ms");
    if (json_is_number(ms))
        printf(" (%" PRId64 " ms)", (int64_t)json_number_value(ms));
}

/* The runner's states as a visitor sees them: the lockout, then a run going on (processing and
 * waiting alternate with every invocation, which is no news), idle, stopped or failed. */
static const char *phase_of(const char *state)
{
    if (strcmp(state, "processing") == 0 || strcmp(state, "waiting") == 0)
        return "running";
    return state;
}

/* 1 when the phase or the run changed since the last status line (and then remembers it). */
static int status_changed(struct tail *t, const json_t *st, int *first)
{
    const char *state = ctl_json_str(st, "state");
    const char *phase = phase_of(state ? state : "?");
    int64_t run = int_or(json_object_get(st, "run"), 0);
    *first = !t->state[0];
    if (!*first && strcmp(phase, t->state) == 0 && run == t->state_run)
        return 0;
    snprintf(t->state, sizeof t->state, "%s", phase);
    t->state_run = run;
    return 1;
}

static void print_status(const json_t *st, int first)
{
    const char *state = ctl_json_str(st, "state");
    int64_t run = int_or(json_object_get(st, "run"), 0);
    int64_t lockout = int_or(json_object_get(st, "lockout_remaining_s"), 0);
    const char *error = ctl_json_str(st, "error");
    int64_t net = int_or(json_object_get(st, "network"), 0);
    if (!state)
        state = "?";
    const char *phase = phase_of(state);
    if (strcmp(phase, "lockout") == 0) {
        printf(" run %" PRId64 " started; a new run may start in %" PRId64 " s", run, lockout);
    } else if (strcmp(phase, "running") == 0) {
        if (first)
            printf(" run %" PRId64 " is running", run);
        else
            printf(" run %" PRId64 " is past its lockout: a press starts a new run", run);
    } else if (strcmp(phase, "idle") == 0) {
        printf(" network %" PRId64 " is idle: nothing has run yet", net);
    } else if (strcmp(phase, "stopped") == 0) {
        printf(" run %" PRId64 " ", run);
        if (error && strncmp(error, "stopped ", 8) == 0)
            ctl_put_clean(stdout, error, 200); /* "stopped by staff" says it all */
        else if (error) {
            fputs("stopped: ", stdout);
            ctl_put_clean(stdout, error, 200);
        } else {
            fputs("stopped", stdout);
        }
    } else if (strcmp(phase, "failed") == 0) {
        printf(" run %" PRId64 " failed: ", run);
        ctl_put_clean(stdout, error ? error : "no reason given", 200);
    } else {
        printf(" run %" PRId64 " is ", run);
        ctl_put_clean(stdout, state, 40);
    }
}

/* A network created, changed or deleted (the stream of every network carries these). */
static void print_network(const json_t *n)
{
    int64_t id = int_or(json_object_get(n, "id"), 0);
    if (json_is_true(json_object_get(n, "deleted"))) {
        printf(" network %" PRId64 " deleted", id);
        return;
    }
    const char *created = ctl_json_str(n, "created_at"), *updated = ctl_json_str(n, "updated_at");
    printf(" network %" PRId64 " \"", id);
    put_field(n, "name");
    printf("\" %s:", created && updated && strcmp(created, updated) != 0 ? "changed" : "created");
    json_t *m;
    size_t i;
    json_array_foreach(json_object_get(n, "models"), i, m)
    {
        fputs(i ? " -> " : " ", stdout);
        ctl_put_clean(stdout, json_is_string(m) ? json_string_value(m) : "?", 60);
    }
    printf(", lockout %" PRId64 " s", int_or(json_object_get(n, "lockout_seconds"), 0));
}

/* 0 for an event not worth a line: an invocation still going, a state that did not change. */
static int worth_a_line(struct tail *t, const struct sse_event *ev, const json_t *j, int *first)
{
    if (strcmp(ev->event, "invocation") == 0 && json_is_object(j)) {
        const char *state = ctl_json_str(j, "state");
        return !state || strcmp(state, "invoking") != 0; /* its line comes when it ends */
    }
    if (strcmp(ev->event, "status") == 0 && json_is_object(j))
        return status_changed(t, j, first);
    return 1;
}

static void print_event(const struct sse_event *ev, const json_t *j, int first)
{
    if (strcmp(ev->event, "invocation") == 0 && json_is_object(j)) {
        print_invocation(j);
    } else if (strcmp(ev->event, "status") == 0 && json_is_object(j)) {
        print_status(j, first);
    } else if (strcmp(ev->event, "network") == 0 && json_is_object(j)) {
        print_network(j);
    } else if (strcmp(ev->event, "gap") == 0) {
        printf(" events after %" PRId64 " were pruned before they could be replayed",
               int_or(json_object_get(j, "missed_after"), 0));
    } else {
        fputs(" event ", stdout);
        ctl_put_clean(stdout, ev->event, 40);
        fputc(' ', stdout);
        ctl_put_clean(stdout, ev->data, 200);
    }
}

/* While replaying the log for the current run's genesis: 1 once this event belongs to it. */
static int reached_start(struct tail *t, const struct sse_event *ev, const json_t *j)
{
    if (t->started)
        return 1;
    if (strcmp(ev->event, "invocation") != 0 && strcmp(ev->event, "status") != 0)
        return 0;
    if (int_or(json_object_get(j, "run"), 0) < t->from_run)
        return 0;
    t->started = 1;
    return 1;
}

static int on_event(void *user, const struct sse_event *ev)
{
    struct tail *t = user;
    int first = 0;
    if (t->lost)
        fputs("panicctl: reconnected\n", stderr);
    t->lost = 0;
    t->got++;
    if (ev->id && *ev->id)
        snprintf(t->last_id, sizeof t->last_id, "%s", ev->id);
    json_t *j = json_loadb(ev->data, ev->data_len, 0, NULL);
    if (!reached_start(t, ev, j)) {
        json_decref(j);
        return 0;
    }
    if (t->c->json) {
        fwrite(ev->data, 1, ev->data_len, stdout);
        fputc('\n', stdout);
    } else if (worth_a_line(t, ev, j, &first)) {
        fputc('[', stdout);
        ctl_put_clean(stdout, ev->id && *ev->id ? ev->id : "-", 40);
        fputc(']', stdout);
        print_event(ev, j, first);
        fputc('\n', stdout);
    }
    json_decref(j);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        t->out_errno = errno ? errno : EIO;
        return -1;
    }
    return 0;
}

static int on_bytes(void *user, const char *data, size_t len)
{
    return sse_parser_feed(user, data, len);
}

/* Where to start: the current run's genesis, by replaying the log from its start and printing
 * from the first event of that run on; with no run yet, the live stream (which opens with the
 * current status). CTL_OK or the status request's failure. */
static int find_start(struct ctl *c, int64_t id, struct tail *t)
{
    struct ctl_reply r = CTL_REPLY_INIT;
    char path[96];
    snprintf(path, sizeof path, "/api/v1/networks/%" PRId64 "/status", id);
    int json = c->json;
    c->json = 0; /* the status is not part of the output */
    int rc = ctl_call(c, "GET", path, NULL, &r);
    c->json = json;
    if (rc == CTL_OK) {
        t->from_run = int_or(json_object_get(r.json, "run"), 0);
        t->started = t->from_run <= 0;
        if (t->from_run > 0)
            snprintf(t->last_id, sizeof t->last_id, "0");
    }
    ctl_reply_free(&r);
    return rc;
}

/* One connection until it ends. 1: connect again; otherwise the exit status. */
static int follow(struct ctl *c, const char *path, struct tail *t, int connected_before)
{
    char err[PANIC_ERR_LEN];
    struct ctl_http_resp resp = {0, BUF_INIT, 0};
    struct sse_parser *sse = sse_parser_new(0, on_event, t);
    struct ctl_http_req req = {.method = "GET",
                               .path = path,
                               .accept = "text/event-stream",
                               .last_event_id = t->last_id[0] ? t->last_id : NULL,
                               .timeout_ms = 0,
                               .stall_ms = TAIL_STALL_MS,
                               .sink = on_bytes,
                               .user = sse};
    int hrc = ctl_http_do(c->http, &req, &resp, err, sizeof err);
    int ok = resp.status >= 200 && resp.status <= 299;
    int rc = 1;
    const char *why = NULL;
    if (t->out_errno) {
        fprintf(stderr, "panicctl: stdout: %s\n", strerror(t->out_errno));
        rc = CTL_REFUSED;
    } else if (hrc == -ECANCELED && c->stop && *c->stop) {
        rc = CTL_OK; /* interrupted: the normal end of a tail */
    } else if (hrc == -ECANCELED) {
        fprintf(stderr, "panicctl: %s sent an event larger than 16 MiB\n", c->url);
        rc = CTL_REFUSED;
    } else if (resp.status && !ok && !(connected_before && resp.status >= 500)) {
        rc = ctl_report_http(c, resp.status, &resp.body);
    } else if (hrc < 0 && !resp.status && !connected_before) {
        rc = ctl_report_transport(c, hrc, err);
    } else if (resp.stalled) {
        why = "it went quiet, not even a heartbeat";
    } else if (hrc < 0 || !ok) {
        why = hrc < 0 ? err : "it answered with an error";
    } else {
        why = "it closed the event stream";
    }
    if (why && !t->lost) {
        fprintf(stderr, "panicctl: lost the coordinator at %s (%s); reconnecting\n", c->url, why);
        t->lost = 1;
    }
    sse_parser_free(sse);
    buf_free(&resp.body);
    return rc;
}

/* Sleep ms in short steps; 1 if interrupted. */
static int pause_ms(struct ctl *c, long ms)
{
    for (; ms > 0; ms -= 100) {
        if (c->stop && *c->stop)
            return 1;
        struct timespec ts = {0, MIN(ms, 100) * 1000000L};
        nanosleep(&ts, NULL);
    }
    return c->stop && *c->stop;
}

int cmd_tail(struct ctl *c, const struct ctl_args *a)
{
    char path[96];
    struct tail t = {.c = c, .started = 1};
    int64_t id, last;
    int rc;
    if (a->npos != 0)
        return ctl_usage_error("tail takes no arguments but its options");
    /* Digits only: it goes into a header line as it is. */
    if (a->last_event_id && parse_int64(a->last_event_id, 0, INT64_MAX, &last) < 0)
        return ctl_usage_error("--last-event-id wants an event number, not '%s'", a->last_event_id);
    rc = ctl_network_id(c, a->network, &id, NULL);
    if (rc != CTL_OK)
        return rc;
    if (a->last_event_id)
        snprintf(t.last_id, sizeof t.last_id, "%s", a->last_event_id);
    else if ((rc = find_start(c, id, &t)) != CTL_OK)
        return rc;
    snprintf(path, sizeof path, "/api/v1/networks/%" PRId64 "/events", id);
    /* A restart of panicd ends the stream: connect again, backing off to 5 s, and go on from
     * the last event seen, so nothing is missed and nothing printed twice. */
    long backoff = 0;
    for (int connected = 0;; connected = 1) {
        t.got = 0;
        rc = follow(c, path, &t, connected);
        if (rc != 1)
            return rc;
        backoff = t.got || !backoff ? 250 : MIN(backoff * 2, 5000);
        if (pause_ms(c, backoff))
            return CTL_OK;
    }
}
