# prefilter.sh — lines that no rule can select are not parsed, and that
# changes nothing: the same findings, event count and end of the evidence
# as when every line is parsed, and every bad line still refused.
. "$(dirname "$0")/lib.sh"

rule() { # rule ID BODY: one rule's YAML
    printf -- '- id: %s\n  title: t\n  severity: error\n  runbook: "r"\n  message: "{key} at {ts}"\n  remediation: "x"\n%s\n' "$1" "$2"
}
rule T-1 '  events: {source: beam.bus}
  match: {type: dead_letter}' >"$tmp/filtered.yaml"
# A rule whose selector needs no text turns the prefilter off.
{ cat "$tmp/filtered.yaml"; rule T-2 '  match: {retry_count|gt: 1000}'; } >"$tmp/unfiltered.yaml"

cat >"$tmp/bus.jsonl" <<'LOG'
{"ts":"2026-04-12T10:00:00Z","seq":1,"type":"queued","source":"beam.bus","key":"n-1"}
{"ts":"2026-04-12T10:00:01Z","seq":2,"type":"dead_letter","source":"beam.bus","key":"n-1"}
{"ts":"2026-04-12T10:00:02Z","seq":3,"type":"dead\u005fletter","source":"beam\u002ebus","key":"n-2"}
{"ts":"2026-04-12T10:00:03Z","seq":4,"type":"queued","source":"beam.bus","key":"n-3","meta":{"note":"nested"}}
{"ts":1775988000000,"type":"queued","source":"beam.bus","key":"n-4"}
{"ts":"2026-04-12T12:30:00+02:00","type":"queued","source":"beam.bus","key":"n-5"}
{"ts":"2026-04-12T10:00:04Z","seq":5,"type":"dead_letter","source":"beam.bus","key":"n-6"}

{"ts":"2026-04-12T09:00:00Z","type":"dead_letter","source":"beam.acl","key":"n-7"}
LOG

project='{findings: [.findings[] | {rule, key, message, origins}], events: .summary.events, now}'
run check "$tmp/bus.jsonl" --rules "$tmp/filtered.yaml" --format json --fail-on never
expect_status 0
expect_json '[.findings[].key]' '["n-1","n-2","n-6"]'
expect_json '.summary.events' '8'
expect_json '.now' '"2026-04-12T10:30:00Z"'
"$JQ" -c "$project" "$tmp/out" >"$tmp/filtered.json"
run check "$tmp/bus.jsonl" --rules "$tmp/unfiltered.yaml" --format json --fail-on never
expect_status 0
"$JQ" -c "$project" "$tmp/out" >"$tmp/unfiltered.json"
checks=$((checks + 1))
cmp -s "$tmp/filtered.json" "$tmp/unfiltered.json" ||
    fail "the prefilter changed the report: $(cat "$tmp/filtered.json") vs $(cat "$tmp/unfiltered.json")"

# A line out of order that no rule selects still puts the input in order.
printf '%s\n%s\n' '{"ts":"2026-04-12T11:00:00Z","type":"queued","source":"beam.bus","key":"n-8"}' \
    '{"ts":"2026-04-12T10:00:00Z","type":"dead_letter","source":"beam.bus","key":"n-9"}' >"$tmp/unsorted.jsonl"
run check "$tmp/unsorted.jsonl" --rules "$tmp/filtered.yaml" --format json --fail-on never
expect_status 0
expect_json '[.findings[].key, .summary.events, .now]' '["n-9",2,"2026-04-12T11:00:00Z"]'

# Bad lines that no rule selects are refused as they always were.
bad() { # bad LINE MESSAGE
    printf '%s\n%s\n' '{"ts":"2026-04-12T10:00:00Z","type":"dead_letter","source":"beam.bus","key":"n-1"}' "$1" \
        >"$tmp/bad.jsonl"
    for rules in filtered unfiltered; do
        run check "$tmp/bad.jsonl" --rules "$tmp/$rules.yaml" --format json
        expect_no_crash
        expect_status 2
        expect_stderr "bad.jsonl:2: $2"
    done
}
bad '{"ts":"2026-04-12T10:00:00Z","type":"queued","x":tru}' "invalid JSON at column"
bad '{"ts":"2026-04-12T10:00:00Z","type":"queued","type":"acked"}' "invalid JSON"
bad '{"ts":"2026-04-12T10:00:00Z","type":"queued"' "invalid JSON"
bad '{"ts":"2026-04-12T10:00:00Z","type":7}' "event 'type' is not a string"
bad '{"ts":"12 April","type":"queued"}' "event 'ts' is neither"
bad '{"ts":"2026-04-12T10:00:00Z","type":"queued","seq":1.5}' "event 'seq' is not an integer"
bad '{"type":"queued"}' "event has no 'ts' field"
# an epoch number is read by its magnitude (rbaudit-rules(5)): every plain
# integer is a time but a negative one beyond the year 0000
bad '{"ts":-99999999999,"type":"queued"}' "event 'ts' is neither"

# --lenient turns them into RBA-INPUT findings, filtered or not.
run check "$tmp/bad.jsonl" --rules "$tmp/filtered.yaml" --format json --lenient --fail-on never
expect_status 0
expect_json '[.findings[].rule] | sort' '["RBA-INPUT","T-1"]'

done_testing
