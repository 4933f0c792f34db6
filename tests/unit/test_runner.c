/* test_runner.c: the runner state machine driven with fake time and recording ops: lockout
 * edges, stale completions and timers, cancel on a new run, stop, retries, the slow-down
 * schedule, resume after a restart, and the hold a slow display (a Vestaboard) asks for. No
 * clock, no I/O. */
#include "coordinator/core/runner.h"
#include "test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- recording ops ---- */

struct rec {
    int64_t next_run, next_inv;
    int runs_created, runs_ended, created, invokes, cancels, finishes, arms, disarms, statuses;
    char last_run_end[32];
    char last_reason[128];
    int64_t last_cancel;
    int64_t last_finish_id;
    int last_finish_ok;
    char last_finish_error[128];
    uint64_t armed_gen;
    int64_t armed_at;
    int timer_armed;
    uint64_t invoke_gen;
    int64_t invoke_id;
    char invoke_model[32];
    char invoke_input[256];
    int invoke_attempt;
    int fail_create;
    /* hold_ms answers: for the genesis' own call, and after seq hold_seq */
    int64_t hold_genesis, hold_after, hold_seq;
    int holds_asked;
};

static struct rec R;

static int64_t op_run_create(void *ctx, const char *prompt, int64_t now)
{
    (void)ctx, (void)prompt, (void)now;
    R.runs_created++;
    return ++R.next_run;
}

static void op_run_end(void *ctx, int64_t run, const char *state, const char *reason, int64_t now)
{
    (void)ctx, (void)run, (void)now;
    R.runs_ended++;
    snprintf(R.last_run_end, sizeof R.last_run_end, "%s", state);
    snprintf(R.last_reason, sizeof R.last_reason, "%s", reason ? reason : "");
}

static int64_t op_invocation_create(void *ctx, int64_t run, int64_t seq, const char *model,
                                    const struct runner_io *input, int64_t now)
{
    (void)ctx, (void)run, (void)seq, (void)model, (void)input, (void)now;
    if (R.fail_create)
        return -EIO;
    R.created++;
    return ++R.next_inv;
}

static void op_invoke(void *ctx, uint64_t gen, int64_t inv_id, const char *model,
                      const struct runner_io *input, int attempt)
{
    (void)ctx;
    R.invokes++;
    R.invoke_gen = gen;
    R.invoke_id = inv_id;
    R.invoke_attempt = attempt;
    snprintf(R.invoke_model, sizeof R.invoke_model, "%s", model);
    snprintf(R.invoke_input, sizeof R.invoke_input, "%s", input->value);
}

static void op_cancel(void *ctx, int64_t inv_id)
{
    (void)ctx;
    R.cancels++;
    R.last_cancel = inv_id;
}

static void op_finish(void *ctx, int64_t inv_id, const struct runner_io *output, const char *error,
                      int64_t now)
{
    (void)ctx, (void)now;
    R.finishes++;
    R.last_finish_id = inv_id;
    R.last_finish_ok = output != NULL;
    snprintf(R.last_finish_error, sizeof R.last_finish_error, "%s", error ? error : "");
}

static void op_arm(void *ctx, uint64_t gen, int64_t at)
{
    (void)ctx;
    R.arms++;
    R.armed_gen = gen;
    R.armed_at = at;
    R.timer_armed = 1;
}

static void op_disarm(void *ctx)
{
    (void)ctx;
    R.disarms++;
    R.timer_armed = 0;
}

static void op_status(void *ctx)
{
    (void)ctx;
    R.statuses++;
}

static int64_t op_hold(void *ctx, int64_t seq, const struct runner_io *output)
{
    (void)ctx;
    R.holds_asked++;
    if (!output)
        return seq == 0 ? R.hold_genesis : 0;
    return seq == R.hold_seq && output->type == MEDIA_TEXT ? R.hold_after : 0;
}

static const struct runner_ops ops = {op_run_create, op_run_end, op_invocation_create,
                                      op_invoke,     op_cancel,  op_finish,
                                      op_arm,        op_disarm,  op_status,
                                      NULL};
static const struct runner_ops ops_hold = {op_run_create, op_run_end, op_invocation_create,
                                           op_invoke,     op_cancel,  op_finish,
                                           op_arm,        op_disarm,  op_status,
                                           op_hold};

static const char *const two_models[] = {"dummy-t2i", "dummy-i2t"};

static struct runner *make(int64_t lockout_ms, int attempts)
{
    memset(&R, 0, sizeof R);
    struct runner_config cfg = {.network_id = 7,
                                .models = two_models,
                                .nmodels = 2,
                                .lockout_ms = lockout_ms,
                                .schedule = schedule_default(),
                                .max_attempts = attempts,
                                .retry_base_ms = 1000};
    return runner_new(&cfg, &ops, NULL);
}

static const struct runner_io IMG = {MEDIA_IMAGE, "abc.png"};
static const struct runner_io TXT = {MEDIA_TEXT, "a caption"};

static const char *state(struct runner *r, int64_t now)
{
    static struct runner_status st;
    runner_get_status(r, now, &st);
    return runner_state_name(&st);
}

/* ---- tests ---- */

TEST(start_creates_genesis_and_invokes_first_model)
{
    struct runner *r = make(30000, 1);
    int64_t run = 0, genesis = 0;
    CHECK_STR_EQ(state(r, 0), "idle");
    CHECK_EQ_INT(runner_start(r, "hello", 1000, &run, &genesis, NULL), 0);
    CHECK_EQ_INT(run, 1);
    CHECK_EQ_INT(genesis, 1);
    CHECK_EQ_INT(R.invokes, 1);
    CHECK_STR_EQ(R.invoke_model, "dummy-t2i");
    CHECK_STR_EQ(R.invoke_input, "hello");
    CHECK_STR_EQ(state(r, 1000), "lockout");
    runner_free(r);
}

TEST(lockout_edges)
{
    struct runner *r = make(30000, 1);
    int64_t retry = 0;
    runner_start(r, "one", 1000, NULL, NULL, NULL);
    CHECK_EQ_INT(runner_start(r, "two", 1000, NULL, NULL, &retry), -EBUSY);
    CHECK_EQ_INT(retry, 30000);
    CHECK_EQ_INT(runner_start(r, "two", 30999, NULL, NULL, &retry), -EBUSY);
    CHECK_EQ_INT(retry, 1);
    struct runner_status st;
    runner_get_status(r, 30999, &st);
    CHECK_EQ_INT(st.can_start_run, 0);
    CHECK_EQ_INT(st.lockout_remaining_ms, 1);
    runner_get_status(r, 31000, &st);
    CHECK_EQ_INT(st.can_start_run, 1);
    CHECK_STR_EQ(runner_state_name(&st), "processing");
    CHECK_EQ_INT(R.runs_created, 1);
    /* Exactly at the end of the lockout a new prompt is taken. */
    CHECK_EQ_INT(runner_start(r, "two", 31000, NULL, NULL, NULL), 0);
    CHECK_EQ_INT(R.runs_created, 2);
    runner_free(r);
}

TEST(complete_schedules_next_with_output_as_input)
{
    struct runner *r = make(0, 1);
    runner_start(r, "hello", 1000, NULL, NULL, NULL);
    uint64_t gen = R.invoke_gen;
    CHECK_EQ_INT(runner_complete(r, gen, 1, &IMG, NULL, 0, 1500), 0);
    CHECK_EQ_INT(R.last_finish_ok, 1);
    CHECK_STR_EQ(state(r, 1500), "waiting");
    CHECK_EQ_INT(R.armed_at, 2500); /* 1 s delay for a young run */
    CHECK_EQ_INT(runner_timer(r, R.armed_gen, 2500), 0);
    CHECK_EQ_INT(R.invokes, 2);
    CHECK_STR_EQ(R.invoke_model, "dummy-i2t");
    CHECK_STR_EQ(R.invoke_input, "abc.png");
    struct runner_status st;
    runner_get_status(r, 2500, &st);
    CHECK_EQ_INT(st.seq, 1);
    /* Second completion wraps to the first model again. */
    CHECK_EQ_INT(runner_complete(r, R.invoke_gen, 2, &TXT, NULL, 0, 2600), 0);
    runner_timer(r, R.armed_gen, 3600);
    CHECK_STR_EQ(R.invoke_model, "dummy-t2i");
    CHECK_STR_EQ(R.invoke_input, "a caption");
    runner_free(r);
}

TEST(slow_down_schedule_by_run_age)
{
    struct schedule s = schedule_default();
    CHECK_EQ_INT(schedule_delay(&s, 0), 1000);
    CHECK_EQ_INT(schedule_delay(&s, 599999), 1000);
    CHECK_EQ_INT(schedule_delay(&s, 600000), 15000);
    CHECK_EQ_INT(schedule_delay(&s, 3599999), 15000);
    CHECK_EQ_INT(schedule_delay(&s, 3600000), 600000);
    CHECK_EQ_INT(schedule_delay(&s, 86400000), 600000);

    struct runner *r = make(0, 1);
    runner_start(r, "x", 0, NULL, NULL, NULL);
    runner_complete(r, R.invoke_gen, R.invoke_id, &IMG, NULL, 0, 700000);
    CHECK_EQ_INT(R.armed_at, 700000 + 15000);
    runner_timer(r, R.armed_gen, R.armed_at);
    runner_complete(r, R.invoke_gen, R.invoke_id, &TXT, NULL, 0, 4000000);
    CHECK_EQ_INT(R.armed_at, 4000000 + 600000);
    runner_free(r);

    char err[128];
    struct schedule bad = {.nsteps = 2};
    bad.steps[0].until_ms = 1000;
    bad.steps[0].delay_ms = 0;
    bad.steps[1].until_ms = 500;
    bad.steps[1].delay_ms = 0;
    CHECK(schedule_check(&bad, err, sizeof err) < 0);
    bad.steps[1].until_ms = -1;
    CHECK_EQ_INT(schedule_check(&bad, err, sizeof err), 0);
    bad.steps[1].delay_ms = -5;
    CHECK(schedule_check(&bad, err, sizeof err) < 0);
}

TEST(stale_completion_after_new_run_is_dropped)
{
    struct runner *r = make(1000, 1);
    runner_start(r, "old", 0, NULL, NULL, NULL);
    uint64_t old_gen = R.invoke_gen;
    int64_t old_id = R.invoke_id;
    /* After the lockout, a new prompt cancels the call in flight and records why. */
    CHECK_EQ_INT(runner_start(r, "new", 5000, NULL, NULL, NULL), 0);
    CHECK_EQ_INT(R.cancels, 1);
    CHECK_EQ_INT(R.last_cancel, old_id);
    CHECK_EQ_INT(R.last_finish_id, old_id);
    CHECK_EQ_INT(R.last_finish_ok, 0);
    CHECK_STR_EQ(R.last_run_end, "superseded");
    int finishes = R.finishes;
    CHECK_EQ_INT(runner_complete(r, old_gen, old_id, &IMG, NULL, 0, 5100), -ESTALE);
    CHECK_EQ_INT(R.finishes, finishes);
    /* The new run's own completion is taken. */
    CHECK_EQ_INT(runner_complete(r, R.invoke_gen, R.invoke_id, &IMG, NULL, 0, 5200), 0);
    runner_free(r);
}

TEST(stale_timer_after_new_run_is_dropped)
{
    struct runner *r = make(1000, 1);
    runner_start(r, "old", 0, NULL, NULL, NULL);
    runner_complete(r, R.invoke_gen, R.invoke_id, &IMG, NULL, 0, 100);
    uint64_t old_timer_gen = R.armed_gen;
    CHECK_STR_EQ(state(r, 2000), "waiting");
    CHECK_EQ_INT(runner_start(r, "new", 2000, NULL, NULL, NULL), 0);
    CHECK(R.disarms >= 1);
    int invokes = R.invokes;
    /* The old run's timer fires late (the original's race): nothing happens. */
    CHECK_EQ_INT(runner_timer(r, old_timer_gen, 2100), -ESTALE);
    CHECK_EQ_INT(R.invokes, invokes);
    CHECK_STR_EQ(R.invoke_input, "new");
    runner_free(r);
}

TEST(stop_cancels_call_and_timer)
{
    struct runner *r = make(30000, 1);
    CHECK_EQ_INT(runner_stop(r, "staff", 0), -EALREADY);
    runner_start(r, "x", 0, NULL, NULL, NULL);
    uint64_t gen = R.invoke_gen;
    int64_t id = R.invoke_id;
    /* Stop is allowed during the lockout. */
    CHECK_EQ_INT(runner_stop(r, "staff", 100), 0);
    CHECK_EQ_INT(R.last_cancel, id);
    CHECK_STR_EQ(R.last_finish_error, "staff");
    CHECK_STR_EQ(R.last_run_end, "stopped");
    CHECK_STR_EQ(state(r, 100), "stopped");
    CHECK_EQ_INT(runner_complete(r, gen, id, &IMG, NULL, 0, 200), -ESTALE);
    CHECK_EQ_INT(runner_stop(r, "again", 300), -EALREADY);

    /* Stopping while waiting cancels the timer, and that timer can no longer fire. */
    CHECK_EQ_INT(runner_start(r, "y", 400, NULL, NULL, NULL), 0);
    runner_complete(r, R.invoke_gen, R.invoke_id, &IMG, NULL, 0, 500);
    uint64_t tgen = R.armed_gen;
    CHECK_EQ_INT(R.timer_armed, 1);
    CHECK_EQ_INT(runner_stop(r, "staff", 600), 0);
    CHECK_EQ_INT(R.timer_armed, 0);
    int invokes = R.invokes;
    CHECK_EQ_INT(runner_timer(r, tgen, 1500), -ESTALE);
    CHECK_EQ_INT(R.invokes, invokes);
    /* A stopped network takes a new prompt at once. */
    CHECK_EQ_INT(runner_start(r, "z", 700, NULL, NULL, NULL), 0);
    runner_free(r);
}

TEST(retry_then_success)
{
    struct runner *r = make(0, 3);
    runner_start(r, "x", 0, NULL, NULL, NULL);
    int64_t id = R.invoke_id;
    CHECK_EQ_INT(runner_complete(r, R.invoke_gen, id, NULL, "boom", 1, 100), 0);
    CHECK_EQ_INT(R.finishes, 0);
    CHECK_STR_EQ(state(r, 100), "processing");
    CHECK_EQ_INT(R.armed_at, 1100);
    /* No completion is expected while waiting to retry. */
    CHECK_EQ_INT(runner_complete(r, R.invoke_gen, id, &IMG, NULL, 0, 200), -ESTALE);
    CHECK_EQ_INT(runner_timer(r, R.armed_gen, 1100), 0);
    CHECK_EQ_INT(R.invoke_attempt, 1);
    CHECK_EQ_INT(R.invoke_id, id);
    CHECK_EQ_INT(runner_complete(r, R.invoke_gen, id, NULL, "boom", 1, 1200), 0);
    CHECK_EQ_INT(R.armed_at, 1200 + 2000); /* doubled back-off */
    runner_timer(r, R.armed_gen, 3200);
    CHECK_EQ_INT(runner_complete(r, R.invoke_gen, id, &IMG, NULL, 0, 3300), 0);
    CHECK_EQ_INT(R.last_finish_ok, 1);
    CHECK_STR_EQ(state(r, 3300), "waiting");
    runner_free(r);
}

TEST(failure_ends_run)
{
    struct runner *r = make(30000, 2);
    runner_start(r, "x", 0, NULL, NULL, NULL);
    runner_complete(r, R.invoke_gen, R.invoke_id, NULL, "boom", 1, 100);
    runner_timer(r, R.armed_gen, R.armed_at);
    CHECK_EQ_INT(runner_complete(r, R.invoke_gen, R.invoke_id, NULL, "boom again", 1, 1200), 0);
    CHECK_EQ_INT(R.last_finish_ok, 0);
    CHECK_STR_EQ(R.last_finish_error, "boom again");
    CHECK_STR_EQ(R.last_run_end, "failed");
    struct runner_status st;
    runner_get_status(r, 1300, &st);
    CHECK_STR_EQ(runner_state_name(&st), "failed");
    CHECK_STR_EQ(st.error, "boom again");
    /* A failed run does not hold the lockout: the next prompt starts at once. */
    CHECK_EQ_INT(st.can_start_run, 1);
    CHECK_EQ_INT(runner_start(r, "y", 1400, NULL, NULL, NULL), 0);
    /* A non-retryable error fails at the first attempt. */
    runner_free(r);
    r = make(0, 3);
    runner_start(r, "x", 0, NULL, NULL, NULL);
    runner_complete(r, R.invoke_gen, R.invoke_id, NULL, "quota", 0, 10);
    CHECK_STR_EQ(state(r, 10), "failed");
    runner_free(r);
}

TEST(storage_failure_fails_run)
{
    struct runner *r = make(0, 1);
    R.fail_create = 1;
    CHECK(runner_start(r, "x", 0, NULL, NULL, NULL) < 0);
    CHECK_STR_EQ(state(r, 0), "failed");
    CHECK_EQ_INT(R.invokes, 0);
    runner_free(r);
}

TEST(resume_in_flight_reissues_same_invocation)
{
    struct runner *r = make(30000, 1);
    struct runner_resume rs = {.run = 9,
                               .genesis_at = 1000,
                               .last_id = 44,
                               .last_seq = 5,
                               .last_completed = 0,
                               .input = {MEDIA_IMAGE, "in.png"}};
    runner_resume(r, &rs, 10000);
    CHECK_EQ_INT(R.invokes, 1);
    CHECK_EQ_INT(R.invoke_id, 44);
    CHECK_STR_EQ(R.invoke_model, "dummy-i2t"); /* seq 5 of a 2-model network */
    CHECK_STR_EQ(R.invoke_input, "in.png");
    CHECK_EQ_INT(R.created, 0);
    struct runner_status st;
    runner_get_status(r, 10000, &st);
    /* Lockout still counts from the stored genesis. */
    CHECK_EQ_INT(st.in_lockout, 1);
    CHECK_EQ_INT(st.lockout_remaining_ms, 21000);
    CHECK_EQ_INT(st.run, 9);
    CHECK_EQ_INT(runner_complete(r, R.invoke_gen, 44, &TXT, NULL, 0, 10100), 0);
    runner_timer(r, R.armed_gen, R.armed_at);
    runner_get_status(r, R.armed_at, &st);
    CHECK_EQ_INT(st.seq, 6);
    runner_free(r);
}

TEST(resume_completed_schedules_next_seq)
{
    struct runner *r = make(30000, 1);
    struct runner_resume rs = {.run = 9,
                               .genesis_at = 1000,
                               .last_id = 44,
                               .last_seq = 5,
                               .last_completed = 1,
                               .input = {MEDIA_IMAGE, "in.png"},
                               .output = {MEDIA_TEXT, "caption"},
                               .last_finished_at = 9500};
    runner_resume(r, &rs, 10000);
    CHECK_EQ_INT(R.invokes, 0);
    CHECK_EQ_INT(R.armed_at, 10500); /* finished + 1 s, still in the future */
    CHECK_EQ_INT(runner_timer(r, R.armed_gen, 10500), 0);
    CHECK_EQ_INT(R.created, 1);
    CHECK_STR_EQ(R.invoke_model, "dummy-t2i"); /* seq 6 */
    CHECK_STR_EQ(R.invoke_input, "caption");
    runner_free(r);

    /* A long outage: the next step is due at once, not in the past. */
    r = make(30000, 1);
    runner_resume(r, &rs, 99000);
    CHECK_EQ_INT(R.armed_at, 99000);
    runner_free(r);
}

/* A failed attempt's error is shown while the retry waits, and gone once a step succeeds
 * (issue 10: it stayed in the status for the rest of the run). */
TEST(success_clears_a_retried_error)
{
    struct runner *r = make(0, 3);
    runner_start(r, "x", 0, NULL, NULL, NULL);
    struct runner_status st;
    CHECK_EQ_INT(runner_complete(r, R.invoke_gen, R.invoke_id, NULL, "boom", 1, 100), 0);
    runner_get_status(r, 100, &st);
    CHECK(st.error && !strcmp(st.error, "boom"));
    CHECK_EQ_INT(runner_timer(r, R.armed_gen, 1100), 0);
    CHECK_EQ_INT(runner_complete(r, R.invoke_gen, R.invoke_id, &IMG, NULL, 0, 1200), 0);
    runner_get_status(r, 1200, &st);
    CHECK_STR_EQ(runner_state_name(&st), "waiting");
    CHECK(st.error == NULL);
    runner_free(r);
}

/* After a restart, a run that had ended is recalled as it was: failed or stopped, its reason,
 * its run and seq; nothing is invoked, and a new run may start. */
TEST(recall_an_ended_run)
{
    struct runner *r = make(30000, 1);
    runner_recall(r, RUNNER_FAILED, 9, 1000, 5, "the model said no");
    struct runner_status st;
    runner_get_status(r, 2000, &st);
    CHECK_STR_EQ(runner_state_name(&st), "failed");
    CHECK(st.error && !strcmp(st.error, "the model said no"));
    CHECK_EQ_INT(st.run, 9);
    CHECK_EQ_INT(st.seq, 5);
    CHECK_EQ_INT(st.can_start_run, 1);
    CHECK_EQ_INT(R.invokes + R.arms + R.runs_ended + R.statuses, 0);
    CHECK_EQ_INT(runner_start(r, "again", 3000, NULL, NULL, NULL), 0);
    runner_get_status(r, 3000, &st);
    CHECK(st.error == NULL && st.run == 1);
    runner_free(r);

    r = make(0, 1);
    runner_recall(r, RUNNER_STOPPED, 4, 1000, 2, "stopped by staff");
    runner_get_status(r, 2000, &st);
    CHECK_STR_EQ(runner_state_name(&st), "stopped");
    CHECK(st.error && !strcmp(st.error, "stopped by staff"));
    runner_free(r);
}

/* A step the store could not keep is forgotten: the call in flight is cancelled, the timer
 * disarmed, nothing is written, the status says storage_error, and whatever the lost step had
 * started comes back stale. Then the store's state is put back. */
TEST(suspend_forgets_the_lost_step)
{
    struct runner *r = make(0, 1);
    runner_start(r, "x", 0, NULL, NULL, NULL);
    uint64_t gen = R.invoke_gen;
    int64_t id = R.invoke_id;
    int ended = R.runs_ended, finishes = R.finishes;
    runner_suspend(r, "storage error: database or disk is full");
    CHECK_EQ_INT(R.last_cancel, id);
    CHECK_EQ_INT(R.runs_ended, ended);
    CHECK_EQ_INT(R.finishes, finishes);
    struct runner_status st;
    runner_get_status(r, 10, &st);
    CHECK_STR_EQ(runner_state_name(&st), "storage_error");
    CHECK_STR_EQ(st.error, "storage error: database or disk is full");
    CHECK_EQ_INT(st.run, 0);
    CHECK_EQ_INT(st.invocation, 0);
    CHECK_EQ_INT(st.can_start_run, 0);
    CHECK_EQ_INT(runner_complete(r, gen, id, &IMG, NULL, 0, 20), -ESTALE);
    CHECK_EQ_INT(runner_stop(r, "staff", 30), -EALREADY);

    /* Waiting with a timer: suspended, the timer is gone and cannot fire. */
    struct runner_resume rs = {.run = 3,
                               .genesis_at = 0,
                               .last_id = 5,
                               .last_seq = 1,
                               .last_completed = 1,
                               .input = {MEDIA_TEXT, "in"},
                               .output = {MEDIA_IMAGE, "out.png"},
                               .last_finished_at = 40};
    runner_resume(r, &rs, 50);
    CHECK_STR_EQ(state(r, 50), "waiting");
    uint64_t tgen = R.armed_gen;
    runner_suspend(r, "storage error");
    CHECK_EQ_INT(R.timer_armed, 0);
    CHECK_EQ_INT(runner_timer(r, tgen, 5000), -ESTALE);

    /* Back to a network without a live run: failed, with the stored reason. */
    int statuses = R.statuses;
    runner_recall(r, RUNNER_FAILED, 3, 1000, 0, "it broke");
    runner_get_status(r, 6000, &st);
    CHECK_STR_EQ(runner_state_name(&st), "failed");
    CHECK_EQ_INT(st.run, 3);
    CHECK_STR_EQ(st.error, "it broke");
    CHECK_EQ_INT(R.statuses, statuses + 1);
    CHECK_EQ_INT(runner_start(r, "y", 7000, NULL, NULL, NULL), 0);
    runner_free(r);
}

/* A board showing an output holds the loop: the next step waits at least hold_ms (the
 * Vestaboard's 8 s), more than the schedule's 1 s, only after the step it shows. */
TEST(hold_keeps_an_output_up)
{
    memset(&R, 0, sizeof R);
    struct runner_config cfg = {.network_id = 7,
                                .models = two_models,
                                .nmodels = 2,
                                .lockout_ms = 0,
                                .schedule = schedule_default(),
                                .max_attempts = 1,
                                .retry_base_ms = 1000};
    struct runner *r = runner_new(&cfg, &ops_hold, NULL);
    R.hold_seq = 1;
    R.hold_after = 8000;
    runner_start(r, "x", 0, NULL, NULL, NULL);
    CHECK_EQ_INT(R.invokes, 1); /* no hold for the genesis: called at once */
    CHECK_EQ_INT(runner_complete(r, R.invoke_gen, R.invoke_id, &IMG, NULL, 0, 500), 0);
    CHECK_EQ_INT(R.armed_at, 500 + 1000); /* seq 0 is on no board: the schedule's 1 s */
    CHECK_EQ_INT(runner_timer(r, R.armed_gen, 1500), 0);
    CHECK_EQ_INT(runner_complete(r, R.invoke_gen, R.invoke_id, &TXT, NULL, 0, 2000), 0);
    CHECK_EQ_INT(R.armed_at, 2000 + 8000); /* seq 1's text is on a board */
    CHECK_STR_EQ(state(r, 2000), "waiting");
    CHECK_EQ_INT(runner_timer(r, R.armed_gen, 10000), 0);
    CHECK_EQ_INT(runner_complete(r, R.invoke_gen, R.invoke_id, &IMG, NULL, 0, 10500), 0);
    CHECK_EQ_INT(R.armed_at, 10500 + 1000);
    CHECK_GE(R.holds_asked, 4);
    runner_free(r);
}

/* A board showing the prompt: the genesis waits invoking (the original's 8 + 2 s), then its call
 * is made; a stop meanwhile ends it with no call made. */
TEST(genesis_hold_waits_invoking)
{
    memset(&R, 0, sizeof R);
    struct runner_config cfg = {.network_id = 7,
                                .models = two_models,
                                .nmodels = 2,
                                .lockout_ms = 0,
                                .schedule = schedule_default(),
                                .max_attempts = 1,
                                .retry_base_ms = 1000};
    struct runner *r = runner_new(&cfg, &ops_hold, NULL);
    R.hold_genesis = 10000;
    int64_t run = 0, genesis = 0;
    CHECK_EQ_INT(runner_start(r, "a prompt", 0, &run, &genesis, NULL), 0);
    CHECK_EQ_INT(R.created, 1);
    CHECK_EQ_INT(R.invokes, 0);
    CHECK_STR_EQ(state(r, 0), "processing");
    CHECK_EQ_INT(R.armed_at, 10000);
    CHECK_EQ_INT(runner_complete(r, 1, genesis, &IMG, NULL, 0, 5000), -ESTALE);
    CHECK_EQ_INT(runner_timer(r, R.armed_gen, 10000), 0);
    CHECK_EQ_INT(R.invokes, 1);
    CHECK_EQ_INT(R.invoke_id, genesis);
    CHECK_EQ_INT(R.invoke_attempt, 0);
    CHECK_STR_EQ(R.invoke_input, "a prompt");
    CHECK_EQ_INT(runner_complete(r, R.invoke_gen, genesis, &IMG, NULL, 0, 12000), 0);
    CHECK_STR_EQ(state(r, 12000), "waiting");
    /* Stopped while the genesis waits: nothing is called, the invocation ends. */
    CHECK_EQ_INT(runner_start(r, "another", 20000, NULL, &genesis, NULL), 0);
    int invokes = R.invokes;
    CHECK_EQ_INT(runner_stop(r, "stopped by staff", 21000), 0);
    CHECK_EQ_INT(R.invokes, invokes);
    CHECK_EQ_INT(R.last_finish_id, genesis);
    CHECK_EQ_INT(R.timer_armed, 0);
    CHECK_STR_EQ(state(r, 21000), "stopped");
    runner_free(r);
}

int main(void)
{
    RUN(start_creates_genesis_and_invokes_first_model);
    RUN(lockout_edges);
    RUN(complete_schedules_next_with_output_as_input);
    RUN(slow_down_schedule_by_run_age);
    RUN(stale_completion_after_new_run_is_dropped);
    RUN(stale_timer_after_new_run_is_dropped);
    RUN(stop_cancels_call_and_timer);
    RUN(retry_then_success);
    RUN(failure_ends_run);
    RUN(storage_failure_fails_run);
    RUN(resume_in_flight_reissues_same_invocation);
    RUN(resume_completed_schedules_next_seq);
    RUN(success_clears_a_retried_error);
    RUN(recall_an_ended_run);
    RUN(suspend_forgets_the_lost_step);
    RUN(hold_keeps_an_output_up);
    RUN(genesis_hold_waits_invoking);
    TEST_END("test_runner");
}
