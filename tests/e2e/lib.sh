# lib.sh — shared by the end-to-end tests: run the built rbaudit binary and
# assert on its exit status, its JSON report (through jq) and its messages.
# Tests run from the source tree so that input paths in reports are stable.
set -u
: "${RBAUDIT:?RBAUDIT must name the built binary}"
: "${TOP_SRCDIR:?TOP_SRCDIR must name the source tree}"
JQ=${JQ:-jq}
cd "$TOP_SRCDIR" || exit 99
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
checks=0

fail() {
    echo "FAIL: $*" >&2
    echo "--- command: $last" >&2
    echo "--- stdout:" >&2; head -c 4000 "$tmp/out" >&2
    echo "--- stderr:" >&2; head -c 4000 "$tmp/err" >&2
    exit 1
}

# run ARGS...: runs rbaudit, keeping stdout, stderr and the exit status.
run() {
    last="rbaudit $*"
    "$RBAUDIT" "$@" >"$tmp/out" 2>"$tmp/err"
    status=$?
}

expect_status() {
    checks=$((checks + 1))
    [ "$status" -eq "$1" ] || fail "expected exit status $1, got $status"
}

# expect_stderr TEXT: the error output holds TEXT (fixed string).
expect_stderr() {
    checks=$((checks + 1))
    grep -qF -- "$1" "$tmp/err" || fail "stderr does not contain: $1"
}

expect_stdout() {
    checks=$((checks + 1))
    grep -qF -- "$1" "$tmp/out" || fail "stdout does not contain: $1"
}

# expect_json FILTER EXPECTED: jq -c FILTER on stdout prints EXPECTED.
expect_json() {
    checks=$((checks + 1))
    actual=$("$JQ" -c "$1" "$tmp/out" 2>&1) || fail "stdout is not JSON for jq '$1': $actual"
    [ "$actual" = "$2" ] || fail "jq '$1': expected $2, got $actual"
}

# expect_no_crash: the status is one the program means (0-3), not a signal
# or a sanitizer abort.
expect_no_crash() {
    checks=$((checks + 1))
    [ "$status" -le 3 ] || fail "crashed with status $status"
    ! grep -q 'Sanitizer' "$tmp/err" || fail "sanitizer report"
}

# expect_valid FMT FILE: the independent validator of FMT (sarif, junit)
# accepts FILE; skipped when configure found no validators.
expect_valid() {
    checks=$((checks + 1))
    [ -n "${REPORT_SCHEMAS:-}" ] || { echo "skip: no report validators for $2"; return 0; }
    "$REPORT_SCHEMAS/validate-$1" "$2" >"$tmp/verdict" 2>"$tmp/why" ||
        { cat "$tmp/verdict" "$tmp/why" >&2; fail "validate-$1 rejects $2"; }
}

done_testing() {
    echo "ok: $checks checks"
    exit 0
}
