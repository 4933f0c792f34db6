/* test_httpdate.c: days_from_civil against the C library's calendar (gmtime_r and timegm) for
 * every day of eleven centuries and a few far ones, the IMF-fixdate against strftime's for
 * random times, and the Retry-After forms each platform relies on (delta seconds with a
 * fraction, a date, a date already past) and the ones no platform accepts. */
#define _GNU_SOURCE /* timegm: the oracle only */
#include "common/httpdate.h"
#include "common/util.h"
#include "test.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

TEST(days_match_the_c_library)
{
    /* Every day from 1600-01-01 to 2700-12-31, walked by gmtime_r one day at a time. */
    struct tm tm = {.tm_year = 1600 - 1900, .tm_mon = 0, .tm_mday = 1};
    time_t first = timegm(&tm);
    tm = (struct tm){.tm_year = 2700 - 1900, .tm_mon = 11, .tm_mday = 31};
    time_t last = timegm(&tm);
    int bad = 0;
    for (time_t t = first; t <= last && bad < 5; t += 86400) {
        struct tm g;
        gmtime_r(&t, &g);
        int64_t got = days_from_civil(g.tm_year + 1900, g.tm_mon + 1, g.tm_mday) * 86400;
        if (got != (int64_t)t) {
            TEST_FAIL_AT("%04d-%02d-%02d: %lld, timegm says %lld", g.tm_year + 1900, g.tm_mon + 1,
                         g.tm_mday, (long long)got, (long long)t);
            bad++;
        }
    }
    CHECK_EQ_INT(days_from_civil(1970, 1, 1), 0);
    CHECK_EQ_INT(days_from_civil(1969, 12, 31), -1);
    CHECK_EQ_INT(days_from_civil(2000, 3, 1), 11017);
    /* Far years and the days around leap days, through timegm. */
    static const int years[] = {-4713, -1, 0, 1, 100, 400, 1900, 2000, 2100, 2400, 9999, 30000};
    static const int md[][2] = {{1, 1}, {2, 28}, {3, 1}, {12, 31}};
    for (size_t i = 0; i < ARRAY_LEN(years); i++) {
        for (size_t k = 0; k < ARRAY_LEN(md); k++) {
            struct tm x = {.tm_year = years[i] - 1900, .tm_mon = md[k][0] - 1, .tm_mday = md[k][1]};
            int64_t want = (int64_t)timegm(&x);
            int64_t got = days_from_civil(years[i], md[k][0], md[k][1]) * 86400;
            if (got != want)
                TEST_FAIL_AT("%d-%02d-%02d: %lld, timegm says %lld", years[i], md[k][0], md[k][1],
                             (long long)got, (long long)want);
        }
    }
}

TEST(imf_fixdate_round_trips)
{
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13; /* xorshift64: any spread of times will do */
        x ^= x >> 7;
        x ^= x << 17;
        time_t t = (time_t)(x % 8000000000ull); /* 1970 .. 2223 */
        struct tm g;
        gmtime_r(&t, &g);
        char s[64];
        strftime(s, sizeof s, "%a, %d %b %Y %H:%M:%S GMT", &g);
        int64_t got = -1;
        if (http_date_parse(s, &got) != 0 || got != (int64_t)t) {
            TEST_FAIL_AT("\"%s\": %lld, want %lld", s, (long long)got, (long long)t);
            break;
        }
    }
    int64_t t = 0;
    CHECK_EQ_INT(http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT", &t), 0);
    CHECK_EQ_INT(t, 784111777);
    CHECK_EQ_INT(http_date_parse(" \tSun, 6 Nov 1994 8:49:37 GMT \t", &t), 0);
    CHECK_EQ_INT(t, 784111777);
    CHECK_EQ_INT(http_date_parse("Thu, 29 Feb 2024 23:59:60 GMT", &t), 0); /* a leap second */
    CHECK_EQ_INT(http_date_parse("Thu, 01 Jan 1970 00:00:00 GMT", &t), 0);
    CHECK_EQ_INT(t, 0);
    static const char *const bad[] = {
        "Sun, 06 Nov 1994 08:49:37 UTC",  /* only GMT */
        "Sunday, 06-Nov-94 08:49:37 GMT", /* RFC 850 */
        "Sun Nov  6 08:49:37 1994",       /* asctime */
        "Sun, 06 nov 1994 08:49:37 GMT",  /* the month's case */
        "Sun, 06 Foo 1994 08:49:37 GMT",
        "Xyz, 06 Nov 1994 08:49:37 GMT",
        "Sun 06 Nov 1994 08:49:37 GMT",
        "Sun, 31 Nov 1994 08:49:37 GMT", /* no such day */
        "Thu, 29 Feb 2023 08:49:37 GMT",
        "Sun, 00 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1969 08:49:37 GMT", /* before 1970 */
        "Sun, 06 Nov 94 08:49:37 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 06 Nov 1994 08:60:00 GMT",
        "Sun, 06 Nov 1994 08:49:61 GMT",
        "Sun, 06 Nov 1994 08:49 GMT",
        "Sun, 006 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMT x",
        "Sun, 06 Nov 1994 08:49:37",
        "Sun, 06 Nov 1994 08:49:37 GMTX",
        "Sun, 06 Nov 1994",
        "",
    };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        t = 12345;
        if (http_date_parse(bad[i], &t) != -EINVAL || t != 12345)
            TEST_FAIL_AT("\"%s\" was accepted", bad[i]);
    }
    CHECK_EQ_INT(http_date_parse(NULL, &t), -EINVAL);
}

TEST(retry_after_forms)
{
    /* What openai's and replicate's own parsers read, all still read alike. */
    CHECK_EQ_INT(http_retry_after_ms("1", 0), 1000);
    CHECK_EQ_INT(http_retry_after_ms(" 2.5 ", 0), 2500);
    CHECK_EQ_INT(http_retry_after_ms("0", 0), 0);
    CHECK_EQ_INT(http_retry_after_ms("7", 123456), 7000);
    CHECK_EQ_INT(http_retry_after_ms("86400", 0), 86400000);
    CHECK_EQ_INT(http_retry_after_ms("31536000", 0), 31536000000LL); /* a year */
    CHECK_EQ_INT(http_retry_after_ms("0.0005", 0), 1);               /* rounded */
    CHECK_EQ_INT(http_retry_after_ms("0.00049", 0), 0);
    CHECK_EQ_INT(http_retry_after_ms("1.2345678", 0), 1235);
    CHECK_EQ_INT(http_retry_after_ms("\t3\t", 0), 3000);
    /* 1994-11-06 08:49:37 UTC = 784111777 s */
    CHECK_EQ_INT(http_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", 784111777000LL - 3000), 3000);
    CHECK_EQ_INT(http_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", 784111777000LL + 5000), 0);
    /* Nothing else. */
    static const char *const bad[] = {"soon",
                                      "-3",
                                      "+3",
                                      "1e3",
                                      "0x10",
                                      "3 s",
                                      "3s",
                                      "2.",
                                      ".5",
                                      "31536001",
                                      "99999999999999999999",
                                      "",
                                      "Sun, 06 Foo 1994 08:49:37 GMT"};
    for (size_t i = 0; i < ARRAY_LEN(bad); i++)
        if (http_retry_after_ms(bad[i], 0) != -1)
            TEST_FAIL_AT("\"%s\" gave %lld", bad[i], (long long)http_retry_after_ms(bad[i], 0));
    CHECK_EQ_INT(http_retry_after_ms(NULL, 0), -1);
}

int main(void)
{
    RUN(days_match_the_c_library);
    RUN(imf_fixdate_round_trips);
    RUN(retry_after_forms);
    TEST_END("test_httpdate");
}
