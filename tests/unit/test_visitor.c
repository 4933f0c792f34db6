/* test_visitor.c: unit tests of the visitor-facing pieces of panicd without a daemon: the token
 * maths (slots, the one-hour life, MAC, tampering, clock edges), HMAC-SHA256 against RFC 4231,
 * the prompt deck (parsing, cycle and shuffle orders), the per-address rate limit, the presses
 * table and its migration, the terminal page's escaping and the new config keys. */
#include "coordinator/core/config.h"
#include "coordinator/core/deck.h"
#include "coordinator/api/hmac.h"
#include "coordinator/core/ratelimit.h"
#include "coordinator/store/store.h"
#include "coordinator/api/terminal.h"
#include "coordinator/core/token.h"
#include "test.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SECRET "0123456789abcdef0123456789abcdef-test"
#define ARRAY_SIZE_OF(a) (sizeof(a) / sizeof((a)[0]))

static char tmpdir[64];

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

/* ---- the deck ---- */

TEST(deck_parsing)
{
    char err[256] = "";
    const char text[] = "# a comment\n\n  first prompt  \r\nsecond\tprompt\n#another\n   \nthird";
    struct deck *d = deck_parse(text, sizeof text - 1, DECK_CYCLE, 1, err, sizeof err);
    CHECK(d != NULL);
    if (d) {
        CHECK_EQ_INT(deck_count(d), 3);
        CHECK_STR_EQ(deck_peek(d, 1), "first prompt");
        deck_advance(d, 1);
        CHECK_STR_EQ(deck_peek(d, 1), "second\tprompt");
        deck_advance(d, 1);
        CHECK_STR_EQ(deck_peek(d, 1), "third");
    }
    deck_free(d);

    const struct {
        const char *text;
        const char *err;
    } bad[] = {
        {"", "no prompts"},
        {"# only a comment\n\n", "no prompts"},
        {"ok\nbell\x07\n", "line 2: a control character"},
        {"ok\nok\n\xff\xfe\n", "line 3: not UTF-8"},
    };
    for (size_t i = 0; i < ARRAY_SIZE_OF(bad); i++) {
        err[0] = '\0';
        d = deck_parse(bad[i].text, strlen(bad[i].text), DECK_CYCLE, 1, err, sizeof err);
        CHECK(d == NULL);
        if (!strstr(err, bad[i].err))
            printf("  deck %zu: \"%s\"\n", i, err);
        CHECK(strstr(err, bad[i].err) != NULL);
        deck_free(d);
    }
    char big[1100];
    memset(big, 'x', 1001);
    big[1001] = '\0';
    d = deck_parse(big, strlen(big), DECK_CYCLE, 1, err, sizeof err);
    CHECK(d == NULL);
    CHECK(strstr(err, "line 1: the prompt is too long (1001 bytes; at most 1000)") != NULL);
    big[1000] = '\0';
    d = deck_parse(big, strlen(big), DECK_CYCLE, 1, err, sizeof err);
    CHECK(d != NULL);
    deck_free(d);
    deck_free(NULL);

    /* From a file: errors name the file and line. */
    char path[128];
    snprintf(path, sizeof path, "%s/deck.txt", tmpdir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs("one\ntwo\nthr\x01"
              "ee\n",
              f);
        fclose(f);
    }
    d = deck_load(path, DECK_SHUFFLE, 1, err, sizeof err);
    CHECK(d == NULL);
    char want[200];
    snprintf(want, sizeof want, "%s:3: a control character", path);
    CHECK_STR_EQ(err, want);
    d = deck_load("/nonexistent/deck.txt", DECK_SHUFFLE, 1, err, sizeof err);
    CHECK(d == NULL);
    CHECK(strstr(err, "/nonexistent/deck.txt: ") == err);
    unlink(path);

    d = deck_fallback(DECK_SHUFFLE, 1);
    CHECK(deck_count(d) >= 3);
    CHECK(deck_peek(d, 1)[0] != '\0');
    deck_free(d);
}

TEST(deck_cycle)
{
    const char text[] = "a\nb\nc\n";
    struct deck *d = deck_parse(text, sizeof text - 1, DECK_CYCLE, 42, NULL, 0);
    CHECK(d != NULL);
    if (!d)
        return;
    const char *want = "abcabca";
    for (size_t i = 0; i < strlen(want); i++) {
        /* Peeking does not use a prompt up. */
        CHECK_EQ_INT(deck_peek(d, 1)[0], want[i]);
        CHECK_EQ_INT(deck_peek(d, 1)[0], want[i]);
        deck_advance(d, 1);
    }
    /* Each network has its own place in the deck. */
    CHECK_STR_EQ(deck_peek(d, 2), "a");
    deck_advance(d, 2);
    CHECK_STR_EQ(deck_peek(d, 2), "b");
    CHECK_STR_EQ(deck_peek(d, 1), "b");
    deck_free(d);
}

TEST(deck_shuffle)
{
    char text[64] = "";
    for (int i = 0; i < 7; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "%c\n", 'a' + i);
    int differs_from_file_order = 0;
    for (uint64_t seed = 1; seed <= 50; seed++) {
        struct deck *d = deck_parse(text, strlen(text), DECK_SHUFFLE, seed, NULL, 0);
        CHECK(d != NULL);
        if (!d)
            return;
        char prev = 0;
        for (int round = 0; round < 20; round++) {
            int seen[7] = {0};
            char order[8] = "";
            for (int k = 0; k < 7; k++) {
                char c = deck_peek(d, 9)[0];
                deck_advance(d, 9);
                order[k] = c;
                seen[c - 'a']++;
                if (c == prev)
                    TEST_FAIL_AT("seed %llu round %d: '%c' twice in a row",
                                 (unsigned long long)seed, round, c);
                prev = c;
            }
            /* Each pass is a permutation: every prompt exactly once. */
            for (int k = 0; k < 7; k++)
                CHECK_EQ_INT(seen[k], 1);
            if (strcmp(order, "abcdefg") != 0)
                differs_from_file_order = 1;
        }
        deck_free(d);
    }
    CHECK(differs_from_file_order);
    /* Two prompts: strictly alternating. One prompt: always that one. */
    struct deck *d = deck_parse("x\ny\n", 4, DECK_SHUFFLE, 7, NULL, 0);
    char prev = 0;
    for (int i = 0; i < 100; i++) {
        char c = deck_peek(d, 1)[0];
        deck_advance(d, 1);
        CHECK(c != prev);
        prev = c;
    }
    deck_free(d);
    d = deck_parse("only\n", 5, DECK_SHUFFLE, 7, NULL, 0);
    for (int i = 0; i < 5; i++) {
        CHECK_STR_EQ(deck_peek(d, 1), "only");
        deck_advance(d, 1);
    }
    /* Many networks: bounded memory, and the least recently used place is reused. */
    for (int64_t net = 1; net <= 1000; net++) {
        CHECK_STR_EQ(deck_peek(d, net), "only");
        deck_advance(d, net);
    }
    deck_free(d);
}

/* ---- the rate limit ---- */

TEST(ratelimit_bucket)
{
    struct ratelimit *rl = ratelimit_new(5, 60000);
    int64_t t = 1000000, retry = 0;
    for (int i = 0; i < 5; i++)
        CHECK_EQ_INT(ratelimit_take(rl, "192.0.2.1", t, &retry), 1);
    CHECK_EQ_INT(ratelimit_take(rl, "192.0.2.1", t, &retry), 0);
    CHECK_EQ_INT(retry, 12000);
    /* Someone else is not affected. */
    CHECK_EQ_INT(ratelimit_take(rl, "192.0.2.2", t, &retry), 1);
    /* One more every 12 s. */
    CHECK_EQ_INT(ratelimit_take(rl, "192.0.2.1", t + 11999, &retry), 0);
    CHECK_EQ_INT(retry, 1);
    CHECK_EQ_INT(ratelimit_take(rl, "192.0.2.1", t + 12000, &retry), 1);
    CHECK_EQ_INT(ratelimit_take(rl, "192.0.2.1", t + 12000, &retry), 0);
    CHECK_EQ_INT(retry, 12000);
    /* After a quiet minute the whole burst is back, and no more. */
    t += 12000 + 60000;
    for (int i = 0; i < 5; i++)
        CHECK_EQ_INT(ratelimit_take(rl, "192.0.2.1", t, NULL), 1);
    CHECK_EQ_INT(ratelimit_take(rl, "192.0.2.1", t, NULL), 0);
    CHECK_EQ_INT(ratelimit_size(rl), 2);
    ratelimit_free(rl);

    /* 0 turns it off. */
    rl = ratelimit_new(0, 60000);
    for (int i = 0; i < 100; i++)
        CHECK_EQ_INT(ratelimit_take(rl, "x", 0, NULL), 1);
    ratelimit_free(rl);
}

TEST(ratelimit_bounded)
{
    struct ratelimit *rl = ratelimit_new(1, 60000);
    char key[32];
    /* The first client uses its token, then a flood of others fills the table. */
    CHECK_EQ_INT(ratelimit_take(rl, "first", 0, NULL), 1);
    CHECK_EQ_INT(ratelimit_take(rl, "first", 1, NULL), 0);
    for (int i = 0; i < RATELIMIT_SLOTS * 3; i++) {
        snprintf(key, sizeof key, "10.0.%d.%d", i / 256, i % 256);
        ratelimit_take(rl, key, 10 + i, NULL);
    }
    CHECK_EQ_INT(ratelimit_size(rl), RATELIMIT_SLOTS);
    /* "first" was the least recently seen: forgotten, so it starts afresh. */
    CHECK_EQ_INT(ratelimit_take(rl, "first", 5000, NULL), 1);
    /* A recent one is still remembered. */
    snprintf(key, sizeof key, "10.0.%d.%d", (RATELIMIT_SLOTS * 3 - 1) / 256,
             (RATELIMIT_SLOTS * 3 - 1) % 256);
    CHECK_EQ_INT(ratelimit_take(rl, key, 5001, NULL), 0);
    /* An over-long key is cut, not overflowed. */
    char huge[300];
    memset(huge, 'k', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    CHECK_EQ_INT(ratelimit_take(rl, huge, 6000, NULL), 1);
    CHECK_EQ_INT(ratelimit_take(rl, huge, 6001, NULL), 0);
    ratelimit_free(rl);
}

/* ---- presses in the store ---- */

struct press_list {
    int n;
    char results[8][16];
    int64_t ids[8], networks[8], runs[8];
    int has_device[8], is_long[8];
};

static int take_press(void *user, const struct store_press *p)
{
    struct press_list *l = user;
    if (l->n < 8) {
        snprintf(l->results[l->n], sizeof l->results[0], "%s", p->result);
        l->ids[l->n] = p->id;
        l->networks[l->n] = p->network_id;
        l->runs[l->n] = p->run;
        l->has_device[l->n] = p->device != NULL;
        l->is_long[l->n] = p->is_long;
    }
    l->n++;
    return 0;
}

TEST(store_presses)
{
    char err[256] = "";
    struct store *s = store_open(":memory:", 0, err, sizeof err);
    CHECK(s != NULL);
    if (!s)
        return;
    CHECK_EQ_INT(store_press_count(s), 0);
    struct store_press p = {.display = "tv1",
                            .device = "tv1",
                            .network_id = 1,
                            .created_at = 1000,
                            .result = "started",
                            .run = 5};
    int64_t id1 = store_press_insert(s, &p);
    CHECK(id1 > 0);
    p.result = "lockout";
    p.run = 0;
    p.created_at = 2000;
    CHECK(store_press_insert(s, &p) > id1);
    struct store_press q = {
        .display = "lobby", .device = NULL, .network_id = 0, .is_long = 1, .result = "refused"};
    CHECK(store_press_insert(s, &q) > id1);
    q.result = "exploded"; /* not one of the results */
    CHECK_EQ_INT(store_press_insert(s, &q), -EIO);
    CHECK_EQ_INT(store_press_count(s), 3);

    struct press_list l = {0};
    CHECK_EQ_INT(store_press_each(s, 10, take_press, &l), 3);
    CHECK_STR_EQ(l.results[0], "refused"); /* newest first */
    CHECK_STR_EQ(l.results[1], "lockout");
    CHECK_STR_EQ(l.results[2], "started");
    CHECK_EQ_INT(l.has_device[0], 0);
    CHECK_EQ_INT(l.networks[0], 0);
    CHECK_EQ_INT(l.is_long[0], 1);
    CHECK_EQ_INT(l.runs[1], 0);
    CHECK_EQ_INT(l.runs[2], 5);
    CHECK_EQ_INT(l.ids[2], id1);
    struct press_list two = {0};
    CHECK_EQ_INT(store_press_each(s, 2, take_press, &two), 2);
    store_close(s);
}

static int exec_sql(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open(path, &db);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

static int user_version(const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int v = -1;
    if (sqlite3_open(path, &db) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

TEST(presses_migration_from_v1)
{
    char path[128], err[256] = "";
    snprintf(path, sizeof path, "%s/v1.sqlite", tmpdir);
    struct store *s = store_open(path, 0, err, sizeof err);
    CHECK(s != NULL);
    int64_t net = s ? store_network_insert(s, "kept", "[\"dummy-t2t\"]", 30, NULL, 1) : -1;
    CHECK(net > 0);
    store_close(s);
    CHECK_EQ_INT(user_version(path), store_schema_version());
    /* Make it look like a database written by the panicd before presses existed (undo every
     * migration after the first). */
    CHECK_EQ_INT(exec_sql(path, "DROP TABLE presses; ALTER TABLE runs DROP COLUMN media_evicted; "
                                "DROP INDEX invocations_finished; "
                                "PRAGMA user_version = 1;"),
                 SQLITE_OK);
    CHECK_EQ_INT(user_version(path), 1);
    s = store_open(path, 0, err, sizeof err);
    CHECK(s != NULL);
    if (!s) {
        printf("  reopen: %s\n", err);
        return;
    }
    CHECK_EQ_INT(user_version(path), store_schema_version());
    struct store_network n;
    CHECK_EQ_INT(store_network_get(s, net, &n), 0);
    CHECK_STR_EQ(n.name, "kept");
    store_network_clear(&n);
    struct store_press p = {.display = "tv1", .network_id = net, .result = "started", .run = 1};
    CHECK(store_press_insert(s, &p) > 0);
    CHECK_EQ_INT(store_press_count(s), 1);
    store_close(s);
    char side[160];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    unlink(path);
}

/* ---- the terminal page ---- */

TEST(terminal_escaping)
{
    struct buf b = BUF_INIT;
    html_escape(&b, "a<b>&\"c'd");
    CHECK_STR_EQ(b.data, "a&lt;b&gt;&amp;&quot;c&#39;d");
    buf_free(&b);
    html_escape(&b, "");
    CHECK(b.len == 0);
    buf_free(&b);

    struct terminal_view v = {.network = 12,
                              .name = "<script>x</script>",
                              .token = "tok\"en",
                              .prompt = "</p><img src=x onerror=alert(1)>",
                              .run = 3,
                              .lockout_s = 25};
    terminal_page(&b, &v);
    CHECK(b.len < 10 * 1024);
    CHECK(strstr(b.data, "<script>x") == NULL);
    CHECK(strstr(b.data, "&lt;script&gt;x&lt;/script&gt;") != NULL);
    CHECK(strstr(b.data, "<img") == NULL);
    CHECK(strstr(b.data, "data-token=\"tok&quot;en\"") != NULL);
    CHECK(strstr(b.data, "data-network=\"12\"") != NULL);
    CHECK(strstr(b.data, "data-ready=\"25\"") != NULL);
    CHECK(strstr(b.data, "Current run:") != NULL);
    CHECK(strstr(b.data, "maxlength=1000") != NULL);
    CHECK(strstr(b.data, "#18181b") && strstr(b.data, "#d8b4fe") && strstr(b.data, "#f43f5e"));
    /* Exactly one script element: ours. */
    const char *first = strstr(b.data, "<script>");
    CHECK(first && !strstr(first + 1, "<script>"));
    buf_free(&b);

    v.prompt = NULL;
    terminal_page(&b, &v);
    CHECK(strstr(b.data, "no run yet") != NULL);
    buf_free(&b);

    terminal_message_page(&b, "QR code expired", TERMINAL_EXPIRED_TEXT);
    CHECK(strstr(b.data, "expired") != NULL);
    CHECK(strstr(b.data, "only valid for an hour") != NULL);
    CHECK(strstr(b.data, "<script") == NULL);
    buf_free(&b);
}

/* ---- config keys ---- */

static int load_config_text(const char *text, struct panicd_config *cfg, char *err, size_t len)
{
    char path[128];
    snprintf(path, sizeof path, "%s/panicd.conf", tmpdir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -EIO;
    fputs(text, f);
    fclose(f);
    config_init(cfg);
    int rc = config_load(cfg, path, err, len);
    unlink(path);
    return rc;
}

TEST(config_keys)
{
    struct panicd_config cfg;
    char err[512] = "";
    CHECK_EQ_INT(load_config_text("device.tv1.long_press_stop yes\n"
                                  "device.tv1.token tv1-token-tv1-token\n"
                                  "device.tv2.token tv2-token-tv2-token\n"
                                  "prompt_deck /tmp/deck.txt\n"
                                  "prompt_deck_order cycle\n"
                                  "visitor_secret 0123456789abcdef0123456789abcdef\n"
                                  "visitor_prompts_per_minute 10\n",
                                  &cfg, err, sizeof err),
                 0);
    CHECK_EQ_INT(cfg.ndevices, 2);
    CHECK_EQ_INT(cfg.devices[0].long_press_stop, 1);
    CHECK_STR_EQ(cfg.devices[0].token, "tv1-token-tv1-token");
    CHECK_EQ_INT(cfg.devices[1].long_press_stop, 0);
    CHECK_STR_EQ(cfg.prompt_deck, "/tmp/deck.txt");
    CHECK_EQ_INT(cfg.prompt_deck_cycle, 1);
    CHECK_STR_EQ(cfg.visitor_secret, "0123456789abcdef0123456789abcdef");
    CHECK_EQ_INT(cfg.visitor_per_min, 10);
    config_free(&cfg);

    config_init(&cfg);
    CHECK_EQ_INT(cfg.prompt_deck_cycle, 0); /* shuffle by default */
    CHECK_EQ_INT(cfg.visitor_per_min, 5);
    CHECK(cfg.prompt_deck == NULL && cfg.visitor_secret == NULL);
    config_free(&cfg);

    const struct {
        const char *text, *err;
    } bad[] = {
        {"device.tv1.long_press_stop yes\n", "device tv1 has no token"},
        {"device.tv1.long_press_stop maybe\n", ":1:"},
        {"device.tv1.colour red\n", "long_press_stop"},
        {"prompt_deck_order random\n", "cycle or shuffle"},
        {"visitor_secret short\n", "at least 32"},
        {"visitor_prompts_per_minute -1\n", ":1:"},
    };
    for (size_t i = 0; i < ARRAY_SIZE_OF(bad); i++) {
        err[0] = '\0';
        CHECK(load_config_text(bad[i].text, &cfg, err, sizeof err) < 0);
        if (!strstr(err, bad[i].err))
            printf("  config \"%s\": %s\n", bad[i].text, err);
        CHECK(strstr(err, bad[i].err) != NULL);
        config_free(&cfg);
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/panic-test-visitor-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(hmac_rfc4231);
    RUN(token_slots);
    RUN(token_valid_and_roundtrip);
    RUN(token_expiry_edges);
    RUN(token_wrong_network_and_tampering);
    RUN(deck_parsing);
    RUN(deck_cycle);
    RUN(deck_shuffle);
    RUN(ratelimit_bucket);
    RUN(ratelimit_bounded);
    RUN(store_presses);
    RUN(presses_migration_from_v1);
    RUN(terminal_escaping);
    RUN(config_keys);
    rmdir(tmpdir);
    TEST_END("test_visitor");
}
