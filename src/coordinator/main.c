/* main.c: panicd, the PANIC! coordinator. Wires the pieces together and nothing else: arguments
 * and config, the listening socket (bound first: a port taken leaves no state behind), the state
 * dir (state_dir.c: admin token, visitor secret, panicd.url), the prompt deck (prompt_deck.c),
 * the store, media archive, coordinator core, HTTP API, signals (handlers only write to a
 * self-pipe), and systemd readiness and watchdog. */
#include "coordinator/api/api.h"
#include "common/ev.h"
#include "common/log.h"
#include "common/notify.h"
#include "common/util.h"
#include "coordinator/core/config.h"
#include "coordinator/platforms/builtin/builtin.h"
#include "coordinator/coord/coord.h"
#include "coordinator/coord/vestaboard.h"
#include "coordinator/platforms/curl_ev.h"
#include "coordinator/platforms/openai/openai.h"
#include "coordinator/platforms/registry.h"
#include "coordinator/core/deck.h"
#include "coordinator/api/http.h"
#include "coordinator/store/media.h"
#include "coordinator/store/store.h"
#include "coordinator/core/token.h"
#include "coordinator/prompt_deck.h"
#include "coordinator/state_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* The command line; NULL: not given. */
struct args {
    const char *config_path, *state_dir, *listen;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: panicd [--config FILE] [--state-dir DIR] [--listen HOST:PORT]\n"
            "  --config FILE     settings (default " CONFIG_DEFAULT_PATH ", optional)\n"
            "  --state-dir DIR   database, media and admin token (default %s)\n"
            "  --listen H:P      HTTP address (default %s; port 0 picks one)\n",
            config_spec_find("state_dir")->def, config_spec_find("listen")->def);
}

/* -1 to go on, else the exit code (--help: 0, a bad argument: 2). */
static int parse_args(int argc, char **argv, struct args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char **slot = !strcmp(arg, "--config")      ? &a->config_path
                            : !strcmp(arg, "--state-dir") ? &a->state_dir
                            : !strcmp(arg, "--listen")    ? &a->listen
                                                          : NULL;
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            usage(stdout);
            return 0;
        }
        if (!slot || i + 1 >= argc) {
            fprintf(stderr, "panicd: %s '%s'\n", slot ? "missing value for" : "unknown option",
                    arg);
            usage(stderr);
            return 2;
        }
        *slot = argv[++i];
    }
    return -1;
}

/* The config file (the default one only if it exists), then the command line's overrides, then
 * $PANIC_LOG. 0, or EX_CONFIG with the reason on stderr. */
static int load_settings(struct panicd_config *cfg, const struct args *a)
{
    char err[PANIC_ERR_LEN * 2], reason[PANIC_ERR_LEN];
    const char *path = a->config_path ? a->config_path : CONFIG_DEFAULT_PATH;
    if ((a->config_path || access(path, F_OK) == 0) &&
        config_load(cfg, path, err, sizeof err) < 0) {
        fprintf(stderr, "<3>%s\n", err);
        return EX_CONFIG;
    }
    if (a->state_dir && config_set(cfg, "state_dir", a->state_dir, reason, sizeof reason) < 0) {
        fprintf(stderr, "<3>--state-dir: %s\n", reason);
        return EX_CONFIG;
    }
    if (a->listen && config_set(cfg, "listen", a->listen, reason, sizeof reason) < 0) {
        fprintf(stderr, "<3>--listen: %s\n", reason);
        return EX_CONFIG;
    }
    if (getenv("PANIC_LOG") && log_level_parse(getenv("PANIC_LOG")) > 0)
        cfg->log_level = log_level_parse(getenv("PANIC_LOG"));
    log_set_level((enum log_level)cfg->log_level);
    return 0;
}

/* Models on the LAN's OpenAI-compatible servers join the catalogue before anything runs. 0, or
 * EX_CONFIG with the reason on stderr. */
static int register_models(struct panicd_config *cfg, const char *config_path)
{
    char err[PANIC_ERR_LEN * 2];
    struct model_info rows[OPENAI_CONFIG_MAX_MODELS];
    int nrows = openai_config_models(&cfg->openai, rows, ARRAY_LEN(rows), err, sizeof err);
    if (nrows < 0) {
        fprintf(stderr, "<3>%s:%d: %s\n", config_path, cfg->openai.error_line, err);
        return EX_CONFIG;
    }
    for (int i = 0; i < nrows; i++) {
        if (catalog_register(&rows[i]) < 0) {
            fprintf(stderr, "<3>%s:%d: model.%s: the id is already taken or there are too many\n",
                    config_path, cfg->openai.models[i].line, rows[i].id);
            return EX_CONFIG;
        }
    }
    return 0;
}

/* Everything that runs, from the state dir to the HTTP server. */
struct daemon {
    struct ev *ev;
    struct media_store *media;
    struct store *store;
    struct coord *coord;
    struct curl_ev *curl;
    struct api *api;
    struct vestaboards *boards;
    struct http_server *srv;
    char *token, *visitor_secret;
    int64_t watchdog_ms;
};

/* Committed events go to the event streams and the Vestaboards. */
static void on_event(void *user, int64_t id, int64_t network, const char *type, const char *data)
{
    struct daemon *d = user;
    api_on_event(d->api, id, network, type, data);
    vestaboards_on_event(d->boards, network, type, data);
}

/* Requests reach the API once it exists; none is read before the loop runs, which is after
 * daemon_open has made it. */
static void on_request(void *user, struct http_req *req)
{
    struct daemon *d = user;
    api_handle(d->api, req);
}

/* Listen first, so that a port already taken fails before anything is created; then the state
 * dir, store and secrets, the coordinator, platforms and API. 0, or -1 with the reason logged
 * (d holds what was opened: daemon_close). */
static int daemon_open(struct daemon *d, const struct panicd_config *cfg, struct deck *deck)
{
    char err[PANIC_ERR_LEN * 2];
    struct http_limits lim = {MAX_BODY, (unsigned)cfg->http_per_address,
                              cfg->http_request_timeout_ms};
    d->srv = http_server_new(d->ev, cfg->listen, &lim, on_request, d, err, sizeof err);
    if (!d->srv) {
        log_err("%s; nothing was started", err);
        return -1;
    }
    int rc = state_dir_create(cfg->state_dir);
    if (rc < 0) {
        log_err("cannot create the state dir path=%s error=\"%s\"", cfg->state_dir, strerror(-rc));
        return -1;
    }
    d->media = media_open(cfg->state_dir, err, sizeof err);
    if (!d->media) {
        log_err("%s", err);
        return -1;
    }
    char *db_path = xasprintf("%s/panic.sqlite", cfg->state_dir);
    d->store = store_open(db_path, cfg->sync_full, err, sizeof err);
    if (!d->store)
        log_err("cannot open the database path=%s error=\"%s\"", db_path, err);
    free(db_path);
    if (!d->store)
        return -1;
    d->token =
        state_dir_secret(cfg->state_dir, cfg->admin_token, "admin.token", 16, 24, err, sizeof err);
    if (d->token)
        d->visitor_secret = state_dir_secret(cfg->state_dir, cfg->visitor_secret, "visitor.secret",
                                             TOKEN_SECRET_MIN, 32, err, sizeof err);
    if (!d->token || !d->visitor_secret) {
        log_err("%s", err);
        return -1;
    }
    d->coord = coord_new(d->ev, d->store, d->media, cfg);
    coord_seed_displays(d->coord);
    d->curl = curl_ev_new(d->ev);
    if (!d->curl) {
        log_err("cannot start the HTTP client (libcurl)");
        return -1;
    }
    coord_platform_env(d->coord)->curl = d->curl;
    platforms_register(d->coord, cfg);
    d->api = api_new(d->ev, d->coord, d->store, d->media, cfg, d->token, d->visitor_secret, deck);
    d->boards = vestaboards_new(d->coord, d->curl);
    coord_set_sink(d->coord, on_event, d);
    if (coord_start(d->coord, err, sizeof err) < 0) {
        log_err("cannot start the runners: %s", err);
        return -1;
    }
    platforms_prewarm(d->coord);
    api_set_server(d->api, d->srv);
    return 0;
}

static void daemon_close(struct daemon *d)
{
    http_server_free(d->srv);
    api_free(d->api);
    vestaboards_free(d->boards);
    coord_free(d->coord);
    curl_ev_free(d->curl);
    catalog_reset_registered();
    store_close(d->store);
    media_close(d->media);
    ev_free(d->ev);
    free(d->token);
    free(d->visitor_secret);
}

/* SIGTERM, SIGINT and SIGHUP reach the loop through a self-pipe. 0 or -1 (logged). */
static int signals_install(struct ev *ev)
{
    if (pipe(sig_pipe) < 0) {
        log_err("pipe: %s", strerror(errno));
        return -1;
    }
    fcntl(sig_pipe[0], F_SETFL, O_NONBLOCK);
    fcntl(sig_pipe[1], F_SETFL, O_NONBLOCK);
    ev_fd_add(ev, sig_pipe[0], EV_READ, on_sig_pipe, NULL);
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    return 0;
}

/* Run until SIGTERM or SIGINT. The exit code. */
static int serve(const struct panicd_config *cfg, struct deck *deck)
{
    int rc = EXIT_FAILURE;
    struct daemon d = {.ev = ev_new(), .watchdog_ms = notify_watchdog_ms() / 2};
    if (daemon_open(&d, cfg, deck) < 0 || signals_install(d.ev) < 0)
        goto out;
    /* Tell local tools (panicctl, make run, tests) where we listen. */
    char *url = state_dir_local_url(cfg->listen, http_server_port(d.srv));
    state_dir_publish_url(cfg->state_dir, url);
    log_info("listening url=%s state_dir=%s sqlite_synchronous=%s", url, cfg->state_dir,
             cfg->sync_full ? "full" : "normal");
    free(url);
    notify_send("READY=1\nSTATUS=serving");
    ev_timer_in(d.ev, 0, on_media_quota, d.coord);
    if (d.watchdog_ms > 0)
        ev_timer_in(d.ev, d.watchdog_ms, on_watchdog, &d.watchdog_ms);
    while (!got_term) {
        int wait = http_server_before_sleep(d.srv);
        ev_run_once(d.ev, wait);
    }
    notify_send("STOPPING=1");
    log_info("stopping");
    rc = EXIT_SUCCESS;
out:
    daemon_close(&d);
    if (sig_pipe[0] >= 0) {
        close(sig_pipe[0]);
        close(sig_pipe[1]);
    }
    return rc;
}

int main(int argc, char **argv)
{
    /* Tesseract's OpenMP reads OMP_THREAD_LIMIT when it loads, before main: set it and re-exec
     * once (a no-op when the environment already has it). */
    builtin_reexec_with_env(argv);
    struct args a = {0};
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0)
        return rc;
    struct panicd_config cfg;
    config_init(&cfg);
    rc = load_settings(&cfg, &a);
    if (rc == 0)
        rc = register_models(&cfg, a.config_path ? a.config_path : CONFIG_DEFAULT_PATH);
    if (rc != 0) {
        config_free(&cfg);
        return rc;
    }
    signal(SIGPIPE, SIG_IGN);
    char err[PANIC_ERR_LEN * 2];
    enum deck_order order = cfg.prompt_deck_cycle ? DECK_CYCLE : DECK_SHUFFLE;
    struct deck *deck = prompt_deck_open(cfg.prompt_deck, order, err, sizeof err);
    if (!deck) {
        fprintf(stderr, "<3>%s:%d: prompt_deck: %s\n",
                a.config_path ? a.config_path : CONFIG_DEFAULT_PATH, cfg.prompt_deck_line, err);
        config_free(&cfg);
        return EX_CONFIG;
    }
    rc = serve(&cfg, deck);
    deck_free(deck);
    config_free(&cfg);
    return rc;
}
