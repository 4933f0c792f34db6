#!/usr/bin/env bash
# The threaded parts under ThreadSanitizer: the builtin platform's worker thread (with its
# handoff to panicd's loop), the display's audio sample ring and decoder, and the backup worker
# (VACUUM INTO and restores beside the loop's writes). Built into build/tsan.
set -u
cd "$(dirname "$0")/../.." || exit 1
tests="test_builtin test_ring test_decoder test_backup"
if ! make --no-print-directory B=build/tsan SAN=thread $(printf 'build/tsan/tests/unit/%s ' $tests) \
    >build/tsan.log 2>&1; then
    tail -n 20 build/tsan.log
    echo "check_tsan: 0 passed, 1 failed"
    exit 1
fi
passed=0
failed=0
for t in $tests; do
    if TSAN_OPTIONS="halt_on_error=1" "build/tsan/tests/unit/$t" >"build/tsan-$t.log" 2>&1 &&
        ! grep -q "WARNING: ThreadSanitizer" "build/tsan-$t.log"; then
        echo "ok   $t under TSan"
        passed=$((passed + 1))
    else
        echo "FAIL $t under TSan"
        grep -A 20 "WARNING: ThreadSanitizer" "build/tsan-$t.log" | head -40
        tail -n 5 "build/tsan-$t.log"
        failed=$((failed + 1))
    fi
done
echo "check_tsan: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
