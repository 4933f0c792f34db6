/* test.h: a tiny test harness. Each test binary defines tests with TEST(name), registers them in
 * main with RUN(name), and ends with TEST_END(), which prints "name: N passed, N failed" and
 * returns non-zero if any check failed. A failing check prints file:line and what it expected. */
#ifndef PANIC_TEST_H
#define PANIC_TEST_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int test_checks_failed_in_test;
static int test_passed, test_failed;

#define TEST(name) static void name(void)

#define RUN(name)                                                                                  \
    do {                                                                                           \
        test_checks_failed_in_test = 0;                                                            \
        name();                                                                                    \
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

#define CHECK_EQ_INT(a, b)                                                                         \
    do {                                                                                           \
        long long va_ = (long long)(a), vb_ = (long long)(b);                                      \
        if (va_ != vb_)                                                                            \
            TEST_FAIL_AT("expected %s == %s, got %lld and %lld", #a, #b, va_, vb_);                \
    } while (0)

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
