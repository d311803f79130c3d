/*
 * input_name.c — where an input stands, and the name its fingerprints
 * hash (evidence.h rb_input_set_root, rb_evidence_settle_names).
 *
 * A baseline or a waiver is made in one place (a laptop, a checkout in
 * CI) and used in another: the same evidence is then named
 * `./x/trace.jsonl`, `x/trace.jsonl`, `/builds/ops/x/trace.jsonl` or
 * `trace.jsonl`.  A finding's fingerprint must not change with that, so it
 * hashes the input's name relative to its root instead of the path as
 * given: a bundle's member relative to the bundle, a repository's file
 * relative to the repository, a file found in a directory named on the
 * command line relative to that directory, and a file named there by its
 * own name.
 *
 * Those names can meet (`a/bus.jsonl b/bus.jsonl` are both "bus.jsonl"),
 * and two inputs of one run with one name would let a finding of one stand
 * for a finding of the other.  So names that meet are lengthened, one
 * component of their roots at a time, until they differ.  Roots are
 * canonical (realpath), so the result is the same from any directory and
 * for any spelling of the paths; it depends only on the set of inputs,
 * not on their order.  Two inputs that are the same file (named twice)
 * keep one name: their findings are the same findings.
 */
#include <stdlib.h>
#include <string.h>

#include "evidence.h"
#include "util.h"

void rb_input_set_root(rb_input *in, const char *root, char sep, const char *rel)
{
    free(in->root);
    free(in->rel);
    free(in->name);
    in->root = rb_xstrdup(root);
    in->rel = rb_xstrdup(rel);
    in->root_sep = sep;
    in->name = rb_xstrdup(rel);
}

void rb_input_set_root_of_file(rb_input *in, const char *path)
{
    char *dir = rb_path_dirname(path);
    char *root = rb_path_real(dir);
    rb_input_set_root(in, root, '/', rb_path_basename(path));
    free(root);
    free(dir);
}

/* How many components a root has ("/a/b" has 2, "/" none). */
static size_t root_depth(const char *root)
{
    size_t n = 0;
    for (const char *p = root; p && *p; p++)
        if (*p != '/' && (p == root || p[-1] == '/'))
            n++;
    return n;
}

/* The input's name with the last `take` components of its root before
 * its rel.  Owned by the caller. */
static char *name_taking(const rb_input *in, size_t take)
{
    if (!in->root)
        return rb_xstrdup(in->path);
    if (take == 0)
        return rb_xstrdup(in->rel);
    const char *start = in->root + strlen(in->root);
    for (size_t seen = 0; start > in->root;) {
        start--;
        if (*start != '/' && (start == in->root || start[-1] == '/') && ++seen == take)
            break;
    }
    size_t len = strlen(start);
    while (len && start[len - 1] == '/')
        len--;
    if (!*in->rel)
        return rb_xasprintf("%.*s", (int)len, start);
    return rb_xasprintf("%.*s%c%s", (int)len, start, in->root_sep, in->rel);
}

/* Whether two inputs stand at one place (the same file named twice). */
static bool same_place(const rb_input *a, const rb_input *b)
{
    if (!a->root || !b->root)
        return !a->root && !b->root && strcmp(a->path, b->path) == 0;
    return a->root_sep == b->root_sep && strcmp(a->root, b->root) == 0 && strcmp(a->rel, b->rel) == 0;
}

static int compare_names(const void *pa, const void *pb)
{
    const rb_input *a = *(rb_input *const *)pa, *b = *(rb_input *const *)pb;
    return strcmp(a->name, b->name);
}

/* Lengthens by one component every input of the run of equal names
 * items[from, to) that holds two places; returns whether one grew. */
static bool lengthen_run(rb_input **items, size_t from, size_t to, size_t *take)
{
    bool apart = false;
    for (size_t i = from + 1; i < to && !apart; i++)
        apart = !same_place(items[from], items[i]);
    bool grew = false;
    for (size_t i = from; apart && i < to; i++) {
        size_t at = items[i]->index;
        if (take[at] < root_depth(items[i]->root)) {
            take[at]++;
            grew = true;
        }
    }
    return grew;
}

void rb_evidence_settle_names(rb_evidence *ev)
{
    size_t n = ev->n_inputs;
    size_t *take = rb_xcalloc(n ? n : 1, sizeof *take);
    rb_input **items = rb_xcalloc(n ? n : 1, sizeof *items);
    for (bool grew = true; grew;) {
        for (size_t i = 0; i < n; i++) {
            free(ev->inputs[i]->name);
            ev->inputs[i]->name = name_taking(ev->inputs[i], take[i]);
            items[i] = ev->inputs[i];
        }
        if (n > 1)
            qsort(items, n, sizeof *items, compare_names);
        grew = false;
        for (size_t from = 0, to; from < n; from = to) {
            for (to = from + 1; to < n && strcmp(items[from]->name, items[to]->name) == 0; to++)
                ;
            if (to - from > 1 && lengthen_run(items, from, to, take))
                grew = true;
        }
    }
    free(items);
    free(take);
}
