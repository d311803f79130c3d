# epoch_times.sh — epoch numbers are times: read by their magnitude
# (seconds below 10^11, milliseconds below 10^14, microseconds below 10^17,
# else nanoseconds) in event logs, on the lines no rule reads (the line
# prefilter) and in ledgers mapped by sources, unless a source's
# `time_unit` says; a selector's `ts|gte` window takes an epoch `ts` as the
# instant it is.
. "$(dirname "$0")/lib.sh"

cat >"$tmp/rules.yaml" <<'X'
rules:
  - id: EP-WINDOW
    title: deploys in the window
    severity: error
    message: "{key}"
    match: {type: deploy, "ts|gte": "2026-04-12T10:15:00Z", "ts|lt": "2026-04-12T12:20:00+02:00"}
X
# 2026-04-12T10:15:00Z in each unit, the millisecond before it, and the
# instant the window ends (10:20Z)
printf '%s\n' \
    '{"ts":1775988900000,"type":"deploy","key":"ms"}' \
    '{"ts":1775988899999,"type":"deploy","key":"ms-early"}' \
    '{"ts":1775988900,"type":"deploy","key":"s"}' \
    '{"ts":1775988900.5,"type":"deploy","key":"s-fraction"}' \
    '{"ts":1775988900000000,"type":"deploy","key":"us"}' \
    '{"ts":1775988900000000000,"type":"deploy","key":"ns"}' \
    '{"ts":"2026-04-12T10:15:00Z","type":"deploy","key":"rfc3339"}' \
    '{"ts":1775989200000,"type":"deploy","key":"ms-end"}' >"$tmp/deploys.jsonl"
run check "$tmp/deploys.jsonl" --rules "$tmp/rules.yaml" --format json --fail-on never
expect_status 0
expect_json '[.findings[].key] | sort' '["ms","ns","rfc3339","s","s-fraction","us"]'
# epoch seconds are seconds: the newest event is the report's clock
expect_json '.now' '"2026-04-12T10:20:00Z"'

# A line no rule can select is read by the line scanner, not parsed: its
# epoch seconds are seconds too, so it is the newest event.
printf '%s\n' \
    '{"ts":"2026-04-12T10:00:00Z","type":"deploy","key":"a"}' \
    '{"ts":1775988900,"type":"heartbeat","key":"b"}' >"$tmp/mixed.jsonl"
run check "$tmp/mixed.jsonl" --rules "$tmp/rules.yaml" --format json
expect_status 0
expect_json '[.now, .summary.events, .findings]' '["2026-04-12T10:15:00Z",2,[]]'

# A source's time_unit overrides the magnitude: 1775988900 milliseconds is
# 1970-01-21, outside the window; the mapped event's ts is that time.
cat >"$tmp/units.yaml" <<'X'
sources:
  - name: legacy
    files: "**/legacy.jsonl"
    time_unit: ms
  - name: ledger-deploys
    files: "deploys.db"
    query: "SELECT id AS key, 'deploy' AS type, at AS ts FROM deploys ORDER BY at"
    time_unit: s
rules:
  - id: EP-ALL
    title: every deploy
    severity: note
    message: "{key} at {ts}"
    match: {type: deploy}
  - id: EP-WINDOW
    title: deploys in the window
    severity: error
    match: {type: deploy, "ts|gte": "2026-04-12T10:15:00Z"}
X
printf '%s\n' '{"ts":1775988900,"type":"deploy","key":"legacy-ms"}' >"$tmp/legacy.jsonl"
run check "$tmp/legacy.jsonl" --rules "$tmp/units.yaml" --format json
expect_status 0
expect_json '[.findings[] | [.rule, .message, .evidence[0].ts]]' '[["EP-ALL","legacy-ms at 1970-01-21T13:19:48.900Z","1970-01-21T13:19:48.900Z"]]'
# the same line in a log no source maps is read in seconds
cp "$tmp/legacy.jsonl" "$tmp/other.jsonl"
run check "$tmp/other.jsonl" --rules "$tmp/units.yaml" --format json
expect_status 1
expect_json '[.findings[] | [.rule, .message]] | sort' '[["EP-ALL","legacy-ms at 1775988900"],["EP-WINDOW","deploys in the window"]]'

# Ledger rows mapped by a source: seconds by time_unit, and by magnitude.
sqlite3 "$tmp/deploys.db" "CREATE TABLE deploys (id TEXT PRIMARY KEY, at INTEGER);
    INSERT INTO deploys VALUES ('ledger-s', 1775988900), ('ledger-old', 1775988000);"
run check "$tmp/deploys.db" --rules "$tmp/units.yaml" --format json
expect_status 1
expect_json '[.findings[] | [.rule, .key, .evidence[0].ts]] | sort' \
    '[["EP-ALL","ledger-old","2026-04-12T10:00:00Z"],["EP-ALL","ledger-s","2026-04-12T10:15:00Z"],["EP-WINDOW","ledger-s","2026-04-12T10:15:00Z"]]'
sed 's/    time_unit: s$//' "$tmp/units.yaml" >"$tmp/magnitude.yaml"
run check "$tmp/deploys.db" --rules "$tmp/magnitude.yaml" --format json
expect_status 1
expect_json '[.findings[] | select(.rule=="EP-WINDOW") | .key]' '["ledger-s"]'
expect_json '.now' '"2026-04-12T10:15:00Z"'

# A time the unit cannot hold is an input error naming the line; a unit
# that is none is a rule-file error naming the line.
printf '%s\n' '{"ts":1775988900000000,"type":"deploy","key":"x"}' >"$tmp/legacy.jsonl"
sed 's/time_unit: ms/time_unit: s/' "$tmp/units.yaml" >"$tmp/seconds.yaml"
run check "$tmp/legacy.jsonl" --rules "$tmp/seconds.yaml" --format json
expect_status 2
expect_stderr "legacy.jsonl:1: event 'ts' is no time in the years 0000 to 9999 as epoch seconds (the source's time_unit)"
sed 's/time_unit: ms/time_unit: minutes/' "$tmp/units.yaml" >"$tmp/bad.yaml"
run check "$tmp/legacy.jsonl" --rules "$tmp/bad.yaml" --format json
expect_status 2
expect_stderr "bad.yaml:4: 'time_unit' must be s, ms, us or ns"
sed 's/time_unit: ms/time_unit: 1000/' "$tmp/units.yaml" >"$tmp/bad.yaml"
run check "$tmp/legacy.jsonl" --rules "$tmp/bad.yaml" --format json
expect_status 2
expect_stderr "bad.yaml:4: 'time_unit' must be s, ms, us or ns"

# An epoch number that is no time is an input error, not a date in 1970.
printf '%s\n' '{"ts":-99999999999,"type":"deploy","key":"x"}' >"$tmp/bad.jsonl"
run check "$tmp/bad.jsonl" --rules "$tmp/rules.yaml" --format json
expect_status 2
expect_stderr "bad.jsonl:1: event 'ts' is neither an RFC 3339 time"

done_testing
