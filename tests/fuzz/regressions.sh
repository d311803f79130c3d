# regressions.sh — every fuzz target runs once on each of its seeds and on
# every input a fuzzer once found a bug with (tests/fuzz/regressions/TARGET/),
# under the build's sanitizers: the harness keeps working and a fixed bug
# stays fixed.  FUZZ_BIN is the directory of the built targets.
. "$TOP_SRCDIR/tests/e2e/lib.sh"
: "${FUZZ_BIN:?FUZZ_BIN must name the directory of the fuzz targets}"

sh tests/fuzz/seeds.sh "$TOP_SRCDIR" "$tmp/seeds" "$RBAUDIT" || fail "seeds.sh failed"
for target in $FUZZ_TARGETS; do
    set -- "$tmp/seeds/$target"/*
    [ -e "$1" ] || fail "fuzz_$target has no seeds"
    n_seeds=$#
    [ -d "tests/fuzz/regressions/$target" ] && set -- "$@" "tests/fuzz/regressions/$target"/*
    last="fuzz_$target on $# inputs"
    "$FUZZ_BIN/fuzz_$target" "$@" >"$tmp/out" 2>"$tmp/err"
    status=$?
    checks=$((checks + 1))
    [ "$status" -eq 0 ] || fail "fuzz_$target exits $status on its seeds or regressions"
    ! grep -q 'Sanitizer\|runtime error' "$tmp/err" || fail "fuzz_$target: sanitizer report"
    echo "fuzz_$target: $n_seeds seeds, $(($# - n_seeds)) regressions"
done
done_testing
