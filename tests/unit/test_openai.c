/* test_openai.c: the openai platform driven through its ops on a real ev loop and curl_ev,
 * against the fake OpenAI server (tests/fake_openai.c), with a media store in a temp dir and a
 * recording done callback. Every shape succeeds with the documented request; every scripted fault
 * gives the documented outcome; cancel never calls back; the key goes out as a Bearer header and
 * never into a log line or an error. Also the config-declared LAN models, the catalogue rows and
 * the pure helpers. */
#include "common/buf.h"
#include "common/ev.h"
#include "common/log.h"
#include "common/util.h"
#include "coordinator/core/catalog.h"
#include "coordinator/platforms/curl_ev.h"
#include "coordinator/platforms/dummy/dummy_media.h"
#include "coordinator/store/media.h"
#include "coordinator/platforms/openai/openai.h"
#include "coordinator/core/openai_config.h"
#include "fakes/fake_openai.h"
#include "support.h"
#include "test.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KEY "sk-test-KEEPMESECRET-0123456789abcdef"

static struct fake_openai *fake;
static struct ev *ev;
static struct curl_ev *curl;
static struct media_store *media;
static char media_dir[64];
static struct platform plat;

static const char *current_key = KEY; /* what env->key answers for "openai" */
static const char *lan_key;           /* what it answers for "gpubox" */

struct outcome {
    int64_t inv;
    int ok;
    enum media_type type;
    char value[4200];
    char error[PANIC_ERR_LEN];
    int retryable;
    int64_t at_ms;
};

static struct outcome outs[128];
static size_t nouts;
static int inside_platform;
static int reentrant;

static void on_done(void *owner, const struct platform_call *call, const struct runner_io *output,
                    const char *error, int retryable)
{
    (void)owner;
    if (inside_platform)
        reentrant++;
    if (nouts == ARRAY_LEN(outs))
        return;
    struct outcome *o = &outs[nouts++];
    memset(o, 0, sizeof *o);
    o->inv = call->inv_id;
    o->ok = output != NULL;
    if (output) {
        o->type = output->type;
        snprintf(o->value, sizeof o->value, "%s", output->value);
    }
    snprintf(o->error, sizeof o->error, "%s", error ? error : "");
    o->retryable = retryable;
    o->at_ms = time_mono_ms();
}

static const char *get_key(void *owner, const char *platform)
{
    (void)owner;
    if (!strcmp(platform, "openai"))
        return current_key;
    if (!strcmp(platform, "gpubox"))
        return lan_key;
    return NULL;
}

static const struct outcome *outcome_of(int64_t inv)
{
    for (size_t i = 0; i < nouts; i++)
        if (outs[i].inv == inv)
            return &outs[i];
    return NULL;
}

static int count_outcomes(int64_t inv)
{
    int n = 0;
    for (size_t i = 0; i < nouts; i++)
        n += outs[i].inv == inv;
    return n;
}

static int64_t next_inv = 1;

/* Invoke m on input through p; the invocation id, or -errno from invoke. */
static int64_t invoke_on(struct platform *p, const struct model_info *m, enum media_type type,
                         const char *input)
{
    int64_t inv = next_inv++;
    struct platform_call call = {1, 7, inv, m, {type, input}, 0};
    inside_platform = 1;
    int rc = p->ops->invoke(p->self, &call);
    inside_platform = 0;
    return rc < 0 ? rc : inv;
}

static int64_t invoke(const struct model_info *m, enum media_type type, const char *input)
{
    return invoke_on(&plat, m, type, input);
}

static void cancel(int64_t inv)
{
    inside_platform = 1;
    plat.ops->cancel(plat.self, inv);
    inside_platform = 0;
}

static const struct outcome *wait_for(int64_t inv, int timeout_ms)
{
    int64_t end = time_mono_ms() + timeout_ms;
    while (!outcome_of(inv) && time_mono_ms() < end)
        ev_run_once(ev, 20);
    return outcome_of(inv);
}

static void spin(int ms)
{
    int64_t end = time_mono_ms() + ms;
    while (time_mono_ms() < end)
        ev_run_once(ev, 10);
}

/* A catalogue model aimed at the fake server. */
static struct model_info at_fake(const char *id)
{
    const struct model_info *m = catalog_find(id);
    struct model_info c = *m;
    c.base_url = fake_openai_base(fake);
    return c;
}

/* The JSON body of the last recorded request (new reference) and the request itself. */
static json_t *last_request(struct fake_request *out)
{
    size_t n = fake_openai_count(fake);
    if (!n || fake_openai_request(fake, n - 1, out) < 0)
        return NULL;
    return json_loadb(out->body, out->len, 0, NULL);
}

static const char *jstr(json_t *j, const char *key)
{
    return json_string_value(json_object_get(j, key));
}

/* Bytes of a stored media file, in out. */
static int read_media(const char *name, struct buf *out)
{
    char path[4096];
    if (media_path(media, name, path, sizeof path) < 0)
        return -1;
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(out, chunk, n);
    fclose(f);
    return 0;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

/* ---- shapes ---- */

TEST(chat_text_to_text)
{
    fake_openai_reset(fake);
    struct model_info m = at_fake("gpt-5-chat");
    int64_t inv = invoke(&m, MEDIA_TEXT, "a lighthouse in the fog");
    CHECK(inv > 0);
    CHECK(outcome_of(inv) == NULL); /* never from inside invoke */
    const struct outcome *o = wait_for(inv, 5000);
    CHECK(o && o->ok);
    if (!o)
        return;
    CHECK_EQ_INT(o->type, MEDIA_TEXT);
    CHECK_STR_EQ(o->value, "FAKE_CHAT: a lighthouse in the fog");
    struct fake_request r;
    json_t *j = last_request(&r);
    CHECK(j != NULL);
    CHECK_STR_EQ(r.path, "/v1/chat/completions");
    CHECK_STR_EQ(r.authorization, "Bearer " KEY);
    CHECK_STR_EQ(r.content_type, "application/json");
    CHECK_STR_EQ(jstr(j, "model"), "gpt-5-chat-latest");
    CHECK_NEAR(json_number_value(json_object_get(j, "temperature")), 1.0, 1e-9);
    CHECK_EQ_INT(json_integer_value(json_object_get(j, "max_completion_tokens")), 150);
    CHECK(json_object_get(j, "system") == NULL);
    json_t *msgs = json_object_get(j, "messages");
    CHECK_EQ_INT(json_array_size(msgs), 2);
    CHECK_STR_EQ(jstr(json_array_get(msgs, 0), "role"), "system");
    CHECK_STR_EQ(jstr(json_array_get(msgs, 0), "content"), OPENAI_PANIC_SYSTEM_PROMPT);
    CHECK_STR_EQ(jstr(json_array_get(msgs, 1), "role"), "user");
    CHECK_STR_EQ(jstr(json_array_get(msgs, 1), "content"), "a lighthouse in the fog");
    json_decref(j);
    fake_request_free(&r);
}

TEST(oblique_strategies)
{
    fake_openai_reset(fake);
    struct model_info m = at_fake("oblique-strategies");
    int64_t inv = invoke(&m, MEDIA_TEXT, "I am stuck");
    const struct outcome *o = wait_for(inv, 5000);
    CHECK(o && o->ok);
    struct fake_request r;
    json_t *j = last_request(&r);
    CHECK_STR_EQ(jstr(j, "model"), "gpt-5-chat-latest");
    const char *sys = jstr(json_array_get(json_object_get(j, "messages"), 0), "content");
    CHECK(sys && strstr(sys, "Oblique Strategies") != NULL);
    CHECK_EQ_INT(json_integer_value(json_object_get(j, "max_completion_tokens")), 40);
    json_decref(j);
    fake_request_free(&r);
}

TEST(vision_image_to_text)
{
    fake_openai_reset(fake);
    struct buf png = BUF_INIT;
    CHECK(dummy_png("vision", 6, 64, 36, &png) == 0);
    char name[MEDIA_NAME_MAX];
    CHECK(media_put(media, png.data, png.len, "png", name, sizeof name) == 0);
    struct model_info m = at_fake("gpt-4.1-mini-caption");
    int64_t inv = invoke(&m, MEDIA_IMAGE, name);
    const struct outcome *o = wait_for(inv, 5000);
    CHECK(o && o->ok);
    char want[128];
    snprintf(want, sizeof want, "FAKE_CAPTION: image/png %zu bytes", png.len);
    CHECK_STR_EQ(o ? o->value : NULL, want);
    struct fake_request r;
    json_t *j = last_request(&r);
    CHECK_STR_EQ(jstr(j, "model"), "gpt-4.1-mini");
    CHECK(json_object_get(j, "prompt") == NULL && json_object_get(j, "detail") == NULL);
    json_t *msgs = json_object_get(j, "messages");
    json_t *content = json_object_get(json_array_get(msgs, json_array_size(msgs) - 1), "content");
    CHECK_STR_EQ(jstr(json_array_get(content, 0), "text"), OPENAI_CAPTION_PROMPT);
    json_t *iu = json_object_get(json_array_get(content, 1), "image_url");
    CHECK(
        !strncmp(jstr(iu, "url") ? jstr(iu, "url") : "", "data:image/png;base64,iVBORw0KGgo", 33));
    CHECK_STR_EQ(jstr(iu, "detail"), "low");
    json_decref(j);
    fake_request_free(&r);
    buf_free(&png);
}

TEST(image_generation)
{
    fake_openai_reset(fake);
    struct model_info m = at_fake("gpt-image-1");
    int64_t inv = invoke(&m, MEDIA_TEXT, "a wombat at dawn, oil on canvas");
    const struct outcome *o = wait_for(inv, 5000);
    CHECK(o && o->ok);
    if (!o)
        return;
    CHECK_EQ_INT(o->type, MEDIA_IMAGE);
    CHECK(media_name_valid(o->value) && ends_with(o->value, ".png"));
    struct buf b = BUF_INIT;
    CHECK(read_media(o->value, &b) == 0);
    CHECK(b.len > 8 && !memcmp(b.data, "\x89PNG", 4));
    buf_free(&b);
    struct fake_request r;
    json_t *j = last_request(&r);
    CHECK_STR_EQ(r.path, "/v1/images/generations");
    CHECK_STR_EQ(jstr(j, "model"), "gpt-image-1");
    CHECK_STR_EQ(jstr(j, "prompt"), "a wombat at dawn, oil on canvas");
    CHECK_STR_EQ(jstr(j, "size"), "1536x1024");
    CHECK(json_object_get(j, "response_format") == NULL); /* gpt-image-1 rejects it */
    json_decref(j);
    fake_request_free(&r);

    struct model_info d3 = at_fake("dall-e-3");
    inv = invoke(&d3, MEDIA_TEXT, "a wombat at dusk");
    o = wait_for(inv, 5000);
    CHECK(o && o->ok && ends_with(o->value, ".png"));
    j = last_request(&r);
    CHECK_STR_EQ(jstr(j, "response_format"), "b64_json");
    CHECK_STR_EQ(jstr(j, "size"), "1792x1024");
    json_decref(j);
    fake_request_free(&r);
}

TEST(image_url_answer_is_downloaded)
{
    fake_openai_reset(fake);
    fake_openai_script(fake, FAKE_IMAGE_URL, 1);
    struct model_info m = at_fake("gpt-image-1");
    int64_t inv = invoke(&m, MEDIA_TEXT, "by url");
    const struct outcome *o = wait_for(inv, 5000);
    CHECK(o && o->ok && ends_with(o->value, ".png"));
    CHECK_EQ_INT(fake_openai_count(fake), 2);
    struct fake_request r;
    CHECK(fake_openai_request(fake, 1, &r) == 0);
    CHECK_STR_EQ(r.path, "/t/png");
    CHECK_STR_EQ(r.authorization, ""); /* the key stays with the API host */
    fake_request_free(&r);
}

TEST(speech_text_to_audio)
{
    fake_openai_reset(fake);
    struct model_info m = at_fake("gpt-4o-mini-tts");
    int64_t inv = invoke(&m, MEDIA_TEXT, "Read me aloud.");
    const struct outcome *o = wait_for(inv, 5000);
    CHECK(o && o->ok);
    if (!o)
        return;
    CHECK_EQ_INT(o->type, MEDIA_AUDIO);
    CHECK(media_name_valid(o->value) && ends_with(o->value, ".wav"));
    struct buf b = BUF_INIT;
    CHECK(read_media(o->value, &b) == 0);
    CHECK(b.len > 44 && !memcmp(b.data, "RIFF", 4) && !memcmp(b.data + 8, "WAVE", 4));
    buf_free(&b);
    struct fake_request r;
    json_t *j = last_request(&r);
    CHECK_STR_EQ(r.path, "/v1/audio/speech");
    CHECK_STR_EQ(jstr(j, "model"), "gpt-4o-mini-tts");
    CHECK_STR_EQ(jstr(j, "input"), "Read me aloud.");
    CHECK_STR_EQ(jstr(j, "response_format"), "wav");
    CHECK_STR_EQ(jstr(j, "voice"), "coral");
    json_decref(j);
    fake_request_free(&r);
}

TEST(transcription_audio_to_text)
{
    fake_openai_reset(fake);
    struct buf wav = BUF_INIT;
    CHECK(dummy_wav("transcribe", 10, 300, &wav) == 0);
    char name[MEDIA_NAME_MAX];
    CHECK(media_put(media, wav.data, wav.len, "wav", name, sizeof name) == 0);
    struct model_info m = at_fake("whisper-1");
    int64_t inv = invoke(&m, MEDIA_AUDIO, name);
    const struct outcome *o = wait_for(inv, 5000);
    CHECK(o && o->ok);
    char want[128];
    snprintf(want, sizeof want, "FAKE_TRANSCRIPT: audio.wav %zu bytes", wav.len);
    CHECK_STR_EQ(o ? o->value : NULL, want);
    struct fake_request r;
    CHECK(fake_openai_request(fake, 0, &r) == 0);
    CHECK_STR_EQ(r.path, "/v1/audio/transcriptions");
    CHECK_STR_EQ(r.authorization, "Bearer " KEY);
    CHECK(!strncmp(r.content_type, "multipart/form-data", 19));
    const struct fake_part *p = fake_request_part(&r, "model");
    CHECK(p && !strcmp(p->data, "whisper-1"));
    p = fake_request_part(&r, "response_format");
    CHECK(p && !strcmp(p->data, "json"));
    p = fake_request_part(&r, "file");
    CHECK(p && p->len == wav.len && !memcmp(p->data, wav.data, wav.len));
    CHECK(p && !strcmp(p->type, "audio/wav"));
    fake_request_free(&r);

    /* Params become multipart fields; "prompt" is a hint here. */
    fake_openai_reset(fake);
    m.params_json = "{\"prompt\": \"a gallery\", \"language\": \"en\", \"temperature\": 0.5}";
    inv = invoke(&m, MEDIA_AUDIO, name);
    o = wait_for(inv, 5000);
    CHECK(o && o->ok);
    CHECK(fake_openai_request(fake, 0, &r) == 0);
    p = fake_request_part(&r, "prompt");
    CHECK(p && !strcmp(p->data, "a gallery"));
    p = fake_request_part(&r, "language");
    CHECK(p && !strcmp(p->data, "en"));
    p = fake_request_part(&r, "temperature");
    CHECK(p && !strcmp(p->data, "0.5"));
    p = fake_request_part(&r, "response_format");
    CHECK(p && !strcmp(p->data, "json"));
    fake_request_free(&r);

    /* Nothing heard: final, a retry would hear nothing again. */
    fake_openai_reset(fake);
    fake_openai_script(fake, FAKE_EMPTY, 1);
    inv = invoke(&m, MEDIA_AUDIO, name);
    o = wait_for(inv, 5000);
    CHECK(o && !o->ok && !o->retryable && strstr(o->error, "no speech"));
    buf_free(&wav);
}

/* ---- faults ---- */

TEST(rate_limit_waits_for_retry_after)
{
    fake_openai_reset(fake);
    fake_openai_set_retry_after(fake, "1");
    fake_openai_script(fake, FAKE_RATE_LIMIT, 1);
    struct model_info m = at_fake("gpt-5-chat");
    int64_t t0 = time_mono_ms();
    int64_t inv = invoke(&m, MEDIA_TEXT, "hello");
    const struct outcome *o = wait_for(inv, 5000);
    CHECK(o && !o->ok && o->retryable);
    CHECK(o && o->at_ms - t0 >= 950); /* the server's wait, before the runner hears of it */
    CHECK(o && strstr(o->error, "rate limited (429)") && strstr(o->error, "waited 1.0 s"));
    CHECK(o && !strncmp(o->error, "gpt-5-chat: ", 12));

    /* Without Retry-After: reported at once, still retryable. */
    fake_openai_set_retry_after(fake, NULL);
    fake_openai_script(fake, FAKE_RATE_LIMIT, 1);
    t0 = time_mono_ms();
    inv = invoke(&m, MEDIA_TEXT, "hello");
    o = wait_for(inv, 5000);
    CHECK(o && !o->ok && o->retryable && o->at_ms - t0 < 900);
    fake_openai_set_retry_after(fake, "1");
}

TEST(quota_is_final)
{
    fake_openai_reset(fake);
    fake_openai_script(fake, FAKE_QUOTA, 1);
    struct model_info m = at_fake("gpt-5-chat");
    int64_t inv = invoke(&m, MEDIA_TEXT, "hello");
    const struct outcome *o = wait_for(inv, 5000);
    CHECK(o && !o->ok && !o->retryable);
    CHECK(o && strstr(o->error, "the OpenAI account has no credit left"));
}

TEST(server_errors_and_bad_answers_are_retryable)
{
    struct model_info m = at_fake("gpt-5-chat");
    static const struct {
        enum fake_fault fault;
        const char *words;
    } cases[] = {
        {FAKE_SERVER_ERROR, "server error 500"},
        {FAKE_MALFORMED, "not the JSON"},
        {FAKE_EMPTY, "empty text"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        fake_openai_reset(fake);
        fake_openai_script(fake, cases[i].fault, 1);
        int64_t inv = invoke(&m, MEDIA_TEXT, "hello");
        const struct outcome *o = wait_for(inv, 5000);
        CHECK(o && !o->ok && o->retryable);
        if (o && !strstr(o->error, cases[i].words))
            TEST_FAIL_AT("case %zu: error \"%s\" lacks \"%s\"", i, o->error, cases[i].words);
    }
    /* A bad request is not worth repeating. */
    fake_openai_reset(fake);
    fake_openai_script(fake, FAKE_BAD_REQUEST, 1);
    int64_t inv = invoke(&m, MEDIA_TEXT, "hello");
    const struct outcome *o = wait_for(inv, 5000);
    CHECK(o && !o->ok && !o->retryable && strstr(o->error, "(400)"));
}

TEST(stalled_answer_times_out)
{
    fake_openai_reset(fake);
    fake_openai_script(fake, FAKE_STALL, 1);
    struct model_info m = at_fake("gpt-5-chat");
    m.params_json = "{\"system\": \"short\", \"timeout_s\": 1}";
    int64_t t0 = time_mono_ms();
    int64_t inv = invoke(&m, MEDIA_TEXT, "hello");
    const struct outcome *o = wait_for(inv, 5000);
    CHECK(o && !o->ok && o->retryable);
    CHECK(o && strstr(o->error, "no answer within 1 s"));
    CHECK(o && o->at_ms - t0 < 3000);
    struct fake_request r;
    json_t *j = last_request(&r);
    CHECK(json_object_get(j, "timeout_s") == NULL);
    json_decref(j);
    fake_request_free(&r);
}

TEST(content_policy_falls_back_to_the_wombat)
{
    /* Image: refused, then the wombat prompt succeeds and is the output. */
    fake_openai_reset(fake);
    fake_openai_script(fake, FAKE_POLICY, 2);
    struct model_info m = at_fake("gpt-image-1");
    int64_t inv = invoke(&m, MEDIA_TEXT, "something unprintable");
    const struct outcome *o = wait_for(inv, 5000);
    CHECK(o && o->ok && ends_with(o->value, ".png"));
    CHECK_EQ_INT(fake_openai_count(fake), 2);
    struct fake_request r;
    json_t *j = last_request(&r);
    CHECK_STR_EQ(jstr(j, "prompt"), OPENAI_FALLBACK_PROMPT);
    json_decref(j);
    fake_request_free(&r);

    /* Chat and speech do the same. */
    struct model_info chat = at_fake("gpt-5-chat");
    fake_openai_reset(fake);
    fake_openai_script(fake, FAKE_POLICY, 2);
    inv = invoke(&chat, MEDIA_TEXT, "something unprintable");
    o = wait_for(inv, 5000);
    CHECK(o && o->ok);
    CHECK_STR_EQ(o ? o->value : NULL, "FAKE_CHAT: " OPENAI_FALLBACK_PROMPT);

    /* Refused twice: a readable, final failure after exactly one retry. */
    fake_openai_reset(fake);
    fake_openai_script(fake, FAKE_POLICY_ALWAYS, 3);
    inv = invoke(&m, MEDIA_TEXT, "something unprintable");
    o = wait_for(inv, 5000);
    CHECK(o && !o->ok && !o->retryable);
    CHECK(o && strstr(o->error, "refused by the content policy, even with the fallback prompt"));
    CHECK_EQ_INT(fake_openai_count(fake), 2);

    /* An image input cannot be swapped for a prompt: one request, final. */
    struct buf png = BUF_INIT;
    dummy_png("refused", 7, 32, 18, &png);
    char name[MEDIA_NAME_MAX];
    media_put(media, png.data, png.len, "png", name, sizeof name);
    buf_free(&png);
    struct model_info v = at_fake("gpt-4.1-mini-caption");
    fake_openai_reset(fake);
    fake_openai_script(fake, FAKE_POLICY_ALWAYS, 2);
    inv = invoke(&v, MEDIA_IMAGE, name);
    o = wait_for(inv, 5000);
    CHECK(o && !o->ok && !o->retryable && strstr(o->error, "refused by the content policy: "));
    CHECK_EQ_INT(fake_openai_count(fake), 1);
}

TEST(wrong_key_is_refused_and_scrubbed)
{
    fake_openai_reset(fake);
    static const char wrong[] = "sk-wrong-DO-NOT-LEAK-987654321";
    current_key = wrong;
    struct model_info m = at_fake("gpt-5-chat");
    int64_t inv = invoke(&m, MEDIA_TEXT, "hello");
    const struct outcome *o = wait_for(inv, 5000);
    CHECK(o && !o->ok && !o->retryable);
    CHECK(o && strstr(o->error, "the API key was refused (401)"));
    CHECK(o && strstr(o->error, wrong) == NULL); /* the fake echoed it; we must not */
    CHECK(o && strstr(o->error, "[redacted]") != NULL);
    current_key = KEY;
}

TEST(no_key_means_unavailable)
{
    fake_openai_reset(fake);
    current_key = NULL;
    char why[128] = "";
    CHECK_EQ_INT(plat.ops->available(plat.self, why, sizeof why), 0);
    CHECK(strstr(why, "no OpenAI API key") != NULL);
    struct model_info m = at_fake("gpt-5-chat");
    CHECK_EQ_INT(openai_model_available(plat.self, &m, why, sizeof why), 0);
    int64_t inv = invoke(&m, MEDIA_TEXT, "hello");
    CHECK(inv > 0 && outcome_of(inv) == NULL);
    const struct outcome *o = wait_for(inv, 2000);
    CHECK(o && !o->ok && !o->retryable && strstr(o->error, "no OpenAI API key"));
    CHECK_EQ_INT(fake_openai_count(fake), 0);
    current_key = KEY;
    CHECK_EQ_INT(plat.ops->available(plat.self, why, sizeof why), 1);
}

TEST(bad_inputs)
{
    fake_openai_reset(fake);
    /* Media that is not in the store: a final failure from the loop, no request. */
    struct model_info v = at_fake("whisper-1");
    int64_t inv = invoke(&v, MEDIA_AUDIO,
                         "0000000000000000000000000000000000000000000000000000000000000000.wav");
    const struct outcome *o = wait_for(inv, 2000);
    CHECK(o && !o->ok && !o->retryable && strstr(o->error, "not in the media store"));
    CHECK_EQ_INT(fake_openai_count(fake), 0);
    /* A shape the platform does not speak. */
    struct model_info i2i = at_fake("gpt-image-1");
    i2i.input = MEDIA_IMAGE;
    CHECK_EQ_INT(invoke(&i2i, MEDIA_IMAGE, "x.png"), -ENOTSUP);
    char why[128];
    CHECK_EQ_INT(openai_model_available(plat.self, &i2i, why, sizeof why), 0);
    /* Params that are not a JSON object. */
    struct model_info broken = at_fake("gpt-5-chat");
    broken.params_json = "[1,2]";
    inv = invoke(&broken, MEDIA_TEXT, "hello");
    o = wait_for(inv, 2000);
    CHECK(o && !o->ok && !o->retryable && strstr(o->error, "params"));
    /* A server that is not there. */
    struct model_info gone = at_fake("gpt-5-chat");
    gone.base_url = "http://127.0.0.1:1/v1";
    inv = invoke(&gone, MEDIA_TEXT, "hello");
    o = wait_for(inv, 5000);
    CHECK(o && !o->ok && o->retryable && strstr(o->error, "could not reach the server"));
}

/* ---- cancel ---- */

TEST(cancel_never_calls_back)
{
    struct model_info m = at_fake("gpt-5-chat");
    m.params_json = "{\"timeout_s\": 5}";
    /* Mid-call: the request reached the server, which stalls. */
    fake_openai_reset(fake);
    fake_openai_script(fake, FAKE_STALL, 1);
    int64_t inv = invoke(&m, MEDIA_TEXT, "hello");
    int64_t end = time_mono_ms() + 3000;
    while (fake_openai_count(fake) == 0 && time_mono_ms() < end)
        ev_run_once(ev, 10);
    CHECK_EQ_INT(fake_openai_count(fake), 1);
    cancel(inv);
    CHECK_EQ_INT(curl_ev_pending(curl), 0);
    /* During a Retry-After wait. */
    fake_openai_script(fake, FAKE_RATE_LIMIT, 1);
    int64_t inv2 = invoke(&m, MEDIA_TEXT, "hello");
    end = time_mono_ms() + 3000;
    while (fake_openai_count(fake) < 2 && time_mono_ms() < end)
        ev_run_once(ev, 10);
    spin(200);
    cancel(inv2);
    /* Before the loop ever ran, and twice. */
    int64_t inv3 = invoke(&m, MEDIA_TEXT, "hello");
    cancel(inv3);
    cancel(inv3);
    cancel(424242);
    /* A deferred failure (no key) cancelled before it fires. */
    current_key = NULL;
    int64_t inv4 = invoke(&m, MEDIA_TEXT, "hello");
    current_key = KEY;
    cancel(inv4);
    spin(1500);
    CHECK_EQ_INT(count_outcomes(inv) + count_outcomes(inv2) + count_outcomes(inv3) +
                     count_outcomes(inv4),
                 0);
}

TEST(free_with_calls_pending)
{
    struct platform_env env = {ev, curl, media, NULL, on_done, NULL, get_key};
    struct platform p = openai_platform_new(&env);
    struct model_info m = at_fake("gpt-5-chat");
    m.params_json = "{\"timeout_s\": 5}";
    fake_openai_reset(fake);
    fake_openai_script(fake, FAKE_STALL, 3);
    size_t before = nouts;
    for (int i = 0; i < 3; i++) {
        struct platform_call call = {1, 7, 9000 + i, &m, {MEDIA_TEXT, "hello"}, 0};
        CHECK(p.ops->invoke(p.self, &call) == 0);
    }
    int64_t end = time_mono_ms() + 3000;
    while (fake_openai_count(fake) < 3 && time_mono_ms() < end)
        ev_run_once(ev, 10);
    CHECK_EQ_INT(curl_ev_pending(curl), 3);
    p.ops->free(p.self); /* in flight: dropped without callbacks */
    CHECK_EQ_INT(curl_ev_pending(curl), 0);
    spin(300);
    CHECK_EQ_INT(nouts, before);
}

/* ---- config-declared OpenAI-compatible servers ---- */

static int set(struct openai_config *oc, const char *key, const char *value, char *err)
{
    return openai_config_set(oc, key, value, err, PANIC_ERR_LEN);
}

TEST(config_declares_lan_models)
{
    struct openai_config oc;
    openai_config_init(&oc);
    char err[PANIC_ERR_LEN] = "", url[128];
    snprintf(url, sizeof url, "%s/", fake_openai_base(fake));
    CHECK_EQ_INT(set(&oc, "listen", "x", err), 1); /* not ours */
    CHECK_EQ_INT(set(&oc, "openai_server.gpubox.base_url", url, err), 0);
    CHECK_EQ_INT(set(&oc, "openai_server.gpubox.timeout_s", "300", err), 0);
    CHECK_EQ_INT(set(&oc, "model.llama3.1-8b.server", "gpubox", err), 0);
    CHECK_EQ_INT(set(&oc, "model.llama3.1-8b.model", "llama3.1:8b", err), 0);
    CHECK_EQ_INT(set(&oc, "model.llama3.1-8b.input", "text", err), 0);
    CHECK_EQ_INT(set(&oc, "model.llama3.1-8b.output", "text", err), 0);
    CHECK_EQ_INT(set(&oc, "model.llama3.1-8b.name", "Llama 3.1 8B (GPU box)", err), 0);
    CHECK_EQ_INT(set(&oc, "model.llama3.1-8b.params", "{\"temperature\": 0.2}", err), 0);
    CHECK_EQ_INT(set(&oc, "model.llava.server", "gpubox", err), 0);
    CHECK_EQ_INT(set(&oc, "model.llava.model", "llava:13b", err), 0);
    CHECK_EQ_INT(set(&oc, "model.llava.input", "image", err), 0);
    CHECK_EQ_INT(set(&oc, "model.llava.output", "text", err), 0);
    CHECK_EQ_INT(set(&oc, "model.llava.system", "Say \"hi\"\tthen\ncaption.", err), 0);
    CHECK_EQ_INT(set(&oc, "model.sd.server", "gpubox", err), 0);
    CHECK_EQ_INT(set(&oc, "model.sd.model", "stablediffusion", err), 0);
    CHECK_EQ_INT(set(&oc, "model.sd.input", "text", err), 0);
    CHECK_EQ_INT(set(&oc, "model.sd.output", "image", err), 0);
    struct model_info rows[8];
    CHECK_EQ_INT(openai_config_models(&oc, rows, 8, err, sizeof err), 3);
    CHECK_STR_EQ(rows[0].id, "llama3.1-8b");
    CHECK_STR_EQ(rows[0].name, "Llama 3.1 8B (GPU box)");
    CHECK_STR_EQ(rows[0].platform, "gpubox");
    CHECK_STR_EQ(rows[0].path, "llama3.1:8b");
    CHECK_STR_EQ(rows[0].base_url, url);
    CHECK_STR_EQ(rows[1].name, "llava");
    CHECK(strstr(rows[1].description, "llava:13b") != NULL);
    for (int i = 0; i < 3; i++) {
        json_t *p = json_loads(rows[i].params_json, 0, NULL);
        if (!json_is_object(p))
            TEST_FAIL_AT("row %d params do not parse: %s", i, rows[i].params_json);
        json_decref(p);
    }
    json_t *p1 = json_loads(rows[1].params_json, 0, NULL);
    CHECK_STR_EQ(jstr(p1, "system"), "Say \"hi\"\tthen\ncaption.");
    CHECK_STR_EQ(jstr(p1, "prompt"), OPENAI_CAPTION_PROMPT);
    json_decref(p1);
    json_t *p2 = json_loads(rows[2].params_json, 0, NULL);
    CHECK_STR_EQ(jstr(p2, "response_format"), "b64_json");
    CHECK_STR_EQ(jstr(p2, "size"), "1024x576");
    json_decref(p2);

    /* The server's own instance, as the coordinator registers it under "gpubox": available
     * without any key, even with no OpenAI key either. */
    struct platform_env env = {ev, curl, media, NULL, on_done, NULL, get_key};
    struct platform lan = openai_platform_new_server(&env, "gpubox");
    CHECK_STR_EQ(lan.ops->name, "openai");
    fake_openai_set_key(fake, NULL);
    fake_openai_reset(fake);
    lan_key = NULL;
    current_key = NULL;
    char why[64];
    CHECK_EQ_INT(lan.ops->available(lan.self, why, sizeof why), 1);
    CHECK_EQ_INT(openai_model_available(lan.self, &rows[0], why, sizeof why), 1);

    /* Call the LAN text model: no key, so no Authorization; defaults plus the user's params. */
    int64_t inv = invoke_on(&lan, &rows[0], MEDIA_TEXT, "hello box");
    const struct outcome *o = wait_for(inv, 5000);
    CHECK(o && o->ok);
    CHECK_STR_EQ(o ? o->value : NULL, "FAKE_CHAT: hello box");
    struct fake_request r;
    json_t *j = last_request(&r);
    CHECK_STR_EQ(r.path, "/v1/chat/completions"); /* the trailing slash of base_url is dropped */
    CHECK_STR_EQ(r.authorization, "");
    CHECK_STR_EQ(jstr(j, "model"), "llama3.1:8b");
    CHECK_NEAR(json_number_value(json_object_get(j, "temperature")), 0.2, 1e-9);
    CHECK_EQ_INT(json_integer_value(json_object_get(j, "max_tokens")), 150);
    CHECK(json_object_get(j, "timeout_s") == NULL);
    CHECK_STR_EQ(jstr(json_array_get(json_object_get(j, "messages"), 0), "content"),
                 OPENAI_PANIC_SYSTEM_PROMPT);
    json_decref(j);
    fake_request_free(&r);

    /* With a key for the server, it is sent. */
    current_key = KEY;
    lan_key = "lan-secret-key-1234";
    inv = invoke_on(&lan, &rows[2], MEDIA_TEXT, "a GPU dreaming");
    o = wait_for(inv, 5000);
    CHECK(o && o->ok && ends_with(o->value, ".png"));
    j = last_request(&r);
    CHECK_STR_EQ(r.authorization, "Bearer lan-secret-key-1234");
    CHECK_STR_EQ(jstr(j, "model"), "stablediffusion");
    json_decref(j);
    fake_request_free(&r);
    lan_key = NULL;
    fake_openai_set_key(fake, KEY);
    lan.ops->free(lan.self);
    openai_config_free(&oc);
}

TEST(config_rejects_mistakes)
{
    struct openai_config oc;
    openai_config_init(&oc);
    char err[PANIC_ERR_LEN];
    CHECK_EQ_INT(set(&oc, "openai_server.openai.base_url", "http://x.local/v1", err), -EINVAL);
    CHECK(strstr(err, "platform's name") != NULL);
    CHECK_EQ_INT(set(&oc, "openai_server.gpu box.base_url", "http://x.local/v1", err), -EINVAL);
    CHECK_EQ_INT(set(&oc, "openai_server.gpu.base_url", "ftp://x.local/v1", err), -EINVAL);
    CHECK_EQ_INT(set(&oc, "openai_server.gpu.key_file", "/etc/panic/gpu", err), -EINVAL);
    CHECK(strstr(err, "api_key.NAME") != NULL);
    CHECK_EQ_INT(set(&oc, "openai_server.gpu.timeout_s", "0", err), -EINVAL);
    CHECK_EQ_INT(set(&oc, "openai_server.gpu.colour", "red", err), -EINVAL);
    CHECK(strstr(err, "unknown server setting 'colour'") != NULL);
    CHECK_EQ_INT(set(&oc, "openai_server.gpu", "x", err), -EINVAL);
    CHECK_EQ_INT(set(&oc, "model.m.input", "smell", err), -EINVAL);
    CHECK_EQ_INT(set(&oc, "model.m.params", "not json", err), -EINVAL);
    CHECK_EQ_INT(set(&oc, "model.m.flavour", "x", err), -EINVAL);
    CHECK_EQ_INT(set(&oc, "model.bad/id.server", "gpu", err), -EINVAL);
    struct model_info rows[4];
    /* A server with no base_url. */
    CHECK_EQ_INT(set(&oc, "openai_server.gpu.timeout_s", "120", err), 0);
    CHECK_EQ_INT(openai_config_models(&oc, rows, 4, err, sizeof err), -EINVAL);
    CHECK(strstr(err, "openai_server.gpu: base_url is missing") != NULL);
    CHECK_EQ_INT(set(&oc, "openai_server.gpu.base_url", "http://gpu.local:8080/v1", err), 0);
    CHECK_EQ_INT(openai_config_server(&oc, "gpu")->timeout_s, 120);
    CHECK(openai_config_server(&oc, "nope") == NULL);
    /* Model m: input set above failed, so it lacks server, model, shape. */
    CHECK_EQ_INT(openai_config_models(&oc, rows, 4, err, sizeof err), -EINVAL);
    CHECK(strstr(err, "model.m: server is missing") != NULL);
    CHECK_EQ_INT(set(&oc, "model.m.server", "elsewhere", err), 0);
    CHECK_EQ_INT(openai_config_models(&oc, rows, 4, err, sizeof err), -EINVAL);
    CHECK(strstr(err, "no openai_server lines") != NULL);
    CHECK_EQ_INT(set(&oc, "model.m.server", "gpu", err), 0);
    CHECK_EQ_INT(set(&oc, "model.m.model", "x", err), 0);
    CHECK_EQ_INT(openai_config_models(&oc, rows, 4, err, sizeof err), -EINVAL);
    CHECK(strstr(err, "input and output") != NULL);
    CHECK_EQ_INT(set(&oc, "model.m.input", "image", err), 0);
    CHECK_EQ_INT(set(&oc, "model.m.output", "audio", err), 0);
    CHECK_EQ_INT(openai_config_models(&oc, rows, 4, err, sizeof err), -EINVAL);
    CHECK(strstr(err, "speaks") != NULL);
    CHECK_EQ_INT(set(&oc, "model.m.input", "audio", err), 0);
    CHECK_EQ_INT(set(&oc, "model.m.output", "text", err), 0);
    CHECK_EQ_INT(openai_config_models(&oc, rows, 4, err, sizeof err), 1);
    CHECK_EQ_INT(openai_config_models(&oc, rows, 0, err, sizeof err), -EINVAL);
    openai_config_free(&oc);
    openai_config_free(NULL);
}

/* ---- catalogue and pure helpers ---- */

TEST(catalog_rows)
{
    CHECK(openai_models_count >= 7);
    const struct model_info *g = catalog_find("gpt-5-chat");
    CHECK(g && !strcmp(g->path, "gpt-5-chat-latest") && !strcmp(g->platform, "openai"));
    const struct model_info *ob = catalog_find("oblique-strategies");
    CHECK(ob && ob->input == MEDIA_TEXT && ob->output == MEDIA_TEXT &&
          !strcmp(ob->path, "gpt-5-chat-latest"));
    int shapes[3][3] = {{0}};
    char why[128];
    for (size_t i = 0; i < openai_models_count; i++) {
        const struct model_info *m = &openai_models[i];
        json_t *p = json_loads(m->params_json, 0, NULL);
        if (!json_is_object(p))
            TEST_FAIL_AT("%s: params do not parse", m->id);
        json_decref(p);
        if (catalog_find(m->id) != m)
            TEST_FAIL_AT("%s: id clash in the catalogue", m->id);
        if (!m->description || strlen(m->description) < 20 || !m->path || m->base_url)
            TEST_FAIL_AT("%s: description, path or base_url", m->id);
        if (!openai_model_available(plat.self, m, why, sizeof why))
            TEST_FAIL_AT("%s: %s", m->id, why);
        shapes[m->input][m->output]++;
    }
    CHECK(shapes[MEDIA_TEXT][MEDIA_TEXT] >= 2);
    CHECK(shapes[MEDIA_IMAGE][MEDIA_TEXT] >= 1);
    CHECK(shapes[MEDIA_TEXT][MEDIA_IMAGE] >= 1);
    CHECK(shapes[MEDIA_TEXT][MEDIA_AUDIO] >= 1);
    CHECK(shapes[MEDIA_AUDIO][MEDIA_TEXT] >= 1);
}

TEST(pure_helpers)
{
    /* Retry-After parsing moved to common/httpdate: tests/unit/test_httpdate.c. */
    CHECK(openai_is_policy_refusal("content_policy_violation", NULL, NULL));
    CHECK(openai_is_policy_refusal("moderation_blocked", "invalid_request_error", "x"));
    CHECK(openai_is_policy_refusal(NULL, NULL, "Flagged as sensitive (E005)"));
    CHECK(openai_is_policy_refusal(NULL, NULL, "rejected by our safety system"));
    CHECK(!openai_is_policy_refusal("rate_limit_exceeded", "requests", "slow down"));
    CHECK(!openai_is_policy_refusal(NULL, NULL, NULL));
    CHECK_STR_EQ(openai_sniff_ext("\x89PNG\r\n\x1a\nrest", 12), "png");
    CHECK_STR_EQ(openai_sniff_ext("\xff\xd8\xff\xe0", 4), "jpg");
    CHECK_STR_EQ(openai_sniff_ext("RIFF\0\0\0\0WEBPVP8 ", 16), "webp");
    CHECK_STR_EQ(openai_sniff_ext("RIFF\0\0\0\0WAVEfmt ", 16), "wav");
    CHECK_STR_EQ(openai_sniff_ext("ID3\3", 4), "mp3");
    CHECK_STR_EQ(openai_sniff_ext("OggS\0", 5), "ogg");
    CHECK(openai_sniff_ext("{\"error\"", 8) == NULL);
    CHECK(openai_sniff_ext("", 0) == NULL);
}

/* ---- logs ---- */

/* Every log line of the run goes to log_path (main points stderr there). */
static char log_path[96];

/* The log so far, into out (NUL-terminated). */
static void read_log(struct buf *out)
{
    fflush(stderr);
    FILE *f = fopen(log_path, "rb");
    if (f) {
        char chunk[4096];
        size_t n;
        while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
            buf_append(out, chunk, n);
        fclose(f);
    }
    buf_append(out, "", 1);
    out->len--;
}

/* Calls that carry every secret there is, so the test stands on its own in any order: the key,
 * a wrong key that the fake echoes back in its 401, and a LAN server's key. The platform must
 * have logged each of these calls (else the capture is broken and the search proves nothing),
 * and no secret may appear anywhere in the log, which also holds every earlier test's lines. */
TEST(key_never_logged)
{
    struct buf before = BUF_INIT;
    read_log(&before);
    struct model_info m = at_fake("gpt-5-chat");
    struct model_info lan = at_fake("gpt-5-chat");
    lan.platform = "gpubox";
    fake_openai_reset(fake);
    int64_t invs[3];
    invs[0] = invoke(&m, MEDIA_TEXT, "hello");
    CHECK(wait_for(invs[0], 5000) && outcome_of(invs[0])->ok);
    current_key = "sk-wrong-DO-NOT-LEAK-987654321";
    invs[1] = invoke(&m, MEDIA_TEXT, "hello");
    CHECK(wait_for(invs[1], 5000) && !outcome_of(invs[1])->ok);
    current_key = KEY;
    fake_openai_set_key(fake, NULL);
    lan_key = "lan-secret-key-1234";
    invs[2] = invoke(&lan, MEDIA_TEXT, "hello box");
    CHECK(wait_for(invs[2], 5000) && outcome_of(invs[2])->ok);
    lan_key = NULL;
    fake_openai_set_key(fake, KEY);
    struct fake_request r;
    json_decref(last_request(&r));
    CHECK_STR_EQ(r.authorization, "Bearer lan-secret-key-1234"); /* the LAN key did go out */
    fake_request_free(&r);

    struct buf all = BUF_INIT;
    read_log(&all);
    const char *mine = all.data + before.len;
    int lines = 0, openai_lines = 0;
    for (const char *p = all.data; *p; p++)
        lines += *p == '\n';
    for (const char *p = mine; (p = strstr(p, "openai ")); p++)
        openai_lines++;
    printf("  %d log lines (%d from the platform in this test) checked for secrets\n", lines,
           openai_lines);
    for (size_t i = 0; i < ARRAY_LEN(invs); i++) {
        char done[64];
        snprintf(done, sizeof done, "openai done model=gpt-5-chat invocation=%lld ",
                 (long long)invs[i]);
        if (!strstr(mine, done))
            TEST_FAIL_AT("expected the platform's debug lines in the log (%s)", done);
    }
    const char *data = all.data;
    if (strstr(data, KEY) || strstr(data, "KEEPMESECRET") || strstr(data, "DO-NOT-LEAK") ||
        strstr(data, "lan-secret") || strstr(data, "Bearer") || strstr(data, "Authorization"))
        TEST_FAIL_AT("a secret reached the log");
    buf_free(&all);
    buf_free(&before);
    CHECK_EQ_INT(reentrant, 0);
}

int main(void)
{
    /* Every log line of the run goes to a file that key_never_logged searches. */
    snprintf(log_path, sizeof log_path, "/tmp/test_openai_log.%ld", (long)getpid());
    int saved_stderr = dup(2);
    if (!freopen(log_path, "w", stderr))
        return 1;
    log_set_level(LOG_LVL_DEBUG);

    snprintf(media_dir, sizeof media_dir, "/tmp/test_openai.XXXXXX");
    char err[PANIC_ERR_LEN];
    fake = fake_openai_start();
    if (!mkdtemp(media_dir) || !fake || !(media = media_open(media_dir, err, sizeof err))) {
        printf("test_openai: 0 passed, 1 failed\n");
        return 1;
    }
    fake_openai_set_key(fake, KEY);
    ev = ev_new();
    curl = curl_ev_new(ev);
    struct platform_env env = {ev, curl, media, NULL, on_done, NULL, get_key};
    plat = openai_platform_new(&env);

    RUN(chat_text_to_text);
    RUN(oblique_strategies);
    RUN(vision_image_to_text);
    RUN(image_generation);
    RUN(image_url_answer_is_downloaded);
    RUN(speech_text_to_audio);
    RUN(transcription_audio_to_text);
    RUN(rate_limit_waits_for_retry_after);
    RUN(quota_is_final);
    RUN(server_errors_and_bad_answers_are_retryable);
    RUN(stalled_answer_times_out);
    RUN(content_policy_falls_back_to_the_wombat);
    RUN(wrong_key_is_refused_and_scrubbed);
    RUN(no_key_means_unavailable);
    RUN(bad_inputs);
    RUN(cancel_never_calls_back);
    RUN(free_with_calls_pending);
    RUN(config_declares_lan_models);
    RUN(config_rejects_mistakes);
    RUN(catalog_rows);
    RUN(pure_helpers);
    RUN(key_never_logged);

    plat.ops->free(plat.self);
    curl_ev_free(curl);
    ev_free(ev);
    fake_openai_stop(fake);
    media_close(media);
    remove_tree(media_dir);
    fflush(stderr);
    dup2(saved_stderr, 2);
    close(saved_stderr);
    unlink(log_path);
    TEST_END("test_openai");
}
