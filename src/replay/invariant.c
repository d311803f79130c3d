/*
 * invariant.c — the invariant checker (invariant.h).
 */
#include <stdlib.h>
#include <string.h>

#include "keymap.h"
#include "replay/invariant.h"
#include "template.h"
#include "util.h"

/* What one invariant remembers about one key. */
typedef struct key_memory {
    int64_t count;        /* once: outputs since the last reset */
    bool seen_first;      /* before */
    bool has_last;        /* consecutive */
    int64_t last;
} key_memory;

struct rp_checker {
    const rp_model *model;
    rb_keymap **memory;   /* per invariant: key -> key_memory (exclusive: the open keys) */
    bool violated;
    rp_violation violation;
};

rp_checker *rp_checker_new(const rp_model *m)
{
    rp_checker *c = rb_xcalloc(1, sizeof *c);
    c->model = m;
    c->memory = rb_xcalloc(m->n_invariants + 1, sizeof *c->memory);
    for (size_t i = 0; i < m->n_invariants; i++)
        c->memory[i] = rb_keymap_new(free);
    return c;
}

void rp_checker_free(rp_checker *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->model->n_invariants; i++)
        rb_keymap_free(c->memory[i]);
    free(c->memory);
    json_decref(c->violation.key);
    free(c->violation.message);
    free(c);
}

const rp_violation *rp_checker_violation(const rp_checker *c)
{
    return c->violated ? &c->violation : NULL;
}

static key_memory *memory_of(rp_checker *c, size_t inv, const json_t *key)
{
    key_memory *km = rb_keymap_get(c->memory[inv], key);
    if (!km) {
        km = rb_xcalloc(1, sizeof *km);
        rb_keymap_put(c->memory[inv], key, km);
    }
    return km;
}

static void violate(rp_checker *c, rp_sim *sim, size_t inv, const json_t *key, int64_t at, char *message)
{
    c->violated = true;
    c->violation = (rp_violation){.invariant = inv, .key = key ? json_deep_copy(key) : json_null(), .at = at,
                                  .message = message};
    rp_sim_stop(sim);
}

static char *key_text(const json_t *key)
{
    rb_buf b = {0};
    rb_template_append_value(&b, key ? key : json_null());
    return rb_buf_take(&b);
}

static bool same(const char *a, const char *b)
{
    return a && strcmp(a, b) == 0;
}

/* An event of `type` for `key` (an input, or an output with its fields). */
static void observe(rp_checker *c, rp_sim *sim, int64_t at, const json_t *key, const char *type,
                    const json_t *fields, bool is_output)
{
    for (size_t i = 0; i < c->model->n_invariants && !c->violated; i++) {
        const rp_invariant *inv = &c->model->invariants[i];
        char *k = NULL;
        switch (inv->kind) {
        case RP_INV_ONCE:
            if (same(inv->reset, type))
                memory_of(c, i, key)->count = 0;
            else if (is_output && same(inv->type, type) && ++memory_of(c, i, key)->count > 1)
                violate(c, sim, i, key, at, rb_xasprintf("`%s` emitted twice for key %s", type, k = key_text(key)));
            break;
        case RP_INV_BEFORE:
            if (same(inv->first, type))
                memory_of(c, i, key)->seen_first = true;
            else if (is_output && same(inv->then, type) && !memory_of(c, i, key)->seen_first)
                violate(c, sim, i, key, at, rb_xasprintf("`%s` for key %s with no `%s` before it", type,
                                                          k = key_text(key), inv->first));
            break;
        case RP_INV_CONSECUTIVE:
            if (same(inv->reset, type)) {
                memory_of(c, i, key)->has_last = false;
            } else if (is_output && same(inv->type, type)) {
                key_memory *km = memory_of(c, i, key);
                const json_t *v = rb_jsonpath_get(fields, inv->field);
                int64_t value = json_integer_value(v);
                if (json_is_integer(v) && km->has_last && value != km->last + 1)
                    violate(c, sim, i, key, at, rb_xasprintf("`%s` %s %lld after %lld for key %s (expected %lld)",
                                                              type, inv->field, (long long)value, (long long)km->last,
                                                              k = key_text(key), (long long)km->last + 1));
                km->has_last = json_is_integer(v);
                km->last = value;
            }
            break;
        case RP_INV_EXCLUSIVE:
            if (same(inv->close, type))
                rb_keymap_remove(c->memory[i], key);
            else if (is_output && same(inv->open, type)) {
                memory_of(c, i, key);
                if ((int64_t)rb_keymap_count(c->memory[i]) > inv->max)
                    violate(c, sim, i, key, at, rb_xasprintf("%zu keys between `%s` and `%s` at once (at most "
                                                              "%lld), the last one %s", rb_keymap_count(c->memory[i]),
                                                              inv->open, inv->close, (long long)inv->max,
                                                              k = key_text(key)));
            }
            break;
        }
        free(k);
    }
}

static void on_input(void *ctx, rp_sim *sim, const rp_input_item *in)
{
    observe(ctx, sim, in->at, in->key, in->handler->trigger, in->fields, false);
}

static void on_output(void *ctx, rp_sim *sim, const rp_output *out)
{
    observe(ctx, sim, out->at, out->key, out->type, out->fields, true);
}

rp_observer rp_checker_observer(rp_checker *c)
{
    return (rp_observer){.input = on_input, .output = on_output, .ctx = c};
}
