#!/usr/bin/env bash
# The boot story: a Debian 12 root (systemd, ifupdown, ifenslave; debootstrap, cached) boots in
# the VM with systemd as PID 1. ifupdown brings up bond0; then a unit standing for another tool
# turns its link monitoring off and sets a slave's MTU to 1400; then the packaged
# netvet-repair.service runs `netvet repair --apply`. repair-boot/check.py judges what the
# boot left (sysfs, netlink, netvet check --live, the unit's journal). Usage: repair-boot.sh
# NETVET_BINARY
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
netvet=$(realpath "$1")
# shellcheck source=rootfs.sh
. "$here/rootfs.sh"
rootfs=$(ensure_rootfs repair-boot systemd,systemd-sysv,ifupdown,ifenslave,iproute2,kmod)

sd=$rootfs/etc/systemd/system
install -m 755 "$netvet" "$rootfs/usr/bin/netvet"
install -m 644 "$here/repair-boot/interfaces" "$rootfs/etc/network/interfaces"
install -m 644 "$repo/dist/netvet-repair.service" "$sd/netvet-repair.service"
install -m 755 "$here/repair-boot/test-check.sh" "$rootfs/usr/local/bin/test-check.sh"
for u in test-nics test-break test-check; do
    install -m 644 "$here/repair-boot/$u.service" "$sd/$u.service"
done
mkdir -p "$sd/multi-user.target.wants" "$sd/networking.service.wants"
for u in netvet-repair test-break test-check; do ln -sf "../$u.service" "$sd/multi-user.target.wants/"; done
ln -sf ../test-nics.service "$sd/networking.service.wants/"
ln -sf /lib/systemd/system/networking.service "$sd/multi-user.target.wants/networking.service"
for m in getty@tty1.service serial-getty@ttyS0.service systemd-timesyncd.service \
         systemd-networkd.service apt-daily.timer apt-daily-upgrade.timer; do
    ln -sf /dev/null "$sd/$m"
done
rm -rf "$rootfs/out" "$rootfs/run/network"
"$here/run-in-vm.sh" --timeout 300 --share "$rootfs" --boot /bin/true >/dev/null
python3 "$here/repair-boot/check.py" "$rootfs/out"
