#!/bin/sh
# run-corpus.sh CORPUS: audits one corpus the way its expected.json says
# and prints what rbaudit found, in the shape of expected.json's "status"
# and "findings" members.  Used by tests/e2e/corpora.sh, and to write a new
# corpus's expectation after reviewing the findings.
#
# expected.json holds:
#   "args"     the rbaudit command line, run from the corpus directory;
#              "{built}" stands for a scratch directory
#   "build"    optional: a script of the corpus run as `sh SCRIPT {built}`
#              first (SQLite ledgers, git repositories, tarballs)
#   "status"   the exit status
#   "findings" [{rule, severity, key, at, message}] in report order; "at" is
#              PATH:LINE, PATH#TABLE:ROWID, PATH@COMMIT (12 digits) or PATH
set -u
: "${RBAUDIT:=rbaudit}"
: "${JQ:=jq}"
corpus=$(cd "$1" && pwd)
built=$(mktemp -d "${TMPDIR:-/tmp}/rbaudit-corpus.XXXXXX")
trap 'rm -rf "$built"' EXIT
cd "$corpus"
build=$("$JQ" -r '.build // empty' expected.json)
if [ -n "$build" ]; then
    sh "$build" "$built" >/dev/null || { echo "run-corpus: $corpus/$build failed" >&2; exit 2; }
fi
set --
for arg in $("$JQ" -r '.args[] | gsub(" "; "\u0001")' expected.json); do
    arg=$(printf '%s' "$arg" | tr '\001' ' ')
    set -- "$@" "$(printf '%s' "$arg" | sed "s|{built}|$built|g")"
done
out=$("$RBAUDIT" "$@" --format json)
status=$?
printf '%s\n' "$out" | "$JQ" -S --arg built "$built" --argjson status "$status" '
  def unbuild: if type == "string" then split($built) | join("{built}") else . end;
  def place: .path +
    (if .line then ":\(.line)" elif .table then "#\(.table):\(.rowid)"
     elif .commit then "@\(.commit[0:12])" else "" end);
  {status: $status,
   findings: [.findings[] | {rule, severity, key: (.key | unbuild),
                             at: (.origins[0] // {path: ""} | place | unbuild), message: (.message | unbuild)}]}'
