/* test_deck.c: the visitor prompt deck: parsing (comments, blank lines, control characters,
 * UTF-8, the length limit, file errors naming file and line), the cycle order and the shuffle
 * order (each pass a permutation, never the same prompt twice in a row, bounded memory across
 * networks). Pure apart from one temporary file for deck_load. */
#include "coordinator/core/deck.h"
#include "support.h"
#include "test.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define ARRAY_SIZE_OF(a) (sizeof(a) / sizeof((a)[0]))

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
    CHECK_EQ_INT(write_temp_file(path, sizeof path,
                                 "one\ntwo\nthr\x01"
                                 "ee\n"),
                 0);
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
    REQUIRE(d != NULL);
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
        REQUIRE(d != NULL);
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

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    RUN(deck_parsing);
    RUN(deck_cycle);
    RUN(deck_shuffle);
    TEST_END("test_deck");
}
