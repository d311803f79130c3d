/*
 * check_loaders.c — JSON Lines, JSON and YAML loaders, field mapping,
 * evidence order and kind detection; a ledger file's hash and counts,
 * taken on a worker and finished after the pass.
 */
#include "unit.h"

#include <sqlite3.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "event_cursor.h"
#include "loader.h"
#include "sha256.h"
#include "timeutil.h"
#include "util.h"
#include "worker.h"

static const rb_load_opts plain_opts = {0};

/* Writes text to the relative path name (making its directory). */
static void write_file(const char *name, const char *text)
{
    const char *slash = strrchr(name, '/');
    if (slash) {
        char *dir = rb_xstrndup(name, (size_t)(slash - name));
        mkdir(dir, 0700);
        free(dir);
    }
    FILE *f = fopen(name, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* Writes text to name and loads it as an input of the given kind. */
static rb_code load_text(rb_evidence *ev, const char *kind, const char *name, const char *text,
                         const rb_load_opts *opts, rb_error *err)
{
    write_file(name, text);
    return rb_load_input(ev, name, kind, opts, err);
}

/* The events of one pass, as the cursor gives them. */
typedef struct seen {
    json_t *events; /* array of the events' fields */
    long lines[16];
    const rb_input *inputs[16];
    bool has_seq[16];
    int64_t ts[16];
    rb_input *unsorted;
} seen;

static rb_code stream_all(rb_evidence *ev, seen *out, rb_error *err)
{
    memset(out, 0, sizeof *out);
    out->events = json_array();
    rb_event_cursor *c;
    rb_code rc = rb_event_cursor_open(ev, &c, err);
    const rb_event *e;
    while (!rc && !(rc = rb_event_cursor_next(c, &e, err)) && e) {
        size_t i = json_array_size(out->events);
        ck_assert_uint_lt(i, 16);
        out->lines[i] = e->origin.line;
        out->inputs[i] = e->origin.input;
        out->has_seq[i] = e->has_seq;
        out->ts[i] = e->ts;
        json_array_append(out->events, e->fields);
    }
    out->unsorted = rb_event_cursor_unsorted(c);
    rb_event_cursor_free(c);
    return rc;
}

static const char *type_of(const seen *s, size_t i)
{
    return json_string_value(json_object_get(json_array_get(s->events, i), "type"));
}

/* The name of the input given as path (the first so given). */
static const char *name_of(const rb_evidence *ev, const char *path)
{
    for (size_t i = 0; i < ev->n_inputs; i++)
        if (strcmp(ev->inputs[i]->path, path) == 0)
            return ev->inputs[i]->name;
    ck_abort_msg("no input %s", path);
    return NULL;
}

/* Loads the paths in order (or reversed) into a new evidence, and names
 * its inputs as a run does. */
static rb_evidence *load_all(const char *const *paths, size_t n, bool reversed)
{
    rb_evidence *ev = rb_evidence_new();
    rb_error err;
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(rb_load_input(ev, paths[reversed ? n - 1 - i : i], NULL, &plain_opts, &err), RB_OK);
    rb_evidence_settle_names(ev);
    return ev;
}

START_TEST(inputs_are_named_from_their_root)
{
    unit_enter_workdir();
    const char *line = "{\"ts\":\"2026-04-12T10:00:00Z\",\"type\":\"a\"}\n";
    write_file("a/bus.jsonl", line);
    write_file("b/bus.jsonl", line);
    mkdir("c", 0700);
    write_file("c/a/bus.jsonl", line);
    write_file("d/y.jsonl", line);
    write_file("d/sub/x.jsonl", line);
    char cwd[4096], abs[4200];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    snprintf(abs, sizeof abs, "%s/a/bus.jsonl", cwd);
    /* alone, a file is its own name, however it is spelled */
    const char *spellings[] = {"a/bus.jsonl", "./a/bus.jsonl", abs};
    for (size_t i = 0; i < 3; i++) {
        rb_evidence *ev = load_all(&spellings[i], 1, false);
        ck_assert_str_eq(ev->inputs[0]->name, "bus.jsonl");
        rb_evidence_free(ev);
    }
    /* files of a directory are named below it */
    const char *dir[] = {"./d/"};
    rb_evidence *ev = load_all(dir, 1, false);
    ck_assert_str_eq(name_of(ev, "d/sub/x.jsonl"), "sub/x.jsonl");
    ck_assert_str_eq(name_of(ev, "d/y.jsonl"), "y.jsonl");
    rb_evidence_free(ev);
    /* names that meet grow until they differ, whatever the order; one
     * file named twice keeps one name */
    const char *meeting[] = {"a/bus.jsonl", "b/bus.jsonl", abs};
    ev = load_all(meeting, 3, false);
    ck_assert_str_eq(ev->inputs[0]->name, "a/bus.jsonl");
    ck_assert_str_eq(ev->inputs[1]->name, "b/bus.jsonl");
    ck_assert_str_eq(ev->inputs[2]->name, "a/bus.jsonl");
    rb_evidence_free(ev);
    const char *deeper[] = {"a/bus.jsonl", "c/a/bus.jsonl", "d"};
    rb_evidence *forward = load_all(deeper, 3, false), *backward = load_all(deeper, 3, true);
    ck_assert_str_eq(name_of(forward, "c/a/bus.jsonl"), "c/a/bus.jsonl");
    ck_assert_str_ne(name_of(forward, "a/bus.jsonl"), "c/a/bus.jsonl");
    for (size_t i = 0; i < forward->n_inputs; i++)
        ck_assert_str_eq(forward->inputs[i]->name, name_of(backward, forward->inputs[i]->path));
    rb_evidence_free(forward);
    rb_evidence_free(backward);
}
END_TEST

START_TEST(jsonl_reads_events_with_lines)
{
    unit_enter_workdir();
    rb_evidence *ev = rb_evidence_new();
    rb_error err;
    const char *text = "{\"ts\":\"2026-04-12T10:00:00Z\",\"type\":\"a\",\"seq\":1}\r\n"
                       "\n   \n"
                       "{\"ts\":1775988000000,\"type\":\"b\"}";
    ck_assert_int_eq(load_text(ev, NULL, "./x/bus.jsonl", text, &plain_opts, &err), RB_OK);
    seen s;
    ck_assert_int_eq(stream_all(ev, &s, &err), RB_OK);
    ck_assert_int_eq(json_array_size(s.events), 2);
    ck_assert_int_eq(ev->n_events, 2);
    ck_assert_int_eq(s.lines[0], 1);
    ck_assert_int_eq(s.lines[1], 4);
    ck_assert_str_eq(s.inputs[0]->path, "x/bus.jsonl");
    ck_assert(s.has_seq[0]);
    ck_assert(!s.has_seq[1]);
    ck_assert_int_eq(s.ts[1], INT64_C(1775988000000) * 1000);
    ck_assert_str_eq(ev->inputs[0]->sha256, "019b0cab75a5e647a080ef1b7ee4156f2d1e518daccb75f36f61e3af35edab14");
    ck_assert_int_eq(ev->inputs[0]->bytes, strlen(text));
    /* a second pass reads the same again */
    json_decref(s.events);
    ck_assert_int_eq(stream_all(ev, &s, &err), RB_OK);
    ck_assert_int_eq(json_array_size(s.events), 2);
    json_decref(s.events);
    rb_evidence_free(ev);
}
END_TEST

START_TEST(jsonl_reports_bad_lines)
{
    static const struct {
        const char *text, *message;
    } cases[] = {
        {"{\"ts\":1,\"type\":\"a\"}\n{oops}\n", "bus.jsonl:2: invalid JSON at column"},
        {"{\"ts\":1,\"type\":\"a\"}\n\"text\"\n", "bus.jsonl:2: expected a JSON object per line"},
        {"{\"type\":\"a\"}\n", "bus.jsonl:1: event has no 'ts' field"},
        {"{\"ts\":1}\n", "bus.jsonl:1: event has no 'type' field"},
        {"{\"ts\":1,\"type\":3}\n", "bus.jsonl:1: event 'type' is not a string"},
        {"{\"ts\":\"soon\",\"type\":\"a\"}\n", "bus.jsonl:1: event 'ts' is neither"},
        {"{\"ts\":1,\"type\":\"a\",\"seq\":1.5}\n", "bus.jsonl:1: event 'seq' is not an integer"},
        {"{\"ts\":1,\"type\":\"a\",\"type\":\"b\"}\n", "bus.jsonl:1: invalid JSON"},
    };
    unit_enter_workdir();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rb_evidence *ev = rb_evidence_new();
        rb_error err;
        rb_error_clear(&err);
        ck_assert_int_eq(load_text(ev, NULL, "bus.jsonl", cases[i].text, &plain_opts, &err), RB_OK);
        seen s;
        ck_assert_int_eq(stream_all(ev, &s, &err), RB_EINPUT);
        ck_assert_msg(strstr(err.message, cases[i].message), "case %zu: '%s' lacks '%s'", i, err.message,
                      cases[i].message);
        json_decref(s.events);
        rb_evidence_free(ev);
    }
}
END_TEST

START_TEST(jsonl_lenient_keeps_going)
{
    unit_enter_workdir();
    rb_evidence *ev = rb_evidence_new();
    rb_error err;
    rb_load_opts opts = plain_opts;
    opts.lenient = true;
    const char *text = "{\"ts\":1,\"type\":\"a\"}\nnot json\n{\"ts\":2}\n{\"ts\":3,\"type\":\"c\"}\n";
    ck_assert_int_eq(load_text(ev, NULL, "bus.jsonl", text, &opts, &err), RB_OK);
    seen s;
    ck_assert_int_eq(stream_all(ev, &s, &err), RB_OK);
    ck_assert_int_eq(json_array_size(s.events), 2);
    ck_assert_int_eq(ev->n_problems, 2);
    ck_assert_int_eq(ev->problems[0].origin.line, 2);
    ck_assert_ptr_nonnull(strstr(ev->problems[0].message, "invalid JSON"));
    ck_assert_int_eq(ev->problems[1].origin.line, 3);
    ck_assert_ptr_nonnull(strstr(ev->problems[1].message, "no 'type'"));
    json_decref(s.events);
    rb_evidence_free(ev);
}
END_TEST

START_TEST(sources_map_fields)
{
    unit_enter_workdir();
    rb_source source = {.name = "export", .files = "**/export*.jsonl",
                        .fields = unit_json("{\"ts\":\"created_at\",\"type\":\"stage\",\"key\":\"nonce\"}"),
                        .set = unit_json("{\"source\":\"beam.bus\"}")};
    rb_load_opts opts = plain_opts;
    opts.sources = &source;
    opts.n_sources = 1;
    rb_evidence *ev = rb_evidence_new();
    rb_error err;
    const char *text = "{\"created_at\":\"2026-04-12T10:00:00Z\",\"stage\":\"requeued\",\"nonce\":\"n-1\"}\n"
                       "{\"created_at\":\"2026-04-12T11:00:00Z\",\"stage\":\"x\",\"source\":\"other\"}\n";
    ck_assert_int_eq(load_text(ev, NULL, "in/export-1.jsonl", text, &opts, &err), RB_OK);
    seen s;
    ck_assert_int_eq(stream_all(ev, &s, &err), RB_OK);
    ck_assert_json_eq(json_array_get(s.events, 0),
                      "{\"created_at\":\"2026-04-12T10:00:00Z\",\"stage\":\"requeued\",\"nonce\":\"n-1\","
                      "\"ts\":\"2026-04-12T10:00:00Z\",\"type\":\"requeued\",\"key\":\"n-1\",\"source\":\"beam.bus\"}");
    ck_assert_json_eq(json_object_get(json_array_get(s.events, 1), "source"), "\"other\"");
    json_decref(s.events);
    rb_evidence_free(ev);
    /* a file the glob does not name is not mapped, so its events lack type and ts */
    ev = rb_evidence_new();
    ck_assert_int_eq(load_text(ev, NULL, "in/bus.jsonl", text, &opts, &err), RB_OK);
    ck_assert_int_eq(stream_all(ev, &s, &err), RB_EINPUT);
    ck_assert_ptr_nonnull(strstr(err.message, "in/bus.jsonl:1: event has no 'type'"));
    json_decref(s.events);
    rb_evidence_free(ev);
    json_decref(source.fields);
    json_decref(source.set);
}
END_TEST

START_TEST(events_merge_in_evidence_order)
{
    unit_enter_workdir();
    rb_evidence *ev = rb_evidence_new();
    rb_error err;
    const char *a = "{\"ts\":\"2026-04-12T09:00:00Z\",\"type\":\"a1\"}\n"
                    "{\"ts\":\"2026-04-12T12:00:00+02:00\",\"type\":\"a2\"}\n"   /* 10:00Z */
                    "{\"ts\":\"2026-04-12T10:00:00Z\",\"type\":\"a3\",\"seq\":4}\n"
                    "{\"ts\":\"2026-04-12T10:00:00Z\",\"type\":\"a4\",\"seq\":5}\n";
    const char *b = "{\"ts\":\"2026-04-12T08:59:59.999Z\",\"type\":\"b1\"}\n"
                    "{\"ts\":1775988000000,\"type\":\"b2\"}\n";                  /* 10:00Z */
    ck_assert_int_eq(load_text(ev, NULL, "a.jsonl", a, &plain_opts, &err), RB_OK);
    ck_assert_int_eq(load_text(ev, NULL, "b.jsonl", b, &plain_opts, &err), RB_OK);
    seen s;
    ck_assert_int_eq(stream_all(ev, &s, &err), RB_OK);
    ck_assert_ptr_null(s.unsorted);
    /* equal times: the earlier input first, seq inside one input */
    const char *expected[] = {"b1", "a1", "a2", "a3", "a4", "b2"};
    for (size_t i = 0; i < 6; i++)
        ck_assert_str_eq(type_of(&s, i), expected[i]);
    char now[48];
    rb_time_format(ev->newest_ts, now, sizeof now);
    ck_assert_str_eq(now, "2026-04-12T10:00:00Z");
    json_decref(s.events);
    rb_evidence_free(ev);
}
END_TEST

START_TEST(unsorted_inputs_are_named_then_buffered)
{
    unit_enter_workdir();
    rb_evidence *ev = rb_evidence_new();
    rb_error err;
    const char *a = "{\"ts\":\"2026-04-12T12:00:00+02:00\",\"type\":\"a1\"}\n"   /* 10:00Z */
                    "{\"ts\":\"2026-04-12T09:00:00Z\",\"type\":\"a2\"}\n"
                    "{\"ts\":\"2026-04-12T10:00:00Z\",\"type\":\"a3\",\"seq\":5}\n"
                    "{\"ts\":\"2026-04-12T10:00:00Z\",\"type\":\"a4\",\"seq\":4}\n";
    const char *b = "{\"ts\":1775988000000,\"type\":\"b1\"}\n"
                    "{\"ts\":\"2026-04-12T08:59:59.999Z\",\"type\":\"b2\"}\n";
    ck_assert_int_eq(load_text(ev, NULL, "a.jsonl", a, &plain_opts, &err), RB_OK);
    ck_assert_int_eq(load_text(ev, NULL, "b.jsonl", b, &plain_opts, &err), RB_OK);
    seen s;
    ck_assert_int_eq(stream_all(ev, &s, &err), RB_OK);
    ck_assert_ptr_nonnull(s.unsorted);
    json_decref(s.events);
    int passes = 1;
    while (s.unsorted) {
        ck_assert_int_eq(rb_evidence_buffer_input(ev, s.unsorted, &err), RB_OK);
        ck_assert_int_eq(stream_all(ev, &s, &err), RB_OK);
        passes++;
        if (s.unsorted)
            json_decref(s.events);
    }
    ck_assert_int_eq(passes, 3);
    const char *expected[] = {"b2", "a2", "a1", "a4", "a3", "b1"};
    for (size_t i = 0; i < 6; i++)
        ck_assert_str_eq(type_of(&s, i), expected[i]);
    ck_assert_int_eq(s.lines[0], 2);
    ck_assert_int_eq(strlen(ev->inputs[0]->sha256), RB_SHA256_HEX_LEN);
    json_decref(s.events);
    rb_evidence_free(ev);
}
END_TEST

START_TEST(json_documents_keep_lines)
{
    unit_enter_workdir();
    rb_evidence *ev = rb_evidence_new();
    rb_error err;
    const char *text = "{\n  \"bundle\": \"inc-1\",\n  \"artifacts\": [\n    {\"path\": \"a.json\"}\n  ]\n}\n";
    ck_assert_int_eq(load_text(ev, "json", "m.json", text, &plain_opts, &err), RB_OK);
    ck_assert_int_eq(ev->n_docs, 1);
    ck_assert_int_eq(rb_linemap_get(ev->docs[0].lines, "bundle"), 2);
    ck_assert_int_eq(rb_linemap_nearest(ev->docs[0].lines, "artifacts.0.path"), 4);
    ck_assert_json_eq(ev->docs[0].meta, "{\"path\":\"m.json\",\"kind\":\"json\"}");
    ck_assert_int_eq(load_text(ev, "json", "bad.json", "{\n\"a\": [1,\n}", &plain_opts, &err), RB_EINPUT);
    ck_assert_ptr_nonnull(strstr(err.message, "bad.json:3:"));
    rb_evidence_free(ev);
}
END_TEST

START_TEST(yaml_documents_one_per_stream_document)
{
    unit_enter_workdir();
    rb_evidence *ev = rb_evidence_new();
    rb_error err;
    const char *text = "a: 1\n---\nb:\n  c: [x, y]\n";
    ck_assert_int_eq(load_text(ev, "yaml", "c.yaml", text, &plain_opts, &err), RB_OK);
    ck_assert_int_eq(ev->n_docs, 2);
    ck_assert_json_eq(ev->docs[1].value, "{\"b\":{\"c\":[\"x\",\"y\"]}}");
    ck_assert_int_eq(rb_linemap_get(ev->docs[1].lines, "b.c"), 4);
    ck_assert_int_eq(load_text(ev, "yaml", "bad.yaml", "a: [1\n", &plain_opts, &err), RB_EINPUT);
    ck_assert_ptr_nonnull(strstr(err.message, "bad.yaml:"));
    rb_evidence_free(ev);
}
END_TEST

START_TEST(kinds_by_name_and_content)
{
    ck_assert_ptr_eq(rb_loader_for_name("a/b.JSONL"), &rb_loader_jsonl);
    ck_assert_ptr_eq(rb_loader_for_name("b.ndjson"), &rb_loader_jsonl);
    ck_assert_ptr_eq(rb_loader_for_name("b.json"), &rb_loader_json);
    ck_assert_ptr_eq(rb_loader_for_name("b.yml"), &rb_loader_yaml);
    ck_assert_ptr_null(rb_loader_for_name("b.txt"));
    ck_assert_ptr_eq(rb_loader_find("yaml"), &rb_loader_yaml);
    ck_assert_ptr_null(rb_loader_find("csv"));
    const char *lines = "{\"ts\":1,\"type\":\"a\"}\n{\"ts\":2,\"type\":\"b\"}\n";
    const char *doc = "{\n  \"a\": 1\n}\n";
    ck_assert_int_eq(rb_loader_jsonl.sniff((const unsigned char *)lines, strlen(lines), NULL), RB_SNIFF_YES);
    ck_assert_int_eq(rb_loader_jsonl.sniff((const unsigned char *)doc, strlen(doc), NULL), RB_SNIFF_NO);
    ck_assert_int_eq(rb_loader_json.sniff((const unsigned char *)doc, strlen(doc), NULL), RB_SNIFF_YES);
}
END_TEST

/* Chooses a loader for name and content; returns why when none fits. */
static const rb_loader *choose(const char *name, const char *content, rb_buf *why)
{
    rb_buf_free(why);
    return rb_loader_choose(name, (const unsigned char *)content, strlen(content), why);
}

START_TEST(generic_suffixes_must_agree_with_the_content)
{
    rb_buf why = {0};
    ck_assert_ptr_eq(choose("r.xml", "<?xml version=\"1.0\"?>\n<!-- x -->\n<testsuites/>", &why), &rb_loader_junit);
    ck_assert_ptr_eq(choose("r.xml", "\xEF\xBB\xBF<j:testsuite xmlns:j=\"u\"/>", &why), &rb_loader_junit);
    ck_assert_ptr_null(choose("coverage.xml", "<?xml version=\"1.0\"?>\n<coverage line-rate=\"1\"/>", &why));
    ck_assert_str_eq(why.data, "XML whose root element is <coverage>, not JUnit's <testsuites> or <testsuite>");
    ck_assert_ptr_null(choose("r.xml", "plain words", &why));
    ck_assert_ptr_nonnull(strstr(why.data, "not XML"));
    ck_assert_ptr_null(choose("x.db", "SQLite? no", &why));
    ck_assert_ptr_nonnull(strstr(why.data, "not a SQLite database"));
    ck_assert_ptr_null(choose("a.tgz", "words", &why));
    ck_assert_ptr_nonnull(strstr(why.data, "not a tar archive"));
    /* XML of another root, named as nothing: what it is, not just "unknown" */
    ck_assert_ptr_null(choose("report", "<coverage/>", &why));
    ck_assert_ptr_nonnull(strstr(why.data, "root element is <coverage>"));
    /* names that settle the kind are not second-guessed */
    ck_assert_ptr_eq(choose("a.jsonl", "not even JSON", &why), &rb_loader_jsonl);
    /* no suffix: content decides, or nothing does */
    ck_assert_ptr_eq(choose("results", "<testsuite name=\"x\"/>", &why), &rb_loader_junit);
    ck_assert_ptr_null(choose("notes", "just words", &why));
    ck_assert_ptr_nonnull(strstr(why.data, "no known kind of evidence"));
    rb_buf_free(&why);
}
END_TEST

START_TEST(directories_walk_in_name_order)
{
    char dir[] = "/tmp/rbaudit-loaders-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char *paths[] = {rb_xasprintf("%s/b.jsonl", dir), rb_xasprintf("%s/a", dir),
                     rb_xasprintf("%s/a/z.jsonl", dir), rb_xasprintf("%s/.hidden.jsonl", dir),
                     rb_xasprintf("%s/notes.txt", dir)};
    mkdir(paths[1], 0700);
    for (size_t i = 0; i < 5; i++) {
        if (i == 1)
            continue;
        FILE *f = fopen(paths[i], "w");
        fputs("{\"ts\":1,\"type\":\"a\"}\n{\"ts\":2,\"type\":\"b\"}\n", f);
        fclose(f);
    }
    rb_evidence *ev = rb_evidence_new();
    rb_error err;
    ck_assert_int_eq(rb_load_input(ev, dir, NULL, &plain_opts, &err), RB_OK);
    /* a name that says nothing is read by its content; a hidden one is
     * listed as skipped */
    ck_assert_int_eq(ev->n_inputs, 3);
    ck_assert_str_eq(ev->inputs[0]->path, paths[2]);
    ck_assert_str_eq(ev->inputs[1]->path, paths[0]);
    ck_assert_str_eq(ev->inputs[2]->path, paths[4]);
    ck_assert_str_eq(ev->inputs[2]->kind, "jsonl");
    ck_assert_int_eq(json_array_size(ev->skipped), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(ev->skipped, 0), "path")), paths[3]);
    /* Named explicitly, a file is recognised by its content when its name says nothing. */
    ck_assert_int_eq(rb_load_input(ev, paths[4], NULL, &plain_opts, &err), RB_OK);
    ck_assert_str_eq(ev->inputs[3]->kind, "jsonl");
    char *prose = rb_xasprintf("%s/prose.txt", dir);
    FILE *f = fopen(prose, "w");
    fputs("just words\n", f);
    fclose(f);
    ck_assert_int_eq(rb_load_input(ev, prose, NULL, &plain_opts, &err), RB_EKIND);
    ck_assert_ptr_nonnull(strstr(err.message, "no known kind of evidence"));
    rb_evidence_free(ev);
    ev = rb_evidence_new();
    ck_assert_int_eq(rb_load_input(ev, prose, "jsonl", &plain_opts, &err), RB_OK);
    seen s;
    ck_assert_int_eq(stream_all(ev, &s, &err), RB_EINPUT);
    ck_assert_ptr_nonnull(strstr(err.message, "prose.txt:1: invalid JSON"));
    json_decref(s.events);
    remove(prose);
    free(prose);
    rb_evidence_free(ev);
    for (int i = 4; i >= 0; i--) {
        remove(paths[i]);
        free(paths[i]);
    }
    rmdir(dir);
}
END_TEST

/* A ledger file is hashed and its tables counted on a worker: nothing of
 * that is in the input until rb_evidence_finish_inputs, and then it is
 * what hashing and counting it at once gives. */
START_TEST(ledger_hash_and_counts_are_finished_after_the_pass)
{
    char dir[] = "/tmp/rbaudit-loaders-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char *path = rb_xasprintf("%s/ledger.db", dir);
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); CREATE TABLE u(x);"
                                  "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) "
                                  "INSERT INTO t SELECT i, printf('%040d', i) FROM n;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    rb_evidence *ev = rb_evidence_new();
    rb_error err;
    ck_assert_int_eq(rb_load_input(ev, path, NULL, &plain_opts, &err), RB_OK);
    rb_input *in = ev->inputs[0];
    if (rb_worker_sqlite_ok()) {
        ck_assert_ptr_nonnull(in->pending);
        ck_assert_str_eq(in->sha256, "");
    }
    ck_assert_int_eq(rb_evidence_finish_inputs(ev, &err), RB_OK);
    ck_assert_ptr_null(in->pending);
    char want[RB_SHA256_HEX_LEN + 1];
    uint64_t bytes;
    ck_assert_int_eq(rb_sha256_file(path, want, &bytes, &err), RB_OK);
    ck_assert_str_eq(in->sha256, want);
    ck_assert_uint_eq(in->bytes, bytes);
    ck_assert_json_eq(in->account, "{\"rows\": 3000, \"tables\": [{\"name\": \"t\", \"rows\": 3000, \"read_by\": []}, "
                                   "{\"name\": \"u\", \"rows\": 0, \"read_by\": []}]}");
    rb_evidence_free(ev);
    /* a run that ends before the pass is over waits for the worker */
    ev = rb_evidence_new();
    ck_assert_int_eq(rb_load_input(ev, path, NULL, &plain_opts, &err), RB_OK);
    rb_evidence_free(ev);
    remove(path);
    free(path);
    rmdir(dir);
}
END_TEST

static int finished;

/* Deferred work whose state names a file it fails on (NULL: it works). */
static rb_code finish_on(void *state, rb_input *in, rb_error *err)
{
    (void)in;
    finished++;
    return state ? rb_error_set(err, RB_EINPUT, "%s: read error", (const char *)state) : RB_OK;
}

/* Every input's deferred work is finished once, in input order, and the
 * first error is the run's; freeing finishes what is left. */
START_TEST(deferred_work_is_finished_once_first_error_kept)
{
    rb_evidence *ev = rb_evidence_new();
    rb_input *a = rb_evidence_add_input(ev, "a.db", "sqlite", (const unsigned char *)"", 0);
    rb_input *b = rb_evidence_add_input(ev, "b.db", "sqlite", (const unsigned char *)"", 0);
    rb_input *c = rb_evidence_add_input(ev, "c.db", "sqlite", (const unsigned char *)"", 0);
    rb_input_defer(a, finish_on, NULL);
    rb_input_defer(b, finish_on, "b.db");
    rb_input_defer(c, finish_on, "c.db");
    rb_error err;
    finished = 0;
    ck_assert_int_eq(rb_evidence_finish_inputs(ev, &err), RB_EINPUT);
    ck_assert_str_eq(err.message, "b.db: read error");
    ck_assert_int_eq(finished, 3);
    ck_assert_int_eq(rb_evidence_finish_inputs(ev, &err), RB_OK);
    ck_assert_int_eq(finished, 3);
    rb_input_defer(a, finish_on, "a.db");
    rb_evidence_free(ev);
    ck_assert_int_eq(finished, 4);
}
END_TEST

static Suite *loaders_suite(void)
{
    Suite *s = suite_create("loaders");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, jsonl_reads_events_with_lines);
    tcase_add_test(tc, generic_suffixes_must_agree_with_the_content);
    tcase_add_test(tc, inputs_are_named_from_their_root);
    tcase_add_test(tc, jsonl_reports_bad_lines);
    tcase_add_test(tc, jsonl_lenient_keeps_going);
    tcase_add_test(tc, sources_map_fields);
    tcase_add_test(tc, events_merge_in_evidence_order);
    tcase_add_test(tc, unsorted_inputs_are_named_then_buffered);
    tcase_add_test(tc, json_documents_keep_lines);
    tcase_add_test(tc, yaml_documents_one_per_stream_document);
    tcase_add_test(tc, kinds_by_name_and_content);
    tcase_add_test(tc, directories_walk_in_name_order);
    tcase_add_test(tc, ledger_hash_and_counts_are_finished_after_the_pass);
    tcase_add_test(tc, deferred_work_is_finished_once_first_error_kept);
    suite_add_tcase(s, tc);
    return s;
}

RB_UNIT_MAIN(loaders_suite)
