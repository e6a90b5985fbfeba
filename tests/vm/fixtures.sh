#!/usr/bin/env bash
# Every configuration fixture through the real ifupdown: each rule fixture (fixtures/rules/NV0xx
# to NV3xx), each healthy config and the demo host is brought up by `ifup -a` in a Debian 12 root
# in the VM (fixtures/in-vm.sh), and fixtures/check.py compares what the kernel ended up with to
# what netvet predicted (`netvet show`), and each rule's documented claim to what happened.
# Two VMs run at once, each over its own copy of the root, half of the configurations each.
# Usage: fixtures.sh NETVET_BINARY [FIXTURE_GLOB]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
netvet=$(realpath "$1")
pattern=${2:-*}
# shellcheck source=rootfs.sh
. "$here/rootfs.sh"
# procps: ifupdown runs sysctl for inet6 options, and Debian's standard installs have it.
base=$(ensure_rootfs ifupdown ifupdown,ifenslave,iproute2,kmod,vlan,bridge-utils,procps)
vms=2
out=$(dirname "$base")/fixtures-out
rm -rf "$out"; mkdir -p "$out"
roots=()
for i in $(seq 1 $vms); do
    r=$(dirname "$base")/fixtures-root-$i
    rm -rf "$r"; cp -a "$base" "$r"
    install -m 755 "$netvet" "$r/usr/local/bin/netvet"
    # No DHCP server is reachable from the VM: this dhclient stands in for one that gets a
    # lease at once, so that `inet dhcp` stanzas come up as they would on a real network.
    # (It sets the link up, as dhclient does; its last argument is the interface.)
    printf '#!/bin/sh\nfor i; do :; done\nexec ip link set dev "$i" up\n' > "$r/sbin/dhclient"
    chmod 755 "$r/sbin/dhclient"
    mkdir -p "$r/scenarios"
    roots+=("$r")
done
# The NICs of the configuration in $1: every physical-looking name it mentions (eth0, eno1, ens3,
# enp1s0 and the like, and the parents of VLANs on them), made into dummy devices before ifup.
nics() {
    cat "$1"/etc/network/interfaces "$1"/etc/network/interfaces.d/* 2>/dev/null \
        | sed 's/#.*//' | tr -s ' \t' '\n\n' | sed 's/\.[0-9]*$//' \
        | grep -E '^(eth|eno|ens|enp|em|nic)[0-9][0-9a-z]*$' | sort -u || true
}
n=0
for dir in "$repo"/fixtures/rules/NV[0-3]*/*/ "$repo"/fixtures/healthy/*/ "$repo/fixtures/demo/"; do
    [ -f "$dir/etc/network/interfaces" ] || continue
    rel=${dir#"$repo"/fixtures/}; rel=${rel%/}
    name=$(printf '%s' "$rel" | tr '/' '_')
    # shellcheck disable=SC2254
    case $name in $pattern) ;; *) continue;; esac
    s=${roots[$((n % vms))]}/scenarios/$name
    mkdir -p "$s"
    cp -a "$dir/etc" "$s/"
    nics "$dir" > "$s/nics"
    n=$((n + 1))
done
# Every rule fixture `netvet fix --unsafe` fixes, fixed here and brought up as its own
# configuration (fixed_rules_CODE_CASE): the fixed text must come up as netvet predicts, and
# `netvet check --live` in the VM must no longer report the rule (check.py).
fixable=$("$netvet" rules --format json | python3 -c '
import json, sys
print(" ".join(r["code"] for r in json.load(sys.stdin) if r["fix"] != "none"))')
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
fixed=0
for code in $fixable; do
    for dir in "$repo"/fixtures/rules/"$code"/fires-*/; do
        [ -f "$dir/etc/network/interfaces" ] || continue
        name=fixed_rules_${code}_$(basename "$dir")
        # shellcheck disable=SC2254
        case $name in $pattern) ;; *) continue;; esac
        rm -rf "$work/tree"; mkdir "$work/tree"; cp -a "$dir/etc" "$work/tree/"
        "$netvet" fix --unsafe --select "$code" --backup-dir "$work/backups" "$work/tree" >/dev/null || true
        diff -rq "$dir/etc" "$work/tree/etc" >/dev/null && continue   # nothing fixed
        left=$("$netvet" check --no-live --select "$code" --format json --fail-on never "$work/tree" |
            python3 -c 'import json, sys; print(len(json.load(sys.stdin)["findings"]))')
        [ "$left" = 0 ] || continue
        s=${roots[$((n % vms))]}/scenarios/$name
        mkdir -p "$s"
        cp -a "$work/tree/etc" "$s/"
        nics "$work/tree" > "$s/nics"
        n=$((n + 1)); fixed=$((fixed + 1))
    done
done
echo "vm: $n configurations through ifup -a ($fixed of them fixed by netvet fix), in $vms VMs"
t0=$SECONDS
pids=()
for r in "${roots[@]}"; do
    "$here/run-in-vm.sh" --timeout 1500 --share-cache loose --modules "8021q dummy:numdummies=0 vxlan macvlan ip_gre ipip" \
        --share "$r" "$here/fixtures/in-vm.sh" >"$r/vm.log" 2>&1 &
    pids+=($!)
done
rc=0
for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || { echo "vm: fixtures VM $((i + 1)) failed:" >&2; tail -30 "${roots[$i]}/vm.log" >&2; rc=1; }
    cp -a "${roots[$i]}/out/." "$out/" 2>/dev/null || true
done
echo "vm: ifup -a of $n configurations took $((SECONDS - t0)) s"
rm -rf "${roots[@]}"
[ "$rc" = 0 ] || exit 1
subset=(); [ "$pattern" = "*" ] || subset=(--subset)
python3 "$here/fixtures/check.py" "$out" "${subset[@]}"
