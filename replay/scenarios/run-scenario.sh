#!/bin/sh
# run-scenario.sh SCENARIO.json: runs one replay scenario and prints its
# projection (project.jq) with the exit status, the shape that the
# scenario's "expect" member holds.  Used by tests/e2e/replay_scenarios.sh
# and to write a new scenario's expectation after reviewing it.
set -u
: "${RBAUDIT:=rbaudit}"
: "${JQ:=jq}"
scenario=$1
dir=$(dirname "$scenario")
here=$(cd "$(dirname "$0")" && pwd)
model=$("$JQ" -r .model "$scenario")
trace=$("$JQ" -r .trace "$scenario")
set -- "$dir/$trace" --model "$model" --format json
for arg in $("$JQ" -r '.args[]?' "$scenario"); do
    case $arg in
    *.yaml) set -- "$@" "$dir/$arg" ;;
    *) set -- "$@" "$arg" ;;
    esac
done
out=$("$RBAUDIT" replay "$@")
status=$?
printf '%s\n' "$out" | "$JQ" -S --argjson status "$status" -f "$here/project.jq" | "$JQ" -S '. + {exit: $status}' --argjson status "$status"
