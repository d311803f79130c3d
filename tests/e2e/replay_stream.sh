#!/bin/sh
# replay_stream.sh — a replay reads its trace once and holds the keys that
# are open, not the trace: keys the run no longer touches go to a temporary
# file and come back as they were, and a trace out of time order is sorted
# on disk.  Whatever memory the run is given, every report is the same
# bytes; the temporary files are gone when it ends.
#
# RBAUDIT_REPLAY_KEYS and RBAUDIT_REPLAY_SORT_MEMORY shrink the run's
# budgets (keys held, bytes of trace sorted in memory) so that a small
# trace goes through every path that a large one takes.
. "$(dirname "$0")/lib.sh"

# Beam bus traffic: keys of three kinds (strings, integers, strings with
# escapes), three keys at each time (ties ordered by content), nested and
# escaped fields, a seq on some events, keys that end dead-lettered, an
# agent going off and on line, and events of early keys again at the end
# (a retired key comes back).
awk -v n=400 'BEGIN {
    for (i = 0; i < n; i++) {
        t = 1775980800000 + int(i / 3) * 1000
        r = i % 7
        if (r == 5) k = 100000 + i
        else if (r == 6) k = sprintf("\"k\\u00e9-%d\\\"q\"", i)
        else k = sprintf("\"n-%05d\"", i)
        extra = i % 4 == 0 ? ",\"detail\":{\"b\":[1,{\"z\":2,\"a\":\"\\u2028x\"}],\"a\":1.50}" : ""
        target = i % 11 == 0 ? "ledger-agent" : "pricing-agent"
        printf "{\"ts\":%.0f,\"type\":\"intent_sent\",\"key\":%s,\"sender\":\"quote-desk\",\"target\":\"%s\",\"intent\":\"quote.request\",\"transport\":\"sync\"%s}\n", t, k, target, extra
        printf "{\"ts\":%.0f,\"type\":\"queued\",\"key\":%s,\"retry_count\":0}\n", t + 1, k
        if (i % 13 == 0) {
            printf "{\"ts\":%.0f,\"type\":\"dead_letter\",\"key\":%s,\"error_code\":\"X\"}\n", t + 9, k
            continue
        }
        printf "{\"ts\":%.0f,\"type\":\"delivered\",\"key\":%s}\n", t + 2, k
        printf "{\"seq\":%d,\"ts\":%.0f,\"type\":\"agent_completed\",\"key\":%s}\n", i % 3, t + 5, k
        printf "{\"ts\":%.0f,\"type\":\"acked\",\"key\":%s}\n", t + 6, k
        if (i % 50 == 0) printf "{\"ts\":%.0f,\"type\":\"agent_offline\",\"agent\":\"ledger-agent\"}\n", t + 7
        if (i % 50 == 25) printf "{\"ts\":%.0f,\"type\":\"agent_online\",\"agent\":\"ledger-agent\"}\n", t + 7
    }
    for (i = 1; i < n; i += 20)
        printf "{\"ts\":%.0f,\"type\":\"intent_sent\",\"key\":\"n-%05d\",\"sender\":\"quote-desk\",\"target\":\"pricing-agent\",\"intent\":\"quote.request\",\"transport\":\"async\"}\n", 1775990000000 + i, i
}' >"$tmp/trace.jsonl"
# The same events in a shuffled order: read again through the sort.
awk 'NR % 3 == 0' "$tmp/trace.jsonl" >"$tmp/shuffled.jsonl"
awk 'NR % 3 != 0' "$tmp/trace.jsonl" | sort -r >>"$tmp/shuffled.jsonl"
printf 'events:\n  - {ts: 1775980900000, type: agent_online, agent: ledger-agent}\n  - {ts: 1775980900000, type: intent_sent, key: n-9, sender: quote-desk, target: pricing-agent, intent: quote.request, transport: async}\n' \
    >"$tmp/online.yaml"

small="RBAUDIT_REPLAY_KEYS=4 RBAUDIT_REPLAY_SORT_MEMORY=2000"
for trace in trace shuffled; do
    for format in json text sarif; do
        for what_if in "" "--what-if $tmp/online.yaml"; do
            # shellcheck disable=SC2086
            run replay "$tmp/$trace.jsonl" --model beam-bus $what_if --format "$format"
            expect_status 1
            cp "$tmp/out" "$tmp/roomy"
            # shellcheck disable=SC2086
            env $small "$RBAUDIT" replay "$tmp/$trace.jsonl" --model beam-bus $what_if --format "$format" \
                >"$tmp/out" 2>"$tmp/err"
            checks=$((checks + 1))
            cmp -s "$tmp/out" "$tmp/roomy" ||
                fail "$trace, $format $what_if: the report differs when the keys and the sort spill to disk"
        done
    done
done

# The trace in order and shuffled replay the same way.
run replay "$tmp/trace.jsonl" --model beam-bus --format json
cp "$tmp/out" "$tmp/ordered.json"
run replay "$tmp/shuffled.jsonl" --model beam-bus --format json
expect_json '.replay.summary' "$("$JQ" -c .replay.summary "$tmp/ordered.json")"
expect_json '.replay.replay_hash' "$("$JQ" -c .replay.replay_hash "$tmp/ordered.json")"
expect_json '.replay.keys | length' "$("$JQ" -c '.replay.keys | length' "$tmp/ordered.json")"
expect_json '.replay.summary.diverging > 0 and .replay.summary.conforming > 0' true

# --verbose says what went to disk; nothing is left behind.
mkdir "$tmp/spill"
last="$small rbaudit replay shuffled.jsonl --verbose"
env $small TMPDIR="$tmp/spill" "$RBAUDIT" replay "$tmp/shuffled.jsonl" --model beam-bus --verbose --format json \
    >"$tmp/out" 2>"$tmp/err"
status=$?
expect_status 1
expect_stderr "is not in time order: sorted through"
checks=$((checks + 1))
retired=$(sed -n 's/.*keys; \([0-9]*\) retired to disk as the run left them, \([0-9]*\) of those brought back/\1 \2/p' \
    "$tmp/err")
set -- $retired
[ "${1:-0}" -gt 0 ] && [ "${2:-0}" -gt 0 ] || fail "expected keys retired to disk and brought back, got '$retired'"
checks=$((checks + 1))
[ -z "$(ls -A "$tmp/spill")" ] || fail "temporary files left in TMPDIR: $(ls -A "$tmp/spill")"

# A TMPDIR that cannot hold the files is an error that names it.
last="rbaudit replay with TMPDIR=/nonexistent"
env $small TMPDIR=/nonexistent/rbaudit "$RBAUDIT" replay "$tmp/shuffled.jsonl" --model beam-bus --format json \
    >"$tmp/out" 2>"$tmp/err"
status=$?
expect_status 3
expect_stderr "/nonexistent/rbaudit"
done_testing
