# table.jq — turns run.sh's measurements (TSV: name, evidence, median,
# fastest and slowest microseconds, peak RSS KiB, load average before the
# first run) into the benchmark's JSON: every measurement, the floors of
# reading the nested bytes, and each goal of README.md's Performance
# section with its measured value (null when its rows were not measured:
# BENCH_LARGE=0 or BENCH_ONLY).
def rows: split("\n") | map(select(length > 0) | split("\t")
    | {name: .[0], evidence: .[1], seconds: ((.[2] | tonumber) / 1000000), peak_rss_kib: (.[3] | tonumber),
       fastest: ((.[4] | tonumber) / 1000000), slowest: ((.[5] | tonumber) / 1000000), load: (.[6] | tonumber)});
def round3: if . == null then null else . * 1000 | round / 1000 end;
def goal($text; $measured; $target; $op; $unit):
    {goal: $text, measured: ($measured | if $unit == "events/s" and . != null then round else round3 end),
     target: $target, unit: $unit, op: $op,
     met: (if $measured == null then null elif $op == "<=" then $measured <= $target else $measured >= $target end)};

rows as $m
| $sizes[0] as $size
| def t($name; $ev): ($m | map(select(.name == $name and .evidence == $ev)) | first);
  def secs($name; $ev): t($name; $ev).seconds;
  def mib($name; $ev): if t($name; $ev) then t($name; $ev).peak_rss_kib / 1024 else null end;
  def ratio($a; $b; $ev): if t($a; $ev) and t($b; $ev) then secs($a; $ev) / secs($b; $ev) else null end;
  def grows($name; $small; $large):
    if t($name; $small) and t($name; $large) then t($name; $large).peak_rss_kib / t($name; $small).peak_rss_kib else null end;
  def per_second($ev): if t("rbaudit replay"; $ev) and $size[$ev] then $size[$ev].lines / secs("rbaudit replay"; $ev) else null end;
  def ms($name; $ev): if t($name; $ev) then secs($name; $ev) * 1000 else null end;
{bench: "rbaudit", when: $when, machine: $machine, cpu: $cpu, runs: $runs,
 load: {start: $load_start, end: $load_end}, duration_seconds: $duration,
 evidence: {
   e5: "flat JSON Lines, 10^5 events, 10^3 keys", e6: "flat JSON Lines, 10^6 events, 10^5 keys",
   e7: "flat JSON Lines, 10^7 events, 10^5 keys",
   n5: "nested JSON Lines, 10^5 events, 10^3 keys", n6: "nested JSON Lines, 10^6 events, 10^5 keys",
   n7: "nested JSON Lines, 10^7 events, 10^5 keys",
   "e6.sqlite": "the e6 rows in one SQLite table",
   l6: "a 10^6-row SQLite ledger (TEXT key, INTEGER key, no key) and its restore, 485 rows apart",
   r10: "config repository, 10 commits", r1k: "config repository, 10^3 commits",
   r10k: "config repository, 10^4 commits",
   trace5: "Beam bus replay trace, 10^5 keys, 5 events each", trace6: "Beam bus replay trace, 10^6 keys, 5 events each"},
 sizes: $size,
 default_packs: ({dir: $packs_dir} + ($found[0] | if . == {} then {} else {"n6": .} end)),
 measurements: ($m | map(.seconds |= round3 | .fastest |= round3 | .slowest |= round3)),
 floors: [$m[] | select(.evidence | test("^n")) | select(.name == "wc -l" or .name == "sha256sum" or .name == "jq -c .")
          | {command: .name, evidence, seconds: (.seconds | round3),
             x_jq_filter: (ratio(.name; "jq filter"; .evidence) | round3)}],
 goals: [
   goal("one selective rule on detail.error_code, x jq's time for the same filter (10^6 nested)";
        ratio("rbaudit selective rule"; "jq filter"; "n6"); 0.1; "<="; "x"),
   goal("one selective rule on detail.error_code, x jq's time for the same filter (10^7 nested)";
        ratio("rbaudit selective rule"; "jq filter"; "n7"); 0.1; "<="; "x"),
   goal("the default packs (rbaudit check FILE), x jq's time for one filter (10^6 nested)";
        ratio("rbaudit default packs"; "jq filter"; "n6"); 0.5; "<="; "x"),
   goal("the default packs (rbaudit check FILE), x jq's time for one filter (10^7 nested)";
        ratio("rbaudit default packs"; "jq filter"; "n7"); 0.5; "<="; "x"),
   goal("peak RSS of the default packs, 10^6 nested events, MiB";
        mib("rbaudit default packs"; "n6"); 128; "<="; "MiB"),
   goal("peak RSS of the default packs, 10^7 over 10^6 nested events (same keys)";
        grows("rbaudit default packs"; "n6"; "n7"); 1.1; "<="; "x"),
   goal("sql: rule, x the sqlite3 CLI on the same query (10^6 rows)";
        ratio("rbaudit sql rule"; "sqlite3 query"; "e6.sqlite"); 1.2; "<="; "x"),
   goal("rbaudit diff, x sqldiff --primarykey on the same ledger pair (10^6 rows)";
        ratio("rbaudit diff"; "sqldiff --primarykey"; "l6"); 2; "<="; "x"),
   goal("rbaudit gate on 10^3 commits, x git log -p on the range";
        ratio("rbaudit gate"; "git log -p"; "r1k"); 1.5; "<="; "x"),
   goal("rbaudit gate on 10^3 commits, cached re-run, x git log -p";
        ratio("rbaudit gate, cached"; "git log -p"; "r1k"); 0.1; "<="; "x"),
   goal("rbaudit gate on 10^4 commits, x git log -p on the range";
        ratio("rbaudit gate"; "git log -p"; "r10k"); 1.5; "<="; "x"),
   goal("rbaudit gate on 10^4 commits, cached re-run, x git log -p";
        ratio("rbaudit gate, cached"; "git log -p"; "r10k"); 0.1; "<="; "x"),
   goal("rbaudit gate on a 10-commit repository, ms"; ms("rbaudit gate"; "r10"); 10; "<="; "ms"),
   goal("replay, simulated events per second (10^5 keys)"; per_second("trace5"); 1000000; ">="; "events/s"),
   goal("replay, simulated events per second (10^6 keys)"; per_second("trace6"); 1000000; ">="; "events/s"),
   goal("replay peak RSS, 10^6 over 10^5 trace keys"; grows("rbaudit replay"; "trace5"; "trace6"); 1.1; "<="; "x"),
   goal("flat lines: one selective rule, x jq's time for the same filter (10^6 flat)";
        ratio("rbaudit selective rule"; "jq filter"; "e6"); 0.1; "<="; "x"),
   goal("flat lines: the Beam pack, x jq's time for one filter (10^6 flat)";
        ratio("rbaudit beam pack"; "jq filter"; "e6"); 0.5; "<="; "x"),
   goal("flat lines: peak RSS of the selective rule (10^6 flat), MiB";
        mib("rbaudit selective rule"; "e6"); 64; "<="; "MiB"),
   goal("flat lines: peak RSS of the Beam pack, 10^7 over 10^6 (same keys)";
        grows("rbaudit beam pack"; "e6"; "e7"); 1.1; "<="; "x")
 ]}
