/* bench_platforms.c: ten networks at once against a slow OpenAI-compatible server. A fake server
 * (tests/fake_openai.c) answers every chat call after 200 ms on its own thread per connection;
 * panicd calls it through libcurl multi on its one loop. If one network's call blocked another,
 * ten networks would share one call at a time (~5 calls/s in all); run side by side they make
 * ~50/s. Prints a table; never fails on time. */
#define _GNU_SOURCE
#include "fakes/fake_openai.h"
#include "support.h"
#include "common/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NETWORKS 10
#define SECONDS 10
#define DELAY_MS 200

static long long seq_of(const struct daemon *d, long long net)
{
    char path[96];
    long st;
    snprintf(path, sizeof path, "/api/v1/networks/%lld/status", net);
    json_t *j = api_json(d, "GET", path, NULL, NULL, &st);
    long long seq = json_int_of(j, "seq", 0);
    json_decref(j);
    return seq;
}

int main(void)
{
    struct fake_openai *f = fake_openai_start();
    if (!f)
        return 1;
    fake_openai_set_delay_ms(f, DELAY_MS);
    char extra[512];
    snprintf(extra, sizeof extra,
             "openai_server.fake.base_url %s\nmodel.fake-chat.server fake\n"
             "model.fake-chat.model fake-model\nmodel.fake-chat.input text\n"
             "model.fake-chat.output text\n",
             fake_openai_base(f));
    struct daemon d;
    if (daemon_start(&d, extra) < 0) {
        fprintf(stderr, "bench_platforms: panicd did not start\n");
        daemon_print_log(&d, 20);
        daemon_cleanup(&d);
        fake_openai_stop(f);
        return 1;
    }
    long long nets[NETWORKS], start[NETWORKS];
    long st;
    for (int i = 0; i < NETWORKS; i++) {
        char body[256];
        snprintf(body, sizeof body,
                 "{\"name\":\"n%d\",\"models\":[\"fake-chat\"],\"lockout_seconds\":0,"
                 "\"schedule\":[{\"delay_s\":0}]}",
                 i);
        json_t *j = api_json(&d, "POST", "/api/v1/networks", d.token, body, &st);
        nets[i] = json_int_of(j, "id", 0);
        json_decref(j);
    }
    int64_t t0 = support_now_ms();
    for (int i = 0; i < NETWORKS; i++) {
        char path[96];
        snprintf(path, sizeof path, "/api/v1/networks/%lld/runs", nets[i]);
        api_status(&d, "POST", path, d.token, "{\"prompt\":\"side by side\"}");
        start[i] = seq_of(&d, nets[i]);
    }
    support_sleep_ms(SECONDS * 1000);
    double elapsed = (double)(support_now_ms() - t0) / 1000.0;
    long long total = 0, lo = -1, hi = 0;
    for (int i = 0; i < NETWORKS; i++) {
        long long n = seq_of(&d, nets[i]) - start[i];
        total += n;
        lo = lo < 0 || n < lo ? n : lo;
        hi = n > hi ? n : hi;
    }
    printf("\nbenchmark                                            value\n");
    printf("ten networks, one fake OpenAI server (%d ms a call)  %lld calls in %.1f s = %.1f/s\n",
           DELAY_MS, total, elapsed, (double)total / elapsed);
    printf("  per network min / max                            %lld / %lld calls\n", lo, hi);
    printf("  if calls blocked one another                     ~%.1f/s; side by side ~%.1f/s\n",
           1000.0 / DELAY_MS, NETWORKS * 1000.0 / DELAY_MS);
    printf("  requests the fake server saw                     %zu\n", fake_openai_count(f));
    daemon_stop(&d, 5000, NULL);
    daemon_cleanup(&d);
    fake_openai_stop(f);
    support_done();
    return total > 0 ? 0 : 1;
}
