# gen-repo.awk — a deterministic config repository for `make bench`, as a
# git fast-import stream.
#
# Usage: awk -v commits=N -f gen-repo.awk BASE_CONFIG.yaml | git fast-import
#
# The first commit adds BASE_CONFIG as config/wallaby_hires.v1.yaml (a
# beampipe project config) and a README, and is tagged `base`.  Then, in
# turn, a commit changes the discovery batch size, one changes the queue cap,
# and one rewrites the run notes in docs/ (no config change): the mix of a
# config repository's history that `rbaudit gate --range base..HEAD` audits.
# Dates are fixed (one commit an hour from 2026-03-01), so the same N gives
# the same commits.

function config(batch, queued,    i, out) {
    out = ""
    for (i = 1; i <= n_base; i++) {
        line = base[i]
        if (line ~ /^  batch_size: /) line = "  batch_size: " batch
        if (line ~ /^    max_queued: /) line = "    max_queued: " queued
        out = out line "\n"
    }
    return out
}

function file(path, text) {
    printf "M 100644 inline %s\ndata <<END_OF_FILE\n%sEND_OF_FILE\n", path, text
}

function commit(n, message) {
    printf "commit refs/heads/main\nmark :%d\n", n
    printf "author Wallaby Ops <ops@wallaby.invalid> %d +0000\n", 1772323200 + n * 3600
    printf "committer Wallaby Ops <ops@wallaby.invalid> %d +0000\n", 1772323200 + n * 3600
    printf "data <<END_OF_MESSAGE\n%s\nEND_OF_MESSAGE\n", message
    if (n > 1)
        printf "from :%d\n", n - 1
}

{ base[++n_base] = $0 }

END {
    if (commits < 1) {
        print "usage: awk -v commits=N -f gen-repo.awk BASE_CONFIG.yaml" > "/dev/stderr"
        exit 2
    }
    batch = 50; queued = 20
    commit(1, "Initial WALLABY config")
    file("config/wallaby_hires.v1.yaml", config(batch, queued))
    file("README.md", "# WALLABY config\n")
    printf "reset refs/tags/base\nfrom :1\n\n"
    for (n = 2; n <= commits; n++) {
        kind = n % 3
        if (kind == 0) {
            batch = 40 + n % 23
            commit(n, "Tune the discovery batch size to " batch)
            file("config/wallaby_hires.v1.yaml", config(batch, queued))
        } else if (kind == 1) {
            queued = 10 + n % 17
            commit(n, "Cap the queue at " queued)
            file("config/wallaby_hires.v1.yaml", config(batch, queued))
        } else {
            commit(n, "Note on run " n)
            file("docs/run-notes.md", "# Run notes\n\nRun " n " went as planned.\n")
        }
    }
}
