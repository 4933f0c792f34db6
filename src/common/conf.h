/* conf.h: a pure parser for "key value" config files. '#' starts a comment line; the value is the
 * rest of the line after the key and its white space, trailing white space removed. */
#ifndef PANIC_CONF_H
#define PANIC_CONF_H

#include <stddef.h>

/* Called once per setting. Return 0 to go on, or fill err with a reason (no file:line, the
 * parser adds it) and return a negative errno to stop. key and value are borrowed for the call. */
typedef int (*conf_setting_fn)(void *user, const char *key, const char *value, char *err,
                               size_t errlen);

/* The same with the setting's line number (from 1), for callers that check across lines later
 * and must name the line that set something. */
typedef int (*conf_line_fn)(void *user, int line, const char *key, const char *value, char *err,
                            size_t errlen);

/* Parse text (NUL-terminated) named `name` for messages. On failure err holds "name:line: reason".
 * A UTF-8 byte order mark at the start is skipped. */
int conf_parse_text(const char *name, const char *text, conf_setting_fn fn, void *user, char *err,
                    size_t errlen);
int conf_parse_text_lines(const char *name, const char *text, conf_line_fn fn, void *user,
                          char *err, size_t errlen);
/* Read and parse a file. A missing file is -ENOENT with a message; a NUL byte is refused with
 * the line it is on. */
int conf_parse_file(const char *path, conf_setting_fn fn, void *user, char *err, size_t errlen);
int conf_parse_file_lines(const char *path, conf_line_fn fn, void *user, char *err, size_t errlen);

/* Value helpers for setting callbacks: 0 or -EINVAL with a reason in err. */
int conf_bool(const char *value, int *out, char *err, size_t errlen);
int conf_int(const char *value, long long min, long long max, long long *out, char *err,
             size_t errlen);

#endif
