/* main.c: panicd, the PANIC! coordinator. Wires the pieces together and nothing else: arguments
 * and config, the state dir, the admin token and visitor secret, the prompt deck, the store,
 * media archive, coordinator core, HTTP API, signals (handlers only write to a self-pipe), and
 * systemd readiness and watchdog. */
#include "coordinator/api/api.h"
#include "common/ev.h"
#include "common/log.h"
#include "common/notify.h"
#include "common/util.h"
#include "coordinator/core/config.h"
#include "coordinator/platforms/builtin/builtin.h"
#include "coordinator/coord/coord.h"
#include "coordinator/platforms/curl_ev.h"
#include "coordinator/platforms/openai/openai.h"
#include "coordinator/platforms/registry.h"
#include "coordinator/core/deck.h"
#include "coordinator/api/http.h"
#include "coordinator/store/media.h"
#include "coordinator/store/store.h"
#include "coordinator/core/token.h"
#include "coordinator/api/views.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define EX_CONFIG 78
#define MAX_BODY (64 * 1024)

static int sig_pipe[2] = {-1, -1};
static volatile sig_atomic_t got_term, got_hup;

static void on_signal(int sig)
{
    int saved = errno;
    if (sig == SIGHUP)
        got_hup = 1;
    else
        got_term = 1;
    char c = 1;
    if (write(sig_pipe[1], &c, 1) < 0) {
        /* the pipe is full: the loop is already awake */
    }
    errno = saved;
}

static void on_sig_pipe(struct ev *ev, int fd, int mask, void *data)
{
    (void)mask;
    (void)data;
    char drain[64];
    while (read(fd, drain, sizeof drain) > 0) {
    }
    if (got_hup) {
        got_hup = 0;
        log_info("SIGHUP: settings are read at start; restart panicd to apply config changes");
    }
    if (got_term)
        ev_stop(ev);
}

static void on_media_quota(struct ev *ev, uint64_t id, void *data)
{
    (void)id;
    struct coord *coord = data;
    const struct panicd_config *cfg = coord_config(coord);
    uint64_t freed;
    coord_media_quota(coord, (uint64_t)cfg->media_quota_mb << 20, &freed);
    ev_timer_in(ev, cfg->media_check_s * 1000, on_media_quota, coord);
}

static void on_watchdog(struct ev *ev, uint64_t id, void *data)
{
    (void)id;
    int64_t *interval = data;
    notify_send("WATCHDOG=1");
    ev_timer_in(ev, *interval, on_watchdog, data);
}

static void usage(FILE *f)
{
    fputs("usage: panicd [--config FILE] [--state-dir DIR] [--listen HOST:PORT]\n"
          "  --config FILE     settings (default " CONFIG_DEFAULT_PATH ", optional)\n"
          "  --state-dir DIR   database, media and admin token (default /var/lib/panic)\n"
          "  --listen H:P      HTTP address (default 0.0.0.0:8080; port 0 picks one)\n",
          f);
}

/* Write text to path atomically with the given mode. 0 or -errno. */
static int write_file_atomic(const char *path, const char *text, mode_t mode)
{
    char *tmp = xasprintf("%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    int rc = 0;
    if (fd < 0) {
        rc = -errno;
        goto out;
    }
    size_t len = strlen(text);
    if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0)
        rc = errno ? -errno : -EIO;
    close(fd);
    if (rc == 0 && rename(tmp, path) < 0)
        rc = -errno;
    if (rc < 0)
        unlink(tmp);
out:
    free(tmp);
    return rc;
}

/* A secret from the config, else the first line of STATE_DIR/file (at least min characters),
 * else nbytes of randomness in hex, written there with mode 0600 on first start. Owned. */
static char *state_secret(const struct panicd_config *cfg, const char *configured, const char *file,
                          size_t min, size_t nbytes, char *err, size_t errlen)
{
    if (configured)
        return xstrdup(configured);
    char *path = xasprintf("%s/%s", cfg->state_dir, file);
    char line[256] = "";
    FILE *f = fopen(path, "r");
    if (f) {
        if (!fgets(line, sizeof line, f))
            line[0] = '\0';
        fclose(f);
        line[strcspn(line, "\r\n")] = '\0';
        if (strlen(line) >= min) {
            free(path);
            return xstrdup(line);
        }
    }
    unsigned char raw[64];
    if (nbytes > sizeof raw || getrandom(raw, nbytes, 0) != (ssize_t)nbytes) {
        snprintf(err, errlen, "cannot get random bytes for %s", file);
        free(path);
        return NULL;
    }
    for (size_t i = 0; i < nbytes; i++)
        snprintf(line + 2 * i, 3, "%02x", raw[i]);
    char *text = xasprintf("%s\n", line);
    int rc = write_file_atomic(path, text, 0600);
    free(text);
    if (rc < 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(-rc));
        free(path);
        return NULL;
    }
    log_info("generated a secret path=%s", path);
    free(path);
    return xstrdup(line);
}

/* The panic button's deck: prompt_deck if set (a bad one is a config error), else the first
 * installed deck that loads, else the compiled-in one, so a press always has a prompt. */
static struct deck *load_deck(const struct panicd_config *cfg, char *err, size_t errlen)
{
    static const char *const installed[] = {"/usr/local/share/panic/prompts.txt",
                                            "/usr/share/panic/prompts.txt", "assets/prompts.txt"};
    enum deck_order order = cfg->prompt_deck_cycle ? DECK_CYCLE : DECK_SHUFFLE;
    uint64_t seed;
    if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed)
        seed = (uint64_t)time_wall_ms() ^ (uint64_t)getpid() << 32;
    struct deck *d = NULL;
    const char *from = "compiled in";
    if (cfg->prompt_deck) {
        d = deck_load(cfg->prompt_deck, order, seed, err, errlen);
        if (!d)
            return NULL;
        from = cfg->prompt_deck;
    }
    for (size_t i = 0; !d && i < ARRAY_LEN(installed); i++) {
        char reason[PANIC_ERR_LEN * 2];
        if (access(installed[i], R_OK) < 0)
            continue;
        d = deck_load(installed[i], order, seed, reason, sizeof reason);
        if (d)
            from = installed[i];
        else
            log_warn("ignoring a bad prompt deck: %s", reason);
    }
    if (!d)
        d = deck_fallback(order, seed);
    log_info("prompt deck path=%s prompts=%zu order=%s", from, deck_count(d),
             order == DECK_CYCLE ? "cycle" : "shuffle");
    return d;
}

static void seed_displays(struct store *store, const struct panicd_config *cfg)
{
    for (size_t i = 0; i < cfg->ndisplays; i++) {
        char *text = view_dump(view_display(cfg->displays[i].name, &cfg->displays[i].cfg, 1));
        if (store_display_put(store, cfg->displays[i].name, text, time_wall_ms()) < 0)
            log_warn("could not store display=%s from the config", cfg->displays[i].name);
        free(text);
    }
}

int main(int argc, char **argv)
{
    /* Tesseract's OpenMP reads OMP_THREAD_LIMIT when it loads, before main: set it and re-exec
     * once (a no-op when the environment already has it). */
    builtin_reexec_with_env(argv);
    struct panicd_config cfg;
    config_init(&cfg);
    const char *config_path = NULL, *state_dir = NULL, *listen = NULL;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char **slot = !strcmp(arg, "--config")      ? &config_path
                            : !strcmp(arg, "--state-dir") ? &state_dir
                            : !strcmp(arg, "--listen")    ? &listen
                                                          : NULL;
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            usage(stdout);
            config_free(&cfg);
            return 0;
        }
        if (!slot || i + 1 >= argc) {
            fprintf(stderr, "panicd: %s '%s'\n", slot ? "missing value for" : "unknown option",
                    arg);
            usage(stderr);
            config_free(&cfg);
            return 2;
        }
        *slot = argv[++i];
    }

    char err[PANIC_ERR_LEN * 2];
    int explicit_config = config_path != NULL;
    if (!config_path)
        config_path = CONFIG_DEFAULT_PATH;
    if (explicit_config || access(config_path, F_OK) == 0) {
        if (config_load(&cfg, config_path, err, sizeof err) < 0) {
            fprintf(stderr, "<3>%s\n", err);
            config_free(&cfg);
            return EX_CONFIG;
        }
    }
    char reason[PANIC_ERR_LEN];
    if (state_dir && config_set(&cfg, "state_dir", state_dir, reason, sizeof reason) < 0) {
        fprintf(stderr, "<3>--state-dir: %s\n", reason);
        config_free(&cfg);
        return EX_CONFIG;
    }
    if (listen && config_set(&cfg, "listen", listen, reason, sizeof reason) < 0) {
        fprintf(stderr, "<3>--listen: %s\n", reason);
        config_free(&cfg);
        return EX_CONFIG;
    }
    if (getenv("PANIC_LOG") && log_level_parse(getenv("PANIC_LOG")) > 0)
        cfg.log_level = log_level_parse(getenv("PANIC_LOG"));
    log_set_level((enum log_level)cfg.log_level);
    /* Models on the LAN's OpenAI-compatible servers join the catalogue before anything runs. */
    struct model_info rows[OPENAI_CONFIG_MAX_MODELS];
    int nrows = openai_config_models(&cfg.openai, rows, ARRAY_LEN(rows), err, sizeof err);
    if (nrows < 0) {
        fprintf(stderr, "<3>%s: %s\n", config_path, err);
        config_free(&cfg);
        return EX_CONFIG;
    }
    for (int i = 0; i < nrows; i++) {
        if (catalog_register(&rows[i]) < 0) {
            fprintf(stderr, "<3>%s: model.%s: the id is already taken or there are too many\n",
                    config_path, rows[i].id);
            config_free(&cfg);
            return EX_CONFIG;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    struct deck *deck = load_deck(&cfg, err, sizeof err);
    if (!deck) {
        fprintf(stderr, "<3>prompt_deck: %s\n", err);
        config_free(&cfg);
        return EX_CONFIG;
    }

    int rc = EXIT_FAILURE;
    struct ev *ev = ev_new();
    struct media_store *media = NULL;
    struct store *store = NULL;
    struct coord *coord = NULL;
    struct curl_ev *curl = NULL;
    struct api *api = NULL;
    struct http_server *srv = NULL;
    char *token = NULL, *visitor_secret = NULL, *db_path = NULL;
    int64_t watchdog_ms = notify_watchdog_ms() / 2;

    if (mkdir(cfg.state_dir, 0750) < 0 && errno != EEXIST) {
        log_err("cannot create the state dir path=%s error=\"%s\"", cfg.state_dir, strerror(errno));
        goto out;
    }
    media = media_open(cfg.state_dir, err, sizeof err);
    if (!media) {
        log_err("%s", err);
        goto out;
    }
    db_path = xasprintf("%s/panic.sqlite", cfg.state_dir);
    store = store_open(db_path, cfg.sync_full, err, sizeof err);
    if (!store) {
        log_err("cannot open the database path=%s error=\"%s\"", db_path, err);
        goto out;
    }
    token = state_secret(&cfg, cfg.admin_token, "admin.token", 16, 24, err, sizeof err);
    if (!token) {
        log_err("%s", err);
        goto out;
    }
    visitor_secret = state_secret(&cfg, cfg.visitor_secret, "visitor.secret", TOKEN_SECRET_MIN, 32,
                                  err, sizeof err);
    if (!visitor_secret) {
        log_err("%s", err);
        goto out;
    }
    seed_displays(store, &cfg);
    coord = coord_new(ev, store, media, &cfg);
    curl = curl_ev_new(ev);
    if (!curl) {
        log_err("cannot start the HTTP client (libcurl)");
        goto out;
    }
    coord_platform_env(coord)->curl = curl;
    platforms_register(coord, &cfg);
    api = api_new(ev, coord, store, media, &cfg, token, visitor_secret, deck);
    coord_set_sink(coord, api_on_event, api);
    if (coord_start(coord, err, sizeof err) < 0) {
        log_err("cannot start the runners: %s", err);
        goto out;
    }
    platforms_prewarm(coord);
    srv = http_server_new(ev, cfg.listen, MAX_BODY, api_handle, api, err, sizeof err);
    if (!srv) {
        log_err("%s", err);
        goto out;
    }
    api_set_server(api, srv);

    if (pipe(sig_pipe) < 0) {
        log_err("pipe: %s", strerror(errno));
        goto out;
    }
    fcntl(sig_pipe[0], F_SETFL, O_NONBLOCK);
    fcntl(sig_pipe[1], F_SETFL, O_NONBLOCK);
    ev_fd_add(ev, sig_pipe[0], EV_READ, on_sig_pipe, NULL);
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    /* Tell local tools (panicctl, make run, tests) where we listen. */
    char host[256];
    snprintf(host, sizeof host, "%s", cfg.listen);
    char *colon = strrchr(host, ':');
    if (colon)
        *colon = '\0';
    if (!host[0] || !strcmp(host, "0.0.0.0") || !strcmp(host, "[::]") || !strcmp(host, "::"))
        snprintf(host, sizeof host, "127.0.0.1");
    char *url = xasprintf("http://%s:%d\n", host, http_server_port(srv));
    char *url_path = xasprintf("%s/panicd.url", cfg.state_dir);
    if (write_file_atomic(url_path, url, 0644) < 0)
        log_warn("cannot write path=%s", url_path);
    free(url_path);
    log_info("listening url=%.*s state_dir=%s sqlite_synchronous=%s", (int)strlen(url) - 1, url,
             cfg.state_dir, cfg.sync_full ? "full" : "normal");
    free(url);
    notify_send("READY=1\nSTATUS=serving");
    ev_timer_in(ev, 0, on_media_quota, coord);
    if (watchdog_ms > 0)
        ev_timer_in(ev, watchdog_ms, on_watchdog, &watchdog_ms);

    while (!got_term) {
        int wait = http_server_before_sleep(srv);
        ev_run_once(ev, wait);
    }
    notify_send("STOPPING=1");
    log_info("stopping");
    rc = EXIT_SUCCESS;
out:
    http_server_free(srv);
    api_free(api);
    coord_free(coord);
    curl_ev_free(curl);
    catalog_reset_registered();
    store_close(store);
    media_close(media);
    ev_free(ev);
    free(token);
    free(visitor_secret);
    deck_free(deck);
    free(db_path);
    if (sig_pipe[0] >= 0) {
        close(sig_pipe[0]);
        close(sig_pipe[1]);
    }
    config_free(&cfg);
    return rc;
}
