/*
 * pack.c — reading rule files and pack directories (pack.h).
 */
#include "pack.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsonpath.h"
#include "ledger.h"
#include "timeutil.h"
#include "util.h"
#include "yaml_load.h"

/* Rule files are small; anything larger is a mistake or an attack. */
#define MAX_RULE_FILE_BYTES ((size_t)16 << 20)

rb_ruleset *rb_ruleset_new(void)
{
    return rb_xcalloc(1, sizeof(rb_ruleset));
}

static void source_free(rb_source *s)
{
    free(s->name);
    free(s->files);
    free(s->query);
    json_decref(s->fields);
    json_decref(s->set);
}

void rb_ruleset_free(rb_ruleset *rs)
{
    if (!rs)
        return;
    for (size_t i = 0; i < rs->n; i++)
        rb_rule_free(rs->rules[i]);
    for (size_t i = 0; i < rs->n_sources; i++)
        source_free(&rs->sources[i]);
    free(rs->rules);
    free(rs->sources);
    rb_config_set_free(&rs->config);
    free(rs);
}

const rb_rule *rb_ruleset_find(const rb_ruleset *rs, const char *id)
{
    for (size_t i = 0; i < rs->n; i++)
        if (strcmp(rs->rules[i]->id, id) == 0)
            return rs->rules[i];
    return NULL;
}

static int compare_rules(const void *a, const void *b)
{
    return strcmp((*(rb_rule *const *)a)->id, (*(rb_rule *const *)b)->id);
}

void rb_ruleset_finish(rb_ruleset *rs)
{
    if (rs->n > 1)
        qsort(rs->rules, rs->n, sizeof *rs->rules, compare_rules);
}

/* A parsed rule file, for messages. */
typedef struct rule_file {
    const char *file;
    const rb_linemap *lines;
} rule_file;

static rb_code file_error(const rule_file *rf, const char *path, rb_error *err, const char *what)
{
    return rb_error_set(err, RB_ERULE, "%s:%ld: %s", rf->file, rb_linemap_nearest(rf->lines, path), what);
}

static rb_code add_rule(rb_ruleset *rs, rb_rule *rule, rb_error *err)
{
    const rb_rule *other = rb_ruleset_find(rs, rule->id);
    if (other) {
        rb_error_set(err, RB_ERULE, "%s:%ld: duplicate rule id '%s' (first defined at %s:%ld)",
                     rule->file, rule->line, rule->id, other->file, other->line);
        rb_rule_free(rule);
        return RB_ERULE;
    }
    rb_grow((void **)&rs->rules, &rs->cap, rs->n + 1, sizeof *rs->rules);
    rs->rules[rs->n++] = rule;
    size_t i;
    json_t *glob;
    json_array_foreach(rule->config_files, i, glob)
        rb_config_set_add(&rs->config, json_string_value(glob), NULL);
    return RB_OK;
}

static rb_code load_rules(rb_ruleset *rs, const json_t *list, const char *path, const rule_file *rf,
                          const char *pack, rb_overrides *ov, rb_error *err)
{
    if (!json_is_array(list))
        return file_error(rf, path, err, "expected a list of rules");
    size_t i;
    json_t *spec;
    json_array_foreach(list, i, spec) {
        char *rule_path = rb_jsonpath_child_index(path, i);
        rb_rule *rule = NULL;
        rb_code rc = rb_rule_compile(spec, rf->file, rf->lines, rule_path, pack, ov, &rule, err);
        free(rule_path);
        if (!rc)
            rc = add_rule(rs, rule, err);
        if (rc && rc != RB_EUSAGE && rs->diag) {
            rs->diag(rs->diag_ctx, err);
            rc = RB_OK;
        }
        if (rc)
            return rc;
    }
    return RB_OK;
}

/* Checks that a member is a mapping of field names to strings. */
static bool string_map(const json_t *v)
{
    const char *k;
    json_t *item;
    if (!json_is_object(v))
        return false;
    json_object_foreach((json_t *)v, k, item)
        if (!json_is_string(item))
            return false;
    return true;
}

/* RB_ERULE naming the first key of the mapping at `path` not in `known`;
 * `what` names the mapping and what it takes. */
static rb_code check_known_keys(const json_t *spec, const char *path, const char *const *known,
                                const char *what, const rule_file *rf, rb_error *err)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)spec, k, v) {
        if (rb_str_in_list(k, known))
            continue;
        char *p = rb_jsonpath_child_key(path, k);
        char *message = rb_xasprintf("unknown key '%s' in %s", k, what);
        rb_code rc = file_error(rf, p, err, message);
        free(message);
        free(p);
        return rc;
    }
    return RB_OK;
}

static rb_code load_source(rb_ruleset *rs, const json_t *spec, const char *path, const rule_file *rf,
                           rb_error *err)
{
    if (!json_is_object(spec))
        return file_error(rf, path, err, "a source must be a mapping with name, files, fields and set");
    static const char *const known[] = {"name", "files", "query", "fields", "set", "time_unit", NULL};
    rb_code known_rc = check_known_keys(spec, path, known,
                                        "a source (expected name, files, query, fields, set, time_unit)", rf, err);
    if (known_rc)
        return known_rc;
    json_t *name = json_object_get(spec, "name"), *files = json_object_get(spec, "files");
    json_t *fields = json_object_get(spec, "fields"), *set = json_object_get(spec, "set");
    json_t *query = json_object_get(spec, "query"), *unit_name = json_object_get(spec, "time_unit");
    if (!json_is_string(name) || !json_is_string(files))
        return file_error(rf, path, err, "a source needs 'name' and 'files' (a path glob) as strings");
    rb_time_unit unit = RB_TIME_UNIT_AUTO;
    if (unit_name && !(json_is_string(unit_name) && rb_time_unit_parse(json_string_value(unit_name), &unit))) {
        char *p = rb_jsonpath_child_key(path, "time_unit");
        rb_code rc = file_error(rf, p, err, "'time_unit' must be s, ms, us or ns (the unit of the source's "
                                            "epoch-number ts; without it, the magnitude of each number decides)");
        free(p);
        return rc;
    }
    if (query && (!json_is_string(query) || !rb_ledger_sql_complete(json_string_value(query)))) {
        char *p = rb_jsonpath_child_key(path, "query");
        rb_code rc = file_error(rf, p, err, "'query' must be one complete SQL statement (a SELECT)");
        free(p);
        return rc;
    }
    if ((fields && !string_map(fields)) || (set && !json_is_object(set)))
        return file_error(rf, path, err,
                          "'fields' must map canonical names to input field names, 'set' must be a mapping");
    rb_grow((void **)&rs->sources, &rs->cap_sources, rs->n_sources + 1, sizeof *rs->sources);
    rb_source *s = &rs->sources[rs->n_sources++];
    s->name = rb_xstrdup(json_string_value(name));
    s->files = rb_xstrdup(json_string_value(files));
    s->query = query ? rb_xstrdup(json_string_value(query)) : NULL;
    s->fields = fields ? json_incref(fields) : json_object();
    s->set = set ? json_incref(set) : json_object();
    s->time_unit = unit;
    return RB_OK;
}

/* A `config:` entry: {files: GLOB, list_keys: {LIST-PATH-GLOB: FIELD}}. */
static rb_code load_config(rb_ruleset *rs, const json_t *spec, const char *path, const rule_file *rf,
                           rb_error *err)
{
    static const char *const known[] = {"files", "list_keys", NULL};
    if (!json_is_object(spec))
        return file_error(rf, path, err, "a config entry must be a mapping with files and list_keys");
    rb_code rc = check_known_keys(spec, path, known, "a config entry (expected files, list_keys)", rf, err);
    if (rc)
        return rc;
    json_t *files = json_object_get(spec, "files"), *keys = json_object_get(spec, "list_keys");
    if (!json_is_string(files))
        return file_error(rf, path, err, "a config entry needs 'files' (a path glob) as a string");
    const char *why = keys ? rb_config_check_list_keys(keys) : NULL;
    if (why) {
        char *p = rb_jsonpath_child_key(path, "list_keys");
        rc = file_error(rf, p, err, why);
        free(p);
        return rc;
    }
    rb_config_set_add(&rs->config, json_string_value(files), keys);
    return RB_OK;
}

/* Loads each entry of a top-level list (`sources`, `config`). */
static rb_code load_entries(rb_ruleset *rs, const json_t *list, const char *name, const rule_file *rf,
                            rb_code (*load)(rb_ruleset *, const json_t *, const char *, const rule_file *,
                                            rb_error *),
                            rb_error *err)
{
    if (!json_is_array(list)) {
        char *what = rb_xasprintf("'%s' must be a list", name);
        rb_code rc = file_error(rf, name, err, what);
        free(what);
        return rc;
    }
    size_t i;
    json_t *spec;
    json_array_foreach(list, i, spec) {
        char *p = rb_jsonpath_child_index(name, i);
        rb_code rc = load(rs, spec, p, rf, err);
        free(p);
        if (rc)
            return rc;
    }
    return RB_OK;
}

static rb_code load_document(rb_ruleset *rs, const json_t *doc, const rule_file *rf, const char *pack,
                             rb_overrides *ov, rb_error *err)
{
    if (json_is_null(doc))
        return RB_OK;
    if (json_is_array(doc))
        return load_rules(rs, doc, "", rf, pack, ov, err);
    if (!json_is_object(doc))
        return file_error(rf, "", err, "expected a list of rules, or a mapping with 'rules', 'sources' and 'config'");
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)doc, k, v) {
        rb_code rc = RB_OK;
        if (strcmp(k, "rules") == 0) {
            rc = load_rules(rs, v, "rules", rf, pack, ov, err);
        } else if (strcmp(k, "sources") == 0) {
            rc = load_entries(rs, v, k, rf, load_source, err);
        } else if (strcmp(k, "config") == 0) {
            rc = load_entries(rs, v, k, rf, load_config, err);
        } else {
            char *what = rb_xasprintf("unknown top-level key '%s' (expected 'rules', 'sources' or 'config')", k);
            rc = file_error(rf, k, err, what);
            free(what);
        }
        if (rc)
            return rc;
    }
    return RB_OK;
}

/* The pack of a rule file: the name of the directory it is in. */
static char *pack_of(const char *file)
{
    char *copy = rb_xstrdup(file);
    char *slash = strrchr(copy, '/');
    char *pack;
    if (!slash) {
        pack = rb_xstrdup("local");
    } else {
        *slash = '\0';
        pack = rb_xstrdup(*rb_path_basename(copy) ? rb_path_basename(copy) : "local");
    }
    free(copy);
    if (strcmp(pack, ".") == 0 || strcmp(pack, "..") == 0) {
        free(pack);
        pack = rb_xstrdup("local");
    }
    return pack;
}

static rb_code load_file(rb_ruleset *rs, const char *file, rb_overrides *ov, rb_error *err)
{
    unsigned char *data;
    size_t len;
    rb_code rc = rb_read_file(file, MAX_RULE_FILE_BYTES, &data, &len, err);
    if (rc == RB_EINPUT) /* an unreadable rule file is a rule error, not evidence */
        err->code = RB_ERULE;
    if (rc)
        return err->code;
    rb_yaml_doc *docs = NULL;
    size_t n = 0;
    rc = rb_yaml_load(file, data, len, NULL, &docs, &n, err);
    free(data);
    if (rc)
        rc = err->code = RB_ERULE;
    char *pack = pack_of(file);
    for (size_t i = 0; i < n && !rc; i++) {
        rule_file rf = {file, docs[i].lines};
        rc = load_document(rs, docs[i].value, &rf, pack, ov, err);
    }
    free(pack);
    rb_yaml_docs_free(docs, n);
    if (rc == RB_ERULE && rs->diag) {
        rs->diag(rs->diag_ctx, err);
        rc = RB_OK;
    }
    return rc;
}

static bool is_rule_file(const char *name)
{
    return rb_has_suffix(name, ".yaml") || rb_has_suffix(name, ".yml");
}

/* A walk of a rule directory in progress. */
typedef struct rule_walk {
    rb_ruleset *rs;
    rb_overrides *ov;
    int depth;
} rule_walk;

static rb_code load_directory(rb_ruleset *rs, const char *dir, rb_overrides *ov, int depth,
                              rb_error *err);

/* A pack's tests/ holds fixtures, not rules. */
static rb_code visit_rule_entry(void *ctx, const char *path, const char *name,
                                const struct stat *st, rb_error *err)
{
    rule_walk *w = ctx;
    if (S_ISDIR(st->st_mode))
        return strcmp(name, "tests") == 0 ? RB_OK : load_directory(w->rs, path, w->ov, w->depth + 1, err);
    if (S_ISREG(st->st_mode) && is_rule_file(name))
        return load_file(w->rs, path, w->ov, err);
    return RB_OK;
}

static rb_code load_directory(rb_ruleset *rs, const char *dir, rb_overrides *ov, int depth,
                              rb_error *err)
{
    if (depth > 16)
        return rb_error_set(err, RB_ERULE, "%s: rule directories nested too deep", dir);
    rule_walk w = {rs, ov, depth};
    return rb_dir_each(dir, 0, RB_ERULE, visit_rule_entry, &w, err);
}

rb_code rb_ruleset_load(rb_ruleset *rs, const char *path, rb_overrides *ov, rb_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return rb_error_set(err, RB_ERULE, "%s: cannot read rules: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return load_directory(rs, path, ov, 0, err);
    return load_file(rs, path, ov, err);
}

/* The installed data beside a binary that was installed under a staging
 * root (make install DESTDIR=ROOT): ROOT + bindir holds the binary, so
 * ROOT + pkgdatadir holds the data.  Plain installs have an empty root. */
static void installed_data_dir(const char *self, char *dir, size_t size)
{
    const char *slash = strrchr(self, '/');
    size_t dir_len = slash ? (size_t)(slash - self) : 0, bin_len = strlen(RB_BINDIR);
    struct stat st;
    if (dir_len >= bin_len && strncmp(self + dir_len - bin_len, RB_BINDIR, bin_len) == 0) {
        snprintf(dir, size, "%.*s%s", (int)(dir_len - bin_len), self, RB_PKGDATADIR);
        if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
            return;
    }
    snprintf(dir, size, "%s", RB_PKGDATADIR);
}

const char *rb_data_dir(void)
{
    static char dir[2 * PATH_MAX];
    if (dir[0])
        return dir;
    char self[PATH_MAX], built[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = '\0';
    bool in_build_tree = false;
    if (n > 0 && realpath(RB_BUILDDIR, built)) {
        size_t len = strlen(built);
        in_build_tree = strncmp(self, built, len) == 0 && self[len] == '/' &&
                        strchr(self + len + 1, '/') == NULL;
    }
    if (in_build_tree)
        snprintf(dir, sizeof dir, "%s", RB_SRCDIR);
    else
        installed_data_dir(self, dir, sizeof dir);
    return dir;
}

const char *rb_default_rules_dir(void)
{
    static char dir[2 * PATH_MAX + 16];
    if (!dir[0])
        snprintf(dir, sizeof dir, "%s/rules", rb_data_dir());
    return dir;
}

static rb_code load_pack(rb_ruleset *rs, const char *name, rb_overrides *ov, rb_error *err)
{
    const char *dir = rb_default_rules_dir();
    char *path = rb_xasprintf("%s/%s", dir, name);
    struct stat st;
    rb_code rc;
    if (strchr(name, '/') || stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        rc = rb_error_set(err, RB_EUSAGE, "--pack %s: no such pack in %s", name, dir);
    else
        rc = rb_ruleset_load(rs, path, ov, err);
    free(path);
    return rc;
}

rb_code rb_ruleset_load_chosen(rb_ruleset *rs, char *const *paths, size_t n_paths, char *const *packs,
                               size_t n_packs, rb_overrides *ov, rb_error *err)
{
    rb_code rc = RB_OK;
    for (size_t i = 0; i < n_paths && !rc; i++)
        rc = rb_ruleset_load(rs, paths[i], ov, err);
    for (size_t i = 0; i < n_packs && !rc; i++)
        rc = load_pack(rs, packs[i], ov, err);
    if (!rc && !n_paths && !n_packs)
        rc = rb_ruleset_load(rs, rb_default_rules_dir(), ov, err);
    if (!rc)
        rc = rb_overrides_check_used(ov, err);
    rb_ruleset_finish(rs);
    return rc;
}
