/* test_slug.c: networks' short names: the default from a name (lower case, runs of other
 * characters one '-', none at the ends, digits-only names prefixed, long names cut on a word),
 * what is a valid slug, and uniquifying with -2, -3, ... within the length limit. Pure. */
#include "coordinator/core/slug.h"
#include "test.h"

#include <stdio.h>
#include <string.h>

static const char *of(const char *name)
{
    static char out[SLUG_MAX + 1];
    slug_from_name(name, out, sizeof out);
    return out;
}

TEST(default_from_name)
{
    CHECK_STR_EQ(of("Gallery A"), "gallery-a");
    CHECK_STR_EQ(of("  Gallery -- A!! "), "gallery-a");
    CHECK_STR_EQ(of("PANIC! (room 2)"), "panic-room-2");
    CHECK_STR_EQ(of("Café Müller"), "caf-m-ller");
    CHECK_STR_EQ(of("snake_case.and/slash"), "snake-case-and-slash");
    CHECK_STR_EQ(of(""), "network");
    CHECK_STR_EQ(of("!!!"), "network");
    CHECK_STR_EQ(of("日本"), "network");
    CHECK_STR_EQ(of("2024"), "network-2024"); /* never only digits: it would read as an id */
    CHECK_STR_EQ(of("12 34"), "12-34");       /* not an id */
    /* Long names: cut at 48 on a word boundary. */
    const char *long_name = "the quick brown fox jumps over the lazy dog and keeps running on";
    const char *s = of(long_name);
    CHECK(strlen(s) <= SLUG_MAX);
    CHECK_STR_EQ(s, "the-quick-brown-fox-jumps-over-the-lazy-dog-and");
    char one_word[100];
    memset(one_word, 'x', 80);
    one_word[80] = '\0';
    CHECK_EQ_INT(strlen(of(one_word)), SLUG_MAX);
    CHECK(slug_valid(of(one_word)));
}

TEST(valid)
{
    CHECK(slug_valid("gallery-a"));
    CHECK(slug_valid("a"));
    CHECK(slug_valid("2nd-floor"));
    CHECK(!slug_valid(""));
    CHECK(!slug_valid("42"));
    CHECK(!slug_valid("-a"));
    CHECK(!slug_valid("a-"));
    CHECK(!slug_valid("Gallery"));
    CHECK(!slug_valid("a b"));
    CHECK(!slug_valid("a_b"));
    CHECK(!slug_valid("a/b"));
    char too_long[SLUG_MAX + 2];
    memset(too_long, 'a', SLUG_MAX + 1);
    too_long[SLUG_MAX + 1] = '\0';
    CHECK(!slug_valid(too_long));
    too_long[SLUG_MAX] = '\0';
    CHECK(slug_valid(too_long));
}

struct taken {
    const char *names[8];
    int n;
};

static int is_taken(void *user, const char *slug)
{
    struct taken *t = user;
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->names[i], slug))
            return 1;
    return 0;
}

TEST(unique)
{
    char out[SLUG_MAX + 1];
    struct taken t = {{"gallery-a", "gallery-a-2", "gallery-b"}, 3};
    CHECK_EQ_INT(slug_unique("gallery-a", is_taken, &t, out, sizeof out), 0);
    CHECK_STR_EQ(out, "gallery-a-3");
    CHECK_EQ_INT(slug_unique("gallery-c", is_taken, &t, out, sizeof out), 0);
    CHECK_STR_EQ(out, "gallery-c");
    /* At the length limit the suffix replaces the end. */
    char base[SLUG_MAX + 1];
    memset(base, 'y', SLUG_MAX);
    base[SLUG_MAX] = '\0';
    struct taken full = {{base}, 1};
    CHECK_EQ_INT(slug_unique(base, is_taken, &full, out, sizeof out), 0);
    CHECK_EQ_INT(strlen(out), SLUG_MAX);
    CHECK(slug_valid(out));
    CHECK(!strcmp(out + SLUG_MAX - 2, "-2"));
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    RUN(default_from_name);
    RUN(valid);
    RUN(unique);
    TEST_END("test_slug");
}
