#!/bin/sh
# run.sh — `make bench`: rbaudit's speed and memory as ratios against jq,
# sqlite3, git and wc, measured side by side in one run on one machine.
#
# Usage: run.sh RBAUDIT SRCDIR
#
# Generates the evidence (gen-events.awk, gen-repo.awk) under a temporary
# directory, times every command BENCH_RUNS times (default 3) and takes the
# median wall time and the largest peak RSS (/usr/bin/time), prints the
# table of ratios and goals (README.md, Performance) and writes it as JSON to
# SRCDIR/tests/bench/results/bench-<UTC time>.json and latest.json.
#
# Environment: BENCH_RUNS; BENCH_LARGE=0 leaves out the 10^7-event ledger
# (2 GB, most of the run's time); BENCH_DIR keeps the generated evidence
# there (made once, reused by later runs) instead of a temporary directory.
set -eu
rbaudit=$1
srcdir=$2
here=$srcdir/tests/bench
runs=${BENCH_RUNS:-3}
large=${BENCH_LARGE:-1}
results=$here/results
mkdir -p "$results"
for tool in jq sqlite3 git awk /usr/bin/time; do
    command -v "$tool" >/dev/null 2>&1 || { echo "run.sh: $tool is missing (ci/install-deps installs it)" >&2; exit 2; }
done

if [ -n "${BENCH_DIR:-}" ]; then
    work=$BENCH_DIR
    mkdir -p "$work"
else
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi
measurements=$work/measurements.tsv
: >"$measurements"

say() { printf '%s\n' "$*" >&2; }

# ---- evidence ----

events() { # events KEYS FILE [FORMAT]
    [ -s "$3" ] || awk -v events="$1" -v keys="$2" -v format="${4:-jsonl}" -f "$here/gen-events.awk" >"$3"
}

repo() { # repo COMMITS DIR
    [ -d "$2" ] && return 0
    git init -q -b main "$2"
    awk -v commits="$1" -f "$here/gen-repo.awk" \
        "$srcdir/corpora/beampipe/change-control/commits/01-initial/tree/config/wallaby_hires.v1.yaml" |
        GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null git -C "$2" fast-import --quiet
}

say "generating evidence in $work"
events 100000 1000 "$work/e5.jsonl"
events 1000000 100000 "$work/e6.jsonl"
if [ ! -s "$work/e6.sqlite" ]; then
    awk -v events=1000000 -v keys=100000 -v format=sql -f "$here/gen-events.awk" | sqlite3 "$work/e6.sqlite" >/dev/null
fi
[ "$large" = 0 ] || events 10000000 100000 "$work/e7.jsonl"
repo 10 "$work/r10"
repo 1000 "$work/r1k"
repo 10000 "$work/r10k"

# ---- measuring ----

# measure NAME SIZE CMD...: runs CMD $runs times (output discarded) and
# records the median wall time in seconds and the largest peak RSS in KiB.
measure() {
    name=$1 size=$2
    shift 2
    say "  $name ($size)"
    : >"$work/times"
    rss=0 i=0
    while [ "$i" -lt "$runs" ]; do
        start=$(date +%s%N)
        /usr/bin/time -f '%M' -o "$work/rss" "$@" >/dev/null 2>"$work/stderr" || {
            status=$?
            # exit 1 is "findings"; anything else is a failed measurement
            [ "$status" -eq 1 ] || { cat "$work/stderr" >&2; say "run.sh: $name failed (exit $status)"; exit 2; }
        }
        end=$(date +%s%N)
        echo $(((end - start) / 1000)) >>"$work/times"
        r=$(tail -n 1 "$work/rss")
        [ "$r" -gt "$rss" ] && rss=$r
        i=$((i + 1))
    done
    median=$(sort -n "$work/times" | awk '{ t[NR] = $1 } END { print t[int((NR + 1) / 2)] }')
    printf '%s\t%s\t%s\t%s\n' "$name" "$size" "$median" "$rss" >>"$measurements"
}

rules=$here/rules
pack="--pack beam"
filter='select(.type == "dead_letter" and .error_code == "FORBIDDEN")'
query="SELECT seq AS key, ts, sender, target FROM events WHERE type = 'dead_letter' AND error_code = 'FORBIDDEN' ORDER BY seq"

say "measuring (median of $runs runs each)"
for size in e5 e6; do
    measure "wc -l" "$size" wc -l "$work/$size.jsonl"
    measure "jq filter" "$size" jq -c "$filter" "$work/$size.jsonl"
    measure "rbaudit selective rule" "$size" "$rbaudit" check "$work/$size.jsonl" --rules "$rules/selective.yaml" --format json
    measure "rbaudit beam pack" "$size" "$rbaudit" check "$work/$size.jsonl" $pack --format json
done
if [ "$large" != 0 ]; then
    measure "wc -l" e7 wc -l "$work/e7.jsonl"
    measure "rbaudit selective rule" e7 "$rbaudit" check "$work/e7.jsonl" --rules "$rules/selective.yaml" --format json
    measure "rbaudit beam pack" e7 "$rbaudit" check "$work/e7.jsonl" $pack --format json
fi
measure "sqlite3 query" e6.sqlite sqlite3 -readonly "$work/e6.sqlite" "$query"
measure "rbaudit sql rule" e6.sqlite "$rbaudit" check "$work/e6.sqlite" --rules "$rules/ledger.yaml" --format json
for repo in r1k r10k; do
    measure "git log -p" "$repo" git -C "$work/$repo" log -p base..HEAD
    measure "rbaudit gate" "$repo" "$rbaudit" gate --repo "$work/$repo" --range base..HEAD --pack beampipe --format json
    rm -f "$work/$repo.cache"
    "$rbaudit" gate --repo "$work/$repo" --range base..HEAD --pack beampipe --cache "$work/$repo.cache" \
        --quiet --fail-on never
    measure "rbaudit gate, cached" "$repo" "$rbaudit" gate --repo "$work/$repo" --range base..HEAD --pack beampipe \
        --cache "$work/$repo.cache" --format json
done
measure "rbaudit gate" r10 "$rbaudit" gate --repo "$work/r10" --range base..HEAD --pack beampipe --format json

# Replay: a conforming Beam bus trace, five events per key.
awk -v n=100000 'BEGIN {
    for (i = 0; i < n; i++) {
        t = 1775980800000 + i * 250
        k = sprintf("n-%07d", i)
        printf "{\"ts\":%.0f,\"type\":\"intent_sent\",\"key\":\"%s\",\"sender\":\"quote-desk\",\"target\":\"pricing-agent\",\"intent\":\"quote.request\",\"transport\":\"sync\"}\n", t, k
        printf "{\"ts\":%.0f,\"type\":\"queued\",\"key\":\"%s\",\"retry_count\":0}\n", t + 1, k
        printf "{\"ts\":%.0f,\"type\":\"delivered\",\"key\":\"%s\"}\n", t + 2, k
        printf "{\"ts\":%.0f,\"type\":\"agent_completed\",\"key\":\"%s\"}\n", t + 5, k
        printf "{\"ts\":%.0f,\"type\":\"acked\",\"key\":\"%s\"}\n", t + 6, k
    }
}' >"$work/trace.jsonl"
measure "rbaudit replay" trace "$rbaudit" replay "$work/trace.jsonl" --model beam-bus --format json
"$rbaudit" replay "$work/trace.jsonl" --model beam-bus --format json --fail-on never >"$work/replay.json"

# ---- the table ----

stamp=$(date -u +%Y%m%dT%H%M%SZ)
jq -R -s --slurpfile replay "$work/replay.json" --arg machine "$(uname -m), $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)" \
    --arg cpu "$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)" --arg when "$stamp" \
    --argjson runs "$runs" -f "$here/table.jq" "$measurements" >"$results/bench-$stamp.json"
cp "$results/bench-$stamp.json" "$results/latest.json"
jq -r -f "$here/print.jq" "$results/latest.json"
say "written: $results/bench-$stamp.json"
