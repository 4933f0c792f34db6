/* api_login.c: staff log in from a browser. POST /login takes the admin token from a form
 * (application/x-www-form-urlencoded, field admin_token), compares it in constant time and on a
 * match sets a session cookie: a random id (32 bytes from getrandom) that the api remembers for
 * 12 hours in memory (core/session.c), never the token itself; HttpOnly, SameSite=Strict, Path=/.
 * POST /logout forgets the session and clears the cookie. Wrong tokens count against the caller's
 * address (core/ratelimit.c); over the limit every login from it is 429 until it cools down. The
 * router takes the cookie as the admin role only on routes flagged API_STAFF_COOKIE (the staff
 * page). Nothing here logs a token or a session id. */
#include "api_internal.h"
#include "common/log.h"
#include "common/util.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>

/* The session cookie with its attributes; an empty value with Max-Age=0 clears it. */
#define COOKIE_ATTRS "; HttpOnly; SameSite=Strict; Path=/; Max-Age="

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The value of field name in a form-encoded body, decoded ('+' a space, %XX a byte) into out: 0,
 * or -1 if it is absent, malformed, holds a NUL or does not fit. */
static int form_value(const char *body, size_t len, const char *name, char *out, size_t outlen)
{
    size_t nlen = strlen(name);
    for (size_t i = 0; i < len;) {
        size_t end = i;
        while (end < len && body[end] != '&')
            end++;
        if (end - i > nlen && body[i + nlen] == '=' && !memcmp(body + i, name, nlen)) {
            size_t o = 0;
            for (size_t k = i + nlen + 1; k < end; k++) {
                int c = (unsigned char)body[k];
                if (c == '+') {
                    c = ' ';
                } else if (c == '%') {
                    int hi = k + 2 < end ? hexval(body[k + 1]) : -1;
                    int lo = hi >= 0 ? hexval(body[k + 2]) : -1;
                    if (lo < 0)
                        return -1;
                    c = hi * 16 + lo;
                    k += 2;
                }
                if (c == 0 || o + 1 >= outlen)
                    return -1;
                out[o++] = (char)c;
            }
            out[o] = '\0';
            return 0;
        }
        i = end + 1;
    }
    return -1;
}

/* The session id from the Cookie header ("a=b; panic_staff=ID; c=d") into id: 0, or -1. */
static int cookie_session(struct http_req *req, char *id, size_t len)
{
    const char *h = http_req_header(req, "Cookie");
    const size_t nlen = strlen(API_STAFF_COOKIE_NAME);
    for (const char *p = h; p && *p;) {
        while (*p == ' ' || *p == ';')
            p++;
        size_t n = strcspn(p, ";");
        if (n > nlen && p[nlen] == '=' && !strncmp(p, API_STAFF_COOKIE_NAME, nlen)) {
            size_t v = n - nlen - 1;
            while (v && p[nlen + v] == ' ')
                v--;
            if (v >= len)
                return -1;
            memcpy(id, p + nlen + 1, v);
            id[v] = '\0';
            return 0;
        }
        p += n;
    }
    return -1;
}

int api_staff_cookie(struct api *a, struct http_req *req)
{
    char id[STAFF_SESSION_ID_LEN + 2];
    return cookie_session(req, id, sizeof id) == 0 &&
           staff_sessions_valid(&a->sessions, id, time_mono_ms());
}

/* A new session id (lower-case hex of 32 random bytes) into id: 0, or -1 if the kernel has none. */
static int new_session_id(char id[STAFF_SESSION_ID_LEN + 1])
{
    unsigned char raw[STAFF_SESSION_ID_LEN / 2];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
        return -1;
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(id + 2 * i, 3, "%02x", raw[i]);
    return 0;
}

void api_post_login(struct api *a, struct http_req *req, const struct api_call *call)
{
    (void)call;
    char ip[64];
    if (http_req_client_ip(req, ip, sizeof ip) < 0)
        snprintf(ip, sizeof ip, "?");
    int64_t now = time_mono_ms(), retry_ms = 0;
    if (!ratelimit_peek(a->login_limit, ip, now, &retry_ms)) {
        char retry[24], msg[160];
        snprintf(retry, sizeof retry, "%lld", (long long)((retry_ms + 999) / 1000));
        snprintf(msg, sizeof msg, "Too many wrong tokens from your address: try again in %s s.",
                 retry);
        const char *h[] = {"Retry-After", retry, "Cache-Control", "no-store", NULL};
        api_staff_page(a, req, 429, 0, 0, msg, h);
        return;
    }
    size_t len;
    const char *body = http_req_body(req, &len);
    char tok[512];
    if (form_value(body, len, "admin_token", tok, sizeof tok) < 0 || !tok[0] ||
        !secret_equal(tok, a->admin_token)) {
        ratelimit_take(a->login_limit, ip, now, NULL);
        log_info("api: a failed staff login from %s", ip);
        api_staff_page(a, req, 401, 0, 0,
                       "That is not the admin token (STATE_DIR/admin.token on the coordinator).",
                       NULL);
        return;
    }
    char id[STAFF_SESSION_ID_LEN + 1];
    if (new_session_id(id) < 0) {
        api_staff_page(a, req, 503, 0, 0, "No random numbers to make a session: try again.", NULL);
        return;
    }
    staff_sessions_add(&a->sessions, id, now);
    log_info("api: staff logged in from %s", ip);
    char cookie[160];
    snprintf(cookie, sizeof cookie, "%s=%s" COOKIE_ATTRS "%lld", API_STAFF_COOKIE_NAME, id,
             (long long)(STAFF_SESSION_MS / 1000));
    const char *h[] = {"Set-Cookie", cookie, "Location", "/", "Cache-Control", "no-store", NULL};
    static const char text[] = "logged in: see /\n";
    http_reply(req, 303, "text/plain; charset=utf-8", text, sizeof text - 1, h);
}

void api_post_logout(struct api *a, struct http_req *req, const struct api_call *call)
{
    (void)call;
    char id[STAFF_SESSION_ID_LEN + 2];
    if (cookie_session(req, id, sizeof id) == 0)
        staff_sessions_remove(&a->sessions, id);
    const char *h[] = {"Set-Cookie",
                       API_STAFF_COOKIE_NAME "=" COOKIE_ATTRS "0",
                       "Location",
                       "/",
                       "Cache-Control",
                       "no-store",
                       NULL};
    static const char text[] = "logged out: see /\n";
    http_reply(req, 303, "text/plain; charset=utf-8", text, sizeof text - 1, h);
}
