/*
 * baseline.c — reading a baseline report and suppressing what it already
 * holds (baseline.h).
 */
#include "baseline.h"

#include <stdlib.h>
#include <string.h>

#include "input_limits.h"
#include "util.h"

#define MAX_BASELINE_BYTES ((size_t)256 << 20)

struct rb_baseline {
    json_t *fingerprints; /* object used as a set */
};

void rb_baseline_free(rb_baseline *b)
{
    if (!b)
        return;
    json_decref(b->fingerprints);
    free(b);
}

static rb_code collect(const char *path, const json_t *list, const char *member, json_t *set, rb_error *err)
{
    if (!json_is_array(list))
        return rb_error_set(err, RB_EINPUT, "%s: '%s' is not a list (expected an rbaudit JSON report)", path,
                            member);
    size_t i;
    json_t *f;
    json_array_foreach(list, i, f) {
        const char *fp = json_string_value(json_object_get(f, "fingerprint"));
        if (!fp)
            return rb_error_set(err, RB_EINPUT, "%s: %s[%zu] has no 'fingerprint' (expected an rbaudit JSON report)",
                                path, member, i);
        json_object_set_new(set, fp, json_true());
    }
    return RB_OK;
}

rb_code rb_baseline_load(const char *path, rb_baseline **out, rb_error *err)
{
    *out = rb_xcalloc(1, sizeof **out);
    (*out)->fingerprints = json_object();
    unsigned char *data;
    size_t len;
    rb_code rc = rb_read_file(path, MAX_BASELINE_BYTES, &data, &len, err);
    if (rc)
        return rc;
    json_error_t e;
    json_t *report = rb_json_parse((const char *)data, len, 0, &e);
    free(data);
    if (!report)
        return rb_error_set(err, RB_EINPUT, "%s:%d: invalid JSON: %s (expected an rbaudit JSON report)", path,
                            e.line, e.text);
    const char *schema = json_string_value(json_object_get(report, "schema"));
    if (!schema || strcmp(schema, "rbaudit-report/1") != 0)
        rc = rb_error_set(err, RB_EINPUT, "%s: not an rbaudit report (expected \"schema\": \"rbaudit-report/1\")",
                          path);
    const char *scheme = json_string_value(json_object_get(report, "fingerprints"));
    if (!rc && (!scheme || strcmp(scheme, RB_FINGERPRINT_SCHEME) != 0))
        rc = rb_error_set(err, RB_EINPUT,
                          "%s: its fingerprints are %s%s%s, not \"%s\" (which do not depend on how or from where "
                          "the inputs were named): write the baseline again with this version", path,
                          scheme ? "\"" : "", scheme ? scheme : "those of an earlier rbaudit (rbaudit/v1)",
                          scheme ? "\"" : "", RB_FINGERPRINT_SCHEME);
    if (!rc)
        rc = collect(path, json_object_get(report, "findings"), "findings", (*out)->fingerprints, err);
    if (!rc)
        rc = collect(path, json_object_get(report, "suppressed"), "suppressed", (*out)->fingerprints, err);
    json_decref(report);
    return rc;
}

size_t rb_baseline_apply(const rb_baseline *b, rb_findings *findings, rb_findings *suppressed)
{
    size_t kept = 0, moved = 0;
    for (size_t i = 0; i < findings->n; i++) {
        rb_finding *f = findings->items[i];
        if (!json_object_get(b->fingerprints, f->fingerprint)) {
            findings->items[kept++] = f;
            continue;
        }
        json_object_set_new(f->extra, "suppressed_by", json_pack("{s:s}", "kind", "baseline"));
        rb_findings_add(suppressed, f);
        moved++;
    }
    findings->n = kept;
    return moved;
}
