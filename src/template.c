/*
 * template.c — "{name}" references in messages and selector strings
 * (template.h).
 */
#include "template.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static bool ident_start(char c)
{
    return isalpha((unsigned char)c) || c == '_';
}

static bool ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '-';
}

/* Length of the reference starting at s (which points at '{'), including
 * both braces, or 0 when the braces do not enclose a reference. */
static size_t ref_length(const char *s)
{
    const char *p = s + 1;
    if (!ident_start(*p))
        return 0;
    while (ident_char(*p))
        p++;
    while (*p == '.') {
        p++;
        if (!ident_char(*p))
            return 0;
        while (ident_char(*p))
            p++;
    }
    return *p == '}' ? (size_t)(p - s) + 1 : 0;
}

void rb_template_append_value(rb_buf *b, const json_t *v)
{
    if (json_is_string(v)) {
        rb_buf_append(b, json_string_value(v), json_string_length(v));
        return;
    }
    char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS);
    if (text) {
        rb_buf_puts(b, text);
        free(text);
    }
}

/* Walks tpl; for text calls on_text, for each reference on_ref.  Returns
 * false when on_ref asked to stop. */
typedef struct walker {
    void (*on_text)(struct walker *w, const char *s, size_t n);
    bool (*on_ref)(struct walker *w, const char *name);
} walker;

static bool walk(const char *tpl, walker *w)
{
    const char *text = tpl, *p = tpl;
    while (*p) {
        if (p[0] == '{' && p[1] == '{') {
            if (w->on_text)
                w->on_text(w, text, (size_t)(p - text) + 1);
            p += 2;
            text = p;
            continue;
        }
        size_t n = *p == '{' ? ref_length(p) : 0;
        if (!n) {
            p++;
            continue;
        }
        if (w->on_text)
            w->on_text(w, text, (size_t)(p - text));
        char name[256];
        size_t len = n - 2 < sizeof name - 1 ? n - 2 : sizeof name - 1;
        memcpy(name, p + 1, len);
        name[len] = '\0';
        if (!w->on_ref(w, name))
            return false;
        p += n;
        text = p;
    }
    if (w->on_text)
        w->on_text(w, text, (size_t)(p - text));
    return true;
}

typedef struct render_walker {
    walker base;
    rb_buf out;
    rb_template_lookup lookup;
    void *ctx;
} render_walker;

static void render_text(walker *w, const char *s, size_t n)
{
    rb_buf_append(&((render_walker *)w)->out, s, n);
}

static bool render_ref(walker *w, const char *name)
{
    render_walker *r = (render_walker *)w;
    const json_t *v = r->lookup(r->ctx, name);
    if (v)
        rb_template_append_value(&r->out, v);
    return true;
}

char *rb_template_render(const char *tpl, rb_template_lookup lookup, void *ctx)
{
    render_walker r = {{render_text, render_ref}, {0}, lookup, ctx};
    rb_buf_append(&r.out, "", 0);
    walk(tpl, &r.base);
    return rb_buf_take(&r.out);
}

typedef struct visit_walker {
    walker base;
    rb_template_visit visit;
    void *ctx;
} visit_walker;

static bool visit_ref(walker *w, const char *name)
{
    visit_walker *v = (visit_walker *)w;
    return v->visit(v->ctx, name);
}

bool rb_template_each_ref(const char *tpl, rb_template_visit visit, void *ctx)
{
    visit_walker v = {{NULL, visit_ref}, visit, ctx};
    return walk(tpl, &v.base);
}

char *rb_template_single_ref(const char *tpl)
{
    size_t n = tpl[0] == '{' ? ref_length(tpl) : 0;
    if (!n || tpl[n] != '\0')
        return NULL;
    return rb_xstrndup(tpl + 1, n - 2);
}

static bool stop_at_first(void *ctx, const char *name)
{
    (void)name;
    *(bool *)ctx = true;
    return false;
}

bool rb_template_has_refs(const char *tpl)
{
    bool found = false;
    rb_template_each_ref(tpl, stop_at_first, &found);
    return found;
}
