/* http_client.h: panicctl's HTTP client, a thin wrapper of one libcurl easy handle. It knows
 * nothing of the API's paths or JSON: it sends a request to base URL + path with the bearer token,
 * and hands back the status and the body (or streams a 2xx body to a sink), or a transport error in
 * words. */
#ifndef PANIC_CTL_HTTP_CLIENT_H
#define PANIC_CTL_HTTP_CLIENT_H

#include "common/buf.h"

#include <signal.h>
#include <stddef.h>

/* Receives a 2xx body as it arrives; return 0 to go on, anything else to abandon the transfer. */
typedef int (*ctl_http_sink_fn)(void *user, const char *data, size_t len);

struct ctl_http_req {
    const char *method;        /* "GET", "POST", "PUT", "DELETE" */
    const char *path;          /* starts with '/', segments already escaped */
    const char *body;          /* a JSON body, or NULL */
    const char *accept;        /* NULL: application/json */
    const char *last_event_id; /* a Last-Event-ID header, or NULL */
    long timeout_ms;           /* whole transfer; 0: none (streams) */
    long stall_ms;             /* give up when nothing arrives for this long; 0: never */
    ctl_http_sink_fn sink;     /* NULL: the body is collected in ctl_http_resp.body */
    void *user;
};

struct ctl_http_resp {
    long status;     /* 0 when no response line arrived */
    struct buf body; /* the body when there is no sink or the status is not 2xx; caller frees */
    int stalled;     /* the transfer was given up under stall_ms */
};

struct ctl_http;

/* Once per process, before anything else here; 0 or -EIO. */
int ctl_http_global_init(void);
void ctl_http_global_cleanup(void);

/* base_url without a trailing '/'; token may be NULL. stop, when set non-zero (by a signal
 * handler), abandons the transfer in progress within about a second. Owned; ctl_http_free. */
struct ctl_http *ctl_http_new(const char *base_url, const char *token, volatile sig_atomic_t *stop);
void ctl_http_free(struct ctl_http *h);

/* One path segment, percent-encoded. Owned: free(). */
char *ctl_http_escape(struct ctl_http *h, const char *segment);

/* 0 when a whole response arrived (whatever its status). -EIO on a transport failure (err says
 * why; resp->status tells whether the response had begun), -ECANCELED when the sink refused bytes
 * or stop was set, -EMSGSIZE when a collected body grew past 16 MiB. err (errlen > 0) is
 * always written, empty when there is nothing to say. */
int ctl_http_do(struct ctl_http *h, const struct ctl_http_req *req, struct ctl_http_resp *resp,
                char *err, size_t errlen);

#endif
