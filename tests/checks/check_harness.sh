#!/usr/bin/env bash
# check_harness.sh: tests/test.h does what it says. A small test binary built here with the
# project's warnings: REQUIRE and REQUIRE_EQ_INT end a test at once (nothing after them runs),
# CHECK_GE and CHECK_LE print both values, test_teardown runs after every test, TEST_ONLY runs
# only the tests named, and the summary counts right. Ends with "check_harness: N passed, N failed".
set -u
name=check_harness
root="$(cd "$(dirname "$0")/../.." && pwd)"
dir=$(mktemp -d /tmp/check_harness.XXXXXX)
trap 'rm -rf "$dir"' EXIT
# shellcheck source=tests/checks/lib.sh
. "$(dirname "$0")/lib.sh"
cat >"$dir/demo.c" <<'C'
#include "test.h"

static int ran_on;

TEST(require_ends_the_test)
{
    REQUIRE(1 == 2);
    ran_on = 1;
}

TEST(compare_prints_both)
{
    long long small = 3;
    CHECK_GE(small, 7);
    CHECK_LE(9, 4);
    CHECK_GE(5, 5);
    CHECK_LE(5, 5);
}

TEST(require_eq_ends_the_test)
{
    REQUIRE_EQ_INT(2 + 2, 5);
    ran_on = 2;
}

TEST(passes)
{
    REQUIRE(1);
    REQUIRE_EQ_INT(4, 4);
    CHECK_GE(2, 1);
    printf("  ran_on %d\n", ran_on);
}

static void teardown(void)
{
    printf("  teardown\n");
}

int main(void)
{
    test_teardown = teardown;
    RUN(require_ends_the_test);
    RUN(compare_prints_both);
    RUN(require_eq_ends_the_test);
    RUN(passes);
    TEST_END("demo");
}
C
if ! ${CC:-cc} -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wpedantic -Wshadow -Wformat=2 \
    -Werror -I"$root/tests" -o "$dir/demo" "$dir/demo.c" -lm >"$dir/cc.log" 2>&1; then
    cat "$dir/cc.log"
    echo "$name: 0 passed, 1 failed"
    exit 1
fi
out=$("$dir/demo")
rc=$?
echo "$out" | sed 's/^/  | /'
says() { echo "$out" | grep -qF -- "$1"; }
check "a failing run exits non-zero" [ "$rc" -ne 0 ]
check "REQUIRE says it ends the test" says "required 1 == 2; the test ends here"
check "CHECK_GE prints both values" says "expected small >= 7, got 3 and 7"
check "CHECK_LE prints both values" says "expected 9 <= 4, got 9 and 4"
check "REQUIRE_EQ_INT prints both values" says "expected 2 + 2 == 5, got 4 and 5"
check "nothing after a failed REQUIRE runs" says "ran_on 0"
check "equal values pass CHECK_GE and CHECK_LE" [ "$(echo "$out" | grep -c "demo.c")" -eq 4 ]
check "teardown runs after every test" [ "$(echo "$out" | grep -c "^  teardown$")" -eq 4 ]
check "the summary counts them" says "demo: 1 passed, 3 failed"
out=$(TEST_ONLY="passes,compare_prints_both" "$dir/demo")
check "TEST_ONLY runs the tests named" [ "$(echo "$out" | tail -n 1)" = "demo: 1 passed, 1 failed" ]
out=$(TEST_ONLY="passes" "$dir/demo")
check "TEST_ONLY with a passing test: exit 0" [ $? -eq 0 ]
check "TEST_ONLY with one name: one test runs" [ "$(echo "$out" | grep -c "^ok \|^FAIL ")" -eq 1 ]
out=$(TEST_ONLY="pass" "$dir/demo")
check "TEST_ONLY matches whole names only" [ "$(echo "$out" | tail -n 1)" = "demo: 0 passed, 0 failed" ]
finish "$name"
