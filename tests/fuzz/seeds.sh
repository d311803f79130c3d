#!/bin/sh
# seeds.sh SRCDIR OUTDIR [RBAUDIT] — writes the seed inputs of every fuzz
# target to OUTDIR/<target>/: the shipped evidence of corpora/ and rules/,
# the replay models and scenarios, plus what cannot be kept in git as it is
# (SQLite ledgers from their SQL, bundles as tar and tgz archives, a JSON
# report as a baseline when RBAUDIT, a built rbaudit, is given).
set -eu
src=$(cd "$1" && pwd)
out=$2
rbaudit=${3:-}
mkdir -p "$out"
cd "$src"

# seed TARGET FILE...: copies each file, named after its path.
seed() {
    target=$1
    shift
    mkdir -p "$out/$target"
    for f in "$@"; do
        [ -f "$f" ] && cp "$f" "$out/$target/$(printf '%s' "$f" | tr '/' '_')"
    done
    return 0
}

seed jsonl $(find corpora rules -name '*.jsonl' | sort)
seed json $(find corpora rules -name '*.json' | sort)
seed yaml $(find corpora rules -path '*config/*.yaml' | sort) tests/fuzz/seeds/*.yaml
seed junit $(find corpora rules -name '*.xml' | sort)
seed markdown $(find corpora rules -name '*.md' | sort)
seed manifest $(find corpora rules -name manifest.json | sort)
seed rules $(find rules -maxdepth 2 -name '*.yaml' | sort)
seed model replay/models/*.yaml replay/scenarios/*/*.patch.yaml
seed trace replay/scenarios/*/*.jsonl
seed waivers tests/fuzz/seeds/waivers*.yaml

mkdir -p "$out/sqlite"
sh corpora/beam/recovery-drill/make-ledgers.sh "$out/ledgers" >/dev/null
for db in $(cd "$out/ledgers" && find . -type f | sort); do
    mv "$out/ledgers/$db" "$out/sqlite/drill-$(printf '%s' "${db#./}" | tr '/' '_')"
done
rm -rf "$out/ledgers"
for sql in rules/beam/tests/*.db.sql rules/beam/tests/clean/*.db.sql; do
    db="$out/sqlite/$(printf '%s' "$sql" | tr '/' '_').db"
    rm -f "$db"
    sqlite3 "$db" <"$sql"
done

# Archives are made reproducibly, so that the seeds are the same bytes on
# every machine.
mkdir -p "$out/bundle"
for dir in corpora/byteor/bundles/*/ rules/byteor/tests/*-bundle/ rules/byteor/tests/clean/bundle/; do
    name=$(printf '%s' "${dir%/}" | tr '/' '_')
    tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$dir" -cf "$out/bundle/$name.tar" .
    gzip -9n <"$out/bundle/$name.tar" >"$out/bundle/$name.tgz"
done

if [ -n "$rbaudit" ]; then
    for corpus in corpora/beam/incident-dead-letter corpora/platform/incident-route-gap; do
        "$rbaudit" check "$corpus" --format json --fail-on never \
            >"$out/waivers/baseline-$(basename "$corpus").json" 2>/dev/null || true
    done
fi
