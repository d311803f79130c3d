# differential.sh — the engine's fast path changes nothing.  The plan (lines
# no rule can want are scanned, not built: plan.h, line_scan.h) and the
# index of rules by event type (rule_index.h) only skip work; with the
# hidden --debug-reference-path every line is read whole and every rule is
# asked of every event.  The fast path also reads each JSON Lines input on
# a thread of its own (--jobs 2, read_ahead.h), the reference path on one
# (--jobs 1).  Every corpus, every fixture directory, bench-shaped
# evidence (flat and nested) and the fuzz seeds give byte-identical reports
# both ways, in JSON, SARIF and text, with the same exit status.
. "$(dirname "$0")/lib.sh"

# same WHAT ARGS...: runs rbaudit with ARGS both ways, in the current
# directory, and compares the reports and the exit status.
same() {
    what=$1
    shift
    last="rbaudit $* (fast and reference, $what)"
    "$RBAUDIT" "$@" --jobs 2 --output json:"$tmp/fast.json" --output sarif:"$tmp/fast.sarif" \
        --output text:"$tmp/fast.txt" >/dev/null 2>"$tmp/fast.err"
    fast=$?
    "$RBAUDIT" "$@" --debug-reference-path --jobs 1 --output json:"$tmp/ref.json" --output sarif:"$tmp/ref.sarif" \
        --output text:"$tmp/ref.txt" >/dev/null 2>"$tmp/ref.err"
    ref=$?
    checks=$((checks + 1))
    [ "$fast" = "$ref" ] || fail "$what: exit $fast on the fast path, $ref on the reference path"
    [ "$fast" -le 2 ] || fail "$what: exit $fast"
    for f in json sarif txt; do
        checks=$((checks + 1))
        if [ -f "$tmp/ref.$f" ]; then
            cmp -s "$tmp/fast.$f" "$tmp/ref.$f" ||
                fail "$what: the $f reports differ: $(diff "$tmp/fast.$f" "$tmp/ref.$f" | head -20)"
        fi
    done
    cmp -s "$tmp/fast.err" "$tmp/ref.err" || fail "$what: the errors differ"
    rm -f "$tmp"/fast.* "$tmp"/ref.*
}

# --- every corpus, as its expected.json runs it ----------------------------
n=0
for expected in corpora/*/*/expected.json; do
    corpus=$(dirname "$expected")
    built=$tmp/built.$n
    mkdir "$built"
    build=$("$JQ" -r '.build // empty' "$expected")
    [ -z "$build" ] || (cd "$corpus" && sh "$build" "$built" >/dev/null) || fail "$corpus: $build failed"
    set --
    for arg in $("$JQ" -r '.args[] | gsub(" "; "\u0001")' "$expected"); do
        arg=$(printf '%s' "$arg" | tr '\001' ' ')
        set -- "$@" "$(printf '%s' "$arg" | sed "s|{built}|$built|g")"
    done
    top=$(pwd)
    cd "$corpus" || exit 99
    same "$corpus" "$@"
    cd "$top" || exit 99
    n=$((n + 1))
done

# --- every fixture directory ----------------------------------------------
for dir in rules/*/tests rules/*/tests/*/ doc/examples/tests; do
    [ -d "$dir" ] || continue
    pack=$(printf '%s' "$dir" | sed -n 's|^rules/\([^/]*\)/.*|\1|p')
    rules=${pack:+rules/$pack}
    same "$dir" check "$dir" --rules "${rules:-doc/examples}" --lenient --allow-empty --fail-on never
done

# --- bench-shaped evidence, with the default packs and one selective rule --
awk -v events=20000 -v keys=500 -f tests/bench/gen-events.awk >"$tmp/flat.jsonl"
same "flat bench events" check "$tmp/flat.jsonl" --fail-on never
same "flat bench events, one rule" check "$tmp/flat.jsonl" --rules tests/bench/rules/selective.yaml --fail-on never
# the same events nested, escaped and not all ASCII, as real exports are
"$JQ" -c '. + {detail: {error_code: (.error_code // null), attempt: (.retry_count // 0),
                route: {region: "eu-west", hops: [{h: 1, w: 0.5}, {h: 2, note: "caf\u00e9 \"q\" \\\\"}]}},
                note: "line\nbreak \u00fc"} | del(.error_code)' "$tmp/flat.jsonl" >"$tmp/nested.jsonl" ||
    fail "cannot nest the bench events"
same "nested bench events" check "$tmp/nested.jsonl" --fail-on never
cat >"$tmp/nested-rule.yaml" <<'X'
- id: T-NESTED-001
  title: dead letters refused for want of permission
  severity: error
  message: "{key}: {detail.error_code}"
  events: {source: beam.bus}
  match: {type: dead_letter, detail.error_code|contains: FORBIDDEN}
X
same "nested bench events, one rule" check "$tmp/nested.jsonl" --rules "$tmp/nested-rule.yaml" --fail-on never
# broken lines across many of the read-ahead's batches: the same problems,
# and without --lenient the same first error
awk 'NR % 97 == 0 { print substr($0, 1, 40); next } NR % 89 == 0 { print "[1, 2]"; next } { print }' \
    "$tmp/nested.jsonl" >"$tmp/broken.jsonl"
same "nested bench events with broken lines" check "$tmp/broken.jsonl" --lenient --fail-on never
same "nested bench events with broken lines, strict" check "$tmp/broken.jsonl" --fail-on never
cp "$tmp/broken.jsonl" "$tmp/broken-too.jsonl"
same "two inputs with broken lines" check "$tmp/broken.jsonl" "$tmp/broken-too.jsonl" "$tmp/nested.jsonl" --lenient --fail-on never

# --- the fuzz seeds ---------------------------------------------------------
sh tests/fuzz/seeds.sh "$TOP_SRCDIR" "$tmp/seeds" >/dev/null 2>&1 || fail "tests/fuzz/seeds.sh failed"
for kind in jsonl json junit markdown sqlite; do
    for seed in "$tmp/seeds/$kind"/*; do
        [ -f "$seed" ] || continue
        same "fuzz seed $seed" check --kind "$kind=$seed" "$seed" --lenient --allow-empty --fail-on never
    done
done

done_testing
