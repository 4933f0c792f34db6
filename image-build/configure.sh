#!/bin/sh
# Runs inside the image tree (chroot, qemu-user) from build.sh: installs the local .debs copied
# to /tmp/panic-debs, points the boot files at the labelled root, enables the units of the role
# (coordinator, display or both) and removes what must differ per card (SSH host keys,
# machine-id), which the first boot makes (usr/lib/panic-image/firstboot).
set -eu
role=$1

apt-get install -y -q --no-install-recommends /tmp/panic-debs/*.deb

# Boot: cmdline.txt and config.txt from /etc/default/raspi-firmware*, then the kernel and
# initramfs copied to /boot/firmware again by raspi-firmware's own hook.
cat >/etc/default/raspi-firmware <<'CONF'
# The PANIC! image: the root by label (the partition number differs between SD and USB boot);
# boot messages on the serial port and tty3, never on the screens (tty1).
ROOTPART=LABEL=RASPIROOT
CONSOLES="ttyS1,115200 tty3"
CONF
# No console cursor, no blanking, no boot noise on the screens; read-only root (after the
# hook's own "rw", so it wins).
echo "ro consoleblank=0 vt.global_cursor_default=0 logo.nologo quiet loglevel=3" \
    >/etc/default/raspi-extra-cmdline
# Debian's kernel boots with its own (mainline) device trees, where vc4 (KMS, HDMI audio) is on
# already, so no dtoverlay; the firmware neither draws its splash nor adds a video= mode, and
# arms the hardware watchdog until systemd takes it over (RuntimeWatchdogSec).
cat >/etc/default/raspi-firmware-custom <<'CONF'
disable_splash=1
disable_fw_kms_setup=1
dtparam=audio=on
kernel_watchdog_timeout=15
[pi4]
cmdline=cmdline-pi4.txt
[all]
CONF
DEB_MAINT_PARAMS=configure /etc/kernel/postinst.d/z50-raspi-firmware
# The hook adds cma=64M unless it runs on a Pi 4, which it cannot see from here, and its own
# comment says a Pi 4 (400, CM4) may not boot with it: those get the line without it.
sed 's/ cma=[^ ]*//' /boot/firmware/cmdline.txt >/boot/firmware/cmdline-pi4.txt
mkdir -p /etc/avahi/services

# State on the /var partition; the clock saved there too (the root is read-only).
echo "FILE=/var/lib/fake-hwclock/fake-hwclock.data" >/etc/default/fake-hwclock
mkdir -p /var/lib/fake-hwclock /var/log/journal
fake-hwclock save force 2>/dev/null || true

# Network and resolver: networkd (DHCP), resolved, timesyncd, avahi, ssh; the first boot.
systemctl enable systemd-networkd systemd-resolved systemd-timesyncd avahi-daemon ssh \
    panic-firstboot.service
# No login prompt on the screens (there is no password to type; the display takes tty1), and
# no systemd-firstboot questions on a console nobody watches: panic-firstboot does that job.
systemctl mask getty@tty1.service systemd-firstboot.service
ln -sf /run/systemd/resolve/stub-resolv.conf /etc/resolv.conf
echo panic >/etc/hostname
printf '127.0.0.1\tlocalhost\n127.0.1.1\tpanic\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >/etc/hosts

# The role: panicd (and its mDNS record) unless display; one screen on HDMI-A-1 in every role.
/usr/lib/panic-image/role "$role" >/dev/null

# Nothing that must differ per card or that a password could open.
passwd -l root >/dev/null
rm -f /etc/ssh/ssh_host_*
: >/etc/machine-id
rm -f /var/lib/dbus/machine-id
cp /usr/lib/panic-image/panic.conf.example /boot/firmware/panic.conf.example
apt-get clean
# /etc and /var are up to date with /usr (ConditionNeedsUpdate: ldconfig.service and
# systemd-update-done.service would otherwise try to write the read-only root at each boot).
touch /etc/.updated /var/.updated
