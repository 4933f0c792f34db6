/* catalog_openai.c: the openai platform's models, as static data. Pure: no I/O. */
#include "catalog.h"

/* One placeholder row; the count says how many rows are real. */
const struct model_info openai_models[] = {
    {"-", "-", "openai", MEDIA_TEXT, MEDIA_TEXT, "", "{}", NULL, NULL},
};
const size_t openai_models_count = 0;
