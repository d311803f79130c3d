#!/bin/sh
# replay.sh — replay throughput: simulated events (inputs fed and outputs
# emitted) per second of `rbaudit replay` on a generated conforming Beam
# bus trace.  Part of `make bench`; prints one table row and writes
# results/replay.json.  Usage: replay.sh RBAUDIT [KEYS]
set -eu
rbaudit=$1
keys=${2:-100000}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$here/results"

# Five events per key (send, queued, delivered, completed, acked), one key
# every 250 ms, under the Shield rate limit of the model (5 per second).
awk -v n="$keys" 'BEGIN {
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

start=$(date +%s.%N)
/usr/bin/time -f '%M' -o "$work/rss" "$rbaudit" replay "$work/trace.jsonl" --model beam-bus --format json >"$work/out.json"
end=$(date +%s.%N)
jq -n --slurpfile r "$work/out.json" --arg began "$start" --arg ended "$end" --arg rss "$(cat "$work/rss")" --argjson keys "$keys" '
    ($r[0].replay) as $p
    | (($ended | tonumber) - ($began | tonumber)) as $secs
    | {bench: "replay", model: $p.model, keys: $keys, inputs: $p.inputs, outputs: $p.outputs,
       conforming: $p.summary.conforming, seconds: ($secs * 1000 | round / 1000),
       simulated_events_per_second: ((($p.inputs + $p.outputs) / $secs) | round),
       trace_events_per_second: (($keys * 5 / $secs) | round), peak_rss_kib: ($rss | tonumber)}' >"$here/results/replay.json"
jq -r '"replay  \(.keys) keys  \(.inputs + .outputs) simulated events  \(.seconds) s  \(.simulated_events_per_second) simulated events/s  (\(.trace_events_per_second) trace events/s)  peak RSS \(.peak_rss_kib) KiB"' "$here/results/replay.json"
