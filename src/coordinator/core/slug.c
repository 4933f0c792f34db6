/* slug.c: networks' short names (see slug.h). Pure: libc string work, ASCII rules only (a byte
 * of a UTF-8 sequence is "another character"). */
#include "slug.h"

#include <stdio.h>
#include <string.h>

static int slug_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

int slug_valid(const char *s)
{
    size_t n = strlen(s);
    int letter = 0;
    if (n == 0 || n > SLUG_MAX || s[0] == '-' || s[n - 1] == '-')
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!slug_char(s[i]) && s[i] != '-')
            return 0;
        letter |= !(s[i] >= '0' && s[i] <= '9');
    }
    return letter;
}

void slug_from_name(const char *name, char *out, size_t len)
{
    char buf[4 * SLUG_MAX];
    size_t n = 0;
    int dash = 0;
    for (const char *p = name; *p && n < sizeof buf - 2; p++) {
        char c = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
        if (!slug_char(c)) {
            dash = n > 0;
            continue;
        }
        if (dash)
            buf[n++] = '-';
        dash = 0;
        buf[n++] = c;
    }
    buf[n] = '\0';
    if (n > SLUG_MAX) {
        /* Cut in the middle of a word: back to the end of the last whole one, if any. */
        int mid_word = buf[SLUG_MAX] != '-';
        buf[SLUG_MAX] = '\0';
        char *last = strrchr(buf, '-');
        if (mid_word && last)
            *last = '\0';
    }
    if (!buf[0])
        snprintf(out, len, "network");
    else if (!slug_valid(buf))
        snprintf(out, len, "network-%.*s", SLUG_MAX - 8, buf);
    else
        snprintf(out, len, "%s", buf);
}

int slug_unique(const char *base, int (*taken)(void *user, const char *slug), void *user, char *out,
                size_t len)
{
    snprintf(out, len, "%s", base);
    for (int k = 2; taken(user, out); k++) {
        if (k > 10000)
            return -1;
        char suffix[16];
        int sl = snprintf(suffix, sizeof suffix, "-%d", k);
        size_t keep = strlen(base);
        if (keep + (size_t)sl > SLUG_MAX)
            keep = SLUG_MAX - (size_t)sl;
        while (keep > 0 && base[keep - 1] == '-')
            keep--;
        snprintf(out, len, "%.*s%s", (int)keep, base, suffix);
    }
    return 0;
}
