/* test_builtin.c: the builtin platform's offline models, run for real: espeak-ng and flite speak
 * a sentence that pocketsphinx must hear back, the typesetter's picture must be read back by
 * tesseract, a picture without text must be described, and the platform, driven through its ops
 * on a real event loop with a media store in a temporary directory, must answer each model from
 * the loop, drop a cancelled call and free cleanly with calls in flight. The WAV codec, the
 * describer and the parrot are checked on their own first. A model whose engine this build lacks
 * is checked to be reported unavailable instead. */
#include "common/buf.h"
#include "common/ev.h"
#include "common/util.h"
#include "coordinator/platforms/builtin/builtin.h"
#include "coordinator/platforms/builtin/builtin_engines.h"
#include "coordinator/core/catalog.h"
#include "coordinator/platforms/dummy/dummy_media.h"
#include "coordinator/store/media.h"
#include "test.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const SENTENCE = "the machines are listening to each other in the dark";
static const char *const SIGN = "PANIC GALLERY OPEN LATE";
static char tmpdir[64];

#define PI 3.14159265358979323846

/* ---- helpers ---- */

static int remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return -errno;
    if (!S_ISDIR(st.st_mode))
        return unlink(path) < 0 ? -errno : 0;
    DIR *d = opendir(path);
    if (!d)
        return -errno;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char child[1024];
        snprintf(child, sizeof child, "%s/%s", path, e->d_name);
        remove_tree(child);
    }
    closedir(d);
    return rmdir(path) < 0 ? -errno : 0;
}

/* How many of the words of want (space separated, lower case) appear as words in got,
 * case-insensitively; each distinct word counts once. */
static int words_found(const char *want, const char *got)
{
    char g[1024];
    size_t n = 0;
    g[n++] = ' ';
    for (const char *p = got; *p && n < sizeof g - 2; p++)
        g[n++] = (char)((*p >= 'A' && *p <= 'Z')   ? *p - 'A' + 'a'
                        : (*p == ',' || *p == '.') ? ' '
                                                   : *p);
    g[n++] = ' ';
    g[n] = '\0';
    int found = 0;
    char seen[1024] = " ";
    const char *w = want;
    while (*w) {
        while (*w == ' ')
            w++;
        size_t len = strcspn(w, " ");
        if (!len)
            break;
        char key[64];
        snprintf(key, sizeof key, " %.*s ", (int)len, w);
        for (char *k = key; *k; k++)
            *k = (char)((*k >= 'A' && *k <= 'Z') ? *k - 'A' + 'a' : *k);
        if (!strstr(seen, key) && strstr(g, key)) {
            found++;
            strncat(seen, key + 1, sizeof seen - strlen(seen) - 1);
        }
        w += len;
    }
    return found;
}

static int write_file(const char *path, const struct buf *b)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -errno;
    size_t n = fwrite(b->data, 1, b->len, f);
    return fclose(f) == 0 && n == b->len ? 0 : -EIO;
}

static int have(const char *model_id)
{
    char why[PANIC_ERR_LEN];
    if (!strcmp(model_id, "builtin-espeak"))
        return builtin_espeak_check(why, sizeof why);
    if (!strcmp(model_id, "builtin-flite"))
        return builtin_flite_check(why, sizeof why);
    if (!strcmp(model_id, "builtin-sphinx"))
        return builtin_sphinx_check(BUILTIN_SPHINX_MODEL, why, sizeof why);
    if (!strcmp(model_id, "builtin-tesseract"))
        return builtin_ocr_check(why, sizeof why);
    if (!strcmp(model_id, "builtin-type"))
        return builtin_type_check(why, sizeof why);
    return 1;
}

/* ---- pure helpers ---- */

TEST(test_catalog)
{
    static const char *const ids[] = {"builtin-espeak",    "builtin-flite", "builtin-sphinx",
                                      "builtin-tesseract", "builtin-type",  "builtin-parrot"};
    CHECK_EQ_INT(builtin_models_count, ARRAY_LEN(ids));
    for (size_t i = 0; i < ARRAY_LEN(ids); i++) {
        const struct model_info *m = catalog_find(ids[i]);
        CHECK(m != NULL);
        if (!m)
            continue;
        CHECK_STR_EQ(m->platform, "builtin");
        CHECK(m->path != NULL && m->description[0] != '\0');
    }
    CHECK_EQ_INT(catalog_find("builtin-sphinx")->input, MEDIA_AUDIO);
    CHECK_EQ_INT(catalog_find("builtin-type")->output, MEDIA_IMAGE);
}

TEST(test_wav)
{
    /* One second of a 440 Hz tone at 22050 Hz, stereo-duplicated too. */
    int16_t mono[22050], stereo[44100];
    for (int i = 0; i < 22050; i++) {
        mono[i] = (int16_t)(10000 * sin(2 * PI * 440 * i / 22050.0));
        stereo[2 * i] = mono[i];
        stereo[2 * i + 1] = (int16_t)(mono[i] / 2);
    }
    struct buf w = BUF_INIT;
    builtin_wav_encode(mono, 22050, 22050, &w);
    CHECK_EQ_INT(w.len, 44 + 2 * 22050);
    CHECK(!memcmp(w.data, "RIFF", 4) && !memcmp(w.data + 8, "WAVEfmt ", 8));
    int16_t *pcm = NULL;
    size_t n = 0;
    char err[256] = "";
    CHECK_EQ_INT(builtin_wav_decode_16k(w.data, w.len, 60, &pcm, &n, err, sizeof err), 0);
    CHECK_EQ_INT(n, 16000);
    /* The resampled tone still crosses zero 880 times a second. */
    int crossings = 0;
    for (size_t i = 1; i < n; i++)
        crossings += (pcm[i] >= 0) != (pcm[i - 1] >= 0);
    CHECK(crossings >= 870 && crossings <= 890);
    free(pcm);

    /* Read as mono, the interleaved samples are two seconds: max_s keeps one. */
    struct buf s = BUF_INIT;
    builtin_wav_encode(stereo, 44100, 22050, &s);
    CHECK_EQ_INT(builtin_wav_decode_16k(s.data, s.len, 1, &pcm, &n, err, sizeof err), 0);
    CHECK_EQ_INT(n, 16000);
    free(pcm);

    /* Stereo: the channels are averaged (3/4 of the left one here). */
    s.data[22] = 2;          /* channels */
    s.data[32] = 4;          /* block align */
    s.data[28] = (char)0x88; /* byte rate 88200 = 0x015888 */
    s.data[29] = (char)0x58;
    s.data[30] = (char)0x01;
    CHECK_EQ_INT(builtin_wav_decode_16k(s.data, s.len, 60, &pcm, &n, err, sizeof err), 0);
    CHECK_EQ_INT(n, 16000);
    int16_t peak = 0;
    for (size_t i = 0; i < n; i++)
        peak = pcm[i] > peak ? pcm[i] : peak;
    CHECK(peak > 7000 && peak <= 7500);
    free(pcm);

    /* Refusals. */
    CHECK_EQ_INT(builtin_wav_decode_16k("hello", 5, 60, &pcm, &n, err, sizeof err), -EINVAL);
    CHECK(pcm == NULL && err[0]);
    w.data[34] = 8; /* 8-bit */
    CHECK_EQ_INT(builtin_wav_decode_16k(w.data, w.len, 60, &pcm, &n, err, sizeof err), -ENOTSUP);
    w.data[34] = 16;
    CHECK_EQ_INT(builtin_wav_decode_16k(w.data, 40, 60, &pcm, &n, err, sizeof err), -EINVAL);
    buf_free(&w);
    buf_free(&s);
}

TEST(test_describe)
{
    uint8_t *px = malloc(64 * 36 * 3);
    for (int i = 0; i < 64 * 36; i++) {
        px[3 * i] = 200;
        px[3 * i + 1] = 20;
        px[3 * i + 2] = 30;
    }
    char *d = builtin_describe_rgb(px, 64, 36);
    CHECK(strstr(d, "mostly red") != NULL);
    CHECK(strstr(d, "calm") != NULL);
    free(d);
    for (int i = 0; i < 64 * 36; i++)
        px[3 * i] = px[3 * i + 1] = px[3 * i + 2] = (uint8_t)((i % 2) ? 250 : 5);
    d = builtin_describe_rgb(px, 64, 36);
    CHECK(strstr(d, "black") != NULL && strstr(d, "white") != NULL);
    CHECK(strstr(d, "crowded") != NULL);
    free(d);
    free(px);
    d = builtin_describe_rgb(NULL, 0, 0);
    CHECK(strstr(d, "empty") != NULL);
    free(d);

    int16_t tone[16000];
    for (int i = 0; i < 16000; i++)
        tone[i] = (int16_t)(20000 * sin(2 * PI * 220 * i / 16000.0));
    d = builtin_describe_pcm(tone, 16000, 16000);
    CHECK_STR_EQ(d, "No words, only 1 second of loud tones.");
    free(d);
    memset(tone, 0, sizeof tone);
    d = builtin_describe_pcm(tone, 16000, 16000);
    CHECK(strstr(d, "near silence") != NULL);
    free(d);
}

TEST(test_parrot)
{
    const char *in = "a lighthouse in a storm";
    char *a = builtin_parrot(in, 7), *b = builtin_parrot(in, 7), *c = builtin_parrot(in, 8);
    printf("  parrot: %s\n", a);
    CHECK_STR_EQ(a, b);
    CHECK(strcmp(a, in) != 0);
    CHECK(strstr(a, in) != NULL); /* the subject is kept */
    CHECK(strcmp(a, c) != 0);     /* a new counter, new dressing */
    CHECK(strchr(a, ',') != NULL);
    free(b);
    free(c);

    /* Fed its own words, it drifts but neither grows nor loses the subject. */
    char *cur = a;
    for (uint64_t k = 0; k < 30; k++) {
        char *next = builtin_parrot(cur, 100 + k);
        CHECK(strlen(next) <= BUILTIN_PARROT_MAX);
        CHECK(utf8_valid(next, strlen(next)));
        CHECK(strstr(next, "lighthouse in a storm") != NULL);
        CHECK(strcmp(next, cur) != 0);
        free(cur);
        cur = next;
    }
    printf("  parrot after 30 hops: %s\n", cur);
    free(cur);

    /* A framing that came back in capitals is not framed again. */
    for (uint64_t k = 0; k < 40; k++) {
        char *f = builtin_parrot("A PAINTING OF A CAT", k);
        CHECK(strncmp(f, "A PAINTING OF A CAT", 19) == 0);
        free(f);
    }

    char *e = builtin_parrot("   \n\t ", 1);
    CHECK(e[0] != '\0');
    free(e);
    char long_in[3000];
    for (size_t i = 0; i < sizeof long_in - 1; i++)
        long_in[i] = (i % 7 == 6) ? ' ' : (char)('a' + i % 26);
    long_in[sizeof long_in - 1] = '\0';
    e = builtin_parrot(long_in, 1);
    CHECK(strlen(e) <= BUILTIN_PARROT_MAX);
    free(e);
    e = builtin_parrot("caf\xc3\xa9 \xe2\x98\x95 au lait, \xc3\xa9t\xc3\xa9", 3);
    CHECK(utf8_valid(e, strlen(e)));
    CHECK(strstr(e, "caf\xc3\xa9") != NULL);
    free(e);
}

/* ---- engines, directly ---- */

/* Speak the sentence with one voice and recognise it; the transcript is returned (owned). */
static char *speak_and_hear(struct builtin_sphinx *s, int flite)
{
    char err[PANIC_ERR_LEN] = "";
    struct buf wav = BUF_INIT;
    int rc;
    if (flite) {
        struct builtin_flite *f = builtin_flite_open(err, sizeof err);
        CHECK(f != NULL);
        if (!f)
            return NULL;
        rc = builtin_flite_say(f, SENTENCE, &wav, err, sizeof err);
        builtin_flite_close(f);
    } else {
        struct builtin_espeak *e = builtin_espeak_open(err, sizeof err);
        CHECK(e != NULL);
        if (!e)
            return NULL;
        CHECK(builtin_espeak_open(err, sizeof err) == NULL); /* one handle at a time */
        rc = builtin_espeak_say(e, SENTENCE, 0, &wav, err, sizeof err);
        builtin_espeak_close(e);
    }
    CHECK_EQ_INT(rc, 0);
    int16_t *pcm = NULL;
    size_t n = 0;
    char *text = NULL;
    CHECK_EQ_INT(builtin_wav_decode_16k(wav.data, wav.len, 60, &pcm, &n, err, sizeof err), 0);
    CHECK(n > BUILTIN_ASR_RATE * 2); /* a few seconds of speech */
    CHECK_EQ_INT(builtin_sphinx_decode(s, pcm, n, NULL, &text, err, sizeof err), 0);
    free(pcm);
    buf_free(&wav);
    return text;
}

TEST(test_espeak_variation)
{
    if (!have("builtin-espeak"))
        return;
    char err[PANIC_ERR_LEN] = "";
    struct builtin_espeak *e = builtin_espeak_open(err, sizeof err);
    CHECK(e != NULL);
    if (!e)
        return;
    struct buf a = BUF_INIT, b = BUF_INIT, c = BUF_INIT;
    CHECK_EQ_INT(builtin_espeak_say(e, SENTENCE, 0, &a, err, sizeof err), 0);
    CHECK_EQ_INT(builtin_espeak_say(e, SENTENCE, 0, &b, err, sizeof err), 0);
    /* Not byte for byte (the wave generator carries a little state from one utterance to the
     * next), but the same speech: the same length within a few samples. */
    CHECK(labs((long)a.len - (long)b.len) < 200);
    /* Other variations speak faster or slower: clearly different lengths. */
    int differ = 0;
    for (uint64_t v = 1; v <= 6; v++) {
        buf_reset(&c);
        CHECK_EQ_INT(builtin_espeak_say(e, SENTENCE, v, &c, err, sizeof err), 0);
        differ += labs((long)c.len - (long)a.len) > 2000;
    }
    CHECK(differ >= 3);
    buf_reset(&c);
    CHECK_EQ_INT(builtin_espeak_say(e, " \n\t ", 0, &c, err, sizeof err), -EINVAL);
    CHECK(err[0] != '\0');
    buf_free(&a);
    buf_free(&b);
    buf_free(&c);
    builtin_espeak_close(e);
}

TEST(test_speech_roundtrip)
{
    if (!have("builtin-sphinx")) {
        printf("  skipped: pocketsphinx not here\n");
        return;
    }
    char err[PANIC_ERR_LEN] = "";
    struct builtin_sphinx *s = builtin_sphinx_open(BUILTIN_SPHINX_MODEL, err, sizeof err);
    CHECK(s != NULL);
    if (!s) {
        printf("  %s\n", err);
        return;
    }
    /* espeak-ng first, on a fresh decoder and a fresh engine: pocketsphinx adapts its cepstral
     * mean from one utterance to the next, so after flite's voice it hears espeak-ng worse, and
     * espeak-ng's output shifts a little with what it said before. */
    for (int flite = 0; flite < 2; flite++) {
        if (!have(flite ? "builtin-flite" : "builtin-espeak"))
            continue;
        char *text = speak_and_hear(s, flite);
        printf("  %s -> sphinx: \"%s\"\n", flite ? "flite" : "espeak-ng", text ? text : "(null)");
        if (text)
            CHECK(words_found(SENTENCE, text) >= 2);
        free(text);
    }
    /* A cancelled decode stops. */
    int16_t quiet[BUILTIN_ASR_RATE * 2] = {0};
    atomic_int stop;
    atomic_init(&stop, 1);
    char *text = NULL;
    CHECK_EQ_INT(builtin_sphinx_decode(s, quiet, ARRAY_LEN(quiet), &stop, &text, err, sizeof err),
                 -ECANCELED);
    CHECK(text == NULL);
    builtin_sphinx_close(s);
}

TEST(test_type_and_read)
{
    if (!have("builtin-type") || !have("builtin-tesseract")) {
        printf("  skipped: FreeType, the font or tesseract not here\n");
        return;
    }
    char err[PANIC_ERR_LEN] = "";
    struct builtin_type *t = builtin_type_open(NULL, err, sizeof err);
    struct builtin_ocr *o = builtin_ocr_open(err, sizeof err);
    CHECK(t != NULL && o != NULL);
    if (!t || !o) {
        printf("  %s\n", err);
        builtin_type_close(t);
        builtin_ocr_close(o);
        return;
    }
    struct buf png = BUF_INIT, again = BUF_INIT, other = BUF_INIT;
    CHECK_EQ_INT(builtin_type_render(t, SIGN, &png, err, sizeof err), 0);
    CHECK_EQ_INT(builtin_type_render(t, SIGN, &again, err, sizeof err), 0);
    CHECK_EQ_INT(builtin_type_render(t, SENTENCE, &other, err, sizeof err), 0);
    CHECK(png.len > 33 && !memcmp(png.data, "\x89PNG\r\n\x1a\n", 8));
    /* IHDR: width and height, big-endian, at bytes 16 and 20. */
    const unsigned char *h = (const unsigned char *)png.data;
    CHECK_EQ_INT((h[16] << 24 | h[17] << 16 | h[18] << 8 | h[19]), BUILTIN_TYPE_W);
    CHECK_EQ_INT((h[20] << 24 | h[21] << 16 | h[22] << 8 | h[23]), BUILTIN_TYPE_H);
    CHECK(png.len == again.len && !memcmp(png.data, again.data, png.len));
    CHECK(png.len != other.len || memcmp(png.data, other.data, png.len) != 0);

    char path[128];
    snprintf(path, sizeof path, "%s/sign.png", tmpdir);
    CHECK_EQ_INT(write_file(path, &png), 0);
    char *text = NULL;
    int described = -1, conf = 0;
    CHECK_EQ_INT(builtin_ocr_read(o, path, NULL, &text, &described, &conf, err, sizeof err), 0);
    printf("  type -> tesseract: \"%s\" (confidence %d)\n", text ? text : "(null)", conf);
    CHECK_EQ_INT(described, 0);
    if (text)
        CHECK(words_found("panic gallery open late", text) >= 2);
    free(text);

    /* Longer text wraps and still reads back. */
    snprintf(path, sizeof path, "%s/sentence.png", tmpdir);
    CHECK_EQ_INT(write_file(path, &other), 0);
    CHECK_EQ_INT(builtin_ocr_read(o, path, NULL, &text, &described, &conf, err, sizeof err), 0);
    printf("  type -> tesseract: \"%s\" (confidence %d)\n", text ? text : "(null)", conf);
    if (text)
        CHECK(words_found(SENTENCE, text) >= 5);
    free(text);

    /* A picture without text: the description, naming its colours. */
    struct buf art = BUF_INIT;
    CHECK_EQ_INT(dummy_png("no words here", 13, 640, 360, &art), 0);
    snprintf(path, sizeof path, "%s/art.png", tmpdir);
    CHECK_EQ_INT(write_file(path, &art), 0);
    CHECK_EQ_INT(builtin_ocr_read(o, path, NULL, &text, &described, &conf, err, sizeof err), 0);
    printf("  textless -> tesseract: \"%s\"\n", text ? text : "(null)");
    CHECK_EQ_INT(described, 1);
    CHECK(text && strstr(text, " picture") && strstr(text, "mostly "));
    free(text);

    /* Not a picture. */
    snprintf(path, sizeof path, "%s/not.png", tmpdir);
    struct buf junk = BUF_INIT;
    buf_puts(&junk, "not a picture at all");
    CHECK_EQ_INT(write_file(path, &junk), 0);
    text = NULL;
    CHECK(builtin_ocr_read(o, path, NULL, &text, &described, &conf, err, sizeof err) < 0);
    CHECK(text == NULL && err[0]);

    /* Odd text: empty, very long, non-Latin. */
    struct buf odd = BUF_INIT;
    CHECK_EQ_INT(builtin_type_render(t, "", &odd, err, sizeof err), 0);
    char big[5000];
    memset(big, 'w', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CHECK_EQ_INT(builtin_type_render(t, big, &odd, err, sizeof err), 0);
    CHECK_EQ_INT(builtin_type_render(t, "\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 \xff\xfe", &odd,
                                     err, sizeof err),
                 0);
    buf_free(&odd);
    buf_free(&junk);
    buf_free(&art);
    buf_free(&png);
    buf_free(&again);
    buf_free(&other);
    builtin_type_close(t);
    builtin_ocr_close(o);
}

/* ---- the platform through its ops ---- */

#define MAX_ANSWERS 32

struct answers {
    int in_invoke; /* set while the test is inside ops->invoke/cancel */
    int during_invoke;
    int n;
    struct {
        int64_t inv_id;
        int ok;
        enum media_type type;
        char value[512];
        int retryable;
    } a[MAX_ANSWERS];
};

static void on_done(void *owner, const struct platform_call *call, const struct runner_io *out,
                    const char *error, int retryable)
{
    struct answers *s = owner;
    if (s->in_invoke)
        s->during_invoke++;
    if (s->n >= MAX_ANSWERS)
        return;
    s->a[s->n].inv_id = call->inv_id;
    s->a[s->n].ok = out != NULL;
    s->a[s->n].type = out ? out->type : MEDIA_TEXT;
    snprintf(s->a[s->n].value, sizeof s->a[s->n].value, "%s", out ? out->value : error);
    s->a[s->n].retryable = retryable;
    s->n++;
}

static int find_answer(const struct answers *s, int64_t inv_id)
{
    for (int i = 0; i < s->n; i++)
        if (s->a[i].inv_id == inv_id)
            return i;
    return -1;
}

static int invoke(struct platform *p, struct answers *s, int64_t inv_id, const char *model,
                  enum media_type type, const char *value)
{
    struct platform_call call = {1, 1, inv_id, catalog_find(model), {type, value}, 0};
    s->in_invoke = 1;
    int rc = p->ops->invoke(p->self, &call);
    s->in_invoke = 0;
    return rc;
}

/* Run the loop until inv_id is answered (its index) or timeout_ms passes (-1). */
static int wait_answer(struct ev *ev, struct answers *s, int64_t inv_id, int timeout_ms)
{
    int64_t end = time_mono_ms() + timeout_ms;
    while (find_answer(s, inv_id) < 0 && time_mono_ms() < end)
        ev_run_once(ev, 50);
    return find_answer(s, inv_id);
}

/* The answer's value if it succeeded with the given type, else NULL (with the error printed). */
static const char *answer_ok(struct answers *s, int i, enum media_type type)
{
    if (i < 0) {
        printf("  no answer in time\n");
        return NULL;
    }
    if (!s->a[i].ok || s->a[i].type != type) {
        printf("  inv %lld failed: %s\n", (long long)s->a[i].inv_id, s->a[i].value);
        return NULL;
    }
    return s->a[i].value;
}

/* Invoke model and run the loop until it answers: the value if the model is here (it must
 * succeed), NULL if its engine is missing (it must fail cleanly, not retryable, saying why). */
static const char *call_model(struct platform *p, struct ev *ev, struct answers *s, int64_t id,
                              const char *model, enum media_type type, const char *value)
{
    const struct model_info *m = catalog_find(model);
    CHECK_EQ_INT(invoke(p, s, id, model, type, value), 0);
    CHECK_EQ_INT(s->during_invoke, 0); /* never from inside invoke */
    int i = wait_answer(ev, s, id, 20000);
    if (have(model))
        return answer_ok(s, i, m->output);
    CHECK(i >= 0);
    if (i < 0)
        return NULL;
    printf("  %s, as expected: %s\n", model, s->a[i].value);
    CHECK_EQ_INT(s->a[i].ok, 0);
    CHECK_EQ_INT(s->a[i].retryable, 0);
    return NULL;
}

/* Store a dummy picture (audio 0) or sound (audio 1) for a model whose producer is missing. */
static void store_dummy(struct media_store *media, int audio, char *name)
{
    struct buf b = BUF_INIT;
    CHECK_EQ_INT(audio ? dummy_wav("tones", 5, 2000, &b) : dummy_png("shapes", 6, 640, 360, &b), 0);
    CHECK_EQ_INT(media_put(media, b.data, b.len, audio ? "wav" : "png", name, MEDIA_NAME_MAX), 0);
    buf_free(&b);
}

TEST(test_platform)
{
    char err[256], dir[128];
    snprintf(dir, sizeof dir, "%s/state", tmpdir);
    struct media_store *media = media_open(dir, err, sizeof err);
    struct ev *ev = ev_new();
    struct answers *s = calloc(1, sizeof *s);
    struct platform_env env = {ev, NULL, media, NULL, on_done, s, NULL};
    struct platform p = builtin_platform_new(&env);
    CHECK_STR_EQ(p.ops->name, "builtin");

    /* Availability: each model exactly when its engine is here. */
    char why[1024] = "";
    static const char *const ids[] = {"builtin-espeak",    "builtin-flite", "builtin-sphinx",
                                      "builtin-tesseract", "builtin-type",  "builtin-parrot"};
    int all = 1;
    for (size_t i = 0; i < ARRAY_LEN(ids); i++) {
        int ok = builtin_model_available(p.self, catalog_find(ids[i]), why, sizeof why);
        CHECK_EQ_INT(ok, have(ids[i]));
        if (!ok)
            printf("  unavailable: %s: %s\n", ids[i], why);
        all &= ok;
    }
    CHECK_EQ_INT(p.ops->available(p.self, why, sizeof why), all);
    CHECK(all ? why[0] == '\0' : strstr(why, "builtin-") != NULL);
    CHECK_EQ_INT(builtin_model_available(p.self, catalog_find("dummy-t2t"), why, sizeof why), 0);
    CHECK_EQ_INT(builtin_platform_busy(p.self), 0);

    /* Not a builtin model: refused at once, no answer. */
    CHECK_EQ_INT(invoke(&p, s, 99, "dummy-t2t", MEDIA_TEXT, "x"), -EINVAL);

    /* The chain parrot -> type -> tesseract -> flite -> sphinx, then espeak. A model whose
     * engine is missing must fail cleanly instead, and the chain goes on with dummy media. */
    const char *v = call_model(&p, ev, s, 1, "builtin-parrot", MEDIA_TEXT, SIGN);
    CHECK(v && strstr(v, SIGN) == v);
    printf("  parrot: %s\n", v ? v : "-");

    char image[MEDIA_NAME_MAX] = "", audio[MEDIA_NAME_MAX] = "", path[4096];
    v = call_model(&p, ev, s, 2, "builtin-type", MEDIA_TEXT, SIGN);
    if (v) {
        snprintf(image, sizeof image, "%s", v);
        CHECK(media_name_valid(image) && strstr(image, ".png"));
        CHECK_EQ_INT(media_path(media, image, path, sizeof path), 0);
    } else {
        store_dummy(media, 0, image);
    }
    v = call_model(&p, ev, s, 3, "builtin-tesseract", MEDIA_IMAGE, image);
    printf("  type -> tesseract: %s\n", v ? v : "-");
    if (have("builtin-type") && have("builtin-tesseract"))
        CHECK(v && words_found("panic gallery open late", v) >= 2);

    v = call_model(&p, ev, s, 4, "builtin-flite", MEDIA_TEXT, SENTENCE);
    if (v) {
        snprintf(audio, sizeof audio, "%s", v);
        CHECK(media_name_valid(audio) && strstr(audio, ".wav"));
    } else {
        store_dummy(media, 1, audio);
    }
    v = call_model(&p, ev, s, 5, "builtin-sphinx", MEDIA_AUDIO, audio);
    printf("  flite -> sphinx: %s\n", v ? v : "-");
    if (have("builtin-flite") && have("builtin-sphinx"))
        CHECK(v && words_found(SENTENCE, v) >= 2);

    v = call_model(&p, ev, s, 6, "builtin-espeak", MEDIA_TEXT, SENTENCE);
    if (have("builtin-espeak"))
        CHECK(v && strstr(v, ".wav"));

    /* Tones without words: the recogniser answers something (words it imagines, or a
     * description of the sound). */
    char tones[MEDIA_NAME_MAX] = "";
    store_dummy(media, 1, tones);
    v = call_model(&p, ev, s, 7, "builtin-sphinx", MEDIA_AUDIO, tones);
    printf("  tones -> sphinx: %s\n", v ? v : "-");
    if (have("builtin-sphinx"))
        CHECK(v && v[0]);

    /* Failures answer from the loop, not retryable: wrong input type, missing media, a PNG to
     * the recogniser. */
    CHECK_EQ_INT(invoke(&p, s, 8, "builtin-sphinx", MEDIA_TEXT, "hello"), 0);
    CHECK_EQ_INT(invoke(&p, s, 9, "builtin-tesseract", MEDIA_IMAGE,
                        "0000000000000000000000000000000000000000000000000000000000000000.png"),
                 0);
    CHECK_EQ_INT(invoke(&p, s, 10, "builtin-sphinx", MEDIA_AUDIO, image), 0);
    CHECK_EQ_INT(s->during_invoke, 0);
    for (int64_t id = 8; id <= 10; id++) {
        int i = wait_answer(ev, s, id, 10000);
        CHECK(i >= 0);
        if (i >= 0) {
            CHECK_EQ_INT(s->a[i].ok, 0);
            CHECK_EQ_INT(s->a[i].retryable, 0);
            printf("  expected failure: %s\n", s->a[i].value);
        }
    }

    /* Cancel: queue two recognitions and a parrot, cancel the second (queued) and the first
     * (likely running); only the parrot answers. Without the recogniser the two fail early and
     * the cancels drop their answers all the same. */
    CHECK_EQ_INT(invoke(&p, s, 11, "builtin-sphinx", MEDIA_AUDIO, audio), 0);
    CHECK_EQ_INT(invoke(&p, s, 12, "builtin-sphinx", MEDIA_AUDIO, audio), 0);
    CHECK_EQ_INT(invoke(&p, s, 13, "builtin-parrot", MEDIA_TEXT, "after the cancels"), 0);
    CHECK(builtin_platform_busy(p.self) >= 2);
    s->in_invoke = 1;
    p.ops->cancel(p.self, 12);
    p.ops->cancel(p.self, 11);
    p.ops->cancel(p.self, 4242); /* unknown: a no-op */
    s->in_invoke = 0;
    CHECK(answer_ok(s, wait_answer(ev, s, 13, 20000), MEDIA_TEXT) != NULL);
    int64_t end = time_mono_ms() + 20000;
    while (builtin_platform_busy(p.self) && time_mono_ms() < end)
        ev_run_once(ev, 50);
    ev_run_once(ev, 10);
    CHECK_EQ_INT(builtin_platform_busy(p.self), 0);
    CHECK_EQ_INT(find_answer(s, 11), -1);
    CHECK_EQ_INT(find_answer(s, 12), -1);
    CHECK_EQ_INT(s->during_invoke, 0);

    /* Free with calls queued and one running: no answers, nothing leaks, no hang. */
    int answered = s->n;
    CHECK_EQ_INT(invoke(&p, s, 20, "builtin-sphinx", MEDIA_AUDIO, audio), 0);
    CHECK_EQ_INT(invoke(&p, s, 21, "builtin-tesseract", MEDIA_IMAGE, image), 0);
    CHECK_EQ_INT(invoke(&p, s, 22, "builtin-type", MEDIA_TEXT, "never drawn"), 0);
    int64_t t0 = time_mono_ms();
    p.ops->free(p.self);
    printf("  free with 3 calls in flight: %lld ms\n", (long long)(time_mono_ms() - t0));
    ev_run_once(ev, 10);
    CHECK_EQ_INT(s->n, answered);

    /* A second platform after the first: prewarm, then a call. */
    p = builtin_platform_new(&env);
    CHECK_EQ_INT(builtin_platform_prewarm(p.self), 0);
    v = call_model(&p, ev, s, 30, "builtin-espeak", MEDIA_TEXT, "second life");
    if (have("builtin-espeak"))
        CHECK(v != NULL);
    p.ops->free(p.self);

    /* A platform that never started its worker frees at once. */
    p = builtin_platform_new(&env);
    p.ops->free(p.self);

    free(s);
    ev_free(ev);
    media_close(media);
}

int main(int argc, char **argv)
{
    (void)argc;
    builtin_reexec_with_env(argv); /* OMP_THREAD_LIMIT=1 before libgomp loads */
    snprintf(tmpdir, sizeof tmpdir, "/tmp/panic-builtin-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_catalog);
    RUN(test_wav);
    RUN(test_describe);
    RUN(test_parrot);
    RUN(test_speech_roundtrip);
    RUN(test_espeak_variation);
    RUN(test_type_and_read);
    RUN(test_platform);
    remove_tree(tmpdir);
    TEST_END("test_builtin");
}
