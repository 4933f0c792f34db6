/* config.c: panicd's config keys. One table (specs, below) names every key and family of keys
 * the file may hold with its type, range, default and where it goes; config_set parses by it,
 * config_init fills the defaults from it, and a unit test holds etc/panicd.conf.example to it.
 * Anything else is an error naming the key, so a typo never silently does nothing. Pure: the
 * file is read by common/conf.c, nothing here touches the system. */
#include "config.h"
#include "catalog.h"
#include "common/conf.h"
#include "common/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- checks of text values ---- */

static int no_space_min(const char *value, long long min)
{
    return (long long)strlen(value) >= min && !strchr(value, ' ') && !strchr(value, '\t');
}

static int check_token(const struct config_spec *s, const char *key, const char *value, char *err,
                       size_t errlen)
{
    (void)key;
    if (no_space_min(value, s->min))
        return 0;
    snprintf(err, errlen, "a token must be at least %lld characters with no spaces", s->min);
    return -EINVAL;
}

static int check_secret(const struct config_spec *s, const char *key, const char *value, char *err,
                        size_t errlen)
{
    if (no_space_min(value, s->min))
        return 0;
    snprintf(err, errlen, "%s must be at least %lld characters with no spaces", key, s->min);
    return -EINVAL;
}

static int check_listen(const struct config_spec *s, const char *key, const char *value, char *err,
                        size_t errlen)
{
    (void)s;
    const char *colon = strrchr(value, ':');
    int64_t port;
    if (colon && parse_int64(colon + 1, 0, 65535, &port) == 0)
        return 0;
    snprintf(err, errlen, "%s '%s' must be host:port (port 0-65535)", key, value);
    return -EINVAL;
}

/* state_dir: absolute, or relative to where panicd starts ("./state"). */
static int check_dir(const struct config_spec *s, const char *key, const char *value, char *err,
                     size_t errlen)
{
    (void)s;
    if (value[0] == '/' || value[0] == '.')
        return 0;
    snprintf(err, errlen, "%s must be a path", key);
    return -EINVAL;
}

static int check_nonempty(const struct config_spec *s, const char *key, const char *value,
                          char *err, size_t errlen)
{
    (void)s;
    if (value[0])
        return 0;
    snprintf(err, errlen, "%s must be a path", key);
    return -EINVAL;
}

static int check_absolute(const struct config_spec *s, const char *key, const char *value,
                          char *err, size_t errlen)
{
    (void)s;
    if (value[0] == '/')
        return 0;
    snprintf(err, errlen, "%s must be an absolute path", key);
    return -EINVAL;
}

static int check_http(const struct config_spec *s, const char *key, const char *value, char *err,
                      size_t errlen)
{
    (void)s;
    if (!strncmp(value, "http://", 7) || !strncmp(value, "https://", 8))
        return 0;
    snprintf(err, errlen, "%s must start with http:// or https://", key);
    return -EINVAL;
}

/* An installation's name for mDNS: 1-40 printable characters, no '=' (it goes in a TXT pair). */
static int check_installation(const struct config_spec *s, const char *key, const char *value,
                              char *err, size_t errlen)
{
    size_t n = strlen(value);
    int ok = n >= (size_t)s->min && n <= 40 && !strchr(value, '=');
    for (const unsigned char *p = (const unsigned char *)value; ok && *p; p++)
        ok = *p >= 0x20 && *p != 0x7f;
    if (ok)
        return 0;
    snprintf(err, errlen, "%s must be 1-40 printable characters without '='", key);
    return -EINVAL;
}

/* A bucket or region name: lower-case letters, digits, '-' and '.'. */
static int check_bucket(const struct config_spec *s, const char *key, const char *value, char *err,
                        size_t errlen)
{
    size_t n = strlen(value);
    int ok = n >= (size_t)s->min && n <= 63;
    for (const char *p = value; ok && *p; p++)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.';
    if (ok)
        return 0;
    snprintf(err, errlen, "%s must be %lld-63 lower-case letters, digits, '-' or '.'", key, s->min);
    return -EINVAL;
}

/* An object key prefix: letters, digits and -_./ (no "..", no leading '/'). */
static int check_prefix(const struct config_spec *s, const char *key, const char *value, char *err,
                        size_t errlen)
{
    size_t n = strlen(value);
    int ok = n >= (size_t)s->min && n <= 200 && value[0] != '/' && !strstr(value, "..");
    for (const char *p = value; ok && *p; p++)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
             strchr("-_./", *p);
    if (ok)
        return 0;
    snprintf(err, errlen, "%s may hold letters, digits, '-', '_', '.' and '/' (not first)", key);
    return -EINVAL;
}

/* tv_on, tv_off, tv_days, tv_holidays: the display keys' own rules and words. */
static int check_tv(const struct config_spec *s, const char *key, const char *value, char *err,
                    size_t errlen)
{
    (void)s;
    struct display_config d = display_config_default();
    return display_config_set(&d, key, value, err, errlen);
}

static int parse_usd(const char *value, double *out, char *err, size_t errlen)
{
    char *end;
    double v = strtod(value, &end);
    if (*end || !(v >= 0) || v > 1e6) {
        snprintf(err, errlen, "'%s' is not an amount in USD (0 to 1000000)", value);
        return -EINVAL;
    }
    *out = v;
    return 0;
}

/* ---- families: how a NAME finds (or adds) its entry ---- */

struct config_family {
    const char *what; /* "device": "unknown device setting ..." */
    int (*name_ok)(const char *key, const char *name, char *err, size_t errlen); /* 1: not ours */
    /* Where the NAMEs' entries are: the array and its count (offsetof in struct panicd_config),
     * an entry's size, how many fit, where an entry keeps its NAME: an owned char * (name_len 0)
     * or a char[name_len]. size 0: the family is one struct at list, and set() takes the whole
     * key and splits it itself. */
    size_t list, count, size, max, name_off, name_len;
    size_t line_off; /* where an entry keeps the line that named it first (int); 0: it does not */
    const char *too_many;
    void (*init)(void *entry); /* a new entry, after zeroing and its NAME */
    int (*set)(void *entry, const char *key, const char *field, const char *value, char *err,
               size_t errlen); /* CONFIG_FIELDS */
};

/* NAME's entry, added (with its defaults) if the file has not named it before; NULL if there
 * are too many. */
static void *family_entry(const struct config_family *f, struct panicd_config *cfg,
                          const char *name, char *err, size_t errlen)
{
    char *list = (char *)cfg + f->list;
    if (!f->size)
        return list;
    size_t *count = (size_t *)(void *)((char *)cfg + f->count);
    for (size_t i = 0; i < *count; i++) {
        char *e = list + i * f->size + f->name_off;
        if (!strcmp(f->name_len ? e : *(char **)(void *)e, name))
            return e - f->name_off;
    }
    if (*count == f->max) {
        snprintf(err, errlen, "%s", f->too_many);
        return NULL;
    }
    char *e = list + (*count)++ * f->size;
    memset(e, 0, f->size);
    if (f->name_len)
        snprintf(e + f->name_off, f->name_len, "%s", name);
    else
        *(char **)(void *)(e + f->name_off) = xstrdup(name);
    if (f->line_off)
        *(int *)(void *)(e + f->line_off) = cfg->line;
    if (f->init)
        f->init(e);
    return e;
}

static int dummy_name_ok(const char *key, const char *model, char *err, size_t errlen)
{
    (void)key;
    const struct model_info *m = catalog_find(model);
    if (m && !strcmp(m->platform, "dummy"))
        return 0;
    snprintf(err, errlen, "'%s' is not a dummy model", model);
    return -EINVAL;
}

static void dummy_init(void *entry)
{
    ((struct dummy_model_cfg *)entry)->latency_ms = -1; /* dummy_latency_ms */
}

static int display_name_ok(const char *key, const char *name, char *err, size_t errlen)
{
    (void)key;
    if (display_config_name_valid(name))
        return 0;
    snprintf(err, errlen, "display name '%s' must be 1-63 letters, digits, -, _ or :", name);
    return -EINVAL;
}

static void display_init(void *entry)
{
    ((struct config_display *)entry)->cfg = display_config_default();
}

static int display_set(void *entry, const char *key, const char *field, const char *value,
                       char *err, size_t errlen)
{
    (void)key;
    struct config_display *d = entry;
    /* A network by its slug (never all digits, so never an id) is looked up when panicd seeds
     * the displays. */
    if (!strcmp(field, "network") && slug_valid(value)) {
        snprintf(d->network_slug, sizeof d->network_slug, "%s", value);
        d->cfg.network = 0;
        return 0;
    }
    if (!strcmp(field, "network"))
        d->network_slug[0] = '\0';
    return display_config_set(&d->cfg, field, value, err, errlen);
}

static int price_name_ok(const char *key, const char *model, char *err, size_t errlen)
{
    (void)key;
    (void)err;
    (void)errlen;
    return model[0] ? 0 : 1;
}

static int key_name_ok(const char *key, const char *platform, char *err, size_t errlen)
{
    if (platform[0] && strlen(platform) <= 32)
        return 0;
    snprintf(err, errlen, "'%s' needs a platform name (api_key.openai, ...)", key);
    return -EINVAL;
}

static int openai_set(void *entry, const char *key, const char *field, const char *value, char *err,
                      size_t errlen)
{
    (void)field;
    return openai_config_set(entry, key, value, err, errlen);
}

/* clang-format off */
#define QUOTE_(x) #x
#define QUOTE(x) QUOTE_(x)
#define LIST(array, type, name, cap) \
    .list = offsetof(struct panicd_config, array), .count = offsetof(struct panicd_config, n##array), \
    .size = sizeof(struct type), .max = cap, .name_off = offsetof(struct type, name)
#define NAME_LEN(type, name) .name_len = sizeof(((struct type *)0)->name)
#define LINE(type) .line_off = offsetof(struct type, line)

static const struct config_family device = {
    "device", NULL, LIST(devices, config_device, name, CONFIG_MAX_DEVICES), LINE(config_device),
    .too_many = "too many devices (at most " QUOTE(CONFIG_MAX_DEVICES) ")"};
static const struct config_family dummy = {
    "dummy", dummy_name_ok, LIST(dummy, dummy_model_cfg, model, CONFIG_MAX_DUMMY),
    NAME_LEN(dummy_model_cfg, model), .init = dummy_init,
    .too_many = "too many dummy model settings"};
static const struct config_family display = {
    "display", display_name_ok, LIST(displays, config_display, name, CONFIG_MAX_DISPLAYS),
    NAME_LEN(config_display, name), LINE(config_display), .init = display_init, .set = display_set,
    .too_many = "too many displays (at most " QUOTE(CONFIG_MAX_DISPLAYS) ")"};
static const struct config_family price = {
    "price", price_name_ok, LIST(prices, config_price, model, CONFIG_MAX_PRICES),
    .too_many = "too many prices (at most " QUOTE(CONFIG_MAX_PRICES) ")"};
static const struct config_family api_key = {
    "api key", key_name_ok, LIST(keys, config_key, platform, CONFIG_MAX_KEYS),
    .too_many = "too many api keys (at most " QUOTE(CONFIG_MAX_KEYS) ")"};
static const struct config_family openai = {
    "openai", NULL, .list = offsetof(struct panicd_config, openai), .set = openai_set};
/* clang-format on */

/* ---- the table ---- */

static const struct config_choice deck_orders[] = {{"cycle", 1}, {"shuffle", 0}, {NULL, 0}};
static const struct config_choice log_levels[] = {
    {"err", 3}, {"warn", 4}, {"info", 6}, {"debug", 7}, {NULL, 0}};
static const struct config_choice sync_modes[] = {{"full", 1}, {"normal", 0}, {NULL, 0}};
static const struct config_choice default_networks[] = {{"builtin", 1}, {"dummy", 0}, {NULL, 0}};

/* clang-format off */
#define OFF(field) offsetof(struct panicd_config, field)
#define INT_X(name, lo, hi, scale, def, field) {name, CONFIG_INT, lo, hi, scale, def, OFF(field), NULL, NULL, NULL}
#define INT(name, lo, hi, def, field)  INT_X(name, lo, hi, 1, def, field)
#define STR(name, min, def, field, check) {name, CONFIG_STR, min, 0, 1, def, OFF(field), check, NULL, NULL}
#define ENUM(name, choices, def, field) {name, CONFIG_ENUM, 0, 0, 1, def, OFF(field), NULL, choices, NULL}
#define USD(name, def, field)          {name, CONFIG_USD, 0, 1000000, 1, def, OFF(field), NULL, NULL, NULL}
#define BOOL(name, def, field)         {name, CONFIG_BOOL, 0, 1, 1, def, OFF(field), NULL, NULL, NULL}
/* A family's field goes to offsetof(struct type, field) in the entry the family finds for NAME. */
#define F_INT(name, lo, hi, fam, type, field) {name, CONFIG_INT, lo, hi, 1, NULL, offsetof(struct type, field), NULL, NULL, &fam}
#define F_BOOL(name, fam, type, field) {name, CONFIG_BOOL, 0, 1, 1, NULL, offsetof(struct type, field), NULL, NULL, &fam}
#define F_STR(name, min, fam, type, field, check) {name, CONFIG_STR, min, 0, 1, NULL, offsetof(struct type, field), check, NULL, &fam}
#define F_USD(name, fam, type, field)  {name, CONFIG_USD, 0, 1000000, 1, NULL, offsetof(struct type, field), NULL, NULL, &fam}
#define F_ALL(name, fam)               {name, CONFIG_FIELDS, 0, 0, 1, NULL, 0, NULL, NULL, &fam}

/* A family's NAME has no default: a NAME the file never mentions has no entry (a dummy model's
 * latency_ms falls back to dummy_latency_ms, a display starts from display_config_default). */
static const struct config_spec specs[] = {
    /*     name                          range or choices          default          goes to */
    STR(   "listen",                     1,                        "0.0.0.0:8080",   listen, check_listen),
    STR(   "state_dir",                  1,                        "/var/lib/panic", state_dir, check_dir),
    STR(   "admin_token",                16,                       NULL,             admin_token, check_token),
    STR(   "public_url",                 1,                        NULL,             public_url, check_http),
    STR(   "prompt_deck",                1,                        NULL,             prompt_deck, check_nonempty),
    ENUM(  "prompt_deck_order",          deck_orders,              "shuffle",        prompt_deck_cycle),
    STR(   "visitor_secret",             32,                       NULL,             visitor_secret, check_secret),
    INT(   "visitor_prompts_per_minute", 0, 600,                   "5",              visitor_per_min),
    ENUM(  "log_level",                  log_levels,               "info",           log_level),
    ENUM(  "sqlite_synchronous",         sync_modes,               "full",           sync_full),
    INT(   "lockout_seconds",            0, 86400,                 "30",             lockout_s),
    INT_X( "sse_heartbeat_seconds",      1, 3600, /* ms: */ 1000,  "15",             heartbeat_ms),
    INT(   "events_keep",                100, 100000000,           "20000",          events_keep),
    INT(   "http_connections_per_address", 1, 1000,                "32",             http_per_address),
    INT_X( "http_request_timeout_seconds", 1, 3600, /* ms: */ 1000, "10",            http_request_timeout_ms),
    INT(   "sse_streams_per_address",    1, 1000,                  "8",              sse_per_address),
    INT(   "sse_streams_max",            1, 1000,                  "256",            sse_max),
    INT(   "invoke_attempts",            1, 10,                    "3",              max_attempts),
    INT(   "retry_base_ms",              0, 600000,                "1000",           retry_base_ms),
    INT(   "dummy_latency_ms",           0, 3600000,               "300",            dummy_latency_ms),
    ENUM(  "default_network",            default_networks,         "builtin",        default_builtin),
    INT(   "media_quota_mb",             1, 16 * 1024 * 1024,      "4096",           media_quota_mb),
    INT(   "media_quota_check_seconds",  1, 86400,                 "600",            media_check_s),
    USD(   "budget_usd_per_hour",                                  "0",              budget_usd_per_hour),
    INT_X( "backup_interval_seconds",    0, 31 * 86400, /* ms: */ 1000, "86400",     backup_interval_ms),
    INT(   "backup_keep",                1, 1000,                  "7",              backup_keep),
    STR(   "archive_s3_endpoint",        1,                        NULL,             archive_endpoint, check_http),
    STR(   "archive_s3_bucket",          3,                        NULL,             archive_bucket, check_bucket),
    STR(   "archive_s3_region",          1,                        "us-east-1",      archive_region, check_bucket),
    STR(   "archive_s3_prefix",          1,                        NULL,             archive_prefix, check_prefix),
    STR(   "archive_s3_access_key_id",   1,                        NULL,             archive_key_id, check_secret),
    STR(   "archive_s3_secret_key",      1,                        NULL,             archive_secret, check_secret),
    STR(   "archive_s3_secret_key_file", 1,                        NULL,             archive_secret_file, check_absolute),
    STR(   "installation_name",          1,                        NULL,             installation, check_installation),
    BOOL(  "mdns_announce",                                        "yes",            mdns),
    INT_X( "archive_s3_retry_max_seconds", 1, 86400, /* ms: */ 1000, "300",         archive_retry_max_ms),
    STR(   "replicate_base_url",         1,                        "https://api.replicate.com/v1", replicate_base_url, check_http),
    INT_X( "display_missing_seconds",    1, 86400, /* ms: */ 1000, "30",             display_missing_ms),
    STR(   "tv_on",                      0,                        NULL,             tv_on, check_tv),
    STR(   "tv_off",                     0,                        NULL,             tv_off, check_tv),
    STR(   "tv_days",                    1,                        NULL,             tv_days, check_tv),
    STR(   "tv_holidays",                0,                        NULL,             tv_holidays, check_tv),
    F_STR( "api_key.NAME",               0,                        api_key, config_key, value, NULL),
    F_STR( "api_key_file.NAME",          1,                        api_key, config_key, file, check_absolute),
    F_USD( "price.MODEL",                                          price, config_price, usd),
    F_STR( "device.NAME.token",          16,                       device, config_device, token, check_token),
    F_BOOL("device.NAME.long_press_stop",                          device, config_device, long_press_stop),
    F_INT( "dummy.MODEL.latency_ms",     0, 3600000,               dummy, dummy_model_cfg, latency_ms),
    F_INT( "dummy.MODEL.fail_times",     0, 1000000,               dummy, dummy_model_cfg, fail_times),
    F_BOOL("dummy.MODEL.always_fail",                              dummy, dummy_model_cfg, always_fail),
    F_ALL( "display.NAME.*",                                       display), /* display_config_set */
    F_ALL( "openai_server.NAME.*",                                 openai),  /* openai_config_set */
    F_ALL( "model.ID.*",                                           openai),
};
/* clang-format on */

const struct config_spec *config_specs(size_t *n)
{
    *n = ARRAY_LEN(specs);
    return specs;
}

/* ---- matching a key to its row ---- */

/* A family's name: its prefix up to the upper-case NAME, then ".field" or nothing. */
static size_t prefix_len(const char *pattern)
{
    return strcspn(pattern, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
}

static const char *pattern_field(const char *pattern)
{
    const char *dot = strchr(pattern + prefix_len(pattern), '.');
    return dot ? dot + 1 : NULL;
}

struct key_match {
    const struct config_spec *spec;     /* NULL: a family's shape, but no such field */
    const struct config_family *family; /* NULL: a plain key */
    const char *name;                   /* the family's NAME (points into key or buf) */
    const char *field;                  /* NAME.field: after the last dot */
    char buf[DISPLAY_CONFIG_NAME_MAX + 1];
};

/* The row for key. 0 with m filled (m->spec NULL when only the family is known), -1 if no row
 * or family has the key. NAME.field keys split at the last dot, NAME at most 63 characters. */
static int key_match(const char *key, struct key_match *m)
{
    memset(m, 0, sizeof *m);
    for (size_t i = 0; i < ARRAY_LEN(specs); i++) {
        const struct config_spec *s = &specs[i];
        if (!s->family) {
            if (!strcmp(key, s->name)) {
                m->spec = s;
                return 0;
            }
            continue;
        }
        size_t pl = prefix_len(s->name);
        if (strncmp(key, s->name, pl) != 0)
            continue;
        const char *field = pattern_field(s->name);
        if (!s->family->size || !field) {
            *m = (struct key_match){.spec = s, .family = s->family, .name = key + pl};
            return 0;
        }
        const char *start = key + pl, *dot = strrchr(start, '.');
        if (!dot || dot == start || (size_t)(dot - start) >= sizeof m->buf)
            continue;
        memcpy(m->buf, start, (size_t)(dot - start));
        m->buf[dot - start] = '\0';
        m->name = m->buf;
        m->field = dot + 1;
        m->family = s->family;
        if (!strcmp(field, "*") || !strcmp(field, m->field)) {
            m->spec = s;
            return 0;
        }
    }
    return m->family ? 0 : -1;
}

const struct config_spec *config_spec_find(const char *key)
{
    struct key_match m;
    return key_match(key, &m) == 0 ? m.spec : NULL;
}

/* "unknown device setting 'colour' (token, long_press_stop)": the family's fields, in order. */
static int unknown_field(const struct config_family *f, const char *field, char *err, size_t errlen)
{
    int n = snprintf(err, errlen, "unknown %s setting '%s' (", f->what, field);
    const char *sep = "";
    for (size_t i = 0; i < ARRAY_LEN(specs) && n >= 0 && (size_t)n < errlen; i++) {
        if (specs[i].family != f)
            continue;
        n += snprintf(err + n, errlen - (size_t)n, "%s%s", sep, pattern_field(specs[i].name));
        sep = ", ";
    }
    if (n >= 0 && (size_t)n < errlen)
        snprintf(err + n, errlen - (size_t)n, ")");
    return -EINVAL;
}

/* ---- parsing and storing a value by its type ---- */

union config_value {
    int64_t i;
    int b;
    double usd;
};

static int parse_choice(const struct config_spec *s, const char *key, const char *value, int *out,
                        char *err, size_t errlen)
{
    for (const struct config_choice *c = s->choices; c->name; c++) {
        if (!strcmp(value, c->name)) {
            *out = c->value;
            return 0;
        }
    }
    int n = snprintf(err, errlen, "%s '%s' is not ", key, value);
    for (const struct config_choice *c = s->choices; c->name && n >= 0 && (size_t)n < errlen; c++)
        n += snprintf(err + n, errlen - (size_t)n, "%s%s",
                      c == s->choices ? ""
                      : c[1].name     ? ", "
                                      : " or ",
                      c->name);
    return -EINVAL;
}

static int parse_value(const struct config_spec *s, const char *key, const char *value,
                       union config_value *v, char *err, size_t errlen)
{
    long long n;
    switch (s->type) {
    case CONFIG_INT:
        if (conf_int(value, s->min, s->max, &n, err, errlen) < 0)
            return -EINVAL;
        v->i = (int64_t)n * s->scale;
        return 0;
    case CONFIG_BOOL:
        return conf_bool(value, &v->b, err, errlen);
    case CONFIG_USD:
        return parse_usd(value, &v->usd, err, errlen);
    case CONFIG_ENUM:
        return parse_choice(s, key, value, &v->b, err, errlen);
    case CONFIG_STR:
        return s->check ? s->check(s, key, value, err, errlen) : 0;
    case CONFIG_FIELDS:
        break;
    }
    return 0;
}

static void store_value(const struct config_spec *s, void *base, const union config_value *v,
                        const char *value)
{
    void *slot = (char *)base + s->off;
    switch (s->type) {
    case CONFIG_INT:
        *(int64_t *)slot = v->i;
        break;
    case CONFIG_BOOL:
    case CONFIG_ENUM:
        *(int *)slot = v->b;
        break;
    case CONFIG_USD:
        *(double *)slot = v->usd;
        break;
    case CONFIG_STR:
        free(*(char **)slot);
        *(char **)slot = xstrdup(value);
        break;
    case CONFIG_FIELDS:
        break;
    }
}

int config_set(struct panicd_config *cfg, const char *key, const char *value, char *err,
               size_t errlen)
{
    struct key_match m;
    if (key_match(key, &m) < 0)
        goto unknown;
    const struct config_family *f = m.family;
    int rc = f && f->name_ok ? f->name_ok(key, m.name, err, errlen) : 0;
    if (rc > 0)
        goto unknown;
    if (rc < 0)
        return rc;
    if (!m.spec)
        return unknown_field(f, m.field, err, errlen);
    union config_value v = {0};
    if (parse_value(m.spec, key, value, &v, err, errlen) < 0)
        return -EINVAL;
    void *base = f ? family_entry(f, cfg, m.name, err, errlen) : cfg;
    if (!base)
        return -EINVAL;
    if (m.spec->type == CONFIG_FIELDS)
        return f->set(base, key, m.field, value, err, errlen);
    store_value(m.spec, base, &v, value);
    return 0;
unknown:
    snprintf(err, errlen, "unknown setting '%s'", key);
    return -EINVAL;
}

void config_init(struct panicd_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    openai_config_init(&cfg->openai);
    for (size_t i = 0; i < ARRAY_LEN(specs); i++) {
        char err[PANIC_ERR_LEN];
        if (specs[i].def && config_set(cfg, specs[i].name, specs[i].def, err, sizeof err) < 0) {
            /* A compiled-in default the table itself refuses: a bug, caught by any test. */
            fprintf(stderr, "config: the default of %s: %s\n", specs[i].name, err);
            abort();
        }
    }
}

void config_free(struct panicd_config *cfg)
{
    for (size_t i = 0; i < ARRAY_LEN(specs); i++)
        if (specs[i].type == CONFIG_STR && !specs[i].family)
            free(*(char **)(void *)((char *)cfg + specs[i].off));
    for (size_t i = 0; i < cfg->ndevices; i++) {
        free(cfg->devices[i].name);
        free(cfg->devices[i].token);
    }
    for (size_t i = 0; i < cfg->nkeys; i++) {
        free(cfg->keys[i].platform);
        free(cfg->keys[i].value);
        free(cfg->keys[i].file);
    }
    for (size_t i = 0; i < cfg->nprices; i++)
        free(cfg->prices[i].model);
    openai_config_free(&cfg->openai);
    memset(cfg, 0, sizeof *cfg);
}

double config_price(const struct panicd_config *cfg, const char *model)
{
    for (size_t i = 0; i < cfg->nprices; i++)
        if (!strcmp(cfg->prices[i].model, model))
            return cfg->prices[i].usd;
    return 0;
}

static int on_setting(void *user, int line, const char *key, const char *value, char *err,
                      size_t errlen)
{
    struct panicd_config *cfg = user;
    cfg->line = cfg->openai.line = line;
    int rc = config_set(cfg, key, value, err, errlen);
    if (rc == 0 && !strcmp(key, "prompt_deck"))
        cfg->prompt_deck_line = line;
    cfg->line = cfg->openai.line = 0;
    return rc;
}

int config_load(struct panicd_config *cfg, const char *path, char *err, size_t errlen)
{
    int rc = conf_parse_file_lines(path, on_setting, cfg, err, errlen);
    if (rc < 0)
        return rc;
    /* Checks across lines name the line that named the device or display first. */
    for (size_t i = 0; i < cfg->ndevices; i++) {
        if (!cfg->devices[i].token) {
            snprintf(err, errlen, "%s:%d: device %s has no token (device.%s.token ...)", path,
                     cfg->devices[i].line, cfg->devices[i].name, cfg->devices[i].name);
            return -EINVAL;
        }
    }
    if (cfg->archive_endpoint && !cfg->archive_bucket) {
        snprintf(err, errlen, "%s: archive_s3_endpoint needs archive_s3_bucket", path);
        return -EINVAL;
    }
    struct display_config tv = config_tv_default(cfg);
    if ((tv.tv_on < 0) != (tv.tv_off < 0)) {
        snprintf(err, errlen, "%s: tv_on and tv_off go together: set both times, or neither", path);
        return -EINVAL;
    }
    for (size_t i = 0; i < cfg->ndisplays; i++) {
        char reason[PANIC_ERR_LEN];
        if (display_config_check(&cfg->displays[i].cfg, reason, sizeof reason) < 0) {
            snprintf(err, errlen, "%s:%d: display %s: %s", path, cfg->displays[i].line,
                     cfg->displays[i].name, reason);
            return -EINVAL;
        }
    }
    return 0;
}

struct display_config config_tv_default(const struct panicd_config *cfg)
{
    struct display_config d = display_config_default();
    char err[PANIC_ERR_LEN];
    const char *keys[] = {"tv_on", "tv_off", "tv_days", "tv_holidays"};
    const char *values[] = {cfg->tv_on, cfg->tv_off, cfg->tv_days, cfg->tv_holidays};
    for (size_t i = 0; i < ARRAY_LEN(keys); i++)
        if (values[i]) /* checked when set */
            (void)display_config_set(&d, keys[i], values[i], err, sizeof err);
    return d;
}

const struct dummy_model_cfg *config_dummy(const struct panicd_config *cfg, const char *model)
{
    for (size_t i = 0; i < cfg->ndummy; i++)
        if (!strcmp(cfg->dummy[i].model, model))
            return &cfg->dummy[i];
    return NULL;
}
