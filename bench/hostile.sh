#!/usr/bin/env bash
# Benchmark: the hostile inputs that were quadratic, timed with peak memory (the issue
# "Hostile input"). Each row is one `netvet check` of a generated tree, human and JSON output:
#
#  1. 20,000 findings on one 140 KB line (`auto` naming 20,000 undefined interfaces);
#  2. 1,000 findings spread over one 15 MB line of non-ASCII names (a column per finding);
#  3. 1,000,000 findings in one 7.9 MB file (one `auto` line);
#  4. `source-directory` over 20,000 files;
#  5. 100,000 `# netvet: ignore` comments, each above a line with a finding (4 MB);
#  6. one stanza of 20,000 seven-letter options nothing reads, and a command (350 KB): each
#     is looked for in the commands' environment and compared with every option name.
#
# Targets: every row under 5 s and 512 MiB.
#
# Measured on the 2-core build machine (release; "cut" is over 300 s), before = the tree
# before src/limits.rs, the findings bound, the column checkpoints, the cut of long lines and
# the suppression index:
#
# | tree       | human after | human before | JSON after  | JSON before |
# |------------|-------------|--------------|-------------|-------------|
# | one-line   | 0.12 s 9 MB | 76 s 62 MB   | 0.05 s 9 MB | 0.56 s 48 MB |
# | long-line  | 0.20 s 33 MB| cut          | 0.14 s 33 MB| 1.6 s 33 MB |
# | million    | 2.6 s 246 MB| cut          | 2.9 s 245 MB| cut (932 MB at 120 s) |
# | directory  | 1.4 s 12 MB | 0.75 s 11 MB | 0.7 s 11 MB | 0.9 s 11 MB |
# | suppressed | 0.7 s 91 MB | 14 s 202 MB  | 0.5 s 92 MB | 15 s 269 MB |
# | options    | 0.13 s 14 MB| 2.2 s 14 MB  | 0.12 s 14 MB| 2.0 s 14 MB |
#
# The directory row reads 4,096 files (the file bound); it took 28 s before that bound.
# The options row was measured on 5 December 2026 (two fuzzers running), before = the
# command-environment lookup an option at a time, which went through every option of the
# interface for its commands, and `did_you_mean` with a whole table per option name.
# NETVET_BEFORE=path/to/netvet adds the same rows for another binary (rows over 300 s are cut).
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
cargo build --release --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/one-line/etc/network" "$work/long-line/etc/network" \
    "$work/million/etc/network" "$work/directory/etc/network/interfaces.d" \
    "$work/suppressed/etc/network" "$work/options/etc/network"
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
with open(f"{w}/suppressed/etc/network/interfaces", "w") as f:
    for i in range(100000):
        f.write(f"# netvet: ignore NV005 -- generated\nauto e{i}\n")
with open(f"{w}/options/etc/network/interfaces", "w") as f:
    f.write("auto eth0\niface eth0 inet manual\n    up ip link set $IFACE mtu $IF_MTU\n")
    for i in range(20000):
        word = "".join(chr(97 + (i // 26**k + 7 * k) % 26) for k in range(7))
        f.write(f"    {word} {i}\n")
PY

# "SECONDS KIB" of one run, or "cut cut" past 300 s.
measure() {
    local f="$work/time"
    rm -f "$f"
    timeout 300 /usr/bin/time -o "$f" -f '%e %M' "$@" >/dev/null 2>&1 || true
    if [ -s "$f" ] && tail -n 1 "$f" | grep -Eq '^[0-9.]+ [0-9]+$'; then
        tail -n 1 "$f"
    else
        echo "cut cut"
    fi
}

echo "| tree | binary | human time (s) | human peak RSS (MiB) | JSON time (s) | JSON peak RSS (MiB) |"
echo "|---|---|---:|---:|---:|---:|"
for tree in one-line long-line million directory suppressed options; do
    for bin in target/release/netvet ${NETVET_BEFORE:-}; do
        read -r ht hk < <(measure "$bin" check --fail-on never "$work/$tree")
        read -r jt jk < <(measure "$bin" check --fail-on never --format json "$work/$tree")
        mib() { [ "$1" = cut ] && echo cut || awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
        printf '| %s | %s | %s | %s | %s | %s |\n' "$tree" "$bin" "$ht" "$(mib "$hk")" "$jt" "$(mib "$jk")"
    done
done
