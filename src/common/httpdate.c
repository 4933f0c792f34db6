/* httpdate.c: day numbers of civil dates (Howard Hinnant's days_from_civil, exact for any year
 * without a table or the C library's time zone machinery; timegm() is not POSIX), the
 * IMF-fixdate and the Retry-After value (see httpdate.h for the accepted forms). Written by hand
 * so every reader agrees: openai, replicate and gemini wait out a 429 with it, and panicctl reads
 * its timestamps with days_from_civil. Pure libc; no project module. */
#include "httpdate.h"

#include <errno.h>
#include <string.h>

#define RETRY_AFTER_MAX_S (86400LL * 365)

int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* At least one space, then *p moves past them all. */
static int spaces(const char **p)
{
    if (**p != ' ')
        return 0;
    while (**p == ' ')
        (*p)++;
    return 1;
}

/* min..max digits as a number; -1 if there are fewer or more. */
static int number(const char **p, int min, int max)
{
    int v = 0, n = 0;
    while (is_digit(**p)) {
        if (++n > max)
            return -1;
        v = v * 10 + (**p - '0');
        (*p)++;
    }
    return n >= min ? v : -1;
}

/* The index of the three letters at *p in list (3 letters per entry), or -1. */
static int name3(const char **p, const char *list)
{
    size_t n = strlen(list) / 3;
    for (size_t i = 0; i < n; i++) {
        if (!strncmp(*p, list + 3 * i, 3)) {
            *p += 3;
            return (int)i;
        }
    }
    return -1;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return days[m - 1] + (m == 2 && leap);
}

/* The date at *p up to its end (trailing blanks left to the caller). */
static int fixdate(const char **p, int64_t *epoch_s)
{
    if (name3(p, "MonTueWedThuFriSatSun") < 0 || *(*p)++ != ',' || !spaces(p))
        return -EINVAL;
    int d = number(p, 1, 2);
    if (d < 1 || !spaces(p))
        return -EINVAL;
    int m = name3(p, "JanFebMarAprMayJunJulAugSepOctNovDec") + 1;
    if (m < 1 || !spaces(p))
        return -EINVAL;
    int y = number(p, 4, 4);
    if (y < 1970 || d > days_in_month(y, m) || !spaces(p))
        return -EINVAL;
    int hh = number(p, 1, 2);
    if (hh < 0 || hh > 23 || *(*p)++ != ':')
        return -EINVAL;
    int mm = number(p, 1, 2);
    if (mm < 0 || mm > 59 || *(*p)++ != ':')
        return -EINVAL;
    int ss = number(p, 1, 2);
    if (ss < 0 || ss > 60 || !spaces(p) || strncmp(*p, "GMT", 3) != 0)
        return -EINVAL;
    *p += 3;
    *epoch_s = days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss;
    return 0;
}

static const char *skip_blanks(const char *p)
{
    while (is_blank(*p))
        p++;
    return p;
}

int http_date_parse(const char *s, int64_t *epoch_s)
{
    if (!s)
        return -EINVAL;
    const char *p = skip_blanks(s);
    int64_t t;
    if (fixdate(&p, &t) < 0 || *skip_blanks(p))
        return -EINVAL;
    *epoch_s = t;
    return 0;
}

/* delta-seconds with an optional fraction, in ms; -1 if p is not one (up to trailing blanks). */
static int64_t delta_ms(const char *p)
{
    int64_t s = 0;
    const char *start = p;
    for (; is_digit(*p); p++) {
        s = s * 10 + (*p - '0');
        if (s > RETRY_AFTER_MAX_S)
            return -1;
    }
    if (p == start)
        return -1;
    int64_t ms = s * 1000;
    if (*p == '.') {
        static const int place[] = {100, 10, 1};
        p++;
        if (!is_digit(*p))
            return -1;
        for (int i = 0; is_digit(*p); p++, i++) {
            if (i < 3)
                ms += (*p - '0') * place[i];
            else if (i == 3 && *p >= '5')
                ms++; /* the fourth digit rounds to the nearest millisecond */
        }
    }
    if (*skip_blanks(p) || ms > RETRY_AFTER_MAX_S * 1000)
        return -1;
    return ms;
}

int64_t http_retry_after_ms(const char *value, int64_t now_wall_ms)
{
    if (!value)
        return -1;
    const char *p = skip_blanks(value);
    if (is_digit(*p))
        return delta_ms(p);
    int64_t at;
    if (http_date_parse(p, &at) < 0)
        return -1;
    int64_t wait = at * 1000 - now_wall_ms;
    return wait > 0 ? wait : 0;
}
