# accounting_corpora.sh — what a report says it read is what is there.  For
# every corpus (run as its expected.json says) and every fixture directory
# of the packs and of doc/examples (with each fixture ledger built from its
# SQL), every input of the JSON report is counted again by a tool of its
# own: the non-blank lines of a JSON Lines log (wc -l), less the lines
# --lenient reported as RBA-INPUT; the testcases of a JUnit file (xmllint);
# the tables of a ledger and their rows (the sqlite3 CLI, on a copy with
# its companion); one document of a JSON, Markdown or bundle input.  The
# skipped list holds everything else a walk met.
. "$(dirname "$0")/lib.sh"

command -v xmllint >/dev/null 2>&1 || fail "xmllint is needed to count JUnit testcases (libxml2-utils)"

# member_file PATH BASE: the file an input's path names, relative to BASE
# (the directory the run stood in); BUNDLE!MEMBER of an archive is unpacked
# once into $tmp/unpacked.
member_file() {
    case $1 in
    /*) p=$1 ;;
    *) p=$2/$1 ;;
    esac
    case $p in
    *'!'*)
        bundle=${p%%!*} member=${p#*!}
        if [ -d "$bundle" ]; then
            printf '%s\n' "$bundle/$member"
            return
        fi
        dir=$tmp/unpacked/$(printf '%s' "$bundle" | sha256sum | cut -c1-16)
        if [ ! -d "$dir" ]; then
            mkdir -p "$dir" && tar -xf "$bundle" -C "$dir" || fail "cannot unpack $bundle"
        fi
        # a tar of one directory holding the manifest has that directory as root
        root=$(dirname "$(find "$dir" -name manifest.json | head -n 1)")
        printf '%s\n' "$root/$member"
        ;;
    *) printf '%s\n' "$p" ;;
    esac
}

# verify REPORT BASE WHAT: every input of REPORT counted again.
verify() {
    report=$1 base=$2 what=$3
    last="the report of $what"
    [ -s "$report" ] && "$JQ" -e '.schema == "rbaudit-report/1"' "$report" >/dev/null ||
        fail "$what: no JSON report: $(head -c 400 "$tmp/err" 2>/dev/null)"
    n=$("$JQ" '.inputs | length' "$report")
    i=0
    while [ "$i" -lt "$n" ]; do
        path=$("$JQ" -r ".inputs[$i].path" "$report")
        kind=$("$JQ" -r ".inputs[$i].kind" "$report")
        events=$("$JQ" ".inputs[$i].events" "$report")
        documents=$("$JQ" ".inputs[$i].documents" "$report")
        file=$(member_file "$path" "$base")
        checks=$((checks + 1))
        case "$events$documents" in
        '' | *[!0-9]*) fail "$what: $path: the report gives no count of events and documents" ;;
        esac
        case $kind in
        jsonl)
            lines=$(awk 'NF' "$file" | wc -l)
            bad=$("$JQ" --arg p "$path" '[.findings[] | select(.rule == "RBA-INPUT" and .origins[0].path == $p)] | length' \
                "$report")
            [ "$((events + bad))" -eq "$lines" ] ||
                fail "$what: $path: the report read $events events (and $bad bad lines) of $lines lines"
            ;;
        junit)
            cases=$(xmllint --xpath 'count(//*[local-name()="testcase"])' "$file")
            [ "$events" -eq "$cases" ] || fail "$what: $path: the report read $events events of $cases testcases"
            [ "$documents" -eq 1 ] || fail "$what: $path: $documents documents"
            ;;
        sqlite)
            copy=$tmp/copy.$i
            rm -rf "$copy" && mkdir "$copy"
            cp "$file" "$copy/db"
            for c in wal journal; do
                [ ! -s "$file-$c" ] || cp "$file-$c" "$copy/db-$c"
            done
            sqlite3 "$copy/db" "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table'
                AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name" >"$copy/tables" ||
                fail "$what: sqlite3 cannot read $path"
            "$JQ" -r ".inputs[$i].tables[].name" "$report" >"$copy/reported"
            cmp -s "$copy/tables" "$copy/reported" ||
                fail "$what: $path: the report lists tables $(tr '\n' ' ' <"$copy/reported"), sqlite3 $(tr '\n' ' ' <"$copy/tables")"
            total=0
            while IFS= read -r t; do
                rows=$(sqlite3 "$copy/db" "SELECT count(*) FROM \"$t\"")
                said=$("$JQ" --arg t "$t" ".inputs[$i].tables[] | select(.name == \$t) | .rows" "$report")
                [ "$said" = "$rows" ] || fail "$what: $path: table $t: the report counted $said rows, sqlite3 $rows"
                total=$((total + rows))
            done <"$copy/tables"
            [ "$("$JQ" ".inputs[$i].rows" "$report")" = "$total" ] || fail "$what: $path: rows are not $total"
            ;;
        json | markdown | bundle)
            [ "$documents" -eq 1 ] || fail "$what: $path: $kind input with $documents documents"
            ;;
        yaml)
            [ "$documents" -ge 1 ] || fail "$what: $path: a YAML input with no document"
            ;;
        esac
        i=$((i + 1))
    done
}

top=$TOP_SRCDIR

# --- every corpus, as its expected.json runs it ----------------------------
corpora=0
for expected in corpora/*/*/expected.json; do
    corpus=$(dirname "$expected")
    built=$tmp/built.$corpora
    mkdir "$built"
    build=$("$JQ" -r '.build // empty' "$expected")
    if [ -n "$build" ]; then
        (cd "$corpus" && sh "$build" "$built" >/dev/null) || fail "$corpus: $build failed"
    fi
    set --
    for arg in $("$JQ" -r '.args[] | gsub(" "; "\u0001")' "$expected"); do
        arg=$(printf '%s' "$arg" | tr '\001' ' ')
        set -- "$@" "$(printf '%s' "$arg" | sed "s|{built}|$built|g")"
    done
    last="rbaudit $* (in $corpus)"
    (cd "$corpus" && "$RBAUDIT" "$@" --format json) >"$tmp/report.json" 2>"$tmp/err"
    verify "$tmp/report.json" "$top/$corpus" "$corpus"
    corpora=$((corpora + 1))
done
checks=$((checks + 1))
[ "$corpora" -ge 11 ] || fail "expected at least 11 corpora, found $corpora"

# --- every fixture directory, with its ledgers built ------------------------
fixtures=0
for dir in rules/*/tests rules/*/tests/*/ doc/examples/tests; do
    [ -d "$dir" ] || continue
    case $dir in
    */partial-bundle/ | */spec-invalid-bundle/) continue ;; # bundles: read with their pack below
    esac
    pack=$(printf '%s' "$dir" | sed -n 's|^rules/\([^/]*\)/.*|\1|p')
    rules=${pack:+rules/$pack}
    rules=${rules:-doc/examples}
    ledgers=$tmp/ledgers.$fixtures
    mkdir "$ledgers"
    for sql in "$dir"/*.sql; do
        [ -f "$sql" ] || continue
        name=$(basename "$sql" .sql)
        sqlite3 "$ledgers/$name" <"$sql" || fail "cannot build $sql"
    done
    run check "$dir" "$ledgers" --rules "$rules" --format json --lenient --allow-empty --fail-on never
    expect_status 0
    verify "$tmp/out" "$top" "$dir"
    fixtures=$((fixtures + 1))
done
for bundle in rules/byteor/tests/*-bundle; do
    run check "$bundle" --rules rules/byteor --format json --lenient --allow-empty --fail-on never
    expect_status 0
    verify "$tmp/out" "$top" "$bundle"
done
checks=$((checks + 1))
[ "$fixtures" -ge 8 ] || fail "expected at least 8 fixture directories, found $fixtures"

done_testing
