/* runner.h: the invocation loop of one network as a pure state machine.
 *
 * The runner decides; the ops act. Every entry point takes the wall-clock time in ms, so tests
 * drive it with fake time. One status, one timer, and a generation number `gen` that every
 * platform call and timer carries: anything that comes back for an older generation is dropped
 * (the original lost runs to stale timers and completions; see docs/DESIGN.md "The runner"). */
#ifndef PANIC_RUNNER_H
#define PANIC_RUNNER_H

#include "catalog.h"
#include "network.h"

#include <stddef.h>
#include <stdint.h>

enum runner_state {
    RUNNER_IDLE,
    RUNNER_PROCESSING,
    RUNNER_WAITING,
    RUNNER_FAILED,
    RUNNER_STOPPED,
    RUNNER_STORAGE_ERROR, /* the store lost a step; nothing runs until runner_resume/_settle */
};

/* An invocation input or output. `value` is the text itself for MEDIA_TEXT and the media name
 * "<sha256>.<ext>" for images and audio. */
struct runner_io {
    enum media_type type;
    const char *value;
};

struct runner_ops {
    /* Persist a new run whose genesis prompt is `prompt`; the run id (> 0) or a negative errno. */
    int64_t (*run_create)(void *ctx, const char *prompt, int64_t now);
    /* A run is over: state is "stopped", "failed" or "superseded"; reason is human text. */
    void (*run_end)(void *ctx, int64_t run, const char *state, const char *reason, int64_t now);
    /* Persist invocation (run, seq) in state invoking; its id (> 0) or a negative errno. */
    int64_t (*invocation_create)(void *ctx, int64_t run, int64_t seq, const char *model,
                                 const struct runner_io *input, int64_t now);
    /* Start the model call. The platform answers later through runner_complete() with the same
     * gen and inv_id, never from inside this call. attempt counts from 0. */
    void (*invoke)(void *ctx, uint64_t gen, int64_t inv_id, const char *model,
                   const struct runner_io *input, int attempt);
    /* Abandon the model call of inv_id, if any is in flight. */
    void (*cancel)(void *ctx, int64_t inv_id);
    /* Persist the outcome: output (completed) or error (failed, output NULL). */
    void (*invocation_finish)(void *ctx, int64_t inv_id, const struct runner_io *output,
                              const char *error, int64_t now);
    /* Arm the runner's single timer (replacing any earlier one) for wall time at_ms. */
    void (*timer_arm)(void *ctx, uint64_t gen, int64_t at_ms);
    void (*timer_cancel)(void *ctx);
    /* The status (runner_get_status) changed. */
    void (*status_changed)(void *ctx);
    /* Optional (NULL: none): the least wait in ms before the step after invocation seq, which
     * completed with output; or, output NULL, before the genesis' own call is made (it waits
     * invoking). So that an output stays up where it is shown slowly (a Vestaboard) before the
     * loop moves on. */
    int64_t (*hold_ms)(void *ctx, int64_t seq, const struct runner_io *output);
};

struct runner_config {
    int64_t network_id;
    const char *const *models; /* copied */
    size_t nmodels;
    int64_t lockout_ms;
    struct schedule schedule;
    int max_attempts;      /* tries per invocation before the run fails, >= 1 */
    int64_t retry_base_ms; /* back-off before retry k (1-based): retry_base_ms * 2^(k-1) */
};

struct runner_status {
    enum runner_state state;
    int in_lockout;
    int can_start_run;
    int64_t run;                  /* 0 if none */
    int64_t seq;                  /* seq of the current or next invocation */
    int64_t invocation;           /* id of the invocation in flight, 0 if none */
    int64_t genesis_at;           /* wall ms, 0 if none */
    int64_t next_at;              /* wall ms of the next invocation when waiting, else 0 */
    int64_t lockout_remaining_ms; /* 0 when not in lockout */
    int attempt;
    const char *model; /* model of the current or next invocation; borrowed */
    const char *error; /* last failure or stop reason; borrowed, may be NULL */
    /* Filled in by the coordinator (the runner leaves them 0): the network calls a model that
     * costs money, the estimated USD its current run has cost so far and its last hour's. */
    int paid;
    double cost_usd;
    double burn_usd_per_hour;
};

/* What a restarted daemon found in the store for the network's live run. */
struct runner_resume {
    int64_t run;
    int64_t genesis_at;
    int64_t last_id; /* last invocation of the run */
    int64_t last_seq;
    int last_completed;       /* 1 completed (output valid), 0 still invoking (input valid) */
    struct runner_io input;   /* the last invocation's input */
    struct runner_io output;  /* its output when completed */
    int64_t last_finished_at; /* wall ms */
};

/* Owned; runner_free. ops and ctx are borrowed and must outlive the runner. */
struct runner *runner_new(const struct runner_config *cfg, const struct runner_ops *ops, void *ctx);
void runner_free(struct runner *r);

/* Start a run from a text prompt. 0 with *run and *genesis set; -EBUSY in lockout with
 * *retry_after_ms set; another negative errno if the store failed. */
int runner_start(struct runner *r, const char *prompt, int64_t now, int64_t *run, int64_t *genesis,
                 int64_t *retry_after_ms);
/* An operator stop. 0, or -EALREADY when no run is live. */
int runner_stop(struct runner *r, const char *reason, int64_t now);
/* A platform call finished: output on success, else error (retryable: may be tried again).
 * Returns 0 if taken, -ESTALE if it belonged to an older generation or invocation. */
int runner_complete(struct runner *r, uint64_t gen, int64_t inv_id, const struct runner_io *output,
                    const char *error, int retryable, int64_t now);
/* The timer armed with gen fired. 0 if taken, -ESTALE if stale. */
int runner_timer(struct runner *r, uint64_t gen, int64_t now);
/* Continue a run found in the store after a restart (or after a storage error). */
void runner_resume(struct runner *r, const struct runner_resume *s, int64_t now);
/* A network without a live run, put back as the store has it (after a restart, or after a
 * storage error): state RUNNER_IDLE (run 0), RUNNER_FAILED or RUNNER_STOPPED with that run's
 * genesis, last seq and reason (may be NULL). A timer is disarmed and the generation moves on, so
 * nothing of an older step is taken. status_changed is called only when leaving
 * RUNNER_STORAGE_ERROR (what clients last saw changes); a live runner is left alone. */
void runner_recall(struct runner *r, enum runner_state state, int64_t run, int64_t genesis_at,
                   int64_t seq, const char *reason);
/* The store could not keep the step just taken (it was rolled back): forget it. The call in
 * flight is cancelled and the timer disarmed, the generation moves on (whatever comes back for
 * the lost step is dropped), and the state is RUNNER_STORAGE_ERROR with reason, no run, until
 * runner_resume or runner_recall puts back what the store holds. Nothing is written. */
void runner_suspend(struct runner *r, const char *reason);

/* New lockout and schedule for this network: the live run's lockout is counted with the new
 * length from its genesis, its next step uses the new schedule. The models cannot change here. */
void runner_reconfigure(struct runner *r, int64_t lockout_ms, const struct schedule *schedule);

void runner_get_status(const struct runner *r, int64_t now, struct runner_status *out);
/* "idle", "lockout", "processing", "waiting", "failed", "stopped", "storage_error". */
const char *runner_state_name(const struct runner_status *st);
int64_t runner_network(const struct runner *r);
uint64_t runner_gen(const struct runner *r);

#endif
