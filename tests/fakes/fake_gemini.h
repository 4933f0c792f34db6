/* fake_gemini.h: a fake Gemini API (generateContent) on 127.0.0.1 with a random port, served by
 * libmicrohttpd (a thread per connection) inside the test process, for test_gemini.
 *
 *   POST /v1beta/models/{model}:generateContent
 *     default answer: one candidate whose text is
 *     "FAKE_DESCRIPTION: <model> <mime_type> <decoded bytes> bytes: <prompt text>"
 *     from the request's inline_data and text parts; 400 INVALID_ARGUMENT for a body without
 *     inline_data; 403 PERMISSION_DENIED without the right x-goog-api-key once a key is set.
 * fake_gemini_script replaces the next answers with canned ones.
 *
 * Threads: state under one mutex; everything the test reads is copied out. */
#ifndef PANIC_FAKE_GEMINI_H
#define PANIC_FAKE_GEMINI_H

#include <stddef.h>

struct fake_gemini;

struct fake_gemini *fake_gemini_start(void);
void fake_gemini_stop(struct fake_gemini *f);
/* "http://127.0.0.1:PORT/v1beta". Borrowed, valid until stop. */
const char *fake_gemini_base(const struct fake_gemini *f);
void fake_gemini_set_key(struct fake_gemini *f, const char *key);
/* The next request gets this answer (appended; body copied) after sleeping stall_ms. */
void fake_gemini_script(struct fake_gemini *f, int status, const char *body,
                        const char *retry_after, int stall_ms);

struct fake_gemini_request {
    char method[16];
    char path[512];    /* with the query string, if any */
    char api_key[256]; /* x-goog-api-key */
    char authorization[256];
    char content_type[128];
    char *body; /* owned, NUL-terminated */
    size_t len;
};

size_t fake_gemini_count(struct fake_gemini *f);
/* Copy request i; 0, or -1 if there is none. Free with fake_gemini_request_free. */
int fake_gemini_request(struct fake_gemini *f, size_t i, struct fake_gemini_request *out);
void fake_gemini_request_free(struct fake_gemini_request *r);

#endif
