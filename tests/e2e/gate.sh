# gate.sh — `rbaudit gate` on the beampipe sample repository: each of the
# eight rows of the runbook's Change control table with its impact and
# missing follow-ups, the README.md the range also changes (no rule reads
# it: an RBA-UNCOVERED note), exit statuses, --old/--new, the cache, usage
# errors.
. "$(dirname "$0")/lib.sh"

corpus=corpora/beampipe/change-control
repo="$tmp/wallaby-config"
sh "$corpus/make-repo.sh" "$repo"

row='[.findings[] | select(.rule != "RBA-UNCOVERED") | [.rule, .severity, .key, .impact, (.missing | map(.type))]]'
run gate --repo "$repo" --range base..HEAD --pack beampipe "$corpus/evidence" --format json
expect_status 1
expect_json "$row" '[["BP-CC-001","error","field_maps.ra","Prepared metadata shape and signatures may change",["config_revision_uploaded","sample_run"]],["BP-CC-001","error","field_maps.dec","Prepared metadata shape and signatures may change",["config_revision_uploaded","sample_run"]],["BP-CC-005","error","manifest.grouping.by.0","Execution grouping changes",["test_case"]],["BP-CC-005","error","manifest.grouping.by.1","Execution grouping changes",["test_case"]],["BP-CC-006","error","graphs.hires_imaging.version","Translated graph shape changes",["test_case"]],["BP-CC-007","error","automation.caps.max_active_executions","Scheduler admission behavior changes",["test_case"]],["BP-CC-008","error","deployment_profile","Backend routing, staging, and polling behavior changes",["test_case"]],["BP-CC-008","error","deployment_profiles.setonix-slurm.poll_interval","Backend routing, staging, and polling behavior changes",["test_case"]],["BP-CC-002","note","discovery.flags.require_moment_maps","Readiness gates and manifest values may change",[]],["BP-CC-003","note","signatures.exclude.2","Skip/re-run behavior changes",[]],["BP-CC-004","note","transforms.cubelet_query.query","Query variables, metadata, and flags may change",[]],["BP-CC-004","note","transforms.spectra_query.name","Query variables, metadata, and flags may change",[]],["BP-CC-004","note","transforms.spectra_query.query","Query variables, metadata, and flags may change",[]],["BP-CC-004","note","transforms.spectra_query.variables.collection","Query variables, metadata, and flags may change",[]]]'
expect_json '[.findings[].rule] | unique' '["BP-CC-001","BP-CC-002","BP-CC-003","BP-CC-004","BP-CC-005","BP-CC-006","BP-CC-007","BP-CC-008","RBA-UNCOVERED"]'
expect_json '[.findings[] | select(.rule == "RBA-UNCOVERED") | [.severity, .key, .message, .origins[0].path, (.origins[0].commit | length)]]' \
    "[[\"note\",\"README.md\",\"README.md changed, but no rule reads it: it matches none of the config globs of the packs that ran (config/**/*.yaml)\",\"$repo/README.md\",40]]"
# the missing follow-ups as the rule applied them: parameters and the change's file filled in
expect_json '.findings[0].missing' '[{"type":"config_revision_uploaded","file":"config/wallaby_hires.v1.yaml"},{"type":"sample_run","status":"succeeded","sources|lte":10}]'
expect_json '.findings[0] | [.origins[0].path, .origins[0].line, (.origins[0].commit | length), .runbook]' "[\"$repo/config/wallaby_hires.v1.yaml\",16,40,\"001_afd756ff7714a044.txt › Change control\"]"
expect_json '.findings[0].evidence | map(.type)' '["config_change","test_case"]'
expect_json '.findings[0].message' '"modify field_maps.ra: Prepared metadata shape and signatures may change; missing after the change: type=config_revision_uploaded file=config/wallaby_hires.v1.yaml; type=sample_run status=succeeded sources|lte=10"'
expect_json '[.findings[] | select(.severity == "note" and .rule != "RBA-UNCOVERED") | .message | endswith("missing after the change: none")] | all' 'true'
expect_json '.summary | [.error, .warning, .note]' '[8,0,7]'

# The text report: the change class (the rule), its impact and what is missing.
run gate --repo "$repo" --range base..HEAD --pack beampipe "$corpus/evidence"
expect_status 1
expect_stdout "error BP-CC-006 DALiuGE graphs changed"
expect_stdout "[graphs.hires_imaging.version] modify graphs.hires_imaging.version: Translated graph shape changes; missing after the change: type=test_case classname=beampipe.project.validate status=passed"
expect_stdout "note RBA-UNCOVERED A changed file that no rule reads"
expect_stdout "15 findings: 8 errors, 0 warnings, 7 notes"

# Exit statuses follow --fail-on: notes fail only --fail-on note.
run gate --repo "$repo" --range base..HEAD --pack beampipe "$corpus/evidence" --fail-on never --quiet
expect_status 0
# the last commit changes only the README: not a silent pass, a note
run gate --repo "$repo" --range HEAD~1..HEAD --pack beampipe "$corpus/evidence" --format json
expect_status 0
expect_json '[.findings[] | [.rule, .severity, .key]]' '[["RBA-UNCOVERED","note","README.md"]]'
run gate --repo "$repo" --range HEAD~1..HEAD --pack beampipe "$corpus/evidence" --fail-on note --quiet
expect_status 1
# without evidence every follow-up is missing
run gate --repo "$repo" --range base..HEAD --pack beampipe --format json
expect_json '[.findings[] | select(.rule != "RBA-UNCOVERED") | .missing | length] | unique' '[3]'
# --param narrows the window: no follow-up comes within a day of the BP-CC-002 change
run gate --repo "$repo" --range base..HEAD --pack beampipe "$corpus/evidence" --param BP-CC-002.window=1d --format json
expect_json '[.findings[] | select(.rule == "BP-CC-002") | [.severity, (.missing | map(.type))]]' '[["error",["test_case","config_revision_uploaded","sample_run"]]]'

# The default repository is the current directory.
cd "$repo"
run gate --range base..HEAD --rules "$TOP_SRCDIR/rules/beampipe" --format json --fail-on never
expect_status 0
expect_json '[.findings[].rule] | unique | length' '9'
expect_json '.inputs[0] | [.path, .kind]' '[".","git"]'
cd "$TOP_SRCDIR"

# Same inputs, same bytes, with or without the cache.
run gate --repo "$repo" --range base..HEAD --pack beampipe "$corpus/evidence" --format json
cp "$tmp/out" "$tmp/first.json"
run gate --repo "$repo" --range base..HEAD --pack beampipe "$corpus/evidence" --format json --cache "$tmp/gate.cache"
cmp -s "$tmp/out" "$tmp/first.json" || fail "filling the cache changed the report"
run gate --repo "$repo" --range base..HEAD --pack beampipe "$corpus/evidence" --format json --cache "$tmp/gate.cache"
cmp -s "$tmp/out" "$tmp/first.json" || fail "a cached run changed the report"
# The cache holds what the walk read, never the rules: an edited rule
# reads the cached walk under its new words, and a change of the config
# declarations (a list no longer keyed) is diffed again.
cp -R rules/beampipe "$tmp/pack"
sed 's/impact: Scheduler admission behavior changes/impact: Queue caps moved/' rules/beampipe/change-control.yaml \
    >"$tmp/pack/change-control.yaml"
run gate --repo "$repo" --range base..HEAD --rules "$tmp/pack" "$corpus/evidence" --format json --cache "$tmp/gate.cache"
expect_json '[.findings[] | select(.rule == "BP-CC-007") | .impact]' '["Queue caps moved"]'
sed 's/list_keys: {transforms: name, /list_keys: {/' "$tmp/pack/change-control.yaml" >"$tmp/edited.yaml"
cp "$tmp/edited.yaml" "$tmp/pack/change-control.yaml"
run gate --repo "$repo" --range base..HEAD --rules "$tmp/pack" "$corpus/evidence" --format json --cache "$tmp/gate.cache"
expect_json '[.findings[] | select(.rule == "BP-CC-004") | .key] | sort' '["transforms.0.query","transforms.2.name","transforms.2.query","transforms.2.variables.collection"]'

# --old/--new: two plain revisions; the change has no time, so every event
# counts as after it and `within` does not apply.
git -C "$repo" show base:config/wallaby_hires.v1.yaml >"$tmp/old.yaml"
cd "$repo"
run gate --old "$tmp/old.yaml" --new config/wallaby_hires.v1.yaml --rules "$TOP_SRCDIR/rules/beampipe" \
    "$TOP_SRCDIR/$corpus/evidence" --format json
expect_status 0
expect_json '[(.findings | length), ([.findings[].severity] | unique)]' '[14,["note"]]'
expect_json '.findings[0] | [.origins[0].path, .origins[0].line, .origins[0].commit, (.evidence[0] | has("ts"))]' '["config/wallaby_hires.v1.yaml",16,null,false]'
expect_json '.now' '"2026-03-09T16:00:00Z"'
run gate --old "$tmp/old.yaml" --new config/wallaby_hires.v1.yaml --rules "$TOP_SRCDIR/rules/beampipe" --format json
expect_status 1
expect_json '.summary | [.error, .note]' '[14,0]'
cd "$TOP_SRCDIR"

# A leaf changed again and again (make bench's repository: the queue cap
# in every third commit, the batch size, which no rule takes, in others):
# each change a rule takes is a finding of its own, and an untaken leaf
# stays untaken, the walk cached or not.
history="$tmp/history"
git init -q -b main "$history"
awk -v commits=10 -f tests/bench/gen-repo.awk "$corpus/commits/01-initial/tree/config/wallaby_hires.v1.yaml" |
    GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null git -C "$history" fast-import --quiet
taken='[["BP-CC-007","automation.caps.max_queued"],["BP-CC-007","automation.caps.max_queued"],["BP-CC-007","automation.caps.max_queued"],["RBA-UNCOVERED","docs/run-notes.md"]]'
for pass in fill cached; do
    run gate --repo "$history" --range base..HEAD --pack beampipe --format json --cache "$tmp/history.cache"
    expect_status 1
    expect_json '[.findings[] | [.rule, .key]]' "$taken"
    expect_json '[.findings[] | select(.rule == "BP-CC-007") | .evidence[0] | [.old, .new]] | sort' '[[14,17],[17,20],[20,14]]'
done

# Usage errors name what was expected; nothing runs.
run gate --pack beampipe
expect_status 2
expect_stderr "gate: expected --range A..B (with --repo DIR, default '.') or --old FILE --new FILE"
run gate --old "$tmp/old.yaml" --pack beampipe
expect_status 2
expect_stderr "gate: --old needs --new too"
run gate --old "$tmp/old.yaml" --new "$tmp/old.yaml" --range HEAD --pack beampipe
expect_status 2
expect_stderr "two ways to name the change"
# a config file (by the packs' globs) that does not parse
printf 'x: [\n' >"$repo/config/broken.yaml"
cd "$repo"
run gate --old "$tmp/old.yaml" --new config/broken.yaml --rules "$TOP_SRCDIR/rules/beampipe"
expect_status 2
expect_stderr "config/broken.yaml:2:1: "
cd "$TOP_SRCDIR"
run gate --repo "$repo" --range base..HEAD --pack beampipe --output "$tmp/no/such/dir/report.json"
expect_status 2
expect_no_crash

done_testing
