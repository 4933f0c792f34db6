/* nsfw.h: recognising a platform's "this was flagged as sensitive" error, and the prompt the
 * original retried with. Pure: no I/O. */
#ifndef PANIC_NSFW_H
#define PANIC_NSFW_H

/* The one fallback prompt a text-input model is retried with after an NSFW refusal. */
#define NSFW_FALLBACK_PROMPT "a wombat holding a sign that says 'whoops!'"

/* 1 if a model's error text says its input or output was refused as sensitive, else 0 (also for
 * NULL). The original's rules: the text starts with "NSFW", or contains, ignoring case,
 * "flagged as sensitive", "nsfw", "inappropriate content", "explicit content", "adult content",
 * or both "sensitive" and the literal "(E00" (Google's filter codes). */
int nsfw_detect(const char *error);

#endif
