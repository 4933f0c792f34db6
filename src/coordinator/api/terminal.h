/* terminal.h: the phone terminal (GET /t/{network}?token=...): one small self-contained HTML page
 * (inline CSS and JS, no framework) where a visitor who scanned a display's QR code types a
 * prompt, sees the current run's prompt and the lockout countdown; and the page that explains an
 * expired or wrong QR code. Pure: text in, HTML out. */
#ifndef PANIC_TERMINAL_H
#define PANIC_TERMINAL_H

#include "common/buf.h"

#include <stdint.h>

/* Append s with & < > " ' replaced by entities (safe in text and in quoted attributes). */
void html_escape(struct buf *b, const char *s);

/* One of the network's models, as a visitor reads about it. */
struct terminal_model {
    const char *name;        /* untrusted: escaped here */
    const char *description; /* a sentence, or NULL */
};

#define TERMINAL_MODELS_MAX 16

struct terminal_view {
    int64_t network;
    const char *name;   /* the network's name (untrusted: escaped here) */
    const char *token;  /* the visitor token the page posts with */
    const char *prompt; /* the current run's prompt, NULL if there is none */
    int64_t run;        /* the current run, 0 if none */
    int64_t lockout_s;  /* seconds until a new prompt is accepted */
    struct terminal_model models[TERMINAL_MODELS_MAX]; /* the network's models, in order */
    int nmodels;
};

/* The terminal page. */
void terminal_page(struct buf *b, const struct terminal_view *v);
/* A page with a heading and one explanation (both escaped), in the same style. */
void terminal_message_page(struct buf *b, const char *title, const char *text);

/* What a visitor reads when the token is expired, missing or not valid. */
#define TERMINAL_EXPIRED_TEXT                                                                      \
    "This QR code has expired \xe2\x80\x94 it is only valid for an hour. Find the screen and "     \
    "scan "                                                                                        \
    "the code again; it refreshes automatically."

#endif
