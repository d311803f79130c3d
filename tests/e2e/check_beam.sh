# check_beam.sh — `rbaudit check` on the Beam corpus and the Beam pack's
# fixtures: exact findings, exit statuses, formats and field mapping.
. "$(dirname "$0")/lib.sh"

# The clean demo holds every Clean Demo Expectation: no findings.
run check corpora/beam/clean-demo --format json
expect_status 0
expect_json '.schema' '"rbaudit-report/1"'
expect_json '.findings' '[]'
expect_json '.summary | [.findings, .inputs, .events, .documents]' '[0,2,9,0]'
expect_json '[.inputs[] | .path]' '["corpora/beam/clean-demo/acl-changes.jsonl","corpora/beam/clean-demo/bus.jsonl"]'
expect_json '[.inputs[] | .sha256 | length]' '[64,64]'
expect_json '.now' '"2026-04-12T09:20:00Z"'

# The incident: each broken expectation, sorted by severity then rule.
run check corpora/beam/incident-dead-letter --format json
expect_status 1
expect_json '[.findings[] | [.rule, .severity, .origins[0].path, .origins[0].line, .key]]' \
'[["BEAM-ACL-001","error","corpora/beam/incident-dead-letter/acl-changes.jsonl",1,"ledger-agent"],["BEAM-ACL-002","error","corpora/beam/incident-dead-letter/acl-changes.jsonl",1,"ledger-agent"],["BEAM-ACL-002","error","corpora/beam/incident-dead-letter/acl-changes.jsonl",2,"ledger-agent"],["BEAM-DEMO-003","error","corpora/beam/incident-dead-letter/bus.jsonl",3,"n-2001"],["BEAM-DL-002","error","corpora/beam/incident-dead-letter/operator-export.jsonl",1,"n-2001"],["BEAM-DEMO-004","warning","corpora/beam/incident-dead-letter/bus.jsonl",4,"al-88"],["BEAM-INBOX-001","warning","corpora/beam/incident-dead-letter/bus.jsonl",6,"al-88"]]'
expect_json '.findings[0].message' '"ACL change by ops-bob in production allows sender=* target=ledger-agent intent=invoice.post: a wildcard widens access"'
expect_json '.findings[0].runbook' '"000_0c8b0f292bfe17ab.txt › Failure Mode 4: FORBIDDEN Or ACL Denial, What to do, step 4"'
expect_json '.findings[0].remediation | startswith("For production, fix the exact ACL entry")' 'true'
expect_json '.findings[0].evidence[0].sender' '"*"'
expect_json '[.findings[].fingerprint | test("^[0-9a-f]{64}$")] | all' 'true'
expect_json '.findings[6].message' "\"inbox signal al-88 moved to acknowledged with owner 'ops-bob' and next action ''\""
expect_json '.summary | [.findings, .error, .warning, .note]' '[7,5,2,0]'
expect_json '[.rules[].id | select(startswith("BEAM-"))] | length' '19'

# --fail-on sets only the exit status.
run check corpora/beam/incident-dead-letter --format json --fail-on never
expect_status 0
expect_json '.summary.findings' '7'
run check corpora/beam/clean-demo --fail-on note
expect_status 0
run check rules/beam/tests/demo.jsonl --rules rules/beam/demo.yaml --pack beam --format json --fail-on error 2>/dev/null
expect_status 2
expect_stderr "duplicate rule id 'BEAM-DEMO-001'"
run check rules/beam/tests/inbox.jsonl --rules rules/beam/inbox.yaml --fail-on error
expect_status 0
run check rules/beam/tests/inbox.jsonl --rules rules/beam/inbox.yaml --fail-on warning
expect_status 1

# The text report: grouped, with runbook and fix, and a summary line.
run check corpora/beam/incident-dead-letter --no-color
expect_status 1
expect_stdout "error BEAM-ACL-001 ACL widened with a wildcard instead of fixing the exact entry"
expect_stdout "  runbook: 000_0c8b0f292bfe17ab.txt"
expect_stdout "  fix:     For production, fix the exact ACL entry"
expect_stdout "  corpora/beam/incident-dead-letter/bus.jsonl:3  [n-2001] nonce n-2001: billing-agent -> ledger-agent (invoice.post) went to dead_letter in the demo: FORBIDDEN"
expect_stdout "7 findings: 5 errors, 2 warnings, 0 notes (3 inputs, 11 events, 0 documents, "
checks=$((checks + 1))
! grep -q "$(printf '\033')" "$tmp/out" || fail "colour codes in a non-TTY report"

# --quiet writes nothing; --output writes several formats at once.
run check corpora/beam/incident-dead-letter --quiet
expect_status 1
checks=$((checks + 1))
[ ! -s "$tmp/out" ] || fail "--quiet wrote a report"
run check corpora/beam/incident-dead-letter --output json:"$tmp/r.json" --output text:"$tmp/r.txt" --output -
expect_status 1
expect_stdout "7 findings"
checks=$((checks + 1))
"$JQ" -e '.summary.findings == 7' "$tmp/r.json" >/dev/null || fail "json output file"
grep -q "^7 findings" "$tmp/r.txt" || fail "text output file"
ls "$tmp" | grep -q 'tmp-' && fail "temporary report file left behind"

# Field mapping: the operator export names ts/type/key created_at/stage/nonce.
cat >"$tmp/requeue.yaml" <<'YAML'
- id: TEST-REQ-001
  title: requeue seen
  severity: note
  message: "{key} requeued by {actor} at {ts}"
  match: {type: requeued, source: beam.bus}
YAML
run check corpora/beam/incident-dead-letter --rules rules/beam/sources.yaml --rules "$tmp/requeue.yaml" --format json
expect_status 0
expect_json '[.findings[] | [.rule, .origins[0].path, .origins[0].line, .key, .message]]' \
'[["TEST-REQ-001","corpora/beam/incident-dead-letter/operator-export.jsonl",1,"n-2001","n-2001 requeued by ops-bob at 1775988480000"]]'

# The pack's own fixtures run in corpora.sh (`rbaudit rules test rules`).

done_testing
