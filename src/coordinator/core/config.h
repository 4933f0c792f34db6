/* config.h: panicd's settings: compiled-in defaults, the "key value" config file, validation.
 * Pure: parsing only, no files are created here. */
#ifndef PANIC_CONFIG_H
#define PANIC_CONFIG_H

#include "common/proto/display_config.h"
#include "openai_config.h"
#include "slug.h"

#include <stddef.h>
#include <stdint.h>

#define CONFIG_DEFAULT_PATH "/etc/panic/panicd.conf"
#define CONFIG_MAX_DEVICES 64
#define CONFIG_MAX_KEYS 16
#define CONFIG_MAX_PRICES 128
#define CONFIG_MAX_DUMMY 32
#define CONFIG_MAX_DISPLAYS 64

struct dummy_model_cfg {
    char model[32];
    int64_t latency_ms; /* -1: use the global dummy latency */
    int64_t fail_times; /* fail this many calls, then succeed */
    int always_fail;
};

/* A platform's API key as the config gives it: the value itself, or a file holding it. */
struct config_key {
    char *platform;
    char *value; /* owned secret, or NULL */
    char *file;  /* owned path, or NULL */
};

struct config_device {
    char *name;
    char *token;         /* NULL only until its token line is read; config_load insists */
    int long_press_stop; /* a long press of this device's panic button stops the run */
    int line;            /* the config line that first named it; 0 if set in code */
};

struct config_price {
    char *model;
    double usd; /* estimated cost of one invocation */
};

struct config_display {
    char name[DISPLAY_CONFIG_NAME_MAX + 1];
    struct display_config cfg;
    /* display.NAME.network given as a slug: cfg.network is 0 until coord_seed_displays finds
     * that network in the store. "" for an id. */
    char network_slug[SLUG_MAX + 1];
    int line; /* the config line that first named it; 0 if set in code */
};

struct panicd_config {
    struct openai_config openai; /* OpenAI-compatible servers and their models */
    struct config_key keys[CONFIG_MAX_KEYS];
    size_t nkeys;
    struct config_price prices[CONFIG_MAX_PRICES];
    size_t nprices;
    double budget_usd_per_hour; /* 0: no cap */
    int64_t media_quota_mb;     /* the media archive's disk budget */
    int default_builtin;        /* default_network: builtin (1, when every builtin model can run)
                                 * or dummy (0) */
    int64_t media_check_s;      /* how often the quota is checked */
    char *listen;               /* "host:port"; port 0 picks a free one */
    char *state_dir;
    char *admin_token; /* NULL: read or generate STATE_DIR/admin.token */
    struct config_device devices[CONFIG_MAX_DEVICES];
    size_t ndevices;
    int64_t lockout_s; /* for the default network */
    int sync_full;     /* sqlite synchronous FULL (1) or NORMAL (0) */
    int64_t heartbeat_ms;
    int64_t events_keep;
    int64_t http_per_address;        /* connections one client address may hold */
    int64_t http_request_timeout_ms; /* for a whole request to arrive */
    int64_t sse_per_address;         /* event streams one address may hold */
    int64_t sse_max;                 /* event streams in all */
    int64_t max_attempts;
    int64_t retry_base_ms;
    int64_t dummy_latency_ms;
    struct dummy_model_cfg dummy[CONFIG_MAX_DUMMY];
    size_t ndummy;
    struct config_display displays[CONFIG_MAX_DISPLAYS];
    size_t ndisplays;
    char *public_url;
    int log_level;
    char *prompt_deck;          /* NULL: the installed deck, else assets/, else compiled in */
    int prompt_deck_cycle;      /* 1: in file order; 0: shuffled */
    char *visitor_secret;       /* NULL: read or generate STATE_DIR/visitor.secret */
    int64_t visitor_per_min;    /* prompts a visitor's address may post per minute; 0: no limit */
    int64_t backup_interval_ms; /* between backups into STATE_DIR/backups; 0: none */
    int64_t backup_keep;        /* the newest this many are kept */
    /* The off-site archive (an S3-compatible store); off while archive_endpoint is NULL. The
     * secret is looked up as a systemd credential first (coord_archive.c). */
    char *archive_endpoint; /* "https://fly.storage.tigris.dev", "http://nas.local:9000" */
    char *archive_bucket;
    char *archive_region;
    char *archive_prefix; /* put before every object key ("gallery-a/"); NULL: none */
    char *archive_key_id;
    char *archive_secret;         /* owned secret, or NULL */
    char *archive_secret_file;    /* a file holding it, or NULL */
    int64_t archive_retry_max_ms; /* the longest wait after a failed upload */
    char *installation;           /* announced by mDNS; NULL: the host name */
    int mdns;                     /* announce panicd on the LAN (DNS-SD, Avahi) */
    char *replicate_base_url;     /* the Replicate API (a test's fake; a proxy) */
    int64_t display_missing_ms;   /* a display silent this long is missing */
    /* The installation's TV schedule, the text of tv_on, tv_off, tv_days, tv_holidays (NULL:
     * unset); displays without their own take it (config_tv_default). */
    char *tv_on, *tv_off, *tv_days, *tv_holidays;
    /* Where settings came from, for errors found after the file is read ("file:line: ..."):
     * the line being read (config_load; 0 otherwise) and the line of prompt_deck. */
    int line;
    int prompt_deck_line;
};

/* The table of panicd.conf's keys (config.c), one row a key or a family of keys. A family's
 * name stands for many keys: an upper-case word for the part the file chooses (device.NAME.token,
 * price.MODEL), "*" for any field another module checks (display.NAME.*, model.ID.*). */
enum config_type {
    CONFIG_INT,    /* a whole number in [min, max], stored times scale; int64_t */
    CONFIG_BOOL,   /* yes/no, true/false, on/off, 1/0; int */
    CONFIG_USD,    /* an amount from 0 to 1000000; double */
    CONFIG_STR,    /* text that check() accepts (min: its shortest length); char *, owned */
    CONFIG_ENUM,   /* one of choices' names, stored as its value; int */
    CONFIG_FIELDS, /* a family's "*": its own setter checks and stores every field */
};

struct config_choice {
    const char *name;
    int value;
};

struct config_family; /* how a family finds its NAME's entry (config.c) */
struct config_spec;
typedef int (*config_check_fn)(const struct config_spec *s, const char *key, const char *value,
                               char *err, size_t errlen);

struct config_spec {
    const char *name;
    enum config_type type;
    long long min, max;
    int64_t scale;
    const char *def;       /* the default as the file writes it; NULL: 0 or unset */
    size_t off;            /* offsetof in struct panicd_config or the family's entry */
    config_check_fn check; /* CONFIG_STR; NULL: any text */
    const struct config_choice *choices; /* CONFIG_ENUM; ends with a NULL name */
    const struct config_family *family;  /* NULL: a plain key */
};

/* Every row of the table, in order. Borrowed, static. */
const struct config_spec *config_specs(size_t *n);
/* The row that takes key ("lockout_seconds", "device.tv1.token", "display.tv1.mode"), or NULL.
 * Matches names only; whether the value and the NAME are good is config_set's business. */
const struct config_spec *config_spec_find(const char *key);

/* Fill cfg with the defaults. Owned strings inside: config_free. */
void config_init(struct panicd_config *cfg);
void config_free(struct panicd_config *cfg);
/* Apply one "key value" setting. 0, or -EINVAL with a reason (unknown key, bad value). */
int config_set(struct panicd_config *cfg, const char *key, const char *value, char *err,
               size_t errlen);
/* Parse a config file into cfg; err is "file:line: reason". */
int config_load(struct panicd_config *cfg, const char *path, char *err, size_t errlen);

/* The configured price of one invocation of model in USD (0 if none). */
double config_price(const struct panicd_config *cfg, const char *model);

/* The installation's TV schedule as a display config's tv_* fields (the rest defaults), for
 * display_config_inherit_tv. */
struct display_config config_tv_default(const struct panicd_config *cfg);

/* The dummy settings for model (defaults if the config names none). Borrowed pointer into cfg. */
const struct dummy_model_cfg *config_dummy(const struct panicd_config *cfg, const char *model);

#endif
