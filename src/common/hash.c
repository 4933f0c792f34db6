/* hash.c: 64-bit FNV-1a (Fowler, Noll, Vo; the offset basis and prime of the reference). Its
 * results seed the media generators, so they must never change. Pure C. */
#include "hash.h"

uint64_t fnv1a64(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}
