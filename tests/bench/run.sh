#!/bin/sh
# run.sh — `make bench`: rbaudit's speed and memory as ratios against jq,
# sqlite3, sqldiff, git and the floors of reading the bytes (wc -l,
# sha256sum, jq -c .), measured side by side in one run on one machine.
#
# Usage: run.sh RBAUDIT SRCDIR
#
# Generates the evidence (gen-events.awk: flat JSON Lines; gen-nested.awk:
# the same traffic shaped like real bus exports, nested; gen-ledger.awk: a
# ledger and its restore; gen-repo.awk: config repositories) under a
# temporary directory, times every command BENCH_RUNS times (default 3) and
# takes the median wall time and the largest peak RSS (/usr/bin/time),
# prints the table of measurements and goals (README.md, Performance) and
# writes it as JSON to SRCDIR/tests/bench/results/bench-<UTC time>.json and
# latest.json.  Measurements only, never assertions: a slow run is a
# figure to read, not a failure.
#
# Environment:
#   BENCH_RUNS   runs of each command (default 3)
#   BENCH_LARGE  0 leaves out the 10^7-event logs (e7, n7: about 2 GB each)
#                and the 10^6-key replay trace (5·10^6 events, 400 MB): most
#                of the run's time
#   BENCH_DIR    keeps the generated evidence there (made once, reused by
#                later runs) instead of a temporary directory
#   BENCH_ONLY   measure only these evidence names (e.g. "n6 l6"); the
#                other rows and the goals they feed are left out (null)
set -eu
rbaudit=$1
srcdir=$2
here=$srcdir/tests/bench
runs=${BENCH_RUNS:-3}
large=${BENCH_LARGE:-1}
only=${BENCH_ONLY:-}
results=$here/results
mkdir -p "$results"
for tool in jq sqlite3 sqldiff git awk sha256sum /usr/bin/time; do
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
started=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

say() { printf '%s\n' "$*" >&2; }

# wanted NAME: whether evidence NAME is measured in this run.
wanted() {
    case $1 in e7 | n7 | trace6) [ "$large" != 0 ] || return 1 ;; esac
    [ -z "$only" ] && return 0
    case " $only " in *" $1 "*) return 0 ;; esac
    return 1
}

# ---- evidence ----
# Each file is written beside its final name and renamed when whole, so
# that an interrupted run never leaves half a file for BENCH_DIR's next.

made() { # made FILE CMD...: runs CMD into FILE unless FILE is there
    [ -s "$1" ] && return 0
    out=$1
    shift
    "$@" >"$out.part"
    mv "$out.part" "$out"
}

flat() { made "$3" awk -v events="$1" -v keys="$2" -f "$here/gen-events.awk"; }
nested() { made "$3" awk -v events="$1" -v keys="$2" -f "$here/gen-nested.awk"; }

ledger() { # ledger ROWS BACKUP RESTORE
    [ -s "$3" ] && return 0
    rm -f "$2" "$3.part"
    awk -v rows="$1" -f "$here/gen-ledger.awk" | sqlite3 "$2" >/dev/null
    cp "$2" "$3.part"
    awk -v rows="$1" -v part=restore -f "$here/gen-ledger.awk" | sqlite3 "$3.part" >/dev/null
    mv "$3.part" "$3"
}

repo() { # repo COMMITS DIR
    [ -d "$2" ] && return 0
    git init -q -b main "$2"
    awk -v commits="$1" -f "$here/gen-repo.awk" \
        "$srcdir/corpora/beampipe/change-control/commits/01-initial/tree/config/wallaby_hires.v1.yaml" |
        GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null git -C "$2" fast-import --quiet
}

# A conforming Beam bus trace for replay, five events per key.
trace_awk='BEGIN {
    for (i = 0; i < n; i++) {
        t = 1775980800000 + i * 250
        k = sprintf("n-%07d", i)
        printf "{\"ts\":%.0f,\"type\":\"intent_sent\",\"key\":\"%s\",\"sender\":\"quote-desk\",\"target\":\"pricing-agent\",\"intent\":\"quote.request\",\"transport\":\"sync\"}\n", t, k
        printf "{\"ts\":%.0f,\"type\":\"queued\",\"key\":\"%s\",\"retry_count\":0}\n", t + 1, k
        printf "{\"ts\":%.0f,\"type\":\"delivered\",\"key\":\"%s\"}\n", t + 2, k
        printf "{\"ts\":%.0f,\"type\":\"agent_completed\",\"key\":\"%s\"}\n", t + 5, k
        printf "{\"ts\":%.0f,\"type\":\"acked\",\"key\":\"%s\"}\n", t + 6, k
    }
}'
trace() { made "$2" awk -v n="$1" "$trace_awk"; }

say "generating evidence in $work"
wanted e5 && flat 100000 1000 "$work/e5.jsonl"
wanted e6 && flat 1000000 100000 "$work/e6.jsonl"
wanted e7 && flat 10000000 100000 "$work/e7.jsonl"
wanted n5 && nested 100000 1000 "$work/n5.jsonl"
wanted n6 && nested 1000000 100000 "$work/n6.jsonl"
wanted n7 && nested 10000000 100000 "$work/n7.jsonl"
if wanted e6.sqlite && [ ! -s "$work/e6.sqlite" ]; then
    awk -v events=1000000 -v keys=100000 -v format=sql -f "$here/gen-events.awk" | sqlite3 "$work/e6.sqlite.part" >/dev/null
    mv "$work/e6.sqlite.part" "$work/e6.sqlite"
fi
wanted l6 && ledger 1000000 "$work/l6-backup.sqlite" "$work/l6-restore.sqlite"
wanted r10 && repo 10 "$work/r10"
wanted r1k && repo 1000 "$work/r1k"
wanted r10k && repo 10000 "$work/r10k"
wanted trace5 && trace 100000 "$work/trace5.jsonl"
wanted trace6 && trace 1000000 "$work/trace6.jsonl"

# ---- measuring ----

# measure NAME EVIDENCE CMD...: runs CMD $runs times (output discarded) and
# records the median, fastest and slowest wall time in microseconds, the
# largest peak RSS in KiB and the 1-minute load average before the first
# run (other work on the machine shows there).
measure() {
    name=$1 size=$2
    shift 2
    wanted "$size" || return 0
    load=$(cut -d' ' -f1 /proc/loadavg)
    say "  $name ($size, load $load)"
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
    sort -n "$work/times" | awk -v name="$name" -v size="$size" -v rss="$rss" -v load="$load" \
        '{ t[NR] = $1 } END { printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, size, t[int((NR + 1) / 2)], rss, t[1], t[NR], load }' \
        >>"$measurements"
}

rules=$here/rules
flat_filter='select(.type == "dead_letter" and .error_code == "FORBIDDEN")'
nested_filter='select(.type == "failed" and .detail.error_code == "FORBIDDEN")'
query="SELECT seq AS key, ts, sender, target FROM events WHERE type = 'dead_letter' AND error_code = 'FORBIDDEN' ORDER BY seq"

# 10^7 events are about 2.2 GB, past the 2 GiB rbaudit refuses by default:
# for them "$@" holds the --max-input-size a user auditing such a log
# passes.

say "measuring (median of $runs runs each)"
# Flat lines: one selective rule and the Beam pack against jq.
for size in e5 e6 e7; do
    f=$work/$size.jsonl
    set --
    [ "$size" != e7 ] || set -- --max-input-size 4G
    measure "wc -l" "$size" wc -l "$f"
    measure "jq filter" "$size" jq -c "$flat_filter" "$f"
    measure "rbaudit selective rule" "$size" "$rbaudit" check "$f" --rules "$rules/selective.yaml" --format json "$@"
    measure "rbaudit beam pack" "$size" "$rbaudit" check "$f" --pack beam --format json "$@"
done
# Nested lines: the floors of reading the bytes, one selective rule on a
# nested field, and the default packs as a user runs them (no --rules, no
# --pack) against jq.
for size in n5 n6 n7; do
    f=$work/$size.jsonl
    set --
    [ "$size" != n7 ] || set -- --max-input-size 4G
    measure "wc -l" "$size" wc -l "$f"
    measure "sha256sum" "$size" sha256sum "$f"
    [ "$size" = n7 ] || measure "jq -c ." "$size" jq -c . "$f"
    measure "jq filter" "$size" jq -c "$nested_filter" "$f"
    measure "rbaudit selective rule" "$size" "$rbaudit" check "$f" --rules "$rules/selective-nested.yaml" --format json "$@"
    measure "rbaudit default packs" "$size" "$rbaudit" check "$f" --format json "$@"
done
measure "sqlite3 query" e6.sqlite sqlite3 -readonly "$work/e6.sqlite" "$query"
measure "rbaudit sql rule" e6.sqlite "$rbaudit" check "$work/e6.sqlite" --rules "$rules/ledger.yaml" --format json
measure "sqldiff --primarykey" l6 sqldiff --primarykey "$work/l6-backup.sqlite" "$work/l6-restore.sqlite"
measure "rbaudit diff" l6 "$rbaudit" diff "$work/l6-backup.sqlite" "$work/l6-restore.sqlite" --format json
for repo in r1k r10k; do
    wanted "$repo" || continue
    measure "git log -p" "$repo" git -C "$work/$repo" log -p base..HEAD
    measure "rbaudit gate" "$repo" "$rbaudit" gate --repo "$work/$repo" --range base..HEAD --pack beampipe --format json
    rm -f "$work/$repo.cache"
    "$rbaudit" gate --repo "$work/$repo" --range base..HEAD --pack beampipe --cache "$work/$repo.cache" \
        --quiet --fail-on never
    measure "rbaudit gate, cached" "$repo" "$rbaudit" gate --repo "$work/$repo" --range base..HEAD --pack beampipe \
        --cache "$work/$repo.cache" --format json
done
measure "rbaudit gate" r10 "$rbaudit" gate --repo "$work/r10" --range base..HEAD --pack beampipe --format json
for size in trace5 trace6; do
    measure "rbaudit replay" "$size" "$rbaudit" replay "$work/$size.jsonl" --model beam-bus --format json
done

# ---- facts the table needs ----

# What the default packs are (the directory `rbaudit check` reads without
# --rules or --pack: rules/ of the source tree for a binary in the build
# tree) and what they find in the nested 10^6 events, rule by rule.
packs_dir=$("$rbaudit" check --help | sed -n 's/.*default packs run (\(.*\))\.$/\1/p')
printf '{}' >"$work/found.json"
if wanted n6; then
    "$rbaudit" check "$work/n6.jsonl" --format json --fail-on never >"$work/n6-report.json"
    jq '{rules: .summary.rules, findings: .summary.findings,
         by_rule: (reduce .findings[] as $f ({}; .[$f.rule] += 1))}' "$work/n6-report.json" >"$work/found.json"
fi
# Bytes and lines of each evidence file; a trace line is one replayed event.
printf '{' >"$work/sizes.json"
sep=
for f in e5 e6 e7 n5 n6 n7 trace5 trace6; do
    [ -s "$work/$f.jsonl" ] || continue
    printf '%s"%s": {"bytes": %s, "lines": %s}' "$sep" "$f" "$(wc -c <"$work/$f.jsonl")" "$(wc -l <"$work/$f.jsonl")" \
        >>"$work/sizes.json"
    sep=,
done
printf '}\n' >>"$work/sizes.json"

# ---- the table ----

stamp=$(date -u +%Y%m%dT%H%M%SZ)
jq -R -s --slurpfile sizes "$work/sizes.json" --slurpfile found "$work/found.json" \
    --arg machine "$(uname -m), $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)" \
    --arg cpu "$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)" --arg when "$stamp" \
    --arg load_start "$load_start" --arg load_end "$(cut -d' ' -f1-3 /proc/loadavg)" \
    --argjson duration "$(($(date +%s) - started))" --arg packs_dir "$packs_dir" \
    --argjson runs "$runs" -f "$here/table.jq" "$measurements" >"$results/bench-$stamp.json"
cp "$results/bench-$stamp.json" "$results/latest.json"
jq -r -f "$here/print.jq" "$results/latest.json"
say "written: $results/bench-$stamp.json"
