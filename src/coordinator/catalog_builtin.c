/* catalog_builtin.c: the builtin platform's models, as static data. Pure: no I/O. */
#include "catalog.h"

/* One placeholder row; the count says how many rows are real. */
const struct model_info builtin_models[] = {
    {"-", "-", "builtin", MEDIA_TEXT, MEDIA_TEXT, "", "{}", NULL, NULL},
};
const size_t builtin_models_count = 0;
