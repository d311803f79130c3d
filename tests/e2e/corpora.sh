# corpora.sh — every corpus under corpora/ produces exactly the findings and
# exit status of its expected.json (corpora/run-corpus.sh), the Beam clean
# demo produces none, and every pack's fixtures pass `rbaudit rules test`.
. "$(dirname "$0")/lib.sh"

for expected in corpora/*/*/expected.json; do
    corpus=$(dirname "$expected")
    RBAUDIT=$RBAUDIT JQ=$JQ sh corpora/run-corpus.sh "$corpus" >"$tmp/found.json" 2>"$tmp/err"
    checks=$((checks + 1))
    "$JQ" -S '{status, findings}' "$expected" >"$tmp/want.json"
    "$JQ" -S . "$tmp/found.json" >"$tmp/got.json" 2>/dev/null
    if ! cmp -s "$tmp/want.json" "$tmp/got.json"; then
        fail "$corpus: its findings differ from expected.json:
$(diff "$tmp/want.json" "$tmp/got.json" | head -40)
$(cat "$tmp/err")"
    fi
done

# The clean demo holds every Clean Demo Expectation with the shipped packs.
run check corpora/beam/clean-demo --format json --fail-on note
expect_status 0
expect_json '.summary.findings' '0'
expect_json '[.rules[] | .pack] | unique' '["beam","beampipe","byteor","platform"]'
expect_json '[.inputs[].path]' '["corpora/beam/clean-demo/acl-changes.jsonl","corpora/beam/clean-demo/bus.jsonl"]'

# .rbauditignore: globs, relative to its directory, that a walk passes over.
mkdir -p "$tmp/ev/sub/deep"
printf '{"ts":1,"type":"x"}\n' >"$tmp/ev/a.jsonl"
cp "$tmp/ev/a.jsonl" "$tmp/ev/skip.jsonl"
cp "$tmp/ev/a.jsonl" "$tmp/ev/sub/b.jsonl"
printf '{}\n' >"$tmp/ev/sub/deep/c.json"
printf '# not evidence\nskip.jsonl\n  sub/deep/*.json  \n\n' >"$tmp/ev/.rbauditignore"
run check "$tmp/ev/" --format json
expect_status 0
expect_json '[.inputs[].path | sub(".*/ev/+"; "")]' '["a.jsonl","sub/b.jsonl"]'

# Every catalog rule is shipped, and every pack's fixtures pass.
run rules list --format json
expect_status 0
expect_json '[.[] | .id] | length' '63'
run rules test rules
expect_status 0
expect_stdout "rules/beam: 19 rules, "
expect_stdout "rules/platform: 19 rules, "

done_testing
