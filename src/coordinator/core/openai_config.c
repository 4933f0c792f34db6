/* openai_config.c: "openai_server.*" and "model.*" settings into catalogue rows for the openai
 * platform (see openai_config.h). Pure libc: no files, no keys. The generated params are JSON text
 * built by hand so this file needs no JSON library; the platform parses them at call time. */
#include "openai_config.h"
#include "common/buf.h"
#include "common/util.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Platforms a server may not be named after: their keys and their models are someone else's. */
static const char *const reserved[] = {"dummy", "builtin", "replicate", "openai", "gemini", "none"};

void openai_config_init(struct openai_config *oc)
{
    memset(oc, 0, sizeof *oc);
}

static void model_cfg_free(struct openai_model_cfg *m)
{
    free(m->server);
    free(m->model);
    free(m->name);
    free(m->description);
    free(m->system);
    free(m->prompt);
    free(m->params);
    free(m->params_json);
    free(m->auto_description);
}

void openai_config_free(struct openai_config *oc)
{
    if (!oc)
        return;
    for (size_t i = 0; i < oc->nservers; i++) {
        free(oc->servers[i].base_url);
    }
    for (size_t i = 0; i < oc->nmodels; i++)
        model_cfg_free(&oc->models[i]);
    memset(oc, 0, sizeof *oc);
}

static int name_ok(const char *s, size_t len, const char *extra)
{
    if (!len)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              strchr(extra, ch)))
            return 0;
    }
    return 1;
}

static void set_str(char **slot, const char *value)
{
    free(*slot);
    *slot = xstrdup(value);
}

const struct openai_server_cfg *openai_config_server(const struct openai_config *oc,
                                                     const char *name)
{
    for (size_t i = 0; i < oc->nservers; i++)
        if (!strcmp(oc->servers[i].name, name))
            return &oc->servers[i];
    return NULL;
}

static int set_server(struct openai_config *oc, const char *name, size_t nlen, const char *field,
                      const char *value, char *err, size_t errlen)
{
    if (nlen >= OPENAI_SERVER_NAME_MAX || !name_ok(name, nlen, "_-")) {
        snprintf(err, errlen, "a server name must be 1-%d letters, digits, - or _",
                 OPENAI_SERVER_NAME_MAX - 1);
        return -EINVAL;
    }
    char nm[OPENAI_SERVER_NAME_MAX];
    memcpy(nm, name, nlen);
    nm[nlen] = '\0';
    for (size_t i = 0; i < ARRAY_LEN(reserved); i++) {
        if (!strcmp(nm, reserved[i])) {
            snprintf(err, errlen, "'%s' is a platform's name; call the server something else", nm);
            return -EINVAL;
        }
    }
    struct openai_server_cfg *s = (struct openai_server_cfg *)openai_config_server(oc, nm);
    if (!s) {
        if (oc->nservers == OPENAI_CONFIG_MAX_SERVERS) {
            snprintf(err, errlen, "too many OpenAI-compatible servers (at most %d)",
                     OPENAI_CONFIG_MAX_SERVERS);
            return -EINVAL;
        }
        s = &oc->servers[oc->nservers++];
        memset(s, 0, sizeof *s);
        memcpy(s->name, nm, nlen + 1);
        s->line = oc->line;
    }
    if (!strcmp(field, "base_url")) {
        if ((strncmp(value, "http://", 7) && strncmp(value, "https://", 8)) ||
            strpbrk(value, " \t\"") || strlen(value) < 10) {
            snprintf(err, errlen, "base_url must be an http:// or https:// URL");
            return -EINVAL;
        }
        set_str(&s->base_url, value);
        return 0;
    }
    if (!strcmp(field, "timeout_s")) {
        if (parse_int64(value, 1, 3600, &s->timeout_s) < 0) {
            snprintf(err, errlen, "timeout_s must be a whole number of seconds, 1-3600");
            return -EINVAL;
        }
        return 0;
    }
    snprintf(err, errlen,
             "unknown server setting '%s' (base_url, timeout_s; its key is api_key.NAME)", field);
    return -EINVAL;
}

static int parse_media(const char *value, int *out, char *err, size_t errlen)
{
    enum media_type t;
    if (media_type_parse(value, &t) < 0) {
        snprintf(err, errlen, "'%s' is not text, image or audio", value);
        return -EINVAL;
    }
    *out = (int)t;
    return 0;
}

static int set_model(struct openai_config *oc, const char *id, size_t idlen, const char *field,
                     const char *value, char *err, size_t errlen)
{
    if (idlen >= OPENAI_MODEL_ID_MAX || !name_ok(id, idlen, "._-")) {
        snprintf(err, errlen, "a model id must be 1-%d letters, digits, '.', - or _",
                 OPENAI_MODEL_ID_MAX - 1);
        return -EINVAL;
    }
    struct openai_model_cfg *m = NULL;
    for (size_t i = 0; i < oc->nmodels; i++)
        if (strlen(oc->models[i].id) == idlen && !memcmp(oc->models[i].id, id, idlen))
            m = &oc->models[i];
    if (!m) {
        if (oc->nmodels == OPENAI_CONFIG_MAX_MODELS) {
            snprintf(err, errlen, "too many configured models (at most %d)",
                     OPENAI_CONFIG_MAX_MODELS);
            return -EINVAL;
        }
        m = &oc->models[oc->nmodels++];
        memset(m, 0, sizeof *m);
        memcpy(m->id, id, idlen);
        m->id[idlen] = '\0';
        m->input = m->output = -1;
        m->line = oc->line;
    }
    if (!strcmp(field, "input"))
        return parse_media(value, &m->input, err, errlen);
    if (!strcmp(field, "output"))
        return parse_media(value, &m->output, err, errlen);
    if (!strcmp(field, "params")) {
        size_t n = strlen(value);
        if (n < 2 || value[0] != '{' || value[n - 1] != '}') {
            snprintf(err, errlen, "params must be a JSON object, {...} on one line");
            return -EINVAL;
        }
        set_str(&m->params, value);
        return 0;
    }
    static const struct {
        const char *field;
        size_t offset;
    } strs[] = {
        {"server", offsetof(struct openai_model_cfg, server)},
        {"model", offsetof(struct openai_model_cfg, model)},
        {"name", offsetof(struct openai_model_cfg, name)},
        {"description", offsetof(struct openai_model_cfg, description)},
        {"system", offsetof(struct openai_model_cfg, system)},
        {"prompt", offsetof(struct openai_model_cfg, prompt)},
    };
    for (size_t i = 0; i < ARRAY_LEN(strs); i++) {
        if (!strcmp(field, strs[i].field)) {
            set_str((char **)(void *)((char *)m + strs[i].offset), value);
            return 0;
        }
    }
    snprintf(err, errlen,
             "unknown model setting '%s' (server, model, input, output, name, description, "
             "system, prompt, params)",
             field);
    return -EINVAL;
}

int openai_config_set(struct openai_config *oc, const char *key, const char *value, char *err,
                      size_t errlen)
{
    static const char sp[] = "openai_server.", mp[] = "model.";
    int server = !strncmp(key, sp, sizeof sp - 1);
    if (!server && strncmp(key, mp, sizeof mp - 1) != 0)
        return 1;
    const char *name = key + (server ? sizeof sp - 1 : sizeof mp - 1);
    const char *dot = strrchr(name, '.');
    if (!dot || dot == name || !dot[1]) {
        snprintf(err, errlen, "'%s' should be %sNAME.FIELD", key, server ? sp : mp);
        return -EINVAL;
    }
    size_t nlen = (size_t)(dot - name);
    return server ? set_server(oc, name, nlen, dot + 1, value, err, errlen)
                  : set_model(oc, name, nlen, dot + 1, value, err, errlen);
}

/* Append s as a JSON string literal. */
static void json_str(struct buf *b, const char *s)
{
    buf_puts(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            buf_printf(b, "\\%c", *p);
        else if (*p < 0x20)
            buf_printf(b, "\\u%04x", *p);
        else
            buf_append(b, p, 1);
    }
    buf_puts(b, "\"");
}

/* Anything to text (chat, vision, transcription), or text to image or audio. */
static int shape_ok(int in, int out)
{
    return out == MEDIA_TEXT || in == MEDIA_TEXT;
}

/* The request params of m: generated defaults, then the user's params (which win, being later:
 * a JSON parser keeps the last of duplicate keys). Owned. */
static char *build_params(const struct openai_model_cfg *m, const struct openai_server_cfg *s)
{
    struct buf b = BUF_INIT;
    buf_puts(&b, "{");
    const char *sep = "";
    if (m->input == MEDIA_TEXT && m->output == MEDIA_TEXT) {
        buf_puts(&b, "\"system\": ");
        json_str(&b, m->system ? m->system : OPENAI_PANIC_SYSTEM_PROMPT);
        /* max_tokens, not max_completion_tokens: every local server knows the older name. */
        buf_puts(&b, ", \"temperature\": 1.0, \"max_tokens\": 150");
        sep = ", ";
    } else if (m->input == MEDIA_IMAGE) {
        if (m->system) {
            buf_puts(&b, "\"system\": ");
            json_str(&b, m->system);
            buf_puts(&b, ", ");
        }
        buf_puts(&b, "\"prompt\": ");
        json_str(&b, m->prompt ? m->prompt : OPENAI_CAPTION_PROMPT);
        buf_puts(&b, ", \"max_tokens\": 100");
        sep = ", ";
    } else if (m->output == MEDIA_IMAGE) {
        /* 16:9 like the screens; b64_json because a LAN server's URLs may not outlive us. */
        buf_puts(&b, "\"size\": \"1024x576\", \"response_format\": \"b64_json\"");
        sep = ", ";
    } else if (m->output == MEDIA_AUDIO) {
        buf_puts(&b, "\"response_format\": \"wav\"");
        sep = ", ";
    }
    if (s->timeout_s > 0) {
        buf_printf(&b, "%s\"timeout_s\": %lld", sep, (long long)s->timeout_s);
        sep = ", ";
    }
    if (m->params) {
        /* The inside of the user's object, if it has anything inside. */
        const char *in = m->params + 1;
        size_t n = strlen(in) - 1;
        size_t i = 0;
        while (i < n && (in[i] == ' ' || in[i] == '\t'))
            i++;
        if (i < n)
            buf_printf(&b, "%s%.*s", sep, (int)n, in);
    }
    buf_puts(&b, "}");
    return buf_steal(&b);
}

int openai_config_models(struct openai_config *oc, struct model_info *out, size_t max, char *err,
                         size_t errlen)
{
    oc->error_line = 0;
    if (oc->nmodels > max) {
        snprintf(err, errlen, "too many configured models (at most %zu)", max);
        return -EINVAL;
    }
    for (size_t i = 0; i < oc->nservers; i++) {
        if (!oc->servers[i].base_url) {
            snprintf(err, errlen, "openai_server.%s: base_url is missing", oc->servers[i].name);
            oc->error_line = oc->servers[i].line;
            return -EINVAL;
        }
    }
    for (size_t i = 0; i < oc->nmodels; i++) {
        struct openai_model_cfg *m = &oc->models[i];
        const struct openai_server_cfg *s = m->server ? openai_config_server(oc, m->server) : NULL;
        const char *why = NULL;
        if (!m->server)
            why = "server is missing";
        else if (!s)
            why = "its server has no openai_server lines";
        else if (!m->model)
            why = "model (the server's name for it) is missing";
        else if (m->input < 0 || m->output < 0)
            why = "input and output are both needed";
        else if (!shape_ok(m->input, m->output))
            why = "the openai platform speaks text->text, image->text, audio->text, "
                  "text->image and text->audio only";
        if (why) {
            snprintf(err, errlen, "model.%s: %s", m->id, why);
            oc->error_line = m->line;
            return -EINVAL;
        }
        free(m->params_json);
        m->params_json = build_params(m, s);
        free(m->auto_description);
        m->auto_description =
            xasprintf("Uses the model %s on %s, a server on the local network.", m->model, s->name);
        out[i] = (struct model_info){
            .id = m->id,
            .name = m->name ? m->name : m->id,
            .platform = s->name,
            .input = (enum media_type)m->input,
            .output = (enum media_type)m->output,
            .description = m->description ? m->description : m->auto_description,
            .params_json = m->params_json,
            .path = m->model,
            .base_url = s->base_url,
        };
    }
    return (int)oc->nmodels;
}
