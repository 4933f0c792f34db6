#!/usr/bin/env bash
# make deb: the Debian packages (debian/) into build/deb-out. With no argument, or this
# machine's architecture, dpkg-buildpackage runs here; with another (arm64), it runs inside the
# cross build root (scripts/buildroot.sh) as `dpkg-buildpackage -a ARCH`. Either way it builds
# a copy of the working tree (tracked and new files, build/ left out) in build/deb-src, so the
# tree gets no debian/tmp and dpkg-buildpackage's ../ is ours. The build tools are installed
# first if missing (scripts/deps.sh deb or arm64); the package build itself never calls apt-get.
# DEB_BUILD_OPTIONS passes through (nocheck skips the tests).
set -euo pipefail
cd "$(dirname "$0")/.."
host=$(dpkg --print-architecture)
arch=${1:-$host}
version=$(dpkg-parsechangelog -S Version 2>/dev/null || sed -n '1s/.*(\(.*\)).*/\1/p' debian/changelog)
src=build/deb-src/$arch
out=build/deb-out
rm -rf "$src"
mkdir -p "$src/panic-$version" "$out"
git ls-files -z --cached --others --exclude-standard | grep -zv '^build/' |
    xargs -0 tar -cf - --no-recursion 2>/dev/null | tar -xf - -C "$src/panic-$version"
start=$(date +%s)
if [ "$arch" = "$host" ]; then
    scripts/deps.sh deb
    (cd "$src/panic-$version" && dpkg-buildpackage -b -us -uc -j2)
else
    scripts/buildroot.sh ensure
    scripts/buildroot.sh run "$src" -- sh -c \
        "cd panic-$version && dpkg-buildpackage -a$arch -b -us -uc -j2"
fi
echo "deb: dpkg-buildpackage took $(($(date +%s) - start)) s"
for f in "$src"/*.deb "$src"/*.ddeb "$src"/*.buildinfo "$src"/*.changes; do
    [ -e "$f" ] && mv "$f" "$out/"
done
changes=$out/panic_${version}_$arch.changes
ls -l "$out"/*_"${version}"_{"$arch",all}.*deb 2>/dev/null | awk '{printf "deb: %8d %s\n", $5, $9}'
if command -v lintian >/dev/null; then
    echo "deb: lintian $changes"
    lintian --display-info --pedantic "$changes" || true
fi
