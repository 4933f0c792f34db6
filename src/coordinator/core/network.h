/* network.h: network validation and the slow-down schedule. Pure: time is passed in. */
#ifndef PANIC_NETWORK_H
#define PANIC_NETWORK_H

#include <stddef.h>
#include <stdint.h>

#define SCHEDULE_MAX_STEPS 8
#define NETWORK_MAX_MODELS 64

/* Delay before the next invocation, by run age: step i applies while age < until_ms (the last
 * step has until_ms < 0: forever). */
struct schedule {
    int nsteps;
    struct {
        int64_t until_ms;
        int64_t delay_ms;
    } steps[SCHEDULE_MAX_STEPS];
};

/* The default: 1 s under 10 min, 15 s under 1 h, 10 min after. */
struct schedule schedule_default(void);
/* Delay in ms for a run of age age_ms. */
int64_t schedule_delay(const struct schedule *s, int64_t age_ms);
/* 0, or -EINVAL with a reason: steps increasing, last one open-ended, delays >= 0. */
int schedule_check(const struct schedule *s, char *err, size_t errlen);

/* Check that models[0..n) forms a runnable cycle (docs/DESIGN.md, "The runner"): known ids, at
 * least one model, the first takes text, each output feeds the next input, the last feeds the
 * first. 0, or -EINVAL with every problem named in err, joined with "; ". */
int network_validate(const char *const *models, size_t n, char *err, size_t errlen);

#endif
