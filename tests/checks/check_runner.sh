#!/usr/bin/env bash
# check_runner.sh: tests/run.sh counts right. Fake test binaries (small scripts in a temp dir):
# one that passes, one that dies of a signal before its summary, one that hangs with a child in
# the background, and one that also ignores SIGTERM. With TEST_TIMEOUT=2 the two hung ones must
# be named, killed with their children and counted as failures, the crash counted as one, and
# the last line must be "2 passed, 3 failed". Ends with "check_runner: N passed, N failed".
set -u
name=check_runner
runner="$(cd "$(dirname "$0")/.." && pwd)/run.sh"
dir=$(mktemp -d /tmp/check_runner.XXXXXX)
trap 'rm -rf "$dir"' EXIT
# shellcheck source=tests/checks/lib.sh
. "$(dirname "$0")/lib.sh"
fake() { # name, body
    printf '#!/usr/bin/env bash\n%s\n' "$2" >"$dir/$1"
    chmod +x "$dir/$1"
}
# The hung ones record the pid of the child they leave in the background.
fake pass.sh 'echo "ok   one"; echo "ok   two"; echo "pass: 2 passed, 0 failed"'
fake crash.sh 'echo "ok   one"; kill -SEGV $$'
fake hang.sh "sleep 1000 & echo \$! >$dir/hang.child; echo 'ok   before the hang'; sleep 1000"
fake stubborn.sh "trap '' TERM; sleep 1000 & echo \$! >$dir/stubborn.child; sleep 1000"

start=$SECONDS
out=$(TEST_TIMEOUT=2 "$runner" "$dir/pass.sh" "$dir/crash.sh" "$dir/hang.sh" "$dir/stubborn.sh")
rc=$?
took=$((SECONDS - start))
echo "$out" | sed 's/^/  | /'

says() { echo "$out" | grep -q "$1"; }
never_says() { ! says "$1"; }
# A child is gone once kill -0 fails (a zombie answers until init reaps it: wait up to 2 s).
gone() {
    local pid
    pid=$(cat "$dir/$1.child" 2>/dev/null) || return 1
    for _ in $(seq 20); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -9 "$pid"
    return 1
}
check "the last line counts them" [ "$(echo "$out" | tail -n 1)" = "2 passed, 3 failed" ]
check "run.sh fails" [ "$rc" -ne 0 ]
check "hang.sh is named as timed out" says "^$dir/hang.sh timed out after 2 s"
check "stubborn.sh (ignores TERM) is named as timed out" says "^$dir/stubborn.sh timed out after 2 s"
check "what the hung binary printed is shown" says "^ok   before the hang"
check "the crash is named" says "^$dir/crash.sh exited 139 with no summary"
check "no binary that ended is named as timed out" never_says "\(pass\|crash\).sh timed out"
check "the child hang.sh started was killed too" gone hang
check "the child stubborn.sh started was killed too" gone stubborn
check "the run took $took s (2 s each, 5 s more to KILL)" [ "$took" -le 15 ]
finish "$name"
