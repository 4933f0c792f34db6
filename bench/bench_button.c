/* bench_button.c: press -> genesis visible, measured end to end in one process: a real panicd on
 * 127.0.0.1, the display's own button glue (panel.c) fed by the fifo backend, its coordinator
 * client (sync.c) and a software-rendered 1920x1080 frame. For each of 50 presses the clock runs
 * from the release edge (a short press ends on release) to the end of the first frame whose
 * slot 0 holds the new run's genesis. Prints a table; never fails on time. */
#define _GNU_SOURCE
#include "support.h"
#include "common/util.h"
#include "display/core/app.h"
#include "display/core/layout.h"
#include "display/mediacache.h"
#include "display/panel.h"
#include "display/render_sdl.h"
#include "display/sync.h"

#include <SDL.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PRESSES 50
#define FRAME_MS 16

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(void)
{
    struct daemon d;
    if (daemon_start(&d, "dummy_latency_ms 1000\nlockout_seconds 0\n"
                         "device.bench.token bench-device-token-0123456789\n") < 0) {
        fprintf(stderr, "bench_button: panicd did not start\n");
        daemon_cleanup(&d);
        return 1;
    }
    char dir[300], fifo[400], cache[400], err[256];
    snprintf(dir, sizeof dir, "%s/display", d.dir);
    snprintf(fifo, sizeof fifo, "fifo:%s/button", d.dir);
    snprintf(cache, sizeof cache, "%s/cache", dir);
    mkdir_p(dir, 0755);
    struct app *a = xcalloc(1, sizeof *a);
    app_init(a, "bench");
    struct mediacache *mc = mediacache_open(cache, 64u << 20, err, sizeof err);
    struct sync_options so = {
        .coordinator = d.url, .token = "bench-device-token-0123456789", .state_dir = dir};
    struct sync *s = mc ? sync_new(&so, a, mc) : NULL;
    struct panel *panel = panel_new(fifo, NULL, 3000, err, sizeof err);
    SDL_Surface *surf = SDL_CreateRGBSurfaceWithFormat(0, 1920, 1080, 32, SDL_PIXELFORMAT_ARGB8888);
    SDL_Renderer *ren = surf ? SDL_CreateSoftwareRenderer(surf) : NULL;
    struct render *r =
        ren ? render_new(ren, "fonts/DepartureMono-Regular.otf", 16, err, sizeof err) : NULL;
    struct drawlist *dl = xcalloc(1, sizeof *dl);
    int wfd = open(fifo + 5, O_WRONLY | O_NONBLOCK);
    if (!s || !panel || !r || wfd < 0) {
        fprintf(stderr, "bench_button: setup failed: %s\n", err);
        return 1;
    }
    /* Connected and streaming first. */
    for (int64_t until = time_mono_ms() + 10000; !sync_streaming(s) && time_mono_ms() < until;) {
        sync_pump(s, time_mono_ms());
        sync_wait(s, 10);
    }
    double lat[PRESSES], post[PRESSES];
    int n = 0;
    for (int i = 0; i < PRESSES; i++) {
        int64_t prev_run = a->run;
        if (write(wfd, "1\n", 2) != 2)
            break;
        /* Hold longer than the debounce (30 ms), as a hand does. */
        for (int64_t until = time_mono_ms() + 60; time_mono_ms() < until;) {
            panel_step(panel, a, s, time_mono_ms());
            sync_pump(s, time_mono_ms());
            SDL_Delay(2);
        }
        if (write(wfd, "0\n", 2) != 2)
            break;
        int64_t t0 = time_mono_ms(), in_state = 0, done = 0;
        while (time_mono_ms() - t0 < 5000) {
            int64_t now = time_mono_ms();
            panel_step(panel, a, s, now);
            sync_pump(s, now);
            int shown =
                a->run != prev_run && a->cells[0].seq == 0 && a->cells[0].kind == CELL_INVOKING;
            if (shown && !in_state)
                in_state = time_mono_ms();
            struct layout_env env = {.w = 1920,
                                     .h = 1080,
                                     .now = now,
                                     .image_size = render_image_size,
                                     .user = r,
                                     .audible_cell = -1};
            layout_frame(a, &env, dl);
            SDL_SetRenderDrawColor(ren, 0x18, 0x18, 0x1b, 0xff);
            SDL_RenderClear(ren);
            render_draw(r, dl);
            SDL_RenderPresent(ren);
            if (shown) {
                done = time_mono_ms();
                break;
            }
            sync_wait(s, FRAME_MS);
        }
        if (!done)
            continue;
        lat[n] = (double)(done - t0);
        post[n] = (double)(in_state - t0);
        n++;
        /* Let the frame loop settle between presses. */
        for (int64_t until = time_mono_ms() + 100; time_mono_ms() < until;) {
            sync_pump(s, time_mono_ms());
            sync_wait(s, 10);
        }
    }
    qsort(lat, (size_t)n, sizeof lat[0], cmp);
    qsort(post, (size_t)n, sizeof post[0], cmp);
    printf("\nbenchmark                                          value\n");
    if (n) {
        printf("press (release edge) -> genesis in display state  p50 %.1f ms, p99 %.1f ms "
               "(n=%d)\n",
               post[n / 2], post[(n * 99) / 100 >= n ? n - 1 : (n * 99) / 100], n);
        printf("press (release edge) -> frame showing it          p50 %.1f ms, p99 %.1f ms, max "
               "%.1f ms (n=%d; aim p99 < 50 ms + one frame)\n",
               lat[n / 2], lat[(n * 99) / 100 >= n ? n - 1 : (n * 99) / 100], lat[n - 1], n);
    } else {
        printf("press -> genesis                                  no press reached the screen\n");
    }
    printf("presses handled by the panel                       %ld of %d\n", panel_presses(panel),
           PRESSES);
    close(wfd);
    free(dl);
    render_free(r);
    SDL_DestroyRenderer(ren);
    SDL_FreeSurface(surf);
    panel_free(panel);
    sync_free(s);
    mediacache_close(mc);
    free(a);
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
    support_done();
    SDL_Quit();
    return n ? 0 : 1;
}
