# rules_cmd.sh — `rbaudit rules list|show|lint|test` on the shipped packs,
# on the documented examples, and on broken rule files and fixtures; and
# doc/rules.md shows exactly the example files the tests run.
. "$(dirname "$0")/lib.sh"

# The shipped packs and the documented examples lint clean and pass.
run rules lint rules/
expect_status 0
expect_stdout "0 errors, 0 warnings"
run rules test rules/
expect_status 0
expect_stdout "rules/beam: 19 rules, 13 fixtures, ok"
run rules lint doc/examples
expect_status 0
run rules test doc/examples
expect_status 0
expect_stdout "doc/examples: 12 rules, 12 fixtures, ok"

# Every example block of doc/rules.md is the file it names, byte for byte.
awk -v dir="$tmp" '
    /^<!-- example: / { name = $3; gsub("/", "_", name); next }
    /^```/ { if (inside) { inside = 0; name = "" } else if (name != "") { inside = 1; out = dir "/" name; printf "" > out } next }
    inside { print >> out }
' doc/rules.md
blocks=0
for f in "$tmp"/doc_examples_*; do
    src=$(basename "$f" | sed 's|^doc_examples_|doc/examples/|; s|tests_|tests/|')
    checks=$((checks + 1)); blocks=$((blocks + 1))
    cmp -s "$f" "$src" || fail "doc/rules.md: the block for $src differs from the file"
done
checks=$((checks + 1))
[ "$blocks" -ge 18 ] || fail "doc/rules.md: expected an example per check kind, found $blocks blocks"

# list and show
run rules list --rules rules/beam --format json
expect_status 0
expect_json '[.[].id] | [length, .[0], .[-1]]' '[19,"BEAM-ACL-001","BEAM-SHIELD-001"]'
expect_json '.[0] | [.severity, .check, .pack]' '["error","match","beam"]'
run rules show BEAM-DEMO-003 --rules rules/beam
expect_status 0
expect_stdout "BEAM-DEMO-003  Dead-letter count stays 0 in the seeded demo"
expect_stdout "runbook:     000_0c8b0f292bfe17ab.txt › Clean Demo Expectations, item 3"
run rules show BEAM-NOPE-001 --rules rules/beam
expect_status 2
expect_stderr "no rule 'BEAM-NOPE-001'"

# lint reports every mistake, with file and line, and unused parameters.
mkdir -p "$tmp/p/tests"
cat >"$tmp/p/a.yaml" <<'YAML'
- id: T-A-001
  title: t
  severity: error
  params: {unused: 1, used: x}
  match: {type: "{used}"}
- id: T-A-002
  title: t
  severity: error
  colour: red
  match: {type: x}
YAML
cat >"$tmp/p/b.yaml" <<'YAML'
- id: T-B-001
  title: t
  severity: error
  match: {type|re: "(["}
- id: T-A-001
  title: again
  severity: error
  before: {first: {type: a}}
- id: T-A-001
  title: again
  severity: error
  match: {type: y}
YAML
run rules lint "$tmp/p"
expect_status 1
expect_stdout "a.yaml:9: error: unknown key 'colour' in a rule"
expect_stdout "b.yaml:4: error: invalid regular expression"
expect_stdout "b.yaml:8: error: the check has no 'then'"
expect_stdout "b.yaml:9: error: duplicate rule id 'T-A-001' (first defined at $tmp/p/a.yaml:1)"
expect_stdout "a.yaml:1: warning: rule T-A-001: parameter 'unused' is never used"
expect_stdout "1 rules: 4 errors, 1 warnings"

# test prints a diff of missing and unexpected findings, and fails.
rm "$tmp/p/b.yaml"
sed -i '/colour/d' "$tmp/p/a.yaml"
printf '{"ts":1,"type":"x","_expect":"T-A-001"}\n{"ts":2,"type":"y"}\n{"ts":3,"type":"z","_expect":["T-A-001"]}\n' >"$tmp/p/tests/f.jsonl"
run rules test "$tmp/p"
expect_status 1
expect_stdout "- T-A-001 $tmp/p/tests/f.jsonl:3 (expected, not found)"
expect_stdout "+ T-A-002 $tmp/p/tests/f.jsonl:1 (found, not expected)"
expect_stdout "FAILED"
printf '{"ts":1,"type":"x","_expect":["T-A-001","T-A-002"]}\n{"ts":2,"type":"y"}\n' >"$tmp/p/tests/f.jsonl"
run rules test "$tmp/p"
expect_status 0
printf '{"ts":1,"type":"x","_expect":3}\n' >"$tmp/p/tests/f.jsonl"
run rules test "$tmp/p"
expect_status 2
expect_stderr "f.jsonl:1: '_expect' must be a rule id"
run rules test "$tmp/nowhere"
expect_status 2
run rules frobnicate
expect_status 2
expect_stderr "unknown action 'frobnicate'"

done_testing
