# ci_templates.sh — the CI templates run their own commands against the
# beampipe sample repository, as the CI systems would: the GitHub action's
# gate step (SARIF, step summary, status output), the GitLab job's script
# (JUnit and Code Quality artifacts) and the pre-commit hooks (the gate
# hook on every staged file: a new config file leaf by leaf, a file no rule
# reads as a note, nothing written into the work tree, its temporary file
# removed on exit and on a signal).
. "$(dirname "$0")/lib.sh"

PATH=$(dirname "$RBAUDIT"):$PATH
export PATH
evidence="$TOP_SRCDIR/corpora/beampipe/change-control/evidence"

# The sample repository as a merge request sees it: a clone whose origin
# has the target branch `target` at the base commit.
sh corpora/beampipe/change-control/make-repo.sh "$tmp/origin"
git -C "$tmp/origin" branch -q target base
git clone -q "$tmp/origin" "$tmp/mr"

# --- GitHub: the "Gate the pull request" step's script ---------------------
awk '/^    - name: Gate the pull request/ { in_step = 1 }
     in_step && /^      run: \|/ { in_run = 1; next }
     in_run && /^    - name:/ { exit }
     in_run { sub(/^        /, ""); print }' ci/github/action.yml >"$tmp/gh-gate.sh"
grep -q 'rbaudit gate' "$tmp/gh-gate.sh" || fail "cannot find the gate step in ci/github/action.yml"
(cd "$tmp/mr" && env GITHUB_BASE_REF=target RBAUDIT_RANGE= RBAUDIT_EVIDENCE="$evidence" RBAUDIT_PACKS="--pack beampipe" \
    RBAUDIT_FAIL_ON=error RBAUDIT_SARIF="$tmp/gh.sarif" GITHUB_STEP_SUMMARY="$tmp/summary.md" \
    GITHUB_OUTPUT="$tmp/gh-output" bash -e "$tmp/gh-gate.sh" >"$tmp/out" 2>"$tmp/err")
status=$?
last="ci/github/action.yml gate step"
expect_status 0
expect_stdout "15 findings: 8 errors, 0 warnings, 7 notes"
checks=$((checks + 1))
grep -qx 'status=1' "$tmp/gh-output" || fail "the action's status output is not 1"
grep -q '^| error | `BP-CC-001` Field maps changed |' "$tmp/summary.md" || fail "no step summary table"
expect_valid sarif "$tmp/gh.sarif"

# --- GitLab: the job's script lines ---------------------------------------
awk '/^  script:/ { in_script = 1; next }
     in_script && /^  [a-z_]+:/ { exit }
     in_script { sub(/^    - /, ""); print }' ci/gitlab/rbaudit.gitlab-ci.yml >"$tmp/gl-script.sh"
grep -q 'rbaudit gate' "$tmp/gl-script.sh" || fail "cannot find the script of ci/gitlab/rbaudit.gitlab-ci.yml"
(cd "$tmp/mr" && env CI_MERGE_REQUEST_TARGET_BRANCH_NAME=target RBAUDIT_PACKS="--pack beampipe" \
    RBAUDIT_EVIDENCE="$evidence" sh -c 'while IFS= read -r line; do sh -c "$line" || exit $?; done' <"$tmp/gl-script.sh" \
    >"$tmp/out" 2>"$tmp/err")
status=$?
last="ci/gitlab/rbaudit.gitlab-ci.yml script"
expect_status 1
expect_stdout "error BP-CC-006 DALiuGE graphs changed"
expect_valid junit "$tmp/mr/rbaudit-junit.xml"
cp "$tmp/mr/gl-code-quality-report.json" "$tmp/out"
expect_json '[length, ([.[].check_name] | unique | length)]' '[15,9]'

# --- pre-commit: each hook's entry, with the file names pre-commit passes --
entry() {
    awk -v id="$1" '$0 == "- id: " id { found = 1; next }
                    found && /^- id:/ { exit }
                    found && /^  entry: / { sub(/^  entry: /, ""); print; exit }' "$TOP_SRCDIR/.pre-commit-hooks.yaml"
}
run_hook() {
    hook=$1
    shift
    last="pre-commit hook $hook"
    cmd=$(entry "$hook")
    [ -n "$cmd" ] || fail "no entry for $hook in .pre-commit-hooks.yaml"
    eval "$cmd \"\$@\"" >"$tmp/out" 2>"$tmp/err"
    status=$?
}
run_hook rbaudit-rules-lint rules/beampipe/change-control.yaml
expect_status 0
run_hook rbaudit-rules-test
expect_status 0
expect_stdout "rules/beampipe: 15 rules"
# The gate hook, on what pre-commit would pass: every staged file.  A
# stand-in rbaudit first notes what the work tree holds while the hook runs
# (and with HOOK_KILL, sends the hook SIGTERM); TMPDIR shows where the
# hook's temporary file went and that it is gone.
mkdir "$tmp/wrap" "$tmp/hook-tmp"
cat >"$tmp/wrap/rbaudit" <<X
#!/bin/sh
git status --porcelain --untracked-files=all --ignored >>"$tmp/during"
[ -z "\${HOOK_KILL:-}" ] || kill -TERM \$PPID
exec "$RBAUDIT" "\$@"
X
chmod +x "$tmp/wrap/rbaudit"
saved_path=$PATH
PATH=$tmp/wrap:$PATH TMPDIR=$tmp/hook-tmp
export PATH TMPDIR
cd "$tmp/mr"
sed -i 's/max_queued: 20/max_queued: 40/' config/wallaby_hires.v1.yaml
printf 'field_maps:\n  ra: RA_DEG\n  dec: DEC_DEG\n' >config/new_project.yaml
printf 'More notes.\n' >>README.md
git add config README.md
git status --porcelain --untracked-files=all --ignored >"$tmp/before"
run_hook rbaudit-gate config/wallaby_hires.v1.yaml config/new_project.yaml README.md
expect_status 0
expect_stdout "[automation.caps.max_queued] modify automation.caps.max_queued: Scheduler admission behavior changes"
# a new file has no committed revision: each leaf is added
expect_stdout "[field_maps.ra] add field_maps.ra: Prepared metadata shape and signatures may change"
expect_stdout "[field_maps.dec] add field_maps.dec: Prepared metadata shape and signatures may change"
expect_stdout "[README.md] README.md changed, but no rule reads it: it matches none of the config globs"
checks=$((checks + 4))
[ "$(grep -c . "$tmp/during")" -gt 0 ] || fail "the stand-in rbaudit did not run"
! grep -v -x -F -f "$tmp/before" "$tmp/during" >"$tmp/new-files" || fail "the gate hook wrote into the work tree: $(cat "$tmp/new-files")"
[ -z "$(ls -A "$tmp/hook-tmp")" ] || fail "the gate hook left its temporary file: $(ls -A "$tmp/hook-tmp")"
# a config file rbaudit cannot gate fails the hook (2), as before, and a
# signal ends it (2); neither leaves the temporary file, nor touches a
# file of the work tree that has the name the hook once used
printf 'mine\n' >.rbaudit-old
printf 'graphs: [\n' >config/broken.yaml
run_hook rbaudit-gate config/broken.yaml
expect_status 2
expect_stderr "config/broken.yaml:2:1: "
HOOK_KILL=1
export HOOK_KILL
run_hook rbaudit-gate config/wallaby_hires.v1.yaml README.md
unset HOOK_KILL
expect_status 2
checks=$((checks + 1))
[ -z "$(ls -A "$tmp/hook-tmp")" ] || fail "the gate hook left its temporary file on a signal: $(ls -A "$tmp/hook-tmp")"
[ "$(cat .rbaudit-old)" = mine ] || fail "the gate hook replaced a file of the work tree"
cd "$TOP_SRCDIR"
PATH=$saved_path
unset TMPDIR

done_testing
