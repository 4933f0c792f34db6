/* curl_ev.c: HTTP client calls on one libcurl multi handle, driven by panicd's ev loop. curl
 * tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION -> ev_fd_add/ev_fd_del) and when to
 * wake it (CURLMOPT_TIMERFUNCTION -> one ev timer); ev calls curl_multi_socket_action back, and
 * finished transfers are collected with curl_multi_info_read (the shape of curl's ephiperfifo
 * example, with ev instead of epoll).
 *
 * Completions are reported in two phases: first every finished transfer is taken off the multi
 * handle and queued, then the queue is drained one call at a time. A done callback may therefore
 * start new calls or cancel queued ones safely, and no callback ever runs inside curl or inside
 * curl_ev_start/curl_ev_cancel (curl_multi_add_handle only arms the timer; the work happens when
 * the loop fires it). The one thing a done callback must not do is curl_ev_free.
 *
 * GET follows up to 3 redirects (media downloads sit behind them; curl never forwards
 * Authorization to another host); other methods follow none. Only http and https are spoken.
 *
 * Each result carries its transport outcome (curl_ev.h), decided here once from curl's code:
 * whether the request can have been sent, and the settle rule (a broken transfer has no status),
 * so no platform needs curl.h or a CURLE_* number.
 *
 * Request headers are never logged: they carry API keys. This file knows nothing of any
 * platform; it depends on libcurl, ev and buf only. */
#include "curl_ev.h"
#include "common/buf.h"
#include "common/util.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define CURL_EV_DEFAULT_TIMEOUT_MS 60000L
#define CURL_EV_DEFAULT_CONNECT_MS 10000L
#define CURL_EV_DEFAULT_MAX_BODY ((size_t)64 << 20)
#define CURL_EV_MAX_REDIRS 3L
#define CURL_EV_HEADER_MAX 512 /* longest Content-Type / Retry-After value we keep */

struct call {
    struct curl_ev *c;
    uint64_t id;
    CURL *easy;
    struct curl_slist *headers;
    curl_mime *mime;
    char *body;    /* owned copy of the request body */
    int upload_fd; /* the file PUT through on_read; -1: none */
    struct buf resp;
    size_t max_body;
    int too_big;
    char content_type[CURL_EV_HEADER_MAX];
    char retry_after[CURL_EV_HEADER_MAX];
    char errbuf[CURL_ERROR_SIZE];
    CURLcode result;
    int64_t started_ms;
    http_done_fn done;
    void *user;
    struct call *prev, *next;
};

struct curl_ev {
    struct ev *ev;
    CURLM *multi;
    uint64_t timer; /* the ev timer armed for curl, 0 if none */
    uint64_t next_id;
    struct call *active;   /* transfers on the multi handle */
    struct call *finished; /* off the multi handle, done not yet called (FIFO via tail) */
    struct call *finished_tail;
    size_t nactive, nfinished;
};

/* ---- lists ---- */

static void active_unlink(struct curl_ev *c, struct call *k)
{
    if (k->prev)
        k->prev->next = k->next;
    else
        c->active = k->next;
    if (k->next)
        k->next->prev = k->prev;
    k->prev = k->next = NULL;
    c->nactive--;
}

static void finished_push(struct curl_ev *c, struct call *k)
{
    k->prev = c->finished_tail;
    k->next = NULL;
    if (c->finished_tail)
        c->finished_tail->next = k;
    else
        c->finished = k;
    c->finished_tail = k;
    c->nfinished++;
}

static void finished_unlink(struct curl_ev *c, struct call *k)
{
    if (k->prev)
        k->prev->next = k->next;
    else
        c->finished = k->next;
    if (k->next)
        k->next->prev = k->prev;
    else
        c->finished_tail = k->prev;
    k->prev = k->next = NULL;
    c->nfinished--;
}

static void call_free(struct call *k)
{
    if (!k)
        return;
    if (k->easy)
        curl_easy_cleanup(k->easy);
    curl_mime_free(k->mime); /* after the easy handle that used it */
    curl_slist_free_all(k->headers);
    free(k->body);
    if (k->upload_fd >= 0)
        close(k->upload_fd);
    buf_free(&k->resp);
    free(k);
}

/* ---- curl callbacks ---- */

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct call *k = userdata;
    size_t n = size * nmemb;
    if (k->resp.len + n > k->max_body) {
        k->too_big = 1;
        return 0; /* CURLE_WRITE_ERROR ends the transfer */
    }
    buf_append(&k->resp, ptr, n);
    return n;
}

/* Keep the value of a "Name: value" header line if it is the one we want. */
static void keep_header(const char *line, size_t len, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
        return;
    const char *v = line + nl + 1;
    const char *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t vl = MIN((size_t)(end - v), outlen - 1);
    memcpy(out, v, vl);
    out[vl] = '\0';
}

static size_t on_header(char *buffer, size_t size, size_t nitems, void *userdata)
{
    struct call *k = userdata;
    size_t n = size * nitems;
    /* A new status line starts a new header block (after a redirect or a 100 Continue): only
     * the final response's headers count. */
    if (n >= 5 && strncmp(buffer, "HTTP/", 5) == 0) {
        k->content_type[0] = '\0';
        k->retry_after[0] = '\0';
        return n;
    }
    keep_header(buffer, n, "Content-Type", k->content_type, sizeof k->content_type);
    keep_header(buffer, n, "Retry-After", k->retry_after, sizeof k->retry_after);
    return n;
}

static void check_info(struct curl_ev *c);

static void on_socket_ready(struct ev *ev, int fd, int mask, void *data)
{
    (void)ev;
    struct curl_ev *c = data;
    int flags =
        ((mask & EV_READ) ? CURL_CSELECT_IN : 0) | ((mask & EV_WRITE) ? CURL_CSELECT_OUT : 0);
    int running = 0;
    curl_multi_socket_action(c->multi, fd, flags, &running);
    check_info(c);
}

static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    (void)easy;
    (void)socketp;
    struct curl_ev *c = userp;
    if (what == CURL_POLL_REMOVE) {
        ev_fd_del(c->ev, (int)s);
        return 0;
    }
    int mask = 0;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
        mask |= EV_READ;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
        mask |= EV_WRITE;
    return ev_fd_add(c->ev, (int)s, mask, on_socket_ready, c) < 0 ? -1 : 0;
}

static void on_timer_due(struct ev *ev, uint64_t id, void *data)
{
    (void)ev;
    (void)id;
    struct curl_ev *c = data;
    c->timer = 0;
    int running = 0;
    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_info(c);
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    struct curl_ev *c = userp;
    ev_timer_del(c->ev, c->timer);
    c->timer = 0;
    /* -1 deletes the timer; 0 means "as soon as possible", which is the loop's next turn so
     * nothing runs inside curl_multi_add_handle. */
    if (timeout_ms >= 0)
        c->timer = ev_timer_in(c->ev, timeout_ms, on_timer_due, c);
    return 0;
}

/* ---- completion ---- */

const char *http_outcome_name(enum http_outcome o)
{
    switch (o) {
    case HTTP_OK:
        return "ok";
    case HTTP_NOT_SENT:
        return "not sent";
    case HTTP_FAILED:
        return "failed";
    case HTTP_TIMED_OUT:
        return "timed out";
    case HTTP_TOO_LARGE:
        return "too large";
    }
    return "?";
}

enum http_outcome curl_ev_outcome_of(int curl_code)
{
    switch (curl_code) {
    case CURLE_OK:
        return HTTP_OK;
    /* The failures that happen before a byte of the request is sent: no proxy or host name, no
     * connection, no TLS session, a URL or scheme we never speak. Anything else may come after
     * the request went out, so a billed create must not be repeated blindly after it. */
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
        return HTTP_NOT_SENT;
    case CURLE_OPERATION_TIMEDOUT:
        return HTTP_TIMED_OUT;
    case CURLE_FILESIZE_EXCEEDED:
        return HTTP_TOO_LARGE;
    default:
        return HTTP_FAILED;
    }
}

static void report(struct call *k)
{
    long status = 0;
    curl_easy_getinfo(k->easy, CURLINFO_RESPONSE_CODE, &status);
    /* Our own size check ends the transfer with a write error: it is the same too large. */
    CURLcode code = k->too_big ? CURLE_FILESIZE_EXCEEDED : k->result;
    struct http_result r = {0};
    r.outcome = curl_ev_outcome_of((int)code);
    r.status = r.outcome == HTTP_OK ? status : 0; /* the settle rule: see http_result */
    char err[CURL_ERROR_SIZE + 64];
    if (r.outcome == HTTP_TOO_LARGE) {
        snprintf(err, sizeof err, "the answer is larger than %zu bytes", k->max_body);
        r.error = err;
    } else if (r.outcome != HTTP_OK) {
        snprintf(err, sizeof err, "%s", k->errbuf[0] ? k->errbuf : curl_easy_strerror(code));
        r.error = err;
    }
    r.body = k->resp.data ? k->resp.data : "";
    r.len = k->resp.len;
    r.content_type = k->content_type[0] ? k->content_type : NULL;
    r.retry_after = k->retry_after[0] ? k->retry_after : NULL;
    r.elapsed_ms = (long)(time_mono_ms() - k->started_ms);
    k->done(k->user, &r);
}

static void check_info(struct curl_ev *c)
{
    CURLMsg *msg;
    int left = 0;
    /* Phase 1: take every finished transfer off the multi handle. */
    while ((msg = curl_multi_info_read(c->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        char *priv = NULL;
        CURL *easy = msg->easy_handle;
        CURLcode result = msg->data.result;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
        curl_multi_remove_handle(c->multi, easy);
        struct call *k = (struct call *)(void *)priv;
        if (!k)
            continue;
        k->result = result;
        active_unlink(c, k);
        finished_push(c, k);
    }
    /* Phase 2: report them one at a time; a callback may start or cancel calls. */
    while (c->finished) {
        struct call *k = c->finished;
        finished_unlink(c, k);
        report(k);
        call_free(k);
    }
}

/* The upload's next chunk, read from its file as curl takes it. */
static size_t on_read(char *buffer, size_t size, size_t nitems, void *userdata)
{
    struct call *k = userdata;
    ssize_t n;
    while ((n = read(k->upload_fd, buffer, size * nitems)) < 0 && errno == EINTR) {
    }
    return n < 0 ? CURL_READFUNC_ABORT : (size_t)n;
}

/* ---- setup ---- */

/* PUT the file at call->upload_path. 0, or -1 if it cannot be opened. */
static int set_upload(struct call *k, const struct http_call *call)
{
    struct stat sb;
    k->upload_fd = open(call->upload_path, O_RDONLY | O_CLOEXEC);
    if (k->upload_fd < 0 || fstat(k->upload_fd, &sb) < 0 || !S_ISREG(sb.st_mode))
        return -1;
    curl_easy_setopt(k->easy, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(k->easy, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(k->easy, CURLOPT_READDATA, k);
    curl_easy_setopt(k->easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t)sb.st_size);
    return 0;
}

static int set_body(struct call *k, const struct http_call *call)
{
    CURL *h = k->easy;
    if (call->upload_path)
        return set_upload(k, call);
    int has_form = call->form_fields || call->form_file;
    if (has_form) {
        k->mime = curl_mime_init(h);
        if (!k->mime)
            return -1;
        for (const char *const *f = call->form_fields; f && f[0] && f[1]; f += 2) {
            curl_mimepart *p = curl_mime_addpart(k->mime);
            if (!p || curl_mime_name(p, f[0]) != CURLE_OK ||
                curl_mime_data(p, f[1], CURL_ZERO_TERMINATED) != CURLE_OK)
                return -1;
        }
        if (call->form_file) {
            curl_mimepart *p = curl_mime_addpart(k->mime);
            if (!p ||
                curl_mime_name(p, call->form_file_field ? call->form_file_field : "file") !=
                    CURLE_OK ||
                curl_mime_data(p, call->form_file, call->form_file_len) != CURLE_OK ||
                curl_mime_filename(p, call->form_file_name ? call->form_file_name : "file") !=
                    CURLE_OK ||
                (call->form_file_type && curl_mime_type(p, call->form_file_type) != CURLE_OK))
                return -1;
        }
        curl_easy_setopt(h, CURLOPT_MIMEPOST, k->mime);
        if (strcmp(call->method, "POST") != 0)
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, call->method);
        return 0;
    }
    if (!strcmp(call->method, "GET")) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        /* Media downloads (Replicate outputs, image URLs) may sit behind a redirect; API calls
         * never need one. curl does not forward Authorization to another host. */
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(h, CURLOPT_MAXREDIRS, CURL_EV_MAX_REDIRS);
        curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        return 0;
    }
    if (!strcmp(call->method, "HEAD")) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
        return 0;
    }
    if (call->body || !strcmp(call->method, "POST") || !strcmp(call->method, "PUT") ||
        !strcmp(call->method, "PATCH")) {
        size_t len = call->body ? call->body_len : 0;
        k->body = xmalloc(len + 1);
        if (len)
            memcpy(k->body, call->body, len);
        k->body[len] = '\0';
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, k->body);
    }
    if (strcmp(call->method, "POST") != 0)
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, call->method);
    return 0;
}

static int set_headers(struct call *k, const struct http_call *call)
{
    int has_expect = 0;
    for (const char *const *h = call->headers; h && *h; h++) {
        if (!strncasecmp(*h, "Expect:", 7))
            has_expect = 1;
        struct curl_slist *n = curl_slist_append(k->headers, *h);
        if (!n)
            return -1;
        k->headers = n;
    }
    /* No "Expect: 100-continue" round trip before large uploads (images, audio): the servers we
     * talk to answer at once, and some local ones never send the 100. Not for an AWS-signed
     * request: libcurl 7.88 signs the removal as an empty "expect" header it never sends, so
     * every S3 server would refuse the signature; its own Expect on a large body is sent
     * unsigned, which S3 accepts (test_curl_ev checks the signature with botocore). */
    if (!has_expect && !call->aws_sigv4) {
        struct curl_slist *n = curl_slist_append(k->headers, "Expect:");
        if (!n)
            return -1;
        k->headers = n;
    }
    curl_easy_setopt(k->easy, CURLOPT_HTTPHEADER, k->headers);
    return 0;
}

struct curl_ev *curl_ev_new(struct ev *ev)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return NULL;
    struct curl_ev *c = xcalloc(1, sizeof *c);
    c->ev = ev;
    c->next_id = 1;
    c->multi = curl_multi_init();
    if (!c->multi) {
        free(c);
        curl_global_cleanup();
        return NULL;
    }
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    /* LAN servers speak HTTP/1.1: bound the connections per host (see platforms.md 5.5). */
    curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 8L);
    return c;
}

void curl_ev_free(struct curl_ev *c)
{
    if (!c)
        return;
    while (c->active) {
        struct call *k = c->active;
        curl_multi_remove_handle(c->multi, k->easy);
        active_unlink(c, k);
        call_free(k);
    }
    while (c->finished) {
        struct call *k = c->finished;
        finished_unlink(c, k);
        call_free(k);
    }
    ev_timer_del(c->ev, c->timer);
    curl_multi_cleanup(c->multi);
    free(c);
    curl_global_cleanup();
}

uint64_t curl_ev_start(struct curl_ev *c, const struct http_call *call, http_done_fn done,
                       void *user)
{
    if (!c || !call || !call->url || !call->method || !done)
        return 0;
    struct call *k = xcalloc(1, sizeof *k);
    k->upload_fd = -1;
    k->c = c;
    k->done = done;
    k->user = user;
    k->max_body = call->max_body ? call->max_body : CURL_EV_DEFAULT_MAX_BODY;
    k->easy = curl_easy_init();
    if (!k->easy)
        goto fail;
    CURL *h = k->easy;
    curl_easy_setopt(h, CURLOPT_PRIVATE, (char *)k);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (curl_easy_setopt(h, CURLOPT_URL, call->url) != CURLE_OK)
        goto fail;
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                     call->timeout_ms > 0 ? call->timeout_ms : CURL_EV_DEFAULT_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     call->connect_timeout_ms > 0 ? call->connect_timeout_ms
                                                  : CURL_EV_DEFAULT_CONNECT_MS);
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)k->max_body);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_USERAGENT, "panicd");
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, k->errbuf);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, k);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, k);
    if (set_headers(k, call) < 0 || set_body(k, call) < 0)
        goto fail;
    if (call->aws_sigv4 && (curl_easy_setopt(h, CURLOPT_AWS_SIGV4, call->aws_sigv4) != CURLE_OK ||
                            curl_easy_setopt(h, CURLOPT_USERNAME, call->aws_key_id) != CURLE_OK ||
                            curl_easy_setopt(h, CURLOPT_PASSWORD, call->aws_secret) != CURLE_OK))
        goto fail;
    k->started_ms = time_mono_ms();
    k->id = c->next_id++;
    /* Link before adding: curl may call the socket or timer callback from inside add. */
    k->next = c->active;
    if (c->active)
        c->active->prev = k;
    c->active = k;
    c->nactive++;
    if (curl_multi_add_handle(c->multi, h) != CURLM_OK) {
        active_unlink(c, k);
        goto fail;
    }
    return k->id;
fail:
    call_free(k);
    return 0;
}

void curl_ev_cancel(struct curl_ev *c, uint64_t id)
{
    if (!c || !id)
        return;
    for (struct call *k = c->active; k; k = k->next) {
        if (k->id == id) {
            curl_multi_remove_handle(c->multi, k->easy);
            active_unlink(c, k);
            call_free(k);
            return;
        }
    }
    for (struct call *k = c->finished; k; k = k->next) {
        if (k->id == id) {
            finished_unlink(c, k);
            call_free(k);
            return;
        }
    }
}

size_t curl_ev_pending(const struct curl_ev *c)
{
    return c ? c->nactive + c->nfinished : 0;
}
