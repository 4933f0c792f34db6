/* fake_openai.h: a fake OpenAI API (and a few plain HTTP test routes) on 127.0.0.1 with a random
 * port, served by the fakes' HTTP core (fake_http.h) in its own threads inside the test process,
 * for test_curl_ev, test_openai, it_platforms and bench_platforms.
 *
 * OpenAI routes (under /v1), speaking the documented request and answer shapes:
 *   POST /v1/chat/completions      text: "FAKE_CHAT: <last user text>";
 *                                  with an image_url part: "FAKE_CAPTION: <mime> <n> bytes"
 *   POST /v1/images/generations    {"data":[{"b64_json": <a real PNG drawn from the prompt>}]}
 *   POST /v1/audio/speech          a real WAV drawn from the input (audio/wav)
 *   POST /v1/audio/transcriptions  multipart; {"text":"FAKE_TRANSCRIPT: <filename> <n> bytes"}
 * Faults are scripted per request (fake_openai_script). With a key set, a request without
 * "Authorization: Bearer <key>" gets a 401 whose message echoes what was sent.
 *
 * Plain routes for the HTTP client tests (under /t):
 *   /t/echo            200 with the request body (application/octet-stream)
 *   /t/status/N        status N
 *   /t/sleep/MS        answers after MS ms
 *   /t/size/N          N bytes with a Content-Length; /t/chunked/N the same without one
 *   /t/retry           429 with "Retry-After: 7"
 *   /t/redirect/N      a chain of N redirects ending in 200 "landed"
 *   /t/stall           headers and a few bytes, then nothing until the server stops
 *   /t/png             a small PNG
 *
 * Threads: the server threads and the test thread share the recorded requests and the script
 * under one mutex; everything the test reads is copied out. */
#ifndef PANIC_FAKE_OPENAI_H
#define PANIC_FAKE_OPENAI_H

#include "fake_http.h"

#include <stddef.h>

enum fake_fault {
    FAKE_OK = 0,
    FAKE_RATE_LIMIT,    /* 429 rate_limit_exceeded, with the Retry-After set (default "1") */
    FAKE_SERVER_ERROR,  /* 500 server_error */
    FAKE_STALL,         /* 200, a few bytes of the body, then nothing */
    FAKE_MALFORMED,     /* 200 with a broken JSON body */
    FAKE_QUOTA,         /* 429 insufficient_quota */
    FAKE_POLICY,        /* 400 content_policy_violation unless the prompt is the wombat one */
    FAKE_POLICY_ALWAYS, /* 400 content_policy_violation whatever the prompt */
    FAKE_EMPTY,         /* 200 with an empty answer (chat content "", transcript "") */
    FAKE_BAD_REQUEST,   /* 400 invalid_request_error */
    FAKE_IMAGE_URL,     /* images: data[0].url (pointing at /t/png) instead of b64_json */
};

#define FAKE_WOMBAT "a wombat holding a sign that says 'whoops!'"

struct fake_openai;

/* Start on 127.0.0.1, port 0. NULL (with the reason printed) on failure. Owned; fake_openai_stop
 * (which also ends any stalled answer). */
struct fake_openai *fake_openai_start(void);
void fake_openai_stop(struct fake_openai *f);

/* "http://127.0.0.1:PORT" and "http://127.0.0.1:PORT/v1". Borrowed, valid until stop. */
const char *fake_openai_root(const struct fake_openai *f);
const char *fake_openai_base(const struct fake_openai *f);

/* Require "Authorization: Bearer key" on /v1 (NULL: accept anything). Copied. */
void fake_openai_set_key(struct fake_openai *f, const char *key);
/* Every API answer waits ms first (0: none). */
void fake_openai_set_delay_ms(struct fake_openai *f, int ms);
/* The Retry-After value sent with FAKE_RATE_LIMIT (NULL: none). Copied. */
void fake_openai_set_retry_after(struct fake_openai *f, const char *value);
/* Answer the next n /v1 requests with fault (appended to what is already scripted). */
void fake_openai_script(struct fake_openai *f, enum fake_fault fault, int n);

/* A recorded request (struct fake_part is in fake_http.h). */
struct fake_request {
    char method[16];
    char path[512];
    char authorization[512]; /* "" if none */
    char content_type[256];
    char x_amz_date[32]; /* an AWS SigV4 request's time stamp, "" if none */
    char *body;          /* owned, NUL-terminated */
    size_t len;
    struct fake_part parts[FAKE_HTTP_PARTS]; /* multipart/form-data parts */
    size_t nparts;
};

/* Requests received so far (counted when the answer is chosen). */
size_t fake_openai_count(struct fake_openai *f);
/* Copy request i into out (fake_request_free); 0, or -1 if there is no such request. */
int fake_openai_request(struct fake_openai *f, size_t i, struct fake_request *out);
void fake_request_free(struct fake_request *r);
/* The part named name, or NULL. Borrowed from r. */
const struct fake_part *fake_request_part(const struct fake_request *r, const char *name);
/* Forget the recorded requests and the script. */
void fake_openai_reset(struct fake_openai *f);

#endif
