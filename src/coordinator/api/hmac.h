/* hmac.h: HMAC-SHA256, the MAC of the visitor tokens (a token_mac_fn). */
#ifndef PANIC_HMAC_H
#define PANIC_HMAC_H

#include <stddef.h>

/* out gets the 32-byte HMAC-SHA256 of msg under key. */
void hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
                 unsigned char out[32]);

#endif
