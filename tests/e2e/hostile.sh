# hostile.sh — evidence made by an attacker (SPEC §8): unsafe tar members,
# links and FIFOs in directory bundles, manifests naming paths outside the
# bundle, a gzip bomb, a forged manifest, XML external entities and entity
# bombs, a YAML alias bomb, JSON nested 100000 deep, truncated files,
# invalid UTF-8 and NUL bytes, corrupt SQLite headers and a 10 MB Markdown
# line.  Each is refused (exit 2, naming the file
# and the place in it) or reported (RBA-INTEGRITY, the rest still audited),
# in bounded time, without a crash or a sanitizer report, and without
# writing anything but the report: not into TMPDIR, not into the working
# directory, not beside the evidence.
# Every input is made here with shell tools, so that git holds no hostile
# binary and each case says how it was made.
. "$(dirname "$0")/lib.sh"

# The runs below start from other directories: every path must be absolute.
top=$(pwd)
ev=$tmp/evidence
work=$tmp/work
mkdir "$ev" "$work"
members="manifest.json spec_validation.json policy_audit.json environment.json lane_graph_state.json
replay_audit.json trace.jsonl"
read_members='["environment.json","lane_graph_state.json","manifest.json","policy_audit.json","replay_audit.json","spec_validation.json","trace.jsonl"]'

# Directory mtimes are listed too: a file made and removed again during a
# run (a journal, a temporary extraction) still changes its directory's.
listing() {
    find "$ev" -printf '%P %y %s %T@ %l\n' | LC_ALL=C sort
}

# probe SECONDS ARGS...: runs rbaudit ARGS from a fresh empty working
# directory with TMPDIR a fresh empty directory, killed after SECONDS; an
# argument "{report}" stands for the report path, in a directory of its
# own.  Then asserts: no timeout, no crash, nothing left in TMPDIR or the
# working directory or beside them, nothing in the report directory but the
# report (and not even that when the input was refused, unless
# report_on_error is set: a rule that failed on a ledger), the evidence
# directory as it was.  $tmp/stdout keeps standard output; $tmp/out holds
# the report when one was written, for expect_json.
k=0
probe() {
    limit=$1
    shift
    k=$((k + 1))
    box=$tmp/box.$k
    mkdir "$box" "$box/tmp" "$box/cwd" "$box/out"
    report=$box/out/report.json
    for arg; do
        shift
        [ "$arg" = "{report}" ] && arg=$report
        set -- "$@" "$arg"
    done
    last="rbaudit $* (from $box/cwd, TMPDIR=$box/tmp, at most ${limit}s)"
    (cd "$box/cwd" && TMPDIR=$box/tmp exec timeout -k 5 "$limit" "$RBAUDIT" "$@") >"$tmp/stdout" 2>"$tmp/err"
    status=$?
    cp "$tmp/stdout" "$tmp/out"
    checks=$((checks + 1))
    [ "$status" -ne 124 ] && [ "$status" -ne 137 ] || fail "still running after ${limit}s"
    expect_no_crash
    checks=$((checks + 1))
    [ "$(ls -A "$box" | tr '\n' ' ')" = "cwd out tmp " ] || fail "wrote beside its working directory: $(ls -A "$box")"
    [ -z "$(ls -A "$box/tmp")" ] || fail "wrote into TMPDIR: $(ls -A "$box/tmp")"
    [ -z "$(ls -A "$box/cwd")" ] || fail "wrote into the working directory: $(ls -A "$box/cwd")"
    case $(ls -A "$box/out") in
    "") ;;
    report.json)
        [ "$status" -ne 2 ] || [ -n "${report_on_error:-}" ] || fail "a report was written for a refused input"
        cp "$report" "$tmp/out"
        ;;
    *) fail "wrote more than the report: $(ls -A "$box/out")" ;;
    esac
    listing >"$tmp/listing.after"
    cmp -s "$tmp/listing" "$tmp/listing.after" ||
        fail "the evidence directory changed: $(diff "$tmp/listing" "$tmp/listing.after" | head -20)"
}

# expect_stderr_re ERE: the error output matches ERE (file and place).
expect_stderr_re() {
    checks=$((checks + 1))
    grep -qE -- "$1" "$tmp/err" || fail "stderr does not match: $1"
}

# re PATH: PATH quoted for grep -E.
re() {
    printf '%s' "$1" | sed 's/[].[^$*+?(){}|\\]/\\&/g'
}

# expect_integrity ARCHIVE KEYS: the report's RBA-INTEGRITY findings have
# exactly KEYS (a JSON array), all cite ARCHIVE, and every safe member was
# still read.
expect_integrity() {
    expect_json '[.findings[] | select(.rule == "RBA-INTEGRITY") | .key]' "$2"
    expect_json '[.findings[] | select(.rule == "RBA-INTEGRITY") | .origins[0].path] | unique' "[\"$1\"]"
    expect_json '[.inputs[].path | select(contains("!")) | sub(".*!"; "")]' "$read_members"
    expect_json '.summary.events' '2'
}

# expect_unsafe KEYS: `bundle verify` (run last) lists exactly KEYS as unsafe.
expect_unsafe() {
    expect_status 1
    expect_json '[.problems[] | select(.problem == "unsafe") | .member]' "$1"
    expect_json '.intact' 'false'
}

passwd_line=$(head -n 1 /etc/passwd 2>/dev/null)
# expect_no_passwd: nothing read from /etc/passwd reached any output.
expect_no_passwd() {
    checks=$((checks + 1))
    [ -n "$passwd_line" ] || return 0
    ! grep -qF -- "$passwd_line" "$tmp/stdout" "$tmp/out" "$tmp/err" || fail "/etc/passwd content in the output"
}

# A failure to make an input must not pass for the program refusing it.
set -e

# The clean ByteOr bundle, plus what the unsafe members are made from.
mkdir "$work/src"
cp corpora/byteor/bundles/clean/* "$work/src/"
printf 'escaped\n' >"$work/src/escaped"
ln -s ../../etc/passwd "$work/src/link-out"
printf 'outside\n' >"$work/x"
ln "$work/x" "$work/src/hard-out"
mkfifo "$work/src/fifo"

# shellcheck disable=SC2086 # $members is a list of names without spaces
{
    # -P keeps what GNU tar would otherwise strip: a leading '/' and '..'.
    tar -cPf "$ev/dotdot.tar" -C "$work/src" $members escaped --transform 's|^escaped$|logs/../../escaped|'
    tar -cPf "$ev/absolute.tar" -C "$work/src" $members escaped --transform "s|^escaped\$|$tmp/escaped|"
    tar -cf "$ev/symlink.tar" -C "$work/src" $members link-out
    # hard-out is stored as a hard link to the first name of its inode: ../x
    (cd "$work/src" && tar -cPf "$ev/hardlink.tar" $members ../x hard-out)
    tar -cPf "$ev/device.tar" -C "$work/src" $members fifo /dev/null --transform 's|^/dev/null$|dev-null|'
    # A regular file named "." (the root itself): the key must still name it.
    tar -cPf "$ev/dot.tar" -C "$work/src" $members escaped --transform 's|^escaped$|.|'

    # 50 MB of zeros (a sparse file: no disk) in 50 KB of gzip.
    mkdir "$work/bomb"
    cp corpora/byteor/bundles/clean/* "$work/bomb/"
    dd if=/dev/zero of="$work/bomb/zeros.json" bs=1 count=0 seek=50M 2>/dev/null
    tar -czf "$ev/bomb.tgz" -C "$work/bomb" $members zeros.json

    # An artifact edited after the manifest was made.
    mkdir "$work/forged"
    cp corpora/byteor/bundles/clean/* "$work/forged/"
    printf '{"posture": "supported", "checks": []}\n' >"$work/forged/environment.json"
    tar -czf "$ev/forged.tgz" -C "$work/forged" $members

    # A complete archive, to be cut.
    tar -cf "$work/whole.tar" -C "$work/src" $members
    tar -czf "$work/whole.tgz" -C "$work/src" $members
}

# A directory bundle whose listed artifacts are a link to a file outside it
# and a FIFO, which would block whoever opens it; one whose manifest lists
# paths outside it; a directory of evidence holding a FIFO and a link to
# /dev/zero beside a log.
printf '{"posture": "SECRET-FROM-OUTSIDE"}\n' >"$ev/outside.json"
mkdir "$ev/linked"
cp corpora/byteor/bundles/clean/* "$ev/linked/"
rm "$ev/linked/environment.json" "$ev/linked/trace.jsonl"
ln -s ../outside.json "$ev/linked/environment.json"
mkfifo "$ev/linked/trace.jsonl"
mkdir "$ev/listed"
cp corpora/byteor/bundles/clean/* "$ev/listed/"
"$JQ" '.artifacts += [{path: "../outside.json", sha256: "00", role: "environment"},
    {path: "/etc/passwd", sha256: "00", role: "ledger"}, {path: "logs/../../outside.json", sha256: "00", role: "trace"}]' \
    corpora/byteor/bundles/clean/manifest.json >"$ev/listed/manifest.json"
mkdir "$ev/walked"
printf '%s\n' '{"ts":"2026-04-12T10:00:00Z","type":"queued","key":"n-1"}' >"$ev/walked/bus.jsonl"
mkfifo "$ev/walked/pipe.jsonl"
ln -s /dev/zero "$ev/walked/zero.jsonl"

# JUnit with an external entity referenced in a failure message, and in
# text; a parameter entity; an external DTD; a billion laughs.
junit_case='<testsuites>
 <testsuite name="smoke" tests="1" failures="1">
  <testcase classname="release" name="GET /release">'
junit_end='  </testcase>
 </testsuite>
</testsuites>'
printf '<?xml version="1.0"?>\n<!DOCTYPE testsuites [\n <!ENTITY e SYSTEM "file:///etc/passwd">\n]>\n%s\n   <failure message="&e;">failed</failure>\n%s\n' \
    "$junit_case" "$junit_end" >"$ev/xxe-attr.xml"
printf '<?xml version="1.0"?>\n<!DOCTYPE testsuites [\n <!ENTITY e SYSTEM "file:///etc/passwd">\n]>\n%s\n   <failure message="failed">&e;</failure>\n%s\n' \
    "$junit_case" "$junit_end" >"$ev/xxe-text.xml"
printf '<?xml version="1.0"?>\n<!DOCTYPE testsuites [\n <!ENTITY %% p SYSTEM "file:///etc/passwd">\n %%p;\n]>\n%s\n   <failure message="failed">x</failure>\n%s\n' \
    "$junit_case" "$junit_end" >"$ev/xxe-param.xml"
printf '<?xml version="1.0"?>\n<!DOCTYPE testsuites SYSTEM "file:///etc/passwd">\n%s\n   <failure message="failed">x</failure>\n%s\n' \
    "$junit_case" "$junit_end" >"$ev/external-dtd.xml"
{
    printf '<?xml version="1.0"?>\n<!DOCTYPE testsuites [\n <!ENTITY l0 "lol">\n'
    awk 'BEGIN { for (i = 1; i <= 9; i++) { printf " <!ENTITY l%d \"", i
                 for (j = 0; j < 10; j++) printf "&l%d;", i - 1
                 print "\">" } }'
    printf ']>\n%s\n   <failure message="&l9;">&l9;</failure>\n%s\n' "$junit_case" "$junit_end"
} >"$ev/laughs.xml"

# YAML: 9 levels of 9 aliases (9^9 nodes), and 100000 nested flow sequences.
awk 'BEGIN { print "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"
             for (i = 1; i <= 9; i++) { s = "*l" (i - 1)
                 printf "l%d: &l%d [%s, %s, %s, %s, %s, %s, %s, %s, %s]\n", i, i, s, s, s, s, s, s, s, s, s } }' \
    >"$ev/aliases.yaml"
{ printf 'a: '; head -c 100000 /dev/zero | tr '\0' '['; head -c 100000 /dev/zero | tr '\0' ']'; echo; } >"$ev/deep.yaml"

# JSON nested 100000 deep: a document, and the second line of a log.
ok='{"ts":"2026-04-12T10:00:00Z","type":"queued","key":"n-1"}'
{ printf '{"a":'; head -c 100000 /dev/zero | tr '\0' '['; head -c 100000 /dev/zero | tr '\0' ']'; echo '}'; } >"$ev/deep.json"
{ echo "$ok"; printf '{"ts":1,"type":"x","d":'; head -c 100000 /dev/zero | tr '\0' '['
  head -c 100000 /dev/zero | tr '\0' ']'; echo '}'; } >"$ev/deep.jsonl"

# Truncated: a document cut in the middle, a log whose last line is cut, a
# tar cut inside its first member's data, a tgz cut in the middle of its
# stream, and one missing only the gzip trailer.
doc=corpora/byteor/bundles/clean/lane_graph_state.json
head -c $(($(wc -c <"$doc") / 2)) "$doc" >"$ev/cut.json"
log=corpora/beam/clean-demo/bus.jsonl
head -c $(($(wc -c <"$log") - 10)) "$log" >"$ev/cut.jsonl"
head -c 612 "$work/whole.tar" >"$ev/cut.tar"
head -c $(($(wc -c <"$work/whole.tgz") / 2)) "$work/whole.tgz" >"$ev/cut.tgz"
head -c $(($(wc -c <"$work/whole.tgz") - 4)) "$work/whole.tgz" >"$ev/no-trailer.tgz"

# Bad bytes in strings, on line 2 of each file (line 3 of the JSON documents).
printf '%s\n{"ts":2,"type":"a\0b"}\n' "$ok" >"$ev/nul.jsonl"
printf '%s\n{"ts":2,"type":"a\\u0000b"}\n' "$ok" >"$ev/nul-escape.jsonl"
printf '%s\n{"ts":2,"type":"\303\050"}\n' "$ok" >"$ev/utf8.jsonl"
printf '%s\n{"ts":2,"type":"\355\240\200"}\n' "$ok" >"$ev/surrogate.jsonl"
printf '{\n "a": "x",\n "b": "a\0b"\n}\n' >"$ev/nul.json"
printf '{\n "a": "x",\n "b": "a\\u0000b"\n}\n' >"$ev/nul-escape.json"
printf '{\n "a": "x",\n "b": "\377\376"\n}\n' >"$ev/utf8.json"
printf 'a: x\nb: a\0b\n' >"$ev/nul.yaml"
printf 'a: x\n"b\\0c": 1\n' >"$ev/nul-key.yaml"
printf 'a: x\nb: "a\\0b"\n' >"$ev/nul-value.yaml"
printf 'a: x\nb: \377\376\n' >"$ev/utf8.yaml"
printf 'a: x\nb: \300\257\n' >"$ev/overlong.yaml"

# SQLite: the magic and then garbage; copies of a real ledger with the rest
# of the header, the magic itself, or the schema page overwritten.
{ printf 'SQLite format 3\0'; head -c 4080 /dev/zero | tr '\0' '\377'; } >"$ev/garbage.db"
sh corpora/beam/recovery-drill/make-ledgers.sh "$work/ledgers" >/dev/null
ledger=$work/ledgers/beam-bus.sqlite
cp "$ledger" "$ev/header.sqlite"
head -c 84 /dev/zero | tr '\0' 'X' | dd of="$ev/header.sqlite" bs=1 seek=16 conv=notrunc 2>/dev/null
cp "$ledger" "$ev/magic.sqlite"
printf 'NOT SQLITE AT AL' | dd of="$ev/magic.sqlite" bs=1 conv=notrunc 2>/dev/null
cp "$ledger" "$ev/schema.sqlite"
head -c 200 /dev/zero | tr '\0' '\252' | dd of="$ev/schema.sqlite" bs=1 seek=100 conv=notrunc 2>/dev/null
# A ledger whose notifications table is a page of garbage.
mkdir "$ev/garbled"
cp "$work/ledgers/beam-directory.db" "$ev/garbled/"
page=$(sqlite3 "$ev/garbled/beam-directory.db" "SELECT rootpage FROM sqlite_master WHERE name = 'notifications'")
size=$(sqlite3 "$ev/garbled/beam-directory.db" "PRAGMA page_size")
head -c "$size" /dev/zero | tr '\0' '\252' |
    dd of="$ev/garbled/beam-directory.db" bs="$size" seek=$((page - 1)) conv=notrunc 2>/dev/null

# Markdown: 10 MB of brackets on one line, and 2 MB of emphasis read by --kind.
head -c 10485760 /dev/zero | tr '\0' '[' >"$ev/brackets.md"
head -c 1048576 /dev/zero | sed 's/\x0/*a/g' >"$ev/emphasis.txt"
set +e

listing >"$tmp/listing"
byteor=$top/rules/byteor
beam=$top/rules/beam

# --- Unsafe members: RBA-INTEGRITY keyed by the member, the rest audited.
probe 60 check "$ev/dotdot.tar" --rules "$byteor" --format json --output "{report}"
expect_status 1
expect_integrity "$ev/dotdot.tar" '["logs/../../escaped"]'
probe 60 bundle verify "$ev/dotdot.tar" --format json
expect_unsafe '["logs/../../escaped"]'

probe 60 check "$ev/absolute.tar" --rules "$byteor" --format json --output "{report}"
expect_status 1
expect_integrity "$ev/absolute.tar" "[\"$tmp/escaped\"]"
checks=$((checks + 1))
[ ! -e "$tmp/escaped" ] || fail "the absolute member was written to its path"
probe 60 bundle verify "$ev/absolute.tar" --format json
expect_unsafe "[\"$tmp/escaped\"]"

probe 60 check "$ev/symlink.tar" --rules "$byteor" --format json --output "{report}"
expect_status 1
expect_integrity "$ev/symlink.tar" '["link-out"]'
expect_json '[.findings[] | select(.key == "link-out") | .message]' \
    '["link-out is a symbolic link pointing outside the bundle (to ../../etc/passwd)"]'
expect_no_passwd
probe 60 bundle verify "$ev/symlink.tar" --format json
expect_unsafe '["link-out"]'

probe 60 check "$ev/hardlink.tar" --rules "$byteor" --format json --output "{report}"
expect_status 1
expect_integrity "$ev/hardlink.tar" '["../x","hard-out"]'
expect_json '[.findings[] | select(.key == "hard-out") | .message]' \
    '["hard-out is a hard link pointing outside the bundle (to ../x)"]'
probe 60 bundle verify "$ev/hardlink.tar" --format json
expect_unsafe '["../x","hard-out"]'

probe 60 check "$ev/device.tar" --rules "$byteor" --format json --output "{report}"
expect_status 1
expect_integrity "$ev/device.tar" '["dev-null","fifo"]'
probe 60 bundle inspect "$ev/device.tar" --format json
expect_status 1
expect_json '[.problems[] | select(.problem == "unsafe") | .member]' '["fifo","dev-null"]'

probe 60 check "$ev/dot.tar" --rules "$byteor" --format json --output "{report}"
expect_status 1
expect_json '[.findings[] | select(.rule == "RBA-INTEGRITY") | .key | length > 0]' '[true]'
expect_json '[.findings[] | select(.rule == "RBA-INTEGRITY") | .key as $k | .message | startswith($k + " ")]' '[true]'
expect_json '[.inputs[].path | select(contains("!")) | sub(".*!"; "")]' "$read_members"

# Directory bundles: the link is not followed, so the outside file's text
# never becomes the environment artifact, and the FIFO is not opened (a
# hang would be cut by the timeout).
probe 60 check "$ev/linked" --rules "$byteor" --format json --output "{report}"
expect_status 1
expect_json '[.findings[] | select(.rule == "RBA-INTEGRITY") | .key] | unique' '["environment.json","trace.jsonl"]'
expect_json '[.findings[] | select(.rule == "RBA-INTEGRITY") | .message] | any(contains("symbolic link pointing outside"))' 'true'
expect_json '[.inputs[].path | select(contains("!")) | sub(".*!"; "")]' \
    '["lane_graph_state.json","manifest.json","policy_audit.json","replay_audit.json","spec_validation.json"]'
checks=$((checks + 1))
! grep -q SECRET-FROM-OUTSIDE "$tmp/out" || fail "the linked file outside the bundle was read"
probe 60 bundle verify "$ev/linked" --format json
expect_status 1
expect_json '[.problems[] | .member] | unique' '["environment.json","trace.jsonl"]'

# A manifest naming paths outside the bundle: refused by name, never opened.
probe 60 check "$ev/listed" --rules "$byteor" --format json --output "{report}"
expect_status 1
expect_json '[.findings[] | select(.rule == "RBA-INTEGRITY") | .key]' \
    '["../outside.json","/etc/passwd","logs/../../outside.json"]'
expect_json '[.inputs[].path | select(contains("!")) | sub(".*!"; "")]' "$read_members"
expect_no_passwd
checks=$((checks + 1))
! grep -q SECRET-FROM-OUTSIDE "$tmp/out" || fail "a file outside the bundle was read"

# A walk reads regular files only: no FIFO is opened, no device read.
probe 60 check "$ev/walked" --rules "$beam" --format json --output "{report}"
expect_status 0
expect_json '[.inputs[].path]' "[\"$ev/walked/bus.jsonl\"]"
# Named on the command line, a device is refused, not read for ever.
probe 60 check "$ev/walked/zero.jsonl" --rules "$beam" --format json --output "{report}"
expect_status 2
expect_stderr "$ev/walked/zero.jsonl: not a regular file"

# --- A gzip bomb is refused whole, by the ratio cap, before it is unpacked.
probe 60 check "$ev/bomb.tgz" --rules "$byteor" --format json --output "{report}"
expect_status 2
expect_stderr "$ev/bomb.tgz: expands more than 200 times its"
expect_stderr "--max-archive-ratio"
probe 60 bundle inspect "$ev/bomb.tgz"
expect_status 2
expect_stderr "$ev/bomb.tgz: expands more than 200 times its"

# --- A member that does not match its manifest.
probe 60 check "$ev/forged.tgz" --rules "$byteor" --format json --output "{report}"
expect_status 1
expect_json '[.findings[] | select(.rule == "RBA-INTEGRITY") | .key]' '["environment.json"]'
expect_json '[.findings[] | select(.rule == "RBA-INTEGRITY") | .message | test("^environment.json has sha256 [0-9a-f]{64}, the manifest says [0-9a-f]{64}$")]' '[true]'
expect_json '[.findings[] | select(.rule == "RBA-INTEGRITY") | .origins[0].path]' "[\"$ev/forged.tgz\"]"
probe 60 bundle verify "$ev/forged.tgz" --format json
expect_status 1
expect_json '[.problems[] | [.member, .problem]]' '[["environment.json","hash-mismatch"]]'

# --- XML: no entity is read, followed or expanded.
for f in xxe-attr xxe-text xxe-param laughs; do
    probe 60 check "$ev/$f.xml" --rules "$beam" --format json --output "{report}"
    expect_status 2
    expect_stderr_re "^rbaudit: $(re "$ev/$f.xml"):[1-9][0-9]*: "
    expect_no_passwd
done
# An external DTD is parsed as a name, never loaded: the report reads.
probe 60 check "$ev/external-dtd.xml" --rules "$beam" --format json --output "{report}"
expect_status 0
expect_json '[.inputs[].kind]' '["junit"]'
expect_no_passwd

# --- YAML: the alias bomb fails on its first alias over the node cap,
# long before 9^9 nodes are built.
probe 10 check "$ev/aliases.yaml" --rules "$beam" --format json --output "{report}"
expect_status 2
expect_stderr_re "^rbaudit: $(re "$ev/aliases.yaml"):[1-9][0-9]*: YAML expands to more than 1000000 nodes"
expect_stderr "--max-yaml-nodes"
probe 10 check "$ev/deep.yaml" --rules "$beam" --format json --output "{report}"
expect_status 2
expect_stderr "$ev/deep.yaml:1:"

# --- JSON nested 100000 deep: a depth error, not a stack overflow.
probe 60 check "$ev/deep.json" --rules "$beam" --format json --output "{report}"
expect_status 2
expect_stderr "$ev/deep.json:1:"
probe 60 check "$ev/deep.jsonl" --rules "$beam" --format json --output "{report}"
expect_status 2
expect_stderr "$ev/deep.jsonl:2:"
# --lenient reads on past a bad line, but a depth bomb is still no event.
probe 60 check "$ev/deep.jsonl" --rules "$beam" --format json --output "{report}" --lenient
expect_status 1
expect_json '[.findings[] | [.rule, .origins[0].line]]' '[["RBA-INPUT",2]]'
expect_json '.summary.events' '1'

# --- Truncated files: the place where the text or the archive stops.
probe 60 check "$ev/cut.json" --rules "$beam" --format json --output "{report}"
expect_status 2
expect_stderr "$ev/cut.json:$(($(wc -l <"$ev/cut.json") + 1)):"
probe 60 check "$ev/cut.jsonl" --rules "$beam" --format json --output "{report}"
expect_status 2
expect_stderr "$ev/cut.jsonl:$(($(wc -l <"$ev/cut.jsonl") + 1)):"
probe 60 check "$ev/cut.tar" --rules "$byteor" --format json --output "{report}"
expect_status 2
expect_stderr "$ev/cut.tar: member manifest.json cannot be read"
probe 60 bundle inspect "$ev/cut.tar"
expect_status 2
expect_stderr "$ev/cut.tar: member manifest.json"
probe 60 check "$ev/cut.tgz" --rules "$byteor" --format json --output "{report}"
expect_status 2
expect_stderr "$ev/cut.tgz: "
expect_stderr "truncated"
probe 60 check "$ev/no-trailer.tgz" --rules "$byteor" --format json --output "{report}"
expect_status 2
expect_stderr "$ev/no-trailer.tgz: "
checks=$((checks + 1))
! grep -q '(null)' "$tmp/err" || fail "the message says (null) where it should say what is wrong"

# --- Bytes that are not UTF-8 text, and NUL, which would cut C strings
# short: refused with the line.  A JSON \u0000 is refused like a raw NUL
# (jansson without JSON_ALLOW_NUL); YAML keys are refused too, while a YAML
# "\0" in a value is kept whole, so that file is valid.
for f in nul nul-escape utf8 surrogate; do
    probe 60 check "$ev/$f.jsonl" --rules "$beam" --format json --output "{report}"
    expect_status 2
    expect_stderr "$ev/$f.jsonl:2: invalid JSON"
done
for f in nul nul-escape utf8; do
    probe 60 check "$ev/$f.json" --rules "$beam" --format json --output "{report}"
    expect_status 2
    expect_stderr "$ev/$f.json:3:"
done
for f in nul nul-key utf8 overlong; do
    probe 60 check "$ev/$f.yaml" --rules "$beam" --format json --output "{report}"
    expect_status 2
    expect_stderr "$ev/$f.yaml:2:"
done
probe 60 check "$ev/nul-value.yaml" --rules "$beam" --format json --output "{report}"
expect_status 0
expect_json '[.inputs[].kind]' '["yaml"]'

# --- SQLite: the header is checked before SQLite reads the file.
probe 60 check "$ev/garbage.db" --rules "$beam" --format json --output "{report}"
expect_status 2
expect_stderr "$ev/garbage.db: byte 16: invalid SQLite page size"
probe 60 check "$ev/header.sqlite" --rules "$beam" --format json --output "{report}"
expect_status 2
expect_stderr "$ev/header.sqlite: byte 16: invalid SQLite page size"
probe 60 check --kind "sqlite=$ev/magic.sqlite" "$ev/magic.sqlite" --rules "$beam" --format json --output "{report}"
expect_status 2
expect_stderr "$ev/magic.sqlite: not a SQLite database"
probe 60 check "$ev/schema.sqlite" --rules "$beam" --format json --output "{report}"
expect_status 2
expect_stderr "$ev/schema.sqlite: "
probe 60 diff "$ledger" "$ev/header.sqlite"
expect_status 2
expect_stderr "$ev/header.sqlite: byte 16"
probe 60 diff "$ev/schema.sqlite" "$ledger"
expect_status 2
expect_stderr "$ev/schema.sqlite: "
# A garbled table: the message names the query or the table that met it.
# The rules that meet it fail there (exit 2), the others still run, and the
# report is written, listing each failed rule with the ledger.
report_on_error=1
probe 60 check "$ev/garbled/beam-directory.db" --rules "$beam" --format json --output "{report}"
report_on_error=
expect_status 2
expect_stderr "$ev/garbled/beam-directory.db: query of rule "
expect_json '[.rules[].errors[] | .ledger] | unique' '["'"$ev"'/garbled/beam-directory.db"]'
expect_json '.summary.rule_errors > 0' 'true'
probe 60 diff "$work/ledgers/beam-directory.db" "$ev/garbled/beam-directory.db"
expect_status 2
expect_stderr "$ev/garbled/beam-directory.db: "
expect_stderr "notifications"

# SQLite has no size to cap here: a query has a time budget instead
# (--max-query-seconds; query_limits.sh).
# --- Markdown: refused by size before libcmark-gfm sees a byte.
probe 10 check "$ev/brackets.md" --rules "$beam" --format json --output "{report}"
expect_status 2
expect_stderr "$ev/brackets.md: 10485760 bytes is over the Markdown size cap of 1048576 bytes"
expect_stderr "--max-markdown-size"
probe 10 check --kind "markdown=$ev/emphasis.txt" "$ev/emphasis.txt" --rules "$beam" --format json --output "{report}"
expect_status 2
expect_stderr "$ev/emphasis.txt: 2097152 bytes is over the Markdown size cap"

# --- The limit options (rbaudit(1), LIMITS): a refusal names the option
# that sets the cap, and raising a cap is what lets an input through.
probe 60 check "$ev/deep.json" --rules "$beam" --format json --output "{report}" --max-json-depth 2048
expect_status 2
expect_stderr "--max-json-depth"
probe 60 check "$ev/forged.tgz" --rules "$byteor" --format json --output "{report}" --max-json-depth 2
expect_status 2
expect_stderr "$ev/forged.tgz!manifest.json:1: invalid JSON: nested deeper than 2 levels, at 'artifacts.0' (the --max-json-depth limit)"
probe 60 check "$ev/deep.json" --rules "$beam" --format json --max-json-depth 2049
expect_status 2
expect_stderr "--max-json-depth 2049: expected a whole number from 1 to 2048"
probe 60 check "$ev/brackets.md" --rules "$beam" --format json --output "{report}" --max-input-size 1M
expect_status 2
expect_stderr "$ev/brackets.md: "
expect_stderr "--max-input-size"
# Raised, the ratio cap lets the bomb be read: its 50 MB member is then
# refused as what it is (no JSON), in memory.
probe 60 check "$ev/bomb.tgz" --rules "$byteor" --format json --output "{report}" --max-archive-ratio 2000
expect_status 2
expect_stderr "$ev/bomb.tgz!zeros.json:1:"
printf '<?xml version="1.0"?>\n<!DOCTYPE testsuites [\n <!ENTITY v "1.0.0">\n]>\n%s\n   <failure message="release &v;">x</failure>\n%s\n' \
    "$junit_case" "$junit_end" >"$work/internal.xml"
probe 60 check "$work/internal.xml" --rules "$beam" --format json --output "{report}"
expect_status 2
expect_stderr "$work/internal.xml:2: the DOCTYPE declares 1 entity, over the --max-xml-entities limit of 0"
probe 60 check "$work/internal.xml" --rules "$beam" --format json --output "{report}" --max-xml-entities 1
expect_status 0
expect_json '[.inputs[].kind]' '["junit"]'

done_testing
