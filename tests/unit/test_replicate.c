/* test_replicate.c: the replicate platform against a fake Replicate API on 127.0.0.1
 * (tests/fake_replicate.c), driven through its ops on a real ev loop with curl_ev, a media store
 * in a temporary directory and a recording done callback. Covers the model table, every output
 * shape, data: URL and uploaded inputs, version lookup, 429 with Retry-After, no duplicate create
 * after a 5xx / timeout / unreadable answer (reconciling against the list), polling faults,
 * downloads that 404 or stall, the NSFW wombat retry, 402, cancel (also while a create is in
 * flight), the overall deadline, a missing key and an unreachable server; plus nsfw_detect. */
#include "common/buf.h"
#include "common/ev.h"
#include "common/util.h"
#include "coordinator/core/catalog.h"
#include "coordinator/platforms/curl_ev.h"
#include "coordinator/platforms/dummy/dummy_media.h"
#include "coordinator/store/media.h"
#include "coordinator/platforms/replicate/nsfw.h"
#include "coordinator/platforms/replicate/replicate.h"
#include "fakes/fake_replicate.h"
#include "support.h"
#include "test.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define KEY "r8_testkey"
#define CREATE_OFFICIAL "POST /v1/models/"
#define CREATE_VERSION "POST /v1/predictions"

struct rec {
    int calls;
    int64_t inv_id;
    int ok;
    enum media_type type;
    char value[20000];
    char error[PANIC_ERR_LEN];
    int retryable;
};

static struct {
    struct ev *ev;
    struct curl_ev *curl;
    struct media_store *media;
    char dir[64];
    struct fake_replicate *fake;
    struct platform p;
    const char *key;
    struct rec rec;
} T;

static void on_done(void *owner, const struct platform_call *call, const struct runner_io *out,
                    const char *error, int retryable)
{
    (void)owner;
    struct rec *r = &T.rec;
    r->calls++;
    r->inv_id = call->inv_id;
    r->ok = out != NULL;
    r->retryable = retryable;
    if (out) {
        r->type = out->type;
        snprintf(r->value, sizeof r->value, "%s", out->value);
    }
    snprintf(r->error, sizeof r->error, "%s", error ? error : "");
}

static const char *get_key(void *owner, const char *platform)
{
    (void)owner;
    return strcmp(platform, "replicate") == 0 ? T.key : NULL;
}

static struct replicate_tuning fast(void)
{
    struct replicate_tuning t;
    replicate_tuning_default(&t);
    t.base_url = fake_rep_base(T.fake);
    t.wait_s = 1;
    t.poll_ms = 20;
    t.poll_max_ms = 60;
    t.deadline_ms = 8000;
    t.backoff_ms = 20;
    t.backoff_max_ms = 2000;
    t.http_timeout_ms = 3000;
    t.download_timeout_ms = 3000;
    t.max_errors = 3;
    return t;
}

/* A fresh fake, loop, store and platform; tune may adjust the fast tuning. */
static void setup_with(void (*tune)(struct replicate_tuning *))
{
    memset(&T.rec, 0, sizeof T.rec);
    T.key = KEY;
    T.fake = fake_rep_start();
    fake_rep_set_key(T.fake, KEY);
    T.ev = ev_new();
    T.curl = curl_ev_new(T.ev);
    snprintf(T.dir, sizeof T.dir, "/tmp/test_replicate.XXXXXX");
    if (!mkdtemp(T.dir))
        abort();
    char err[256];
    T.media = media_open(T.dir, err, sizeof err);
    struct platform_env env = {
        .ev = T.ev,
        .curl = T.curl,
        .media = T.media,
        .cfg = NULL,
        .done = on_done,
        .owner = NULL,
        .key = get_key,
    };
    struct replicate_tuning t = fast();
    if (tune)
        tune(&t);
    T.p = replicate_platform_new_tuned(&env, &t);
}

static void setup(void)
{
    setup_with(NULL);
}

static void teardown(void)
{
    T.p.ops->free(T.p.self);
    curl_ev_free(T.curl);
    ev_free(T.ev);
    media_close(T.media);
    fake_rep_stop(T.fake);
    remove_tree(T.dir);
}

static int invoke_as(const char *model, enum media_type type, const char *value, int64_t inv)
{
    const struct model_info *m = catalog_find(model);
    if (!m) {
        printf("  no model %s\n", model);
        return -1;
    }
    struct platform_call call = {1, 1, inv, m, {type, value}, 0};
    return T.p.ops->invoke(T.p.self, &call);
}

static int invoke(const char *model, const char *text)
{
    return invoke_as(model, MEDIA_TEXT, text, 7);
}

/* Run the loop until the done callback ran (1) or timeout_ms passed (0). */
static int wait_done(int timeout_ms)
{
    int64_t end = time_mono_ms() + timeout_ms;
    while (!T.rec.calls && time_mono_ms() < end)
        ev_run_once(T.ev, 20);
    return T.rec.calls > 0;
}

static void spin(int ms)
{
    int64_t end = time_mono_ms() + ms;
    while (time_mono_ms() < end)
        ev_run_once(T.ev, 10);
}

/* The "input" object of the nth create sent to route (owned), or NULL. */
static json_t *create_input(const char *route, size_t nth, json_t **whole)
{
    struct fake_rep_request r;
    if (fake_rep_request(T.fake, route, nth, &r) < 0)
        return NULL;
    json_t *j = json_loads(r.body, 0, NULL);
    fake_rep_request_free(&r);
    json_t *in = json_incref(json_object_get(j, "input"));
    if (whole)
        *whole = j;
    else
        json_decref(j);
    return in;
}

static void read_stored(const char *name, struct buf *out)
{
    char path[512];
    if (media_path(T.media, name, path, sizeof path) < 0)
        return;
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(out, chunk, n);
    fclose(f);
}

static void make_png(struct buf *b, const char *seed)
{
    dummy_png(seed, strlen(seed), 64, 36, b);
}

static void make_wav(struct buf *b, const char *seed)
{
    dummy_wav(seed, strlen(seed), 200, b);
}

/* ---- pure parts ---- */

TEST(nsfw_rules)
{
    CHECK(nsfw_detect("NSFW content detected"));
    CHECK(nsfw_detect("Your prompt was flagged as sensitive (E005)"));
    CHECK(nsfw_detect("output was FLAGGED AS SENSITIVE"));
    CHECK(nsfw_detect("possible nsfw output"));
    CHECK(nsfw_detect("Inappropriate Content found"));
    CHECK(nsfw_detect("explicit content"));
    CHECK(nsfw_detect("Adult content is not allowed"));
    CHECK(nsfw_detect("This is sensitive. (E006) try again"));
    CHECK(!nsfw_detect("sensitive but no code"));
    CHECK(!nsfw_detect("(E005) without the word"));
    CHECK(!nsfw_detect("CUDA out of memory"));
    CHECK(!nsfw_detect(""));
    CHECK(!nsfw_detect(NULL));
    CHECK_STR_EQ(NSFW_FALLBACK_PROMPT, "a wombat holding a sign that says 'whoops!'");
}

TEST(catalog_rows)
{
    static const char *const want[] = {
        "stable-diffusion",
        "imagen-4-fast",
        "photon-flash",
        "flux-2-klein-4b",
        "seedream-4.5",
        "z-image-turbo",
        "dreamina-3.1",
        "ideogram-v3-turbo",
        "molmo-7b",
        "moondream2",
        "qwen2-vl-7b-instruct",
        "llama-4-scout-instruct",
        "claude-4-sonnet-caption",
        "claude-4-sonnet",
        "magnet",
        "flux-music",
        "lyria-2",
        "whisper",
        "image-reproducer-i-flux",
        "image-reproducer-ii-flux",
    };
    CHECK_EQ_INT(replicate_models_count, ARRAY_LEN(want));
    for (size_t i = 0; i < ARRAY_LEN(want); i++) {
        const struct model_info *m = catalog_find(want[i]);
        if (!m) {
            TEST_FAIL_AT("model %s is missing", want[i]);
            continue;
        }
        CHECK_STR_EQ(m->platform, "replicate");
        CHECK(m->description && strlen(m->description) > 10);
        CHECK(m->path && strchr(m->path, '/'));
        json_t *p = json_loads(m->params_json, 0, NULL);
        if (!json_is_object(p)) {
            TEST_FAIL_AT("params of %s do not parse", m->id);
            continue;
        }
        if (!json_is_true(json_object_get(p, "_passthrough")) &&
            !json_is_string(json_object_get(p, "_input")))
            TEST_FAIL_AT("%s has no _input", m->id);
        json_decref(p);
    }
    for (size_t i = 0; i < replicate_models_count; i++)
        for (size_t k = i + 1; k < replicate_models_count; k++)
            CHECK(strcmp(replicate_models[i].id, replicate_models[k].id) != 0);
}

/* ---- outputs ---- */

TEST(image_official_sync)
{
    setup();
    struct buf png = BUF_INIT;
    make_png(&png, "sd");
    fake_rep_add_file(T.fake, "out-0.png", png.data, png.len, "image/png", 0);
    fake_rep_script(T.fake,
                    &(struct fake_rep_pred){.sync = 1, .output = "[\"$ROOT/files/out-0.png\"]"});
    CHECK_EQ_INT(invoke("stable-diffusion", "a lighthouse made of static"), 0);
    CHECK_EQ_INT(T.rec.calls, 0); /* never from inside invoke */
    CHECK(wait_done(5000));
    CHECK(T.rec.ok);
    CHECK_EQ_INT(T.rec.type, MEDIA_IMAGE);
    CHECK_EQ_INT(T.rec.inv_id, 7);
    CHECK(media_name_valid(T.rec.value));
    CHECK(strstr(T.rec.value, ".png") != NULL);
    struct buf got = BUF_INIT;
    read_stored(T.rec.value, &got);
    CHECK(got.len == png.len && memcmp(got.data, png.data, png.len) == 0);
    /* exactly the official endpoint, the original's parameters, the key and the wait header */
    CHECK_EQ_INT(fake_rep_count(T.fake, "POST /v1/models/stability-ai/"
                                        "stable-diffusion-3.5-large-turbo/predictions"),
                 1);
    CHECK_EQ_INT(fake_rep_count(T.fake, "GET /v1/predictions/"), 0);
    struct fake_rep_request r;
    CHECK_EQ_INT(fake_rep_request(T.fake, CREATE_OFFICIAL, 0, &r), 0);
    CHECK_STR_EQ(r.authorization, "Bearer " KEY);
    CHECK_STR_EQ(r.prefer, "wait=1");
    CHECK(r.cancel_after[0] != 0);
    CHECK(strstr(r.content_type, "application/json") != NULL);
    fake_rep_request_free(&r);
    json_t *whole = NULL;
    json_t *in = create_input(CREATE_OFFICIAL, 0, &whole);
    CHECK_STR_EQ(json_string_value(json_object_get(in, "prompt")), "a lighthouse made of static");
    CHECK_STR_EQ(json_string_value(json_object_get(in, "aspect_ratio")), "16:9");
    CHECK_STR_EQ(json_string_value(json_object_get(in, "output_format")), "png");
    CHECK(json_object_get(in, "_input") == NULL);
    CHECK(json_object_get(whole, "version") == NULL);
    CHECK_EQ_INT(json_object_size(whole), 1);
    json_decref(in);
    json_decref(whole);
    buf_free(&got);
    buf_free(&png);
    teardown();
}

TEST(image_polled_string_url_sniffed)
{
    setup();
    /* a JPEG served as .png with a wrong type: the bytes decide */
    static const unsigned char jpg[] = {0xff, 0xd8, 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0};
    fake_rep_add_file(T.fake, "img.png", jpg, sizeof jpg, "application/octet-stream", 0);
    fake_rep_script(T.fake,
                    &(struct fake_rep_pred){.polls = 3, .output = "\"$ROOT/files/img.png\""});
    CHECK_EQ_INT(invoke("photon-flash", "a fox"), 0);
    CHECK(wait_done(5000));
    CHECK(T.rec.ok);
    CHECK(strstr(T.rec.value, ".jpg") != NULL);
    CHECK(fake_rep_count(T.fake, "GET /v1/predictions/p1") >= 4);
    json_t *in = create_input(CREATE_OFFICIAL, 0, NULL);
    CHECK(json_object_get(in, "safety_filter_level") == NULL);
    CHECK_STR_EQ(json_string_value(json_object_get(in, "aspect_ratio")), "16:9");
    json_decref(in);
    teardown();
}

TEST(text_chunks_joined)
{
    setup();
    fake_rep_script(T.fake, &(struct fake_rep_pred){
                                .polls = 1, .output = "[\"  Hello\",\" \",\"world\",\"!\\n\"]"});
    CHECK_EQ_INT(invoke("claude-4-sonnet", "say hello"), 0);
    CHECK(wait_done(5000));
    CHECK(T.rec.ok);
    CHECK_EQ_INT(T.rec.type, MEDIA_TEXT);
    CHECK_STR_EQ(T.rec.value, "Hello world!");
    json_t *in = create_input("POST /v1/models/anthropic/claude-4-sonnet/predictions", 0, NULL);
    CHECK_STR_EQ(json_string_value(json_object_get(in, "prompt")), "say hello");
    CHECK_EQ_INT(json_object_size(in), 1);
    json_decref(in);
    teardown();
}

TEST(audio_object_wav_with_version_lookup)
{
    setup();
    struct buf wav = BUF_INIT;
    make_wav(&wav, "music");
    fake_rep_add_file(T.fake, "song", wav.data, wav.len, "audio/wav", 0);
    fake_rep_script(T.fake, &(struct fake_rep_pred){.sync = 1,
                                                    .output = "{\"wav\":\"$ROOT/files/song\","
                                                              "\"mp3\":null}"});
    fake_rep_script(T.fake,
                    &(struct fake_rep_pred){.sync = 1, .output = "{\"wav\":\"$ROOT/files/song\"}"});
    CHECK_EQ_INT(invoke("flux-music", "a drum solo"), 0);
    CHECK(wait_done(5000));
    CHECK(T.rec.ok);
    CHECK_EQ_INT(T.rec.type, MEDIA_AUDIO);
    CHECK(strstr(T.rec.value, ".wav") != NULL);
    /* a community model: the latest version is looked up, then the create names it */
    CHECK_EQ_INT(fake_rep_count(T.fake, "GET /v1/models/zsxkib/flux-music"), 1);
    json_t *whole = NULL;
    json_t *in = create_input(CREATE_VERSION, 0, &whole);
    CHECK_EQ_INT(strlen(json_string_value(json_object_get(whole, "version"))), 64);
    CHECK_STR_EQ(json_string_value(json_object_get(in, "model_version")), "base");
    CHECK_EQ_INT(json_integer_value(json_object_get(in, "steps")), 50);
    CHECK(json_object_get(in, "_output") == NULL);
    json_decref(in);
    json_decref(whole);
    /* a second call uses the cached version */
    memset(&T.rec, 0, sizeof T.rec);
    CHECK_EQ_INT(invoke("flux-music", "a drum solo again"), 0);
    CHECK(wait_done(5000));
    CHECK(T.rec.ok);
    CHECK_EQ_INT(fake_rep_count(T.fake, "GET /v1/models/"), 1);
    buf_free(&wav);
    teardown();
}

TEST(audio_list_mp3)
{
    setup();
    static const unsigned char mp3[] = {'I', 'D', '3', 4, 0, 0, 0, 0, 0, 0, 0xff, 0xfb, 0x90};
    fake_rep_add_file(T.fake, "m.bin", mp3, sizeof mp3, "audio/mpeg", 0);
    fake_rep_script(T.fake,
                    &(struct fake_rep_pred){.sync = 1, .output = "[\"$ROOT/files/m.bin\"]"});
    CHECK_EQ_INT(invoke("magnet", "birdsong"), 0);
    CHECK(wait_done(5000));
    CHECK(T.rec.ok);
    CHECK(strstr(T.rec.value, ".mp3") != NULL);
    json_t *in = create_input(CREATE_VERSION, 0, NULL);
    CHECK_STR_EQ(json_string_value(json_object_get(in, "model")), "facebook/magnet-medium-10secs");
    CHECK_EQ_INT(json_integer_value(json_object_get(in, "variations")), 1);
    json_decref(in);
    teardown();
}

TEST(audio_by_url_extension)
{
    setup();
    /* no magic bytes and no useful type: the URL's extension decides */
    fake_rep_add_file(T.fake, "x.ogg", "xxxxxxxx", 8, NULL, 0);
    fake_rep_script(T.fake,
                    &(struct fake_rep_pred){.sync = 1, .output = "\"$ROOT/files/x.ogg?sig=1\""});
    CHECK_EQ_INT(invoke("lyria-2", "strings"), 0);
    CHECK(wait_done(5000));
    CHECK(T.rec.ok);
    CHECK(strstr(T.rec.value, ".ogg") != NULL);
    teardown();
}

TEST(key_only_to_replicate_hosts)
{
    setup();
    struct fake_replicate *other = fake_rep_start(); /* another origin: a CDN we do not trust */
    struct buf png = BUF_INIT;
    make_png(&png, "elsewhere");
    fake_rep_add_file(other, "o.png", png.data, png.len, "image/png", 0);
    char *out = xasprintf("\"%s/files/o.png\"", fake_rep_root(other));
    fake_rep_script(T.fake, &(struct fake_rep_pred){.sync = 1, .output = out});
    CHECK_EQ_INT(invoke("photon-flash", "far away"), 0);
    CHECK(wait_done(5000));
    CHECK(T.rec.ok);
    struct fake_rep_request r;
    CHECK_EQ_INT(fake_rep_request(other, "GET /files/o.png", 0, &r), 0);
    CHECK_STR_EQ(r.authorization, "");
    fake_rep_request_free(&r);
    fake_rep_stop(other);
    free(out);
    buf_free(&png);
    teardown();
}

TEST(data_url_output)
{
    setup();
    struct buf png = BUF_INIT;
    make_png(&png, "inline");
    char *b64 = xmalloc(png.len * 2 + 8);
    /* the test's own base64, independent of the platform's */
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    const unsigned char *d = (const unsigned char *)png.data;
    for (size_t i = 0; i < png.len; i += 3) {
        unsigned v = (unsigned)d[i] << 16 | (i + 1 < png.len ? (unsigned)d[i + 1] << 8 : 0) |
                     (i + 2 < png.len ? d[i + 2] : 0);
        b64[o++] = tbl[v >> 18 & 63];
        b64[o++] = tbl[v >> 12 & 63];
        b64[o++] = i + 1 < png.len ? tbl[v >> 6 & 63] : '=';
        b64[o++] = i + 2 < png.len ? tbl[v & 63] : '=';
    }
    b64[o] = 0;
    char *out = xasprintf("\"data:image/png;base64,%s\"", b64);
    fake_rep_script(T.fake, &(struct fake_rep_pred){.sync = 1, .output = out});
    CHECK_EQ_INT(invoke("imagen-4-fast", "a kettle"), 0);
    CHECK(wait_done(5000));
    CHECK(T.rec.ok);
    struct buf got = BUF_INIT;
    read_stored(T.rec.value, &got);
    CHECK(got.len == png.len && memcmp(got.data, png.data, png.len) == 0);
    CHECK_EQ_INT(fake_rep_count(T.fake, "GET /files/"), 0);
    json_t *in = create_input(CREATE_OFFICIAL, 0, NULL);
    CHECK_STR_EQ(json_string_value(json_object_get(in, "safety_filter_level")), "block_only_high");
    json_decref(in);
    buf_free(&got);
    buf_free(&png);
    free(b64);
    free(out);
    teardown();
}

TEST(whisper_transcription_object)
{
    setup();
    struct buf wav = BUF_INIT;
    make_wav(&wav, "speech");
    char name[MEDIA_NAME_MAX];
    CHECK_EQ_INT(media_put(T.media, wav.data, wav.len, "wav", name, sizeof name), 0);
    fake_rep_script(T.fake,
                    &(struct fake_rep_pred){.polls = 2,
                                            .output = "{\"segments\":[],\"transcription\":"
                                                      "\"  hello there \",\"detected_language\":"
                                                      "\"english\"}"});
    CHECK_EQ_INT(invoke_as("whisper", MEDIA_AUDIO, name, 9), 0);
    CHECK(wait_done(5000));
    CHECK(T.rec.ok);
    CHECK_STR_EQ(T.rec.value, "hello there");
    json_t *in = create_input(CREATE_VERSION, 0, NULL);
    const char *audio = json_string_value(json_object_get(in, "audio"));
    CHECK(audio && strncmp(audio, "data:audio/wav;base64,UklGR", 27) == 0);
    CHECK_STR_EQ(json_string_value(json_object_get(in, "transcription")), "plain text");
    CHECK(json_is_false(json_object_get(in, "condition_on_previous_text")));
    CHECK_NEAR(json_real_value(json_object_get(in, "no_speech_threshold")), 1.0, 1e-9);
    json_decref(in);
    buf_free(&wav);
    teardown();
}

TEST(image_input_data_url_strip_quotes)
{
    setup();
    struct buf png = BUF_INIT;
    make_png(&png, "caption me");
    char name[MEDIA_NAME_MAX];
    CHECK_EQ_INT(media_put(T.media, png.data, png.len, "png", name, sizeof name), 0);
    fake_rep_script(T.fake, &(struct fake_rep_pred){
                                .sync = 1, .output = "\" \\\"A red square on blue.\\\" \""});
    CHECK_EQ_INT(invoke_as("molmo-7b", MEDIA_IMAGE, name, 3), 0);
    CHECK(wait_done(5000));
    CHECK(T.rec.ok);
    CHECK_STR_EQ(T.rec.value, "A red square on blue.");
    json_t *in = create_input(CREATE_VERSION, 0, NULL);
    const char *img = json_string_value(json_object_get(in, "image"));
    CHECK(img && strncmp(img, "data:image/png;base64,iVBORw0KGgo", 33) == 0);
    CHECK_STR_EQ(json_string_value(json_object_get(in, "text")),
                 "What do you see? Give me a detailed answer");
    CHECK_EQ_INT(json_integer_value(json_object_get(in, "max_new_tokens")), 100);
    json_decref(in);
    buf_free(&png);
    teardown();
}

static void tiny_data_urls(struct replicate_tuning *t)
{
    t->data_url_max = 100;
}

TEST(large_input_uploaded)
{
    setup_with(tiny_data_urls);
    struct buf png = BUF_INIT;
    make_png(&png, "big picture");
    CHECK(png.len > 100);
    char name[MEDIA_NAME_MAX];
    CHECK_EQ_INT(media_put(T.media, png.data, png.len, "png", name, sizeof name), 0);
    fake_rep_script(T.fake, &(struct fake_rep_pred){.sync = 1, .output = "[\"A \",\"picture\"]"});
    CHECK_EQ_INT(invoke_as("llama-4-scout-instruct", MEDIA_IMAGE, name, 3), 0);
    CHECK(wait_done(5000));
    CHECK(T.rec.ok);
    CHECK_STR_EQ(T.rec.value, "A picture");
    struct fake_rep_request up;
    CHECK_EQ_INT(fake_rep_request(T.fake, "POST /v1/files", 0, &up), 0);
    CHECK(strstr(up.content_type, "multipart/form-data") != NULL);
    CHECK(strstr(up.body, "name=\"content\"") != NULL);
    CHECK(strstr(up.body, name) != NULL);
    CHECK_STR_EQ(up.authorization, "Bearer " KEY);
    fake_rep_request_free(&up);
    json_t *in = create_input(CREATE_OFFICIAL, 0, NULL);
    const char *img = json_string_value(json_object_get(in, "image"));
    CHECK(img && strstr(img, "/v1/files/file") != NULL);
    CHECK_EQ_INT(json_integer_value(json_object_get(in, "max_tokens")), 100);
    json_decref(in);
    buf_free(&png);
    teardown();
}

TEST(qwen_media_field)
{
    setup();
    struct buf png = BUF_INIT;
    make_png(&png, "qwen");
    char name[MEDIA_NAME_MAX];
    CHECK_EQ_INT(media_put(T.media, png.data, png.len, "png", name, sizeof name), 0);
    fake_rep_script(T.fake, &(struct fake_rep_pred){.sync = 1, .output = "\"A picture.\""});
    CHECK_EQ_INT(invoke_as("qwen2-vl-7b-instruct", MEDIA_IMAGE, name, 3), 0);
    CHECK(wait_done(5000));
    CHECK(T.rec.ok);
    json_t *in = create_input(CREATE_VERSION, 0, NULL);
    CHECK(json_is_string(json_object_get(in, "media")));
    CHECK(strstr(json_string_value(json_object_get(in, "prompt")), "concise caption") != NULL);
    json_decref(in);
    buf_free(&png);
    teardown();
}

TEST(reproducer_pair)
{
    setup();
    struct buf png = BUF_INIT;
    make_png(&png, "reproduce");
    char name[MEDIA_NAME_MAX];
    CHECK_EQ_INT(media_put(T.media, png.data, png.len, "png", name, sizeof name), 0);
    /* II: a passthrough, no request at all */
    CHECK_EQ_INT(invoke_as("image-reproducer-ii-flux", MEDIA_IMAGE, name, 4), 0);
    CHECK_EQ_INT(T.rec.calls, 0);
    CHECK(wait_done(2000));
    CHECK(T.rec.ok);
    CHECK_EQ_INT(T.rec.type, MEDIA_TEXT);
    CHECK_STR_EQ(T.rec.value, name);
    CHECK_EQ_INT(fake_rep_count(T.fake, NULL), 0);
    /* I with that name: FLUX Kontext gets the picture */
    fake_rep_add_file(T.fake, "r.png", png.data, png.len, "image/png", 0);
    fake_rep_script(T.fake, &(struct fake_rep_pred){.sync = 1, .output = "\"$ROOT/files/r.png\""});
    fake_rep_script(T.fake, &(struct fake_rep_pred){.sync = 1, .output = "\"$ROOT/files/r.png\""});
    memset(&T.rec, 0, sizeof T.rec);
    CHECK_EQ_INT(invoke_as("image-reproducer-i-flux", MEDIA_TEXT, name, 5), 0);
    CHECK(wait_done(5000));
    CHECK(T.rec.ok);
    json_t *in = create_input("POST /v1/models/black-forest-labs/flux-kontext-dev/", 0, NULL);
    CHECK_STR_EQ(json_string_value(json_object_get(in, "prompt")), "reproduce this image exactly");
    const char *img = json_string_value(json_object_get(in, "input_image"));
    CHECK(img && strncmp(img, "data:image/png;base64,", 22) == 0);
    CHECK_EQ_INT(json_integer_value(json_object_get(in, "num_inference_steps")), 30);
    json_decref(in);
    /* I with a genesis prompt: FLUX schnell */
    memset(&T.rec, 0, sizeof T.rec);
    CHECK_EQ_INT(invoke_as("image-reproducer-i-flux", MEDIA_TEXT, "a teapot", 6), 0);
    CHECK(wait_done(5000));
    CHECK(T.rec.ok);
    in = create_input("POST /v1/models/black-forest-labs/flux-schnell/", 0, NULL);
    CHECK_STR_EQ(json_string_value(json_object_get(in, "prompt")), "a teapot");
    CHECK(json_is_true(json_object_get(in, "disable_safety_checker")));
    CHECK(json_object_get(in, "input_image") == NULL);
    json_decref(in);
    buf_free(&png);
    teardown();
}

/* ---- faults ---- */

TEST(throttled_retry_after)
{
    setup();
    fake_rep_script(T.fake,
                    &(struct fake_rep_pred){.create_status = 429,
                                            .create_body = "{\"detail\":\"Request was throttled. "
                                                           "Your rate limit resets in ~1s.\"}",
                                            .retry_after = "1"});
    fake_rep_script(T.fake, &(struct fake_rep_pred){.sync = 1, .output = "\"ok after wait\""});
    int64_t t0 = time_mono_ms();
    CHECK_EQ_INT(invoke("claude-4-sonnet", "hi"), 0);
    CHECK(wait_done(5000));
    int64_t took = time_mono_ms() - t0;
    CHECK(T.rec.ok);
    CHECK_STR_EQ(T.rec.value, "ok after wait");
    CHECK(took >= 900);
    CHECK_EQ_INT(fake_rep_count(T.fake, CREATE_OFFICIAL), 2);
    teardown();
}

TEST(throttled_detail_only)
{
    setup();
    fake_rep_script(T.fake,
                    &(struct fake_rep_pred){.create_status = 429,
                                            .create_body = "{\"detail\":\"Request was throttled. "
                                                           "Your rate limit resets in ~1s.\"}"});
    fake_rep_script(T.fake, &(struct fake_rep_pred){.sync = 1, .output = "\"ok\""});
    int64_t t0 = time_mono_ms();
    CHECK_EQ_INT(invoke("claude-4-sonnet", "hi"), 0);
    CHECK(wait_done(5000));
    CHECK(T.rec.ok);
    CHECK(time_mono_ms() - t0 >= 900);
    CHECK_EQ_INT(fake_rep_count(T.fake, CREATE_OFFICIAL), 2);
    teardown();
}

TEST(create_500_not_made_no_duplicate)
{
    setup();
    fake_rep_script(T.fake, &(struct fake_rep_pred){.create_status = 500});
    CHECK_EQ_INT(invoke("stable-diffusion", "a storm"), 0);
    CHECK(wait_done(5000));
    CHECK(!T.rec.ok);
    CHECK_EQ_INT(T.rec.retryable, 0);
    CHECK(strstr(T.rec.error, "HTTP 500") != NULL);
    CHECK(strstr(T.rec.error, "duplicate") != NULL);
    /* exactly one create reached Replicate; the list was consulted instead of re-sending */
    CHECK_EQ_INT(fake_rep_count(T.fake, CREATE_OFFICIAL), 1);
    CHECK(fake_rep_count(T.fake, "GET /v1/predictions?created_after=") >= 1);
    spin(200);
    CHECK_EQ_INT(fake_rep_count(T.fake, CREATE_OFFICIAL), 1);
    teardown();
}

TEST(create_500_but_made_is_adopted)
{
    setup();
    struct buf png = BUF_INIT;
    make_png(&png, "adopted");
    fake_rep_add_file(T.fake, "a.png", png.data, png.len, "image/png", 0);
    /* an unrelated prediction with another input must not be adopted */
    fake_rep_script(T.fake, &(struct fake_rep_pred){.sync = 1, .output = "\"$ROOT/files/a.png\""});
    CHECK_EQ_INT(invoke("ideogram-v3-turbo", "something else"), 0);
    CHECK(wait_done(5000));
    memset(&T.rec, 0, sizeof T.rec);
    fake_rep_script(T.fake, &(struct fake_rep_pred){.create_status = 502,
                                                    .made = 1,
                                                    .polls = 1,
                                                    .output = "\"$ROOT/files/a.png\""});
    CHECK_EQ_INT(invoke("ideogram-v3-turbo", "a storm at sea"), 0);
    CHECK(wait_done(5000));
    CHECK(T.rec.ok);
    CHECK_EQ_INT(fake_rep_count(T.fake, CREATE_OFFICIAL), 2);
    CHECK(fake_rep_count(T.fake, "GET /v1/predictions/p2") >= 1);
    CHECK_EQ_INT(fake_rep_count(T.fake, "GET /v1/predictions/p1"), 0);
    buf_free(&png);
    teardown();
}

static void short_timeouts(struct replicate_tuning *t)
{
    t->wait_s = 0;
    t->http_timeout_ms = 300;
}

TEST(create_timeout_reconciled)
{
    setup_with(short_timeouts);
    fake_rep_script(T.fake,
                    &(struct fake_rep_pred){.stall_ms = 1000, .output = "\"late but fine\""});
    CHECK_EQ_INT(invoke("claude-4-sonnet", "slow"), 0);
    CHECK(wait_done(5000));
    CHECK(T.rec.ok);
    CHECK_STR_EQ(T.rec.value, "late but fine");
    CHECK_EQ_INT(fake_rep_count(T.fake, CREATE_OFFICIAL), 1);
    struct fake_rep_request r;
    CHECK_EQ_INT(fake_rep_request(T.fake, CREATE_OFFICIAL, 0, &r), 0);
    CHECK_STR_EQ(r.prefer, ""); /* wait_s 0: no Prefer header */
    fake_rep_request_free(&r);
    teardown();
}

TEST(create_unreadable_answer)
{
    setup();
    fake_rep_script(T.fake, &(struct fake_rep_pred){.create_status = 201,
                                                    .create_body = "{\"id\": \"p1\", \"stat",
                                                    .made = 1,
                                                    .output = "\"recovered\""});
    CHECK_EQ_INT(invoke("claude-4-sonnet", "broken json"), 0);
    CHECK(wait_done(5000));
    CHECK(T.rec.ok);
    CHECK_STR_EQ(T.rec.value, "recovered");
    CHECK_EQ_INT(fake_rep_count(T.fake, CREATE_OFFICIAL), 1);
    teardown();
}

TEST(poll_faults_recovered)
{
    setup();
    fake_rep_script(T.fake, &(struct fake_rep_pred){.polls = 2, .output = "\"done\""});
    fake_rep_fault(T.fake, "GET /v1/predictions/", 200, "{not json", NULL, 0, 1);
    fake_rep_fault(T.fake, "GET /v1/predictions/", 503, NULL, NULL, 0, 1);
    fake_rep_fault(T.fake, "GET /v1/predictions/", 429, NULL, "0", 0, 1);
    CHECK_EQ_INT(invoke("claude-4-sonnet", "flaky"), 0);
    CHECK(wait_done(5000));
    CHECK(T.rec.ok);
    CHECK_STR_EQ(T.rec.value, "done");
    CHECK_EQ_INT(fake_rep_count(T.fake, CREATE_OFFICIAL), 1);
    teardown();
}

TEST(poll_faults_give_up)
{
    setup();
    fake_rep_script(T.fake, &(struct fake_rep_pred){.polls = 100});
    fake_rep_fault(T.fake, "GET /v1/predictions/", 500, NULL, NULL, 0, 10);
    CHECK_EQ_INT(invoke("claude-4-sonnet", "down"), 0);
    CHECK(wait_done(5000));
    CHECK(!T.rec.ok);
    CHECK_EQ_INT(T.rec.retryable, 1);
    CHECK(strstr(T.rec.error, "status") != NULL);
    spin(100);
    CHECK_EQ_INT(fake_rep_count(T.fake, "POST /v1/predictions/p1/cancel"), 1);
    teardown();
}

TEST(output_404)
{
    setup();
    fake_rep_script(T.fake,
                    &(struct fake_rep_pred){.sync = 1, .output = "[\"$ROOT/files/gone.png\"]"});
    CHECK_EQ_INT(invoke("stable-diffusion", "vanishing"), 0);
    CHECK(wait_done(5000));
    CHECK(!T.rec.ok);
    CHECK_EQ_INT(T.rec.retryable, 1);
    CHECK(strstr(T.rec.error, "HTTP 404") != NULL);
    CHECK(strstr(T.rec.error, "download") != NULL);
    CHECK_EQ_INT(fake_rep_count(T.fake, "GET /files/gone.png"), 1);
    teardown();
}

static void short_downloads(struct replicate_tuning *t)
{
    t->download_timeout_ms = 400;
}

TEST(output_stalled_then_fine)
{
    setup_with(short_downloads);
    struct buf png = BUF_INIT;
    make_png(&png, "stall");
    fake_rep_add_file(T.fake, "s.png", png.data, png.len, "image/png", 1);
    fake_rep_script(T.fake, &(struct fake_rep_pred){.sync = 1, .output = "\"$ROOT/files/s.png\""});
    CHECK_EQ_INT(invoke("z-image-turbo", "slow pipes"), 0);
    CHECK(wait_done(5000));
    CHECK(T.rec.ok);
    CHECK_EQ_INT(fake_rep_count(T.fake, "GET /files/s.png"), 2);
    struct buf got = BUF_INIT;
    read_stored(T.rec.value, &got); /* the whole file, not the bytes before the stall */
    CHECK(got.len == png.len && memcmp(got.data, png.data, png.len) == 0);
    buf_free(&got);
    buf_free(&png);
    teardown();
}

TEST(output_wrong_kind)
{
    setup();
    struct buf wav = BUF_INIT;
    make_wav(&wav, "not a picture");
    fake_rep_add_file(T.fake, "w.wav", wav.data, wav.len, "audio/wav", 0);
    fake_rep_script(T.fake, &(struct fake_rep_pred){.sync = 1, .output = "\"$ROOT/files/w.wav\""});
    CHECK_EQ_INT(invoke("seedream-4.5", "a picture please"), 0);
    CHECK(wait_done(5000));
    CHECK(!T.rec.ok);
    CHECK(strstr(T.rec.error, "image") != NULL);
    json_t *in = create_input(CREATE_OFFICIAL, 0, NULL);
    CHECK_STR_EQ(json_string_value(json_object_get(in, "size")), "2K");
    CHECK_NEAR(json_real_value(json_object_get(in, "guidance_scale")), 2.5, 1e-9);
    json_decref(in);
    buf_free(&wav);
    teardown();
}

TEST(nsfw_then_wombat)
{
    setup();
    struct buf png = BUF_INIT;
    make_png(&png, "wombat");
    fake_rep_add_file(T.fake, "w.png", png.data, png.len, "image/png", 0);
    fake_rep_script(T.fake, &(struct fake_rep_pred){.polls = 1,
                                                    .status = "failed",
                                                    .error = "NSFW content detected. Try "
                                                             "running it again, or try a "
                                                             "different prompt."});
    fake_rep_script(T.fake, &(struct fake_rep_pred){.sync = 1, .output = "\"$ROOT/files/w.png\""});
    CHECK_EQ_INT(invoke("flux-2-klein-4b", "something rude"), 0);
    CHECK(wait_done(5000));
    CHECK(T.rec.ok);
    CHECK_EQ_INT(fake_rep_count(T.fake, CREATE_OFFICIAL), 2);
    json_t *in = create_input(CREATE_OFFICIAL, 0, NULL);
    CHECK_STR_EQ(json_string_value(json_object_get(in, "prompt")), "something rude");
    json_decref(in);
    in = create_input(CREATE_OFFICIAL, 1, NULL);
    CHECK_STR_EQ(json_string_value(json_object_get(in, "prompt")), NSFW_FALLBACK_PROMPT);
    CHECK_STR_EQ(json_string_value(json_object_get(in, "output_format")), "png");
    json_decref(in);
    buf_free(&png);
    teardown();
}

TEST(nsfw_twice_fails)
{
    setup();
    fake_rep_script(T.fake, &(struct fake_rep_pred){.sync = 1,
                                                    .status = "failed",
                                                    .error = "Prompt was flagged as sensitive"});
    fake_rep_script(T.fake, &(struct fake_rep_pred){.sync = 1,
                                                    .status = "failed",
                                                    .error = "Output flagged as sensitive (E005)"});
    CHECK_EQ_INT(invoke("imagen-4-fast", "rude"), 0);
    CHECK(wait_done(5000));
    CHECK(!T.rec.ok);
    CHECK_EQ_INT(T.rec.retryable, 0);
    CHECK(strstr(T.rec.error, "NSFW") != NULL);
    CHECK(strstr(T.rec.error, "fallback") != NULL);
    CHECK_EQ_INT(fake_rep_count(T.fake, CREATE_OFFICIAL), 2);
    teardown();
}

TEST(nsfw_image_input_no_wombat)
{
    setup();
    struct buf png = BUF_INIT;
    make_png(&png, "nsfw image");
    char name[MEDIA_NAME_MAX];
    CHECK_EQ_INT(media_put(T.media, png.data, png.len, "png", name, sizeof name), 0);
    fake_rep_script(T.fake, &(struct fake_rep_pred){
                                .sync = 1, .status = "failed", .error = "inappropriate content"});
    CHECK_EQ_INT(invoke_as("claude-4-sonnet-caption", MEDIA_IMAGE, name, 2), 0);
    CHECK(wait_done(5000));
    CHECK(!T.rec.ok);
    CHECK_EQ_INT(T.rec.retryable, 0);
    CHECK(strstr(T.rec.error, "NSFW") != NULL);
    CHECK_EQ_INT(fake_rep_count(T.fake, CREATE_OFFICIAL), 1);
    json_t *in = create_input(CREATE_OFFICIAL, 0, NULL);
    CHECK_STR_EQ(json_string_value(json_object_get(in, "prompt")),
                 "describe this image in one sentence");
    CHECK_NEAR(json_real_value(json_object_get(in, "max_image_resolution")), 0.5, 1e-9);
    json_decref(in);
    buf_free(&png);
    teardown();
}

TEST(model_failure_retryable)
{
    setup();
    fake_rep_script(T.fake, &(struct fake_rep_pred){
                                .polls = 1, .status = "failed", .error = "CUDA out of memory"});
    CHECK_EQ_INT(invoke("dreamina-3.1", "big"), 0);
    CHECK(wait_done(5000));
    CHECK(!T.rec.ok);
    CHECK_EQ_INT(T.rec.retryable, 1);
    CHECK(strstr(T.rec.error, "CUDA out of memory") != NULL);
    CHECK_EQ_INT(fake_rep_count(T.fake, CREATE_OFFICIAL), 1);
    json_t *in = create_input(CREATE_OFFICIAL, 0, NULL);
    CHECK_STR_EQ(json_string_value(json_object_get(in, "resolution")), "2K");
    CHECK(json_is_false(json_object_get(in, "enhance_prompt")));
    json_decref(in);
    teardown();
}

TEST(insufficient_credit)
{
    setup();
    fake_rep_script(T.fake, &(struct fake_rep_pred){
                                .create_status = 402,
                                .create_body = "{\"title\":\"Insufficient credit\",\"detail\":"
                                               "\"You have insufficient credit to run this "
                                               "model.\",\"status\":402}"});
    CHECK_EQ_INT(invoke("stable-diffusion", "pay me"), 0);
    CHECK(wait_done(5000));
    CHECK(!T.rec.ok);
    CHECK_EQ_INT(T.rec.retryable, 0);
    CHECK(strstr(T.rec.error, "credit") != NULL);
    CHECK(strstr(T.rec.error, "402") != NULL);
    CHECK_EQ_INT(fake_rep_count(T.fake, CREATE_OFFICIAL), 1);
    CHECK_EQ_INT(fake_rep_count(T.fake, "GET /v1/predictions"), 0);
    teardown();
}

TEST(bad_key_and_invalid_input)
{
    setup();
    T.key = "r8_wrong";
    CHECK_EQ_INT(invoke("stable-diffusion", "x"), 0);
    CHECK(wait_done(5000));
    CHECK(!T.rec.ok);
    CHECK_EQ_INT(T.rec.retryable, 0);
    CHECK(strstr(T.rec.error, "401") != NULL);
    CHECK(strstr(T.rec.error, "r8_wrong") == NULL); /* the key never shows */
    T.key = KEY;
    memset(&T.rec, 0, sizeof T.rec);
    fake_rep_script(T.fake, &(struct fake_rep_pred){
                                .create_status = 422,
                                .create_body = "{\"detail\":\"- input.aspect_ratio: bad\"}"});
    CHECK_EQ_INT(invoke("stable-diffusion", "x"), 0);
    CHECK(wait_done(5000));
    CHECK_EQ_INT(T.rec.retryable, 0);
    CHECK(strstr(T.rec.error, "aspect_ratio") != NULL);
    CHECK_EQ_INT(fake_rep_count(T.fake, CREATE_OFFICIAL), 2);
    teardown();
}

TEST(cancel_while_polling)
{
    setup();
    fake_rep_script(T.fake, &(struct fake_rep_pred){.polls = 1000});
    CHECK_EQ_INT(invoke("claude-4-sonnet", "forever"), 0);
    int64_t end = time_mono_ms() + 3000;
    while (fake_rep_count(T.fake, "GET /v1/predictions/p1") < 2 && time_mono_ms() < end)
        ev_run_once(T.ev, 10);
    T.p.ops->cancel(T.p.self, 7);
    spin(300);
    CHECK_EQ_INT(T.rec.calls, 0);
    CHECK_EQ_INT(fake_rep_count(T.fake, "POST /v1/predictions/p1/cancel"), 1);
    char st[32];
    fake_rep_pred_status(T.fake, "p1", st, sizeof st);
    CHECK_STR_EQ(st, "canceled");
    size_t polls = fake_rep_count(T.fake, "GET /v1/predictions/p1");
    spin(200);
    CHECK_EQ_INT(fake_rep_count(T.fake, "GET /v1/predictions/p1"), polls);
    teardown();
}

TEST(cancel_while_creating)
{
    setup();
    fake_rep_script(T.fake, &(struct fake_rep_pred){.stall_ms = 300, .polls = 1000});
    CHECK_EQ_INT(invoke("claude-4-sonnet", "cancel me early"), 0);
    int64_t end = time_mono_ms() + 3000;
    while (fake_rep_count(T.fake, CREATE_OFFICIAL) < 1 && time_mono_ms() < end)
        ev_run_once(T.ev, 10);
    T.p.ops->cancel(T.p.self, 7);
    spin(800);
    CHECK_EQ_INT(T.rec.calls, 0);
    /* the create landed after the cancel: what it made is cancelled, not left running */
    CHECK_EQ_INT(fake_rep_count(T.fake, "POST /v1/predictions/p1/cancel"), 1);
    CHECK_EQ_INT(fake_rep_count(T.fake, "GET /v1/predictions/p1"), 0);
    teardown();
}

static void short_deadline(struct replicate_tuning *t)
{
    t->deadline_ms = 400;
}

TEST(deadline_cancels)
{
    setup_with(short_deadline);
    fake_rep_script(T.fake, &(struct fake_rep_pred){.polls = 100000});
    CHECK_EQ_INT(invoke("claude-4-sonnet", "too slow"), 0);
    CHECK(wait_done(3000));
    CHECK(!T.rec.ok);
    CHECK_EQ_INT(T.rec.retryable, 1);
    CHECK(strstr(T.rec.error, "did not finish") != NULL);
    spin(200);
    CHECK_EQ_INT(fake_rep_count(T.fake, "POST /v1/predictions/p1/cancel"), 1);
    teardown();
}

TEST(missing_key)
{
    setup();
    T.key = NULL;
    char why[128] = "";
    CHECK_EQ_INT(T.p.ops->available(T.p.self, why, sizeof why), 0);
    CHECK(strstr(why, "key") != NULL);
    CHECK_EQ_INT(invoke("claude-4-sonnet", "x"), 0);
    CHECK(wait_done(2000));
    CHECK(!T.rec.ok);
    CHECK_EQ_INT(T.rec.retryable, 0);
    CHECK(strstr(T.rec.error, "key") != NULL);
    CHECK_EQ_INT(fake_rep_count(T.fake, NULL), 0);
    T.key = KEY;
    CHECK_EQ_INT(T.p.ops->available(T.p.self, why, sizeof why), 1);
    teardown();
}

static void closed_port(struct replicate_tuning *t)
{
    t->base_url = "http://127.0.0.1:1/v1";
}

TEST(unreachable_is_retryable)
{
    setup_with(closed_port);
    CHECK_EQ_INT(invoke("claude-4-sonnet", "x"), 0);
    CHECK(wait_done(5000));
    CHECK(!T.rec.ok);
    CHECK_EQ_INT(T.rec.retryable, 1);
    CHECK(strstr(T.rec.error, "could not reach") != NULL);
    teardown();
}

TEST(free_with_calls_in_flight)
{
    setup();
    fake_rep_script(T.fake, &(struct fake_rep_pred){.polls = 1000});
    fake_rep_script(T.fake, &(struct fake_rep_pred){.stall_ms = 200});
    CHECK_EQ_INT(invoke_as("claude-4-sonnet", MEDIA_TEXT, "a", 1), 0);
    CHECK_EQ_INT(invoke_as("claude-4-sonnet", MEDIA_TEXT, "b", 2), 0);
    spin(100);
    teardown(); /* no callback, no leak, no use after free (ASan) */
    CHECK_EQ_INT(T.rec.calls, 0);
}

int main(void)
{
    RUN(nsfw_rules);
    RUN(catalog_rows);
    RUN(image_official_sync);
    RUN(image_polled_string_url_sniffed);
    RUN(text_chunks_joined);
    RUN(audio_object_wav_with_version_lookup);
    RUN(audio_list_mp3);
    RUN(audio_by_url_extension);
    RUN(key_only_to_replicate_hosts);
    RUN(data_url_output);
    RUN(whisper_transcription_object);
    RUN(image_input_data_url_strip_quotes);
    RUN(large_input_uploaded);
    RUN(qwen_media_field);
    RUN(reproducer_pair);
    RUN(throttled_retry_after);
    RUN(throttled_detail_only);
    RUN(create_500_not_made_no_duplicate);
    RUN(create_500_but_made_is_adopted);
    RUN(create_timeout_reconciled);
    RUN(create_unreadable_answer);
    RUN(poll_faults_recovered);
    RUN(poll_faults_give_up);
    RUN(output_404);
    RUN(output_stalled_then_fine);
    RUN(output_wrong_kind);
    RUN(nsfw_then_wombat);
    RUN(nsfw_twice_fails);
    RUN(nsfw_image_input_no_wombat);
    RUN(model_failure_retryable);
    RUN(insufficient_credit);
    RUN(bad_key_and_invalid_input);
    RUN(cancel_while_polling);
    RUN(cancel_while_creating);
    RUN(deadline_cancels);
    RUN(missing_key);
    RUN(unreachable_is_retryable);
    RUN(free_with_calls_in_flight);
    TEST_END("test_replicate");
}
