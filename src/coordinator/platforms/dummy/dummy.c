/* dummy.c: the offline dummy platform. Each call waits its configured latency on an event-loop
 * timer, then computes a deterministic output from (model, input): text answers, a PNG drawn from
 * the input (dummy_media.c) or a WAV of tones. Outputs go into the media store before the runner
 * hears of them. Failure injection (fail N times, always fail) exercises the retry and failure
 * paths of the runner. Depends on ev, the media store and config; never on HTTP or sqlite. */
#include "dummy.h"
#include "common/buf.h"
#include "common/util.h"
#include "dummy_media.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DUMMY_TEXT_MAX 1000

struct pending {
    struct dummy *d;
    uint64_t timer;
    struct platform_call call;
    char *input; /* owned copy of call.input.value */
    struct pending *next;
};

struct dummy {
    struct ev *ev;
    struct media_store *media;
    const struct panicd_config *cfg;
    platform_done_fn done;
    void *owner;
    struct pending *pending;
    struct {
        const char *model;
        int64_t failed;
    } fails[CONFIG_MAX_DUMMY];
    size_t nfails;
};

/* Reverse UTF-8 text by code point, so the answer stays valid UTF-8. */
static void reverse_utf8(const char *s, size_t len, struct buf *out)
{
    size_t end = len;
    while (end > 0) {
        size_t start = end - 1;
        while (start > 0 && ((unsigned char)s[start] & 0xc0) == 0x80)
            start--;
        buf_append(out, s + start, end - start);
        end = start;
    }
}

char *dummy_text(const char *model_id, const struct runner_io *input)
{
    struct buf out = BUF_INIT;
    const char *in = input->value;
    if (input->type == MEDIA_TEXT) {
        static const char prefix[] = "DUMMY_TEXT: ";
        if (!strncmp(in, prefix, sizeof prefix - 1))
            in += sizeof prefix - 1;
        buf_puts(&out, prefix);
        size_t len = strlen(in);
        if (len > DUMMY_TEXT_MAX - (sizeof prefix - 1)) {
            len = DUMMY_TEXT_MAX - (sizeof prefix - 1);
            while (len > 0 && ((unsigned char)in[len] & 0xc0) == 0x80)
                len--; /* never cut a code point in half */
        }
        reverse_utf8(in, len, &out);
    } else if (input->type == MEDIA_IMAGE) {
        buf_printf(&out, "DUMMY_CAPTION: %s sees an image with hash %.8s", model_id, in);
    } else {
        buf_printf(&out, "DUMMY_TRANSCRIPT: %s hears audio content from %.8s", model_id, in);
    }
    return buf_steal(&out);
}

static int should_fail(struct dummy *d, const char *model)
{
    const struct dummy_model_cfg *mc = config_dummy(d->cfg, model);
    if (!mc)
        return 0;
    if (mc->always_fail)
        return 1;
    for (size_t i = 0; i < d->nfails; i++) {
        if (!strcmp(d->fails[i].model, model)) {
            if (d->fails[i].failed < mc->fail_times) {
                d->fails[i].failed++;
                return 1;
            }
            return 0;
        }
    }
    if (mc->fail_times > 0 && d->nfails < CONFIG_MAX_DUMMY) {
        d->fails[d->nfails].model = mc->model;
        d->fails[d->nfails].failed = 1;
        d->nfails++;
        return 1;
    }
    return 0;
}

static void unlink_pending(struct dummy *d, struct pending *p)
{
    for (struct pending **pp = &d->pending; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            return;
        }
    }
}

static void pending_free(struct pending *p)
{
    free(p->input);
    free(p);
}

static void on_due(struct ev *ev, uint64_t id, void *data)
{
    (void)ev;
    (void)id;
    struct pending *p = data;
    struct dummy *d = p->d;
    unlink_pending(d, p);
    const struct model_info *m = p->call.model;
    char seed_name[MEDIA_NAME_MAX];
    struct runner_io out = {m->output, NULL};
    char *text = NULL;
    char err[PANIC_ERR_LEN] = "";
    int rc = 0;

    if (should_fail(d, m->id)) {
        snprintf(err, sizeof err, "%s: injected failure", m->id);
        d->done(d->owner, &p->call, NULL, err, 1);
        pending_free(p);
        return;
    }
    struct buf seed = BUF_INIT, media = BUF_INIT;
    buf_printf(&seed, "%s\n%s", m->id, p->input);
    if (m->output == MEDIA_TEXT) {
        text = dummy_text(m->id, &p->call.input);
        out.value = text;
    } else if (m->output == MEDIA_IMAGE) {
        rc = dummy_png(seed.data, seed.len, 640, 360, &media);
        if (rc == 0)
            rc = media_put(d->media, media.data, media.len, "png", seed_name, sizeof seed_name);
        out.value = seed_name;
    } else {
        rc = dummy_wav(seed.data, seed.len, 3000, &media);
        if (rc == 0)
            rc = media_put(d->media, media.data, media.len, "wav", seed_name, sizeof seed_name);
        out.value = seed_name;
    }
    if (rc < 0) {
        snprintf(err, sizeof err, "%s: could not store the output: %s", m->id, strerror(-rc));
        d->done(d->owner, &p->call, NULL, err, 1);
    } else {
        d->done(d->owner, &p->call, &out, NULL, 0);
    }
    buf_free(&seed);
    buf_free(&media);
    free(text);
    pending_free(p);
}

static int dummy_invoke(void *self, const struct platform_call *call)
{
    struct dummy *d = self;
    const struct dummy_model_cfg *mc = config_dummy(d->cfg, call->model->id);
    int64_t latency = mc && mc->latency_ms >= 0 ? mc->latency_ms : d->cfg->dummy_latency_ms;
    struct pending *p = xcalloc(1, sizeof *p);
    p->d = d;
    p->call = *call;
    p->input = xstrdup(call->input.value);
    p->call.input.value = p->input;
    p->next = d->pending;
    d->pending = p;
    p->timer = ev_timer_in(d->ev, latency, on_due, p);
    return 0;
}

static void dummy_cancel(void *self, int64_t inv_id)
{
    struct dummy *d = self;
    for (struct pending *p = d->pending; p; p = p->next) {
        if (p->call.inv_id == inv_id) {
            ev_timer_del(d->ev, p->timer);
            unlink_pending(d, p);
            pending_free(p);
            return;
        }
    }
}

static void dummy_free(void *self)
{
    struct dummy *d = self;
    if (!d)
        return;
    while (d->pending) {
        struct pending *p = d->pending;
        d->pending = p->next;
        ev_timer_del(d->ev, p->timer);
        pending_free(p);
    }
    free(d);
}

static int dummy_available(void *self, char *why, size_t whylen)
{
    (void)self;
    (void)why;
    (void)whylen;
    return 1;
}

static const struct platform_ops dummy_ops = {
    .name = "dummy",
    .available = dummy_available,
    .invoke = dummy_invoke,
    .cancel = dummy_cancel,
    .free = dummy_free,
};

struct platform dummy_platform_new(struct ev *ev, struct media_store *media,
                                   const struct panicd_config *cfg, platform_done_fn done,
                                   void *owner)
{
    struct dummy *d = xcalloc(1, sizeof *d);
    d->ev = ev;
    d->media = media;
    d->cfg = cfg;
    d->done = done;
    d->owner = owner;
    return (struct platform){.ops = &dummy_ops, .self = d};
}
