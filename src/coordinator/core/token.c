/* token.c: visitor token maths (see token.h): 5-minute slots, a one-hour life, base64url, the
 * MAC message and a constant-time comparison. Pure C11 + libc: the MAC is a function pointer,
 * the time an argument; nothing here reads a clock, a file or a library. */
#include "token.h"

#include <stdio.h>
#include <string.h>

#define TOKEN_VERSION 1
#define RAW_LEN (1 + 8 + 8 + TOKEN_MAC_LEN)

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int64_t token_slot(int64_t unix_s)
{
    int64_t q = unix_s / TOKEN_SLOT_S;
    if (unix_s % TOKEN_SLOT_S < 0)
        q--; /* floor, not truncation, before 1970 */
    return q;
}

int64_t token_expires_at(int64_t slot)
{
    return slot * TOKEN_SLOT_S + TOKEN_TTL_S;
}

enum token_result token_check_time(int64_t slot, int64_t now_s)
{
    /* Compare slots before multiplying: a forged slot near INT64_MAX must not overflow. */
    int64_t now_slot = token_slot(now_s);
    if (slot > now_slot + 1)
        return TOKEN_FUTURE;
    if (slot < now_slot - TOKEN_TTL_S / TOKEN_SLOT_S - 1)
        return TOKEN_EXPIRED;
    if (now_s - slot * TOKEN_SLOT_S >= TOKEN_TTL_S)
        return TOKEN_EXPIRED;
    return TOKEN_OK;
}

static void put_be64(unsigned char *p, int64_t v)
{
    uint64_t u = (uint64_t)v;
    for (int i = 7; i >= 0; i--) {
        p[i] = (unsigned char)(u & 0xff);
        u >>= 8;
    }
}

static int64_t get_be64(const unsigned char *p)
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u = (u << 8) | p[i];
    return (int64_t)u;
}

static void compute_mac(token_mac_fn mac, const char *secret, int64_t network, int64_t slot,
                        unsigned char out[TOKEN_MAC_LEN])
{
    char msg[80];
    int n = snprintf(msg, sizeof msg, "visitor|%lld|%lld", (long long)network, (long long)slot);
    unsigned char full[32];
    mac(secret, strlen(secret), msg, (size_t)n, full);
    memcpy(out, full, TOKEN_MAC_LEN);
}

/* RAW_LEN is a multiple of 3, so the text has no padding and no partial group. */
static void encode(const unsigned char *raw, char *out)
{
    for (size_t i = 0, o = 0; i < RAW_LEN; i += 3) {
        uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 | raw[i + 2];
        out[o++] = b64[v >> 18 & 63];
        out[o++] = b64[v >> 12 & 63];
        out[o++] = b64[v >> 6 & 63];
        out[o++] = b64[v & 63];
    }
    out[TOKEN_TEXT_LEN] = '\0';
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

static int decode(const char *text, unsigned char *raw)
{
    if (!text || strlen(text) != TOKEN_TEXT_LEN)
        return -1;
    for (size_t i = 0, o = 0; i < TOKEN_TEXT_LEN; i += 4) {
        uint32_t v = 0;
        for (size_t k = 0; k < 4; k++) {
            int d = b64_value(text[i + k]);
            if (d < 0)
                return -1;
            v = v << 6 | (uint32_t)d;
        }
        raw[o++] = (unsigned char)(v >> 16);
        raw[o++] = (unsigned char)(v >> 8);
        raw[o++] = (unsigned char)v;
    }
    return raw[0] == TOKEN_VERSION ? 0 : -1;
}

void token_make(token_mac_fn mac, const char *secret, int64_t network, int64_t slot, char *out,
                size_t outlen)
{
    unsigned char raw[RAW_LEN];
    if (outlen < TOKEN_TEXT_LEN + 1) {
        if (outlen)
            out[0] = '\0';
        return;
    }
    raw[0] = TOKEN_VERSION;
    put_be64(raw + 1, network);
    put_be64(raw + 9, slot);
    compute_mac(mac, secret, network, slot, raw + 17);
    encode(raw, out);
}

int token_decode(const char *text, int64_t *network, int64_t *slot)
{
    unsigned char raw[RAW_LEN];
    if (decode(text, raw) < 0)
        return -1;
    *network = get_be64(raw + 1);
    *slot = get_be64(raw + 9);
    return 0;
}

enum token_result token_verify(token_mac_fn mac, const char *secret, const char *text,
                               int64_t want_network, int64_t now_s, int64_t *network)
{
    unsigned char raw[RAW_LEN], want[TOKEN_MAC_LEN];
    if (decode(text, raw) < 0)
        return TOKEN_MALFORMED;
    int64_t net = get_be64(raw + 1), slot = get_be64(raw + 9);
    compute_mac(mac, secret, net, slot, want);
    unsigned char diff = 0;
    for (size_t i = 0; i < TOKEN_MAC_LEN; i++)
        diff |= (unsigned char)(want[i] ^ raw[17 + i]);
    if (diff)
        return TOKEN_BAD_MAC;
    if (network)
        *network = net;
    enum token_result t = token_check_time(slot, now_s);
    if (t != TOKEN_OK)
        return t;
    if (want_network && net != want_network)
        return TOKEN_WRONG_NETWORK;
    return TOKEN_OK;
}

const char *token_result_name(enum token_result r)
{
    switch (r) {
    case TOKEN_OK:
        return "ok";
    case TOKEN_MALFORMED:
        return "malformed";
    case TOKEN_BAD_MAC:
        return "bad_mac";
    case TOKEN_EXPIRED:
        return "expired";
    case TOKEN_FUTURE:
        return "future";
    case TOKEN_WRONG_NETWORK:
        return "wrong_network";
    }
    return "?";
}
