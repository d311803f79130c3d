/*
 * cmd_diff.c — `rbaudit diff OLD NEW`: how two ledgers differ (a backup
 * and its restore), in text or JSON.  Like diff(1): exit 0 when equal, 1
 * when they differ, 2 on error.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "ledger_diff.h"
#include "template.h"
#include "util.h"

static void diff_help(FILE *out)
{
    fprintf(out,
            "Usage: rbaudit diff OLD NEW [--format text|json] [--output FILE]\n"
            "\n"
            "Compares two SQLite ledgers (told by their header, opened read-only and\n"
            "immutable), table by table: row counts, a content hash of each table, and the\n"
            "primary key of every row missing from NEW, added in NEW or changed.  Tables\n"
            "without a primary key are paired by rowid.  The JSON output is\n"
            "\"schema\": \"rbaudit-diff/1\".\n"
            "\n"
            "Exit status: 0 equal, 1 different, 2 usage error or unreadable ledger.\n");
}

/* A row key for text: id=42, or (a=1, b=x) for a composite key. */
static void write_key(FILE *out, const json_t *columns, const json_t *key)
{
    bool composite = json_array_size(columns) > 1;
    if (composite)
        fputc('(', out);
    for (size_t i = 0; i < json_array_size(columns); i++) {
        rb_buf b = {0};
        rb_template_append_value(&b, composite ? json_array_get(key, i) : key);
        fprintf(out, "%s%s=%s", i ? ", " : "", json_string_value(json_array_get(columns, i)),
                b.data ? b.data : "");
        rb_buf_free(&b);
    }
    if (composite)
        fputc(')', out);
}

static void write_keys(FILE *out, const json_t *table, const char *member, const char *mark)
{
    size_t i;
    json_t *key;
    json_array_foreach(json_object_get(table, member), i, key) {
        fprintf(out, "  %s ", mark);
        write_key(out, json_object_get(table, "key"), key);
        fputc('\n', out);
    }
}

static json_int_t rows_of(const json_t *table, const char *side)
{
    return json_integer_value(json_object_get(json_object_get(table, side), "rows"));
}

static void write_text(FILE *out, const json_t *diff)
{
    const char *old = json_string_value(json_object_get(json_object_get(diff, "old"), "path"));
    const char *new = json_string_value(json_object_get(json_object_get(diff, "new"), "path"));
    fprintf(out, "--- %s\n+++ %s\n", old, new);
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(diff, "tables"), i, t) {
        const char *name = json_string_value(json_object_get(t, "table"));
        const char *status = json_string_value(json_object_get(t, "status"));
        if (strcmp(status, "missing") == 0)
            fprintf(out, "%s: missing from %s (%lld rows in %s)\n", name, new, (long long)rows_of(t, "old"), old);
        else if (strcmp(status, "added") == 0)
            fprintf(out, "%s: added in %s (%lld rows)\n", name, new, (long long)rows_of(t, "new"));
        else
            fprintf(out, "%s: %s (%lld -> %lld rows)\n", name, status, (long long)rows_of(t, "old"),
                    (long long)rows_of(t, "new"));
        write_keys(out, t, "missing", "- missing");
        write_keys(out, t, "added", "+ added  ");
        write_keys(out, t, "changed", "~ changed");
    }
    const json_t *s = json_object_get(diff, "summary");
#define N(member) (long long)json_integer_value(json_object_get(s, member))
    fprintf(out, "%lld tables: %lld equal, %lld changed, %lld missing, %lld added; rows: %lld missing, "
                 "%lld added, %lld changed\n",
            N("tables"), N("equal"), N("changed"), N("missing"), N("added"), N("rows_missing"), N("rows_added"),
            N("rows_changed"));
#undef N
}

/* Opens one side: the ledger and the hash of its file. */
static rb_code open_side(const char *path, rb_ledger_side *side, char *hex, rb_error *err)
{
    uint64_t bytes;
    side->name = rb_path_logical(path);
    side->sha256 = hex;
    rb_code rc = rb_ledger_open_file(path, side->name, &side->db, err);
    if (!rc && (rc = rb_sha256_file(path, hex, &bytes, err))) {
        sqlite3_close(side->db);
        side->db = NULL;
    }
    return rc;
}

static rb_code run(const rb_cli *o, int *status, rb_error *err)
{
    if (o->n_inputs != 2)
        return rb_error_set(err, RB_EUSAGE, "diff: expected two ledgers, OLD and NEW (see 'rbaudit diff --help')");
    rb_output out = {0};
    rb_ledger_side old = {0}, new = {0};
    char old_hex[RB_SHA256_HEX_LEN + 1], new_hex[RB_SHA256_HEX_LEN + 1];
    json_t *diff = NULL;
    rb_code rc;
    if (!(rc = rb_cli_open_own_output(o, "diff", &out, err)) && !(rc = open_side(o->inputs[0], &old, old_hex, err)) &&
        !(rc = open_side(o->inputs[1], &new, new_hex, err)) && !(rc = rb_ledger_diff(&old, &new, &diff, err))) {
        *status = json_is_true(json_object_get(diff, "equal")) ? 0 : 1;
        rc = rb_cli_write_own(o, &out, diff, write_text, err);
    }
    json_decref(diff);
    sqlite3_close(old.db);
    sqlite3_close(new.db);
    rb_output_close(&out);
    return rc;
}

static int run_diff(int argc, char **argv)
{
    return rb_cli_main(argc, argv, diff_help, run);
}

const rb_command rb_cmd_diff = {
    .name = "diff",
    .summary = "compare two ledgers (a backup and its restore)",
    .run = run_diff,
};
