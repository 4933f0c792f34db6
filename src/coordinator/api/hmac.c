/* hmac.c: HMAC-SHA256 from OpenSSL's libcrypto, the only library this file uses. An adapter so
 * that token.c, which decides what is signed and when it expires, stays pure. */
#include "hmac.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>

void hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
                 unsigned char out[32])
{
    unsigned int len = 0;
    /* HMAC() fails only on out of memory or a broken libcrypto: like xmalloc, give up. */
    if (!HMAC(EVP_sha256(), key, (int)keylen, msg, msglen, out, &len) || len != 32)
        abort();
}
