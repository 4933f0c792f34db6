/* it_discovery.c: zero-config discovery (issue 13, part 1) with a real avahi-daemon. The test
 * starts its own D-Bus system bus (dbus-daemon on a socket in its dir, a policy that lets anyone
 * talk) and avahi-daemon on it (--no-drop-root --no-chroot, mDNS on the loopback interface only),
 * points DBUS_SYSTEM_BUS_ADDRESS at that bus for everything it starts, then runs two panicds of
 * two installations: panicctl and panic-display with no URL find the one their installation names
 * and refuse to guess among several. Without a daemon, panicd still serves, panicctl says why it
 * found nothing, and an explicit URL works. Where avahi-daemon or dbus-daemon is missing the
 * tests with the daemon fail, unless PANIC_NO_AVAHI=1 says this machine cannot run them; not
 * being root (avahi-daemon insists) skips them with a note. */
#define _GNU_SOURCE
#include "support.h"
#include "test.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char root[256];
static pid_t bus_pid, avahi_pid;

static int run(const char *cmd, char *out, size_t len)
{
    FILE *f = popen(cmd, "r");
    if (!f)
        return -1;
    size_t n = fread(out, 1, len - 1, f);
    out[n] = '\0';
    int status = pclose(f);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static pid_t spawn(const char *log, char *const argv[])
{
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen(log, "w", stdout))
            _exit(127);
        dup2(1, 2);
        execvp(argv[0], argv);
        _exit(127);
    }
    return pid;
}

static int file_has(const char *path, const char *needle)
{
    char buf[16384] = "";
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    return strstr(buf, needle) != NULL;
}

/* The private bus and the daemon. 0, or -1 with the reason printed. */
static int avahi_up(void)
{
    char path[400], bus[400], log[400];
    snprintf(path, sizeof path, "%s/bus.conf", root);
    snprintf(bus, sizeof bus, "%s/bus", root);
    char conf[2048];
    snprintf(conf, sizeof conf,
             "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
             " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
             "<busconfig><type>system</type><listen>unix:path=%s</listen>"
             "<auth>EXTERNAL</auth><policy context=\"default\"><allow user=\"*\"/>"
             "<allow own=\"*\"/><allow send_destination=\"*\"/><allow receive_sender=\"*\"/>"
             "</policy></busconfig>\n",
             bus);
    write_file(path, conf, strlen(conf));
    snprintf(log, sizeof log, "%s/dbus.log", root);
    char *bus_argv[] = {"dbus-daemon", "--nofork", "--config-file", path, NULL};
    bus_pid = spawn(log, bus_argv);
    for (int i = 0; i < 100 && access(bus, F_OK) != 0; i++)
        support_sleep_ms(50);
    if (access(bus, F_OK) != 0) {
        printf("  dbus-daemon did not start (is it installed?)\n");
        return -1;
    }
    char addr[450];
    snprintf(addr, sizeof addr, "unix:path=%s", bus);
    setenv("DBUS_SYSTEM_BUS_ADDRESS", addr, 1);
    snprintf(path, sizeof path, "%s/avahi.conf", root);
    static const char avahi_conf[] = "[server]\nuse-ipv4=yes\nuse-ipv6=no\nallow-interfaces=lo\n"
                                     "ratelimit-interval-usec=1000000\nratelimit-burst=1000\n"
                                     "[wide-area]\nenable-wide-area=no\n[publish]\n"
                                     "publish-hinfo=no\npublish-workstation=no\n";
    write_file(path, avahi_conf, sizeof avahi_conf - 1);
    snprintf(log, sizeof log, "%s/avahi.log", root);
    char *avahi_argv[] = {"avahi-daemon",    "-f",          path,
                          "--no-drop-root",  "--no-chroot", "--no-rlimits",
                          "--no-proc-title", NULL};
    avahi_pid = spawn(log, avahi_argv);
    for (int i = 0; i < 200 && !file_has(log, "Server startup complete"); i++)
        support_sleep_ms(50);
    if (!file_has(log, "Server startup complete")) {
        printf("  avahi-daemon did not start; its log:\n");
        char cmd[500], out[4096];
        snprintf(cmd, sizeof cmd, "tail -n 5 '%s'", log);
        run(cmd, out, sizeof out);
        printf("%s", out);
        return -1;
    }
    return 0;
}

static void avahi_down(void)
{
    if (avahi_pid > 0) {
        kill(avahi_pid, SIGTERM);
        waitpid(avahi_pid, NULL, 0);
    }
    if (bus_pid > 0) {
        kill(bus_pid, SIGTERM);
        waitpid(bus_pid, NULL, 0);
    }
    avahi_pid = bus_pid = 0;
    unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
}

/* panicctl health with no URL (and no state dir to read one from). */
static int ctl_health(const char *installation, char *out, size_t len)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "env -u PANIC_COORDINATOR PANIC_STATE_DIR=%s/nostate '%s/panicctl' %s%s health 2>&1",
             root, support_build_dir(), installation ? "--installation " : "",
             installation ? installation : "");
    return run(cmd, out, len);
}

static int announced(const struct daemon *d)
{
    char log[400];
    snprintf(log, sizeof log, "%s/panicd.log", d->dir);
    for (int i = 0; i < 100 && !file_has(log, "mDNS: announced"); i++)
        support_sleep_ms(50);
    return file_has(log, "mDNS: announced");
}

static int need_avahi(void)
{
    if (geteuid() != 0) {
        printf("  skipped: avahi-daemon runs as root only (this test is not root)\n");
        return 1;
    }
    if (avahi_up() == 0)
        return 0;
    avahi_down();
    const char *skip = getenv("PANIC_NO_AVAHI");
    if (skip && !strcmp(skip, "1")) {
        printf("  skipped: this machine cannot run avahi-daemon (PANIC_NO_AVAHI=1)\n");
        return 1;
    }
    CHECK(!"avahi-daemon runs here (scripts/deps.sh test installs it)");
    return 1;
}

TEST(ctl_and_display_find_their_installation)
{
    if (need_avahi())
        return;
    struct daemon a, b;
    char out[4096];
    if (daemon_start(&a, "installation_name gallery-a\n") < 0) {
        CHECK(!"panicd a started");
        avahi_down();
        return;
    }
    /* One coordinator: found with no name at all. */
    CHECK(announced(&a));
    CHECK_EQ_INT(ctl_health(NULL, out, sizeof out), 0);
    CHECK(strstr(out, a.url) != NULL);
    if (!strstr(out, a.url))
        printf("  panicctl: %s\n", out);

    if (daemon_start(&b, "installation_name gallery-b\n") < 0) {
        CHECK(!"panicd b started");
        goto out_a;
    }
    CHECK(announced(&b));
    /* Two: each by its name; without one, a clear refusal naming both. */
    CHECK_EQ_INT(ctl_health("gallery-b", out, sizeof out), 0);
    CHECK(strstr(out, b.url) != NULL);
    if (!strstr(out, b.url))
        printf("  panicctl: %s\n", out);
    CHECK_EQ_INT(ctl_health("gallery-a", out, sizeof out), 0);
    CHECK(strstr(out, a.url) != NULL);
    CHECK(ctl_health(NULL, out, sizeof out) != 0);
    CHECK(strstr(out, "several coordinators") && strstr(out, "'gallery-a'") &&
          strstr(out, "'gallery-b'"));
    CHECK(ctl_health("gallery-z", out, sizeof out) != 0);
    CHECK(strstr(out, "no coordinator of installation 'gallery-z'") != NULL);

    /* The display, told only its installation, joins b. */
    char cmd[2048], dlog[400];
    snprintf(dlog, sizeof dlog, "%s/display.log", root);
    snprintf(cmd, sizeof cmd,
             "env -u PANIC_COORDINATOR '%s/panic-display' --offscreen --installation gallery-b "
             "--name tv9 --state-dir %s/display --frames 3 --fps 10 --window 320x180 --font "
             "fonts/DepartureMono-Regular.otf > '%s' 2>&1",
             support_build_dir(), root, dlog);
    CHECK_EQ_INT(system(cmd), 0);
    char want[200];
    snprintf(want, sizeof want, "found the coordinator on the LAN url=%s", b.url);
    CHECK(file_has(dlog, want));
    if (!file_has(dlog, want)) {
        snprintf(cmd, sizeof cmd, "tail -n 8 '%s'", dlog);
        run(cmd, out, sizeof out);
        printf("  display: %s\n", out);
    }
    daemon_stop(&b, 5000, NULL);
    daemon_cleanup(&b);
out_a:
    daemon_stop(&a, 5000, NULL);
    daemon_cleanup(&a);
    avahi_down();
}

/* A panicd started before the daemon is announced once the daemon comes. */
TEST(announced_when_the_daemon_comes_later)
{
    struct daemon a;
    char bus[400];
    snprintf(bus, sizeof bus, "unix:path=%s/bus", root);
    setenv("DBUS_SYSTEM_BUS_ADDRESS", bus, 1); /* nothing there yet */
    REQUIRE(daemon_start(&a, "installation_name late\n") == 0);
    char log[400];
    snprintf(log, sizeof log, "%s/panicd.log", a.dir);
    CHECK(file_has(log, "no Avahi daemon"));
    if (need_avahi()) {
        daemon_stop(&a, 5000, NULL);
        daemon_cleanup(&a);
        return;
    }
    /* AVAHI_CLIENT_NO_FAIL retries the bus every few seconds. */
    for (int i = 0; i < 400 && !file_has(log, "mDNS: announced"); i++)
        support_sleep_ms(50);
    CHECK(file_has(log, "mDNS: announced"));
    char out[4096];
    CHECK_EQ_INT(ctl_health("late", out, sizeof out), 0);
    CHECK(strstr(out, a.url) != NULL);
    daemon_stop(&a, 5000, NULL);
    daemon_cleanup(&a);
    avahi_down();
}

/* No Avahi at all: panicd serves, panicctl says why it found nothing, a URL works. */
TEST(works_without_avahi)
{
    setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/panic-no-bus", 1);
    struct daemon a;
    REQUIRE(daemon_start(&a, "installation_name alone\n") == 0);
    char log[400], out[4096], cmd[1024];
    snprintf(log, sizeof log, "%s/panicd.log", a.dir);
    CHECK(file_has(log, "no Avahi daemon") || file_has(log, "cannot announce"));
    CHECK_EQ_INT(api_status(&a, "GET", "/api/v1/health", NULL, NULL), 200);
    CHECK_EQ_INT(ctl_health(NULL, out, sizeof out), 69);
    CHECK(strstr(out, "cannot browse the LAN") != NULL);
    CHECK(strstr(out, "give the coordinator's URL") != NULL);
    snprintf(cmd, sizeof cmd, "'%s/panicctl' --coordinator %s health 2>&1", support_build_dir(),
             a.url);
    CHECK_EQ_INT(run(cmd, out, sizeof out), 0);
    daemon_stop(&a, 5000, NULL);
    daemon_cleanup(&a);
    unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_teardown = support_reap;
    snprintf(root, sizeof root, "/tmp/panic-mdns-XXXXXX");
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    char sub[300];
    snprintf(sub, sizeof sub, "%s/display", root);
    mkdir(sub, 0700);
    RUN(works_without_avahi);
    RUN(ctl_and_display_find_their_installation);
    RUN(announced_when_the_daemon_comes_later);
    avahi_down();
    remove_tree(root);
    support_done();
    TEST_END("it_discovery");
}
