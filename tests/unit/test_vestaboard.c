/* test_vestaboard.c: text for a Vestaboard (coordinator/core/vestaboard.c): every character code
 * of the board's table, unknown characters blank, word wrapping to 6 x 22 with the lines centred
 * (the Local API documentation's own "HELLO WORLD" example, byte for byte), long words cut, line
 * breaks, text that does not fit ending in "...", the JSON body's shape, and which board takes
 * which invocation. */
#include "coordinator/core/vestaboard.h"
#include "common/util.h"
#include "test.h"

#include <string.h>

/* The board back to text, one row a line, '_' for blank, '~' for a code with no letter. */
static void rows_of(const struct vb_board *b, char out[VB_ROWS][VB_COLS + 1])
{
    static const char map[64] = "_ABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890!@#$()~-~+&=;:~'\"%,.~~/?~~";
    for (int r = 0; r < VB_ROWS; r++) {
        for (int c = 0; c < VB_COLS; c++)
            out[r][c] = b->c[r][c] < 64 ? map[b->c[r][c]] : '~';
        out[r][VB_COLS] = '\0';
    }
}

static void layout_is(const char *text, int nrows, const char *const want[VB_ROWS])
{
    struct vb_board b;
    char got[VB_ROWS][VB_COLS + 1];
    int n = vb_layout(text, &b);
    rows_of(&b, got);
    int same = n == nrows;
    for (int r = 0; r < VB_ROWS; r++)
        same = same && !strcmp(got[r], want[r]);
    if (!same) {
        TEST_FAIL_AT("layout of \"%s\": %d rows, wanted %d", text, n, nrows);
        for (int r = 0; r < VB_ROWS; r++)
            printf("    |%s|   |%s|\n", got[r], want[r]);
    }
}

#define EMPTY "______________________"

TEST(character_codes)
{
    const char *letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    for (int i = 0; i < 26; i++) {
        CHECK_EQ_INT(vb_code((uint32_t)letters[i]), i + 1);
        CHECK_EQ_INT(vb_code((uint32_t)letters[i] + 32), i + 1); /* lower case */
    }
    const char *digits = "1234567890";
    for (int i = 0; i < 10; i++)
        CHECK_EQ_INT(vb_code((uint32_t)digits[i]), 27 + i);
    static const struct {
        uint32_t c;
        int code;
    } table[] = {
        {'!', 37},  {'@', 38},  {'#', 39},    {'$', 40},    {'(', 41},    {')', 42},
        {'-', 44},  {'+', 46},  {'&', 47},    {'=', 48},    {';', 49},    {':', 50},
        {'\'', 52}, {'"', 53},  {'%', 54},    {',', 55},    {'.', 56},    {'/', 59},
        {'?', 60},  {' ', 0},   {'*', 0},     {'_', 0},     {'<', 0},     {'[', 0},
        {'~', 0},   {'\\', 0},  {0x2019, 52}, {0x201c, 53}, {0x2014, 44}, {0xe9, 5},
        {0xc7, 3},  {0xf1, 14}, {0xd7, 0},    {0xdf, 19},   {0x1f600, 0}, {0x4e2d, 0},
    };
    for (size_t i = 0; i < ARRAY_LEN(table); i++)
        if (vb_code(table[i].c) != table[i].code) {
            TEST_FAIL_AT("U+%04X: code %d, wanted %d", (unsigned)table[i].c, vb_code(table[i].c),
                         table[i].code);
        }
}

/* The Local API documentation's example: "HELLO WORLD" in row 2 from column 5. */
TEST(hello_world_as_documented)
{
    struct vb_board b;
    CHECK_EQ_INT(vb_layout("Hello World", &b), 1);
    char body[VB_BODY_MAX];
    size_t n = vb_body(&b, body, sizeof body);
    CHECK_EQ_INT(n, strlen(body));
    CHECK_STR_EQ(body, "[[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],"
                       "[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],"
                       "[0,0,0,0,0,8,5,12,12,15,0,23,15,18,12,4,0,0,0,0,0,0],"
                       "[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],"
                       "[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],"
                       "[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]]");
    char small[VB_BODY_MAX - 1];
    CHECK_EQ_INT(vb_body(&b, small, sizeof small), 0); /* too small for any board: nothing */
}

TEST(wrapping)
{
    layout_is("The quick brown fox jumps over the lazy dog", 3,
              (const char *const[]){EMPTY, "_THE_QUICK_BROWN_FOX__", "_JUMPS_OVER_THE_LAZY__",
                                    "_________DOG__________", EMPTY, EMPTY});
    /* White space of any kind and length is one blank; unknown characters are blanks. */
    layout_is("  a\t\tb   c*d  ", 1,
              (const char *const[]){EMPTY, EMPTY, "_______A_B_C_D________", EMPTY, EMPTY, EMPTY});
    /* A word longer than a row is cut; a full row needs no blank after it. */
    layout_is("abcdefghijklmnopqrstuvwxyz0123456789 end", 2,
              (const char *const[]){EMPTY, EMPTY, "ABCDEFGHIJKLMNOPQRSTUV",
                                    "__WXYZ0123456789_END__", EMPTY, EMPTY});
    layout_is("twentytwo characters!! next", 2,
              (const char *const[]){EMPTY, EMPTY, "TWENTYTWO_CHARACTERS!!",
                                    "_________NEXT_________", EMPTY, EMPTY});
    /* Line breaks are kept, a blank line between paragraphs at most. */
    layout_is("title\n\n\n\nbody text\nlast", 4,
              (const char *const[]){EMPTY, "________TITLE_________", EMPTY,
                                    "______BODY_TEXT_______", "_________LAST_________", EMPTY});
    /* Nothing to show. */
    layout_is("", 0, (const char *const[]){EMPTY, EMPTY, EMPTY, EMPTY, EMPTY, EMPTY});
    layout_is(" \n\t ", 0, (const char *const[]){EMPTY, EMPTY, EMPTY, EMPTY, EMPTY, EMPTY});
    /* Invalid UTF-8 counts as unknown characters, never as the end of the text. */
    layout_is("ok \xff\xfe go", 1,
              (const char *const[]){EMPTY, EMPTY, "_______OK____GO_______", EMPTY, EMPTY, EMPTY});
}

TEST(too_long_ends_with_dots)
{
    const char *text = "one two three four five six seven eight nine ten eleven twelve thirteen "
                       "fourteen fifteen sixteen seventeen eighteen nineteen twenty twenty-one "
                       "twenty-two";
    layout_is(text, 6,
              (const char *const[]){"__ONE_TWO_THREE_FOUR__", "_FIVE_SIX_SEVEN_EIGHT_",
                                    "NINE_TEN_ELEVEN_TWELVE", "__THIRTEEN_FOURTEEN___",
                                    "___FIFTEEN_SIXTEEN____", "SEVENTEEN_EIGHTEEN..._"});
    /* A full last row is cut back to make room. */
    layout_is("aaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbbbb cccccccccccccccccccccc "
              "dddddddddddddddddddddd eeeeeeeeeeeeeeeeeeeeee ffffffffffffffffffffff g",
              6,
              (const char *const[]){"AAAAAAAAAAAAAAAAAAAAAA", "BBBBBBBBBBBBBBBBBBBBBB",
                                    "CCCCCCCCCCCCCCCCCCCCCC", "DDDDDDDDDDDDDDDDDDDDDD",
                                    "EEEEEEEEEEEEEEEEEEEEEE", "FFFFFFFFFFFFFFFFFFF..."});
}

TEST(which_board_takes_what)
{
    /* The genesis prompt: boards at offset 0 and those with initial_prompt. */
    CHECK(vb_takes(0, 8, 0, 0, 1));
    CHECK(!vb_takes(7, 8, 0, 0, 1));
    CHECK(vb_takes(7, 8, 1, 0, 1));
    /* Outputs: seq mod stride == offset, never the genesis' own output. */
    CHECK(vb_takes(7, 8, 0, 7, 0));
    CHECK(vb_takes(7, 8, 0, 15, 0));
    CHECK(!vb_takes(7, 8, 0, 8, 0));
    CHECK(!vb_takes(0, 8, 0, 0, 0));
    CHECK(vb_takes(0, 8, 0, 8, 0));
    CHECK(vb_takes(0, 1, 0, 3, 0));
    CHECK(!vb_takes(0, 0, 1, 0, 1));
}

int main(void)
{
    RUN(character_codes);
    RUN(hello_world_as_documented);
    RUN(wrapping);
    RUN(too_long_ends_with_dots);
    RUN(which_board_takes_what);
    TEST_END("test_vestaboard");
}
