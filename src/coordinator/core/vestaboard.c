/* vestaboard.c: text to a Vestaboard's character codes and layout (see vestaboard.h). The codes
 * are the board's published table (docs.vestaboard.com, "Character Codes"). Pure libc: no I/O,
 * no clock, no JSON library (the body is a fixed shape of small numbers). */
#include "vestaboard.h"

#include <stdio.h>
#include <string.h>

/* ASCII punctuation the board has. */
static const struct {
    char c;
    uint8_t code;
} punct[] = {
    {'!', 37}, {'@', 38}, {'#', 39}, {'$', 40}, {'(', 41}, {')', 42},  {'-', 44},
    {'+', 46}, {'&', 47}, {'=', 48}, {';', 49}, {':', 50}, {'\'', 52}, {'"', 53},
    {'%', 54}, {',', 55}, {'.', 56}, {'/', 59}, {'?', 60},
};

/* U+00C0..U+00FF as a base letter ('*': none). */
static const char latin1[] = "AAAAAAACEEEEIIIIDNOOOOO*OUUUUYTS"
                             "AAAAAAACEEEEIIIIDNOOOOO*OUUUUYTY";

int vb_code(uint32_t c)
{
    if (c >= 'a' && c <= 'z')
        return (int)(c - 'a' + 1);
    if (c >= 'A' && c <= 'Z')
        return (int)(c - 'A' + 1);
    if (c >= '1' && c <= '9')
        return (int)(c - '1' + 27);
    if (c == '0')
        return 36;
    for (size_t i = 0; i < sizeof punct / sizeof punct[0]; i++)
        if ((uint32_t)(unsigned char)punct[i].c == c)
            return punct[i].code;
    if (c >= 0xc0 && c <= 0xff && latin1[c - 0xc0] != '*')
        return vb_code((uint32_t)latin1[c - 0xc0]);
    switch (c) {
    case 0x2018: /* curly single quotes */
    case 0x2019:
        return 52;
    case 0x201c: /* curly double quotes */
    case 0x201d:
        return 53;
    case 0x2010: /* hyphens and dashes */
    case 0x2013:
    case 0x2014:
        return 44;
    }
    return VB_BLANK;
}

/* The next code point of s (advancing *s); an invalid byte is U+FFFD. */
static uint32_t next_cp(const unsigned char **s)
{
    const unsigned char *p = *s;
    uint32_t c = p[0];
    int n = c < 0x80             ? 0
            : (c & 0xe0) == 0xc0 ? 1
            : (c & 0xf0) == 0xe0 ? 2
            : (c & 0xf8) == 0xf0 ? 3
                                 : -1;
    if (n < 0) {
        *s = p + 1;
        return 0xfffd;
    }
    c = n ? c & (0x3f >> n) : c;
    for (int i = 1; i <= n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            *s = p + 1;
            return 0xfffd;
        }
        c = c << 6 | (p[i] & 0x3f);
    }
    *s = p + n + 1;
    return c;
}

static int is_space(uint32_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' || c == 0xa0;
}

struct lines {
    uint8_t row[VB_ROWS][VB_COLS];
    int len[VB_ROWS];
    int n;         /* rows begun */
    int truncated; /* text was left over */
};

/* Start a new row; 0 if the board is full. */
static int new_row(struct lines *l)
{
    if (l->n == VB_ROWS) {
        l->truncated = 1;
        return 0;
    }
    l->len[l->n++] = 0;
    return 1;
}

/* Put a word (codes) at the end of the text: on the current row after a blank if it fits, else
 * on new rows (cut where longer than a row). 0 when the board is full. */
static int put_word(struct lines *l, const uint8_t *w, int n)
{
    int cur = l->n - 1;
    if (l->n && l->len[cur] && l->len[cur] + 1 + n <= VB_COLS) {
        l->row[cur][l->len[cur]++] = VB_BLANK;
    } else if (!l->n || l->len[cur]) {
        if (!new_row(l))
            return 0;
    }
    for (int i = 0; i < n; i++) {
        cur = l->n - 1;
        if (l->len[cur] == VB_COLS && !new_row(l))
            return 0;
        cur = l->n - 1;
        l->row[cur][l->len[cur]++] = w[i];
    }
    return 1;
}

/* The last row ends with "..." (cut back to make room). */
static void ellipsis(struct lines *l)
{
    int r = l->n - 1, len = l->len[r];
    if (len > VB_COLS - 3)
        len = VB_COLS - 3;
    while (len > 0 && l->row[r][len - 1] == VB_BLANK)
        len--;
    for (int i = 0; i < 3; i++)
        l->row[r][len++] = vb_code('.');
    l->len[r] = len;
}

int vb_layout(const char *text, struct vb_board *board)
{
    struct lines l = {0};
    uint8_t word[512];
    int wn = 0, full = 0, breaks = 0;
    memset(board, VB_BLANK, sizeof *board);
    const unsigned char *p = (const unsigned char *)(text ? text : "");
    while (!full) {
        uint32_t c = *p ? next_cp(&p) : 0;
        if (c && !is_space(c) && c != '\n') {
            if (wn < (int)sizeof word)
                word[wn++] = (uint8_t)vb_code(c);
            continue;
        }
        if (wn) {
            for (; breaks > 0 && l.n; breaks--) /* the line breaks before this word */
                if (!new_row(&l))
                    break;
            full = l.truncated || !put_word(&l, word, wn);
            wn = 0;
            breaks = 0;
        }
        if (!c)
            break;
        if (c == '\n' && breaks < 2)
            breaks++; /* a blank line between paragraphs at most */
    }
    if (l.truncated)
        ellipsis(&l);
    while (l.n && !l.len[l.n - 1])
        l.n--;
    int top = (VB_ROWS - l.n) / 2;
    for (int r = 0; r < l.n; r++)
        memcpy(board->c[top + r] + (VB_COLS - l.len[r]) / 2, l.row[r], (size_t)l.len[r]);
    return l.n;
}

size_t vb_body(const struct vb_board *board, char *buf, size_t len)
{
    size_t n = 0;
    if (len < VB_BODY_MAX) {
        if (len)
            buf[0] = '\0';
        return 0;
    }
    buf[n++] = '[';
    for (int r = 0; r < VB_ROWS; r++) {
        n += (size_t)snprintf(buf + n, len - n, "%s[", r ? "," : "");
        for (int c = 0; c < VB_COLS; c++)
            n += (size_t)snprintf(buf + n, len - n, "%s%u", c ? "," : "", board->c[r][c]);
        buf[n++] = ']';
    }
    buf[n++] = ']';
    buf[n] = '\0';
    return n;
}

int vb_takes(int offset, int stride, int initial_prompt, int64_t seq, int genesis)
{
    if (stride < 1)
        return 0;
    if (genesis)
        return initial_prompt || offset == 0;
    return seq > 0 && seq % stride == offset;
}
