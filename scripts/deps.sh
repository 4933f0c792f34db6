#!/usr/bin/env bash
# Installs the Debian packages a job needs, only those that are missing; a machine that has
# everything makes no apt call at all. `deps.sh` (make deps, make run): what building and running
# the appliance needs. `deps.sh test` (make test): that plus what only the tests use (a headless
# browser and Node for the phone page, curl for scripts, the sqlite3 shell, ripser as panic-tda's
# oracle, botocore to check S3 signatures, ssh-keygen for the image's panic.conf checker, and
# s3rver from the npm registry for the archive's tests, see below), which a Pi running `make run`
# never gets.
# `deps.sh deb` (make deb): lintian plus debian/control's Build-Depends (dpkg-checkbuilddeps
# decides, `apt-get build-dep ./` installs). `deps.sh arm64` (make test-arm64, scripts/buildroot.sh):
# mmdebstrap for the cross build root and qemu-user with binfmt to run arm64 binaries; the arm64
# libraries themselves go into the build root, never onto this machine.
# `deps.sh image` (make image, make image-test): mmdebstrap, genimage and the filesystem tools to
# assemble the Pi image without mounting anything, and qemu-system-arm to boot it.
# `deps.sh --list run|test|deb|arm64` prints the packages, one a line, and installs nothing.
set -eu
list=0
if [ "${1:-}" = "--list" ]; then
    list=1
    shift
fi
run="build-essential pkg-config libsqlite3-dev libmicrohttpd-dev libjansson-dev
libcurl4-openssl-dev libssl-dev libpng-dev ca-certificates libsdl2-dev libsdl2-ttf-dev
libsdl2-image-dev libkissfft-dev libqrencode-dev libgpiod-dev
libespeak-ng-dev espeak-ng-data flite1-dev libpocketsphinx-dev libsphinxbase-dev pocketsphinx-en-us
libtesseract-dev libleptonica-dev tesseract-ocr-eng libfreetype-dev libavahi-client-dev"
test_only="sqlite3 curl chromium nodejs avahi-daemon ripser python3-botocore xvfb openssh-client"
deb_tools="dpkg-dev debhelper lintian"
arm64_tools="mmdebstrap qemu-user-static binfmt-support arch-test debian-archive-keyring"
image_tools="$arm64_tools genimage mtools dosfstools e2fsprogs fdisk zstd qemu-system-arm netpbm socat openssh-client curl"
case "${1:-run}" in
run) pkgs=$run ;;
test) pkgs="$run $test_only" ;;
deb) pkgs=$deb_tools ;;
arm64) pkgs=$arm64_tools ;;
image) pkgs=$image_tools ;;
*)
    echo "usage: deps.sh [--list] [run|test|deb|arm64|image]" >&2
    exit 2
    ;;
esac
if [ "$list" = 1 ]; then
    printf '%s\n' $pkgs
    exit 0
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
updated=0
apt_update() {
    [ "$updated" = 1 ] || $SUDO apt-get update -qq
    updated=1
}
missing=""
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
if [ -n "$missing" ]; then
    echo "deps: installing$missing"
    apt_update
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
# s3rver, from the npm registry (no S3-compatible server in Debian bookworm is light enough): the
# server the off-site archive's tests upload to. Test-only, cached in ~/.cache/panic/s3rver (a
# machine that has it makes no call); PANIC_NO_NPM=1 skips it, and those tests then skip.
if [ "${1:-run}" = test ] && [ "${PANIC_NO_NPM:-}" != 1 ]; then
    s3dir="${XDG_CACHE_HOME:-$HOME/.cache}/panic/s3rver"
    if [ ! -x "$s3dir/node_modules/.bin/s3rver" ]; then
        if ! command -v npm >/dev/null; then
            apt_update
            $SUDO apt-get install -y -qq --no-install-recommends npm
        fi
        echo "deps: installing s3rver (test only) into $s3dir"
        mkdir -p "$s3dir"
        npm install --prefix "$s3dir" --no-audit --no-fund --loglevel=error s3rver@3.7.1 ||
            echo "deps: s3rver could not be installed; the archive tests will say so"
    fi
fi
if [ "${1:-run}" = deb ]; then
    cd "$(dirname "$0")/.."
    if ! unmet=$(dpkg-checkbuilddeps 2>&1); then
        echo "deps: installing debian/control's ${unmet#dpkg-checkbuilddeps: error: }"
        apt_update
        $SUDO apt-get build-dep -y -qq --no-install-recommends ./
    fi
fi
