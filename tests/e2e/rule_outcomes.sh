# rule_outcomes.sh — one `sql:` rule that cannot run on a ledger stops no
# other rule.  A rule whose table or column the ledger lacks does not apply
# to it: listed with the reason in every format, the exit status as if the
# rule were not there.  A rule that fails there (an SQL error while its rows
# are read) is that rule's error: the report is still written and lists it,
# the exit status is 2 (the error on stderr, naming rule and ledger), or
# with --lenient an RBA-RULE-ERROR finding and --fail-on decides.  A source
# whose table is absent maps no rows from that ledger and says so in a note.
# The ledgers are made here with the sqlite3 CLI.
. "$(dirname "$0")/lib.sh"

ev=$tmp/ev
mkdir "$ev"
db=$ev/beam.db
sqlite3 "$db" "CREATE TABLE agents(id INTEGER PRIMARY KEY, name TEXT);
    INSERT INTO agents(name) VALUES ('billing'), ('finance');
    CREATE TABLE notifications(id INTEGER PRIMARY KEY, kind TEXT, payload TEXT);
    INSERT INTO notifications(kind, payload) VALUES ('critical_alert', '{\"a\": 1}'), ('digest', 'not json');
    CREATE TABLE old_jobs(id INTEGER PRIMARY KEY);
    CREATE VIEW broken AS SELECT id FROM old_jobs;
    DROP TABLE old_jobs;" || fail "cannot build the ledger"

cat >"$tmp/rules.yaml" <<'EOF'
sources:
  - name: bus-intents
    files: "*.db"
    query: "SELECT nonce AS key, state AS type, updated_at AS ts FROM intents ORDER BY updated_at"
rules:
  - id: T-AGENTS
    title: three agents
    severity: error
    message: "{db} has {value} agents, expected {expected}"
    sql: {db: "*.db", query: "SELECT count(*) FROM agents", expect: {value: 3}}
  - id: T-NO-TABLE
    title: a table of a later schema
    severity: error
    message: "beta request {id}"
    sql: {db: "*.db", query: "SELECT id FROM beta_requests", expect: empty}
  - id: T-NO-COLUMN
    title: a column of a later schema
    severity: error
    message: "notification {id} has no owner"
    sql: {db: "*.db", query: "SELECT id FROM notifications WHERE owner IS NULL", expect: empty}
EOF
# the same rules without the two that cannot apply
sed '/id: T-NO-TABLE/,$d' "$tmp/rules.yaml" >"$tmp/applicable.yaml"

# --- not applicable: listed with the reason, the exit as if absent ------
run check "$db" --rules "$tmp/applicable.yaml" --format json
expect_status 1
cp "$tmp/out" "$tmp/applicable.json"
run check "$db" --rules "$tmp/rules.yaml" --format json
expect_no_crash
expect_status 1
expect_json '[.findings[] | [.rule, .message]]' '[["T-AGENTS","beam.db has 2 agents, expected 3"]]'
checks=$((checks + 1))
[ "$("$JQ" -c .findings "$tmp/out")" = "$("$JQ" -c .findings "$tmp/applicable.json")" ] ||
    fail "the findings differ from those of the rules that apply"
expect_json '[.rules[] | {id, not_applicable, errors}]' \
    '[{"id":"T-AGENTS","not_applicable":[],"errors":[]},{"id":"T-NO-COLUMN","not_applicable":[{"ledger":"'"$db"'","reason":"no column '"'owner'"' in '"$db"'"}],"errors":[]},{"id":"T-NO-TABLE","not_applicable":[{"ledger":"'"$db"'","reason":"no table '"'beta_requests'"' in '"$db"'"}],"errors":[]}]'
expect_json '.summary | [.not_applicable, .rule_errors]' '[2,0]'
# the source whose table is absent maps no rows from it, and says so
expect_json '.inputs[0].notes' '["source '"'bus-intents'"' maps no rows from it: no table '"'intents'"' in '"$db"'"]'

run check "$db" --rules "$tmp/rules.yaml"
expect_status 1
expect_stdout "not applicable  T-NO-TABLE  no table 'beta_requests' in $db"
expect_stdout "not applicable  T-NO-COLUMN  no column 'owner' in $db"
expect_stdout "1 finding: 1 error, 0 warnings, 0 notes; 2 rules not applicable ("

run check "$db" --rules "$tmp/rules.yaml" --format markdown
expect_stdout "; 2 rules not applicable ("
expect_stdout "- \`T-NO-TABLE\` not applicable: no table 'beta_requests' in $db"

run check "$db" --rules "$tmp/rules.yaml" --format sarif --output "sarif:$tmp/report.sarif" \
    --output "junit:$tmp/report.xml"
expect_status 1
expect_valid sarif "$tmp/report.sarif"
expect_valid junit "$tmp/report.xml"
cp "$tmp/report.sarif" "$tmp/out"
expect_json '.runs[0] | [.invocations[0].executionSuccessful, (.invocations[0].toolConfigurationNotifications[]
        | [.level, .associatedRule.id, .message.text, .locations[0].physicalLocation.artifactLocation.index])]' \
    '[true,["note","T-NO-COLUMN","no column '"'owner'"' in '"$db"'",0],["note","T-NO-TABLE","no table '"'beta_requests'"' in '"$db"'",0]]'
expect_json '.runs[0] | [.invocations[0].toolConfigurationNotifications[] as $n
        | .tool.driver.rules[$n.associatedRule.index].id == $n.associatedRule.id] | all' 'true'
checks=$((checks + 1))
grep -qF "<skipped message=\"not applicable: no table 'beta_requests' in $db\"/>" "$tmp/report.xml" ||
    fail "the JUnit report does not skip T-NO-TABLE: $(cat "$tmp/report.xml")"

# only rules that cannot apply: nothing was audited, which does not pass
# unless an empty run is allowed
sed '/id: T-AGENTS/,/expect: {value: 3}}/d' "$tmp/rules.yaml" >"$tmp/none.yaml"
run check "$db" --rules "$tmp/none.yaml" --format json
expect_status 2
expect_stderr "nothing to audit"
expect_stderr "2 rules did not apply"
run check "$db" --rules "$tmp/none.yaml" --format json --allow-empty
expect_status 0
expect_json '.summary | [.findings, .not_applicable]' '[0,2]'

# a view of the ledger naming a table the ledger lacks is the ledger's
# defect, not a rule that does not apply: an error
cat >"$tmp/broken.yaml" <<'EOF'
rules:
  - id: T-BROKEN
    title: reads a broken view
    severity: error
    message: "job {id}"
    sql: {db: "*.db", query: "SELECT id FROM broken", expect: empty}
EOF
run check "$db" --rules "$tmp/broken.yaml" --format json
expect_status 2
expect_json '[.rules[0].not_applicable, [.rules[0].errors[].ledger]]' '[[],["'"$db"'"]]'
expect_stderr "$db: query of rule T-BROKEN ($tmp/broken.yaml:2): no such table: main.old_jobs"

# --- a rule that fails while reading its rows -----------------------------
cat >"$tmp/failing.yaml" <<'EOF'
rules:
  - id: T-AGENTS
    title: three agents
    severity: error
    message: "{db} has {value} agents, expected {expected}"
    sql: {db: "*.db", query: "SELECT count(*) FROM agents", expect: {value: 3}}
  - id: T-PAYLOAD
    title: alerts with a payload
    severity: warning
    message: "notification {id}: {a}"
    sql: {db: "*.db", query: "SELECT id, json_extract(payload, '$.a') AS a FROM notifications ORDER BY id", expect: empty}
EOF
error="$db: query of rule T-PAYLOAD ($tmp/failing.yaml:7): malformed JSON"
run check "$db" --rules "$tmp/failing.yaml" --output "json:$tmp/report.json" --output "sarif:$tmp/report.sarif" \
    --output "junit:$tmp/report.xml" --output "text:$tmp/report.txt" --output "markdown:$tmp/report.md"
expect_no_crash
expect_status 2
expect_stderr "rbaudit: $error"
expect_valid sarif "$tmp/report.sarif"
expect_valid junit "$tmp/report.xml"
cp "$tmp/report.json" "$tmp/out"
# the other rule still ran; the failed one reports nothing from the ledger
expect_json '[.findings[] | .rule]' '["T-AGENTS"]'
expect_json '.rules[] | select(.id == "T-PAYLOAD") | .errors' '[{"ledger":"'"$db"'","error":"'"$error"'"}]'
expect_json '.summary.rule_errors' '1'
cp "$tmp/report.txt" "$tmp/out"
expect_stdout "rule error      T-PAYLOAD  $error"
expect_stdout "; 1 rule error ("
cp "$tmp/report.md" "$tmp/out"
expect_stdout "- \`T-PAYLOAD\` failed: $error"
cp "$tmp/report.sarif" "$tmp/out"
expect_json '.runs[0].invocations[0] | [.executionSuccessful, (.toolConfigurationNotifications[]
        | [.level, .associatedRule.id, .message.text])]' '[false,["error","T-PAYLOAD","'"$error"'"]]'
checks=$((checks + 1))
grep -qF "<error message=\"$error\"/>" "$tmp/report.xml" || fail "the JUnit report has no error for T-PAYLOAD"
grep -qF 'errors="1"' "$tmp/report.xml" || fail "the JUnit report counts no error"

# --lenient: an RBA-RULE-ERROR finding naming rule, ledger and SQLite's word
run check "$db" --rules "$tmp/failing.yaml" --lenient --format json
expect_status 1
expect_json '[.findings[] | select(.rule == "RBA-RULE-ERROR") | [.severity, .key, .message, .origins[0].path]]' \
    '[["error","T-PAYLOAD","'"$error"'","'"$db"'"]]'
expect_json '.findings[] | select(.rule == "RBA-RULE-ERROR") | .evidence' \
    '[{"rule":"T-PAYLOAD","ledger":"'"$db"'","error":"'"$error"'"}]'
checks=$((checks + 1))
! grep -q . "$tmp/err" || fail "--lenient printed the error: $(cat "$tmp/err")"
run check "$db" --rules "$tmp/failing.yaml" --lenient --fail-on never
expect_status 0
expect_stdout "error RBA-RULE-ERROR A rule failed on a ledger and could not audit it"

# a source whose query fails otherwise is invalid input naming it and the ledger
cat >"$tmp/bad-source.yaml" <<'EOF'
sources:
  - name: payloads
    files: "*.db"
    query: "SELECT id AS key, 'n' AS type, json_extract(payload, '$.a') AS ts FROM notifications"
rules:
  - id: T-N
    title: n
    severity: note
    message: "n {key}"
    match: {type: n}
EOF
run check "$db" --rules "$tmp/bad-source.yaml"
expect_status 2
expect_stderr "$db: source 'payloads': malformed JSON"

done_testing
