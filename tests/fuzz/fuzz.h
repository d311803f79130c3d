/*
 * fuzz.h — what the libFuzzer targets (tests/fuzz/fuzz_*.c) share: the
 * fuzzer's bytes written as a file under the name a user would give it,
 * the shipped packs loaded once, and an audit of one input the way
 * `rbaudit check` makes it (load, one engine pass, every report format).
 *
 * Bad input is normal input: an input or rule error is the expected answer
 * to most of what a fuzzer makes.  An internal error (exit status 3) is
 * not, so the harness aborts on one and libFuzzer keeps the input.
 */
#ifndef RB_FUZZ_H
#define RB_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "evidence.h"
#include "finding.h"
#include "json_stream.h"
#include "pack.h"

/* Writes data to the file `name` (it may hold directories) in this
 * process's scratch directory, made on first use and removed at exit.
 * Returns its path, owned by the caller. */
char *fuzz_file(const char *name, const uint8_t *data, size_t size);

/* One of names, chosen by the input's size, so that the fuzzer reaches the
 * rules that select inputs by file name without spending input bytes. */
const char *fuzz_pick(const char *const *names, size_t n_names, size_t size);

/* The rules of every shipped pack, loaded on first use.  A pack that fails
 * to load aborts: the harness is broken, not the input. */
const rb_ruleset *fuzz_shipped_rules(void);

/* A shipped file of the source tree (e.g. "rules/beam/tests/acl.jsonl");
 * owned by the caller. */
char *fuzz_source_path(const char *relative);

/* Aborts when rc is RB_EINTERNAL: what untrusted bytes may cause is an
 * input or rule error (exit 2), never an internal one (exit 3).  With
 * FUZZ_VERBOSE set in the environment, prints every error, to see how
 * far inputs get. */
void fuzz_expect_no_internal_error(rb_code rc, const rb_error *err);

/* Writes the reports of every format for the findings over ev, with
 * replay's section when not NULL, to a sink. */
void fuzz_write_reports(const rb_ruleset *rules, const rb_evidence *ev, const rb_findings *findings,
                        const json_t *replay, const rb_json_streams *streams);

/* Audits the input at path (read as kind, or by its name when NULL) with
 * rules as `check` does, `--lenient` when lenient: loads it into ev and
 * appends the findings of one engine pass to findings. */
rb_code fuzz_audit(const rb_ruleset *rules, const char *path, const char *kind, bool lenient, rb_evidence *ev,
                   rb_findings *findings);

/* Audits path with the shipped rules and writes every report format to a
 * sink.  Frees everything it made. */
void fuzz_audit_path(const char *path, bool lenient);

/* The body of most targets: writes data as one of names (fuzz_pick), then
 * audits it with the shipped rules, `--lenient` for every other size, and
 * writes every report format to a sink.  Frees everything it made. */
void fuzz_audit_bytes(const char *const *names, size_t n_names, const uint8_t *data, size_t size);

/* Runs `rbaudit bundle inspect` on the bundle at path, its report written
 * to a scratch file. */
void fuzz_inspect_bundle(const char *path);

/* Runs `rbaudit replay` of trace through model (a file or a shipped
 * model's name), with the what-if patch when not NULL; the findings are
 * written in every report format. */
void fuzz_replay(const char *trace, const char *model, const char *what_if);

/* libFuzzer's entry point, which each target defines. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
