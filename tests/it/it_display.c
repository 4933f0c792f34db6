/* it_display.c: panic-display end to end with a real panicd on 127.0.0.1: the display renders
 * offscreen and writes latest.png; the test reads the frames back. A run's genesis appears on
 * the screen, the coordinator is killed (the last content stays, the offline indicator shows),
 * restarted on the same port (the indicator goes, the display catches up with a new run), and
 * SIGTERM ends the display cleanly. */
#define _GNU_SOURCE
#include "display/core/app.h"
#include "display/core/layout.h"
#include "support.h"
#include "test.h"

#include <SDL.h>
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
#define BACKGROUND 0x18181b

/* The genesis' picture is drawn: neither the invoking rose, nor the "..." of a picture still on
 * its way (zinc-800), nor the empty background. */
static int image_shown(SDL_Surface *s, const struct app *a)
{
    struct rect c0 = layout_cell_rect(a, W, H, 0);
    return frame_share(s, c0, ROSE) < 0.05 && frame_share(s, c0, 0x27272a) < 0.5 &&
           frame_share(s, c0, BACKGROUND) < 0.5;
}

static long post_run(const struct daemon *d, const char *prompt)
{
    char body[256];
    snprintf(body, sizeof body, "{\"prompt\":\"%s\"}", prompt);
    return api_status(d, "POST", "/api/v1/networks/1/runs", d->token, body);
}

TEST(display_follows_the_coordinator)
{
    struct daemon d;
    struct display disp = {0};
    DAEMON_START_OR_FAIL(&d, "dummy_latency_ms 2500\nlockout_seconds 0\n");
    /* What the display lays out: the default config for a new name (a 2x2 grid). */
    struct app *a = calloc(1, sizeof *a);
    app_init(a, "tv1");
    struct display_config cfg = a->cfg;
    cfg.network = 1;
    app_set_config(a, &cfg, 0);

    REQUIRE_EQ_INT(display_start(&disp, d.url, "tv1", W, H, NULL), 0);
    REQUIRE(display_wait(&disp, a, frame_online, 10000));
    CHECK_EQ_INT(post_run(&d, "a fox delivering letters"), 201);
    /* The genesis is invoking for 2.5 s: a rose "P!" cell in slot 0. */
    CHECK(display_wait(&disp, a, frame_genesis_shown, 4000));
    /* Then its picture replaces it: downloaded while streaming, decoded, drawn. */
    CHECK(display_wait(&disp, a, image_shown, 8000));

    /* The coordinator dies: the last content stays and the offline indicator shows. */
    daemon_kill9(&d);
    CHECK(display_wait(&disp, a, frame_offline_with_content, 8000));

    /* Back on the same port: the indicator goes and a new run reaches the screen. */
    char listen[160];
    const char *port = strrchr(d.url, ':');
    snprintf(listen, sizeof listen, "listen 127.0.0.1:%s\n", port ? port + 1 : "0");
    FILE *f = fopen(d.config, "a");
    if (f) {
        fputs(listen, f);
        fclose(f);
    }
    REQUIRE_EQ_INT(daemon_restart(&d), 0);
    CHECK(display_wait(&disp, a, frame_online, 40000));
    CHECK_EQ_INT(post_run(&d, "a library where the books read the people"), 201);
    CHECK(display_wait(&disp, a, frame_genesis_shown, 5000));

    CHECK_EQ_INT(display_stop(&disp), 0);

    /* A display that boots while the coordinator is away shows the last run it saw, with the
     * offline indicator: never a blank screen. */
    daemon_kill9(&d);
    char png[400];
    snprintf(png, sizeof png, "%s", disp.png);
    remove(png);
    REQUIRE_EQ_INT(display_start(&disp, d.url, "tv1", W, H, NULL), 0);
    CHECK(display_wait(&disp, a, frame_offline_with_content, 10000));
    CHECK_EQ_INT(display_stop(&disp), 0);
    if (test_checks_failed_in_test) {
        display_print_log(&disp, 20);
        daemon_print_log(&d, 20);
    }
    daemon_stop(&d, 5000, NULL);
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
    RUN(display_follows_the_coordinator);
    IMG_Quit();
    SDL_Quit();
    support_done();
    TEST_END("it_display");
}
