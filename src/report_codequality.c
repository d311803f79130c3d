/*
 * report_codequality.c — GitLab's Code Quality report (a JSON array of
 * issues: description, check_name, fingerprint, severity, location with a
 * path and a begin line), so that merge requests show the findings inline.
 * Suppressed findings are left out, as GitLab has no place for them.  A
 * finding with no file line is placed at line 1 of its input (or of ".").
 */
#include "report.h"

static const char *gitlab_severity(rb_severity sev)
{
    return sev == RB_SEV_ERROR ? "critical" : sev == RB_SEV_WARNING ? "major" : "info";
}

static rb_code write_codequality(const rb_report *rep, const rb_report_style *style, FILE *out, rb_error *err)
{
    (void)style;
    json_t *issues = json_array();
    for (size_t i = 0; i < rep->findings->n; i++) {
        const rb_finding *f = rep->findings->items[i];
        const rb_origin *o = f->n_origins ? &f->origins[0] : NULL;
        json_array_append_new(
            issues, json_pack("{s:s, s:s, s:s, s:s, s:s, s:[s], s:{s:s, s:{s:I}}}", "type", "issue", "description",
                              f->message ? f->message : f->rule_id, "check_name", f->rule_id, "fingerprint",
                              f->fingerprint, "severity", gitlab_severity(f->severity), "categories", "Compliance",
                              "location", "path", o ? o->input->path : ".", "lines", "begin",
                              (json_int_t)(o && o->line ? o->line : 1)));
    }
    int rc = json_dumpf(issues, out, JSON_INDENT(2));
    json_decref(issues);
    if (rc != 0 || fputc('\n', out) == EOF)
        return rb_error_set(err, RB_EINTERNAL, "cannot write the Code Quality report");
    return RB_OK;
}

const rb_reporter rb_reporter_codequality = {
    .name = "codequality",
    .write = write_codequality,
};
