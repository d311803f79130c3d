# ledger_companions.sh — a SQLite ledger is read with the write-ahead log
# or hot rollback journal beside it (rbaudit(1), LEDGERS): commits still in
# a -wal are seen by `sql:` rules, `sources:` queries and `rbaudit diff`; a
# hot -journal is rolled back, so the pages an interrupted transaction
# half-wrote are not read; a companion with a bad header is exit 2 naming
# it; a zeroed (PERSIST) or empty (TRUNCATE) journal and an empty -wal are
# no companions.  Every run leaves the evidence as it was (same content and
# mtime, no file beside it), and the private copy it read goes away with it:
# TMPDIR, pointed at a directory of its own, is empty after every run.
. "$(dirname "$0")/lib.sh"

ev=$tmp/evidence
private=$tmp/private
mkdir "$ev" "$private"

# --- Evidence, built with the sqlite3 CLI.
# restore.db: a WAL ledger whose rows 4 and 5 are committed in its -wal,
# never checkpointed; backup.db: the same file before those commits.
sqlite3 "$ev/restore.db" "PRAGMA journal_mode=WAL;
    CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, ts TEXT);
    INSERT INTO t VALUES (1, 'checkpointed', '2026-04-12T10:00:01Z'), (2, 'checkpointed', '2026-04-12T10:00:02Z'),
                         (3, 'checkpointed', '2026-04-12T10:00:03Z');" >/dev/null
cp "$ev/restore.db" "$ev/backup.db"
sqlite3 "$ev/restore.db" ".dbconfig no_ckpt_on_close on" \
    "INSERT INTO t VALUES (4, 'in the wal', '2026-04-12T10:00:04Z');
     INSERT INTO t VALUES (5, 'in the wal', '2026-04-12T10:00:05Z');" >/dev/null
rm -f "$ev/restore.db-shm"
last="building restore.db"
checks=$((checks + 1))
cmp -s "$ev/restore.db" "$ev/backup.db" || fail "restore.db changed outside its -wal"
[ -s "$ev/restore.db-wal" ] || fail "sqlite3 left no -wal beside restore.db"
# the rows are real: sqlite3 itself reads them, from a copy
mkdir "$tmp/probe"
cp "$ev/restore.db" "$ev/restore.db-wal" "$tmp/probe/"
checks=$((checks + 1))
[ "$(sqlite3 "$tmp/probe/restore.db" 'SELECT count(*) FROM t')" = 5 ] || fail "sqlite3 does not see 5 rows in the copy"

# link.db: a symbolic link to restore.db, whose companion SQLite looks for
# beside the file the link leads to.
ln -s restore.db "$ev/link.db"

# hot.db: a copy of a ledger and its journal taken while a transaction too
# large for the page cache had written into the database but not committed;
# sqlite3 rolls such a journal back (checked on a copy), while the file
# alone holds the half-written rows.
sqlite3 "$tmp/work.db" "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
    INSERT INTO t SELECT i, printf('committed %04d %s', i, hex(zeroblob(40))) FROM n;"
cp "$tmp/work.db" "$ev/committed.db"
(cd "$tmp" && sqlite3 work.db "PRAGMA cache_size=10; BEGIN;
    UPDATE t SET v = printf('half-written %04d %s', id, hex(zeroblob(40)));" \
    ".shell cp work.db evidence/hot.db && cp work.db-journal evidence/hot.db-journal" "ROLLBACK;")
last="building hot.db"
checks=$((checks + 1))
[ -s "$ev/hot.db-journal" ] || fail "sqlite3 made no journal"
[ "$(sqlite3 "file:$ev/hot.db?immutable=1" "SELECT count(*) > 0 FROM t WHERE v LIKE 'half-written%'")" = 1 ] ||
    fail "hot.db holds no half-written rows: the transaction never reached the file"
mkdir "$tmp/probe-hot"
cp "$ev/hot.db" "$ev/hot.db-journal" "$tmp/probe-hot/"
checks=$((checks + 1))
[ "$(sqlite3 "$tmp/probe-hot/hot.db" "SELECT count(*) FROM t WHERE v LIKE 'half-written%'")" = 0 ] ||
    fail "sqlite3 did not roll the journal of hot.db back"

# Journals and logs that are no companions: a PERSIST journal (its header
# zeroed at commit), a TRUNCATE journal (no bytes) and an empty -wal.
sqlite3 "$ev/persist.db" "PRAGMA journal_mode=PERSIST; CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
    INSERT INTO t VALUES (1, 'persist');" >/dev/null
sqlite3 "$ev/truncate.db" "PRAGMA journal_mode=TRUNCATE; CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
    INSERT INTO t VALUES (1, 'truncate');" >/dev/null
cp "$ev/backup.db" "$ev/emptywal.db"
: >"$ev/emptywal.db-wal"
last="building persist.db and truncate.db"
checks=$((checks + 1))
[ -s "$ev/persist.db-journal" ] && [ -f "$ev/truncate.db-journal" ] && [ ! -s "$ev/truncate.db-journal" ] ||
    fail "sqlite3 left no PERSIST or TRUNCATE journal"

# Companions with bad headers: a -wal of other bytes, a -wal whose header
# checksum is wrong, a -journal that is no journal, and one with the
# journal's magic but a page size of 3 (SQLite would stop reading it there
# and leave the half-written pages in place).
cp "$ev/backup.db" "$ev/badwal.db"
printf 'not a write-ahead log, but long enough to hold a header\n' >"$ev/badwal.db-wal"
cp "$ev/restore.db" "$ev/badsum.db"
cp "$ev/restore.db-wal" "$ev/badsum.db-wal"
printf '\000\000\000\000\000\000\000\000' | dd of="$ev/badsum.db-wal" bs=1 seek=24 conv=notrunc 2>/dev/null
cp "$ev/committed.db" "$ev/badjournal.db"
printf 'garbage where a journal header belongs\n' >"$ev/badjournal.db-journal"
cp "$ev/committed.db" "$ev/refused.db"
{ head -c 20 "$ev/hot.db-journal"; printf '\000\000\002\000\000\000\000\003'; tail -c +29 "$ev/hot.db-journal"; } \
    >"$ev/refused.db-journal"

cat >"$tmp/rules.yaml" <<'X'
sources:
  - name: rows
    files: "restore.db"
    query: "SELECT id AS key, 'row' AS type, ts FROM t ORDER BY ts"
rules:
  - id: WAL-ROWS
    title: a row committed after the last checkpoint
    severity: error
    message: "row {key}: {v}"
    sql: {db: "restore.db", query: "SELECT id AS key, v FROM t WHERE v = 'in the wal'", expect: empty}
  - id: WAL-EVENTS
    title: an event from a row in the write-ahead log
    severity: note
    message: "event {key}"
    events: {type: row}
    match: {ts|gte: "2026-04-12T10:00:04Z"}
  - id: HALF-WRITTEN
    title: a row of the interrupted transaction
    severity: error
    message: "row {key}"
    sql: {db: "hot.db", query: "SELECT id AS key FROM t WHERE v NOT LIKE 'committed%'", expect: empty}
X

# --- Every run: the evidence as it was, TMPDIR empty after it.
snapshot() {
    { find "$ev" -exec stat -c '%n %.9Y %s %F' {} +; find "$ev" -type f -exec sha256sum {} +; } | LC_ALL=C sort
}
snapshot >"$tmp/evidence.before"
TMPDIR=$private
export TMPDIR

# guarded ARGS...: rbaudit ARGS, then the evidence is unchanged and no
# private copy is left behind.
guarded() {
    run "$@"
    expect_no_crash
    snapshot >"$tmp/evidence.after"
    checks=$((checks + 1))
    cmp -s "$tmp/evidence.before" "$tmp/evidence.after" ||
        fail "the evidence changed:
$(diff "$tmp/evidence.before" "$tmp/evidence.after" | head -20)"
    checks=$((checks + 1))
    [ -z "$(ls -A "$private")" ] || fail "left in TMPDIR: $(ls -A "$private")"
}

wal_sha=$(sha256sum "$ev/restore.db-wal" | cut -d' ' -f1)
wal_bytes=$(wc -c <"$ev/restore.db-wal" | tr -d ' ')

# (a) The rows in the -wal: an sql rule and a source query see them.
guarded check "$ev/restore.db" --rules "$tmp/rules.yaml" --format json
expect_status 1
expect_json '[.findings[] | select(.rule == "WAL-ROWS") | .key]' '["4","5"]'
expect_json '[.findings[] | select(.rule == "WAL-EVENTS") | .message]' '["event 4","event 5"]'
expect_json '.inputs[0].events' '5'
expect_json '.inputs[0].companion' \
    "{\"path\":\"$ev/restore.db-wal\",\"kind\":\"wal\",\"sha256\":\"$wal_sha\",\"bytes\":$wal_bytes}"
expect_json '.inputs[0].notes | length' '1'
expect_json ".inputs[0].notes[0] | test(\"restore.db-wal .*$wal_sha.*: 2 frames up to its last commit \" +
    \"applied to a private copy\")" 'true'

# Through a symbolic link: the -wal beside its target, named there.
guarded check "$ev/link.db" --format json --allow-empty
expect_status 0
expect_json '.inputs[0].companion.path' "\"$(cd "$ev" && pwd -P)/restore.db-wal\""

# A backup and its restore that differ only in the restore's -wal differ.
guarded diff "$ev/backup.db" "$ev/restore.db" --format json
expect_status 1
expect_json '.equal' 'false'
expect_json '[.tables[] | select(.table == "t") | .added]' '[[4,5]]'
expect_json '.new.companion | [.path, .kind, .sha256]' "[\"$ev/restore.db-wal\",\"wal\",\"$wal_sha\"]"
expect_json '.old | has("companion")' 'false'
guarded diff "$ev/restore.db" "$ev/backup.db"
expect_status 1
expect_stdout "--- $ev/restore.db (with its write-ahead log $ev/restore.db-wal)"
expect_stdout "missing id=4"
# the same database read twice, with and without its -wal, is equal to itself
guarded diff "$ev/restore.db" "$ev/restore.db"
expect_status 0

# (b) The hot journal is rolled back: no half-written row is read, and the
# ledger equals the committed one it was copied from.
guarded check "$ev/hot.db" --rules "$tmp/rules.yaml" --format json
expect_status 0
expect_json '[.findings[] | select(.rule == "HALF-WRITTEN")] | length' '0'
expect_json '.inputs[0].companion | [.path, .kind]' "[\"$ev/hot.db-journal\",\"journal\"]"
expect_json '.inputs[0].notes[0] | test("hot rollback journal .*hot.db-journal .*rolled back in a private copy")' 'true'
guarded diff "$ev/committed.db" "$ev/hot.db" --format json
expect_status 0
expect_json '.equal' 'true'

# Zeroed, empty and absent companions: read as before, immutable, named nowhere.
for db in persist truncate emptywal backup; do
    guarded check "$ev/$db.db" --format json --allow-empty
    expect_status 0
    expect_json '.inputs[0] | has("companion")' 'false'
done

# (c) A companion with a bad header is exit 2 naming it.
guarded check "$ev/badwal.db"
expect_status 2
expect_stderr "$ev/badwal.db-wal: not a SQLite write-ahead log"
guarded check "$ev/badsum.db"
expect_status 2
expect_stderr "$ev/badsum.db-wal: the write-ahead log header's checksum does not match"
guarded check "$ev/badjournal.db"
expect_status 2
expect_stderr "$ev/badjournal.db-journal: not a SQLite rollback journal"
guarded check "$ev/refused.db"
expect_status 2
expect_stderr "$ev/refused.db-journal: byte 24: invalid page size 3 in the journal header"
guarded diff "$ev/backup.db" "$ev/badwal.db"
expect_status 2
expect_stderr "$ev/badwal.db-wal"

# --- A bundle whose ledgers have their -wal and hot -journal as members:
# read the same way, through a private copy written from memory.
bundle=$tmp/bundle
mkdir "$bundle"
cp "$ev/restore.db" "$ev/restore.db-wal" "$ev/hot.db" "$ev/hot.db-journal" "$bundle/"
artifacts=
for member in restore.db restore.db-wal hot.db hot.db-journal; do
    artifacts="$artifacts${artifacts:+,}{\"path\": \"$member\", \"role\": \"ledger\",
        \"sha256\": \"$(sha256sum "$bundle/$member" | cut -d' ' -f1)\"}"
done
printf '{"bundle": "ledgers", "product": "test", "created_at": "2026-04-12T10:22:00Z", "artifacts": [%s]}\n' \
    "$artifacts" >"$bundle/manifest.json"
tar -C "$bundle" -cf "$tmp/bundle.tar" manifest.json restore.db restore.db-wal hot.db hot.db-journal
for b in "$bundle" "$tmp/bundle.tar"; do
    run check "$b" --rules "$tmp/rules.yaml" --format json
    expect_status 1
    expect_json '[.findings[] | .rule] | unique' '["WAL-EVENTS","WAL-ROWS"]'
    expect_json '[.findings[] | select(.rule == "WAL-ROWS") | .key]' '["4","5"]'
    expect_json '[.inputs[] | select(.companion) | [.path, .companion.path, .companion.kind]]' \
        "[[\"$b!hot.db\",\"$b!hot.db-journal\",\"journal\"],[\"$b!restore.db\",\"$b!restore.db-wal\",\"wal\"]]"
    expect_json '[.inputs[] | select(.path == "'"$b"'!restore.db") | .companion.sha256]' "[\"$wal_sha\"]"
    checks=$((checks + 1))
    [ -z "$(ls -A "$private")" ] || fail "left in TMPDIR: $(ls -A "$private")"
done
checks=$((checks + 1))
[ "$(ls "$bundle" | tr '\n' ' ')" = "hot.db hot.db-journal manifest.json restore.db restore.db-wal " ] ||
    fail "files appeared in the bundle: $(ls "$bundle")"

done_testing
