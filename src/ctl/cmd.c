/* cmd.c: panicctl's request-and-print commands (all but tail). Each builds its path and body,
 * makes one call through request.c (two for status) and prints either the server's JSON (--json) or
 * short human lines. Nothing here talks to curl directly except backup's streaming sink. */
#include "request.h"
#include "common/httpdate.h"
#include "common/proto/display_config_json.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* "0.8 s", "12 s", "9 min 58 s", "2 h 5 min", "3 d 4 h". */
static void fmt_duration(int64_t ms, char *buf, size_t len)
{
    if (ms < 0)
        ms = 0;
    int64_t s = ms / 1000;
    if (ms < 10000)
        snprintf(buf, len, "%.1f s", (double)ms / 1000);
    else if (s < 60)
        snprintf(buf, len, "%" PRId64 " s", s);
    else if (s < 3600)
        snprintf(buf, len, "%" PRId64 " min %" PRId64 " s", s / 60, s % 60);
    else if (s < 86400)
        snprintf(buf, len, "%" PRId64 " h %" PRId64 " min", s / 3600, s % 3600 / 60);
    else
        snprintf(buf, len, "%" PRId64 " d %" PRId64 " h", s / 86400, s % 86400 / 3600);
}

/* RFC 3339 ("2025-01-02T03:04:05.678Z" or with a +hh:mm offset) to wall-clock ms; 0 or -EINVAL.
 * Written out because timegm() is not POSIX. */
static int parse_iso_ms(const char *s, int64_t *out)
{
    int y, mo, d, h, mi, sec, n = 0;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 ||
        mo < 1 || mo > 12 || d < 1 || d > 31)
        return -EINVAL;
    s += n;
    int64_t frac = 0, scale = 1000;
    if (*s == '.') {
        for (s++; *s >= '0' && *s <= '9'; s++) {
            scale /= 10;
            frac += (*s - '0') * scale;
        }
    }
    int64_t offset_s = 0;
    if (*s == '+' || *s == '-') {
        int oh, om;
        if (sscanf(s + 1, "%2d:%2d", &oh, &om) != 2)
            return -EINVAL;
        offset_s = (oh * 3600 + om * 60) * (*s == '-' ? -1 : 1);
    } else if (*s != 'Z' && *s != 'z') {
        return -EINVAL;
    }
    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset_s;
    *out = secs * 1000 + frac;
    return 0;
}

/* A JSON number as an integer, or dflt when it is absent or not a number. */
static int64_t json_int_or(const json_t *j, int64_t dflt)
{
    if (json_is_integer(j))
        return json_integer_value(j);
    if (json_is_real(j))
        return (int64_t)json_real_value(j);
    return dflt;
}

static int bad_answer(struct ctl *c, const char *what)
{
    fprintf(stderr, "panicctl: the coordinator at %s sent %s\n", c->url, what);
    return CTL_REFUSED;
}

/* A json_string for text from the command line, which jansson wants as UTF-8. */
static json_t *arg_string(const char *s)
{
    return utf8_valid(s, strlen(s)) ? json_string(s) : NULL;
}

/* ---- status ---- */

static void print_status(const json_t *st, int64_t id, const char *name)
{
    const char *state = ctl_json_str(st, "state");
    printf("network %" PRId64, id);
    if (name) {
        fputs(" (", stdout);
        ctl_put_clean(stdout, name, 60);
        fputc(')', stdout);
    }
    printf(": %s", state ? state : "unknown");
    int64_t run = json_int_or(json_object_get(st, "run"), -1);
    int64_t seq = json_int_or(json_object_get(st, "seq"), -1);
    if (run >= 0)
        printf("  run %" PRId64, run);
    if (run >= 0 && seq >= 0)
        printf(" seq %" PRId64, seq);
    const char *model = ctl_json_str(st, "model");
    if (model && state && strcmp(state, "processing") == 0)
        printf("  invoking %s", model);
    /* A relative next_in_s, if the server sends one, is immune to the two machines' clocks
     * disagreeing (a Pi without network time has none worth the name). */
    const json_t *next_in = json_object_get(st, "next_in_s");
    int64_t next_at, next_ms = -1;
    if (json_is_number(next_in))
        next_ms = (int64_t)(json_number_value(next_in) * 1000);
    else if (parse_iso_ms(ctl_json_str(st, "next_at"), &next_at) == 0)
        next_ms = MAX(next_at - time_wall_ms(), 0);
    if (next_ms >= 0) {
        char d[32];
        fmt_duration(next_ms, d, sizeof d);
        printf("  next in %s", d);
    }
    fputc('\n', stdout);
    const char *error = ctl_json_str(st, "error");
    if (error) {
        fputs("error: ", stdout);
        ctl_put_clean(stdout, error, 0);
        fputc('\n', stdout);
    }
    int64_t lockout = json_int_or(json_object_get(st, "lockout_remaining_s"), 0);
    if (lockout > 0)
        printf("lockout: ready in %" PRId64 " s\n", lockout);
}

int cmd_status(struct ctl *c, const struct ctl_args *a)
{
    struct ctl_reply net = CTL_REPLY_INIT, st = CTL_REPLY_INIT;
    json_t *network = NULL;
    int64_t id;
    char path[96];
    if (a->npos > 0 && a->network)
        return ctl_usage_error("give the network either as NETWORK_ID or with --network");
    int rc = ctl_network_id(c, a->npos > 0 ? a->pos[0] : a->network, &id, &network);
    if (rc != CTL_OK)
        goto cleanup;
    if (!network && !c->json) {
        /* An explicit id: fetch the network for its name (and a clear 404). */
        snprintf(path, sizeof path, "/api/v1/networks/%" PRId64, id);
        rc = ctl_call(c, "GET", path, NULL, &net);
        if (rc != CTL_OK)
            goto cleanup;
        network = json_incref(net.json);
    }
    snprintf(path, sizeof path, "/api/v1/networks/%" PRId64 "/status", id);
    rc = ctl_call(c, "GET", path, NULL, &st);
    if (rc != CTL_OK)
        goto cleanup;
    if (c->json)
        ctl_print_raw(&st.raw);
    else if (!json_is_object(st.json))
        rc = bad_answer(c, "a status that is not a JSON object");
    else
        print_status(st.json, id, ctl_json_str(network, "name"));
cleanup:
    json_decref(network);
    ctl_reply_free(&net);
    ctl_reply_free(&st);
    return rc;
}

/* ---- health, models, networks ---- */

int cmd_health(struct ctl *c, const struct ctl_args *a)
{
    (void)a;
    struct ctl_reply r = CTL_REPLY_INIT;
    int rc = ctl_call(c, "GET", "/api/v1/health", NULL, &r);
    if (rc != CTL_OK)
        goto cleanup;
    if (c->json) {
        ctl_print_raw(&r.raw);
        goto cleanup;
    }
    const char *status = ctl_json_str(r.json, "status");
    const char *version = ctl_json_str(r.json, "version");
    json_t *uptime = json_object_get(r.json, "uptime_s");
    printf("%s: %s", c->url, status ? status : "unknown");
    if (version)
        printf("  version %s", version);
    if (json_is_number(uptime)) {
        char d[32];
        fmt_duration((int64_t)(json_number_value(uptime) * 1000), d, sizeof d);
        printf("  up %s", d);
    }
    fputc('\n', stdout);
    if (!status || strcmp(status, "ok") != 0)
        rc = CTL_REFUSED;
cleanup:
    ctl_reply_free(&r);
    return rc;
}

int cmd_models(struct ctl *c, const struct ctl_args *a)
{
    (void)a;
    struct ctl_reply r = CTL_REPLY_INIT;
    int rc = ctl_call(c, "GET", "/api/v1/models", NULL, &r);
    if (rc != CTL_OK)
        goto cleanup;
    if (c->json) {
        ctl_print_raw(&r.raw);
        goto cleanup;
    }
    json_t *models = json_object_get(r.json, "models"), *m;
    size_t i;
    if (!json_is_array(models)) {
        rc = bad_answer(c, "no list of models");
        goto cleanup;
    }
    int wid = 2, wplat = 8, wio = 13; /* the headings' widths */
    json_array_foreach(models, i, m)
    {
        const char *id = ctl_json_str(m, "id"), *plat = ctl_json_str(m, "platform");
        const char *in = ctl_json_str(m, "input"), *out = ctl_json_str(m, "output");
        wid = MAX(wid, (int)strlen(id ? id : "?"));
        wplat = MAX(wplat, (int)strlen(plat ? plat : "?"));
        wio = MAX(wio, (int)(strlen(in ? in : "?") + strlen(out ? out : "?") + 2));
    }
    printf("%-*s  %-*s  %-*s  %s\n", wid, "ID", wplat, "PLATFORM", wio, "INPUT->OUTPUT",
           "AVAILABLE");
    json_array_foreach(models, i, m)
    {
        const char *id = ctl_json_str(m, "id"), *plat = ctl_json_str(m, "platform");
        const char *in = ctl_json_str(m, "input"), *out = ctl_json_str(m, "output");
        json_t *avail = json_object_get(m, "available");
        char io[128];
        snprintf(io, sizeof io, "%s->%s", in ? in : "?", out ? out : "?");
        printf("%-*s  %-*s  %-*s  %s", wid, id ? id : "?", wplat, plat ? plat : "?", wio, io,
               json_is_boolean(avail) ? (json_is_true(avail) ? "yes" : "no") : "?");
        /* Why it cannot run is what a new installer needs next (a key to set, an engine to
         * install), and the description what the id alone does not say. */
        const char *why = ctl_json_str(m, "unavailable_reason");
        const char *desc = ctl_json_str(m, "description");
        if (why && !json_is_true(avail)) {
            fputs(": ", stdout);
            ctl_put_clean(stdout, why, 200);
        }
        fputc('\n', stdout);
        if (desc && *desc) {
            fputs("    ", stdout);
            ctl_put_clean(stdout, desc, 300);
            fputc('\n', stdout);
        }
    }
cleanup:
    ctl_reply_free(&r);
    return rc;
}

int cmd_networks(struct ctl *c, const struct ctl_args *a)
{
    (void)a;
    struct ctl_reply r = CTL_REPLY_INIT;
    int rc = ctl_call(c, "GET", "/api/v1/networks", NULL, &r);
    if (rc != CTL_OK)
        goto cleanup;
    if (c->json) {
        ctl_print_raw(&r.raw);
        goto cleanup;
    }
    json_t *nets = json_object_get(r.json, "networks"), *n, *m;
    size_t i, k;
    if (!json_is_array(nets)) {
        rc = bad_answer(c, "no list of networks");
        goto cleanup;
    }
    if (json_array_size(nets) == 0)
        puts("no networks");
    int wname = 1, wslug = 1;
    json_array_foreach(nets, i, n)
    {
        const char *name = ctl_json_str(n, "name"), *slug = ctl_json_str(n, "slug");
        wname = MAX(wname, (int)strlen(name ? name : ""));
        wslug = MAX(wslug, (int)strlen(slug ? slug : ""));
    }
    wname = MIN(wname, 40);
    json_array_foreach(nets, i, n)
    {
        const char *name = ctl_json_str(n, "name");
        const char *slug = ctl_json_str(n, "slug");
        printf("%3" PRId64 "  %-*s  %-*s  ", json_int_or(json_object_get(n, "id"), 0), wslug,
               slug ? slug : "-", wname, name ? name : "");
        json_array_foreach(json_object_get(n, "models"), k, m)
            printf("%s%s", k ? " -> " : "", json_is_string(m) ? json_string_value(m) : "?");
        printf("  (lockout %" PRId64 " s)\n",
               json_int_or(json_object_get(n, "lockout_seconds"), 0));
    }
cleanup:
    ctl_reply_free(&r);
    return rc;
}

/* ---- displays ---- */

/* A number member rounded, then unit ("-" when absent or null). */
static void fmt_num(const json_t *o, const char *key, const char *unit, char *buf, size_t len)
{
    const json_t *v = json_object_get(o, key);
    if (json_is_number(v))
        snprintf(buf, len, "%.0f%s", json_number_value(v), unit);
    else
        snprintf(buf, len, "-");
}

int cmd_displays(struct ctl *c, const struct ctl_args *a)
{
    (void)a;
    struct ctl_reply r = CTL_REPLY_INIT;
    int rc = ctl_call(c, "GET", "/api/v1/displays", NULL, &r);
    if (rc != CTL_OK)
        goto cleanup;
    if (c->json) {
        ctl_print_raw(&r.raw);
        goto cleanup;
    }
    json_t *list = json_object_get(r.json, "displays"), *d;
    size_t i;
    if (!json_is_array(list)) {
        rc = bad_answer(c, "no list of displays");
        goto cleanup;
    }
    if (json_array_size(list) == 0) {
        puts("no displays");
        goto cleanup;
    }
    int wname = 4;
    json_array_foreach(list, i, d)
    {
        const char *name = ctl_json_str(d, "name");
        wname = MAX(wname, (int)strlen(name ? name : ""));
    }
    wname = MIN(wname, 40);
    printf("%-*s  %7s  %-7s  %-7s  %9s  %5s  %6s  %-8s  %s\n", wname, "NAME", "NETWORK", "STATE",
           "HEALTH", "LAST SEEN", "FPS", "TEMP", "VERSION", "PROBLEMS");
    json_array_foreach(list, i, d)
    {
        const char *name = ctl_json_str(d, "name"), *state = ctl_json_str(d, "state");
        const char *health = ctl_json_str(d, "health"), *why = ctl_json_str(d, "problems");
        const json_t *hb = json_object_get(d, "heartbeat");
        const char *version = ctl_json_str(hb, "version");
        char seen[32] = "never", fps[16], temp[16];
        const json_t *ago = json_object_get(d, "last_seen_s");
        if (json_is_number(ago)) {
            char dur[24];
            fmt_duration((int64_t)(json_number_value(ago) * 1000), dur, sizeof dur);
            snprintf(seen, sizeof seen, "%s", dur);
        }
        fmt_num(hb, "fps", "", fps, sizeof fps);
        fmt_num(hb, "cpu_temp_c", " C", temp, sizeof temp);
        printf("%-*.*s  %7" PRId64 "  %-7s  %-7s  %9s  %5s  %6s  %-8s  ", wname, wname,
               name ? name : "?", json_int_or(json_object_get(d, "network"), 0),
               state ? state : "?", health ? health : "?", seen, fps, temp,
               version ? version : "-");
        ctl_put_clean(stdout, why ? why : "", 80);
        fputc('\n', stdout);
    }
cleanup:
    ctl_reply_free(&r);
    return rc;
}

/* ---- network create / delete ---- */

static int network_create(struct ctl *c, const struct ctl_args *a)
{
    struct ctl_reply r = CTL_REPLY_INIT;
    json_t *body = NULL, *models = json_array(), *name = NULL;
    int64_t lockout = 0;
    int rc = CTL_OK;
    if (a->npos < 3) {
        rc = ctl_usage_error("network create needs a NAME and at least one MODEL");
        goto cleanup;
    }
    if (a->lockout && parse_int64(a->lockout, 0, INT32_MAX, &lockout) < 0) {
        rc = ctl_usage_error("--lockout wants whole seconds, not '%s'", a->lockout);
        goto cleanup;
    }
    name = arg_string(a->pos[1]);
    for (int i = 2; i < a->npos; i++) {
        json_t *m = arg_string(a->pos[i]);
        if (!m || !name) {
            json_decref(m);
            rc = ctl_usage_error("names must be UTF-8 text");
            goto cleanup;
        }
        json_array_append_new(models, m);
    }
    body = json_object();
    json_object_set(body, "name", name);
    json_object_set(body, "models", models);
    if (a->lockout)
        json_object_set_new(body, "lockout_seconds", json_integer(lockout));
    if (a->slug)
        json_object_set_new(body, "slug", json_string(a->slug)); /* panicd checks it */
    rc = ctl_call(c, "POST", "/api/v1/networks", body, &r);
    if (rc != CTL_OK)
        goto cleanup;
    if (c->json)
        ctl_print_raw(&r.raw);
    else if (!json_is_integer(json_object_get(r.json, "id")))
        rc = bad_answer(c, "no id for the new network");
    else {
        printf("created network %" JSON_INTEGER_FORMAT,
               json_integer_value(json_object_get(r.json, "id")));
        if (ctl_json_str(r.json, "slug")) {
            fputs(" (slug ", stdout);
            ctl_put_clean(stdout, ctl_json_str(r.json, "slug"), 60);
            fputc(')', stdout);
        }
        fputc('\n', stdout);
    }
cleanup:
    json_decref(name);
    json_decref(models);
    json_decref(body);
    ctl_reply_free(&r);
    return rc;
}

static int network_delete(struct ctl *c, const struct ctl_args *a)
{
    struct ctl_reply r = CTL_REPLY_INIT;
    int64_t id;
    char path[64];
    if (a->npos != 2)
        return ctl_usage_error("network delete needs one network ID or slug");
    if (a->lockout)
        return ctl_usage_error("--lockout is for network create");
    if (a->slug)
        return ctl_usage_error("--slug is for network create");
    int rc = ctl_network_id(c, a->pos[1], &id, NULL);
    if (rc != CTL_OK)
        return rc;
    snprintf(path, sizeof path, "/api/v1/networks/%" PRId64, id);
    rc = ctl_call(c, "DELETE", path, NULL, &r);
    if (rc == CTL_OK && c->json)
        ctl_print_raw(&r.raw);
    else if (rc == CTL_OK)
        printf("deleted network %" PRId64 "\n", id);
    ctl_reply_free(&r);
    return rc;
}

int cmd_network(struct ctl *c, const struct ctl_args *a)
{
    const char *sub = a->npos > 0 ? a->pos[0] : "";
    if (strcmp(sub, "create") == 0)
        return network_create(c, a);
    if (strcmp(sub, "delete") == 0)
        return network_delete(c, a);
    return ctl_usage_error("network wants 'create' or 'delete'");
}

/* ---- display show / set ---- */

/* "key: value" lines in the server's order, values aligned. */
static void print_fields(const json_t *obj)
{
    const char *key;
    json_t *v;
    int w = 0;
    json_object_foreach((json_t *)obj, key, v) w = MAX(w, (int)strlen(key) + 1);
    json_object_foreach((json_t *)obj, key, v)
    {
        printf("%s:%*s", key, w - (int)strlen(key), "");
        if (json_is_string(v))
            ctl_put_clean(stdout, json_string_value(v), 0);
        else if (json_is_boolean(v))
            fputs(json_is_true(v) ? "yes" : "no", stdout);
        else if (json_is_integer(v))
            printf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
        else if (json_is_real(v))
            printf("%g", json_real_value(v));
        else if (json_is_null(v))
            fputs("-", stdout);
        else
            json_dumpf(v, stdout, JSON_COMPACT);
        fputc('\n', stdout);
    }
}

/* KEY=VALUE words into the display object, each value checked and typed as panicd will
 * (common/proto), so a typo is refused here with the reason; CTL_OK or a usage error. The rules
 * across keys (offset < stride) are panicd's: it applies the words onto the stored config. */
static int display_body(const struct ctl_args *a, json_t *body)
{
    for (int i = 2; i < a->npos; i++) {
        const char *pair = a->pos[i], *eq = strchr(pair, '=');
        if (!eq || eq == pair)
            return ctl_usage_error("display set wants KEY=VALUE, not '%s'", pair);
        char *key = xstrndup(pair, (size_t)(eq - pair));
        if (!strcmp(key, "vestaboard_key")) { /* a credential: panicd keeps it apart */
            json_object_set_new(body, key, json_string(eq + 1));
            free(key);
            continue;
        }
        struct display_config one = display_config_default();
        char err[PANIC_ERR_LEN];
        int64_t num;
        if (!strcmp(key, "network") && eq[1] && parse_int64(eq + 1, 0, INT64_MAX, &num) < 0) {
            /* A slug: panicd looks it up (and refuses one it does not know). */
            json_object_set_new(body, key, json_string(eq + 1));
            free(key);
            continue;
        }
        int rc = display_config_set(&one, key, eq + 1, err, sizeof err);
        if (rc == 0)
            json_object_set_new(body, key, display_field_to_json(&one, display_field_find(key)));
        free(key);
        if (rc < 0)
            return ctl_usage_error("display set: %s", err);
    }
    return CTL_OK;
}

int cmd_display(struct ctl *c, const struct ctl_args *a)
{
    struct ctl_reply r = CTL_REPLY_INIT;
    json_t *body = NULL;
    char *name = NULL, *path = NULL;
    const char *sub = a->npos > 0 ? a->pos[0] : "";
    int set = strcmp(sub, "set") == 0;
    int rc = CTL_OK;
    if (!set && strcmp(sub, "show") != 0)
        return ctl_usage_error("display wants 'show' or 'set'");
    if ((set ? a->npos < 3 : a->npos != 2) || !a->pos[1][0])
        return ctl_usage_error(set ? "display set needs NAME and KEY=VALUE..."
                                   : "display show needs one NAME");
    name = ctl_http_escape(c->http, a->pos[1]);
    path = xasprintf("/api/v1/displays/%s", name);
    if (set) {
        body = json_object();
        rc = display_body(a, body);
        if (rc != CTL_OK)
            goto cleanup;
    }
    rc = ctl_call(c, set ? "PUT" : "GET", path, body, &r);
    if (rc != CTL_OK)
        goto cleanup;
    if (c->json)
        ctl_print_raw(&r.raw);
    else if (json_is_object(r.json))
        print_fields(r.json);
    else if (set)
        printf("updated display %s\n", a->pos[1]);
    else
        rc = bad_answer(c, "a display that is not a JSON object");
cleanup:
    json_decref(body);
    free(path);
    free(name);
    ctl_reply_free(&r);
    return rc;
}

/* ---- prompt, stop ---- */

int cmd_prompt(struct ctl *c, const struct ctl_args *a)
{
    struct ctl_reply r = CTL_REPLY_INIT;
    struct buf text = BUF_INIT;
    json_t *body = NULL, *prompt;
    char path[96];
    int64_t id;
    int rc;
    if (a->npos == 0)
        return ctl_usage_error("prompt needs TEXT");
    for (int i = 0; i < a->npos; i++) {
        if (i)
            buf_puts(&text, " ");
        buf_puts(&text, a->pos[i]);
    }
    prompt = arg_string(text.data);
    if (!prompt) {
        rc = ctl_usage_error("the prompt must be UTF-8 text");
        goto cleanup;
    }
    body = json_pack("{s:o}", "prompt", prompt);
    rc = ctl_network_id(c, a->network, &id, NULL);
    if (rc != CTL_OK)
        goto cleanup;
    snprintf(path, sizeof path, "/api/v1/networks/%" PRId64 "/runs", id);
    rc = ctl_call(c, "POST", path, body, &r);
    if (rc != CTL_OK)
        goto cleanup;
    if (c->json)
        ctl_print_raw(&r.raw);
    else if (!json_is_integer(json_object_get(r.json, "run")))
        rc = bad_answer(c, "no run number");
    else
        printf("started run %" JSON_INTEGER_FORMAT "\n",
               json_integer_value(json_object_get(r.json, "run")));
cleanup:
    json_decref(body);
    buf_free(&text);
    ctl_reply_free(&r);
    return rc;
}

/* stop --all: every network, every call in flight. */
static int stop_all(struct ctl *c)
{
    struct ctl_reply r = CTL_REPLY_INIT;
    int rc = ctl_call(c, "POST", "/api/v1/stop", NULL, &r);
    if (rc == CTL_OK && c->json)
        ctl_print_raw(&r.raw);
    else if (rc == CTL_OK)
        printf("stopped %" PRId64 " running network(s) of %zu\n",
               json_int_or(json_object_get(r.json, "stopped"), 0),
               json_array_size(json_object_get(r.json, "networks")));
    ctl_reply_free(&r);
    return rc;
}

int cmd_stop(struct ctl *c, const struct ctl_args *a)
{
    if (a->all && a->network)
        return ctl_usage_error("stop takes either --all or --network");
    if (a->all)
        return stop_all(c);
    struct ctl_reply r = CTL_REPLY_INIT;
    char path[96];
    int64_t id;
    int rc = ctl_network_id(c, a->network, &id, NULL);
    if (rc != CTL_OK)
        goto cleanup;
    snprintf(path, sizeof path, "/api/v1/networks/%" PRId64 "/stop", id);
    rc = ctl_call(c, "POST", path, NULL, &r);
    if (rc == CTL_OK && c->json)
        ctl_print_raw(&r.raw);
    else if (rc == CTL_OK && json_is_false(json_object_get(r.json, "stopped")))
        printf("nothing was running on network %" PRId64 "\n", id);
    else if (rc == CTL_OK)
        printf("stopped the run on network %" PRId64 "\n", id);
cleanup:
    ctl_reply_free(&r);
    return rc;
}

/* ---- press ---- */

/* This host's name up to the first dot, which is how a display Pi is usually named. */
static int host_display_name(char *buf, size_t len)
{
    if (gethostname(buf, len) < 0)
        return -1;
    buf[len - 1] = '\0';
    buf[strcspn(buf, ".")] = '\0';
    return 0;
}

int cmd_press(struct ctl *c, const struct ctl_args *a)
{
    struct ctl_reply r = CTL_REPLY_INIT;
    char host[256];
    const char *name = a->display;
    if (!name) {
        if (host_display_name(host, sizeof host) < 0)
            return ctl_usage_error("cannot tell this host's name; give --display NAME");
        name = host;
    }
    json_t *body = json_pack("{s:s, s:b}", "display", utf8_valid(name, strlen(name)) ? name : "?",
                             "long", a->long_press);
    int rc = ctl_call(c, "POST", "/api/v1/panic", body, &r);
    json_decref(body);
    if (rc != CTL_OK)
        goto cleanup;
    if (c->json) {
        ctl_print_raw(&r.raw);
    } else if (a->long_press) {
        int64_t net = json_int_or(json_object_get(r.json, "network"), 0);
        if (json_is_true(json_object_get(r.json, "stopped")))
            printf("long press on %s: stopped the run on network %" PRId64 "\n", name, net);
        else
            printf("long press on %s: nothing was running on network %" PRId64 "\n", name, net);
    } else if (!json_is_integer(json_object_get(r.json, "run"))) {
        rc = bad_answer(c, "no run number");
    } else {
        printf("press on %s: started run %" JSON_INTEGER_FORMAT " on network %" PRId64 ": ", name,
               json_integer_value(json_object_get(r.json, "run")),
               json_int_or(json_object_get(r.json, "network"), 0));
        const char *prompt = ctl_json_str(r.json, "prompt");
        ctl_put_clean(stdout, prompt ? prompt : "", 200);
        fputc('\n', stdout);
    }
cleanup:
    ctl_reply_free(&r);
    return rc;
}

/* ---- backup ---- */

struct backup {
    int fd;
    int created; /* the .part file is ours to remove on failure */
    int64_t bytes;
    int err; /* errno of a failed write */
    unsigned char head[16];
};

static int backup_sink(void *user, const char *data, size_t len)
{
    struct backup *b = user;
    for (size_t i = 0; i < len && b->bytes + (int64_t)i < 16; i++)
        b->head[b->bytes + (int64_t)i] = (unsigned char)data[i];
    while (len > 0) {
        ssize_t n = write(b->fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            b->err = errno;
            return -1;
        }
        data += n, len -= (size_t)n;
        b->bytes += n;
    }
    return 0;
}

/* So the rename itself survives a power cut. Best effort: some file systems refuse. */
static void fsync_parent(const char *file)
{
    const char *slash = strrchr(file, '/');
    char *dir = slash ? xstrndup(file, slash == file ? 1 : (size_t)(slash - file)) : xstrdup(".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
}

int cmd_backup(struct ctl *c, const struct ctl_args *a)
{
    char err[PANIC_ERR_LEN];
    struct ctl_http_resp resp = {0, BUF_INIT, 0};
    struct backup b = {.fd = -1};
    char *part = NULL;
    int rc;
    if (a->npos != 1 || !a->pos[0][0])
        return ctl_usage_error("backup needs one FILE");
    const char *file = a->pos[0];
    part = xasprintf("%s.part", file);
    /* 0600: the database holds the platform API keys. */
    b.fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (b.fd < 0) {
        fprintf(stderr, "panicctl: %s: %s\n", part, strerror(errno));
        rc = CTL_CANTCREAT;
        goto cleanup;
    }
    b.created = 1;
    struct ctl_http_req req = {.method = "GET",
                               .path = "/api/v1/backup",
                               .accept = "application/vnd.sqlite3, application/octet-stream",
                               .timeout_ms = CTL_TIMEOUT_MS,
                               .sink = backup_sink,
                               .user = &b};
    int hrc = ctl_http_do(c->http, &req, &resp, err, sizeof err);
    if (b.err) {
        fprintf(stderr, "panicctl: %s: %s\n", part, strerror(b.err));
        rc = CTL_CANTCREAT;
        goto cleanup;
    }
    if (hrc < 0) {
        rc = ctl_report_transport(c, hrc, err);
        goto cleanup;
    }
    if (resp.status < 200 || resp.status > 299) {
        rc = ctl_report_http(c, resp.status, &resp.body);
        goto cleanup;
    }
    if (b.bytes < 16 || memcmp(b.head, "SQLite format 3", 16) != 0) {
        rc = bad_answer(c, "a backup that is not an SQLite database");
        goto cleanup;
    }
    int fsync_rc = fsync(b.fd), close_rc = close(b.fd);
    b.fd = -1;
    if (fsync_rc < 0 || close_rc < 0) {
        fprintf(stderr, "panicctl: %s: %s\n", part, strerror(errno));
        rc = CTL_CANTCREAT;
        goto cleanup;
    }
    if (rename(part, file) < 0) {
        fprintf(stderr, "panicctl: %s: %s\n", file, strerror(errno));
        rc = CTL_CANTCREAT;
        goto cleanup;
    }
    fsync_parent(file);
    rc = CTL_OK;
    if (c->json) {
        json_t *j =
            json_pack("{s:s?, s:I, s:[s]}", "file", utf8_valid(file, strlen(file)) ? file : NULL,
                      "bytes", (json_int_t)b.bytes, "omitted", "platform_keys");
        json_dumpf(j, stdout, JSON_COMPACT);
        fputc('\n', stdout);
        json_decref(j);
    } else {
        printf("wrote %s (%" PRId64 " bytes)\n", file, b.bytes);
        /* On purpose, and said so: whoever restores it must not be surprised by models that
         * were available before and are not now. */
        puts("the backup leaves out the platform API keys (platform_keys) on purpose: after a "
             "restore, set them again (PUT /api/v1/platforms/NAME/key)");
    }
cleanup:
    if (b.fd >= 0)
        close(b.fd);
    if (rc != CTL_OK && b.created)
        unlink(part);
    free(part);
    buf_free(&resp.body);
    return rc;
}
