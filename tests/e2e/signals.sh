# signals.sh — a run killed by SIGTERM or SIGINT leaves nothing behind
# (rbaudit(1), FILES): no half-written `PATH.tmp-XXXXXX` beside an --output
# (a report already there stays as it was), no private copy of a ledger in
# TMPDIR; and it dies of the signal, so the shell sees 128+N.
#
# The runs are made to wait, not raced: their last input is a FIFO that no
# one writes, so a run blocks opening it after it has opened its outputs
# and copied its ledgers; the test waits (bounded) until those files exist,
# then signals.
. "$(dirname "$0")/lib.sh"

ev=$tmp/evidence
private=$tmp/private
reports=$tmp/reports
mkdir "$ev" "$private" "$reports"
mkfifo "$ev/pending.jsonl"
# a ledger whose last commit is in its -wal: read through a private copy
sqlite3 "$ev/wal.db" "PRAGMA journal_mode=WAL; CREATE TABLE t(id INTEGER PRIMARY KEY);" >/dev/null
sqlite3 "$ev/wal.db" ".dbconfig no_ckpt_on_close on" "INSERT INTO t VALUES (1);" >/dev/null
rm -f "$ev/wal.db-shm"
last="building wal.db"
checks=$((checks + 1))
[ -s "$ev/wal.db-wal" ] || fail "sqlite3 left no -wal beside wal.db"
cat >"$tmp/rules.yaml" <<'X'
rules:
  - id: TEST-ANY-001
    title: any event
    severity: note
    events: {type: step}
    match: {type: step}
X
printf '{"report": "from an earlier run"}\n' >"$reports/report.json"
cp "$reports/report.json" "$tmp/earlier.json"

# temp_reports: the temporary reports beside report.json, one a line.
temp_reports() {
    find "$reports" -name 'report.json.tmp-*'
}

# interrupt SIGNAL STATUS READY INPUT...: runs `rbaudit check INPUT...
# --output report.json` in the background with the default action for
# SIGNAL (a shell starts background jobs with SIGINT ignored), waits until
# READY (a shell test) holds, sends SIGNAL, and expects the exit STATUS, the
# earlier report unchanged, no temporary report and an empty TMPDIR.
interrupt() {
    sig=$1 want=$2 ready=$3
    shift 3
    last="rbaudit check $* --output $reports/report.json, then kill -$sig"
    TMPDIR=$private env --default-signal="$sig" \
        "$RBAUDIT" check "$@" --rules "$tmp/rules.yaml" --output "$reports/report.json" >"$tmp/out" 2>"$tmp/err" &
    pid=$!
    tries=0
    until eval "$ready"; do
        tries=$((tries + 1))
        if [ "$tries" -gt 1000 ] || ! kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null
            wait "$pid"
            fail "the run never reached the point to interrupt ($ready)"
        fi
        sleep 0.01
    done
    kill -s "$sig" "$pid"
    wait "$pid" 2>/dev/null
    status=$?
    expect_status "$want"
    checks=$((checks + 1))
    [ -z "$(temp_reports)" ] || fail "a temporary report was left: $(temp_reports)"
    checks=$((checks + 1))
    cmp -s "$reports/report.json" "$tmp/earlier.json" || fail "the earlier report changed"
    checks=$((checks + 1))
    [ -z "$(ls -A "$private")" ] || fail "left in TMPDIR: $(ls -A "$private")"
}

# The report being written.
interrupt TERM 143 '[ -n "$(temp_reports)" ]' "$ev/pending.jsonl"
interrupt INT 130 '[ -n "$(temp_reports)" ]' "$ev/pending.jsonl"
# The report and the private copy of a ledger with its write-ahead log.
interrupt TERM 143 '[ -n "$(temp_reports)" ] && [ -n "$(ls -A "$private")" ]' "$ev/wal.db" "$ev/pending.jsonl"
interrupt INT 130 '[ -n "$(temp_reports)" ] && [ -n "$(ls -A "$private")" ]' "$ev/wal.db" "$ev/pending.jsonl"
# the evidence itself is as it was: no file beside the ledger
checks=$((checks + 1))
[ "$(ls "$ev")" = "pending.jsonl
wal.db
wal.db-wal" ] || fail "files appeared beside the evidence: $(ls "$ev")"

done_testing
