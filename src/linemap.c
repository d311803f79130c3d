/*
 * linemap.c — path-to-line maps (linemap.h), stored in a jansson object,
 * which is a hash table keyed by string.
 */
#include "linemap.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct rb_linemap {
    json_t *lines;
};

rb_linemap *rb_linemap_new(void)
{
    rb_linemap *m = rb_xmalloc(sizeof *m);
    m->lines = json_object();
    if (!m->lines)
        rb_out_of_memory(sizeof *m);
    return m;
}

void rb_linemap_free(rb_linemap *m)
{
    if (!m)
        return;
    json_decref(m->lines);
    free(m);
}

void rb_linemap_set(rb_linemap *m, const char *path, long line)
{
    json_object_set_new(m->lines, path, json_integer(line));
}

long rb_linemap_get(const rb_linemap *m, const char *path)
{
    if (!m)
        return 0;
    return (long)json_integer_value(json_object_get(m->lines, path));
}

long rb_linemap_nearest(const rb_linemap *m, const char *path)
{
    if (!m)
        return 0;
    char *p = rb_xstrdup(path);
    long line = 0;
    for (;;) {
        line = rb_linemap_get(m, p);
        if (line || !*p)
            break;
        /* cut the last segment, skipping escaped dots */
        char *cut = p;
        for (char *c = p; *c; c++) {
            if (*c == '\\' && c[1])
                c++;
            else if (*c == '.')
                cut = c;
        }
        *cut = '\0';
    }
    free(p);
    return line;
}

rb_code rb_error_at_vpath(rb_error *err, rb_code code, const char *file, const rb_linemap *lines, const char *path,
                          const char *fmt, va_list ap)
{
    char what[1536];
    vsnprintf(what, sizeof what, fmt, ap);
    return rb_error_set(err, code, "%s:%ld: %s", file, rb_linemap_nearest(lines, path), what);
}

rb_code rb_error_at_path(rb_error *err, rb_code code, const char *file, const rb_linemap *lines, const char *path,
                         const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rb_code rc = rb_error_at_vpath(err, code, file, lines, path, fmt, ap);
    va_end(ap);
    return rc;
}
