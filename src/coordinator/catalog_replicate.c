/* catalog_replicate.c: the replicate platform's models, as static data. Pure: no I/O. */
#include "catalog.h"

/* One placeholder row; the count says how many rows are real. */
const struct model_info replicate_models[] = {
    {"-", "-", "replicate", MEDIA_TEXT, MEDIA_TEXT, "", "{}", NULL, NULL},
};
const size_t replicate_models_count = 0;
