# bench_evidence.sh — the evidence `make bench` generates is evidence:
# small runs of its generators give lines jq parses and rbaudit reads
# without an error, in the shapes they promise (nested objects, escapes,
# every form of time), and rbaudit agrees with the tools it is timed
# against: the selective rules find exactly the lines jq's filters select,
# and `rbaudit diff` finds the rows `sqldiff --primarykey` finds.  No
# timing here: speed is measured by `make bench`, never asserted.
. "$(dirname "$0")/lib.sh"
bench=tests/bench
last="the bench's generators"

# --- nested events --------------------------------------------------------
awk -v events=12000 -v keys=500 -f "$bench/gen-nested.awk" >"$tmp/n.jsonl" || fail "gen-nested.awk failed"
checks=$((checks + 1))
[ "$(wc -l <"$tmp/n.jsonl")" -eq 12000 ] || fail "gen-nested.awk did not write 12000 lines"
# Every line is an object with a time and a type, and the times never go
# back whatever their form (an input out of order is held in memory and
# read again, which the bench must not measure by accident).
"$JQ" -c . "$tmp/n.jsonl" >/dev/null || fail "jq cannot parse the nested events"
back=$("$JQ" -s 'def ms: if type == "number" then . else
        capture("^(?<d>[^.]+)[.](?<f>[0-9]{3})[0-9]*(?<z>Z|(?<s>[+-])(?<h>[0-9]{2}):(?<m>[0-9]{2}))$")
        | ((.d + "Z") | fromdateiso8601) * 1000 + (.f | tonumber)
          - (if .z == "Z" then 0 else ((.h | tonumber) * 60 + (.m | tonumber)) * 60000 * (if .s == "+" then 1 else -1 end) end)
        end;
    map(.ts | ms) as $t | [range(1; $t | length) | select($t[.] < $t[. - 1])] | length' "$tmp/n.jsonl")
checks=$((checks + 1))
[ "$back" = 0 ] || fail "$back nested events go back in time"
shapes=$("$JQ" -s -c '{
    events: (map(select(type == "object" and has("ts") and has("type"))) | length),
    epoch: (map(select(.ts | type == "number")) | length > 0),
    utc: (map(select(.ts | type == "string" and test("\\.[0-9]{3}Z$"))) | length > 0),
    micro: (map(select(.ts | type == "string" and test("\\.[0-9]{6}Z$"))) | length > 0),
    offset: (map(select(.ts | type == "string" and test("[+-][0-9]{2}:[0-9]{2}$"))) | length > 0),
    hops: (map(select(.detail.route.hops[1].agent? != null)) | length > 0),
    bools_and_null: (map(.. | select(. == true or . == false or . == null)) | length > 0),
    reals: (map(.detail.ms? // empty | select(. != floor)) | length > 0),
    escapes: (([.[].detail.message? // empty | select(test("\""))] | length > 0) and
              ([.[].detail.message? // empty | select(test("\n\t"))] | length > 0)),
    unicode: ([.[].detail.message? // empty | select(test("\u00ab") and test("\u2014"))] | length > 0),
    surrogates: ([.[].detail.message? // empty | select(test("\ud83d\udd34"))] | length > 0)}' "$tmp/n.jsonl")
checks=$((checks + 1))
[ "$shapes" = '{"events":12000,"epoch":true,"utc":true,"micro":true,"offset":true,"hops":true,"bools_and_null":true,"reals":true,"escapes":true,"unicode":true,"surrogates":true}' ] ||
    fail "nested events lack a promised shape: $shapes"

# The default packs read every line, find things, and no rule fails.
run check "$tmp/n.jsonl" --format json --fail-on never
expect_status 0
expect_json '[.summary.events, .summary.rule_errors, .summary.skipped, .inputs[0].events]' '[12000,0,0,12000]'
expect_json '[.findings[].rule | select(startswith("BEAM-"))] | length > 0' 'true'

# The selective rule on detail.error_code finds the lines jq's filter
# selects, no more, no fewer.
selected=$("$JQ" -c 'select(.type == "failed" and .detail.error_code == "FORBIDDEN") | input_line_number' \
    "$tmp/n.jsonl" | "$JQ" -s -c .)
checks=$((checks + 1))
[ "$selected" != "[]" ] || fail "no FORBIDDEN failure in the nested events"
run check "$tmp/n.jsonl" --rules "$bench/rules/selective-nested.yaml" --format json
expect_status 1
expect_json '[.findings[].origins[0].line] | sort' "$selected"

# --- flat events: the same agreement --------------------------------------
awk -v events=3000 -v keys=50 -f "$bench/gen-events.awk" >"$tmp/e.jsonl" || fail "gen-events.awk failed"
count=$("$JQ" -c 'select(.type == "dead_letter" and .error_code == "FORBIDDEN")' "$tmp/e.jsonl" | wc -l)
run check "$tmp/e.jsonl" --rules "$bench/rules/selective.yaml" --format json --fail-on never
expect_status 0
expect_json '.summary.findings' "$count"

# --- a ledger and its restore ----------------------------------------------
awk -v rows=40000 -f "$bench/gen-ledger.awk" | sqlite3 "$tmp/backup.sqlite" >/dev/null || fail "gen-ledger.awk failed"
cp "$tmp/backup.sqlite" "$tmp/restore.sqlite"
awk -v rows=40000 -v part=restore -f "$bench/gen-ledger.awk" | sqlite3 "$tmp/restore.sqlite" >/dev/null ||
    fail "gen-ledger.awk part=restore failed"
run diff "$tmp/backup.sqlite" "$tmp/restore.sqlite" --format json
expect_status 1
expect_json '[.tables[] | {table, by: .pairing.by}]' \
    '[{"table":"audit_log","by":"multiset"},{"table":"intents","by":"key"},{"table":"notifications","by":"key"}]'
if command -v sqldiff >/dev/null; then
    counts=$(sqldiff --primarykey "$tmp/backup.sqlite" "$tmp/restore.sqlite" |
        awk '{ t = $1 == "UPDATE" ? $2 : $3; sub(/\(.*/, "", t); n[t " " $1]++ }
             END { for (k in n) print k, n[k] }' | LC_ALL=C sort |
        awk '{ printf "%s[\"%s\",\"%s\",%d]", (NR > 1 ? "," : "["), $1, $2, $3 } END { print "]" }')
    expect_json '[.tables[] | (.table) as $t | ((.missing | length) as $n | select($n > 0) | [$t, "DELETE", $n]),
                  ((.added | length) as $n | select($n > 0) | [$t, "INSERT", $n]),
                  ((.changed | length) as $n | select($n > 0) | [$t, "UPDATE", $n])]' "$counts"
else
    [ -n "${CI:-}" ] && fail "sqldiff is not installed (ci/install-deps installs it)"
    echo "skip: no sqldiff to compare with"
fi
done_testing
