# evidence_kinds.sh — SQLite ledgers (sources, sql checks, diff), JUnit and
# Markdown reports, and incident bundles (verify, inspect, check) from the
# corpora; bad ledgers and bundles; and the guarantee that no input is ever
# modified.
. "$(dirname "$0")/lib.sh"

drill=corpora/beam/recovery-drill
ledgers="$tmp/ledgers"
sh "$drill/make-ledgers.sh" "$ledgers" || fail "cannot build the drill ledgers"

# The sha256 and mtime of every file under the given paths.
fingerprint() {
    find "$@" -type f -exec sha256sum {} + | sort
    find "$@" -type f -printf '%p %T@\n' | sort
}

fingerprint "$ledgers" "$drill" corpora/byteor >"$tmp/before"

# --- ledgers, reports and results in one check --------------------------
run check --rules tests/e2e/rules/drill.yaml "$ledgers" "$drill" --format json
expect_no_crash
expect_status 1
expect_json '[.findings[] | .rule] | sort' \
    '["T-LEDGER-001","T-LEDGER-001","T-LEDGER-004","T-REPORT-001"]'
expect_json '[.findings[] | select(.rule == "T-LEDGER-001") | [.key, .origins[0].path, .origins[0].table, .severity]]' \
    '[["n-fin-1","'"$ledgers"'/beam-bus.sqlite","intents","warning"],["n-fin-1","'"$ledgers"'/restore/beam-bus.sqlite","intents","warning"]]'
expect_json '.findings[] | select(.rule == "T-LEDGER-004") | .message' \
    '"beam-directory.db: 1 notifications, expected 2"'
expect_json '.findings[] | select(.rule == "T-LEDGER-004") | .origins[0].path' '"'"$ledgers"'/restore/beam-directory.db"'
expect_json '.findings[] | select(.rule == "T-REPORT-001") | .evidence[0].assert' '"sections.Rollback"'
expect_json '[.inputs[] | .kind] | sort | unique' '["junit","markdown","sqlite"]'
expect_json '.summary.events' '7'

# the sql row finding: keyed by its first column, placed at table and rowid
sqlite3 "$tmp/owners.db" "CREATE TABLE notifications(id INTEGER PRIMARY KEY, kind, owner);
    INSERT INTO notifications VALUES (7, 'critical_alert', NULL);
    CREATE TABLE agents(id); INSERT INTO agents VALUES (1), (2), (3);"
cp "$tmp/owners.db" "$tmp/beam-directory.db"
run check --rules tests/e2e/rules/drill.yaml "$tmp/beam-directory.db" --format json
expect_json '[.findings[] | select(.rule == "T-LEDGER-002") | {key, message, o: .origins[0] | [.table, .rowid]}]' \
    '[{"key":"7","message":"notification 7 (critical_alert) has no owner","o":["notifications",7]}]'

# --- diff of a backup and its restore -----------------------------------
run diff "$ledgers/beam-directory.db" "$ledgers/restore/beam-directory.db" --format json
expect_status 1
expect_json '[.schema, .equal]' '["rbaudit-diff/2",false]'
expect_json '[.tables[] | {table, status, missing, changed}]' \
    '[{"table":"agents","status":"changed","missing":[],"changed":[{"key":"finance-agent","columns":{"status":{"old":"online","new":"offline"}}}]},{"table":"beta_requests","status":"equal","missing":[],"changed":[]},{"table":"notifications","status":"changed","missing":[2],"changed":[]}]'
expect_json '[.tables[] | .schema.status]' '["equal","equal","equal"]'
run diff "$ledgers/beam-directory.db" "$ledgers/restore/beam-directory.db"
expect_status 1
expect_stdout "  - missing id=2"
expect_stdout '  ~ changed id="finance-agent": status: "online" -> "offline"'
run diff "$ledgers/beam-bus.sqlite" "$ledgers/restore/beam-bus.sqlite"
expect_status 0
expect_stdout "intents: equal (2 -> 2 rows)"
run diff "$ledgers/beam-bus.sqlite"
expect_status 2
expect_stderr "diff: expected two ledgers"

# --- bad ledgers --------------------------------------------------------
head -c 5000 "$ledgers/beam-directory.db" >"$tmp/cut.db"
run check --rules tests/e2e/rules/drill.yaml "$tmp/cut.db"
expect_no_crash
expect_status 2
expect_stderr "cut.db: truncated SQLite database: the header says"
head -c 4096 /dev/urandom >"$tmp/encrypted.db"
run check --rules tests/e2e/rules/drill.yaml "$tmp/encrypted.db"
expect_status 2
expect_stderr "encrypted.db: not a SQLite database"
run diff "$tmp/encrypted.db" "$ledgers/beam-bus.sqlite"
expect_status 2
expect_stderr "encrypted.db: not a SQLite database"
sqlite3 "$tmp/other.sqlite" "CREATE TABLE t(x);"
cp "$tmp/other.sqlite" "$tmp/beam-bus.sqlite"
# a source whose table the ledger lacks maps no rows from it, and says so
run check --rules tests/e2e/rules/drill.yaml "$tmp/beam-bus.sqlite" --format json --allow-empty
expect_no_crash
expect_json '.inputs[0].notes' \
    '["source '"'bus-intents'"' maps no rows from it: no table '"'intents'"' in '"$tmp"'/beam-bus.sqlite"]'

# a WAL-mode ledger whose -wal file is still there: read, never touched
sqlite3 "$tmp/wal.db" ".filectrl persist_wal 1" "PRAGMA journal_mode=WAL;" \
    "CREATE TABLE agents(id); INSERT INTO agents VALUES (1);" \
    "CREATE TABLE notifications(id); INSERT INTO notifications VALUES (1), (2);" >/dev/null
[ -e "$tmp/wal.db-wal" ] || fail "the WAL fixture has no -wal file"
rm -f "$tmp/wal.db-shm"
fingerprint "$tmp/wal.db" "$tmp/wal.db-wal" >"$tmp/wal-before"
run check --rules tests/e2e/rules/drill.yaml "$tmp/wal.db" --format json
expect_status 1
expect_json '[.findings[] | .rule]' '["T-LEDGER-003"]'
fingerprint "$tmp/wal.db" "$tmp/wal.db-wal" >"$tmp/wal-after"
checks=$((checks + 1))
cmp -s "$tmp/wal-before" "$tmp/wal-after" || fail "the WAL ledger or its -wal file changed"
checks=$((checks + 1))
[ ! -e "$tmp/wal.db-shm" ] || fail "a -shm file was created next to the ledger"

# --- bundles: inspect each triage layer ---------------------------------
for case in clean:null:0 spec-invalid:spec:1 policy-mismatch:policy:1 environment-mismatch:environment:1 \
            snapshot-anomaly:snapshot:1 product-failure:product:1; do
    name=${case%%:*}; rest=${case#*:}; layer=${rest%%:*}; code=${rest#*:}
    run bundle inspect "corpora/byteor/bundles/$name" --format json
    expect_status "$code"
    expect_json '.intact' 'true'
    expect_json '.triage.verdict.layer // null' "$([ "$layer" = null ] && echo null || echo "\"$layer\"")"
    run bundle verify "corpora/byteor/bundles/$name"
    expect_status 0
done
run bundle inspect corpora/byteor/bundles/environment-mismatch
expect_stdout "verdict: environment fails: environment mismatch means the host posture may differ"
expect_stdout "  - check hugepages: fail"
expect_stdout "  1. spec_validation.json"
expect_stdout "  6. trace.jsonl"

# a tarball of a bundle, tampered with, checked with rules
cp -R corpora/byteor/bundles/snapshot-anomaly "$tmp/inc"
printf '{"adapters": []}\n' >"$tmp/inc/lane_graph_state.json"
echo "scratch" >"$tmp/inc/notes.txt"
(cd "$tmp" && tar czf inc.tgz inc)
run bundle verify "$tmp/inc.tgz" --format json
expect_status 1
expect_json '[.problems[] | [.member, .problem]]' '[["lane_graph_state.json","hash-mismatch"],["notes.txt","unlisted"]]'
run check --rules tests/e2e/rules/drill.yaml "$tmp/inc.tgz" --format json
expect_status 1
expect_json '[.findings[] | [.rule, .key]]' '[["RBA-INTEGRITY","lane_graph_state.json"],["RBA-INTEGRITY","notes.txt"]]'
expect_json '[.inputs[] | .path | sub(".*/"; "")] | .[0:3]' '["inc.tgz","inc.tgz!environment.json","inc.tgz!lane_graph_state.json"]'
expect_json '.triage[0].verdict.layer' 'null'
expect_json '.summary.events' '2'

printf 'not a tar\n' >"$tmp/broken.tgz"
run check --rules tests/e2e/rules/drill.yaml "$tmp/broken.tgz"
expect_no_crash
expect_status 2
expect_stderr "broken.tgz: not a tar archive"
run bundle inspect corpora/byteor
expect_status 2
expect_stderr "corpora/byteor: not an incident bundle: no manifest.json"

# --- nothing was modified -----------------------------------------------
fingerprint "$ledgers" "$drill" corpora/byteor >"$tmp/after"
checks=$((checks + 1))
diff "$tmp/before" "$tmp/after" >&2 || fail "an input changed during the runs"
checks=$((checks + 1))
[ -z "$(find "$ledgers" "$drill" corpora/byteor -name '*-journal' -o -name '*-wal' -o -name '*-shm')" ] ||
    fail "a journal file was left next to the evidence"

done_testing
