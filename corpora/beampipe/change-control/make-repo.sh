#!/bin/sh
# make-repo.sh OUTDIR — builds the beampipe config repository of this
# corpus in OUTDIR (replacing it) from commits/: each commit directory holds
# `message` (the commit message), `date` (author and committer date, RFC
# 3339), and either a `tree/` of files to copy in or `edit.sh`, run in the
# work tree (sed edits, git mv).  The first commit is tagged `base`, so
# `--range base..HEAD` is the change under review.  Nothing here depends on
# the user's git configuration.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: make-repo.sh OUTDIR}
rm -rf "$out"
mkdir -p "$out"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME="Wallaby Ops" GIT_AUTHOR_EMAIL="ops@wallaby.invalid"
export GIT_COMMITTER_NAME="Wallaby Ops" GIT_COMMITTER_EMAIL="ops@wallaby.invalid"
cd "$out"
git init -q -b main .
for commit in "$here"/commits/*/; do
    if [ -d "$commit/tree" ]; then
        cp -R "$commit/tree/." .
    fi
    if [ -f "$commit/edit.sh" ]; then
        sh -eu "$commit/edit.sh"
    fi
    git add -A
    date=$(cat "$commit/date")
    GIT_AUTHOR_DATE=$date GIT_COMMITTER_DATE=$date git commit -q -F "$commit/message"
    if ! git rev-parse -q --verify refs/tags/base >/dev/null; then
        git tag base
    fi
done
