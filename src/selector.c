/*
 * selector.c — compiles the Sigma-style selectors of SPEC §4 into a tree of
 * AND/OR/NOT nodes and leaves, and evaluates it against events and
 * documents with three-valued (Kleene) logic for correlation (selector.h).
 *
 * Everything that can be decided once is decided when compiling: field
 * paths, modifiers, parameter substitution, regular expressions, times and
 * durations of constant operands.  Evaluating a selector without
 * correlation references therefore allocates nothing itself; only
 * operands that name a bound event ("{first.nonce}") are resolved while
 * evaluating.
 */
#include "selector.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jsonpath.h"
#include "template.h"
#include "timeutil.h"
#include "util.h"

/* Correlation names one selector may use (each is a bit of a mask). */
#define MAX_REFS 8

/* The order matters: string matches first, then exists, then orderings. */
typedef enum op_kind {
    OP_EQ, OP_IN, OP_CONTAINS, OP_STARTSWITH, OP_ENDSWITH, OP_GLOB, OP_RE,
    OP_EXISTS, OP_GT, OP_GTE, OP_LT, OP_LTE
} op_kind;

/* Indexed by op_kind. */
static const char *const op_names[] = {
    "eq", "in", "contains", "startswith", "endswith", "glob", "re",
    "exists", "gt", "gte", "lt", "lte",
};

#define EXPECTED_MODIFIERS \
    "in, contains, startswith, endswith, glob, re, exists, gt, gte, lt, lte, len, not, i"

/* One value to compare with: a constant (with what can be precomputed), or
 * a reference to a bound event resolved while evaluating. */
typedef struct operand {
    json_t *value;          /* constant value (owned); NULL when dynamic */
    bool has_time, has_dur; /* value parses as an RFC 3339 time / a duration */
    int64_t time_us, dur_us;
    bool has_re;
    regex_t re;
    int ref;                /* whole-string correlation: index in sel->refnames, or -1 */
    rb_jsonpath *ref_path;  /* ... and the path inside the bound value */
    json_int_t offset;      /* added to that value ("{first.seq + 1}"); 0 when none */
    char *tpl;              /* embedded correlation references, rendered at eval */
    unsigned refmask;       /* correlation names this operand needs bound */
} operand;

typedef struct leaf {
    rb_jsonpath *field;
    op_kind op;
    bool negate, len, icase;
    bool exists_want;
    operand *items;         /* any of these */
    size_t n;
    unsigned refmask;
} leaf;

typedef enum node_kind { NODE_AND, NODE_OR, NODE_NOT, NODE_LEAF } node_kind;

/* A zeroed node is a valid empty AND, so a tree can be freed half-built. */
typedef struct node {
    node_kind kind;
    struct node *kids;
    size_t n;
    leaf leaf;
} node;

struct rb_selector {
    node root;
    char *refnames[MAX_REFS]; /* correlation names used, in first-use order */
    size_t nrefs;
    json_t *params;           /* copy for rendering embedded correlation templates */
};

/* ---- freeing ---- */

static void operand_free(operand *o)
{
    json_decref(o->value);
    if (o->has_re)
        regfree(&o->re);
    rb_jsonpath_free(o->ref_path);
    free(o->tpl);
}

static void node_free(node *n)
{
    for (size_t i = 0; i < n->n; i++)
        node_free(&n->kids[i]);
    free(n->kids);
    rb_jsonpath_free(n->leaf.field);
    for (size_t i = 0; i < n->leaf.n; i++)
        operand_free(&n->leaf.items[i]);
    free(n->leaf.items);
}

void rb_selector_free(rb_selector *sel)
{
    if (!sel)
        return;
    node_free(&sel->root);
    for (size_t i = 0; i < sel->nrefs; i++)
        free(sel->refnames[i]);
    json_decref(sel->params);
    free(sel);
}

/* ---- compiling: context and errors ---- */

typedef struct compiler {
    const rb_sel_env *env;
    rb_selector *sel;
    rb_error *err;
} compiler;

/* Sets a rule error "FILE:LINE: message" with the line of path. */
static rb_code __attribute__((format(printf, 3, 4))) fail(compiler *c, const char *path, const char *fmt, ...)
{
    char msg[1800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return rb_error_set(c->err, RB_ERULE, "%s:%ld: %s", c->env->file ? c->env->file : "selector",
                        rb_linemap_nearest(c->env->lines, path), msg);
}

static bool is_string_op(op_kind op)
{
    return op < OP_EXISTS;
}

static bool is_order_op(op_kind op)
{
    return op > OP_EXISTS;
}

/* ---- compiling: the key "field|mod|mod" ---- */

static bool lookup_operator(const char *name, op_kind *op)
{
    for (size_t i = 0; i < sizeof op_names / sizeof op_names[0]; i++)
        if (strcmp(op_names[i], name) == 0) {
            *op = (op_kind)i;
            return true;
        }
    return false;
}

/* Reads one modifier; stage is how far along not, len, operator, i we are,
 * which is what keeps the chain in its one meaningful order. */
static rb_code read_modifier(compiler *c, const char *key, const char *path, const char *mod,
                             leaf *l, int *stage)
{
    op_kind op;
    if (strcmp(mod, "not") == 0) {
        if (*stage > 0)
            return fail(c, path, "'not' must come right after the field in '%s' (expected field|not|...)", key);
        l->negate = true, *stage = 1;
    } else if (strcmp(mod, "len") == 0) {
        if (*stage > 1)
            return fail(c, path, "'len' must come before the comparison in '%s' (expected field|len or field|len|gt and the like)", key);
        l->len = true, *stage = 2;
    } else if (lookup_operator(mod, &op)) {
        if (*stage == 3)
            return fail(c, path, "two comparisons '%s' and '%s' in '%s' (expected at most one of: in, contains, startswith, endswith, glob, re, exists, gt, gte, lt, lte)",
                        op_names[l->op], mod, key);
        if (*stage > 3)
            return fail(c, path, "'i' must come last in '%s' (expected field|%s|i)", key, mod);
        l->op = op, *stage = 3;
    } else if (strcmp(mod, "i") == 0) {
        if (*stage > 3)
            return fail(c, path, "'i' given twice in '%s' (expected it once, last)", key);
        l->icase = true, *stage = 4;
    } else {
        return fail(c, path, "unknown modifier '%s' in '%s' (expected one of: " EXPECTED_MODIFIERS ")",
                    mod, key);
    }
    return RB_OK;
}

/* Rejects chains that parse but mean nothing. */
static rb_code check_modifiers(compiler *c, const char *key, const char *path, const leaf *l)
{
    if (l->len && l->op != OP_EQ && l->op != OP_IN && !is_order_op(l->op))
        return fail(c, path, "'len' cannot be combined with '%s' in '%s' (expected len alone or with in, gt, gte, lt, lte)",
                    op_names[l->op], key);
    if (l->icase && (l->len || !is_string_op(l->op)))
        return fail(c, path, "'i' only applies to a string match in '%s' (expected it after contains, startswith, endswith, glob, re, in, eq or the bare field)",
                    key);
    return RB_OK;
}

static rb_code parse_key(compiler *c, const char *key, const char *path, leaf *l)
{
    const char *bar = strchr(key, '|');
    size_t field_len = bar ? (size_t)(bar - key) : strlen(key);
    if (field_len == 0)
        return fail(c, path, "empty field name in '%s' (expected field|modifier)", key);
    char *field = rb_xstrndup(key, field_len);
    l->field = rb_jsonpath_compile(field);
    free(field);
    if (!l->field)
        return fail(c, path, "invalid field path in '%s' (expected dotted names such as detail.code)", key);
    l->op = OP_EQ;
    int stage = 0;
    while (bar) {
        const char *next = strchr(bar + 1, '|');
        char *mod = next ? rb_xstrndup(bar + 1, (size_t)(next - bar - 1)) : rb_xstrdup(bar + 1);
        rb_code rc = read_modifier(c, key, path, mod, l, &stage);
        free(mod);
        if (rc)
            return rc;
        bar = next;
    }
    return check_modifiers(c, key, path, l);
}

/* ---- compiling: values and references ---- */

/* The index of a correlation name in env->refs terms, registered in the
 * selector; -1 when name is not a correlation reference. */
static int correlation_index(compiler *c, const char *name)
{
    size_t len = strcspn(name, ".");
    bool allowed = false;
    for (const char *const *r = c->env->refs; r && *r && !allowed; r++)
        allowed = strlen(*r) == len && strncmp(*r, name, len) == 0;
    if (!allowed)
        return -1;
    rb_selector *sel = c->sel;
    for (size_t i = 0; i < sel->nrefs; i++)
        if (strlen(sel->refnames[i]) == len && strncmp(sel->refnames[i], name, len) == 0)
            return (int)i;
    if (sel->nrefs == MAX_REFS)
        return -1;
    sel->refnames[sel->nrefs] = rb_xstrndup(name, len);
    return (int)sel->nrefs++;
}

/* A parameter's value, or NULL; ctx is the compiler (a template lookup). */
static const json_t *param(void *ctx, const char *name)
{
    const compiler *c = ctx;
    return c->env->params ? json_object_get(c->env->params, name) : NULL;
}

static rb_code unknown_ref(compiler *c, const char *path, const char *key, const char *name)
{
    rb_buf known = {0};
    const char *pname;
    json_t *pvalue;
    if (c->env->params)
        json_object_foreach((json_t *)c->env->params, pname, pvalue)
            rb_buf_printf(&known, "%s{%s}", known.len ? ", " : "", pname);
    for (const char *const *r = c->env->refs; r && *r; r++)
        rb_buf_printf(&known, "%s{%s.FIELD}", known.len ? ", " : "", *r);
    rb_code rc = fail(c, path, "unknown parameter '{%s}' in '%s' (expected %s%s)", name, key,
                      known.len ? "one of: " : "no reference: this selector has no parameters",
                      known.len ? known.data : "");
    rb_buf_free(&known);
    return rc;
}

/* Checks every reference of an embedded template and collects the
 * correlation names it uses. */
typedef struct ref_check {
    compiler *c;
    char *bad; /* copied: the name passed to check_ref does not outlive the walk */
    unsigned mask;
} ref_check;

static bool check_ref(void *ctx, const char *name)
{
    ref_check *rc = ctx;
    if (param(rc->c, name))
        return true;
    int i = correlation_index(rc->c, name);
    if (i < 0) {
        rc->bad = rb_xstrdup(name);
        return false;
    }
    rc->mask |= 1u << i;
    return true;
}

static operand *add_operand(leaf *l, size_t *cap)
{
    rb_grow((void **)&l->items, cap, l->n + 1, sizeof *l->items);
    operand *o = &l->items[l->n++];
    memset(o, 0, sizeof *o);
    o->ref = -1;
    return o;
}

/* A string with a reference to a bound event stays a template; one whose
 * references are all parameters is rendered now, parameters being
 * constants. */
static rb_code add_template(compiler *c, const char *key, const char *path, const char *s,
                            leaf *l, size_t *cap)
{
    ref_check check = {c, NULL, 0};
    if (!rb_template_each_ref(s, check_ref, &check)) {
        rb_code rc = unknown_ref(c, path, key, check.bad);
        free(check.bad);
        return rc;
    }
    operand *o = add_operand(l, cap);
    if (!check.mask) {
        char *text = rb_template_render(s, param, c);
        o->value = json_string(text);
        free(text);
        return RB_OK;
    }
    o->tpl = rb_xstrdup(s);
    o->refmask = check.mask;
    if (!c->sel->params)
        c->sel->params = c->env->params ? json_deep_copy(c->env->params) : json_object();
    return RB_OK;
}

/* Adds the operand(s) for one value; a parameter holding a list adds its
 * items, so that "{envs}" works wherever a list of values does.  *list is
 * set when the value may be a list: such a parameter or a bound value. */
/* "{NAME + N}" or "{NAME - N}": the reference NAME (returned, owned by the
 * caller) with an integer offset, or NULL when s is not of that form. */
static char *offset_ref(const char *s, json_int_t *offset)
{
    size_t len = strlen(s);
    const char *op = strpbrk(s, "+-");
    if (len < 5 || s[0] != '{' || s[len - 1] != '}' || !op)
        return NULL;
    char *end;
    errno = 0;
    long long n = strtoll(op + 1, &end, 10);
    while (*end == ' ')
        end++;
    if (errno || end != s + len - 1 || end == op + 1 || !isdigit((unsigned char)op[1 + strspn(op + 1, " ")]))
        return NULL;
    const char *name_end = op;
    while (name_end > s + 1 && name_end[-1] == ' ')
        name_end--;
    char *ref = rb_xasprintf("{%.*s}", (int)(name_end - s - 1), s + 1);
    char *name = rb_template_single_ref(ref);
    free(ref);
    *offset = *op == '-' ? -n : n;
    return name;
}

static rb_code add_value(compiler *c, const char *key, const char *path, const json_t *v,
                         leaf *l, size_t *cap, bool *list)
{
    const char *s = json_string_value(v);
    json_int_t offset = 0;
    char *name = s ? offset_ref(s, &offset) : NULL;
    if (name && correlation_index(c, name) < 0) {
        rb_code rc = fail(c, path, "'%s' in '%s': an offset applies to a correlation reference such as "
                          "{first.seq + 1}", s, key);
        free(name);
        return rc;
    }
    if (!name && s)
        name = rb_template_single_ref(s);
    if (name) {
        const json_t *p = param(c, name);
        int i = p ? -1 : correlation_index(c, name);
        rb_code rc = RB_OK;
        *list |= (p && json_is_array(p)) || i >= 0;
        if (p && json_is_array(p)) {
            size_t j;
            json_t *item;
            json_array_foreach(p, j, item)
                add_operand(l, cap)->value = json_deep_copy(item);
        } else if (p) {
            add_operand(l, cap)->value = json_deep_copy(p);
        } else if (i >= 0) {
            operand *o = add_operand(l, cap);
            const char *rest = name + strcspn(name, ".");
            o->ref = i;
            o->refmask = 1u << i;
            o->ref_path = rb_jsonpath_compile(*rest ? rest + 1 : "");
            o->offset = offset;
        } else {
            rc = unknown_ref(c, path, key, name);
        }
        free(name);
        return rc;
    }
    if (s && rb_template_has_refs(s))
        return add_template(c, key, path, s, l, cap);
    add_operand(l, cap)->value = json_deep_copy(v);
    return RB_OK;
}

/* Precomputes what comparing with a constant needs; false (with a
 * message in msg) when a regular expression does not compile. */
static bool operand_prepare(operand *o, const leaf *l, char *msg, size_t size)
{
    const char *s = json_string_value(o->value);
    /* a number is also a time, for a field that holds an RFC 3339 one */
    if (is_order_op(l->op) && json_is_number(o->value))
        o->has_time = rb_time_from_json(o->value, RB_TIME_UNIT_AUTO, &o->time_us);
    if (!s)
        return true;
    if (is_order_op(l->op)) {
        o->has_time = rb_time_parse(s, &o->time_us);
        o->has_dur = rb_duration_parse(s, &o->dur_us);
    }
    if (l->op == OP_RE) {
        int rc = regcomp(&o->re, s, REG_EXTENDED | REG_NOSUB | (l->icase ? REG_ICASE : 0));
        if (rc) {
            regerror(rc, &o->re, msg, size);
            return false;
        }
        o->has_re = true;
    }
    return true;
}

/* Type checks of constant operands, whose answer would otherwise be a
 * selector that can never match. */
static rb_code check_operand(compiler *c, const char *key, const char *path, const leaf *l,
                             const operand *o)
{
    const json_t *v = o->value;
    if (l->len && (!json_is_integer(v) || json_integer_value(v) < 0))
        return fail(c, path, "'%s' needs a non-negative integer length (expected e.g. %s: 0)", key, key);
    if (l->len)
        return RB_OK;
    if ((l->icase || l->op == OP_STARTSWITH || l->op == OP_ENDSWITH || l->op == OP_GLOB ||
         l->op == OP_RE) && !json_is_string(v))
        return fail(c, path, "'%s' needs string values (expected a quoted text)", key);
    if (is_order_op(l->op) && !json_is_number(v) && !o->has_time && !o->has_dur)
        return fail(c, path, "'%s' needs a number, an RFC 3339 time or a duration (expected e.g. 5, 2026-04-12T10:00:00Z or 2h)", key);
    return RB_OK;
}

/* Prepares and checks the operands from index `from` on, which came from
 * the value at path. */
static rb_code compile_operands(compiler *c, const char *key, const char *path, leaf *l, size_t from)
{
    for (size_t i = from; i < l->n; i++) {
        operand *o = &l->items[i];
        l->refmask |= o->refmask;
        if (!o->value)
            continue;
        char msg[256];
        if (!operand_prepare(o, l, msg, sizeof msg))
            return fail(c, path, "invalid regular expression '%s' in '%s': %s",
                        json_string_value(o->value), key, msg);
        rb_code rc = check_operand(c, key, path, l, o);
        if (rc)
            return rc;
    }
    return RB_OK;
}

/* Adds the operands of a value, or of each item of a list value. */
static rb_code add_values(compiler *c, const char *key, const char *path, const json_t *v,
                          leaf *l, bool *list)
{
    bool array = json_is_array(v);
    size_t cap = 0, n = array ? json_array_size(v) : 1;
    *list = array;
    for (size_t i = 0; i < n; i++) {
        char *ipath = array ? rb_jsonpath_child_index(path, i) : rb_xstrdup(path);
        size_t from = l->n;
        rb_code rc = add_value(c, key, ipath, array ? json_array_get(v, i) : v, l, &cap, list);
        if (!rc)
            rc = compile_operands(c, key, ipath, l, from);
        free(ipath);
        if (rc)
            return rc;
    }
    return RB_OK;
}

/* exists takes one boolean; `not|exists: true` is folded into
 * `exists: false` so that evaluating needs no special case. */
static rb_code compile_exists(compiler *c, const char *key, const char *path, const json_t *v, leaf *l)
{
    const json_t *b = v;
    const char *s = json_string_value(v);
    char *name = s ? rb_template_single_ref(s) : NULL;
    if (name) {
        b = param(c, name);
        free(name);
    }
    if (!json_is_boolean(b))
        return fail(c, path, "'%s' needs true or false (expected %s: true)", key, key);
    l->exists_want = json_is_true(b) != l->negate;
    l->negate = false;
    return RB_OK;
}

static rb_code compile_leaf(compiler *c, const char *key, const json_t *v, const char *path, node *n)
{
    n->kind = NODE_LEAF;
    leaf *l = &n->leaf;
    rb_code rc = parse_key(c, key, path, l);
    if (rc)
        return rc;
    if (l->op == OP_EXISTS)
        return compile_exists(c, key, path, v, l);
    bool list;
    rc = add_values(c, key, path, v, l, &list);
    if (!rc && l->op == OP_IN && !list)
        return fail(c, path, "'%s' needs a list of values (expected %s: [a, b])", key, key);
    return rc;
}

/* ---- compiling: mappings and composition ---- */

static rb_code compile_mapping(compiler *c, const json_t *spec, const char *path, node *n);

static rb_code compile_list(compiler *c, const char *key, const json_t *v, const char *path, node *n)
{
    n->kind = strcmp(key, "all") == 0 ? NODE_AND : NODE_OR;
    if (!json_is_array(v))
        return fail(c, path, "'%s' needs a list of selectors (expected %s: [{field: value}, ...])", key, key);
    n->kids = rb_xcalloc(json_array_size(v) + 1, sizeof *n->kids);
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item) {
        char *ipath = rb_jsonpath_child_index(path, i);
        rb_code rc = compile_mapping(c, item, ipath, &n->kids[n->n++]);
        free(ipath);
        if (rc)
            return rc;
    }
    return RB_OK;
}

static rb_code compile_entry(compiler *c, const char *key, const json_t *v, const char *path, node *n)
{
    if (strcmp(key, "all") == 0 || strcmp(key, "any") == 0)
        return compile_list(c, key, v, path, n);
    if (strcmp(key, "not") == 0) {
        n->kind = NODE_NOT;
        n->kids = rb_xcalloc(1, sizeof *n->kids);
        n->n = 1;
        return compile_mapping(c, v, path, &n->kids[0]);
    }
    return compile_leaf(c, key, v, path, n);
}

static rb_code compile_mapping(compiler *c, const json_t *spec, const char *path, node *n)
{
    n->kind = NODE_AND;
    if (!json_is_object(spec))
        return fail(c, path, "a selector must be a mapping of field|modifier: value (expected e.g. {type: pruned})");
    n->kids = rb_xcalloc(json_object_size(spec) + 1, sizeof *n->kids);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)spec, key, v) {
        char *epath = rb_jsonpath_child_key(path, key);
        rb_code rc = compile_entry(c, key, v, epath, &n->kids[n->n++]);
        free(epath);
        if (rc)
            return rc;
    }
    return RB_OK;
}

rb_code rb_selector_compile(const json_t *spec, const char *path, const rb_sel_env *env,
                            rb_selector **out, rb_error *err)
{
    *out = NULL;
    compiler c = {env, rb_xcalloc(1, sizeof(rb_selector)), err};
    rb_code rc = compile_mapping(&c, spec, path ? path : "", &c.sel->root);
    if (rc) {
        rb_selector_free(c.sel);
        return rc;
    }
    *out = c.sel;
    return RB_OK;
}

/* ---- evaluating: comparisons ---- */

typedef struct eval_ctx {
    const rb_selector *sel;
    const json_t *bound[MAX_REFS];
    unsigned bound_mask;
} eval_ctx;

/* Typed equality: numbers by value (1 equals 1.0), everything else by
 * type and content. */
static bool values_equal(const json_t *a, const json_t *b, bool icase)
{
    if (json_is_integer(a) && json_is_integer(b))
        return json_integer_value(a) == json_integer_value(b);
    if (json_is_number(a) && json_is_number(b))
        return json_number_value(a) == json_number_value(b);
    if (json_is_string(a) && json_is_string(b) && icase)
        return strcasecmp(json_string_value(a), json_string_value(b)) == 0;
    return json_equal((json_t *)a, (json_t *)b);
}

static int compare_ints(int64_t a, int64_t b)
{
    return (a > b) - (a < b);
}

/* Orders field value f against operand o; false when they are not two
 * numbers, two times or two durations.  Two numbers compare as numbers;
 * a time is an RFC 3339 string, and, facing one, an epoch number too (read
 * by its magnitude), so `ts|gte: 2026-04-12T10:00:00Z` takes an event whose
 * ts is 1775988000000 and `ts|gte: 1775988000` one whose ts is RFC 3339. */
static bool order(const json_t *f, const operand *o, int *cmp)
{
    const json_t *v = o->value;
    if (json_is_integer(f) && json_is_integer(v)) {
        *cmp = compare_ints(json_integer_value(f), json_integer_value(v));
        return true;
    }
    if (json_is_number(f) && json_is_number(v)) {
        double a = json_number_value(f), b = json_number_value(v);
        *cmp = (a > b) - (a < b);
        return true;
    }
    int64_t us;
    if (o->has_time && rb_time_from_json(f, RB_TIME_UNIT_AUTO, &us)) {
        *cmp = compare_ints(us, o->time_us);
        return true;
    }
    const char *s = json_string_value(f);
    if (!s)
        return false;
    if (o->has_dur && rb_duration_parse(s, &us)) {
        *cmp = compare_ints(us, o->dur_us);
        return true;
    }
    return false;
}

static bool order_holds(op_kind op, int cmp)
{
    switch (op) {
    case OP_GT: return cmp > 0;
    case OP_GTE: return cmp >= 0;
    case OP_LT: return cmp < 0;
    case OP_LTE: return cmp <= 0;
    default: return cmp == 0; /* equality and in, for len */
    }
}

static bool has_prefix(const char *s, size_t n, const char *p, size_t pn, bool icase)
{
    return pn <= n && (icase ? strncasecmp(s, p, pn) : memcmp(s, p, pn)) == 0;
}

static bool contains(const json_t *f, const json_t *v, bool icase)
{
    if (json_is_array(f)) {
        size_t i;
        json_t *item;
        json_array_foreach(f, i, item)
            if (values_equal(item, v, icase))
                return true;
        return false;
    }
    if (!json_is_string(f) || !json_is_string(v))
        return false;
    const char *s = json_string_value(f), *p = json_string_value(v);
    return (icase ? strcasestr(s, p) : strstr(s, p)) != NULL;
}

/* Whether field value f matches one operand under the leaf's operator. */
static bool matches(const leaf *l, const json_t *f, const operand *o)
{
    const json_t *v = o->value;
    const char *s = json_string_value(f), *p = json_string_value(v);
    size_t n = json_string_length(f), pn = json_string_length(v);
    int cmp;
    switch (l->op) {
    case OP_EQ:
    case OP_IN: return values_equal(f, v, l->icase);
    case OP_CONTAINS: return contains(f, v, l->icase);
    case OP_STARTSWITH: return s && p && has_prefix(s, n, p, pn, l->icase);
    case OP_ENDSWITH: return s && p && pn <= n && has_prefix(s + n - pn, pn, p, pn, l->icase);
    case OP_GLOB: return s && p && fnmatch(p, s, l->icase ? FNM_CASEFOLD : 0) == 0;
    case OP_RE: return s && o->has_re && regexec(&o->re, s, 0, NULL, 0) == 0;
    default: return order(f, o, &cmp) && order_holds(l->op, cmp);
    }
}

/* len compares a count: characters of a string, items of a list, members
 * of an object. */
static bool length_of(const json_t *f, json_int_t *len)
{
    if (json_is_string(f))
        *len = (json_int_t)rb_utf8_length(json_string_value(f), json_string_length(f));
    else if (json_is_array(f))
        *len = (json_int_t)json_array_size(f);
    else if (json_is_object(f))
        *len = (json_int_t)json_object_size(f);
    else
        return false;
    return true;
}

/* A pattern modifier on a list field matches when any item matches (a
 * commit's `paths|glob`); equality and contains already know lists. */
static bool is_pattern_op(op_kind op)
{
    return op == OP_STARTSWITH || op == OP_ENDSWITH || op == OP_GLOB || op == OP_RE;
}

static bool matches_operand(const leaf *l, const json_t *f, const operand *o)
{
    json_int_t len;
    if (!l->len && json_is_array(f) && is_pattern_op(l->op)) {
        size_t i;
        json_t *item;
        json_array_foreach(f, i, item)
            if (matches(l, item, o))
                return true;
        return false;
    }
    if (!l->len)
        return matches(l, f, o);
    return length_of(f, &len) && json_is_integer(o->value) &&
           order_holds(l->op, compare_ints(len, json_integer_value(o->value)));
}

/* ---- evaluating: correlation operands ---- */

static const json_t *render_lookup(void *ctx, const char *name)
{
    const eval_ctx *e = ctx;
    size_t len = strcspn(name, ".");
    for (size_t i = 0; i < e->sel->nrefs; i++) {
        const char *r = e->sel->refnames[i];
        if (strlen(r) == len && strncmp(r, name, len) == 0)
            return name[len] ? rb_jsonpath_get(e->bound[i], name + len + 1) : e->bound[i];
    }
    return json_object_get(e->sel->params, name);
}

/* Matches f against a value known only now: made into a temporary
 * operand (a list means any of its items). */
static bool matches_resolved(const leaf *l, const json_t *f, const json_t *v)
{
    if (json_is_array(v)) {
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
            if (matches_resolved(l, f, item))
                return true;
        return false;
    }
    operand tmp = {.value = (json_t *)v, .ref = -1};
    char msg[8];
    bool ok = operand_prepare(&tmp, l, msg, sizeof msg) && matches_operand(l, f, &tmp);
    if (tmp.has_re)
        regfree(&tmp.re);
    return ok;
}

static bool matches_dynamic(const leaf *l, const json_t *f, const operand *o, const eval_ctx *e)
{
    if (o->ref >= 0) {
        const json_t *v = rb_jsonpath_lookup(o->ref_path, e->bound[o->ref]);
        if (!o->offset || !v)
            return v && matches_resolved(l, f, v);
        json_int_t base = json_is_integer(v) ? json_integer_value(v) : 0;
        if (!json_is_integer(v) || (o->offset > 0 && base > INT64_MAX - o->offset) ||
            (o->offset < 0 && base < INT64_MIN - o->offset))
            return false;
        json_t *shifted = json_integer(base + o->offset);
        bool ok = matches_resolved(l, f, shifted);
        json_decref(shifted);
        return ok;
    }
    char *text = rb_template_render(o->tpl, render_lookup, (void *)e);
    json_t *v = json_string(text);
    free(text);
    bool ok = v && matches_resolved(l, f, v);
    json_decref(v);
    return ok;
}

/* ---- evaluating: the tree ---- */

static rb_sel_result eval_leaf(const leaf *l, const json_t *value, const eval_ctx *e)
{
    if (l->refmask & ~e->bound_mask)
        return RB_SEL_UNKNOWN;
    const json_t *f = rb_jsonpath_lookup(l->field, value);
    if (l->op == OP_EXISTS)
        return (f != NULL) == l->exists_want ? RB_SEL_TRUE : RB_SEL_FALSE;
    if (!f)
        return l->negate ? RB_SEL_TRUE : RB_SEL_FALSE;
    bool hit = false;
    for (size_t i = 0; i < l->n && !hit; i++)
        hit = l->items[i].value ? matches_operand(l, f, &l->items[i])
                                : matches_dynamic(l, f, &l->items[i], e);
    return hit != l->negate ? RB_SEL_TRUE : RB_SEL_FALSE;
}

static rb_sel_result eval_node(const node *n, const json_t *value, const eval_ctx *e)
{
    if (n->kind == NODE_LEAF)
        return eval_leaf(&n->leaf, value, e);
    if (n->kind == NODE_NOT) {
        rb_sel_result r = eval_node(&n->kids[0], value, e);
        return r == RB_SEL_UNKNOWN ? r : r == RB_SEL_TRUE ? RB_SEL_FALSE : RB_SEL_TRUE;
    }
    /* Kleene: the deciding value wins over unknown, unknown over the other. */
    rb_sel_result decides = n->kind == NODE_AND ? RB_SEL_FALSE : RB_SEL_TRUE;
    bool unknown = false;
    for (size_t i = 0; i < n->n; i++) {
        rb_sel_result r = eval_node(&n->kids[i], value, e);
        if (r == decides)
            return r;
        unknown |= r == RB_SEL_UNKNOWN;
    }
    if (unknown)
        return RB_SEL_UNKNOWN;
    return decides == RB_SEL_FALSE ? RB_SEL_TRUE : RB_SEL_FALSE;
}

rb_sel_result rb_selector_eval(const rb_selector *sel, const json_t *value, const rb_bindings *b)
{
    eval_ctx e = {sel, {NULL}, 0};
    for (size_t i = 0; i < sel->nrefs && b; i++)
        for (size_t j = 0; j < b->n && j < 4; j++)
            if (b->names[j] && b->values[j] && strcmp(b->names[j], sel->refnames[i]) == 0) {
                e.bound[i] = b->values[j];
                e.bound_mask |= 1u << i;
                break;
            }
    return eval_node(&sel->root, value, &e);
}

bool rb_selector_match(const rb_selector *sel, const json_t *value)
{
    return rb_selector_eval(sel, value, NULL) == RB_SEL_TRUE;
}

bool rb_selector_refers(const rb_selector *sel, const char *name)
{
    for (size_t i = 0; i < sel->nrefs; i++)
        if (strcmp(sel->refnames[i], name) == 0)
            return true;
    return false;
}

/* ---- the text a matching event must hold (a line prefilter) ---- */

/* The text a string operand leaves in escape-free JSON when it matches, or
 * NULL when it may leave none. */
static json_t *operand_text(const leaf *l, const operand *o)
{
    if (!o->value || !json_is_string(o->value) || l->icase)
        return NULL;
    const char *s = json_string_value(o->value);
    switch (l->op) {
    case OP_EQ:
    case OP_IN: return json_sprintf("\"%s\"", s);
    case OP_STARTSWITH: return json_sprintf("\"%s", s);
    case OP_ENDSWITH: return json_sprintf("%s\"", s);
    case OP_CONTAINS: return *s ? json_string(s) : NULL;
    default: return NULL;
    }
}

/* A leaf whose every operand leaves a text needs one of them. */
static json_t *leaf_group(const leaf *l)
{
    if (l->negate || l->len || l->refmask || l->op == OP_EXISTS || !l->n)
        return NULL;
    json_t *group = json_array();
    for (size_t i = 0; i < l->n; i++) {
        json_t *text = operand_text(l, &l->items[i]);
        if (!text) {
            json_decref(group);
            return NULL;
        }
        json_array_append_new(group, text);
    }
    return group;
}

/* The shortest text of a group: how selective it is. */
static size_t group_weakest(const json_t *group)
{
    size_t i, weakest = SIZE_MAX;
    json_t *text;
    json_array_foreach(group, i, text)
        if (json_string_length(text) < weakest)
            weakest = json_string_length(text);
    return weakest;
}

static json_t *node_needs(const node *n);

/* An `any:` needs, of each alternative, one of its most selective group's
 * texts; an alternative that needs nothing makes the whole need nothing. */
static json_t *or_group(const node *n)
{
    json_t *group = json_array();
    for (size_t i = 0; i < n->n; i++) {
        json_t *needs = node_needs(&n->kids[i]), *best = NULL, *g;
        size_t j;
        json_array_foreach(needs, j, g)
            if (!best || group_weakest(g) > group_weakest(best))
                best = g;
        if (!best) {
            json_decref(needs);
            json_decref(group);
            return NULL;
        }
        json_array_extend(group, best);
        json_decref(needs);
    }
    return group;
}

static json_t *node_needs(const node *n)
{
    json_t *needs = json_array(), *group = NULL;
    switch (n->kind) {
    case NODE_LEAF: group = leaf_group(&n->leaf); break;
    case NODE_OR: group = n->n ? or_group(n) : NULL; break;
    case NODE_NOT: break;
    case NODE_AND:
        for (size_t i = 0; i < n->n; i++) {
            json_t *kid = node_needs(&n->kids[i]);
            json_array_extend(needs, kid);
            json_decref(kid);
        }
        break;
    }
    if (group)
        json_array_append_new(needs, group);
    return needs;
}

json_t *rb_selector_needs(const rb_selector *sel)
{
    return node_needs(&sel->root);
}

/* ---- the values a field must have (an index of rules by event type) ---- */

/* The strings a leaf on `field` lets the field be: its operands of a plain
 * equality or `in` (typed, case-sensitive, constant); NULL when the leaf
 * is on another field or lets it be anything else. */
static json_t *leaf_values(const leaf *l, const char *field)
{
    if (strcmp(rb_jsonpath_text(l->field), field) != 0 || l->negate || l->len || l->icase || l->refmask ||
        (l->op != OP_EQ && l->op != OP_IN) || !l->n)
        return NULL;
    json_t *set = json_array();
    for (size_t i = 0; i < l->n; i++) {
        if (!l->items[i].value || !json_is_string(l->items[i].value)) {
            json_decref(set);
            return NULL;
        }
        json_array_append(set, l->items[i].value);
    }
    return set;
}

/* Whether a set (array of strings) holds s. */
static bool set_has(const json_t *set, const json_t *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(set, i, v)
        if (json_equal(v, s))
            return true;
    return false;
}

/* a AND b of two constraints (NULL: any value); takes both. */
static json_t *values_and(json_t *a, json_t *b)
{
    if (!a || !b)
        return a ? a : b;
    json_t *both = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
        if (set_has(b, v))
            json_array_append(both, v);
    json_decref(a);
    json_decref(b);
    return both;
}

static json_t *node_values(const node *n, const char *field)
{
    switch (n->kind) {
    case NODE_LEAF: return leaf_values(&n->leaf, field);
    case NODE_NOT: return NULL;
    case NODE_AND: {
        json_t *set = NULL;
        for (size_t i = 0; i < n->n; i++)
            set = values_and(set, node_values(&n->kids[i], field));
        return set;
    }
    case NODE_OR: {
        if (!n->n)
            return NULL;
        json_t *set = json_array();
        for (size_t i = 0; i < n->n; i++) {
            json_t *kid = node_values(&n->kids[i], field);
            if (!kid) {
                json_decref(set);
                return NULL;
            }
            size_t k;
            json_t *v;
            json_array_foreach(kid, k, v)
                if (!set_has(set, v))
                    json_array_append(set, v);
            json_decref(kid);
        }
        return set;
    }
    }
    return NULL;
}

json_t *rb_selector_field_values(const rb_selector *sel, const char *field)
{
    return node_values(&sel->root, field);
}

/* ---- the members a selector reads (the fields an event must carry) ---- */

/* Adds to names the first segments of a template's references ("{first.x}"
 * names the field x of the event bound to first; "{x.y}", the field x):
 * both segments, as the reader cannot tell a binding from a field. */
static bool note_ref(void *names, const char *ref)
{
    const char *dot = strchr(ref, '.');
    char *head = rb_xstrndup(ref, dot ? (size_t)(dot - ref) : strlen(ref));
    json_object_set_new(names, head, json_true());
    free(head);
    if (dot) {
        const char *next = strchr(dot + 1, '.');
        char *second = rb_xstrndup(dot + 1, next ? (size_t)(next - dot - 1) : strlen(dot + 1));
        json_object_set_new(names, second, json_true());
        free(second);
    }
    return true;
}

void rb_selector_names_refs(const char *tpl, json_t *names)
{
    rb_template_each_ref(tpl, note_ref, names);
}

static void node_fields(const node *n, json_t *names)
{
    if (n->kind != NODE_LEAF) {
        for (size_t i = 0; i < n->n; i++)
            node_fields(&n->kids[i], names);
        return;
    }
    const char *head = rb_jsonpath_head(n->leaf.field);
    if (head)
        json_object_set_new(names, head, json_true());
    for (size_t i = 0; i < n->leaf.n; i++) {
        const operand *o = &n->leaf.items[i];
        if (o->ref_path && rb_jsonpath_head(o->ref_path))
            json_object_set_new(names, rb_jsonpath_head(o->ref_path), json_true());
        if (o->tpl)
            rb_selector_names_refs(o->tpl, names);
    }
}

void rb_selector_fields(const rb_selector *sel, json_t *names)
{
    node_fields(&sel->root, names);
}
