#!/usr/bin/env bash
# check_deps.sh: run-time and test-only packages are kept apart. `make run` (scripts/deps.sh run)
# must never pull a browser, Node or other test tools onto a Pi; `make test` installs everything
# `make run` does plus its own. Ends with "check_deps: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
passed=0
failed=0
check() { # name, condition result (0 = ok), detail
    if [ "$2" -eq 0 ]; then
        echo "ok   $1"
        passed=$((passed + 1))
    else
        echo "FAIL $1: $3"
        failed=$((failed + 1))
    fi
}
run=$(scripts/deps.sh --list run)
tst=$(scripts/deps.sh --list test)
bad=$(printf '%s\n' "$run" | grep -Ex 'chromium|chromium-.*|nodejs|npm|firefox.*|xvfb|curl|sqlite3' || true)
check "make run installs no test tool" "$([ -z "$bad" ]; echo $?)" "$(echo $bad)"
missing=$(printf '%s\n' "$run" | grep -vxF -f <(printf '%s\n' "$tst") || true)
check "make test installs everything make run does" "$([ -z "$missing" ]; echo $?)" "$(echo $missing)"
for p in chromium nodejs; do
    printf '%s\n' "$tst" | grep -qx "$p"
    check "make test installs $p" $? "not in deps.sh test"
done
scripts/deps.sh --list nonsense >/dev/null 2>&1
rc=$?
check "an unknown job is refused" "$([ "$rc" -eq 2 ]; echo $?)" "exit $rc"
echo "check_deps: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
