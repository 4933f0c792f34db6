#!/usr/bin/env bash
# make image-test: boots build/image/panic-ROLE-arm64.img.zst (make image) under
# qemu-system-aarch64 -M virt (TCG, cortex-a72, 2 CPUs, virtio disk, GPU and NIC, an i6300esb
# watchdog for RuntimeWatchdogSec) with the image's own kernel and initrd, after writing a
# panic.conf onto the FAT partition of a copy with mtools and growing the copy by 512 MB.
# Checks, with panicd on a forwarded port and SSH (the key from panic.conf) on another:
#   the first boot applied panic.conf (hostname, role, timezone, screen name, SSH key) and
#   renamed it; the root is read-only, /var is the state partition and grew; panicd's health;
#   a run started through the API produces invocations; QEMU's screendump is not one colour
#   and shows the run's cells; no unit failed; systemd-analyze verify passes for every PANIC!
#   unit. Reports boot-to-health and boot-to-first-frame, ends with "N passed, N failed".
#   test.sh [coordinator|both]   (a display-only image has no panicd to test here)
# QEMU is ended on every path. Missing tools or image: says so and exits 1.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
role=${1:-coordinator}
name=panic-$role-arm64
img=build/image/$name.img.zst
passed=0
failed=0
check() { # name status [detail]
    if [ "$2" = 0 ]; then
        passed=$((passed + 1))
        echo "ok   $1"
    else
        failed=$((failed + 1))
        echo "FAIL $1"
        [ -z "${3:-}" ] || echo "  $3"
    fi
}
die() {
    echo "image-test: $*" >&2
    echo "image-test: $passed passed, $((failed + 1)) failed"
    exit 1
}
case "$role" in coordinator | both) ;; *) die "boots a coordinator image (ROLE=coordinator or both), not $role" ;; esac
for t in qemu-system-aarch64 mcopy zstd curl ssh ssh-keygen socat ppmhist pnmtoplainpnm sfdisk ss; do
    command -v "$t" >/dev/null || die "$t is missing (scripts/deps.sh image installs it)"
done
for f in "$img" "build/image/$name.vmlinuz" "build/image/$name.initrd"; do
    [ -s "$f" ] || die "no $f: make image ROLE=$role first"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/panic-image-test.XXXXXX")
qpid=""
cleanup() {
    if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
        echo quit | socat - "UNIX-CONNECT:$tmp/mon.sock" >/dev/null 2>&1
        for _ in 1 2 3 4 5; do kill -0 "$qpid" 2>/dev/null || break; sleep 1; done
        kill "$qpid" 2>/dev/null
    fi
    [ -n "${KEEP:-}" ] && echo "image-test: kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The disk: a copy with panic.conf on its FAT partition (at 4 MiB, genimage.cfg) and 512 MB of
# free space after the state partition for the first boot to grow into.
zstd -q -d "$img" -o "$tmp/disk.img" || die "cannot decompress $img"
state_mb_before=$(sfdisk -d "$tmp/disk.img" | awk -F'size= *' '/disk.img3/ { split($2, a, ","); print int(a[1] / 2048) }')
truncate -s +512M "$tmp/disk.img"
host=panic-itest-$((RANDOM % 9000 + 1000))
screen=itest-screen
ssh-keygen -q -t ed25519 -N "" -C image-test -f "$tmp/key"
cat >"$tmp/panic.conf" <<CONF
# written by make image-test
hostname=$host
role = $role
timezone="Australia/Sydney"
name.HDMI-A-1=$screen
ssh_key=$(cat "$tmp/key.pub")
CONF
mcopy -o -i "$tmp/disk.img@@4M" "$tmp/panic.conf" ::panic.conf || die "mcopy onto the FAT partition failed"

free_port() {
    local p
    for _ in $(seq 50); do
        p=$((20000 + RANDOM % 40000))
        ss -ltnH "sport = :$p" | grep -q . || {
            echo "$p"
            return
        }
    done
    echo 0
}
api_port=$(free_port)
ssh_port=$(free_port)
[ "$api_port" != "$ssh_port" ] || ssh_port=$((api_port + 1))
api=http://127.0.0.1:$api_port/api/v1

t0=$(date +%s)
qemu-system-aarch64 -M virt -cpu cortex-a72 -smp 2 -m 2048 \
    -kernel "build/image/$name.vmlinuz" -initrd "build/image/$name.initrd" \
    -append "root=LABEL=RASPIROOT ro rootwait console=ttyAMA0 net.ifnames=0 consoleblank=0 vt.global_cursor_default=0" \
    -drive "file=$tmp/disk.img,if=none,format=raw,id=hd0" -device virtio-blk-pci,drive=hd0 \
    -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$api_port-:8080,hostfwd=tcp:127.0.0.1:$ssh_port-:22" \
    -device virtio-net-pci,netdev=n0,romfile= -device virtio-gpu-pci -device i6300esb \
    -display none -serial "file:$tmp/serial.log" \
    -monitor "unix:$tmp/mon.sock,server=on,wait=off" >"$tmp/qemu.log" 2>&1 &
qpid=$!
echo "image-test: booting $img (QEMU pid $qpid, panicd on port $api_port, ssh on $ssh_port)"

limit=${PANIC_IMAGE_BOOT_TIMEOUT:-900}
alive() { kill -0 "$qpid" 2>/dev/null; }
# screendump FILE: QEMU's monitor writes the GPU's current frame as a PPM.
screendump() {
    rm -f "$1"
    echo "screendump $1" | socat - "UNIX-CONNECT:$tmp/mon.sock" >/dev/null 2>&1
    for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$1" ] && break; sleep 0.5; done
    [ -s "$1" ]
}
# hist FILE: "DISTINCT PAGE CELL": the number of colours, and the share (per mille) of the
# page's zinc-900 (#18181b) and of the cell colours (zinc-800 text, rose invoking, dark rose
# failed) in the frame.
hist() {
    ppmhist -noheader "$1" 2>/dev/null | awk '
        { n++; t += $5; k = $1 "," $2 "," $3 }
        k == "24,24,27" { page += $5 }
        k == "39,39,42" || k == "244,63,94" || k == "76,5,25" { cell += $5 }
        END { if (!t) t = 1; printf "%d %d %d\n", n, page * 1000 / t, cell * 1000 / t }'
}
# side_by_side FILE: the most cells next to each other on one pixel row (runs of cell colour
# at least 8 px long, separated by the page colour).
side_by_side() {
    pnmtoplainpnm "$1" 2>/dev/null | awk '
        NR == 1 || NR == 3 { next } NR == 2 { w = $1; next }
        { for (i = 1; i <= NF; i++) { v[n++ % 3] = $i; if (n % 3 == 0) px(v[0] "," v[1] "," v[2]) } }
        function px(k,   x) {
            x = p++ % w
            if (x == 0) { inrun = 0; runs = 0; len = 0 }
            if (k == "39,39,42" || k == "244,63,94" || k == "76,5,25") {
                if (++len >= 8 && !inrun) { inrun = 1; runs++ }
            } else if (k == "24,24,27") { inrun = 0; len = 0 }
            if (x == w - 1 && runs > best) best = runs
        }
        END { print best + 0 }'
}

# Health, and the first frame that is not one colour, as they come.
t_health="" t_frame=""
while :; do
    now=$(date +%s)
    alive || break
    [ $((now - t0)) -lt "$limit" ] || break
    if [ -z "$t_health" ] && curl -fsS -m 5 "$api/health" >"$tmp/health.json" 2>/dev/null; then
        t_health=$((now - t0))
        echo "image-test: panicd healthy after $t_health s: $(cat "$tmp/health.json")"
    fi
    # panic-display's frame: the page colour over a good part of the screen (not the console).
    if [ -z "$t_frame" ] && screendump "$tmp/frame.ppm" && [ "$(hist "$tmp/frame.ppm" | cut -d' ' -f2)" -ge 300 ]; then
        t_frame=$(($(date +%s) - t0))
        echo "image-test: first frame after $t_frame s"
    fi
    [ -n "$t_health" ] && [ -n "$t_frame" ] && break
    sleep 3
done
alive || {
    tail -30 "$tmp/serial.log" "$tmp/qemu.log"
    die "QEMU ended during the boot"
}
check "panicd answers /api/v1/health through the forwarded port (boot to health: ${t_health:-none} s)" \
    "$([ -n "$t_health" ]; echo $?)" "$(tail -20 "$tmp/serial.log")"
check "panic-display draws its first frame (boot to first frame: ${t_frame:-none} s)" \
    "$([ -n "$t_frame" ]; echo $?)"
[ -n "$t_health" ] || die "no health within $limit s; the serial console's end is above"

# SSH as root with the key panic.conf gave (no password login exists).
sshq() {
    ssh -q -i "$tmp/key" -p "$ssh_port" -o BatchMode=yes -o StrictHostKeyChecking=no \
        -o UserKnownHostsFile=/dev/null -o ConnectTimeout=10 root@127.0.0.1 "$@"
}
for _ in $(seq 30); do sshq true && break; sleep 4; done
sshq true
check "SSH as root with panic.conf's key" $?
sshq true 2>/dev/null || die "no SSH, so nothing more can be checked"
check "no password login: sshd refuses passwords" "$(sshq sshd -T | grep -qx 'passwordauthentication no'; echo $?)"

got=$(sshq hostname)
check "panic.conf's hostname applied ($host)" "$([ "$got" = "$host" ]; echo $?)" "hostname is '$got'"
got=$(sshq cat /etc/panic/role)
check "panic.conf's role applied ($role)" "$([ "$got" = "$role" ]; echo $?)" "/etc/panic/role is '$got'"
got=$(sshq readlink /etc/localtime)
check "panic.conf's timezone applied" "$(echo "$got" | grep -q 'Australia/Sydney$'; echo $?)" "/etc/localtime -> $got"
got=$(sshq 'ps -eo args | grep "^/usr/bin/panic-display"')
check "panic.conf's screen name applied ($screen)" "$(echo "$got" | grep -q -- "--name $screen "; echo $?)" "$got"
got=$(sshq ls /boot/firmware)
check "panic.conf renamed to panic.conf.applied, no errors file" \
    "$(echo "$got" | grep -qx panic.conf.applied && ! echo "$got" | grep -qx 'panic.conf\|panic.conf.errors'; echo $?)" \
    "$(echo "$got" | grep panic)"
check "the example panic.conf is on the boot partition" "$(echo "$got" | grep -qx panic.conf.example; echo $?)"
got=$(sshq findmnt -no OPTIONS /)
check "the root is mounted read-only" "$(echo "$got" | grep -q '^ro'; echo $?)" "/ is $got"
got=$(sshq findmnt -no SOURCE,OPTIONS /var)
check "/var is the state partition, read-write" "$(echo "$got" | grep -q '^/dev/vda3 *rw'; echo $?)" "/var is $got"
got=$(sshq df -m --output=size /var | tail -1 | tr -d ' ')
check "the first boot grew the state partition ($state_mb_before MB -> ${got:-?} MB)" \
    "$([ "${got:-0}" -gt $((state_mb_before + 400)) ]; echo $?)"
got=$(sshq 'cat /proc/sys/kernel/random/boot_id >/dev/null; systemctl show -p RuntimeWatchdogUSec --value')
check "the hardware watchdog is on (RuntimeWatchdogSec)" "$(echo "$got" | grep -q '^15s$'; echo $?)" "RuntimeWatchdogUSec=$got"
got=$(sshq cat /proc/cmdline)
check "the kernel hides the console cursor and never blanks" \
    "$(echo "$got" | grep -q 'vt.global_cursor_default=0' && echo "$got" | grep -q 'consoleblank=0'; echo $?)" "$got"
got=$(sshq 'grep -h "^[^#]" /boot/firmware/cmdline.txt')
check "the Pi's cmdline.txt names the root by label, read-only, no cursor" \
    "$(echo "$got" | grep -q 'root=LABEL=RASPIROOT' && echo "$got" | grep -qw ro && echo "$got" | grep -q 'vt.global_cursor_default=0'; echo $?)" "$got"

# A run through the API with the generated admin token.
token=$(sshq cat /var/lib/private/panic/admin.token)
check "the admin token is in panicd's state dir" "$([ ${#token} -ge 16 ]; echo $?)"
net=$(curl -fsS -m 20 "$api/networks" | grep -o '"id":[0-9]*' | head -1 | cut -d: -f2)
check "panicd has a default network" "$([ -n "$net" ]; echo $?)"
code=$(curl -sS -m 30 -o "$tmp/run.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d '{"prompt":"a lighthouse made of glass"}' "$api/networks/$net/runs")
check "a run starts through the API (201)" "$([ "$code" = 201 ]; echo $?)" "HTTP $code: $(cat "$tmp/run.json")"
cells=0 shot="0 0 0" n=0
for _ in $(seq 40); do
    n=$(curl -fsS -m 20 "$api/networks/$net/runs/current" | grep -o '"seq":[0-9]*' | wc -l)
    if [ "$n" -ge 2 ] && screendump "$tmp/run.ppm"; then
        shot=$(hist "$tmp/run.ppm")
        cells=$(side_by_side "$tmp/run.ppm")
        [ "$(echo "$shot" | cut -d' ' -f3)" -ge 20 ] && [ "$cells" -ge 2 ] && break
    fi
    sleep 5
done
check "the run has invocations ($n so far)" "$([ "$n" -ge 2 ]; echo $?)"
cols=$(curl -fsS -m 20 "$api/displays/$screen" | grep -o '"cols":[0-9]*' | cut -d: -f2)
read -r distinct page cell <<<"$shot"
echo "image-test: screendump: $distinct colours, page $page/1000, cells $cell/1000," \
    "$cells cells side by side (the screen's grid has ${cols:-?} columns)"
check "the screendump is not one colour" "$([ "$distinct" -gt 1 ]; echo $?)"
check "the run's cells are on the screen (cell colours >= 2% of it, >= 2 cells side by side)" \
    "$([ "$cell" -ge 20 ] && [ "$cells" -ge 2 ]; echo $?)" "$shot, $cells side by side"

# Units: none failed, and every PANIC! unit passes systemd-analyze verify.
got=$(sshq systemctl --failed --plain --no-legend)
check "no unit failed" "$([ -z "$got" ]; echo $?)" "$got"
for u in panicd.service panic-display@HDMI-A-1.service panic-firstboot.service panic-discover.service; do
    got=$(sshq "systemd-analyze verify --man=no $u 2>&1")
    check "systemd-analyze verify $u" "$([ -z "$got" ]; echo $?)" "$got"
done
got=$(sshq systemctl is-system-running)
check "systemctl is-system-running: running" "$([ "$got" = running ]; echo $?)" "$got"

echo "image-test: boot to health ${t_health:-none} s, boot to first frame ${t_frame:-none} s (QEMU TCG)"
echo "image-test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
