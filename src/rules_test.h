/*
 * rules_test.h — `rbaudit rules test`: running a pack's fixtures and
 * comparing the findings with what the fixtures expect (SPEC §4 "Rule
 * tests").
 *
 * A pack is a directory of rule files with a `tests/` directory of evidence
 * fixtures.  In a JSON Lines fixture, an event line with a field
 * `"_expect": "RULE-ID"` (or a list of ids) expects a finding of that rule
 * placed on that line; a sidecar `FIXTURE.expect` lists further expected
 * findings, one `RULE-ID LINE` per line (`-` for a finding with no line;
 * `#` starts a comment).  Only the pack's own rules count, and a fixture
 * tests/NAME.* that has a rule file NAME.yaml beside tests/ tests only the
 * rules of that file.
 */
#ifndef RB_RULES_TEST_H
#define RB_RULES_TEST_H

#include <stdio.h>

#include "error.h"

/* Runs the packs at path (a pack, or a directory of packs), printing one
 * line per pack and a diff for each fixture that fails ("- RULE file:line"
 * missing, "+ RULE file:line" unexpected).  *failed counts the
 * fixtures that failed.  Errors (unreadable rules or fixtures) stop. */
rb_code rb_rules_test(const char *path, FILE *out, size_t *failed, rb_error *err);

#endif
