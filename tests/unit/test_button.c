/* test_button.c: the button state machine fed edge sequences with made-up timestamps (clean
 * presses, bounce trains, blips shorter than the debounce, long presses, lost edges, deadlines,
 * debounce off), then the fake backend's queue and the fifo backend on a real named pipe. The
 * gpiod backend is covered by tests/check_gpiod_builds.sh (both APIs) and check_gpiosim.sh. */
#include "button/core/button.h"
#include "button/input.h"
#include "common/util.h"
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOG_MAX 32

/* Every event the machine emitted, with the time of the call that emitted it. */
struct log {
    enum button_event ev[LOG_MAX];
    int64_t at[LOG_MAX];
    int n;
};

static void record(struct log *l, const enum button_event *out, int n, int64_t t)
{
    CHECK(n >= 0 && n <= BUTTON_EVENTS_MAX);
    for (int i = 0; i < n && l->n < LOG_MAX; i++) {
        l->ev[l->n] = out[i];
        l->at[l->n++] = t;
    }
}

static void edge(struct button *b, struct log *l, int pressed, int64_t t)
{
    enum button_event out[BUTTON_EVENTS_MAX];
    record(l, out, button_edge(b, pressed, t, out), t);
}

static void tick(struct button *b, struct log *l, int64_t t)
{
    enum button_event out[BUTTON_EVENTS_MAX];
    record(l, out, button_tick(b, t, out), t);
}

/* What an event loop does between edges: tick at every deadline up to t. */
static void run_until(struct button *b, struct log *l, int64_t t)
{
    int guard = 0;
    for (int64_t d = button_next_deadline(b); d <= t && guard < 100;
         d = button_next_deadline(b), guard++)
        tick(b, l, d);
    CHECK(guard < 100);
}

static void setup(struct button *b, struct log *l, int debounce_ms, int long_ms)
{
    struct button_cfg cfg = {.debounce_ms = debounce_ms, .long_ms = long_ms};
    button_init(b, &cfg);
    memset(l, 0, sizeof(*l));
}

/* A train of alternating edges one ms apart starting at t with level first. */
static void train(struct button *b, struct log *l, const int *levels, int n, int64_t t)
{
    for (int i = 0; i < n; i++) {
        run_until(b, l, t + i);
        edge(b, l, levels[i], t + i);
    }
}

TEST(clean_short_press)
{
    struct button b;
    struct log l;
    setup(&b, &l, 10, 2000);
    CHECK_EQ_INT(button_next_deadline(&b), INT64_MAX);
    edge(&b, &l, 1, 100);
    run_until(&b, &l, 299);
    CHECK_EQ_INT(l.n, 0);
    CHECK(b.stable);
    edge(&b, &l, 0, 300);
    CHECK_EQ_INT(l.n, 0); /* not yet: the release must hold the debounce too */
    run_until(&b, &l, 10000);
    CHECK_EQ_INT(l.n, 1);
    CHECK_EQ_INT(l.ev[0], BTN_PRESS);
    CHECK_EQ_INT(l.at[0], 310);
    CHECK_EQ_INT(button_next_deadline(&b), INT64_MAX);
}

TEST(bounce_trains)
{
    static const int press[] = {1, 0, 1, 0, 1}, release[] = {0, 1, 0, 1, 0};
    struct button b;
    struct log l;
    setup(&b, &l, 10, 2000);
    train(&b, &l, press, 5, 100);
    CHECK_EQ_INT(button_next_deadline(&b), 114);
    run_until(&b, &l, 399);
    CHECK_EQ_INT(l.n, 0);
    train(&b, &l, release, 5, 400);
    run_until(&b, &l, 10000);
    CHECK_EQ_INT(l.n, 1);
    CHECK_EQ_INT(l.ev[0], BTN_PRESS);
    CHECK_EQ_INT(l.at[0], 414);

    /* The same trains fed without ticks in between (a slow frame): still one press. */
    setup(&b, &l, 10, 2000);
    for (int i = 0; i < 5; i++)
        edge(&b, &l, press[i], 100 + i);
    for (int i = 0; i < 5; i++)
        edge(&b, &l, release[i], 400 + i);
    CHECK_EQ_INT(l.n, 0);
    tick(&b, &l, 5000);
    CHECK_EQ_INT(l.n, 1);
    CHECK_EQ_INT(l.ev[0], BTN_PRESS);

    /* Bounce in the middle of a hold is not a release. */
    setup(&b, &l, 10, 2000);
    edge(&b, &l, 1, 100);
    run_until(&b, &l, 500);
    edge(&b, &l, 0, 500);
    edge(&b, &l, 1, 505);
    run_until(&b, &l, 1000);
    CHECK_EQ_INT(l.n, 0);
    CHECK(b.stable);
}

TEST(shorter_than_debounce)
{
    struct button b;
    struct log l;
    setup(&b, &l, 10, 2000);
    edge(&b, &l, 1, 100);
    run_until(&b, &l, 109);
    edge(&b, &l, 0, 109);
    run_until(&b, &l, 10000);
    CHECK_EQ_INT(l.n, 0);
    CHECK(!b.stable);

    /* Held exactly debounce_ms: accepted. */
    edge(&b, &l, 1, 20000);
    run_until(&b, &l, 20010);
    edge(&b, &l, 0, 20010);
    run_until(&b, &l, 30000);
    CHECK_EQ_INT(l.n, 1);
    CHECK_EQ_INT(l.at[0], 20020);
}

TEST(long_press)
{
    struct button b;
    struct log l;
    setup(&b, &l, 10, 2000);
    edge(&b, &l, 1, 100);
    CHECK_EQ_INT(button_next_deadline(&b), 110);
    tick(&b, &l, 110);
    CHECK_EQ_INT(button_next_deadline(&b), 2110); /* long_ms after the debounced press */
    tick(&b, &l, 2109);
    CHECK_EQ_INT(l.n, 0);
    tick(&b, &l, 2110);
    CHECK_EQ_INT(l.n, 1);
    CHECK_EQ_INT(l.ev[0], BTN_LONG);
    CHECK_EQ_INT(button_next_deadline(&b), INT64_MAX);
    tick(&b, &l, 4000);
    edge(&b, &l, 0, 5000);
    run_until(&b, &l, 10000);
    CHECK_EQ_INT(l.n, 1); /* no BTN_PRESS at the release */

    /* A late tick still fires BTN_LONG once. */
    setup(&b, &l, 10, 2000);
    edge(&b, &l, 1, 100);
    tick(&b, &l, 9000);
    tick(&b, &l, 9001);
    CHECK_EQ_INT(l.n, 1);
    CHECK_EQ_INT(l.ev[0], BTN_LONG);

    /* Released 1 ms short of long_ms: a press. Released at long_ms: long. */
    setup(&b, &l, 10, 2000);
    edge(&b, &l, 1, 100);
    run_until(&b, &l, 2099);
    edge(&b, &l, 0, 2099);
    run_until(&b, &l, 10000);
    CHECK_EQ_INT(l.n, 1);
    CHECK_EQ_INT(l.ev[0], BTN_PRESS);
    CHECK_EQ_INT(l.at[0], 2109);
    setup(&b, &l, 10, 2000);
    edge(&b, &l, 1, 100);
    run_until(&b, &l, 2100);
    edge(&b, &l, 0, 2100);
    run_until(&b, &l, 10000);
    CHECK_EQ_INT(l.n, 1);
    CHECK_EQ_INT(l.ev[0], BTN_LONG);
    CHECK_EQ_INT(l.at[0], 2110);

    /* A release edge whose debounce is still pending when long_ms passes: BTN_LONG, and only
     * once even if the release then settles. */
    setup(&b, &l, 10, 2000);
    edge(&b, &l, 1, 100);
    run_until(&b, &l, 2105);
    edge(&b, &l, 0, 2105);
    edge(&b, &l, 1, 2107);
    edge(&b, &l, 0, 2108);
    run_until(&b, &l, 10000);
    CHECK_EQ_INT(l.n, 1);
    CHECK_EQ_INT(l.ev[0], BTN_LONG);
    CHECK_EQ_INT(l.at[0], 2110);

    /* long_ms 0 turns long presses off. */
    setup(&b, &l, 10, 0);
    edge(&b, &l, 1, 100);
    run_until(&b, &l, 60000);
    edge(&b, &l, 0, 60000);
    run_until(&b, &l, 70000);
    CHECK_EQ_INT(l.n, 1);
    CHECK_EQ_INT(l.ev[0], BTN_PRESS);
}

/* The caller ignores presses until lockout_end (a run is starting); the machine knows nothing of
 * it. A visitor who keeps holding through the lockout gets a long hold, not a late press. */
TEST(hold_across_lockout)
{
    struct button b;
    struct log l;
    const int64_t lockout_end = 1500;
    int seen_press = 0, seen_long = 0;
    setup(&b, &l, 10, 2000);
    edge(&b, &l, 1, 0);
    run_until(&b, &l, 4000);
    edge(&b, &l, 0, 4000);
    run_until(&b, &l, 10000);
    for (int i = 0; i < l.n; i++) {
        if (l.at[i] < lockout_end)
            continue;
        seen_press += l.ev[i] == BTN_PRESS;
        seen_long += l.ev[i] == BTN_LONG;
    }
    CHECK_EQ_INT(seen_press, 0);
    CHECK_EQ_INT(seen_long, 1);
    CHECK_EQ_INT(l.at[0], 2010);
}

TEST(lost_release)
{
    struct button b;
    struct log l;
    setup(&b, &l, 10, 2000);
    edge(&b, &l, 1, 100);
    run_until(&b, &l, 500);
    edge(&b, &l, 1, 500); /* the release was lost: the accepted press ends here and counts */
    CHECK_EQ_INT(l.n, 1);
    CHECK_EQ_INT(l.ev[0], BTN_PRESS);
    CHECK_EQ_INT(l.at[0], 500);
    CHECK_EQ_INT(button_next_deadline(&b), 510); /* the new press must hold the debounce */
    run_until(&b, &l, 700);
    edge(&b, &l, 0, 700);
    run_until(&b, &l, 10000);
    CHECK_EQ_INT(l.n, 2);
    CHECK_EQ_INT(l.ev[1], BTN_PRESS);
    CHECK_EQ_INT(l.at[1], 710);

    /* A press not yet accepted is dropped; the new one restarts the debounce. */
    setup(&b, &l, 10, 2000);
    edge(&b, &l, 1, 100);
    edge(&b, &l, 1, 105);
    CHECK_EQ_INT(l.n, 0);
    CHECK_EQ_INT(button_next_deadline(&b), 115);

    /* After BTN_LONG the lost release emits nothing; the new press is a fresh one. */
    setup(&b, &l, 10, 2000);
    edge(&b, &l, 1, 100);
    run_until(&b, &l, 3000);
    edge(&b, &l, 1, 3000);
    CHECK_EQ_INT(l.n, 1);
    CHECK_EQ_INT(l.ev[0], BTN_LONG);
    run_until(&b, &l, 3100);
    edge(&b, &l, 0, 3100);
    run_until(&b, &l, 10000);
    CHECK_EQ_INT(l.n, 2);
    CHECK_EQ_INT(l.ev[1], BTN_PRESS);
}

TEST(lost_press)
{
    struct button b;
    struct log l;
    setup(&b, &l, 10, 2000);
    edge(&b, &l, 0, 100); /* idle, or held when the backend opened: nothing */
    edge(&b, &l, 0, 200);
    run_until(&b, &l, 10000);
    CHECK_EQ_INT(l.n, 0);
    CHECK_EQ_INT(button_next_deadline(&b), INT64_MAX);

    /* Inside a pending release: the release restarts its debounce, one press in all. */
    edge(&b, &l, 1, 20000);
    run_until(&b, &l, 20300);
    edge(&b, &l, 0, 20300);
    edge(&b, &l, 0, 20305);
    CHECK_EQ_INT(button_next_deadline(&b), 20315);
    run_until(&b, &l, 30000);
    CHECK_EQ_INT(l.n, 1);
    CHECK_EQ_INT(l.ev[0], BTN_PRESS);
    CHECK_EQ_INT(l.at[0], 20315);
}

TEST(deadlines)
{
    struct button b;
    struct log l;
    setup(&b, &l, 20, 1000);
    CHECK_EQ_INT(button_next_deadline(&b), INT64_MAX);
    edge(&b, &l, 1, 0);
    CHECK_EQ_INT(button_next_deadline(&b), 20);
    edge(&b, &l, 0, 5);
    CHECK_EQ_INT(button_next_deadline(&b), INT64_MAX); /* the blip cancelled itself */
    edge(&b, &l, 1, 10);
    CHECK_EQ_INT(button_next_deadline(&b), 30);
    tick(&b, &l, 30);
    CHECK_EQ_INT(button_next_deadline(&b), 1030);
    edge(&b, &l, 0, 500);
    CHECK_EQ_INT(button_next_deadline(&b), 520); /* release settles before long */
    edge(&b, &l, 1, 510);
    CHECK_EQ_INT(button_next_deadline(&b), 1030);
    edge(&b, &l, 0, 1020);
    CHECK_EQ_INT(button_next_deadline(&b), 1030); /* long comes first, the release after */
    tick(&b, &l, 1030);
    CHECK_EQ_INT(button_next_deadline(&b), 1040);
    tick(&b, &l, 1040);
    CHECK_EQ_INT(button_next_deadline(&b), INT64_MAX);
    CHECK_EQ_INT(l.n, 1);
    CHECK_EQ_INT(l.ev[0], BTN_LONG);

    /* Ticking early does nothing; an edge stamped before the last one is taken at that time. */
    setup(&b, &l, 20, 1000);
    edge(&b, &l, 1, 100);
    tick(&b, &l, 50);
    CHECK_EQ_INT(button_next_deadline(&b), 120);
    edge(&b, &l, 0, 90);
    CHECK_EQ_INT(button_next_deadline(&b), INT64_MAX);
    CHECK_EQ_INT(l.n, 0);

    /* Timestamps near the end of time do not overflow. */
    setup(&b, &l, 20, 1000);
    edge(&b, &l, 1, INT64_MAX - 5);
    CHECK_EQ_INT(button_next_deadline(&b), INT64_MAX);
}

TEST(debounce_off)
{
    struct button b;
    struct log l;
    setup(&b, &l, 0, 2000);
    edge(&b, &l, 1, 100);
    CHECK(b.stable);
    CHECK_EQ_INT(button_next_deadline(&b), 2100);
    edge(&b, &l, 0, 150);
    CHECK_EQ_INT(l.n, 1); /* at once, from the edge itself */
    CHECK_EQ_INT(l.ev[0], BTN_PRESS);
    CHECK_EQ_INT(l.at[0], 150);
    /* Every blip is a press now. */
    edge(&b, &l, 1, 200);
    edge(&b, &l, 0, 201);
    edge(&b, &l, 1, 202);
    edge(&b, &l, 0, 203);
    CHECK_EQ_INT(l.n, 3);
    /* Lost release with no debounce: the old press ends, the new one is held at once. */
    edge(&b, &l, 1, 300);
    edge(&b, &l, 1, 400);
    CHECK_EQ_INT(l.n, 4);
    CHECK(b.stable);
    tick(&b, &l, 2400);
    CHECK_EQ_INT(l.n, 5);
    CHECK_EQ_INT(l.ev[4], BTN_LONG);
    /* Negative debounce is off too. */
    setup(&b, &l, -5, 2000);
    edge(&b, &l, 1, 10);
    CHECK(b.stable);
}

TEST(fake_backend)
{
    struct button_input *in = button_input_fake_new();
    struct button_edge e[4];
    CHECK_STR_EQ(in->ops->name, "fake");
    CHECK_EQ_INT(in->ops->fd(in), -1);
    CHECK_EQ_INT(in->ops->read(in, e, 4), 0);
    CHECK_EQ_INT(button_input_fake_led(in), -1);
    for (int i = 0; i < 40; i++)
        button_input_fake_push(in, i % 2 == 0, 1000 + i);
    CHECK_EQ_INT(in->ops->read(in, e, 3), 3);
    CHECK_EQ_INT(e[0].pressed, 1);
    CHECK_EQ_INT(e[0].t_ms, 1000);
    CHECK_EQ_INT(e[2].t_ms, 1002);
    int total = 3, n;
    while ((n = in->ops->read(in, e, 4)) > 0) {
        CHECK_EQ_INT(e[0].t_ms, 1000 + total);
        CHECK_EQ_INT(e[0].pressed, total % 2 == 0);
        total += n;
    }
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(total, 40);
    /* Pushing after draining starts a new queue. */
    button_input_fake_push(in, 7, 5);
    CHECK_EQ_INT(in->ops->read(in, e, 4), 1);
    CHECK_EQ_INT(e[0].pressed, 1);
    CHECK_EQ_INT(in->ops->set_led(in, 1), 0);
    CHECK_EQ_INT(button_input_fake_led(in), 1);
    CHECK_EQ_INT(in->ops->set_led(in, 0), 0);
    CHECK_EQ_INT(button_input_fake_led(in), 0);

    /* Through the state machine, as the display wires it. */
    struct button b;
    struct log l;
    setup(&b, &l, 10, 2000);
    button_input_fake_push(in, 1, 100);
    button_input_fake_push(in, 0, 102);
    button_input_fake_push(in, 1, 104);
    button_input_fake_push(in, 0, 400);
    while ((n = in->ops->read(in, e, 4)) > 0)
        for (int i = 0; i < n; i++) {
            run_until(&b, &l, e[i].t_ms);
            edge(&b, &l, e[i].pressed, e[i].t_ms);
        }
    run_until(&b, &l, 1000);
    CHECK_EQ_INT(l.n, 1);
    CHECK_EQ_INT(l.ev[0], BTN_PRESS);
    button_input_close(in);
    button_input_close(NULL);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static int write_str(int fd, const char *s)
{
    return write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -1;
}

TEST(fifo_backend)
{
    char dir[] = "/tmp/panic-button-XXXXXX";
    char path[64], file[64], err[256] = "";
    struct button_edge e[8];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/button", dir);
    snprintf(file, sizeof(file), "%s/plain", dir);

    struct button_input *in = button_input_fifo_new(path, err, sizeof(err));
    CHECK(in != NULL);
    if (!in) {
        printf("  %s\n", err);
        return;
    }
    struct stat st;
    CHECK(stat(path, &st) == 0 && S_ISFIFO(st.st_mode));
    CHECK_STR_EQ(in->ops->name, "fifo");
    CHECK(in->ops->fd(in) >= 0);
    CHECK_EQ_INT(in->ops->read(in, e, 8), 0);
    CHECK_EQ_INT(in->ops->set_led(in, 1), -ENOTSUP);

    int64_t before = time_mono_ms();
    int w = open(path, O_WRONLY | O_NONBLOCK);
    CHECK(w >= 0);
    CHECK(write_str(w, "1\n0\n") == 0);
    CHECK_EQ_INT(in->ops->read(in, e, 8), 2);
    CHECK_EQ_INT(e[0].pressed, 1);
    CHECK_EQ_INT(e[1].pressed, 0);
    CHECK(e[0].t_ms >= before && e[0].t_ms <= time_mono_ms());
    CHECK(e[1].t_ms >= e[0].t_ms);

    /* Lines read at different times get increasing stamps; "down"/"up", blanks, CR, noise. */
    CHECK(write_str(w, " down \n") == 0);
    CHECK_EQ_INT(in->ops->read(in, e, 8), 1);
    int64_t t1 = e[0].t_ms;
    CHECK_EQ_INT(e[0].pressed, 1);
    sleep_ms(15);
    CHECK(write_str(w, "hello\nup\r\n2\n\n") == 0);
    CHECK_EQ_INT(in->ops->read(in, e, 8), 1);
    CHECK_EQ_INT(e[0].pressed, 0);
    CHECK(e[0].t_ms >= t1 + 10);

    /* A line split across writes; more lines than max stay for the next read. */
    CHECK(write_str(w, "1") == 0);
    CHECK_EQ_INT(in->ops->read(in, e, 8), 0);
    CHECK(write_str(w, "\n0\n1\n") == 0);
    CHECK_EQ_INT(in->ops->read(in, e, 2), 2);
    CHECK_EQ_INT(e[0].pressed, 1);
    CHECK_EQ_INT(in->ops->read(in, e, 2), 1);
    CHECK_EQ_INT(e[0].pressed, 1);

    /* An over-long line is dropped whole, the next one is read. */
    char longline[300];
    memset(longline, '1', sizeof(longline) - 1);
    longline[sizeof(longline) - 1] = '\0';
    CHECK(write_str(w, longline) == 0);
    CHECK_EQ_INT(in->ops->read(in, e, 8), 0);
    CHECK(write_str(w, "1\n0\n") == 0);
    CHECK_EQ_INT(in->ops->read(in, e, 8), 1);
    CHECK_EQ_INT(e[0].pressed, 0);

    /* The writer goes away: no EOF, no error, and a new writer is heard. */
    close(w);
    CHECK_EQ_INT(in->ops->read(in, e, 8), 0);
    w = open(path, O_WRONLY | O_NONBLOCK);
    CHECK(w >= 0);
    CHECK(write_str(w, "1\n") == 0);
    CHECK_EQ_INT(in->ops->read(in, e, 8), 1);
    close(w);
    button_input_close(in);

    /* An existing pipe is reused; a plain file is refused. */
    in = button_input_fifo_new(path, err, sizeof(err));
    CHECK(in != NULL);
    button_input_close(in);
    int fd = open(file, O_WRONLY | O_CREAT, 0600);
    CHECK(fd >= 0);
    close(fd);
    in = button_input_fifo_new(file, err, sizeof(err));
    CHECK(in == NULL);
    CHECK(strstr(err, "not a named pipe") != NULL);
    snprintf(file, sizeof(file), "%s/no/such/dir", dir);
    in = button_input_fifo_new(file, err, sizeof(err));
    CHECK(in == NULL);
    CHECK(strstr(err, "cannot create") != NULL);

    unlink(path);
    snprintf(file, sizeof(file), "%s/plain", dir);
    unlink(file);
    rmdir(dir);
}

int main(void)
{
    RUN(clean_short_press);
    RUN(bounce_trains);
    RUN(shorter_than_debounce);
    RUN(long_press);
    RUN(hold_across_lockout);
    RUN(lost_release);
    RUN(lost_press);
    RUN(deadlines);
    RUN(debounce_off);
    RUN(fake_backend);
    RUN(fifo_backend);
    TEST_END("test_button");
}
