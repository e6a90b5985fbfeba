#!/usr/bin/env bash
# The real ifupdown as the configuring peer: a Debian 12 root (debootstrap minbase with ifupdown
# and ifenslave, cached) is shared into the VM, `ifup -a` brings up ifupdown/interfaces there, and
# netvet's live check must agree with it; then the state is broken and netvet must say exactly
# how. Usage: ifupdown.sh NETVET_BINARY
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
netvet=$(realpath "$1")
# shellcheck source=rootfs.sh
. "$here/rootfs.sh"
rootfs=$(ensure_rootfs ifupdown-lacp ifupdown,ifenslave,iproute2,kmod)

install -m 755 "$netvet" "$rootfs/usr/local/bin/netvet"
install -m 644 "$here/ifupdown/interfaces" "$rootfs/etc/network/interfaces"
rm -rf "$rootfs/out" "$rootfs/etc/network/interfaces.d"/* "$rootfs/run/network"
"$here/run-in-vm.sh" --timeout 180 --share "$rootfs" "$here/ifupdown/in-vm.sh" >/dev/null
python3 "$here/ifupdown/check.py" "$rootfs/out" "$netvet"
