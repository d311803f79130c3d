/*
 * check_sql.c — `sql: {db, query, expect}`: a read-only query on every
 * SQLite ledger whose name matches the `db` glob (SPEC §4).
 *
 * expect: empty      — each returned row is a finding, keyed by its `key`
 *                      column, else its first column (as a string);
 * expect: {rows: N}  — one finding (no key) when the row count differs;
 * expect: {value: X} — one finding when the single value differs; values
 *                      compare as SQLite does with NUMERIC affinity.
 *
 * The query's named parameters (`:name`, `$name`, `@name`) are bound to the
 * rule's parameters, and `:now` to the end of the evidence (RFC 3339), so a
 * threshold is never spliced into SQL text.  Message variables: the row's
 * columns, {db}, {rows}, {value}, {expected}.
 *
 * A ledger that lacks a table or a column the query names is not one the
 * rule applies to: the run is told so, with the reason.  Any other failure
 * of the query on a ledger is returned, the rule's failure on that ledger.
 */
#include "check_kind.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "query_bounds.h"
#include "template.h"
#include "timeutil.h"
#include "util.h"

typedef enum sql_expect { EXPECT_EMPTY, EXPECT_ROWS, EXPECT_VALUE } sql_expect;

typedef struct sql_check {
    char *db;           /* glob on the ledger's name */
    char *query;
    sql_expect expect;
    int64_t rows;       /* EXPECT_ROWS */
    json_t *value;      /* EXPECT_VALUE: the expected value */
} sql_check;

static rb_code compile_expect(rb_rule *rule, const rb_check_src *src, sql_check *c, rb_error *err)
{
    const json_t *expect = json_object_get(src->spec, "expect");
    static const char *const what = "'expect' must be empty, {rows: N} or {value: X}";
    if (json_is_string(expect) && strcmp(json_string_value(expect), "empty") == 0) {
        c->expect = EXPECT_EMPTY;
        return RB_OK;
    }
    if (!json_is_object(expect) || json_object_size(expect) != 1)
        return rb_rule_error(&src->at, "expect", err, "%s", what);
    char *path = rb_jsonpath_child_key(src->at.path, "expect");
    rb_check_src sub = {expect, {src->at.file, src->at.lines, path}, src->rule_spec, src->rule_at};
    bool has;
    const json_t *v;
    rb_code rc;
    if (json_object_get(expect, "rows")) {
        c->expect = EXPECT_ROWS;
        rc = rb_check_integer(rule, &sub, "rows", &has, &c->rows, err);
        if (!rc && c->rows < 0)
            rc = rb_rule_error(&sub.at, "rows", err, "'rows' must not be negative");
    } else if (json_object_get(expect, "value")) {
        c->expect = EXPECT_VALUE;
        rc = rb_check_value(rule, &sub, "value", &has, &v, err);
        if (!rc && (json_is_object(v) || json_is_array(v)))
            rc = rb_rule_error(&sub.at, "value", err, "'value' must be a scalar (a number, string or null)");
        if (!rc)
            c->value = json_incref((json_t *)v);
    } else {
        rc = rb_rule_error(&src->at, "expect", err, "%s", what);
    }
    free(path);
    return rc;
}

static rb_code sql_compile(rb_rule *rule, const rb_check_src *src, rb_error *err)
{
    static const char *const keys[] = {"db", "query", "expect", NULL};
    rb_code rc = rb_check_keys(src, keys, keys, err);
    if (rc)
        return rc;
    sql_check *c = rb_xcalloc(1, sizeof *c);
    rule->check_data = c;
    const json_t *db = json_object_get(src->spec, "db"), *query = json_object_get(src->spec, "query");
    if (!json_is_string(db) || !*json_string_value(db))
        return rb_rule_error(&src->at, "db", err, "'db' must be a glob of ledger names (e.g. beam-bus.sqlite)");
    if (!json_is_string(query) || !rb_ledger_sql_complete(json_string_value(query)))
        return rb_rule_error(&src->at, "query", err, "'query' must be one complete SQL statement (a SELECT)");
    c->db = rb_xstrdup(json_string_value(db));
    c->query = rb_xstrdup(json_string_value(query));
    return compile_expect(rule, src, c, err);
}

static void sql_free(void *data)
{
    sql_check *c = data;
    if (!c)
        return;
    free(c->db);
    free(c->query);
    json_decref(c->value);
    free(c);
}

static void bind_json(sqlite3_stmt *stmt, int i, const json_t *v)
{
    if (json_is_integer(v))
        sqlite3_bind_int64(stmt, i, json_integer_value(v));
    else if (json_is_real(v))
        sqlite3_bind_double(stmt, i, json_real_value(v));
    else if (json_is_boolean(v))
        sqlite3_bind_int(stmt, i, json_is_true(v));
    else if (json_is_string(v))
        sqlite3_bind_text(stmt, i, json_string_value(v), (int)json_string_length(v), SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(stmt, i);
}

/* Binds :now and the rule's parameters; an unknown name is an error. */
static rb_code bind_params(sqlite3_stmt *stmt, const rb_rule *rule, const rb_run *run, const char *db_name,
                           rb_error *err)
{
    for (int i = 1; i <= sqlite3_bind_parameter_count(stmt); i++) {
        const char *name = sqlite3_bind_parameter_name(stmt, i);
        if (!name)
            return rb_error_set(err, RB_ERULE, "%s:%ld: %s: the query has a '?' parameter (expected "
                                "named ones: :param)", rule->file, rule->line, rule->id);
        if (strcmp(name + 1, "now") == 0) {
            char now[64];
            rb_time_format(run->end, now, sizeof now);
            if (run->has_end)
                sqlite3_bind_text(stmt, i, now, -1, SQLITE_TRANSIENT);
            continue;
        }
        const json_t *v = json_object_get(rule->params, name + 1);
        if (!v)
            return rb_error_set(err, RB_ERULE, "%s:%ld: %s: query parameter %s on %s is not a parameter of the "
                                "rule (expected one of its params, or :now)", rule->file, rule->line,
                                rule->id, name, db_name);
        bind_json(stmt, i, v);
    }
    return RB_OK;
}

/* A value under NUMERIC affinity: numbers, and text that reads as a whole
 * number; *is_int tells integers apart so that they compare exactly. */
static bool numeric(const json_t *v, double *d, json_int_t *i, bool *is_int)
{
    if (json_is_integer(v) || json_is_boolean(v)) {
        *i = json_is_boolean(v) ? json_is_true(v) : json_integer_value(v);
        *d = (double)*i;
        return *is_int = true;
    }
    if (json_is_real(v)) {
        *d = json_real_value(v);
        *is_int = false;
        return true;
    }
    if (!json_is_string(v))
        return false;
    const char *s = json_string_value(v);
    char *end;
    long long ll = strtoll(s, &end, 10);
    if (end != s && *end == '\0') {
        *i = ll;
        *d = (double)ll;
        return *is_int = true;
    }
    *d = strtod(s, &end);
    *is_int = false;
    return end != s && *end == '\0' && isfinite(*d);
}

static bool values_equal(const json_t *a, const json_t *b)
{
    if (json_is_null(a) || json_is_null(b))
        return json_is_null(a) && json_is_null(b);
    double da, db;
    json_int_t ia, ib;
    bool inta, intb;
    if (numeric(a, &da, &ia, &inta) && numeric(b, &db, &ib, &intb))
        return inta && intb ? ia == ib : da == db;
    if (json_is_string(a) && json_is_string(b))
        return json_equal(a, b);
    return false;
}

/* The key of a returned row: its `key` column, else its first, as text. */
static json_t *row_key(const json_t *row, sqlite3_stmt *stmt)
{
    const json_t *v = json_object_get(row, "key");
    if (!v)
        v = json_object_get(row, sqlite3_column_name(stmt, 0));
    if (json_is_string(v) || json_is_null(v) || !v)
        return v ? json_incref((json_t *)v) : json_null();
    rb_buf b = {0};
    rb_template_append_value(&b, v);
    json_t *key = json_string(b.data ? b.data : "");
    rb_buf_free(&b);
    return key;
}

static void report_row(const rb_rule *rule, const rb_ledger *ledger, sqlite3_stmt *stmt,
                       const rb_ledger_place *place, rb_run *run)
{
    json_t *row = rb_ledger_row_json(stmt);
    rb_event e = {.fields = row, .origin = rb_ledger_origin(place, ledger->input, stmt)};
    json_t *key = row_key(row, stmt);
    json_t *vars = json_pack("{s:s}", "db", ledger->name);
    rb_run_report(run, rule, key, &e, NULL, 0, NULL, vars);
    json_decref(vars);
    json_decref(key);
    json_decref(row);
}

/* One finding for the whole query; takes vars. */
static void report_aggregate(const rb_rule *rule, const rb_ledger *ledger, json_t *vars, rb_run *run)
{
    json_object_set_new(vars, "db", json_string(ledger->name));
    rb_finding *f = rb_finding_for_rule(rule);
    rb_finding_add_origin(f, (rb_origin){.input = ledger->input});
    json_array_append(f->evidence, vars);
    rb_message_ctx ctx = {NULL, NULL, vars};
    rb_finding_render(f, &ctx);
    rb_run_emit(run, f);
    json_decref(vars);
}

static bool takes_ledger(const sql_check *c, const rb_ledger *ledger)
{
    return rb_path_glob(c->db, ledger->name) || rb_path_glob(c->db, ledger->input->path);
}

static rb_code sql_ledger(void *state, const rb_rule *rule, const rb_ledger *ledger, rb_run *run,
                          rb_error *err)
{
    (void)state;
    const sql_check *c = rule->check_data;
    if (!takes_ledger(c, ledger))
        return RB_OK;
    char *what = rb_xasprintf("query of rule %s (%s:%ld)", rule->id, rule->file, rule->line);
    sqlite3_stmt *stmt;
    char *absent;
    rb_code rc = rb_ledger_prepare_query(ledger->db, ledger->input, c->query, rule->id, what, &stmt, &absent, err);
    if (absent) {
        rb_run_not_applicable(run, rule, ledger, absent);
        free(absent);
        free(what);
        return RB_OK;
    }
    if (!rc)
        rc = bind_params(stmt, rule, run, ledger->input->path, err);
    rb_ledger_place place = rc ? (rb_ledger_place){NULL, -1} : rb_ledger_place_of(ledger->input, stmt);
    int64_t rows = 0;
    json_t *first = NULL;
    for (bool row = true; !rc && row;) {
        rc = rb_ledger_step(stmt, ledger->input->path, what, &row, err);
        if (rc || !row)
            break;
        if (c->expect == EXPECT_EMPTY)
            report_row(rule, ledger, stmt, &place, run);
        else if (rows == 0 && sqlite3_column_count(stmt) > 0)
            first = rb_ledger_column_json(stmt, 0);
        rows++;
        /* a finding's making is the query's time too: endless rows end */
        rb_query_charge(stmt);
    }
    if (!rc && c->expect == EXPECT_ROWS && rows != c->rows)
        report_aggregate(rule, ledger, json_pack("{s:I, s:I}", "rows", (json_int_t)rows, "expected",
                                                 (json_int_t)c->rows), run);
    if (!rc && c->expect == EXPECT_VALUE && !values_equal(first ? first : json_null(), c->value))
        report_aggregate(rule, ledger, json_pack("{s:O, s:O, s:I}", "value", first ? first : json_null(),
                                                 "expected", c->value, "rows", (json_int_t)rows), run);
    json_decref(first);
    sqlite3_finalize(stmt);
    free(what);
    return rc;
}

const rb_check_kind rb_check_sql = {
    .name = "sql",
    .compile = sql_compile,
    .free_data = sql_free,
    .ledger = sql_ledger,
};
