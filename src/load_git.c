/*
 * load_git.c — the history of a config repository (SPEC §3.4), read with
 * libgit2: `--repo DIR --range A..B` (also A...B, or one revision for all
 * of its history).
 *
 * Each commit of the range, parents before children, is a `commit` event
 * (sha, author, email, ts — the committer's time —, message, summary,
 * parents, paths).  Each config file it touches (config_diff.h: the
 * pack's declarations) is parsed at both revisions and diffed leaf by
 * leaf into `config_change` events (file, path, op, old, new, line,
 * commit, author, renamed_from when the file was renamed): renames are
 * followed, so a moved file shows only what changed in it.  A merge shows
 * only what it changed with respect to every parent (a conflict
 * resolution, an evil merge); what its branches changed comes from their
 * own commits.
 *
 * A file added or deleted in a commit is diffed against the empty
 * document (config_diff.h): one `add`, or one `remove`, per leaf.
 *
 * A changed file that no config glob takes is not read.  For `gate`
 * (opts->uncovered) each such path of the range is one RBA-UNCOVERED note,
 * placed at the file and the commits that changed it, so that change
 * control never passes in silence over a change no rule looked at;
 * `check` leaves them out, as its walk is evidence (commit events) for
 * rules of any kind, where a repository's other files are expected.
 *
 * A revision that does not parse is an RBA-INPUT finding naming the
 * commit, the file and the line, and the walk goes on: the next revision
 * that parses is compared with the last one that did.
 *
 * With --cache, a commit's record (its paths and changes) and each blob
 * pair's diff are kept in SQLite (change_cache.h); a walk over cached
 * commits reads no blob.  Records that depend on another commit (a
 * revision that did not parse) are never cached.
 *
 * Nothing is written to the repository: libgit2 only reads objects.
 */
#include <git2.h>
#include <git2/sys/repository.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "change_cache.h"
#include "config_diff.h"
#include "loader.h"
#include "timeutil.h"
#include "util.h"

/* Parsed revisions by blob, so that a walk parses each blob once: a
 * commit's new revision is its child's old one, a merge meets its
 * branches' revisions again, and a value set back brings an earlier blob
 * back.  The key names the parser too (a blob is JSON or YAML by the name
 * of its file).  Past a budget of blob bytes every entry is dropped at
 * once, between two deltas, so memory stays bounded (a parsed revision
 * takes some ten times its text) and no revision in use is freed. */
#define MEMO_BUDGET_BYTES ((size_t)1 << 20)

typedef struct memo_entry {
    json_t *value;
    rb_linemap *lines;
} memo_entry;

typedef struct blob_memo {
    json_t *slots;       /* object: key -> index in entries */
    memo_entry *entries;
    size_t n, cap;
    size_t bytes;        /* blob bytes of the entries */
} blob_memo;

/* One walk. */
typedef struct git_walk {
    rb_evidence *ev;
    const rb_load_opts *opts;
    git_repository *repo;
    const char *dir;         /* the repository as given */
    char *root;              /* its canonical path: the root of its inputs */
    rb_input *repo_input;
    rb_change_cache *cache;
    json_t *file_inputs;     /* object: repository path -> input index */
    json_t *last_parsed;     /* object: file -> its last revision that parsed,
                                while later ones do not */
    blob_memo memo;          /* the revisions parsed so far */
    bool cacheable;          /* the commit being read depends on no other */
} git_walk;

static rb_code git_fail(rb_code code, rb_error *err, const char *dir, const char *what)
{
    const git_error *e = git_error_last();
    return rb_error_set(err, code, "%s: %s: %s", dir, what, e && e->message ? e->message : "unknown libgit2 error");
}

static void oid_hex(const git_oid *id, char hex[GIT_OID_HEXSZ + 1])
{
    git_oid_tostr(hex, GIT_OID_HEXSZ + 1, id);
}

/* Text from git (names, messages, paths) as JSON: invalid UTF-8 becomes
 * U+FFFD rather than failing. */
static json_t *git_text(const char *s)
{
    return rb_json_text(s ? s : "", s ? strlen(s) : 0);
}

/* The input that stands for a file of the repository (its path under the
 * repository's), registered when first seen. */
static rb_input *file_input(git_walk *w, const char *file)
{
    json_t *at = json_object_get(w->file_inputs, file);
    if (at)
        return w->ev->inputs[json_integer_value(at)];
    const char *dir = rb_path_logical(w->dir);
    char *path = strcmp(dir, ".") == 0 || !*dir ? rb_xstrdup(file) : rb_xasprintf("%s/%s", dir, file);
    rb_input *in = rb_evidence_add_input(w->ev, path, "git", (const unsigned char *)"", 0);
    free(path);
    rb_input_set_root(in, w->root, '/', file);
    json_object_set_new(w->file_inputs, file, json_integer((json_int_t)in->index));
    return in;
}

#define MEMO_KEY_SIZE (GIT_OID_HEXSZ + 6)

static void memo_key(const git_oid *id, const char *file, char key[MEMO_KEY_SIZE])
{
    oid_hex(id, key);
    strcpy(key + GIT_OID_HEXSZ, rb_has_suffix(file, ".json") ? ":json" : ":yaml");
}

static void memo_clear(blob_memo *m)
{
    for (size_t i = 0; i < m->n; i++) {
        json_decref(m->entries[i].value);
        rb_linemap_free(m->entries[i].lines);
    }
    m->n = m->bytes = 0;
    json_object_clear(m->slots);
}

static void memo_free(blob_memo *m)
{
    memo_clear(m);
    json_decref(m->slots);
    free(m->entries);
}

static const memo_entry *memo_get(const blob_memo *m, const char *key)
{
    const json_t *at = json_object_get(m->slots, key);
    return at ? &m->entries[json_integer_value(at)] : NULL;
}

/* Takes value and lines. */
static const memo_entry *memo_put(blob_memo *m, const char *key, json_t *value, rb_linemap *lines, size_t bytes)
{
    rb_grow((void **)&m->entries, &m->cap, m->n + 1, sizeof *m->entries);
    m->entries[m->n] = (memo_entry){value, lines};
    m->bytes += bytes;
    json_object_set_new(m->slots, key, json_integer((json_int_t)m->n));
    return &m->entries[m->n++];
}

/* One revision of a config file, parsed (value and lines belong to the
 * walk's memo; both NULL for no revision); `why` says why it did not
 * parse. */
typedef struct revision {
    const json_t *value;
    const rb_linemap *lines;
    char *why;
    long line;  /* where it stopped parsing, when known */
} revision;

static void revision_free(revision *r)
{
    free(r->why);
}

static rb_code parse_blob(git_walk *w, const git_oid *id, const char *key, const char *file, const char *sha,
                          revision *r, rb_error *err)
{
    git_blob *blob;
    if (git_blob_lookup(&blob, w->repo, id) != 0)
        return git_fail(RB_EINPUT, err, w->dir, "cannot read a blob");
    size_t len = (size_t)git_blob_rawsize(blob);
    char *name = rb_xasprintf("%s@%.12s", file, sha);
    if (len > rb_limits_get()->input_bytes) {
        r->why = rb_xasprintf("%s: %zu bytes, over the --max-input-size limit of %zu", name, len,
                              rb_limits_get()->input_bytes);
    } else {
        unsigned char *data = rb_xmalloc(len + 1);
        memcpy(data, git_blob_rawcontent(blob), len);
        data[len] = '\0';
        rb_error perr;
        json_t *value;
        rb_linemap *lines;
        if (rb_config_parse(name, data, len, &value, &lines, &perr)) {
            r->why = rb_xstrdup(perr.message);
            size_t n = strlen(name);
            if (strncmp(perr.message, name, n) == 0 && perr.message[n] == ':')
                r->line = strtol(perr.message + n + 1, NULL, 10);
        } else {
            const memo_entry *e = memo_put(&w->memo, key, value, lines, len);
            r->value = e->value;
            r->lines = e->lines;
        }
        free(data);
    }
    free(name);
    git_blob_free(blob);
    return RB_OK;
}

/* The revision of a file that a blob id names (none for the zero id),
 * from the memo when the walk has parsed it before. */
static rb_code read_revision(git_walk *w, const git_oid *id, const char *file, const char *sha, revision *r,
                             rb_error *err)
{
    *r = (revision){0};
    if (git_oid_is_zero(id))
        return RB_OK;
    char key[MEMO_KEY_SIZE];
    memo_key(id, file, key);
    const memo_entry *e = memo_get(&w->memo, key);
    if (!e)
        return parse_blob(w, id, key, file, sha, r, err);
    r->value = e->value;
    r->lines = e->lines;
    return RB_OK;
}

/* Sets `file` (and `renamed_from` for a renamed file) on each change. */
static void label_changes(json_t *changes, const char *file, const char *renamed_from)
{
    size_t i;
    json_t *c;
    json_array_foreach(changes, i, c) {
        json_object_set_new(c, "file", json_string(file));
        if (renamed_from)
            json_object_set_new(c, "renamed_from", json_string(renamed_from));
    }
}

/* Diffs two parsed revisions of a file into `changes`.  A parent revision
 * that did not parse is replaced by the last one that did; a new revision
 * that does not parse is a problem, and its parent is kept as the last
 * that did. */
static void diff_revisions(git_walk *w, const char *file, const revision *old, const revision *new,
                           json_t *changes, json_t *problems)
{
    const json_t *before = old->value;
    if (old->why) {
        w->cacheable = false;
        before = json_object_get(w->last_parsed, file);
    }
    if (new->why) {
        w->cacheable = false;
        if (before && !json_object_get(w->last_parsed, file))
            json_object_set(w->last_parsed, file, (json_t *)before);
        json_array_append_new(problems, json_pack("{s:s, s:s, s:I}", "file", file, "message", new->why, "line",
                                                  (json_int_t)new->line));
        return;
    }
    rb_config_diff(w->opts->config, file, before, new->value, new->lines, changes);
    json_object_del(w->last_parsed, file);
}

/* The changes one delta makes to a config file, into `changes`. */
static rb_code diff_delta(git_walk *w, const git_diff_delta *d, const char *file, const char *sha,
                          json_t *changes, json_t *problems, rb_error *err)
{
    const char *renamed_from = d->status == GIT_DELTA_RENAMED && strcmp(d->old_file.path, file) ? d->old_file.path
                                                                                               : NULL;
    char old_hex[GIT_OID_HEXSZ + 1], new_hex[GIT_OID_HEXSZ + 1];
    oid_hex(&d->old_file.id, old_hex);
    oid_hex(&d->new_file.id, new_hex);
    json_t *own = w->cache ? rb_change_cache_diff(w->cache, old_hex, new_hex, file) : NULL;
    rb_code rc = RB_OK;
    if (!own) {
        /* the only point where no revision is in use */
        if (w->memo.bytes > MEMO_BUDGET_BYTES)
            memo_clear(&w->memo);
        revision old, new = {0};
        rc = read_revision(w, &d->old_file.id, d->old_file.path, sha, &old, err);
        if (!rc)
            rc = read_revision(w, &d->new_file.id, file, sha, &new, err);
        own = json_array();
        if (!rc)
            diff_revisions(w, file, &old, &new, own, problems);
        if (!rc && w->cache && !old.why && !new.why)
            rb_change_cache_put_diff(w->cache, old_hex, new_hex, file, own);
        revision_free(&old);
        revision_free(&new);
    }
    label_changes(own, file, renamed_from);
    json_array_extend(changes, own);
    json_decref(own);
    return rc;
}

/* The tree diff of a commit against one parent (the empty tree for a
 * root commit), renames found. */
static rb_code tree_diff(git_walk *w, git_commit *commit, unsigned parent, git_diff **out, rb_error *err)
{
    git_tree *tree = NULL, *parent_tree = NULL;
    git_commit *p = NULL;
    int e = git_commit_tree(&tree, commit);
    if (!e && parent < git_commit_parentcount(commit))
        e = git_commit_parent(&p, commit, parent) || git_commit_tree(&parent_tree, p);
    if (!e)
        e = git_diff_tree_to_tree(out, w->repo, parent_tree, tree, NULL);
    git_diff_find_options find;
    git_diff_find_options_init(&find, GIT_DIFF_FIND_OPTIONS_VERSION);
    find.flags = GIT_DIFF_FIND_RENAMES;
    if (!e)
        e = git_diff_find_similar(*out, &find);
    git_tree_free(tree);
    git_tree_free(parent_tree);
    git_commit_free(p);
    return e ? git_fail(RB_EINPUT, err, w->dir, "cannot diff a commit") : RB_OK;
}

/* The file a delta is about: its new path (the old one for a deletion)
 * as UTF-8 text. */
static json_t *delta_file(const git_diff_delta *d)
{
    return git_text(git_oid_is_zero(&d->new_file.id) ? d->old_file.path : d->new_file.path);
}

/* Whether a delta is about a config file (by either of its paths, so a
 * file renamed into or out of the globs is followed). */
static bool is_config(const git_walk *w, const git_diff_delta *d, const json_t *file)
{
    return w->opts->config && (rb_config_set_takes(w->opts->config, json_string_value(file)) ||
                               rb_config_set_takes(w->opts->config, d->old_file.path));
}

static void add_path(json_t *set, const char *path)
{
    json_t *text = git_text(path);
    json_object_set_new(set, json_string_value(text), json_true());
    json_decref(text);
}

/* The paths, the files no config glob takes (a set) and the config
 * changes of one tree diff (paths may be NULL). */
static rb_code read_diff(git_walk *w, git_diff *diff, const char *sha, json_t *paths, json_t *uncovered,
                         json_t *changes, json_t *problems, rb_error *err)
{
    size_t n = git_diff_num_deltas(diff);
    rb_code rc = RB_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        const git_diff_delta *d = git_diff_get_delta(diff, i);
        if (paths) {
            add_path(paths, d->new_file.path);
            add_path(paths, d->old_file.path);
        }
        json_t *file = delta_file(d);
        if (is_config(w, d, file))
            rc = diff_delta(w, d, json_string_value(file), sha, changes, problems, err);
        else
            json_object_set_new(uncovered, json_string_value(file), json_true());
        json_decref(file);
    }
    return rc;
}

/* Where a change is: "file\npath" (owned by the caller). */
static char *change_place(const json_t *c)
{
    return rb_xasprintf("%s\n%s", json_string_value(json_object_get(c, "file")),
                        json_string_value(json_object_get(c, "path")));
}

/* Keeps of a merge's changes and uncovered files (against its first
 * parent) those it also makes against every other parent: what the merge
 * itself decided; what its branches changed comes from their commits. */
static rb_code keep_merge_changes(git_walk *w, git_commit *commit, const char *sha, json_t *changes,
                                  json_t *uncovered, rb_error *err)
{
    rb_code rc = RB_OK;
    for (unsigned p = 1; p < git_commit_parentcount(commit) && !rc; p++) {
        git_diff *diff;
        json_t *other = json_array(), *ignored = json_array(), *places = json_object(), *other_files = json_object();
        if (!(rc = tree_diff(w, commit, p, &diff, err))) {
            rc = read_diff(w, diff, sha, NULL, other_files, other, ignored, err);
            git_diff_free(diff);
        }
        size_t i;
        json_t *c;
        json_array_foreach(other, i, c) {
            char *place = change_place(c);
            json_object_set_new(places, place, json_true());
            free(place);
        }
        for (i = json_array_size(changes); !rc && i-- > 0;) {
            char *place = change_place(json_array_get(changes, i));
            if (!json_object_get(places, place))
                json_array_remove(changes, i);
            free(place);
        }
        const char *file;
        json_t *v, *tmp;
        json_object_foreach_safe(uncovered, tmp, file, v)
            if (!json_object_get(other_files, file))
                json_object_del(uncovered, file);
        json_decref(places);
        json_decref(other);
        json_decref(ignored);
        json_decref(other_files);
    }
    return rc;
}

/* A JSON array of an object's keys, sorted. */
static json_t *sorted_key_list(const json_t *set)
{
    size_t n;
    const char **keys = rb_json_sorted_keys(set, &n);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, json_string(keys[i]));
    free(keys);
    return list;
}

/* What a commit changed: {paths, changes, problems, uncovered} (the files
 * no config glob takes, kept whatever the command so that one cache
 * serves check and gate). */
static rb_code commit_record(git_walk *w, git_commit *commit, const char *sha, json_t **record, rb_error *err)
{
    json_t *paths = json_object(), *uncovered = json_object(), *changes = json_array(), *problems = json_array();
    git_diff *diff;
    rb_code rc = tree_diff(w, commit, 0, &diff, err);
    if (!rc) {
        rc = read_diff(w, diff, sha, paths, uncovered, changes, problems, err);
        git_diff_free(diff);
    }
    if (!rc && git_commit_parentcount(commit) > 1)
        rc = keep_merge_changes(w, commit, sha, changes, uncovered, err);
    json_object_del(paths, "");
    json_object_del(uncovered, "");
    *record = json_pack("{s:o, s:o, s:o, s:o}", "paths", sorted_key_list(paths), "changes", changes, "problems",
                        problems, "uncovered", sorted_key_list(uncovered));
    json_decref(paths);
    json_decref(uncovered);
    return rc;
}

/* The commit event and the events of its record.  The record is the
 * walk's own (fresh from the diff or the cache, dropped after), so each
 * of its changes becomes a config_change event as it is, not a copy. */
static void emit_commit(git_walk *w, git_commit *commit, const char *sha, json_t *record)
{
    char ts[64];
    rb_time_format((int64_t)git_commit_time(commit) * 1000000, ts, sizeof ts);
    const git_signature *author = git_commit_author(commit);
    json_t *parents = json_array();
    for (unsigned i = 0; i < git_commit_parentcount(commit); i++) {
        char hex[GIT_OID_HEXSZ + 1];
        oid_hex(git_commit_parent_id(commit, i), hex);
        json_array_append_new(parents, json_string(hex));
    }
    json_t *fields = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:O}", "type", "commit", "ts", ts, "sha", sha,
                               "author", git_text(author->name), "email", git_text(author->email), "message",
                               git_text(git_commit_message(commit)), "summary", git_text(git_commit_summary(commit)),
                               "parents", parents, "paths", json_object_get(record, "paths"));
    rb_origin origin = {.input = w->repo_input, .commit = rb_input_intern(w->repo_input, sha)};
    rb_evidence_add_event(w->ev, origin, fields);
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(record, "changes"), i, c) {
        rb_input *in = file_input(w, json_string_value(json_object_get(c, "file")));
        json_t *change = json_incref(c);
        json_object_set_new(change, "type", json_string("config_change"));
        json_object_set_new(change, "ts", json_string(ts));
        json_object_set_new(change, "commit", json_string(sha));
        json_object_set_new(change, "author", git_text(author->name));
        rb_origin at = {.input = in, .line = (long)json_integer_value(json_object_get(c, "line")),
                        .commit = rb_input_intern(in, sha)};
        rb_evidence_add_event(w->ev, at, change);
    }
    json_array_foreach(json_object_get(record, "problems"), i, c) {
        rb_input *in = file_input(w, json_string_value(json_object_get(c, "file")));
        rb_origin at = {.input = in, .line = (long)json_integer_value(json_object_get(c, "line")),
                        .commit = rb_input_intern(in, sha)};
        char *message = rb_xasprintf("commit %.12s: the config revision does not parse: %s", sha,
                                     json_string_value(json_object_get(c, "message")));
        rb_evidence_add_problem(w->ev, at, message);
        free(message);
    }
    if (w->opts->uncovered)
        json_array_foreach(json_object_get(record, "uncovered"), i, c) {
            rb_input *in = file_input(w, json_string_value(c));
            rb_evidence_add_uncovered(w->ev, (rb_origin){.input = in, .commit = rb_input_intern(in, sha)},
                                      json_string_value(c));
        }
}

static rb_code read_commit(git_walk *w, const git_oid *id, rb_error *err)
{
    git_commit *commit;
    if (git_commit_lookup(&commit, w->repo, id) != 0)
        return git_fail(RB_EINPUT, err, w->dir, "cannot read a commit");
    char sha[GIT_OID_HEXSZ + 1];
    oid_hex(id, sha);
    json_t *record = w->cache ? rb_change_cache_commit(w->cache, sha) : NULL;
    rb_code rc = RB_OK;
    if (!record) {
        w->cacheable = true;
        rc = commit_record(w, commit, sha, &record, err);
        if (!rc && w->cache && w->cacheable)
            rb_change_cache_put_commit(w->cache, sha, record);
    }
    if (!rc)
        emit_commit(w, commit, sha, record);
    json_decref(record);
    git_commit_free(commit);
    return rc;
}

/* The commit a revision names (peeling tags). */
static rb_code peel_commit(git_walk *w, const git_object *obj, git_oid *id, rb_error *err)
{
    git_object *commit;
    if (git_object_peel(&commit, obj, GIT_OBJECT_COMMIT) != 0)
        return git_fail(RB_EINPUT, err, w->dir, "--range names something that is not a commit");
    git_oid_cpy(id, git_object_id(commit));
    git_object_free(commit);
    return RB_OK;
}

/* Sets up the walk of a range: A..B (B's history without A's), A...B
 * (either's without their merge base's) or one revision (all its
 * history); *tip is the newest end and `described` the resolved range. */
static rb_code resolve_range(git_walk *w, const char *range, git_revwalk *walk, git_oid *tip, rb_buf *described,
                             rb_error *err)
{
    git_revspec spec = {0};
    if (git_revparse(&spec, w->repo, range) != 0) {
        const git_error *e = git_error_last();
        rb_error_set(err, RB_EINPUT, "%s: --range '%s': %s (expected A..B, A...B or one revision)", w->dir, range,
                     e && e->message ? e->message : "unknown revision");
        /* libgit2 leaves the end it did resolve to the caller */
        git_object_free(spec.from);
        git_object_free(spec.to);
        return RB_EINPUT;
    }
    git_oid from, to;
    rb_code rc = peel_commit(w, spec.from, &from, err);
    if (!rc && !(spec.flags & GIT_REVSPEC_SINGLE))
        rc = peel_commit(w, spec.to, &to, err);
    git_object_free(spec.from);
    git_object_free(spec.to);
    if (rc)
        return rc;
    char from_hex[GIT_OID_HEXSZ + 1], to_hex[GIT_OID_HEXSZ + 1];
    oid_hex(&from, from_hex);
    if (spec.flags & GIT_REVSPEC_SINGLE) {
        git_oid_cpy(tip, &from);
        rb_buf_puts(described, from_hex);
        return git_revwalk_push(walk, &from) ? git_fail(RB_EINPUT, err, w->dir, "cannot walk") : RB_OK;
    }
    oid_hex(&to, to_hex);
    git_oid base;
    int e = git_merge_base(&base, w->repo, &from, &to);
    if (e == GIT_ENOTFOUND)
        return rb_error_set(err, RB_EINPUT, "%s: --range '%s': %.12s and %.12s are unrelated (no common "
                            "ancestor; expected a range within one history)", w->dir, range, from_hex, to_hex);
    if (e)
        return git_fail(RB_EINPUT, err, w->dir, "cannot find the merge base of the range");
    bool symmetric = spec.flags & GIT_REVSPEC_MERGE_BASE;
    git_oid_cpy(tip, &to);
    rb_buf_printf(described, "%s%s%s", from_hex, symmetric ? "..." : "..", to_hex);
    if (git_revwalk_push(walk, &to) || (symmetric && git_revwalk_push(walk, &from)) ||
        git_revwalk_hide(walk, symmetric ? &base : &from))
        return git_fail(RB_EINPUT, err, w->dir, "cannot walk");
    return RB_OK;
}

/* Each file input gets the hash of its revision at the tip of the range
 * (of no bytes when it no longer exists there), whatever the cache did. */
static rb_code hash_files(git_walk *w, const git_oid *tip, rb_error *err)
{
    git_commit *commit;
    git_tree *tree;
    if (git_commit_lookup(&commit, w->repo, tip) || git_commit_tree(&tree, commit))
        return git_fail(RB_EINPUT, err, w->dir, "cannot read the tip of the range");
    const char *file;
    json_t *at;
    json_object_foreach(w->file_inputs, file, at) {
        rb_input *in = w->ev->inputs[json_integer_value(at)];
        git_tree_entry *entry;
        git_blob *blob = NULL;
        if (git_tree_entry_bypath(&entry, tree, file) == 0) {
            git_blob_lookup(&blob, w->repo, git_tree_entry_id(entry));
            git_tree_entry_free(entry);
        }
        size_t len = blob ? (size_t)git_blob_rawsize(blob) : 0;
        rb_sha256_hex(blob ? git_blob_rawcontent(blob) : "", len, in->sha256);
        in->bytes = len;
        git_blob_free(blob);
    }
    git_tree_free(tree);
    git_commit_free(commit);
    return RB_OK;
}

/* Once the range is resolved (which may read settings: a branch's
 * upstream), the walk reads only objects, which no setting changes; yet
 * libgit2 takes a snapshot of the whole configuration (system, global,
 * repository) on every tree diff, a third of the diff's time.  The walk
 * runs under an empty configuration instead, which also keeps the report
 * independent of the diff.renameLimit of whoever runs it (libgit2's
 * default applies). */
static rb_code set_empty_config(git_walk *w, rb_error *err)
{
    git_config *empty;
    if (git_config_new(&empty) != 0)
        return git_fail(RB_EINPUT, err, w->dir, "cannot set up the walk");
    int e = git_repository_set_config(w->repo, empty);
    git_config_free(empty);
    return e ? git_fail(RB_EINPUT, err, w->dir, "cannot set up the walk") : RB_OK;
}

static rb_code walk_range(git_walk *w, rb_error *err)
{
    git_revwalk *walk;
    if (git_revwalk_new(&walk, w->repo))
        return git_fail(RB_EINPUT, err, w->dir, "cannot walk");
    git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
    git_oid tip, id;
    rb_buf described = {0};
    const char *range = w->opts->range ? w->opts->range : "HEAD";
    rb_code rc = resolve_range(w, range, walk, &tip, &described, err);
    if (!rc)
        rc = set_empty_config(w, err);
    if (!rc) {
        w->repo_input = rb_evidence_add_input(w->ev, w->dir, "git", (const unsigned char *)described.data,
                                              described.len);
        rb_input_set_root(w->repo_input, w->root, '/', "");
        int e;
        while (!rc && (e = git_revwalk_next(&id, walk)) == 0)
            rc = read_commit(w, &id, err);
        if (!rc && e != GIT_ITEROVER)
            rc = git_fail(RB_EINPUT, err, w->dir, "cannot walk the range");
    }
    if (!rc)
        rc = hash_files(w, &tip, err);
    rb_buf_free(&described);
    git_revwalk_free(walk);
    return rc;
}

static rb_code open_repository(git_walk *w, rb_error *err)
{
    if (git_repository_open_ext(&w->repo, w->dir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) != 0) {
        const git_error *e = git_error_last();
        return rb_error_set(err, RB_EINPUT, "%s: not a git repository (expected the top of a work tree or a bare "
                            "repository: %s)", w->dir, e && e->message ? e->message : "unknown libgit2 error");
    }
    return RB_OK;
}

static rb_code open_cache(git_walk *w, rb_error *err)
{
    if (!w->opts->cache)
        return RB_OK;
    char settings[RB_SHA256_HEX_LEN + 1] = "";
    if (w->opts->config)
        rb_config_set_digest(w->opts->config, settings);
    return rb_change_cache_open(w->opts->cache, settings, &w->cache, err);
}

static rb_code stream_git(rb_evidence *ev, const char *path, const rb_load_opts *opts, rb_error *err)
{
    git_libgit2_init();
    /* evidence from another team's checkout is read, never trusted to run */
    git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
    /* As git log does, objects are not hashed again on every read: the walk
     * reads two trees per commit, and hashing them was most of its time. */
    git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
    git_walk w = {.ev = ev, .opts = opts, .dir = path, .root = rb_path_real(path), .file_inputs = json_object(),
                  .last_parsed = json_object(), .memo.slots = json_object()};
    rb_code rc = open_repository(&w, err);
    if (!rc)
        rc = open_cache(&w, err);
    if (!rc)
        rc = walk_range(&w, err);
    rb_code cache_rc = rb_change_cache_close(w.cache, rc ? NULL : err);
    json_decref(w.file_inputs);
    json_decref(w.last_parsed);
    memo_free(&w.memo);
    git_repository_free(w.repo);
    free(w.root);
    git_libgit2_shutdown();
    return rc ? rc : cache_rc;
}

bool rb_git_is_repository(const char *dir)
{
    char *dot_git = rb_xasprintf("%s/.git", dir), *head = rb_xasprintf("%s/HEAD", dir),
         *objects = rb_xasprintf("%s/objects", dir);
    struct stat st;
    bool yes = stat(dot_git, &st) == 0 || (stat(head, &st) == 0 && stat(objects, &st) == 0 && S_ISDIR(st.st_mode));
    free(dot_git);
    free(head);
    free(objects);
    return yes;
}

static const char *const git_suffixes[] = {NULL};

const rb_loader rb_loader_git = {
    .kind = "git",
    .suffixes = git_suffixes,
    .stream = stream_git,
};
