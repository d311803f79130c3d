/*
 * triage.c — the triage verdict of an incident bundle (SPEC §3.2; ByteOr
 * Operator Flow, "4. Read artifacts in the right order"): the layers in
 * reading order, the first that fails, and the runbook's interpretation.
 *
 * An artifact fails on any of these signals (documented in rbaudit(1)):
 * a top-level `ok`, `valid`, `passed` or `verified` that is false; a
 * `status` or `posture` that says failure (fail, failed, error, invalid,
 * mismatch, unsupported, degraded, stalled, blocked); a non-empty `errors`,
 * `mismatches`, `failures`, `anomalies` or `violations` list; an
 * `approval.verified` that is false; an entry of `checks` whose status says
 * failure; an entry of `adapters` not `connected` or with
 * `recent_failures` above 0; `gating.blocked` true; an `execution.state`
 * that says failure.  A layer with no artifact is "missing" and does not
 * stop the reading; nor does one whose artifacts could not be verified
 * against the manifest ("unverified": missing from the bundle, altered or
 * unsafe), which the integrity check reports.
 */
#include "triage.h"

#include <stdlib.h>
#include <string.h>

#include "input_limits.h"
#include "util.h"

#define RUNBOOK "002_c18c20ab9c5ad65e.txt \xE2\x80\xBA 4. Read artifacts in the right order"

typedef struct layer {
    const char *name;
    const char *const *roles;   /* NULL-terminated; NULL: every other role (product) */
    const char *interpretation; /* the runbook's words for a failure here */
} layer;

static const char *const spec_roles[] = {"spec_validation", NULL};
static const char *const policy_roles[] = {"policy_audit", NULL};
static const char *const environment_roles[] = {"environment", NULL};
static const char *const snapshot_roles[] = {"snapshot", NULL};
/* Roles that are not read as a layer at all. */
static const char *const evidence_roles[] = {"trace", "ledger", "manifest", NULL};

static const layer layers[] = {
    {"spec", spec_roles, "spec-validation failure means you are not debugging runtime behavior yet"},
    {"policy", policy_roles, "policy-audit mismatch means the environment or approval posture is wrong"},
    {"environment", environment_roles,
     "environment mismatch means the host posture may differ from the assumed tuning contract"},
    {"snapshot", snapshot_roles, "snapshot anomalies point to lag, gating, adapter failures, or stalled execution state"},
    {"product", NULL, "product-specific artifacts (DataGuard reports, replay audits) explain the downstream "
                      "consequences"},
};
#define N_LAYERS (sizeof layers / sizeof layers[0])

/* Section 6 of the runbook: where to look first for each product. */
static const char *const product_focus[][2] = {
    {"byteor-edgeplane", "adapter snapshot entries: transport, connection_state, message_count, lag, recent_failures"},
    {"byteor-actiongraph", "policy audit plus approval verification outcome for http_post:* and exec:* stages"},
    {"byteor-dataguard", "DataGuard kv/v1 report fields under schema.*, policy.*, and counts.*"},
};

static const char *const failing_words[] = {"fail", "failed", "failure", "error", "invalid", "mismatch",
                                            "unsupported", "degraded", "stalled", "blocked", NULL};

static bool says_failure(const json_t *v)
{
    return json_is_string(v) && rb_str_in_list(json_string_value(v), failing_words);
}

/* Adds a reason (takes text). */
static void reason(json_t *reasons, char *text)
{
    json_array_append_new(reasons, json_string(text));
    free(text);
}

static const char *text_of(const json_t *v)
{
    if (json_is_string(v))
        return json_string_value(v);
    json_t *m = json_object_get(v, "message");
    return json_is_string(m) ? json_string_value(m) : "";
}

static void generic_signals(const json_t *doc, json_t *reasons)
{
    static const char *const flags[] = {"ok", "valid", "passed", "verified"};
    static const char *const lists[] = {"errors", "mismatches", "failures", "anomalies", "violations"};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (json_is_false(json_object_get(doc, flags[i])))
            reason(reasons, rb_xasprintf("%s is false", flags[i]));
    static const char *const states[] = {"status", "posture"};
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
        if (says_failure(json_object_get(doc, states[i])))
            reason(reasons, rb_xasprintf("%s is %s", states[i], json_string_value(json_object_get(doc, states[i]))));
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        const json_t *list = json_object_get(doc, lists[i]);
        if (json_array_size(list) > 0)
            reason(reasons, rb_xasprintf("%s: %s", lists[i], text_of(json_array_get(list, 0))));
    }
}

static void specific_signals(const json_t *doc, json_t *reasons)
{
    if (json_is_false(json_object_get(json_object_get(doc, "approval"), "verified")))
        reason(reasons, rb_xstrdup("approval is not verified"));
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(doc, "checks"), i, item)
        if (says_failure(json_object_get(item, "status")))
            reason(reasons, rb_xasprintf("check %s: %s", text_of(json_object_get(item, "name")),
                   json_string_value(json_object_get(item, "status"))));
    json_array_foreach(json_object_get(doc, "adapters"), i, item) {
        const json_t *state = json_object_get(item, "connection_state");
        const char *name = text_of(json_object_get(item, "name"));
        if (json_is_string(state) && strcmp(json_string_value(state), "connected") != 0)
            reason(reasons, rb_xasprintf("adapter %s: connection_state %s", name, json_string_value(state)));
        const json_t *failures = json_object_get(item, "recent_failures");
        if ((json_is_integer(failures) && json_integer_value(failures) > 0) || json_array_size(failures) > 0)
            reason(reasons, rb_xasprintf("adapter %s: recent failures", name));
    }
    if (json_is_true(json_object_get(json_object_get(doc, "gating"), "blocked")))
        reason(reasons, rb_xstrdup("gating is blocked"));
    if (says_failure(json_object_get(json_object_get(doc, "execution"), "state")))
        reason(reasons, rb_xasprintf("execution is %s",
                                      json_string_value(json_object_get(json_object_get(doc, "execution"), "state"))));
}

static bool in_layer(const layer *l, const char *role)
{
    if (l->roles)
        return rb_str_in_list(role, l->roles);
    for (size_t i = 0; i + 1 < N_LAYERS; i++)
        if (rb_str_in_list(role, layers[i].roles))
            return false;
    return !rb_str_in_list(role, evidence_roles);
}

/* Judges one layer from the artifacts that have its roles.  An artifact
 * that is missing, altered or unsafe is not judged: what it says cannot be
 * trusted, and its integrity problem is reported once, as such
 * (RBA-INTEGRITY), not again as a failure of its layer. */
static json_t *judge_layer(const layer *l, const rb_bundle *b)
{
    json_t *artifacts = json_array(), *reasons = json_array();
    size_t i, unverified = 0;
    json_t *a;
    json_array_foreach(json_object_get(b->manifest, "artifacts"), i, a) {
        const char *role = json_string_value(json_object_get(a, "role"));
        const char *path = json_string_value(json_object_get(a, "path"));
        if (!role || !in_layer(l, role))
            continue;
        json_array_append_new(artifacts, json_string(path));
        const rb_bundle_member *m = rb_bundle_find(b, path);
        if (!m || rb_bundle_problem_of(b, path)) {
            unverified++;
            continue;
        }
        json_t *doc = rb_json_parse((const char *)m->data, m->len, 0, NULL);
        if (!json_is_object(doc))
            reason(reasons, rb_xasprintf("%s is not a JSON object", path));
        else {
            generic_signals(doc, reasons);
            specific_signals(doc, reasons);
        }
        json_decref(doc);
    }
    const char *status = json_array_size(artifacts) == 0 ? "missing"
                         : json_array_size(reasons)   ? "fail"
                         : unverified                 ? "unverified"
                                                      : "pass";
    return json_pack("{s:s, s:s, s:o, s:o}", "layer", l->name, "status", status, "artifacts", artifacts, "reasons",
                     reasons);
}

json_t *rb_triage(const rb_bundle *b)
{
    json_t *judged = json_array(), *verdict = NULL;
    for (size_t i = 0; i < N_LAYERS; i++) {
        json_t *j = judge_layer(&layers[i], b);
        if (!verdict && strcmp(json_string_value(json_object_get(j, "status")), "fail") == 0)
            verdict = json_pack("{s:s, s:O, s:O, s:s}", "layer", layers[i].name, "artifacts",
                                json_object_get(j, "artifacts"), "reasons", json_object_get(j, "reasons"),
                                "interpretation", layers[i].interpretation);
        json_array_append_new(judged, j);
    }
    const char *product = json_string_value(json_object_get(b->manifest, "product"));
    json_t *focus = json_null();
    for (size_t i = 0; product && i < sizeof product_focus / sizeof product_focus[0]; i++)
        if (strcmp(product, product_focus[i][0]) == 0)
            focus = json_string(product_focus[i][1]);
    return json_pack("{s:o, s:o, s:o, s:s}", "verdict", verdict ? verdict : json_null(), "layers", judged,
                     "product_focus", focus, "runbook", RUNBOOK);
}

int rb_triage_rank(const char *role)
{
    for (size_t i = 0; i < N_LAYERS; i++)
        if (role && in_layer(&layers[i], role))
            return (int)i;
    if (role && strcmp(role, "trace") == 0)
        return (int)N_LAYERS;
    if (role && strcmp(role, "ledger") == 0)
        return (int)N_LAYERS + 1;
    return (int)N_LAYERS + 2;
}
