# baseline_places.sh — fingerprints do not depend on where a run stands: a
# baseline or a waiver made in one directory with one spelling of the
# inputs holds in another directory, with another spelling ("./x", "x",
# absolute, from inside x) and in a copy of the tree elsewhere (a CI
# checkout); a bundle directory and its .tgz agree; two inputs with one
# file name never share a fingerprint; a gate's --new file is named by its
# path in the repository; a baseline of the earlier scheme is refused.
. "$(dirname "$0")/lib.sh"

rules="$TOP_SRCDIR/rules/byteor"
w="$tmp/w"
mkdir -p "$w/x" "$w/elsewhere/deeper"
cp corpora/byteor/incident-environment-mismatch/operator-log.jsonl "$w/x/trace.jsonl"
# a bundle that lacks its environment and whose snapshot was altered
cp -r rules/byteor/tests/partial-bundle "$w/x/bundle"
(cd "$w/x" && tar czf "$w/inc.tgz" bundle)

# run_in DIR ARGS...: runs rbaudit ARGS from DIR.
run_in() {
    dir=$1
    shift
    cd "$dir" || fail "no directory $dir"
    run "$@"
    cd "$TOP_SRCDIR" || exit 99
}

# baseline_from DIR ARGS...: a check of ARGS from DIR is the baseline;
# $known is how many findings it holds (some, or the test proves nothing).
baseline_from() {
    dir=$1
    shift
    run_in "$dir" check --rules "$rules" --format json "$@"
    expect_status 1
    cp "$tmp/out" "$w/base.json"
    known=$("$JQ" '.findings | length' "$w/base.json")
    checks=$((checks + 1))
    [ "$known" -gt 0 ] || fail "the baseline holds no finding"
}

# all_known DIR ARGS...: a check of ARGS from DIR against the baseline
# finds nothing new and knows every finding of the baseline.
all_known() {
    dir=$1
    shift
    run_in "$dir" check --rules "$rules" --format json --baseline "$w/base.json" "$@"
    expect_status 0
    expect_json '[.findings[].rule]' '[]'
    expect_json '.summary.baselined' "$known"
}

# A file: written with ./x/trace.jsonl, read as x/trace.jsonl, absolutely,
# from inside x, from a deeper directory and from a copy of the tree.
baseline_from "$w" ./x/trace.jsonl
expect_json '.fingerprints' '"rbaudit/v2"'
expect_json '.inputs | map([.path, .fingerprint_name])' '[["x/trace.jsonl","trace.jsonl"]]'
all_known "$w" x/trace.jsonl
all_known / "$w/x/trace.jsonl"
all_known "$w/x" trace.jsonl
all_known "$w/elsewhere/deeper" ../../x/trace.jsonl
cp -r "$w" "$tmp/ci"
all_known "$tmp/ci" x/trace.jsonl
all_known "$tmp/ci/x" "$tmp/ci/x/trace.jsonl"
# reports still show the path as given
expect_json '[.suppressed[].origins[0].path] | unique' "[\"$tmp/ci/x/trace.jsonl\"]"

# A directory: its files are named below it, a bundle in it below the bundle.
baseline_from "$w" ./x
all_known "$w" x/
all_known "$w/x" .
all_known "$w/elsewhere" "$w/x"
all_known "$tmp/ci" x

# A bundle, as a directory and as a .tgz of it: the same members, the same
# fingerprints (integrity, missing artifact and triage findings included).
baseline_from "$w" ./x/bundle
expect_json '[.findings[].rule] | contains(["BO-BUNDLE-001","RBA-INTEGRITY"])' true
all_known "$w/x" bundle
all_known "$w/elsewhere" "$w/x/bundle/"
all_known "$w" inc.tgz
all_known "$tmp/ci/elsewhere" ../inc.tgz

# A waiver by fingerprint, taken from the baseline, holds elsewhere too.
fp=$("$JQ" -r '.findings[0].fingerprint' "$w/base.json")
printf -- '- {fingerprint: %s, reason: known, owner: ops, expires: 2099-01-01}\n' "$fp" >"$w/elsewhere/waivers.yaml"
run_in "$w/elsewhere" check --rules "$rules" --format json --waivers waivers.yaml "$w/inc.tgz"
expect_json "[.suppressed[] | select(.fingerprint == \"$fp\") | .suppressed_by.kind]" '["waiver"]'
expect_json '[.findings[].rule] | map(select(startswith("RBA-WAIVER")))' '[]'

# Two inputs with one file name: named apart by their directories, so their
# findings never share a fingerprint, from anywhere and in any order.
mkdir "$w/a" "$w/b"
cp "$w/x/trace.jsonl" "$w/a/trace.jsonl"
cp "$w/x/trace.jsonl" "$w/b/trace.jsonl"
baseline_from "$w" a/trace.jsonl b/trace.jsonl
expect_json '.inputs | map(.fingerprint_name)' '["a/trace.jsonl","b/trace.jsonl"]'
expect_json '[.findings[].fingerprint] | [length, (unique | length)]' "[$known,$known]"
all_known "$w/elsewhere" "$w/b/trace.jsonl" ../a/trace.jsonl
expect_json '.inputs | map(.fingerprint_name)' '["b/trace.jsonl","a/trace.jsonl"]'
# a baseline of a's findings only knows nothing of b's
"$JQ" '.findings |= map(select(.origins[0].path == "a/trace.jsonl"))' "$w/base.json" >"$w/a-only.json"
run_in "$w/elsewhere" check --rules "$rules" --format json --baseline "$w/a-only.json" "$w/a/trace.jsonl" "$w/b/trace.jsonl"
expect_status 1
expect_json '[.findings[].origins[0].path] | unique' "[\"$w/b/trace.jsonl\"]"
expect_json '.summary.baselined * 2' "$known"

# gate --old/--new: the --new file is named by its path in its work tree,
# as the pre-commit hook names it, however it is spelled.
mkdir -p "$w/repo/config"
git init -q "$w/repo"
printf 'replicas: 1\n' >"$w/old.yaml"
printf 'replicas: 3\n' >"$w/repo/config/app.yaml"
cat >"$w/gate.yaml" <<'EOF'
config:
  - files: "**/app.yaml"
rules:
  - id: T-GATE-001
    title: A change to app.yaml without a review
    severity: error
    message: "{op} {path}"
    changes:
      files: "**/app.yaml"
      paths: ["**"]
      impact: anything
      requires: [{type: reviewed}]
EOF
rules="$w/gate.yaml"
run_in "$w/repo" gate --rules "$rules" --old ../old.yaml --new config/app.yaml --format json
expect_status 1
cp "$tmp/out" "$w/base.json"
known=$("$JQ" '.findings | length' "$w/base.json")
expect_json '[.inputs[].fingerprint_name, .findings[].rule]' '["config/app.yaml","T-GATE-001"]'
for place in "$w/repo/config app.yaml" "/ $w/repo/config/app.yaml" "$w/elsewhere ../repo/./config/app.yaml"; do
    set -- $place
    run_in "$1" gate --rules "$rules" --old "$w/old.yaml" --new "$2" --format json --baseline "$w/base.json"
    expect_status 0
    expect_json '.summary.baselined' "$known"
done

# A baseline written by an earlier rbaudit (fingerprints of the path as
# given) is refused, not read as "every finding is new".
"$JQ" 'del(.fingerprints)' "$w/base.json" >"$w/v1.json"
run_in "$w/repo" gate --rules "$rules" --old ../old.yaml --new config/app.yaml --baseline "$w/v1.json"
expect_status 2
expect_stderr "v1.json: its fingerprints are those of an earlier rbaudit (rbaudit/v1), not \"rbaudit/v2\""

done_testing
