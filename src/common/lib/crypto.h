/* crypto.h: the hashes and encodings panic takes from OpenSSL's libcrypto: SHA-256 names the
 * media files (coordinator store, display cache), base64 carries media inside JSON (platform
 * requests and answers). Nothing of OpenSSL shows here. */
#ifndef PANIC_CRYPTO_H
#define PANIC_CRYPTO_H

#include "common/buf.h"

#include <stddef.h>

#define CRYPTO_SHA256_HEX_LEN 65 /* 64 lowercase hex digits and a NUL */

/* The SHA-256 of data in lowercase hex into hex. 0, or -EIO if libcrypto failed. */
int crypto_sha256_hex(const void *data, size_t len, char hex[CRYPTO_SHA256_HEX_LEN]);

/* A SHA-256 fed piece by piece (a download as it arrives). Owned; crypto_sha256_free. Out of
 * memory (the only way libcrypto fails here) aborts. */
struct crypto_sha256;
struct crypto_sha256 *crypto_sha256_new(void);
void crypto_sha256_update(struct crypto_sha256 *h, const void *data, size_t len);
/* The hash of everything fed so far, in lowercase hex; h may not be fed after this. */
void crypto_sha256_final_hex(struct crypto_sha256 *h, char hex[CRYPTO_SHA256_HEX_LEN]);
void crypto_sha256_free(struct crypto_sha256 *h);

/* Append the standard base64 (RFC 4648 section 4, with padding, no line breaks) of data to out. */
void crypto_base64_encode(const void *data, size_t len, struct buf *out);
/* Append the bytes of standard base64 text to out. Accepted: the alphabet A-Z a-z 0-9 + /, ASCII
 * white space anywhere (ignored), and '=' padding only at the end, at most two, optional; a last
 * group of a single character (six bits, no whole byte) is dropped. 0, or -EINVAL for anything
 * else, with out left as it was. */
int crypto_base64_decode(const char *text, size_t len, struct buf *out);

#endif
