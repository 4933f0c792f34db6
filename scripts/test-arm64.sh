#!/usr/bin/env bash
# make test-arm64: the unit and integration tests cross-built for arm64 (aarch64-linux-gnu-gcc,
# the arm64 libraries of the cross build root, scripts/buildroot.sh) into build/arm64, then run
# there under qemu-user through binfmt_misc, ending with "N passed, N failed". On a fresh
# machine it mounts binfmt_misc and enables qemu-aarch64 itself; where that or root is not to
# be had it prints "test-arm64: skipped: REASON" and exits 0. SAN=1 (default) builds with
# ASan/UBSan as make test does; SAN=0 without.
set -euo pipefail
cd "$(dirname "$0")/.."
san=${SAN:-1}
skip() {
    echo "test-arm64: skipped: $*"
    exit 0
}
[ "$(id -u)" -eq 0 ] || skip "needs root (cross build root, chroot, binfmt_misc)"
[ "$(uname -m)" = x86_64 ] || skip "cross-builds from amd64 only (this is $(uname -m))"
scripts/buildroot.sh ensure
b=build/arm64
[ "$san" = 1 ] || b=build/arm64-san$san
cross=(B="$b" SAN="$san" CC=aarch64-linux-gnu-gcc AR=aarch64-linux-gnu-ar
    PKG_CONFIG=aarch64-linux-gnu-pkg-config)
start=$(date +%s)
scripts/buildroot.sh run . -- make -j2 --no-print-directory "${cross[@]}" test-build
echo "test-arm64: cross build took $(($(date +%s) - start)) s"

why=$(scripts/buildroot.sh binfmt 2>&1) || skip "${why##*$'\n'}"
ASAN_OPTIONS=detect_leaks=0 scripts/buildroot.sh run . -- "$b"/panicctl --help >/dev/null ||
    skip "an arm64 binary does not run under qemu-user here"

# LeakSanitizer stops the world with ptrace, which qemu-user does not emulate: leaks are
# checked by make test on this machine; ASan and UBSan stay on.
export ASAN_OPTIONS=detect_leaks=0
start=$(date +%s)
rc=0
scripts/buildroot.sh run . -- make --no-print-directory "${cross[@]}" test-binaries || rc=$?
echo "test-arm64: the tests ran $(($(date +%s) - start)) s under qemu-user (SAN=$san)"
exit $rc
