#!/usr/bin/env bash
# The cross build root, build/cross/root: a Debian chroot of this machine's release made by
# mmdebstrap (--variant=buildd, amd64 native + arm64 foreign) holding crossbuild-essential-arm64
# and debian/control's Build-Depends for arm64 (`apt-get build-dep -a arm64`), plus the arm64
# sanitizer runtimes for test-arm64. The arm64 -dev packages live here and not on this machine
# because libleptonica-dev:arm64 cannot be installed beside the amd64 one.
#   buildroot.sh ensure              make it if missing; re-resolve the build deps when
#                                    debian/control changed (a stamp keeps its hash)
#   buildroot.sh run DIR -- CMD...   run CMD inside, in DIR of this tree (bind-mounted at /work)
#   buildroot.sh size                its size and when it was made
#   buildroot.sh binfmt              arm64 binaries run here through qemu-user: mounts
#                                    binfmt_misc and enables qemu-aarch64 where needed; exits 0,
#                                    or 1 with the reason on stderr
# Needs root (mmdebstrap's root mode, chroot, bind mounts); the host tools come from
# scripts/deps.sh arm64. Used by make test-arm64 and make deb ARCH=arm64.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
root=$top/build/cross/root
stamp=$top/build/cross/stamp
deps_hash() { cat debian/control scripts/buildroot.sh | sha256sum | cut -d' ' -f1; }

need_root() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "buildroot: needs root (mmdebstrap root mode, chroot, bind mounts)" >&2
        exit 77
    fi
}

# panicd's Recommends that are engine data (arch all), so the builtin engines' tests run for
# real under qemu-user too.
engine_data() {
    awk '/^Package: /{p=($2=="panicd")} p&&/^Recommends:/{r=1; sub(/^Recommends:/,"")}
         p&&r&&/^[^ ]/&&!/^Recommends:/{r=0} p&&r{print}' debian/control |
        tr ',' '\n' | tr -d ' ' | grep -E -- '-(data|en-us|eng)$' | tr '\n' ' '
}

# Inside the root: the arm64 build deps from debian/control (copied to /tmp/panic-src), the
# sanitizer runtimes and the engine data.
resolve_deps() { # root dir
    mkdir -p "$1/tmp/panic-src/debian"
    cp debian/control debian/changelog "$1/tmp/panic-src/debian/"
    chroot "$1" sh -ec 'export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get build-dep -y -qq --no-install-recommends -a arm64 /tmp/panic-src
        apt-get install -y -qq --no-install-recommends libasan8:arm64 libubsan1:arm64 '"$(engine_data)"'
        apt-get clean'
}

ensure() {
    need_root
    scripts/deps.sh arm64
    if [ -f "$stamp" ] && [ -d "$root/usr" ]; then
        [ "$(cat "$stamp")" = "$(deps_hash)" ] && return 0
        echo "buildroot: debian/control changed, updating the build deps in $root"
        with_mounts "$root" "$top/scripts/buildroot.sh" resolve-in "$root"
        deps_hash >"$stamp"
        return 0
    fi
    . /etc/os-release
    local suite=${VERSION_CODENAME:-bookworm} start
    start=$(date +%s)
    rm -rf "$root" "$root.new"
    mkdir -p "$(dirname "$root")"
    # The host's own apt sources where it has them (same mirror, same release), else Debian's.
    local mirrors=()
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        mirrors=(/etc/apt/sources.list.d/debian.sources)
    elif [ -s /etc/apt/sources.list ]; then
        mirrors=(/etc/apt/sources.list)
    fi
    echo "buildroot: making $root ($suite, amd64+arm64) with mmdebstrap"
    mmdebstrap --mode=root --variant=buildd --architectures=amd64,arm64 \
        --include=crossbuild-essential-arm64,debhelper,ca-certificates \
        --customize-hook="$top/scripts/buildroot.sh resolve-in \"\$1\"" \
        "$suite" "$root.new" "${mirrors[@]}"
    mv "$root.new" "$root"
    deps_hash >"$stamp"
    echo "buildroot: made in $(($(date +%s) - start)) s, $(du -sh "$root" | cut -f1)"
}

# Run "$@" with /proc, /dev and /sys of the host mounted in the root (a private mount
# namespace: the mounts go away with it).
with_mounts() { # root cmd...
    local r=$1
    shift
    unshare --mount --propagation private -- bash -ec '
        r=$1; shift
        mount -t proc proc "$r/proc"
        mount --rbind /dev "$r/dev"
        mount --rbind /sys "$r/sys"
        cp -L /etc/resolv.conf "$r/etc/resolv.conf" 2>/dev/null || true
        "$@"' bash "$r" "$@"
}

run() { # DIR -- CMD...
    need_root
    local dir=$1
    shift
    [ "${1:-}" = "--" ] && shift
    [ -d "$root/usr" ] || {
        echo "buildroot: no build root yet (buildroot.sh ensure)" >&2
        exit 1
    }
    local rel
    rel=$(realpath --relative-to="$top" "$dir")
    case "$rel" in ../*) echo "buildroot: $dir is outside the tree" >&2 && exit 2 ;; esac
    mkdir -p "$root/work"
    with_mounts "$root" bash -ec '
        mount --bind "$1" "$2/work"
        r=$2; rel=$3; shift 3
        exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
            LANG=C.UTF-8 TERM="${TERM:-dumb}" DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-}" \
            ASAN_OPTIONS="${ASAN_OPTIONS:-}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" \
            sh -c "cd /work/$rel && exec \"\$@\"" sh "$@"' bash "$top" "$root" "$rel" "$@"
}

# qemu-user through binfmt_misc. A machine whose PID 1 is not systemd has binfmt_misc
# unmounted and nothing registered; fix_binary (flag F) makes the interpreter work in chroots.
binfmt() {
    need_root
    scripts/deps.sh arm64
    local bm=/proc/sys/fs/binfmt_misc
    if [ ! -e "$bm/register" ]; then
        mount -t binfmt_misc binfmt_misc "$bm" 2>/dev/null || {
            echo "cannot mount binfmt_misc at $bm" >&2
            return 1
        }
    fi
    if [ -e "$bm/qemu-aarch64" ]; then
        grep -q '^enabled' "$bm/qemu-aarch64" || echo 1 >"$bm/qemu-aarch64" || true
    else
        update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
    fi
    grep -q '^enabled' "$bm/qemu-aarch64" 2>/dev/null || {
        echo "qemu-aarch64 is not registered in $bm" >&2
        return 1
    }
    grep -q '^flags:.*F' "$bm/qemu-aarch64" || {
        echo "qemu-aarch64 lacks the fix-binary flag (F)" >&2
        return 1
    }
}

case "${1:-}" in
ensure) ensure ;;
binfmt) binfmt ;;
resolve-in) resolve_deps "$2" ;; # mmdebstrap's customize hook (mounts are mmdebstrap's)
run)
    shift
    run "$@"
    ;;
size)
    [ -d "$root/usr" ] && echo "buildroot: $(du -sh "$root" | cut -f1) made $(stat -c %y "$stamp")"
    ;;
*)
    echo "usage: buildroot.sh ensure | run DIR -- CMD... | size | binfmt" >&2
    exit 2
    ;;
esac
