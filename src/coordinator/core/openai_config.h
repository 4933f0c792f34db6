/* openai_config.h: models on OpenAI-compatible servers (llama.cpp server, vLLM, Ollama, LocalAI on
 * a LAN GPU box), declared in panicd.conf and turned into catalogue rows for the openai platform.
 * Pure: parsing and string building only, no files are read here.
 *
 *   openai_server.NAME.base_url   http://gpu.local:8080/v1      (required; http or https)
 *   openai_server.NAME.timeout_s  300                           (optional; whole call, 1-3600)
 *   model.ID.server        NAME          (required: makes ID a model of that server)
 *   model.ID.model         llama3:8b     (required: the server's own model name)
 *   model.ID.input         text|image|audio   (required)
 *   model.ID.output        text|image|audio   (required; the pair must be one the platform
 *                                              speaks: t->t, i->t, t->i, t->a, a->t)
 *   model.ID.name          Llama 3 on the GPU box   (optional; default ID)
 *   model.ID.description   ...                      (optional)
 *   model.ID.system        ...   (optional; text->text default: the original PANIC! prompt)
 *   model.ID.prompt        ...   (optional; image->text caption request)
 *   model.ID.params        {"max_tokens": 200}      (optional JSON object, merged last into
 *                                                    every request, so it wins)
 *
 * NAME becomes the models' platform name, and the coordinator registers one openai platform
 * instance under it (openai_platform_new_server). Its key, if it needs one, comes the way every
 * platform's does, under NAME: api_key.NAME / api_key_file.NAME, $CREDENTIALS_DIRECTORY/NAME, or
 * PUT /api/v1/platforms/NAME/key. A server with no key gets no Authorization header. ID may hold
 * dots (the field is after the last one). */
#ifndef PANIC_OPENAI_CONFIG_H
#define PANIC_OPENAI_CONFIG_H

#include "catalog.h"

#include <stddef.h>
#include <stdint.h>

/* The original's system prompt for its OpenAI chat model (lib/panic/platforms/openai.ex). */
#define OPENAI_PANIC_SYSTEM_PROMPT                                                                 \
    "You are one component of a larger AI artwork system. When given input, always respond with "  \
    "a creative interpretation, description, or continuation. Never leave a response empty."
/* The caption request the original sent to most of its image->text models. */
#define OPENAI_CAPTION_PROMPT                                                                      \
    "Provide an interesting, concise caption for this image. Describe foreground and background "  \
    "elements."

#define OPENAI_CONFIG_MAX_SERVERS 8
#define OPENAI_CONFIG_MAX_MODELS 32
#define OPENAI_SERVER_NAME_MAX 32 /* with the NUL */
#define OPENAI_MODEL_ID_MAX 64    /* with the NUL */

struct openai_server_cfg {
    char name[OPENAI_SERVER_NAME_MAX];
    char *base_url;    /* owned */
    int64_t timeout_s; /* 0: the platform's default for each shape */
    int line;          /* the config line that first named it (oc->line then) */
};

struct openai_model_cfg {
    char id[OPENAI_MODEL_ID_MAX];
    char *server, *model, *name, *description, *system, *prompt, *params; /* owned or NULL */
    int input, output; /* enum media_type, -1 until set */
    int line;          /* the config line that first named it (oc->line then) */
    /* Built by openai_config_models; owned. */
    char *params_json;
    char *auto_description;
};

struct openai_config {
    struct openai_server_cfg servers[OPENAI_CONFIG_MAX_SERVERS];
    size_t nservers;
    struct openai_model_cfg models[OPENAI_CONFIG_MAX_MODELS];
    size_t nmodels;
    int line;       /* the caller's line being read, stamped on the entries it creates */
    int error_line; /* after openai_config_models fails: the line of the entry at fault, or 0 */
};

void openai_config_init(struct openai_config *oc);
void openai_config_free(struct openai_config *oc);

/* Apply one setting. 1 if key is not an "openai_server." or "model." key (not ours), 0 if taken,
 * -EINVAL with a reason in err (bad name, unknown field, bad value, too many). */
int openai_config_set(struct openai_config *oc, const char *key, const char *value, char *err,
                      size_t errlen);

/* Check the declarations as a whole and fill out[0..max) with one catalogue row per model
 * (platform = the server's name, path = model.ID.model, base_url = the server's). The rows'
 * strings point into oc, which must outlive them (catalog_register borrows them). Returns the
 * number of rows, or -EINVAL with "model.ID: reason" in err and the entry's line in
 * oc->error_line. */
int openai_config_models(struct openai_config *oc, struct model_info *out, size_t max, char *err,
                         size_t errlen);

/* The server called name, or NULL. Borrowed from oc. */
const struct openai_server_cfg *openai_config_server(const struct openai_config *oc,
                                                     const char *name);

#endif
