/* measures.c: persistence entropy and chord drift (see measures.h). Pure: C11 and libc only; no
 * I/O, no allocation. */
#include "analysis/core/measures.h"

#include <math.h>

double ph_entropy(const struct ph_bar *bars, size_t n, int dim)
{
    double total = 0;
    for (size_t i = 0; i < n; i++)
        if (bars[i].dim == dim && isfinite(bars[i].death) && bars[i].death > bars[i].birth)
            total += (double)bars[i].death - (double)bars[i].birth;
    if (!(total > 0))
        return 0;
    double e = 0;
    for (size_t i = 0; i < n; i++) {
        if (bars[i].dim != dim || !isfinite(bars[i].death) || !(bars[i].death > bars[i].birth))
            continue;
        double p = ((double)bars[i].death - (double)bars[i].birth) / total;
        e -= p * log(p);
    }
    return e;
}

double ph_chord(const float *a, const float *b, size_t d)
{
    double s = 0;
    for (size_t i = 0; i < d; i++) {
        double x = (double)a[i] - (double)b[i];
        s += x * x;
    }
    return sqrt(s);
}

int ph_normalise(float *v, size_t d)
{
    double s = 0;
    for (size_t i = 0; i < d; i++)
        s += (double)v[i] * v[i];
    if (!(s > 0) || !isfinite(s))
        return -1;
    double k = 1 / sqrt(s);
    for (size_t i = 0; i < d; i++)
        v[i] = (float)(v[i] * k);
    return 0;
}

void ph_drift(const float *vectors, size_t n, size_t d, const float *ref, double *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = ph_chord(vectors + i * d, ref, d);
}
