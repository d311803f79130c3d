/*
 * load_config_pair.c — `--old FILE --new FILE`: two revisions of one config
 * file as evidence.  Each changed leaf is a `config_change` event (file —
 * the --new path as given —, path, op, old, new, line) with no time: a
 * change between two plain files comes before every other event, so all
 * evidence counts as after it (rbaudit-rules(5), `changes`).
 *
 * A side may have no revision: a new file (the pre-commit hook's common
 * case) is given as an empty --old or --old /dev/null, a deleted one as
 * --new /dev/null (the file is then named by --old).  It is diffed against
 * the empty document, one `add` or `remove` per leaf, so rules scoped to a
 * path see a new file as they see an edit.
 *
 * A file that no pack's config glob takes is not parsed: no rule would
 * read its changes.  It is recorded as uncovered instead (an RBA-UNCOVERED
 * note naming the globs it missed), so gating a file the packs do not know
 * — a README, a binary, a config file named by a path the globs do not
 * match — never passes in silence.
 *
 * The root of the file (evidence.h rb_input_set_root) is the git work tree
 * it lies in, when there is one: the pre-commit hook and CI gate a
 * repository's file, so a gate finding is fingerprinted by the file's path
 * in the repository (config/app.yaml) whether the hook names it so, a CI
 * job names it by an absolute path, or someone runs the gate from a
 * subdirectory.  Outside a work tree the file stands by its own name.
 */
#include <git2.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"
#include "util.h"

/* Places the file's input: its path in the work tree around it, else its
 * own name in its directory. */
static void place_file(rb_input *in, const char *path)
{
    char *dir_given = rb_path_dirname(path);
    char *dir = rb_path_real(dir_given);
    char *file = rb_xasprintf("%s/%s", dir, rb_path_basename(path));
    git_libgit2_init();
    /* a checkout of another user's is read, never trusted to run (as load_git.c) */
    git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
    git_repository *repo = NULL;
    char *top = NULL;
    if (git_repository_open_ext(&repo, dir, 0, NULL) == 0 && git_repository_workdir(repo))
        top = rb_path_real(git_repository_workdir(repo));
    size_t n = top ? strlen(top) : 0;
    if (top && strncmp(file, top, n) == 0 && file[n] == '/')
        rb_input_set_root(in, top, '/', file + n + 1);
    else
        rb_input_set_root_of_file(in, path);
    free(top);
    git_repository_free(repo);
    git_libgit2_shutdown();
    free(file);
    free(dir);
    free(dir_given);
}

/* The changes of a covered pair as timeless events of `in`. */
static rb_code add_changes(rb_evidence *ev, rb_input *in, const char *old_path, const char *new_path,
                           const rb_load_opts *opts, rb_error *err)
{
    json_t *changes;
    rb_code rc = rb_config_diff_files(opts->config, old_path, new_path, rb_limits_get()->input_bytes, &changes, err);
    if (rc)
        return rc;
    size_t i;
    json_t *c;
    json_array_foreach(changes, i, c) {
        json_t *fields = json_deep_copy(c);
        json_object_set_new(fields, "type", json_string("config_change"));
        json_object_set_new(fields, "file", json_string(in->path));
        rb_origin at = {.input = in, .line = (long)json_integer_value(json_object_get(c, "line"))};
        rb_evidence_add_timeless_event(ev, at, fields);
    }
    json_decref(changes);
    return RB_OK;
}

rb_code rb_load_config_pair(rb_evidence *ev, const char *old_path, const char *new_path, const rb_load_opts *opts,
                            rb_error *err)
{
    bool deleted = rb_config_is_no_revision(new_path);
    const char *named = deleted ? old_path : new_path, *other = deleted ? new_path : old_path;
    rb_input *in = rb_evidence_add_input(ev, named, "config", (const unsigned char *)"", 0);
    place_file(in, named);
    rb_code rc = rb_sha256_file(named, in->sha256, &in->bytes, err);
    if (rc)
        return rc;
    if (opts->config && rb_config_set_takes(opts->config, in->path))
        return add_changes(ev, in, old_path, new_path, opts, err);
    /* not read, but both sides must be there all the same */
    char hex[RB_SHA256_HEX_LEN + 1];
    uint64_t bytes;
    rc = rb_sha256_file(other, hex, &bytes, err);
    if (!rc)
        rb_evidence_add_uncovered(ev, (rb_origin){.input = in}, in->path);
    return rc;
}
