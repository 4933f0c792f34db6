/* it_panicctl.c: panicctl against a real panicd on 127.0.0.1, as a new installer meets it: the
 * live tail (from the current run's genesis, one line per invocation, status lines only when the
 * state changes, everything in words, through a restart of panicd), usage errors in one line,
 * the model catalogue with descriptions and reasons, the backup's note on platform keys, and
 * the state dir found from a build tree.
 * Every test starts its own panicd with a random port. */
#include "support.h"
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- helpers ---- */

/* A network of dummy models that runs quickly; its id or -1. */
static long long create_net(const struct daemon *d, const char *name, int lockout)
{
    json_t *b = json_pack("{s:s, s:[s,s], s:i, s:[{s:f}]}", "name", name, "models", "dummy-t2t",
                          "dummy-t2t", "lockout_seconds", lockout, "schedule", "delay_s", 0.1);
    char *body = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    long st;
    json_t *j = api_json(d, "POST", "/api/v1/networks", d->token, body, &st);
    free(body);
    long long id = st == 201 ? json_int_of(j, "id", -1) : -1;
    json_decref(j);
    return id;
}

/* A background `panicctl tail --network NET`, its stdout into DIR/tail.out, stderr into
 * DIR/tail.err. */
struct tailer {
    pid_t pid;
    char out[320], err[320];
};

static int tail_start(struct tailer *t, const struct daemon *d, long long net)
{
    char bin[512], netarg[32];
    snprintf(bin, sizeof bin, "%s/panicctl", support_build_dir());
    snprintf(netarg, sizeof netarg, "%lld", net);
    snprintf(t->out, sizeof t->out, "%s/tail.out", d->dir);
    snprintf(t->err, sizeof t->err, "%s/tail.err", d->dir);
    fflush(stdout);
    t->pid = fork();
    if (t->pid < 0)
        return -1;
    if (t->pid == 0) {
        int o = open(t->out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(t->err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(o, 1);
        dup2(e, 2);
        setenv("PANIC_TOKEN", d->token, 1);
        execl(bin, bin, "--coordinator", d->url, "tail", "--network", netarg, (char *)NULL);
        _exit(127);
    }
    return 0;
}

/* The whole of a small file, NUL-terminated, into buf. */
static void slurp(const char *path, char *buf, size_t len)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    size_t n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* Wait up to 20 s until the tail's output holds want; 1 if it does. */
static int tail_wait(const struct tailer *t, const char *want, char *buf, size_t len)
{
    int64_t end = support_now_ms() + 20000;
    do {
        slurp(t->out, buf, len);
        if (strstr(buf, want))
            return 1;
        support_sleep_ms(50);
    } while (support_now_ms() < end);
    printf("  the tail never said \"%s\"; it said:\n%s\n", want, buf);
    return 0;
}

/* Ctrl-C: the exit code (0 expected), or -1 if it did not end within 5 s. */
static int tail_interrupt(struct tailer *t)
{
    kill(t->pid, SIGINT);
    for (int i = 0; i < 500; i++) {
        int status;
        pid_t r = waitpid(t->pid, &status, WNOHANG);
        if (r == t->pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        support_sleep_ms(10);
    }
    kill(t->pid, SIGKILL);
    waitpid(t->pid, NULL, 0);
    return -1;
}

/* How many lines of text contain needle. */
static int lines_with(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* Wait up to 10 s until network net's status has seq >= seq. */
static int wait_seq(const struct daemon *d, long long net, long long seq)
{
    char path[96];
    snprintf(path, sizeof path, "/api/v1/networks/%lld/status", net);
    int64_t end = support_now_ms() + 10000;
    do {
        long st;
        json_t *j = api_json(d, "GET", path, NULL, NULL, &st);
        long long s = json_int_of(j, "seq", -1);
        json_decref(j);
        if (s >= seq)
            return 1;
        support_sleep_ms(50);
    } while (support_now_ms() < end);
    return 0;
}

/* ---- tests ---- */

/* A tail started after the run began shows it from its genesis, one line per finished
 * invocation, no status line between invocations, networks and a stop in words. */
TEST(tail_from_genesis_in_words)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, NULL);
    long long net = create_net(&d, "tail words", 30);
    REQUIRE(net > 0);
    CHECK_EQ_INT(api_post_prompt(&d, net, d.token, NULL, "a genesis prompt", NULL), 201);
    CHECK(wait_seq(&d, net, 3));
    struct tailer t;
    REQUIRE_EQ_INT(tail_start(&t, &d, net), 0);
    static char out[65536];
    CHECK(tail_wait(&t, " seq 3 ", out, sizeof out));
    /* The genesis, with its prompt. */
    CHECK(strstr(out, " seq 0 ") && strstr(out, "a genesis prompt"));
    CHECK(strstr(out, "run 1 started") != NULL);
    CHECK_EQ_INT(lines_with(out, "run 1 seq 0 "), 1);
    CHECK_EQ_INT(lines_with(out, "run 1 seq 1 "), 1);
    CHECK_EQ_INT(lines_with(out, "invoking"), 0);
    CHECK_EQ_INT(lines_with(out, " status "), 0);
    /* Networks in words, not JSON. */
    long long other = create_net(&d, "another one", 0);
    CHECK(other > 0);
    CHECK(tail_wait(&t, "\"another one\" created", out, sizeof out));
    char path[96];
    snprintf(path, sizeof path, "/api/v1/networks/%lld", other);
    CHECK_EQ_INT(api_status(&d, "DELETE", path, d.token, NULL), 200);
    snprintf(path, sizeof path, "network %lld deleted", other);
    CHECK(tail_wait(&t, path, out, sizeof out));
    /* A stop in words. */
    snprintf(path, sizeof path, "/api/v1/networks/%lld/stop", net);
    CHECK_EQ_INT(api_status(&d, "POST", path, d.token, NULL), 200);
    CHECK(tail_wait(&t, "run 1 stopped by staff", out, sizeof out));
    CHECK(strchr(out, '{') == NULL);
    CHECK(strstr(out, "error:") == NULL);
    CHECK_EQ_INT(tail_interrupt(&t), 0);
    CHECK_EQ_INT(daemon_stop(&d, 5000, NULL), 0);
    daemon_cleanup(&d);
}

/* panicd restarts under a running tail: it reconnects with the last event id and goes on, with
 * nothing printed twice. */
TEST(tail_survives_restart)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, NULL);
    long long net = create_net(&d, "tail restart", 0);
    REQUIRE(net > 0);
    CHECK_EQ_INT(api_post_prompt(&d, net, d.token, NULL, "before the restart", NULL), 201);
    struct tailer t;
    REQUIRE_EQ_INT(tail_start(&t, &d, net), 0);
    static char out[65536], err[4096];
    CHECK(tail_wait(&t, "run 1 seq 1 ", out, sizeof out));
    /* The same port again, so the tail's URL still holds. */
    const char *port = strrchr(d.url, ':');
    REQUIRE(port != NULL);
    FILE *f = fopen(d.config, "a");
    REQUIRE(f != NULL);
    fprintf(f, "listen 127.0.0.1%s\n", port);
    fclose(f);
    CHECK_EQ_INT(daemon_stop(&d, 5000, NULL), 0);
    support_sleep_ms(500);
    REQUIRE_EQ_INT(daemon_restart(&d), 0);
    CHECK_EQ_INT(api_post_prompt(&d, net, d.token, NULL, "after the restart", NULL), 201);
    CHECK(tail_wait(&t, "after the restart", out, sizeof out));
    CHECK_EQ_INT(waitpid(t.pid, NULL, WNOHANG), 0); /* still running */
    CHECK_EQ_INT(lines_with(out, "run 1 seq 0 "), 1);
    slurp(t.err, err, sizeof err);
    CHECK(strstr(err, "reconnecting") != NULL);
    CHECK_EQ_INT(tail_interrupt(&t), 0);
    CHECK_EQ_INT(daemon_stop(&d, 5000, NULL), 0);
    daemon_cleanup(&d);
}

/* A usage error is one line that ends "see 'panicctl --help'", not the whole help. */
TEST(usage_error_is_one_line)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, NULL);
    const char *bad[] = {"",
                         "--bogus status",
                         "frobnicate",
                         "tail extra",
                         "status --long",
                         "network create onlyaname",
                         "display set tv1 nokey"};
    char out[8192];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CHECK_EQ_INT(daemon_ctl(&d, bad[i], out, sizeof out), 2);
        CHECK_EQ_INT(lines_with(out, "\n"), 1);
        CHECK(strstr(out, "see 'panicctl --help'") != NULL);
        CHECK(strstr(out, "commands:") == NULL);
    }
    /* --help itself is the whole text, on stdout, exit 0. */
    CHECK_EQ_INT(daemon_ctl(&d, "--help", out, sizeof out), 0);
    CHECK(strstr(out, "commands:") != NULL);
    CHECK_EQ_INT(daemon_stop(&d, 5000, NULL), 0);
    daemon_cleanup(&d);
}

/* The catalogue says what each model does and, when it cannot run, why. */
TEST(models_say_what_and_why)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, NULL);
    static char out[65536];
    CHECK_EQ_INT(daemon_ctl(&d, "models", out, sizeof out), 0);
    long st;
    json_t *j = api_json(&d, "GET", "/api/v1/models", NULL, NULL, &st);
    json_t *m;
    size_t i;
    int unavailable = 0;
    json_array_foreach(json_object_get(j, "models"), i, m)
    {
        const char *desc = json_str_of(m, "description"),
                   *why = json_str_of(m, "unavailable_reason");
        char want[200];
        snprintf(want, sizeof want, "%.60s", desc ? desc : "");
        CHECK(!desc || strstr(out, want) != NULL);
        if (why) {
            unavailable++;
            /* On the model's own line. */
            snprintf(want, sizeof want, "\n%s ", json_str_of(m, "id"));
            const char *line = strstr(out, want);
            snprintf(want, sizeof want, " no: %s\n", why);
            const char *said = line ? strstr(line, want) : NULL;
            CHECK(said && !memchr(line + 1, '\n', (size_t)(said - line - 1)));
        }
    }
    CHECK_GE(unavailable, 1); /* no platform keys here: the hosted models cannot run */
    json_decref(j);
    CHECK_EQ_INT(daemon_stop(&d, 5000, NULL), 0);
    daemon_cleanup(&d);
}

/* The backup says that it leaves the platform keys out, on purpose. */
TEST(backup_says_keys_are_omitted)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, NULL);
    char args[400], out[4096];
    snprintf(args, sizeof args, "backup '%s/copy.sqlite'", d.dir);
    CHECK_EQ_INT(daemon_ctl(&d, args, out, sizeof out), 0);
    CHECK(strstr(out, "wrote ") != NULL);
    CHECK(strstr(out, "platform API keys") && strstr(out, "on purpose"));
    snprintf(args, sizeof args, "--json backup '%s/copy2.sqlite'", d.dir);
    CHECK_EQ_INT(daemon_ctl(&d, args, out, sizeof out), 0);
    CHECK(strstr(out, "\"omitted\":[\"platform_keys\"]") != NULL);
    CHECK_EQ_INT(daemon_stop(&d, 5000, NULL), 0);
    daemon_cleanup(&d);
}

/* Run from a build tree with no options nor environment, panicctl finds make run's state/ (the
 * URL and the admin token panicd left there), as panic-display does. */
TEST(build_tree_finds_its_state)
{
    struct daemon d;
    DAEMON_START_OR_FAIL(&d, NULL);
    char tree[320], cmd[4096], out[4096];
    snprintf(tree, sizeof tree, "%s/tree", d.dir);
    snprintf(cmd, sizeof cmd,
             "mkdir -p '%s/build' '%s/fonts' '%s/state' && cp '%s/panicctl' '%s/build/' && "
             "cp fonts/DepartureMono-Regular.otf '%s/fonts/' && echo '%s' >'%s/state/panicd.url' "
             "&& echo '%s' >'%s/state/admin.token'",
             tree, tree, tree, support_build_dir(), tree, tree, d.url, tree, d.token, tree);
    REQUIRE_EQ_INT(system(cmd), 0);
    snprintf(cmd, sizeof cmd,
             "cd / && env -u PANIC_STATE_DIR -u PANIC_TOKEN -u PANIC_COORDINATOR "
             "'%s/build/panicctl' prompt from the tree 2>&1",
             tree);
    FILE *f = popen(cmd, "r");
    REQUIRE(f != NULL);
    size_t n = fread(out, 1, sizeof out - 1, f);
    out[n] = '\0';
    int status = pclose(f);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(strstr(out, "started run") != NULL);
    if (!strstr(out, "started run"))
        printf("  panicctl: %s\n", out);
    CHECK_EQ_INT(daemon_stop(&d, 5000, NULL), 0);
    daemon_cleanup(&d);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_teardown = support_reap;
    RUN(tail_from_genesis_in_words);
    RUN(tail_survives_restart);
    RUN(usage_error_is_one_line);
    RUN(models_say_what_and_why);
    RUN(backup_says_keys_are_omitted);
    RUN(build_tree_finds_its_state);
    support_done();
    TEST_END("it_panicctl");
}
