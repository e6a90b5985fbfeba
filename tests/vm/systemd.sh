#!/usr/bin/env bash
# systemd socket units and IPV6_V6ONLY, with the real systemd: a Debian 12 root with systemd
# (debootstrap, cached) boots in the VM as PID 1 with socket units using each BindIPv6Only= value,
# for net.ipv6.bindv6only 0 and 1; netvet inside it lists configured and live listeners, and
# systemd/check.py asserts they agree. Usage: systemd.sh NETVET_BINARY
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
netvet=$(realpath "$1")
# shellcheck source=rootfs.sh
. "$here/rootfs.sh"
rootfs=$(ensure_rootfs systemd systemd,systemd-sysv,iproute2,kmod)

# The test units, netvet, and a quiet boot: no getty, no units that need hardware.
sd=$rootfs/etc/systemd/system
install -m 755 "$netvet" "$rootfs/usr/local/bin/netvet"
install -m 755 "$here/systemd/netvet-check.sh" "$rootfs/usr/local/bin/netvet-check.sh"
mkdir -p "$sd/sockets.target.wants" "$sd/multi-user.target.wants" "$rootfs/etc/sysctl.d"
for u in "$here"/systemd/*.socket "$here"/systemd/*.service; do install -m 644 "$u" "$sd/"; done
for s in "$here"/systemd/*.socket; do ln -sf "../$(basename "$s")" "$sd/sockets.target.wants/"; done
ln -sf ../netvet-check.service "$sd/multi-user.target.wants/"
for m in getty@tty1.service serial-getty@ttyS0.service systemd-timesyncd.service \
         systemd-networkd.service apt-daily.timer apt-daily-upgrade.timer; do
    ln -sf /dev/null "$sd/$m"
done

rc=0
for bindv6only in 0 1; do
    echo "net.ipv6.bindv6only = $bindv6only" > "$rootfs/etc/sysctl.d/60-bindv6only.conf"
    rm -rf "$rootfs/out"
    if ! "$here/run-in-vm.sh" --timeout 240 --share "$rootfs" --boot /bin/true >/dev/null; then
        echo "not ok - systemd booted and ran the check (bindv6only=$bindv6only)"; rc=1; continue
    fi
    python3 "$here/systemd/check.py" "$rootfs/out" "$bindv6only" || rc=1
done
exit "$rc"
