/*
 * load_sqlite.c — SQLite ledgers (SPEC §3.3): told by their header, opened
 * read-only and immutable (ledger.h), kept open for `sql:` checks, and
 * mapped to events by the pack's `sources:` entries that have a `query`.
 * A ledger read with its write-ahead log or hot journal (ledger_copy.h)
 * says so in its account: the companion, its hash, what was applied.
 *
 * The rows of every such query stream during the engine's pass: a reader
 * steps the queries side by side and hands out their rows in evidence
 * order, so a ledger of any size is audited in the memory of its open keys.
 * A source whose `files` glob takes a ledger lacking a table or a column
 * its query names maps no rows from it, and the input says so in a note;
 * any other failure of the query is an input error naming the source and
 * the ledger.
 */
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "ledger.h"
#include "ledger_account.h"
#include "loader.h"
#include "query_bounds.h"
#include "sha256.h"
#include "util.h"
#include "worker.h"

/* One source query being stepped, with its next event. */
typedef struct query_cursor {
    const rb_source *source;
    char *what;             /* "source 'NAME'", for messages (owned) */
    sqlite3_stmt *stmt;     /* NULL when the query does not apply */
    bool absent;            /* the ledger lacks a table or column it names */
    rb_ledger_place place;  /* where its rows come from, once prepared */
    bool has_head;
    rb_event head;
} query_cursor;

/* The state of one ledger's reader. */
typedef struct ledger_reader {
    sqlite3 *db;          /* borrowed from the evidence's ledger */
    rb_input *input;
    bool lenient;         /* bad rows become RBA-INPUT findings */
    query_cursor *queries;
    size_t n_queries;
    bool started;         /* the first row of each query has been read */
    uint64_t rows_read;   /* rows read so far: the input-order tie-break */
} ledger_reader;

static void reader_close(void *state)
{
    ledger_reader *r = state;
    for (size_t i = 0; i < r->n_queries; i++) {
        query_cursor *q = &r->queries[i];
        sqlite3_finalize(q->stmt);
        q->stmt = NULL;
        if (q->has_head)
            json_decref(q->head.fields);
        q->has_head = false;
    }
}

static void reader_free(void *state)
{
    ledger_reader *r = state;
    reader_close(r);
    for (size_t i = 0; i < r->n_queries; i++)
        free(r->queries[i].what);
    free(r->queries);
    free(r);
}

/* Steps query q to its next event (skipping bad rows in --lenient mode). */
static rb_code advance(ledger_reader *r, query_cursor *q, rb_evidence *ev, rb_error *err)
{
    q->has_head = false;
    if (q->absent)
        return RB_OK;
    for (;;) {
        bool row;
        rb_code rc = rb_ledger_step(q->stmt, r->input->path, q->what, &row, err);
        if (rc || !row)
            return rc;
        json_t *fields = rb_ledger_row_json(q->stmt);
        rb_origin origin = rb_ledger_origin(&q->place, r->input, q->stmt);
        uint64_t position = ++r->rows_read;
        const char *problem = rb_source_apply_one(q->source, fields);
        if (!problem)
            problem = rb_event_init(&q->head, fields, origin, position);
        /* making the event is the query's time too (not what the rules
         * then do with it): a query of endless rows ends */
        rb_query_charge(q->stmt);
        if (!problem) {
            q->has_head = true;
            return RB_OK;
        }
        json_decref(fields);
        char *message = rb_xasprintf("%s, row %lld%s%s: %s", q->what, (long long)origin.row,
                                     origin.table ? " of " : "", origin.table ? origin.table : "", problem);
        if (!r->lenient) {
            rc = rb_error_set(err, RB_EINPUT, "%s: %s", r->input->path, message);
            free(message);
            return rc;
        }
        rb_evidence_add_problem(ev, origin, message);
        free(message);
    }
}

static rb_code reader_open(void *state, rb_error *err)
{
    ledger_reader *r = state;
    reader_close(r);
    r->started = false;
    r->rows_read = 0;
    for (size_t i = 0; i < r->n_queries; i++) {
        query_cursor *q = &r->queries[i];
        if (q->absent)
            continue;
        char *absent;
        rb_code rc = rb_ledger_prepare_query(r->db, r->input, q->source->query, q->what, q->what, &q->stmt, &absent,
                                             err);
        if (rc)
            return rc;
        if (absent) {
            /* told once: a pass started again finds it absent still */
            q->absent = true;
            rb_input_note(r->input, "%s maps no rows from it: %s", q->what, absent);
            free(absent);
            continue;
        }
        q->place = rb_ledger_place_of(r->input, q->stmt);
    }
    return RB_OK;
}

/* Hands out the earliest head of all queries; a query's first row is read
 * on the first call so that open stays cheap. */
static rb_code reader_next(void *state, rb_evidence *ev, rb_event *out, bool *got, rb_error *err)
{
    ledger_reader *r = state;
    *got = false;
    if (!r->started) {
        r->started = true;
        for (size_t i = 0; i < r->n_queries; i++) {
            rb_code rc = advance(r, &r->queries[i], ev, err);
            if (rc)
                return rc;
        }
    }
    query_cursor *best = NULL;
    for (size_t i = 0; i < r->n_queries; i++) {
        query_cursor *q = &r->queries[i];
        if (q->has_head && (!best || rb_event_compare(&q->head, &best->head) < 0))
            best = q;
    }
    if (!best)
        return RB_OK;
    *out = best->head;
    best->has_head = false;
    *got = true;
    return advance(r, best, ev, err);
}

static const rb_event_reader_ops ledger_reader_ops = {
    .open = reader_open,
    .next = reader_next,
    .close = reader_close,
    .free = reader_free,
};

/* rb_sqlite_attach, but the tables' rows are left to count: the caller
 * counts them (rb_ledger_counts_run) and puts them in the account. */
static rb_ledger_counts *attach(rb_evidence *ev, rb_input *in, sqlite3 *db, const char *name,
                                const rb_load_opts *opts)
{
    rb_evidence_add_ledger(ev, in, db, name);
    rb_ledger_counts *counts = rb_ledger_account_tables(in, db);
    ledger_reader *r = NULL;
    for (size_t i = 0; i < opts->n_sources; i++) {
        const rb_source *s = &opts->sources[i];
        if (!s->query || !(rb_source_takes(s, in->path) || rb_path_glob(s->files, name)))
            continue;
        if (!r) {
            r = rb_xcalloc(1, sizeof *r);
            r->db = db;
            r->input = in;
            r->lenient = opts->lenient;
        }
        r->queries = rb_xrealloc(r->queries, (r->n_queries + 1) * sizeof *r->queries);
        r->queries[r->n_queries++] = (query_cursor){.source = s, .what = rb_xasprintf("source '%s'", s->name)};
    }
    if (r)
        rb_input_set_reader(in, &ledger_reader_ops, r);
    return counts;
}

void rb_sqlite_attach(rb_evidence *ev, rb_input *in, sqlite3 *db, const char *name, const rb_load_opts *opts)
{
    rb_ledger_counts *counts = attach(ev, in, db, name, opts);
    rb_ledger_counts_run(counts, db, in->path);
    rb_ledger_account_rows(in, counts);
}

/* What the report says of a ledger read with a companion; clears c. */
static void account_companion(rb_input *in, rb_ledger_companion *c)
{
    if (!c->kind)
        return;
    json_object_set_new(rb_input_account(in), "companion", rb_ledger_companion_json(c));
    if (strcmp(c->kind, "wal") == 0 && c->frames_uncommitted)
        rb_input_note(in, "read with its write-ahead log %s (sha256 %s): %llu frame%s up to its last commit "
                      "applied to a private copy; %llu frame%s after it, of no commit, not applied",
                      c->path, c->sha256, (unsigned long long)c->frames, c->frames == 1 ? "" : "s",
                      (unsigned long long)c->frames_uncommitted, c->frames_uncommitted == 1 ? "" : "s");
    else if (strcmp(c->kind, "wal") == 0)
        rb_input_note(in, "read with its write-ahead log %s (sha256 %s): %llu frame%s up to its last commit "
                      "applied to a private copy", c->path, c->sha256, (unsigned long long)c->frames,
                      c->frames == 1 ? "" : "s");
    else
        rb_input_note(in, "read with its hot rollback journal %s (sha256 %s): the transaction it was saving "
                      "pages for never committed, and was rolled back in a private copy", c->path, c->sha256);
    rb_ledger_companion_clear(c);
}

/* The member NAME-SUFFIX of the bundle being loaded, as a candidate
 * companion of its ledger NAME; NULL when there is none. */
static const rb_ledger_bytes *member_beside(const rb_load_opts *opts, const rb_input *in, const char *suffix,
                                            rb_ledger_bytes *out, char **name)
{
    const char *bang = strrchr(in->path, '!');
    char *member = bang && opts->bundle ? rb_xasprintf("%s%s", bang + 1, suffix) : NULL;
    const rb_bundle_member *m = member ? rb_bundle_find(opts->bundle, member) : NULL;
    free(member);
    if (!m)
        return NULL;
    *name = rb_xasprintf("%s%s", in->path, suffix);
    *out = (rb_ledger_bytes){.data = m->data, .len = m->len, .name = *name};
    return out;
}

/* A ledger read whole (a bundle member): from an in-memory copy, or with
 * its NAME-wal or NAME-journal member through a private copy. */
static rb_code load_sqlite(rb_evidence *ev, rb_input *in, const unsigned char *data, size_t len,
                           const rb_load_opts *opts, rb_error *err)
{
    sqlite3 *db;
    rb_ledger_bytes wal, journal;
    char *names[2] = {NULL, NULL};
    rb_ledger_companion companion;
    rb_code rc = rb_ledger_open_memory(data, len, in->path, member_beside(opts, in, "-wal", &wal, &names[0]),
                                       member_beside(opts, in, "-journal", &journal, &names[1]), &db, &companion, err);
    free(names[0]);
    free(names[1]);
    if (rc)
        return rc;
    account_companion(in, &companion);
    const char *bang = strrchr(in->path, '!');
    rb_sqlite_attach(ev, in, db, bang ? bang + 1 : rb_path_basename(in->path), opts);
    return RB_OK;
}

/* What a worker finds of a ledger file while the engine's pass runs its
 * queries on the ledger's own handle: the file's hash, and the rows of its
 * tables, counted through a handle of its own (worker.h). */
typedef struct ledger_survey {
    char *path;              /* the file, as given */
    char *name;              /* the input's name, for errors */
    sqlite3 *twin;           /* the worker's handle; NULL: counted already */
    rb_ledger_counts *counts;
    char sha256[RB_SHA256_HEX_LEN + 1];
    uint64_t bytes;
    rb_code rc;              /* of the hash */
    rb_error err;
    rb_worker *worker;
} ledger_survey;

static void survey_run(void *state)
{
    ledger_survey *s = state;
    s->rc = rb_sha256_file(s->path, s->sha256, &s->bytes, &s->err);
    if (s->twin) {
        rb_ledger_counts_run(s->counts, s->twin, s->name);
        sqlite3_close(s->twin);
        s->twin = NULL;
        rb_query_bounds_thread_end();
    }
}

/* Waits for the worker; an unreadable file is an error naming it, as it
 * would have been before the queries ran. */
static rb_code survey_finish(void *state, rb_input *in, rb_error *err)
{
    ledger_survey *s = state;
    rb_worker_join(s->worker);
    rb_code rc = s->rc;
    if (rc && err)
        *err = s->err;
    if (!rc) {
        memcpy(in->sha256, s->sha256, sizeof s->sha256);
        in->bytes = s->bytes;
    }
    if (s->counts)
        rb_ledger_account_rows(in, s->counts);
    free(s->path);
    free(s->name);
    free(s);
    return rc;
}

/* A ledger file: opened in place, never read whole.  Its hash and its
 * tables' counts take a worker while the queries run, unless its private
 * copy read it whole already (then the hash came with the copy). */
static rb_code stream_sqlite(rb_evidence *ev, const char *path, const rb_load_opts *opts, rb_error *err)
{
    sqlite3 *db;
    const char *name = rb_path_logical(path);
    rb_ledger_companion companion;
    rb_code rc = rb_ledger_open_file(path, name, &db, &companion, err);
    if (rc) {
        rb_ledger_companion_clear(&companion);
        return rc;
    }
    rb_input *in = rb_evidence_add_streamed_input(ev, path, "sqlite", NULL, NULL);
    bool hashed = companion.kind != NULL;
    if (hashed) {
        memcpy(in->sha256, companion.db_sha256, sizeof in->sha256);
        in->bytes = companion.db_bytes;
    }
    account_companion(in, &companion);
    rb_ledger_counts *counts = attach(ev, in, db, rb_path_basename(path), opts);
    /* a handle on a private copy has no twin: counted here */
    sqlite3 *twin = NULL;
    rb_error ignored;
    if (!hashed && rb_worker_sqlite_ok() && rb_ledger_open_twin(db, in->path, &twin, &ignored) != RB_OK)
        twin = NULL;
    if (!twin) {
        rb_ledger_counts_run(counts, db, in->path);
        rb_ledger_account_rows(in, counts);
        counts = NULL;
    }
    if (hashed)
        return RB_OK;
    ledger_survey *s = rb_xcalloc(1, sizeof *s);
    *s = (ledger_survey){.path = rb_xstrdup(path), .name = rb_xstrdup(in->path), .twin = twin, .counts = counts};
    s->worker = rb_worker_start(survey_run, s);
    rb_input_defer(in, survey_finish, s);
    return RB_OK;
}

/* A SQLite file starts with its header string; a .db without it is some
 * other database, or an encrypted one, which no query could read. */
static rb_sniff sniff_sqlite(const unsigned char *data, size_t len, rb_buf *why)
{
    if (rb_ledger_sniff(data, len))
        return RB_SNIFF_YES;
    if (why)
        rb_buf_puts(why, "not a SQLite database (no \"SQLite format 3\" header: another kind of file, or "
                         "an encrypted database)");
    return RB_SNIFF_NO;
}

static const char *const sqlite_suffixes[] = {".db", ".sqlite", ".sqlite3", NULL};

const rb_loader rb_loader_sqlite = {
    .kind = "sqlite",
    .suffixes = sqlite_suffixes,
    .sniff = sniff_sqlite,
    .generic_suffixes = true,
    .load = load_sqlite,
    .stream = stream_sqlite,
};
