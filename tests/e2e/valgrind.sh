# valgrind.sh — every corpus (corpora/run-corpus.sh) and a replay run under
# valgrind's memcheck with --leak-check=full: no invalid access, no use of
# uninitialised memory, no leak, and the same findings and exit status as
# without it.  Valgrind cannot run a sanitized binary, so a build with
# --enable-sanitizers skips this test; `make distcheck`, which ci/test runs,
# builds without them and runs it.
. "$(dirname "$0")/lib.sh"

if [ -n "${RB_SANITIZERS:-}" ]; then
    echo "skip: a sanitized build (valgrind runs in distcheck's plain build)"
    exit 77
fi
if ! command -v valgrind >/dev/null 2>&1; then
    [ -n "${CI:-}" ] && fail "valgrind is not installed (ci/install-deps installs it)"
    echo "skip: no valgrind"
    exit 77
fi

# Memcheck's own errors exit 99, apart from rbaudit's 0-3; the log keeps
# them.
cat >"$tmp/rbaudit-memcheck" <<WRAP
#!/bin/sh
exec valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect,possible \\
    --soname-synonyms=somalloc=*jemalloc* --error-exitcode=99 --log-file="$tmp/memcheck.%p.log" "$RBAUDIT" "\$@"
WRAP
chmod +x "$tmp/rbaudit-memcheck"

for expected in corpora/*/*/expected.json; do
    corpus=$(dirname "$expected")
    RBAUDIT="$tmp/rbaudit-memcheck" JQ=$JQ sh corpora/run-corpus.sh "$corpus" >"$tmp/found.json" 2>"$tmp/err"
    checks=$((checks + 1))
    for log in "$tmp"/memcheck.*.log; do
        [ -s "$log" ] && fail "$corpus: memcheck reports errors:
$(head -60 "$log")"
    done
    rm -f "$tmp"/memcheck.*.log
    "$JQ" -S '{status, findings}' "$expected" >"$tmp/want.json"
    "$JQ" -S . "$tmp/found.json" >"$tmp/got.json" 2>/dev/null
    cmp -s "$tmp/want.json" "$tmp/got.json" ||
        fail "$corpus: under valgrind the findings differ from expected.json:
$(diff "$tmp/want.json" "$tmp/got.json" | head -20)
$(cat "$tmp/err")"
done

# Replay: the model, the trace, the simulator and a what-if patch.
last="replay under memcheck"
"$tmp/rbaudit-memcheck" replay replay/scenarios/beam-bus/fixed-acl.jsonl --model beam-bus \
    --what-if replay/scenarios/beam-bus/fixed-acl.patch.yaml --format json >"$tmp/out" 2>"$tmp/err"
status=$?
checks=$((checks + 1))
[ "$status" -le 1 ] || fail "replay under memcheck exits $status"
for log in "$tmp"/memcheck.*.log; do
    [ -s "$log" ] && fail "replay: memcheck reports errors:
$(head -60 "$log")"
done
done_testing
