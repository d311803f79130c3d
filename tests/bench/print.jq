# print.jq — the benchmark's JSON (table.jq) as the table `make bench` prints.
def pad($n): tostring | if length < $n then . + (" " * ($n - length)) else . end;
def lpad($n): tostring | if length < $n then (" " * ($n - length)) + . else . end;
def mib: . / 1024 | . * 10 | round / 10;
"rbaudit bench \(.when) on \(.cpu) (\(.machine)), median of \(.runs) runs",
"load average \(.load.start) at the start, \(.load.end) at the end; \(.duration_seconds) s in all",
"",
"\("command" | pad(24))\("evidence" | pad(11))\("seconds" | lpad(9))\("fastest" | lpad(9))\("slowest" | lpad(9))\("peak RSS MiB" | lpad(14))\("load" | lpad(7))",
(.measurements[] | "\(.name | pad(24))\(.evidence | pad(11))\(.seconds | lpad(9))\(.fastest | lpad(9))\(.slowest | lpad(9))\(.peak_rss_kib | mib | lpad(14))\(.load | lpad(7))"),
"",
"floors of reading the nested bytes, x jq's time for one filter on the same file:",
(.floors[] | "  \(.command | pad(12))\(.evidence | pad(5))\(.seconds | lpad(9)) s\(.x_jq_filter | lpad(9)) x"),
"",
"\("goal" | pad(86))\("measured" | lpad(10))\("target" | lpad(12))  met",
(.goals[] | "\(.goal | pad(86))\(.measured | lpad(10))\("\(.op) \(.target)" | lpad(12))  \(if .met == null then "-" elif .met then "yes" else "NO" end)")
