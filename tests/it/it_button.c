/* it_button.c: the panic button end to end with a real panicd on 127.0.0.1: a real
 * panic-display with the fifo button backend renders offscreen and writes latest.png; a press
 * starts a run whose genesis appears on the frames, a press during the lockout is answered on
 * the screen at once (and still recorded), a press with the coordinator gone says it cannot reach
 * it, and every press is recorded by panicd. */
#define _GNU_SOURCE
#include "display/core/app.h"
#include "display/core/layout.h"
#include "support.h"
#include "test.h"

#include <SDL.h>
#include <fcntl.h>
#include <SDL_image.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define W 640
#define H 360
#define ROSE 0xf43f5e

/* Press and release the fake button (the release ends a short press). */
static void press(const struct display *disp)
{
    char path[400];
    snprintf(path, sizeof path, "%s/button", disp->dir);
    int fd = open(path, O_WRONLY | O_NONBLOCK);
    if (fd < 0)
        return;
    if (write(fd, "1\n", 2) != 2)
        perror("press");
    support_sleep_ms(80);
    if (write(fd, "0\n", 2) != 2)
        perror("release");
    close(fd);
}

/* The rose banner in the middle of the screen: the button's local answer. */
static int banner_shown(SDL_Surface *s, const struct app *a)
{
    (void)a;
    struct rect mid = {W / 2 - 20, H / 2 - 4, 40, 8};
    return frame_share(s, mid, ROSE) > 0.3;
}

static long long presses_with(const struct daemon *d, const char *result)
{
    long st;
    json_t *j = api_json(d, "GET", "/api/v1/presses?limit=100", d->token, NULL, &st);
    json_t *list = json_object_get(j, "presses"), *p;
    size_t i;
    long long n = 0;
    json_array_foreach(list, i, p) n +=
        json_str_of(p, "result") && !strcmp(json_str_of(p, "result"), result);
    json_decref(j);
    return n;
}

TEST(button_starts_a_run_and_answers_locally)
{
    struct daemon d;
    struct display disp = {0};
    DAEMON_START_OR_FAIL(&d, "dummy_latency_ms 2500\nlockout_seconds 30\n"
                             "device.tv1.token tv1-device-token-0123456789\n");
    struct app *a = calloc(1, sizeof *a);
    app_init(a, "tv1");
    struct display_config cfg = a->cfg;
    cfg.network = 1;
    app_set_config(a, &cfg, 0);

    snprintf(disp.dir, sizeof disp.dir, "/tmp/panic-it-button-XXXXXX");
    REQUIRE(mkdtemp(disp.dir) != NULL);
    char button[400];
    snprintf(button, sizeof button, "fifo:%s/button", disp.dir);
    const char *const extra[] = {"--token", "tv1-device-token-0123456789", "--button", button,
                                 NULL};
    REQUIRE_EQ_INT(display_start(&disp, d.url, "tv1", W, H, extra), 0);
    REQUIRE(display_wait(&disp, a, frame_online, 10000));
    press(&disp);
    CHECK(display_wait(&disp, a, frame_genesis_shown, 5000)); /* the run's "P!" in slot 0 */
    CHECK_EQ_INT(presses_with(&d, "started"), 1);
    /* Within the 30 s lockout the display answers by itself. */
    support_sleep_ms(300);
    press(&disp);
    CHECK(display_wait(&disp, a, banner_shown, 3000));
    /* ... and panicd still records that press, with its outcome. */
    int64_t end = support_now_ms() + 5000;
    while (presses_with(&d, "lockout") < 1 && support_now_ms() < end)
        support_sleep_ms(100);
    CHECK_EQ_INT(presses_with(&d, "lockout"), 1);
    /* With the coordinator gone, a press is not queued: the screen says so. */
    daemon_kill9(&d);
    CHECK(display_wait(&disp, a, frame_offline_with_content, 8000));
    press(&disp);
    CHECK(display_wait(&disp, a, banner_shown, 3000));
    CHECK_EQ_INT(display_stop(&disp), 0);
    if (test_checks_failed_in_test) {
        display_print_log(&disp, 20);
        daemon_print_log(&d, 20);
    }
    daemon_cleanup(&d);
    remove_tree(disp.dir);
    free(a);
}

int main(void)
{
    if (SDL_Init(0) < 0 || !(IMG_Init(IMG_INIT_PNG) & IMG_INIT_PNG)) {
        printf("SDL: %s\n", SDL_GetError());
        return 1;
    }
    test_teardown = support_reap;
    RUN(button_starts_a_run_and_answers_locally);
    IMG_Quit();
    SDL_Quit();
    support_done();
    TEST_END("it_button");
}
