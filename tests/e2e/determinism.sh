# determinism.sh — same inputs and options give byte-identical reports.
. "$(dirname "$0")/lib.sh"

for format in json text; do
    run check corpora/beam/incident-dead-letter --format "$format" --no-color
    expect_status 1
    cp "$tmp/out" "$tmp/first.$format"
    run check corpora/beam/incident-dead-letter --format "$format" --no-color
    expect_status 1
    checks=$((checks + 1))
    cmp -s "$tmp/first.$format" "$tmp/out" || fail "two $format runs differ"
done

# The same files named in another order give the same findings (inputs are
# listed in the order given; findings are sorted).
run check corpora/beam/incident-dead-letter/bus.jsonl corpora/beam/incident-dead-letter/acl-changes.jsonl --format json
"$JQ" -c '.findings' "$tmp/out" >"$tmp/a"
run check corpora/beam/incident-dead-letter/acl-changes.jsonl corpora/beam/incident-dead-letter/bus.jsonl --format json
"$JQ" -c '.findings' "$tmp/out" >"$tmp/b"
checks=$((checks + 1))
cmp -s "$tmp/a" "$tmp/b" || fail "findings depend on the order of inputs"

# A leading ./ does not change the logical name or the fingerprints.
run check ./corpora/beam/incident-dead-letter --format json
"$JQ" -c '[.findings[] | [.origins[0].path, .fingerprint]]' "$tmp/out" >"$tmp/c"
run check corpora/beam/incident-dead-letter --format json
"$JQ" -c '[.findings[] | [.origins[0].path, .fingerprint]]' "$tmp/out" >"$tmp/d"
checks=$((checks + 1))
cmp -s "$tmp/c" "$tmp/d" || fail "./ changes paths or fingerprints"

done_testing
