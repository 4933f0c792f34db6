/* nsfw.c: the NSFW error-text rules of the original (Panic.Platforms.Replicate.detect_nsfw), kept
 * word for word so a refusal the original recognised is recognised here. Pure C: no I/O, no
 * locale (ASCII case folding only, so UTF-8 text passes through untouched). */
#include "nsfw.h"

#include <stddef.h>
#include <string.h>

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* needle is lowercase ASCII. */
static int contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] && lower((unsigned char)hay[i]) == needle[i])
            i++;
        if (i == n)
            return 1;
    }
    return 0;
}

int nsfw_detect(const char *error)
{
    static const char *const phrases[] = {
        "flagged as sensitive", "nsfw",          "inappropriate content",
        "explicit content",     "adult content",
    };
    if (!error)
        return 0;
    if (strncmp(error, "NSFW", 4) == 0)
        return 1;
    for (size_t i = 0; i < sizeof phrases / sizeof phrases[0]; i++)
        if (contains_nocase(error, phrases[i]))
            return 1;
    return contains_nocase(error, "sensitive") && strstr(error, "(E00") != NULL;
}
