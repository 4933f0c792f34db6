/* builtin_sphinx.c: speech recognition with pocketsphinx 5prealpha (the API Debian bookworm and
 * trixie both ship) and its en-us model. The decoder is loaded once (about 0.6 s, 100 MB) and
 * reused for every utterance; audio arrives already decoded to 16 kHz mono (builtin_wav.c) and is
 * fed in half-second chunks so a cancelled call stops early. Optional at build time
 * (PANIC_HAVE_SPHINX). One thread owns a decoder; nothing here knows about the loop or media. */
#include "builtin_engines.h"
#include "common/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifdef PANIC_HAVE_SPHINX
#include <pocketsphinx.h>
#endif

#define CHUNK (BUILTIN_ASR_RATE / 2)

int builtin_sphinx_check(const char *model_dir, char *why, size_t whylen)
{
#ifdef PANIC_HAVE_SPHINX
    static const char *const parts[] = {"en-us/mdef", "en-us.lm.bin", "cmudict-en-us.dict"};
    for (size_t i = 0; i < ARRAY_LEN(parts); i++) {
        char path[1024];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", model_dir, parts[i]);
        if (stat(path, &st) < 0) {
            snprintf(why, whylen, "pocketsphinx: no %s (install pocketsphinx-en-us)", path);
            return 0;
        }
    }
    return 1;
#else
    (void)model_dir;
    snprintf(why, whylen, "this panicd was built without pocketsphinx (libpocketsphinx-dev)");
    return 0;
#endif
}

#ifdef PANIC_HAVE_SPHINX

struct builtin_sphinx {
    cmd_ln_t *cfg;
    ps_decoder_t *ps;
};

struct builtin_sphinx *builtin_sphinx_open(const char *model_dir, char *err, size_t errlen)
{
    if (!builtin_sphinx_check(model_dir, err, errlen))
        return NULL;
    char hmm[1024], lm[1024], dict[1024];
    snprintf(hmm, sizeof hmm, "%s/en-us", model_dir);
    snprintf(lm, sizeof lm, "%s/en-us.lm.bin", model_dir);
    snprintf(dict, sizeof dict, "%s/cmudict-en-us.dict", model_dir);
    /* -logfn keeps its chatter (hundreds of lines per load) out of the journal. */
    cmd_ln_t *cfg = cmd_ln_init(NULL, ps_args(), TRUE, "-hmm", hmm, "-lm", lm, "-dict", dict,
                                "-logfn", "/dev/null", NULL);
    if (!cfg) {
        snprintf(err, errlen, "pocketsphinx: bad configuration for %s", model_dir);
        return NULL;
    }
    ps_decoder_t *ps = ps_init(cfg);
    if (!ps) {
        cmd_ln_free_r(cfg);
        snprintf(err, errlen, "pocketsphinx: cannot load the model in %s", model_dir);
        return NULL;
    }
    struct builtin_sphinx *s = xcalloc(1, sizeof *s);
    s->cfg = cfg;
    s->ps = ps;
    return s;
}

int builtin_sphinx_decode(struct builtin_sphinx *s, const int16_t *pcm, size_t n,
                          const atomic_int *stop, char **text, char *err, size_t errlen)
{
    *text = NULL;
    if (ps_start_utt(s->ps) < 0) {
        snprintf(err, errlen, "pocketsphinx: cannot start an utterance");
        return -EIO;
    }
    for (size_t off = 0; off < n; off += CHUNK) {
        if (stop && atomic_load(stop)) {
            ps_end_utt(s->ps);
            snprintf(err, errlen, "pocketsphinx: cancelled");
            return -ECANCELED;
        }
        size_t len = MIN((size_t)CHUNK, n - off);
        if (ps_process_raw(s->ps, pcm + off, len, FALSE, FALSE) < 0) {
            ps_end_utt(s->ps);
            snprintf(err, errlen, "pocketsphinx: decoding failed");
            return -EIO;
        }
    }
    if (ps_end_utt(s->ps) < 0) {
        snprintf(err, errlen, "pocketsphinx: decoding failed");
        return -EIO;
    }
    int32 score = 0;
    const char *hyp = ps_get_hyp(s->ps, &score);
    *text = xstrdup(hyp ? hyp : "");
    return 0;
}

void builtin_sphinx_close(struct builtin_sphinx *s)
{
    if (!s)
        return;
    ps_free(s->ps);
    cmd_ln_free_r(s->cfg);
    free(s);
}

#else

struct builtin_sphinx *builtin_sphinx_open(const char *model_dir, char *err, size_t errlen)
{
    builtin_sphinx_check(model_dir, err, errlen);
    return NULL;
}

int builtin_sphinx_decode(struct builtin_sphinx *s, const int16_t *pcm, size_t n,
                          const atomic_int *stop, char **text, char *err, size_t errlen)
{
    (void)s;
    (void)pcm;
    (void)n;
    (void)stop;
    *text = NULL;
    builtin_sphinx_check(NULL, err, errlen);
    return -ENOSYS;
}

void builtin_sphinx_close(struct builtin_sphinx *s)
{
    (void)s;
}

#endif
