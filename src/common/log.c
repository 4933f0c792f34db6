/* log.c: stderr logger. journald reads the <N> prefix as the priority; on a terminal a time stamp
 * and a level character are added instead so a person can read it. */
#define _POSIX_C_SOURCE 200809L
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum log_level current = LOG_LVL_INFO;

void log_set_level(enum log_level lvl)
{
    current = lvl;
}

int log_level_parse(const char *s)
{
    static const struct {
        const char *name;
        enum log_level lvl;
    } names[] = {{"err", LOG_LVL_ERR},
                 {"warn", LOG_LVL_WARN},
                 {"info", LOG_LVL_INFO},
                 {"debug", LOG_LVL_DEBUG}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i].name) == 0)
            return (int)names[i].lvl;
    return -1;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
    if (lvl > current)
        return;
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (isatty(STDERR_FILENO)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        struct tm tm;
        localtime_r(&ts.tv_sec, &tm);
        char when[16];
        strftime(when, sizeof when, "%H:%M:%S", &tm);
        const char *c = lvl <= LOG_LVL_ERR    ? "#"
                        : lvl == LOG_LVL_WARN ? "!"
                        : lvl == LOG_LVL_INFO ? "*"
                                              : ".";
        fprintf(stderr, "%s.%03ld %s %s\n", when, ts.tv_nsec / 1000000, c, line);
    } else {
        fprintf(stderr, "<%d>%s\n", (int)lvl, line);
    }
}
