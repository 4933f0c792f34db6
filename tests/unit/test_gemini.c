/* test_gemini.c: the gemini platform against a fake generateContent server on 127.0.0.1
 * (tests/fake_gemini.c), driven through its ops on a real ev loop with curl_ev, a media store in
 * a temporary directory and a recording done callback: the request shape (true MIME type, the
 * original's prompt, the key in x-goog-api-key and never in the URL), parts joined, safety blocks,
 * 429/5xx/timeouts retryable, 4xx not, a 429's Retry-After waited out first (capped), malformed
 * answers, a missing key, cancel. */
#include "common/buf.h"
#include "common/ev.h"
#include "common/util.h"
#include "coordinator/core/catalog.h"
#include "coordinator/platforms/curl_ev.h"
#include "coordinator/platforms/dummy/dummy_media.h"
#include "coordinator/platforms/gemini/gemini.h"
#include "coordinator/store/media.h"
#include "fakes/fake_gemini.h"
#include "support.h"
#include "test.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define KEY "AIza-test-key"
#define RETRY_AFTER_CAP_MS 1500 /* the tests wait no longer */

struct rec {
    int calls;
    int ok;
    char value[4096];
    char error[PANIC_ERR_LEN];
    int retryable;
};

static struct {
    struct ev *ev;
    struct curl_ev *curl;
    struct media_store *media;
    char dir[64];
    struct fake_gemini *fake;
    struct platform p;
    const char *key;
    struct rec rec;
} T;

static void on_done(void *owner, const struct platform_call *call, const struct runner_io *out,
                    const char *error, int retryable)
{
    (void)owner;
    (void)call;
    T.rec.calls++;
    T.rec.ok = out != NULL;
    T.rec.retryable = retryable;
    if (out)
        snprintf(T.rec.value, sizeof T.rec.value, "%s", out->value);
    snprintf(T.rec.error, sizeof T.rec.error, "%s", error ? error : "");
}

static const char *get_key(void *owner, const char *platform)
{
    (void)owner;
    return strcmp(platform, "gemini") == 0 ? T.key : NULL;
}

static void setup_timeout(long timeout_ms)
{
    memset(&T.rec, 0, sizeof T.rec);
    T.key = KEY;
    T.fake = fake_gemini_start();
    fake_gemini_set_key(T.fake, KEY);
    T.ev = ev_new();
    T.curl = curl_ev_new(T.ev);
    snprintf(T.dir, sizeof T.dir, "/tmp/test_gemini.XXXXXX");
    if (!mkdtemp(T.dir))
        abort();
    char err[256];
    T.media = media_open(T.dir, err, sizeof err);
    struct platform_env env = {
        .ev = T.ev,
        .curl = T.curl,
        .media = T.media,
        .done = on_done,
        .key = get_key,
    };
    struct gemini_tuning t;
    gemini_tuning_default(&t);
    t.base_url = fake_gemini_base(T.fake);
    t.timeout_ms = timeout_ms;
    t.retry_after_max_ms = RETRY_AFTER_CAP_MS;
    T.p = gemini_platform_new_tuned(&env, &t);
}

static void setup(void)
{
    setup_timeout(3000);
}

static void teardown(void)
{
    T.p.ops->free(T.p.self);
    curl_ev_free(T.curl);
    ev_free(T.ev);
    media_close(T.media);
    fake_gemini_stop(T.fake);
    remove_tree(T.dir);
}

/* Store some audio bytes under ext and invoke model on them. */
static void invoke_audio(const char *model, const void *data, size_t len, const char *ext,
                         char *name)
{
    CHECK_EQ_INT(media_put(T.media, data, len, ext, name, MEDIA_NAME_MAX), 0);
    const struct model_info *m = catalog_find(model);
    CHECK(m != NULL);
    struct platform_call call = {1, 1, 11, m, {MEDIA_AUDIO, name}, 0};
    CHECK_EQ_INT(T.p.ops->invoke(T.p.self, &call), 0);
    CHECK_EQ_INT(T.rec.calls, 0); /* never from inside invoke */
}

static void invoke_wav(const char *model, char *name)
{
    struct buf wav = BUF_INIT;
    dummy_wav("gemini", 6, 300, &wav);
    invoke_audio(model, wav.data, wav.len, "wav", name);
    buf_free(&wav);
}

static void spin_ms(int ms)
{
    int64_t end = time_mono_ms() + ms;
    while (time_mono_ms() < end)
        ev_run_once(T.ev, 10);
}

static int wait_done(int timeout_ms)
{
    int64_t end = time_mono_ms() + timeout_ms;
    while (!T.rec.calls && time_mono_ms() < end)
        ev_run_once(T.ev, 20);
    return T.rec.calls > 0;
}

TEST(catalog_rows)
{
    CHECK_EQ_INT(gemini_models_count, 2);
    const struct model_info *f = catalog_find("gemini-audio-description");
    const struct model_info *p = catalog_find("gemini-audio-description-pro");
    CHECK(f && p);
    if (!f || !p)
        return;
    CHECK_STR_EQ(f->path, "gemini-2.5-flash");
    CHECK_STR_EQ(p->path, "gemini-2.5-pro");
    CHECK_STR_EQ(f->platform, "gemini");
    CHECK_EQ_INT(f->input, MEDIA_AUDIO);
    CHECK_EQ_INT(f->output, MEDIA_TEXT);
    json_t *j = json_loads(f->params_json, 0, NULL);
    const char *prompt = json_string_value(json_object_get(j, "prompt"));
    CHECK(prompt && strncmp(prompt, "Describe this audio.", 20) == 0);
    CHECK(prompt && strstr(prompt, "less than 100 words") != NULL);
    json_decref(j);
}

TEST(wav_request_shape)
{
    setup();
    char name[MEDIA_NAME_MAX];
    invoke_wav("gemini-audio-description", name);
    CHECK(wait_done(5000));
    CHECK(T.rec.ok);
    CHECK(strncmp(T.rec.value, "FAKE_DESCRIPTION: gemini-2.5-flash audio/wav ", 45) == 0);
    CHECK(strstr(T.rec.value, ": Describe this audio.") != NULL);
    CHECK_EQ_INT(fake_gemini_count(T.fake), 1);
    struct fake_gemini_request r;
    CHECK_EQ_INT(fake_gemini_request(T.fake, 0, &r), 0);
    CHECK_STR_EQ(r.method, "POST");
    CHECK_STR_EQ(r.path, "/v1beta/models/gemini-2.5-flash:generateContent");
    CHECK(strstr(r.path, "key=") == NULL); /* the key stays out of the URL */
    CHECK_STR_EQ(r.api_key, KEY);
    CHECK_STR_EQ(r.authorization, "");
    CHECK(strstr(r.content_type, "application/json") != NULL);
    json_t *j = json_loads(r.body, 0, NULL);
    json_t *c0 = json_array_get(json_object_get(j, "contents"), 0);
    CHECK_STR_EQ(json_string_value(json_object_get(c0, "role")), "user");
    json_t *parts = json_object_get(c0, "parts");
    json_t *inl = json_object_get(json_array_get(parts, 0), "inline_data");
    CHECK_STR_EQ(json_string_value(json_object_get(inl, "mime_type")), "audio/wav");
    const char *data = json_string_value(json_object_get(inl, "data"));
    CHECK(data && strncmp(data, "UklGR", 5) == 0);
    CHECK(strncmp(json_string_value(json_object_get(json_array_get(parts, 1), "text")),
                  "Describe this audio.", 20) == 0);
    json_decref(j);
    fake_gemini_request_free(&r);
    teardown();
}

TEST(true_mime_types)
{
    static const unsigned char mp3[] = {'I', 'D', '3', 4, 0, 0, 0, 0, 0, 0, 0xff, 0xfb};
    static const unsigned char ogg[] = {'O', 'g', 'g', 'S', 0, 2, 0, 0, 0, 0, 0, 0};
    setup();
    char name[MEDIA_NAME_MAX];
    invoke_audio("gemini-audio-description-pro", mp3, sizeof mp3, "mp3", name);
    CHECK(wait_done(5000));
    CHECK(strstr(T.rec.value, "gemini-2.5-pro audio/mpeg 12 bytes") != NULL);
    memset(&T.rec, 0, sizeof T.rec);
    invoke_audio("gemini-audio-description", ogg, sizeof ogg, "ogg", name);
    CHECK(wait_done(5000));
    CHECK(strstr(T.rec.value, "audio/ogg 12 bytes") != NULL);
    teardown();
}

TEST(parts_joined_thoughts_skipped)
{
    setup();
    fake_gemini_script(T.fake, 200,
                       "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":["
                       "{\"text\":\"thinking...\",\"thought\":true},"
                       "{\"text\":\" Warm synth pads, \"},{\"text\":\"slow tempo.\\n\"}]},"
                       "\"finishReason\":\"STOP\"}]}",
                       NULL, 0);
    char name[MEDIA_NAME_MAX];
    invoke_wav("gemini-audio-description", name);
    CHECK(wait_done(5000));
    CHECK(T.rec.ok);
    CHECK_STR_EQ(T.rec.value, "Warm synth pads, slow tempo.");
    teardown();
}

TEST(safety_blocks)
{
    setup();
    fake_gemini_script(T.fake, 200,
                       "{\"promptFeedback\":{\"blockReason\":\"SAFETY\",\"safetyRatings\":[]}}",
                       NULL, 0);
    char name[MEDIA_NAME_MAX];
    invoke_wav("gemini-audio-description", name);
    CHECK(wait_done(5000));
    CHECK(!T.rec.ok);
    CHECK_EQ_INT(T.rec.retryable, 0);
    CHECK(strstr(T.rec.error, "blocked") != NULL);
    CHECK(strstr(T.rec.error, "SAFETY") != NULL);
    memset(&T.rec, 0, sizeof T.rec);
    fake_gemini_script(T.fake, 200,
                       "{\"candidates\":[{\"finishReason\":\"SAFETY\",\"safetyRatings\":[]}]}",
                       NULL, 0);
    invoke_wav("gemini-audio-description", name);
    CHECK(wait_done(5000));
    CHECK(!T.rec.ok);
    CHECK_EQ_INT(T.rec.retryable, 0);
    CHECK(strstr(T.rec.error, "SAFETY") != NULL);
    teardown();
}

TEST(http_failures)
{
    static const struct {
        int status;
        const char *body;
        const char *retry_after;
        int retryable;
        const char *says;
    } cases[] = {
        {429,
         "{\"error\":{\"code\":429,\"message\":\"Resource has been exhausted\","
         "\"status\":\"RESOURCE_EXHAUSTED\"}}",
         "7", 1, "exhausted"},
        {500, "{\"error\":{\"code\":500,\"message\":\"Internal error\",\"status\":\"INTERNAL\"}}",
         NULL, 1, "Internal error"},
        {503, "upstream down", NULL, 1, "503"},
        {400,
         "{\"error\":{\"code\":400,\"message\":\"Unsupported MIME type\","
         "\"status\":\"INVALID_ARGUMENT\"}}",
         NULL, 0, "Unsupported MIME type"},
        {404, "{\"error\":{\"code\":404,\"message\":\"models/x is not found\"}}", NULL, 0,
         "not found"},
        {200, "{\"candidates\": [", NULL, 1, "unreadable"},
        {200,
         "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"  \"}]},"
         "\"finishReason\":\"MAX_TOKENS\"}]}",
         NULL, 1, "no text"},
    };
    setup();
    char name[MEDIA_NAME_MAX];
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        memset(&T.rec, 0, sizeof T.rec);
        fake_gemini_script(T.fake, cases[i].status, cases[i].body, cases[i].retry_after, 0);
        invoke_wav("gemini-audio-description", name);
        CHECK(wait_done(5000));
        CHECK(!T.rec.ok);
        if (T.rec.retryable != cases[i].retryable || !strstr(T.rec.error, cases[i].says))
            TEST_FAIL_AT("case %zu: retryable=%d error=\"%s\"", i, T.rec.retryable, T.rec.error);
    }
    CHECK(strstr(T.rec.error, KEY) == NULL);
    teardown();
}

TEST(rate_limit_waits_for_retry_after)
{
    static const char exhausted[] =
        "{\"error\":{\"code\":429,\"message\":\"Resource has been exhausted\"}}";
    setup();
    char name[MEDIA_NAME_MAX];
    fake_gemini_script(T.fake, 429, exhausted, "1", 0);
    int64_t t0 = time_mono_ms();
    invoke_wav("gemini-audio-description", name);
    while (!T.rec.calls && time_mono_ms() - t0 < 800)
        ev_run_once(T.ev, 20);
    CHECK_EQ_INT(T.rec.calls, 0); /* not before the second the server asked for */
    CHECK(wait_done(5000));
    CHECK(time_mono_ms() - t0 >= 950);
    CHECK(!T.rec.ok);
    CHECK_EQ_INT(T.rec.retryable, 1);
    CHECK(strstr(T.rec.error, "waited 1.0 s") != NULL);
    CHECK(strstr(T.rec.error, "exhausted") != NULL);

    /* A date already past: no wait. */
    memset(&T.rec, 0, sizeof T.rec);
    fake_gemini_script(T.fake, 429, exhausted, "Thu, 01 Jan 1970 00:00:00 GMT", 0);
    t0 = time_mono_ms();
    invoke_wav("gemini-audio-description", name);
    CHECK(wait_done(5000));
    CHECK(time_mono_ms() - t0 < 900);
    CHECK(strstr(T.rec.error, "429") != NULL && strstr(T.rec.error, "waited") == NULL);
    CHECK_EQ_INT(T.rec.retryable, 1);

    /* An hour: capped. */
    memset(&T.rec, 0, sizeof T.rec);
    fake_gemini_script(T.fake, 429, exhausted, "3600", 0);
    t0 = time_mono_ms();
    invoke_wav("gemini-audio-description", name);
    CHECK(wait_done(5000));
    int64_t took = time_mono_ms() - t0;
    CHECK(took >= RETRY_AFTER_CAP_MS - 50 && took < 3500);
    CHECK(strstr(T.rec.error, "waited 1.5 s") != NULL);

    /* Cancelled while waiting: never called back. */
    memset(&T.rec, 0, sizeof T.rec);
    fake_gemini_script(T.fake, 429, exhausted, "1", 0);
    size_t seen = fake_gemini_count(T.fake);
    invoke_wav("gemini-audio-description", name);
    int64_t end = time_mono_ms() + 2000;
    while (fake_gemini_count(T.fake) == seen && time_mono_ms() < end)
        ev_run_once(T.ev, 10);
    spin_ms(200); /* the 429 has arrived: the wait is on */
    T.p.ops->cancel(T.p.self, 11);
    spin_ms(1500);
    CHECK_EQ_INT(T.rec.calls, 0);
    teardown();
}

TEST(bad_key)
{
    setup();
    T.key = "AIza-wrong";
    char name[MEDIA_NAME_MAX];
    invoke_wav("gemini-audio-description", name);
    CHECK(wait_done(5000));
    CHECK(!T.rec.ok);
    CHECK_EQ_INT(T.rec.retryable, 0);
    CHECK(strstr(T.rec.error, "403") != NULL);
    CHECK(strstr(T.rec.error, "AIza-wrong") == NULL);
    teardown();
}

TEST(stall_times_out)
{
    setup_timeout(300);
    fake_gemini_script(T.fake, 200, "{}", NULL, 1500);
    char name[MEDIA_NAME_MAX];
    invoke_wav("gemini-audio-description", name);
    CHECK(wait_done(5000));
    CHECK(!T.rec.ok);
    CHECK_EQ_INT(T.rec.retryable, 1);
    CHECK(strstr(T.rec.error, "no answer") != NULL);
    teardown();
}

TEST(missing_key_and_bad_input)
{
    setup();
    T.key = NULL;
    char why[128] = "";
    CHECK_EQ_INT(T.p.ops->available(T.p.self, why, sizeof why), 0);
    CHECK(strstr(why, "key") != NULL);
    char name[MEDIA_NAME_MAX];
    invoke_wav("gemini-audio-description", name);
    CHECK(wait_done(2000));
    CHECK(!T.rec.ok);
    CHECK_EQ_INT(T.rec.retryable, 0);
    CHECK(strstr(T.rec.error, "key") != NULL);
    T.key = KEY;
    CHECK_EQ_INT(T.p.ops->available(T.p.self, why, sizeof why), 1);
    /* a name that is not in the store */
    memset(&T.rec, 0, sizeof T.rec);
    const struct model_info *m = catalog_find("gemini-audio-description");
    struct platform_call call = {
        1,
        1,
        12,
        m,
        {MEDIA_AUDIO, "0000000000000000000000000000000000000000000000000000000000000000.wav"},
        0};
    CHECK_EQ_INT(T.p.ops->invoke(T.p.self, &call), 0);
    CHECK(wait_done(2000));
    CHECK(!T.rec.ok);
    CHECK_EQ_INT(T.rec.retryable, 0);
    CHECK_EQ_INT(fake_gemini_count(T.fake), 0);
    teardown();
}

TEST(cancel_never_calls_back)
{
    setup();
    fake_gemini_script(T.fake, 200, "{}", NULL, 400);
    char name[MEDIA_NAME_MAX];
    invoke_wav("gemini-audio-description", name);
    int64_t end = time_mono_ms() + 2000;
    while (fake_gemini_count(T.fake) < 1 && time_mono_ms() < end)
        ev_run_once(T.ev, 10);
    T.p.ops->cancel(T.p.self, 11);
    end = time_mono_ms() + 700;
    while (time_mono_ms() < end)
        ev_run_once(T.ev, 10);
    CHECK_EQ_INT(T.rec.calls, 0);
    /* cancel before the loop even ran */
    invoke_wav("gemini-audio-description", name);
    T.p.ops->cancel(T.p.self, 11);
    end = time_mono_ms() + 200;
    while (time_mono_ms() < end)
        ev_run_once(T.ev, 10);
    CHECK_EQ_INT(T.rec.calls, 0);
    CHECK_EQ_INT(fake_gemini_count(T.fake), 1);
    teardown();
}

int main(void)
{
    RUN(catalog_rows);
    RUN(wav_request_shape);
    RUN(true_mime_types);
    RUN(parts_joined_thoughts_skipped);
    RUN(safety_blocks);
    RUN(http_failures);
    RUN(rate_limit_waits_for_retry_after);
    RUN(bad_key);
    RUN(stall_times_out);
    RUN(missing_key_and_bad_input);
    RUN(cancel_never_calls_back);
    TEST_END("test_gemini");
}
