#!/usr/bin/env bash
# Build and run every fuzz target (or the ones named).
#
#   fuzz/run.sh short [TARGET...]   each target for $FUZZ_SECONDS (default 5) seconds: CI's run
#   fuzz/run.sh long [TARGET...]    each target for $FUZZ_RUNS (default 10,000,000) executions,
#                                   or $FUZZ_SECONDS if that is set and comes first, with inputs
#                                   of at most $FUZZ_MAX_LEN (default 8192) bytes, in
#                                   $FUZZ_FORK processes if that is set (libFuzzer's -fork=N),
#                                   or $FUZZ_WORKERS long-lived processes on one corpus, the
#                                   executions shared out between them
#
# Both build first (installing cargo-fuzz and a nightly toolchain if missing), seed
# fuzz/corpus/ with seed.sh when it is empty, run $FUZZ_JOBS targets at a time (default: the
# number of cores) under `nice`, and end with a table per target: executions, exec/s, peak RSS,
# coverage (edges) and features, and what was found. The exit status is 1 when any target
# found a crash, a hang (-timeout=10) or a memory blow-up (-rss_limit_mb=2048); the input is
# kept in fuzz/artifacts/TARGET/ and the log in fuzz/logs/TARGET.log.
#
# The short run writes what it finds to a scratch directory: CI never changes the corpus. The
# long run grows fuzz/corpus/TARGET (ignored by git).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

mode=${1:-short}
shift || true
case "$mode" in
short | long) ;;
*)
    echo "usage: fuzz/run.sh [short|long] [TARGET...]" >&2
    exit 2
    ;;
esac

# Several processes per target come one way or the other, not both: N workers of -fork=M
# would be N fork-mode parents of M jobs each on one corpus.
workers=${FUZZ_WORKERS:-1}
case "$workers" in
'' | *[!0-9]* | 0)
    echo "fuzz: FUZZ_WORKERS is a number of processes, 1 or more (got '$workers')" >&2
    exit 2
    ;;
esac
if [ "$workers" -gt 1 ] && [ -n "${FUZZ_FORK:-}" ]; then
    echo "fuzz: give FUZZ_WORKERS or FUZZ_FORK, not both" >&2
    exit 2
fi

all=(interfaces modprobe sysctl hooks nginx sshd apache systemd suppression live ip_json check fix inventory collect)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$(dirname "$here")/target}"
triple="$(rustc -vV | sed -n 's/^host: //p')"
bin="$CARGO_TARGET_DIR/$triple/release"

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    echo "== installing the nightly toolchain (cargo-fuzz needs -Zsanitizer flags)"
    rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    start=$SECONDS
    nice -n 10 cargo install cargo-fuzz --locked
    echo "   installed in $((SECONDS - start)) s"
fi

# No AddressSanitizer: netvet forbids unsafe code, so ASan has nothing to find that the
# fuzzers' panics do not, and it halves the executions per second. Debug assertions and
# overflow checks stay on (-a): an overflow is a bug a release build would hide.
echo "== building ${targets[*]}"
start=$SECONDS
mkdir -p logs
build() {
    if ! nice -n 10 cargo +nightly fuzz build -s none -a "$@" >logs/build.log 2>&1; then
        cat logs/build.log >&2
        exit 2
    fi
}
if [ $# -eq 0 ]; then
    build
else
    for t in "${targets[@]}"; do build "$t"; done
fi
for t in "${targets[@]}"; do
    [ -x "$bin/$t" ] || {
        echo "fuzz: $bin/$t was not built" >&2
        exit 2
    }
done
echo "   built in $((SECONDS - start)) s"

if [ ! -d corpus ] || [ -z "$(ls -A corpus 2>/dev/null)" ]; then
    echo "== seeding fuzz/corpus"
    ./seed.sh
fi

mkdir -p logs artifacts
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# run TARGET: one libFuzzer run, its log in logs/TARGET.log.
run() {
    local t=$1
    local -a opts=(
        "-dict=dict/$t.dict"
        -rss_limit_mb=2048
        -timeout=10
        -print_final_stats=1
        "-artifact_prefix=artifacts/$t/"
    )
    local dirs=()
    mkdir -p "artifacts/$t" "corpus/$t"
    if [ "$mode" = short ]; then
        opts+=("-max_total_time=${FUZZ_SECONDS:-5}")
        mkdir -p "$scratch/$t"
        dirs=("$scratch/$t" "corpus/$t")
    else
        opts+=("-runs=${FUZZ_RUNS:-10000000}")
        # Inputs of at most 8 KiB (FUZZ_MAX_LEN; 0 lets libFuzzer take the largest seed's
        # size): a 30 KiB seed otherwise makes every mutation that large, at a third of the
        # executions per second. Large inputs are the hostile-tree tests' and bench/hostile.sh's.
        [ "${FUZZ_MAX_LEN:-8192}" = 0 ] || opts+=("-max_len=${FUZZ_MAX_LEN:-8192}")
        # A time bound too, when given: whichever comes first ends the run.
        [ -z "${FUZZ_SECONDS:-}" ] || opts+=("-max_total_time=$FUZZ_SECONDS")
        # N processes fuzzing one corpus, one -runs between them (libFuzzer's -fork=N). Each
        # job restarts on a sample of the corpus: on `check`'s 7,900 inputs two processes made
        # no more executions a second than one (fuzz/README.md).
        [ -z "${FUZZ_FORK:-}" ] || opts+=("-fork=$FUZZ_FORK")
        dirs=("corpus/$t")
    fi
    local rc=0
    if [ "$mode" = short ] || [ "$workers" -le 1 ]; then
        printf '%s' "$bin/$t ${opts[*]} ${dirs[*]}" >"logs/$t.cmd"
        nice -n 10 "$bin/$t" "${opts[@]}" "${dirs[@]}" >"logs/$t.log" 2>&1 || rc=$?
        echo $rc >"logs/$t.rc"
        return $rc
    fi
    # N processes, each its share of the executions, on one corpus directory: libFuzzer
    # rereads it, so each takes up what the others found, as libFuzzer's own -jobs=N
    # -workers=N does. Unlike -fork, no process restarts. Every 10 seconds, not libFuzzer's
    # 1: each reread lists and stats every file in the directory, then runs what is new, and
    # rereading was 13 % of a `check` worker's time at 57,010 files. The log is the workers'
    # logs one after the other; the table adds up their executions and rates.
    local r share=$(((${FUZZ_RUNS:-10000000} + workers - 1) / workers)) w
    local -a pids=()
    opts=("${opts[@]/#-runs=*/-runs=$share}" -reload=10)
    printf '%s  # in %s processes at once\n' "$bin/$t ${opts[*]} ${dirs[*]}" "$workers" >"logs/$t.cmd"
    for ((w = 0; w < workers; w++)); do
        nice -n 10 "$bin/$t" "${opts[@]}" "${dirs[@]}" >"logs/$t.w$w.log" 2>&1 &
        pids+=($!)
    done
    for w in "${!pids[@]}"; do
        # The first worker that fails gives the status.
        wait "${pids[$w]}" || {
            r=$?
            [ "$rc" -ne 0 ] || rc=$r
        }
    done
    for ((w = 0; w < workers; w++)); do
        echo "== worker $w"
        cat "logs/$t.w$w.log"
    done >"logs/$t.log"
    echo $rc >"logs/$t.rc"
    return $rc
}
export -f run
export mode bin scratch workers FUZZ_SECONDS FUZZ_RUNS FUZZ_MAX_LEN FUZZ_FORK

echo "== fuzzing ($mode): ${targets[*]}"
start=$SECONDS
status=0
printf '%s\n' "${targets[@]}" |
    xargs -P "${FUZZ_JOBS:-$(nproc)}" -I{} bash -c 'start=$SECONDS; if run {}; then r=ok; else r=FAILED; fi; echo "   {}: $r in $((SECONDS - start)) s"' || true
echo "   fuzzed in $((SECONDS - start)) s"

# The table: the final stats libFuzzer prints, and the last coverage line.
printf '\n%-12s %12s %8s %8s %6s %7s  %s\n' target executions exec/s rss_mb cov ft found
for t in "${targets[@]}"; do
    log="logs/$t.log"
    # One set of final stats per process (several with FUZZ_WORKERS): executions and rates
    # add up, the peak RSS is the largest, and so are coverage and features (each process's
    # only grow).
    stat() { sed -n "s/^stat::$1: *//p" "$log" | awk -v op="$2" '
        { v = $1 + 0; s += v; if (v > m) m = v; n++ }
        END { if (n) print (op == "sum" ? s : m) }'; }
    most() { sed -n "s/^#[0-9].* $1: \([0-9]*\).*/\1/p" "$log" | sort -n | tail -1; }
    cov="$(most cov)"
    ft="$(most ft)"
    found="$(find "artifacts/$t" -type f -newer "logs/$t.cmd" -printf '%f ' 2>/dev/null)"
    # Any failure counts, not only findings: a bad option or a missing dictionary too.
    if [ "$(cat "logs/$t.rc" 2>/dev/null)" != 0 ] ||
        grep -qE '^==[0-9]+== ERROR: libFuzzer|panicked at|^SUMMARY: libFuzzer' "$log"; then
        status=1
        [ -n "$found" ] || found="see $log"
    fi
    execs="$(stat number_of_executed_units sum)"
    rate="$(stat average_exec_per_sec sum)"
    rss="$(stat peak_rss_mb max)"
    # With -fork the parent prints no final stats (and no RSS: each job has the same
    # -rss_limit_mb): the count is its last "#N: cov: ..." line, the time its exit line.
    if [ -z "$execs" ]; then
        execs="$(sed -n 's/^#\([0-9]*\): cov: .*/\1/p' "$log" | tail -1)"
        secs="$(sed -n 's/^INFO: exiting: .* time: \([0-9]*\)s$/\1/p' "$log" | tail -1)"
        if [ -n "$execs" ] && [ "${secs:-0}" -gt 0 ]; then rate=$((execs / secs)); fi
    fi
    printf '%-12s %12s %8s %8s %6s %7s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "${rss:-?}" \
        "${cov:-?}" "${ft:-?}" "${found:-none}"
done
exit $status
