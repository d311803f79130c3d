# gate_coverage.sh — change control never passes in silence: a changed file
# that no pack's config glob takes is an RBA-UNCOVERED note (in --old/--new
# and in git walks, in every report format, failing --fail-on note), and a
# new or deleted config file is one change per leaf against the empty
# document (an empty --old, --old /dev/null, --new /dev/null, a file added,
# deleted or filled in a commit, the cache, rbaudit diff).
. "$(dirname "$0")/lib.sh"

rules="$TOP_SRCDIR/tests/e2e/rules/coverage.yaml"
globs='["conf/**/*.yaml","deploy/*.json"]'

# A config repository: conf/ is config, README.md and docs/ are not.
repo="$tmp/repo"
mkdir -p "$repo"
(
    set -e
    export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
    export GIT_AUTHOR_NAME="Test Author" GIT_AUTHOR_EMAIL="author@example.invalid"
    export GIT_COMMITTER_NAME="Test Author" GIT_COMMITTER_EMAIL="author@example.invalid"
    cd "$repo"
    git init -q -b main .
    day=0
    commit() {
        day=$((day + 1))
        git add -A
        GIT_AUTHOR_DATE="2026-06-0${day}T10:00:00Z" GIT_COMMITTER_DATE="2026-06-0${day}T10:00:00Z" \
            git commit -q -m "$1"
        git tag "$2"
    }
    mkdir conf
    printf 'limits:\n  cpu: 2\nservices:\n  - {name: api, port: 80}\n' >conf/app.yaml
    printf 'limits:\n  mem: 1Gi\nowner: ops\n' >conf/old.yaml
    printf 'hello\n' >README.md
    commit "initial" base
    sed -i 's/cpu: 2/cpu: 4/' conf/app.yaml
    printf 'hello again\n' >README.md
    commit "more cpu, and the readme" c2
    printf 'hello, third time\n' >README.md
    mkdir docs
    printf '# guide\n' >docs/guide.md
    commit "docs only" c3
    printf 'limits:\n  disk: 10Gi\n  iops: 300\nteam: storage\n' >conf/new.yaml
    git rm -q conf/old.yaml
    commit "add one config file, delete another" c4
    : >conf/later.yaml
    commit "an empty placeholder" c5
    printf 'limits:\n  gpu: 1\n' >conf/later.yaml
    commit "fill the placeholder" c6
) || fail "cannot build the repository"
sha() { git -C "$repo" rev-parse "$1"; }

# --- gate --old/--new on a file no glob takes ------------------------------
cd "$repo"
: >"$tmp/empty"
run gate --old "$tmp/empty" --new README.md --rules "$rules" --format json
expect_status 0
expect_json '[.findings[] | [.rule, .severity, .key]]' '[["RBA-UNCOVERED","note","README.md"]]'
expect_json '.findings[0].message' '"README.md changed, but no rule reads it: it matches none of the config globs of the packs that ran (conf/**/*.yaml, deploy/*.json)"'
expect_json '.findings[0].evidence' "[{\"file\":\"README.md\",\"config_globs\":$globs}]"
expect_json '.findings[0] | [.origins[0].path, (.remediation | test("declare the file as config in a pack"; "i"))]' '["README.md",true]'
expect_json '[.inputs[] | [.path, .kind]]' '[["README.md","config"]]'
fingerprint=$("$JQ" -r '.findings[0].fingerprint' "$tmp/out")
# the fingerprint is the rule, the file and the globs, not what changed in it
git show HEAD~3:README.md >"$tmp/old-readme"
run gate --old "$tmp/old-readme" --new README.md --rules "$rules" --format json
expect_json '.findings[0].fingerprint' "\"$fingerprint\""
run gate --old "$tmp/empty" --new README.md --rules "$rules"
expect_status 0
expect_stdout "note RBA-UNCOVERED A changed file that no rule reads"
expect_stdout "[README.md] README.md changed, but no rule reads it"
expect_stdout "1 finding: 0 errors, 0 warnings, 1 note"
run gate --old "$tmp/empty" --new README.md --rules "$rules" --fail-on note --quiet
expect_status 1
# a waiver accepts a file that needs no rule
printf -- '- rule: RBA-UNCOVERED\n  key: README.md\n  reason: docs need no rule\n  owner: ops\n  expires: 2030-01-01\n' \
    >"$tmp/waivers.yaml"
run gate --old "$tmp/empty" --new README.md --rules "$rules" --fail-on note --waivers "$tmp/waivers.yaml" --format json
expect_status 0
expect_json '[(.findings | length), .suppressed[0].rule]' '[0,"RBA-UNCOVERED"]'
# every format shows it
run gate --old "$tmp/empty" --new README.md --rules "$rules" --output "sarif:$tmp/u.sarif" \
    --output "junit:$tmp/u.xml" --output "markdown:$tmp/u.md" --quiet
expect_status 0
expect_valid sarif "$tmp/u.sarif"
expect_valid junit "$tmp/u.xml"
cp "$tmp/u.sarif" "$tmp/out"
expect_json '[.runs[0].results[] | [.ruleId, .level, .properties.key]]' '[["RBA-UNCOVERED","note","README.md"]]'
expect_json '.runs[0].tool.driver.rules[] | select(.id == "RBA-UNCOVERED") | [.shortDescription.text, (.help.text | startswith("What to do: Declare the file as config in a pack"))]' \
    '["A changed file that no rule reads",true]'
checks=$((checks + 2))
grep -q 'RBA-UNCOVERED' "$tmp/u.xml" || fail "the JUnit report lacks RBA-UNCOVERED"
grep -q 'README.md changed, but no rule reads it' "$tmp/u.xml" || fail "the JUnit report lacks the message"
# an uncovered file is not parsed: any file can be gated
printf 'a: [\n' >"$tmp/broken.yaml"
run gate --old "$tmp/empty" --new "$tmp/broken.yaml" --rules "$rules" --format json
expect_status 0
expect_json '[.findings[] | [.rule, .key]]' "[[\"RBA-UNCOVERED\",\"$tmp/broken.yaml\"]]"
# both sides must still be there
run gate --old "$tmp/nosuch.yaml" --new README.md --rules "$rules"
expect_status 2
expect_stderr "$tmp/nosuch.yaml: cannot open"
run gate --old "$tmp/nosuch.yaml" --new conf/app.yaml --rules "$rules"
expect_status 2
expect_stderr "$tmp/nosuch.yaml: cannot open"
# packs that declare no config file at all
printf -- '- id: PLAIN-ANY-001\n  title: any event\n  severity: note\n  message: x\n  match: {type: deploy}\n' >"$tmp/plain.yaml"
run gate --old "$tmp/empty" --new conf/app.yaml --rules "$tmp/plain.yaml" --format json
expect_status 0
expect_json '[.findings[] | [.rule, .message, .evidence[0].config_globs]]' '[["RBA-UNCOVERED","conf/app.yaml changed, but no rule reads it: no pack that ran declares any config file (a `config:` entry or a `changes` rule)",[]]]'

# --- a new or deleted config file: one change per leaf ----------------------
limits='[.findings[] | select(.rule == "COV-LIMITS") | [.key, .evidence[0].op, .evidence[0].file, .origins[0].line]]'
run gate --old "$tmp/empty" --new conf/new.yaml --rules "$rules" --format json
expect_status 1
expect_json "$limits" '[["limits.disk","add","conf/new.yaml",2],["limits.iops","add","conf/new.yaml",3]]'
expect_json '[.findings[] | select(.rule == "COV-CHANGE") | [.key, .evidence[0].op, .evidence[0].new]]' \
    '[["limits.disk","add","10Gi"],["limits.iops","add",300],["team","add","storage"]]'
cp "$tmp/out" "$tmp/from-empty.json"
run gate --old /dev/null --new conf/new.yaml --rules "$rules" --format json
expect_status 1
cmp -s "$tmp/out" "$tmp/from-empty.json" || fail "--old /dev/null and an empty --old differ"
checks=$((checks + 1))
# an empty JSON file is the empty document too
mkdir deploy
printf '{\n  "limits": {"replicas": 3}\n}\n' >deploy/app.json
: >"$tmp/empty.json"
run gate --old "$tmp/empty.json" --new deploy/app.json --rules "$rules" --format json
expect_status 1
expect_json "$limits" '[["limits.replicas","add","deploy/app.json",2]]'
# deleted: named by --old, every leaf removed with its old value
run gate --old conf/app.yaml --new /dev/null --rules "$rules" --format json
expect_status 1
expect_json "$limits" '[["limits.cpu","remove","conf/app.yaml",null]]'
expect_json '[.findings[] | select(.rule == "COV-CHANGE") | [.key, .evidence[0].op, .evidence[0].old]] | sort' \
    '[["limits.cpu","remove",4],["services.api.name","remove","api"],["services.api.port","remove",80]]'
expect_json '[.inputs[] | [.path, .kind]]' '[["conf/app.yaml","config"]]'
# rbaudit diff shows the same leaves
run diff /dev/null conf/new.yaml --rules "$rules" --format json
expect_status 1
expect_json '[[.changes[] | [.path, .op, .new, .line]], .summary]' '[[["limits.disk","add","10Gi",2],["limits.iops","add",300,3],["team","add","storage",4]],{"changes":3,"added":3,"removed":0,"modified":0}]'
run diff "$tmp/empty" conf/new.yaml --rules "$rules"
expect_status 1
expect_stdout "+ limits.iops: 300  (line 3)"
run diff conf/app.yaml /dev/null --rules "$rules"
expect_status 1
expect_stdout "- services.api.port: 80"
expect_stdout "3 changes: 0 added, 3 removed, 0 modified"
cd "$TOP_SRCDIR"

# --- gate --range: uncovered files of the walk, new and deleted files -------
run gate --repo "$repo" --range base..HEAD --rules "$rules" --format json
expect_status 1
expect_json '[.findings[] | select(.rule == "RBA-UNCOVERED") | [.key, .severity, [.origins[] | .path, .commit], .evidence[0].config_globs]]' \
    "[[\"README.md\",\"note\",[\"$repo/README.md\",\"$(sha c2)\",\"$repo/README.md\",\"$(sha c3)\"],$globs],[\"docs/guide.md\",\"note\",[\"$repo/docs/guide.md\",\"$(sha c3)\"],$globs]]"
expect_json "$limits" '[["limits.cpu","modify","conf/app.yaml",2],["limits.gpu","add","conf/later.yaml",2],["limits.disk","add","conf/new.yaml",2],["limits.iops","add","conf/new.yaml",3],["limits.mem","remove","conf/old.yaml",null]]'
expect_json '[.findings[] | select(.rule == "COV-CHANGE") | [.key, .evidence[0].op]] | sort' \
    '[["limits.cpu","modify"],["limits.disk","add"],["limits.gpu","add"],["limits.iops","add"],["limits.mem","remove"],["owner","remove"],["team","add"]]'
cp "$tmp/out" "$tmp/walk.json"
run gate --repo "$repo" --range base..HEAD --rules "$rules" --fail-on never
expect_status 0
expect_stdout "$repo/README.md @$(sha c2 | cut -c1-12)  [README.md] README.md changed, but no rule reads it"
# the fingerprint holds from one range to the next
run gate --repo "$repo" --range base..c2 --rules "$rules" --format json --fail-on never
expect_json '.findings[] | select(.rule == "RBA-UNCOVERED") | .fingerprint' \
    "$("$JQ" '.findings[] | select(.rule == "RBA-UNCOVERED" and .key == "README.md") | .fingerprint' "$tmp/walk.json")"
# a range that changes only files no rule reads is never a silent pass
run gate --repo "$repo" --range c2..c3 --rules "$rules" --format json
expect_status 0
expect_json '[.findings[] | [.rule, .key]]' '[["RBA-UNCOVERED","README.md"],["RBA-UNCOVERED","docs/guide.md"]]'
run gate --repo "$repo" --range c2..c3 --rules "$rules" --fail-on note --quiet
expect_status 1
# check reads the same walk as evidence for rules of any kind: no notes
run check --repo "$repo" --range base..HEAD --rules "$rules" --format json
expect_status 1
expect_json '[[.findings[] | select(.rule == "RBA-UNCOVERED")], [.inputs[].path | select(endswith(".md"))]]' '[[],[]]'

# The cache stores the new form, and a cache of the first format (one
# change at the root for a file filled in a commit) is not read.
run gate --repo "$repo" --range base..HEAD --rules "$rules" --format json --cache "$tmp/cache.db"
cmp -s "$tmp/out" "$tmp/walk.json" || fail "filling the cache changed the report"
run gate --repo "$repo" --range base..HEAD --rules "$rules" --format json --cache "$tmp/cache.db"
cmp -s "$tmp/out" "$tmp/walk.json" || fail "a cached run changed the report"
checks=$((checks + 2))
settings=$(sqlite3 "$tmp/cache.db" 'SELECT DISTINCT settings FROM commits')
sqlite3 "$tmp/old-cache.db" <<X || fail "cannot forge a cache of the first format"
CREATE TABLE commits (sha TEXT NOT NULL, settings TEXT NOT NULL, record TEXT NOT NULL, PRIMARY KEY (sha, settings)) WITHOUT ROWID;
CREATE TABLE diffs (old_blob TEXT NOT NULL, new_blob TEXT NOT NULL, file TEXT NOT NULL, settings TEXT NOT NULL, changes TEXT NOT NULL, PRIMARY KEY (old_blob, new_blob, file, settings)) WITHOUT ROWID;
INSERT INTO commits VALUES ('$(sha c6)', '$settings', '{"paths":["conf/later.yaml"],"changes":[{"path":"","op":"modify","old":null,"new":{"limits":{"gpu":1}},"line":1,"file":"conf/later.yaml"}],"problems":[]}');
PRAGMA application_id = 1380073795;
PRAGMA user_version = 1;
X
run gate --repo "$repo" --range base..HEAD --rules "$rules" --format json --cache "$tmp/old-cache.db"
cmp -s "$tmp/out" "$tmp/walk.json" || fail "a cache of the first format was read"
checks=$((checks + 1))
expect_json '[.findings[] | select(.key == "limits.gpu") | .evidence[0].op] | unique' '["add"]'

done_testing
