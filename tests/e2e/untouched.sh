# untouched.sh — rbaudit never writes, locks or journals evidence (SPEC §3.3,
# §8): every command that reads a corpus (its expected.json command line,
# `bundle inspect` and `bundle verify` on its bundles, `check --repo` beside
# `gate`, `diff` of its ledgers), every bundle of corpora/byteor/bundles,
# every replay scenario, and the drill's ledgers turned to WAL mode or given
# a hot journal (read through a private copy), leave every file and
# directory under the evidence with the same content, size and mtime, and no
# -journal, -wal or -shm file beside it.
. "$(dirname "$0")/lib.sh"

top=$(pwd)
# Lists of paths (ledgers) come one a line: loops split them on newlines only.
IFS='
'

# watch DIR...: the directories that the runs which follow must leave as
# they are (one a line, so that any path works).
watch() {
    printf '%s\n' "$@" >"$tmp/watched"
}

# Directories are listed with their mtimes too: a journal made and removed
# again during a run still changes its directory's.
snapshot() {
    while IFS= read -r dir; do
        find "$dir" -exec stat -c '%n %.9Y %s %F' {} +
        find "$dir" -type f -exec sha256sum {} +
    done <"$tmp/watched" | LC_ALL=C sort
}

# planted: journal files that a case made on purpose (a hot journal); they
# must be there after the run as they were before it.
planted=

# audit ARGS...: rbaudit ARGS from the current directory leaves the watched
# directories as they were, and no journal, WAL or shared-memory file in
# them.
audit() {
    snapshot >"$tmp/before"
    run "$@"
    expect_no_crash
    snapshot >"$tmp/after"
    checks=$((checks + 1))
    cmp -s "$tmp/before" "$tmp/after" ||
        fail "the evidence changed:
$(diff "$tmp/before" "$tmp/after" | head -30)"
    checks=$((checks + 1))
    left=$(while IFS= read -r dir; do
        find "$dir" \( -name '*-journal' -o -name '*-wal' -o -name '*-shm' \) -print
    done <"$tmp/watched" | grep -vxF -e "${planted:-/}")
    [ -z "$left" ] || fail "journal files beside the evidence: $left"
}

# expect_read: the input was read (findings or none), not refused.
expect_read() {
    checks=$((checks + 1))
    [ "$status" -le 1 ] || fail "expected the input to be read, got exit status $status"
}

# is_bundle PATH: a bundle directory or archive.
is_bundle() {
    case $1 in
    *.tar | *.tar.gz | *.tgz) [ -f "$1" ] ;;
    *) [ -f "$1/manifest.json" ] ;;
    esac
}

# ledgers DIR: the SQLite files under DIR, told by their header.
ledgers() {
    [ -d "$1" ] || return 0
    find "$1" -type f | LC_ALL=C sort | while IFS= read -r f; do
        [ "$(head -c 15 "$f")" = "SQLite format 3" ] && printf '%s\n' "$f"
    done
}

# corpus_args BUILT: the command line of the expected.json in the current
# directory into $tmp/args, one argument a line, "{built}" replaced by
# BUILT, as corpora/run-corpus.sh reads it.
corpus_args() {
    "$JQ" -r '.args[]' expected.json | sed "s|{built}|$1|g" >"$tmp/args"
}

n=0
for expected in corpora/*/*/expected.json; do
    corpus=$top/$(dirname "$expected")
    n=$((n + 1))
    built=$tmp/built.$n
    mkdir "$built"
    cd "$corpus" || exit 99
    last="building $corpus"
    build=$("$JQ" -r '.build // empty' expected.json)
    if [ -n "$build" ]; then
        sh "$build" "$built" >/dev/null || fail "$corpus: $build failed"
    fi
    want=$("$JQ" .status expected.json)
    corpus_args "$built"
    set --
    while IFS= read -r arg; do set -- "$@" "$arg"; done <"$tmp/args"

    # The corpus, what it was built into, and anything else its command line
    # names (a bundle of corpora/byteor/bundles).
    watch "$corpus" "$built"
    for arg; do
        [ ! -e "$arg" ] || printf '%s\n' "$arg" >>"$tmp/watched"
    done

    # Its own command line, which must still give its own exit status: the
    # evidence was read, not refused.
    audit "$@"
    expect_status "$want"
    if [ "$1" = gate ]; then
        shift
        audit check "$@"
        expect_status "$want"
    fi
    # Its bundles: those it names, and those it holds (a tarball's source).
    for arg in "$@" $(find "$corpus" -name manifest.json | sed 's|/manifest.json$||'); do
        if is_bundle "$arg"; then
            audit bundle inspect "$arg"
            audit bundle verify "$arg" --format json
            expect_json '.schema' '"rbaudit-bundle/1"'
        fi
    done

    # The ledgers of the corpus: compared with their restores, then turned
    # to WAL mode, where an open that is only read-only leaves -wal and
    # -shm files, and given hot journals, which such an open rolls back.
    [ -n "$(ledgers "$built")" ] || { cd "$top" || exit 99; continue; }
    for db in $(ledgers "$built/restore"); do
        audit diff "$built/${db#"$built/restore/"}" "$db"
    done

    wal=$tmp/wal.$n
    cp -R "$built" "$wal"
    for db in $(ledgers "$wal"); do
        last="sqlite3 $db PRAGMA journal_mode=WAL"
        sqlite3 "$db" 'PRAGMA journal_mode=WAL' >/dev/null || fail "sqlite3 cannot make $db a WAL database"
    done
    corpus_args "$wal"
    set --
    while IFS= read -r arg; do set -- "$@" "$arg"; done <"$tmp/args"
    watch "$corpus" "$wal"
    audit "$@"
    expect_status "$want"
    for db in $(ledgers "$wal"); do
        audit check "$db" --format json --allow-empty
        expect_read
    done

    # A hot journal: a copy of each ledger and its journal taken while a
    # transaction, too large for the page cache, has written into the
    # database but not committed.  sqlite3 itself rolls such a journal back
    # on its next open (checked on one more copy, so that the case is known
    # to be one); rbaudit rolls it back too, in a private copy (rbaudit(1)
    # LEDGERS), and leaves the database and its journal as they are.
    hot=$tmp/hot.$n
    mkdir "$hot"
    planted=
    for db in $(ledgers "$built"); do
        name=$(printf '%s' "${db#"$built/"}" | tr / _)
        cp "$db" "$hot/$name"
        sqlite3 "$hot/$name" "CREATE TABLE rbaudit_filler(x);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
            INSERT INTO rbaudit_filler SELECT randomblob(100) FROM n;"
        (cd "$hot" && sqlite3 "$name" "PRAGMA cache_size=10; BEGIN; UPDATE rbaudit_filler SET x = randomblob(100);" \
            ".shell cp $name hot-$name && cp $name-journal hot-$name-journal" "ROLLBACK;")
        rm "$hot/$name"
        checks=$((checks + 1))
        [ -s "$hot/hot-$name-journal" ] || fail "sqlite3 made no journal for $db"
        planted="$planted$hot/hot-$name-journal
"
    done
    first=$(ledgers "$hot" | head -n 1)
    mkdir "$tmp/probe.$n"
    cp "$first" "$first-journal" "$tmp/probe.$n/"
    sqlite3 "$tmp/probe.$n/${first##*/}" 'SELECT count(*) FROM sqlite_master' >/dev/null
    checks=$((checks + 1))
    [ ! -f "$tmp/probe.$n/${first##*/}-journal" ] ||
        fail "sqlite3 did not roll back the journal made for $first: not a hot journal"
    watch "$hot" "$built"
    for db in $(ledgers "$built"); do
        name=$(printf '%s' "${db#"$built/"}" | tr / _)
        audit check "$hot/hot-$name" --format json --allow-empty
        expect_read
        expect_json '.inputs[0].companion.kind' '"journal"'
        audit check --kind "sqlite=$hot/hot-$name" "$hot/hot-$name" --rules "$top/rules/beam" --format json --allow-empty
        expect_read
        audit diff "$db" "$hot/hot-$name"
        expect_status 1
    done
    planted=
    cd "$top" || exit 99
done
checks=$((checks + 1))
[ "$n" -ge 11 ] || fail "expected at least 11 corpora, found $n"

# The bundles that the corpora name only in part.
watch "$top/corpora/byteor/bundles"
for bundle in corpora/byteor/bundles/*/; do
    audit bundle inspect "$bundle"
    audit bundle verify "$bundle" --format json
    expect_json '.schema' '"rbaudit-bundle/1"'
    audit check "$bundle" --rules rules/byteor --format json
done

# Replay reads a trace, a model and a patch.
watch "$top/replay"
for scenario in replay/scenarios/*/*.scenario.json; do
    snapshot >"$tmp/before"
    last="replay scenario $scenario"
    RBAUDIT=$RBAUDIT JQ=$JQ sh replay/scenarios/run-scenario.sh "$scenario" >"$tmp/out" 2>"$tmp/err"
    expect_json '.exit' "$("$JQ" .expect.exit "$scenario")"
    snapshot >"$tmp/after"
    checks=$((checks + 1))
    cmp -s "$tmp/before" "$tmp/after" ||
        fail "the replay changed its inputs:
$(diff "$tmp/before" "$tmp/after" | head -30)"
done

done_testing
