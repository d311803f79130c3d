/*
 * cmd_diff.c — `rbaudit diff OLD NEW`: how two ledgers differ (a backup
 * and its restore), or two revisions of a config file, leaf by leaf (the
 * diff that `gate` makes of each commit), in text or JSON.  Like diff(1):
 * exit 0 when equal, 1 when they differ, 2 on error.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "config_diff.h"
#include "ledger_diff.h"
#include "loader.h"
#include "pack.h"
#include "util.h"
#include "worker.h"

static void diff_help(FILE *out)
{
    fprintf(out,
            "Usage: rbaudit diff OLD NEW [--format text|json] [--output FILE]\n"
            "                            [--rules PATH]... [--pack NAME]...\n"
            "\n"
            "Two SQLite ledgers (told by their header, opened read-only and immutable, or\n"
            "read with the write-ahead log or hot journal beside them through a private\n"
            "copy, which the output names) are compared table by table, tables matched by\n"
            "name ignoring case as SQLite does.  Each table's schema first: columns added,\n"
            "removed or changed (declared type, collation, NOT NULL) and a changed primary\n"
            "key; a schema change alone makes the ledgers differ.  Then its rows: counts, a\n"
            "content hash, and every row missing from NEW, added in NEW or changed, with\n"
            "each changed column's old and new value.  Rows pair by primary key as SQLite\n"
            "compares keys (the key's collation and type: 'Dana@x' and 'dana@x' are one row\n"
            "under NOCASE, the text '2' and the integer 2 two).  A table without a primary\n"
            "key, or whose key changed or holds NULL, is compared as a multiset of rows over\n"
            "the columns both sides have; rowids are never used, and a column named rowid\n"
            "is a column.\n"
            "\n"
            "Two config revisions (YAML, or JSON when named .json) are compared leaf by leaf:\n"
            "each changed leaf path (e.g. projects.wallaby.field_maps.ra) is added, removed or\n"
            "modified, with its old and new value and its line in NEW.  Lists are compared by\n"
            "position, or by a key field where the packs' `config:` entries name one for NEW's\n"
            "path (list_keys); --rules and --pack choose those packs (default: the installed\n"
            "ones).  This is the diff 'rbaudit gate' makes of every commit.  An empty file or\n"
            "/dev/null is no revision (a file added or deleted): each leaf of the other side is\n"
            "added or removed.\n"
            "\n"
            "The JSON output is \"schema\": \"rbaudit-diff/2\" with \"kind\": \"ledger\" for\n"
            "ledgers, \"rbaudit-diff/1\" with \"kind\": \"config\" for config revisions\n"
            "(rbaudit(1) describes both).\n"
            "\n"
            "Exit status: 0 equal, 1 different, 2 usage error, unreadable file or one that\n"
            "does not parse.\n");
}

/* A value as compact JSON, so that the text "null" and NULL differ. */
static void write_value(FILE *out, const json_t *v)
{
    char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    fputs(text ? text : "?", out);
    free(text);
}

/* A row key for text: id=42, or (a=1, b="x") for a composite key; values
 * as JSON, so that the integer 2 and the text '2' read differently. */
static void write_key(FILE *out, const json_t *columns, const json_t *key)
{
    bool composite = json_array_size(columns) > 1;
    if (composite)
        fputc('(', out);
    for (size_t i = 0; i < json_array_size(columns); i++) {
        fprintf(out, "%s%s=", i ? ", " : "", json_string_value(json_array_get(columns, i)));
        write_value(out, composite ? json_array_get(key, i) : key);
    }
    if (composite)
        fputc(')', out);
}

/* A missing or added row: its key, or the whole row of a multiset. */
static void write_rows(FILE *out, const json_t *table, const char *member, const char *mark)
{
    const json_t *pairing = json_object_get(table, "pairing");
    bool by_key = strcmp(json_string_value(json_object_get(pairing, "by")), "key") == 0;
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(table, member), i, row) {
        fprintf(out, "  %s ", mark);
        if (by_key)
            write_key(out, json_object_get(pairing, "columns"), row);
        else
            write_value(out, row);
        fputc('\n', out);
    }
}

/* "~ changed id=7: email: "a@x" -> "b@x"; owner: null -> "ops"" */
static void write_changed(FILE *out, const json_t *table)
{
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(table, "changed"), i, row) {
        fputs("  ~ changed ", out);
        write_key(out, json_object_get(json_object_get(table, "pairing"), "columns"), json_object_get(row, "key"));
        const char *sep = ": ";
        const char *column;
        json_t *change;
        json_object_foreach(json_object_get(row, "columns"), column, change) {
            fprintf(out, "%s%s: ", sep, column);
            write_value(out, json_object_get(change, "old"));
            fputs(" -> ", out);
            write_value(out, json_object_get(change, "new"));
            sep = "; ";
        }
        fputc('\n', out);
    }
}

/* A key column as SQL would declare it: "email TEXT COLLATE NOCASE". */
static void write_key_column(FILE *out, const json_t *k)
{
    const char *type = json_string_value(json_object_get(k, "type"));
    const char *collation = json_string_value(json_object_get(k, "collation"));
    fputs(json_string_value(json_object_get(k, "column")), out);
    if (type && *type)
        fprintf(out, " %s", type);
    if (collation && sqlite3_stricmp(collation, "BINARY") != 0)
        fprintf(out, " COLLATE %s", collation);
}

static void write_key_columns(FILE *out, const json_t *key)
{
    fputc('(', out);
    for (size_t i = 0; i < json_array_size(key); i++) {
        if (i)
            fputs(", ", out);
        write_key_column(out, json_array_get(key, i));
    }
    fputc(')', out);
}

static void write_names(FILE *out, const json_t *names)
{
    for (size_t i = 0; i < json_array_size(names); i++)
        fprintf(out, "%s%s", i ? ", " : "", json_string_value(json_array_get(names, i)));
}

/* What changed in a column: "type INTEGER -> TEXT, nullable -> NOT NULL". */
static void write_column_change(FILE *out, const json_t *change)
{
    const json_t *old = json_object_get(change, "old"), *new = json_object_get(change, "new");
    static const char *const attributes[] = {"name", "type", "collation"};
    const char *sep = "";
    for (size_t i = 0; i < 3; i++) {
        const char *a = json_string_value(json_object_get(old, attributes[i]));
        const char *b = json_string_value(json_object_get(new, attributes[i]));
        if (i ? sqlite3_stricmp(a, b) == 0 : strcmp(a, b) == 0)
            continue;
        fprintf(out, "%s%s %s -> %s", sep, attributes[i], *a ? a : "(none)", *b ? b : "(none)");
        sep = ", ";
    }
    bool was = json_is_true(json_object_get(old, "not_null")), is = json_is_true(json_object_get(new, "not_null"));
    if (was != is)
        fprintf(out, "%s%s -> %s", sep, was ? "NOT NULL" : "nullable", is ? "NOT NULL" : "nullable");
}

/* "  schema: equal", or "  schema: changed: ITEM; ITEM". */
static void write_schema(FILE *out, const json_t *schema)
{
    fprintf(out, "  schema: %s", json_string_value(json_object_get(schema, "status")));
    const char *sep = ": ";
    const json_t *renamed = json_object_get(schema, "renamed");
    if (json_is_object(renamed)) {
        fprintf(out, "%srenamed %s -> %s", sep, json_string_value(json_object_get(renamed, "old")),
                json_string_value(json_object_get(renamed, "new")));
        sep = "; ";
    }
    static const char *const lists[][2] = {{"columns_added", "columns added"}, {"columns_removed", "columns removed"}};
    for (size_t i = 0; i < 2; i++)
        if (json_array_size(json_object_get(schema, lists[i][0]))) {
            fprintf(out, "%s%s: ", sep, lists[i][1]);
            write_names(out, json_object_get(schema, lists[i][0]));
            sep = "; ";
        }
    size_t i;
    json_t *change;
    json_array_foreach(json_object_get(schema, "columns_changed"), i, change) {
        fprintf(out, "%scolumn %s: ", sep, json_string_value(json_object_get(change, "column")));
        write_column_change(out, change);
        sep = "; ";
    }
    const json_t *key = json_object_get(schema, "key_changed");
    if (json_is_object(key)) {
        fprintf(out, "%skey ", sep);
        write_key_columns(out, json_object_get(key, "old"));
        fputs(" -> ", out);
        write_key_columns(out, json_object_get(key, "new"));
    }
    fputc('\n', out);
}

/* "  rows: paired by key (id)" or "  rows: compared as a multiset of
 * (a, b): no primary key". */
static void write_pairing(FILE *out, const json_t *pairing)
{
    bool by_key = strcmp(json_string_value(json_object_get(pairing, "by")), "key") == 0;
    fputs(by_key ? "  rows: paired by key (" : "  rows: compared as a multiset of (", out);
    write_names(out, json_object_get(pairing, "columns"));
    fputc(')', out);
    if (!by_key)
        fprintf(out, ": %s", json_string_value(json_object_get(pairing, "reason")));
    fputc('\n', out);
}

static json_int_t rows_of(const json_t *table, const char *side)
{
    return json_integer_value(json_object_get(json_object_get(table, side), "rows"));
}

/* "--- PATH", and the companion the ledger was read with. */
static void write_side(FILE *out, const char *mark, const json_t *side)
{
    fprintf(out, "%s %s", mark, json_string_value(json_object_get(side, "path")));
    const json_t *c = json_object_get(side, "companion");
    if (c)
        fprintf(out, " (with its %s %s)",
                strcmp(json_string_value(json_object_get(c, "kind")), "wal") == 0 ? "write-ahead log"
                                                                                 : "hot rollback journal",
                json_string_value(json_object_get(c, "path")));
    fputc('\n', out);
}

static void write_table(FILE *out, const json_t *t, const char *old, const char *new)
{
    const char *name = json_string_value(json_object_get(t, "table"));
    const char *status = json_string_value(json_object_get(t, "status"));
    if (strcmp(status, "missing") == 0) {
        fprintf(out, "%s: missing from %s (%lld rows in %s)\n", name, new, (long long)rows_of(t, "old"), old);
        return;
    }
    if (strcmp(status, "added") == 0) {
        fprintf(out, "%s: added in %s (%lld rows)\n", name, new, (long long)rows_of(t, "new"));
        return;
    }
    fprintf(out, "%s: %s (%lld -> %lld rows)\n", name, status, (long long)rows_of(t, "old"),
            (long long)rows_of(t, "new"));
    write_schema(out, json_object_get(t, "schema"));
    write_pairing(out, json_object_get(t, "pairing"));
    write_rows(out, t, "missing", "- missing");
    write_rows(out, t, "added", "+ added  ");
    write_changed(out, t);
}

static void write_text(FILE *out, const json_t *diff)
{
    const char *old = json_string_value(json_object_get(json_object_get(diff, "old"), "path"));
    const char *new = json_string_value(json_object_get(json_object_get(diff, "new"), "path"));
    write_side(out, "---", json_object_get(diff, "old"));
    write_side(out, "+++", json_object_get(diff, "new"));
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(diff, "tables"), i, t)
        write_table(out, t, old, new);
    const json_t *s = json_object_get(diff, "summary");
#define N(member) (long long)json_integer_value(json_object_get(s, member))
    fprintf(out, "%lld tables: %lld equal, %lld changed, %lld missing, %lld added; %lld schemas changed; rows: "
                 "%lld missing, %lld added, %lld changed\n",
            N("tables"), N("equal"), N("changed"), N("missing"), N("added"), N("schemas_changed"),
            N("rows_missing"), N("rows_added"), N("rows_changed"));
#undef N
}

/* One ledger of the pair: its handle, and its file's hash, which a worker
 * takes while the tables are compared (worker.h), unless its private copy
 * read the file whole already. */
typedef struct diff_side {
    rb_ledger_side side;
    rb_ledger_companion companion;
    const char *path;
    char sha256[RB_SHA256_HEX_LEN + 1];
    uint64_t bytes;
    rb_worker *worker; /* hashing path, or NULL */
    rb_code hash_rc;
    rb_error hash_err;
} diff_side;

static void hash_side(void *state)
{
    diff_side *d = state;
    d->hash_rc = rb_sha256_file(d->path, d->sha256, &d->bytes, &d->hash_err);
}

/* Opens one side: the ledger (with its companion, as `check` reads it),
 * and starts the hash of its file. */
static rb_code open_side(const char *path, diff_side *d, rb_error *err)
{
    d->path = path;
    d->side.name = rb_path_logical(path);
    rb_code rc = rb_ledger_open_file(path, d->side.name, &d->side.db, &d->companion, err);
    if (rc)
        return rc;
    if (d->companion.kind)
        memcpy(d->sha256, d->companion.db_sha256, sizeof d->sha256);
    else
        d->worker = rb_worker_start(hash_side, d);
    return RB_OK;
}

/* Waits for a side's hash: its error, had it been read first, would have
 * come before `later` (what came after its opening). */
static rb_code side_hashed(diff_side *d, rb_code later, rb_error *err)
{
    if (!d->worker)
        return later;
    rb_worker_join(d->worker);
    d->worker = NULL;
    if (!d->hash_rc)
        return later;
    *err = d->hash_err;
    return d->hash_rc;
}

/* A config change as one line of text: "~ path: old -> new  (line N)". */
static void write_change(FILE *out, const json_t *c)
{
    const char *op = json_string_value(json_object_get(c, "op"));
    const json_t *old = json_object_get(c, "old"), *new = json_object_get(c, "new");
    char *old_text = old ? json_dumps(old, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    char *new_text = new ? json_dumps(new, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    fprintf(out, "%c %s: ", strcmp(op, "add") == 0 ? '+' : strcmp(op, "remove") == 0 ? '-' : '~',
            json_string_value(json_object_get(c, "path")));
    if (old_text && new_text)
        fprintf(out, "%s -> %s", old_text, new_text);
    else
        fputs(old_text ? old_text : new_text, out);
    if (json_object_get(c, "line"))
        fprintf(out, "  (line %lld)", (long long)json_integer_value(json_object_get(c, "line")));
    fputc('\n', out);
    free(old_text);
    free(new_text);
}

static void write_config_text(FILE *out, const json_t *diff)
{
    fprintf(out, "--- %s\n+++ %s\n", json_string_value(json_object_get(json_object_get(diff, "old"), "path")),
            json_string_value(json_object_get(json_object_get(diff, "new"), "path")));
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(diff, "changes"), i, c)
        write_change(out, c);
    const json_t *s = json_object_get(diff, "summary");
#define N(member) (long long)json_integer_value(json_object_get(s, member))
    fprintf(out, "%lld change%s: %lld added, %lld removed, %lld modified\n", N("changes"), N("changes") == 1 ? "" : "s",
            N("added"), N("removed"), N("modified"));
#undef N
}

static void write_any_text(FILE *out, const json_t *diff)
{
    if (strcmp(json_string_value(json_object_get(diff, "kind")), "config") == 0)
        write_config_text(out, diff);
    else
        write_text(out, diff);
}

/* Whether a file starts with the SQLite header. */
static bool is_ledger(const char *path)
{
    unsigned char head[100];
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(head, 1, sizeof head, f) : 0;
    if (f)
        fclose(f);
    return rb_ledger_sniff(head, n);
}

static json_t *config_side(const char *path, rb_error *err, rb_code *rc)
{
    char hex[RB_SHA256_HEX_LEN + 1];
    uint64_t bytes;
    *rc = rb_sha256_file(path, hex, &bytes, err);
    return *rc ? NULL : json_pack("{s:s, s:s}", "path", rb_path_logical(path), "sha256", hex);
}

/* The rbaudit-diff/1 document of two config revisions. */
static rb_code diff_config(const rb_cli *o, json_t **out, rb_error *err)
{
    if (o->overrides.n)
        return rb_error_set(err, RB_EUSAGE, "diff: --param has no use here (only --rules and --pack choose the "
                            "packs whose config entries apply)");
    rb_ruleset *rs = rb_ruleset_new();
    rb_overrides none = {0};
    json_t *changes = NULL, *old = NULL, *new = NULL;
    rb_code rc = rb_ruleset_load_chosen(rs, o->rule_paths, o->n_rule_paths, o->packs, o->n_packs, &none, err);
    if (!rc)
        rc = rb_config_diff_files(&rs->config, o->inputs[0], o->inputs[1], rb_limits_get()->input_bytes, &changes, err);
    if (!rc && (old = config_side(o->inputs[0], err, &rc)) && (new = config_side(o->inputs[1], err, &rc))) {
        json_int_t counts[3] = {0};
        static const char *const ops[] = {"add", "remove", "modify"};
        size_t i;
        json_t *c;
        json_array_foreach(changes, i, c)
            for (size_t k = 0; k < 3; k++)
                counts[k] += strcmp(json_string_value(json_object_get(c, "op")), ops[k]) == 0;
        *out = json_pack("{s:s, s:s, s:O, s:O, s:b, s:O, s:{s:I, s:I, s:I, s:I}}", "schema", "rbaudit-diff/1", "kind",
                         "config", "old", old, "new", new, "equal", json_array_size(changes) == 0, "changes", changes,
                         "summary", "changes", (json_int_t)json_array_size(changes), "added", counts[0], "removed",
                         counts[1], "modified", counts[2]);
    }
    json_decref(old);
    json_decref(new);
    json_decref(changes);
    rb_ruleset_free(rs);
    return rc;
}

/* Puts into the document's OLD or NEW object the hash of that side's file,
 * and the companion it was read with. */
static void name_side(json_t *diff, const char *member, const diff_side *d)
{
    json_t *side = json_object_get(diff, member);
    json_object_set_new(side, "sha256", json_string(d->sha256));
    if (d->companion.kind)
        json_object_set_new(side, "companion", rb_ledger_companion_json(&d->companion));
}

/* The rbaudit-diff/2 document of two ledgers.  Errors come in the order
 * the work would meet them done one after the other: OLD opened and
 * hashed, NEW opened and hashed, then the comparison. */
static rb_code diff_ledgers(const rb_cli *o, json_t **out, rb_error *err)
{
    diff_side old = {0}, new = {0};
    *out = NULL;
    rb_code rc = open_side(o->inputs[0], &old, err);
    if (!rc)
        rc = open_side(o->inputs[1], &new, err);
    if (!rc)
        rc = rb_ledger_diff(&old.side, &new.side, out, err);
    rc = side_hashed(&new, rc, err);
    rc = side_hashed(&old, rc, err);
    if (!rc) {
        name_side(*out, "old", &old);
        name_side(*out, "new", &new);
    } else {
        json_decref(*out);
        *out = NULL;
    }
    rb_ledger_companion_clear(&old.companion);
    rb_ledger_companion_clear(&new.companion);
    sqlite3_close(old.side.db);
    sqlite3_close(new.side.db);
    return rc;
}

static rb_code run(const rb_cli *o, int *status, rb_error *err)
{
    if (o->n_inputs != 2)
        return rb_error_set(err, RB_EUSAGE, "diff: expected two ledgers or two config files, OLD and NEW (see "
                            "'rbaudit diff --help')");
    /* one ledger is enough to say what the other should have been */
    bool ledgers = is_ledger(o->inputs[0]) || is_ledger(o->inputs[1]);
    rb_output out = {0};
    json_t *diff = NULL;
    rb_code rc = rb_cli_open_own_output(o, "diff", &out, err);
    if (!rc)
        rc = ledgers ? diff_ledgers(o, &diff, err) : diff_config(o, &diff, err);
    if (!rc) {
        *status = json_is_true(json_object_get(diff, "equal")) ? 0 : 1;
        rc = rb_cli_write_own(o, &out, diff, write_any_text, err);
    }
    json_decref(diff);
    rb_output_close(&out);
    return rc;
}

static int run_diff(int argc, char **argv)
{
    return rb_cli_main(argc, argv, diff_help, run);
}

const rb_command rb_cmd_diff = {
    .name = "diff",
    .summary = "compare two ledgers (a backup and its restore) or two config revisions",
    .run = run_diff,
};
