/*
 * load_junit.c — JUnit XML test results (SPEC §3.5): one document with the
 * suites, the cases and their counts, and one `test_case` event per case —
 * the evidence that a validation or a smoke run happened and passed.
 *
 * libxml2 reads the file with the network off, no DTD loaded and no entity
 * substituted (SPEC §8): an external or parameter entity is refused
 * outright, internal ones beyond --max-xml-entities (default: any) too,
 * so neither an external entity nor an expansion bomb is ever followed.
 *
 * A case's event time is its own `timestamp` when it has one (Surefire's
 * reportTestTimestamp, nose2), else its suite's (or the nearest element's
 * above it) plus the `time` of the cases before it in the suite.  Test
 * reports write times in many ways (timeutil.c lists them); one without a
 * zone is read as UTC, and --verbose says so.  A case with no usable time
 * (no timestamp above it, or one that is no time) is still an event, of
 * unknown time: it counts only where no time window applies
 * (rbaudit-rules(5)), and a note on the input says which suites and why.
 */
#include <libxml/entities.h>
#include <libxml/hash.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/parserInternals.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"
#include "timeutil.h"
#include "util.h"

/* An attribute's value as a new string, or NULL. */
static char *attr(xmlNode *node, const char *name)
{
    xmlChar *v = xmlGetNoNsProp(node, (const xmlChar *)name);
    if (!v)
        return NULL;
    char *s = rb_xstrdup((const char *)v);
    xmlFree(v);
    return s;
}

static json_t *attr_json(xmlNode *node, const char *name)
{
    char *v = attr(node, name);
    json_t *j = v ? rb_json_text(v, strlen(v)) : json_null();
    free(v);
    return j;
}

/* A `time` attribute in seconds (0 when absent, negative or not a finite
 * number: JSON has no infinity). */
static double attr_seconds(xmlNode *node, const char *name)
{
    char *v = attr(node, name), *end = NULL;
    double d = v ? strtod(v, &end) : 0;
    if (!v || end == v || !(d >= 0) || !isfinite(d))
        d = 0;
    free(v);
    return d;
}

static bool is_element(xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

/* Text of a node's children; entity references are not followed. */
static json_t *node_text(xmlNode *node)
{
    rb_buf b = {0};
    rb_buf_puts(&b, "");
    for (xmlNode *c = node->children; c; c = c->next)
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
            rb_buf_puts(&b, (const char *)c->content);
    json_t *j = rb_json_text(b.data, b.len);
    rb_buf_free(&b);
    return j;
}

/* The outcome of a case from its children: failed, error, skipped or
 * passed, with the message and type of the first outcome element. */
static json_t *case_json(xmlNode *tc, const char *suite)
{
    const char *status = "passed";
    json_t *message = json_null(), *kind = json_null(), *detail = json_null();
    for (xmlNode *c = tc->children; c; c = c->next) {
        const char *s = is_element(c, "failure") ? "failed" : is_element(c, "error") ? "error"
                        : is_element(c, "skipped") ? "skipped" : NULL;
        if (!s || strcmp(status, "passed") != 0)
            continue;
        status = s;
        json_decref(message);
        json_decref(kind);
        json_decref(detail);
        message = attr_json(c, "message");
        kind = attr_json(c, "type");
        detail = node_text(c);
    }
    return json_pack("{s:s, s:o, s:o, s:s, s:f, s:o, s:o, s:o, s:i}", "suite", suite, "classname",
                     attr_json(tc, "classname"), "name", attr_json(tc, "name"), "status", status, "time",
                     attr_seconds(tc, "time"), "message", message, "failure_type", kind, "detail", detail,
                     "line", (int)xmlGetLineNo(tc));
}

static void count_case(json_t *counts, const char *status)
{
    static const char *const members[][2] = {
        {"failed", "failures"}, {"error", "errors"}, {"skipped", "skipped"}, {"passed", "passed"}};
    json_object_set_new(counts, "tests", json_integer(json_integer_value(json_object_get(counts, "tests")) + 1));
    for (size_t i = 0; i < sizeof members / sizeof members[0]; i++)
        if (strcmp(status, members[i][0]) == 0)
            json_object_set_new(counts, members[i][1],
                                json_integer(json_integer_value(json_object_get(counts, members[i][1])) + 1));
}

static json_t *new_counts(void)
{
    return json_pack("{s:i, s:i, s:i, s:i, s:i}", "tests", 0, "passed", 0, "failures", 0, "errors", 0,
                     "skipped", 0);
}

/* What one load builds. */
typedef struct junit_load {
    rb_evidence *ev;
    rb_input *in;
    const rb_load_opts *opts;
    json_t *doc;     /* the document: counts, suites, cases */
    json_t *cases;   /* the document's flat list of cases */
    json_t *untimed; /* array of {"why", "cases"}: why cases have no time */
    size_t n_zoneless;        /* timestamps read as UTC for want of a zone */
    char *first_zoneless;     /* the first of them, and its line */
    long first_zoneless_line;
    const char *problem;      /* the first event a source made invalid */
    long problem_line;
} junit_load;

/* The clock of the cases of a suite: a time, or why there is none. */
typedef struct case_clock {
    bool known;
    int64_t ts;
    size_t why; /* when unknown: index in untimed, or NO_REASON yet */
} case_clock;

#define NO_REASON SIZE_MAX
/* How much of a timestamp that is no time a note quotes. */
#define QUOTED_BYTES 64
/* Notes about cases without time, one per reason, before the rest are
 * summed up in one. */
#define MAX_UNTIMED_NOTES 5

static size_t add_reason(junit_load *l, const char *why)
{
    json_array_append_new(l->untimed, json_pack("{s:o, s:i}", "why", rb_json_text(why, strlen(why)), "cases", 0));
    return json_array_size(l->untimed) - 1;
}

/* Sets *c from the node's `timestamp` when it has one (false when it has
 * none); `what` names the node in a note. */
static bool read_timestamp(junit_load *l, xmlNode *node, const char *what, case_clock *c)
{
    char *v = attr(node, "timestamp");
    if (!v)
        return false;
    int64_t us;
    bool zoned;
    if (rb_time_parse_lenient(v, &us, &zoned)) {
        *c = (case_clock){true, us, NO_REASON};
        if (!zoned && !l->n_zoneless++) {
            l->first_zoneless = rb_xstrdup(v);
            l->first_zoneless_line = (long)xmlGetLineNo(node);
        }
    } else {
        char *why = rb_xasprintf("%s has timestamp '%.*s%s' (expected ISO 8601 or RFC 2822, e.g. "
                                 "2026-04-12T10:22:00Z)", what, QUOTED_BYTES, v,
                                 strlen(v) > QUOTED_BYTES ? "..." : "");
        *c = (case_clock){false, 0, add_reason(l, why)};
        free(why);
    }
    free(v);
    return true;
}

/* The type of a mapped event must still be a string (rb_event_init says so
 * for events with a time). */
static const char *timeless_problem(const json_t *e)
{
    return json_is_string(json_object_get(e, "type")) ? NULL : "event 'type' is not a string";
}

static void add_event(junit_load *l, const json_t *c, const case_clock *at)
{
    json_t *e = json_deep_copy(c);
    json_object_set_new(e, "type", json_string("test_case"));
    if (at->known) {
        char when[64];
        rb_time_format(at->ts, when, sizeof when);
        json_object_set_new(e, "ts", json_string(when));
    }
    json_object_set(e, "key", json_object_get(c, "name"));
    json_object_del(e, "line");
    rb_origin origin = {.input = l->in, .line = (long)json_integer_value(json_object_get(c, "line"))};
    const char *problem = rb_source_apply(l->opts, l->in, e);
    if (!at->known) {
        json_object_del(e, "ts"); /* not even one a source sets: the time is unknown */
        problem = problem ? problem : timeless_problem(e);
        json_t *count = json_object_get(json_array_get(l->untimed, at->why), "cases");
        json_integer_set(count, json_integer_value(count) + 1);
    }
    if (problem)
        json_decref(e);
    else if (at->known)
        problem = rb_evidence_add_event(l->ev, origin, e);
    else
        rb_evidence_add_timeless_event(l->ev, origin, e);
    if (problem && l->opts->lenient)
        rb_evidence_add_problem(l->ev, origin, problem);
    else if (problem && !l->problem)
        l->problem = problem, l->problem_line = origin.line;
}

/* Moves a case's start past its `time`; false when that is past the last
 * time rbaudit holds (a hostile or corrupt report), so the later cases of
 * the suite have no time. */
static bool advance(int64_t *ts, double seconds)
{
    double us = seconds * 1e6;
    if (!(us >= 0 && us < 0x1p63))
        return false;
    int64_t step = (int64_t)us;
    if (step > RB_TIME_MAX - *ts)
        return false;
    *ts += step;
    return true;
}

/* Whether a <testcase> is a child of node. */
static bool has_case(xmlNode *node)
{
    for (xmlNode *c = node->children; c; c = c->next)
        if (is_element(c, "testcase"))
            return true;
    return false;
}

static void load_suite(junit_load *l, xmlNode *suite, case_clock parent)
{
    char *name = attr(suite, "name");
    char *what = rb_xasprintf("suite '%s'", name ? name : "");
    json_t *counts = new_counts(), *cases = json_array();
    case_clock clock = parent;
    if (!read_timestamp(l, suite, what, &clock) && !clock.known && clock.why == NO_REASON) {
        char *why = rb_xasprintf("%s has no timestamp, nor has any element above it", what);
        clock.why = add_reason(l, why);
        free(why);
    }
    for (xmlNode *c = suite->children; c; c = c->next) {
        if (is_element(c, "testsuite"))
            load_suite(l, c, clock);
        if (!is_element(c, "testcase"))
            continue;
        json_t *tc = case_json(c, name ? name : "");
        const char *status = json_string_value(json_object_get(tc, "status"));
        count_case(counts, status);
        count_case(json_object_get(l->doc, "counts"), status);
        case_clock at = clock;
        char *case_what = rb_xasprintf("case '%s' of %s", json_string_value(json_object_get(tc, "name")), what);
        if (read_timestamp(l, c, case_what, &at) && at.known)
            clock = at; /* the suite's clock goes on from a case's own time */
        add_event(l, tc, &at);
        if (clock.known && !advance(&clock.ts, json_real_value(json_object_get(tc, "time")))) {
            char *why = rb_xasprintf("the case times of %s run past the year 9999 after its case '%s'", what,
                                     json_string_value(json_object_get(tc, "name")));
            clock = (case_clock){false, 0, add_reason(l, why)};
            free(why);
        }
        free(case_what);
        json_array_append(cases, tc);
        json_array_append_new(l->cases, tc);
    }
    json_t *s = json_pack("{s:o, s:f, s:o, s:o, s:o}", "name", name ? rb_json_text(name, strlen(name)) : json_null(),
                          "time", attr_seconds(suite, "time"), "timestamp", attr_json(suite, "timestamp"),
                          "hostname", attr_json(suite, "hostname"), "cases", cases);
    json_object_update(s, counts);
    json_decref(counts);
    json_array_append_new(json_object_get(l->doc, "suites"), s);
    free(what);
    free(name);
}

/* What the report and --verbose say of the file's times: a note per reason
 * some cases have none (the first few, then the rest summed up), and the
 * zone-less times read as UTC. */
static void tell_times(junit_load *l)
{
    size_t i, notes = 0, more_reasons = 0;
    json_int_t more_cases = 0;
    json_t *r;
    json_array_foreach(l->untimed, i, r) {
        json_int_t n = json_integer_value(json_object_get(r, "cases"));
        if (!n)
            continue;
        const char *why = json_string_value(json_object_get(r, "why"));
        if (notes++ >= MAX_UNTIMED_NOTES)
            more_reasons++, more_cases += n;
        else if (n == 1)
            rb_input_note(l->in, "no usable time: %s; its test case counts only where no time window applies", why);
        else
            rb_input_note(l->in, "no usable time: %s; its %lld test cases count only where no time window applies",
                          why, (long long)n);
    }
    if (more_reasons)
        rb_input_note(l->in, "no usable time for %lld more test cases, of %zu more suites; they count only "
                      "where no time window applies", (long long)more_cases, more_reasons);
    if (l->n_zoneless)
        rb_verbose("%s:%ld: timestamp '%s' has no zone: read as UTC%s", l->in->path, l->first_zoneless_line,
                   l->first_zoneless, l->n_zoneless > 1 ? " (as are the file's other zone-less timestamps)" : "");
}

/* libxml2 keeps no line for a DTD: the line of the text "<!DOCTYPE". */
static long doctype_line(const unsigned char *data, size_t len)
{
    const unsigned char *at = memmem(data, len, "<!DOCTYPE", 9);
    long line = 1;
    for (const unsigned char *p = data; at && p < at; p++)
        line += *p == '\n';
    return line;
}

typedef struct entity_count {
    size_t internal, other;
} entity_count;

static void count_entity(void *payload, void *data, const xmlChar *name)
{
    const xmlEntity *entity = payload;
    entity_count *count = data;
    if (entity->etype == XML_INTERNAL_GENERAL_ENTITY)
        count->internal++;
    else
        count->other++;
}

/* External and parameter entities are refused outright; internal ones up
 * to --max-xml-entities (default none), and they stay unexpanded. */
static rb_code check_entities(const rb_input *in, xmlDoc *doc, const unsigned char *data, size_t len,
                              rb_error *err)
{
    xmlDtd *dtd = doc->intSubset;
    entity_count count = {0, 0};
    if (dtd && dtd->entities)
        xmlHashScan(dtd->entities, count_entity, &count);
    if (dtd && dtd->pentities)
        xmlHashScan(dtd->pentities, count_entity, &count);
    size_t limit = rb_limits_get()->xml_entities;
    if (count.other)
        return rb_error_set(err, RB_EINPUT, "%s:%ld: the DOCTYPE declares an external or parameter entity, "
                            "which is refused (JUnit XML needs none; entities are never read or expanded)",
                            in->path, doctype_line(data, len));
    if (count.internal > limit)
        return rb_error_set(err, RB_EINPUT, "%s:%ld: the DOCTYPE declares %zu %s, over the "
                            "--max-xml-entities limit of %zu (JUnit XML needs none; entities are never expanded)",
                            in->path, doctype_line(data, len), count.internal,
                            count.internal == 1 ? "entity" : "entities", limit);
    return RB_OK;
}

static rb_code load_junit(rb_evidence *ev, rb_input *in, const unsigned char *data, size_t len,
                          const rb_load_opts *opts, rb_error *err)
{
    if (len > (size_t)INT32_MAX)
        return rb_error_set(err, RB_EINPUT, "%s: too large for an XML document", in->path);
    xmlParserCtxt *ctxt = xmlNewParserCtxt();
    if (!ctxt)
        rb_out_of_memory(sizeof *ctxt);
    int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
    xmlDoc *doc = xmlCtxtReadMemory(ctxt, (const char *)data, (int)len, in->path, NULL, options);
    rb_code rc = RB_OK;
    if (!doc) {
        const xmlError *e = xmlCtxtGetLastError(ctxt);
        char *msg = e && e->message ? rb_xstrndup(e->message, strcspn(e->message, "\n")) : rb_xstrdup("unreadable");
        rc = rb_error_set(err, RB_EINPUT, "%s:%d: invalid XML: %s (expected a JUnit report)", in->path,
                          e ? e->line : 0, msg);
        free(msg);
    }
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (!rc)
        rc = check_entities(in, doc, data, len, err);
    if (!rc && (!root || !(is_element(root, "testsuites") || is_element(root, "testsuite"))))
        rc = rb_error_set(err, RB_EINPUT, "%s:%ld: the root element is <%s> (expected <testsuites> or <testsuite>)",
                          in->path, root ? (long)xmlGetLineNo(root) : 1L, root ? (const char *)root->name : "");
    if (!rc) {
        junit_load l = {.ev = ev, .in = in, .opts = opts, .untimed = json_array(),
                        .doc = json_pack("{s:o, s:[], s:[], s:o}", "name", attr_json(root, "name"), "suites",
                                         "cases", "counts", new_counts())};
        l.cases = json_object_get(l.doc, "cases");
        case_clock clock = {false, 0, NO_REASON};
        /* a <testsuites> holding cases of its own (some producers write
         * them there) is read as a suite too, so that no case is lost */
        if (is_element(root, "testsuite") || has_case(root)) {
            load_suite(&l, root, clock);
        } else {
            read_timestamp(&l, root, "<testsuites>", &clock);
            for (xmlNode *c = root->children; c; c = c->next)
                if (is_element(c, "testsuite"))
                    load_suite(&l, c, clock);
        }
        json_object_update(l.doc, json_object_get(l.doc, "counts"));
        json_object_del(l.doc, "counts");
        rb_origin origin = {.input = in, .line = (long)xmlGetLineNo(root)};
        rb_evidence_add_document(ev, origin, l.doc, NULL, NULL);
        tell_times(&l);
        if (l.problem)
            rc = rb_error_set(err, RB_EINPUT, "%s:%ld: %s", in->path, l.problem_line, l.problem);
        json_decref(l.untimed);
        free(l.first_zoneless);
    }
    xmlFreeDoc(doc);
    xmlFreeParserCtxt(ctxt);
    return rc;
}

/* The SAX callback of first_element: keeps the first element's local name
 * and stops the parser there. */
static void note_first_element(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
                               int n_namespaces, const xmlChar **namespaces, int n_attributes, int n_defaulted,
                               const xmlChar **attributes)
{
    (void)prefix, (void)uri, (void)n_namespaces, (void)namespaces, (void)n_attributes, (void)n_defaulted,
        (void)attributes;
    xmlParserCtxtPtr ctxt = ctx;
    char **name = ctxt->_private;
    if (!*name)
        *name = rb_xstrdup((const char *)localname);
    xmlStopParser(ctxt);
}

/* The local name of the first element of XML data (a new string), or
 * NULL when the data is not XML up to there.  A SAX parser stops at the
 * first element, so a large file costs no more than its first bytes, and
 * what comes after (an entity a full read refuses, a truncated end) does
 * not change what kind the file is.  As for the full read, the network is
 * off and entities are neither loaded nor substituted. */
static char *first_element(const unsigned char *data, size_t len)
{
    size_t i = len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    while (i < len && strchr(" \t\r\n", data[i]))
        i++;
    if (i == len || data[i] != '<' || len > (size_t)INT32_MAX)
        return NULL;
    xmlSAXHandler sax;
    xmlSAXVersion(&sax, 2); /* libxml2's own handling of the prolog and DOCTYPE */
    sax.startElementNs = note_first_element;
    char *name = NULL;
    xmlParserCtxtPtr ctxt = xmlCreatePushParserCtxt(&sax, NULL, NULL, 0, NULL);
    if (!ctxt)
        rb_out_of_memory(sizeof *ctxt);
    ctxt->_private = &name;
    xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlParseChunk(ctxt, (const char *)data, (int)len, 1);
    xmlFreeDoc(ctxt->myDoc);
    xmlFreeParserCtxt(ctxt);
    return name;
}

/* XML whose root element is a JUnit root; anything else says what it is,
 * so that a directory of CI artifacts can list its coverage report or
 * pom.xml as skipped. */
static rb_sniff sniff_junit(const unsigned char *data, size_t len, rb_buf *why)
{
    char *root = first_element(data, len);
    rb_sniff verdict = !root ? RB_SNIFF_NO
                       : strcmp(root, "testsuites") == 0 || strcmp(root, "testsuite") == 0 ? RB_SNIFF_YES
                                                                                           : RB_SNIFF_NEAR;
    if (verdict == RB_SNIFF_NEAR && why)
        rb_buf_printf(why, "XML whose root element is <%s>, not JUnit's <testsuites> or <testsuite>", root);
    else if (verdict == RB_SNIFF_NO && why)
        rb_buf_puts(why, "not XML (JUnit results are XML whose root element is <testsuites> or <testsuite>)");
    free(root);
    return verdict;
}

static const char *const junit_suffixes[] = {".xml", NULL};

const rb_loader rb_loader_junit = {
    .kind = "junit",
    .suffixes = junit_suffixes,
    .sniff = sniff_junit,
    .generic_suffixes = true,
    .load = load_junit,
};
