/* fake_vestaboard.c: the fake Vestaboard Local API described in fake_vestaboard.h, on the shared
 * server core (fake_http.c): the message route, the key check, the body's shape check and the
 * last board kept as text. Test support only: aborts on out-of-memory. */
#include "fake_vestaboard.h"
#include "common/util.h"
#include "fake_http.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROWS 6
#define COLS 22

struct fake_vestaboard {
    struct fake_http *http; /* its lock guards the fields below */
    char *key;
    size_t shown, bad_key, bad_body;
    char last[ROWS * (COLS + 1) + 1];
    int have_last;
    int fail_next, fail_status;
};

/* The board's codes as text (the published table; '~' for colours and gaps). */
static char glyph(json_int_t code)
{
    static const char map[64] = " ABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890!@#$()~-~+&=;:~'\"%,.~~/?~~";
    return code >= 0 && code < 64 ? map[code] : '~';
}

/* 6 arrays of 22 whole numbers from 0 to 71, as text into out; 0 or -1. */
static int board_text(const struct fake_http_request *r, char *out)
{
    json_t *j = r->len ? json_loadb(r->body, r->len, 0, NULL) : NULL;
    int ok = json_is_array(j) && json_array_size(j) == ROWS;
    size_t n = 0;
    for (size_t row = 0; ok && row < ROWS; row++) {
        json_t *a = json_array_get(j, row);
        ok = json_is_array(a) && json_array_size(a) == COLS;
        for (size_t col = 0; ok && col < COLS; col++) {
            json_t *v = json_array_get(a, col);
            ok = json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 71;
            if (ok)
                out[n++] = glyph(json_integer_value(v));
        }
        out[n++] = '\n';
    }
    out[n] = '\0';
    json_decref(j);
    return ok ? 0 : -1;
}

static int dispatch(void *ctx, struct fake_http_conn *c, const struct fake_http_request *r)
{
    struct fake_vestaboard *f = ctx;
    char text[sizeof f->last];
    int route = !strcmp(r->method, "POST") && !strcmp(r->url, "/local-api/message");
    const char *key = fake_http_header(r, "X-Vestaboard-Local-Api-Key");
    const char *type = fake_http_header(r, "Content-Type");
    int shape = board_text(r, text) == 0 && type && strstr(type, "application/json");
    unsigned status = 200;
    fake_http_lock(f->http);
    fake_http_record_locked(f->http, r);
    if (!route) {
        status = 404;
    } else if (!key || strcmp(key, f->key) != 0) {
        status = 401;
        f->bad_key++;
    } else if (!shape) {
        status = 400;
        f->bad_body++;
    } else if (f->fail_next > 0) {
        f->fail_next--;
        status = (unsigned)f->fail_status;
    } else {
        f->shown++;
        memcpy(f->last, text, sizeof f->last);
        f->have_last = 1;
    }
    fake_http_unlock(f->http);
    static const char *const answers[] = {"{\"message\":\"ok\"}", "{\"message\":\"refused\"}"};
    return fake_http_send(c, status, "application/json", answers[status != 200],
                          strlen(answers[status != 200]), NULL, NULL);
}

struct fake_vestaboard *fake_vestaboard_start(const char *key)
{
    struct fake_vestaboard *f = xcalloc(1, sizeof *f);
    f->key = xstrdup(key);
    f->http = fake_http_start("fake_vestaboard", 10, dispatch, f);
    if (!f->http) {
        free(f->key);
        free(f);
        return NULL;
    }
    return f;
}

void fake_vestaboard_stop(struct fake_vestaboard *f)
{
    if (!f)
        return;
    fake_http_stop(f->http);
    free(f->key);
    free(f);
}

const char *fake_vestaboard_url(const struct fake_vestaboard *f)
{
    return fake_http_root(f->http);
}

void fake_vestaboard_counts(struct fake_vestaboard *f, size_t *shown, size_t *bad_key,
                            size_t *bad_body)
{
    fake_http_lock(f->http);
    *shown = f->shown;
    *bad_key = f->bad_key;
    *bad_body = f->bad_body;
    fake_http_unlock(f->http);
}

int fake_vestaboard_last(struct fake_vestaboard *f, char *text, size_t len)
{
    fake_http_lock(f->http);
    int have = f->have_last;
    if (have)
        snprintf(text, len, "%s", f->last);
    fake_http_unlock(f->http);
    return have ? 0 : -1;
}

void fake_vestaboard_fail_next(struct fake_vestaboard *f, int n, int status)
{
    fake_http_lock(f->http);
    f->fail_next = n;
    f->fail_status = status;
    fake_http_unlock(f->http);
}
