#!/usr/bin/env bash
# Benchmark: `netvet check` with every rule on a generated 1,750-interface config (250 bonds of
# 4 slaves, 2 VLANs each, IPv4 and IPv6), side by side with Debian's own parser doing less work
# (`ifquery --list -a`, parse only). Prints hyperfine's timings and both peak RSS figures.
# Targets: netvet no slower than ifquery; netvet's peak memory under 20 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v hyperfine >/dev/null || need+=(hyperfine)
command -v ifquery >/dev/null || [ -x /usr/sbin/ifquery ] || need+=(ifupdown)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi
export PATH="$PATH:/usr/sbin:/sbin"

cargo build --release --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bench/gen-large.py "$work/interfaces" 250

netvet="target/release/netvet check --format json --fail-on never $work/interfaces"
ifq="ifquery -i $work/interfaces --list -a"
hyperfine --warmup 3 --runs 30 -N --export-markdown "$work/times.md" \
    -n "netvet check (all rules)" "$netvet" \
    -n "ifquery --list -a (parse only)" "$ifq" >/dev/null
cat "$work/times.md"

rss() { /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -n 1; }
echo
echo "| command | peak RSS (KiB) |"
echo "|:---|---:|"
echo "| netvet check (all rules) | $(rss $netvet) |"
echo "| ifquery --list -a | $(rss $ifq) |"
