# lib.sh: what the script tests share; sourced, never run (make test runs only check_*.sh).
# check WHAT COMMAND...: runs COMMAND and counts it passed or failed under WHAT.
# finish NAME: prints "NAME: N passed, N failed" and fails if anything did.
passed=0
failed=0
check() {
    local what=$1
    shift
    if "$@"; then
        echo "ok   $what"
        passed=$((passed + 1))
    else
        echo "FAIL $what"
        failed=$((failed + 1))
    fi
}
finish() {
    echo "$1: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
