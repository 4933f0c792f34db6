/* builtin.c: the builtin platform: offline models (builtin_engines.h) behind the platform ops.
 *
 * One worker thread runs every call in order; the loop thread never waits for a model. The
 * handoff, and the only state both threads touch, is `shared` below, always under its mutex:
 * a FIFO of queued jobs (loop -> worker), the job in progress, a FIFO of finished jobs
 * (worker -> loop), the stop flag and the engines' load errors. After appending a finished job
 * the worker writes a byte to a pipe the loop watches (ev_fd_add); the loop then takes the whole
 * finished list, stores media outputs (the media store is only ever used from the loop thread)
 * and calls env->done, so answers always come from the loop, never from inside invoke/cancel.
 * A job belongs to exactly one of: the queue, the worker, the finished list, the loop's
 * delivery list; whoever holds it may read and write its result fields, and the mutex orders
 * every move. The one exception is job->cancelled, an atomic the loop sets and the worker polls
 * so a recognition or OCR in progress stops early.
 *
 * Engines (espeak-ng, flite, pocketsphinx, tesseract, FreeType) are opened on the worker, once,
 * on first use or by builtin_platform_prewarm, and closed there when the platform is freed:
 * espeak-ng and flite keep thread-unsafe global state, so they must stay on one thread (a
 * second platform's worker may take them over only after the first has let go).
 * Depends on ev and the media store; never on HTTP, sqlite or the runner. */
#include "builtin.h"
#include "builtin_engines.h"
#include "common/ev.h"
#include "common/file.h"
#include "common/log.h"
#include "common/util.h"
#include "coordinator/store/media.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define INPUT_MAX_BYTES (64 << 20) /* an audio input larger than this is refused */

enum engine { ENG_ESPEAK, ENG_FLITE, ENG_SPHINX, ENG_OCR, ENG_TYPE, ENG_PARROT, ENG_COUNT };

/* builtin_catalog.c's `path` of each model is the engine's name here. */
static const char *const engine_names[ENG_COUNT] = {"espeak-ng", "flite", "pocketsphinx",
                                                    "tesseract", "type",  "parrot"};

struct job {
    struct platform_call call; /* call.input.value points at input */
    char *input;               /* owned copy of the input value (text or media name) */
    char *path;                /* owned: the input media's file, or NULL for text */
    enum engine engine;
    int warm; /* prewarm: load the engines, answer nobody */
    atomic_int cancelled;
    /* The result, written by whoever holds the job (see the top of the file). */
    int rc;
    int retryable;
    char err[PANIC_ERR_LEN];
    char *text;       /* text output, owned */
    struct buf media; /* media output bytes */
    const char *ext;  /* "png" or "wav" when media holds an output */
    struct job *next;
};

struct engines { /* worker thread only */
    struct builtin_espeak *espeak;
    struct builtin_flite *flite;
    struct builtin_sphinx *sphinx;
    struct builtin_ocr *ocr;
    struct builtin_type *type;
};

struct builtin {
    /* Loop thread only. */
    struct ev *ev;
    struct media_store *media;
    platform_done_fn done;
    void *owner;
    struct job *delivering; /* taken from shared.finished, being handed to done */
    int started;
    pthread_t thread;
    /* Set at construction, then read-only: safe from both threads. */
    int pipe_rd, pipe_wr;
    char broken[PANIC_ERR_LEN]; /* non-empty if the platform could not be set up */

    struct {
        pthread_mutex_t mu;
        pthread_cond_t cv;
        struct job *queue, **queue_tail;
        struct job *running;
        struct job *finished, **finished_tail;
        int stop;
        char load_err[ENG_COUNT][PANIC_ERR_LEN]; /* "" until an engine fails to load */
    } shared;

    struct engines eng; /* worker thread only */
};

static void job_free(struct job *j)
{
    if (!j)
        return;
    free(j->input);
    free(j->path);
    free(j->text);
    buf_free(&j->media);
    free(j);
}

static void job_list_free(struct job *j)
{
    while (j) {
        struct job *next = j->next;
        job_free(j);
        j = next;
    }
}

static int engine_of(const struct model_info *m)
{
    if (!m || !m->platform || strcmp(m->platform, "builtin") != 0 || !m->path)
        return -1;
    for (int e = 0; e < ENG_COUNT; e++)
        if (!strcmp(m->path, engine_names[e]))
            return e;
    return -1;
}

/* Whether the engine can be built and its data is installed; any thread. */
static int engine_check(enum engine e, char *why, size_t whylen)
{
    switch (e) {
    case ENG_ESPEAK:
        return builtin_espeak_check(why, whylen);
    case ENG_FLITE:
        return builtin_flite_check(why, whylen);
    case ENG_SPHINX:
        return builtin_sphinx_check(BUILTIN_SPHINX_MODEL, why, whylen);
    case ENG_OCR:
        return builtin_ocr_check(why, whylen);
    case ENG_TYPE:
        return builtin_type_check(why, whylen);
    default:
        return 1; /* the parrot is pure C */
    }
}

/* engine_check plus a load that failed earlier; loop thread (takes the mutex). */
static int engine_usable(struct builtin *b, enum engine e, char *why, size_t whylen)
{
    if (!engine_check(e, why, whylen))
        return 0;
    pthread_mutex_lock(&b->shared.mu);
    int ok = b->shared.load_err[e][0] == '\0';
    if (!ok)
        snprintf(why, whylen, "%s", b->shared.load_err[e]);
    pthread_mutex_unlock(&b->shared.mu);
    return ok;
}

/* ---- the worker ---- */

/* The engine's handle, opened on first use; NULL with the reason (remembered: a model that
 * failed to load is not retried until panicd restarts). Worker thread only. */
static void *engine_get(struct builtin *b, enum engine e, char *err, size_t errlen)
{
    struct engines *g = &b->eng;
    void *h = NULL;
    switch (e) {
    case ENG_ESPEAK:
        h = g->espeak;
        break;
    case ENG_FLITE:
        h = g->flite;
        break;
    case ENG_SPHINX:
        h = g->sphinx;
        break;
    case ENG_OCR:
        h = g->ocr;
        break;
    case ENG_TYPE:
        h = g->type;
        break;
    default:
        return b; /* the parrot needs no handle */
    }
    if (h)
        return h;
    pthread_mutex_lock(&b->shared.mu);
    int failed = b->shared.load_err[e][0] != '\0';
    if (failed)
        snprintf(err, errlen, "%s", b->shared.load_err[e]);
    pthread_mutex_unlock(&b->shared.mu);
    if (failed)
        return NULL;

    int64_t t0 = time_mono_ms();
    switch (e) {
    case ENG_ESPEAK:
        h = g->espeak = builtin_espeak_open(err, errlen);
        break;
    case ENG_FLITE:
        h = g->flite = builtin_flite_open(err, errlen);
        break;
    case ENG_SPHINX:
        h = g->sphinx = builtin_sphinx_open(BUILTIN_SPHINX_MODEL, err, errlen);
        break;
    case ENG_OCR:
        h = g->ocr = builtin_ocr_open(err, errlen);
        break;
    case ENG_TYPE:
        h = g->type = builtin_type_open(NULL, err, errlen);
        break;
    default:
        break;
    }
    if (!h) {
        pthread_mutex_lock(&b->shared.mu);
        snprintf(b->shared.load_err[e], sizeof b->shared.load_err[e], "%s", err);
        pthread_mutex_unlock(&b->shared.mu);
    } else {
        log_info("builtin engine loaded engine=%s ms=%lld", engine_names[e],
                 (long long)(time_mono_ms() - t0));
    }
    return h;
}

static void engines_close(struct engines *g)
{
    builtin_espeak_close(g->espeak);
    builtin_flite_close(g->flite);
    builtin_sphinx_close(g->sphinx);
    builtin_ocr_close(g->ocr);
    builtin_type_close(g->type);
    memset(g, 0, sizeof *g);
}

static int read_input(const char *path, struct buf *out, char *err, size_t errlen)
{
    char why[PANIC_ERR_LEN / 2];
    int rc = file_read(path, INPUT_MAX_BYTES, 0, out, why, sizeof why);
    if (rc < 0)
        snprintf(err, errlen, "cannot read the input: %s", why);
    return rc;
}

static void run_sphinx(struct job *j, struct builtin_sphinx *s)
{
    struct buf file = BUF_INIT;
    int16_t *pcm = NULL;
    size_t n = 0;
    j->rc = read_input(j->path, &file, j->err, sizeof j->err);
    if (j->rc < 0) {
        j->retryable = 1;
        goto cleanup;
    }
    j->rc = builtin_wav_decode_16k(file.data, file.len, BUILTIN_ASR_MAX_S, &pcm, &n, j->err,
                                   sizeof j->err);
    if (j->rc < 0)
        goto cleanup;
    if (n < BUILTIN_ASR_RATE / 10) {
        j->rc = -EINVAL;
        snprintf(j->err, sizeof j->err, "the audio is empty");
        goto cleanup;
    }
    j->rc = builtin_sphinx_decode(s, pcm, n, &j->cancelled, &j->text, j->err, sizeof j->err);
    /* Nothing recognised (tones, noise, silence): say what the sound was like instead, so a
     * loop keeps going, the way the reader describes a picture without text. */
    if (j->rc == 0 && !j->text[0]) {
        free(j->text);
        j->text = builtin_describe_pcm(pcm, n, BUILTIN_ASR_RATE);
    }
cleanup:
    buf_free(&file);
    free(pcm);
}

/* Run one job on the worker; the result goes into the job. */
static void job_run(struct builtin *b, struct job *j)
{
    void *h = engine_get(b, j->engine, j->err, sizeof j->err);
    if (!h) {
        j->rc = -ENOENT;
        return;
    }
    int described = 0;
    switch (j->engine) {
    case ENG_ESPEAK:
        j->rc = builtin_espeak_say(h, j->input, (uint64_t)j->call.inv_id, &j->media, j->err,
                                   sizeof j->err);
        j->ext = "wav";
        break;
    case ENG_FLITE:
        j->rc = builtin_flite_say(h, j->input, &j->media, j->err, sizeof j->err);
        j->ext = "wav";
        break;
    case ENG_SPHINX:
        run_sphinx(j, h);
        break;
    case ENG_OCR:
        j->rc = builtin_ocr_read(h, j->path, &j->cancelled, &j->text, &described, NULL, j->err,
                                 sizeof j->err);
        break;
    case ENG_TYPE:
        j->rc = builtin_type_render(h, j->input, &j->media, j->err, sizeof j->err);
        j->ext = "png";
        break;
    default:
        j->text = builtin_parrot(j->input, (uint64_t)j->call.inv_id);
        j->rc = 0;
        break;
    }
}

static void job_warm(struct builtin *b)
{
    char why[PANIC_ERR_LEN];
    for (int e = 0; e < ENG_COUNT; e++)
        if (engine_check((enum engine)e, why, sizeof why))
            engine_get(b, (enum engine)e, why, sizeof why);
}

static void wake_loop(struct builtin *b)
{
    char c = 1;
    /* A full pipe already holds a wake-up, so EAGAIN is fine. */
    while (write(b->pipe_wr, &c, 1) < 0 && errno == EINTR)
        ;
}

static void *worker_main(void *arg)
{
    struct builtin *b = arg;
    pthread_mutex_lock(&b->shared.mu);
    for (;;) {
        while (!b->shared.queue && !b->shared.stop)
            pthread_cond_wait(&b->shared.cv, &b->shared.mu);
        if (b->shared.stop)
            break;
        struct job *j = b->shared.queue;
        b->shared.queue = j->next;
        if (!b->shared.queue)
            b->shared.queue_tail = &b->shared.queue;
        j->next = NULL;
        b->shared.running = j;
        pthread_mutex_unlock(&b->shared.mu);

        if (j->warm)
            job_warm(b);
        else
            job_run(b, j);

        pthread_mutex_lock(&b->shared.mu);
        b->shared.running = NULL;
        if (j->warm) {
            job_free(j);
            continue;
        }
        *b->shared.finished_tail = j;
        b->shared.finished_tail = &j->next;
        wake_loop(b);
    }
    pthread_mutex_unlock(&b->shared.mu);
    engines_close(&b->eng);
    return NULL;
}

/* Start the worker on first need, with every signal blocked so handlers run on the loop
 * thread. Loop thread. 0 or -errno. */
static int worker_start(struct builtin *b)
{
    if (b->started)
        return 0;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&b->thread, NULL, worker_main, b);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        log_err("builtin: cannot start the worker thread: %s", strerror(rc));
        return -rc;
    }
    b->started = 1;
    return 0;
}

/* ---- the loop side ---- */

static void deliver(struct builtin *b, struct job *j)
{
    char name[MEDIA_NAME_MAX];
    struct runner_io out = {j->call.model->output, NULL};
    if (j->rc == 0 && j->ext) {
        int rc = media_put(b->media, j->media.data, j->media.len, j->ext, name, sizeof name);
        if (rc < 0) {
            j->rc = rc;
            j->retryable = 1;
            snprintf(j->err, sizeof j->err, "could not store the output: %s", strerror(-rc));
        }
        out.value = name;
    } else {
        out.value = j->text;
    }
    if (j->rc < 0) {
        char msg[PANIC_ERR_LEN + 64];
        snprintf(msg, sizeof msg, "%s: %s", j->call.model->id, j->err[0] ? j->err : "failed");
        b->done(b->owner, &j->call, NULL, msg, j->retryable);
    } else {
        b->done(b->owner, &j->call, &out, NULL, 0);
    }
}

static void on_wake(struct ev *ev, int fd, int mask, void *data)
{
    (void)ev;
    (void)mask;
    struct builtin *b = data;
    char drain[64];
    while (read(fd, drain, sizeof drain) > 0)
        ;
    pthread_mutex_lock(&b->shared.mu);
    b->delivering = b->shared.finished;
    b->shared.finished = NULL;
    b->shared.finished_tail = &b->shared.finished;
    pthread_mutex_unlock(&b->shared.mu);
    /* done may invoke or cancel; cancel looks in b->delivering too, so pop before calling. */
    while (b->delivering) {
        struct job *j = b->delivering;
        b->delivering = j->next;
        if (!atomic_load(&j->cancelled))
            deliver(b, j);
        job_free(j);
    }
}

/* A call that fails before reaching the worker still answers from the loop: it goes straight
 * onto the finished list. Loop thread. */
static void finish_early(struct builtin *b, struct job *j, int retryable, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void finish_early(struct builtin *b, struct job *j, int retryable, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->err, sizeof j->err, fmt, ap);
    va_end(ap);
    j->rc = -EINVAL;
    j->retryable = retryable;
    pthread_mutex_lock(&b->shared.mu);
    *b->shared.finished_tail = j;
    b->shared.finished_tail = &j->next;
    pthread_mutex_unlock(&b->shared.mu);
    wake_loop(b);
}

static int builtin_invoke(void *self, const struct platform_call *call)
{
    struct builtin *b = self;
    int e = engine_of(call->model);
    if (e < 0 || !call->input.value)
        return -EINVAL;
    if (b->broken[0])
        return -EMFILE;
    struct job *j = xcalloc(1, sizeof *j);
    j->call = *call;
    j->engine = (enum engine)e;
    j->input = xstrdup(call->input.value);
    j->call.input.value = j->input;
    atomic_init(&j->cancelled, 0);

    char why[PANIC_ERR_LEN];
    if (call->input.type != call->model->input) {
        finish_early(b, j, 0, "takes %s input, not %s", media_type_name(call->model->input),
                     media_type_name(call->input.type));
        return 0;
    }
    if (!engine_usable(b, j->engine, why, sizeof why)) {
        finish_early(b, j, 0, "%s", why);
        return 0;
    }
    if (call->input.type != MEDIA_TEXT) {
        char path[4096];
        if (media_path(b->media, call->input.value, path, sizeof path) < 0) {
            finish_early(b, j, 0, "the input %s is not in the media store", call->input.value);
            return 0;
        }
        j->path = xstrdup(path);
    }
    int rc = worker_start(b);
    if (rc < 0) {
        job_free(j);
        return rc;
    }
    pthread_mutex_lock(&b->shared.mu);
    *b->shared.queue_tail = j;
    b->shared.queue_tail = &j->next;
    pthread_cond_signal(&b->shared.cv);
    pthread_mutex_unlock(&b->shared.mu);
    return 0;
}

/* Unlink the job of inv_id from list (fixing *tail if given); NULL if absent. */
static struct job *unlink_inv(struct job **list, struct job ***tail, int64_t inv_id)
{
    for (struct job **pp = list; *pp; pp = &(*pp)->next) {
        struct job *j = *pp;
        if (!j->warm && j->call.inv_id == inv_id) {
            *pp = j->next;
            if (tail && *tail == &j->next)
                *tail = pp;
            j->next = NULL;
            return j;
        }
    }
    return NULL;
}

static void builtin_cancel(void *self, int64_t inv_id)
{
    struct builtin *b = self;
    struct job *gone = NULL;
    pthread_mutex_lock(&b->shared.mu);
    gone = unlink_inv(&b->shared.queue, &b->shared.queue_tail, inv_id);
    if (!gone)
        gone = unlink_inv(&b->shared.finished, &b->shared.finished_tail, inv_id);
    if (!gone && b->shared.running && !b->shared.running->warm &&
        b->shared.running->call.inv_id == inv_id)
        atomic_store(&b->shared.running->cancelled, 1); /* dropped when it comes back */
    pthread_mutex_unlock(&b->shared.mu);
    if (!gone)
        gone = unlink_inv(&b->delivering, NULL, inv_id);
    job_free(gone);
}

static void builtin_free(void *self)
{
    struct builtin *b = self;
    if (!b)
        return;
    pthread_mutex_lock(&b->shared.mu);
    b->shared.stop = 1;
    if (b->shared.running)
        atomic_store(&b->shared.running->cancelled, 1);
    pthread_cond_signal(&b->shared.cv);
    pthread_mutex_unlock(&b->shared.mu);
    if (b->started)
        pthread_join(b->thread, NULL);
    job_list_free(b->shared.queue);
    job_list_free(b->shared.finished);
    job_list_free(b->delivering);
    if (b->pipe_rd >= 0) {
        ev_fd_del(b->ev, b->pipe_rd);
        close(b->pipe_rd);
        close(b->pipe_wr);
    }
    pthread_cond_destroy(&b->shared.cv);
    pthread_mutex_destroy(&b->shared.mu);
    free(b);
}

/* Every builtin model must be able to run: the platform-level question is asked for each model
 * of a network (and for the default loop), so "some can" would let a network with a missing
 * engine start and fail at its first call. builtin_model_available answers per model. */
static int builtin_available(void *self, char *why, size_t whylen)
{
    struct builtin *b = self;
    struct buf missing = BUF_INIT;
    for (size_t i = 0; i < builtin_models_count; i++) {
        char reason[PANIC_ERR_LEN];
        if (!builtin_model_available(b, &builtin_models[i], reason, sizeof reason))
            buf_printf(&missing, "%s%s: %s", missing.len ? "; " : "", builtin_models[i].id, reason);
    }
    snprintf(why, whylen, "%s", missing.len ? missing.data : "");
    int ok = missing.len == 0;
    buf_free(&missing);
    return ok;
}

int builtin_model_available(void *self, const struct model_info *m, char *why, size_t whylen)
{
    struct builtin *b = self;
    int e = engine_of(m);
    if (e < 0) {
        snprintf(why, whylen, "%s is not a builtin model", m ? m->id : "(null)");
        return 0;
    }
    if (b->broken[0]) {
        snprintf(why, whylen, "%s", b->broken);
        return 0;
    }
    return engine_usable(b, (enum engine)e, why, whylen);
}

int builtin_platform_prewarm(void *self)
{
    struct builtin *b = self;
    if (b->broken[0])
        return -EMFILE;
    int rc = worker_start(b);
    if (rc < 0)
        return rc;
    struct job *j = xcalloc(1, sizeof *j);
    j->warm = 1;
    pthread_mutex_lock(&b->shared.mu);
    *b->shared.queue_tail = j;
    b->shared.queue_tail = &j->next;
    pthread_cond_signal(&b->shared.cv);
    pthread_mutex_unlock(&b->shared.mu);
    return 0;
}

size_t builtin_platform_busy(void *self)
{
    struct builtin *b = self;
    size_t n = 0;
    pthread_mutex_lock(&b->shared.mu);
    for (struct job *j = b->shared.queue; j; j = j->next)
        n++;
    for (struct job *j = b->shared.finished; j; j = j->next)
        n++;
    n += b->shared.running != NULL;
    pthread_mutex_unlock(&b->shared.mu);
    for (struct job *j = b->delivering; j; j = j->next)
        n++;
    return n;
}

int builtin_reexec_with_env(char **argv)
{
    if (getenv("OMP_THREAD_LIMIT"))
        return 0;
    if (setenv("OMP_THREAD_LIMIT", "1", 1) < 0)
        return -errno;
    /* Exec the binary by its real path, not /proc/self/exe, so the process keeps its name
     * ("panicd" in ps, pgrep and the journal). */
    char path[4096];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0)
        return -errno;
    path[n] = '\0';
    execv(path, argv);
    return -errno;
}

static const struct platform_ops builtin_ops = {
    .name = "builtin",
    .available = builtin_available,
    .model_available = builtin_model_available,
    .invoke = builtin_invoke,
    .cancel = builtin_cancel,
    .free = builtin_free,
};

struct platform builtin_platform_new(const struct platform_env *env)
{
    struct builtin *b = xcalloc(1, sizeof *b);
    b->ev = env->ev;
    b->media = env->media;
    b->done = env->done;
    b->owner = env->owner;
    pthread_mutex_init(&b->shared.mu, NULL);
    pthread_cond_init(&b->shared.cv, NULL);
    b->shared.queue_tail = &b->shared.queue;
    b->shared.finished_tail = &b->shared.finished;
    int fds[2];
    if (pipe(fds) < 0) {
        /* Without the pipe nothing can answer: the platform says so in available(). */
        b->pipe_rd = b->pipe_wr = -1;
        snprintf(b->broken, sizeof b->broken, "builtin: cannot create the wake-up pipe: %s",
                 strerror(errno));
        log_err("%s", b->broken);
        return (struct platform){.ops = &builtin_ops, .self = b};
    }
    b->pipe_rd = fds[0];
    b->pipe_wr = fds[1];
    for (int i = 0; i < 2; i++) {
        fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
        fcntl(fds[i], F_SETFD, FD_CLOEXEC);
    }
    ev_fd_add(b->ev, b->pipe_rd, EV_READ, on_wake, b);
    return (struct platform){.ops = &builtin_ops, .self = b};
}
