/*
 * loader.c — the loader table, kind detection and directory walks
 * (loader.h).
 */
#include "loader.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bundle.h"
#include "timeutil.h"
#include "util.h"

/* Content sniffing tries these in order: binary headers first. */
static const rb_loader *const loaders[] = {
    &rb_loader_sqlite,
    &rb_loader_bundle,
    &rb_loader_jsonl,
    &rb_loader_json,
    &rb_loader_yaml,
    &rb_loader_junit,
    &rb_loader_markdown,
    &rb_loader_git,
};
#define N_LOADERS (sizeof loaders / sizeof loaders[0])

/* Directories nested deeper than this are refused (a link loop). */
#define MAX_WALK_DEPTH 64

const rb_loader *rb_loader_find(const char *kind)
{
    for (size_t i = 0; i < N_LOADERS; i++)
        if (strcmp(loaders[i]->kind, kind) == 0)
            return loaders[i];
    return NULL;
}

const rb_loader *rb_loader_for_name(const char *path)
{
    for (size_t i = 0; i < N_LOADERS; i++)
        for (const char *const *s = loaders[i]->suffixes; *s; s++)
            if (rb_has_suffix(path, *s))
                return loaders[i];
    return NULL;
}

const char *rb_loader_kinds(void)
{
    static char list[256];
    if (!list[0]) {
        for (size_t i = 0; i < N_LOADERS; i++) {
            if (i)
                strcat(list, ", ");
            strcat(list, loaders[i]->kind);
        }
    }
    return list;
}

/* Every known suffix, for messages (".jsonl, .ndjson, ..."). */
static const char *suffix_list(void)
{
    static char list[512];
    if (!list[0]) {
        for (size_t i = 0; i < N_LOADERS; i++)
            for (const char *const *s = loaders[i]->suffixes; *s; s++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", list[0] ? ", " : "", *s);
    }
    return list;
}

/* The kinds told by content, for messages ("sqlite, bundle, jsonl"). */
static const char *sniffed_kinds(void)
{
    static char list[256];
    if (!list[0]) {
        for (size_t i = 0; i < N_LOADERS; i++)
            if (loaders[i]->sniff)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", list[0] ? ", " : "",
                         loaders[i]->kind);
    }
    return list;
}

const rb_loader *rb_loader_sniff(const unsigned char *data, size_t len, rb_buf *why)
{
    rb_buf near = {0};
    const rb_loader *found = NULL;
    for (size_t i = 0; i < N_LOADERS && !found; i++) {
        rb_buf said = {0};
        rb_sniff verdict = loaders[i]->sniff ? loaders[i]->sniff(data, len, &said) : RB_SNIFF_NO;
        if (verdict == RB_SNIFF_YES)
            found = loaders[i];
        else if (verdict == RB_SNIFF_NEAR && !near.data && said.data)
            rb_buf_puts(&near, said.data);
        rb_buf_free(&said);
    }
    if (!found && why && near.data)
        rb_buf_puts(why, near.data);
    rb_buf_free(&near);
    return found;
}

/* An epoch-number ts read in the source's time_unit becomes the RFC 3339
 * time it names; a string is left for the event's own check. */
static const char *apply_time_unit(const rb_source *s, json_t *event)
{
    static const char *const out_of_range[] = {
        [RB_TIME_UNIT_S] = "event 'ts' is no time in the years 0000 to 9999 as epoch seconds (the source's time_unit)",
        [RB_TIME_UNIT_MS] = "event 'ts' is no time in the years 0000 to 9999 as epoch milliseconds (the source's time_unit)",
        [RB_TIME_UNIT_US] = "event 'ts' is no time in the years 0000 to 9999 as epoch microseconds (the source's time_unit)",
        [RB_TIME_UNIT_NS] = "event 'ts' is no time in the years 0000 to 9999 as epoch nanoseconds (the source's time_unit)",
    };
    json_t *ts = json_object_get(event, "ts");
    int64_t us;
    if (s->time_unit == RB_TIME_UNIT_AUTO || !json_is_number(ts))
        return NULL;
    if (!rb_time_from_json(ts, s->time_unit, &us))
        return out_of_range[s->time_unit];
    char text[48];
    rb_time_format(us, text, sizeof text);
    json_object_set_new(event, "ts", json_string(text));
    return NULL;
}

const char *rb_source_apply_one(const rb_source *s, json_t *event)
{
    const char *canonical;
    json_t *original;
    json_object_foreach(s->fields, canonical, original) {
        json_t *v = json_object_get(event, json_string_value(original));
        if (v)
            json_object_set(event, canonical, v);
    }
    json_t *v;
    json_object_foreach(s->set, canonical, v) {
        if (!json_object_get(event, canonical))
            json_object_set(event, canonical, v);
    }
    return apply_time_unit(s, event);
}

bool rb_source_takes(const rb_source *s, const char *path)
{
    return rb_path_glob(s->files, path) || rb_path_glob(s->files, rb_path_basename(path));
}

const char *rb_source_apply(const rb_load_opts *opts, const rb_input *in, json_t *event)
{
    const char *problem = NULL;
    for (size_t i = 0; i < opts->n_sources && !problem; i++)
        if (!opts->sources[i].query && rb_path_glob(opts->sources[i].files, in->path))
            problem = rb_source_apply_one(&opts->sources[i], event);
    return problem;
}

/* The files SQLite keeps beside a database NAME. */
static const struct {
    const char *suffix;
    const char *what;
} sqlite_companions[] = {
    {"-wal", "write-ahead log"},
    {"-journal", "rollback journal"},
    {"-shm", "shared-memory index"},
};

/* The ledger input named `stem`, or NULL. */
static const rb_input *ledger_named(const rb_evidence *ev, const char *stem, size_t n)
{
    for (size_t i = ev->n_inputs; i-- > 0;) {
        const rb_input *in = ev->inputs[i];
        if (strcmp(in->kind, "sqlite") == 0 && strlen(in->path) == n && strncmp(in->path, stem, n) == 0)
            return in;
    }
    return NULL;
}

bool rb_loader_account_companion(rb_evidence *ev, const char *name)
{
    for (size_t k = 0; k < sizeof sqlite_companions / sizeof sqlite_companions[0]; k++) {
        if (!rb_has_suffix(name, sqlite_companions[k].suffix))
            continue;
        size_t n = strlen(name) - strlen(sqlite_companions[k].suffix);
        const rb_input *ledger = ledger_named(ev, name, n);
        if (!ledger)
            return false;
        const char *with = json_string_value(json_object_get(json_object_get(ledger->account, "companion"), "path"));
        if (with && strcmp(with, name) == 0)
            return true;
        if (strcmp(sqlite_companions[k].suffix, "-shm") == 0)
            rb_evidence_skip(ev, name, "the shared-memory index of the SQLite database %s: SQLite rebuilds it "
                             "from the write-ahead log, so it holds no evidence", ledger->path);
        else
            rb_evidence_skip(ev, name, "the %s of the SQLite database %s, with nothing to apply (empty, or a "
                             "journal that is not hot): the database was read as it is",
                             sqlite_companions[k].what, ledger->path);
        return true;
    }
    return false;
}

/* How much of a file is read to tell its kind from its content. */
#define SNIFF_BYTES ((size_t)64 << 10)

/* The first bytes of a file, NUL-terminated (the caller frees *head). */
static rb_code read_head(const char *path, unsigned char **head, size_t *len, rb_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return rb_error_set(err, RB_EINPUT, "%s: cannot open: %s", path, strerror(errno));
    *head = rb_xmalloc(SNIFF_BYTES + 1);
    *len = fread(*head, 1, SNIFF_BYTES, f);
    int failed = ferror(f);
    fclose(f);
    (*head)[*len] = '\0';
    if (failed) {
        free(*head);
        *head = NULL;
        return rb_error_set(err, RB_EINPUT, "%s: read error", path);
    }
    return RB_OK;
}

const rb_loader *rb_loader_choose(const char *name, const unsigned char *data, size_t len, rb_buf *why)
{
    const rb_loader *loader = rb_loader_for_name(name);
    if (loader && (!loader->generic_suffixes || loader->sniff(data, len, why) == RB_SNIFF_YES))
        return loader;
    if (!loader && (loader = rb_loader_sniff(data, len, why)))
        return loader;
    if (!why->data)
        rb_buf_puts(why, "no known kind of evidence (neither its name nor its content tells one)");
    return NULL;
}

/* The loader of a file not forced to a kind (rb_loader_choose), reading
 * its first bytes only when its name does not settle it.  RB_EKIND when
 * no kind fits, with `why` saying in a few words what the file is instead
 * and the error adding how to read it. */
static rb_code choose_loader(const char *path, const rb_loader **loader, rb_buf *why, rb_error *err)
{
    *loader = rb_loader_for_name(path);
    if (*loader && !(*loader)->generic_suffixes)
        return RB_OK;
    unsigned char *head = NULL;
    size_t len = 0;
    rb_code rc = read_head(path, &head, &len, err);
    if (rc)
        return rc;
    const char *name = rb_path_logical(path);
    if (!(*loader = rb_loader_choose(path, head, len, why)))
        rc = rb_error_set(err, RB_EKIND,
                          "%s: %s (rbaudit reads names ending in %s, content told as one of %s, or "
                          "--kind KIND=%s with KIND one of: %s)",
                          name, why->data, suffix_list(), sniffed_kinds(), name, rb_loader_kinds());
    free(head);
    return rc;
}

/* Where the inputs of one command-line input stand (evidence.h
 * rb_input_set_root): a directory named there is the root of the files
 * found in it; a file named there stands in its own directory, by its own
 * name.  Bundles and repositories are roots of their own (their loaders
 * place their inputs). */
typedef struct root {
    const char *given; /* the directory as given, or NULL for a file named
                          on the command line */
    char *real;        /* the canonical path of that directory (owned) */
} root;

/* Places the inputs registered from `first` on that their loader did not
 * place: path's name below the root. */
static void place_inputs(rb_evidence *ev, size_t first, const char *path, const root *r)
{
    const char *rel = r->given ? path + strlen(r->given) : NULL;
    if (rel)
        rel += strspn(rel, "/");
    for (size_t i = first; i < ev->n_inputs; i++) {
        if (ev->inputs[i]->root)
            continue;
        if (rel)
            rb_input_set_root(ev->inputs[i], r->real, '/', rel);
        else
            rb_input_set_root_of_file(ev->inputs[i], path);
    }
}

/* Registers the input at path and reads it with loader, or with the one
 * choose_loader finds. */
static rb_code read_file(rb_evidence *ev, const char *path, const rb_loader *loader, const rb_load_opts *opts,
                         rb_error *err)
{
    rb_buf why = {0};
    rb_code rc = loader ? RB_OK : choose_loader(path, &loader, &why, err);
    rb_buf_free(&why);
    if (rc)
        return rc;
    if (loader->stream)
        return loader->stream(ev, path, opts, err);
    unsigned char *data;
    size_t len;
    size_t limit = rb_limits_get()->input_bytes;
    struct stat st;
    if (stat(path, &st) == 0 && (uint64_t)st.st_size > limit)
        return rb_error_set(err, RB_EINPUT, "%s: %lld bytes, over the --max-input-size limit of %zu", path,
                            (long long)st.st_size, limit);
    if ((rc = rb_read_file(path, limit, &data, &len, err)))
        return rc;
    rb_input *in = rb_evidence_add_input(ev, path, loader->kind, data, len);
    rc = loader->load(ev, in, data, len, opts, err);
    free(data);
    return rc;
}

/* Reads the file at path, and places what it adds below the root r. */
static rb_code load_file(rb_evidence *ev, const char *path, const rb_loader *loader, const root *r,
                         const rb_load_opts *opts, rb_error *err)
{
    size_t first = ev->n_inputs;
    rb_code rc = read_file(ev, path, loader, opts, err);
    place_inputs(ev, first, path, r);
    return rc;
}

#define IGNORE_FILE ".rbauditignore"

/* The patterns of one directory's .rbauditignore: paths below that
 * directory (relative to it) that a walk passes over, such as a corpus's
 * expected.json.  A walk keeps those of every directory it is in. */
typedef struct ignore_file {
    const char *dir;
    char **patterns;
    size_t n;
    const struct ignore_file *parent;
} ignore_file;

/* Reads DIR/.rbauditignore: one glob per line, blank lines and # comments
 * skipped.  No file is no pattern. */
static rb_code ignore_read(ignore_file *ig, const char *dir, rb_error *err)
{
    char *path = rb_xasprintf("%s/%s", dir, IGNORE_FILE);
    struct stat st;
    unsigned char *data = NULL;
    size_t len, cap = 0;
    rb_code rc = stat(path, &st) == 0 ? rb_read_file(path, 1 << 20, &data, &len, err) : RB_OK;
    free(path);
    char *save = NULL;
    for (char *line = data ? strtok_r((char *)data, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
        line[strcspn(line, "#\r")] = '\0';
        char *end = line + strlen(line);
        while (end > line && (end[-1] == ' ' || end[-1] == '\t'))
            *--end = '\0';
        line += strspn(line, " \t");
        if (!*line)
            continue;
        rb_grow((void **)&ig->patterns, &cap, ig->n + 1, sizeof *ig->patterns);
        ig->patterns[ig->n++] = rb_xstrdup(line);
    }
    free(data);
    return rc;
}

static void ignore_clear(ignore_file *ig)
{
    for (size_t i = 0; i < ig->n; i++)
        free(ig->patterns[i]);
    free(ig->patterns);
}

/* The .rbauditignore pattern that passes over path, or NULL; *dir is the
 * directory of the file that holds it. */
static const char *ignored(const ignore_file *ig, const char *path, const char **dir)
{
    for (; ig; ig = ig->parent) {
        const char *rel = path + strlen(ig->dir);
        rel += strspn(rel, "/");
        for (size_t i = 0; i < ig->n; i++)
            if (fnmatch(ig->patterns[i], rel, 0) == 0) {
                *dir = ig->dir;
                return ig->patterns[i];
            }
    }
    return NULL;
}

/* A directory walk in progress. */
typedef struct walk {
    rb_evidence *ev;
    const rb_load_opts *opts;
    const root *root;
    int depth;
    const ignore_file *ignores;
} walk;

static rb_code walk_directory(rb_evidence *ev, const char *dir, const root *r, const rb_load_opts *opts,
                              int depth, const ignore_file *parent, rb_error *err);

/* A file a walk finds that is of no kind rbaudit reads is skipped, with
 * the reason (why, or else its RB_EKIND error without the path). */
static rb_code skip_other_kind(rb_evidence *ev, const char *path, const rb_buf *why, rb_error *err)
{
    const char *logical = rb_path_logical(path);
    const char *reason = why->data ? why->data : err->message;
    size_t n = strlen(logical);
    if (!why->data && strncmp(reason, logical, n) == 0 && strncmp(reason + n, ": ", 2) == 0)
        reason += n + 2;
    rb_evidence_skip(ev, logical, "%s", reason);
    rb_error_clear(err);
    return RB_OK;
}

/* Every entry a walk meets is read or recorded as skipped, with why: a
 * directory of CI artifacts holds coverage reports, notes and scripts
 * too, and a report must say what it did not read. */
static rb_code visit_entry(void *ctx, const char *path, const char *name, const struct stat *st,
                           rb_error *err)
{
    walk *w = ctx;
    const char *pattern, *dir = NULL;
    const char *logical = rb_path_logical(path);
    if (strcmp(name, IGNORE_FILE) == 0)
        return RB_OK; /* read by the walk itself */
    if ((pattern = ignored(w->ignores, path, &dir))) {
        rb_evidence_skip(w->ev, logical, "ignored: matches '%s' in %s/%s", pattern, rb_path_logical(dir),
                         IGNORE_FILE);
        return RB_OK;
    }
    if (!st) {
        rb_evidence_skip(w->ev, logical, "cannot be read: %s", strerror(errno));
        return RB_OK;
    }
    if (name[0] == '.') {
        rb_evidence_skip(w->ev, logical, "hidden (its name starts with '.'; name it on the command line to "
                         "read it)");
        return RB_OK;
    }
    if (S_ISDIR(st->st_mode) && rb_bundle_is_bundle_path(path))
        return load_file(w->ev, path, &rb_loader_bundle, w->root, w->opts, err);
    if (S_ISDIR(st->st_mode))
        return walk_directory(w->ev, path, w->root, w->opts, w->depth + 1, w->ignores, err);
    if (!S_ISREG(st->st_mode)) {
        rb_evidence_skip(w->ev, logical, "not a regular file (a FIFO, socket or device)");
        return RB_OK;
    }
    if (rb_loader_account_companion(w->ev, logical))
        return RB_OK;
    const rb_loader *loader;
    rb_buf why = {0};
    rb_code rc = choose_loader(path, &loader, &why, err);
    if (!rc)
        rc = load_file(w->ev, path, loader, w->root, w->opts, err);
    if (rc == RB_EKIND)
        rc = skip_other_kind(w->ev, path, &why, err);
    rb_buf_free(&why);
    return rc;
}

static rb_code walk_directory(rb_evidence *ev, const char *dir, const root *r, const rb_load_opts *opts,
                              int depth, const ignore_file *parent, rb_error *err)
{
    if (depth > MAX_WALK_DEPTH)
        return rb_error_set(err, RB_EINPUT, "%s: directories nested more than %d deep (a link loop?)",
                            dir, MAX_WALK_DEPTH);
    ignore_file ig = {dir, NULL, 0, parent};
    rb_code rc = ignore_read(&ig, dir, err);
    walk w = {ev, opts, r, depth, ig.n ? &ig : parent};
    if (!rc)
        rc = rb_dir_each(dir, RB_DIR_EVERY, RB_EINPUT, visit_entry, &w, err);
    ignore_clear(&ig);
    return rc;
}

rb_code rb_load_input(rb_evidence *ev, const char *path, const char *forced_kind,
                      const rb_load_opts *opts, rb_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return rb_error_set(err, RB_EINPUT, "%s: cannot read: %s", path, strerror(errno));
    const rb_loader *loader = NULL;
    if (forced_kind) {
        loader = rb_loader_find(forced_kind);
        if (!loader)
            return rb_error_set(err, RB_EUSAGE, "--kind %s=%s: unknown kind '%s' (expected one of: %s)",
                                forced_kind, path, forced_kind, rb_loader_kinds());
    }
    if (S_ISDIR(st.st_mode) && !loader && rb_bundle_is_bundle_path(path))
        loader = &rb_loader_bundle;
    if (S_ISDIR(st.st_mode) && !loader && opts->range && rb_git_is_repository(path))
        loader = &rb_loader_git;
    if (S_ISDIR(st.st_mode) && !loader) {
        root r = {path, rb_path_real(path)};
        rb_code rc = walk_directory(ev, path, &r, opts, 0, NULL, err);
        free(r.real);
        return rc;
    }
    return load_file(ev, path, loader, &(root){NULL, NULL}, opts, err);
}
