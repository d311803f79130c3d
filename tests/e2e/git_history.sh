# git_history.sh — git walks (--repo, --range): commit events, structural
# config diffs at depth, keyed and unkeyed lists, renames, merges, a broken
# revision mid-range, range forms and their errors, and the --cache.
. "$(dirname "$0")/lib.sh"

repo="$tmp/repo"
sh tests/e2e/history/make-repo.sh "$repo"
rules=tests/e2e/rules/history.yaml

# Each config change as [commit summary, file, path, op, old, new, renamed_from].
changes='(reduce (.findings[] | select(.rule=="HIST-COMMIT") | .evidence[0]) as $c ({}; .[$c.sha] = $c.summary)) as $s
  | [.findings[] | select(.rule=="HIST-CHANGE") | .evidence[0]
     | [$s[.commit], .file, .path, .op, .old, .new, .renamed_from]] | sort_by(.[0], .[2])'

run check --repo "$repo" --range start..end --rules "$rules" --format json
expect_status 1
expect_json "$changes" '[["deep changes","conf/app.yaml","a.b.c.d","modify",1,2,null],["deep changes","conf/app.yaml","a.e","add",null,"new",null],["deep changes","conf/app.yaml","a.x","remove","gone soon",null,null],["deep changes","conf/settings.json","limits.cpu","modify",2,4,null],["feature: more memory","conf/settings.json","limits.mem","modify","1Gi","2Gi",null],["fix app config","conf/app.yaml","a.b.c.d","modify",2,3,null],["main: flag on","conf/app.yaml","a.flag","modify",false,true,null],["merge feature","conf/app.yaml","a.merged","add",null,true,null],["rename logging config","conf/new-name.yaml","level","modify","info","debug","conf/old-name.yaml"],["reorder lists","conf/app.yaml","services.api.port","modify",8080,8081,null],["reorder lists","conf/app.yaml","steps.0.run","modify","build","test",null],["reorder lists","conf/app.yaml","steps.1.run","modify","test","build",null]]'
# commits: parents before children, each with its paths; the merge has two parents
expect_json '[.findings[] | select(.rule=="HIST-COMMIT") | .evidence[0] | [.summary, (.parents | length), .paths]] | sort_by(.[0])' '[["break app config",1,["conf/app.yaml"]],["deep changes",1,["conf/app.yaml","conf/settings.json"]],["feature: more memory",1,["conf/settings.json"]],["fix app config",1,["conf/app.yaml"]],["main: flag on",1,["conf/app.yaml"]],["merge feature",2,["conf/app.yaml","conf/settings.json"]],["rename logging config",1,["conf/new-name.yaml","conf/old-name.yaml"]],["reorder lists",1,["conf/app.yaml"]]]'
expect_json '[.findings[] | select(.rule=="HIST-COMMIT") | .evidence[0] | [.author, .email, .ts]] | unique | length' '8'
expect_json '.findings[] | select(.rule=="HIST-COMMIT" and .evidence[0].summary=="deep changes") | .evidence[0] | [.author, .email, .ts, .message]' '["Test Author","author@example.invalid","2026-05-02T10:00:00Z","deep changes\n"]'
# a change points at the file in the repository, its line in the new revision and its commit
expect_json '.findings[] | select(.rule=="HIST-CHANGE" and .key=="a.b.c.d" and .evidence[0].new==2) | .origins[0] | [.path, .line, (.commit | length)]' "[\"$repo/conf/app.yaml\",4,40]"
expect_json '.findings[] | select(.rule=="HIST-CHANGE" and .key=="services.api.port") | .origins[0].line' '9'
# the broken revision is a finding naming the commit, the file and the line; the walk went on
expect_json '[.findings[] | select(.rule=="RBA-INPUT") | [.severity, .origins[0].path, .origins[0].line, (.message | test("^commit [0-9a-f]{12}: the config revision does not parse: conf/app.yaml@[0-9a-f]{12}:3:1: "))]]' "[[\"error\",\"$repo/conf/app.yaml\",3,true]]"
expect_json '[.inputs[] | [.path, .kind]]' "[[\"$repo\",\"git\"],[\"$repo/conf/app.yaml\",\"git\"],[\"$repo/conf/settings.json\",\"git\"],[\"$repo/conf/new-name.yaml\",\"git\"]]"
# a file input carries the hash of its revision at the end of the range
expect_json '.inputs[1].sha256' "\"$(cd "$repo" && git show end:conf/app.yaml | sha256sum | cut -d' ' -f1)\""

# The text report places a change at file:line @commit.
run check --repo "$repo" --range start..end --rules "$rules" --format text
expect_stdout "conf/app.yaml:4 @"
expect_stdout "[a.b.c.d] modify a.b.c.d in conf/app.yaml"

# Range forms: A~N..A, A...B, a single revision (all of its history from the
# root, whose files are all added), an empty range.
run check --repo "$repo" --range end~1..end --rules "$rules" --format json --fail-on never
expect_status 0
expect_json '[.findings[] | select(.rule=="HIST-COMMIT") | .evidence[0].summary] | sort' '["feature: more memory","merge feature"]'
run check --repo "$repo" --range main~1...feature --rules "$rules" --format json --fail-on never
expect_json '[.findings[] | select(.rule=="HIST-COMMIT") | .evidence[0].summary] | sort' '["feature: more memory","main: flag on"]'
run check --repo "$repo" --range start --rules "$rules" --format json --fail-on never
expect_json '[.findings[] | select(.rule=="HIST-COMMIT") | .evidence[0].summary]' '["initial config"]'
expect_json '[.findings[] | select(.rule=="HIST-CHANGE") | .key] | sort' '["a.b.c.d","a.flag","a.x","level","limits.cpu","limits.mem","services.api.name","services.api.port","services.worker.name","services.worker.port","sink","steps.0.run","steps.1.run","tags.0","tags.1"]'
expect_json '[.findings[] | select(.rule=="HIST-CHANGE") | .evidence[0].op] | unique' '["add"]'
# a branch's upstream comes from the repository's settings, which the walk
# itself does without
git -C "$repo" config branch.main.remote .
git -C "$repo" config branch.main.merge refs/heads/feature
run check --repo "$repo" --range 'main@{upstream}..main' --rules "$rules" --format json --fail-on never
expect_json '[.findings[] | select(.rule=="HIST-COMMIT") | .evidence[0].summary] | sort' '["main: flag on","merge feature"]'
run check --repo "$repo" --range end..end --rules "$rules" --format json
expect_status 2
expect_stderr "nothing to audit: --repo $repo gave no event"
run check --repo "$repo" --range end..end --rules "$rules" --format json --allow-empty
expect_status 0
expect_json '[.findings, .summary.events]' '[[],0]'
# a git work tree among the inputs is history when --range is given
run check "$repo" --range end~1..end --rules "$rules" --format json --fail-on never
expect_json '[.inputs[0] | .kind]' '["git"]'

# Bad input: not a repository, unknown revisions, unrelated ends.
run check --repo "$tmp" --range HEAD --rules "$rules"
expect_status 2
expect_stderr "$tmp: not a git repository"
run check --repo "$repo" --range start..nosuch --rules "$rules"
expect_status 2
expect_stderr "--range 'start..nosuch': revspec 'nosuch' not found (expected A..B, A...B or one revision)"
run check --repo "$repo" --range main..other --rules "$rules"
expect_status 2
expect_stderr "are unrelated (no common ancestor"
run check --repo "$repo/conf/app.yaml" --range HEAD --rules "$rules"
expect_status 2
expect_no_crash

# Large revisions that come back: a walk keeps parsed revisions within a
# budget (1 MiB of text) and drops them all past it; the blobs parsed
# again afterwards give the same changes, at the same lines.
big="$tmp/big"
git init -q -b main "$big"
mkdir "$big/conf"
keys() { awk -v first="$1" -v last="$2" 'BEGIN { for (i = 1; i <= 40000; i++) printf "k%05d: %d\n", i, i == 1 ? first : i == 40000 ? last : 1 }'; }
step() { keys "$1" "$2" >"$big/conf/big.yaml" && git -C "$big" add conf && git -C "$big" commit -q -m "$3"; }
step 1 1 base && git -C "$big" tag base
step 2 1 "first up"
step 1 1 "first back"
step 1 5 "last up"
step 1 1 "last back"
step 2 1 "first up again"
run check --repo "$big" --range base..main --rules "$rules" --format json
expect_json "$changes | map([.[0], .[2], .[4], .[5]])" '[["first back","k00001",2,1],["first up","k00001",1,2],["first up again","k00001",1,2],["last back","k40000",5,1],["last up","k40000",1,5]]'
expect_json '[.findings[] | select(.rule=="HIST-CHANGE") | .origins[0].line] | sort' '[1,1,1,40000,40000]'
# The cache: a second run reads the same report from it, byte for byte.
run check --repo "$repo" --range start..end --rules "$rules" --format json
cp "$tmp/out" "$tmp/uncached.json"
run check --repo "$repo" --range start..end --rules "$rules" --format json --cache "$tmp/cache.db"
expect_status 1
cmp -s "$tmp/out" "$tmp/uncached.json" || fail "a run that fills the cache differs from one without it"
run check --repo "$repo" --range start..end --rules "$rules" --format json --cache "$tmp/cache.db"
cmp -s "$tmp/out" "$tmp/uncached.json" || fail "a run from the cache differs from one without it"
# the cache holds a record for each commit that read no broken revision
# (all but the break and its fix), and a diff for each blob pair that parsed
cat >"$tmp/cache-rules.yaml" <<'X'
- id: CACHE-COMMITS
  title: a cached commit
  severity: note
  sql: {db: cache.db, query: "SELECT sha AS key FROM commits", expect: empty}
- id: CACHE-DIFFS
  title: a cached diff
  severity: note
  sql: {db: cache.db, query: "SELECT file AS key FROM diffs", expect: empty}
X
run check "$tmp/cache.db" --rules "$tmp/cache-rules.yaml" --format json
expect_json '[.findings[] | .rule] | group_by(.) | map([.[0], length])' '[["CACHE-COMMITS",6],["CACHE-DIFFS",8]]'
# A cached diff is the diff of its two blobs, not of the delta that made
# it: the same pair met later in a plain edit is not labelled with the
# rename that first cached it.
renames="$tmp/renames"
git init -q -b main "$renames"
mkdir "$renames/conf"
printf 'level: info\nsink: stdout\nretries: 3\nbackoff: 2s\nowner: ops\n' >"$renames/conf/a.yaml"
git -C "$renames" add conf && git -C "$renames" commit -q -m base && git -C "$renames" tag base
git -C "$renames" checkout -q -b moved
git -C "$renames" mv conf/a.yaml conf/b.yaml
sed 's/info/debug/' "$renames/conf/b.yaml" >"$tmp/b.yaml" && cp "$tmp/b.yaml" "$renames/conf/b.yaml"
git -C "$renames" commit -q -am "rename and edit"
git -C "$renames" checkout -q -b copied base
git -C "$renames" show base:conf/a.yaml >"$renames/conf/b.yaml"
git -C "$renames" add conf && git -C "$renames" commit -q -m "copy"
cp "$tmp/b.yaml" "$renames/conf/b.yaml" && git -C "$renames" commit -q -am "plain edit"
run check --repo "$renames" --range base..copied --rules "$rules" --format json
cp "$tmp/out" "$tmp/copied.json"
expect_json '[.findings[] | select(.rule=="HIST-CHANGE") | .evidence[0] | [.file, .path, .op, .renamed_from]] | sort' '[["conf/b.yaml","backoff","add",null],["conf/b.yaml","level","add",null],["conf/b.yaml","level","modify",null],["conf/b.yaml","owner","add",null],["conf/b.yaml","retries","add",null],["conf/b.yaml","sink","add",null]]'
run check --repo "$renames" --range base..moved --rules "$rules" --format json --cache "$tmp/renames.db"
expect_json '[.findings[] | select(.rule=="HIST-CHANGE") | .evidence[0] | [.file, .path, .renamed_from]]' '[["conf/b.yaml","level","conf/a.yaml"]]'
run check --repo "$renames" --range base..copied --rules "$rules" --format json --cache "$tmp/renames.db"
cmp -s "$tmp/out" "$tmp/copied.json" || fail "a diff cached from a rename labelled a plain edit"
# a cache of format 3, whose diffs kept such labels, is emptied, not read
settings=$(sqlite3 "$tmp/renames.db" 'SELECT DISTINCT settings FROM diffs')
old_blob=$(git -C "$renames" rev-parse base:conf/a.yaml) new_blob=$(git -C "$renames" rev-parse moved:conf/b.yaml)
sqlite3 "$tmp/format3.db" <<X || fail "cannot forge a cache of format 3"
CREATE TABLE commits (sha TEXT NOT NULL, settings TEXT NOT NULL, record TEXT NOT NULL, PRIMARY KEY (sha, settings)) WITHOUT ROWID;
CREATE TABLE diffs (old_blob TEXT NOT NULL, new_blob TEXT NOT NULL, file TEXT NOT NULL, settings TEXT NOT NULL, changes TEXT NOT NULL, PRIMARY KEY (old_blob, new_blob, file, settings)) WITHOUT ROWID;
INSERT INTO diffs VALUES ('$old_blob', '$new_blob', 'conf/b.yaml', '$settings', '[{"path":"level","op":"modify","old":"info","new":"debug","line":1,"file":"conf/b.yaml","renamed_from":"conf/a.yaml"}]');
PRAGMA application_id = 1380073795;
PRAGMA user_version = 3;
X
run check --repo "$renames" --range base..copied --rules "$rules" --format json --cache "$tmp/format3.db"
cmp -s "$tmp/out" "$tmp/copied.json" || fail "a cache of format 3 was read"
# the cache does not replace another file
printf 'a notes file, not a cache\n' >"$tmp/notes.txt"
run check --repo "$repo" --range start..end --rules "$rules" --cache "$tmp/notes.txt"
expect_status 2
expect_stderr "notes.txt: "
grep -q '^a notes file, not a cache$' "$tmp/notes.txt" || fail "the cache overwrote a file that is not one"
run check --repo "$repo" --range start..end --rules "$rules" --cache "$tmp/missing-dir/cache.db"
expect_status 2
expect_stderr "missing-dir/cache.db: cannot open"

# rbaudit diff of two config files prints the diff a walk makes; the list
# keys of the pack apply to the NEW path as given (run from the top of the
# work tree, as CI does).
mkdir -p "$tmp/conf"
git -C "$repo" show start:conf/app.yaml >"$tmp/old.yaml"
git -C "$repo" show end:conf/app.yaml >"$tmp/conf/app.yaml"
cd "$tmp"
run diff old.yaml conf/app.yaml --rules "$TOP_SRCDIR/$rules" --format json
expect_status 1
expect_json '[.schema, .kind, .equal, .summary]' '["rbaudit-diff/1","config",false,{"changes":8,"added":2,"removed":1,"modified":5}]'
expect_json '[.old.path, .new.path, (.new.sha256 | length)]' '["old.yaml","conf/app.yaml",64]'
expect_json '[.changes[] | [.path, .op]]' '[["a.b.c.d","modify"],["a.flag","modify"],["a.e","add"],["a.merged","add"],["a.x","remove"],["services.api.port","modify"],["steps.0.run","modify"],["steps.1.run","modify"]]'
run diff old.yaml conf/app.yaml --rules "$TOP_SRCDIR/$rules"
expect_stdout "~ services.api.port: 8080 -> 8081  (line 10)"
expect_stdout "- a.x: \"gone soon\"  (line 1)"
expect_stdout "8 changes: 2 added, 1 removed, 5 modified"
# without the pack's list key, the reordered services differ by position
run diff old.yaml conf/app.yaml --rules "$TOP_SRCDIR/rules/beampipe" --format json
expect_json '.summary.changes' '11'
cd "$TOP_SRCDIR"
cp "$tmp/conf/app.yaml" "$tmp/new.yaml"
run diff "$tmp/new.yaml" "$tmp/new.yaml"
expect_status 0
printf 'a: [\n' >"$tmp/bad.yaml"
run diff "$tmp/old.yaml" "$tmp/bad.yaml"
expect_status 2
expect_stderr "bad.yaml:2:1: "

done_testing
