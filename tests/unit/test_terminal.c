/* test_terminal.c: the phone terminal page as HTML: escaping of everything a visitor or an
 * admin can set, the data attributes its script reads, a single script element of ours, and the
 * message pages. Pure: builds strings only. */
#include "common/buf.h"
#include "coordinator/api/terminal.h"
#include "test.h"

#include <stdio.h>
#include <string.h>

TEST(terminal_escaping)
{
    struct buf b = BUF_INIT;
    html_escape(&b, "a<b>&\"c'd");
    CHECK_STR_EQ(b.data, "a&lt;b&gt;&amp;&quot;c&#39;d");
    buf_free(&b);
    html_escape(&b, "");
    CHECK(b.len == 0);
    buf_free(&b);

    struct terminal_view v = {
        .network = 12,
        .name = "<script>x</script>",
        .token = "tok\"en",
        .prompt = "</p><img src=x onerror=alert(1)>",
        .run = 3,
        .lockout_s = 25,
        .models = {{"<b>Flux</b>", "Paints a picture & more."}, {"Reader", NULL}},
        .nmodels = 2};
    terminal_page(&b, &v);
    CHECK(strstr(b.data, "<li><b>&lt;b&gt;Flux&lt;/b&gt;</b><span>Paints a picture &amp; more."
                         "</span></li><li><b>Reader</b></li></ol>") != NULL);
    CHECK(b.len < 10 * 1024);
    CHECK(strstr(b.data, "<script>x") == NULL);
    CHECK(strstr(b.data, "&lt;script&gt;x&lt;/script&gt;") != NULL);
    CHECK(strstr(b.data, "<img") == NULL);
    CHECK(strstr(b.data, "data-token=\"tok&quot;en\"") != NULL);
    CHECK(strstr(b.data, "data-network=\"12\"") != NULL);
    CHECK(strstr(b.data, "data-ready=\"25\"") != NULL);
    CHECK(strstr(b.data, "Current run:") != NULL);
    CHECK(strstr(b.data, "maxlength=1000") != NULL);
    CHECK(strstr(b.data, "#18181b") && strstr(b.data, "#d8b4fe") && strstr(b.data, "#f43f5e"));
    /* Exactly one script element: ours. */
    const char *first = strstr(b.data, "<script>");
    CHECK(first && !strstr(first + 1, "<script>"));
    buf_free(&b);

    v.prompt = NULL;
    terminal_page(&b, &v);
    CHECK(strstr(b.data, "no run yet") != NULL);
    buf_free(&b);

    terminal_message_page(&b, "QR code expired", TERMINAL_EXPIRED_TEXT);
    CHECK(strstr(b.data, "expired") != NULL);
    CHECK(strstr(b.data, "only valid for an hour") != NULL);
    CHECK(strstr(b.data, "<script") == NULL);
    buf_free(&b);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    RUN(terminal_escaping);
    TEST_END("test_terminal");
}
