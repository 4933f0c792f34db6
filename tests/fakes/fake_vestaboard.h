/* fake_vestaboard.h: a fake Vestaboard Local API on 127.0.0.1 (real HTTP, fake_http.c): POST
 * /local-api/message with the header X-Vestaboard-Local-Api-Key and a JSON body of 6 arrays of
 * 22 character codes (0-71), as docs.vestaboard.com documents it. A wrong or missing key is 401,
 * a body of another shape 400, another path or method 404; a message it takes is 200 and kept
 * (the last one can be read back). Test support only: aborts on out-of-memory. */
#ifndef PANIC_FAKE_VESTABOARD_H
#define PANIC_FAKE_VESTABOARD_H

#include <stddef.h>
#include <stdint.h>

struct fake_vestaboard;

/* The board answers to key. NULL if the server cannot start. */
struct fake_vestaboard *fake_vestaboard_start(const char *key);
void fake_vestaboard_stop(struct fake_vestaboard *f);
/* "http://127.0.0.1:PORT": the board's Local API address. Borrowed. */
const char *fake_vestaboard_url(const struct fake_vestaboard *f);
/* Requests so far: messages shown, refused for the key, refused for the body. */
void fake_vestaboard_counts(struct fake_vestaboard *f, size_t *shown, size_t *bad_key,
                            size_t *bad_body);
/* The last message shown as text, one row a line ('\n' after each of the 6), letters, digits and
 * the punctuation as themselves, blank as ' ', other codes '~'. 0, or -1 if none yet. */
int fake_vestaboard_last(struct fake_vestaboard *f, char *text, size_t len);
/* The next n messages are answered with status (e.g. 503) instead. */
void fake_vestaboard_fail_next(struct fake_vestaboard *f, int n, int status);

#endif
