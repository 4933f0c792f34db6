/* test.h: a tiny test harness. Each test binary defines tests with TEST(name), registers them in
 * main with RUN(name), and ends with TEST_END(), which prints "name: N passed, N failed" and
 * returns non-zero if any check failed. A failing check prints file:line and what it expected.
 *
 * CHECK records a failure and goes on; REQUIRE records it and ends the test at once (a return:
 * used in a helper, it ends only the helper), for a precondition whose failure would make every
 * later check fail too. TEST_ONLY="name,name" in the environment runs only the tests named.
 * When test_teardown is set (an integration binary sets support_reap), it runs after every test,
 * so what a test that ended early left running does not spill into the next one. */
#ifndef PANIC_TEST_H
#define PANIC_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_checks_failed_in_test;
static int test_passed, test_failed;
static void (*test_teardown)(void);

#define TEST(name) static void name(void)

/* 1 if TEST_ONLY is unset or lists name (separated by commas or spaces). */
static inline int test_selected(const char *name)
{
    const char *only = getenv("TEST_ONLY");
    if (!only || !*only)
        return 1;
    size_t n = strlen(name);
    for (const char *p = only; (p = strstr(p, name)) != NULL; p += n) {
        int starts = p == only || p[-1] == ',' || p[-1] == ' ';
        int ends = p[n] == '\0' || p[n] == ',' || p[n] == ' ';
        if (starts && ends)
            return 1;
    }
    return 0;
}

#define RUN(name)                                                                                  \
    do {                                                                                           \
        if (!test_selected(#name))                                                                 \
            break;                                                                                 \
        test_checks_failed_in_test = 0;                                                            \
        name();                                                                                    \
        if (test_teardown)                                                                         \
            test_teardown();                                                                       \
        if (test_checks_failed_in_test) {                                                          \
            test_failed++;                                                                         \
            printf("FAIL %s\n", #name);                                                            \
        } else {                                                                                   \
            test_passed++;                                                                         \
            printf("ok   %s\n", #name);                                                            \
        }                                                                                          \
        fflush(stdout);                                                                            \
    } while (0)

#define TEST_FAIL_AT(...)                                                                          \
    do {                                                                                           \
        printf("  %s:%d: ", __FILE__, __LINE__);                                                   \
        printf(__VA_ARGS__);                                                                       \
        printf("\n");                                                                              \
        test_checks_failed_in_test++;                                                              \
    } while (0)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            TEST_FAIL_AT("expected %s", #cond);                                                    \
    } while (0)

/* Ends the test (a return) when cond does not hold. */
#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            TEST_FAIL_AT("required %s; the test ends here", #cond);                                \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* Compares a and b as long long with op; on failure prints both values, then does then. */
#define TEST_CMP_INT(a, op, b, then)                                                               \
    do {                                                                                           \
        long long va_ = (long long)(a), vb_ = (long long)(b);                                      \
        if (!(va_ op vb_)) {                                                                       \
            TEST_FAIL_AT("expected %s %s %s, got %lld and %lld", #a, #op, #b, va_, vb_);           \
            then;                                                                                  \
        }                                                                                          \
    } while (0)

#define TEST_GO_ON (void)0
#define TEST_STOP return
#define CHECK_EQ_INT(a, b) TEST_CMP_INT(a, ==, b, TEST_GO_ON)
#define CHECK_LE(a, b) TEST_CMP_INT(a, <=, b, TEST_GO_ON)
#define CHECK_GE(a, b) TEST_CMP_INT(a, >=, b, TEST_GO_ON)
#define REQUIRE_EQ_INT(a, b) TEST_CMP_INT(a, ==, b, TEST_STOP)

#define CHECK_STR_EQ(a, b)                                                                         \
    do {                                                                                           \
        const char *sa_ = (a), *sb_ = (b);                                                         \
        if (!sa_ || !sb_ || strcmp(sa_, sb_) != 0)                                                 \
            TEST_FAIL_AT("expected %s == %s, got \"%s\" and \"%s\"", #a, #b, sa_ ? sa_ : "(null)", \
                         sb_ ? sb_ : "(null)");                                                    \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                                      \
    do {                                                                                           \
        double da_ = (double)(a), db_ = (double)(b);                                               \
        if (fabs(da_ - db_) > (tol))                                                               \
            TEST_FAIL_AT("expected %s ~ %s within %g, got %g and %g", #a, #b, (double)(tol), da_,  \
                         db_);                                                                     \
    } while (0)

#define TEST_END(suite)                                                                            \
    do {                                                                                           \
        printf("%s: %d passed, %d failed\n", suite, test_passed, test_failed);                     \
        return test_failed ? 1 : 0;                                                                \
    } while (0)

#endif
