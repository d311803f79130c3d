#!/bin/sh
# make-bundle.sh OUTDIR — packs bundle/ into OUTDIR/inc-2026-0414-orders.tar.gz,
# the archive the operator replayed from; no tarball is kept in git.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: make-bundle.sh OUTDIR}
mkdir -p "$out"
tar -C "$here/bundle" -czf "$out/inc-2026-0414-orders.tar.gz" \
    manifest.json spec_validation.json policy_audit.json environment.json lane_graph_state.json \
    replay_audit.json trace.jsonl
