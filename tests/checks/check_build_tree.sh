#!/usr/bin/env bash
# check_build_tree.sh: panic-display run from a build tree (as the README's first display command
# does) finds the repository's font and keeps its state in the repository's state/display, not
# /var/lib, whatever the working directory. A copy of $PANIC_BUILD/panic-display goes into a
# temporary tree shaped like the repository (build/ beside fonts/) and runs from /, with no
# coordinator and STATE_DIRECTORY unset. Ends with "check_build_tree: N passed, N failed".
set -u
name=check_build_tree
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${PANIC_BUILD:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
# shellcheck source=tests/checks/lib.sh
. "$here/lib.sh"
tree=$(mktemp -d /tmp/check_build_tree.XXXXXX)
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/build" "$tree/fonts"
cp "$build/panic-display" "$tree/build/"
cp "$root/fonts/DepartureMono-Regular.otf" "$tree/fonts/"
out=$(cd / && env -u STATE_DIRECTORY "$tree/build/panic-display" --offscreen --window 320x180 \
    --frames 5 --coordinator http://127.0.0.1:9 --screenshot "$tree/frames" 2>&1)
rc=$?
echo "$out" | tail -n 5 | sed 's/^/  | /'
check exits_0 test "$rc" -eq 0
check state_in_the_tree test -d "$tree/state/display"
check frames_written test -s "$tree/frames/frame-00004.png"
check no_var_lib eval '! grep -q /var/lib <<<"$out"'
finish "$name"
