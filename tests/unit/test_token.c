/* test_token.c: the visitor token maths without a daemon: slots, the one-hour life, the MAC,
 * tampering and clock edges, with the real HMAC-SHA256 (checked against RFC 4231). Pure: no
 * sqlite, no sockets, no clock (every time is an argument). */
#include "coordinator/api/hmac.h"
#include "coordinator/core/token.h"
#include "test.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define SECRET "0123456789abcdef0123456789abcdef-test"
#define ARRAY_SIZE_OF(a) (sizeof(a) / sizeof((a)[0]))

static enum token_result verify_at(const char *tok, int64_t network, int64_t now)
{
    return token_verify(hmac_sha256, SECRET, tok, network, now, NULL);
}

/* ---- HMAC ---- */

TEST(hmac_rfc4231)
{
    /* RFC 4231 test case 2. */
    static const unsigned char want[32] = {0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e,
                                           0x6a, 0x04, 0x24, 0x26, 0x08, 0x95, 0x75, 0xc7,
                                           0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83,
                                           0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43};
    unsigned char out[32];
    const char *msg = "what do ya want for nothing?";
    hmac_sha256("Jefe", 4, msg, strlen(msg), out);
    CHECK(memcmp(out, want, 32) == 0);
}

/* ---- token maths ---- */

TEST(token_slots)
{
    CHECK_EQ_INT(token_slot(0), 0);
    CHECK_EQ_INT(token_slot(299), 0);
    CHECK_EQ_INT(token_slot(300), 1);
    CHECK_EQ_INT(token_slot(1700000000), 1700000000 / 300);
    /* Floor, not truncation, before the epoch (a Pi without a clock can boot in 1970). */
    CHECK_EQ_INT(token_slot(-1), -1);
    CHECK_EQ_INT(token_slot(-300), -1);
    CHECK_EQ_INT(token_slot(-301), -2);
    CHECK_EQ_INT(token_expires_at(10), 10 * 300 + 3600);
}

TEST(token_valid_and_roundtrip)
{
    int64_t now = 1700000123, slot = token_slot(now);
    char tok[TOKEN_TEXT_LEN + 1];
    token_make(hmac_sha256, SECRET, 7, slot, tok, sizeof tok);
    CHECK_EQ_INT(strlen(tok), TOKEN_TEXT_LEN);
    CHECK(strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
          TOKEN_TEXT_LEN);
    int64_t net = 0, s = 0;
    CHECK_EQ_INT(token_decode(tok, &net, &s), 0);
    CHECK_EQ_INT(net, 7);
    CHECK_EQ_INT(s, slot);
    net = 0;
    CHECK_EQ_INT(token_verify(hmac_sha256, SECRET, tok, 7, now, &net), TOKEN_OK);
    CHECK_EQ_INT(net, 7);
    CHECK_EQ_INT(verify_at(tok, 0, now), TOKEN_OK); /* any network */
    /* Deterministic: the same inputs give the same token; another slot another one. */
    char again[TOKEN_TEXT_LEN + 1], next[TOKEN_TEXT_LEN + 1];
    token_make(hmac_sha256, SECRET, 7, slot, again, sizeof again);
    token_make(hmac_sha256, SECRET, 7, slot + 1, next, sizeof next);
    CHECK_STR_EQ(tok, again);
    CHECK(strcmp(tok, next) != 0);
    /* Big ids survive. */
    token_make(hmac_sha256, SECRET, INT64_MAX, slot, tok, sizeof tok);
    CHECK_EQ_INT(token_decode(tok, &net, &s), 0);
    CHECK(net == INT64_MAX);
    CHECK_EQ_INT(verify_at(tok, INT64_MAX, now), TOKEN_OK);
    /* Too small an output buffer gives an empty string, not an overflow. */
    char small[10] = "x";
    token_make(hmac_sha256, SECRET, 7, slot, small, sizeof small);
    CHECK_STR_EQ(small, "");
}

TEST(token_expiry_edges)
{
    int64_t slot = 5666667; /* starts at 1700000100 */
    int64_t start = slot * TOKEN_SLOT_S;
    char tok[TOKEN_TEXT_LEN + 1];
    token_make(hmac_sha256, SECRET, 3, slot, tok, sizeof tok);
    CHECK_EQ_INT(verify_at(tok, 3, start), TOKEN_OK);
    CHECK_EQ_INT(verify_at(tok, 3, start + 3599), TOKEN_OK);
    CHECK_EQ_INT(verify_at(tok, 3, start + 3600), TOKEN_EXPIRED); /* exactly one hour */
    CHECK_EQ_INT(verify_at(tok, 3, start + 3601), TOKEN_EXPIRED);
    CHECK_EQ_INT(verify_at(tok, 3, start + 86400 * 365), TOKEN_EXPIRED);
    /* A token minted in the last second of its slot still lives 55 minutes. */
    CHECK_EQ_INT(token_slot(start + 299), slot);
    CHECK_EQ_INT(verify_at(tok, 3, start + 299 + 3300), TOKEN_OK);
    /* The future: one slot ahead is tolerated (clock skew), two are not. */
    CHECK_EQ_INT(verify_at(tok, 3, start - 1), TOKEN_OK);
    CHECK_EQ_INT(verify_at(tok, 3, start - 300), TOKEN_OK);
    CHECK_EQ_INT(verify_at(tok, 3, start - 301), TOKEN_FUTURE);
    CHECK_EQ_INT(verify_at(tok, 3, start - 86400), TOKEN_FUTURE);
    /* Time alone, including slots no clock could produce (no overflow). */
    CHECK_EQ_INT(token_check_time(INT64_MAX, start), TOKEN_FUTURE);
    CHECK_EQ_INT(token_check_time(INT64_MIN, start), TOKEN_EXPIRED);
    CHECK_EQ_INT(token_check_time(INT64_MAX / 300, start), TOKEN_FUTURE);
    CHECK_EQ_INT(token_check_time(-1, 0), TOKEN_OK);
    CHECK_EQ_INT(token_check_time(token_slot(-10), -10), TOKEN_OK);
    /* Forged extreme slots with a good MAC are refused on time, without undefined behaviour. */
    token_make(hmac_sha256, SECRET, 3, INT64_MAX, tok, sizeof tok);
    CHECK_EQ_INT(verify_at(tok, 3, start), TOKEN_FUTURE);
    token_make(hmac_sha256, SECRET, 3, INT64_MIN, tok, sizeof tok);
    CHECK_EQ_INT(verify_at(tok, 3, start), TOKEN_EXPIRED);
}

TEST(token_wrong_network_and_tampering)
{
    int64_t now = 1700000000, slot = token_slot(now);
    char tok[TOKEN_TEXT_LEN + 1];
    token_make(hmac_sha256, SECRET, 1, slot, tok, sizeof tok);
    CHECK_EQ_INT(verify_at(tok, 2, now), TOKEN_WRONG_NETWORK);
    /* Expiry is reported before the network: an old code for another network is "expired". */
    CHECK_EQ_INT(verify_at(tok, 2, now + 7200), TOKEN_EXPIRED);
    /* Another secret. */
    CHECK_EQ_INT(token_verify(hmac_sha256, SECRET "x", tok, 1, now, NULL), TOKEN_BAD_MAC);
    /* Every single-character change anywhere is caught (the version byte is "malformed"). */
    for (size_t i = 0; i < TOKEN_TEXT_LEN; i++) {
        char t[TOKEN_TEXT_LEN + 1];
        memcpy(t, tok, sizeof t);
        t[i] = t[i] == 'A' ? 'B' : 'A';
        enum token_result r = verify_at(t, 0, now);
        if (r != TOKEN_BAD_MAC && r != TOKEN_MALFORMED)
            printf("  change at %zu: %s\n", i, token_result_name(r));
        CHECK(r == TOKEN_BAD_MAC || r == TOKEN_MALFORMED);
    }
    /* The network in the payload swapped for another with the MAC kept. */
    char other[TOKEN_TEXT_LEN + 1], spliced[TOKEN_TEXT_LEN + 1];
    token_make(hmac_sha256, SECRET, 2, slot, other, sizeof other);
    memcpy(spliced, other, 24); /* 24 characters: version, network, slot, one MAC byte */
    memcpy(spliced + 24, tok + 24, sizeof spliced - 24);
    CHECK(verify_at(spliced, 0, now) != TOKEN_OK);
    /* Garbage. */
    const char *bad[] = {"", "x", "garbage", "AQAAAAAAAAAB", tok + 1};
    for (size_t i = 0; i < ARRAY_SIZE_OF(bad); i++)
        CHECK_EQ_INT(verify_at(bad[i], 0, now), TOKEN_MALFORMED);
    CHECK_EQ_INT(verify_at(NULL, 0, now), TOKEN_MALFORMED);
    char longer[TOKEN_TEXT_LEN + 2];
    snprintf(longer, sizeof longer, "%sA", tok);
    CHECK_EQ_INT(verify_at(longer, 0, now), TOKEN_MALFORMED);
    char plus[TOKEN_TEXT_LEN + 1];
    memcpy(plus, tok, sizeof plus);
    plus[30] = '+'; /* standard base64, not base64url */
    CHECK_EQ_INT(verify_at(plus, 0, now), TOKEN_MALFORMED);
    /* A version byte other than 1 ('AQ' starts version 1). */
    char v2[TOKEN_TEXT_LEN + 1];
    memcpy(v2, tok, sizeof v2);
    v2[1] = 'g';
    CHECK_EQ_INT(verify_at(v2, 0, now), TOKEN_MALFORMED);
    CHECK_STR_EQ(token_result_name(TOKEN_EXPIRED), "expired");
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    RUN(hmac_rfc4231);
    RUN(token_slots);
    RUN(token_valid_and_roundtrip);
    RUN(token_expiry_edges);
    RUN(token_wrong_network_and_tampering);
    TEST_END("test_token");
}
