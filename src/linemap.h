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

#endif
