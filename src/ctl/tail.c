/* tail.c: "panicctl tail", a network's events one line each as they happen. The body of the
 * event stream goes through the incremental parser in sse.c straight from curl's write callback,
 * so each line is printed and flushed as soon as its event is complete, wherever the TCP segments
 * happened to split it. There is no overall timeout; a coordinator that says nothing (not even
 * its 15 s heartbeat) for a minute is taken for gone. */
#include "request.h"
#include "common/sse.h"
#include "common/util.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#define TAIL_STALL_MS 60000L

struct tail {
    struct ctl *c;
    int out_errno; /* writing to stdout failed */
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
    if (json_is_object(output)) {
        fputs(" -> ", stdout);
        put_io(output);
    } else if (error) {
        fputs(": ", stdout);
        ctl_put_clean(stdout, error, 200);
    } else if (json_is_object(input)) {
        fputs(" <- ", stdout);
        put_io(input);
    }
    const json_t *ms = json_object_get(inv, "duration_ms");
    if (json_is_number(ms))
        printf(" (%" PRId64 " ms)", (int64_t)json_number_value(ms));
}

static void print_status(const json_t *st)
{
    fputs(" status ", stdout);
    put_field(st, "state");
    int64_t run = int_or(json_object_get(st, "run"), -1);
    int64_t seq = int_or(json_object_get(st, "seq"), -1);
    int64_t lockout = int_or(json_object_get(st, "lockout_remaining_s"), 0);
    const char *error = ctl_json_str(st, "error");
    if (run >= 0)
        printf(" run %" PRId64, run);
    if (run >= 0 && seq >= 0)
        printf(" seq %" PRId64, seq);
    if (lockout > 0)
        printf(" lockout %" PRId64 " s", lockout);
    if (error) {
        fputs(" error: ", stdout);
        ctl_put_clean(stdout, error, 200);
    }
}

static int on_event(void *user, const struct sse_event *ev)
{
    struct tail *t = user;
    if (t->c->json) {
        fwrite(ev->data, 1, ev->data_len, stdout);
        fputc('\n', stdout);
    } else {
        json_t *j = json_loadb(ev->data, ev->data_len, 0, NULL);
        fputc('[', stdout);
        ctl_put_clean(stdout, ev->id && *ev->id ? ev->id : "-", 40);
        fputc(']', stdout);
        if (strcmp(ev->event, "invocation") == 0 && json_is_object(j)) {
            print_invocation(j);
        } else if (strcmp(ev->event, "status") == 0 && json_is_object(j)) {
            print_status(j);
        } else {
            fputc(' ', stdout);
            ctl_put_clean(stdout, ev->event, 40);
            fputc(' ', stdout);
            ctl_put_clean(stdout, ev->data, 0);
        }
        fputc('\n', stdout);
        json_decref(j);
    }
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

int cmd_tail(struct ctl *c, const struct ctl_args *a)
{
    char err[PANIC_ERR_LEN];
    char path[96];
    struct ctl_http_resp resp = {0, BUF_INIT, 0};
    struct tail t = {.c = c};
    struct sse_parser *sse = NULL;
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
    snprintf(path, sizeof path, "/api/v1/networks/%" PRId64 "/events", id);
    sse = sse_parser_new(0, on_event, &t);
    struct ctl_http_req req = {.method = "GET",
                               .path = path,
                               .accept = "text/event-stream",
                               .last_event_id = a->last_event_id,
                               .timeout_ms = 0,
                               .stall_ms = TAIL_STALL_MS,
                               .sink = on_bytes,
                               .user = sse};
    int hrc = ctl_http_do(c->http, &req, &resp, err, sizeof err);
    int ok = resp.status >= 200 && resp.status <= 299;
    if (t.out_errno) {
        fprintf(stderr, "panicctl: stdout: %s\n", strerror(t.out_errno));
        rc = CTL_REFUSED;
    } else if (hrc == -ECANCELED && c->stop && *c->stop) {
        rc = CTL_OK; /* interrupted: the normal end of a tail */
    } else if (hrc == -ECANCELED) {
        fprintf(stderr, "panicctl: %s sent an event larger than 16 MiB\n", c->url);
        rc = CTL_REFUSED;
    } else if (resp.status && !ok) {
        rc = ctl_report_http(c, resp.status, &resp.body);
    } else if (hrc < 0 && resp.stalled) {
        fprintf(stderr, "panicctl: the coordinator at %s went quiet: %s, not even a heartbeat\n",
                c->url, err);
        rc = CTL_UNREACHABLE;
    } else if (hrc < 0 && !resp.status) {
        rc = ctl_report_transport(c, hrc, err);
    } else if (hrc < 0) {
        fprintf(stderr, "panicctl: the event stream from %s broke off: %s\n", c->url, err);
        rc = CTL_OK;
    } else {
        fprintf(stderr, "panicctl: the coordinator closed the event stream\n");
        rc = CTL_OK;
    }
    sse_parser_free(sse);
    buf_free(&resp.body);
    return rc;
}
