/* test_sse.c: the Server-Sent Events parser fed a stream split at every byte boundary, with
 * CR/LF/CRLF endings, comments, multi-line data, persistent ids and the size limit. */
#include "common/buf.h"
#include "common/sse.h"
#include "test.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct got {
    struct buf log;
    int n;
};

static int on_event(void *user, const struct sse_event *ev)
{
    struct got *g = user;
    buf_printf(&g->log, "[%s|%s|%.*s]", ev->id ? ev->id : "-", ev->event, (int)ev->data_len,
               ev->data);
    g->n++;
    return 0;
}

static const char stream[] = "\xef\xbb\xbfretry: 2000\r\n\r\n"
                             ": heartbeat\n\n"
                             "id: 7\nevent: invocation\ndata: {\"seq\":0}\n\n"
                             "event: status\r\ndata: line one\r\ndata: line two\r\n\r\n"
                             "id: 9\rdata: plain\r\r"
                             "data: unfinished";

static const char expected[] = "[7|invocation|{\"seq\":0}][7|status|line one\nline two]"
                               "[9|message|plain]";

TEST(whole_stream)
{
    struct got g = {BUF_INIT, 0};
    struct sse_parser *p = sse_parser_new(0, on_event, &g);
    CHECK_EQ_INT(sse_parser_feed(p, stream, sizeof stream - 1), 0);
    CHECK_STR_EQ(g.log.data, expected);
    CHECK_EQ_INT(g.n, 3);
    sse_parser_free(p);
    buf_free(&g.log);
}

TEST(split_at_every_byte)
{
    size_t len = sizeof stream - 1;
    for (size_t cut = 1; cut < len; cut++) {
        struct got g = {BUF_INIT, 0};
        struct sse_parser *p = sse_parser_new(0, on_event, &g);
        sse_parser_feed(p, stream, cut);
        sse_parser_feed(p, stream + cut, len - cut);
        if (!g.log.data || strcmp(g.log.data, expected) != 0)
            TEST_FAIL_AT("split at %zu gave %s", cut, g.log.data ? g.log.data : "(nothing)");
        sse_parser_free(p);
        buf_free(&g.log);
    }
    /* One byte at a time. */
    struct got g = {BUF_INIT, 0};
    struct sse_parser *p = sse_parser_new(0, on_event, &g);
    for (size_t i = 0; i < len; i++)
        sse_parser_feed(p, stream + i, 1);
    CHECK_STR_EQ(g.log.data, expected);
    sse_parser_free(p);
    buf_free(&g.log);
}

TEST(size_limit)
{
    struct got g = {BUF_INIT, 0};
    struct sse_parser *p = sse_parser_new(64, on_event, &g);
    char big[200];
    memset(big, 'x', sizeof big);
    CHECK_EQ_INT(sse_parser_feed(p, "data: ", 6), 0);
    CHECK_EQ_INT(sse_parser_feed(p, big, sizeof big), -E2BIG);
    CHECK_EQ_INT(g.n, 0);
    sse_parser_free(p);
    buf_free(&g.log);
}

int main(void)
{
    RUN(whole_stream);
    RUN(split_at_every_byte);
    RUN(size_limit);
    TEST_END("test_sse");
}
