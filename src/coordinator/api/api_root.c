/* api_root.c: the two pages that are not about any network: GET /, a links page for staff with a
 * line of links per network, and GET /api/v1/health. Reads the store's network list only. */
#include "api_internal.h"
#include "common/buf.h"
#include "common/util.h"
#include "coordinator/coord/views.h"

#include <stdlib.h>

void api_get_health(struct api *a, struct http_req *req, const struct api_call *call)
{
    (void)call;
    api_reply_json(req, 200,
                   json_pack("{s:s, s:s, s:I}", "status", "ok", "version", PANIC_VERSION,
                             "uptime_s", (json_int_t)((time_mono_ms() - a->started_mono) / 1000)));
}

/* One network's line: its name shown as JSON text, whose escaping also keeps HTML inert once < and
 * & are entities. */
static void root_network_line(struct buf *b, const struct store_network *sn)
{
    long long id = (long long)sn->id;
    char *quoted = view_dump(json_string(sn->name));
    buf_puts(b, "<li>network ");
    for (const char *p = quoted; *p; p++) {
        if (*p == '<')
            buf_puts(b, "&lt;");
        else if (*p == '&')
            buf_puts(b, "&amp;");
        else
            buf_append(b, p, 1);
    }
    free(quoted);
    buf_printf(b,
               ": <a href=/api/v1/networks/%lld/status>status</a> "
               "<a href=/api/v1/networks/%lld/runs/current>current run</a> "
               "<a href=/api/v1/networks/%lld/events>events</a></li>",
               id, id, id);
}

void api_get_root(struct api *a, struct http_req *req, const struct api_call *call)
{
    (void)call;
    struct buf b = BUF_INIT;
    buf_puts(&b, "<!doctype html><html><head><meta charset=utf-8>"
                 "<meta name=viewport content=\"width=device-width\"><title>PANIC!</title>"
                 "<style>body{background:#18181b;color:#d8b4fe;font-family:monospace;"
                 "margin:2em}a{color:#f43f5e}</style></head><body><h1>PANIC!</h1>"
                 "<p>Coordinator " PANIC_VERSION ". API links for staff:</p><ul>"
                 "<li><a href=/api/v1/health>health</a></li>"
                 "<li><a href=/api/v1/models>models</a></li>"
                 "<li><a href=/api/v1/networks>networks</a></li>");
    struct store_network *list = NULL;
    size_t n = 0;
    if (store_network_list(a->store, &list, &n) == 0) {
        for (size_t i = 0; i < n; i++) {
            root_network_line(&b, &list[i]);
            store_network_clear(&list[i]);
        }
        free(list);
    }
    buf_puts(&b, "</ul></body></html>");
    http_reply(req, 200, "text/html; charset=utf-8", b.data, b.len, NULL);
    buf_free(&b);
}
