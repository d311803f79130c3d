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
 * A case's event time is its suite's `timestamp` (UTC when it has no
 * offset) plus the `time` of the cases before it in the suite; a case with
 * no timestamp above it gives no event (an event needs a time), only its
 * entry in the document.
 */
#include <libxml/entities.h>
#include <libxml/hash.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/parserInternals.h>
#include <math.h>
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

/* A timestamp attribute; JUnit writers often omit the offset: then UTC. */
static bool attr_time(xmlNode *node, int64_t *us)
{
    char *v = attr(node, "timestamp");
    bool ok = false;
    if (v) {
        ok = rb_time_parse(v, us);
        if (!ok) {
            char *utc = rb_xasprintf("%sZ", v);
            ok = rb_time_parse(utc, us);
            free(utc);
        }
    }
    free(v);
    return ok;
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
} junit_load;

static void add_event(junit_load *l, const json_t *c, int64_t ts)
{
    json_t *e = json_deep_copy(c);
    char when[64];
    rb_time_format(ts, when, sizeof when);
    json_object_set_new(e, "type", json_string("test_case"));
    json_object_set_new(e, "ts", json_string(when));
    json_object_set(e, "key", json_object_get(c, "name"));
    json_object_del(e, "line");
    rb_source_apply(l->opts, l->in, e);
    rb_origin origin = {.input = l->in, .line = (long)json_integer_value(json_object_get(c, "line"))};
    rb_evidence_add_event(l->ev, origin, e);
}

/* Moves a case's start past its `time`; false when the clock cannot hold
 * the end (a hostile or corrupt report), so the later cases of the suite
 * have no time, and give no event. */
static bool advance(int64_t *ts, double seconds)
{
    double us = seconds * 1e6;
    if (!(us >= 0 && us < 0x1p63))
        return false;
    int64_t step = (int64_t)us;
    if (*ts > 0 && step > INT64_MAX - *ts)
        return false;
    *ts += step;
    return true;
}

static void load_suite(junit_load *l, xmlNode *suite, bool has_parent_ts, int64_t parent_ts)
{
    char *name = attr(suite, "name");
    json_t *counts = new_counts(), *cases = json_array();
    int64_t ts = parent_ts, own;
    bool has_ts = has_parent_ts;
    if (attr_time(suite, &own)) {
        ts = own;
        has_ts = true;
    }
    for (xmlNode *c = suite->children; c; c = c->next) {
        if (is_element(c, "testsuite"))
            load_suite(l, c, has_ts, ts);
        if (!is_element(c, "testcase"))
            continue;
        json_t *tc = case_json(c, name ? name : "");
        const char *status = json_string_value(json_object_get(tc, "status"));
        count_case(counts, status);
        count_case(json_object_get(l->doc, "counts"), status);
        if (has_ts)
            add_event(l, tc, ts);
        has_ts = has_ts && advance(&ts, json_real_value(json_object_get(tc, "time")));
        json_array_append(cases, tc);
        json_array_append_new(l->cases, tc);
    }
    json_t *s = json_pack("{s:o, s:f, s:o, s:o, s:o}", "name", name ? rb_json_text(name, strlen(name)) : json_null(),
                          "time", attr_seconds(suite, "time"), "timestamp", attr_json(suite, "timestamp"),
                          "hostname", attr_json(suite, "hostname"), "cases", cases);
    json_object_update(s, counts);
    json_decref(counts);
    json_array_append_new(json_object_get(l->doc, "suites"), s);
    free(name);
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
        junit_load l = {ev, in, opts, json_pack("{s:o, s:[], s:[], s:o}", "name", attr_json(root, "name"), "suites",
                                                "cases", "counts", new_counts()), NULL};
        l.cases = json_object_get(l.doc, "cases");
        int64_t ts = 0;
        bool has_ts = attr_time(root, &ts);
        if (is_element(root, "testsuite"))
            load_suite(&l, root, has_ts, ts);
        else
            for (xmlNode *c = root->children; c; c = c->next)
                if (is_element(c, "testsuite"))
                    load_suite(&l, c, has_ts, ts);
        json_object_update(l.doc, json_object_get(l.doc, "counts"));
        json_object_del(l.doc, "counts");
        rb_origin origin = {.input = in, .line = (long)xmlGetLineNo(root)};
        rb_evidence_add_document(ev, origin, l.doc, NULL, NULL);
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
