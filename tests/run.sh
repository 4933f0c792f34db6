#!/usr/bin/env bash
# Runs every test binary given on the command line, echoes their output, and ends with the total
# line "N passed, N failed". A binary that crashes or exits non-zero without a summary counts as
# one failure so a sanitizer abort can never pass silently. Each binary gets TEST_TIMEOUT seconds
# (default 300): one that is still running then is ended with everything it started (timeout(1)
# runs it in a process group of its own and signals the whole group: TERM, then KILL 5 s later),
# named in a line of its own and counted as one failure. Output goes through a file, so a child
# that outlives its binary cannot hold the run up either.
set -u
limit=${TEST_TIMEOUT:-300}
passed=0
failed=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for t in "$@"; do
    echo "== $t"
    start=$SECONDS
    # (The shell's own "Segmentation fault" notice would only repeat the line below.)
    { timeout -k 5 "$limit" "$t" >"$out" 2>&1; } 2>/dev/null
    rc=$?
    cat "$out"
    # 124: timeout sent TERM; 137 after that many seconds: it had to send KILL.
    if [ "$rc" -eq 124 ] || { [ "$rc" -eq 137 ] && [ $((SECONDS - start)) -ge "$limit" ]; }; then
        echo "$t timed out after $limit s: killed with everything it started"
        failed=$((failed + 1))
        continue
    fi
    line=$(grep -E '^[A-Za-z0-9_]+: [0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
    if [ -n "$line" ]; then
        p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed/\1/')
        f=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed/\2/')
        passed=$((passed + p))
        failed=$((failed + f))
        if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
            echo "$t exited $rc after its summary"
            failed=$((failed + 1))
        fi
    else
        echo "$t exited $rc with no summary"
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
