/* bench_builtin.c: the builtin platform's offline models, timed through the platform's own ops on
 * a real event loop with a media store in a throw-away directory (so each time includes the
 * worker handoff, the engine and storing the output), in this process. It prints one table and
 * never fails on a time; it exits non-zero only if a model that this build has could not answer.
 *
 *   1. per model: the first call (which loads the engine) and the median, min and max of NCALLS
 *      more calls on varied inputs, with the growth of this process's RSS across them;
 *   2. the default offline loop type -> tesseract -> espeak -> sphinx, run for LOOP_SECONDS with
 *      each output fed to the next model: invocations per minute, and the drift of the text;
 *   3. the text loop type -> tesseract -> parrot, and the five-model loop parrot -> type ->
 *      tesseract -> espeak -> sphinx (which, unlike the four-model one, does not settle on a
 *      fixed point: the parrot brings new words every time), for LOOP_SECONDS each;
 *   4. all the while, a 10 ms loop timer measures how late the event loop runs (the worker must
 *      never stall it; what remains is storing media on the loop).
 *
 * Environment: PANIC_BENCH_DIR (where the temporary state dir goes, default $TMPDIR or /tmp).
 * Run from the repo root (or with the font installed) so builtin-type finds DepartureMono. */
#include "common/buf.h"
#include "common/ev.h"
#include "common/util.h"
#include "coordinator/platforms/builtin/builtin.h"
#include "coordinator/core/catalog.h"
#include "coordinator/platforms/dummy/dummy_media.h"
#include "coordinator/store/media.h"

#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NCALLS 5
#define LOOP_SECONDS 15
#define CALL_TIMEOUT_MS 60000
#define TICK_MS 10
#define LATE_MS 20
#define MAX_ROWS 32

static int failures;
static char rows[MAX_ROWS][2][256];
static int nrows;

static void row(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void row(const char *name, const char *fmt, ...)
{
    if (nrows == MAX_ROWS)
        return;
    snprintf(rows[nrows][0], sizeof rows[nrows][0], "%s", name);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rows[nrows][1], sizeof rows[nrows][1], fmt, ap);
    va_end(ap);
    nrows++;
}

static void print_table(void)
{
    int w = 9;
    for (int i = 0; i < nrows; i++)
        if ((int)strlen(rows[i][0]) > w)
            w = (int)strlen(rows[i][0]);
    printf("\n%-*s  %s\n", w, "benchmark", "value");
    for (int i = 0; i < nrows; i++)
        printf("%-*s  %s\n", w, rows[i][0], rows[i][1]);
    fflush(stdout);
}

static double rss_mib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, res = 0;
    if (!f)
        return NAN;
    if (fscanf(f, "%ld %ld", &pages, &res) != 2)
        res = 0;
    fclose(f);
    return (double)res * (double)sysconf(_SC_PAGESIZE) / (1024.0 * 1024.0);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                char child[1024];
                snprintf(child, sizeof child, "%s/%s", path, e->d_name);
                remove_tree(child);
            }
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* ---- the platform on a loop ---- */

struct bench {
    struct ev *ev;
    struct media_store *media;
    struct platform p;
    int64_t next_id;
    /* the last answer */
    int answered;
    int ok;
    char value[1024];
    /* loop lateness */
    uint64_t tick;
    int64_t tick_due;
    int64_t worst_late;
    long ticks, late_ticks;
};

static void on_done(void *owner, const struct platform_call *call, const struct runner_io *out,
                    const char *error, int retryable)
{
    (void)call;
    (void)retryable;
    struct bench *b = owner;
    b->answered = 1;
    b->ok = out != NULL;
    snprintf(b->value, sizeof b->value, "%s", out ? out->value : error);
}

static void on_tick(struct ev *ev, uint64_t id, void *data)
{
    (void)id;
    struct bench *b = data;
    int64_t late = time_mono_ms() - b->tick_due;
    if (late > b->worst_late)
        b->worst_late = late;
    b->ticks++;
    b->late_ticks += late > LATE_MS;
    b->tick_due = time_mono_ms() + TICK_MS;
    b->tick = ev_timer_in(ev, TICK_MS, on_tick, b);
}

/* One call, waited for on the loop: 0 and b->value, or -1 (printed). *ms gets the time. */
static int call(struct bench *b, const char *model, const char *input, double *ms)
{
    const struct model_info *m = catalog_find(model);
    struct platform_call c = {1, 1, ++b->next_id, m, {m->input, input}, 0};
    b->answered = 0;
    int64_t t0 = time_mono_ms();
    if (b->p.ops->invoke(b->p.self, &c) < 0) {
        fprintf(stderr, "bench_builtin: %s: invoke refused\n", model);
        return -1;
    }
    while (!b->answered && time_mono_ms() - t0 < CALL_TIMEOUT_MS)
        ev_run_once(b->ev, 100);
    *ms = (double)(time_mono_ms() - t0);
    if (!b->answered || !b->ok) {
        fprintf(stderr, "bench_builtin: %s: %s\n", model, b->answered ? b->value : "timed out");
        return -1;
    }
    return 0;
}

static const char *const texts[] = {
    "the machines are listening to each other in the dark",
    "PANIC GALLERY OPEN LATE",
    "a lighthouse in a storm, oil painting",
    "welcome to the panic gallery, where the models talk to themselves",
    "nine ravens over a frozen lake at dawn",
    "a robot reading a poem to an empty room",
};

/* Inputs for model: text, or media made by the other builtin models (or the dummy's). */
static void make_input(struct bench *b, const struct model_info *m, int k, char *out, size_t len)
{
    const char *text = texts[(size_t)k % ARRAY_LEN(texts)];
    double ms;
    if (m->input == MEDIA_TEXT) {
        snprintf(out, len, "%s", text);
        return;
    }
    const char *maker = m->input == MEDIA_IMAGE ? "builtin-type" : "builtin-flite";
    char why[256];
    if (builtin_model_available(b->p.self, catalog_find(maker), why, sizeof why) &&
        call(b, maker, text, &ms) == 0) {
        snprintf(out, len, "%s", b->value);
        return;
    }
    struct buf media = BUF_INIT;
    char name[MEDIA_NAME_MAX] = "";
    if (m->input == MEDIA_IMAGE)
        dummy_png(text, strlen(text), 640, 360, &media);
    else
        dummy_wav(text, strlen(text), 3000, &media);
    media_put(b->media, media.data, media.len, m->input == MEDIA_IMAGE ? "png" : "wav", name,
              sizeof name);
    buf_free(&media);
    snprintf(out, len, "%s", name);
}

static void bench_model(struct bench *b, const struct model_info *m)
{
    char why[256], name[96];
    snprintf(name, sizeof name, "%s", m->id);
    if (!builtin_model_available(b->p.self, m, why, sizeof why)) {
        row(name, "unavailable: %s", why);
        return;
    }
    char inputs[NCALLS + 1][1024];
    for (int k = 0; k <= NCALLS; k++)
        make_input(b, m, k, inputs[k], sizeof inputs[k]);
    double rss0 = rss_mib(), first = 0, t[NCALLS];
    if (call(b, m->id, inputs[0], &first) < 0) {
        failures++;
        row(name, "FAILED: %s", b->value);
        return;
    }
    for (int k = 0; k < NCALLS; k++) {
        if (call(b, m->id, inputs[k + 1], &t[k]) < 0) {
            failures++;
            row(name, "FAILED: %s", b->value);
            return;
        }
    }
    double rss1 = rss_mib();
    qsort(t, NCALLS, sizeof t[0], cmp_double);
    row(name,
        "first %.0f ms (loads the engine), then median %.0f ms (min %.0f, max %.0f, n=%d); "
        "RSS +%.1f MiB",
        first, t[NCALLS / 2], t[0], t[NCALLS - 1], NCALLS, rss1 - rss0);
}

/* Run the models in a cycle, each output the next input, for LOOP_SECONDS. */
static void bench_loop(struct bench *b, const char *label, const char *const *models, size_t n,
                       const char *genesis)
{
    char why[256];
    for (size_t i = 0; i < n; i++) {
        if (!builtin_model_available(b->p.self, catalog_find(models[i]), why, sizeof why)) {
            row(label, "skipped: %s: %s", models[i], why);
            return;
        }
    }
    char input[1024];
    snprintf(input, sizeof input, "%s", genesis);
    printf("\n%s, genesis: %s\n", label, genesis);
    b->worst_late = 0;
    b->ticks = b->late_ticks = 0;
    int64_t t0 = time_mono_ms();
    long calls = 0;
    double ms;
    while (time_mono_ms() - t0 < LOOP_SECONDS * 1000) {
        const struct model_info *m = catalog_find(models[(size_t)calls % n]);
        if (call(b, m->id, input, &ms) < 0) {
            failures++;
            row(label, "FAILED at %s: %s", m->id, b->value);
            return;
        }
        calls++;
        snprintf(input, sizeof input, "%s", b->value);
        if (m->output == MEDIA_TEXT && (calls <= 4 * (long)n || calls % (8 * (long)n) == 0))
            printf("  %4ld %-18s %s\n", calls, m->id, input);
    }
    double secs = (double)(time_mono_ms() - t0) / 1000.0;
    row(label,
        "%.0f invocations/min (%ld in %.1f s, %.2f s each); loop timer late by at most %lld ms, "
        "%ld of %ld ticks later than %d ms",
        60.0 * (double)calls / secs, calls, secs, secs / (double)calls, (long long)b->worst_late,
        b->late_ticks, b->ticks, LATE_MS);
}

int main(int argc, char **argv)
{
    (void)argc;
    builtin_reexec_with_env(argv);
    const char *base = getenv("PANIC_BENCH_DIR");
    if (!base)
        base = getenv("TMPDIR");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/panic-bench-builtin-XXXXXX", base ? base : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char err[256];
    struct bench *b = calloc(1, sizeof *b);
    b->ev = ev_new();
    b->media = media_open(dir, err, sizeof err);
    if (!b->media) {
        fprintf(stderr, "bench_builtin: %s\n", err);
        return 1;
    }
    struct platform_env env = {b->ev, NULL, b->media, NULL, on_done, b, NULL};
    b->p = builtin_platform_new(&env);
    b->tick_due = time_mono_ms() + TICK_MS;
    b->tick = ev_timer_in(b->ev, TICK_MS, on_tick, b);

    row("process RSS at start", "%.1f MiB", rss_mib());
    for (size_t i = 0; i < builtin_models_count; i++)
        bench_model(b, &builtin_models[i]);
    row("process RSS with every engine loaded", "%.1f MiB", rss_mib());

    static const char *const loop4[] = {"builtin-type", "builtin-tesseract", "builtin-espeak",
                                        "builtin-sphinx"};
    bench_loop(b, "loop type>tesseract>espeak>sphinx", loop4, ARRAY_LEN(loop4),
               "the machines are listening to each other in the dark");
    static const char *const loop3[] = {"builtin-type", "builtin-tesseract", "builtin-parrot"};
    bench_loop(b, "loop type>tesseract>parrot", loop3, ARRAY_LEN(loop3), "a lighthouse in a storm");
    static const char *const loop5[] = {"builtin-parrot", "builtin-type", "builtin-tesseract",
                                        "builtin-espeak", "builtin-sphinx"};
    bench_loop(b, "loop parrot>type>tesseract>espeak>sphinx", loop5, ARRAY_LEN(loop5),
               "the machines are listening to each other in the dark");
    row("process RSS after the loops", "%.1f MiB", rss_mib());

    print_table();
    ev_timer_del(b->ev, b->tick);
    b->p.ops->free(b->p.self);
    media_close(b->media);
    ev_free(b->ev);
    free(b);
    remove_tree(dir);
    return failures ? 1 : 0;
}
