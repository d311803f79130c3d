#!/bin/sh
# Builds the drill's SQLite ledgers from their SQL into DIR (default: the
# current directory): no binary database is kept in git.
#   beam-directory.db, beam-bus.sqlite     the backups
#   restore/beam-directory.db              the drill's restore (it differs)
#   restore/beam-bus.sqlite                the drill's restore (it matches)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-.}
mkdir -p "$out/restore"
for db in "$out/beam-directory.db" "$out/beam-bus.sqlite" "$out/restore/beam-directory.db" \
          "$out/restore/beam-bus.sqlite"; do
    rm -f "$db"
done
sqlite3 "$out/beam-directory.db" < "$here/beam-directory.sql"
sqlite3 "$out/beam-bus.sqlite" < "$here/beam-bus.sql"
cat "$here/beam-directory.sql" "$here/restore-directory.sql" | sqlite3 "$out/restore/beam-directory.db"
sqlite3 "$out/restore/beam-bus.sqlite" < "$here/beam-bus.sql"
