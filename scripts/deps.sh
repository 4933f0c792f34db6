#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and `make run` need, only if one is missing.
# Idempotent: a machine that has everything makes no apt call at all.
set -eu
pkgs="build-essential pkg-config sqlite3 libsqlite3-dev libmicrohttpd-dev libjansson-dev
libcurl4-openssl-dev libssl-dev libpng-dev ca-certificates libsdl2-dev libsdl2-ttf-dev
libsdl2-image-dev libkissfft-dev libqrencode-dev libgpiod-dev curl chromium nodejs
libespeak-ng-dev espeak-ng-data flite1-dev libpocketsphinx-dev libsphinxbase-dev pocketsphinx-en-us
libtesseract-dev libleptonica-dev tesseract-ocr-eng libfreetype-dev"
missing=""
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
