/* http_client.c: the libcurl adapter of panicctl and the only ctl file that includes <curl/curl.h>.
 * One easy handle is reused (reset between requests) so a command that makes two requests keeps its
 * connection. Every request gets the same guards: no signals from curl, a 5 s connect timeout,
 * http and https only, no redirects (a bearer token must not follow one). */
#include "http_client.h"
#include "common/util.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CTL_HTTP_MAX_BODY (16u * 1024 * 1024)
#define CTL_HTTP_CONNECT_MS 5000L

struct ctl_http {
    CURL *curl;
    char *base; /* owned */
    char *auth; /* owned "Authorization: Bearer ..." or NULL */
    volatile sig_atomic_t *stop;
    char errbuf[CURL_ERROR_SIZE];
};

/* The state of one transfer, shared by the callbacks. */
struct xfer {
    struct ctl_http *h;
    const struct ctl_http_req *req;
    struct ctl_http_resp *resp;
    int64_t last_rx_ms;
    int cancelled;
    int too_big;
};

int ctl_http_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -EIO;
}

void ctl_http_global_cleanup(void)
{
    curl_global_cleanup();
}

struct ctl_http *ctl_http_new(const char *base_url, const char *token, volatile sig_atomic_t *stop)
{
    CURL *curl = curl_easy_init();
    if (!curl)
        return NULL;
    struct ctl_http *h = xcalloc(1, sizeof *h);
    h->curl = curl;
    h->base = xstrdup(base_url);
    h->auth = token ? xasprintf("Authorization: Bearer %s", token) : NULL;
    h->stop = stop;
    return h;
}

void ctl_http_free(struct ctl_http *h)
{
    if (!h)
        return;
    curl_easy_cleanup(h->curl);
    if (h->auth) {
        /* The token should not linger in freed memory. */
        volatile char *p = h->auth;
        while (*p)
            *p++ = '\0';
        free(h->auth);
    }
    free(h->base);
    free(h);
}

char *ctl_http_escape(struct ctl_http *h, const char *segment)
{
    char *e = curl_easy_escape(h->curl, segment, (int)strlen(segment));
    if (!e)
        abort(); /* curl only fails here on out of memory */
    char *out = xstrdup(e);
    curl_free(e);
    return out;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
    struct xfer *x = user;
    size_t len = size * nmemb;
    x->last_rx_ms = time_mono_ms();
    curl_easy_getinfo(x->h->curl, CURLINFO_RESPONSE_CODE, &x->resp->status);
    int ok = x->resp->status >= 200 && x->resp->status < 300;
    if (x->req->sink && ok) {
        if (x->req->sink(x->req->user, data, len) != 0) {
            x->cancelled = 1;
            return 0; /* anything but len makes curl stop with CURLE_WRITE_ERROR */
        }
        return len;
    }
    if (x->resp->body.len + len > CTL_HTTP_MAX_BODY) {
        x->too_big = 1;
        return 0;
    }
    buf_append(&x->resp->body, data, len);
    return len;
}

/* Called by curl at least once a second, even on an idle connection. */
static int on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    struct xfer *x = user;
    if (x->h->stop && *x->h->stop) {
        x->cancelled = 1;
        return 1;
    }
    if (x->req->stall_ms > 0 && time_mono_ms() - x->last_rx_ms > x->req->stall_ms) {
        x->resp->stalled = 1;
        return 1;
    }
    return 0;
}

/* Headers: also count as traffic for the stall watch. */
static size_t on_header(char *data, size_t size, size_t nmemb, void *user)
{
    (void)data;
    struct xfer *x = user;
    x->last_rx_ms = time_mono_ms();
    return size * nmemb;
}

static struct curl_slist *add_header(struct curl_slist *list, const char *line)
{
    struct curl_slist *l = curl_slist_append(list, line);
    if (!l)
        abort(); /* out of memory */
    return l;
}

int ctl_http_do(struct ctl_http *h, const struct ctl_http_req *req, struct ctl_http_resp *resp,
                char *err, size_t errlen)
{
    CURL *c = h->curl;
    struct xfer x = {.h = h, .req = req, .resp = resp, .last_rx_ms = time_mono_ms()};
    struct curl_slist *headers = NULL;
    char *url = xasprintf("%s%s", h->base, req->path);
    char *accept = xasprintf("Accept: %s", req->accept ? req->accept : "application/json");
    char *last_id = NULL;
    int rc = 0;

    resp->status = 0;
    resp->stalled = 0;
    buf_reset(&resp->body);
    err[0] = '\0';
    h->errbuf[0] = '\0';

    headers = add_header(headers, accept);
    headers = add_header(headers, "Expect:"); /* no 100-continue round trip */
    if (h->auth)
        headers = add_header(headers, h->auth);
    if (req->body)
        headers = add_header(headers, "Content-Type: application/json");
    else if (strcmp(req->method, "GET") != 0)
        headers = add_header(headers, "Content-Type:"); /* not curl's form-urlencoded default */
    if (req->last_event_id) {
        last_id = xasprintf("Last-Event-ID: %s", req->last_event_id);
        headers = add_header(headers, last_id);
    }

    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, CTL_HTTP_CONNECT_MS);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req->timeout_ms);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(c, CURLOPT_USERAGENT, "panicctl");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &x);
    if (strcmp(req->method, "GET") != 0) {
        if (strcmp(req->method, "POST") != 0)
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
        if (req->body || strcmp(req->method, "DELETE") != 0) {
            const char *body = req->body ? req->body : "";
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
        }
    }

    CURLcode cc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    resp->status = status;
    if (cc == CURLE_OK) {
        rc = 0;
    } else if (x.cancelled) {
        rc = -ECANCELED;
    } else if (x.too_big) {
        snprintf(err, errlen, "the response is larger than %u bytes", CTL_HTTP_MAX_BODY);
        rc = -EMSGSIZE;
    } else {
        if (resp->stalled)
            snprintf(err, errlen, "nothing received for %ld s", req->stall_ms / 1000);
        else
            snprintf(err, errlen, "%s", h->errbuf[0] ? h->errbuf : curl_easy_strerror(cc));
        size_t n = strlen(err);
        while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == ' '))
            err[--n] = '\0';
        rc = -EIO;
    }

    curl_slist_free_all(headers);
    free(last_id);
    free(accept);
    free(url);
    return rc;
}
