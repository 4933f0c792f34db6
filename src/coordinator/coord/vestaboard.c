/* vestaboard.c: the installation's Vestaboards (see vestaboard.h). The text becomes codes and
 * the body in core/vestaboard.c; here the boards are kept (from the store at start, then from
 * the "display" events), each chosen text goes out as one POST through curl_ev (a newer message
 * for a board replaces one still on its way), and the answer is logged. A board's key is a
 * credential like a platform's ("vestaboard-NAME": set through PUT /api/v1/displays/NAME, a
 * systemd credential, or api_key.vestaboard-NAME): looked up per message, wiped after use, never
 * logged. Depends on the coordinator, the store and curl_ev; not on HTTP serving. */
#define _DEFAULT_SOURCE /* explicit_bzero */
#include "vestaboard.h"
#include "common/log.h"
#include "common/proto/display_config_json.h"
#include "common/util.h"
#include "coord_internal.h"
#include "coordinator/core/vestaboard.h"
#include "coordinator/platforms/curl_ev.h"
#include "coordinator/store/store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BOARDS 64

struct board {
    char name[DISPLAY_CONFIG_NAME_MAX + 1];
    struct display_config cfg;
    uint64_t call;    /* the message on its way, 0 if none */
    int64_t sent_run; /* the last run and seq sent (genesis: seq -1), against repeats */
    int64_t sent_seq;
    int warned_no_key;
    struct vestaboards *v;
};

struct vestaboards {
    struct coord *c;
    struct curl_ev *curl;
    struct board *boards[MAX_BOARDS]; /* each its own allocation: a call in flight holds it */
    size_t n;
    long sent, failed;
};

static struct board *find(struct vestaboards *v, const char *name)
{
    for (size_t i = 0; i < v->n; i++)
        if (!strcmp(v->boards[i]->name, name))
            return v->boards[i];
    return NULL;
}

/* A display's config (JSON text) as a board: added, changed, or dropped when it is no longer
 * of kind vestaboard. */
static void take_display(struct vestaboards *v, const char *name, json_t *j)
{
    struct display_config d = display_config_default();
    char err[PANIC_ERR_LEN];
    struct board *b = find(v, name);
    int board =
        j &&
        display_config_from_json(j, &d, DISPLAY_CONFIG_JSON_IGNORE_UNKNOWN, err, sizeof err) == 0 &&
        d.kind == DISPLAY_KIND_VESTABOARD;
    if (!board) {
        for (size_t i = 0; b && i < v->n; i++) {
            if (v->boards[i] != b)
                continue;
            curl_ev_cancel(v->curl, b->call);
            free(b);
            v->boards[i] = v->boards[--v->n];
            log_info("vestaboard board=%s removed", name);
            break;
        }
        return;
    }
    if (!b && v->n == MAX_BOARDS) {
        log_warn("vestaboard board=%s ignored: at most %d boards", name, MAX_BOARDS);
        return;
    }
    if (!b) {
        b = xcalloc(1, sizeof *b);
        *b = (struct board){.v = v, .sent_run = -1};
        snprintf(b->name, sizeof b->name, "%s", name);
        v->boards[v->n++] = b;
    }
    b->cfg = d;
    log_info("vestaboard board=%s url=%s offset=%d stride=%d initial_prompt=%d", name,
             d.vestaboard_url, d.offset, d.stride, d.initial_prompt);
}

static int on_stored(void *user, const char *name, const char *config_json)
{
    json_t *j = json_loads(config_json, 0, NULL);
    take_display(user, name, j);
    json_decref(j);
    return 0;
}

struct vestaboards *vestaboards_new(struct coord *c, struct curl_ev *curl)
{
    struct vestaboards *v = xcalloc(1, sizeof *v);
    v->c = c;
    v->curl = curl;
    c->boards = v; /* the runners ask it how long a board needs (coord.c, op_hold_ms) */
    if (store_display_each(c->store, on_stored, v) < 0)
        log_warn("vestaboard: could not read the displays from the store");
    return v;
}

void vestaboards_free(struct vestaboards *v)
{
    if (!v)
        return;
    v->c->boards = NULL;
    for (size_t i = 0; i < v->n; i++) {
        curl_ev_cancel(v->curl, v->boards[i]->call);
        free(v->boards[i]);
    }
    free(v);
}

void vestaboards_counts(const struct vestaboards *v, long *sent, long *failed)
{
    *sent = v->sent;
    *failed = v->failed;
}

static void on_answer(void *user, const struct http_result *r)
{
    struct board *b = user;
    b->call = 0;
    if (r->outcome == HTTP_OK && r->status >= 200 && r->status < 300) {
        b->v->sent++;
        log_info("vestaboard board=%s message shown status=%ld ms=%ld", b->name, r->status,
                 r->elapsed_ms);
        return;
    }
    b->v->failed++;
    if (r->outcome == HTTP_OK)
        log_warn("vestaboard board=%s refused the message status=%ld%s", b->name, r->status,
                 r->status == 401 || r->status == 403 ? " (is its key right?)" : "");
    else
        log_warn("vestaboard board=%s unreachable: %s (%s)", b->name, http_outcome_name(r->outcome),
                 r->error ? r->error : "");
}

static void send_text(struct vestaboards *v, struct board *b, const char *text)
{
    char name[DISPLAY_CONFIG_NAME_MAX + 16];
    snprintf(name, sizeof name, "vestaboard-%s", b->name);
    const char *key = coord_key_lookup(v->c, name);
    if (!key) {
        if (!b->warned_no_key)
            log_warn("vestaboard board=%s has no key: set vestaboard_key with PUT "
                     "/api/v1/displays/%s, a credential %s, or api_key.%s",
                     b->name, b->name, name, name);
        b->warned_no_key = 1;
        return;
    }
    b->warned_no_key = 0;
    struct vb_board board;
    char body[VB_BODY_MAX], url[DISPLAY_URL_MAX + 32], header[1100];
    vb_layout(text, &board);
    size_t len = vb_body(&board, body, sizeof body);
    size_t ulen = strlen(b->cfg.vestaboard_url);
    while (ulen && b->cfg.vestaboard_url[ulen - 1] == '/')
        ulen--;
    snprintf(url, sizeof url, "%.*s/local-api/message", (int)ulen, b->cfg.vestaboard_url);
    snprintf(header, sizeof header, "X-Vestaboard-Local-Api-Key: %s", key);
    explicit_bzero(v->c->keybuf, sizeof v->c->keybuf);
    const char *headers[] = {header, "Content-Type: application/json", NULL};
    struct http_call call = {.method = "POST",
                             .url = url,
                             .headers = headers,
                             .body = body,
                             .body_len = len,
                             .timeout_ms = 10000,
                             .connect_timeout_ms = 5000,
                             .max_body = 64 * 1024};
    curl_ev_cancel(v->curl, b->call); /* the newer message wins */
    b->call = curl_ev_start(v->curl, &call, on_answer, b);
    explicit_bzero(header, sizeof header);
    if (!b->call) {
        v->failed++;
        log_warn("vestaboard board=%s: could not start the request", b->name);
    }
}

static int board_network(struct vestaboards *v, const struct board *b, int64_t network)
{
    int64_t n = b->cfg.network ? b->cfg.network : coord_first_network(v->c);
    return n == network;
}

/* The text an invocation event offers boards: the genesis prompt while it is invoking, or a
 * completed step's text output. NULL if none. */
static const char *offered(json_t *j, int64_t *seq, int64_t *run, int *genesis)
{
    const char *state = json_string_value(json_object_get(j, "state"));
    json_t *io = NULL;
    *seq = json_integer_value(json_object_get(j, "seq"));
    *run = json_integer_value(json_object_get(j, "run"));
    *genesis = *seq == 0 && state && !strcmp(state, "invoking");
    if (*genesis)
        io = json_object_get(j, "input");
    else if (state && !strcmp(state, "completed") && *seq > 0)
        io = json_object_get(j, "output");
    const char *type = json_string_value(json_object_get(io, "type"));
    return type && !strcmp(type, "text") ? json_string_value(json_object_get(io, "text")) : NULL;
}

static void on_invocation(struct vestaboards *v, int64_t network, json_t *j)
{
    int64_t seq, run;
    int genesis;
    const char *text = offered(j, &seq, &run, &genesis);
    if (!text)
        return;
    for (size_t i = 0; i < v->n; i++) {
        struct board *b = v->boards[i];
        int64_t key_seq = genesis ? -1 : seq;
        if (!board_network(v, b, network) ||
            !vb_takes(b->cfg.offset, b->cfg.stride, b->cfg.initial_prompt, seq, genesis) ||
            (b->sent_run == run && b->sent_seq == key_seq))
            continue;
        b->sent_run = run;
        b->sent_seq = key_seq;
        send_text(v, b, text);
    }
}

void vestaboards_on_event(struct vestaboards *v, int64_t network, const char *type,
                          const char *data)
{
    int inv = !strcmp(type, "invocation");
    if (!v || (!inv && strcmp(type, "display") != 0) || (inv && !v->n))
        return;
    json_t *j = json_loads(data, 0, NULL);
    if (!j)
        return;
    const char *name = json_string_value(json_object_get(j, "name"));
    if (inv)
        on_invocation(v, network, j);
    else if (name)
        take_display(v, name, j);
    json_decref(j);
}

int64_t vestaboards_hold_ms(struct vestaboards *v, int64_t network, int64_t seq, int genesis)
{
    int64_t hold = 0;
    for (size_t i = 0; v && i < v->n; i++) {
        const struct board *b = v->boards[i];
        if (!board_network(v, b, network))
            continue;
        if (genesis && b->cfg.initial_prompt)
            return VESTABOARD_HOLD_MS + VESTABOARD_GENESIS_EXTRA_MS;
        if (!genesis && vb_takes(b->cfg.offset, b->cfg.stride, 0, seq, 0))
            hold = VESTABOARD_HOLD_MS;
    }
    return hold;
}
