/* markdown.c: a small Markdown reader for text cells (see markdown.h): block structure line by
 * line, then inline spans with a style byte per output byte. Pure C11 + libc; it must not
 * allocate (layout calls it every frame) and knows nothing of drawing. */
#include "markdown.h"

#include <string.h>

struct out {
    char *s;
    unsigned char *style;
    size_t n, cap;
};

static void put(struct out *o, char ch, unsigned char style)
{
    if (o->n + 1 >= o->cap)
        return;
    o->s[o->n] = ch;
    o->style[o->n] = style;
    o->n++;
}

static void puts_(struct out *o, const char *s, unsigned char style)
{
    while (*s)
        put(o, *s++, style);
}

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

static int is_word(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (unsigned char)c >= 0x80;
}

/* The first occurrence of the n-byte marker m in line[from..len) that may close a span (from > 0).
 */
static const char *closer(const char *line, size_t len, size_t from, const char *m, size_t n)
{
    for (size_t i = from; i + n <= len; i++) {
        if (line[i] == '\\') {
            i++;
            continue;
        }
        if (!memcmp(line + i, m, n) && !is_space(line[i - 1]) &&
            (m[0] != '_' || i + n >= len || !is_word(line[i + n])))
            return line + i;
    }
    return NULL;
}

/* Inline spans of line[0..len) with base style. */
static void inline_spans(struct out *o, const char *line, size_t len, unsigned char base)
{
    unsigned char st = base;
    const char *strong_end = NULL, *em_end = NULL;
    for (size_t i = 0; i < len;) {
        const char *p = line + i;
        if (p == strong_end) {
            st &= (unsigned char)~MD_STRONG;
            strong_end = NULL;
            i += 2;
            continue;
        }
        if (p == em_end) {
            st &= (unsigned char)~MD_EM;
            em_end = NULL;
            i += 1;
            continue;
        }
        if (*p == '\\' && i + 1 < len && strchr("\\`*_{}[]()#+-.!>~|", p[1])) {
            put(o, p[1], st);
            i += 2;
            continue;
        }
        if (*p == '`') {
            const char *end = memchr(p + 1, '`', len - i - 1);
            if (end) {
                for (const char *q = p + 1; q < end; q++)
                    put(o, *q, (unsigned char)(st | MD_CODE));
                i = (size_t)(end - line) + 1;
                continue;
            }
        }
        int opens_ok = i + 1 < len && !is_space(p[1]) && (i == 0 || !is_word(p[-1]) || *p == '*');
        if ((*p == '*' || *p == '_') && i + 1 < len && p[1] == *p && !strong_end && i + 2 < len &&
            !is_space(p[2])) {
            char m[2] = {*p, *p};
            const char *end = closer(line, len, i + 3, m, 2); /* not empty */
            if (end) {
                strong_end = end;
                st |= MD_STRONG;
                i += 2;
                continue;
            }
        }
        if ((*p == '*' || *p == '_') && !em_end && opens_ok) {
            const char *end = closer(line, len, i + 2, p, 1); /* not empty */
            while (end && strong_end && (end == strong_end || end + 1 == strong_end))
                end = closer(line, len, (size_t)(strong_end - line) + 2, p, 1);
            if (end) {
                em_end = end;
                st |= MD_EM;
                i += 1;
                continue;
            }
        }
        if (*p == '!' && i + 1 < len && p[1] == '[') { /* an image: its alt text */
            i++;
            continue;
        }
        if (*p == '[') {
            const char *close = memchr(p, ']', len - i);
            if (close && (size_t)(close - line) + 1 < len && close[1] == '(') {
                const char *paren = memchr(close, ')', len - (size_t)(close - line));
                if (paren) {
                    inline_spans(o, p + 1, (size_t)(close - p - 1), st);
                    i = (size_t)(paren - line) + 1;
                    continue;
                }
            }
        }
        put(o, *p, st);
        i++;
    }
}

static int all_of(const char *s, size_t len, char c)
{
    int n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == c)
            n++;
        else if (!is_space(s[i]))
            return 0;
    }
    return n >= 3;
}

/* Cut trailing blanks and a partial UTF-8 sequence at the end. */
static void finish(struct out *o)
{
    while (o->n > 0 && (o->s[o->n - 1] == '\n' || is_space(o->s[o->n - 1])))
        o->n--;
    size_t i = o->n;
    while (i > 0 && o->n - i < 3 && ((unsigned char)o->s[i - 1] & 0xc0) == 0x80)
        i--;
    if (i > 0) {
        unsigned char lead = (unsigned char)o->s[i - 1];
        size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
        if ((i - 1) + need > o->n)
            o->n = i - 1;
    }
    o->s[o->n] = '\0';
}

size_t markdown_plain(const char *src, char *out, unsigned char *style, size_t cap)
{
    struct out o = {out, style, 0, cap};
    if (!cap)
        return 0;
    int code = 0, in_para = 0, blank = 0;
    for (const char *line = src ? src : ""; *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        const char *next = nl ? nl + 1 : line + len;
        while (len && line[len - 1] == '\r')
            len--;
        size_t ind = 0;
        while (ind < len && is_space(line[ind]))
            ind++;
        const char *t = line + ind;
        size_t tl = len - ind;
        if (tl >= 3 && !strncmp(t, "```", 3)) {
            code = !code;
            in_para = 0;
        } else if (code) {
            if (o.n)
                put(&o, '\n', 0);
            for (size_t i = 0; i < len; i++)
                put(&o, line[i], MD_CODE);
        } else if (!tl || all_of(t, tl, '-') || all_of(t, tl, '*') || all_of(t, tl, '_')) {
            in_para = 0; /* a blank line or a thematic break: one blank line */
            blank = o.n > 0;
        } else {
            size_t h = 0;
            while (h < tl && h < 7 && t[h] == '#')
                h++;
            unsigned char base = 0;
            int block = 1;
            if (h >= 1 && h <= 6 && (h == tl || is_space(t[h]))) {
                t += h;
                tl -= h;
                while (tl && t[tl - 1] == '#')
                    tl--;
                base = MD_HEADING | MD_STRONG;
            } else if (tl >= 2 && strchr("-*+", t[0]) && is_space(t[1])) {
                t += 2;
                tl -= 2;
                if (o.n)
                    put(&o, '\n', 0);
                if (blank)
                    put(&o, '\n', 0);
                blank = 0;
                puts_(&o, "\xe2\x80\xa2 ", 0);
                block = 2;
            } else {
                if (t[0] == '>') {
                    t++;
                    tl--;
                }
                size_t d = 0;
                while (d < tl && t[d] >= '0' && t[d] <= '9')
                    d++;
                int ordered = d && d + 1 < tl && (t[d] == '.' || t[d] == ')') && is_space(t[d + 1]);
                block = ordered || !in_para;
            }
            while (tl && is_space(*t)) {
                t++;
                tl--;
            }
            if (block == 0) {
                put(&o, ' ', 0); /* a paragraph's next line */
            } else if (block == 1) {
                if (o.n)
                    put(&o, '\n', 0);
                if (blank)
                    put(&o, '\n', 0);
            }
            blank = 0;
            inline_spans(&o, t, tl, base);
            in_para = !base;
        }
        line = next;
    }
    finish(&o);
    return o.n;
}
