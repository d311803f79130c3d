# cli.sh — the command line: help, version, usage errors and exit statuses.
. "$(dirname "$0")/lib.sh"

run --help
expect_status 0
expect_stdout "check"
expect_stdout "version"

run
expect_status 2

run frobnicate
expect_status 2
expect_stderr "unknown command 'frobnicate'"

run version
expect_status 0
expect_stdout "rbaudit 0."
expect_stdout "jansson"

run check --help
expect_status 0
for opt in --rules --pack --kind --format --output --fail-on --now --param --lenient --quiet --no-color; do
    expect_stdout "$opt"
done

run check --bogus corpora/beam/clean-demo
expect_status 2
expect_stderr "unknown option '--bogus'"

run check --format
expect_status 2
expect_stderr "needs a value"

run check --format xml corpora/beam/clean-demo
expect_status 2
expect_stderr "unknown format"

run check --output yaml:out.txt corpora/beam/clean-demo
expect_status 2
expect_stderr "unknown format 'yaml'"

run check --fail-on critical corpora/beam/clean-demo
expect_status 2
expect_stderr "expected error, warning, note or never"

run check --now yesterday corpora/beam/clean-demo
expect_status 2
expect_stderr "RFC 3339"

run check --param nodot corpora/beam/clean-demo
expect_status 2
expect_stderr "RULE.NAME=VALUE"

run check --param NOPE-X-001.limit=3 corpora/beam/clean-demo
expect_status 2
expect_stderr "no loaded rule has the id 'NOPE-X-001'"

run check --param BEAM-ACL-001.limit=3 corpora/beam/clean-demo
expect_status 2
expect_stderr "has no parameter 'limit'"

run check
expect_status 2
expect_stderr "no input given"

# An output in a missing directory fails before any work and leaves nothing.
run check --output json:"$tmp/missing/dir/report.json" corpora/beam/incident-dead-letter
expect_status 2
expect_stderr "cannot write there"
[ ! -e "$tmp/missing" ] || fail "created the missing directory"

# An output that is a device or a FIFO is written in place: renaming a
# finished report over it would replace it (as root, even /dev/null).
mkfifo "$tmp/pipe"
timeout 60 cat "$tmp/pipe" >"$tmp/from-pipe" &
reader=$!
run check --output json:"$tmp/pipe" --fail-on never corpora/beam/incident-dead-letter
expect_status 0
wait "$reader"
checks=$((checks + 1))
[ -p "$tmp/pipe" ] || fail "the FIFO was replaced by a file"
checks=$((checks + 1))
[ "$(jq -c '.summary.findings > 0' "$tmp/from-pipe")" = true ] || fail "the FIFO's reader got no report"
run check --output json:/dev/null --fail-on never corpora/beam/incident-dead-letter
expect_status 0
checks=$((checks + 1))
[ -c /dev/null ] || fail "/dev/null is no longer a device"

run check --pack nosuchpack corpora/beam/clean-demo
expect_status 2
expect_stderr "no such pack"

done_testing
