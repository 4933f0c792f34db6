/* it_hostile.c: integration tests of panicd against hostile or broken neighbours on loopback:
 * event-stream clients that ask for the whole log and never read, slowloris connections that send
 * a request a byte at a time, and floods of event streams from one address, while another loopback
 * address (127.0.0.2, 127.0.0.3) must still be answered. Clients are raw sockets bound to a chosen
 * source address so the daemon sees distinct neighbours; everything is bounded in count and time.
 * It checks behaviour (bounded memory, closed connections, 503 answers), never durations. */
#include "support.h"
#include "test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* GET path from src on a new connection: the status, 0 if no answer came within 3 s. */
static int get_from(const struct daemon *d, const char *src, const char *path, char *head,
                    size_t len)
{
    int fd = raw_connect(daemon_port(d), src, 0);
    if (fd < 0)
        return 0;
    char req[512];
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
    int status = raw_send(fd, req) == 0 ? raw_read_head(fd, 3000, head, len) : 0;
    close(fd);
    return status;
}

static long long create_net(const struct daemon *d)
{
    const char *body = "{\"name\":\"h\",\"models\":[\"dummy-t2t\"],\"lockout_seconds\":0,"
                       "\"schedule\":[{\"delay_s\":1}]}";
    long st;
    json_t *j = api_json(d, "POST", "/api/v1/networks", d->token, body, &st);
    long long id = st == 201 ? json_int_of(j, "id", -1) : -1;
    json_decref(j);
    return id;
}

/* ---- Last-Event-ID replay under the backlog cap ---- */

#define REPLAY_CLIENTS 6
#define SEEDED 8000
#define EVENT_SIZE 2000

TEST(replay_does_not_buffer_the_log)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, NULL);
    long long net = create_net(&d);
    REQUIRE(net > 0);
    REQUIRE_EQ_INT(daemon_stop(&d, 5000, NULL), 0);
    REQUIRE_EQ_INT(daemon_seed_events(&d, net, SEEDED, EVENT_SIZE), 0);
    REQUIRE_EQ_INT(daemon_restart(&d), 0);

    /* A reader that asks for everything gets it all, in order, then stays live. */
    char url[256];
    snprintf(url, sizeof url, "%s/api/v1/networks/%lld/events", d.url, net);
    struct sse_client *reader = sse_open(url, "0");
    REQUIRE(reader != NULL);
    CHECK(sse_wait_count(reader, SEEDED, 20000));
    size_t notes = 0, disorder = 0;
    for (size_t i = 0; i < reader->nevents; i++) {
        notes += sse_is(&reader->events[i], "note");
        if (i > 0 && reader->events[i].id <= reader->events[i - 1].id)
            disorder++;
    }
    CHECK_EQ_INT(notes, SEEDED);
    CHECK_EQ_INT(disorder, 0);
    CHECK(!reader->done);
    sse_close(reader);
    support_sleep_ms(300);

    /* Clients that ask for all of it (16 MB each) and never read. */
    long before = proc_rss_kb(d.pid);
    int fds[REPLAY_CLIENTS];
    for (int i = 0; i < REPLAY_CLIENTS; i++) {
        fds[i] = raw_connect(daemon_port(&d), "127.0.0.1", 4096);
        char req[256];
        snprintf(req, sizeof req,
                 "GET /api/v1/networks/%lld/events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 0\r\n\r\n",
                 net);
        CHECK(fds[i] >= 0 && raw_send(fds[i], req) == 0);
    }
    /* Health from another address answers meanwhile. */
    for (int i = 0; i < 5; i++) {
        CHECK_EQ_INT(get_from(&d, "127.0.0.2", "/api/v1/health", NULL, 0), 200);
        support_sleep_ms(200);
    }
    long after = proc_rss_kb(d.pid);
    printf("  rss before %ld kB, with %d non-reading replay clients %ld kB\n", before,
           REPLAY_CLIENTS, after);
    CHECK(before > 0 && after > 0);
    /* The whole log for each would be ~96 MB; a batch each is well under this. */
    CHECK_LE(after - before, 32 * 1024);

    /* Clients that stay stuck are dropped (after a few 1 s heartbeats: wait without reading);
     * what reached their sockets is bounded, not the log. */
    support_sleep_ms(5000);
    int64_t end = support_now_ms() + 10000;
    int closed = 0;
    while (closed < REPLAY_CLIENTS && support_now_ms() < end) {
        support_sleep_ms(250);
        closed = 0;
        for (int i = 0; i < REPLAY_CLIENTS; i++)
            closed += fds[i] < 0 || raw_peer_closed(fds[i], 8u << 20);
    }
    CHECK_EQ_INT(closed, REPLAY_CLIENTS);
    for (int i = 0; i < REPLAY_CLIENTS; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    CHECK_EQ_INT(get_from(&d, "127.0.0.2", "/api/v1/health", NULL, 0), 200);
    CHECK_EQ_INT(daemon_stop(&d, 5000, NULL), 0);
    daemon_cleanup(&d);
}

/* ---- connections: per address, a deadline for the request, capped event streams ---- */

#define SLOW 60

TEST(slowloris_is_bounded_and_others_are_served)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, "http_connections_per_address 8\nhttp_request_timeout_seconds 2\n");
    /* 60 connections from one address, each with a request begun and never finished. */
    int fds[SLOW];
    for (int i = 0; i < SLOW; i++) {
        fds[i] = raw_connect(daemon_port(&d), "127.0.0.1", 0);
        if (fds[i] >= 0)
            raw_send(fds[i], "GET /api/v1/health HTTP/1.1\r\nHo");
    }
    /* Another address is answered at once. */
    CHECK_EQ_INT(get_from(&d, "127.0.0.2", "/api/v1/health", NULL, 0), 200);
    /* The address over its limit had the rest closed at once: at most 8 are still open. */
    support_sleep_ms(300);
    int open_now = 0;
    for (int i = 0; i < SLOW; i++)
        open_now += fds[i] >= 0 && !raw_peer_closed(fds[i], 4096);
    printf("  %d of %d slow connections held\n", open_now, SLOW);
    CHECK_GE(open_now, 1);
    CHECK_LE(open_now, 8);
    /* A byte every half second never finishes the request: the 2 s deadline ends them all. */
    int64_t end = support_now_ms() + 8000;
    int closed = 0;
    while (closed < SLOW && support_now_ms() < end) {
        support_sleep_ms(500);
        closed = 0;
        for (int i = 0; i < SLOW; i++) {
            if (fds[i] >= 0 && !raw_peer_closed(fds[i], 4096)) {
                send(fds[i], "s", 1, MSG_NOSIGNAL);
                continue;
            }
            closed++;
        }
    }
    CHECK_EQ_INT(closed, SLOW);
    for (int i = 0; i < SLOW; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    /* And the address is served again once its connections are gone. */
    CHECK_EQ_INT(get_from(&d, "127.0.0.1", "/api/v1/health", NULL, 0), 200);
    CHECK_EQ_INT(get_from(&d, "127.0.0.2", "/api/v1/health", NULL, 0), 200);
    CHECK_EQ_INT(daemon_stop(&d, 5000, NULL), 0);
    daemon_cleanup(&d);
}

/* Open an event stream of net from src: the fd (status into *status), -1 if it did not connect. */
static int open_stream(const struct daemon *d, const char *src, long long net, int *status,
                       char *head, size_t len)
{
    int fd = raw_connect(daemon_port(d), src, 0);
    char req[256];
    snprintf(req, sizeof req, "GET /api/v1/networks/%lld/events HTTP/1.1\r\nHost: x\r\n\r\n", net);
    *status = fd >= 0 && raw_send(fd, req) == 0 ? raw_read_head(fd, 3000, head, len) : 0;
    return fd;
}

TEST(event_streams_are_capped)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, "sse_streams_per_address 3\nsse_streams_max 5\n"
                             "http_connections_per_address 10\n");
    long long net = create_net(&d);
    REQUIRE(net > 0);
    int fds[8], status[8], n = 0;
    char head[4096];
    /* Three from 127.0.0.1 open, the fourth is told to come back later. */
    for (int i = 0; i < 3; i++, n++) {
        fds[n] = open_stream(&d, "127.0.0.1", net, &status[n], NULL, 0);
        CHECK_EQ_INT(status[n], 200);
    }
    fds[n] = open_stream(&d, "127.0.0.1", net, &status[n], head, sizeof head);
    CHECK_EQ_INT(status[n], 503);
    CHECK(strstr(head, "\r\nRetry-After: ") != NULL);
    n++;
    /* Two from 127.0.0.2 open; then the total (5) is reached for everyone. */
    for (int i = 0; i < 2; i++, n++) {
        fds[n] = open_stream(&d, "127.0.0.2", net, &status[n], NULL, 0);
        CHECK_EQ_INT(status[n], 200);
    }
    fds[n] = open_stream(&d, "127.0.0.3", net, &status[n], head, sizeof head);
    CHECK_EQ_INT(status[n], 503);
    CHECK(strstr(head, "\r\nRetry-After: ") != NULL);
    n++;
    /* Everything else is still served, to every address. */
    CHECK_EQ_INT(get_from(&d, "127.0.0.1", "/api/v1/health", NULL, 0), 200);
    CHECK_EQ_INT(get_from(&d, "127.0.0.3", "/api/v1/health", NULL, 0), 200);
    /* A stream that ends makes room. */
    close(fds[0]);
    fds[0] = -1;
    int st = 0;
    int64_t end = support_now_ms() + 3000;
    while (st != 200 && support_now_ms() < end) {
        support_sleep_ms(100);
        int fd = open_stream(&d, "127.0.0.3", net, &st, NULL, 0);
        if (st == 200)
            fds[n++] = fd;
        else if (fd >= 0)
            close(fd);
    }
    CHECK_EQ_INT(st, 200);
    for (int i = 0; i < n; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    CHECK_EQ_INT(daemon_stop(&d, 5000, NULL), 0);
    daemon_cleanup(&d);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* Under AddressSanitizer freed memory waits in a quarantine (256 MB) before reuse, which
     * would make a daemon's RSS grow with its turnover: measure what it holds instead. */
    const char *asan = getenv("ASAN_OPTIONS");
    char opts[512];
    snprintf(opts, sizeof opts, "%s%squarantine_size_mb=0", asan ? asan : "",
             asan && *asan ? ":" : "");
    setenv("ASAN_OPTIONS", opts, 1);
    test_teardown = support_reap;
    RUN(replay_does_not_buffer_the_log);
    RUN(slowloris_is_bounded_and_others_are_served);
    RUN(event_streams_are_capped);
    support_done();
    TEST_END("it_hostile");
}
