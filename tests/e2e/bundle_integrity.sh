# bundle_integrity.sh — an integrity problem of an incident bundle (an
# altered, missing, unlisted or unsafe member) is reported once, as
# RBA-INTEGRITY keyed by the member, by `check` with the ByteOr pack (which
# gives it the runbook's citation and what to do, naming BO-BUNDLE-002) and
# by `bundle inspect`; an intact bundle has none.
. "$(dirname "$0")/lib.sh"

byteor="$TOP_SRCDIR/rules/byteor"
clean=corpora/byteor/bundles/clean

# tampered NAME: a copy of the clean bundle, as a directory $tmp/NAME.
tampered() {
    rm -rf "$tmp/$1"
    cp -R "$clean" "$tmp/$1"
}
tampered altered
printf '{"posture": "match"}\n' >"$tmp/altered/environment.json"
tampered missing
rm "$tmp/missing/environment.json"
tampered unlisted
printf '{"note": "scratch"}\n' >"$tmp/unlisted/notes.json"
# unsafe: a tar whose extra member climbs out of the bundle (-P keeps the
# '..' that GNU tar would strip)
tampered unsafe-src
printf '{}\n' >"$tmp/unsafe-src/escaped.json"
(cd "$tmp/unsafe-src" && tar -cPf "$tmp/unsafe.tar" ./*.json ./*.jsonl --transform 's|^\./escaped\.json$|../escaped.json|')
# a listed artifact that is a link out of the bundle: unsafe, and not
# "missing" too
tampered link
rm "$tmp/link/environment.json"
ln -s /etc/hostname "$tmp/link/environment.json"
tar -cf "$tmp/link.tar" -C "$tmp/link" .

# once BUNDLE MEMBER PROBLEM: check and bundle inspect report MEMBER once,
# as RBA-INTEGRITY with the runbook's words, and nothing else: the bundle
# was clean but for it (no triage layer fails, none lacks its artifact).
once() {
    run check --rules "$byteor" "$1" --format json
    expect_status 1
    expect_json '[.findings[].rule]' '["RBA-INTEGRITY"]'
    about="[.findings[] | select((.key | tostring) as \$k | \$k == \"$2\" or (\$k | endswith(\"[$2]\")))]"
    expect_json "$about | map(.rule)" '["RBA-INTEGRITY"]'
    expect_json "$about | .[0] | [.explained_by, .severity, (.runbook | startswith(\"002_c18c20ab9c5ad65e.txt › 3. Export an incident bundle early\")), (.remediation | startswith(\"Do not triage or replay from an altered bundle\"))]" \
        '["BO-BUNDLE-002","error",true,true]'
    run bundle inspect "$1" --format json
    expect_status 1
    expect_json '[.problems[] | [.rule, .member, .problem]]' "[[\"RBA-INTEGRITY\",\"$2\",\"$3\"]]"
    expect_json '.triage.verdict' 'null'
}
once "$tmp/altered" environment.json hash-mismatch
once "$tmp/missing" environment.json missing
once "$tmp/unlisted" notes.json unlisted
once "$tmp/unsafe.tar" ../escaped.json unsafe
once "$tmp/link.tar" environment.json unsafe

# The same bundle packed: the same single finding.
(cd "$tmp" && tar czf altered.tgz altered)
once "$tmp/altered.tgz" environment.json hash-mismatch

# Without the pack, the finding is still there, once, without the runbook.
run check --rules tests/e2e/rules/drill.yaml "$tmp/altered" --format json
expect_json '[.findings[] | [.rule, .key, .runbook, .explained_by]]' '[["RBA-INTEGRITY","environment.json",null,null]]'

# An intact bundle: no integrity finding, no problem.
run check --rules "$byteor" "$clean" --format json
expect_status 0
expect_json '[.findings[].rule]' '[]'
run bundle inspect "$clean" --format json
expect_status 0
expect_json '.problems' '[]'

done_testing
