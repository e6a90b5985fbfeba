#!/usr/bin/env bash
# Benchmark: `netvet check --live` in a network namespace with 200 veth pairs and a bridge,
# side by side with its floor: `ip -details -json link show` plus reading the same config files.
# Target: netvet at most 2x the floor. Needs root (it creates and deletes its own namespace).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }

cargo build --release --quiet
ns="netvet-bench-$$"
work=$(mktemp -d)
cleanup() { ip netns del "$ns" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
ip netns add "$ns"
{
    echo "link add br0 type bridge"
    for i in $(seq 0 199); do
        echo "link add va$i type veth peer name vb$i"
        echo "link set va$i master br0"
    done
} | ip -n "$ns" -batch -

# A configuration for the same links: the bridge with its 200 ports.
mkdir -p "$work/etc/network"
{
    printf 'auto lo\niface lo inet loopback\n\nauto br0\niface br0 inet static\n    address 198.18.0.1/24\n    bridge-ports'
    for i in $(seq 0 199); do printf ' va%s' "$i"; done
    printf '\n'
    for i in $(seq 0 199); do printf '\niface va%s inet manual\n' "$i"; done
} > "$work/etc/network/interfaces"

netvet="ip netns exec $ns target/release/netvet check --live --root $work --format json --fail-on never"
floor="ip netns exec $ns sh -c 'ip -details -json link show >/dev/null; cat $work/etc/network/interfaces >/dev/null'"
hyperfine --warmup 3 --runs 30 -N --export-markdown "$work/times.md" \
    -n "netvet check --live (400 veths + bridge)" "$netvet" \
    -n "ip -details -json link show + read config" "$floor" >/dev/null
cat "$work/times.md"
