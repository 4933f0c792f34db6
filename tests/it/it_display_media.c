/* it_display_media.c: panic-display against a fake coordinator (tests/fakes/fake_http) that
 * answers what a real panicd would not: media that are missing (404) or never end, and a
 * catch-up holding an invocation that is not valid UTF-8. The display must back off per media
 * name instead of fetching again every frame, stop a transfer past its size limit and not ask
 * for that name again, and show what is good in a catch-up. Loopback only; the counts are
 * bounded, never timed. */
#define _GNU_SOURCE
#include "display/core/app.h"
#include "display/core/layout.h"
#include "fakes/fake_http.h"
#include "support.h"
#include "test.h"

#include <SDL.h>
#include <SDL_image.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define W 640
#define H 360
#define MISSING "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.png"
#define ENDLESS "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.png"

/* What the fake coordinator's runs/current holds, and what its event stream sends first. */
static const char *catchup_body;
static const char *stream_head = ": hello\n\n";

/* The network GET /api/v1/displays/tv1 names; after its first answer it names moved_to, if set
 * (as when the coordinator moves a display off a deleted network). Guarded by the fake's lock. */
static int display_network = 1, moved_to;
static int with_prompt_url; /* the display config names a prompt URL (a QR code shows) */

static int coordinator(void *ctx, struct fake_http_conn *c, const struct fake_http_request *r)
{
    struct fake_http *s = *(struct fake_http **)ctx;
    fake_http_lock(s);
    fake_http_record_locked(s, r);
    int net = display_network;
    if (fake_http_route_is(r, "GET /api/v1/displays/tv1") && moved_to)
        display_network = moved_to;
    const char *head = stream_head;
    fake_http_unlock(s);
    char text[256], rest[64] = "";
    long long id = 0;
    if (fake_http_route_is(r, "GET /api/v1/displays/tv1")) {
        if (with_prompt_url)
            snprintf(
                text, sizeof text,
                "{\"name\":\"tv1\",\"network\":%d,\"prompt_url\":\"http://example.test/t/%d\"}",
                net, net);
        else
            snprintf(text, sizeof text, "{\"name\":\"tv1\",\"network\":%d}", net);
        return fake_http_send_text(c, 200, text);
    }
    if (fake_http_route_is(r, "GET /api/v1/networks/") &&
        sscanf(r->url, "/api/v1/networks/%lld%63s", &id, rest) >= 1) {
        if (!strcmp(rest, "/runs/current"))
            return fake_http_send(c, 200, "application/json", catchup_body, strlen(catchup_body),
                                  NULL, NULL);
        /* On network 5 the first stream breaks off after 2 s (the display has fetched the
         * prompt URL by then) and the news comes on the second. */
        if (!strcmp(rest, "/events") && id == 5 &&
            fake_http_count(s, "GET /api/v1/networks/5/events") == 1)
            return fake_http_send_stall(c, "text/event-stream", "id: 6\ndata: {}\n\n", 16, 2000);
        if (!strcmp(rest, "/events"))
            return fake_http_send_stall(c, "text/event-stream", head, strlen(head), 30000);
        if (!rest[0]) {
            snprintf(text, sizeof text, "{\"id\":%lld,\"name\":\"n%lld\",\"models\":[\"dummy\"]}",
                     id, id);
            return fake_http_send_text(c, 200, text);
        }
    }
    if (fake_http_route_is(r, "GET /media/" ENDLESS))
        return fake_http_send_filler(c, 200ull << 20);
    return fake_http_send_text(c, 404, "{\"error\":\"not found\"}");
}

static struct fake_http *start_fake(struct fake_http **slot)
{
    *slot = fake_http_start("coordinator", 30, coordinator, slot);
    return *slot;
}

/* Bytes of the files in dir whose names end in suffix ("" for all). */
static long long dir_bytes(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    long long n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        size_t a = strlen(e->d_name), b = strlen(suffix);
        char p[600];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (a >= b && !strcmp(e->d_name + a - b, suffix) && stat(p, &st) == 0 &&
            S_ISREG(st.st_mode))
            n += st.st_size;
    }
    if (d)
        closedir(d);
    return n;
}

/* Two pictures on screen: one the coordinator does not have, one that never ends. Over 6 s the
 * missing one is asked for a handful of times (1 s, 2 s, 4 s back-off), the endless one once:
 * it is stopped at the size limit, and the cache never holds more than that. */
TEST(failed_media_back_off)
{
    catchup_body =
        "{\"run\":{\"id\":7,\"prompt\":\"p\"},\"status\":{\"state\":\"running\"},"
        "\"genesis\":{\"id\":1,\"run\":7,\"seq\":0,\"state\":\"done\",\"model\":\"dummy\","
        "\"input\":{\"text\":\"p\"},\"output\":{\"type\":\"image\",\"media\":\"" MISSING
        "\"}},\"invocations\":[{\"id\":2,\"run\":7,\"seq\":1,\"state\":\"done\","
        "\"model\":\"dummy\",\"output\":{\"type\":\"image\",\"media\":\"" ENDLESS "\"}}]}";
    struct fake_http *fake = NULL;
    REQUIRE(start_fake(&fake) != NULL);
    struct display disp = {0};
    REQUIRE_EQ_INT(display_start(&disp, fake_http_root(fake), "tv1", W, H, NULL), 0);
    int64_t until = support_now_ms() + 15000;
    while (fake_http_count(fake, "GET /media/" MISSING) == 0 && support_now_ms() < until)
        support_sleep_ms(50);
    REQUIRE(fake_http_count(fake, "GET /media/" MISSING) > 0);
    support_sleep_ms(6000);
    size_t missing = fake_http_count(fake, "GET /media/" MISSING);
    size_t endless = fake_http_count(fake, "GET /media/" ENDLESS);
    printf("  in 6 s: %zu GETs of the missing picture, %zu of the endless one\n", missing, endless);
    CHECK_LE(missing, 5);
    CHECK_EQ_INT(endless, 1);
    char cache[400];
    snprintf(cache, sizeof cache, "%s/state/cache", disp.dir);
    CHECK_LE(dir_bytes(cache, ""), 64ll << 20);
    CHECK_EQ_INT(dir_bytes(cache, ".part"), 0);
    CHECK_EQ_INT(display_stop(&disp), 0);
    if (test_checks_failed_in_test)
        display_print_log(&disp, 20);
    fake_http_stop(fake);
    remove_tree(disp.dir);
}

/* A catch-up whose rows include a text that is not UTF-8 (a raw 0xff byte) and one with a lone
 * surrogate escape: the display shows the run anyway (the genesis, still invoking, fills cell 0
 * in rose), with the bad characters replaced. */
TEST(bad_text_does_not_cost_the_catch_up)
{
    catchup_body = "{\"run\":{\"id\":8,\"prompt\":\"p\"},\"status\":{\"state\":\"running\"},"
                   "\"genesis\":{\"id\":1,\"run\":8,\"seq\":0,\"state\":\"invoking\","
                   "\"model\":\"dummy\",\"input\":{\"text\":\"p\"}},\"invocations\":["
                   "{\"id\":2,\"run\":8,\"seq\":1,\"state\":\"done\",\"model\":\"dummy\","
                   "\"output\":{\"type\":\"text\",\"text\":\"caf\xff"
                   "\"}},"
                   "{\"id\":3,\"run\":8,\"seq\":2,\"state\":\"done\",\"model\":\"dummy\","
                   "\"output\":{\"type\":\"text\",\"text\":\"half \\ud800 a pair\"}}]}";
    struct fake_http *fake = NULL;
    REQUIRE(start_fake(&fake) != NULL);
    struct app *a = calloc(1, sizeof *a);
    app_init(a, "tv1");
    struct display_config cfg = a->cfg;
    cfg.network = 1;
    app_set_config(a, &cfg, 0);
    struct display disp = {0};
    REQUIRE_EQ_INT(display_start(&disp, fake_http_root(fake), "tv1", W, H, NULL), 0);
    CHECK(display_wait(&disp, a, frame_genesis_shown, 15000));
    CHECK_LE(fake_http_count(fake, "GET /api/v1/networks/1/runs/current"), 1);
    CHECK_EQ_INT(display_stop(&disp), 0);
    if (test_checks_failed_in_test)
        display_print_log(&disp, 20);
    fake_http_stop(fake);
    remove_tree(disp.dir);
    free(a);
}

/* A 4x4 grid of rose cells: each cell mostly rose, and the gutters between the cells of the
 * first row empty (a 2x2 grid of rose cells would cover them). */
static int all_16_invoking(SDL_Surface *s, const struct app *a)
{
    for (int i = 0; i < 16; i++)
        if (frame_share(s, layout_cell_rect(a, s->w, s->h, i), 0xf43f5e) < 0.3)
            return 0;
    for (int i = 0; i < 3; i++) {
        struct rect l = layout_cell_rect(a, s->w, s->h, i);
        struct rect r = layout_cell_rect(a, s->w, s->h, i + 1);
        struct rect gap = {l.x + l.w, l.y, r.x - (l.x + l.w), l.h};
        if (gap.w <= 0 || frame_share(s, gap, 0x18181b) < 0.9)
            return 0;
    }
    return 1;
}

/* A run of 16 invocations, all still invoking (rose cells), caught up on a 2x2 grid; then the
 * stream says the display is now 4x4: all 16 cells fill at once, without another catch-up. */
TEST(live_resize_fills_new_cells)
{
    static char body[8192];
    int n = snprintf(body, sizeof body,
                     "{\"run\":{\"id\":9,\"prompt\":\"p\"},\"status\":{\"state\":\"running\"},"
                     "\"genesis\":{\"id\":100,\"run\":9,\"seq\":0,\"state\":\"invoking\","
                     "\"model\":\"dummy\",\"input\":{\"text\":\"p\"}},\"invocations\":[");
    for (int i = 0; i < 16; i++)
        n += snprintf(body + n, sizeof body - (size_t)n,
                      "%s{\"id\":%d,\"run\":9,\"seq\":%d,\"state\":\"invoking\","
                      "\"model\":\"dummy\",\"input\":{\"text\":\"p\"}}",
                      i ? "," : "", 100 + i, i);
    snprintf(body + n, sizeof body - (size_t)n, "]}");
    catchup_body = body;
    /* The stream opens after the catch-up (on the 2x2 grid) and says at once: now 4x4. */
    stream_head = "event: display\ndata: {\"name\":\"tv1\",\"rows\":4,\"cols\":4}\n\n";
    struct fake_http *fake = NULL;
    REQUIRE(start_fake(&fake) != NULL);
    struct app *a = calloc(1, sizeof *a);
    app_init(a, "tv1");
    struct display_config cfg = a->cfg;
    cfg.network = 1;
    struct display disp = {0};
    REQUIRE_EQ_INT(display_start(&disp, fake_http_root(fake), "tv1", W, H, NULL), 0);
    cfg.rows = cfg.cols = 4;
    app_set_config(a, &cfg, 0);
    CHECK(display_wait(&disp, a, all_16_invoking, 15000));
    CHECK_EQ_INT(fake_http_count(fake, "GET /api/v1/networks/1/runs/current"), 1);
    CHECK_EQ_INT(display_stop(&disp), 0);
    if (test_checks_failed_in_test)
        display_print_log(&disp, 20);
    stream_head = ": hello\n\n";
    fake_http_stop(fake);
    remove_tree(disp.dir);
    free(a);
}

static int wait_count(struct fake_http *fake, const char *route, int ms)
{
    int64_t until = support_now_ms() + ms;
    while (fake_http_count(fake, route) == 0 && support_now_ms() < until)
        support_sleep_ms(50);
    return fake_http_count(fake, route) > 0;
}

/* The display is on network 5, then its stream says either that network 5 was deleted (the
 * coordinator now names network 1 for it) or that the display was moved to network 1. Either
 * way the display follows at once: it catches up with network 1 and fetches network 1's prompt
 * URL for the QR code (network 5's was fetched on its first stream), without waiting for the
 * old stream to end (it would stall for 30 s). */
TEST(network_change_is_followed_at_once)
{
    static const char *const heads[] = {
        "id: 7\nevent: network\ndata: {\"id\":5,\"deleted\":true}\n\n",
        "id: 7\nevent: display\ndata: {\"name\":\"tv1\",\"network\":1}\n\n",
    };
    catchup_body = "{\"run\":{\"id\":3,\"prompt\":\"p\"},\"status\":{\"state\":\"idle\"},"
                   "\"invocations\":[]}";
    for (int i = 0; i < 2; i++) {
        printf("  %s\n", i == 0 ? "network 5 deleted" : "display moved to network 1");
        stream_head = heads[i];
        display_network = 5;
        moved_to = 1;
        with_prompt_url = 1;
        struct fake_http *fake = NULL;
        REQUIRE(start_fake(&fake) != NULL);
        struct display disp = {0};
        REQUIRE_EQ_INT(display_start(&disp, fake_http_root(fake), "tv1", W, H, NULL), 0);
        CHECK(wait_count(fake, "GET /api/v1/networks/5/prompt-url", 15000));
        CHECK(wait_count(fake, "GET /api/v1/networks/1/runs/current", 10000));
        CHECK(wait_count(fake, "GET /api/v1/networks/1/events", 10000));
        CHECK(wait_count(fake, "GET /api/v1/networks/1/prompt-url", 10000));
        CHECK_EQ_INT(display_stop(&disp), 0);
        if (test_checks_failed_in_test)
            display_print_log(&disp, 20);
        stream_head = ": hello\n\n";
        display_network = 1;
        moved_to = 0;
        with_prompt_url = 0;
        fake_http_stop(fake);
        remove_tree(disp.dir);
    }
}

int main(void)
{
    if (SDL_Init(0) < 0 || !(IMG_Init(IMG_INIT_PNG) & IMG_INIT_PNG)) {
        printf("SDL: %s\n", SDL_GetError());
        return 1;
    }
    test_teardown = support_reap;
    RUN(failed_media_back_off);
    RUN(bad_text_does_not_cost_the_catch_up);
    RUN(live_resize_fills_new_cells);
    RUN(network_change_is_followed_at_once);
    IMG_Quit();
    SDL_Quit();
    support_done();
    TEST_END("it_display_media");
}
