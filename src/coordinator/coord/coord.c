/* coord.c: the coordinator core (see coord.h): the runners, the store and the platforms glued
 * together. The platforms' keys are in coord_keys.c, the default network and the configured
 * displays in coord_seed.c, the media quota in coord_quota.c; they share coord_internal.h.
 *
 * Layout: `struct net` is one network's runner plus its timers; the runner_ops at the bottom turn
 * the runner's decisions into store writes, platform calls and events. Every entry from outside
 * (HTTP, a platform answer, a timer) is bracketed by coord_txn_begin/end, so one step of the loop
 * is one sqlite transaction (one fsync with synchronous=FULL) and the events it wrote are handed
 * to the sink only after COMMIT: a display never sees an event that a power cut could undo.
 * Depends on the store, media, platforms and jansson (for event payloads); not on HTTP. */
#define _DEFAULT_SOURCE /* explicit_bzero */
#include "coord_internal.h"
#include "common/log.h"
#include "common/util.h"
#include "coordinator/core/slug.h"
#include "coordinator/platforms/dummy/dummy.h"
#include "coordinator/platforms/platform.h"
#include "coordinator/store/store.h"
#include "vestaboard.h"
#include "views.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct net {
    struct coord *c;
    int64_t id;
    struct runner *r;
    uint64_t timer; /* ev timer of the runner's single timer */
    uint64_t timer_gen;
    uint64_t lockout_timer; /* emits a status event when the lockout ends */
    int paid;               /* one of its models costs money per call (status shows the cost) */
};

struct pending_event {
    int64_t id;
    int64_t network;
    char type[24];
    char *data;
};

struct failure {
    struct coord *c;
    struct platform_call call;
    char msg[PANIC_ERR_LEN];
};

static const struct runner_ops net_ops;
static void op_status_changed(void *ctx);

/* ---- platforms and their keys ---- */

static struct platform *platform_named(struct coord *c, const char *name)
{
    for (size_t i = 0; i < c->nplatforms; i++)
        if (!strcmp(c->platforms[i].name, name))
            return &c->platforms[i].p;
    return NULL;
}

int coord_add_platform(struct coord *c, const char *name, struct platform p)
{
    if (!p.ops || c->nplatforms == COORD_MAX_PLATFORMS || platform_named(c, name))
        return -EINVAL;
    snprintf(c->platforms[c->nplatforms].name, sizeof c->platforms[0].name, "%s", name);
    c->platforms[c->nplatforms].p = p;
    c->nplatforms++;
    return 0;
}

struct platform_env *coord_platform_env(struct coord *c)
{
    return &c->env;
}

int coord_model_available(struct coord *c, const struct model_info *m, char *why, size_t len)
{
    struct platform *p = platform_named(c, m->platform);
    if (!p) {
        snprintf(why, len, "the %s platform is not part of this build", m->platform);
        return 0;
    }
    if (p->ops->model_available)
        return p->ops->model_available(p->self, m, why, len);
    return p->ops->available ? p->ops->available(p->self, why, len) : 1;
}

/* 0 if every model of the network can be called now, else -EPERM with the reasons. */
static int network_ready(struct coord *c, const struct store_network *sn, char *err, size_t len)
{
    json_t *models = json_loads(sn->models_json, 0, NULL);
    size_t i;
    json_t *v;
    int rc = 0;
    json_array_foreach(models, i, v)
    {
        const struct model_info *m = catalog_find(json_string_value(v));
        char why[256] = "";
        if (!m) {
            snprintf(err, len, "the model %s no longer exists", json_string_value(v));
            rc = -EPERM;
            break;
        }
        if (!coord_model_available(c, m, why, sizeof why)) {
            snprintf(err, len, "%s cannot run: %s", m->id, why);
            rc = -EPERM;
            break;
        }
    }
    json_decref(models);
    return rc;
}

/* ---- transactions and events ---- */

void coord_txn_begin(struct coord *c)
{
    if (c->depth++ == 0 && store_begin(c->store) < 0)
        log_err("store: BEGIN failed");
}

static void storage_fault(struct coord *c);

int coord_txn_end(struct coord *c)
{
    if (--c->depth > 0)
        return 0;
    int ok = store_commit(c->store) == 0;
    if (!ok)
        store_rollback(c->store);
    for (size_t i = 0; i < c->npending; i++) {
        if (ok && c->sink)
            c->sink(c->sink_user, c->pending[i].id, c->pending[i].network, c->pending[i].type,
                    c->pending[i].data);
        free(c->pending[i].data);
    }
    c->npending = 0;
    if (ok && c->appended >= 1000) {
        c->appended = 0;
        if (store_event_prune(c->store, c->cfg->events_keep) < 0)
            log_warn("store: could not prune the event log");
    }
    if (!ok) {
        storage_fault(c);
        return -EIO;
    }
    if (!c->storage_err[0])
        c->storage_backoff_ms = 0;
    return 0;
}

/* Append an event inside the current transaction; data is consumed. */
static void emit_json(struct coord *c, int64_t network, const char *type, json_t *data)
{
    char *text = view_dump(data);
    int64_t id = store_event_append(c->store, network, type, text, time_wall_ms());
    if (id < 0) {
        /* Once in storage_error, the retries' failures are told by storage_fault's one line. */
        if (c->storage_err[0])
            log_debug("store: could not append event type=%s network=%lld", type,
                      (long long)network);
        else
            log_err("store: could not append event type=%s network=%lld", type, (long long)network);
        free(text);
        return;
    }
    if (c->npending == c->cappending) {
        c->cappending = c->cappending ? c->cappending * 2 : 16;
        c->pending = xrealloc(c->pending, c->cappending * sizeof *c->pending);
    }
    struct pending_event *e = &c->pending[c->npending++];
    e->id = id;
    e->network = network;
    snprintf(e->type, sizeof e->type, "%s", type);
    e->data = text;
    c->appended++;
}

int64_t coord_emit(struct coord *c, int64_t network, const char *type, const char *data)
{
    json_t *j = json_loads(data, 0, NULL);
    if (!j)
        return -EINVAL;
    coord_txn_begin(c);
    emit_json(c, network, type, j);
    int64_t id = c->npending ? c->pending[c->npending - 1].id : -EIO;
    coord_txn_end(c);
    return id;
}

static void emit_invocation(struct coord *c, int64_t inv_id)
{
    struct store_invocation inv = {0};
    if (store_invocation_get(c->store, inv_id, &inv) == 0)
        emit_json(c, inv.network_id, "invocation", view_invocation(&inv));
    store_invocation_clear(&inv);
}

/* ---- networks ---- */

static struct net *find_net(struct coord *c, int64_t id)
{
    for (size_t i = 0; i < c->nnets; i++)
        if (c->nets[i]->id == id)
            return c->nets[i];
    return NULL;
}

/* Parse a stored models array; owned array of borrowed strings from *holder. */
static const char **models_from_json(const char *text, json_t **holder, size_t *n)
{
    *holder = json_loads(text, 0, NULL);
    *n = json_array_size(*holder);
    if (!json_is_array(*holder) || *n == 0)
        return NULL;
    const char **models = xcalloc(*n, sizeof *models);
    for (size_t i = 0; i < *n; i++) {
        models[i] = json_string_value(json_array_get(*holder, i));
        if (!models[i]) {
            free(models);
            return NULL;
        }
    }
    return models;
}

static int schedule_of(const struct store_network *sn, struct schedule *out)
{
    *out = schedule_default();
    if (!sn->schedule_json)
        return 0;
    json_t *j = json_loads(sn->schedule_json, 0, NULL);
    char err[PANIC_ERR_LEN];
    int rc = view_parse_schedule(j, out, err, sizeof err);
    json_decref(j);
    if (rc < 0)
        *out = schedule_default();
    return rc;
}

static struct runner *make_runner(struct coord *c, struct net *n, const struct store_network *sn)
{
    json_t *holder;
    size_t nmodels;
    const char **models = models_from_json(sn->models_json, &holder, &nmodels);
    struct runner *r = NULL;
    if (models) {
        n->paid = 0;
        for (size_t i = 0; i < nmodels; i++)
            n->paid |= catalog_paid(catalog_find(models[i])) || config_price(c->cfg, models[i]) > 0;
        struct runner_config rc = {
            .network_id = sn->id,
            .models = models,
            .nmodels = nmodels,
            .lockout_ms = sn->lockout_s * 1000,
            .max_attempts = (int)c->cfg->max_attempts,
            .retry_base_ms = c->cfg->retry_base_ms,
        };
        schedule_of(sn, &rc.schedule);
        r = runner_new(&rc, &net_ops, n);
    }
    free(models);
    json_decref(holder);
    return r;
}

static struct net *add_net(struct coord *c, const struct store_network *sn)
{
    struct net *n = xcalloc(1, sizeof *n);
    n->c = c;
    n->id = sn->id;
    n->r = make_runner(c, n, sn);
    if (!n->r) {
        log_err("network %lld has an unreadable model list; it cannot run", (long long)sn->id);
        free(n);
        return NULL;
    }
    c->nets = xrealloc(c->nets, (c->nnets + 1) * sizeof *c->nets);
    c->nets[c->nnets++] = n;
    return n;
}

static void free_net(struct coord *c, struct net *n)
{
    ev_timer_del(c->ev, n->timer);
    ev_timer_del(c->ev, n->lockout_timer);
    runner_free(n->r);
    free(n);
}

static void remove_net(struct coord *c, struct net *n)
{
    for (size_t i = 0; i < c->nnets; i++) {
        if (c->nets[i] == n) {
            c->nets[i] = c->nets[--c->nnets];
            break;
        }
    }
    free_net(c, n);
}

int64_t coord_first_network(struct coord *c)
{
    int64_t first = 0;
    for (size_t i = 0; i < c->nnets; i++)
        if (!first || c->nets[i]->id < first)
            first = c->nets[i]->id;
    return first;
}

static char *models_json(const char *const *models, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(models[i]));
    return view_dump(a);
}

static int slug_taken(void *user, const char *slug)
{
    struct coord *c = user;
    return store_network_by_slug(c->store, slug) != -ENOENT;
}

/* The slug network self gets: want checked, or (want NULL) the name's default made unique. */
static int pick_slug(struct coord *c, int64_t self, const char *want, const char *name, char *out,
                     size_t len, char *err, size_t errlen)
{
    if (!want) {
        char base[SLUG_MAX + 1];
        slug_from_name(name, base, sizeof base);
        if (slug_unique(base, slug_taken, c, out, len) == 0)
            return 0;
        snprintf(err, errlen, "no free slug for the name");
        return -EEXIST;
    }
    if (!slug_valid(want)) {
        snprintf(err, errlen,
                 "a slug is 1-%d of a-z, 0-9 and '-', not at either end and not only digits",
                 SLUG_MAX);
        return -EINVAL;
    }
    int64_t other = store_network_by_slug(c->store, want);
    if (other > 0 && other != self) {
        snprintf(err, errlen, "the slug '%s' belongs to network %lld", want, (long long)other);
        return -EEXIST;
    }
    snprintf(out, len, "%s", want);
    return 0;
}

int64_t coord_network_resolve(struct coord *c, const char *text)
{
    int64_t id;
    if (parse_int64(text, 1, INT64_MAX, &id) == 0)
        return find_net(c, id) ? id : -ENOENT;
    if (!slug_valid(text))
        return -ENOENT;
    id = store_network_by_slug(c->store, text);
    return id > 0 && find_net(c, id) ? id : -ENOENT;
}

int coord_network_create(struct coord *c, const char *name, const char *slug_want,
                         const char *const *models, size_t n, int64_t lockout_s,
                         const struct schedule *schedule, int64_t *id, char *err, size_t errlen)
{
    char slug[SLUG_MAX + 1];
    int src = pick_slug(c, 0, slug_want, name, slug, sizeof slug, err, errlen);
    if (src < 0)
        return src;
    if (network_validate(models, n, err, errlen) < 0)
        return -EINVAL;
    if (schedule && schedule_check(schedule, err, errlen) < 0)
        return -EINVAL;
    char *mj = models_json(models, n);
    char *sj = schedule ? view_dump(view_schedule(schedule)) : NULL;
    int64_t now = time_wall_ms();
    coord_txn_begin(c);
    int64_t nid = store_network_insert(c->store, name, mj, lockout_s, sj, now);
    struct store_network sn = {0};
    int rc = nid < 0 ? (int)nid : store_network_set_slug(c->store, nid, slug);
    if (rc == 0)
        rc = store_network_get(c->store, nid, &sn);
    if (rc == 0) {
        emit_json(c, 0, "network", view_network(&sn));
        if (!add_net(c, &sn))
            rc = -EIO;
    }
    struct net *added = rc == 0 ? find_net(c, nid) : NULL;
    if (coord_txn_end(c) < 0 && rc == 0) {
        /* Rolled back: the network does not exist and its id was never handed out. */
        remove_net(c, added);
        rc = -EIO;
        snprintf(err, errlen, "could not store the network: %s", c->storage_err);
    } else if (rc < 0) {
        snprintf(err, errlen, "could not store the network");
    }
    store_network_clear(&sn);
    free(mj);
    free(sj);
    if (rc < 0)
        return rc;
    *id = nid;
    return 0;
}

/* After a rolled-back update: a fresh runner from the network as stored, suspended like the
 * others until the storage retry puts it back. */
static void reload_net(struct coord *c, struct net *net)
{
    struct store_network sn = {0};
    struct runner *fresh =
        store_network_get(c->store, net->id, &sn) == 0 ? make_runner(c, net, &sn) : NULL;
    store_network_clear(&sn);
    if (!fresh)
        return;
    ev_timer_del(c->ev, net->timer);
    net->timer = 0;
    runner_free(net->r);
    net->r = fresh;
    runner_suspend(fresh, c->storage_err);
}

int coord_network_update(struct coord *c, int64_t id, const char *name, const char *slug_want,
                         const char *const *models, size_t n, int64_t lockout_s,
                         const struct schedule *schedule, char *err, size_t errlen)
{
    char slug[SLUG_MAX + 1];
    struct net *net = find_net(c, id);
    struct store_network sn = {0};
    if (!net || store_network_get(c->store, id, &sn) < 0) {
        snprintf(err, errlen, "no network %lld", (long long)id);
        return -ENOENT;
    }
    int rc = 0;
    char *mj = NULL, *sj = NULL;
    if (slug_want)
        rc = pick_slug(c, id, slug_want, sn.name, slug, sizeof slug, err, errlen);
    if (rc < 0)
        goto out;
    if (models && network_validate(models, n, err, errlen) < 0)
        rc = -EINVAL;
    else if (schedule && schedule_check(schedule, err, errlen) < 0)
        rc = -EINVAL;
    if (rc < 0)
        goto out;
    mj = models ? models_json(models, n) : xstrdup(sn.models_json);
    sj = schedule ? view_dump(view_schedule(schedule))
                  : (sn.schedule_json ? xstrdup(sn.schedule_json) : NULL);
    int64_t now = time_wall_ms();
    coord_txn_begin(c);
    int models_changed = strcmp(mj, sn.models_json) != 0;
    if (models_changed)
        runner_stop(net->r, "the network's models changed", now);
    rc = store_network_update(c->store, id, name ? name : sn.name, mj,
                              lockout_s >= 0 ? lockout_s : sn.lockout_s, sj, now);
    store_network_clear(&sn);
    if (rc == 0 && slug_want)
        rc = store_network_set_slug(c->store, id, slug);
    if (rc == 0)
        rc = store_network_get(c->store, id, &sn);
    if (rc == 0) {
        emit_json(c, 0, "network", view_network(&sn));
        if (models_changed) {
            /* The old run was stopped above; a fresh runner takes the new models. */
            struct runner *fresh = make_runner(c, net, &sn);
            if (fresh) {
                ev_timer_del(c->ev, net->timer);
                net->timer = 0;
                runner_free(net->r);
                net->r = fresh;
            }
        } else {
            struct schedule sched;
            schedule_of(&sn, &sched);
            runner_reconfigure(net->r, sn.lockout_s * 1000, &sched);
        }
        op_status_changed(net);
    }
    if (coord_txn_end(c) < 0) {
        /* Rolled back: the runner goes back to the stored network's models and schedule. */
        reload_net(c, net);
        rc = -EIO;
        snprintf(err, errlen, "could not store the network: %s", c->storage_err);
        goto out;
    }
out:
    store_network_clear(&sn);
    free(mj);
    free(sj);
    if (rc < 0 && rc != -EINVAL && rc != -EEXIST)
        snprintf(err, errlen, "could not store the network");
    return rc;
}

int coord_network_delete(struct coord *c, int64_t id)
{
    struct net *n = find_net(c, id);
    if (!n)
        return -ENOENT;
    int64_t now = time_wall_ms();
    coord_txn_begin(c);
    runner_stop(n->r, "the network was deleted", now);
    int rc = store_network_delete(c->store, id);
    if (rc == 0) {
        json_t *j = json_pack("{s:I, s:b}", "id", (json_int_t)id, "deleted", 1);
        emit_json(c, 0, "network", j);
    }
    if (coord_txn_end(c) < 0)
        return -EIO; /* rolled back: the network is still there (in storage_error) */
    if (rc == 0)
        remove_net(c, n);
    return rc;
}

/* ---- runs ---- */

int coord_run_start(struct coord *c, int64_t network, const char *prompt, int64_t *run,
                    int64_t *genesis, int64_t *retry_after_ms)
{
    struct net *n = find_net(c, network);
    if (!n)
        return -ENOENT;
    struct store_network sn = {0};
    if (store_network_get(c->store, network, &sn) == 0) {
        int rc = network_ready(c, &sn, c->last_error, sizeof c->last_error);
        store_network_clear(&sn);
        if (rc < 0)
            return rc;
    }
    /* Over the hour's budget already: refused before any paid call is made. */
    double cap = c->cfg->budget_usd_per_hour;
    double spent = cap > 0 ? coord_burn_per_hour(c, network) : 0;
    if (cap > 0 && spent >= cap) {
        snprintf(c->last_error, sizeof c->last_error,
                 "budget cap reached: $%.2f spent in the last hour (budget_usd_per_hour is $%.2f)",
                 spent, cap);
        return -EDQUOT;
    }
    if (c->storage_err[0]) {
        snprintf(c->last_error, sizeof c->last_error, "%s", c->storage_err);
        return -EIO;
    }
    coord_txn_begin(c);
    int rc = runner_start(n->r, prompt, time_wall_ms(), run, genesis, retry_after_ms);
    if (coord_txn_end(c) < 0) {
        /* Rolled back: the run and its genesis were never stored, their ids never handed out. */
        snprintf(c->last_error, sizeof c->last_error, "%s", c->storage_err);
        return -EIO;
    }
    return rc;
}

int coord_run_stop(struct coord *c, int64_t network, const char *reason)
{
    struct net *n = find_net(c, network);
    if (!n)
        return -ENOENT;
    coord_txn_begin(c);
    int rc = runner_stop(n->r, reason, time_wall_ms());
    coord_txn_end(c);
    return rc;
}

int coord_stop_all(struct coord *c, const char *reason)
{
    int stopped = 0;
    int64_t now = time_wall_ms();
    coord_txn_begin(c);
    for (size_t i = 0; i < c->nnets; i++)
        stopped += runner_stop(c->nets[i]->r, reason, now) == 0;
    if (coord_txn_end(c) < 0) {
        snprintf(c->last_error, sizeof c->last_error, "%s", c->storage_err);
        return -EIO;
    }
    log_info("stopped every network: %d runs stopped reason=\"%s\"", stopped, reason);
    return stopped;
}

/* The runner's status with what the network has cost: its current run so far, its last hour. */
static void net_status(struct net *n, int64_t now, struct runner_status *out)
{
    runner_get_status(n->r, now, out);
    out->paid = n->paid;
    if (!n->paid)
        return;
    if (out->run)
        store_cost_run(n->c->store, out->run, &out->cost_usd);
    out->burn_usd_per_hour = coord_burn_per_hour(n->c, n->id);
}

int coord_status(struct coord *c, int64_t network, struct runner_status *out)
{
    struct net *n = find_net(c, network);
    if (!n)
        return -ENOENT;
    net_status(n, time_wall_ms(), out);
    return 0;
}

/* ---- platform answers and timers ---- */

static void on_platform_done(void *owner, const struct platform_call *call,
                             const struct runner_io *output, const char *error, int retryable)
{
    struct coord *c = owner;
    struct net *n = find_net(c, call->network_id);
    if (!n)
        return;
    if (error)
        log_warn("invocation failed network=%lld invocation=%lld model=%s attempt=%d error=\"%s\"",
                 (long long)call->network_id, (long long)call->inv_id, call->model->id,
                 call->attempt + 1, error);
    coord_txn_begin(c);
    int64_t now = time_wall_ms();
    int rc = runner_complete(n->r, call->gen, call->inv_id, output, error, retryable, now);
    /* The budget cap: over the hour's budget, the run stops with the reason on the status. */
    double cap = c->cfg->budget_usd_per_hour;
    double spent = cap > 0 && rc == 0 ? coord_burn_per_hour(c, n->id) : 0;
    if (cap > 0 && spent >= cap) {
        char why[160];
        snprintf(why, sizeof why, "budget cap reached: $%.2f spent in the last hour (cap $%.2f)",
                 spent, cap);
        if (runner_stop(n->r, why, now) == 0)
            log_warn("run stopped network=%lld reason=\"%s\"", (long long)n->id, why);
    }
    coord_txn_end(c);
    if (rc == -ESTALE)
        log_debug("dropped a stale completion invocation=%lld", (long long)call->inv_id);
}

static void on_failure_due(struct ev *ev, uint64_t id, void *data)
{
    (void)ev;
    (void)id;
    struct failure *f = data;
    on_platform_done(f->c, &f->call, NULL, f->msg, 0);
    free(f);
}

static void on_runner_timer(struct ev *ev, uint64_t id, void *data)
{
    (void)ev;
    (void)id;
    struct net *n = data;
    n->timer = 0;
    coord_txn_begin(n->c);
    runner_timer(n->r, n->timer_gen, time_wall_ms());
    coord_txn_end(n->c);
}

static void on_lockout_end(struct ev *ev, uint64_t id, void *data)
{
    (void)ev;
    (void)id;
    struct net *n = data;
    n->lockout_timer = 0;
    struct runner_status st;
    net_status(n, time_wall_ms(), &st);
    coord_txn_begin(n->c);
    emit_json(n->c, n->id, "status", view_status(n->id, &st));
    coord_txn_end(n->c);
}

/* ---- runner ops ---- */

static int64_t op_run_create(void *ctx, const char *prompt, int64_t now)
{
    struct net *n = ctx;
    return store_run_insert(n->c->store, n->id, prompt, now);
}

static void op_run_end(void *ctx, int64_t run, const char *state, const char *reason, int64_t now)
{
    struct net *n = ctx;
    if (store_run_end(n->c->store, run, state, reason, now) < 0)
        log_err("store: could not end run=%lld", (long long)run);
    log_info("run ended network=%lld run=%lld state=%s reason=\"%s\"", (long long)n->id,
             (long long)run, state, reason ? reason : "");
}

static int64_t op_invocation_create(void *ctx, int64_t run, int64_t seq, const char *model,
                                    const struct runner_io *input, int64_t now)
{
    struct net *n = ctx;
    int64_t id = store_invocation_insert(n->c->store, n->id, run, seq, model, input->type,
                                         input->value, now);
    if (id > 0)
        emit_invocation(n->c, id);
    return id;
}

static void op_invoke(void *ctx, uint64_t gen, int64_t inv_id, const char *model,
                      const struct runner_io *input, int attempt)
{
    struct net *n = ctx;
    struct coord *c = n->c;
    const struct model_info *m = catalog_find(model);
    struct platform_call call = {n->id, gen, inv_id, m, *input, attempt};
    const char *why = NULL;
    if (!m)
        why = "this model no longer exists";
    else if (!platform_named(c, m->platform))
        why = "this model's platform is not part of this build";
    else if (platform_named(c, m->platform)
                 ->ops->invoke(platform_named(c, m->platform)->self, &call) < 0)
        why = "the platform could not start the call";
    if (!why)
        return;
    /* Answer from the loop, never from inside the runner's own call. */
    struct failure *f = xcalloc(1, sizeof *f);
    f->c = c;
    f->call = call;
    f->call.input.value = NULL;
    snprintf(f->msg, sizeof f->msg, "%s: %s", model, why);
    static const struct model_info unknown = {"unknown", "unknown", "none", MEDIA_TEXT, MEDIA_TEXT,
                                              "",        "{}",      NULL,   NULL};
    if (!m)
        f->call.model = &unknown;
    ev_timer_in(c->ev, 0, on_failure_due, f);
}

static void op_cancel(void *ctx, int64_t inv_id)
{
    struct net *n = ctx;
    /* Only the platform that has the call knows it; the others ignore the id. */
    for (size_t i = 0; i < n->c->nplatforms; i++)
        n->c->platforms[i].p.ops->cancel(n->c->platforms[i].p.self, inv_id);
}

/* The off-site archive: a picture or sound joins the upload queue in the step's own transaction
 * (coord_archive.c uploads it). */
static void queue_upload(struct coord *c, const char *name)
{
    char path[4200], key[512];
    if (media_path(c->media, name, path, sizeof path) < 0 || strlen(name) < 64)
        return;
    snprintf(key, sizeof key, "%smedia/%s", c->cfg->archive_prefix ? c->cfg->archive_prefix : "",
             name);
    char sha[65];
    snprintf(sha, sizeof sha, "%.64s", name);
    if (store_upload_add(c->store, "media", path, key, sha, time_wall_ms()) < 0)
        log_warn("archive: could not queue media=%s", name);
}

static void op_invocation_finish(void *ctx, int64_t inv_id, const struct runner_io *output,
                                 const char *error, int64_t now)
{
    struct net *n = ctx;
    int rc = store_invocation_finish(n->c->store, inv_id, output ? output->type : MEDIA_TEXT,
                                     output ? output->value : NULL, error, now);
    if (rc < 0) {
        log_err("store: could not finish invocation=%lld", (long long)inv_id);
        return;
    }
    if (output && n->c->cfg->nprices) {
        struct store_invocation inv = {0};
        double usd = store_invocation_get(n->c->store, inv_id, &inv) == 0
                         ? config_price(n->c->cfg, inv.model)
                         : 0;
        if (usd > 0)
            store_invocation_set_cost(n->c->store, inv_id, usd);
        store_invocation_clear(&inv);
    }
    if (output && output->type != MEDIA_TEXT && n->c->cfg->archive_endpoint)
        queue_upload(n->c, output->value);
    emit_invocation(n->c, inv_id);
}

static void op_timer_arm(void *ctx, uint64_t gen, int64_t at_ms)
{
    struct net *n = ctx;
    ev_timer_del(n->c->ev, n->timer);
    n->timer_gen = gen;
    n->timer = ev_timer_in(n->c->ev, at_ms - time_wall_ms(), on_runner_timer, n);
}

static void op_timer_cancel(void *ctx)
{
    struct net *n = ctx;
    ev_timer_del(n->c->ev, n->timer);
    n->timer = 0;
}

static void op_status_changed(void *ctx)
{
    struct net *n = ctx;
    struct runner_status st;
    net_status(n, time_wall_ms(), &st);
    emit_json(n->c, n->id, "status", view_status(n->id, &st));
    ev_timer_del(n->c->ev, n->lockout_timer);
    n->lockout_timer = 0;
    if (st.in_lockout)
        n->lockout_timer = ev_timer_in(n->c->ev, st.lockout_remaining_ms, on_lockout_end, n);
}

/* A text a Vestaboard shows keeps the loop waiting long enough to be read (vestaboard.c). */
static int64_t op_hold_ms(void *ctx, int64_t seq, const struct runner_io *output)
{
    struct net *n = ctx;
    if (output && output->type != MEDIA_TEXT)
        return 0;
    return vestaboards_hold_ms(n->c->boards, n->id, seq, output == NULL);
}

static const struct runner_ops net_ops = {
    .run_create = op_run_create,
    .run_end = op_run_end,
    .invocation_create = op_invocation_create,
    .invoke = op_invoke,
    .cancel = op_cancel,
    .invocation_finish = op_invocation_finish,
    .timer_arm = op_timer_arm,
    .timer_cancel = op_timer_cancel,
    .status_changed = op_status_changed,
    .hold_ms = op_hold_ms,
};

/* ---- life cycle ---- */

struct coord *coord_new(struct ev *ev, struct store *store, struct media_store *media,
                        const struct panicd_config *cfg)
{
    struct coord *c = xcalloc(1, sizeof *c);
    c->ev = ev;
    c->store = store;
    c->media = media;
    c->cfg = cfg;
    c->env = (struct platform_env){.ev = ev,
                                   .media = media,
                                   .cfg = cfg,
                                   .done = on_platform_done,
                                   .owner = c,
                                   .key = coord_key_lookup};
    coord_add_platform(c, "dummy", dummy_platform_new(ev, media, cfg, on_platform_done, c));
    return c;
}

void coord_free(struct coord *c)
{
    if (!c)
        return;
    ev_timer_del(c->ev, c->storage_timer);
    for (size_t i = 0; i < c->nnets; i++)
        free_net(c, c->nets[i]);
    free(c->nets);
    for (size_t i = 0; i < c->nplatforms; i++)
        c->platforms[i].p.ops->free(c->platforms[i].p.self);
    explicit_bzero(c->keybuf, sizeof c->keybuf);
    for (size_t i = 0; i < c->npending; i++)
        free(c->pending[i].data);
    free(c->pending);
    free(c);
}

void coord_set_sink(struct coord *c, coord_sink_fn fn, void *user)
{
    c->sink = fn;
    c->sink_user = user;
}

/* Pick up the network's last run if the daemon stopped while it was live; if it had ended
 * (failed or stopped), the status says so again, with its reason. */
static void resume_net(struct coord *c, struct net *n, int64_t now)
{
    struct store_run run = {0};
    struct store_invocation last = {0};
    if (store_run_latest(c->store, n->id, &run) < 0)
        goto out;
    int have_last = store_invocation_last(c->store, run.id, &last) == 0;
    const char *ended = strcmp(run.state, "running") ? run.state : NULL, *why = run.reason;
    if (!ended && (!have_last || !strcmp(last.state, "failed"))) {
        ended = "failed";
        why = !have_last ? "no invocation was recorded" : last.error ? last.error : "failed";
        store_run_end(c->store, run.id, ended, why, now);
    }
    if (ended) {
        if (!strcmp(ended, "failed") || !strcmp(ended, "stopped"))
            runner_recall(n->r, !strcmp(ended, "stopped") ? RUNNER_STOPPED : RUNNER_FAILED, run.id,
                          run.created_at, have_last ? last.seq : 0, why);
        goto out;
    }
    struct runner_resume rs = {
        .run = run.id,
        .genesis_at = run.created_at,
        .last_id = last.id,
        .last_seq = last.seq,
        .last_completed = !strcmp(last.state, "completed"),
        .input = {last.input_type, last.input},
        .output = {last.output_type, last.output},
        .last_finished_at = last.finished_at,
    };
    log_info("resuming network=%lld run=%lld seq=%lld state=%s", (long long)n->id,
             (long long)run.id, (long long)last.seq, last.state);
    runner_resume(n->r, &rs, now);
out:
    store_run_clear(&run);
    store_invocation_clear(&last);
}

/* ---- storage errors ---- */

#define STORAGE_BACKOFF_FIRST_MS 500
#define STORAGE_BACKOFF_MAX_MS 30000

/* After a storage error: put the network back as the store has it (a live run resumes). */
static void recover_net(struct coord *c, struct net *n, int64_t now)
{
    struct runner_status st;
    runner_get_status(n->r, now, &st);
    if (st.state != RUNNER_STORAGE_ERROR)
        return;
    resume_net(c, n, now);
    runner_get_status(n->r, now, &st);
    if (st.state != RUNNER_STORAGE_ERROR)
        return;
    /* No run at all, or one that ended otherwise (superseded): nothing runs. */
    struct store_run run = {0};
    if (store_run_latest(c->store, n->id, &run) < 0)
        runner_recall(n->r, RUNNER_IDLE, 0, 0, 0, NULL);
    else
        runner_recall(n->r, RUNNER_STOPPED, run.id, run.created_at, 0, run.reason);
    store_run_clear(&run);
}

static void on_storage_retry(struct ev *ev, uint64_t id, void *data)
{
    (void)ev;
    (void)id;
    struct coord *c = data;
    c->storage_timer = 0;
    int64_t now = time_wall_ms();
    coord_txn_begin(c);
    for (size_t i = 0; i < c->nnets; i++)
        recover_net(c, c->nets[i], now);
    /* Still failing: coord_txn_end has suspended them again and armed the next retry. */
    if (coord_txn_end(c) == 0) {
        log_info("store: writes succeed again; networks resumed after \"%s\"", c->storage_err);
        c->storage_err[0] = '\0';
    }
}

/* The step just rolled back: every network forgets what it did since its last stored step and
 * waits in storage_error; one log line per step of the back-off. */
static void storage_fault(struct coord *c)
{
    snprintf(c->storage_err, sizeof c->storage_err, "storage error: %s",
             store_last_error(c->store));
    for (size_t i = 0; i < c->nnets; i++) {
        struct net *n = c->nets[i];
        runner_suspend(n->r, c->storage_err);
        ev_timer_del(c->ev, n->lockout_timer);
        n->lockout_timer = 0;
    }
    c->storage_backoff_ms =
        c->storage_backoff_ms ? c->storage_backoff_ms * 2 : STORAGE_BACKOFF_FIRST_MS;
    if (c->storage_backoff_ms > STORAGE_BACKOFF_MAX_MS)
        c->storage_backoff_ms = STORAGE_BACKOFF_MAX_MS;
    log_err("store: a step could not be written; networks paused, retrying in %lld ms "
            "reason=\"%s\"",
            (long long)c->storage_backoff_ms, c->storage_err);
    ev_timer_del(c->ev, c->storage_timer);
    c->storage_timer = ev_timer_in(c->ev, c->storage_backoff_ms, on_storage_retry, c);
}

/* A network stored before slugs existed gets its name's default. */
static void give_slug(struct coord *c, const struct store_network *sn)
{
    char slug[SLUG_MAX + 1], err[PANIC_ERR_LEN];
    if (sn->slug)
        return;
    if (pick_slug(c, sn->id, NULL, sn->name, slug, sizeof slug, err, sizeof err) < 0 ||
        store_network_set_slug(c->store, sn->id, slug) < 0)
        log_warn("network %lld: could not give it a slug", (long long)sn->id);
}

int coord_start(struct coord *c, char *err, size_t errlen)
{
    struct store_network *list = NULL;
    size_t count = 0;
    if (store_network_list(c->store, &list, &count) < 0) {
        snprintf(err, errlen, "cannot read the networks from the database");
        return -EIO;
    }
    if (count == 0) {
        free(list);
        return coord_seed_network(c, err, errlen);
    }
    int64_t now = time_wall_ms();
    coord_txn_begin(c);
    for (size_t i = 0; i < count; i++) {
        struct net *n = add_net(c, &list[i]);
        if (n)
            resume_net(c, n, now);
        give_slug(c, &list[i]);
        store_network_clear(&list[i]);
    }
    coord_txn_end(c);
    free(list);
    return 0;
}

void coord_unload(struct coord *c, const char *reason)
{
    ev_timer_del(c->ev, c->storage_timer);
    c->storage_timer = 0;
    c->storage_err[0] = '\0';
    c->storage_backoff_ms = 0;
    for (size_t i = 0; i < c->nnets; i++) {
        /* Cancels the call in flight and the timer; nothing is written. */
        runner_suspend(c->nets[i]->r, reason);
        free_net(c, c->nets[i]);
    }
    c->nnets = 0;
}

void coord_announce(struct coord *c)
{
    int64_t now = time_wall_ms();
    coord_txn_begin(c);
    for (size_t i = 0; i < c->nnets; i++) {
        struct runner_status st;
        net_status(c->nets[i], now, &st);
        emit_json(c, c->nets[i]->id, "status", view_status(c->nets[i]->id, &st));
    }
    coord_txn_end(c);
}

const char *coord_last_error(struct coord *c)
{
    return c->last_error;
}

double coord_burn_per_hour(struct coord *c, int64_t network)
{
    double sum = 0;
    store_cost_since(c->store, network, time_wall_ms() - 3600 * 1000, &sum);
    return sum;
}

const struct panicd_config *coord_config(const struct coord *c)
{
    return c->cfg;
}

struct platform *coord_platform(struct coord *c, const char *name)
{
    return platform_named(c, name);
}

int coord_uses_platform(struct coord *c, const char *platform)
{
    struct store_network *list = NULL;
    size_t n = 0;
    int used = 0;
    if (store_network_list(c->store, &list, &n) < 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        json_t *models = json_loads(list[i].models_json, 0, NULL), *v;
        size_t k;
        json_array_foreach(models, k, v)
        {
            const struct model_info *m = catalog_find(json_string_value(v));
            used |= m && !strcmp(m->platform, platform);
        }
        json_decref(models);
        store_network_clear(&list[i]);
    }
    free(list);
    return used;
}
