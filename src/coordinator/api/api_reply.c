/* api_reply.c: what every handler uses to answer and to read its input: JSON replies and the JSON
 * error shape {"error","message"}, the body as a JSON object, ids from the path, whole numbers
 * from the query, and the rules for text a person typed. Knows no endpoint, no store and no
 * coordinator. */
#include "api_internal.h"
#include "common/util.h"
#include "coordinator/coord/views.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void api_reply_json(struct http_req *req, int status, json_t *j)
{
    char *text = view_dump(j);
    http_reply(req, status, "application/json", text, strlen(text), NULL);
    free(text);
}

void api_reply_error(struct http_req *req, int status, const char *code, const char *fmt, ...)
{
    char msg[PANIC_ERR_LEN * 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    api_reply_json(req, status, json_pack("{s:s, s:s}", "error", code, "message", msg));
}

void api_reply_no_network(struct http_req *req, int64_t id)
{
    api_reply_error(req, 404, "not_found", "no network %lld", (long long)id);
}

void api_reply_lockout(struct http_req *req, int64_t retry_ms)
{
    int64_t s = (retry_ms + 999) / 1000;
    api_reply_json(req, 409,
                   json_pack("{s:s, s:s, s:I}", "error", "lockout", "message",
                             "a run has just started; please wait", "retry_after_s",
                             (json_int_t)s));
}

json_t *api_body_object(struct http_req *req)
{
    size_t len;
    const char *body = http_req_body(req, &len);
    json_error_t jerr;
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!j) {
        api_reply_error(req, 400, "bad_json", "the body is not valid JSON: %s", jerr.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        api_reply_error(req, 400, "bad_json", "the body must be a JSON object");
        return NULL;
    }
    return j;
}

int api_path_id(struct http_req *req, const char *text, const char *what, int64_t *id)
{
    if (parse_int64(text, 1, INT64_MAX, id) == 0)
        return 0;
    api_reply_error(req, 404, "not_found", "no %s '%s'", what, text);
    return -1;
}

const char *api_path_name(struct http_req *req, const char *text, size_t max, const char *what)
{
    if (strlen(text) <= max && display_config_name_valid(text))
        return text;
    api_reply_error(req, 400, "bad_name", "a %s name is 1-%zu letters, digits, '-', '_' or ':'",
                    what, max);
    return NULL;
}

int api_query_int(struct http_req *req, const char *name, int64_t min, int64_t max, int64_t def,
                  int64_t *out)
{
    const char *v = http_req_query(req, name);
    if (!v) {
        *out = def;
        return 0;
    }
    if (parse_int64(v, min, max, out) < 0) {
        api_reply_error(req, 400, "bad_query", "%s must be a whole number from %lld to %lld", name,
                        (long long)min, (long long)max);
        return -1;
    }
    return 0;
}

int api_check_text(const char *what, const char *s, size_t max, char *err, size_t errlen)
{
    size_t len = strlen(s), visible = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if ((ch < 0x20 && ch != '\n' && ch != '\t') || ch == 0x7f) {
            snprintf(err, errlen, "%s contains control characters", what);
            return -EINVAL;
        }
        if (ch != ' ' && ch != '\n' && ch != '\t')
            visible++;
    }
    if (!visible) {
        snprintf(err, errlen, "%s is empty", what);
        return -EINVAL;
    }
    if (len > max) {
        snprintf(err, errlen, "%s is too long (%zu bytes; at most %zu)", what, len, max);
        return -EINVAL;
    }
    return 0;
}
