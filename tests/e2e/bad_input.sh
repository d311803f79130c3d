# bad_input.sh — invalid evidence: exit 2 with the file, the line and what
# was expected; never a crash, never exit 0.
. "$(dirname "$0")/lib.sh"

ok='{"ts":"2026-04-12T10:00:00Z","type":"queued","key":"n-1"}'

# check_bad FILE TEXT: the file is refused with TEXT in the message.
check_bad() {
    run check "$1" --rules rules/beam --format json
    expect_no_crash
    expect_status 2
    expect_stderr "$2"
    checks=$((checks + 1))
    [ ! -s "$tmp/out" ] || fail "a report was written for invalid input"
}

printf '%s\n%s\n{"ts": oops}\n' "$ok" "$ok" >"$tmp/malformed.jsonl"
check_bad "$tmp/malformed.jsonl" "malformed.jsonl:3: invalid JSON at column"
check_bad "$tmp/malformed.jsonl" "expected one JSON object per line"

printf '%s\n[1,2]\n' "$ok" >"$tmp/array.jsonl"
check_bad "$tmp/array.jsonl" "array.jsonl:2: expected a JSON object per line"

printf '%s\n{"type":"queued"}\n' "$ok" >"$tmp/nots.jsonl"
check_bad "$tmp/nots.jsonl" "nots.jsonl:2: event has no 'ts' field"

printf '{"ts":"2026-04-12T10:00:00Z"}\n' >"$tmp/notype.jsonl"
check_bad "$tmp/notype.jsonl" "notype.jsonl:1: event has no 'type' field"

printf '{"ts":"12 April 2026","type":"x"}\n' >"$tmp/badts.jsonl"
check_bad "$tmp/badts.jsonl" "badts.jsonl:1: event 'ts' is neither an RFC 3339 time"

printf '{"ts":"2026-02-30T10:00:00Z","type":"x"}\n' >"$tmp/baddate.jsonl"
check_bad "$tmp/baddate.jsonl" "baddate.jsonl:1: event 'ts'"

printf '{"ts":1,"type":"x","seq":"7"}\n' >"$tmp/badseq.jsonl"
check_bad "$tmp/badseq.jsonl" "badseq.jsonl:1: event 'seq' is not an integer"

printf '{"ts":1,"type":"x","type":"y"}\n' >"$tmp/dupkey.jsonl"
check_bad "$tmp/dupkey.jsonl" "dupkey.jsonl:1: invalid JSON"

printf '{"ts":1,"type":"x\0y"}\n' >"$tmp/nul.jsonl"
check_bad "$tmp/nul.jsonl" "nul.jsonl:1:"

printf '{"ts":1,"type":"\377\376"}\n' >"$tmp/utf8.jsonl"
check_bad "$tmp/utf8.jsonl" "utf8.jsonl:1: invalid JSON"

printf '{"a": [1, 2}\n' >"$tmp/doc.json"
check_bad "$tmp/doc.json" "doc.json:1:"

printf 'a: 1\nb: [1, 2\nc: 3\n' >"$tmp/doc.yaml"
check_bad "$tmp/doc.yaml" "doc.yaml:"

printf 'a: 1\na: 2\n' >"$tmp/dup.yaml"
check_bad "$tmp/dup.yaml" "dup.yaml:2: duplicate key 'a'"

check_bad "$tmp/does-not-exist.jsonl" "does-not-exist.jsonl: cannot read"

printf 'plain text\n' >"$tmp/notes.txt"
check_bad "$tmp/notes.txt" "notes.txt: no known kind of evidence"

# Deeply nested JSON is refused by the parser's depth limit, not a crash.
python3 -c 'print("{\"ts\":1,\"type\":\"x\",\"d\":" + "[" * 100000 + "]" * 100000 + "}")' >"$tmp/deep.jsonl"
check_bad "$tmp/deep.jsonl" "deep.jsonl:1: invalid JSON"

# --kind reads a file of any name as the kind it names.
printf '%s\n%s\n' "$ok" "$ok" >"$tmp/bus.log"
run check --kind jsonl="$tmp/bus.log" "$tmp/bus.log" --rules rules/beam --format json
expect_status 0
expect_json '.inputs[0].kind' '"jsonl"'
expect_json '.summary.events' '2'

# Content detection: JSON Lines without a suffix.
run check "$tmp/bus.log" --rules rules/beam --format json
expect_status 0
expect_json '.inputs[0].kind' '"jsonl"'

run check --kind csv="$tmp/bus.log" "$tmp/bus.log"
expect_status 2
expect_stderr "unknown kind 'csv'"

# --lenient: a bad line is an RBA-INPUT finding and the rest is audited.
run check "$tmp/malformed.jsonl" --rules rules/beam --format json --lenient
expect_status 1
expect_json '[.findings[] | [.rule, .origins[0].line]]' '[["RBA-INPUT",3]]'
expect_json '.summary.events' '2'

# Empty inputs are valid, but a run that read nothing audited nothing: it
# does not pass unless --allow-empty says it may.
: >"$tmp/empty.jsonl"
run check "$tmp/empty.jsonl" --rules rules/beam --format json
expect_status 2
expect_stderr "nothing to audit: $tmp/empty.jsonl gave no event, no document and no ledger table a rule reads"
run check "$tmp/empty.jsonl" --rules rules/beam --format json --allow-empty
expect_status 0
expect_json '.summary.events' '0'
expect_json '.now' 'null'

# A directory is walked; unknown files in it are skipped.
mkdir "$tmp/dir" "$tmp/dir/sub"
printf '%s\n' "$ok" >"$tmp/dir/sub/a.jsonl"
printf 'x\n' >"$tmp/dir/readme.txt"
run check "$tmp/dir" --rules rules/beam --format json
expect_status 0
expect_json '[.inputs[].path | endswith("dir/sub/a.jsonl")]' '[true]'

done_testing
