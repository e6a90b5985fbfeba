#!/usr/bin/env bash
# The findings of two netvet builds, side by side: every fixture tree (each directory holding
# etc/) and every interfaces file of the shared corpus ($NETVET_CORPUS/interfaces), checked
# offline with `--format json` by both, and the differences printed. A refactoring that changes
# no behaviour prints nothing and exits 0; any difference is shown and exits 1.
#
#   bench/findings-diff.sh BASE_NETVET NEW_NETVET
#
# Build the base from a worktree, e.g.
#   git worktree add /tmp/base REV && (cd /tmp/base && cargo build --release)
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 2 ] || {
    echo "usage: bench/findings-diff.sh BASE_NETVET NEW_NETVET" >&2
    exit 2
}
base=$1 new=$2
corpus=${NETVET_CORPUS:-$(cd .. && pwd)/shared/corpus}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

targets=()
while IFS= read -r etc; do targets+=("$(dirname "$etc")"); done \
    < <(find fixtures -type d -name etc -not -path '*/etc/*' | sort)
if [ -d "$corpus/interfaces" ]; then
    while IFS= read -r f; do targets+=("$f"); done < <(find "$corpus/interfaces" -type f | sort)
fi
[ ${#targets[@]} -gt 0 ] || {
    echo "findings-diff: nothing to check" >&2
    exit 2
}

# Every finding whole (message, place, help, notes, labels, fix), one JSON line each.
findings() {
    "$1" check --format json --fail-on never --no-live --isolated "$2" 2>/dev/null |
        python3 -c '
import json, sys
try:
    doc = json.load(sys.stdin)
except ValueError:
    print("(no JSON)")
    sys.exit()
for d in doc["findings"]:
    print(json.dumps(d, sort_keys=True))
'
}

differ=0
total_base=0 total_new=0
for t in "${targets[@]}"; do
    findings "$base" "$t" >"$work/base"
    findings "$new" "$t" >"$work/new"
    total_base=$((total_base + $(wc -l <"$work/base")))
    total_new=$((total_new + $(wc -l <"$work/new")))
    if ! cmp -s "$work/base" "$work/new"; then
        differ=$((differ + 1))
        echo "== $t"
        diff "$work/base" "$work/new" || true
    fi
done
echo "findings-diff: ${#targets[@]} targets, $total_base findings before, $total_new after, $differ differ"
[ "$differ" -eq 0 ]
