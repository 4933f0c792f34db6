/* test_markdown.c: Markdown to plain text and a style per byte (display/core/markdown.c), as
 * text cells draw it: blocks, inline spans, what stays literal, and the buffer's bounds. */
#include "display/core/markdown.h"
#include "test.h"

#include <string.h>

static char out[4096];
static unsigned char st[4096];

static const char *md(const char *src)
{
    markdown_plain(src, out, st, sizeof out);
    return out;
}

/* The style of the first byte of needle in out; -1 if not found. */
static int style_of(const char *needle)
{
    const char *p = strstr(out, needle);
    return p ? st[p - out] : -1;
}

/* 1 if every byte of needle (first occurrence) has style s. */
static int all_styled(const char *needle, int s)
{
    const char *p = strstr(out, needle);
    if (!p)
        return 0;
    for (size_t i = 0; i < strlen(needle); i++)
        if (st[p - out + (long)i] != s)
            return 0;
    return 1;
}

TEST(inline_spans)
{
    CHECK_STR_EQ(md("some **strong** and *em* and `code` here"),
                 "some strong and em and code here");
    CHECK(all_styled("strong", MD_STRONG));
    CHECK(all_styled("em", MD_EM));
    CHECK(all_styled("code", MD_CODE));
    CHECK_EQ_INT(style_of("some"), 0);
    CHECK_EQ_INT(style_of(" here"), 0);
    CHECK_STR_EQ(md("__also strong__ and _also em_"), "also strong and also em");
    CHECK(all_styled("also strong", MD_STRONG));
    CHECK(all_styled("also em", MD_EM));
    CHECK_STR_EQ(md("***both***"), "both");
    CHECK(all_styled("both", MD_STRONG | MD_EM));
    /* literal: no closer, snake_case, a lone star, escapes, code keeps its stars */
    CHECK_STR_EQ(md("a * b and 2*3 and snake_case_name"), "a * b and 2*3 and snake_case_name");
    CHECK(all_styled("snake_case_name", 0));
    CHECK_STR_EQ(md("\\*not em\\*"), "*not em*");
    CHECK_STR_EQ(md("`a *b* c`"), "a *b* c");
    CHECK(all_styled("a *b* c", MD_CODE));
    CHECK_STR_EQ(md("see [the docs](http://x.y/z) and ![a cat](c.png)"), "see the docs and a cat");
}

TEST(blocks)
{
    CHECK_STR_EQ(md("# Title\n\nFirst line\nsame paragraph.\n\n\n\nNext one."),
                 "Title\n\nFirst line same paragraph.\n\nNext one.");
    CHECK(all_styled("Title", MD_HEADING | MD_STRONG));
    CHECK_STR_EQ(md("Intro:\n- one\n- **two**\n* three\n\n1. first\n2. second"),
                 "Intro:\n\xe2\x80\xa2 one\n\xe2\x80\xa2 two\n\xe2\x80\xa2 three\n\n1. first\n2. "
                 "second");
    CHECK(all_styled("two", MD_STRONG));
    CHECK_STR_EQ(md("```c\nint x = 1;\n  y *= 2;\n```\nafter"), "int x = 1;\n  y *= 2;\nafter");
    CHECK(all_styled("  y *= 2;", MD_CODE));
    CHECK_EQ_INT(style_of("after"), 0);
    CHECK_STR_EQ(md("> quoted words\n\n---\n\n## Sub ##"), "quoted words\n\nSub");
    CHECK_STR_EQ(md("\n\n  leading blanks and trailing  \n\n"), "leading blanks and trailing");
    CHECK_STR_EQ(md("#hashtag is not a heading"), "#hashtag is not a heading");
    CHECK_STR_EQ(md(""), "");
    CHECK_STR_EQ(md(NULL), "");
}

TEST(bounds)
{
    char small[8];
    unsigned char sst[8];
    size_t n = markdown_plain("**caf\xc3\xa9** au lait", small, sst, sizeof small);
    CHECK(n < sizeof small);
    CHECK_EQ_INT((int)strlen(small), (int)n);
    CHECK_STR_EQ(small, "caf\xc3\xa9 a"); /* 7 bytes, whole code points */
    n = markdown_plain("caf\xc3\xa9", small, sst, 5);
    CHECK_STR_EQ(small, "caf"); /* never half a sequence */
    /* the documented room is always enough */
    static char big[2 * 3000 + 16];
    static unsigned char bst[sizeof big];
    static char src[3001];
    for (int i = 0; i < 3000; i++)
        src[i] = i % 3 ? '-' : '\n';
    src[3000] = '\0';
    CHECK(markdown_plain(src, big, bst, sizeof big) < sizeof big);
}

int main(void)
{
    RUN(inline_spans);
    RUN(blocks);
    RUN(bounds);
    TEST_END("test_markdown");
}
