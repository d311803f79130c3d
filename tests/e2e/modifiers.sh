# modifiers.sh — every selector modifier through the built binary: for each,
# the event lines it matches (violating) and those it does not (clean: every
# rule leaves at least one line alone), on events with mixed offsets, typed
# values, missing fields and nulls.
. "$(dirname "$0")/lib.sh"

ev="$tmp/events.jsonl"
# Line 2 is 08:01Z, before line 1: the file is out of order on purpose.
cat >"$ev" <<'JSONL'
{"ts":"2026-04-12T10:00:00Z","type":"queued","key":"n-1","agent":"billing-agent","attempts":1,"labels":["prod","eu"],"detail":{"code":"FORBIDDEN","wait":"90s","at":"2026-04-12T10:00:00Z"}}
{"ts":"2026-04-12T10:01:00+02:00","type":"dead_letter","key":"n-2","agent":"ledger-agent","attempts":3,"labels":[],"detail":{"code":"forbidden","wait":"5m","at":"2026-04-12T11:00:00+02:00"}}
{"ts":1775988120000,"type":"acked","key":"n-3","agent":"Billing-Agent","attempts":"3","detail":{"code":null}}
{"ts":"2026-04-12T10:03:00Z","type":"other","key":"n-4"}
JSONL

# rule ID SELECTOR: one match rule per modifier, in one pack file.
rules="$tmp/modifiers.yaml"
: >"$rules"
rule() {
    printf -- '- id: %s\n  title: %s\n  severity: error\n  match: %s\n' "$1" "$1" "$2" >>"$rules"
}
rule MOD-EQ-001        '{type: dead_letter}'
rule MOD-ANYOF-001     '{type: [queued, acked]}'
rule MOD-IN-001        '{type|in: [acked]}'
rule MOD-NOTIN-001     '{type|not|in: [queued, acked]}'
rule MOD-CONTAINS-001  '{agent|contains: ledger}'
rule MOD-CONTAINS-002  '{labels|contains: eu}'
rule MOD-CONTAINSI-001 '{detail.code|contains|i: forbid}'
rule MOD-STARTS-001    '{agent|startswith: billing}'
rule MOD-STARTSI-001   '{agent|startswith|i: billing}'
rule MOD-ENDS-001      '{key|endswith: "-3"}'
rule MOD-GLOB-001      '{agent|glob: "*-agent"}'
rule MOD-RE-001        '{agent|re: "^(billing|ledger)-"}'
rule MOD-EXISTS-001    '{detail.wait|exists: true}'
rule MOD-EXISTS-002    '{labels|exists: false}'
rule MOD-EXISTS-003    '{detail.code|exists: true}'
rule MOD-GT-001        '{attempts|gt: 1}'
rule MOD-GTE-001       '{attempts|gte: 1}'
rule MOD-LT-001        '{detail.wait|lt: 2m}'
rule MOD-LTE-001       '{detail.at|lte: "2026-04-12T09:30:00Z"}'
rule MOD-LEN-001       '{labels|len: 2}'
rule MOD-LENGT-001     '{agent|len|gt: 12}'
rule MOD-NOT-001       '{type|not: queued}'
rule MOD-NOTMISS-001   '{labels|not|contains: eu}'
rule MOD-TYPED-001     '{attempts: 3}'
rule MOD-INDEX-001     '{labels.0: prod}'
rule MOD-COMPOSE-001   '{any: [{type: acked}, {attempts|gte: 3}], not: {agent: ledger-agent}}'
cat >>"$rules" <<'YAML'
- id: MOD-PARAM-001
  title: a parameter keeps its type
  severity: error
  params: {code: FORBIDDEN}
  match: {detail.code: "{code}"}
YAML

run check "$ev" --rules "$rules" --format json
expect_status 1
matched='[.findings | group_by(.rule)[] | {(.[0].rule): [.[].origins[0].line] | sort}] | add'
expect_json "$matched" "$(tr -d ' \n' <<'JSON'
{"MOD-ANYOF-001":[1,3],"MOD-COMPOSE-001":[3],"MOD-CONTAINS-001":[2],"MOD-CONTAINS-002":[1],
 "MOD-CONTAINSI-001":[1,2],"MOD-ENDS-001":[3],"MOD-EQ-001":[2],"MOD-EXISTS-001":[1,2],
 "MOD-EXISTS-002":[3,4],"MOD-EXISTS-003":[1,2,3],"MOD-GLOB-001":[1,2],"MOD-GT-001":[2],
 "MOD-GTE-001":[1,2],"MOD-IN-001":[3],"MOD-INDEX-001":[1],"MOD-LEN-001":[1],
 "MOD-LENGT-001":[1,3],"MOD-LT-001":[1],"MOD-LTE-001":[2],"MOD-NOT-001":[2,3,4],
 "MOD-NOTIN-001":[2,4],"MOD-NOTMISS-001":[2,3,4],"MOD-PARAM-001":[1],"MOD-RE-001":[1,2],
 "MOD-STARTS-001":[1],"MOD-STARTSI-001":[1,3],"MOD-TYPED-001":[2]}
JSON
)"
# Every finding names its key, and the offsets were read as times: the
# newest event (line 4, 10:03Z) is the clock.
expect_json '[.findings[] | select(.rule == "MOD-EQ-001") | .key]' '["n-2"]'
expect_json '.now' '"2026-04-12T10:03:00Z"'
expect_json '[.findings | group_by(.rule)[] | length] | max' '3'

# --param overrides keep YAML typing; an unknown parameter is refused.
run check "$ev" --rules "$rules" --format json --param MOD-PARAM-001.code=forbidden
expect_json '[.findings[] | select(.rule == "MOD-PARAM-001") | .origins[0].line]' '[2]'
run check "$ev" --rules "$rules" --param MOD-PARAM-001.colour=red
expect_status 2
expect_stderr "has no parameter 'colour'"
run check "$ev" --rules "$rules" --param MOD-NOPE-001.code=x
expect_status 2
expect_stderr "MOD-NOPE-001"

# Empty evidence: nothing to match, exit 0 when an empty run is allowed.
: >"$tmp/empty.jsonl"
run check "$tmp/empty.jsonl" --rules "$rules" --format json --allow-empty
expect_status 0
expect_json '.summary.events' '0'

done_testing
