/* conf.c: "key value" config parser. Pure libc: it knows no keys; callers validate them and the
 * parser prefixes their reason with file:line so staff can find the mistake. */
#define _POSIX_C_SOURCE 200809L
#include "conf.h"
#include "buf.h"
#include "file.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Either callback: fn (the line not passed) or line_fn. */
static int parse_text(const char *name, const char *text, conf_setting_fn fn, conf_line_fn line_fn,
                      void *user, char *err, size_t errlen)
{
    int lineno = 0;
    const char *p = text;
    if (!strncmp(p, "\xef\xbb\xbf", 3))
        p += 3; /* a UTF-8 byte order mark, as some editors write: not part of the first key */
    while (*p) {
        lineno++;
        const char *eol = strchr(p, '\n');
        size_t n = eol ? (size_t)(eol - p) : strlen(p);
        char *line = xstrndup(p, n);
        int valid = utf8_valid(line, n);
        p += n + (eol ? 1 : 0);

        char *s = line;
        while (isspace((unsigned char)*s))
            s++;
        size_t len = strlen(s);
        while (len && isspace((unsigned char)s[len - 1]))
            s[--len] = '\0';
        if (!*s || *s == '#') {
            free(line);
            continue;
        }
        char *key = s;
        while (*s && !isspace((unsigned char)*s))
            s++;
        if (*s)
            *s++ = '\0';
        while (isspace((unsigned char)*s))
            s++;
        char reason[PANIC_ERR_LEN] = "";
        int rc = 0;
        if (!valid) {
            snprintf(reason, sizeof reason, "not valid UTF-8");
            rc = -EINVAL;
        } else if (!*s) {
            snprintf(reason, sizeof reason, "'%s' needs a value", key);
            rc = -EINVAL;
        } else {
            rc = fn ? fn(user, key, s, reason, sizeof reason)
                    : line_fn(user, lineno, key, s, reason, sizeof reason);
        }
        free(line);
        if (rc < 0) {
            snprintf(err, errlen, "%s:%d: %s", name, lineno, reason[0] ? reason : "bad setting");
            return rc;
        }
    }
    return 0;
}

int conf_parse_text(const char *name, const char *text, conf_setting_fn fn, void *user, char *err,
                    size_t errlen)
{
    return parse_text(name, text, fn, NULL, user, err, errlen);
}

int conf_parse_text_lines(const char *name, const char *text, conf_line_fn fn, void *user,
                          char *err, size_t errlen)
{
    return parse_text(name, text, NULL, fn, user, err, errlen);
}

static int parse_file(const char *path, conf_setting_fn fn, conf_line_fn line_fn, void *user,
                      char *err, size_t errlen)
{
    struct buf text = BUF_INIT;
    int rc = file_read(path, SIZE_MAX, 0, &text, NULL, 0);
    if (rc < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(-rc));
    } else {
        buf_append(&text, "", 0);
        const char *nul = memchr(text.data, '\0', text.len);
        if (nul) {
            int line = 1;
            for (const char *c = text.data; c < nul; c++)
                line += *c == '\n';
            snprintf(err, errlen, "%s:%d: contains a NUL byte", path, line);
            rc = -EINVAL;
        } else {
            rc = parse_text(path, text.data, fn, line_fn, user, err, errlen);
        }
    }
    buf_free(&text);
    return rc;
}

int conf_parse_file(const char *path, conf_setting_fn fn, void *user, char *err, size_t errlen)
{
    return parse_file(path, fn, NULL, user, err, errlen);
}

int conf_parse_file_lines(const char *path, conf_line_fn fn, void *user, char *err, size_t errlen)
{
    return parse_file(path, NULL, fn, user, err, errlen);
}

int conf_bool(const char *value, int *out, char *err, size_t errlen)
{
    if (!strcmp(value, "yes") || !strcmp(value, "true") || !strcmp(value, "on") ||
        !strcmp(value, "1")) {
        *out = 1;
        return 0;
    }
    if (!strcmp(value, "no") || !strcmp(value, "false") || !strcmp(value, "off") ||
        !strcmp(value, "0")) {
        *out = 0;
        return 0;
    }
    snprintf(err, errlen, "'%s' is not yes/no", value);
    return -EINVAL;
}

int conf_int(const char *value, long long min, long long max, long long *out, char *err,
             size_t errlen)
{
    int64_t v;
    if (parse_int64(value, min, max, &v) < 0) {
        snprintf(err, errlen, "'%s' is not a whole number from %lld to %lld", value, min, max);
        return -EINVAL;
    }
    *out = v;
    return 0;
}
