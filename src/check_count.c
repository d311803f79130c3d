/*
 * check_count.c — `count: {select?, op, value}`: the number of selected
 * events compared with a value; one finding (no key) when the comparison
 * fails (SPEC §4).  Message variables: {count}, {op}, {value}.
 */
#include "check_kind.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

typedef enum count_op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE } count_op;

static const char *const op_names[] = {"==", "!=", "<", "<=", ">", ">=", NULL};

typedef struct count_check {
    rb_selector *select;
    count_op op;
    int64_t value;
} count_check;

typedef struct count_state {
    int64_t n;
} count_state;

static rb_code count_compile(rb_rule *rule, const rb_check_src *src, rb_error *err)
{
    static const char *const keys[] = {"select", "op", "value", NULL};
    static const char *const required[] = {"op", "value", NULL};
    rb_code rc = rb_check_keys(src, keys, required, err);
    if (rc)
        return rc;
    count_check *c = rb_xcalloc(1, sizeof *c);
    rule->check_data = c;
    const json_t *op = json_object_get(src->spec, "op");
    size_t i = 0;
    while (op_names[i] && !(json_is_string(op) && strcmp(json_string_value(op), op_names[i]) == 0))
        i++;
    if (!op_names[i])
        return rb_rule_error(&src->at, "op", err, "unknown 'op' (expected ==, !=, <, <=, > or >=)");
    c->op = (count_op)i;
    bool has;
    if ((rc = rb_check_integer(rule, src, "value", &has, &c->value, err)))
        return rc;
    return rb_check_selector(rule, src, "select", false, NULL, &c->select, err);
}

static void count_free(void *data)
{
    count_check *c = data;
    if (!c)
        return;
    rb_selector_free(c->select);
    free(c);
}

static void *count_start(const rb_rule *rule)
{
    (void)rule;
    return rb_xcalloc(1, sizeof(count_state));
}

/* Only the events of `select` are counted (all, without one). */
static size_t count_interest(const rb_rule *rule, const rb_selector **out, size_t max)
{
    const count_check *c = rule->check_data;
    if (c->select && max)
        out[0] = c->select;
    return c->select ? 1 : 0;
}

static void count_event(void *state, const rb_rule *rule, const rb_event *ev, rb_run *run)
{
    (void)run;
    const count_check *c = rule->check_data;
    if (!c->select || rb_selector_match(c->select, ev->fields))
        ((count_state *)state)->n++;
}

static bool holds(count_op op, int64_t a, int64_t b)
{
    switch (op) {
    case OP_EQ:
        return a == b;
    case OP_NE:
        return a != b;
    case OP_LT:
        return a < b;
    case OP_LE:
        return a <= b;
    case OP_GT:
        return a > b;
    case OP_GE:
    default:
        return a >= b;
    }
}

static void count_finish(void *state, const rb_rule *rule, rb_run *run)
{
    const count_check *c = rule->check_data;
    int64_t n = ((count_state *)state)->n;
    if (holds(c->op, n, c->value))
        return;
    json_t *vars = json_pack("{s:I, s:s, s:I}", "count", (json_int_t)n, "op", op_names[c->op], "value",
                             (json_int_t)c->value);
    rb_run_report(run, rule, NULL, NULL, NULL, 0, NULL, vars);
    json_decref(vars);
}

const rb_check_kind rb_check_count = {
    .name = "count",
    .compile = count_compile,
    .free_data = count_free,
    .start = count_start,
    .event = count_event,
    .interest = count_interest,
    .fields = rb_check_no_more_fields,
    .finish = count_finish,
    .stop = free,
};
