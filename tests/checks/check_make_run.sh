#!/usr/bin/env bash
# check_make_run.sh: `make run` as a new installer meets it, in a pseudo-terminal: a Makefile whose
# run target calls scripts/run.sh as the real one does (on $PANIC_BUILD's programs, a temp state
# dir and a random port), a run that starts before the tail, then Ctrl-C. The tail must show the
# run from its genesis in words, and Ctrl-C must end everything with status 0 and no make error.
# Needs python3 for the pseudo-terminal; without it says why and counts nothing. Ends with
# "check_make_run: N passed, N failed".
set -u
name=check_make_run
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${PANIC_BUILD:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
# shellcheck source=tests/checks/lib.sh
. "$here/lib.sh"
if ! command -v python3 >/dev/null 2>&1; then
    echo "$name: skipped: python3 is needed for a pseudo-terminal"
    finish "$name"
    exit 0
fi
dir=$(mktemp -d /tmp/check_make_run.XXXXXX)
trap 'rm -rf "$dir"' EXIT
printf 'run:\n\t@cd %s && PANIC_STATE_DIR=%s/state PANIC_LISTEN=127.0.0.1:0 scripts/run.sh %s\n' \
    "$root" "$dir" "$build" >"$dir/Makefile"
# Ctrl-C once the tail has shown the run's first line, as a person would; 60 s at most.
out=$(
    python3 - "$dir" <<'PY'
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.chdir(sys.argv[1])
    os.execvp("make", ["make", "run"])
out, sent, t0 = b"", False, time.time()
while time.time() - t0 < 60:
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            d = os.read(fd, 4096)
        except OSError:
            break
        if not d:
            break
        out += d
    if not sent and b" seq 0 " in out:
        time.sleep(0.3)
        os.write(fd, b"\x03")
        sent = True
if not sent:
    os.kill(pid, 9)
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
print("\nEXIT %d" % os.waitstatus_to_exitcode(st))
PY
)
echo "$out" | sed 's/^/  | /'
says() { echo "$out" | grep -q -- "$1"; }
check ctrl_c_exits_0 says '^EXIT 0'
check no_make_error eval '! says "make: \*\*\*"'
check tail_starts_at_genesis says '^\[[0-9]*\] run 1 started'
check genesis_line says '^\[[0-9]*\] run 1 seq 0 .* <- text'
check no_status_lines eval '! says " status "'
# The display make run starts is one panicd knows: its heartbeat is accepted.
check display_heartbeat_accepted eval "! grep -q 'refuses this display' '$dir/state/display.log'"
finish "$name"
