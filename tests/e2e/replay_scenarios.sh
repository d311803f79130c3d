#!/bin/sh
# replay_scenarios.sh — every scenario under replay/scenarios (a captured
# trace, a model, options, and the outcome it must have: conforming, a
# first divergence, a what-if that fixes it, an invariant broken under
# faults) gives exactly its expected projection.
. "$(dirname "$0")/lib.sh"

n=0
for scenario in replay/scenarios/*/*.scenario.json; do
    last="replay scenario $scenario"
    RBAUDIT=$RBAUDIT JQ=$JQ sh replay/scenarios/run-scenario.sh "$scenario" >"$tmp/out" 2>"$tmp/err" ||
        fail "scenario $scenario did not run"
    checks=$((checks + 1))
    "$JQ" -S .expect "$scenario" >"$tmp/expected"
    "$JQ" -S . "$tmp/out" >"$tmp/actual"
    cmp -s "$tmp/expected" "$tmp/actual" || {
        diff -u "$tmp/expected" "$tmp/actual" >&2
        fail "scenario $scenario: the replay differs from its expectation"
    }
    n=$((n + 1))
done
checks=$((checks + 1))
[ "$n" -ge 12 ] || fail "expected at least 12 scenarios (3 per shipped model), found $n"

# Every shipped model has a conforming scenario, a divergent one and a what-if.
for model in replay/models/*.yaml; do
    name=$(basename "$model" .yaml)
    checks=$((checks + 1))
    kinds=$(cat replay/scenarios/*/*.scenario.json | "$JQ" -s -c --arg m "$name" \
        '[.[] | select(.model == $m) | .expect | (if .summary.diverging > 0 then "divergent" else "conforming" end),
          (if (.what_if // []) | length > 0 then "what-if" else empty end)] | unique')
    [ "$kinds" = '["conforming","divergent","what-if"]' ] || fail "model $name: scenarios cover $kinds"
done
done_testing
