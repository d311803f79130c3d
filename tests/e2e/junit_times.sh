# junit_times.sh — the times JUnit producers write (Maven Surefire, Gradle,
# pytest before and since 8.x, jest-junit, go-junit-report, Java's and
# Ruby's formats, RFC 2822) all place a case in time windows: a `changes`
# rule with `within`, a `before` and an `after` window.  A report with no
# usable time still counts where no window applies, never where one does,
# and its input says why; --verbose tells a zone-less time read as UTC.
. "$(dirname "$0")/lib.sh"

cat >"$tmp/rules.yaml" <<'X'
rules:
  - id: JT-WITHIN
    title: a change needs a passed smoke test within the hour
    severity: error
    message: "{missing}"
    changes:
      files: "config/*.yaml"
      paths: ["a.**"]
      impact: the app may break
      requires: [{type: test_case, classname: smoke, status: passed}]
      within: 1h
  - id: JT-ANY
    title: a change needs a passed smoke test
    severity: error
    message: "{missing}"
    changes:
      files: "config/*.yaml"
      paths: ["a.**"]
      impact: the app may break
      requires: [{type: test_case, classname: smoke, status: passed}]
  - id: JT-BEFORE
    title: a release needs a smoke test in the hour before it
    severity: error
    before: {first: {type: test_case, classname: smoke}, then: {type: release}, within: 1h}
  - id: JT-AFTER
    title: a deploy needs a smoke test in the hour after it
    severity: error
    after: {first: {type: deploy}, then: {type: test_case, classname: smoke}, within: 1h}
X
# the change at 10:00, the deploy at 10:10, the release at 11:00; the smoke
# test ran at 10:22 UTC, inside every window
printf '%s\n' \
    '{"ts":"2026-04-12T10:00:00Z","type":"config_change","file":"config/app.yaml","path":"a.b","op":"modify"}' \
    '{"ts":"2026-04-12T10:10:00Z","type":"deploy","key":"r-1"}' \
    '{"ts":"2026-04-12T11:00:00Z","type":"release","key":"r-1"}' >"$tmp/events.jsonl"

# junit TIMESTAMP-ATTRIBUTE: a report of one passed smoke test.
junit() {
    printf '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n  <testsuite name="smoke" tests="1"%s>\n' "$1"
    printf '    <testcase classname="smoke" name="r-1" time="2.5"/>\n  </testsuite>\n</testsuites>\n'
}

findings='[.findings[] | [.rule, .severity]] | sort'
met='[["JT-ANY","note"],["JT-WITHIN","note"]]'

# in_windows TIMESTAMP TS: a report stamped TIMESTAMP meets every window, its
# case read at TS.
in_windows() {
    junit " timestamp=\"$1\"" >"$tmp/junit.xml"
    run check "$tmp/events.jsonl" "$tmp/junit.xml" --rules "$tmp/rules.yaml" --format json
    expect_status 0
    expect_json "$findings" "$met"
    expect_json '[.findings[] | select(.rule=="JT-WITHIN") | .evidence[1] | [.type, .ts]]' "[[\"test_case\",\"$2\"]]"
    expect_json '[.inputs[] | select(.kind=="junit") | [.events, .notes]]' '[[1,null]]'
}
in_windows "2026-04-12T10:22:00.345Z" "2026-04-12T10:22:00.345Z"              # Surefire (reportTestTimestamp)
in_windows "2026-04-12T10:22:00" "2026-04-12T10:22:00Z"                       # Gradle, jest-junit (UTC)
in_windows "2026-04-12T10:22:00.123456" "2026-04-12T10:22:00.123456Z"         # pytest before 8.x
in_windows "2026-04-12T12:22:00.123456+02:00" "2026-04-12T10:22:00.123456Z"   # pytest 8.x
in_windows "2026-04-12T10:22:00Z" "2026-04-12T10:22:00Z"                      # go-junit-report
in_windows "2026-04-12T12:22:00+02:00" "2026-04-12T10:22:00Z"
in_windows "2026-04-12T10:22:00+0000" "2026-04-12T10:22:00Z"                  # Java SimpleDateFormat
in_windows "2026-04-12T12:22:00.000+0200" "2026-04-12T10:22:00Z"
in_windows "2026-04-12T10:22:00 UTC" "2026-04-12T10:22:00Z"                   # Ruby Time#to_s
in_windows "2026-04-12 10:22:00 +0000" "2026-04-12T10:22:00Z"
in_windows "Sun, 12 Apr 2026 10:22:00 GMT" "2026-04-12T10:22:00Z"             # RFC 2822
in_windows "Sun, 12 Apr 2026 10:22:00 +0000" "2026-04-12T10:22:00Z"
in_windows "Sun, 12 Apr 2026 06:22:00 EDT" "2026-04-12T10:22:00Z"

# A case's own timestamp (Surefire's reportTestTimestamp, nose2) is its time.
printf '<testsuite name="smoke" timestamp="2026-04-12T08:00:00Z">\n<testcase classname="smoke" name="r-1" timestamp="2026-04-12T10:22:00.500Z" time="1"/>\n</testsuite>\n' >"$tmp/junit.xml"
run check "$tmp/events.jsonl" "$tmp/junit.xml" --rules "$tmp/rules.yaml" --format json
expect_status 0
expect_json "$findings" "$met"
expect_json '[.findings[] | select(.rule=="JT-WITHIN") | .evidence[1].ts]' '["2026-04-12T10:22:00.500Z"]'

# --verbose says which zone-less time was read as UTC, naming the file and
# the line; without it, or with a zone, nothing is said.
junit ' timestamp="2026-04-12T10:22:00"' >"$tmp/junit.xml"
run check "$tmp/events.jsonl" "$tmp/junit.xml" --rules "$tmp/rules.yaml" --format json --verbose
expect_status 0
expect_stderr "$tmp/junit.xml:3: timestamp '2026-04-12T10:22:00' has no zone: read as UTC"
run check "$tmp/events.jsonl" "$tmp/junit.xml" --rules "$tmp/rules.yaml" --format json
expect_status 0
checks=$((checks + 1))
! grep -q "no zone" "$tmp/err" || fail "a zone-less time is told without --verbose"
junit ' timestamp="2026-04-12T10:22:00Z"' >"$tmp/junit.xml"
run check "$tmp/events.jsonl" "$tmp/junit.xml" --rules "$tmp/rules.yaml" --format json --verbose
expect_status 0
checks=$((checks + 1))
! grep -q "no zone" "$tmp/err" || fail "a time with a zone is told as zone-less"

# no_time TIMESTAMP-ATTRIBUTE NOTE: a report with no usable time.  Its case
# still meets the change where no window applies (JT-ANY), never where one
# does: JT-WITHIN is unmet and says why, JT-BEFORE's release has no smoke
# test before it, JT-AFTER's deploy none after it (past its deadline by
# --now); the report's inputs[] entry for it holds the note.
no_time() {
    junit "$1" >"$tmp/junit.xml"
    run check "$tmp/events.jsonl" "$tmp/junit.xml" --rules "$tmp/rules.yaml" --format json --now 2026-04-12T12:00:00Z
    expect_status 1
    expect_json "$findings" '[["JT-AFTER","error"],["JT-ANY","note"],["JT-BEFORE","error"],["JT-WITHIN","error"]]'
    expect_json '[.findings[] | select(.rule=="JT-ANY") | .evidence[1] | [.type, .name, .ts]]' '[["test_case","r-1",null]]'
    expect_json '[.findings[] | select(.rule=="JT-WITHIN") | [.message, .untimed_matches]]' \
        '[["type=test_case classname=smoke status=passed (1 matching event of unknown time cannot show it came within 1h)",1]]'
    expect_json '[.inputs[] | select(.kind=="junit") | [.events, .notes]]' "[[1,[\"$2\"]]]"
}
no_time ' timestamp="garbage"' \
    "no usable time: suite 'smoke' has timestamp 'garbage' (expected ISO 8601 or RFC 2822, e.g. 2026-04-12T10:22:00Z); its test case counts only where no time window applies"
no_time '' "no usable time: suite 'smoke' has no timestamp, nor has any element above it; its test case counts only where no time window applies"
no_time ' timestamp="2026-04-12"' \
    "no usable time: suite 'smoke' has timestamp '2026-04-12' (expected ISO 8601 or RFC 2822, e.g. 2026-04-12T10:22:00Z); its test case counts only where no time window applies"
no_time ' timestamp="Mon, 12 Apr 2026 10:22:00 GMT"' \
    "no usable time: suite 'smoke' has timestamp 'Mon, 12 Apr 2026 10:22:00 GMT' (expected ISO 8601 or RFC 2822, e.g. 2026-04-12T10:22:00Z); its test case counts only where no time window applies"

# The JSON report names the reason of each suite, and the timed suites'
# cases keep their times.
printf '<testsuites timestamp="bad">\n<testsuite name="a"><testcase classname="smoke" name="r-1"/><testcase name="x"/></testsuite>\n<testsuite name="b" timestamp="2026-04-12T10:22:00Z"><testcase classname="smoke" name="r-1"/></testsuite>\n</testsuites>\n' >"$tmp/junit.xml"
run check "$tmp/events.jsonl" "$tmp/junit.xml" --rules "$tmp/rules.yaml" --format json
expect_status 0
expect_json "$findings" "$met"
expect_json '[.inputs[] | select(.kind=="junit") | [.events, .notes]]' \
    "[[3,[\"no usable time: <testsuites> has timestamp 'bad' (expected ISO 8601 or RFC 2822, e.g. 2026-04-12T10:22:00Z); its 2 test cases count only where no time window applies\"]]]"

done_testing
