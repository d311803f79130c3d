/*
 * jsonpath.c — compiling and following dotted paths (jsonpath.h).
 */
#include "jsonpath.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

typedef struct segment {
    char *key;
    bool is_index; /* all digits: an array index when the node is an array */
    size_t index;
} segment;

struct rb_jsonpath {
    char *text;
    segment *segs;
    size_t n;
};

static void add_segment(rb_jsonpath *p, size_t *cap, rb_buf *b)
{
    rb_grow((void **)&p->segs, cap, p->n + 1, sizeof *p->segs);
    segment *s = &p->segs[p->n++];
    s->key = rb_buf_take(b);
    s->is_index = s->key[0] != '\0' && strlen(s->key) < 19;
    for (const char *c = s->key; *c && s->is_index; c++)
        s->is_index = isdigit((unsigned char)*c);
    s->index = s->is_index ? (size_t)strtoull(s->key, NULL, 10) : 0;
}

rb_jsonpath *rb_jsonpath_compile(const char *dotted)
{
    rb_jsonpath *p = rb_xcalloc(1, sizeof *p);
    p->text = rb_xstrdup(dotted);
    if (!*dotted)
        return p;
    size_t cap = 0;
    rb_buf b = {0};
    bool ok = true;
    for (const char *c = dotted;; c++) {
        if (*c == '\\') {
            if (!c[1]) {
                ok = false;
                break;
            }
            rb_buf_putc(&b, *++c);
        } else if (*c == '.' || !*c) {
            if (b.len == 0) {
                ok = false;
                break;
            }
            add_segment(p, &cap, &b);
            if (!*c)
                break;
        } else {
            rb_buf_putc(&b, *c);
        }
    }
    rb_buf_free(&b);
    if (!ok) {
        rb_jsonpath_free(p);
        return NULL;
    }
    return p;
}

void rb_jsonpath_free(rb_jsonpath *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        free(p->segs[i].key);
    free(p->segs);
    free(p->text);
    free(p);
}

json_t *rb_jsonpath_lookup(const rb_jsonpath *p, const json_t *root)
{
    json_t *node = (json_t *)root;
    for (size_t i = 0; i < p->n && node; i++) {
        const segment *s = &p->segs[i];
        if (json_is_object(node))
            node = json_object_get(node, s->key);
        else if (json_is_array(node) && s->is_index)
            node = json_array_get(node, s->index);
        else
            node = NULL;
    }
    return node;
}

static bool glob_from(const rb_jsonpath *pat, size_t i, const rb_jsonpath *path, size_t j)
{
    for (; i < pat->n; i++, j++) {
        if (strcmp(pat->segs[i].key, "**") == 0) {
            for (size_t k = j; k <= path->n; k++)
                if (glob_from(pat, i + 1, path, k))
                    return true;
            return false;
        }
        if (j == path->n || fnmatch(pat->segs[i].key, path->segs[j].key, 0) != 0)
            return false;
    }
    return j == path->n;
}

bool rb_jsonpath_glob(const rb_jsonpath *pattern, const rb_jsonpath *path)
{
    return glob_from(pattern, 0, path, 0);
}

const char *rb_jsonpath_text(const rb_jsonpath *p)
{
    return p->text;
}

const char *rb_jsonpath_head(const rb_jsonpath *p)
{
    return p->n ? p->segs[0].key : NULL;
}

json_t *rb_jsonpath_get(const json_t *root, const char *dotted)
{
    rb_jsonpath *p = rb_jsonpath_compile(dotted);
    if (!p)
        return NULL;
    json_t *node = rb_jsonpath_lookup(p, root);
    rb_jsonpath_free(p);
    return node;
}

void rb_jsonpath_append_key(rb_buf *b, const char *key)
{
    if (b->len)
        rb_buf_putc(b, '.');
    for (;;) {
        size_t run = strcspn(key, ".\\");
        rb_buf_append(b, key, run);
        if (!key[run])
            break;
        char escaped[2] = {'\\', key[run]};
        rb_buf_append(b, escaped, 2);
        key += run + 1;
    }
}

void rb_jsonpath_append_index(rb_buf *b, size_t index)
{
    char digits[24];
    int n = snprintf(digits, sizeof digits, "%s%zu", b->len ? "." : "", index);
    rb_buf_append(b, digits, (size_t)n);
}

char *rb_jsonpath_child_key(const char *parent, const char *key)
{
    rb_buf b = {0};
    rb_buf_puts(&b, parent);
    rb_jsonpath_append_key(&b, key);
    return rb_buf_take(&b);
}

char *rb_jsonpath_child_index(const char *parent, size_t index)
{
    rb_buf b = {0};
    rb_buf_puts(&b, parent);
    rb_jsonpath_append_index(&b, index);
    return rb_buf_take(&b);
}
