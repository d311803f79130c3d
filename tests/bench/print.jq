# print.jq — the benchmark's JSON (table.jq) as the table `make bench` prints.
def pad($n): tostring | if length < $n then . + (" " * ($n - length)) else . end;
def lpad($n): tostring | if length < $n then (" " * ($n - length)) + . else . end;
"rbaudit bench \(.when) on \(.cpu) (\(.machine)), median of \(.runs) runs",
"",
"\("command" | pad(28))\("evidence" | pad(11))\("seconds" | lpad(9))\("peak RSS MiB" | lpad(14))",
(.measurements[] | "\(.name | pad(28))\(.evidence | pad(11))\(.seconds | lpad(9))\(.peak_rss_kib / 1024 | . * 10 | round / 10 | lpad(14))"),
"",
"\("goal" | pad(76))\("measured" | lpad(12))\("target" | lpad(12))  met",
(.goals[] | "\(.goal | pad(76))\(.measured | lpad(12))\("\(if .unit == "events/s" then ">=" else "<=" end) \(.target)" | lpad(12))  \(if .met == null then "-" elif .met then "yes" else "NO" end)")
