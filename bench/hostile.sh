#!/usr/bin/env bash
# Benchmark: the hostile inputs that were quadratic, timed with peak memory (the issue
# "Hostile input"). Each row is one `netvet check` of a generated tree, human and JSON output:
#
#  1. 20,000 findings on one 140 KB line (`auto` naming 20,000 undefined interfaces);
#  2. 1,000 findings spread over one 15 MB line of non-ASCII names (a column per finding);
#  3. 1,000,000 findings in one 7.9 MB file (one `auto` line);
#  4. `source-directory` over 20,000 files.
#
# Targets: every row under 5 s and 512 MiB. Before the column checkpoints, the cut of long
# lines and the findings bound, row 1 took 81 s (human) and row 3 over 120 s and 930 MB.
# NETVET_BEFORE=path/to/netvet adds the same rows for another binary (rows over 300 s are cut).
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
cargo build --release --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/one-line/etc/network" "$work/long-line/etc/network" \
    "$work/million/etc/network" "$work/directory/etc/network/interfaces.d"
python3 - "$work" <<'PY'
import os, sys
w = sys.argv[1]
with open(f"{w}/one-line/etc/network/interfaces", "w") as f:
    f.write("auto " + " ".join(f"é{i}" for i in range(20000)) + "\n")
with open(f"{w}/long-line/etc/network/interfaces", "w") as f:
    f.write("auto" + "".join(" " * 15000 + f"é{i}" for i in range(1000)) + "\n")
with open(f"{w}/million/etc/network/interfaces", "w") as f:
    f.write("auto " + " ".join(f"e{i}" for i in range(1000000)) + "\n")
with open(f"{w}/directory/etc/network/interfaces", "w") as f:
    f.write("source-directory /etc/network/interfaces.d\n")
for i in range(20000):
    with open(f"{w}/directory/etc/network/interfaces.d/f{i:05}", "w") as f:
        f.write(f"iface e{i} inet manual\n")
PY

# "SECONDS KIB" of one run, or "cut" past 300 s.
measure() {
    local out
    if out=$( { timeout 300 /usr/bin/time -f '%e %M' "$@" >/dev/null 2>/dev/null; } 2>&1 ); then :; fi
    out=$(printf '%s\n' "$out" | tail -n 1)
    case "$out" in
        *" "*) echo "$out" ;;
        *) echo "cut cut" ;;
    esac
}

echo "| tree | binary | human time (s) | human peak RSS (MiB) | JSON time (s) | JSON peak RSS (MiB) |"
echo "|---|---|---:|---:|---:|---:|"
for tree in one-line long-line million directory; do
    for bin in target/release/netvet ${NETVET_BEFORE:-}; do
        read -r ht hk < <(measure "$bin" check --fail-on never "$work/$tree")
        read -r jt jk < <(measure "$bin" check --fail-on never --format json "$work/$tree")
        mib() { [ "$1" = cut ] && echo cut || awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
        printf '| %s | %s | %s | %s | %s | %s |\n' "$tree" "$bin" "$ht" "$(mib "$hk")" "$jt" "$(mib "$jk")"
    done
done
