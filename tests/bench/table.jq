# table.jq — turns run.sh's measurements (TSV: name, evidence, median
# microseconds, peak RSS KiB) into the benchmark's JSON: every measurement
# and each goal of README.md's Performance section with its ratio.
def rows: split("\n") | map(select(length > 0) | split("\t")
    | {name: .[0], evidence: .[1], seconds: ((.[2] | tonumber) / 1000000), peak_rss_kib: (.[3] | tonumber)});
def round3: if . == null then null else . * 1000 | round / 1000 end;
def goal($text; $measured; $target; $op; $unit):
    {goal: $text, measured: ($measured | round3), target: $target, unit: $unit,
     met: (if $measured == null then null elif $op == "<=" then $measured <= $target else $measured >= $target end)};

rows as $m
| def t($name; $ev): ($m | map(select(.name == $name and .evidence == $ev)) | first);
  def secs($name; $ev): t($name; $ev).seconds;
  def ratio($a; $b; $ev): if t($a; $ev) and t($b; $ev) then secs($a; $ev) / secs($b; $ev) else null end;
  ($replay[0].replay) as $r
| {bench: "rbaudit", when: $when, machine: $machine, cpu: $cpu, runs: $runs,
   evidence: {
     e5: "JSON Lines, 10^5 events, 10^3 keys", e6: "JSON Lines, 10^6 events, 10^5 keys",
     e7: "JSON Lines, 10^7 events, 10^5 keys", "e6.sqlite": "the e6 rows in one SQLite table",
     r10: "config repository, 10 commits", r1k: "config repository, 10^3 commits",
     r10k: "config repository, 10^4 commits", trace: "Beam bus trace, 10^5 keys, 5 events each"},
   measurements: ($m | map(.seconds |= round3)),
   goals: [
     goal("one selective match rule, x jq's time for the same filter (10^6 events)";
          ratio("rbaudit selective rule"; "jq filter"; "e6"); 0.1; "<="; "x"),
     goal("the whole Beam pack in one pass, x jq's time for one filter (10^6 events)";
          ratio("rbaudit beam pack"; "jq filter"; "e6"); 0.5; "<="; "x"),
     goal("peak RSS of the selective rule (10^6 events), MiB";
          (t("rbaudit selective rule"; "e6").peak_rss_kib / 1024); 64; "<="; "MiB"),
     goal("peak RSS of the Beam pack, 10^7 events over 10^6 (same keys): flat";
          (if t("rbaudit beam pack"; "e7") then t("rbaudit beam pack"; "e7").peak_rss_kib / t("rbaudit beam pack"; "e6").peak_rss_kib else null end);
          1.1; "<="; "x"),
     goal("SQLite sql: rule, x the sqlite3 CLI on the same query";
          ratio("rbaudit sql rule"; "sqlite3 query"; "e6.sqlite"); 1.2; "<="; "x"),
     goal("rbaudit gate on 10^3 commits, x git log -p on the range";
          ratio("rbaudit gate"; "git log -p"; "r1k"); 1.5; "<="; "x"),
     goal("rbaudit gate on 10^3 commits, cached re-run, x git log -p";
          ratio("rbaudit gate, cached"; "git log -p"; "r1k"); 0.1; "<="; "x"),
     goal("rbaudit gate on a 10-commit repository, ms"; (secs("rbaudit gate"; "r10") * 1000); 50; "<="; "ms"),
     goal("replay, simulated events per second";
          (($r.inputs + $r.outputs) / secs("rbaudit replay"; "trace")); 1000000; ">="; "events/s")
   ]}
