# ledger_hash.sh — a ledger file is hashed, and its tables counted, on a
# worker thread while its queries run: reports say what hashing and
# counting it first said.  An input's sha256 is sha256sum's of its file for
# a plain ledger (on its findings' origins too), for one read with its -wal
# (the file, not the private copy; the companion's own hash beside it) and
# for a bundle member; `rbaudit diff` names the same hashes; several
# ledgers at once each get their own; a table whose rows cannot be counted
# keeps its note in its place; a run that fails while a worker hashes ends
# with its own error; an unreadable ledger is an error naming it.
. "$(dirname "$0")/lib.sh"

ev=$tmp/evidence
mkdir "$ev"
sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { wc -c <"$1" | tr -d ' '; }

# plain.db and other.db: ledgers of a few hundred pages each.
for name in plain other; do
    sqlite3 "$ev/$name.db" "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); CREATE TABLE u(x);
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
        INSERT INTO t SELECT i, printf('%040d', i) FROM n;
        INSERT INTO u VALUES ('$name');" || fail "sqlite3 cannot build $name.db"
done
cat >"$tmp/rules.yaml" <<'X'
- id: HASH-001
  title: every thousandth row
  severity: error
  message: "row {key}"
  sql: {db: "*.db", query: "SELECT id AS key FROM t WHERE id % 5000 = 0", expect: empty}
X

# --- a plain ledger ----------------------------------------------------------
run check "$ev/plain.db" --rules "$tmp/rules.yaml" --format json
expect_status 1
expect_json '.inputs[0] | [.sha256, .bytes]' "[\"$(sha "$ev/plain.db")\",$(size "$ev/plain.db")]"
expect_json '[.findings[].origins[0].sha256] | unique' "[\"$(sha "$ev/plain.db")\"]"
expect_json '.inputs[0] | [.rows, [.tables[] | [.name, .rows, .read_by]]]' \
    '[20001,[["t",20000,["HASH-001"]],["u",1,[]]]]'
run check "$ev/plain.db" --rules "$tmp/rules.yaml" --no-color
expect_stdout "sha256 $(sha "$ev/plain.db")"

# --- several ledgers at once: each its own hash and counts -------------------
run check "$ev" --rules "$tmp/rules.yaml" --format json
expect_status 1
expect_json '[.inputs[] | [(.path | sub(".*/"; "")), .sha256, .tables[1].rows]]' \
    "[[\"other.db\",\"$(sha "$ev/other.db")\",1],[\"plain.db\",\"$(sha "$ev/plain.db")\",1]]"
expect_json '[.findings[] | [(.origins[0].path | sub(".*/"; "")), .origins[0].sha256]] | unique' \
    "[[\"other.db\",\"$(sha "$ev/other.db")\"],[\"plain.db\",\"$(sha "$ev/plain.db")\"]]"

# --- read with its -wal: the file's hash, not the private copy's -------------
wal=$tmp/wal
mkdir "$wal"
sqlite3 "$wal/live.db" "PRAGMA journal_mode=WAL; CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
    INSERT INTO t VALUES (5000, 'checkpointed');" >/dev/null
sqlite3 "$wal/live.db" ".dbconfig no_ckpt_on_close on" "INSERT INTO t VALUES (10000, 'in the wal');" >/dev/null
rm -f "$wal/live.db-shm"
checks=$((checks + 1))
[ -s "$wal/live.db-wal" ] || fail "sqlite3 left no -wal beside live.db"
run check "$wal/live.db" --rules "$tmp/rules.yaml" --format json
expect_status 1
expect_json '[.findings[].key]' '["5000","10000"]'
expect_json '.inputs[0] | [.sha256, .bytes, .companion.sha256, .companion.bytes]' \
    "[\"$(sha "$wal/live.db")\",$(size "$wal/live.db"),\"$(sha "$wal/live.db-wal")\",$(size "$wal/live.db-wal")]"

# --- a bundle member: its bytes' hash ------------------------------------------
bundle=$tmp/bundle
mkdir "$bundle"
cp "$ev/plain.db" "$bundle/"
printf '{"bundle": "b", "product": "test", "created_at": "2026-04-12T10:22:00Z", "artifacts": [{"path": "plain.db", "role": "ledger", "sha256": "%s"}]}\n' \
    "$(sha "$bundle/plain.db")" >"$bundle/manifest.json"
run check "$bundle" --rules "$tmp/rules.yaml" --format json
expect_status 1
expect_json '[.inputs[] | select(.kind == "sqlite") | .sha256]' "[\"$(sha "$bundle/plain.db")\"]"

# --- rbaudit diff names the files' hashes ------------------------------------
run diff "$ev/plain.db" "$wal/live.db" --format json
expect_status 1
expect_json '[.old.sha256, .new.sha256, .new.companion.sha256]' \
    "[\"$(sha "$ev/plain.db")\",\"$(sha "$wal/live.db")\",\"$(sha "$wal/live.db-wal")\"]"

# --- a table whose rows cannot be counted: its note where it was -------------
# (before the notes of the pass, such as a source that maps no rows)
cp "$ev/plain.db" "$tmp/damaged.db"
page=$(sqlite3 "$tmp/damaged.db" "SELECT rootpage FROM sqlite_schema WHERE name = 't'")
checks=$((checks + 1))
[ "$(sqlite3 "$tmp/damaged.db" "PRAGMA page_size")" = 4096 ] || fail "damaged.db has no 4096-byte pages"
printf '\377\377\377\377' | dd of="$tmp/damaged.db" bs=1 seek=$(( (page - 1) * 4096 )) conv=notrunc 2>/dev/null
cat >"$tmp/damaged.yaml" <<'X'
sources:
  - name: elsewhere
    files: "*.db"
    query: "SELECT 1 AS seq, 'x' AS type, '2026-04-12T10:00:00Z' AS ts FROM nowhere"
rules:
  - id: HASH-002
    title: what u holds
    severity: note
    message: "{value}"
    sql: {db: "*.db", query: "SELECT x FROM u", expect: {value: plain}}
X
run check "$tmp/damaged.db" --rules "$tmp/damaged.yaml" --format json
expect_status 0
expect_json '.inputs[0] | [.notes, .rows, .tables]' \
    '[["the rows of table '"'"'t'"'"' cannot be counted: '"$tmp"'/damaged.db: counting the rows of table '"'"'t'"'"': database disk image is malformed","source '"'"'elsewhere'"'"' maps no rows from it: no table '"'"'nowhere'"'"' in '"$tmp"'/damaged.db"],1,[{"name":"t","read_by":[]},{"name":"u","rows":1,"read_by":["HASH-002"]}]]'
expect_json '.inputs[0] | keys_unsorted' \
    '["path","fingerprint_name","kind","sha256","bytes","events","documents","notes","rows","tables"]'

# --- a run that fails while a worker hashes ends with its own error ----------
printf '{"ts":"2026-04-12T10:00:00Z","type":"a"}\nnot json\n' >"$tmp/bad.jsonl"
run check "$ev/plain.db" "$tmp/bad.jsonl" --rules "$tmp/rules.yaml" --format json
expect_no_crash
expect_status 2
expect_stderr "bad.jsonl:2"

# --- an unreadable ledger is an error naming it ------------------------------
cp "$ev/plain.db" "$tmp/locked.db"
chmod 000 "$tmp/locked.db"
if [ -r "$tmp/locked.db" ]; then
    echo "skip: running as a user who reads any file"
else
    run check "$tmp/locked.db" --rules "$tmp/rules.yaml" --format json
    expect_status 2
    expect_stderr "$tmp/locked.db: cannot open"
    run diff "$ev/plain.db" "$tmp/locked.db"
    expect_status 2
    expect_stderr "$tmp/locked.db: cannot open"
fi

done_testing
