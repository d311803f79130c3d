#!/bin/sh
# replay.sh — rbaudit replay end to end: determinism (same bytes, same
# replay_hash whatever the order of the trace's lines), seeds, a trace from
# a bundle, divergences in every report format (SARIF and JUnit checked by
# the external validators), waivers, and every kind of bad input.
. "$(dirname "$0")/lib.sh"
S=replay/scenarios

# --- determinism -----------------------------------------------------------
run replay $S/beam-bus/divergent.jsonl --model beam-bus --format json
expect_status 1
cp "$tmp/out" "$tmp/first.json"
hash=$("$JQ" -r .replay.replay_hash "$tmp/first.json")
run replay $S/beam-bus/divergent.jsonl --model beam-bus --format json
checks=$((checks + 1))
cmp -s "$tmp/out" "$tmp/first.json" || fail "two runs gave different reports"

# The same events in another order (reversed, and interleaved differently)
# replay the same way: the simulator orders them itself.
tac $S/beam-bus/divergent.jsonl >"$tmp/reversed.jsonl"
awk 'NR % 2 == 0' $S/beam-bus/divergent.jsonl >"$tmp/shuffled.jsonl"
awk 'NR % 2 == 1' $S/beam-bus/divergent.jsonl >>"$tmp/shuffled.jsonl"
for order in reversed shuffled; do
    run replay "$tmp/$order.jsonl" --model beam-bus --format json
    expect_status 1
    expect_json .replay.replay_hash "\"$hash\""
    expect_json '[.replay.keys[] | .divergence.output_index]' '[null,2]'
done

# The seed is in the report; under --explore another seed draws another
# fault schedule, and run i of an exploration is run (seed + i) alone.
run replay $S/beam-bus/conforming.jsonl --model beam-bus --explore 3 --seed 7 --format json
expect_status 0
expect_json .replay.seed 7
expect_json '[.replay.explore.runs_detail[].seed]' '[7,8,9]'
"$JQ" -r '.replay.explore.runs_detail[1].schedule_hash' "$tmp/out" >"$tmp/seed8"
run replay $S/beam-bus/conforming.jsonl --model beam-bus --explore 1 --seed 8 --format json
expect_json '.replay.explore.runs_detail[0].schedule_hash' "\"$(cat "$tmp/seed8")\""
run replay $S/beam-bus/conforming.jsonl --model beam-bus --explore 1 --seed 9 --format json
checks=$((checks + 1))
[ "$("$JQ" -r '.replay.explore.runs_detail[0].schedule_hash' "$tmp/out")" != "$(cat "$tmp/seed8")" ] ||
    fail "seeds 8 and 9 drew the same fault schedule"

# The shrunk violation of a scenario replays alone with its seed.
run replay $S/platform-edge/routes-clean.jsonl --model platform-edge --what-if $S/platform-edge/unsafe-edge.patch.yaml \
    --explore 1 --seed 4 --format json
expect_status 1
expect_json '[.findings[] | [.rule, .seed, .invariant, (.shrunk | length)]]' \
    '[["RBA-REPLAY-INVARIANT",4,"no event applied over a gap",1]]'

# A what-if may bring keys of its own: they are listed after the trace's.
printf 'events:\n  - {ts: "2026-04-12T11:00:04Z", type: agent_online, agent: ledger-agent}\n  - {ts: "2026-04-12T11:00:10Z", type: intent_sent, key: n-9, sender: quote-desk, target: pricing-agent, intent: quote.request, transport: async}\n' >"$tmp/online.yaml"
run replay $S/beam-bus/divergent.jsonl --model beam-bus --what-if "$tmp/online.yaml" --format json
expect_status 1
expect_json '[.replay.what_if.keys[] | [.key, .captured, .simulated, .what_if, .changed]]' \
    '[["n-2001","acked","acked","acked",false],["n-2002","dead_letter","dead_letter","delivered",true],["n-9",null,null,"delivered",true]]'
expect_json .replay.what_if.changed 2

# --- a trace from a bundle -------------------------------------------------
mkdir "$tmp/bundle"
cp $S/byteor-ring/execute-without-dry-run.jsonl "$tmp/bundle/trace.jsonl"
sum=$(sha256sum "$tmp/bundle/trace.jsonl" | cut -d' ' -f1)
printf '{"bundle":"inc-0711","product":"byteor-edgeplane","created_at":"2026-07-11T13:05:00Z","artifacts":[{"path":"trace.jsonl","sha256":"%s","role":"trace"}]}\n' "$sum" >"$tmp/bundle/manifest.json"
run replay "$tmp/bundle" --model byteor-ring --format json
expect_status 1
expect_json '[.findings[] | [.rule, .key, .origins[0].line]]' '[["RBA-REPLAY-DIVERGE","replay-inc-0711",3]]'
expect_json '.replay.trace | endswith("bundle!trace.jsonl")' true
bundle_hash=$("$JQ" .replay.replay_hash "$tmp/out")
tar -C "$tmp/bundle" -czf "$tmp/bundle.tar.gz" manifest.json trace.jsonl
run replay "$tmp/bundle.tar.gz" --model byteor-ring --format json
expect_status 1
expect_json .replay.replay_hash "$bundle_hash"
expect_json '.replay.trace | endswith("bundle.tar.gz!trace.jsonl")' true
# An altered member is reported too, and the replay still runs.
echo '{"ts":"2026-07-11T13:04:00Z","type":"spec_validated","key":"spec-2"}' >>"$tmp/bundle/trace.jsonl"
run replay "$tmp/bundle" --model byteor-ring --format json
expect_status 1
expect_json '[.findings[].rule] | sort' '["RBA-INTEGRITY","RBA-REPLAY-DIVERGE"]'
rm "$tmp/bundle/trace.jsonl"
echo '{"ts":"2026-07-11T13:04:00Z","type":"x"}' >"$tmp/bundle/notes.jsonl"
run replay "$tmp/bundle" --model byteor-ring
expect_status 2
expect_stderr "the bundle has no trace.jsonl member"

# --- every format carries divergences and violations ------------------------
run replay $S/platform-edge/routes-clean.jsonl --model platform-edge --what-if $S/platform-edge/unsafe-edge.patch.yaml \
    --explore 5 --output sarif:"$tmp/inv.sarif" --output junit:"$tmp/inv.xml"
expect_status 1
expect_valid sarif "$tmp/inv.sarif"
expect_valid junit "$tmp/inv.xml"
run replay $S/beam-bus/divergent.jsonl --model beam-bus --output sarif:"$tmp/div.sarif" \
    --output junit:"$tmp/div.xml" --output markdown:"$tmp/div.md" --output text:-
expect_status 1
expect_stdout "RBA-REPLAY-DIVERGE"
expect_stdout "replay of replay/scenarios/beam-bus/divergent.jsonl with model beam-bus (seed 1)"
expect_valid sarif "$tmp/div.sarif"
expect_valid junit "$tmp/div.xml"
checks=$((checks + 1))
"$JQ" -e '.runs[0].results[0] | .ruleId == "RBA-REPLAY-DIVERGE" and .locations[0].physicalLocation.region.startLine == 10' \
    "$tmp/div.sarif" >/dev/null || fail "SARIF result does not point at the diverging line"
checks=$((checks + 1))
grep -q 'failures="1"' "$tmp/div.xml" || fail "JUnit does not count the divergence"
checks=$((checks + 1))
grep -q 'RBA-REPLAY-DIVERGE' "$tmp/div.md" || fail "Markdown summary lacks the divergence"

# A waiver suppresses a divergence like any finding.
fp=$("$JQ" -r '.findings[0].fingerprint' "$tmp/first.json")
printf -- '- fingerprint: %s\n  reason: known retry limit of the 2026-04 bus release\n  owner: ops-ana\n  expires: 2099-01-01\n' "$fp" >"$tmp/waivers.yaml"
run replay $S/beam-bus/divergent.jsonl --model beam-bus --waivers "$tmp/waivers.yaml" --format json
expect_status 0
expect_json '[(.findings | length), .suppressed[0].rule]' '[0,"RBA-REPLAY-DIVERGE"]'

# --- bad input ---------------------------------------------------------------
printf '%s\n' '{"ts":"2026-04-12T10:00:00Z","type":"intent_sent","key":"n-1"}' 'not json' >"$tmp/bad.jsonl"
run replay "$tmp/bad.jsonl" --model beam-bus
expect_status 2
expect_stderr "bad.jsonl:2:"
printf '%s\n' '{"ts":"2026-04-12T10:00:00Z","type":"intent_sent","key":"n-1"}' '{"ts":"2026-04-12T10:00:01Z","type":"teleported","key":"n-1"}' >"$tmp/unwired.jsonl"
run replay "$tmp/unwired.jsonl" --model beam-bus
expect_status 2
expect_stderr "unwired.jsonl:2: event type 'teleported' is not wired by model beam-bus (expected an input ("

model() { printf '%s\n' "$@" >"$tmp/model.yaml"; }
model 'model: m' 'components:' '  x: {type: teleporter}' 'inputs: {a: stop}' 'outputs: {b: []}'
run replay $S/beam-bus/conforming.jsonl --model "$tmp/model.yaml"
expect_status 2
expect_stderr "model.yaml:3: component x: type: expected one of lifecycle, acl, rate_limit, stream, coalescer, pool, leader"
model 'model: m' 'components:' '  x: {type: acl}' 'inputs:' '  a:' '    - do: y.check' 'outputs: {b: []}'
run replay $S/beam-bus/conforming.jsonl --model "$tmp/model.yaml"
expect_status 2
expect_stderr "model.yaml:6: do: no component 'y' in components:"
model 'model: m' 'components:' '  x: {type: acl}' 'inputs:' '  a:' '    - do: x.check' '      on: {maybe: stop}' 'outputs: {b: []}'
run replay $S/beam-bus/conforming.jsonl --model "$tmp/model.yaml"
expect_status 2
expect_stderr "model.yaml:7: x.check has no outcome 'maybe'"
model 'model: m' 'components:' '  x: {type: acl, colour: red}' 'inputs: {a: {call: nowhere}}' 'outputs: {b: []}'
run replay $S/beam-bus/conforming.jsonl --model "$tmp/model.yaml"
expect_status 2
expect_stderr "model.yaml:3: component x (acl) has no parameter 'colour'"
run replay $S/beam-bus/conforming.jsonl --model no-such-model
expect_status 2
expect_stderr "--model no-such-model: no such file, and no shipped model of that name"

printf 'set:\n  bus.retry.limt: 5\n' >"$tmp/patch.yaml"
run replay $S/beam-bus/divergent.jsonl --model beam-bus --what-if "$tmp/patch.yaml"
expect_status 2
expect_stderr "patch.yaml: after this patch the model is invalid: "
expect_stderr "unknown retry member 'limt' (expected limit, backoff, factor, max, jitter, exhausted)"
printf 'set:\n  bus.retries: 5\n' >"$tmp/patch.yaml"
run replay $S/beam-bus/divergent.jsonl --model beam-bus --what-if "$tmp/patch.yaml"
expect_status 2
expect_stderr "patch.yaml:2: set: component bus (lifecycle) has no parameter 'retries' (expected one of: states, initial, terminal, transitions, retry)"
printf 'set:\n  bux.retry: {limit: 5}\n' >"$tmp/patch.yaml"
run replay $S/beam-bus/divergent.jsonl --model beam-bus --what-if "$tmp/patch.yaml"
expect_status 2
expect_stderr "patch.yaml:2: set: model beam-bus has no component 'bux'"
printf 'events:\n  - {ts: "2026-04-12T11:00:04Z", type: agent_online}\n  - {ts: "2026-04-12T11:00:04Z", type: reboot}\n' >"$tmp/patch.yaml"
run replay $S/beam-bus/divergent.jsonl --model beam-bus --what-if "$tmp/patch.yaml"
expect_status 2
expect_stderr "patch.yaml:3: events: item 1: type 'reboot' is not an input of model beam-bus"

run replay $S/beam-bus/conforming.jsonl --model beam-bus --explore -1
expect_status 2
expect_stderr "--explore -1: expected a whole number of at least 0"
run replay $S/beam-bus/conforming.jsonl
expect_status 2
expect_stderr "replay: expected --model MODEL"
run replay $S/beam-bus/conforming.jsonl --model beam-bus --rules rules/beam
expect_status 2
expect_stderr "replay: --rules is not an option of replay"
run check $S/beam-bus/conforming.jsonl --model beam-bus
expect_status 2
expect_stderr "check: --model is an option of 'rbaudit replay'"

# A model whose timers never settle stops at the step budget, never hangs.
model 'model: looping' 'components:' '  bus:' '    type: lifecycle' '    states: [queued, dead_letter]' \
    '    transitions: [{from: queued, to: queued}]' '    retry: {limit: 1000000000, backoff: 1ms}' \
    'inputs:' '  intent_sent: [{do: bus.start}, {do: bus.fail}]' \
    'timers:' '  bus.retry: [{do: bus.fail}]' 'outputs: {queued: []}' 'ignore: [queued, delivered, acked, agent_completed, agent_offline, agent_online]'
run replay $S/beam-bus/conforming.jsonl --model "$tmp/model.yaml" --max-steps 5000
expect_status 2
expect_stderr "the run exceeded its step budget of 5000 steps"
expect_stderr "last trigger: bus.retry for key n-100"
done_testing
