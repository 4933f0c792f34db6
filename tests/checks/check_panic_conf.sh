#!/usr/bin/env bash
# The image's first-boot checker (image-build/rootfs/usr/lib/panic-image/firstboot --check):
# the shipped example and a good panic.conf as a Windows editor saves it (CRLF, BOM, quotes,
# spaces around '=') pass; every bad value is refused with its line number and a reason, so
# nothing of a bad file is applied. No root, no image: the parser alone, under /bin/sh.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/checks/lib.sh
. tests/checks/lib.sh
fb=image-build/rootfs/usr/lib/panic-image/firstboot
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check "the shipped panic.conf.example is good as it is" \
    sh "$fb" --check image-build/rootfs/usr/lib/panic-image/panic.conf.example
# Every example line uncommented, minus the alternatives that exclude each other.
grep -E '^#[a-z_.A-Z0-9-]+ ?=' image-build/rootfs/usr/lib/panic-image/panic.conf.example |
    sed 's/^#//' | grep -v '^wifi_eap\|^wifi_identity\|^wifi_password\|^coordinator=discover\|^ssh_key' \
    >"$tmp/all.conf"
check "every example value uncommented is good" sh "$fb" --check "$tmp/all.conf"

ssh-keygen -q -t ed25519 -N "" -C staff@laptop -f "$tmp/key" </dev/null >/dev/null
printf '\xef\xbb\xbfhostname = Panic-Lobby\r\nrole=both\r\n# a comment\r\n\r\ntimezone="Australia/Sydney"\r\n' >"$tmp/good.conf"
printf "wifi_ssid=Gallery Staff\r\nwifi_psk='pass word 1'\r\nwifi_country=au\r\nname.HDMI-A-2=lobby-right\r\n" >>"$tmp/good.conf"
printf 'ssh_key=%s\r\ndisplays=HDMI-A-1 HDMI-A-2\r\n' "$(cat "$tmp/key.pub")" >>"$tmp/good.conf"
check "a good panic.conf from a Windows editor (CRLF, BOM, quotes) passes" sh "$fb" --check "$tmp/good.conf"
printf 'wifi_ssid=Uni\nwifi_eap=peap\nwifi_identity=me@uni.example\nwifi_password=secret\n' >"$tmp/eap.conf"
check "WPA enterprise passes" sh "$fb" --check "$tmp/eap.conf"

# bad LINE... : the file fails and the output names line 1 with the expected words.
bad() { # what expected-words line...
    local what=$1 want=$2
    shift 2
    printf '%s\n' "$@" >"$tmp/bad.conf"
    local out
    out=$(sh "$fb" --check "$tmp/bad.conf")
    local rc=$?
    check "refused: $what" test "$rc" -ne 0
    check "  says why: $what" grep -q "^panic.conf:1: .*$want" <<<"$out"
}
bad "a hostname starting with -" "hostname '-lobby'" "hostname=-lobby"
bad "a hostname with _" "hostname 'a_b'" "hostname=a_b"
bad "an unknown role" "role 'kiosk'" "role=kiosk"
bad "a short Wi-Fi passphrase" "wifi_psk" "wifi_psk=short" "wifi_ssid=x"
bad "a passphrase without an SSID" "without wifi_ssid" "wifi_psk=long enough"
bad "an SSID without a passphrase" "needs wifi_psk" "wifi_ssid=Gallery"
bad "enterprise without a password" "needs wifi_identity" "wifi_eap=PEAP" "wifi_ssid=Uni" "wifi_identity=me"
bad "a country of three letters" "wifi_country 'AUS'" "wifi_country=AUS"
bad "a timezone not in the database" "Mars/Base" "timezone=Mars/Base"
bad "a timezone outside the database" "timezone '../../etc/passwd'" "timezone=../../etc/passwd"
bad "an unknown key (a typo)" "unknown key 'hostnme'" "hostnme=x"
bad "a line without =" "expected key=value" "hostname lobby"
bad "a coordinator that is no http URL" "coordinator 'ftp://x'" "coordinator=ftp://x"
bad "a coordinator with a space" "coordinator 'http://a b'" "coordinator=http://a b"
bad "a public key that is not one" "ssh_key" "ssh_key=ssh-ed25519 AAAAnotakey"
bad "a private key pasted by mistake" "ssh_key" "ssh_key=-----BEGIN OPENSSH PRIVATE KEY-----"
bad "an output name that is not one" "'HDMI 1'" "name.HDMI 1=x"
bad "a screen name with spaces" "name.HDMI-A-1 'lobby left'" "name.HDMI-A-1=lobby left"
bad "a device token with a space" "device_token" "device_token=abc def ghi jkl mno"
printf 'hostname=ok\nrole=kiosk\n' >"$tmp/mixed.conf"
out=$(sh "$fb" --check "$tmp/mixed.conf")
check "one bad line fails the whole file (nothing applied)" test $? -ne 0
check "  and names that line" grep -q "^panic.conf:2: role" <<<"$out"
finish check_panic_conf
