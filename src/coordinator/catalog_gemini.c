/* catalog_gemini.c: the gemini platform's models, as static data. Pure: no I/O. */
#include "catalog.h"

/* One placeholder row; the count says how many rows are real. */
const struct model_info gemini_models[] = {
    {"-", "-", "gemini", MEDIA_TEXT, MEDIA_TEXT, "", "{}", NULL, NULL},
};
const size_t gemini_models_count = 0;
