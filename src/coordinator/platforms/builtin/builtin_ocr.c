/* builtin_ocr.c: the builtin reader. tesseract (English, LSTM) reads the text in a picture that
 * leptonica loads from the media store. When it finds none worth the name (see
 * builtin_engines.h: on pictures without text tesseract returns junk at confidence 0-50) the
 * answer is builtin_describe_rgb's sentence about the picture instead, so an image->text hop
 * never stalls a loop. The tesseract handle is initialised once
 * and reused. Optional at build time (PANIC_HAVE_TESSERACT). One thread owns a handle; nothing
 * here knows about the loop or the media store's names.
 *
 * OpenMP: tesseract's LSTM asks for 4 threads per parallel region and libgomp reads
 * OMP_THREAD_LIMIT once, when it is loaded, so the limit must be in the environment before the
 * process starts (see builtin_reexec_with_env in builtin.h); setting it here would do nothing. */
#include "builtin_engines.h"
#include "common/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifdef PANIC_HAVE_TESSERACT
#include <leptonica/allheaders.h>
#include <tesseract/capi.h>
#endif

/* The describer samples at most this wide/high; more would only cost time. */
#define DESCRIBE_SIDE 320
/* One picture never takes longer than this; tesseract stops and returns what it has. */
#define OCR_DEADLINE_MS 20000
/* Screen-like pictures: tesseract's guess without a value is noisy and logs a warning. */
#define OCR_PPI 96

int builtin_ocr_check(char *why, size_t whylen)
{
#ifdef PANIC_HAVE_TESSERACT
    const char *env = getenv("TESSDATA_PREFIX");
    const char *dirs[] = {env, "/usr/share/tesseract-ocr/5/tessdata",
                          "/usr/share/tesseract-ocr/4.00/tessdata", "/usr/share/tessdata",
                          "/usr/local/share/tessdata"};
    for (size_t i = 0; i < ARRAY_LEN(dirs); i++) {
        char path[1024];
        struct stat st;
        if (!dirs[i])
            continue;
        snprintf(path, sizeof path, "%s/eng.traineddata", dirs[i]);
        if (stat(path, &st) == 0)
            return 1;
    }
    snprintf(why, whylen, "tesseract: no eng.traineddata (install tesseract-ocr-eng)");
    return 0;
#else
    snprintf(why, whylen, "this panicd was built without tesseract (libtesseract-dev)");
    return 0;
#endif
}

#ifdef PANIC_HAVE_TESSERACT

/* Append word (UTF-8 from tesseract) to out if it holds a letter or a digit (lone "|", "~~" and
 * "=" are what the engine makes of shape edges) and out stays within BUILTIN_OCR_MAX. Counts its
 * letters into *alpha (ASCII letters and non-ASCII code points, which in English text are
 * accented letters). */
static void add_word(struct buf *out, const char *word, int *alpha)
{
    int letters = 0, alnum = 0;
    for (const unsigned char *p = (const unsigned char *)word; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p >= 0xc0)
            letters++;
        if (letters || (*p >= '0' && *p <= '9'))
            alnum = 1;
    }
    if (!alnum || out->len + 1 + strlen(word) > BUILTIN_OCR_MAX)
        return;
    if (out->len)
        buf_append(out, " ", 1);
    for (const unsigned char *p = (const unsigned char *)word; *p; p++)
        buf_append(out, *p < ' ' ? " " : (const char *)p, 1);
    *alpha += letters;
}

struct builtin_ocr {
    TessBaseAPI *api;
    ETEXT_DESC *monitor;
    uint8_t *rgb; /* DESCRIBE_SIDE^2 * 3 bytes, reused */
};

struct builtin_ocr *builtin_ocr_open(char *err, size_t errlen)
{
    if (!builtin_ocr_check(err, errlen))
        return NULL;
    setMsgSeverity(L_SEVERITY_NONE); /* leptonica would print every unreadable file */
    TessBaseAPI *api = TessBaseAPICreate();
    if (TessBaseAPIInit3(api, NULL, "eng") != 0) {
        TessBaseAPIDelete(api);
        snprintf(err, errlen, "tesseract: cannot load English (eng.traineddata)");
        return NULL;
    }
    TessBaseAPISetVariable(api, "debug_file", "/dev/null");
    struct builtin_ocr *o = xcalloc(1, sizeof *o);
    o->api = api;
    o->monitor = TessMonitorCreate();
    o->rgb = xmalloc((size_t)DESCRIBE_SIDE * DESCRIBE_SIDE * 3);
    return o;
}

static bool ocr_should_stop(void *stop, int words)
{
    (void)words;
    return stop && atomic_load((const atomic_int *)stop);
}

/* Nearest-neighbour sample of pix (32 bpp) into o->rgb, at most DESCRIBE_SIDE on a side. */
static char *describe_pix(struct builtin_ocr *o, PIX *pix32)
{
    int w = (int)pixGetWidth(pix32), h = (int)pixGetHeight(pix32);
    int sw = MIN(w, DESCRIBE_SIDE), sh = MIN(h, DESCRIBE_SIDE);
    for (int y = 0; y < sh; y++) {
        for (int x = 0; x < sw; x++) {
            l_int32 r = 0, g = 0, b = 0;
            pixGetRGBPixel(pix32, (l_int32)((long)x * w / sw), (l_int32)((long)y * h / sh), &r, &g,
                           &b);
            uint8_t *p = o->rgb + ((size_t)y * (size_t)sw + (size_t)x) * 3;
            p[0] = (uint8_t)r;
            p[1] = (uint8_t)g;
            p[2] = (uint8_t)b;
        }
    }
    return builtin_describe_rgb(o->rgb, sw, sh);
}

int builtin_ocr_read(struct builtin_ocr *o, const char *path, const atomic_int *stop, char **text,
                     int *described, int *conf, char *err, size_t errlen)
{
    int rc = 0;
    PIX *pix = NULL, *pix32 = NULL;
    *text = NULL;
    *described = 0;
    pix = pixRead(path);
    if (!pix) {
        snprintf(err, errlen, "tesseract: cannot read the picture (not an image leptonica knows)");
        rc = -EINVAL;
        goto cleanup;
    }
    pix32 = pixConvertTo32(pix);
    if (!pix32) {
        snprintf(err, errlen, "tesseract: cannot convert the picture to RGB");
        rc = -EINVAL;
        goto cleanup;
    }
    TessBaseAPISetImage2(o->api, pix32);
    TessBaseAPISetSourceResolution(o->api, OCR_PPI);
    TessMonitorSetCancelFunc(o->monitor, ocr_should_stop);
    TessMonitorSetCancelThis(o->monitor, (void *)(uintptr_t)stop);
    TessMonitorSetDeadlineMSecs(o->monitor, OCR_DEADLINE_MS);
    if (TessBaseAPIRecognize(o->api, o->monitor) != 0 && stop && atomic_load(stop)) {
        snprintf(err, errlen, "tesseract: cancelled");
        rc = -ECANCELED;
        goto cleanup;
    }
    /* The rule: mean confidence under BUILTIN_OCR_MIN_CONF means no text. But tesseract also
     * reads the edges of shapes as junk words (confidence 0-50) that drag a good line's mean
     * down, so below the threshold the words that are themselves above it still count. Words
     * without a letter or digit ("|", "~~", "=") never do. */
    int mean = TessBaseAPIMeanTextConf(o->api);
    int strict = mean < BUILTIN_OCR_MIN_CONF;
    struct buf found = BUF_INIT;
    int alpha = 0, nwords = 0;
    float sum = 0;
    TessResultIterator *it = TessBaseAPIGetIterator(o->api);
    if (it) {
        TessPageIterator *pit = TessResultIteratorGetPageIterator(it);
        do {
            char *w = TessResultIteratorGetUTF8Text(it, RIL_WORD);
            float c = TessResultIteratorConfidence(it, RIL_WORD);
            if (w && (!strict || c >= BUILTIN_OCR_MIN_CONF)) {
                size_t before = found.len;
                add_word(&found, w, &alpha);
                if (found.len != before) {
                    sum += c;
                    nwords++;
                }
            }
            if (w)
                TessDeleteText(w);
        } while (TessPageIteratorNext(pit, RIL_WORD));
        TessResultIteratorDelete(it);
    }
    if (conf)
        *conf = !strict ? mean : nwords ? (int)(sum / (float)nwords + 0.5f) : 0;
    if (alpha >= BUILTIN_OCR_MIN_ALPHA && utf8_valid(found.data, found.len)) {
        *text = buf_steal(&found);
    } else {
        *text = describe_pix(o, pix32);
        *described = 1;
    }
    buf_free(&found);
cleanup:
    TessBaseAPIClear(o->api);
    pixDestroy(&pix32);
    pixDestroy(&pix);
    return rc;
}

void builtin_ocr_close(struct builtin_ocr *o)
{
    if (!o)
        return;
    TessMonitorDelete(o->monitor);
    TessBaseAPIEnd(o->api);
    TessBaseAPIDelete(o->api);
    free(o->rgb);
    free(o);
}

#else

struct builtin_ocr *builtin_ocr_open(char *err, size_t errlen)
{
    builtin_ocr_check(err, errlen);
    return NULL;
}

int builtin_ocr_read(struct builtin_ocr *o, const char *path, const atomic_int *stop, char **text,
                     int *described, int *conf, char *err, size_t errlen)
{
    (void)o;
    (void)path;
    (void)stop;
    (void)conf;
    *text = NULL;
    *described = 0;
    builtin_ocr_check(err, errlen);
    return -ENOSYS;
}

void builtin_ocr_close(struct builtin_ocr *o)
{
    (void)o;
}

#endif
