#!/bin/sh
# make-repo.sh OUTDIR — builds the git history the git walk tests read: a
# config repository whose commits change YAML and JSON leaves at depth,
# reorder keyed and unkeyed lists, rename a file, break a file and fix it,
# and merge a branch with a change of the merge's own.  Tags: `start` (the
# first commit), `end` (the merge); branch `other` has an unrelated root.
set -eu
out=${1:?usage: make-repo.sh OUTDIR}
rm -rf "$out"
mkdir -p "$out"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME="Test Author" GIT_AUTHOR_EMAIL="author@example.invalid"
export GIT_COMMITTER_NAME="Test Author" GIT_COMMITTER_EMAIL="author@example.invalid"
cd "$out"
git init -q -b main .
day=0
commit() {
    day=$((day + 1))
    GIT_AUTHOR_DATE="2026-05-$(printf %02d $day)T10:00:00Z" GIT_COMMITTER_DATE="2026-05-$(printf %02d $day)T10:00:00Z" \
        git commit -q "$@"
}
mkdir conf
cat >conf/app.yaml <<'X'
a:
  b:
    c:
      d: 1
  x: gone soon
  flag: false
services:
  - {name: api, port: 8080}
  - {name: worker, port: 9090}
steps:
  - {run: build}
  - {run: test}
tags: [blue, green]
X
printf '{\n  "limits": {\n    "cpu": 2,\n    "mem": "1Gi"\n  }\n}\n' >conf/settings.json
printf 'level: info\nsink: stdout\n' >conf/old-name.yaml
printf 'not config\n' >notes.txt
git add -A && commit -m "initial config" && git tag start

sed -i 's/      d: 1/      d: 2/; s/^  x: gone soon$//; s/^  flag: false$/  flag: false\n  e: new/' conf/app.yaml
sed -i 's/"cpu": 2/"cpu": 4/' conf/settings.json
git add -A && commit -m "deep changes"

cat >conf/app.yaml <<'X'
a:
  b:
    c:
      d: 2
  flag: false
  e: new
services:
  - {name: worker, port: 9090}
  - {name: api, port: 8081}
steps:
  - {run: test}
  - {run: build}
tags: [blue, green]
X
git add -A && commit -m "reorder lists"

git mv conf/old-name.yaml conf/new-name.yaml
sed -i 's/level: info/level: debug/' conf/new-name.yaml
git add -A && commit -m "rename logging config"

printf 'a: [unclosed\n' >conf/broken.yaml
cp conf/app.yaml conf/app.yaml.good
printf 'a:\n  b: [unclosed\n' >conf/app.yaml
git add conf/app.yaml && commit -m "break app config"

cp conf/app.yaml.good conf/app.yaml && rm conf/app.yaml.good conf/broken.yaml
sed -i 's/      d: 2/      d: 3/' conf/app.yaml
git add -A && commit -m "fix app config"

git checkout -q -b feature
sed -i 's/"mem": "1Gi"/"mem": "2Gi"/' conf/settings.json
git add -A && commit -m "feature: more memory"

git checkout -q main
sed -i 's/  flag: false/  flag: true/' conf/app.yaml
git add -A && commit -m "main: flag on"

day=$((day + 1))
GIT_AUTHOR_DATE="2026-05-$(printf %02d $day)T10:00:00Z" GIT_COMMITTER_DATE="2026-05-$(printf %02d $day)T10:00:00Z" \
    git merge -q --no-ff --no-commit feature >/dev/null
printf '  merged: true\n' >>conf/app.yaml
sed -i 's/^  merged: true$//' conf/app.yaml
sed -i 's/^  e: new$/  e: new\n  merged: true/' conf/app.yaml
git add -A && commit -m "merge feature"
git tag end

git checkout -q --orphan other
git rm -q -rf .
printf 'x: 1\n' >unrelated.yaml
git add -A && commit -m "unrelated root"
git checkout -q main
