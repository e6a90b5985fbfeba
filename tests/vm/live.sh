#!/usr/bin/env bash
# netvet's live model against the kernel's own views, in the VM: bonds in every mode, slaves,
# VLANs, a bridge (live/in-vm.sh), compared by live/check.py. With --capture the captured dump
# and views also replace fixtures/live/vm-bonds.*, which the no-root Rust tests decode.
# Usage: live.sh NETVET_BINARY [--capture]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
share=$(mktemp -d)
trap 'rm -rf "$share"' EXIT
netvet=$(realpath "$1")
# --host-bin copies netvet with the libraries it links (libgcc_s is not in the VM's base).
"$here/run-in-vm.sh" --timeout 120 --share "$share" --host-bin "$netvet" --env "NETVET=$netvet" \
    "$here/live/in-vm.sh" >/dev/null
python3 "$here/live/check.py" "$share/out"
if [ "${2:-}" = --capture ]; then
    dest=$here/../../fixtures/live
    mkdir -p "$dest"
    cp "$share/out"/vm-bonds.* "$dest/"
    echo "captured into fixtures/live"
fi
