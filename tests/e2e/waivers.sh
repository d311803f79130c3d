# waivers.sh — waivers and baselines on the Beam incident: suppressed
# findings are listed apart, expired and unused waivers are reported,
# malformed waivers are invalid input, and a baseline counts only new
# findings for --fail-on.
. "$(dirname "$0")/lib.sh"

inc=corpora/beam/incident-dead-letter
run check "$inc" --format json
acl=$("$JQ" -r '.findings[] | select(.rule == "BEAM-ACL-001") | .fingerprint' "$tmp/out")

# One waiver by fingerprint, one by rule and key: both findings move to
# `suppressed`; the run still fails on the remaining error.
cat >"$tmp/w.yaml" <<YAML
- fingerprint: $acl
  reason: wildcard approved for the migration window (CHG-1201)
  owner: ops-bob
  expires: 2026-04-12
- rule: BEAM-DEMO-004
  key: al-88
  reason: the alert is the incident under review
  owner: ops-ana
  expires: "2026-04-13T00:00:00+02:00"
YAML
run check "$inc" --waivers "$tmp/w.yaml" --format json
expect_status 1
expect_json '[.findings[].rule]' '["BEAM-ACL-002","BEAM-ACL-002","BEAM-DEMO-003","BEAM-DL-002","BEAM-INBOX-001"]'
expect_json '[.suppressed[] | [.rule, .suppressed_by.kind, .suppressed_by.owner]]' \
    '[["BEAM-ACL-001","waiver","ops-bob"],["BEAM-DEMO-004","waiver","ops-ana"]]'
expect_json '.summary | [.findings, .suppressed, .baselined]' '[5,2,0]'
expect_json '.suppressed[0].suppressed_by.expires' '"2026-04-12"'

# The default file in the current directory applies without --waivers.
# Fingerprints hold the input's name below the directory named, not the
# path as given, so from another directory both waivers still match.
mkdir "$tmp/cwd" && cp "$tmp/w.yaml" "$tmp/cwd/.rbaudit-waivers.yaml"
top=$PWD
(cd "$tmp/cwd" && "$RBAUDIT" check "$top/$inc" --format json >"$tmp/out" 2>"$tmp/err")
expect_json '[.suppressed[].rule]' '["BEAM-ACL-001","BEAM-DEMO-004"]'
expect_json '[.findings[] | select(.rule == "RBA-WAIVER-UNUSED") | .key]' '[]'

# Expiry is compared with the run's clock (--now, or the newest event): a
# date holds through the end of its day, and now == expiry is expired.
run check "$inc" --waivers "$tmp/w.yaml" --now 2026-04-12T21:59:59Z --format json
expect_json '.summary.suppressed' '2'
run check "$inc" --waivers "$tmp/w.yaml" --now 2026-04-12T23:59:59Z --format json
expect_json '[.suppressed[].rule]' '["BEAM-ACL-001"]'
run check "$inc" --waivers "$tmp/w.yaml" --now 2026-04-13T00:00:00Z --format json
expect_status 1
expect_json '[.findings[] | select(.rule == "RBA-WAIVER-EXPIRED") | [.severity, .key, .origins[0].line]]' \
    "[[\"warning\",\"$acl\",1],[\"warning\",\"BEAM-DEMO-004:al-88\",5]]"
expect_json '[.findings[].rule] | index("BEAM-ACL-001") != null' 'true'
expect_json '[.suppressed[].rule]' '[]'
run check "$inc" --waivers "$tmp/w.yaml" --now 2026-04-12T22:00:00Z --format json
expect_json '[.findings[] | select(.rule == "RBA-WAIVER-EXPIRED") | .key]' '["BEAM-DEMO-004:al-88"]'

# A waiver that matches nothing is reported so that it is removed.
cat >"$tmp/unused.yaml" <<'YAML'
- rule: BEAM-DEMO-003
  key: n-9999
  reason: stale
  owner: ops-ana
  expires: 2027-01-01
YAML
run check "$inc" --waivers "$tmp/unused.yaml" --format json
expect_json '[.findings[] | select(.rule == "RBA-WAIVER-UNUSED") | [.severity, .key]]' '[["note","BEAM-DEMO-003:n-9999"]]'

# A waiver without reason, owner or expiry, or with a bad date, is invalid.
bad() {
    printf '%s\n' "$1" >"$tmp/bad.yaml"
    run check "$inc" --waivers "$tmp/bad.yaml"
    expect_no_crash
    expect_status 2
    expect_stderr "$2"
}
bad '- {rule: BEAM-DEMO-003, key: n-2001, owner: a, expires: 2027-01-01}' "bad.yaml:1: a waiver needs 'reason'"
bad '- {rule: BEAM-DEMO-003, key: n-2001, reason: r, expires: 2027-01-01}' "a waiver needs 'owner'"
bad '- {rule: BEAM-DEMO-003, key: n-2001, reason: r, owner: a}' "a waiver needs 'expires'"
bad '- {rule: BEAM-DEMO-003, key: n-2001, reason: r, owner: a, expires: someday}' "'expires' is not a date or time"
bad '- {fingerprint: abc, rule: BEAM-DEMO-003, key: x, reason: r, owner: a, expires: 2027-01-01}' "by 'fingerprint', or by 'rule' and 'key'"
bad '- {rule: BEAM-DEMO-003, reason: r, owner: a, expires: 2027-01-01}' "needs 'key' too"
bad '- {fingerprint: abc, reason: r, owner: a, expires: 2027-01-01, colour: red}' "unknown key 'colour' in a waiver"
bad 'rule: x' "expected a list of waivers"
run check "$inc" --waivers "$tmp/missing.yaml"
expect_status 2

# Baseline: everything of an earlier report is known; only new findings count.
run check "$inc" --format json --output "json:$tmp/base.json"
expect_status 1
run check "$inc" --baseline "$tmp/base.json" --format json
expect_status 0
expect_json '.findings' '[]'
expect_json '[.suppressed[].suppressed_by.kind] | unique' '["baseline"]'
expect_json '.summary | [.suppressed, .baselined]' '[7,7]'
"$JQ" 'del(.findings[] | select(.rule == "BEAM-DEMO-003")) | .suppressed = []' "$tmp/base.json" >"$tmp/older.json"
run check "$inc" --baseline "$tmp/older.json" --format json
expect_status 1
expect_json '[.findings[].rule]' '["BEAM-DEMO-003"]'
printf '{"schema":"other/1"}\n' >"$tmp/notours.json"
run check "$inc" --baseline "$tmp/notours.json"
expect_status 2
expect_stderr "notours.json: not an rbaudit report"
printf '{"schema":' >"$tmp/broken.json"
run check "$inc" --baseline "$tmp/broken.json"
expect_status 2
expect_stderr "broken.json:1: invalid JSON"

done_testing
