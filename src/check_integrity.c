/*
 * check_integrity.c — `integrity: {}`: what a pack says about incident
 * bundles that are not what their manifest says.
 *
 * rbaudit verifies every bundle against its manifest itself and reports
 * each unsafe, missing, altered or unlisted member once, as the built-in
 * RBA-INTEGRITY finding keyed by the member.  A pack rule that asserted the
 * same over the bundle document would report every such member a second
 * time.  So a rule of this kind makes no finding of its own: it gives the
 * built-in ones its runbook citation and remediation (the runbook's advice
 * on a bad bundle, where the reader meets the problem) and names itself in
 * their `explained_by`.  The first such rule of the run does; the
 * finding's severity stays error.
 */
#include <stdlib.h>
#include <string.h>

#include "check_kind.h"
#include "util.h"

static rb_code integrity_compile(rb_rule *rule, const rb_check_src *src, rb_error *err)
{
    (void)rule;
    if (!json_is_object(src->spec) || json_object_size(src->spec) != 0)
        return rb_rule_error(&src->at, NULL, err, "the check takes no keys (expected integrity: {})");
    return RB_OK;
}

static void integrity_explain(const rb_rule *rule, rb_finding *f)
{
    if (strcmp(f->rule_id, "RBA-INTEGRITY") != 0 || json_object_get(f->extra, "explained_by"))
        return;
    free(f->runbook);
    free(f->remediation);
    f->runbook = rule->runbook ? rb_xstrdup(rule->runbook) : NULL;
    f->remediation = rule->remediation ? rb_xstrdup(rule->remediation) : NULL;
    json_object_set_new(f->extra, "explained_by", json_string(rule->id));
}

const rb_check_kind rb_check_integrity = {
    .name = "integrity",
    .compile = integrity_compile,
    .explain = integrity_explain,
};
