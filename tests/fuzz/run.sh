#!/bin/sh
# run.sh SRCDIR BINDIR TARGET... — fuzzes each target (BINDIR/fuzz_TARGET,
# built by ./configure --enable-fuzzing) for FUZZ_SECONDS (default 30) from
# the seeds of seeds.sh, FUZZ_JOBS targets at a time (default: the number
# of cores).  `make fuzz-smoke` runs it; a longer FUZZ_SECONDS is a
# campaign.  The corpora grow in FUZZ_DIR (default BINDIR/work), which a
# later run starts from.  Exits 1 if any target found a crash, a leak, a
# timeout or an out-of-memory: its reproducer is under FUZZ_DIR/crashes,
# and belongs in tests/fuzz/regressions/TARGET/ once fixed.
set -eu
src=$(cd "$1" && pwd)
bin=$(cd "$2" && pwd)
shift 2
seconds=${FUZZ_SECONDS:-30}
jobs=${FUZZ_JOBS:-$(nproc)}
work=${FUZZ_DIR:-$bin/work}
mkdir -p "$work/crashes" "$work/logs"
work=$(cd "$work" && pwd)

sh "$src/tests/fuzz/seeds.sh" "$src" "$work/seeds" "$bin/../../rbaudit"

# fuzz TARGET: one bounded libFuzzer run; the log keeps its statistics.
fuzz() {
    mkdir -p "$work/corpus/$1"
    case $1 in
    jsonl | json | manifest | trace | sqlite | bundle) dict=json ;;
    yaml | rules | model | waivers) dict=yaml ;;
    junit) dict=xml ;;
    markdown) dict=markdown ;;
    esac
    # The reproducers of earlier findings are seeds too: a fix is fuzzed
    # from where the bug was.
    regressions=
    [ -d "$src/tests/fuzz/regressions/$1" ] && regressions="$src/tests/fuzz/regressions/$1"
    # shellcheck disable=SC2086
    "$bin/fuzz_$1" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2560 -max_len=65536 \
        -seed="${FUZZ_SEED:-1}" -print_final_stats=1 -close_fd_mask=3 -dict="$src/tests/fuzz/dicts/$dict.dict" \
        -artifact_prefix="$work/crashes/$1-" \
        "$work/corpus/$1" "$work/seeds/$1" $regressions >"$work/logs/$1.log" 2>&1
}

failed=0
running=0
pids=
for target in "$@"; do
    ( if fuzz "$target"; then echo "fuzz_$target: ok"; else echo "fuzz_$target: FAILED"; exit 1; fi ) &
    pids="$pids $!"
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        for pid in $pids; do wait "$pid" || failed=1; done
        pids=
        running=0
    fi
done
for pid in $pids; do wait "$pid" || failed=1; done

for target in "$@"; do
    stats=$(grep -E '^stat::number_of_executed_units' "$work/logs/$target.log" | tail -1 | sed 's/.*: *//')
    cov=$(grep -E '#[0-9]+.*cov:' "$work/logs/$target.log" | tail -1 | sed -E 's/.*cov: ([0-9]+).*/\1/')
    echo "fuzz_$target: ${stats:-?} runs in ${seconds}s, coverage ${cov:-?}"
done
if [ "$failed" -ne 0 ]; then
    for log in "$work"/logs/*.log; do
        grep -qE 'ERROR: libFuzzer|SUMMARY: |==ERROR' "$log" || continue
        echo "==== $log"
        grep -E -A30 'ERROR: libFuzzer|==ERROR|runtime error' "$log" | head -60
    done
    ls -l "$work/crashes"
fi
exit "$failed"
