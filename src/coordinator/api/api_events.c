/* api_events.c: the Server-Sent Events of GET /api/v1/networks/{id}/events: a new client gets the
 * current status, a returning one (Last-Event-ID) the events it missed from the store's log (and a
 * "gap" event when some were pruned); committed events then fan out to every client of their
 * network (api_on_event), a comment heartbeat keeps idle connections open, and a client too far
 * behind is dropped so it reconnects and replays. A replay is read from the store a batch at a time
 * as the client takes it (the drain callback), so a client that asks for everything and never reads
 * costs one batch, not the log; live events wait until its replay has caught up. Streams are
 * capped per address and in total (503 with Retry-After). Owns the list of stream clients. */
#include "api_internal.h"
#include "common/buf.h"
#include "common/util.h"
#include "coordinator/coord/views.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A live client with more than this waiting is dropped. */
#define STREAM_BACKLOG_MAX (1024 * 1024)
/* A replay is topped up while less than this waits, REPLAY_BATCH events at a time. */
#define REPLAY_LOW (64 * 1024)
#define REPLAY_BATCH 64
/* Heartbeats in a row without the client taking a byte of what waits: dropped. */
#define STALLED_BEATS 3
#define RETRY_AFTER_S "5"

struct api_client {
    struct api *a;
    struct http_stream *st;
    int64_t network;
    int replaying;  /* events after `last` are still read from the store */
    int64_t last;   /* the id of the last event sent */
    uint64_t taken; /* http_stream_taken at the last heartbeat */
    int stalled;    /* heartbeats since it last took anything */
    char addr[64];  /* the client's address ("" when unknown) */
    struct api_client *next;
};

static void stream_closed(void *user, struct http_stream *st)
{
    struct api *a = user;
    for (struct api_client **pp = &a->clients; *pp; pp = &(*pp)->next) {
        if ((*pp)->st == st) {
            struct api_client *gone = *pp;
            *pp = gone->next;
            free(gone);
            a->nclients--;
            return;
        }
    }
}

static void send_event(struct http_stream *st, int64_t id, const char *type, const char *data)
{
    struct buf b = BUF_INIT;
    if (id > 0)
        buf_printf(&b, "id: %lld\n", (long long)id);
    buf_printf(&b, "event: %s\ndata: %s\n\n", type, data);
    http_stream_write(st, b.data, b.len);
    buf_free(&b);
}

static int replay_one(void *user, int64_t id, const char *type, const char *data)
{
    struct api_client *cl = user;
    send_event(cl->st, id, type, data);
    cl->last = id;
    return 0;
}

/* The next batches of a client's replay while little waits; live once it has caught up. Every
 * event committed so far is in the store (the sink runs after COMMIT), so a batch that comes back
 * short has reached the end and the next event will come through api_on_event. */
static void replay_more(void *user, struct http_stream *st)
{
    struct api_client *cl = user;
    while (cl->replaying && http_stream_pending(st) < REPLAY_LOW) {
        int n = store_event_each(cl->a->store, cl->network, cl->last, REPLAY_BATCH, replay_one, cl);
        if (n < 0) {
            /* It reconnects and tries again from what it has. */
            cl->replaying = 0;
            http_stream_drop(st);
        } else if (n < REPLAY_BATCH) {
            cl->replaying = 0;
            http_stream_set_drain(st, NULL, NULL);
        }
    }
}

/* What a client that saw everything up to event `after` has missed. */
static void replay_start(struct api_client *cl, int64_t after)
{
    int64_t first = store_event_first_id(cl->a->store);
    if (first > after + 1) {
        /* Some of what this client missed has been pruned: tell it to reload the run. */
        char data[96];
        snprintf(data, sizeof data, "{\"missed_after\":%lld,\"oldest_kept\":%lld}",
                 (long long)after, (long long)first);
        send_event(cl->st, 0, "gap", data);
    }
    cl->last = after;
    cl->replaying = 1;
    http_stream_set_drain(cl->st, replay_more, cl);
    replay_more(cl, cl->st);
}

/* 1 if another stream may open for this address; otherwise 503 is sent. */
static int stream_admit(struct api *a, struct http_req *req, const char *addr)
{
    size_t same = 0;
    for (const struct api_client *cl = a->clients; cl; cl = cl->next)
        same += strcmp(cl->addr, addr) == 0;
    const char *why = NULL;
    if (a->nclients >= (size_t)a->cfg->sse_max)
        why = "too many event streams are open";
    else if (same >= (size_t)a->cfg->sse_per_address)
        why = "too many event streams are open from this address";
    if (!why)
        return 1;
    char body[128];
    int n = snprintf(body, sizeof body, "{\"error\":\"busy\",\"message\":\"%s\"}", why);
    const char *headers[] = {"Retry-After", RETRY_AFTER_S, NULL};
    http_reply(req, 503, "application/json", body, (size_t)n, headers);
    return 0;
}

void api_get_events(struct api *a, struct http_req *req, const struct api_call *call)
{
    int64_t id;
    struct runner_status st;
    if (api_network_status(a, req, call, &id, &st) < 0)
        return;
    const char *last = http_req_header(req, "Last-Event-ID");
    if (!last)
        last = http_req_query(req, "last_event_id");
    int64_t after = -1;
    if (last && *last && parse_int64(last, 0, INT64_MAX, &after) < 0) {
        api_reply_error(req, 400, "bad_last_event_id", "Last-Event-ID must be an event id");
        return;
    }
    char addr[64];
    http_req_client_ip(req, addr, sizeof addr);
    if (!stream_admit(a, req, addr))
        return;
    struct http_stream *stream = http_reply_stream(req, "text/event-stream", stream_closed, a);
    if (!stream)
        return;
    struct api_client *cl = xcalloc(1, sizeof *cl);
    cl->a = a;
    cl->st = stream;
    cl->network = id;
    memcpy(cl->addr, addr, sizeof cl->addr);
    cl->next = a->clients;
    a->clients = cl;
    a->nclients++;
    http_stream_write(stream, "retry: 2000\n\n", 13);
    if (after >= 0) {
        replay_start(cl, after);
    } else {
        /* A new client: the current status, without an id so replay semantics stay exact. */
        char *data = view_dump(view_status(id, &st));
        send_event(stream, 0, "status", data);
        free(data);
    }
}

void api_on_event(void *user, int64_t id, int64_t network, const char *type, const char *data)
{
    struct api *a = user;
    for (struct api_client *cl = a->clients; cl; cl = cl->next) {
        if ((network != 0 && cl->network != network) || cl->replaying || id <= cl->last)
            continue;
        if (http_stream_pending(cl->st) > STREAM_BACKLOG_MAX) {
            /* A client this far behind reconnects and replays from its Last-Event-ID. */
            http_stream_drop(cl->st);
            continue;
        }
        send_event(cl->st, id, type, data);
        cl->last = id;
    }
}

static void on_heartbeat(struct ev *ev, uint64_t tid, void *data)
{
    (void)tid;
    struct api *a = data;
    for (struct api_client *cl = a->clients; cl; cl = cl->next) {
        /* A client that took nothing of what waits for several beats has stopped reading. */
        uint64_t taken = http_stream_taken(cl->st);
        int waiting = http_stream_pending(cl->st) > 0 || cl->replaying;
        cl->stalled = waiting && taken == cl->taken ? cl->stalled + 1 : 0;
        cl->taken = taken;
        if (cl->stalled >= STALLED_BEATS)
            http_stream_drop(cl->st);
        else
            http_stream_write(cl->st, ":\n\n", 3);
    }
    a->heartbeat = ev_timer_in(ev, a->cfg->heartbeat_ms, on_heartbeat, a);
}

void api_events_start(struct api *a)
{
    a->heartbeat = ev_timer_in(a->ev, a->cfg->heartbeat_ms, on_heartbeat, a);
}

void api_events_stop(struct api *a)
{
    ev_timer_del(a->ev, a->heartbeat);
    /* Streams end with the server; forget the clients so no callback touches freed memory. */
    while (a->clients) {
        struct api_client *cl = a->clients;
        a->clients = cl->next;
        free(cl);
    }
}

void api_events_close_all(struct api *a)
{
    /* stream_closed unlinks each client; walk a snapshot of the list. */
    for (struct api_client *cl = a->clients; cl; cl = cl->next)
        http_stream_close(cl->st);
}

size_t api_stream_count(const struct api *a)
{
    return a->nclients;
}
