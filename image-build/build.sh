#!/usr/bin/env bash
# make image: a flashable Raspberry Pi image (Pi 3, 4, 400, CM4, Zero 2 W) from Debian's archive
# alone, for one role: coordinator (panicd and its screens), display (screens following another
# Pi's panicd; panicd masked) or both (the same as coordinator).
#   build.sh [coordinator|display|both]   -> build/image/panic-ROLE-arm64.img.zst
# Steps, each timed:
#   1. the arm64 .debs (scripts/deb.sh arm64: the cross build root, DEB_BUILD_OPTIONS=nocheck;
#      make test-arm64 runs the tests) unless PANIC_IMAGE_DEBS names a folder of built ones;
#   2. the base rootfs, cached in build/image-cache/base-KEY.tar: mmdebstrap of bookworm (main
#      contrib non-free-firmware) with packages.list plus the .debs' Depends and Recommends, the
#      kernel, raspi-firmware and a small initramfs (MODULES=list). KEY hashes the package list,
#      this script and rootfs/etc/initramfs-tools, so new .debs alone reuse it;
#   3. the image tree: the base unpacked, rootfs/ copied over, the .debs installed with apt in a
#      chroot (qemu-user), units enabled for the role, host keys and machine-id removed;
#   4. genimage (nothing mounted): FAT RASPIFIRM (/boot/firmware, panic.conf.example), ext4
#      RASPIROOT (/, mounted read-only), ext4 PANICSTATE (/var: state, caches, the journal);
#   5. zstd. The kernel and initrd for make image-test go next to the image.
# Needs root (mmdebstrap root mode, chroot) and binfmt_misc for arm64 (scripts/buildroot.sh binfmt).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
role=${1:-coordinator}
case "$role" in
coordinator | display | both) ;;
*)
    echo "image: ROLE must be coordinator, display or both, not '$role'" >&2
    exit 2
    ;;
esac
suite=bookworm
out=build/image
cache=build/image-cache
work=build/image-work/$role
name=panic-$role-arm64
log() { echo "image: $*"; }
t0=$(date +%s)
lap=$t0
step() { # name: prints the time since the last step
    local now
    now=$(date +%s)
    log "$1 took $((now - lap)) s"
    lap=$now
}

if [ "$(id -u)" -ne 0 ]; then
    echo "image: needs root (mmdebstrap root mode, chroot)" >&2
    exit 77
fi
scripts/deps.sh image
scripts/buildroot.sh binfmt || {
    echo "image: arm64 binaries cannot run here (binfmt_misc), so no arm64 rootfs" >&2
    exit 1
}

# 1. The packages.
debs=${PANIC_IMAGE_DEBS:-}
if [ -z "$debs" ]; then
    DEB_BUILD_OPTIONS="nocheck ${DEB_BUILD_OPTIONS:-}" scripts/deb.sh arm64
    version=$(dpkg-parsechangelog -S Version 2>/dev/null || sed -n '1s/.*(\(.*\)).*/\1/p' debian/changelog)
    debs=$cache/debs
    rm -rf "$debs"
    mkdir -p "$debs"
    for p in panicd panic-display panicctl panic-common; do
        for f in build/deb-out/${p}_"${version}"_{arm64,all}.deb; do
            [ -e "$f" ] && cp "$f" "$debs/"
        done
    done
    step "the arm64 .debs"
fi
ls "$debs"/*.deb >/dev/null 2>&1 || {
    echo "image: no .debs in $debs" >&2
    exit 1
}

# 2. The base rootfs: packages.list and what the .debs need (names only; apt picks versions).
local_names=$(for f in "$debs"/*.deb; do dpkg-deb -f "$f" Package; done | sort)
pkgs=$(
    {
        grep -v '^ *#' image-build/packages.list | tr -s ' \t' '\n'
        for f in "$debs"/*.deb; do
            dpkg-deb -f "$f" Depends Recommends | sed 's/^[A-Za-z-]*://' | tr ',' '\n' |
                sed 's/|.*//; s/(.*)//; s/:any//; s/ //g'
        done
    } | grep -v '^$' | sort -u | grep -vxF -f <(echo "$local_names")
)
# The recipe of the base: its text is part of the cache key, the rest of this script is not.
make_base() { # tar
    local sources="deb http://deb.debian.org/debian $suite main contrib non-free-firmware
deb http://deb.debian.org/debian $suite-updates main contrib non-free-firmware
deb http://deb.debian.org/debian-security $suite-security main contrib non-free-firmware"
    # The initramfs settings go in before the kernel, so its one mkinitramfs run is the short
    # one (MODULES=most under emulation takes about 15 min).
    nice mmdebstrap --mode=root --format=tar --architectures=arm64 --variant=apt \
        --include="$(echo "$pkgs" | paste -sd,)" \
        --setup-hook='mkdir -p "$1/etc/initramfs-tools"' \
        --setup-hook="cp -r $top/image-build/rootfs/etc/initramfs-tools/. \"\$1/etc/initramfs-tools/\"" \
        --customize-hook='chroot "$1" apt-get clean' \
        --customize-hook='rm -f "$1"/var/lib/apt/lists/*_Packages "$1"/var/lib/apt/lists/*_Translation-*' \
        "$suite" "$1" - <<<"$sources"
}
key=$({
    echo "$suite"
    echo "$pkgs"
    declare -f make_base
    find image-build/rootfs/etc/initramfs-tools -type f | sort | xargs cat
} | sha256sum | cut -c1-16)
base=$cache/base-$key.tar
mkdir -p "$cache" "$out"
if [ ! -s "$base" ]; then
    log "making the base rootfs $base ($(echo "$pkgs" | wc -l) packages; 15 to 30 min under emulation)"
    make_base "$base.new"
    mv "$base.new" "$base"
    # Older bases go: one per key is enough.
    find "$cache" -maxdepth 1 -name 'base-*.tar' ! -name "base-$key.tar" -delete
    step "the base rootfs ($(du -h "$base" | cut -f1))"
else
    log "base rootfs from the cache: $base"
fi

# 3. The image tree.
root=$work/root
rm -rf "$work"
mkdir -p "$root"
tar -C "$root" -xpf "$base"
cp -r image-build/rootfs/. "$root/"
mkdir -p "$root/tmp/panic-debs"
cp "$debs"/*.deb "$root/tmp/panic-debs/"
cp image-build/configure.sh "$root/tmp/panic-configure.sh"
unshare --mount --propagation private -- bash -ec '
    r=$1; shift
    mount -t proc proc "$r/proc"
    mount --rbind /dev "$r/dev"
    mount --rbind /sys "$r/sys"
    mount -t tmpfs tmpfs "$r/run"
    rm -f "$r/etc/resolv.conf"
    cp -L /etc/resolv.conf "$r/etc/resolv.conf"
    chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
        DEBIAN_FRONTEND=noninteractive sh /tmp/panic-configure.sh "$@"' \
    bash "$root" "$role"
rm -rf "$root/tmp/panic-debs" "$root/tmp/panic-configure.sh"
step "the image tree ($role)"

# 4. The partitions. The boot files and /var become partitions of their own; / keeps empty
# mount points.
parts=$work/parts
mkdir -p "$parts/boot" "$parts/var" "$parts/tmp"
mv "$root/boot/firmware/." "$parts/boot/" 2>/dev/null || cp -a "$root/boot/firmware/." "$parts/boot/"
find "$root/boot/firmware" -mindepth 1 -delete
cp -a "$root/var/." "$parts/var/"
find "$root/var" -mindepth 1 -delete
cp "$root/vmlinuz" "$out/$name.vmlinuz" 2>/dev/null || cp "$root"/boot/vmlinuz-* "$out/$name.vmlinuz"
cp "$root/initrd.img" "$out/$name.initrd" 2>/dev/null || cp "$root"/boot/initrd.img-* "$out/$name.initrd"
mb() { du -sm "$1" | cut -f1; }
root_mb=$(($(mb "$root") * 5 / 4 + 200))
var_mb=$(($(mb "$parts/var") * 3 / 2 + 512))
sed -e "s|@ROOT_MB@|$root_mb|; s|@VAR_MB@|$var_mb|" \
    -e "s|@BOOT@|$top/$parts/boot|; s|@ROOT@|$top/$root|; s|@VAR@|$top/$parts/var|" \
    -e "s|@NAME@|$name.img|" image-build/genimage.cfg >"$work/genimage.cfg"
rm -rf "$work/gen-tmp"
nice genimage --config "$work/genimage.cfg" --rootpath "$top/$root" --tmppath "$top/$work/gen-tmp" \
    --inputpath "$top/$work" --outputpath "$top/$work/out" >"$work/genimage.log" 2>&1 || {
    tail -20 "$work/genimage.log" >&2
    echo "image: genimage failed (whole log: $work/genimage.log)" >&2
    exit 1
}
step "genimage (boot 256 MB, root $root_mb MB, state $var_mb MB)"

# 5. Compressed; the tree goes (it is rebuilt from the cache in a minute).
rm -f "$out/$name.img.zst"
nice zstd -q -T2 -9 "$work/out/$name.img" -o "$out/$name.img.zst"
step "zstd"
alloc=$(du -m "$work/out/$name.img" | cut -f1)
rm -rf "$work"
log "$out/$name.img.zst: $(du -h "$out/$name.img.zst" | cut -f1) compressed, $alloc MB allocated," \
    "made in $(($(date +%s) - t0)) s"
log "flash it: zstdcat $out/$name.img.zst | dd of=/dev/sdX bs=4M conv=fsync (image-build/README.md)"
