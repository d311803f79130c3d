# ci_templates.sh — the CI templates run their own commands against the
# beampipe sample repository, as the CI systems would: the GitHub action's
# gate step (SARIF, step summary, status output), the GitLab job's script
# (JUnit and Code Quality artifacts) and the pre-commit hooks.
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
expect_stdout "14 findings: 8 errors, 0 warnings, 6 notes"
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
expect_json '[length, ([.[].check_name] | unique | length)]' '[14,8]'

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
cd "$tmp/mr"
sed -i 's/max_queued: 20/max_queued: 40/' config/wallaby_hires.v1.yaml
run_hook rbaudit-gate config/wallaby_hires.v1.yaml
expect_status 0
expect_stdout "[automation.caps.max_queued] modify automation.caps.max_queued: Scheduler admission behavior changes"
checks=$((checks + 1))
[ ! -e .rbaudit-old ] || fail "the gate hook left its temporary file"
cd "$TOP_SRCDIR"

done_testing
