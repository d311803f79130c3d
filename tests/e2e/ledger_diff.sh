# ledger_diff.sh — `rbaudit diff` of two SQLite ledgers: a table whose
# primary key changed is reported and the others still compared; keys pair
# as SQLite compares them (a NOCASE key, text '2' against integer 2); a
# column named rowid is a column; a table without a primary key is a
# multiset of rows; table names match ignoring case; changed rows name
# their columns, old -> new, in text and JSON.  Ledgers are built here with
# the sqlite3 CLI.
. "$(dirname "$0")/lib.sh"

# ledger NAME SQL: a ledger built from SQL in $tmp.
ledger() {
    rm -f "$tmp/$1"
    sqlite3 "$tmp/$1" "$2" || fail "sqlite3 cannot build $1"
}

# --- a key that changed does not stop the diff ----------------------------
ledger keyed-old.db "CREATE TABLE intents(id INTEGER PRIMARY KEY, agent TEXT);
    INSERT INTO intents VALUES (1, 'a'), (2, 'b');
    CREATE TABLE agents(id TEXT PRIMARY KEY, email TEXT, owner TEXT);
    INSERT INTO agents VALUES ('finance', 'fin@x', NULL), ('ops', 'ops@x', 'dana');"
ledger keyed-new.db "CREATE TABLE intents(id INTEGER, agent TEXT, tenant TEXT, PRIMARY KEY (id, tenant));
    INSERT INTO intents VALUES (1, 'a', 't'), (2, 'b', 't');
    CREATE TABLE agents(id TEXT PRIMARY KEY, email TEXT, owner TEXT);
    INSERT INTO agents VALUES ('finance', 'finance@x', 'eve'), ('ops', 'ops@x', 'dana');"
run diff "$tmp/keyed-old.db" "$tmp/keyed-new.db" --format json
expect_no_crash
expect_status 1
expect_json '.schema' '"rbaudit-diff/2"'
expect_json '[.tables[] | .table]' '["agents","intents"]'
expect_json '.tables[1] | [.status, .schema.status, .schema.columns_added, .schema.key_changed]' \
    '["changed","changed",["tenant"],{"old":[{"column":"id","type":"INTEGER","collation":"BINARY"}],"new":[{"column":"id","type":"INTEGER","collation":"BINARY"},{"column":"tenant","type":"TEXT","collation":"BINARY"}]}]'
expect_json '.tables[1] | [.pairing, .old.rows, .new.rows, .missing, .added]' \
    '[{"by":"multiset","columns":["id","agent"],"reason":"the primary key changed"},2,2,[],[]]'
expect_json '.tables[1].old.sha256 | test("^[0-9a-f]{64}$")' 'true'
expect_json '.tables[0] | [.status, .schema.status, .pairing.by, .changed]' \
    '["changed","equal","key",[{"key":"finance","columns":{"email":{"old":"fin@x","new":"finance@x"},"owner":{"old":null,"new":"eve"}}}]]'
expect_json '.summary' \
    '{"tables":2,"equal":0,"changed":2,"missing":0,"added":0,"schemas_changed":1,"rows_missing":0,"rows_added":0,"rows_changed":1}'
run diff "$tmp/keyed-old.db" "$tmp/keyed-new.db"
expect_status 1
expect_stdout '  ~ changed id="finance": email: "fin@x" -> "finance@x"; owner: null -> "eve"'
expect_stdout '  schema: changed: columns added: tenant; key (id INTEGER) -> (id INTEGER, tenant TEXT)'
expect_stdout '  rows: compared as a multiset of (id, agent): the primary key changed'
expect_stdout '  rows: paired by key (id)'

# a schema change alone makes the ledgers differ
ledger typed-old.db "CREATE TABLE t(id INTEGER PRIMARY KEY, amount INTEGER); INSERT INTO t VALUES (1, 5);"
ledger typed-new.db "CREATE TABLE t(id INTEGER PRIMARY KEY, amount NUMERIC NOT NULL); INSERT INTO t VALUES (1, 5);"
run diff "$tmp/typed-old.db" "$tmp/typed-new.db" --format json
expect_status 1
expect_json '.tables[0] | [.status, .missing, .added, .changed, .schema.columns_changed]' \
    '["changed",[],[],[],[{"column":"amount","old":{"name":"amount","type":"INTEGER","collation":"BINARY","not_null":false},"new":{"name":"amount","type":"NUMERIC","collation":"BINARY","not_null":true}}]]'
run diff "$tmp/typed-old.db" "$tmp/typed-new.db"
expect_stdout '  schema: changed: column amount: type INTEGER -> NUMERIC, nullable -> NOT NULL'

# --- keys pair as SQLite compares them ------------------------------------
ledger nocase-old.db "CREATE TABLE users(email TEXT PRIMARY KEY COLLATE NOCASE, name TEXT);
    INSERT INTO users VALUES ('Dana@x', 'Dana'), ('eve@x', 'Eve');
    CREATE TABLE tags(tag TEXT, note TEXT, PRIMARY KEY (tag COLLATE NOCASE)) WITHOUT ROWID;
    INSERT INTO tags VALUES ('Ops', 'n');"
ledger nocase-new.db "CREATE TABLE users(email TEXT PRIMARY KEY COLLATE NOCASE, name TEXT);
    INSERT INTO users VALUES ('dana@x', 'Dana'), ('eve@x', 'Eve');
    CREATE TABLE tags(tag TEXT, note TEXT, PRIMARY KEY (tag COLLATE NOCASE)) WITHOUT ROWID;
    INSERT INTO tags VALUES ('Ops', 'n');"
run diff "$tmp/nocase-old.db" "$tmp/nocase-new.db" --format json
expect_status 1
expect_json '[.tables[] | [.table, .status, .missing, .added, .changed]]' \
    '[["tags","equal",[],[],[]],["users","changed",[],[],[{"key":"Dana@x","columns":{"email":{"old":"Dana@x","new":"dana@x"}}}]]]'
expect_json '.tables[0].pairing' '{"by":"key","columns":["tag"],"reason":null}'
run diff "$tmp/nocase-old.db" "$tmp/nocase-old.db"
expect_status 0

# an untyped key: the text '2' and the integer 2 are two rows
ledger untyped-old.db "CREATE TABLE k(id PRIMARY KEY, v); INSERT INTO k VALUES (2, 'x'), (3, 'y');"
ledger untyped-new.db "CREATE TABLE k(id PRIMARY KEY, v); INSERT INTO k VALUES ('2', 'x'), (3, 'y');"
run diff "$tmp/untyped-old.db" "$tmp/untyped-new.db" --format json
expect_status 1
expect_json '.tables[0] | [.missing, .added, .changed]' '[[2],["2"],[]]'
run diff "$tmp/untyped-old.db" "$tmp/untyped-new.db"
expect_stdout '  - missing id=2'
expect_stdout '  + added   id="2"'

# a key value that is NULL identifies no row: the table is a multiset
ledger null-old.db "CREATE TABLE n(k TEXT PRIMARY KEY, v); INSERT INTO n VALUES (NULL, 1), (NULL, 2), ('a', 3);"
ledger null-new.db "CREATE TABLE n(k TEXT PRIMARY KEY, v); INSERT INTO n VALUES ('a', 3), (NULL, 2), (NULL, 1);"
run diff "$tmp/null-old.db" "$tmp/null-new.db" --format json
expect_status 0
expect_json '.tables[0].pairing.reason' '"a primary key value is NULL"'

# a key in a collation that only the writing application had: still read,
# as a multiset
app_order="PRAGMA writable_schema = ON;
    UPDATE sqlite_schema SET sql = replace(sql, 'NOCASE', 'app_order') WHERE name = 't';"
ledger coll-old.db "CREATE TABLE t(k TEXT PRIMARY KEY COLLATE NOCASE, v); INSERT INTO t VALUES ('a', 1), ('B', 2); $app_order"
ledger coll-new.db "CREATE TABLE t(k TEXT PRIMARY KEY COLLATE NOCASE, v); INSERT INTO t VALUES ('a', 1); $app_order"
run diff "$tmp/coll-old.db" "$tmp/coll-new.db" --format json
expect_status 1
expect_json '.tables[0] | [.pairing.reason, .missing]' \
    '["the key'"'"'s collation app_order is not one SQLite has",[{"k":"B","v":2}]]'

# --- a column named rowid is a column -------------------------------------
ledger rowid-old.db "CREATE TABLE r(rowid TEXT, v TEXT); INSERT INTO r VALUES ('k', 'a'), ('k', 'b');
    CREATE TABLE s(id INTEGER PRIMARY KEY, oid TEXT); INSERT INTO s VALUES (1, 'x');"
ledger rowid-new.db "CREATE TABLE r(rowid TEXT, v TEXT); INSERT INTO r VALUES ('k', 'b'), ('k', 'a');
    CREATE TABLE s(id INTEGER PRIMARY KEY, oid TEXT); INSERT INTO s VALUES (1, 'y');"
run diff "$tmp/rowid-old.db" "$tmp/rowid-new.db" --format json
expect_status 1
expect_json '[.tables[] | [.table, .status, .pairing.by, .changed]]' \
    '[["r","equal","multiset",[]],["s","changed","key",[{"key":1,"columns":{"oid":{"old":"x","new":"y"}}}]]]'

# --- no primary key: a multiset of rows, rowids ignored --------------------
ledger bag-old.db "CREATE TABLE audit(who TEXT, what TEXT);
    INSERT INTO audit VALUES ('gone', 'x'), ('u', 'x'), ('u', 'x'), ('v', 'y');
    DELETE FROM audit WHERE who = 'gone';"
ledger bag-new.db "CREATE TABLE audit(who TEXT, what TEXT); INSERT INTO audit VALUES ('v', 'y'), ('u', 'x');"
run diff "$tmp/bag-old.db" "$tmp/bag-new.db" --format json
expect_status 1
expect_json '.tables[0] | [.pairing, .old.rows, .new.rows, .missing, .added, .changed]' \
    '[{"by":"multiset","columns":["who","what"],"reason":"no primary key"},3,2,[{"who":"u","what":"x"}],[],[]]'
run diff "$tmp/bag-old.db" "$tmp/bag-new.db"
expect_stdout '  - missing {"who":"u","what":"x"}'
expect_stdout '  rows: compared as a multiset of (who, what): no primary key'
# the same rows under other rowids (a restore): equal, and the same hash
ledger bag-restore.db "CREATE TABLE audit(who TEXT, what TEXT);
    INSERT INTO audit VALUES ('v', 'y'), ('u', 'x'), ('u', 'x');"
run diff "$tmp/bag-old.db" "$tmp/bag-restore.db" --format json
expect_status 0
expect_json '.tables[0] | [.status, .old.sha256 == .new.sha256]' '["equal",true]'

# --- table names match as SQLite matches them -----------------------------
ledger case-old.db "CREATE TABLE Agents(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO Agents VALUES (1, 'a');"
ledger case-new.db "CREATE TABLE agents(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO agents VALUES (1, 'a');"
run diff "$tmp/case-old.db" "$tmp/case-new.db" --format json
expect_status 1
expect_json '[.tables[] | [.table, .status, .schema.renamed, .missing, .added, .changed]]' \
    '[["Agents","changed",{"old":"Agents","new":"agents"},[],[],[]]]'
expect_json '.summary | [.tables, .missing, .added]' '[1,0,0]'
run diff "$tmp/case-old.db" "$tmp/case-new.db"
expect_stdout '  schema: changed: renamed Agents -> agents'

# --- tables only one side has, and the same ledger twice -------------------
ledger lone-new.db "CREATE TABLE intents(id INTEGER PRIMARY KEY, agent TEXT); INSERT INTO intents VALUES (1, 'a'), (2, 'b');"
run diff "$tmp/keyed-old.db" "$tmp/lone-new.db" --format json
expect_status 1
expect_json '[.tables[] | [.table, .status, (.old // .new).rows]]' '[["agents","missing",2],["intents","equal",2]]'
run diff "$tmp/keyed-old.db" "$tmp/keyed-old.db"
expect_status 0
expect_stdout "2 tables: 2 equal, 0 changed, 0 missing, 0 added; 0 schemas changed"

# --- counts that independent tools agree with, on 20000-row tables ---------
ledger big-old.db "CREATE TABLE intents(id TEXT PRIMARY KEY, agent TEXT, amount INTEGER);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
    INSERT INTO intents SELECT printf('n-%05d', i), 'agent-' || (i % 7), i FROM n;
    CREATE TABLE audit(who TEXT, n INTEGER);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
    INSERT INTO audit SELECT 'u' || (i % 50), i % 3 FROM n;"
cp "$tmp/big-old.db" "$tmp/big-new.db"
sqlite3 "$tmp/big-new.db" "UPDATE intents SET amount = -amount WHERE amount % 97 = 0;
    DELETE FROM intents WHERE amount % 89 = 0;
    INSERT INTO intents SELECT 'x' || id, agent, amount FROM intents WHERE amount % 83 = 0;
    DELETE FROM audit WHERE rowid % 61 = 0;
    INSERT INTO audit SELECT who, n + 5 FROM audit WHERE rowid % 59 = 0;
    VACUUM;" || fail "sqlite3 cannot change big-new.db"
run diff "$tmp/big-old.db" "$tmp/big-new.db" --format json
expect_status 1
# a multiset: the surplus copies of each distinct row, counted by SQL
surplus=$(sqlite3 :memory: "ATTACH '$tmp/big-old.db' AS o; ATTACH '$tmp/big-new.db' AS n;
    WITH a AS (SELECT who, n, count(*) AS c FROM o.audit GROUP BY who, n),
         b AS (SELECT who, n, count(*) AS c FROM n.audit GROUP BY who, n)
    SELECT '[' || (SELECT sum(max(a.c - coalesce(b.c, 0), 0)) FROM a LEFT JOIN b USING (who, n)) || ',' ||
           (SELECT sum(max(b.c - coalesce(a.c, 0), 0)) FROM b LEFT JOIN a USING (who, n)) || ']';")
expect_json '.tables[0] | [(.missing | length), (.added | length)]' "$surplus"
# by key: what SQLite's own sqldiff finds (package sqlite3-tools)
if command -v sqldiff >/dev/null; then
    counts=$(sqldiff --primarykey --table intents "$tmp/big-old.db" "$tmp/big-new.db" |
        awk '{n[$1]++} END {printf "[%d,%d,%d]", n["DELETE"], n["INSERT"], n["UPDATE"]}')
    expect_json '.tables[1] | [(.missing | length), (.added | length), (.changed | length)]' "$counts"
else
    [ -n "${CI:-}" ] && fail "sqldiff is not installed (ci/install-deps installs it)"
    echo "skip: no sqldiff to compare with"
fi

# --- keys stored out of key order: read another way, the same outcome -----
# The same rows, inserted in key order and in a scattered order (larger
# than SQLite's page cache, so that a walk through the key index would
# read a page a row, and the diff sorts them instead): the two diffs agree
# in every table member, hashes included.
scattered() { # scattered NAME ORDER: 20000 keyed rows inserted in ORDER
    ledger "$1" "CREATE TABLE intents(nonce TEXT PRIMARY KEY, state TEXT, pad TEXT);
    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 19999)
    INSERT INTO intents SELECT printf('n-%05d', $2), 'queued', printf('%.*c', 200, 'p') FROM n;"
}
scattered ordered-old.db i
scattered scattered-old.db "(i * 7919) % 20000"
for side in ordered scattered; do
    cp "$tmp/$side-old.db" "$tmp/$side-new.db"
    sqlite3 "$tmp/$side-new.db" "DELETE FROM intents WHERE nonce IN ('n-00017', 'n-12345');
        UPDATE intents SET state = 'acked' WHERE nonce IN ('n-00003', 'n-19999');
        INSERT INTO intents VALUES ('n-10000x', 'new', '');" || fail "sqlite3 cannot change $side-new.db"
    run diff "$tmp/$side-old.db" "$tmp/$side-new.db" --format json
    expect_status 1
    expect_json '.tables[0] | [.missing, .added, [.changed[].key], .old.rows, .new.rows]' \
        '[["n-00017","n-12345"],["n-10000x"],["n-00003","n-19999"],20000,19999]'
    jq -S .tables "$tmp/out" >"$tmp/$side.tables"
done
checks=$((checks + 1))
cmp -s "$tmp/ordered.tables" "$tmp/scattered.tables" || fail "a diff of rows stored out of key order differs"

# --- byte-identical output across runs ------------------------------------
for format in json text; do
    run diff "$tmp/keyed-old.db" "$tmp/keyed-new.db" --format "$format"
    cp "$tmp/out" "$tmp/first"
    run diff "$tmp/keyed-old.db" "$tmp/keyed-new.db" --format "$format"
    checks=$((checks + 1))
    cmp -s "$tmp/first" "$tmp/out" || fail "two $format diffs differ"
done

done_testing
