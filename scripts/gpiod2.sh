#!/usr/bin/env bash
# Unpacks libgpiod 2.x headers and library from Debian's archive into a build folder, so the v2
# backend can be compiled and linked on a bookworm machine (which has 1.6) without installing
# anything system-wide. Downloads the suite's Packages index, finds libgpiod-dev and its runtime
# package (libgpiod3), checks their SHA256 against the index, and `dpkg-deb -x`s both into
# $OUT/root. The .debs are cached in $OUT: a second run with the tree unpacked does no network I/O.
#
#   scripts/gpiod2.sh            -> build/gpiod2/root/usr/{include,lib/x86_64-linux-gnu}
#   MIRROR=... SUITE=bookworm-backports ARCH=arm64 OUT=... scripts/gpiod2.sh (ARCH: this machine's)
#
# Prints the unpacked versions ("gpiod2: libgpiod-dev 2.2.1-2 libgpiod3 2.2.1-2") and exits 0;
# prints why it could not and exits 3 when the archive cannot be reached (offline), 1 otherwise.
set -eu

MIRROR=${MIRROR:-http://deb.debian.org/debian}
SUITE=${SUITE:-trixie}
ARCH=${ARCH:-$(dpkg --print-architecture 2>/dev/null || echo amd64)}
OUT=${OUT:-build/gpiod2}
ROOT=$OUT/root
STAMP=$OUT/versions

die() {
    echo "gpiod2: $*" >&2
    exit 1
}

# curl to a file; an unreachable archive (no name, no route, no answer) is "offline", exit 3.
fetch() { # url, file
    local rc=0
    curl -fsSL --retry 2 --connect-timeout 15 -o "$2" "$1" || rc=$?
    case $rc in
    0) return 0 ;;
    5 | 6 | 7 | 28)
        echo "gpiod2: offline: cannot reach $MIRROR (curl exit $rc)" >&2
        exit 3
        ;;
    *) die "cannot download $1 (curl exit $rc)" ;;
    esac
}

for tool in curl xz dpkg-deb sha256sum awk; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed"
done

multiarch=$(dpkg-architecture -a"$ARCH" -qDEB_HOST_MULTIARCH 2>/dev/null ||
    ${CC:-cc} -print-multiarch 2>/dev/null)
multiarch=${multiarch:-x86_64-linux-gnu}
if [ -f "$STAMP" ] && [ -f "$ROOT/usr/include/gpiod.h" ] &&
    [ -e "$ROOT/usr/lib/$multiarch/libgpiod.so" ]; then
    echo "gpiod2: $(cat "$STAMP") (cached in $OUT)"
    exit 0
fi

mkdir -p "$OUT"
index=$OUT/Packages-$SUITE-$ARCH
url=$MIRROR/dists/$SUITE/main/binary-$ARCH/Packages.xz
if [ ! -s "$index" ]; then
    fetch "$url" "$index.xz.tmp"
    xz -dc "$index.xz.tmp" >"$index.tmp" || die "cannot decompress $url"
    mv "$index.tmp" "$index"
    rm -f "$index.xz.tmp"
fi

# One "Filename Version SHA256" line for a package from the index (the newest if listed twice).
lookup() {
    awk -v want="$1" '
        /^Package: / { pkg = $2; file = ""; ver = ""; sum = "" }
        /^Version: / { ver = $2 }
        /^Filename: / { file = $2 }
        /^SHA256: / { sum = $2 }
        /^$/ { if (pkg == want && file != "") print file, ver, sum; pkg = "" }
        END { if (pkg == want && file != "") print file, ver, sum }
    ' "$index" | sort -V -k2 | tail -n 1
}

# The runtime library package is named after the soname (libgpiod3 for 2.x); take it from the
# -dev package's Depends so a future soname bump still works.
dev_line=$(lookup libgpiod-dev)
[ -n "$dev_line" ] || die "libgpiod-dev is not in $SUITE/$ARCH"
lib_pkg=$(awk '/^Package: libgpiod-dev$/ { p = 1 } p && /^Depends: / { print; exit } /^$/ { p = 0 }' \
    "$index" | grep -oE 'libgpiod[0-9]+' | head -n 1)
lib_pkg=${lib_pkg:-libgpiod3}
lib_line=$(lookup "$lib_pkg")
[ -n "$lib_line" ] || die "$lib_pkg is not in $SUITE/$ARCH"

versions=""
rm -rf "$ROOT"
mkdir -p "$ROOT"
for entry in "libgpiod-dev $dev_line" "$lib_pkg $lib_line"; do
    # shellcheck disable=SC2086
    set -- $entry
    name=$1 file=$2 ver=$3 sum=$4
    deb=$OUT/$(basename "$file")
    if [ ! -s "$deb" ] || ! echo "$sum  $deb" | sha256sum -c --status; then
        fetch "$MIRROR/$file" "$deb.tmp"
        echo "$sum  $deb.tmp" | sha256sum -c --status || die "$file: SHA256 does not match the index"
        mv "$deb.tmp" "$deb"
    fi
    dpkg-deb -x "$deb" "$ROOT" || die "cannot unpack $deb"
    versions="$versions $name $ver"
done

[ -f "$ROOT/usr/include/gpiod.h" ] || die "no usr/include/gpiod.h in the unpacked packages"
[ -e "$ROOT/usr/lib/$multiarch/libgpiod.so" ] || die "no usr/lib/$multiarch/libgpiod.so unpacked"
echo "${versions# }" >"$STAMP"
rm -f "$index" # 50 MB uncompressed; the stamp makes the next run skip the network anyway
echo "gpiod2: ${versions# } (unpacked into $ROOT)"
