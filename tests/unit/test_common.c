/* test_common.c: the pure helpers every program shares: UTF-8 checks, buffers, the config
 * parser, the event loop's timers and fds, constant-time comparison, reading a whole file with a
 * limit. */
#include "common/buf.h"
#include "common/conf.h"
#include "common/ev.h"
#include "common/file.h"
#include "common/util.h"
#include "test.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

TEST(utf8_validation)
{
    CHECK(utf8_valid("plain ascii", 11));
    CHECK(utf8_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa8", 14));
    CHECK(!utf8_valid("\xc3", 1));             /* truncated */
    CHECK(!utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
    CHECK(!utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    CHECK(!utf8_valid("\xf4\x90\x80\x80", 4)); /* above U+10FFFF */
    CHECK(!utf8_valid("\xff", 1));
    CHECK(!utf8_valid("ab\x80", 3)); /* stray continuation */
    CHECK(!utf8_valid("\xe2\x82", 2));
}

TEST(buffers)
{
    struct buf b = BUF_INIT;
    buf_puts(&b, "hello");
    buf_printf(&b, " %d", 42);
    CHECK_STR_EQ(b.data, "hello 42");
    buf_consume(&b, 6);
    CHECK_STR_EQ(b.data, "42");
    for (int i = 0; i < 1000; i++)
        buf_append(&b, "x", 1);
    CHECK_EQ_INT(b.len, 1002);
    char *s = buf_steal(&b);
    CHECK_EQ_INT(strlen(s), 1002);
    CHECK(b.data == NULL);
    free(s);
    buf_free(&b);
}

struct kv {
    char keys[8][32];
    char values[8][64];
    int n;
};

static int collect(void *user, const char *key, const char *value, char *err, size_t errlen)
{
    struct kv *kv = user;
    if (!strcmp(key, "bad")) {
        snprintf(err, errlen, "no good");
        return -EINVAL;
    }
    snprintf(kv->keys[kv->n], 32, "%s", key);
    snprintf(kv->values[kv->n], 64, "%s", value);
    kv->n++;
    return 0;
}

TEST(config_parser)
{
    struct kv kv = {0};
    char err[256];
    CHECK_EQ_INT(conf_parse_text("f", "# c\n  a  1 \n\nb two words\t\n", collect, &kv, err, 256),
                 0);
    CHECK_EQ_INT(kv.n, 2);
    CHECK_STR_EQ(kv.keys[1], "b");
    CHECK_STR_EQ(kv.values[1], "two words");
    memset(&kv, 0, sizeof kv);
    CHECK_EQ_INT(conf_parse_text("f", "a 1\nbad 2\n", collect, &kv, err, 256), -EINVAL);
    CHECK_STR_EQ(err, "f:2: no good");
    CHECK_EQ_INT(conf_parse_text("f", "a \xff\n", collect, &kv, err, 256), -EINVAL);
    CHECK(strstr(err, "f:1:") != NULL);
    CHECK(conf_parse_file("/nonexistent/x.conf", collect, &kv, err, 256) == -ENOENT);
    int on = -1;
    CHECK_EQ_INT(conf_bool("yes", &on, err, 256), 0);
    CHECK_EQ_INT(on, 1);
    CHECK(conf_bool("maybe", &on, err, 256) < 0);
    long long v;
    CHECK(conf_int("12x", 0, 100, &v, err, 256) < 0);
    CHECK(conf_int("101", 0, 100, &v, err, 256) < 0);
}

static int order[8], norder;

static void record(struct ev *ev, uint64_t id, void *data)
{
    (void)ev, (void)id;
    order[norder++] = (int)(intptr_t)data;
}

static void stop_loop(struct ev *ev, uint64_t id, void *data)
{
    (void)id, (void)data;
    ev_stop(ev);
}

static int fd_hits;
static void on_readable(struct ev *ev, int fd, int mask, void *data)
{
    (void)ev, (void)data;
    char c;
    if (mask & EV_READ && read(fd, &c, 1) == 1)
        fd_hits++;
}

TEST(event_loop_timers_and_fds)
{
    struct ev *ev = ev_new();
    norder = 0;
    ev_timer_in(ev, 30, record, (void *)3);
    ev_timer_in(ev, 10, record, (void *)1);
    uint64_t gone = ev_timer_in(ev, 15, record, (void *)9);
    ev_timer_in(ev, 20, record, (void *)2);
    ev_timer_del(ev, gone);
    ev_timer_del(ev, 0);
    ev_timer_in(ev, 60, stop_loop, NULL);
    int p[2];
    CHECK_EQ_INT(pipe(p), 0);
    ev_fd_add(ev, p[0], EV_READ, on_readable, NULL);
    CHECK_EQ_INT(write(p[1], "x", 1), 1);
    int64_t t0 = time_mono_ms();
    ev_run(ev);
    CHECK(time_mono_ms() - t0 >= 55);
    CHECK_EQ_INT(norder, 3);
    CHECK_EQ_INT(order[0], 1);
    CHECK_EQ_INT(order[1], 2);
    CHECK_EQ_INT(order[2], 3);
    CHECK_EQ_INT(fd_hits, 1);
    ev_fd_del(ev, p[0]);
    close(p[0]);
    close(p[1]);
    ev_free(ev);
}

TEST(secrets_and_numbers)
{
    CHECK(secret_equal("0123456789abcdef", "0123456789abcdef"));
    CHECK(!secret_equal("0123456789abcdef", "0123456789abcdeg"));
    CHECK(!secret_equal("0123456789abcde", "0123456789abcdef"));
    CHECK(!secret_equal("", ""));
    CHECK_EQ_INT(url_base_len("http://h:1/v1//"), strlen("http://h:1/v1"));
    CHECK_EQ_INT(url_base_len("http://h"), 8);
    CHECK_EQ_INT(url_base_len("/"), 0);
    int64_t v;
    CHECK_EQ_INT(parse_int64("42", 0, 100, &v), 0);
    CHECK_EQ_INT(v, 42);
    CHECK(parse_int64("", 0, 100, &v) < 0);
    CHECK(parse_int64("-1", 0, 100, &v) < 0);
    CHECK(parse_int64("99999999999999999999", 0, INT64_MAX, &v) < 0);
    char iso[40];
    time_format_iso(1700000000123, iso, sizeof iso);
    CHECK_STR_EQ(iso, "2023-11-14T22:13:20.123Z");
}

TEST(buffer_extend_and_truncate)
{
    struct buf b = BUF_INIT;
    buf_puts(&b, "ab");
    char *p = buf_extend(&b, 3);
    memcpy(p, "cde", 3);
    CHECK_EQ_INT(b.len, 5);
    CHECK_STR_EQ(b.data, "abcde");
    buf_truncate(&b, 2);
    CHECK_STR_EQ(b.data, "ab");
    buf_truncate(&b, 9); /* longer than it is: nothing */
    CHECK_EQ_INT(b.len, 2);
    buf_free(&b);
}

TEST(whole_files)
{
    char dir[] = "/tmp/test_common.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[64], fifo[64], err[128];
    snprintf(path, sizeof path, "%s/f", dir);
    snprintf(fifo, sizeof fifo, "%s/p", dir);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f) {
        for (int i = 0; i < 100000; i++)
            fputc('a' + i % 26, f);
        fclose(f);
    }
    struct buf b = BUF_INIT;
    buf_puts(&b, "head:");
    CHECK_EQ_INT(file_read(path, 100000, FILE_REGULAR | FILE_SYNC, &b, err, sizeof err), 0);
    CHECK_EQ_INT(b.len, 5 + 100000);
    CHECK(!memcmp(b.data, "head:abc", 8) && b.data[b.len - 1] == 'a' + 99999 % 26);
    buf_reset(&b);
    buf_puts(&b, "head:");
    /* One byte over the limit: refused, the buffer as it was. */
    CHECK_EQ_INT(file_read(path, 99999, 0, &b, err, sizeof err), -EFBIG);
    CHECK_STR_EQ(b.data, "head:");
    CHECK_STR_EQ(err, "larger than 99999 bytes");
    CHECK_EQ_INT(file_read(path, 1 << 16, 0, &b, err, sizeof err), -EFBIG);
    CHECK_STR_EQ(err, "larger than 65536 bytes");
    CHECK_EQ_INT(file_read(path, 0, 0, &b, NULL, 0), -EFBIG);
    /* A device that never ends: the limit holds while reading too. */
    CHECK_EQ_INT(file_read("/dev/zero", 1 << 20, 0, &b, err, sizeof err), -EFBIG);
    CHECK_STR_EQ(err, "larger than 1 MiB");
    CHECK_STR_EQ(b.data, "head:");
    CHECK_EQ_INT(file_read("/dev/zero", 1 << 20, FILE_REGULAR, &b, err, sizeof err), -EINVAL);
    CHECK_STR_EQ(err, "not a regular file");
    /* A FIFO with no writer is refused at once, not waited on. */
    CHECK_EQ_INT(mkfifo(fifo, 0600), 0);
    CHECK_EQ_INT(file_read(fifo, 100, FILE_REGULAR, &b, err, sizeof err), -EINVAL);
    CHECK_EQ_INT(file_read(dir, 100, 0, &b, err, sizeof err), -EISDIR);
    CHECK(strncmp(err, "read: ", 6) == 0);
    CHECK_EQ_INT(file_read("/nonexistent/x", 100, 0, &b, err, sizeof err), -ENOENT);
    CHECK(strncmp(err, "open: ", 6) == 0);
    CHECK_STR_EQ(b.data, "head:");
    /* An empty file. */
    f = fopen(path, "wb");
    if (f)
        fclose(f);
    CHECK_EQ_INT(file_read(path, 0, FILE_REGULAR, &b, err, sizeof err), 0);
    CHECK_STR_EQ(b.data, "head:");
    buf_free(&b);
    unlink(fifo);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    RUN(utf8_validation);
    RUN(buffers);
    RUN(config_parser);
    RUN(event_loop_timers_and_fds);
    RUN(secrets_and_numbers);
    RUN(buffer_extend_and_truncate);
    RUN(whole_files);
    TEST_END("test_common");
}
