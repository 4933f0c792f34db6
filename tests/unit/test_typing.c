/* test_typing.c: terminal mode's prompt line (display/core/typing.c): typing appends, Backspace
 * removes whole UTF-8 code points, Enter asks for a post only with text and outside the lockout
 * (where it says how long to wait instead), the length cap, and nothing at all outside terminal
 * mode. */
#include "display/core/app.h"
#include "display/core/typing.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

static struct app *terminal(void)
{
    struct app *a = calloc(1, sizeof *a);
    app_init(a, "tv1");
    struct display_config cfg = a->cfg;
    cfg.mode = DISPLAY_MODE_TERMINAL;
    app_set_config(a, &cfg, 0);
    return a;
}

TEST(typing_and_backspace)
{
    struct app *a = terminal();
    typing_text(a, "caf", 10);
    typing_text(a, "\xc3\xa9", 20);
    CHECK_STR_EQ(a->input, "caf\xc3\xa9");
    typing_backspace(a);
    CHECK_STR_EQ(a->input, "caf");
    typing_text(a, "\xf0\x9f\x90\xa8", 30);
    typing_backspace(a);
    CHECK_STR_EQ(a->input, "caf");
    typing_backspace(a);
    typing_backspace(a);
    typing_backspace(a);
    CHECK_STR_EQ(a->input, "");
    typing_backspace(a); /* on an empty line: nothing */
    CHECK_STR_EQ(a->input, "");
    free(a);
}

TEST(enter_posts_outside_the_lockout)
{
    struct app *a = terminal();
    CHECK_EQ_INT(typing_enter(a, 0), 0); /* nothing typed */
    typing_text(a, "a fox", 0);
    CHECK_EQ_INT(typing_enter(a, 100), 1);
    CHECK_STR_EQ(a->message, "");

    struct app_status st = a->status;
    st.lockout_until = 10000;
    app_set_status(a, &st, 0);
    CHECK_EQ_INT(typing_enter(a, 5500), 0);
    CHECK_STR_EQ(a->message, "Please wait 5 s.");
    CHECK_EQ_INT(a->message_until, 8500);
    typing_text(a, " more", 5500); /* typing waits for the lockout too */
    CHECK_STR_EQ(a->input, "a fox");
    CHECK_EQ_INT(typing_enter(a, 10000), 1);
    free(a);
}

TEST(length_cap)
{
    struct app *a = terminal();
    char chunk[101];
    memset(chunk, 'x', 100);
    chunk[100] = '\0';
    for (int i = 0; i < 10; i++)
        typing_text(a, chunk, 0);
    CHECK_EQ_INT(strlen(a->input), TYPING_MAX_BYTES);
    typing_text(a, "y", 0);
    CHECK_EQ_INT(strlen(a->input), TYPING_MAX_BYTES);
    free(a);
}

TEST(nothing_outside_terminal_mode)
{
    struct app *a = calloc(1, sizeof *a);
    app_init(a, "tv1");
    typing_text(a, "hello", 0);
    CHECK_STR_EQ(a->input, "");
    strcpy(a->input, "left over");
    typing_backspace(a);
    CHECK_STR_EQ(a->input, "left over");
    CHECK_EQ_INT(typing_enter(a, 0), 0);
    free(a);
}

int main(void)
{
    RUN(typing_and_backspace);
    RUN(enter_posts_outside_the_lockout);
    RUN(length_cap);
    RUN(nothing_outside_terminal_mode);
    TEST_END("test_typing");
}
