# query_limits.sh — a query on a ledger never runs forever: a ledger whose
# view recurses without end (a CTE that never terminates), read by an
# `sql:` rule (plain, ORDER BY, GROUP BY, DISTINCT, aggregate) or by a
# `sources:` query, is stopped at --max-query-seconds: for a rule, its
# error (exit 2 naming rule and ledger, the report still written, or
# RBA-RULE-ERROR with --lenient); for a source, invalid input naming source
# and ledger.  The memory and temporary-file limits stop a query too.
# Every run is bounded by timeout(1); the ledger is made with sqlite3.
. "$(dirname "$0")/lib.sh"

db=$tmp/loop.db
sqlite3 "$db" "CREATE TABLE agents(id INTEGER PRIMARY KEY); INSERT INTO agents VALUES (1), (2), (3);
    CREATE VIEW notifications AS
        WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c)
        SELECT i AS id, 'critical_alert' AS kind, '2026-04-12T10:00:00Z' AS ts FROM c;" ||
    fail "cannot build the ledger"

# bounded SECONDS ARGS...: run, killed after SECONDS; fails when it was.
bounded() {
    limit=$1
    shift
    last="rbaudit $* (at most ${limit}s)"
    timeout -k 5 "$limit" "$RBAUDIT" "$@" >"$tmp/out" 2>"$tmp/err"
    status=$?
    checks=$((checks + 1))
    [ "$status" -ne 124 ] && [ "$status" -ne 137 ] || fail "still running after ${limit}s"
    expect_no_crash
}

# rule_file QUERY [EXPECT]: a pack of a rule on the ledger, and one that applies.
rule_file() {
    cat >"$tmp/rules.yaml" <<EOF
rules:
  - id: T-AGENTS
    title: four agents
    severity: error
    message: "{db} has {value} agents, expected {expected}"
    sql: {db: "*.db", query: "SELECT count(*) FROM agents", expect: {value: 4}}
  - id: T-ENDLESS
    title: reads the endless view
    severity: error
    message: "row {id}"
    sql: {db: "*.db", query: "$1", expect: ${2:-empty}}
EOF
}

stopped="stopped after 1 s (the --max-query-seconds limit)"
for query in "SELECT id FROM notifications" \
    "SELECT id FROM notifications ORDER BY id DESC" \
    "SELECT kind AS id, count(*) AS n FROM notifications GROUP BY id" \
    "SELECT DISTINCT id FROM notifications" \
    "SELECT id FROM notifications ORDER BY random() LIMIT 3" \
    "SELECT count(*) FROM notifications"; do
    expect="empty"
    case $query in *count*) expect="{rows: 1}" ;; esac
    rule_file "$query" "$expect"
    bounded 20 check "$db" --rules "$tmp/rules.yaml" --max-query-seconds 1 --format json
    expect_status 2
    expect_stderr "rbaudit: $db: query of rule T-ENDLESS ($tmp/rules.yaml:7): $stopped"
    # the report is written: the other rule's finding, the error, nothing
    # found by the rule that was stopped (how much it had read would vary)
    expect_json '[.findings[] | .rule]' '["T-AGENTS"]'
    expect_json '.rules[] | select(.id == "T-ENDLESS") | .errors[0].ledger' "\"$db\""
done

# --lenient: RBA-RULE-ERROR, and --fail-on decides
rule_file "SELECT id FROM notifications ORDER BY id DESC"
bounded 20 check "$db" --rules "$tmp/rules.yaml" --max-query-seconds 1 --lenient --format json
expect_status 1
expect_json '[.findings[] | select(.rule == "RBA-RULE-ERROR") | [.key, .message]]' \
    '[["T-ENDLESS","'"$db"': query of rule T-ENDLESS ('"$tmp"'/rules.yaml:7): '"$stopped"'"]]'

# a sources query over the view: invalid input naming source and ledger,
# whether SQLite sorts its rows or hands them out as they come
for order in "ORDER BY ts" ""; do
    cat >"$tmp/source.yaml" <<EOF
sources:
  - name: alerts
    files: "*.db"
    query: "SELECT id AS key, kind AS type, ts FROM notifications $order"
rules:
  - id: T-ALERT
    title: an alert
    severity: note
    message: "alert {key}"
    match: {type: never}
EOF
    bounded 20 check "$db" --rules "$tmp/source.yaml" --max-query-seconds 1
    expect_status 2
    expect_stderr "rbaudit: $db: source 'alerts': $stopped"
done

# the temporary files of a sort, and SQLite's memory, are bounded too
rule_file "SELECT id FROM notifications ORDER BY id DESC"
bounded 60 check "$db" --rules "$tmp/rules.yaml" --max-query-temp 4M --format json
expect_status 2
expect_stderr "T-ENDLESS ($tmp/rules.yaml:7): stopped: its temporary files (sorts, temporary tables) would pass 4M (the --max-query-temp limit)"
rule_file "SELECT length(randomblob(100000000)) AS id FROM agents"
bounded 60 check "$db" --rules "$tmp/rules.yaml" --max-query-memory 16M --format json
expect_status 2
expect_stderr "T-ENDLESS ($tmp/rules.yaml:7): stopped: out of memory, SQLite may take 16M for queries (the --max-query-memory limit)"

# the limits are options like the others
run check "$db" --max-query-seconds 0
expect_status 2
expect_stderr "--max-query-seconds 0: expected a whole number from 1 to 1000000"
run check "$db" --max-query-memory 1K
expect_status 2
expect_stderr "--max-query-memory 1K: expected a size in bytes"

done_testing
