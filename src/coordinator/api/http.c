/* http.c: the libmicrohttpd adapter, the only file that includes <microhttpd.h>.
 *
 * MHD runs in "external" mode with epoll: its one epoll fd sits in our poll() loop and MHD_run()
 * is called when it is readable or MHD's own timeout is due, so request handlers run on the loop
 * thread next to the runners and sqlite, with no locks. A stream (SSE) is a response whose
 * content reader hands out a per-stream buffer; with nothing to send it suspends the connection
 * and returns 0, and a write resumes it (MHD's documented pattern, no busy loop); a stream with a
 * drain callback asks for more (a replay) each time its buffer empties instead.
 *
 * Hostile neighbours: MHD refuses an address's connections over a limit at accept, and every
 * connection is tracked from accept to close (notify_connection) so that one whose request has not
 * fully arrived within the deadline (slowloris: a byte every few seconds never trips MHD's idle
 * timeout) is shut down by a once-a-second sweep. shutdown(2) on MHD's socket is how we end a
 * connection MHD owns: MHD sees the end on its next read or write and closes it itself. */
#include "http.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

/* Every connection panicd holds at once, whoever opened them. */
#define HTTP_CONNECTIONS_MAX 1000
/* A connection that makes no progress for this long is closed by MHD (a reader that stopped). */
#define HTTP_IDLE_TIMEOUT_S 60
#define HTTP_SWEEP_MS 1000

/* One accepted connection. Its request deadline runs while it waits for (the rest of) a request:
 * from accept, and again from the end of each response on a kept-alive connection. */
struct http_conn {
    int fd;
    int serving; /* the whole request arrived (or was answered early): no deadline */
    int64_t since_ms;
    struct http_conn *prev, *next;
};

struct http_stream {
    struct http_server *srv;
    struct MHD_Connection *conn;
    struct buf out;
    int suspended;
    int closing;
    http_stream_closed_fn closed_fn;
    void *user;
    http_stream_drain_fn drain_fn;
    void *drain_user;
    uint64_t taken; /* bytes MHD has taken for the socket */
    struct http_stream *prev, *next;
};

struct http_server {
    struct MHD_Daemon *d;
    struct ev *ev;
    int epfd;
    int port;
    struct http_limits lim;
    http_handler_fn fn;
    void *user;
    struct http_stream *streams;
    struct http_conn *conns;
    uint64_t sweep;
    int resumed; /* a stream was resumed: MHD_run before sleeping */
};

struct http_req {
    struct http_server *srv;
    struct MHD_Connection *conn;
    const char *method;
    const char *url;
    struct buf body;
    int too_large;
    int replied;
};

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    log_debug("http: %s", line);
}

static struct http_conn *conn_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void add_headers(struct MHD_Response *resp, const char *const *headers)
{
    for (size_t i = 0; headers && headers[i] && headers[i + 1]; i += 2)
        MHD_add_response_header(resp, headers[i], headers[i + 1]);
}

static void queue(struct http_req *req, int status, struct MHD_Response *resp)
{
    if (!resp) {
        log_err("http: could not create a response status=%d", status);
        return;
    }
    if (MHD_queue_response(req->conn, (unsigned)status, resp) != MHD_YES)
        log_warn("http: could not queue a response status=%d path=%s", status, req->url);
    MHD_destroy_response(resp);
    req->replied = 1;
    struct http_conn *hc = conn_of(req->conn);
    if (hc)
        hc->serving = 1;
}

void http_reply(struct http_req *req, int status, const char *content_type, const char *body,
                size_t len, const char *const *headers)
{
    if (req->replied)
        return;
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
    if (resp) {
        if (content_type)
            MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
        add_headers(resp, headers);
    }
    queue(req, status, resp);
}

void http_reply_fd(struct http_req *req, int status, int fd, uint64_t offset, uint64_t len,
                   const char *content_type, const char *const *headers)
{
    if (req->replied) {
        close(fd);
        return;
    }
    struct MHD_Response *resp = MHD_create_response_from_fd_at_offset64(len, fd, offset);
    if (!resp) {
        close(fd);
        static const char body[] =
            "{\"error\":\"internal\",\"message\":\"could not send the file\"}";
        http_reply(req, 500, "application/json", body, sizeof body - 1, NULL);
        return;
    }
    if (content_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    add_headers(resp, headers);
    queue(req, status, resp);
}

static void json_error(struct http_req *req, int status, const char *code, const char *message)
{
    char body[256];
    int n = snprintf(body, sizeof body, "{\"error\":\"%s\",\"message\":\"%s\"}", code, message);
    http_reply(req, status, "application/json", body, (size_t)n, NULL);
}

/* ---- streams ---- */

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct http_stream *st = cls;
    if (!st->out.len && st->drain_fn && !st->closing)
        st->drain_fn(st->drain_user, st);
    if (st->out.len) {
        size_t n = MIN(max, st->out.len);
        memcpy(buf, st->out.data, n);
        buf_consume(&st->out, n);
        st->taken += n;
        return (ssize_t)n;
    }
    if (st->closing)
        return MHD_CONTENT_READER_END_OF_STREAM;
    /* Nothing to say: park the connection until http_stream_write resumes it. */
    MHD_suspend_connection(st->conn);
    st->suspended = 1;
    return 0;
}

static void stream_free(void *cls)
{
    struct http_stream *st = cls;
    if (st->prev)
        st->prev->next = st->next;
    else
        st->srv->streams = st->next;
    if (st->next)
        st->next->prev = st->prev;
    if (st->closed_fn)
        st->closed_fn(st->user, st);
    buf_free(&st->out);
    free(st);
}

static void wake(struct http_stream *st)
{
    if (st->suspended) {
        st->suspended = 0;
        MHD_resume_connection(st->conn);
        st->srv->resumed = 1;
    }
}

struct http_stream *http_reply_stream(struct http_req *req, const char *content_type,
                                      http_stream_closed_fn closed_fn, void *user)
{
    if (req->replied)
        return NULL;
    struct http_stream *st = xcalloc(1, sizeof *st);
    st->srv = req->srv;
    st->conn = req->conn;
    st->closed_fn = closed_fn;
    st->user = user;
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024,
                                                                  stream_read, st, stream_free);
    if (!resp) {
        free(st);
        json_error(req, 500, "internal", "could not open the stream");
        return NULL;
    }
    st->next = req->srv->streams;
    if (st->next)
        st->next->prev = st;
    req->srv->streams = st;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    queue(req, 200, resp);
    return st;
}

void http_stream_write(struct http_stream *st, const char *data, size_t len)
{
    if (st->closing)
        return;
    buf_append(&st->out, data, len);
    wake(st);
}

size_t http_stream_pending(const struct http_stream *st)
{
    return st->out.len;
}

uint64_t http_stream_taken(const struct http_stream *st)
{
    return st->taken;
}

void http_stream_set_drain(struct http_stream *st, http_stream_drain_fn fn, void *user)
{
    st->drain_fn = fn;
    st->drain_user = user;
}

static void conn_shut(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (ci)
        shutdown(ci->connect_fd, SHUT_RDWR);
}

void http_stream_drop(struct http_stream *st)
{
    if (st->closing == 2)
        return;
    st->closing = 2;
    st->drain_fn = NULL;
    buf_reset(&st->out);
    conn_shut(st->conn);
    wake(st);
}

void http_stream_close(struct http_stream *st)
{
    if (!st->closing)
        st->closing = 1;
    wake(st);
}

/* ---- requests ---- */

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct http_server *srv = cls;
    struct http_req *req = *con_cls;
    if (!req) {
        req = xcalloc(1, sizeof *req);
        req->srv = srv;
        req->conn = conn;
        req->method = method;
        req->url = url;
        *con_cls = req;
        const char *cl =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        unsigned long long len = cl ? strtoull(cl, NULL, 10) : 0;
        const char *expect = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Expect");
        /* Refusing before the body is read resets a client that is still sending, so only do
         * that when it asked first (100-continue) or the body is absurd; otherwise read and
         * drop the body, then answer 413. */
        if (len > srv->lim.max_body && (expect || len > 16 * (unsigned long long)srv->lim.max_body))
            json_error(req, 413, "too_large", "the request body is too large");
        else if (len > srv->lim.max_body)
            req->too_large = 1;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!req->replied && !req->too_large) {
            if (req->body.len + *upload_data_size > srv->lim.max_body) {
                req->too_large = 1;
                buf_free(&req->body);
            } else {
                buf_append(&req->body, upload_data, *upload_data_size);
            }
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (req->replied)
        return MHD_YES;
    if (req->too_large) {
        json_error(req, 413, "too_large", "the request body is too large");
        return MHD_YES;
    }
    if (!req->body.data)
        buf_append(&req->body, "", 0);
    srv->fn(srv->user, req);
    if (!req->replied)
        json_error(req, 500, "internal", "no reply");
    return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)toe;
    struct http_conn *hc = conn_of(conn);
    if (hc) {
        /* A kept-alive connection waits for its next request: the deadline runs again. */
        hc->serving = 0;
        hc->since_ms = time_mono_ms();
    }
    struct http_req *req = *con_cls;
    if (!req)
        return;
    buf_free(&req->body);
    free(req);
    *con_cls = NULL;
}

const char *http_req_method(const struct http_req *req)
{
    return req->method;
}

const char *http_req_path(const struct http_req *req)
{
    return req->url;
}

const char *http_req_header(const struct http_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_req_query(const struct http_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

int http_req_client_ip(const struct http_req *req, char *buf, size_t len)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (len)
        buf[0] = '\0';
    if (!ci || !ci->client_addr || !len)
        return -1;
    const struct sockaddr *sa = ci->client_addr;
    const char *ok = NULL;
    if (sa->sa_family == AF_INET) {
        ok = inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf,
                       (socklen_t)len);
    } else if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a6))
            ok = inet_ntop(AF_INET, &a6->s6_addr[12], buf, (socklen_t)len);
        else
            ok = inet_ntop(AF_INET6, a6, buf, (socklen_t)len);
    }
    if (!ok) {
        buf[0] = '\0';
        return -1;
    }
    return 0;
}

const char *http_req_body(const struct http_req *req, size_t *len)
{
    if (len)
        *len = req->body.len;
    return req->body.data ? req->body.data : "";
}

/* ---- connections and their deadline ---- */

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct http_server *srv = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        struct http_conn *hc = xcalloc(1, sizeof *hc);
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        hc->fd = ci ? ci->connect_fd : -1;
        hc->since_ms = time_mono_ms();
        hc->next = srv->conns;
        if (hc->next)
            hc->next->prev = hc;
        srv->conns = hc;
        *socket_context = hc;
        return;
    }
    struct http_conn *hc = *socket_context;
    if (!hc)
        return;
    if (hc->prev)
        hc->prev->next = hc->next;
    else
        srv->conns = hc->next;
    if (hc->next)
        hc->next->prev = hc->prev;
    free(hc);
    *socket_context = NULL;
}

static void on_sweep(struct ev *ev, uint64_t id, void *data)
{
    (void)id;
    struct http_server *srv = data;
    int64_t now = time_mono_ms();
    size_t late = 0;
    for (struct http_conn *hc = srv->conns; hc; hc = hc->next) {
        if (!hc->serving && hc->fd >= 0 && now - hc->since_ms >= srv->lim.request_timeout_ms) {
            shutdown(hc->fd, SHUT_RDWR);
            hc->fd = -1; /* once: MHD closes it on its next look */
            late++;
        }
    }
    if (late)
        log_debug("http: closed connections whose request came too slowly count=%zu", late);
    srv->sweep = ev_timer_in(ev, HTTP_SWEEP_MS, on_sweep, srv);
}

/* Room for every connection next to the files panicd keeps open (a soft limit of 1,024 is
 * common). */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    rlim_t want = HTTP_CONNECTIONS_MAX + 256;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
        return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
        log_warn("http: cannot raise the open files limit error=\"%s\"", strerror(errno));
}

/* ---- the server ---- */

static void on_epoll(struct ev *ev, int fd, int mask, void *data)
{
    (void)ev;
    (void)fd;
    (void)mask;
    struct http_server *srv = data;
    MHD_run(srv->d);
}

int http_server_before_sleep(struct http_server *srv)
{
    /* A resume from a timer or platform callback leaves no trace on MHD's epoll fd in external
     * mode, so run MHD here or the resumed stream would wait for unrelated socket activity. */
    if (srv->resumed) {
        srv->resumed = 0;
        MHD_run(srv->d);
    }
    MHD_UNSIGNED_LONG_LONG t;
    if (MHD_get_timeout(srv->d, &t) != MHD_YES)
        return -1;
    if (t == 0)
        MHD_run(srv->d);
    return t > 60000 ? 60000 : (int)t;
}

static int parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len, char *err,
                        size_t errlen)
{
    const char *colon = strrchr(listen, ':');
    if (!colon) {
        snprintf(err, errlen, "listen '%s' must be host:port", listen);
        return -EINVAL;
    }
    char host[256];
    size_t hl = (size_t)(colon - listen);
    if (hl >= sizeof host)
        hl = sizeof host - 1;
    memcpy(host, listen, hl);
    host[hl] = '\0';
    if (host[0] == '[' && hl > 1 && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &res);
    if (rc != 0 || !res) {
        snprintf(err, errlen, "listen '%s': %s", listen, gai_strerror(rc));
        return -EINVAL;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

/* libmicrohttpd's own unescaping, except that a decoded NUL ("%00") becomes 0xFF: the path
 * handed on is a C string, and a NUL would cut it short ("/networks/1%00/x" read as network 1).
 * 0xFF is never UTF-8, so the router refuses such a path (400) instead. */
static size_t unescape_no_nul(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    (void)conn;
    size_t n = MHD_http_unescape(s);
    for (char *nul; (nul = memchr(s, '\0', n));)
        *nul = (char)0xff;
    return n;
}

struct http_server *http_server_new(struct ev *ev, const char *listen,
                                    const struct http_limits *lim, http_handler_fn fn, void *user,
                                    char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t sslen;
    if (parse_listen(listen, &ss, &sslen, err, errlen) < 0)
        return NULL;
    struct http_server *srv = xcalloc(1, sizeof *srv);
    srv->ev = ev;
    srv->lim = *lim;
    if (srv->lim.request_timeout_ms <= 0)
        srv->lim.request_timeout_ms = 10000;
    srv->fn = fn;
    srv->user = user;
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    raise_fd_limit();
    srv->d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_access, srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
        srv, MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv, MHD_OPTION_UNESCAPE_CALLBACK,
        unescape_no_nul, NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_IDLE_TIMEOUT_S,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONNECTIONS_MAX,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, srv->lim.per_address, MHD_OPTION_END);
    if (!srv->d) {
        snprintf(err, errlen, "cannot listen on %s (address in use or not available)", listen);
        free(srv);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_EPOLL_FD);
    srv->epfd = info ? info->epoll_fd : -1;
    info = MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : 0;
    srv->sweep = ev_timer_in(ev, HTTP_SWEEP_MS, on_sweep, srv);
    if (srv->epfd < 0 || ev_fd_add(ev, srv->epfd, EV_READ, on_epoll, srv) < 0) {
        snprintf(err, errlen, "cannot watch the HTTP server's epoll fd");
        ev_timer_del(ev, srv->sweep);
        MHD_stop_daemon(srv->d);
        free(srv);
        return NULL;
    }
    return srv;
}

int http_server_port(const struct http_server *srv)
{
    return srv->port;
}

void http_server_free(struct http_server *srv)
{
    if (!srv)
        return;
    for (struct http_stream *st = srv->streams; st; st = st->next) {
        st->closing = 1;
        buf_reset(&st->out);
        wake(st);
    }
    /* Let MHD deliver the end of every stream and release its connections. */
    for (int i = 0; i < 10 && srv->streams; i++)
        MHD_run(srv->d);
    ev_timer_del(srv->ev, srv->sweep);
    ev_fd_del(srv->ev, srv->epfd);
    MHD_stop_daemon(srv->d);
    free(srv);
}
