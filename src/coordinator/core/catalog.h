/* catalog.h: the model catalogue compiled into panicd. Pure data and lookups. */
#ifndef PANIC_CATALOG_H
#define PANIC_CATALOG_H

#include <stddef.h>

enum media_type { MEDIA_TEXT = 0, MEDIA_IMAGE = 1, MEDIA_AUDIO = 2 };

struct model_info {
    const char *id;       /* stable id used in networks, e.g. "dummy-t2i" */
    const char *name;     /* human name */
    const char *platform; /* "dummy", "builtin", "replicate", "openai", "gemini" */
    enum media_type input;
    enum media_type output;
    const char *description;
    const char *params_json; /* the platform parameters as a JSON object text */
    const char *path;        /* the platform's own name for it ("owner/name", "gpt-5-chat-latest",
                              * a builtin engine), or NULL */
    const char *base_url;    /* OpenAI-compatible servers: where to call, or NULL */
};

/* Borrowed pointers into static data, valid for the life of the process. */
const struct model_info *catalog_find(const char *id);
size_t catalog_count(void);
const struct model_info *catalog_at(size_t i);

/* Add a model declared at start (e.g. an OpenAI-compatible server's model from the config). The
 * strings are borrowed and must live as long as the process (or until catalog_reset_registered).
 * 0, -1 for a clash with an existing id, -2 when full. Not thread-safe: call before serving. */
int catalog_register(const struct model_info *m);
void catalog_reset_registered(void);

/* Per-platform tables (platforms/NAME/NAME_catalog.c). */
extern const struct model_info dummy_models[];
extern const size_t dummy_models_count;
extern const struct model_info builtin_models[];
extern const size_t builtin_models_count;
extern const struct model_info replicate_models[];
extern const size_t replicate_models_count;
extern const struct model_info openai_models[];
extern const size_t openai_models_count;
extern const struct model_info gemini_models[];
extern const size_t gemini_models_count;

/* 1 if calling the model costs money: a call to a paid service on the internet (replicate, openai,
 * gemini), not a model on this computer or on a LAN server, nor a step that makes no call. */
int catalog_paid(const struct model_info *m);

/* "text", "image", "audio". */
const char *media_type_name(enum media_type t);
/* 0 and *out on success, -1 for an unknown name. */
int media_type_parse(const char *s, enum media_type *out);

#endif
