# formats.sh — the CI formats (SPEC §6): SARIF 2.1.0 and JUnit XML checked by
# the independent validators (validate-sarif, validate-junit) for a clean
# run, findings, suppressions, ledger rows, bundles and git history; the
# Markdown summary and the Code Quality report; determinism; several
# outputs in one run; outputs that cannot be written.
. "$(dirname "$0")/lib.sh"

inc=corpora/beam/incident-dead-letter
clean=corpora/beam/clean-demo

# validate FMT FILE: the external validator's verdict (skipped when the
# validators are not there: configure --with-report-schemas).
# report NAME ARGS...: writes the SARIF and JUnit reports of one run to
# $tmp/NAME.sarif and $tmp/NAME.xml (in one run), and validates both.
report() {
    name=$1
    shift
    run "$@" --output "sarif:$tmp/$name.sarif" --output "junit:$tmp/$name.xml" --fail-on never
    expect_status 0
    expect_valid sarif "$tmp/$name.sarif"
    expect_valid junit "$tmp/$name.xml"
}

# A clean run: every rule that ran is a passing test case.
report clean check "$clean"
cp "$tmp/clean.sarif" "$tmp/out"
expect_json '.runs[0] | [.tool.driver.name, (.tool.driver.rules | length > 0), .results]' '["rbaudit",true,[]]'
expect_json '.runs[0].artifacts | map([.location.uri, (.hashes["sha-256"] | length)])' \
    '[["corpora/beam/clean-demo/acl-changes.jsonl",64],["corpora/beam/clean-demo/bus.jsonl",64]]'
grep -q '<testsuite name="beam" tests="19" failures="0" errors="0" skipped="0">' "$tmp/clean.xml" ||
    fail "the clean JUnit report lacks its passing beam suite"

# JUnit carries a timestamp only when asked, and it still validates.
checks=$((checks + 1))
! grep -q 'timestamp=' "$tmp/clean.xml" || fail "a JUnit report holds a timestamp nobody asked for"
run check "$clean" --output "junit:$tmp/stamped.xml" --timestamps
expect_status 0
expect_valid junit "$tmp/stamped.xml"
checks=$((checks + 1))
grep -Eq '<testsuite name="beam" timestamp="[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"' "$tmp/stamped.xml" ||
    fail "--timestamps wrote no timestamp on the suites"

# Findings, two of them waived (SARIF suppressions, JUnit skipped cases).
run check "$inc" --format json
acl=$("$JQ" -r '.findings[] | select(.rule == "BEAM-ACL-001") | .fingerprint' "$tmp/out")
cat >"$tmp/w.yaml" <<YAML
- fingerprint: $acl
  reason: wildcard approved for the migration window (CHG-1201)
  owner: ops-bob
  expires: 2026-04-12
YAML
report waived check "$inc" --waivers "$tmp/w.yaml"
cp "$tmp/waived.sarif" "$tmp/out"
expect_json '[.runs[0].results[] | [.ruleId, .level, .locations[0].physicalLocation.region.startLine, .locations[0].logicalLocations[0].name, (.suppressions // [] | length)]]' \
    '[["BEAM-ACL-002","error",1,"ledger-agent",0],["BEAM-ACL-002","error",2,"ledger-agent",0],["BEAM-DEMO-003","error",3,"n-2001",0],["BEAM-DL-002","error",1,"n-2001",0],["BEAM-DEMO-004","warning",4,"al-88",0],["BEAM-INBOX-001","warning",6,"al-88",0],["BEAM-ACL-001","error",1,"ledger-agent",1]]'
expect_json '.runs[0] | [.results[] as $r | .tool.driver.rules[$r.ruleIndex].id == $r.ruleId] | all' 'true'
expect_json '.runs[0].results[6].suppressions[0] | [.kind, .status, .justification]' \
    '["external","accepted","wildcard approved for the migration window (CHG-1201) (owner ops-bob, expires 2026-04-12)"]'
expect_json '.runs[0].results[6].partialFingerprints["rbaudit/v2"]' "\"$acl\""
expect_json '.runs[0].tool.driver.rules[] | select(.id == "BEAM-ACL-001") | [.name, .shortDescription.text, .defaultConfiguration.level, (.help.text | startswith("Runbook: 000_0c8b0f292bfe17ab.txt"))]' \
    '["ACLWidenedWithAWildcardInsteadOfFixingTheExactEntry","ACL widened with a wildcard instead of fixing the exact entry","error",true]'
grep -q '<testcase classname="beam.BEAM-ACL-001" name="BEAM-ACL-001 ledger-agent">' "$tmp/waived.xml" ||
    fail "JUnit lacks the waived case"
grep -q '<skipped type="error" message="ACL change by ops-bob' "$tmp/waived.xml" || fail "the waived case is not skipped"
grep -q '<testsuite name="beam" tests="20" failures="6" errors="0" skipped="1">' "$tmp/waived.xml" ||
    fail "JUnit beam suite counts are wrong"
grep -q '<failure type="error" message="nonce n-2001: billing-agent -&gt; ledger-agent' "$tmp/waived.xml" ||
    fail "JUnit lacks the failure of BEAM-DEMO-003"

# Ledger rows (logical locations name table and rowid), a JUnit input and Markdown.
drill=corpora/beam/recovery-drill
sh "$drill/make-ledgers.sh" "$tmp/ledgers" || fail "cannot build the drill ledgers"
report drill check --rules tests/e2e/rules/drill.yaml "$tmp/ledgers" "$drill"
cp "$tmp/drill.sarif" "$tmp/out"
expect_json '[.runs[0].results[] | select(.ruleId == "T-LEDGER-001") | .locations[0].logicalLocations[1].name] | unique' '["intents"]'

# A bundle with unsafe and altered members: built-in RBA-INTEGRITY results.
mkdir -p "$tmp/bundle"
cp -R corpora/byteor/bundles/clean/. "$tmp/bundle/"
printf '\n\n' >>"$tmp/bundle/environment.json"
report bundle check "$tmp/bundle" --rules tests/e2e/rules/drill.yaml
cp "$tmp/bundle.sarif" "$tmp/out"
expect_json '[.runs[0].results[] | select(.ruleId == "RBA-INTEGRITY") | .level] | length > 0' 'true'
expect_json '.runs[0].tool.driver.rules[] | select(.id == "RBA-INTEGRITY") | .shortDescription.text' \
    '"A bundle member is unsafe, missing, altered or unlisted"'
grep -q '<testsuite name="rbaudit"' "$tmp/bundle.xml" || fail "JUnit lacks the built-in suite"

# Git history: physical locations in the repository, commits as logical locations.
repo="$tmp/wallaby-config"
sh corpora/beampipe/change-control/make-repo.sh "$repo"
report gate gate --repo "$repo" --range base..HEAD --pack beampipe corpora/beampipe/change-control/evidence
cp "$tmp/gate.sarif" "$tmp/out"
expect_json '.runs[0].results[0] | [.ruleId, .properties.key, .properties.impact, (.properties.commit | length), .locations[0].physicalLocation.region.startLine]' \
    '["BP-CC-001","field_maps.ra","Prepared metadata shape and signatures may change",40,16]'
expect_json '.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri' "\"file://$repo/config/wallaby_hires.v1.yaml\""

# Markdown: a short table, errors first, then a count of the rest.
run gate --repo "$repo" --range base..HEAD --pack beampipe corpora/beampipe/change-control/evidence --format markdown
expect_status 1
expect_stdout "### rbaudit: findings to fix"
expect_stdout "8 errors, 0 warnings, 7 notes (6 inputs, 15 rules)."
expect_stdout "| severity | rule | where | what to do |"
expect_stdout "| error | \`BP-CC-001\` Field maps changed | \`$repo/config/wallaby_hires.v1.yaml:16 @"
expect_stdout "sources\\|lte=10 **Fix:** Validate the YAML"
i=0
: >"$tmp/many.jsonl"
while [ $i -lt 25 ]; do
    printf '{"ts":"2026-04-12T10:%02d:00Z","type":"dead_letter","key":"n-%d"}\n' $i $i >>"$tmp/many.jsonl"
    i=$((i + 1))
done
printf -- '- id: T-MANY-001\n  title: a dead letter\n  severity: warning\n  match: {type: dead_letter}\n' >"$tmp/many.yaml"
run check "$tmp/many.jsonl" --rules "$tmp/many.yaml" --format markdown
[ "$(grep -c '^| warning |' "$tmp/out")" -eq 20 ] || fail "the Markdown table is not cut at 20 rows"
expect_stdout "…and 5 more findings in the full report."
run check "$clean" --format markdown
expect_status 0
expect_stdout "### rbaudit: no findings"

# GitLab Code Quality: one issue per reported finding, none for suppressed ones.
run check "$inc" --waivers "$tmp/w.yaml" --format codequality
expect_status 1
expect_json '[.[] | [.check_name, .severity, .location.path, .location.lines.begin]]' \
    '[["BEAM-ACL-002","critical","corpora/beam/incident-dead-letter/acl-changes.jsonl",1],["BEAM-ACL-002","critical","corpora/beam/incident-dead-letter/acl-changes.jsonl",2],["BEAM-DEMO-003","critical","corpora/beam/incident-dead-letter/bus.jsonl",3],["BEAM-DL-002","critical","corpora/beam/incident-dead-letter/operator-export.jsonl",1],["BEAM-DEMO-004","major","corpora/beam/incident-dead-letter/bus.jsonl",4],["BEAM-INBOX-001","major","corpora/beam/incident-dead-letter/bus.jsonl",6]]'
expect_json '[.[] | .fingerprint | length] | unique' '[64]'

# Every format is deterministic: same input, same bytes.
for fmt in text json sarif junit markdown codequality; do
    run check "$inc" --waivers "$tmp/w.yaml" --format "$fmt" --no-color
    cp "$tmp/out" "$tmp/first.$fmt"
    run check "$inc" --waivers "$tmp/w.yaml" --format "$fmt" --no-color
    cmp -s "$tmp/out" "$tmp/first.$fmt" || fail "--format $fmt differs between two runs"
done

# Several outputs in one run, and standard output too.
run check "$inc" --output "sarif:$tmp/multi.sarif" --output "junit:$tmp/multi.xml" \
    --output "markdown:$tmp/multi.md" --output "codequality:$tmp/multi.cq.json" --output text:- --no-color
expect_status 1
expect_stdout "7 findings: 5 errors, 2 warnings, 0 notes"
for f in multi.sarif multi.xml multi.md multi.cq.json; do
    [ -s "$tmp/$f" ] || fail "--output left $f empty or missing"
done
grep -q '^### rbaudit' "$tmp/multi.md" || fail "the Markdown output is not Markdown"

# Outputs that cannot be written, unknown formats: exit 2 before any work,
# and no report file, partial or empty, left behind.
run check "$inc" --output "sarif:$tmp/no/such/dir/r.sarif"
expect_status 2
expect_stderr "--output $tmp/no/such/dir/r.sarif: cannot write there"
run check "$inc" --output "sarif:$tmp/ok.sarif" --output "junit:$tmp/no/such/dir/r.xml"
expect_status 2
[ ! -e "$tmp/ok.sarif" ] || fail "a report was written although another output could not be"
run check "$inc" --output "yaml:$tmp/r.yaml"
expect_status 2
expect_stderr "unknown format 'yaml' (expected one of: text, json, sarif, junit, markdown, codequality)"
run check "$inc" --format nope
expect_status 2
run check "$inc" "$tmp/does-not-exist.jsonl" --output "sarif:$tmp/late.sarif"
expect_status 2
[ -z "$(find "$tmp" -maxdepth 1 -name 'late.sarif*')" ] || fail "a failed run left a report file or a temporary"

done_testing
