# accounting.sh — every report says what rbaudit read and what it skipped,
# and a run that read nothing does not pass.  A directory of CI artifacts
# is classified file by file by content: a coverage report or a pom.xml is
# listed as skipped with its root element, not an abort of the run; a file
# named on the command line that is not its kind stays exit 2.  Each
# format carries the account: text, JSON inputs[] and skipped[], SARIF
# toolExecutionNotifications, the JUnit run suite's system-out, Markdown.
. "$(dirname "$0")/lib.sh"

# A rule that fails on a failed test case, so that the JUnit results are
# known to be read.
cat >"$tmp/rules.yaml" <<'X'
- id: ACC-TEST-001
  title: A test case failed
  severity: error
  message: "{name} failed"
  events: {type: test_case}
  key: name
  match: {status: failed}
X

# --- a directory of CI artifacts ------------------------------------------
art="$tmp/artifacts"
mkdir -p "$art/reports"
cat >"$art/reports/results.xml" <<'X'
<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="ci">
  <testsuite name="smoke" timestamp="2026-04-12T10:00:00Z" tests="2">
    <testcase classname="smoke" name="health" time="0.5"/>
    <testcase classname="smoke" name="release" time="1.0"><failure message="503">got 503</failure></testcase>
  </testsuite>
</testsuites>
X
printf '<?xml version="1.0"?>\n<!-- cobertura -->\n<coverage line-rate="0.81" version="7.4"><packages/></coverage>\n' \
    >"$art/reports/coverage.xml"
printf '<?xml version="1.0"?>\n<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion></project>\n' \
    >"$art/pom.xml"
printf 'build started\nbuild finished\n' >"$art/build.log"
printf '{"ts":"2026-04-12T10:00:00Z","type":"deploy"}\n{"ts":"2026-04-12T10:01:00Z","type":"deploy"}\n' \
    >"$art/deploy-events"
printf 'no manifest here\n' >"$tmp/readme.txt"
(cd "$tmp" && tar czf "$art/dist.tgz" readme.txt)
printf 'secret\n' >"$art/.env"
printf '{"ts":"2026-04-12T10:00:00Z","type":"x"}\n' | gzip >"$art/events.jsonl.gz"

run check "$art" --rules "$tmp/rules.yaml" --format json
expect_no_crash
expect_status 1
expect_json '[.findings[] | [.rule, .key]]' '[["ACC-TEST-001","release"]]'
expect_json '[.inputs[] | [(.path | sub(".*/artifacts/"; "")), .kind, .events, .documents]]' \
    '[["deploy-events","jsonl",2,0],["reports/results.xml","junit",2,1]]'
expect_json '[.skipped[] | .path | sub(".*/artifacts/"; "")]' \
    '[".env","build.log","dist.tgz","events.jsonl.gz","pom.xml","reports/coverage.xml"]'
expect_json '.skipped[] | select(.path | endswith(".gz")) | .reason | startswith("compressed data that is not a tar")' \
    'true'
expect_json '.skipped[] | select(.path | endswith("coverage.xml")) | .reason' \
    '"XML whose root element is <coverage>, not JUnit'"'"'s <testsuites> or <testsuite>"'
expect_json '.skipped[] | select(.path | endswith("pom.xml")) | .reason | contains("<project>")' 'true'
expect_json '.skipped[] | select(.path | endswith("dist.tgz")) | .reason | startswith("not an incident bundle")' 'true'
expect_json '.skipped[] | select(.path | endswith("build.log")) | .reason | startswith("no known kind")' 'true'
expect_json '.skipped[] | select(.path | endswith(".env")) | .reason | startswith("hidden")' 'true'
expect_json '.summary | [.inputs, .events, .documents, .skipped]' '[2,4,1,6]'
# the sha256 of each input is the file's
for f in deploy-events reports/results.xml; do
    want=$(sha256sum "$art/$f" | cut -d' ' -f1)
    expect_json ".inputs[] | select(.path | endswith(\"$f\")) | .sha256" "\"$want\""
done

# Named on the command line, a file that is not its kind is an error.
run check "$art/reports/coverage.xml" --rules "$tmp/rules.yaml" --format json
expect_status 2
expect_stderr "coverage.xml: XML whose root element is <coverage>, not JUnit's <testsuites> or <testsuite>"
run check "$art/build.log" --rules "$tmp/rules.yaml"
expect_status 2
expect_stderr "build.log: no known kind of evidence"

# --- every format carries the account -------------------------------------
run check "$art" --rules "$tmp/rules.yaml" --format text --no-color
expect_status 1
expect_stdout "read:"
expect_stdout "reports/results.xml  junit: 2 events, 1 document  sha256 $(sha256sum "$art/reports/results.xml" | cut -d' ' -f1)"
expect_stdout "skipped:"
expect_stdout "reports/coverage.xml  XML whose root element is <coverage>"
expect_stdout "(2 inputs, 4 events, 1 document, 6 skipped, 1 rule)"

run check "$art" --rules "$tmp/rules.yaml" --format sarif --output "$tmp/r.sarif"
expect_status 1
expect_valid sarif "$tmp/r.sarif"
cp "$tmp/r.sarif" "$tmp/out"
expect_json '[.runs[0].invocations[0].toolExecutionNotifications[] | select(.descriptor.id == "input-skipped")] | length' '6'
expect_json '[.runs[0].invocations[0].toolExecutionNotifications[] | select(.descriptor.id == "input-read") | .properties | [.kind, .events]]' \
    '[["jsonl",2],["junit",2]]'
expect_json '.runs[0].invocations[0].executionSuccessful' 'true'

run check "$art" --rules "$tmp/rules.yaml" --format junit --output "$tmp/r.xml"
expect_status 1
expect_valid junit "$tmp/r.xml"
checks=$((checks + 1))
xmllint --xpath 'string(//testsuite[@name="rbaudit"]/system-out)' "$tmp/r.xml" >"$tmp/system-out" ||
    fail "the JUnit report has no system-out in its rbaudit suite"
grep -q 'reports/coverage.xml  XML whose root element is <coverage>' "$tmp/system-out" ||
    fail "the JUnit system-out does not list the skipped coverage report"
grep -q 'deploy-events  jsonl: 2 events' "$tmp/system-out" || fail "the JUnit system-out does not list what was read"

run check "$art" --rules "$tmp/rules.yaml" --format markdown
expect_status 1
expect_stdout "<details><summary>Read 2 inputs (4 events, 1 document); skipped 6</summary>"
expect_stdout "reports/coverage.xml\` | XML whose root element is &lt;coverage>"

# --- a bundle's members of no known kind are listed too -------------------
b="$tmp/bundle"
mkdir "$b"
printf '{"ts":"2026-04-12T10:00:00Z","type":"x"}\n' >"$b/trace.jsonl"
printf 'operator notes\n' >"$b/notes.txt"
cp "$art/reports/coverage.xml" "$b/coverage.xml"
(
    cd "$b" || exit 1
    printf '{"bundle":"inc-1","product":"p","created_at":"2026-04-12T10:00:00Z","artifacts":['
    sep=
    for m in coverage.xml notes.txt trace.jsonl; do
        printf '%s{"path":"%s","sha256":"%s","role":"trace"}' "$sep" "$m" "$(sha256sum "$m" | cut -d' ' -f1)"
        sep=,
    done
    printf ']}\n'
) >"$tmp/manifest.json"
mv "$tmp/manifest.json" "$b/manifest.json"
run check "$b" --rules "$tmp/rules.yaml" --format json
expect_no_crash
expect_status 0
expect_json '[.skipped[] | .path | sub(".*/bundle"; "bundle")]' '["bundle!coverage.xml","bundle!notes.txt"]'
expect_json '[.inputs[] | select(.path | endswith("trace.jsonl")) | .events]' '[1]'

# --- no reader loses what the format holds ---------------------------------
# cases right under <testsuites>, as some producers write them
printf '<?xml version="1.0"?>\n<testsuites timestamp="2026-04-12T10:00:00Z">\n<testcase name="direct"/>\n<testsuite name="s"><testsuite name="nested"><testcase name="deep"/></testsuite><testcase name="a"/></testsuite>\n</testsuites>\n' \
    >"$tmp/direct.xml"
run check "$tmp/direct.xml" --rules "$tmp/rules.yaml" --format json
expect_status 0
expect_json '.inputs[0].events' "$(xmllint --xpath 'count(//testcase)' "$tmp/direct.xml")"
# a hidden file of a directory bundle is a member, as it is in a tar of it
cp -R "$b" "$tmp/hidden-bundle"
printf '{"ts":"2026-04-12T10:00:00Z","type":"x"}\n' >"$tmp/hidden-bundle/.late.jsonl"
run check "$tmp/hidden-bundle" --rules "$tmp/rules.yaml" --format json
expect_status 1
expect_json '[.findings[] | [.rule, .key]]' '[["RBA-INTEGRITY",".late.jsonl"]]'

# --- a ledger's companions are accounted for with it ----------------------
led="$tmp/ledger"
mkdir "$led"
(cd "$led" && sqlite3 live.db "PRAGMA journal_mode=WAL; CREATE TABLE t(id INTEGER PRIMARY KEY, v);
    INSERT INTO t VALUES (1, 'a');" ".shell cp live.db l.db && cp live.db-wal l.db-wal && cp live.db-shm l.db-shm" \
    >/dev/null && rm -f live.db live.db-wal live.db-shm)
run check "$led" --rules "$tmp/rules.yaml" --format json --allow-empty
expect_status 0
expect_json '[.inputs[] | [(.path | sub(".*/"; "")), (.companion.path | sub(".*/"; ""))]]' '[["l.db","l.db-wal"]]'
expect_json '[.skipped[] | [(.path | sub(".*/"; "")), (.reason | startswith("the shared-memory index"))]]' \
    '[["l.db-shm",true],["l.db",false]]'

# --- a ledger's tables: their rows, who read them, and those no one read --
sqlite3 "$tmp/audit.db" "CREATE TABLE agents(id INTEGER PRIMARY KEY, name);
    INSERT INTO agents VALUES (1, 'a'), (2, 'b'), (3, 'c');
    CREATE TABLE notes(body); INSERT INTO notes VALUES ('x'), ('y');
    CREATE TABLE empty(x); CREATE VIEW agent_names AS SELECT name FROM agents;"
cat >"$tmp/ledger-rules.yaml" <<'X'
- id: ACC-LEDGER-001
  title: three agents
  severity: error
  message: "{value} agents"
  sql: {db: "*.db", query: "SELECT count(*) FROM agents", expect: {value: 3}}
- id: ACC-LEDGER-002
  title: no nameless agent, through a view
  severity: error
  message: "nameless"
  sql: {db: "*.db", query: "SELECT * FROM agent_names WHERE name IS NULL", expect: empty}
X
run check "$tmp/audit.db" --rules "$tmp/ledger-rules.yaml" --format json
expect_status 0
expect_json '.inputs[0] | [.rows, [.tables[] | [.name, .rows, .read_by]]]' \
    '[5,[["agents",3,["ACC-LEDGER-001","ACC-LEDGER-002"]],["empty",0,[]],["notes",2,[]]]]'
expect_json '[.skipped[] | .reason]' \
    '["table '"'"'empty'"'"' (0 rows): no rule or source reads it","table '"'"'notes'"'"' (2 rows): no rule or source reads it"]'
for t in agents notes empty; do
    want=$(sqlite3 "$tmp/audit.db" "SELECT count(*) FROM $t")
    expect_json ".inputs[0].tables[] | select(.name == \"$t\") | .rows" "$want"
done
run check "$tmp/audit.db" --rules "$tmp/ledger-rules.yaml" --no-color
expect_stdout "audit.db  sqlite: 0 events, 0 documents, 5 rows  sha256"
expect_stdout "audit.db  table 'notes' (2 rows): no rule or source reads it"
# a ledger no rule reads audited nothing
run check "$tmp/audit.db" --rules "$tmp/rules.yaml" --format json
expect_status 2
expect_stderr "gave no event, no document and no ledger table a rule reads"
expect_stderr "table 'agents' (3 rows): no rule or source reads it"

# --- a run that read nothing does not pass ---------------------------------
mkdir "$tmp/empty"
run check "$tmp/empty" --rules "$tmp/rules.yaml" --format json
expect_status 2
expect_stderr "nothing to audit: $tmp/empty gave no event, no document and no ledger table a rule reads"
expect_stderr "--allow-empty"
checks=$((checks + 1))
[ ! -s "$tmp/out" ] || fail "a run that audited nothing wrote a report"

mkdir "$tmp/junk"
cp "$art/pom.xml" "$art/build.log" "$tmp/junk/"
run check "$tmp/junk" --rules "$tmp/rules.yaml" --format json
expect_status 2
expect_stderr "(skipped $tmp/junk/build.log: no known kind of evidence"
expect_stderr "$tmp/junk/pom.xml: XML whose root element is <project>"
run check "$tmp/junk" --rules "$tmp/rules.yaml" --format json --allow-empty
expect_status 0
expect_json '[.summary.events, .summary.documents, (.skipped | length)]' '[0,0,2]'

# an input that yields nothing: an empty log
: >"$tmp/empty.jsonl"
run check "$tmp/empty.jsonl" --rules "$tmp/rules.yaml"
expect_status 2
expect_stderr "nothing to audit"

done_testing
