/*
 * check_changes.c — `changes: {files, paths, impact, requires, within?}`:
 * change control (SPEC §4).  Each `config_change` event (one changed leaf
 * of a config file, config_diff.h) whose `file` matches `files` and whose
 * `path` matches `paths` demands an event matching each `requires`
 * selector after it (at most `within` after it, when given).  Every such
 * change is one finding keyed by its path, carrying the impact and the
 * requirements no event met; with none missing it is only a note.
 *
 * A `requires` selector may name "{change.FIELD}" to tie the follow-up to
 * the change (the same file, the same commit).  A change between two
 * plain files has no time: every event is after it and `within` does not
 * apply.  A follow-up of unknown time (a JUnit case with no usable
 * timestamp) may have happened before or after any change: without
 * `within` no window applies and it meets the requirements of every
 * change, wherever it sorts; with `within` it can never show it came in
 * time, so it meets none, and the finding says how many such events
 * matched a missing requirement.
 *
 * State: the changes still open, each with what it still lacks; a change
 * closes as soon as all it needs has happened or its window has passed,
 * so memory holds only changes awaiting follow-ups, and the follow-ups of
 * unknown time (few: they come from reports read whole).
 */
#include "check_kind.h"

#include <stdlib.h>
#include <string.h>

#include "template.h"
#include "timeutil.h"
#include "util.h"

static const char *const change_refs[] = {"change", NULL};

typedef struct changes_check {
    rb_jsonpath **paths;   /* leaf path globs */
    size_t n_paths;
    char *impact;
    json_t *require_specs; /* array: each `requires` selector as written */
    rb_selector **requires;
    size_t n_requires;
    bool has_within;
    int64_t within;
    rb_selector *change; /* {type: config_change}: what may open a change */
} changes_check;

static void changes_free(void *data)
{
    changes_check *c = data;
    if (!c)
        return;
    for (size_t i = 0; i < c->n_paths; i++)
        rb_jsonpath_free(c->paths[i]);
    for (size_t i = 0; i < c->n_requires; i++)
        rb_selector_free(c->requires[i]);
    rb_selector_free(c->change);
    free(c->paths);
    free(c->requires);
    free(c->impact);
    json_decref(c->require_specs);
    free(c);
}

/* A string or a non-empty list of strings, as an array. */
static json_t *string_list(const json_t *v)
{
    if (json_is_string(v))
        return json_pack("[O]", v);
    if (!json_is_array(v) || !json_array_size(v))
        return NULL;
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item)
        if (!json_is_string(item) || !*json_string_value(item))
            return NULL;
    return json_incref((json_t *)v);
}

static rb_code compile_paths(changes_check *c, const rb_check_src *src, rb_error *err)
{
    json_t *globs = string_list(json_object_get(src->spec, "paths"));
    c->paths = rb_xcalloc(json_array_size(globs) + 1, sizeof *c->paths);
    size_t i;
    json_t *glob;
    json_array_foreach(globs, i, glob) {
        rb_jsonpath *p = rb_jsonpath_compile(json_string_value(glob));
        if (!p)
            break;
        c->paths[c->n_paths++] = p;
    }
    bool ok = globs && c->n_paths == json_array_size(globs);
    json_decref(globs);
    return ok ? RB_OK
              : rb_rule_error(&src->at, "paths", err,
                              "'paths' must be a dotted path glob or a list of them (e.g. "
                              "projects.*.field_maps.**)");
}

static rb_code compile_requires(changes_check *c, const rb_rule *rule, const rb_check_src *src,
                                rb_error *err)
{
    const json_t *list = json_object_get(src->spec, "requires");
    if (!json_is_array(list))
        return rb_rule_error(&src->at, "requires", err,
                             "'requires' must be a list of selectors (the events each change needs after it)");
    c->require_specs = json_incref((json_t *)list);
    c->requires = rb_xcalloc(json_array_size(list) + 1, sizeof *c->requires);
    char *base = rb_jsonpath_child_key(src->at.path, "requires");
    rb_sel_env env = rb_rule_sel_env(rule, src->at.lines, change_refs);
    rb_code rc = RB_OK;
    size_t i;
    json_t *spec;
    json_array_foreach(list, i, spec) {
        char *path = rb_jsonpath_child_index(base, i);
        rc = rb_selector_compile(spec, path, &env, &c->requires[i], err);
        free(path);
        if (rc)
            break;
        c->n_requires++;
    }
    free(base);
    return rc;
}

static rb_code changes_compile(rb_rule *rule, const rb_check_src *src, rb_error *err)
{
    static const char *const keys[] = {"files", "paths", "impact", "requires", "within", NULL};
    static const char *const required[] = {"files", "paths", "impact", "requires", NULL};
    rb_code rc = rb_check_keys(src, keys, required, err);
    if (rc)
        return rc;
    changes_check *c = rb_xcalloc(1, sizeof *c);
    rule->check_data = c;
    rule->config_files = string_list(json_object_get(src->spec, "files"));
    if (!rule->config_files)
        return rb_rule_error(&src->at, "files", err,
                             "'files' must be a path glob or a list of them (e.g. config/**/*.yaml)");
    const json_t *impact;
    bool has;
    if ((rc = rb_check_value(rule, src, "impact", &has, &impact, err)))
        return rc;
    if (!json_is_string(impact))
        return rb_rule_error(&src->at, "impact", err, "'impact' must be a string (the expected impact of the change)");
    c->impact = rb_xstrdup(json_string_value(impact));
    if ((rc = compile_paths(c, src, err)) || (rc = compile_requires(c, rule, src, err)))
        return rc;
    json_t *change = json_pack("{s:s}", "type", "config_change");
    rb_sel_env env = rb_rule_sel_env(rule, src->at.lines, NULL);
    rc = rb_selector_compile(change, src->at.path, &env, &c->change, err);
    json_decref(change);
    return rc ? rc : rb_check_duration(rule, src, "within", &c->has_within, &c->within, err);
}

/* What a config_change says (config_diff.h) and the finding reports of it. */
static void changes_fields(const rb_rule *rule, json_t *names)
{
    (void)rule;
    static const char *const change[] = {"file", "path", "op", "old", "new", "line", "commit"};
    for (size_t i = 0; i < sizeof change / sizeof *change; i++)
        json_object_set_new(names, change[i], json_true());
}

/* A change is opened by a config_change and followed up by its requires;
 * another event only tells the time, and a change past its window is
 * reported the same at the next event of interest or at the end. */
static size_t changes_interest(const rb_rule *rule, const rb_selector **out, size_t max)
{
    const changes_check *c = rule->check_data;
    if (max)
        out[0] = c->change;
    for (size_t i = 0; i < c->n_requires && i + 1 < max; i++)
        out[i + 1] = c->requires[i];
    return c->n_requires + 1;
}

/* One change waiting for its follow-ups. */
typedef struct open_change {
    rb_event change;
    rb_event *met;  /* per requirement: the first event that met it
                       (fields NULL while unmet) */
    size_t n_unmet;
} open_change;

typedef struct changes_state {
    open_change *open;
    size_t n, cap;
    size_t n_requires;
    bool *may_meet;  /* per requirement: the event being fed may meet it */
    rb_event_list untimed; /* events of unknown time that may meet one */
    json_t *selected; /* object: file -> object: path -> whether the rule
                         takes a change there (a walk changes the same
                         leaves again and again; matching globs is not free) */
} changes_state;

static void *changes_start(const rb_rule *rule)
{
    changes_state *s = rb_xcalloc(1, sizeof *s);
    s->n_requires = ((const changes_check *)rule->check_data)->n_requires;
    s->may_meet = rb_xcalloc(s->n_requires + 1, sizeof *s->may_meet);
    s->selected = json_object();
    return s;
}

static void release_change(changes_state *s, size_t i)
{
    open_change *oc = &s->open[i];
    rb_event_release(&oc->change);
    for (size_t j = 0; j < s->n_requires; j++)
        if (oc->met[j].fields)
            rb_event_release(&oc->met[j]);
    free(oc->met);
    memmove(&s->open[i], &s->open[i + 1], (s->n - i - 1) * sizeof *s->open);
    s->n--;
}

/* Whether the rule's `files` and `paths` take a change of file's leaf at
 * path. */
static bool takes_change(const rb_rule *rule, const changes_check *c, const char *file, const char *path)
{
    bool file_ok = false;
    size_t i;
    json_t *glob;
    json_array_foreach(rule->config_files, i, glob)
        file_ok = file_ok || rb_path_glob(json_string_value(glob), file);
    if (!file_ok)
        return false;
    rb_jsonpath *p = rb_jsonpath_compile(path);
    bool path_ok = false;
    for (size_t j = 0; p && j < c->n_paths && !path_ok; j++)
        path_ok = rb_jsonpath_glob(c->paths[j], p);
    rb_jsonpath_free(p);
    return path_ok;
}

/* Whether ev is a config_change the rule takes, decided once per place. */
static bool selects_change(changes_state *s, const rb_rule *rule, const changes_check *c, const rb_event *ev)
{
    const char *type = json_string_value(json_object_get(ev->fields, "type"));
    const char *file = json_string_value(json_object_get(ev->fields, "file"));
    const char *path = json_string_value(json_object_get(ev->fields, "path"));
    if (!type || strcmp(type, "config_change") != 0 || !file || !path)
        return false;
    json_t *paths = json_object_get(s->selected, file);
    if (!paths) {
        paths = json_object();
        json_object_set_new(s->selected, file, paths);
    }
    const json_t *known = json_object_get(paths, path);
    if (known)
        return json_is_true(known);
    bool yes = takes_change(rule, c, file, path);
    json_object_set_new(paths, path, json_boolean(yes));
    return yes;
}

/* What a requirement's "{param}" and "{change.FIELD}" references stand
 * for, to show it as it was applied. */
typedef struct requirement_scope {
    const json_t *params;
    const json_t *change;
} requirement_scope;

static const json_t *requirement_lookup(void *ctx, const char *name)
{
    const requirement_scope *scope = ctx;
    if (strncmp(name, "change.", 7) == 0)
        return rb_jsonpath_get(scope->change, name + 7);
    return json_object_get(scope->params, name);
}

/* A copy of a requirement with its references replaced (a value that is
 * exactly one reference takes the referenced value). */
static json_t *resolve_requirement(const json_t *spec, const requirement_scope *scope)
{
    if (json_is_object(spec)) {
        json_t *copy = json_object();
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)spec, k, v)
            json_object_set_new(copy, k, resolve_requirement(v, scope));
        return copy;
    }
    if (json_is_array(spec)) {
        json_t *copy = json_array();
        size_t i;
        json_t *v;
        json_array_foreach(spec, i, v)
            json_array_append_new(copy, resolve_requirement(v, scope));
        return copy;
    }
    const char *text = json_string_value(spec);
    if (!text || !rb_template_has_refs(text))
        return json_incref((json_t *)spec);
    char *name = rb_template_single_ref(text);
    const json_t *value = name ? requirement_lookup((void *)scope, name) : NULL;
    free(name);
    if (value)
        return json_incref((json_t *)value);
    char *rendered = rb_template_render(text, requirement_lookup, (void *)scope);
    json_t *copy = json_string(rendered);
    free(rendered);
    return copy;
}

/* How a requirement reads in a message: "type=sample_run status=passed"
 * for a mapping of plain values, else its compact JSON. */
static void describe_requirement(rb_buf *b, const json_t *spec)
{
    const char *k;
    json_t *v;
    bool plain = json_is_object(spec);
    json_object_foreach((json_t *)spec, k, v)
        plain = plain && !json_is_object(v) && !json_is_array(v);
    if (!plain) {
        char *text = json_dumps(spec, JSON_COMPACT | JSON_ENCODE_ANY);
        rb_buf_puts(b, text);
        free(text);
        return;
    }
    bool first = true;
    json_object_foreach((json_t *)spec, k, v) {
        rb_buf_printf(b, "%s%s=", first ? "" : " ", k);
        rb_template_append_value(b, v);
        first = false;
    }
}

/* How many events of unknown time meet requirement i of a change: under
 * `within` they cannot, and the finding says so. */
static size_t untimed_matches(const changes_check *c, const changes_state *s, size_t i, const rb_bindings *b)
{
    size_t n = 0;
    for (size_t j = 0; c->has_within && j < s->untimed.n; j++)
        n += rb_selector_eval(c->requires[i], s->untimed.items[j].fields, b) == RB_SEL_TRUE;
    return n;
}

static void report_change(const rb_rule *rule, const changes_check *c, const changes_state *s, open_change *oc,
                          rb_run *run)
{
    rb_finding *f = rb_finding_for_rule(rule);
    rb_finding_set_key(f, json_object_get(oc->change.fields, "path"));
    rb_finding_add_event(f, &oc->change);
    json_t *missing = json_array();
    rb_buf text = {0};
    requirement_scope scope = {rule->params, oc->change.fields};
    rb_bindings b = {1, {"change"}, {oc->change.fields}};
    size_t untimed = 0;
    for (size_t i = 0; i < c->n_requires; i++) {
        if (oc->met[i].fields) {
            /* what met a requirement proves it, without placing the finding */
            rb_finding_add_evidence(f, &oc->met[i]);
            continue;
        }
        json_t *spec = resolve_requirement(json_array_get(c->require_specs, i), &scope);
        if (text.len)
            rb_buf_puts(&text, "; ");
        describe_requirement(&text, spec);
        size_t n = untimed_matches(c, s, i, &b);
        if (n) {
            char window[32];
            rb_duration_format(c->within, window, sizeof window);
            rb_buf_printf(&text, " (%zu matching event%s of unknown time cannot show %s within %s)", n,
                          n == 1 ? "" : "s", n == 1 ? "it came" : "they came", window);
        }
        untimed += n;
        json_array_append_new(missing, spec);
    }
    if (!json_array_size(missing))
        f->severity = RB_SEV_NOTE;
    json_object_set_new(f->extra, "impact", json_string(c->impact));
    json_object_set_new(f->extra, "missing", missing);
    if (untimed)
        json_object_set_new(f->extra, "untimed_matches", json_integer((json_int_t)untimed));
    json_t *vars = json_pack("{s:s, s:s}", "impact", c->impact, "missing", text.len ? text.data : "none");
    rb_message_ctx ctx = {oc->change.fields, &b, vars};
    rb_finding_render(f, &ctx);
    rb_run_emit(run, f);
    json_decref(vars);
    rb_buf_free(&text);
}

static void close_change(changes_state *s, size_t i, const rb_rule *rule, const changes_check *c, rb_run *run)
{
    report_change(rule, c, s, &s->open[i], run);
    release_change(s, i);
}

/* Lets ev meet what the open change still lacks (of the requirements it
 * may meet); true when the change is decided (all met, or its window
 * passed).  Under `within`, an event of unknown time neither meets a
 * requirement nor closes a window. */
static bool follow_up(const rb_rule *rule, const bool *may_meet, open_change *oc, const rb_event *ev)
{
    const changes_check *c = rule->check_data;
    if (c->has_within && !rb_event_has_time(ev))
        return false;
    if (c->has_within && rb_event_has_time(&oc->change) && ev->ts - oc->change.ts > c->within)
        return true;
    rb_bindings b = {1, {"change"}, {oc->change.fields}};
    for (size_t i = 0; i < c->n_requires; i++) {
        if (!may_meet[i] || oc->met[i].fields || rb_selector_eval(c->requires[i], ev->fields, &b) != RB_SEL_TRUE)
            continue;
        oc->met[i] = rb_event_keep(rule, ev);
        oc->n_unmet--;
    }
    return oc->n_unmet == 0;
}

/* A new change meets the follow-ups of unknown time that came before it
 * in evidence order: its place among them is unknown (none under
 * `within`). */
static bool meet_earlier_untimed(const rb_rule *rule, changes_state *s, open_change *oc)
{
    const changes_check *c = rule->check_data;
    for (size_t j = 0; !c->has_within && j < s->untimed.n && oc->n_unmet; j++) {
        const rb_event *ev = &s->untimed.items[j];
        for (size_t i = 0; i < c->n_requires; i++)
            s->may_meet[i] = rb_selector_eval(c->requires[i], ev->fields, NULL) != RB_SEL_FALSE;
        follow_up(rule, s->may_meet, oc, ev);
    }
    return oc->n_unmet == 0;
}

static void changes_event(void *state, const rb_rule *rule, const rb_event *ev, rb_run *run)
{
    changes_state *s = state;
    const changes_check *c = rule->check_data;
    /* A requirement false without the change's bindings is false with any
     * (Kleene logic), so most events are ruled out once, not per change. */
    bool any = false;
    for (size_t i = 0; i < c->n_requires; i++)
        any |= s->may_meet[i] = rb_selector_eval(c->requires[i], ev->fields, NULL) != RB_SEL_FALSE;
    for (size_t i = 0; (any || c->has_within) && i < s->n;) {
        if (follow_up(rule, s->may_meet, &s->open[i], ev))
            close_change(s, i, rule, c, run);
        else
            i++;
    }
    if (selects_change(s, rule, c, ev)) {
        rb_grow((void **)&s->open, &s->cap, s->n + 1, sizeof *s->open);
        open_change *oc = &s->open[s->n++];
        *oc = (open_change){.change = rb_event_keep(rule, ev), .n_unmet = c->n_requires};
        oc->met = rb_xcalloc(c->n_requires + 1, sizeof *oc->met);
        if (meet_earlier_untimed(rule, s, oc))
            close_change(s, s->n - 1, rule, c, run);
    }
    /* kept only after a change it opens: never its own follow-up */
    if (any && !rb_event_has_time(ev))
        rb_event_list_push(&s->untimed, rule, ev);
}

static void changes_finish(void *state, const rb_rule *rule, rb_run *run)
{
    changes_state *s = state;
    while (s->n)
        close_change(s, 0, rule, rule->check_data, run);
}

static void changes_stop(void *state)
{
    changes_state *s = state;
    while (s->n)
        release_change(s, 0);
    rb_event_list_free(&s->untimed);
    json_decref(s->selected);
    free(s->open);
    free(s->may_meet);
    free(s);
}

const rb_check_kind rb_check_changes = {
    .name = "changes",
    .compile = changes_compile,
    .free_data = changes_free,
    .start = changes_start,
    .event = changes_event,
    .interest = changes_interest,
    .fields = changes_fields,
    .finish = changes_finish,
    .stop = changes_stop,
};
