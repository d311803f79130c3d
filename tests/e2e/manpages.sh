# manpages.sh — rbaudit(1) and rbaudit-rules(5) render without warnings and
# agree with --help (every command and every option it shows is in the
# page); the bash completion offers commands, options and their values.
. "$(dirname "$0")/lib.sh"

for page in doc/rbaudit.1 doc/rbaudit-rules.5; do
    checks=$((checks + 1))
    if command -v groff >/dev/null 2>&1; then
        groff -man -ww -z "$page" 2>"$tmp/warnings" || fail "groff cannot render $page"
        [ ! -s "$tmp/warnings" ] || { cat "$tmp/warnings" >&2; fail "$page renders with warnings"; }
    fi
done

# Every command of `rbaudit --help` has an entry in COMMANDS.
run --help
expect_status 0
for command in $(sed -n 's/^  \([a-z]*\)  .*/\1/p' "$tmp/out"); do
    checks=$((checks + 1))
    grep -q "^\.B $command" doc/rbaudit.1 || fail "rbaudit(1) has no entry for the command '$command'"
done

# Every option that a command's --help shows is in rbaudit(1).
for command in check gate replay diff bundle rules; do
    run "$command" --help
    expect_status 0
    for option in $(grep -o -- '--[a-z][a-z-]*' "$tmp/out" | sort -u); do
        checks=$((checks + 1))
        roff=$(printf '%s' "$option" | sed 's/-/\\\\-/g')
        grep -q -- "$roff" doc/rbaudit.1 || fail "'rbaudit $command --help' shows $option, rbaudit(1) does not"
    done
done

# Every format and kind the program knows is named in the page.
run check --help
for name in $(sed -n 's/.*report format: \(.*\) (default text)/\1/p' "$tmp/out" | tr -d ','); do
    checks=$((checks + 1))
    grep -q "^\.B $name\$" doc/rbaudit.1 || fail "rbaudit(1) does not describe --format $name"
done

# The bash completion, driven as bash-completion drives it.
completion=/usr/share/bash-completion/bash_completion
if [ -r "$completion" ] && command -v bash >/dev/null 2>&1; then
    cat >"$tmp/complete.bash" <<'X'
. /usr/share/bash-completion/bash_completion
. ./completions/rbaudit
words() {
    COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    COMPREPLY=(); _rbaudit rbaudit "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '; echo
}
words rbaudit g
words rbaudit check --fo
words rbaudit gate --format s
words rbaudit check --fail-on n
words rbaudit rules t
words rbaudit bundle ''
words rbaudit check --kind g
words rbaudit replay --what
words rbaudit replay t.jsonl --model platform
X
    bash "$tmp/complete.bash" >"$tmp/out" 2>"$tmp/err"
    checks=$((checks + 1))
    [ "$(cat "$tmp/out")" = "gate 
--format 
sarif 
never note 
test 
inspect verify 
git= 
--what-if 
platform-edge " ] || fail "unexpected completions: $(cat "$tmp/out")"
fi

done_testing
