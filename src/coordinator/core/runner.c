/* runner.c: the per-network invocation loop (see runner.h for the contract).
 *
 * Read it as four entry points that move between the states of docs/DESIGN.md: start (a prompt),
 * complete (a platform answer), timer (the next step or a retry is due) and stop. Each entry that
 * abandons work bumps `gen`, so a completion or timer of the abandoned work finds a different
 * generation and is dropped. Pure C: no clock, no I/O; everything goes through the ops. */
#include "runner.h"
#include "common/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum timer_kind { TIMER_NONE, TIMER_NEXT, TIMER_RETRY };

struct runner {
    const struct runner_ops *ops;
    void *ctx;
    int64_t network_id;
    char **models;
    size_t nmodels;
    int64_t lockout_ms;
    struct schedule schedule;
    int max_attempts;
    int64_t retry_base_ms;

    enum runner_state state;
    uint64_t gen;
    int64_t run;
    int64_t genesis_at;
    int64_t seq;
    int64_t inv_id;
    enum media_type input_type;
    char *input; /* owned: input of the current or next invocation */
    int attempt;
    enum timer_kind timer;
    int64_t timer_at;
    char *error; /* owned */
};

struct runner *runner_new(const struct runner_config *cfg, const struct runner_ops *ops, void *ctx)
{
    if (!cfg || !ops || cfg->nmodels == 0)
        return NULL;
    struct runner *r = xcalloc(1, sizeof *r);
    r->ops = ops;
    r->ctx = ctx;
    r->network_id = cfg->network_id;
    r->nmodels = cfg->nmodels;
    r->models = xcalloc(cfg->nmodels, sizeof *r->models);
    for (size_t i = 0; i < cfg->nmodels; i++)
        r->models[i] = xstrdup(cfg->models[i]);
    r->lockout_ms = cfg->lockout_ms;
    r->schedule = cfg->schedule;
    r->max_attempts = cfg->max_attempts > 0 ? cfg->max_attempts : 1;
    r->retry_base_ms = cfg->retry_base_ms;
    r->state = RUNNER_IDLE;
    r->gen = 1;
    return r;
}

void runner_free(struct runner *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nmodels; i++)
        free(r->models[i]);
    free(r->models);
    free(r->input);
    free(r->error);
    free(r);
}

static const char *model_for(const struct runner *r, int64_t seq)
{
    return r->models[(size_t)(seq % (int64_t)r->nmodels)];
}

static int live(const struct runner *r)
{
    return r->state == RUNNER_PROCESSING || r->state == RUNNER_WAITING;
}

static void set_input(struct runner *r, enum media_type type, const char *value)
{
    char *copy = xstrdup(value);
    free(r->input);
    r->input = copy;
    r->input_type = type;
}

static void set_error(struct runner *r, const char *error)
{
    free(r->error);
    r->error = error ? xstrdup(error) : NULL;
}

static void arm(struct runner *r, enum timer_kind kind, int64_t at)
{
    r->timer = kind;
    r->timer_at = at;
    r->ops->timer_arm(r->ctx, r->gen, at);
}

static void disarm(struct runner *r)
{
    if (r->timer != TIMER_NONE)
        r->ops->timer_cancel(r->ctx);
    r->timer = TIMER_NONE;
    r->timer_at = 0;
}

/* Leave the live run: cancel the call in flight (recording why), the timer, and close the run. */
static void abandon(struct runner *r, const char *run_state, const char *reason, int64_t now)
{
    if (r->state == RUNNER_PROCESSING && r->inv_id) {
        r->ops->cancel(r->ctx, r->inv_id);
        r->ops->invocation_finish(r->ctx, r->inv_id, NULL, reason, now);
    }
    disarm(r);
    r->ops->run_end(r->ctx, r->run, run_state, reason, now);
    r->inv_id = 0;
    r->gen++;
}

static void fail_run(struct runner *r, const char *error, int64_t now)
{
    disarm(r);
    r->ops->run_end(r->ctx, r->run, "failed", error, now);
    set_error(r, error);
    r->state = RUNNER_FAILED;
    r->inv_id = 0;
    r->gen++;
}

/* Create invocation r->seq of the run and call its model, or, with hold > 0, wait that long
 * invoking first (runner_timer makes the call). */
static void begin_invocation(struct runner *r, int64_t now, int64_t hold)
{
    const char *model = model_for(r, r->seq);
    struct runner_io in = {r->input_type, r->input};
    int64_t id = r->ops->invocation_create(r->ctx, r->run, r->seq, model, &in, now);
    if (id < 0) {
        fail_run(r, "could not record the invocation (storage error)", now);
        return;
    }
    r->inv_id = id;
    r->attempt = 0;
    r->state = RUNNER_PROCESSING;
    if (hold > 0)
        arm(r, TIMER_RETRY, now + hold);
    else
        r->ops->invoke(r->ctx, r->gen, id, model, &in, 0);
}

static int64_t hold_for(struct runner *r, int64_t seq, const struct runner_io *output)
{
    return r->ops->hold_ms ? r->ops->hold_ms(r->ctx, seq, output) : 0;
}

int runner_start(struct runner *r, const char *prompt, int64_t now, int64_t *run, int64_t *genesis,
                 int64_t *retry_after_ms)
{
    if (live(r) && now < r->genesis_at + r->lockout_ms) {
        if (retry_after_ms)
            *retry_after_ms = r->genesis_at + r->lockout_ms - now;
        return -EBUSY;
    }
    if (live(r))
        abandon(r, "superseded", "a new run started", now);
    else
        r->gen++;
    set_error(r, NULL);
    int64_t id = r->ops->run_create(r->ctx, prompt, now);
    if (id < 0) {
        r->state = RUNNER_IDLE;
        r->run = 0;
        r->ops->status_changed(r->ctx);
        return (int)id;
    }
    r->run = id;
    r->genesis_at = now;
    r->seq = 0;
    set_input(r, MEDIA_TEXT, prompt);
    begin_invocation(r, now, hold_for(r, 0, NULL));
    if (run)
        *run = r->run;
    if (genesis)
        *genesis = r->inv_id;
    r->ops->status_changed(r->ctx);
    return r->state == RUNNER_PROCESSING ? 0 : -EIO;
}

int runner_stop(struct runner *r, const char *reason, int64_t now)
{
    if (!live(r))
        return -EALREADY;
    abandon(r, "stopped", reason, now);
    set_error(r, reason);
    r->state = RUNNER_STOPPED;
    r->ops->status_changed(r->ctx);
    return 0;
}

int runner_complete(struct runner *r, uint64_t gen, int64_t inv_id, const struct runner_io *output,
                    const char *error, int retryable, int64_t now)
{
    if (gen != r->gen || inv_id != r->inv_id || r->state != RUNNER_PROCESSING ||
        r->timer == TIMER_RETRY)
        return -ESTALE;
    if (output) {
        r->ops->invocation_finish(r->ctx, inv_id, output, NULL, now);
        set_error(r, NULL); /* a failed attempt before this success is no longer news */
        set_input(r, output->type, output->value);
        int64_t delay = schedule_delay(&r->schedule, now - r->genesis_at);
        int64_t hold = hold_for(r, r->seq, output);
        r->seq++;
        r->inv_id = 0;
        r->state = RUNNER_WAITING;
        arm(r, TIMER_NEXT, now + (hold > delay ? hold : delay));
    } else if (retryable && r->attempt + 1 < r->max_attempts) {
        set_error(r, error);
        r->attempt++;
        arm(r, TIMER_RETRY, now + (r->retry_base_ms << (r->attempt - 1)));
    } else {
        r->ops->invocation_finish(r->ctx, inv_id, NULL, error ? error : "failed", now);
        fail_run(r, error ? error : "failed", now);
    }
    r->ops->status_changed(r->ctx);
    return 0;
}

int runner_timer(struct runner *r, uint64_t gen, int64_t now)
{
    if (gen != r->gen || r->timer == TIMER_NONE)
        return -ESTALE;
    enum timer_kind kind = r->timer;
    r->timer = TIMER_NONE;
    r->timer_at = 0;
    if (kind == TIMER_NEXT && r->state == RUNNER_WAITING) {
        begin_invocation(r, now, 0);
    } else if (kind == TIMER_RETRY && r->state == RUNNER_PROCESSING) {
        struct runner_io in = {r->input_type, r->input};
        r->ops->invoke(r->ctx, r->gen, r->inv_id, model_for(r, r->seq), &in, r->attempt);
    } else {
        return -ESTALE;
    }
    r->ops->status_changed(r->ctx);
    return 0;
}

void runner_resume(struct runner *r, const struct runner_resume *s, int64_t now)
{
    if (live(r))
        abandon(r, "superseded", "resumed another run", now);
    r->gen++;
    r->run = s->run;
    r->genesis_at = s->genesis_at;
    set_error(r, NULL);
    if (s->last_completed) {
        set_input(r, s->output.type, s->output.value);
        r->seq = s->last_seq + 1;
        r->inv_id = 0;
        r->state = RUNNER_WAITING;
        int64_t at = s->last_finished_at + schedule_delay(&r->schedule, now - r->genesis_at);
        arm(r, TIMER_NEXT, at > now ? at : now);
    } else {
        /* The daemon died with this call in flight: issue it again under the same id. */
        set_input(r, s->input.type, s->input.value);
        r->seq = s->last_seq;
        r->inv_id = s->last_id;
        r->attempt = 0;
        r->state = RUNNER_PROCESSING;
        struct runner_io in = {r->input_type, r->input};
        r->ops->invoke(r->ctx, r->gen, r->inv_id, model_for(r, r->seq), &in, 0);
    }
    r->ops->status_changed(r->ctx);
}

void runner_recall(struct runner *r, enum runner_state state, int64_t run, int64_t genesis_at,
                   int64_t seq, const char *reason)
{
    if (live(r))
        return;
    int from_storage_error = r->state == RUNNER_STORAGE_ERROR;
    disarm(r);
    r->gen++;
    r->state = state;
    r->run = run;
    r->genesis_at = genesis_at;
    r->seq = seq;
    r->inv_id = 0;
    r->attempt = 0;
    set_error(r, reason);
    if (from_storage_error)
        r->ops->status_changed(r->ctx);
}

void runner_suspend(struct runner *r, const char *reason)
{
    if (r->state == RUNNER_PROCESSING && r->inv_id)
        r->ops->cancel(r->ctx, r->inv_id);
    disarm(r);
    r->gen++;
    r->state = RUNNER_STORAGE_ERROR;
    r->run = 0;
    r->seq = 0;
    r->inv_id = 0;
    r->attempt = 0;
    r->genesis_at = 0;
    set_error(r, reason);
}

void runner_reconfigure(struct runner *r, int64_t lockout_ms, const struct schedule *schedule)
{
    r->lockout_ms = lockout_ms;
    r->schedule = *schedule;
}

void runner_get_status(const struct runner *r, int64_t now, struct runner_status *out)
{
    memset(out, 0, sizeof *out);
    out->state = r->state;
    out->run = r->run;
    out->seq = r->seq;
    out->invocation = r->state == RUNNER_PROCESSING ? r->inv_id : 0;
    out->genesis_at = r->genesis_at;
    out->attempt = r->attempt;
    out->error = r->error;
    out->model = r->run ? model_for(r, r->seq) : NULL;
    if (r->state == RUNNER_WAITING && r->timer == TIMER_NEXT)
        out->next_at = r->timer_at;
    if (live(r) && now < r->genesis_at + r->lockout_ms) {
        out->in_lockout = 1;
        out->lockout_remaining_ms = r->genesis_at + r->lockout_ms - now;
    }
    out->can_start_run = !out->in_lockout && r->state != RUNNER_STORAGE_ERROR;
}

const char *runner_state_name(const struct runner_status *st)
{
    if (st->in_lockout)
        return "lockout";
    switch (st->state) {
    case RUNNER_IDLE:
        return "idle";
    case RUNNER_PROCESSING:
        return "processing";
    case RUNNER_WAITING:
        return "waiting";
    case RUNNER_FAILED:
        return "failed";
    case RUNNER_STOPPED:
        return "stopped";
    case RUNNER_STORAGE_ERROR:
        return "storage_error";
    }
    return "?";
}

int64_t runner_network(const struct runner *r)
{
    return r->network_id;
}

uint64_t runner_gen(const struct runner *r)
{
    return r->gen;
}
