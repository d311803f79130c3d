# check_document.sh — the `document` check kind: JSON-path assertions on
# YAML and JSON documents, violating and clean, with the asserted lines.
. "$(dirname "$0")/lib.sh"

cat >"$tmp/r.yaml" <<'YAML'
- id: DOC-CFG-001
  title: the billing config follows the runbook
  severity: error
  message: "{document}: {path} is '{actual}', expected {expected}"
  document:
    select: {path|glob: "*.yaml"}
    assert:
      - {path: project, eq: billing}
      - {path: retries.max, lte: 2}
      - {path: retries.backoff, gte: 1m}
      - {path: artifacts.0.sha256, re: "^[0-9a-f]{64}$"}
      - {path: owner, len|gt: 0}
      - {path: approver, exists: true}
      - {path: approver, not: nobody}
      - {path: approved, exists: false}
      - {path: deployed_at, lt: "2026-04-12T11:00:00+02:00"}
      - {path: labels, contains|i: PROD}
YAML

cat >"$tmp/bad.yaml" <<'YAML'
project: billing
retries:
  max: 3
  backoff: 30s
artifacts:
  - path: a.json
    sha256: abc
owner: ""
deployed_at: "2026-04-12T10:00:00Z"
labels: [prod, eu]
YAML

sha=$(printf '%064d' 7)
cat >"$tmp/good.yaml" <<YAML
project: billing
retries: {max: 2, backoff: 2m}
artifacts:
  - {path: a.json, sha256: "$sha"}
owner: ops-ana
approver: ops-bob
deployed_at: "2026-04-12T08:00:00Z"
labels: [Prod]
YAML

# Violating: one finding per failed assertion, at the asserted line (the
# root's line for a missing node), keyed by the document's path.
run check "$tmp/bad.yaml" --rules "$tmp/r.yaml" --format json
expect_status 1
expect_json '[.findings[] | [.origins[0].line, .evidence[0].assert]]' \
    '[[1,"approver"],[1,"approver"],[3,"retries.max"],[4,"retries.backoff"],[7,"artifacts.0.sha256"],[8,"owner"],[9,"deployed_at"]]'
expect_json '[.findings[].key] | unique' "[\"$tmp/bad.yaml\"]"
expect_json '[.findings[] | select(.evidence[0].assert == "retries.max") | .message]' \
    "[\"$tmp/bad.yaml: retries.max is '3', expected {\\\"lte\\\":2}\"]"
expect_json '[.findings[] | select(.evidence[0].assert == "retries.max") | .evidence[0].actual]' '[3]'

# Clean: every assertion holds.
run check "$tmp/good.yaml" --rules "$tmp/r.yaml" --format json
expect_status 0
expect_json '.findings' '[]'

# JSON documents have lines too; `select` leaves out what it does not name.
printf '{\n  "project": "billing",\n  "retries": {"max": 9}\n}\n' >"$tmp/c.json"
run check "$tmp/c.json" --rules "$tmp/r.yaml" --format json
expect_status 0
sed 's/"\*.yaml"/"*.json"/' "$tmp/r.yaml" >"$tmp/rj.yaml"
run check "$tmp/c.json" --rules "$tmp/rj.yaml" --format json
expect_status 1
expect_json '[.findings[] | select(.evidence[0].assert == "retries.max") | .origins[0].line]' '[3]'

# Mistakes in the check name their line.
printf -- '- id: DOC-X-001\n  title: t\n  severity: error\n  document:\n    assert:\n      - {path: a, eq: 1, gt: 2}\n' >"$tmp/e.yaml"
run check "$tmp/good.yaml" --rules "$tmp/e.yaml"
expect_status 2
expect_stderr "e.yaml:6: an assertion has one comparison"
printf -- '- id: DOC-X-001\n  title: t\n  severity: error\n  document:\n    assert: []\n' >"$tmp/e.yaml"
run check "$tmp/good.yaml" --rules "$tmp/e.yaml"
expect_status 2
expect_stderr "e.yaml:5: 'assert' must be a non-empty list"
printf -- '- id: DOC-X-001\n  title: t\n  severity: error\n  document:\n    assert:\n      - {eq: 1}\n' >"$tmp/e.yaml"
run check "$tmp/good.yaml" --rules "$tmp/e.yaml"
expect_status 2
expect_stderr "e.yaml:6: an assertion needs 'path'"

# `each` asserts on the items of a list: `where` picks them, `key` names
# them in the finding's key, `required` lists names that must be there, and
# {document.PATH} reads the whole document.
cat >"$tmp/items.yaml" <<'YAML'
- id: DOC-EACH-001
  title: adapters in bounds
  severity: error
  message: "{item} ({transport}): {path} is {actual}, expected {expected}"
  params: {max_lag: 10}
  documents: {path|glob: "*snap.json"}
  document:
    each: adapters
    key: name
    where: {transport|exists: true}
    required: [a, z]
    assert:
      - {path: lag, lte: "{max_lag}"}
      - {path: failures, lte: "{document.limits.failures}"}
YAML
cat >"$tmp/snap.json" <<'JSON'
{"limits": {"failures": 2},
 "adapters": [
  {"name": "a", "transport": "tcp", "lag": 3, "failures": 0},
  {"name": "b", "transport": "udp", "lag": 30, "failures": 5},
  {"name": "c", "lag": 99}
 ]}
JSON
run check "$tmp/snap.json" --rules "$tmp/items.yaml" --format json
expect_status 1
expect_json '[.findings[] | [(.key | sub(".*/"; "")), .origins[0].line, .message]] | sort' \
'[["snap.json[b]",4,"b (udp): adapters.1.failures is 5, expected {\"lte\":\"{document.limits.failures}\"}"],["snap.json[b]",4,"b (udp): adapters.1.lag is 30, expected {\"lte\":10}"],["snap.json[z]",2,"z (): adapters is , expected {\"name\":\"z\"}"]]'
# A nested path inside an item is placed at its own line.
printf '{"stages": [\n  {"stage": "exec:a",\n   "approval": {\n     "verified": false}}]}\n' >"$tmp/stages.json"
printf -- '- id: DOC-EACH-002\n  title: t\n  severity: error\n  message: "{path}"\n  document:\n    each: stages\n    assert:\n      - {path: approval.verified, eq: true}\n' >"$tmp/nested.yaml"
run check "$tmp/stages.json" --rules "$tmp/nested.yaml" --format json
expect_json '[.findings[] | [.message, .origins[0].line]]' '[["stages.0.approval.verified",4]]'
printf -- '- id: DOC-X-001\n  title: t\n  severity: error\n  document:\n    key: name\n    assert:\n      - {path: a, eq: 1}\n' >"$tmp/e.yaml"
run check "$tmp/good.yaml" --rules "$tmp/e.yaml"
expect_status 2
expect_stderr "e.yaml:5: 'key' applies to the items of 'each'"
printf -- '- id: DOC-X-001\n  title: t\n  severity: error\n  document:\n    each: xs\n    required: [a]\n    assert:\n      - {path: a, eq: 1}\n' >"$tmp/e.yaml"
run check "$tmp/good.yaml" --rules "$tmp/e.yaml"
expect_status 2
expect_stderr "e.yaml:6: 'required' must be a list of item names, with 'key'"

# Markdown reports place a finding at its section's heading or table row.
printf '# Drill\n\n## Backups\n\nnone\n\n| step | at |\n|---|---|\n| stop | |\n' >"$tmp/drill.md"
cat >"$tmp/md.yaml" <<'YAML'
- id: DOC-MD-001
  title: backups named
  severity: error
  documents: {kind: markdown}
  document:
    assert:
      - {path: sections.Backups, contains: ".db"}
      - {path: tables.0.rows.0.at, len|gt: 0}
YAML
run check "$tmp/drill.md" --rules "$tmp/md.yaml" --format json
expect_status 1
expect_json '[.findings[] | .origins[0].line]' '[3,9]'

# A bundle is a document of kind "bundle": its integrity and triage.
cp -R corpora/byteor/bundles/snapshot-anomaly "$tmp/bundle"
printf ' ' >>"$tmp/bundle/environment.json"
cat >"$tmp/b.yaml" <<'YAML'
- id: DOC-BUNDLE-001
  title: bundle verified and triaged
  severity: error
  message: "{path}: {actual}"
  documents: {kind: bundle}
  document:
    assert:
      - {path: integrity.ok, eq: true}
      - {path: verdict.layer, not: snapshot}
      - {path: layers.spec.status, eq: pass}
YAML
run check "$tmp/bundle" --rules "$tmp/b.yaml" --format json
expect_status 1
expect_json '[.findings[] | select(.rule == "DOC-BUNDLE-001") | .message] | sort' '["integrity.ok: false","verdict.layer: snapshot"]'

done_testing
