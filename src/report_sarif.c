/*
 * report_sarif.c — SARIF 2.1.0 (SPEC §6), for code-scanning and review
 * tools: one run whose tool.driver.rules are the rules that ran (and the
 * built-in ones that reported), whose artifacts are the inputs with their
 * SHA-256, and whose results are the findings — suppressed ones included,
 * with their `suppressions`.
 *
 * A finding placed at a file line gets a physical location (the input's
 * path as a URI reference relative to the working directory, or a file://
 * URI for an absolute path, and the start line); its key is a logical
 * location, and ledger rows and commits are named there too.  Our
 * fingerprint is the result's partialFingerprints["rbaudit/v2"], so
 * code-scanning services follow a finding across commits as we do; the
 * key names the scheme (finding.h RB_FINGERPRINT_SCHEME): v1 hashed the
 * path as given, and a service must not take a v2 value for a v1 one.
 *
 * The run's one invocation says what the run read and skipped (execution
 * notifications) and which rules did not apply to a ledger or failed on
 * one (configuration notifications, associated with the rule).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_kind.h"
#include "report.h"
#include "template.h"
#include "util.h"

#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"

static const char *sarif_level(rb_severity sev)
{
    return sev == RB_SEV_ERROR ? "error" : sev == RB_SEV_WARNING ? "warning" : "note";
}

/* Whether a path has a ".." segment. */
static bool has_dot_dot(const char *path)
{
    for (const char *p = strstr(path, ".."); p; p = strstr(p + 2, ".."))
        if ((p == path || p[-1] == '/') && (p[2] == '/' || !p[2]))
            return true;
    return false;
}

/* An absolute path without "." and ".." segments (lexically: SARIF URIs
 * must not hold them, as links could change their meaning). */
static char *absolute_clean(const char *path)
{
    rb_buf joined = {0};
    if (path[0] != '/') {
        char cwd[4096];
        rb_buf_puts(&joined, getcwd(cwd, sizeof cwd) ? cwd : "");
        rb_buf_putc(&joined, '/');
    }
    rb_buf_puts(&joined, path);
    char **segs = rb_xcalloc(joined.len + 1, sizeof *segs);
    size_t n = 0;
    for (char *seg = strtok(joined.data, "/"); seg; seg = strtok(NULL, "/")) {
        if (strcmp(seg, ".") == 0)
            continue;
        if (strcmp(seg, "..") == 0)
            n -= n > 0;
        else
            segs[n++] = seg;
    }
    rb_buf clean = {0};
    for (size_t i = 0; i < n; i++)
        rb_buf_printf(&clean, "/%s", segs[i]);
    if (!n)
        rb_buf_putc(&clean, '/');
    free(segs);
    rb_buf_free(&joined);
    return rb_buf_take(&clean);
}

/* A path as a URI: a relative reference when it is relative and stays
 * below the working directory, else a file:// URI of the clean absolute
 * path; unreserved characters and '/' are kept, the rest percent-encoded. */
static json_t *path_uri(const char *path)
{
    bool absolute = path[0] == '/' || has_dot_dot(path);
    char *p = absolute ? absolute_clean(path) : rb_xstrdup(path);
    rb_buf b = {0};
    if (absolute)
        rb_buf_puts(&b, "file://");
    for (const unsigned char *c = (const unsigned char *)p; *c; c++) {
        if (isalnum(*c) || strchr("-._~/!$&'()*+,;=:@", *c))
            rb_buf_putc(&b, (char)*c);
        else
            rb_buf_printf(&b, "%%%02X", *c);
    }
    json_t *uri = json_string(b.data);
    rb_buf_free(&b);
    free(p);
    return uri;
}

/* "Field maps changed" -> "FieldMapsChanged": SARIF's rule name is an
 * identifier. */
static json_t *rule_name(const char *title)
{
    rb_buf b = {0};
    bool upper = true;
    for (const unsigned char *c = (const unsigned char *)title; *c; c++) {
        if (!isalnum(*c)) {
            upper = true;
            continue;
        }
        rb_buf_putc(&b, upper ? (char)toupper(*c) : (char)*c);
        upper = false;
    }
    json_t *name = json_string(b.data ? b.data : "Rule");
    rb_buf_free(&b);
    return name;
}

static json_t *help_of(const char *runbook, const char *remediation)
{
    rb_buf text = {0}, md = {0};
    rb_buf_puts(&text, "");
    rb_buf_puts(&md, "");
    if (runbook) {
        rb_buf_printf(&text, "Runbook: %s.", runbook);
        rb_buf_printf(&md, "**Runbook:** %s", runbook);
    }
    if (remediation) {
        rb_buf_printf(&text, "%sWhat to do: %s", runbook ? " " : "", remediation);
        rb_buf_printf(&md, "%s**What to do:** %s", runbook ? "\n\n" : "", remediation);
    }
    json_t *help = json_pack("{s:s, s:s}", "text", text.data, "markdown", md.data);
    rb_buf_free(&text);
    rb_buf_free(&md);
    return help;
}

static json_t *rule_descriptor(const char *id, const char *title, rb_severity sev, const char *runbook,
                               const char *remediation, json_t *properties)
{
    json_t *r = json_pack("{s:s, s:o, s:{s:s}, s:{s:s}}", "id", id, "name", rule_name(title), "shortDescription",
                          "text", title, "defaultConfiguration", "level", sarif_level(sev));
    if (runbook || remediation) {
        json_t *help = help_of(runbook, remediation);
        json_object_set_new(r, "fullDescription", json_pack("{s:O}", "text", json_object_get(help, "text")));
        json_object_set_new(r, "help", help);
    }
    json_object_set_new(r, "properties", properties);
    return r;
}

/* The driver's rules: every rule that ran, then each built-in rule that
 * reported (in the order first met, with the runbook and remediation a
 * pack rule gave its first finding: check_kind.h `explain`); `index` maps
 * an id to its place. */
static json_t *driver_rules(const rb_report *rep, json_t *index)
{
    json_t *rules = json_array();
    for (size_t i = 0; i < rep->rules->n; i++) {
        const rb_rule *r = rep->rules->rules[i];
        json_t *props = json_pack("{s:O, s:s, s:s}", "tags", r->tags, "pack", r->pack, "check", r->check->name);
        json_object_set_new(index, r->id, json_integer((json_int_t)json_array_size(rules)));
        json_array_append_new(rules, rule_descriptor(r->id, r->title, r->severity, r->runbook, r->remediation, props));
    }
    const rb_findings *lists[] = {rep->findings, rep->suppressed};
    for (size_t l = 0; l < 2; l++)
        for (size_t i = 0; lists[l] && i < lists[l]->n; i++) {
            const rb_finding *f = lists[l]->items[i];
            if (json_object_get(index, f->rule_id))
                continue;
            const char *title = rb_builtin_rule_title(f->rule_id);
            json_object_set_new(index, f->rule_id, json_integer((json_int_t)json_array_size(rules)));
            json_array_append_new(rules, rule_descriptor(f->rule_id, title ? title : f->rule_id, f->severity,
                                                         f->runbook, f->remediation,
                                                         json_pack("{s:[s]}", "tags", "built-in")));
        }
    return rules;
}

static json_t *artifacts(const rb_evidence *ev)
{
    json_t *list = json_array();
    for (size_t i = 0; i < ev->n_inputs; i++) {
        const rb_input *in = ev->inputs[i];
        json_array_append_new(list, json_pack("{s:{s:o}, s:I, s:{s:s}, s:{s:s}}", "location", "uri", path_uri(in->path),
                                              "length", (json_int_t)in->bytes, "hashes", "sha-256", in->sha256,
                                              "properties", "kind", in->kind));
    }
    return list;
}

/* The logical location of a finding: its key, its ledger row, its commit. */
static json_t *logical_locations(const rb_finding *f)
{
    json_t *list = json_array();
    if (!json_is_null(f->key)) {
        rb_buf key = {0};
        rb_template_append_value(&key, f->key);
        json_array_append_new(list, json_pack("{s:s, s:s}", "name", key.data ? key.data : "", "kind", "object"));
        rb_buf_free(&key);
    }
    const rb_origin *o = f->n_origins ? &f->origins[0] : NULL;
    if (o && o->table) {
        char *row = o->row ? rb_xasprintf("%s rowid %lld", o->table, (long long)o->row) : rb_xstrdup(o->table);
        json_array_append_new(list, json_pack("{s:s, s:s}", "name", row, "kind", "element"));
        free(row);
    }
    if (o && o->commit)
        json_array_append_new(list, json_pack("{s:s, s:s}", "name", o->commit, "kind", "member"));
    return list;
}

static json_t *location(const rb_finding *f)
{
    json_t *loc = json_object();
    if (f->n_origins) {
        const rb_origin *o = &f->origins[0];
        json_t *phys = json_pack("{s:{s:o, s:I}}", "artifactLocation", "uri", path_uri(o->input->path), "index",
                                 (json_int_t)o->input->index);
        if (o->line)
            json_object_set_new(phys, "region", json_pack("{s:I}", "startLine", (json_int_t)o->line));
        json_object_set_new(loc, "physicalLocation", phys);
    }
    json_t *logical = logical_locations(f);
    if (json_array_size(logical))
        json_object_set_new(loc, "logicalLocations", logical);
    else
        json_decref(logical);
    return loc;
}

static json_t *suppressions(const rb_finding *f)
{
    const json_t *by = json_object_get(f->extra, "suppressed_by");
    const char *kind = json_string_value(json_object_get(by, "kind"));
    json_t *s = json_pack("{s:s, s:s}", "kind", "external", "status", "accepted");
    if (kind && strcmp(kind, "waiver") == 0) {
        char *why = rb_xasprintf("%s (owner %s, expires %s)", json_string_value(json_object_get(by, "reason")),
                                 json_string_value(json_object_get(by, "owner")),
                                 json_string_value(json_object_get(by, "expires")));
        json_object_set_new(s, "justification", json_string(why));
        free(why);
    } else {
        json_object_set_new(s, "justification", json_string("in the baseline report"));
    }
    return json_pack("[o]", s);
}

static json_t *result(const rb_finding *f, const json_t *index, bool suppressed)
{
    json_t *r = json_pack("{s:s, s:I, s:s, s:{s:s}, s:[o], s:{s:s}}", "ruleId", f->rule_id, "ruleIndex",
                          json_integer_value(json_object_get(index, f->rule_id)), "level", sarif_level(f->severity),
                          "message", "text", f->message && *f->message ? f->message : f->rule_id, "locations",
                          location(f), "partialFingerprints", RB_FINGERPRINT_SCHEME, f->fingerprint);
    if (suppressed)
        json_object_set_new(r, "suppressions", suppressions(f));
    json_t *props = json_deep_copy(f->extra);
    json_object_del(props, "suppressed_by");
    json_object_set(props, "key", f->key);
    if (f->n_origins && f->origins[0].commit)
        json_object_set_new(props, "commit", json_string(f->origins[0].commit));
    json_object_set(props, "evidence", f->evidence);
    json_object_set_new(r, "properties", props);
    return r;
}

/* The notifications of the run's accounting: what was read from each
 * input, what a reader of the report must know about how, and what was
 * skipped and why.  Their descriptors are tool.driver.notifications. */
enum { NOTE_READ, NOTE_INPUT, NOTE_SKIPPED };
static const char *const note_ids[] = {"input-read", "input-note", "input-skipped"};
static const char *const note_titles[] = {"What was read from an input", "How an input was read",
                                          "An input that was not read, and why"};

static json_t *notification_descriptors(void)
{
    json_t *list = json_array();
    for (size_t i = 0; i < sizeof note_ids / sizeof note_ids[0]; i++)
        json_array_append_new(list, json_pack("{s:s, s:{s:s}}", "id", note_ids[i], "shortDescription", "text",
                                              note_titles[i]));
    return list;
}

static json_t *notification(int id, const char *level, const char *text, json_t *artifact)
{
    return json_pack("{s:{s:s, s:i}, s:s, s:{s:s}, s:[{s:{s:o}}]}", "descriptor", "id", note_ids[id], "index", id,
                     "level", level, "message", "text", text, "locations", "physicalLocation", "artifactLocation",
                     artifact);
}

static void add_input_notifications(json_t *list, const rb_input *in)
{
    rb_buf text = {0};
    rb_buf_printf(&text, "read %s (", in->path);
    rb_report_describe_input(in, &text);
    rb_buf_printf(&text, "); sha256 %s", in->sha256);
    json_t *n = notification(NOTE_READ, "note", text.data,
                             json_pack("{s:o, s:I}", "uri", path_uri(in->path), "index", (json_int_t)in->index));
    json_t *props = json_pack("{s:s, s:I, s:I}", "kind", in->kind, "events", (json_int_t)in->n_events, "documents",
                              (json_int_t)in->n_documents);
    if (in->account)
        json_object_update(props, in->account);
    json_object_set_new(n, "properties", props);
    json_array_append_new(list, n);
    rb_buf_free(&text);
    size_t k;
    const json_t *note;
    json_array_foreach(rb_report_input_notes(in), k, note) {
        char *t = rb_xasprintf("%s: %s", in->path, json_string_value(note));
        json_array_append_new(list, notification(NOTE_INPUT, "warning", t,
                                                 json_pack("{s:o, s:I}", "uri", path_uri(in->path), "index",
                                                           (json_int_t)in->index)));
        free(t);
    }
}

/* The run's one invocation: whether every rule ran (executionSuccessful),
 * and what it read and skipped. */
static json_t *invocation(const rb_report *rep)
{
    json_t *notes = json_array();
    const rb_evidence *ev = rep->evidence;
    for (size_t i = 0; i < ev->n_inputs; i++)
        add_input_notifications(notes, ev->inputs[i]);
    size_t k;
    const json_t *skip;
    json_array_foreach(ev->skipped, k, skip) {
        const char *path = json_string_value(json_object_get(skip, "path"));
        char *t = rb_xasprintf("skipped %s: %s", path, json_string_value(json_object_get(skip, "reason")));
        json_array_append_new(notes, notification(NOTE_SKIPPED, "note", t, json_pack("{s:o}", "uri", path_uri(path))));
        free(t);
    }
    return json_pack("{s:b, s:o}", "executionSuccessful", rep->summary.rule_errors == 0, "toolExecutionNotifications",
                     notes);
}

/* A configuration notification per rule that did not apply to a ledger
 * (a note) or failed on one (an error): its rule, the ledger, why. */
static void add_rule_statuses(json_t *invocation, const rb_report *rep, const json_t *index)
{
    if (!rep->statuses || !rep->statuses->n)
        return;
    json_t *list = json_array();
    for (size_t i = 0; i < rep->statuses->n; i++) {
        const rb_rule_status *st = &rep->statuses->items[i];
        bool failed = st->outcome == RB_RULE_FAILED;
        json_array_append_new(
            list, json_pack("{s:s, s:{s:s}, s:{s:s, s:I}, s:[{s:{s:{s:o, s:I}}}], s:{s:s, s:s}}", "level",
                            failed ? "error" : "note", "message", "text", st->reason, "associatedRule", "id",
                            st->rule->id, "index", json_integer_value(json_object_get(index, st->rule->id)),
                            "locations", "physicalLocation", "artifactLocation", "uri", path_uri(st->input->path),
                            "index", (json_int_t)st->input->index, "properties", "status",
                            failed ? "error" : "not_applicable", "ledger", st->input->path));
    }
    json_object_set_new(invocation, "toolConfigurationNotifications", list);
}

static rb_code write_sarif(const rb_report *rep, const rb_report_style *style, FILE *out, rb_error *err)
{
    (void)style;
    json_t *index = json_object();
    json_t *rules = driver_rules(rep, index);
    json_t *results = json_array();
    for (size_t i = 0; i < rep->findings->n; i++)
        json_array_append_new(results, result(rep->findings->items[i], index, false));
    for (size_t i = 0; rep->suppressed && i < rep->suppressed->n; i++)
        json_array_append_new(results, result(rep->suppressed->items[i], index, true));
    json_t *inv = invocation(rep);
    add_rule_statuses(inv, rep, index);
    json_t *run = json_pack("{s:{s:{s:s, s:s, s:s, s:s, s:o, s:o}}, s:[o], s:o, s:o, s:s}", "tool", "driver", "name",
                            PACKAGE_NAME, "version", PACKAGE_VERSION, "semanticVersion", PACKAGE_VERSION,
                            "informationUri", PACKAGE_URL, "rules", rules, "notifications",
                            notification_descriptors(), "invocations", inv, "artifacts",
                            artifacts(rep->evidence), "results", results, "columnKind", "unicodeCodePoints");
    json_t *doc = json_pack("{s:s, s:s, s:[o]}", "$schema", SARIF_SCHEMA, "version", "2.1.0", "runs", run);
    json_decref(index);
    int rc = doc ? json_dumpf(doc, out, JSON_INDENT(2)) : -1;
    json_decref(doc);
    if (rc != 0 || fputc('\n', out) == EOF)
        return rb_error_set(err, RB_EINTERNAL, "cannot write the SARIF report");
    return RB_OK;
}

const rb_reporter rb_reporter_sarif = {
    .name = "sarif",
    .write = write_sarif,
};
