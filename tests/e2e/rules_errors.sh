# rules_errors.sh — a rule file with a mistake is refused with its file,
# line and what was expected (exit 2).
. "$(dirname "$0")/lib.sh"

ev="$tmp/ev.jsonl"
printf '{"ts":"2026-04-12T10:00:00Z","type":"queued","key":"n-1"}\n' >"$ev"

# check_rule_error TEXT: rule file $tmp/r.yaml is refused with TEXT.
check_rule_error() {
    run check "$ev" --rules "$tmp/r.yaml"
    expect_no_crash
    expect_status 2
    expect_stderr "$1"
}

header='- id: TEST-A-001
  title: t
  severity: error'

printf '%s\n  colour: red\n  match: {type: x}\n' "$header" >"$tmp/r.yaml"
check_rule_error "r.yaml:4: unknown key 'colour' in a rule"

printf '%s\n  match: {type|startwith: x}\n' "$header" >"$tmp/r.yaml"
check_rule_error "r.yaml:4: unknown modifier 'startwith'"

printf '%s\n  match: {type|re: "(["}\n' "$header" >"$tmp/r.yaml"
check_rule_error "r.yaml:4: invalid regular expression"

printf '%s\n  match: {type: "{nope}"}\n' "$header" >"$tmp/r.yaml"
check_rule_error "unknown parameter"

printf '%s\n  match: {type: x}\n%s\n  match: {type: y}\n' "$header" "$header" >"$tmp/r.yaml"
check_rule_error "r.yaml:5: duplicate rule id 'TEST-A-001' (first defined at"

printf -- '- title: t\n  severity: error\n  match: {type: x}\n' >"$tmp/r.yaml"
check_rule_error "r.yaml:1: rule has no 'id'"

printf -- '- id: lowercase\n  title: t\n  severity: error\n  match: {type: x}\n' >"$tmp/r.yaml"
check_rule_error "r.yaml:1: rule id 'lowercase' is not of the form PACK-AREA-NNN"

printf -- '- id: TEST-A-001\n  title: t\n  severity: fatal\n  match: {type: x}\n' >"$tmp/r.yaml"
check_rule_error "r.yaml:3: unknown severity (expected error, warning or note)"

printf '%s\n' "$header" >"$tmp/r.yaml"
check_rule_error "r.yaml:1: rule has no check (expected one of: match"

printf '%s\n  match: [a, b]\n' "$header" >"$tmp/r.yaml"
check_rule_error "r.yaml:4:"

printf '%s\n  events: {type: x}\n  documents: {kind: yaml}\n  match: {a: 1}\n' "$header" >"$tmp/r.yaml"
check_rule_error "r.yaml:5: a rule reads either 'events' or 'documents'"

printf '%s\n  match: {type: x\n' "$header" >"$tmp/r.yaml"
check_rule_error "r.yaml:"

printf 'rules: []\nextras: 1\n' >"$tmp/r.yaml"
check_rule_error "r.yaml:2: unknown top-level key 'extras'"

printf 'sources:\n  - name: s\n    files: "*.jsonl"\n    fields: {ts: [1]}\n' >"$tmp/r.yaml"
check_rule_error "r.yaml:2: 'fields' must map"

run check "$ev" --rules "$tmp/no-such-rules.yaml"
expect_status 2
expect_stderr "no-such-rules.yaml: cannot read rules"

# Parameters: defaults, overrides typed as YAML scalars.
printf -- '- id: TEST-A-001\n  title: t\n  severity: error\n  params: {kind: queued}\n  message: "saw {kind}"\n  match: {type: "{kind}"}\n' >"$tmp/r.yaml"
run check "$ev" --rules "$tmp/r.yaml" --format json
expect_status 1
expect_json '[.findings[].message]' '["saw queued"]'
run check "$ev" --rules "$tmp/r.yaml" --format json --param TEST-A-001.kind=acked
expect_status 0
expect_json '.findings' '[]'

done_testing
