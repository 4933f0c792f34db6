/* checkout.c: finds the checkout a program was built in (see checkout.h). libc and POSIX only:
 * readlink(2) of /proc/self/exe and access(2) of the font one and two levels up. */
#include "checkout.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

const char *checkout_root(void)
{
    static char root[PATH_MAX];
    static int looked;
    if (looked)
        return root[0] ? root : NULL;
    looked = 1;
    char exe[PATH_MAX], probe[PATH_MAX + 64];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    for (int up = 0; up < 2; up++) {
        char *slash = strrchr(exe, '/');
        if (!slash || slash == exe)
            return NULL;
        *slash = '\0'; /* above the program's directory, then above its parent */
        char *parent = strrchr(exe, '/');
        if (!parent)
            return NULL;
        snprintf(probe, sizeof probe, "%.*s/" CHECKOUT_FONT, (int)(parent - exe), exe);
        if (access(probe, R_OK) == 0) {
            snprintf(root, sizeof root, "%.*s", (int)(parent - exe), exe);
            return root;
        }
    }
    return NULL;
}
