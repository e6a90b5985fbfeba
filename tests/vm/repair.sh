#!/usr/bin/env bash
# netvet repair against Debian's kernel in the VM (repair/in-vm.sh builds the states with
# ip link; repair/check.py judges the outputs). Usage: repair.sh NETVET_BINARY
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
netvet=$(realpath "$1")
share=$(mktemp -d); trap 'rm -rf "$share"' EXIT

for cfg in cfg:interfaces cfg-xor:interfaces-xor; do
    mkdir -p "$share/${cfg%%:*}/etc/network"
    install -m 644 "$here/repair/${cfg#*:}" "$share/${cfg%%:*}/etc/network/interfaces"
done
# --host-bin copies netvet with the libraries it links (libgcc_s is not in the VM's base).
"$here/run-in-vm.sh" --timeout 300 --host-bin "$netvet" --env "NETVET=$netvet" --share "$share" \
    "$here/repair/in-vm.sh" >/dev/null
python3 "$here/repair/check.py" "$share/out"
