/* openai.h: the `openai` platform: OpenAI's HTTP API, and any OpenAI-compatible server on the LAN
 * (llama.cpp server, vLLM, Ollama, LocalAI) reached through a model's base_url.
 *
 * The model's shape picks the endpoint:
 *   text->text   POST {base}/chat/completions     (system prompt + the input)
 *   image->text  POST {base}/chat/completions     (caption prompt + the image as a data URL)
 *   text->image  POST {base}/images/generations   (b64_json, decoded into the media store)
 *   text->audio  POST {base}/audio/speech         (wav by default, into the media store)
 *   audio->text  POST {base}/audio/transcriptions (multipart, the file from the media store)
 * Other shapes are refused by invoke (-ENOTSUP).
 *
 * model_info.params_json is a JSON object merged into the request body, except these keys, which
 * the platform reads itself: "system" (chat system prompt), "prompt" (the caption request for
 * image->text; a transcription hint for audio->text), "detail" (image->text: low|high|auto,
 * default low), "timeout_s" (whole call). For audio->text the string and number params become
 * multipart fields.
 * Defaults when absent: speech voice "alloy" and response_format "wav"; transcription
 * response_format "json"; image->text prompt OPENAI_CAPTION_PROMPT.
 *
 * Keys: env->key(owner, model->platform). A model of platform "openai" needs one; a configured
 * server's models (platform = the server's name, base_url set) send one only if it exists.
 * One instance serves OpenAI itself (openai_platform_new, registered as "openai"); one more per
 * configured server (openai_platform_new_server, registered under the server's name). Either
 * instance can call any model: the URL comes from the model, the key from its platform name.
 *
 * Outcomes (the error text passed to done is readable, never holds the key):
 *   transport failure, timeout, 408/409/5xx, malformed answer, empty chat text   retryable
 *   429 rate limit    retryable; when the answer has Retry-After, done is called only after that
 *                     wait (capped at OPENAI_RETRY_AFTER_CAP_MS), so the runner's own back-off
 *                     comes on top of it and the server's wish is always respected
 *   429 insufficient_quota    not retryable: "the OpenAI account has no credit left"
 *   content policy refusal    text-input shapes retry once at once with OPENAI_FALLBACK_PROMPT
 *                             (the original's NSFW behaviour); a second refusal, or a refused
 *                             image or audio input, fails, not retryable
 *   401/403, other 4xx, unreadable input media, no key, empty transcript    not retryable */
#ifndef PANIC_OPENAI_H
#define PANIC_OPENAI_H

#include "coordinator/core/openai_config.h"
#include "coordinator/platforms/platform.h"

#include <stddef.h>
#include <stdint.h>

#define OPENAI_DEFAULT_BASE_URL "https://api.openai.com/v1"
#define OPENAI_FALLBACK_PROMPT "a wombat holding a sign that says 'whoops!'"
#define OPENAI_RETRY_AFTER_CAP_MS 60000
#define OPENAI_TEXT_MAX 4000 /* longest text output kept, in bytes (cut at a code point) */

/* env is copied; what it points to is borrowed and must outlive the platform. available() says
 * whether an "openai" key is set. */
struct platform openai_platform_new(const struct platform_env *env);
/* The same for the OpenAI-compatible server `server` (copied): available() is always 1, since a
 * LAN server may need no key. */
struct platform openai_platform_new_server(const struct platform_env *env, const char *server);

/* Whether calls to model m can be made: 1, or 0 with the reason (a model of platform "openai"
 * without a key). self is the platform's self. */
int openai_model_available(void *self, const struct model_info *m, char *why, size_t whylen);

/* Pure helpers, exposed for tests. */

/* 1 if an error (its code, type and message, each may be NULL) is a content-policy refusal. */
int openai_is_policy_refusal(const char *code, const char *type, const char *message);
/* The file extension ("png", "jpg", "webp", "wav", "mp3", "ogg") of media bytes, or NULL. */
const char *openai_sniff_ext(const void *data, size_t len);

#endif
