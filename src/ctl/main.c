/* main.c: panicctl, the command-line client of panicd's HTTP API. This file only wires things
 * together: it parses the options, finds the coordinator's URL and the token (option, then
 * environment, then the files panicd leaves in its state directory), runs one command and turns
 * its result into the exit status. The commands live in cmd.c and tail.c, HTTP in http_client.c. */
#include "ctl.h"
#include "common/checkout.h"
#include "common/util.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_URL "http://127.0.0.1:8080"
#define DEFAULT_STATE_DIR "/var/lib/panic"

static const char usage_text[] =
    "usage: panicctl [--coordinator URL] [--token TOKEN] [--state-dir DIR] [--json]\n"
    "                COMMAND [ARGS]\n"
    "\n"
    "The command-line client of the PANIC! coordinator (panicd).\n"
    "\n"
    "commands:\n"
    "  status [NETWORK]             the runner's state (default: the first network);\n"
    "                               NETWORK is an id or a slug, here and for --network\n"
    "  health                       whether the coordinator is up, and its version\n"
    "  models                       the model catalogue: what each model does, and why\n"
    "                               one cannot run\n"
    "  networks                     the networks, one a line: id, slug, name, models\n"
    "  network create NAME MODEL... [--lockout S] [--slug SLUG]\n"
    "                               a network running the models in a cycle; its slug\n"
    "                               (short name) defaults to the name in lower case\n"
    "  network delete NETWORK       delete a network\n"
    "  displays                     every display known: network, online or missing, health,\n"
    "                               last seen, frame rate, temperature, version\n"
    "  display show NAME            a display's configuration\n"
    "  display set NAME KEY=VALUE...\n"
    "                               change it: network (id or slug), mode, rows, cols,\n"
    "                               offset, stride, show_invoking=yes|no, audio=yes|no,\n"
    "                               tv_on=HH:MM, tv_off=HH:MM, tv_days=mon-fri,\n"
    "                               tv_holidays=DATE,..., kind=vestaboard,\n"
    "                               vestaboard_url=URL, vestaboard_key=KEY\n"
    "  prompt [--network NETWORK] TEXT...\n"
    "                               start a run with this prompt\n"
    "  stop [--network NETWORK]     stop the current run\n"
    "  stop --all                   stop every network and cancel every call in flight\n"
    "  press [--display NAME] [--long]\n"
    "                               press the panic button of display NAME (default: this\n"
    "                               host's name): a run from the prompt deck; --long stops\n"
    "                               the run (if the device may)\n"
    "  tail [--network NETWORK] [--last-event-id N]\n"
    "                               follow the network's events in words, from the\n"
    "                               current run's genesis (or after event N), until\n"
    "                               interrupted; reconnects when panicd restarts\n"
    "  backup FILE                  save a consistent copy of the database as FILE\n"
    "                               (without the platform API keys, on purpose)\n"
    "\n"
    "options (also accepted after the command; put -- before text that starts with -):\n"
    "  --coordinator URL   default: $PANIC_COORDINATOR, else the first line of\n"
    "                      STATE_DIR/panicd.url, else " DEFAULT_URL "\n"
    "  --token TOKEN       bearer token; default: $PANIC_TOKEN, else STATE_DIR/admin.token\n"
    "                      (the option shows in ps: prefer the variable or the file)\n"
    "  --state-dir DIR     default: $PANIC_STATE_DIR, else ./state of the checkout when run\n"
    "                      from its build tree (as make run), else " DEFAULT_STATE_DIR "\n"
    "  --json              print the coordinator's JSON as it is (tail: each event's data)\n"
    "  -h, --help          this text\n"
    "\n"
    "exit status: 0 done, 1 the coordinator refused, 2 usage error, 69 the coordinator\n"
    "is unreachable, 73 the backup file cannot be written, 75 locked out (try later).\n";

enum {
    OPT_NETWORK = 1 << 0,
    OPT_LOCKOUT = 1 << 1,
    OPT_LAST_ID = 1 << 2,
    OPT_DISPLAY = 1 << 3,
    OPT_LONG = 1 << 4,
    OPT_ALL = 1 << 5,
    OPT_SLUG = 1 << 6,
};

static const struct command {
    const char *name;
    int (*fn)(struct ctl *c, const struct ctl_args *a);
    unsigned opts; /* the command options it takes */
    int max_words; /* after the command; -1: the command checks */
} commands[] = {
    {"status", cmd_status, OPT_NETWORK, 1},
    {"health", cmd_health, 0, 0},
    {"models", cmd_models, 0, 0},
    {"networks", cmd_networks, 0, 0},
    {"network", cmd_network, OPT_LOCKOUT | OPT_SLUG, -1},
    {"display", cmd_display, 0, -1},
    {"displays", cmd_displays, 0, 0},
    {"prompt", cmd_prompt, OPT_NETWORK, -1},
    {"stop", cmd_stop, OPT_NETWORK | OPT_ALL, 0},
    {"press", cmd_press, OPT_DISPLAY | OPT_LONG, 0},
    {"tail", cmd_tail, OPT_NETWORK | OPT_LAST_ID, 0},
    {"backup", cmd_backup, 0, 1},
};

struct opts {
    const char *coordinator, *token, *state_dir, *command;
    int json, help;
    unsigned seen; /* OPT_* given */
    struct ctl_args args;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("panicctl: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(CTL_USAGE_HINT "\n", stderr);
    return CTL_USAGE;
}

/* Options may come anywhere until "--"; everything else is the command and its words. */
static int parse_args(int argc, char **argv, struct opts *o)
{
    const struct {
        const char *name;
        const char **dst;
        unsigned bit;
    } valued[] = {
        {"--coordinator", &o->coordinator, 0},
        {"--token", &o->token, 0},
        {"--state-dir", &o->state_dir, 0},
        {"--network", &o->args.network, OPT_NETWORK},
        {"--lockout", &o->args.lockout, OPT_LOCKOUT},
        {"--last-event-id", &o->args.last_event_id, OPT_LAST_ID},
        {"--display", &o->args.display, OPT_DISPLAY},
        {"--slug", &o->args.slug, OPT_SLUG},
    };
    int words_only = 0;
    o->args.pos = xcalloc((size_t)argc, sizeof *o->args.pos);
    for (int i = 1; i < argc; i++) {
        char *arg = argv[i];
        if (words_only || arg[0] != '-' || arg[1] == '\0') {
            if (!o->command)
                o->command = arg;
            else
                o->args.pos[o->args.npos++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            words_only = 1;
        } else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            o->help = 1;
        } else if (strcmp(arg, "--json") == 0) {
            o->json = 1;
        } else if (strcmp(arg, "--long") == 0) {
            o->args.long_press = 1;
            o->seen |= OPT_LONG;
        } else if (strcmp(arg, "--all") == 0) {
            o->args.all = 1;
            o->seen |= OPT_ALL;
        } else {
            const char *eq = strchr(arg, '=');
            size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
            size_t k = 0;
            while (k < ARRAY_LEN(valued) &&
                   !(strlen(valued[k].name) == nlen && memcmp(arg, valued[k].name, nlen) == 0))
                k++;
            if (k == ARRAY_LEN(valued))
                return usage_error("unknown option '%s'", arg);
            const char *val = eq ? eq + 1 : i + 1 < argc ? argv[++i] : NULL;
            if (!val)
                return usage_error("%s needs a value", valued[k].name);
            *valued[k].dst = val;
            o->seen |= valued[k].bit;
        }
    }
    return CTL_OK;
}

/* The first line of a small file, trimmed; NULL (errno set) if unreadable or empty. Owned. */
static char *read_first_line(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, f);
    fclose(f);
    if (n < 0) {
        free(line);
        errno = ENODATA;
        return NULL;
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' ||
                     line[n - 1] == '\t'))
        line[--n] = '\0';
    if (n == 0) {
        free(line);
        errno = ENODATA;
        return NULL;
    }
    return line;
}

static const char *env_nonempty(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* Run from a build tree (build/ or build/test/ of a checkout), the state dir `make run` uses:
 * the checkout's state/. NULL otherwise. Owned. */
static char *build_tree_state_dir(void)
{
    const char *root = checkout_root();
    return root ? xasprintf("%s/state", root) : NULL;
}

/* Printable ASCII without spaces: anything else could split the request's header lines. */
static int header_safe(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
            return 0;
    return 1;
}

int main(int argc, char **argv)
{
    struct opts o = {0};
    struct ctl c = {0};
    char *url_file = NULL, *token_file = NULL, *file_url = NULL, *file_token = NULL;
    char *url = NULL, *looked = NULL, *tree_state = NULL;
    const struct command *cmd = NULL;
    int http_ready = 0;

    int rc = parse_args(argc, argv, &o);
    if (rc != CTL_OK)
        goto cleanup;
    if (o.help || (o.command && strcmp(o.command, "help") == 0)) {
        fputs(usage_text, stdout);
        goto cleanup;
    }
    if (!o.command) {
        rc = usage_error("no command given");
        goto cleanup;
    }
    for (size_t i = 0; i < ARRAY_LEN(commands) && !cmd; i++)
        if (strcmp(o.command, commands[i].name) == 0)
            cmd = &commands[i];
    if (!cmd) {
        rc = usage_error("unknown command '%s'", o.command);
        goto cleanup;
    }
    if (o.seen & ~cmd->opts) {
        rc = usage_error("'%s' does not take that option", cmd->name);
        goto cleanup;
    }
    if (cmd->max_words >= 0 && o.args.npos > cmd->max_words) {
        rc = usage_error("too many arguments for '%s'", cmd->name);
        goto cleanup;
    }

    const char *state_dir = o.state_dir ? o.state_dir : env_nonempty("PANIC_STATE_DIR");
    if (!state_dir && (tree_state = build_tree_state_dir()))
        state_dir = tree_state;
    if (!state_dir)
        state_dir = DEFAULT_STATE_DIR;
    url_file = xasprintf("%s/panicd.url", state_dir);
    token_file = xasprintf("%s/admin.token", state_dir);

    const char *u = o.coordinator ? o.coordinator : env_nonempty("PANIC_COORDINATOR");
    if (!u && (file_url = read_first_line(url_file)))
        u = file_url;
    url = xstrdup(u ? u : DEFAULT_URL);
    for (size_t n = strlen(url); n > 0 && url[n - 1] == '/'; n--)
        url[n - 1] = '\0';
    if (!header_safe(url)) {
        rc = usage_error("the coordinator URL '%s' has spaces or control characters", url);
        goto cleanup;
    }

    const char *token = NULL;
    if (o.token) {
        token = o.token, c.token_from = "--token";
    } else if ((token = env_nonempty("PANIC_TOKEN"))) {
        c.token_from = "$PANIC_TOKEN";
    } else if ((file_token = read_first_line(token_file))) {
        token = file_token, c.token_from = token_file;
    } else {
        looked = xasprintf("--token, $PANIC_TOKEN and %s (%s)", token_file,
                           errno == ENODATA ? "empty" : strerror(errno));
        c.token_looked = looked;
    }
    if (token && !header_safe(token)) {
        rc = usage_error("the token from %s has spaces or control characters", c.token_from);
        goto cleanup;
    }

    /* Only a flag: the transfer in progress notices it within a second and unwinds. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    if (ctl_http_global_init() < 0) {
        fputs("panicctl: libcurl failed to initialise\n", stderr);
        rc = CTL_UNREACHABLE;
        goto cleanup;
    }
    http_ready = 1;
    c.url = url;
    c.json = o.json;
    c.stop = &stop_requested;
    c.http = ctl_http_new(url, token, &stop_requested);
    if (!c.http) {
        fputs("panicctl: libcurl failed to initialise\n", stderr);
        rc = CTL_UNREACHABLE;
        goto cleanup;
    }
    rc = cmd->fn(&c, &o.args);
cleanup:
    ctl_http_free(c.http);
    if (http_ready)
        ctl_http_global_cleanup();
    free(looked);
    free(file_token);
    free(file_url);
    free(url);
    free(token_file);
    free(url_file);
    free(tree_state);
    free(o.args.pos);
    return rc;
}
