#!/usr/bin/env bash
# The real ifupdown as the configuring peer: a Debian 12 root (debootstrap minbase with ifupdown
# and ifenslave, cached) is shared into the VM, `ifup -a` brings up ifupdown/interfaces there, and
# netvet's live check must agree with it; then the state is broken and netvet must say exactly
# how. Usage: ifupdown.sh NETVET_BINARY
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
netvet=$(realpath "$1")
cache=${NETVET_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/netvet-vm}
rootfs=$cache/rootfs-bookworm

if [ ! -x "$rootfs/sbin/ifup" ]; then
    command -v debootstrap >/dev/null || {
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq && apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
    }
    t0=$SECONDS
    rm -rf "$rootfs.tmp"
    debootstrap --variant=minbase --include=ifupdown,ifenslave,iproute2,kmod \
        bookworm "$rootfs.tmp" >"$cache/debootstrap.log" 2>&1 \
        || { echo "vm: debootstrap failed:" >&2; tail -20 "$cache/debootstrap.log" >&2; exit 1; }
    mv "$rootfs.tmp" "$rootfs"
    echo "vm: Debian root for ifupdown built in $((SECONDS - t0)) s"
fi

install -m 755 "$netvet" "$rootfs/usr/local/bin/netvet"
install -m 644 "$here/ifupdown/interfaces" "$rootfs/etc/network/interfaces"
rm -rf "$rootfs/out" "$rootfs/etc/network/interfaces.d"/* "$rootfs/run/network"
"$here/run-in-vm.sh" --timeout 180 --share "$rootfs" "$here/ifupdown/in-vm.sh" >/dev/null
python3 "$here/ifupdown/check.py" "$rootfs/out"
