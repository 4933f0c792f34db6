/* config.c: panicd's config keys. Every key the file may hold is handled in config_set; anything
 * else is an error naming the key, so a typo never silently does nothing. Pure: the file is
 * read by common/conf.c, nothing here touches the system. */
#include "config.h"
#include "catalog.h"
#include "common/conf.h"
#include "common/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int set_int(const char *value, long long min, long long max, int64_t *slot, char *err,
                   size_t errlen)
{
    long long v;
    int rc = conf_int(value, min, max, &v, err, errlen);
    if (rc == 0)
        *slot = v;
    return rc;
}

struct display_cfg display_cfg_default(void)
{
    struct display_cfg d = {.network = 0,
                            .rows = 2,
                            .cols = 2,
                            .offset = 0,
                            .stride = 1,
                            .show_invoking = 1,
                            .audio = 1};
    snprintf(d.mode, sizeof d.mode, "grid");
    return d;
}

int display_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > DISPLAY_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return 0;
    }
    return 1;
}

int display_cfg_set(struct display_cfg *d, const char *key, const char *value, char *err,
                    size_t errlen)
{
    if (!strcmp(key, "network"))
        return set_int(value, 0, INT64_MAX, &d->network, err, errlen);
    if (!strcmp(key, "rows"))
        return set_int(value, 1, 16, &d->rows, err, errlen);
    if (!strcmp(key, "cols"))
        return set_int(value, 1, 16, &d->cols, err, errlen);
    if (!strcmp(key, "offset"))
        return set_int(value, 0, 63, &d->offset, err, errlen);
    if (!strcmp(key, "stride"))
        return set_int(value, 1, 64, &d->stride, err, errlen);
    if (!strcmp(key, "show_invoking"))
        return conf_bool(value, &d->show_invoking, err, errlen);
    if (!strcmp(key, "audio"))
        return conf_bool(value, &d->audio, err, errlen);
    if (!strcmp(key, "mode")) {
        static const char *const modes[] = {"grid", "single", "info", "terminal"};
        for (size_t i = 0; i < ARRAY_LEN(modes); i++) {
            if (!strcmp(value, modes[i])) {
                snprintf(d->mode, sizeof d->mode, "%s", value);
                return 0;
            }
        }
        snprintf(err, errlen, "mode '%s' is not one of grid, single, info, terminal", value);
        return -EINVAL;
    }
    snprintf(err, errlen,
             "unknown display setting '%s' (network, mode, rows, cols, offset, stride, "
             "show_invoking, audio)",
             key);
    return -EINVAL;
}

int display_cfg_check(const struct display_cfg *d, char *err, size_t errlen)
{
    if (d->offset >= d->stride) {
        snprintf(err, errlen, "offset (%lld) must be smaller than stride (%lld)",
                 (long long)d->offset, (long long)d->stride);
        return -EINVAL;
    }
    return 0;
}

void config_init(struct panicd_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->listen = xstrdup("0.0.0.0:8080");
    cfg->state_dir = xstrdup("/var/lib/panic");
    cfg->lockout_s = 30;
    openai_config_init(&cfg->openai);
    cfg->media_quota_mb = 4096;
    snprintf(cfg->default_network, sizeof cfg->default_network, "builtin");
    cfg->media_check_s = 600;
    cfg->sync_full = 1;
    cfg->heartbeat_ms = 15000;
    cfg->events_keep = 20000;
    cfg->max_attempts = 3;
    cfg->retry_base_ms = 1000;
    cfg->dummy_latency_ms = 300;
    cfg->log_level = 6;
    cfg->visitor_per_min = 5;
}

void config_free(struct panicd_config *cfg)
{
    free(cfg->listen);
    free(cfg->state_dir);
    free(cfg->admin_token);
    free(cfg->public_url);
    free(cfg->prompt_deck);
    free(cfg->visitor_secret);
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

static void set_str(char **slot, const char *value)
{
    free(*slot);
    *slot = xstrdup(value);
}

/* Split "prefix.NAME.field" into NAME and field; 0 on success. */
static int split_key(const char *key, const char *prefix, char *name, size_t namelen,
                     const char **field)
{
    size_t pl = strlen(prefix);
    if (strncmp(key, prefix, pl) != 0)
        return -1;
    const char *start = key + pl;
    const char *dot = strrchr(start, '.');
    if (!dot || dot == start || (size_t)(dot - start) >= namelen)
        return -1;
    memcpy(name, start, (size_t)(dot - start));
    name[dot - start] = '\0';
    *field = dot + 1;
    return 0;
}

static int token_ok(const char *value, char *err, size_t errlen)
{
    if (strlen(value) < 16 || strchr(value, ' ') || strchr(value, '\t')) {
        snprintf(err, errlen, "a token must be at least 16 characters with no spaces");
        return -EINVAL;
    }
    return 0;
}

static int set_device(struct panicd_config *cfg, const char *name, const char *field,
                      const char *value, char *err, size_t errlen)
{
    int is_token = !strcmp(field, "token");
    int stop = 0;
    if (!is_token && strcmp(field, "long_press_stop") != 0) {
        snprintf(err, errlen, "unknown device setting '%s' (token, long_press_stop)", field);
        return -EINVAL;
    }
    if (is_token ? token_ok(value, err, errlen) < 0 : conf_bool(value, &stop, err, errlen) < 0)
        return -EINVAL;
    size_t i;
    for (i = 0; i < cfg->ndevices; i++)
        if (!strcmp(cfg->devices[i].name, name))
            break;
    if (i == cfg->ndevices) {
        if (cfg->ndevices == CONFIG_MAX_DEVICES) {
            snprintf(err, errlen, "too many devices (at most %d)", CONFIG_MAX_DEVICES);
            return -EINVAL;
        }
        cfg->devices[i].name = xstrdup(name);
        cfg->devices[i].token = NULL;
        cfg->devices[i].long_press_stop = 0;
        cfg->ndevices++;
    }
    if (is_token)
        set_str(&cfg->devices[i].token, value);
    else
        cfg->devices[i].long_press_stop = stop;
    return 0;
}

static int set_dummy(struct panicd_config *cfg, const char *model, const char *field,
                     const char *value, char *err, size_t errlen)
{
    const struct model_info *m = catalog_find(model);
    if (!m || strcmp(m->platform, "dummy") != 0) {
        snprintf(err, errlen, "'%s' is not a dummy model", model);
        return -EINVAL;
    }
    struct dummy_model_cfg *d = NULL;
    for (size_t i = 0; i < cfg->ndummy; i++)
        if (!strcmp(cfg->dummy[i].model, model))
            d = &cfg->dummy[i];
    if (!d) {
        if (cfg->ndummy == CONFIG_MAX_DUMMY) {
            snprintf(err, errlen, "too many dummy model settings");
            return -EINVAL;
        }
        d = &cfg->dummy[cfg->ndummy++];
        memset(d, 0, sizeof *d);
        memcpy(d->model, m->id, MIN(strlen(m->id), sizeof d->model - 1));
        d->latency_ms = -1;
    }
    if (!strcmp(field, "latency_ms"))
        return set_int(value, 0, 3600000, &d->latency_ms, err, errlen);
    if (!strcmp(field, "fail_times"))
        return set_int(value, 0, 1000000, &d->fail_times, err, errlen);
    if (!strcmp(field, "always_fail"))
        return conf_bool(value, &d->always_fail, err, errlen);
    snprintf(err, errlen, "unknown dummy setting '%s' (latency_ms, fail_times, always_fail)",
             field);
    return -EINVAL;
}

static int set_display(struct panicd_config *cfg, const char *name, const char *field,
                       const char *value, char *err, size_t errlen)
{
    if (!display_name_valid(name)) {
        snprintf(err, errlen, "display name '%s' must be 1-63 letters, digits, - or _", name);
        return -EINVAL;
    }
    size_t i;
    for (i = 0; i < cfg->ndisplays; i++)
        if (!strcmp(cfg->displays[i].name, name))
            break;
    if (i == cfg->ndisplays) {
        if (cfg->ndisplays == CONFIG_MAX_DISPLAYS) {
            snprintf(err, errlen, "too many displays (at most %d)", CONFIG_MAX_DISPLAYS);
            return -EINVAL;
        }
        snprintf(cfg->displays[i].name, sizeof cfg->displays[i].name, "%s", name);
        cfg->displays[i].cfg = display_cfg_default();
        cfg->ndisplays++;
    }
    return display_cfg_set(&cfg->displays[i].cfg, field, value, err, errlen);
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

/* api_key.PLATFORM SECRET or api_key_file.PLATFORM PATH (prefer systemd credentials). */
static int set_key(struct panicd_config *cfg, const char *key, const char *value, char *err,
                   size_t errlen)
{
    int is_file = !strncmp(key, "api_key_file.", 13);
    const char *platform = key + (is_file ? 13 : 8);
    if (!*platform || strlen(platform) > 32) {
        snprintf(err, errlen, "'%s' needs a platform name (api_key.openai, ...)", key);
        return -EINVAL;
    }
    if (is_file && value[0] != '/') {
        snprintf(err, errlen, "%s must be an absolute path", key);
        return -EINVAL;
    }
    struct config_key *k = NULL;
    for (size_t i = 0; i < cfg->nkeys; i++)
        if (!strcmp(cfg->keys[i].platform, platform))
            k = &cfg->keys[i];
    if (!k) {
        if (cfg->nkeys == CONFIG_MAX_KEYS) {
            snprintf(err, errlen, "too many api keys (at most %d)", CONFIG_MAX_KEYS);
            return -EINVAL;
        }
        k = &cfg->keys[cfg->nkeys++];
        k->platform = xstrdup(platform);
    }
    set_str(is_file ? &k->file : &k->value, value);
    return 0;
}

static int set_price(struct panicd_config *cfg, const char *model, const char *value, char *err,
                     size_t errlen)
{
    double usd;
    if (parse_usd(value, &usd, err, errlen) < 0)
        return -EINVAL;
    for (size_t i = 0; i < cfg->nprices; i++) {
        if (!strcmp(cfg->prices[i].model, model)) {
            cfg->prices[i].usd = usd;
            return 0;
        }
    }
    if (cfg->nprices == CONFIG_MAX_PRICES) {
        snprintf(err, errlen, "too many prices (at most %d)", CONFIG_MAX_PRICES);
        return -EINVAL;
    }
    cfg->prices[cfg->nprices].model = xstrdup(model);
    cfg->prices[cfg->nprices].usd = usd;
    cfg->nprices++;
    return 0;
}

double config_price(const struct panicd_config *cfg, const char *model)
{
    for (size_t i = 0; i < cfg->nprices; i++)
        if (!strcmp(cfg->prices[i].model, model))
            return cfg->prices[i].usd;
    return 0;
}

int config_set(struct panicd_config *cfg, const char *key, const char *value, char *err,
               size_t errlen)
{
    char name[DISPLAY_NAME_MAX + 1];
    const char *field;
    if (!strcmp(key, "listen")) {
        const char *colon = strrchr(value, ':');
        int64_t port;
        if (!colon || parse_int64(colon + 1, 0, 65535, &port) < 0) {
            snprintf(err, errlen, "listen '%s' must be host:port (port 0-65535)", value);
            return -EINVAL;
        }
        set_str(&cfg->listen, value);
        return 0;
    }
    if (!strcmp(key, "state_dir")) {
        if (value[0] != '/' && value[0] != '.') {
            snprintf(err, errlen, "state_dir must be a path");
            return -EINVAL;
        }
        set_str(&cfg->state_dir, value);
        return 0;
    }
    if (!strcmp(key, "admin_token")) {
        if (token_ok(value, err, errlen) < 0)
            return -EINVAL;
        set_str(&cfg->admin_token, value);
        return 0;
    }
    if (!strcmp(key, "public_url")) {
        if (strncmp(value, "http://", 7) != 0 && strncmp(value, "https://", 8) != 0) {
            snprintf(err, errlen, "public_url must start with http:// or https://");
            return -EINVAL;
        }
        set_str(&cfg->public_url, value);
        return 0;
    }
    if (!strcmp(key, "prompt_deck")) {
        if (!value[0]) {
            snprintf(err, errlen, "prompt_deck must be a path");
            return -EINVAL;
        }
        set_str(&cfg->prompt_deck, value);
        return 0;
    }
    if (!strcmp(key, "prompt_deck_order")) {
        if (strcmp(value, "cycle") != 0 && strcmp(value, "shuffle") != 0) {
            snprintf(err, errlen, "prompt_deck_order '%s' is not cycle or shuffle", value);
            return -EINVAL;
        }
        cfg->prompt_deck_cycle = !strcmp(value, "cycle");
        return 0;
    }
    if (!strcmp(key, "visitor_secret")) {
        if (strlen(value) < 32 || strchr(value, ' ') || strchr(value, '\t')) {
            snprintf(err, errlen, "visitor_secret must be at least 32 characters with no spaces");
            return -EINVAL;
        }
        set_str(&cfg->visitor_secret, value);
        return 0;
    }
    if (!strcmp(key, "visitor_prompts_per_minute"))
        return set_int(value, 0, 600, &cfg->visitor_per_min, err, errlen);
    if (!strcmp(key, "log_level")) {
        int lvl = 0;
        static const char *const names[] = {"err", "warn", "info", "debug"};
        static const int levels[] = {3, 4, 6, 7};
        for (size_t i = 0; i < ARRAY_LEN(names); i++)
            if (!strcmp(value, names[i]))
                lvl = levels[i];
        if (!lvl) {
            snprintf(err, errlen, "log_level '%s' is not err, warn, info or debug", value);
            return -EINVAL;
        }
        cfg->log_level = lvl;
        return 0;
    }
    if (!strcmp(key, "sqlite_synchronous")) {
        if (!strcmp(value, "full") || !strcmp(value, "normal")) {
            cfg->sync_full = !strcmp(value, "full");
            return 0;
        }
        snprintf(err, errlen, "sqlite_synchronous '%s' is not full or normal", value);
        return -EINVAL;
    }
    if (!strcmp(key, "lockout_seconds"))
        return set_int(value, 0, 86400, &cfg->lockout_s, err, errlen);
    if (!strcmp(key, "sse_heartbeat_seconds")) {
        int rc = set_int(value, 1, 3600, &cfg->heartbeat_ms, err, errlen);
        cfg->heartbeat_ms *= rc == 0 ? 1000 : 1;
        return rc;
    }
    if (!strcmp(key, "events_keep"))
        return set_int(value, 100, 100000000, &cfg->events_keep, err, errlen);
    if (!strcmp(key, "invoke_attempts"))
        return set_int(value, 1, 10, &cfg->max_attempts, err, errlen);
    if (!strcmp(key, "retry_base_ms"))
        return set_int(value, 0, 600000, &cfg->retry_base_ms, err, errlen);
    if (!strcmp(key, "dummy_latency_ms"))
        return set_int(value, 0, 3600000, &cfg->dummy_latency_ms, err, errlen);
    if (!strncmp(key, "api_key.", 8) || !strncmp(key, "api_key_file.", 13))
        return set_key(cfg, key, value, err, errlen);
    if (!strncmp(key, "price.", 6) && key[6])
        return set_price(cfg, key + 6, value, err, errlen);
    if (!strcmp(key, "default_network")) {
        if (strcmp(value, "builtin") != 0 && strcmp(value, "dummy") != 0) {
            snprintf(err, errlen, "default_network '%s' is not builtin or dummy", value);
            return -EINVAL;
        }
        snprintf(cfg->default_network, sizeof cfg->default_network, "%s", value);
        return 0;
    }
    if (!strcmp(key, "media_quota_mb"))
        return set_int(value, 1, 16 * 1024 * 1024, &cfg->media_quota_mb, err, errlen);
    if (!strcmp(key, "media_quota_check_seconds"))
        return set_int(value, 1, 86400, &cfg->media_check_s, err, errlen);
    if (!strcmp(key, "budget_usd_per_hour"))
        return parse_usd(value, &cfg->budget_usd_per_hour, err, errlen);
    if (split_key(key, "device.", name, sizeof name, &field) == 0)
        return set_device(cfg, name, field, value, err, errlen);
    if (split_key(key, "dummy.", name, sizeof name, &field) == 0)
        return set_dummy(cfg, name, field, value, err, errlen);
    if (split_key(key, "display.", name, sizeof name, &field) == 0)
        return set_display(cfg, name, field, value, err, errlen);
    int rc = openai_config_set(&cfg->openai, key, value, err, errlen);
    if (rc <= 0)
        return rc;
    snprintf(err, errlen, "unknown setting '%s'", key);
    return -EINVAL;
}

static int on_setting(void *user, const char *key, const char *value, char *err, size_t errlen)
{
    return config_set(user, key, value, err, errlen);
}

int config_load(struct panicd_config *cfg, const char *path, char *err, size_t errlen)
{
    int rc = conf_parse_file(path, on_setting, cfg, err, errlen);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < cfg->ndevices; i++) {
        if (!cfg->devices[i].token) {
            snprintf(err, errlen, "%s: device %s has no token (device.%s.token ...)", path,
                     cfg->devices[i].name, cfg->devices[i].name);
            return -EINVAL;
        }
    }
    for (size_t i = 0; i < cfg->ndisplays; i++) {
        char reason[PANIC_ERR_LEN];
        if (display_cfg_check(&cfg->displays[i].cfg, reason, sizeof reason) < 0) {
            snprintf(err, errlen, "%s: display %s: %s", path, cfg->displays[i].name, reason);
            return -EINVAL;
        }
    }
    return 0;
}

const struct dummy_model_cfg *config_dummy(const struct panicd_config *cfg, const char *model)
{
    for (size_t i = 0; i < cfg->ndummy; i++)
        if (!strcmp(cfg->dummy[i].model, model))
            return &cfg->dummy[i];
    return NULL;
}
