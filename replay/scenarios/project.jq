# project.jq — what a scenario's expected.json asserts of a replay report:
# the summary, each key's terminal states, every first divergence, the keys
# a what-if moves, and every invariant violation of an exploration.
{
  summary: .replay.summary,
  terminals: [.replay.keys[] | {key, captured, simulated}],
  divergences: [.replay.keys[] | select(.divergence) | .divergence as $d | {
    key,
    output_index: $d.output_index,
    event_index: $d.event_index,
    line: $d.line,
    expected: ($d.expected | if . then {type, ts, fields} else null end),
    observed: ($d.observed | if . then {type, ts} else null end)
  }],
  what_if: (.replay.what_if | if . then [.keys[] | select(.changed) | {key, captured, simulated, what_if}] else null end),
  violations: (.replay.explore | if . then [.violations[] | {invariant, seed, key, shrunk}] else null end),
  findings: [.findings[] | {rule, key, line: .origins[0].line}]
}
