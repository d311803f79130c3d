/*
 * trace.c — reading a captured trace for replay (trace.h).
 *
 * The input's reader is asked for lines unparsed (an evidence plan that
 * no line satisfies and that wants unread lines' members: plan.h), so a
 * line the scanner is sure of (line_scan.h) comes with its text and
 * top-level members, and any other comes parsed, with the loader's own
 * errors and --lenient problems either way.  Each event read is
 * copied into a slot and classified at once, in the order of the file.
 * Slots of one time wait in a group until an event of a later time shows
 * that the group is whole; the group is then sorted by content (a group of
 * one, the usual case, needs nothing) and given out.  A group too large to
 * hold goes to a sorter, and so does the whole trace once a pass has found
 * it out of time order.
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "loader.h"
#include "pack.h"
#include "plan.h"
#include "replay/sort.h"
#include "replay/trace.h"
#include "template.h"
#include "util.h"

/* Events of one time held as slots before they go to a sorter. */
#define GROUP_LIMIT 4096
/* Strings of events' fields shared between events (a direct-mapped
 * cache): values up to this long. */
#define SHARED_SLOTS 1024
#define SHARED_MAX_LEN 64

/* A wired event type: its name and what the model does with it. */
typedef struct wired {
    const char *name;
    size_t len;
    rp_role role;
    const rp_handler *handler;
    const rp_output_decl *output;
} wired;

/* One event read: its copy and its classification. */
typedef struct slot {
    rp_trace_event ev;
    rp_trace *trace;            /* whose slot it is */
    int64_t seq;
    bool has_seq;
    char *buf;                  /* the line's copy */
    size_t cap;
    rb_scan_member *members;
    size_t cap_members;
    json_t *parsed;             /* the fields, when parsed or made (owned) */
    json_t *key_made;           /* a key value made from the line (owned) */
    char *id_buf;               /* the key's text form when not in the line */
    char *canonical;
} slot;

struct rp_trace_pass {
    bool lenient;
    rb_scan_member scratch[RB_SCAN_MAX_MEMBERS];
    wired *types;
    size_t n_types;
    const char *key_name;       /* the key field, when it is one member's name */
    size_t key_len;
    /* reading the input */
    bool reading;
    size_t buffered_next;       /* an input read whole: its next buffered event */
    bool at_end;
    /* in time order */
    slot **group;               /* the events of one time, being collected */
    size_t n_group, cap_group;
    slot **emit;                /* a group being given out */
    size_t n_emit, next_emit, cap_emit;
    slot *ahead;                /* read, and of a later time than the group */
    bool has_last;
    int64_t last_ts;
    rp_sorter *group_sorter;    /* a group too large for slots */
    bool group_sorting, emit_sorting;
    slot **spare;
    size_t n_spare, cap_spare;
    /* sorted */
    bool sorted;                /* passes read from `sorter` */
    rp_sorter *sorter;
    slot *out;                  /* an event from a sorter */
    slot *given;                /* the slot given last, to take back */
    /* problems of the passes before this one are forgotten */
    bool has_base;
    size_t problems_base;
    /* this pass */
    size_t index, n_inputs, n_outputs;
    bool has_newest;
    int64_t newest;
    json_t *shared[SHARED_SLOTS];  /* strings of fields, shared */
};

/* ---- events ---- */

static json_t *scan_json(const rb_scan_value *v)
{
    switch (v->kind) {
    case RB_SCAN_STRING:
        return json_stringn_nocheck(v->text, v->len);
    case RB_SCAN_INTEGER:
        return json_integer(rb_scan_integer(v));
    default:
        if (v->len == 4 && memcmp(v->text, "true", 4) == 0)
            return json_true();
        if (v->len == 5 && memcmp(v->text, "false", 5) == 0)
            return json_false();
        if (v->len == 4 && memcmp(v->text, "null", 4) == 0)
            return json_null();
        return json_loadb(v->text, v->len, JSON_DECODE_ANY, NULL);
    }
}

static json_t *members_json(const rb_scan_member *members, size_t n)
{
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++)
        json_object_setn_new_nocheck(o, members[i].name, members[i].name_len, scan_json(&members[i].value));
    return o;
}

/* A short string value, shared when an event before had the same: fields
 * repeat their values (a sender, a target, a state), and jansson strings
 * do not change once made. */
static json_t *shared_string(rp_trace_pass *p, const rb_scan_value *v)
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (size_t i = 0; i < v->len; i++)
        h = (h ^ (unsigned char)v->text[i]) * UINT64_C(1099511628211);
    json_t **cell = &p->shared[h % SHARED_SLOTS];
    if (!*cell || json_string_length(*cell) != v->len || memcmp(json_string_value(*cell), v->text, v->len) != 0) {
        json_decref(*cell);
        *cell = json_stringn_nocheck(v->text, v->len);
    }
    return json_incref(*cell);
}

json_t *rp_trace_fields(rp_trace *t, const rp_trace_event *e)
{
    rp_trace_pass *p = t->pass;
    if (e->fields)
        return json_incref((json_t *)e->fields);
    json_t *o = json_object();
    for (size_t i = 0; i < e->n_members; i++) {
        const rb_scan_member *m = &e->members[i];
        bool share = m->value.kind == RB_SCAN_STRING && m->value.len <= SHARED_MAX_LEN &&
                     !(p->key_name && m->name_len == p->key_len && memcmp(m->name, p->key_name, p->key_len) == 0);
        json_object_setn_new_nocheck(o, m->name, m->name_len, share ? shared_string(p, &m->value) : scan_json(&m->value));
    }
    return o;
}

json_t *rp_trace_event_fields(const rp_trace_event *e)
{
    if (e->fields)
        return json_incref((json_t *)e->fields);
    return members_json(e->members, e->n_members);
}

json_t *rp_trace_line_fields(const char *text, size_t len)
{
    rb_scan_member members[RB_SCAN_MAX_MEMBERS];
    size_t n;
    if (rb_line_scan_members(text, len, members, &n, NULL))
        return members_json(members, n);
    json_t *v = json_loadb(text, len, 0, NULL);
    return v ? v : json_object();
}

static const rb_scan_member *find_member(const rb_scan_member *members, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (members[i].name_len == len && memcmp(members[i].name, name, len) == 0)
            return &members[i];
    return NULL;
}

/* The member name of a path of one segment, or NULL. */
static const char *single_name(const rb_jsonpath *path)
{
    const char *text = rb_jsonpath_text(path);
    return *text && !strpbrk(text, ".\\") ? text : NULL;
}

json_t *rp_trace_event_get(const rp_trace_event *e, const rb_jsonpath *path)
{
    const char *name = e->fields ? NULL : single_name(path);
    if (name) {
        const rb_scan_member *m = find_member(e->members, e->n_members, name, strlen(name));
        return m ? scan_json(&m->value) : NULL;
    }
    json_t *fields = rp_trace_event_fields(e);
    json_t *v = json_incref(rb_jsonpath_lookup(path, fields));
    json_decref(fields);
    return v;
}

/* ---- slots ---- */

static slot *slot_take(rp_trace *t)
{
    rp_trace_pass *p = t->pass;
    slot *s = p->n_spare ? p->spare[--p->n_spare] : rb_xcalloc(1, sizeof *s);
    s->trace = t;
    return s;
}

static void slot_clear(slot *s)
{
    json_decref(s->parsed);
    json_decref(s->key_made);
    free(s->id_buf);
    free(s->canonical);
    s->parsed = s->key_made = NULL;
    s->id_buf = s->canonical = NULL;
}

static void slot_give_back(rp_trace_pass *p, slot *s)
{
    if (!s)
        return;
    slot_clear(s);
    rb_grow((void **)&p->spare, &p->cap_spare, p->n_spare + 1, sizeof *p->spare);
    p->spare[p->n_spare++] = s;
}

static void slot_free(slot *s)
{
    if (!s)
        return;
    slot_clear(s);
    free(s->buf);
    free(s->members);
    free(s);
}

static void slot_set_text(slot *s, const char *text, size_t len)
{
    if (s->cap < len + 1) {
        s->cap = len + 1 > 256 ? len + 1 : 256;
        s->buf = rb_xrealloc(s->buf, s->cap);
    }
    memcpy(s->buf, text, len);
    s->buf[len] = '\0';
    s->ev.text = s->buf;
    s->ev.len = len;
    s->ev.fields = NULL;
}

/* The members of the slot's line, scanned in `from` (the same bytes as
 * the slot's copy): pointers moved into the copy. */
static void slot_set_members(slot *s, const rb_scan_member *members, size_t n, const char *from)
{
    if (s->cap_members < n) {
        s->cap_members = n;
        s->members = rb_xrealloc(s->members, n * sizeof *s->members);
    }
    for (size_t i = 0; i < n; i++) {
        s->members[i] = members[i];
        s->members[i].name = s->buf + (members[i].name - from);
        s->members[i].value.text = s->buf + (members[i].value.text - from);
    }
    s->ev.members = s->members;
    s->ev.n_members = n;
}

/* ---- classification ---- */

static void wired_add(rp_trace_pass *p, const char *name, rp_role role, const rp_handler *h,
                      const rp_output_decl *o)
{
    for (size_t i = 0; i < p->n_types; i++)
        if (strcmp(p->types[i].name, name) == 0)
            return;  /* an input first, then an output, then ignored */
    p->types = rb_xrealloc(p->types, (p->n_types + 1) * sizeof *p->types);
    p->types[p->n_types++] = (wired){name, strlen(name), role, h, o};
}

static const wired *wired_find(const rp_trace_pass *p, const char *name, size_t len)
{
    for (size_t i = 0; i < p->n_types; i++)
        if (p->types[i].len == len && memcmp(p->types[i].name, name, len) == 0)
            return &p->types[i];
    return NULL;
}

static void wired_types(const rp_model *m, rb_buf *b)
{
    rb_buf_puts(b, "an input (");
    for (size_t i = 0; i < m->n_inputs; i++)
        rb_buf_printf(b, "%s%s", i ? ", " : "", m->inputs[i].trigger);
    rb_buf_puts(b, "), an output (");
    for (size_t i = 0; i < m->n_outputs; i++)
        rb_buf_printf(b, "%s%s", i ? ", " : "", m->outputs[i].type);
    rb_buf_puts(b, ") or a type under ignore:");
}

static rb_code unwired(const rp_trace *t, long line, const char *type, size_t len, rb_error *err)
{
    rb_buf expected = {0};
    wired_types(t->model, &expected);
    char *name = rb_xstrndup(type, len);
    rb_error_set(err, RB_EINPUT, "%s:%ld: event type '%s' is not wired by model %s (expected %s)", t->input->path,
                 line, name, t->model->name, expected.data);
    free(name);
    rb_buf_free(&expected);
    return RB_EINPUT;
}

/* The key of a parsed event (or of a plain one whose key field is a path). */
static void key_from_json(slot *s, const json_t *key)
{
    s->ev.key = key;
    s->ev.has_key = key != NULL;
    rp_key_id_of(key, &s->ev.key_id, &s->id_buf);
}

/* The key of a plain line from its member. */
static void key_from_member(slot *s, const rb_scan_member *m)
{
    s->ev.has_key = m != NULL;
    s->ev.key = NULL;
    if (!m) {
        s->ev.key_id = (rp_key_id){'j', "null", 4};
    } else if (m->value.kind == RB_SCAN_STRING) {
        s->ev.key_id = (rp_key_id){'s', m->value.text, m->value.len};
    } else if (m->value.kind == RB_SCAN_INTEGER && !(m->value.len == 2 && memcmp(m->value.text, "-0", 2) == 0)) {
        s->ev.key_id = (rp_key_id){'j', m->value.text, m->value.len};
    } else {
        s->key_made = scan_json(&m->value);
        key_from_json(s, s->key_made);
    }
}

/* Classifies the event in slot s (its text or parsed fields set). */
static rb_code classify(const rp_trace *t, slot *s, rb_error *err)
{
    rp_trace_pass *p = t->pass;
    rp_trace_event *e = &s->ev;
    const char *type;
    size_t type_len;
    if (!s->parsed && !e->members) {
        size_t n;
        const rb_scan_member *tm;
        if (!rb_line_scan_members(e->text, e->len, p->scratch, &n, NULL) ||
            !(tm = find_member(p->scratch, n, "type", 4)) || tm->value.kind != RB_SCAN_STRING) {
            /* not plain after all (a parsed line written back): parse it */
            s->parsed = json_loadb(e->text, e->len, 0, NULL);
            if (!json_is_object(s->parsed))
                return rb_error_set(err, RB_EINTERNAL, "%s:%ld: the trace's line could not be read back",
                                    t->input->path, e->line);
        } else {
            slot_set_members(s, p->scratch, n, e->text);
        }
    }
    if (s->parsed) {
        e->fields = s->parsed;
        e->text = NULL;
        e->members = NULL;
        e->n_members = 0;
        const json_t *tv = json_object_get(s->parsed, "type");
        type = json_string_value(tv);
        type_len = json_string_length(tv);
    } else {
        const rb_scan_member *tm = find_member(e->members, e->n_members, "type", 4);
        type = tm->value.text;
        type_len = tm->value.len;
    }
    const wired *w = wired_find(p, type, type_len);
    if (!w)
        return unwired(t, e->line, type, type_len, err);
    e->type = w->name;
    e->role = w->role;
    e->handler = w->handler;
    e->output = w->output;
    if (s->parsed) {
        key_from_json(s, rb_jsonpath_lookup(t->model->key_path, s->parsed));
    } else if (p->key_name) {
        key_from_member(s, find_member(e->members, e->n_members, p->key_name, p->key_len));
    } else {
        /* a key that is a path: the fields are made for it */
        s->parsed = members_json(e->members, e->n_members);
        e->fields = s->parsed;
        key_from_json(s, rb_jsonpath_lookup(t->model->key_path, s->parsed));
    }
    return RB_OK;
}

/* ---- the source: the input's reader, or its buffered events ---- */

static rb_code source_open(rp_trace *t, rb_error *err)
{
    rp_trace_pass *p = t->pass;
    p->at_end = false;
    p->buffered_next = 0;
    if (!t->input->reader)
        return RB_OK;
    rb_code rc = t->input->reader->open(t->input->reader_state, err);
    p->reading = !rc;
    return rc;
}

static void source_close(rp_trace *t)
{
    rp_trace_pass *p = t->pass;
    if (p->reading)
        t->input->reader->close(t->input->reader_state);
    p->reading = false;
}

/* The next event of the file into a new slot, classified; *out NULL at
 * the end. */
static rb_code source_next(rp_trace *t, slot **out, rb_error *err)
{
    rp_trace_pass *p = t->pass;
    rb_evidence *ev = t->evidence;
    *out = NULL;
    if (p->at_end)
        return RB_OK;
    rb_event e;
    bool got = false;
    rb_code rc = RB_OK;
    if (t->input->reader) {
        /* no rule wants a line: each comes unread, with its members, or,
         * when the scanner is not sure of it, parsed whole */
        static const rb_plan unread = {.every_member = true, .unread_members = true};
        ev->plan = &unread;
        rc = t->input->reader->next(t->input->reader_state, ev, &e, &got, err);
        ev->plan = NULL;
    } else {
        while (p->buffered_next < ev->n_buffered && ev->buffered[p->buffered_next].origin.input != t->input)
            p->buffered_next++;
        got = p->buffered_next < ev->n_buffered;
        if (got) {
            e = ev->buffered[p->buffered_next++];
            json_incref(e.fields);
        }
    }
    if (rc || !got) {
        p->at_end = !rc;
        return rc;
    }
    slot *s = slot_take(t);
    memset(&s->ev, 0, sizeof s->ev);
    s->ev.ts = e.ts;
    s->ev.line = e.origin.line;
    s->seq = e.seq;
    s->has_seq = e.has_seq;
    if (e.fields) {
        s->parsed = e.fields;
    } else {
        slot_set_text(s, e.text, e.text_len);
        if (e.members)
            slot_set_members(s, e.members, e.n_members, e.text);
    }
    rc = classify(t, s, err);
    if (rc) {
        slot_give_back(p, s);
        return rc;
    }
    *out = s;
    return RB_OK;
}

/* ---- ordering ---- */

/* The slot as a sort item: a parsed line as its compact JSON (*text). */
static rp_sort_item slot_item(const slot *s, char **text)
{
    *text = NULL;
    rp_sort_item item = {s->ev.ts, s->seq, s->has_seq, s->ev.line, s->ev.text, s->ev.len};
    if (!s->ev.text) {
        *text = json_dumps(s->parsed, JSON_COMPACT);
        item.text = *text;
        item.len = strlen(*text);
    }
    return item;
}

static int slot_order(const void *pa, const void *pb)
{
    slot *a = *(slot *const *)pa, *b = *(slot *const *)pb;
    if (!a->canonical && a->parsed)
        a->canonical = rp_event_canonical(NULL, 0, a->parsed);
    if (!b->canonical && b->parsed)
        b->canonical = rp_event_canonical(NULL, 0, b->parsed);
    rp_sort_item x = {a->ev.ts, a->seq, a->has_seq, a->ev.line, a->ev.text, a->ev.len};
    rp_sort_item y = {b->ev.ts, b->seq, b->has_seq, b->ev.line, b->ev.text, b->ev.len};
    return rp_event_order(&x, &a->canonical, &y, &b->canonical);
}

static rb_code sorter_add_slot(rp_sorter *sorter, const slot *s, rb_error *err)
{
    char *text;
    rp_sort_item item = slot_item(s, &text);
    rb_code rc = rp_sorter_add(sorter, &item, err);
    free(text);
    return rc;
}

/* An item from a sorter as the `out` slot, classified again. */
static rb_code slot_from_item(rp_trace *t, const rp_sort_item *item, slot **out, rb_error *err)
{
    rp_trace_pass *p = t->pass;
    if (!p->out)
        p->out = rb_xcalloc(1, sizeof *p->out);
    slot *s = p->out;
    s->trace = t;
    slot_clear(s);
    memset(&s->ev, 0, sizeof s->ev);
    s->ev.ts = item->ts;
    s->ev.line = item->line;
    s->seq = item->seq;
    s->has_seq = item->has_seq;
    slot_set_text(s, item->text, item->len);
    *out = s;
    return classify(t, s, err);
}

/* ---- passes ---- */

static void group_release(rp_trace_pass *p)
{
    for (size_t i = 0; i < p->n_group; i++)
        slot_give_back(p, p->group[i]);
    for (size_t i = p->next_emit; i < p->n_emit; i++)
        slot_give_back(p, p->emit[i]);
    slot_give_back(p, p->ahead);
    slot_give_back(p, p->given);
    p->n_group = p->n_emit = p->next_emit = 0;
    p->ahead = p->given = NULL;
    if (p->group_sorter)
        rp_sorter_reset(p->group_sorter);
    p->group_sorting = p->emit_sorting = false;
}

static void pass_free(rp_trace_pass *p)
{
    if (!p)
        return;
    group_release(p);
    for (size_t i = 0; i < SHARED_SLOTS; i++)
        json_decref(p->shared[i]);
    for (size_t i = 0; i < p->n_spare; i++)
        slot_free(p->spare[i]);
    free(p->spare);
    free(p->group);
    free(p->emit);
    slot_free(p->out);
    rp_sorter_free(p->group_sorter);
    rp_sorter_free(p->sorter);
    free(p->types);
    free(p);
}

void rp_trace_free(rp_trace *t)
{
    if (!t)
        return;
    if (t->pass)
        source_close(t);
    pass_free(t->pass);
    rb_evidence_free(t->evidence);
    free(t);
}

/* The input that holds the trace: the file itself, or a bundle's
 * trace.jsonl member. */
static rb_input *trace_input(const rb_evidence *ev, const char *path, rb_error *err)
{
    for (size_t i = 0; i < ev->n_inputs; i++) {
        rb_input *in = ev->inputs[i];
        const char *bang = strrchr(in->path, '!');
        if (strcmp(in->kind, "jsonl") == 0 && (!bang || strcmp(rb_path_basename(bang + 1), "trace.jsonl") == 0))
            return in;
    }
    bool bundle = ev->n_inputs && strcmp(ev->inputs[0]->kind, "bundle") == 0;
    rb_error_set(err, RB_EINPUT, bundle ? "%s: the bundle has no trace.jsonl member (expected the captured events "
                                          "of the incident)"
                                        : "%s: not a trace (expected a JSON Lines file, .jsonl or .ndjson, or a "
                                          "bundle with a trace.jsonl member)", path);
    return NULL;
}

static rp_trace_pass *pass_new(const rp_model *m, bool lenient)
{
    rp_trace_pass *p = rb_xcalloc(1, sizeof *p);
    p->lenient = lenient;
    for (size_t i = 0; i < m->n_inputs; i++)
        wired_add(p, m->inputs[i].trigger, RP_ROLE_INPUT, &m->inputs[i], NULL);
    for (size_t i = 0; i < m->n_outputs; i++)
        wired_add(p, m->outputs[i].type, RP_ROLE_OUTPUT, NULL, &m->outputs[i]);
    for (size_t i = 0; i < m->n_ignore; i++)
        wired_add(p, m->ignore[i], RP_ROLE_IGNORED, NULL, NULL);
    const char *key = rb_jsonpath_text(m->key_path);
    if (*key && !strpbrk(key, ".\\")) {
        p->key_name = key;
        p->key_len = strlen(key);
    }
    return p;
}

rb_code rp_trace_open(const char *path, const rp_model *m, bool lenient, rp_trace **out, rb_error *err)
{
    rp_trace *t = rb_xcalloc(1, sizeof *t);
    *out = NULL;
    t->model = m;
    t->evidence = rb_evidence_new();
    rb_load_opts opts = {.lenient = lenient};
    rb_code rc = rb_load_input(t->evidence, path, NULL, &opts, err);
    rb_evidence_settle_names(t->evidence);
    if (!rc && !(t->input = trace_input(t->evidence, path, err)))
        rc = RB_EINPUT;
    if (rc) {
        rp_trace_free(t);
        return rc;
    }
    t->pass = pass_new(m, lenient);
    *out = t;
    return RB_OK;
}

static void forget_problems(rp_trace *t)
{
    rp_trace_pass *p = t->pass;
    if (!p->has_base) {
        p->problems_base = t->evidence->n_problems;
        p->has_base = true;
    }
    rb_evidence_truncate_problems(t->evidence, p->problems_base);
}

/* Reads the whole file into the sorter (the first sorted pass). */
static rb_code fill_sorter(rp_trace *t, rb_error *err)
{
    rp_trace_pass *p = t->pass;
    p->sorter = rp_sorter_new();
    forget_problems(t);
    rb_code rc = source_open(t, err);
    slot *s;
    while (!rc && !(rc = source_next(t, &s, err)) && s) {
        rc = sorter_add_slot(p->sorter, s, err);
        slot_give_back(p, s);
    }
    source_close(t);
    if (!rc)
        rc = rp_sorter_done(p->sorter, err);
    if (!rc && rp_sorter_runs(p->sorter))
        rb_verbose("replay: %s is not in time order: sorted through %zu runs on disk", t->input->path,
                   rp_sorter_runs(p->sorter));
    else if (!rc)
        rb_verbose("replay: %s is not in time order: sorted in memory", t->input->path);
    return rc;
}

rb_code rp_trace_rewind(rp_trace *t, rb_error *err)
{
    rp_trace_pass *p = t->pass;
    source_close(t);
    group_release(p);
    p->index = p->n_inputs = p->n_outputs = 0;
    p->has_newest = p->has_last = false;
    p->newest = p->last_ts = 0;
    p->at_end = false;
    if (!p->sorted) {
        forget_problems(t);
        return source_open(t, err);
    }
    rb_code rc = p->sorter ? RB_OK : fill_sorter(t, err);
    return rc ? rc : rp_sorter_rewind(p->sorter, err);
}

/* Counts an event given out and gives it its index. */
static const rp_trace_event *give(rp_trace *t, slot *s)
{
    rp_trace_pass *p = t->pass;
    s->ev.index = p->index++;
    p->n_inputs += s->ev.role == RP_ROLE_INPUT;
    p->n_outputs += s->ev.role == RP_ROLE_OUTPUT;
    if (!p->has_newest || s->ev.ts > p->newest)
        p->newest = s->ev.ts;
    p->has_newest = true;
    return &s->ev;
}

static void pass_done(rp_trace *t)
{
    rp_trace_pass *p = t->pass;
    source_close(t);
    t->n = p->index;
    t->n_inputs = p->n_inputs;
    t->n_outputs = p->n_outputs;
    t->has_newest = p->has_newest;
    t->newest = p->newest;
}

/* A slot of the current time joins the group (or its sorter). */
static rb_code group_add(rp_trace_pass *p, slot *s, rb_error *err)
{
    if (!p->group_sorting && p->n_group < GROUP_LIMIT) {
        rb_grow((void **)&p->group, &p->cap_group, p->n_group + 1, sizeof *p->group);
        p->group[p->n_group++] = s;
        return RB_OK;
    }
    if (!p->group_sorter)
        p->group_sorter = rp_sorter_new();
    rb_code rc = RB_OK;
    if (!p->group_sorting) {
        p->group_sorting = true;
        for (size_t i = 0; i < p->n_group && !rc; i++)
            rc = sorter_add_slot(p->group_sorter, p->group[i], err);
        for (size_t i = 0; i < p->n_group; i++)
            slot_give_back(p, p->group[i]);
        p->n_group = 0;
    }
    if (!rc)
        rc = sorter_add_slot(p->group_sorter, s, err);
    slot_give_back(p, s);
    return rc;
}

/* The group is whole: it becomes the one given out. */
static rb_code group_close(rp_trace_pass *p, rb_error *err)
{
    if (p->group_sorting) {
        p->group_sorting = false;
        p->emit_sorting = true;
        rb_code rc = rp_sorter_done(p->group_sorter, err);
        return rc ? rc : rp_sorter_rewind(p->group_sorter, err);
    }
    if (p->n_group > 1)
        qsort(p->group, p->n_group, sizeof *p->group, slot_order);
    slot **swap = p->emit;
    size_t cap = p->cap_emit;
    p->emit = p->group;
    p->cap_emit = p->cap_group;
    p->n_emit = p->n_group;
    p->next_emit = 0;
    p->group = swap;
    p->cap_group = cap;
    p->n_group = 0;
    return RB_OK;
}

/* The next event of a group being given out, or NULL when it is done. */
static rb_code emit_next(rp_trace *t, const rp_trace_event **e, rb_error *err)
{
    rp_trace_pass *p = t->pass;
    *e = NULL;
    if (p->emit_sorting) {
        const rp_sort_item *item;
        rb_code rc = rp_sorter_next(p->group_sorter, &item, err);
        slot *s;
        if (!rc && item && !(rc = slot_from_item(t, item, &s, err)))
            *e = give(t, s);
        if (!rc && !item) {
            p->emit_sorting = false;
            rp_sorter_reset(p->group_sorter);
        }
        return rc;
    }
    if (p->next_emit < p->n_emit) {
        p->given = p->emit[p->next_emit++];
        *e = give(t, p->given);
    }
    return RB_OK;
}

static rb_code next_in_order(rp_trace *t, const rp_trace_event **e, bool *restart, rb_error *err)
{
    rp_trace_pass *p = t->pass;
    for (;;) {
        rb_code rc = emit_next(t, e, err);
        if (rc || *e)
            return rc;
        /* collect the next group */
        for (;;) {
            slot *s = p->ahead;
            p->ahead = NULL;
            if (!s && (rc = source_next(t, &s, err)))
                return rc;
            if (!s) {
                if (!p->n_group && !p->group_sorting) {
                    pass_done(t);
                    return RB_OK;
                }
                break;
            }
            if (p->has_last && s->ev.ts < p->last_ts) {
                slot_give_back(p, s);
                source_close(t);
                p->sorted = true;
                *restart = true;
                rb_verbose("replay: %s:%ld is older than the event before it: the trace is read again, sorted",
                           t->input->path, s->ev.line);
                return RB_OK;
            }
            if ((p->n_group || p->group_sorting) && s->ev.ts != p->last_ts) {
                p->ahead = s;
                break;
            }
            p->has_last = true;
            p->last_ts = s->ev.ts;
            if ((rc = group_add(p, s, err)))
                return rc;
        }
        if ((rc = group_close(p, err)))
            return rc;
    }
}

static rb_code next_sorted(rp_trace *t, const rp_trace_event **e, rb_error *err)
{
    const rp_sort_item *item;
    rb_code rc = rp_sorter_next(t->pass->sorter, &item, err);
    if (rc)
        return rc;
    if (!item) {
        pass_done(t);
        return RB_OK;
    }
    slot *s;
    rc = slot_from_item(t, item, &s, err);
    if (!rc)
        *e = give(t, s);
    return rc;
}

/* A copy of a slot, for an event kept past the slot's reuse. */
static slot *slot_copy(rp_trace *t, const slot *from)
{
    slot *s = slot_take(t);
    memset(&s->ev, 0, sizeof s->ev);
    s->ev.ts = from->ev.ts;
    s->ev.line = from->ev.line;
    s->seq = from->seq;
    s->has_seq = from->has_seq;
    if (from->ev.text) {
        slot_set_text(s, from->ev.text, from->ev.len);
        if (from->ev.members)
            slot_set_members(s, from->ev.members, from->ev.n_members, from->ev.text);
    }
    if (from->parsed && !from->ev.text)
        s->parsed = json_incref(from->parsed);
    rb_error unused;
    classify(t, s, &unused);  /* as it was classified before */
    s->ev.index = from->ev.index;
    return s;
}

json_t *rp_trace_kept_fields(const void *kept)
{
    const slot *s = kept;
    return rp_trace_fields(s->trace, &s->ev);
}

const rp_trace_event *rp_trace_keep(rp_trace *t, const rp_trace_event *e)
{
    rp_trace_pass *p = t->pass;
    if (p->given && &p->given->ev == e) {
        p->given = NULL;
        return e;
    }
    return &slot_copy(t, (const slot *)e)->ev;
}

void rp_trace_release(rp_trace *t, const rp_trace_event *e)
{
    slot_give_back(t->pass, (slot *)e);
}

rb_code rp_trace_next(rp_trace *t, const rp_trace_event **e, bool *restart, rb_error *err)
{
    rp_trace_pass *p = t->pass;
    *e = NULL;
    *restart = false;
    slot_give_back(p, p->given);
    p->given = NULL;
    return p->sorted ? next_sorted(t, e, err) : next_in_order(t, e, restart, err);
}

/* ---- whole passes ---- */

/* Calls visit for every event of a whole pass; a pass begun again calls
 * reset first (what the void part gave is to be forgotten). */
typedef struct visitor {
    rb_code (*visit)(void *ctx, const rp_trace_event *e, bool *stop);
    void (*reset)(void *ctx);
    void *ctx;
} visitor;

static rb_code each_event(rp_trace *t, const visitor *v, rb_error *err)
{
    rb_code rc = rp_trace_rewind(t, err);
    bool stop = false;
    while (!rc && !stop) {
        const rp_trace_event *e;
        bool restart;
        rc = rp_trace_next(t, &e, &restart, err);
        if (!rc && restart) {
            v->reset(v->ctx);
            rc = rp_trace_rewind(t, err);
        } else if (!rc && !e) {
            break;
        } else if (!rc) {
            rc = v->visit(v->ctx, e, &stop);
        }
    }
    return rc;
}

typedef struct schedule_ctx {
    rp_schedule *s;
    json_t *keep;
    size_t n_before, kept_before;
} schedule_ctx;

static rb_code schedule_event(void *ctx, const rp_trace_event *e, bool *stop)
{
    (void)stop;
    schedule_ctx *c = ctx;
    if (e->role != RP_ROLE_INPUT)
        return RB_OK;
    json_t *fields = rp_trace_event_fields(e);
    json_array_append_new(c->keep, fields);
    json_t *key = (json_t *)e->key;
    if (e->has_key && !key) {
        key = e->key_id.tag == 's' ? json_stringn(e->key_id.text, e->key_id.len)
                                   : json_loadb(e->key_id.text, e->key_id.len, JSON_DECODE_ANY, NULL);
        json_array_append_new(c->keep, key);
    }
    rp_input_item item = {.at = e->ts, .order = e->index, .fields = fields, .key = key, .handler = e->handler,
                          .line = e->line, .index = e->index};
    rp_schedule_add(c->s, &item);
    return RB_OK;
}

static void schedule_reset(void *ctx)
{
    schedule_ctx *c = ctx;
    c->s->n = c->n_before;
    while (json_array_size(c->keep) > c->kept_before)
        json_array_remove(c->keep, json_array_size(c->keep) - 1);
}

rb_code rp_trace_schedule(rp_trace *t, rp_schedule *s, json_t *keep, rb_error *err)
{
    schedule_ctx c = {s, keep, s->n, json_array_size(keep)};
    visitor v = {schedule_event, schedule_reset, &c};
    return each_event(t, &v, err);
}

typedef struct first_ctx {
    rp_key_id id;
    long line;
} first_ctx;

static rb_code first_event(void *ctx, const rp_trace_event *e, bool *stop)
{
    first_ctx *c = ctx;
    const rp_key_id *id = &e->key_id;
    if (e->has_key && id->tag == c->id.tag && id->len == c->id.len && memcmp(id->text, c->id.text, id->len) == 0) {
        c->line = e->line;
        *stop = true;
    }
    return RB_OK;
}

static void first_reset(void *ctx)
{
    ((first_ctx *)ctx)->line = 0;
}

rb_code rp_trace_first_line(rp_trace *t, const json_t *key, long *line, rb_error *err)
{
    first_ctx c = {{0}, 0};
    char *buf;
    rp_key_id_of(key, &c.id, &buf);
    visitor v = {first_event, first_reset, &c};
    rb_code rc = each_event(t, &v, err);
    free(buf);
    *line = c.line;
    return rc;
}

rb_code rp_trace_evidence_findings(rp_trace *t, rb_findings *out, bool *has_end, int64_t *end, rb_error *err)
{
    rb_input *in = t->input;
    source_close(t);
    /* the engine reads the other inputs: the trace was read by the replay */
    const rb_event_reader_ops *reader = in->reader;
    void *state = in->reader_state;
    in->reader = NULL;
    rb_ruleset *none = rb_ruleset_new();
    rb_engine_opts eo = {0};
    rb_engine_result er;
    rb_code rc = rb_engine_run(none, t->evidence, &eo, out, &er, err);
    rb_ruleset_free(none);
    in->reader = reader;
    in->reader_state = state;
    if (rc)
        return rc;
    if (reader) {
        in->n_events = t->n;
        t->evidence->n_events += t->n;
    }
    *has_end = er.has_end || t->has_newest;
    *end = er.has_end && (!t->has_newest || er.end > t->newest) ? er.end : t->newest;
    rb_engine_result_free(&er);
    return RB_OK;
}
