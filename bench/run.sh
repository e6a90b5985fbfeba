#!/usr/bin/env bash
# Benchmark: `netvet check` (every rule on by default, JSON output) on generated hosts of 250,
# 1,000 and 4,000 802.3ad bonds (4 slaves with their own stanza, 2 VLANs per bond, IPv4 and
# IPv6: 1,751, 7,001 and 28,001 stanzas), side by side with Debian's own parser doing less work
# (`ifquery --list -a`, parse only).
#
# Prints two tables:
#  1. hyperfine at 1,751 stanzas, netvet and ifquery in one run.
#     Target: netvet at most 0.3x ifquery's time.
#  2. growth: wall time and peak RSS at each size for both programs.
#     Targets: netvet at 28,001 stanzas at most 20x its 1,751-stanza time, under 64 MiB.
#     ifquery is quadratic (about 75 s at 28,001 stanzas): it runs once per size, and
#     BENCH_SKIP_IFQUERY_LARGE=1 skips it above 1,751 stanzas.
#  BENCH_NETVET=PATH measures that netvet binary instead of building this tree's.
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

# BENCH_NETVET=PATH measures another build (an earlier commit's, for a before/after table).
bin=${BENCH_NETVET:-target/release/netvet}
[ -n "${BENCH_NETVET:-}" ] || cargo build --release --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for bonds in 250 1000 4000; do
    bench/gen-large.py "$work/interfaces-$bonds" "$bonds"
done

netvet() { echo "$bin check --format json --fail-on never $work/interfaces-$1"; }
ifq() { echo "ifquery -i $work/interfaces-$1 --list -a"; }

echo "## 1,751 stanzas, side by side"
echo
hyperfine --warmup 3 --runs 30 -N --export-markdown "$work/times.md" \
    -n "netvet check (all rules, JSON)" "$(netvet 250)" \
    -n "ifquery --list -a (parse only)" "$(ifq 250)" >/dev/null
cat "$work/times.md"

# "SECONDS KIB" of one run (wall clock, peak RSS).
measure() { /usr/bin/time -f '%e %M' "$@" 2>&1 >/dev/null | tail -n 1; }
# netvet's mean wall time (hyperfine, 10 runs) and peak RSS at one size.
netvet_point() {
    hyperfine --warmup 1 --runs 10 -N --export-json "$work/point.json" "$(netvet "$1")" >/dev/null
    local mean
    mean=$(python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["mean"])' "$work/point.json")
    local out
    out=$(measure $(netvet "$1"))
    printf '%s %s\n' "$mean" "${out#* }"
}

echo
echo "## Growth"
echo
echo "| stanzas | netvet time (s) | netvet peak RSS (MiB) | ifquery time (s) | ifquery peak RSS (MiB) |"
echo "|---:|---:|---:|---:|---:|"
base=""
for point in "250 1,751" "1000 7,001" "4000 28,001"; do
    bonds=${point% *}
    stanzas=${point#* }
    read -r nt nrss < <(netvet_point "$bonds")
    [ -n "$base" ] || base=$nt
    if [ "$bonds" != 250 ] && [ "${BENCH_SKIP_IFQUERY_LARGE:-0}" = 1 ]; then
        it="skipped" irss="skipped"
    else
        read -r it irss < <(measure $(ifq "$bonds"))
        irss=$(awk -v k="$irss" 'BEGIN { printf "%.1f", k / 1024 }')
    fi
    printf '| %s | %s | %s | %s | %s |\n' "$stanzas" "$nt" \
        "$(awk -v k="$nrss" 'BEGIN { printf "%.1f", k / 1024 }')" "$it" "$irss"
    last=$nt
done
echo
awk -v a="$base" -v b="$last" 'BEGIN { printf "netvet 28,001 / 1,751 stanzas: %.1fx the time (target: at most 20x)\n", b / a }'
