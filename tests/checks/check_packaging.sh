#!/usr/bin/env bash
# The build and the units as a distribution or cross build needs them, checked without building
# (make -n, a few seconds): every compile, archive and link line uses CC, AR, CPPFLAGS, CFLAGS
# and LDFLAGS as given; every library probe goes through PKG_CONFIG, never a pkg-config found
# on PATH; each unit's Documentation= names a manual page that make install installs; a
# --config FILE in a unit's ExecStart names a file the Debian packages ship (a unit must start
# on a fresh install); every unit and timer is installed by make install and shipped by a
# package. Run from the repo root (or with --root DIR, e.g. an older tree); prints
# "check_packaging: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
[ "${1:-}" = --root ] && { cd "$2" || exit 1; }
name=check_packaging
passed=0
failed=0
check() { # name, status (0 = ok), detail
    if [ "$2" -eq 0 ]; then
        echo "ok   $1"
        passed=$((passed + 1))
    else
        echo "FAIL $1"
        [ -n "${3:-}" ] && printf '%s\n' "$3" | head -n 5 | cut -c1-160 | sed 's/^/  /'
        failed=$((failed + 1))
    fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A pkg-config on PATH that must never run, and one named by PKG_CONFIG that logs and answers.
mkdir -p "$tmp/bin"
printf '#!/bin/sh\necho "$*" >>%s/path-pkg-config.log\nexec /usr/bin/pkg-config "$@"\n' "$tmp" \
    >"$tmp/bin/stray-pkg-config"
printf '#!/bin/sh\necho "$*" >>%s/our-pkg-config.log\nexec /usr/bin/pkg-config "$@"\n' "$tmp" \
    >"$tmp/bin/our-pkg-config"
ln -s stray-pkg-config "$tmp/bin/pkg-config"
chmod +x "$tmp/bin/"*
# shellcheck disable=SC2054 # the commas are -Wl,-z,... of one word
flags=(CC=panic-cc AR=panic-ar PKG_CONFIG="$tmp/bin/our-pkg-config" CPPFLAGS=-DPANIC_CPP
    CFLAGS=-DPANIC_CFLAGS LDFLAGS=-Wl,-z,panic-ldflags V=1 B="$tmp/b")
PATH="$tmp/bin:$PATH" make -n --no-print-directory "${flags[@]}" all test-build \
    >"$tmp/make.out" 2>&1
check "make -n runs with cross tools named" $? "$(tail -n 3 "$tmp/make.out")"
compiles=$(grep -E ' -c [^ ]+\.c ' "$tmp/make.out")
bad=$(printf '%s\n' "$compiles" | grep -v '^panic-cc .*-DPANIC_CPP.*-DPANIC_CFLAGS' || true)
check "every compile uses CC, CPPFLAGS and CFLAGS" "$([ -n "$compiles" ] && [ -z "$bad" ]; echo $?)" "$bad"
links=$(grep -E -- ' -o [^ ]+/(panicd|panicctl|panic-display|tests/[a-z]+/[a-z_]+) ' "$tmp/make.out")
bad=$(printf '%s\n' "$links" | grep -v '^panic-cc .*-DPANIC_CFLAGS.*-Wl,-z,panic-ldflags' || true)
check "every link uses CC, CFLAGS and LDFLAGS" "$([ -n "$links" ] && [ -z "$bad" ]; echo $?)" "$bad"
ars=$(grep -E ' rcs [^ ]+\.a ' "$tmp/make.out")
bad=$(printf '%s\n' "$ars" | grep -v 'panic-ar rcs' || true)
check "every archive uses AR" "$([ -n "$ars" ] && [ -z "$bad" ]; echo $?)" "$bad"
check "library probes go through PKG_CONFIG" "$([ -s "$tmp/our-pkg-config.log" ] &&
    [ ! -e "$tmp/path-pkg-config.log" ]; echo $?)" "$(cat "$tmp/path-pkg-config.log" 2>/dev/null)"

make -n --no-print-directory install DESTDIR=/DEST PREFIX=/usr/local B="$tmp/b" \
    >"$tmp/install.out" 2>&1
for unit in systemd/*.service; do
    docs=$(sed -n 's/^Documentation=//p' "$unit" | tr ' ' '\n' | grep .)
    bad=""
    for d in $docs; do
        case "$d" in
        man:*) # man:NAME(SECTION): docs/man/NAME.SECTION, installed by make install
            page=$(echo "${d#man:}" | sed -E 's/^(.*)\(([0-9])\)$/\1.\2/')
            { [ -f "docs/man/$page" ] && grep -q "docs/man/.*$page" "$tmp/install.out"; } ||
                bad="$bad $d" ;;
        *) bad="$bad $d (not a man page: is it installed?)" ;;
        esac
    done
    check "$unit: Documentation= is installed" "$([ -n "$docs" ] && [ -z "$bad" ]; echo $?)" "$bad"
    bad=""
    for f in $(sed -n 's/^ExecStart=.*--config \([^ ]*\).*/\1/p' "$unit"); do
        grep -qx "${f#/}" debian/*.install 2>/dev/null || bad="$bad $f"
    done
    check "$unit: a --config file is shipped" "$([ -z "$bad" ]; echo $?)" \
        "not in debian/*.install:$bad"
    # A User= the unit runs as is created by make install too, not only by the package.
    user=$(sed -n 's/^User=//p' "$unit")
    if [ -n "$user" ]; then
        made=$(grep -o '[^ ]*\.sysusers [^ ]*sysusers.d/[^ ]*' "$tmp/install.out" | awk '{ print $1 }')
        ok=1
        [ -n "$made" ] && grep -q "^u $user " $made && ok=0
        check "$unit: make install creates User=$user" "$ok" "no sysusers.d entry for $user"
    fi
done

# Every unit (services and timers) is installed by make install and shipped by a package.
for unit in systemd/*.service systemd/*.timer; do
    base=$(basename "$unit")
    ok=1
    grep -q "systemd/.*$base" "$tmp/install.out" && grep -qx '${env:PANIC_UNITDIR}/'"$base" \
        debian/*.install && ok=0
    check "$unit: installed by make install and a package" "$ok" "not in the install lines"
done
# dh_missing stops the package build on a file make install puts somewhere no debian/*.install
# takes and debian/not-installed does not name (the sysusers, tmpfiles and udev files come
# from debian/panic-display.* through debhelper instead).
bad=""
for f in $(sed -n 's#^install -m [0-7]* [^ ]* /DEST/\([^ ]*[^/]\)$#\1#p' "$tmp/install.out"); do
    grep -qxF "$f" debian/not-installed || grep -qx "${f}" debian/*.install || bad="$bad $f"
done
check "make install's single files are packaged or in debian/not-installed" "$([ -z "$bad" ]; echo $?)" \
    "dh_missing would fail on:$bad"

echo "$name: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
