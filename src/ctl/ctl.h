/* ctl.h: what main.c hands to panicctl's commands: the context built from the options and the
 * environment, the parsed arguments, the exit codes, and the commands themselves. No library
 * headers here, so main.c stays plain wiring. */
#ifndef PANIC_CTL_CTL_H
#define PANIC_CTL_CTL_H

#include "http_client.h"

#include <signal.h>

/* sysexits.h values where one fits, so scripts can tell "try later" from "give up". */
enum ctl_exit {
    CTL_OK = 0,
    CTL_REFUSED = 1, /* the coordinator answered 4xx/5xx, or something that is not the API */
    CTL_USAGE = 2,
    CTL_UNREACHABLE = 69, /* EX_UNAVAILABLE */
    CTL_CANTCREAT = 73,   /* EX_CANTCREAT: the backup file could not be written */
    CTL_LOCKOUT = 75,     /* EX_TEMPFAIL: a prompt during the lockout */
    CTL_INTERRUPTED = 130,
};

/* Ends a usage error's one line: the reason stays on screen, not buried under the help. */
#define CTL_USAGE_HINT " (see 'panicctl --help')"

struct ctl {
    struct ctl_http *http;
    const char *url;          /* the coordinator's base URL, for messages */
    const char *token_from;   /* "--token", "$PANIC_TOKEN" or a file path; NULL: no token */
    const char *token_looked; /* without a token: where it was looked for, and why it failed */
    int json;                 /* --json */
    volatile sig_atomic_t *stop;
};

/* The words after the command and the command options, unparsed; NULL when absent. */
struct ctl_args {
    char **pos;
    int npos;
    const char *network;
    const char *lockout;
    const char *last_event_id;
    const char *display;
    const char *slug; /* network create --slug */
    int long_press;   /* --long */
    int all;          /* --all */
};

/* Each returns an enum ctl_exit; a CTL_USAGE return has printed its one line. */
int cmd_status(struct ctl *c, const struct ctl_args *a);
int cmd_health(struct ctl *c, const struct ctl_args *a);
int cmd_models(struct ctl *c, const struct ctl_args *a);
int cmd_networks(struct ctl *c, const struct ctl_args *a);
int cmd_network(struct ctl *c, const struct ctl_args *a);
int cmd_display(struct ctl *c, const struct ctl_args *a);
int cmd_displays(struct ctl *c, const struct ctl_args *a);
int cmd_prompt(struct ctl *c, const struct ctl_args *a);
int cmd_stop(struct ctl *c, const struct ctl_args *a);
int cmd_press(struct ctl *c, const struct ctl_args *a);
int cmd_tail(struct ctl *c, const struct ctl_args *a);
int cmd_backup(struct ctl *c, const struct ctl_args *a);

#endif
