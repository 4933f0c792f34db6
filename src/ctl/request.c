/* request.c: calling the coordinator and reporting failures for every panicctl command. Errors are
 * the server's {"error","message"} body printed as "panicctl: <message> (HTTP <status>)"; a 401
 * adds where the token was looked for (never the token); a lockout gets its own exit code. */
#include "request.h"
#include "common/util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const char *ctl_json_str(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

void ctl_put_clean(FILE *f, const char *s, size_t max_chars)
{
    size_t chars = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int lead = (*p & 0xc0) != 0x80; /* a UTF-8 continuation byte is not a new character */
        if (lead && max_chars && chars++ == max_chars) {
            fputs("...", f);
            return;
        }
        fputc(*p < 0x20 || *p == 0x7f ? ' ' : *p, f);
    }
}

void ctl_print_raw(const struct buf *raw)
{
    if (raw->len)
        fwrite(raw->data, 1, raw->len, stdout);
    if (!raw->len || raw->data[raw->len - 1] != '\n')
        fputc('\n', stdout);
    fflush(stdout);
}

int ctl_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("panicctl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs(CTL_USAGE_HINT "\n", stderr);
    va_end(ap);
    return CTL_USAGE;
}

int ctl_report_transport(struct ctl *c, int rc, const char *err)
{
    if (rc == -ECANCELED && c->stop && *c->stop) {
        fputs("panicctl: interrupted\n", stderr);
        return CTL_INTERRUPTED;
    }
    if (rc == -EMSGSIZE) {
        fprintf(stderr, "panicctl: the coordinator at %s: %s\n", c->url, err);
        return CTL_REFUSED;
    }
    fprintf(stderr, "panicctl: cannot reach the coordinator at %s: %s\n", c->url,
            err && *err ? err : "transfer abandoned");
    return CTL_UNREACHABLE;
}

/* The first line of a body that is not JSON (a proxy's HTML page, say), kept short. */
static void put_first_line(FILE *f, const struct buf *raw)
{
    char line[161];
    size_t n = 0;
    const char *s = raw->data ? raw->data : "";
    while (s[n] && s[n] != '\n' && n < sizeof line - 1) {
        line[n] = s[n];
        n++;
    }
    line[n] = '\0';
    ctl_put_clean(f, line, 0);
}

int ctl_report_http(struct ctl *c, long status, const struct buf *raw)
{
    json_t *j = raw->len ? json_loadb(raw->data, raw->len, 0, NULL) : NULL;
    const char *code = ctl_json_str(j, "error");
    const char *msg = ctl_json_str(j, "message");
    int rc = CTL_REFUSED;

    if (c->json && raw->len)
        ctl_print_raw(raw);
    if (status == 409 && code && strcmp(code, "lockout") == 0) {
        json_t *after = json_object_get(j, "retry_after_s");
        fprintf(stderr, "panicctl: locked out: ready in %" JSON_INTEGER_FORMAT " s\n",
                json_is_integer(after) ? json_integer_value(after)
                                       : (json_int_t)json_number_value(after));
        rc = CTL_LOCKOUT;
        goto cleanup;
    }
    fputs("panicctl: ", stderr);
    if (msg || code)
        ctl_put_clean(stderr, msg ? msg : code, 0);
    else if (raw->len)
        put_first_line(stderr, raw);
    else
        fputs("the coordinator refused the request", stderr);
    fprintf(stderr, " (HTTP %ld)\n", status);

    if (status == 401 && c->token_from)
        fprintf(stderr, "panicctl: the token is wrong (it was taken from %s)\n", c->token_from);
    else if (status == 401)
        fprintf(stderr, "panicctl: the token is missing: looked for %s\n", c->token_looked);
    else if (status == 403 && c->token_from)
        fprintf(stderr, "panicctl: the token from %s does not allow this\n", c->token_from);
cleanup:
    json_decref(j);
    return rc;
}

void ctl_reply_free(struct ctl_reply *r)
{
    buf_free(&r->raw);
    json_decref(r->json);
    r->json = NULL;
}

int ctl_call(struct ctl *c, const char *method, const char *path, json_t *body, struct ctl_reply *r)
{
    char err[PANIC_ERR_LEN];
    char *text = NULL;
    if (body) {
        text = json_dumps(body, JSON_COMPACT);
        if (!text)
            abort(); /* jansson fails here only on out of memory */
    }
    struct ctl_http_req req = {
        .method = method, .path = path, .body = text, .timeout_ms = CTL_TIMEOUT_MS};
    struct ctl_http_resp resp = {0, BUF_INIT, 0};
    int rc = ctl_http_do(c->http, &req, &resp, err, sizeof err);
    free(text);
    r->status = resp.status;
    buf_free(&r->raw);
    r->raw = resp.body; /* ownership moves to r */
    if (rc < 0)
        return ctl_report_transport(c, rc, err);
    if (r->status < 200 || r->status > 299)
        return ctl_report_http(c, r->status, &r->raw);
    json_decref(r->json);
    r->json = r->raw.len ? json_loadb(r->raw.data, r->raw.len, 0, NULL) : NULL;
    return CTL_OK;
}

/* A network named by its slug: GET /api/v1/networks/SLUG for its id (and the network). */
static int network_by_slug(struct ctl *c, const char *slug, int64_t *id, json_t **network)
{
    for (const char *p = slug; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            return ctl_usage_error("not a network id or slug: '%s'", slug);
    struct ctl_reply r = CTL_REPLY_INIT;
    char path[128];
    snprintf(path, sizeof path, "/api/v1/networks/%.64s", slug);
    int json = c->json;
    c->json = 0;
    int rc = ctl_call(c, "GET", path, NULL, &r);
    c->json = json;
    json_t *jid = json_object_get(r.json, "id");
    if (rc == CTL_OK && !json_is_integer(jid)) {
        fprintf(stderr, "panicctl: %s answered a network without an id\n", c->url);
        rc = CTL_REFUSED;
    } else if (rc == CTL_OK) {
        *id = json_integer_value(jid);
        if (network)
            *network = json_incref(r.json);
    }
    ctl_reply_free(&r);
    return rc;
}

int ctl_network_id(struct ctl *c, const char *opt, int64_t *id, json_t **network)
{
    struct ctl_reply r = CTL_REPLY_INIT;
    int rc;
    if (network)
        *network = NULL;
    if (opt && parse_int64(opt, 1, INT64_MAX, id) == 0)
        return CTL_OK;
    if (opt)
        return network_by_slug(c, opt, id, network);
    /* Not printed with --json: only the answer to the command itself is. */
    int json = c->json;
    c->json = 0;
    rc = ctl_call(c, "GET", "/api/v1/networks", NULL, &r);
    c->json = json;
    if (rc != CTL_OK)
        goto cleanup;
    json_t *first = json_array_get(json_object_get(r.json, "networks"), 0);
    json_t *jid = json_object_get(first, "id");
    if (!json_is_array(json_object_get(r.json, "networks"))) {
        fprintf(stderr, "panicctl: %s did not answer with a list of networks\n", c->url);
        rc = CTL_REFUSED;
    } else if (!first) {
        fputs("panicctl: there is no network yet; make one with 'panicctl network create'\n",
              stderr);
        rc = CTL_REFUSED;
    } else if (!json_is_integer(jid)) {
        fprintf(stderr, "panicctl: %s listed a network without an id\n", c->url);
        rc = CTL_REFUSED;
    } else {
        *id = json_integer_value(jid);
        if (network)
            *network = json_incref(first);
    }
cleanup:
    ctl_reply_free(&r);
    return rc;
}
