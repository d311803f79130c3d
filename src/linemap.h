/*
 * linemap.h — the source line of each node of a parsed document.
 *
 * jansson values carry no position, so parsers record one here, keyed by the
 * node's path (jsonpath.h spelling).  For a mapping member the line is the
 * line of its key; for a sequence item, of the item; for the root (path
 * ""), of the root node.
 */
#ifndef RB_LINEMAP_H
#define RB_LINEMAP_H

#include <stdarg.h>

#include "error.h"

typedef struct rb_linemap rb_linemap;

rb_linemap *rb_linemap_new(void);
void rb_linemap_free(rb_linemap *m);

/* Records (or overwrites) the line of a path. */
void rb_linemap_set(rb_linemap *m, const char *path, long line);

/* The line of a path, or 0 when none was recorded.  m may be NULL. */
long rb_linemap_get(const rb_linemap *m, const char *path);

/* The line of the path or, when it has none, of its nearest ancestor that
 * has one (0 when none does).  A missing member thus points at its parent. */
long rb_linemap_nearest(const rb_linemap *m, const char *path);

/* Sets err to "FILE:LINE: <message>" where LINE is the nearest line of
 * path in lines (rule files, models, patches: errors at the offending
 * member); returns code. */
rb_code rb_error_at_vpath(rb_error *err, rb_code code, const char *file, const rb_linemap *lines, const char *path,
                          const char *fmt, va_list ap) __attribute__((format(printf, 6, 0)));
rb_code rb_error_at_path(rb_error *err, rb_code code, const char *file, const rb_linemap *lines, const char *path,
                         const char *fmt, ...) __attribute__((format(printf, 6, 7)));

#endif
