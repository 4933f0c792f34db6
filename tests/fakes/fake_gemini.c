/* fake_gemini.c: the fake Gemini server described in fake_gemini.h, on the shared server core
 * (fake_http.c): only the generateContent route, the key check and the scripted answers are here.
 * Test support only: aborts on out-of-memory. */
#include "fake_gemini.h"
#include "common/util.h"
#include "fake_http.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCRIPT_MAX 32

struct canned {
    int status;
    char *body;
    char *retry_after;
    int stall_ms;
};

struct fake_gemini {
    struct fake_http *http; /* its lock guards the fields below */
    char base[80];
    char *key;
    struct canned script[SCRIPT_MAX];
    size_t nscript, next;
};

static int send_body(struct fake_http_conn *c, unsigned status, const char *body,
                     const char *retry_after)
{
    return fake_http_send(c, status, "application/json; charset=UTF-8", body, strlen(body),
                          "Retry-After", retry_after);
}

static int send_error(struct fake_http_conn *c, unsigned status, const char *state,
                      const char *message)
{
    json_t *j = json_pack("{s:{s:i,s:s,s:s}}", "error", "code", (int)status, "message", message,
                          "status", state);
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    int ret = send_body(c, status, s, NULL);
    free(s);
    return ret;
}

static int generate(struct fake_http_conn *c, const char *model, const struct fake_http_request *b)
{
    json_t *j = b->len ? json_loadb(b->body, b->len, 0, NULL) : NULL;
    json_t *parts = json_object_get(json_array_get(json_object_get(j, "contents"), 0), "parts");
    const char *mime = NULL, *data = NULL, *prompt = "";
    size_t i;
    json_t *p;
    json_array_foreach(parts, i, p)
    {
        json_t *in = json_object_get(p, "inline_data");
        if (in) {
            mime = json_string_value(json_object_get(in, "mime_type"));
            data = json_string_value(json_object_get(in, "data"));
        }
        if (json_is_string(json_object_get(p, "text")))
            prompt = json_string_value(json_object_get(p, "text"));
    }
    if (!mime || !data) {
        json_decref(j);
        return send_error(c, 400, "INVALID_ARGUMENT", "inline_data is required");
    }
    size_t dl = strlen(data);
    size_t n = dl / 4 * 3;
    if (dl >= 1 && data[dl - 1] == '=')
        n--;
    if (dl >= 2 && data[dl - 2] == '=')
        n--;
    char *text = xasprintf("FAKE_DESCRIPTION: %s %s %zu bytes: %.40s", model, mime, n, prompt);
    json_t *ans = json_pack("{s:[{s:{s:[{s:s}],s:s},s:s}],s:{s:i}}", "candidates", "content",
                            "parts", "text", text, "role", "model", "finishReason", "STOP",
                            "usageMetadata", "totalTokenCount", 42);
    free(text);
    json_decref(j);
    char *s = json_dumps(ans, JSON_COMPACT);
    json_decref(ans);
    int ret = send_body(c, 200, s, NULL);
    free(s);
    return ret;
}

static int dispatch(void *ctx, struct fake_http_conn *c, const struct fake_http_request *r)
{
    struct fake_gemini *f = ctx;
    fake_http_lock(f->http);
    fake_http_record_locked(f->http, r);
    const char *api_key = fake_http_header(r, "x-goog-api-key");
    int authorized = !f->key || !strcmp(api_key ? api_key : "", f->key);
    struct canned k = {0};
    int scripted = f->next < f->nscript;
    if (scripted) {
        k = f->script[f->next++];
        k.body = k.body ? xstrdup(k.body) : NULL;
        k.retry_after = k.retry_after ? xstrdup(k.retry_after) : NULL;
    }
    fake_http_unlock(f->http);

    if (scripted) {
        if (k.stall_ms)
            fake_http_nap(f->http, k.stall_ms);
        int ret = send_body(c, (unsigned)k.status, k.body ? k.body : "", k.retry_after);
        free(k.body);
        free(k.retry_after);
        return ret;
    }
    if (!authorized)
        return send_error(c, 403, "PERMISSION_DENIED", "API key not valid.");
    static const char prefix[] = "/v1beta/models/", suffix[] = ":generateContent";
    const char *url = r->url;
    size_t ul = strlen(url), pl = sizeof prefix - 1, sl = sizeof suffix - 1;
    if (strcmp(r->method, "POST") || ul <= pl + sl || strncmp(url, prefix, pl) ||
        strcmp(url + ul - sl, suffix))
        return send_error(c, 404, "NOT_FOUND", "no such method");
    char model[128];
    snprintf(model, sizeof model, "%.*s", (int)(ul - pl - sl), url + pl);
    return generate(c, model, r);
}

struct fake_gemini *fake_gemini_start(void)
{
    struct fake_gemini *f = xcalloc(1, sizeof *f);
    f->http = fake_http_start("fake_gemini", 10, dispatch, f);
    if (!f->http) {
        free(f);
        return NULL;
    }
    snprintf(f->base, sizeof f->base, "%s/v1beta", fake_http_root(f->http));
    return f;
}
void fake_gemini_stop(struct fake_gemini *f)
{
    if (!f)
        return;
    fake_http_stop(f->http);
    for (size_t i = 0; i < f->nscript; i++) {
        free(f->script[i].body);
        free(f->script[i].retry_after);
    }
    free(f->key);
    free(f);
}

const char *fake_gemini_base(const struct fake_gemini *f)
{
    return f->base;
}

void fake_gemini_set_key(struct fake_gemini *f, const char *key)
{
    fake_http_lock(f->http);
    free(f->key);
    f->key = key ? xstrdup(key) : NULL;
    fake_http_unlock(f->http);
}

void fake_gemini_script(struct fake_gemini *f, int status, const char *body,
                        const char *retry_after, int stall_ms)
{
    fake_http_lock(f->http);
    if (f->nscript < SCRIPT_MAX) {
        struct canned *c = &f->script[f->nscript++];
        c->status = status;
        c->body = body ? xstrdup(body) : NULL;
        c->retry_after = retry_after ? xstrdup(retry_after) : NULL;
        c->stall_ms = stall_ms;
    }
    fake_http_unlock(f->http);
}

size_t fake_gemini_count(struct fake_gemini *f)
{
    return fake_http_count(f->http, NULL);
}

int fake_gemini_request(struct fake_gemini *f, size_t i, struct fake_gemini_request *out)
{
    struct fake_http_request r;
    memset(out, 0, sizeof *out);
    if (fake_http_request(f->http, NULL, i, &r) < 0)
        return -1;
    fake_http_move_head(&r, 1, out->method, sizeof out->method, out->path, sizeof out->path,
                        &out->body, &out->len);
    fake_http_copy_header(&r, "x-goog-api-key", out->api_key, sizeof out->api_key);
    fake_http_copy_header(&r, "Authorization", out->authorization, sizeof out->authorization);
    fake_http_copy_header(&r, "Content-Type", out->content_type, sizeof out->content_type);
    fake_http_request_free(&r);
    return 0;
}

void fake_gemini_request_free(struct fake_gemini_request *r)
{
    if (!r)
        return;
    free(r->body);
    r->body = NULL;
}
