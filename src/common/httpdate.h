/* httpdate.h: proleptic Gregorian day numbers, and the two HTTP time values panic reads from a
 * server: an HTTP-date and a Retry-After. */
#ifndef PANIC_HTTPDATE_H
#define PANIC_HTTPDATE_H

#include <stdint.h>

/* Days from 1970-01-01 to the date y-m-d (m 1..12, d 1..31), negative before it. Any year; no
 * time zone, so days * 86400 is the Unix time of that midnight UTC (what timegm() gives). */
int64_t days_from_civil(int64_t y, int m, int d);

/* An IMF-fixdate (RFC 9110 section 5.6.7), the only HTTP-date form either platform parser ever
 * read:
 *     Sun, 06 Nov 1994 08:49:37 GMT
 * a day name (Mon..Sun, not checked against the date), a comma, the day of the month (one or two
 * digits, checked against the month), the month (Jan..Dec, this case), a four-digit year from
 * 1970, hh:mm:ss (one or two digits each, 00-23, 00-59, 00-60) and "GMT", separated by one or
 * more spaces; white space (space or tab) around the whole is ignored. The obsolete RFC 850 and
 * asctime forms are not accepted. 0 with the Unix time in *epoch_s, or -EINVAL. */
int http_date_parse(const char *s, int64_t *epoch_s);

/* A Retry-After value as a wait in milliseconds from now_wall_ms (Unix ms):
 *   delta-seconds  1*DIGIT, with an optional fraction ("." 1*DIGIT, which some servers send),
 *                  at most a year; rounded to the nearest millisecond;
 *   HTTP-date      as http_date_parse; a date already past gives 0.
 * White space (space or tab) around the value is ignored. -1 for NULL, an empty value or anything
 * else (a sign, an exponent, hex, trailing words). */
int64_t http_retry_after_ms(const char *value, int64_t now_wall_ms);

#endif
