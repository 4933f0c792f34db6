#!/usr/bin/env bash
# Installs the packages of build/deb-out (this machine's architecture) into a fresh Debian
# chroot (mmdebstrap, cached nowhere: build/cross/deb-check is made anew) the way an image
# would, and checks what a fresh install must give: the units pass systemd-analyze verify,
# the panic-display user and the gpio group exist, /etc/panic holds the conffiles, panicd
# starts with and without /etc/panic/panicd.conf and finds the deck and font under
# /usr/share/panic, panicctl reaches it, panic-display draws offscreen frames with the
# installed font, panic-tda (in panicctl) computes a bar. Ends with "deb-check: N passed,
# N failed". Needs root; run after make deb.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || {
    echo "deb-check: skipped: needs root"
    exit 0
}
arch=$(dpkg --print-architecture)
version=$(sed -n '1s/.*(\(.*\)).*/\1/p' debian/changelog)
debs=()
for p in panic-common:all panicd:$arch panic-display:$arch panicctl:$arch; do
    f=$PWD/build/deb-out/${p%%:*}_${version}_${p##*:}.deb
    [ -f "$f" ] || {
        echo "deb-check: no $f (make deb first)" >&2
        exit 1
    }
    debs+=("$f")
done
root=$PWD/build/cross/deb-check
rm -rf "$root"
mkdir -p "$(dirname "$root")"
. /etc/os-release
mirrors=()
[ -f /etc/apt/sources.list.d/debian.sources ] && mirrors=(/etc/apt/sources.list.d/debian.sources)
start=$(date +%s)
# Local .debs go in through a hook (copied in, then apt resolves their dependencies, the
# Recommends included, as an image build would).
mmdebstrap --mode=root --variant=apt --include=systemd,udev \
    --customize-hook='mkdir -p "$1/tmp/debs"' \
    --customize-hook="copy-in ${debs[*]} /tmp/debs" \
    --customize-hook='chroot "$1" sh -c "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --install-recommends /tmp/debs/*.deb"' \
    "${VERSION_CODENAME:-bookworm}" "$root" "${mirrors[@]}"
echo "deb-check: chroot with the packages in $(($(date +%s) - start)) s"
cat >"$root/tmp/check.sh" <<'IN'
set -u
passed=0 failed=0
check() { if eval "$2" >/tmp/out 2>&1; then echo "ok   $1"; passed=$((passed+1));
          else echo "FAIL $1"; sed 's/^/  | /' /tmp/out | tail -n 15; failed=$((failed+1)); fi; }
check "units verify (man pages: --man=no, the chroot has no man-db)" "systemd-analyze verify --man=no panicd.service panic-display@HDMI-A-1.service"
check "panic-display user" "getent passwd panic-display"
check "gpio group" "getent group gpio"
check "/run/panic from tmpfiles" "systemd-tmpfiles --create panic-display.conf && test -d /run/panic && stat -c %G /run/panic | grep -qx panic-display"
check "conffiles" "dpkg-query -W -f='\${Conffiles}' panicd panic-display | grep -q /etc/panic/panicd.conf && dpkg-query -W -f='\${Conffiles}' panic-display | grep -q /etc/panic/display.conf"
check "panicd enabled, display template not" "systemctl is-enabled panicd.service && ! test -e /etc/systemd/system/multi-user.target.wants/panic-display@.service"
check "Documentation= man pages" "test -f /usr/share/man/man8/panicd.8.gz && test -f /usr/share/man/man8/panic-display.8.gz && test -f /usr/share/man/man1/panicctl.1.gz"
start_panicd() { # log file
    rm -rf /tmp/state; panicd --state-dir /tmp/state --listen 127.0.0.1:18123 >"$1" 2>&1 &
    pid=$!
    for i in $(seq 50); do panicctl --coordinator http://127.0.0.1:18123 health >/dev/null 2>&1 && return 0; sleep 0.2; done
    return 1
}
stop_panicd() { kill "$pid"; wait "$pid" 2>/dev/null; true; }
check "panicd starts with the installed conffile" "start_panicd /tmp/p1.log"
stop_panicd
check "panicd used the installed deck" "grep -q 'prompt deck path=/usr/share/panic/prompts.txt' /tmp/p1.log"
mv /etc/panic/panicd.conf /tmp/panicd.conf.saved
check "panicd starts with no /etc/panic/panicd.conf" "start_panicd /tmp/p2.log"
check "panicctl status through the installed panicctl" "panicctl --coordinator http://127.0.0.1:18123 status"
stop_panicd
mv /tmp/panicd.conf.saved /etc/panic/panicd.conf
check "panic-tda from the panicctl package" "printf '0 0\\n3 4\\n' | panic-tda ph | grep -qx '0 0 5'"
check "panic-display draws offscreen with the installed font" "cd /tmp && panic-display --offscreen --frames 3 --screenshot /tmp/frames --state-dir /tmp/dstate && ls /tmp/frames | grep -q png"
echo "deb-check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
IN
unshare --mount --propagation private -- bash -ec '
    r=$1
    mount -t proc proc "$r/proc"; mount --rbind /dev "$r/dev"; mount --rbind /sys "$r/sys"
    mount -t tmpfs tmpfs "$r/run"
    chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
        bash /tmp/check.sh' bash "$root"
