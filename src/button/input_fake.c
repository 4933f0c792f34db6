/* input_fake.c: an in-memory button backend for tests and for running without hardware. Edges
 * pushed with button_input_fake_push come back from read in order, with the timestamps given;
 * set_led only records the level. It has no fd (the caller polls read every frame). Pure libc
 * plus common/util's allocators: no GPIO, no SDL, no files. */
#include "common/util.h"
#include "input.h"

#include <stdlib.h>

struct fake_input {
    struct button_input base; /* first: a struct button_input * is a struct fake_input * */
    struct button_edge *q;    /* owned; q[head..len) are pending */
    size_t head, len, cap;
    int led;
};

static const struct button_input_ops fake_ops;

static struct fake_input *fake_of(const struct button_input *in)
{
    if (!in || in->ops != &fake_ops)
        return NULL;
    return (struct fake_input *)in;
}

static int fake_fd(struct button_input *in)
{
    (void)in;
    return -1;
}

static int fake_read(struct button_input *in, struct button_edge *out, int max)
{
    struct fake_input *f = fake_of(in);
    int n = 0;
    while (n < max && f->head < f->len)
        out[n++] = f->q[f->head++];
    if (f->head == f->len)
        f->head = f->len = 0;
    return n;
}

static int fake_set_led(struct button_input *in, int on)
{
    fake_of(in)->led = on != 0;
    return 0;
}

static void fake_close(struct button_input *in)
{
    struct fake_input *f = fake_of(in);
    if (!f)
        return;
    free(f->q);
    free(f);
}

static const struct button_input_ops fake_ops = {
    .name = "fake",
    .fd = fake_fd,
    .read = fake_read,
    .set_led = fake_set_led,
    .close = fake_close,
};

/* Owned by the caller; freed with button_input_close. */
struct button_input *button_input_fake_new(void)
{
    struct fake_input *f = xcalloc(1, sizeof(*f));
    f->base.ops = &fake_ops;
    f->led = -1;
    return &f->base;
}

/* Ignored if in is not a fake backend. The queue grows as needed (tests only). */
void button_input_fake_push(struct button_input *in, int pressed, int64_t t_ms)
{
    struct fake_input *f = fake_of(in);
    if (!f)
        return;
    if (f->len == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 16;
        f->q = xrealloc(f->q, f->cap * sizeof(*f->q));
    }
    f->q[f->len++] = (struct button_edge){.pressed = pressed != 0, .t_ms = t_ms};
}

int button_input_fake_led(const struct button_input *in)
{
    const struct fake_input *f = fake_of(in);
    return f ? f->led : -1;
}
