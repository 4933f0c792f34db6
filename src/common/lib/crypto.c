/* crypto.c: SHA-256 and base64 on OpenSSL's libcrypto (EVP), the one file in src/ besides the API's
 * hmac.c that includes an OpenSSL header. EVP takes int lengths, so large inputs go through in
 * pieces. Depends on libcrypto and common/buf and common/util only. */
#include "crypto.h"
#include "common/util.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>

#define PIECE ((size_t)3 << 20) /* bytes a base64 call takes: a multiple of 3 and of 4 */

struct crypto_sha256 {
    EVP_MD_CTX *md;
};

static void to_hex(const unsigned char *md, char hex[CRYPTO_SHA256_HEX_LEN])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[64] = '\0';
}

int crypto_sha256_hex(const void *data, size_t len, char hex[CRYPTO_SHA256_HEX_LEN])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
        return -EIO;
    to_hex(md, hex);
    return 0;
}

struct crypto_sha256 *crypto_sha256_new(void)
{
    struct crypto_sha256 *h = xcalloc(1, sizeof *h);
    h->md = EVP_MD_CTX_new();
    if (!h->md || !EVP_DigestInit_ex(h->md, EVP_sha256(), NULL))
        abort(); /* only out of memory makes these fail */
    return h;
}

void crypto_sha256_update(struct crypto_sha256 *h, const void *data, size_t len)
{
    if (!EVP_DigestUpdate(h->md, data, len))
        abort();
}

void crypto_sha256_final_hex(struct crypto_sha256 *h, char hex[CRYPTO_SHA256_HEX_LEN])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!EVP_DigestFinal_ex(h->md, md, &mdlen) || mdlen != 32)
        abort();
    to_hex(md, hex);
}

void crypto_sha256_free(struct crypto_sha256 *h)
{
    if (!h)
        return;
    EVP_MD_CTX_free(h->md);
    free(h);
}

void crypto_base64_encode(const void *data, size_t len, struct buf *out)
{
    const unsigned char *p = data;
    buf_append(out, "", 0); /* never NULL data, even for nothing */
    while (len) {
        size_t n = MIN(len, PIECE);
        /* EVP writes a NUL after the text: buf always keeps room for one past len. */
        unsigned char *dst = (unsigned char *)buf_extend(out, 4 * ((n + 2) / 3));
        EVP_EncodeBlock(dst, p, (int)n);
        p += n;
        len -= n;
    }
}

static int is_b64(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

int crypto_base64_decode(const char *text, size_t len, struct buf *out)
{
    /* Keep only the alphabet, check the padding, then pad the last group for EVP ourselves. */
    unsigned char *s = xmalloc(len + 4);
    size_t n = 0, pad = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (is_space(c))
            continue;
        if (c == '=') {
            pad++;
            continue;
        }
        if (!is_b64(c) || pad) {
            free(s);
            return -EINVAL;
        }
        s[n++] = c;
    }
    if (pad > 2) {
        free(s);
        return -EINVAL;
    }
    if (n % 4 == 1)
        n--;
    size_t fill = (4 - n % 4) % 4;
    for (size_t i = 0; i < fill; i++)
        s[n++] = '=';
    size_t start = out->len;
    for (size_t at = 0; at < n;) {
        size_t piece = MIN(n - at, PIECE / 3 * 4);
        unsigned char *dst = (unsigned char *)buf_extend(out, piece / 4 * 3);
        if (EVP_DecodeBlock(dst, s + at, (int)piece) < 0) {
            buf_truncate(out, start);
            free(s);
            return -EINVAL;
        }
        at += piece;
    }
    buf_truncate(out, out->len - fill);
    buf_append(out, "", 0);
    free(s);
    return 0;
}
