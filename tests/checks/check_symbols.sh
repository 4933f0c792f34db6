#!/usr/bin/env bash
# check_symbols.sh: no program defines a global function that a shared library it loads also
# exports. The dynamic linker binds every such name to the program's own function, so the
# library calls ours instead of its own: panicd's archive_free once stood in for libarchive's
# inside tesseract, and the first OCR engine load crashed panicd. For each program in
# $PANIC_BUILD, its defined global functions (nm) against the exported functions of every
# library ldd lists (nm -D). Ends with "check_symbols: N passed, N failed".
set -u
name=check_symbols
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${PANIC_BUILD:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
# shellcheck source=tests/checks/lib.sh
. "$here/lib.sh"

# Names every program shares with libc by design.
allowed='^(main|_init|_fini|_start|__.*)$'

ours() { nm -g --defined-only "$1" | awk '$2 == "T" || $2 == "W" { print $3 }' | sort -u; }
theirs() {
    ldd "$1" | awk '/=> \// { print $3 }' | while read -r lib; do
        nm -D --defined-only "$lib" 2>/dev/null | awk '$2 == "T" || $2 == "W" || $2 == "i" { print $3 }'
    done | sed 's/@.*//' | sort -u
}
clashes() {
    comm -12 <(ours "$1") <(theirs "$1") | grep -E -v "$allowed"
}
no_clash() {
    local found
    found=$(clashes "$1")
    [ -z "$found" ] && return 0
    echo "  $(basename "$1") defines what a library it loads exports: $(echo "$found" | tr '\n' ' ')"
    return 1
}

# The check itself: a program defining a library's function is caught.
selftest() {
    local dir
    dir=$(mktemp -d /tmp/check_symbols.XXXXXX)
    printf '#include <stdio.h>\nint curl_easy_init(void);\nint curl_easy_init(void) { return 0; }\nint main(void) { return curl_easy_init(); }\n' >"$dir/t.c"
    cc -o "$dir/t" "$dir/t.c" -Wl,--no-as-needed -lcurl || return 1
    ! no_clash "$dir/t" >/dev/null
    local rc=$?
    rm -rf "$dir"
    return $rc
}

if ! command -v nm >/dev/null || ! command -v ldd >/dev/null; then
    echo "$name: skipped: nm and ldd (binutils, libc-bin) are needed"
    finish "$name"
    exit 0
fi
check "catches a program defining a library's function" selftest
for prog in panicd panic-display panicctl panic-tda; do
    if [ -x "$build/$prog" ]; then
        check "$prog shares no function name with its libraries" no_clash "$build/$prog"
    else
        check "$prog is built" false
    fi
done
finish "$name"
