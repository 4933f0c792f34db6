/* request.h: the helpers every panicctl command uses to call the coordinator's API and to report a
 * failure the same way: one line on stderr, the right exit code, and with --json the server's
 * body on stdout. */
#ifndef PANIC_CTL_REQUEST_H
#define PANIC_CTL_REQUEST_H

#include "ctl.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

/* Default timeout of every request but the event stream. */
#define CTL_TIMEOUT_MS 30000L

struct ctl_reply {
    long status;
    struct buf raw; /* the body as received */
    json_t *json;   /* the parsed body; NULL when empty or not JSON */
};

#define CTL_REPLY_INIT                                                                             \
    {                                                                                              \
        0, BUF_INIT, NULL                                                                          \
    }

/* One request with a JSON body (borrowed, may be NULL). CTL_OK on a 2xx answer; otherwise the
 * failure has been reported and its exit code is returned. r is always freed by the caller. */
int ctl_call(struct ctl *c, const char *method, const char *path, json_t *body,
             struct ctl_reply *r);
void ctl_reply_free(struct ctl_reply *r);

/* Report a transport error (rc from ctl_http_do) or an HTTP error answer; return the exit code. */
int ctl_report_transport(struct ctl *c, int rc, const char *err);
int ctl_report_http(struct ctl *c, long status, const struct buf *raw);
/* "panicctl: <reason> (see 'panicctl --help')", one line on stderr; returns CTL_USAGE. */
int ctl_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The network to act on: --network (an id, or a slug looked up) or else the first one the
 * coordinator lists.
 * With network non-NULL, also that network's object when it came from the list (else NULL;
 * owned, json_decref). */
int ctl_network_id(struct ctl *c, const char *opt, int64_t *id, json_t **network);

/* Print a received body on stdout, newline-terminated. */
void ctl_print_raw(const struct buf *raw);
/* Print untrusted text with control characters as spaces (no terminal escapes from a model's
 * output), cut after max_chars characters with "..." (0: no limit). */
void ctl_put_clean(FILE *f, const char *s, size_t max_chars);
/* Borrowed string member, or NULL when absent or not a string. */
const char *ctl_json_str(const json_t *obj, const char *key);

#endif
