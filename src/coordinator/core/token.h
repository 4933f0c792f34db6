/* token.h: the visitor tokens in the QR codes. A token names a network and a 5-minute time slot
 * and carries a MAC of both; it is valid for an hour from the start of its slot. Pure: time is
 * an argument and the MAC function is passed in (hmac.c gives HMAC-SHA256), so every edge of the
 * maths is unit-tested without a clock or a crypto library.
 *
 * Text form: base64url without padding of 33 bytes = a version byte (1), the network id and the
 * slot as 8-byte big-endian integers, and the first 16 bytes of
 * MAC(secret, "visitor|<network>|<slot>") (decimal numbers). 44 characters, URL-safe. */
#ifndef PANIC_TOKEN_H
#define PANIC_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TOKEN_SLOT_S 300  /* a new token every 5 minutes */
#define TOKEN_TTL_S 3600  /* valid while now - slot start < 1 hour */
#define TOKEN_MAC_LEN 16  /* bytes of the MAC kept */
#define TOKEN_TEXT_LEN 44 /* characters of the text form */
#define TOKEN_SECRET_MIN 32

/* out gets the full 32-byte MAC of msg under key. */
typedef void (*token_mac_fn)(const void *key, size_t keylen, const void *msg, size_t msglen,
                             unsigned char out[32]);

enum token_result {
    TOKEN_OK = 0,
    TOKEN_MALFORMED,     /* not a token at all (length, alphabet, version) */
    TOKEN_BAD_MAC,       /* well-formed but not signed with this secret */
    TOKEN_EXPIRED,       /* signed, an hour or more old */
    TOKEN_FUTURE,        /* signed, for a slot more than one ahead of now */
    TOKEN_WRONG_NETWORK, /* signed and current, for another network */
};

/* The slot of a unix time in seconds: floor(t / TOKEN_SLOT_S), also for t < 0. */
int64_t token_slot(int64_t unix_s);
/* Unix seconds at which tokens of slot stop being valid. */
int64_t token_expires_at(int64_t slot);
/* Time check alone: TOKEN_OK, TOKEN_EXPIRED or TOKEN_FUTURE. */
enum token_result token_check_time(int64_t slot, int64_t now_s);

/* Write the token for (network, slot) into out (>= TOKEN_TEXT_LEN + 1 bytes). */
void token_make(token_mac_fn mac, const char *secret, int64_t network, int64_t slot, char *out,
                size_t outlen);
/* Decode without checking the MAC: 0 and *network, *slot; -1 if malformed. */
int token_decode(const char *text, int64_t *network, int64_t *slot);
/* The full check, in this order: form, MAC (constant time), time, network. want_network 0
 * accepts any network. *network (if not NULL) gets the token's network once the MAC is good. */
enum token_result token_verify(token_mac_fn mac, const char *secret, const char *text,
                               int64_t want_network, int64_t now_s, int64_t *network);
/* A word for logs: "ok", "malformed", "bad_mac", "expired", "future", "wrong_network". */
const char *token_result_name(enum token_result r);

#endif
