/* api_root.c: the two pages that are not about any network: GET /, the staff page (each network
 * with its state, slug, links, the displays showing it with their health, and for an admin or
 * device caller, or a browser logged in as staff (api_login.c), its phone link as a QR code; for
 * anyone else the login form), and GET /api/v1/health. */
#include "api_internal.h"
#include "common/buf.h"
#include "common/util.h"
#include "coordinator/coord/views.h"
#include "qr_svg.h"

#include <stdio.h>
#include <stdlib.h>

void api_get_health(struct api *a, struct http_req *req, const struct api_call *call)
{
    (void)call;
    api_reply_json(req, 200,
                   json_pack("{s:s, s:s, s:I}", "status", "ok", "version", PANIC_VERSION,
                             "uptime_s", (json_int_t)((time_mono_ms() - a->started_mono) / 1000)));
}

/* Text into HTML (element content or a quoted attribute). */
static void put_html(struct buf *b, const char *s)
{
    for (const char *p = s; *p; p++) {
        if (*p == '<')
            buf_puts(b, "&lt;");
        else if (*p == '>')
            buf_puts(b, "&gt;");
        else if (*p == '&')
            buf_puts(b, "&amp;");
        else if (*p == '"')
            buf_puts(b, "&quot;");
        else
            buf_append(b, p, 1);
    }
}

/* The displays showing network id, from the list api_displays_json made: a table row each. */
static void root_displays(struct buf *b, json_t *displays, int64_t id)
{
    json_t *d;
    size_t i, shown = 0;
    json_array_foreach(displays, i, d)
    {
        if (json_integer_value(json_object_get(d, "network")) != id)
            continue;
        if (!shown++)
            buf_puts(b, "<table><tr><th>display<th>state<th>health<th>last seen</tr>");
        const char *health = json_string_value(json_object_get(d, "health"));
        const char *why = json_string_value(json_object_get(d, "problems"));
        buf_puts(b, "<tr><td>");
        put_html(b, json_string_value(json_object_get(d, "name")));
        buf_printf(b, "<td class=%s>", json_string_value(json_object_get(d, "state")));
        put_html(b, json_string_value(json_object_get(d, "state")));
        buf_puts(b, "<td>");
        put_html(b, health ? health : "");
        if (why && *why) {
            buf_puts(b, ": ");
            put_html(b, why);
        }
        json_t *ago = json_object_get(d, "last_seen_s");
        if (json_is_integer(ago))
            buf_printf(b, "<td>%lld s ago</tr>", (long long)json_integer_value(ago));
        else
            buf_puts(b, "<td>never</tr>");
    }
    buf_puts(b, shown ? "</table>" : "<p>No display shows this network.</p>");
}

/* One network: name, slug, state, links, its displays, and for staff its phone link as a QR code
 * (a fresh visitor token: only for an admin or device caller, like the prompt-url route). */
static void root_network(struct api *a, struct http_req *req, struct buf *b,
                         const struct store_network *sn, json_t *displays, int staff)
{
    long long id = (long long)sn->id;
    char slug[64];
    if (sn->slug)
        snprintf(slug, sizeof slug, "%s", sn->slug);
    else
        snprintf(slug, sizeof slug, "%lld", id);
    struct runner_status st = {0};
    const char *state = coord_status(a->coord, sn->id, &st) == 0 ? runner_state_name(&st) : "?";
    buf_puts(b, "<section><h2>");
    put_html(b, sn->name);
    buf_printf(b, " <small>%s</small></h2><p>network %lld: <b>%s</b>", slug, id, state);
    if (st.run > 0)
        buf_printf(b, ", run %lld seq %lld", (long long)st.run, (long long)st.seq);
    buf_printf(b,
               " &middot; <a href=/api/v1/networks/%s/status>status</a> "
               "<a href=/api/v1/networks/%s/runs/current>current run</a> "
               "<a href=/api/v1/networks/%s/events>events</a></p>",
               slug, slug, slug);
    root_displays(b, displays, sn->id);
    if (staff) {
        char url[512];
        api_prompt_url_as(a, req, sn->id, slug, url, sizeof url, NULL);
        buf_puts(b, "<div class=qr>");
        qr_svg(url, 200, b);
        buf_puts(b, "<br><a href=\"");
        put_html(b, url);
        buf_puts(b, "\">phone link</a> (good for an hour; reload for a fresh one)</div>");
    } else {
        buf_printf(b,
                   "<p>Phone page: /t/%s (its QR code, with a visitor token, is on the "
                   "screens, and here once you log in)</p>",
                   slug);
    }
    buf_puts(b, "</section>");
}

/* The login form (with message above it), or for a browser logged in by cookie the log-out
 * button. Not one "token=" in the page for anyone but staff. */
static void root_login(struct buf *b, int staff, int by_cookie, const char *message)
{
    if (message) {
        buf_puts(b, "<p class=msg>");
        put_html(b, message);
        buf_puts(b, "</p>");
    }
    if (by_cookie)
        buf_puts(b, "<form method=post action=/logout><button>log out</button></form>");
    else if (!staff)
        buf_puts(b, "<form method=post action=/login><label>Log in to show the phone links: "
                    "admin token <input type=password name=admin_token "
                    "autocomplete=current-password required></label> <button>log in</button>"
                    "</form><p><small>(the admin token is STATE_DIR/admin.token on the "
                    "coordinator)</small></p>");
}

void api_staff_page(struct api *a, struct http_req *req, int status, int staff, int by_cookie,
                    const char *message, const char *const *headers)
{
    struct buf b = BUF_INIT;
    buf_puts(&b, "<!doctype html><html><head><meta charset=utf-8>"
                 "<meta name=viewport content=\"width=device-width\"><title>PANIC!</title>"
                 "<style>body{background:#18181b;color:#d8b4fe;font-family:monospace;"
                 "margin:2em}a{color:#f43f5e}section{border-top:1px solid #581c87;"
                 "padding:.5em 0}td,th{padding:0 1em 0 0;text-align:left}.missing{color:#f43f5e}"
                 ".msg{color:#f43f5e}.qr svg{background:#fff}</style></head><body><h1>PANIC!</h1>"
                 "<p>Coordinator " PANIC_VERSION ": <a href=/api/v1/health>health</a> "
                 "<a href=/api/v1/models>models</a> <a href=/api/v1/networks>networks</a> "
                 "<a href=/api/v1/displays>displays</a></p>");
    root_login(&b, staff, by_cookie, message);
    json_t *displays = api_displays_json(a);
    struct store_network *list = NULL;
    size_t n = 0;
    if (store_network_list(a->store, &list, &n) == 0) {
        for (size_t i = 0; i < n; i++) {
            root_network(a, req, &b, &list[i], displays, staff);
            store_network_clear(&list[i]);
        }
        free(list);
    }
    json_decref(displays);
    buf_puts(&b, "</body></html>");
    static const char *const no_store[] = {"Cache-Control", "no-store", NULL};
    http_reply(req, status, "text/html; charset=utf-8", b.data, b.len,
               headers ? headers : no_store);
    buf_free(&b);
}

void api_get_root(struct api *a, struct http_req *req, const struct api_call *call)
{
    int staff = call->who.role == API_ADMIN || call->who.role == API_DEVICE;
    api_staff_page(a, req, 200, staff, call->who.by_cookie, NULL, NULL);
}
