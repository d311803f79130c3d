/*
 * cmd_bundle.c — `rbaudit bundle verify|inspect BUNDLE`: a bundle's
 * integrity against its manifest, and its artifacts in the runbook's
 * reading order with the triage verdict (SPEC §3.2), in text or JSON.
 */
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "cli.h"
#include "commands.h"
#include "triage.h"
#include "util.h"

static void bundle_help(FILE *out)
{
    fprintf(out,
            "Usage: rbaudit bundle verify BUNDLE [--format text|json] [--output FILE]\n"
            "       rbaudit bundle inspect BUNDLE [--format text|json] [--output FILE]\n"
            "\n"
            "BUNDLE is a directory holding manifest.json, or a .tar, .tar.gz or .tgz archive\n"
            "(read in memory, never extracted).\n"
            "\n"
            "verify   checks every artifact's sha256 against the manifest and lists missing,\n"
            "         unlisted and unsafe members (absolute paths, '..', links out of the\n"
            "         bundle, devices, members over the size cap).\n"
            "inspect  lists the artifacts in the reading order of the ByteOr operator flow\n"
            "         (spec_validation, policy_audit, environment, snapshot, product artifacts,\n"
            "         trace, ledgers) and prints the triage verdict: the first layer that\n"
            "         fails and what the runbook says that means.\n"
            "\n"
            "Exit status: verify: 0 intact, 1 any problem; inspect: 0 no failing layer and\n"
            "no problem, 1 otherwise; 2 usage error or a bundle that cannot be read.\n");
}

/* The artifacts with their state, in reading order. */
static int compare_rank(const void *pa, const void *pb)
{
    const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    int ra = rb_triage_rank(json_string_value(json_object_get(a, "role")));
    int rb = rb_triage_rank(json_string_value(json_object_get(b, "role")));
    if (ra != rb)
        return ra < rb ? -1 : 1;
    return strcmp(json_string_value(json_object_get(a, "path")), json_string_value(json_object_get(b, "path")));
}

static json_t *artifacts_json(const rb_bundle *b)
{
    size_t n = 0, i;
    json_t *a, *manifest_list = json_object_get(b->manifest, "artifacts");
    json_t **items = rb_xcalloc(json_array_size(manifest_list) + 1, sizeof *items);
    json_array_foreach(manifest_list, i, a) {
        const char *path = json_string_value(json_object_get(a, "path"));
        const rb_bundle_member *m = rb_bundle_find(b, path);
        const rb_bundle_problem *problem = rb_bundle_problem_of(b, path);
        items[n++] = json_pack("{s:s, s:O, s:o, s:s}", "path", path, "role", json_object_get(a, "role") ?
                               json_object_get(a, "role") : json_null(), "bytes",
                               m ? json_integer((json_int_t)m->len) : json_null(), "state",
                               problem ? problem->kind : "ok");
    }
    qsort(items, n, sizeof *items, compare_rank);
    json_t *list = json_array();
    for (i = 0; i < n; i++)
        json_array_append_new(list, items[i]);
    free(items);
    return list;
}

/* Each problem once, under the rule `check` reports it as. */
static json_t *problems_json(const rb_bundle *b)
{
    json_t *list = json_array();
    for (size_t i = 0; i < b->n_problems; i++)
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s}", "rule", "RBA-INTEGRITY", "member",
                                              b->problems[i].member, "problem", b->problems[i].kind, "message",
                                              b->problems[i].message));
    return list;
}

static json_t *report_json(const rb_bundle *b, bool inspect)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:O, s:O, s:b, s:o}", "schema", "rbaudit-bundle/1", "bundle", b->path,
                          "sha256", b->sha256, "bytes", (json_int_t)b->bytes, "name",
                          json_object_get(b->manifest, "bundle") ? json_object_get(b->manifest, "bundle") : json_null(),
                          "product",
                          json_object_get(b->manifest, "product") ? json_object_get(b->manifest, "product") : json_null(),
                          "intact", b->n_problems == 0, "problems", problems_json(b));
    json_object_set_new(j, "artifacts", artifacts_json(b));
    if (inspect)
        json_object_set_new(j, "triage", rb_triage(b));
    return j;
}

static void write_problems(FILE *out, const json_t *report)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(report, "problems"), i, p)
        fprintf(out, "  %-13s %s\n", json_string_value(json_object_get(p, "problem")),
                json_string_value(json_object_get(p, "message")));
}

static void write_triage(FILE *out, const json_t *triage)
{
    size_t i;
    json_t *l;
    fprintf(out, "\ntriage (%s):\n", json_string_value(json_object_get(triage, "runbook")));
    json_array_foreach(json_object_get(triage, "layers"), i, l)
        fprintf(out, "  %-12s %s\n", json_string_value(json_object_get(l, "layer")),
                json_string_value(json_object_get(l, "status")));
    const json_t *v = json_object_get(triage, "verdict");
    if (json_is_null(v)) {
        fprintf(out, "verdict: no layer fails\n");
    } else {
        fprintf(out, "verdict: %s fails: %s\n", json_string_value(json_object_get(v, "layer")),
                json_string_value(json_object_get(v, "interpretation")));
        json_t *r;
        json_array_foreach(json_object_get(v, "reasons"), i, r)
            fprintf(out, "  - %s\n", json_string_value(r));
    }
    const json_t *focus = json_object_get(triage, "product_focus");
    if (json_is_string(focus))
        fprintf(out, "product focus: %s\n", json_string_value(focus));
}

static void write_text(FILE *out, const json_t *report)
{
    bool inspect = json_object_get(report, "triage") != NULL;
    fprintf(out, "bundle %s", json_string_value(json_object_get(report, "bundle")));
    if (json_is_string(json_object_get(report, "name")))
        fprintf(out, " (%s", json_string_value(json_object_get(report, "name")));
    if (json_is_string(json_object_get(report, "product")))
        fprintf(out, ", %s", json_string_value(json_object_get(report, "product")));
    fprintf(out, "%s\n", json_is_string(json_object_get(report, "name")) ? ")" : "");
    if (inspect) {
        size_t i;
        json_t *a;
        fprintf(out, "\nartifacts in reading order:\n");
        json_array_foreach(json_object_get(report, "artifacts"), i, a)
            fprintf(out, "  %zu. %-28s %-16s %s\n", i + 1, json_string_value(json_object_get(a, "path")),
                    json_is_string(json_object_get(a, "role")) ? json_string_value(json_object_get(a, "role")) : "-",
                    json_string_value(json_object_get(a, "state")));
    }
    size_t n = json_array_size(json_object_get(report, "problems"));
    if (n) {
        fprintf(out, "\n%zu integrity problem%s (RBA-INTEGRITY):\n", n, n == 1 ? "" : "s");
        write_problems(out, report);
    } else {
        fprintf(out, "\nintegrity: every artifact matches the manifest\n");
    }
    if (inspect)
        write_triage(out, json_object_get(report, "triage"));
}

static rb_code run(const rb_cli *o, int *status, rb_error *err)
{
    if (o->n_inputs != 2 || (strcmp(o->inputs[0], "verify") != 0 && strcmp(o->inputs[0], "inspect") != 0))
        return rb_error_set(err, RB_EUSAGE, "bundle: expected 'verify BUNDLE' or 'inspect BUNDLE' (see 'rbaudit "
                            "bundle --help')");
    bool inspect = strcmp(o->inputs[0], "inspect") == 0;
    rb_output out = {0};
    rb_bundle *b = NULL;
    rb_code rc;
    if (!(rc = rb_cli_open_own_output(o, "bundle", &out, err)) &&
        !(rc = rb_bundle_open(o->inputs[1], NULL, &b, err))) {
        json_t *report = report_json(b, inspect);
        bool clean = b->n_problems == 0 &&
                     (!inspect || json_is_null(json_object_get(json_object_get(report, "triage"), "verdict")));
        *status = clean ? 0 : 1;
        rc = rb_cli_write_own(o, &out, report, write_text, err);
        json_decref(report);
    }
    rb_bundle_free(b);
    rb_output_close(&out);
    return rc;
}

static int run_bundle(int argc, char **argv)
{
    return rb_cli_main(argc, argv, bundle_help, run);
}

const rb_command rb_cmd_bundle = {
    .name = "bundle",
    .summary = "verify an incident bundle, or inspect it in triage order",
    .run = run_bundle,
};
