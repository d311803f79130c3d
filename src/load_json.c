/*
 * load_json.c — a JSON document (a config revision, environment.json, a
 * manifest): one value, parsed by jansson.  Its line map comes from libyaml
 * (JSON is YAML's flow style), so that document findings point at lines;
 * where libyaml does not read the file (tabs, very large files), findings
 * fall back to line 1.
 */
#include <ctype.h>
#include <string.h>

#include "loader.h"
#include "util.h"
#include "yaml_load.h"

/* Line maps cost a second parse; skip them for large documents. */
#define MAX_LINEMAP_BYTES ((size_t)8 << 20)

static rb_linemap *json_lines(const unsigned char *data, size_t len)
{
    if (len > MAX_LINEMAP_BYTES)
        return NULL;
    rb_yaml_doc *docs = NULL;
    size_t n = 0;
    rb_error ignored;
    if (rb_yaml_load("", data, len, NULL, &docs, &n, &ignored) != RB_OK)
        return NULL;
    rb_linemap *lines = NULL;
    if (n == 1) {
        lines = docs[0].lines;
        docs[0].lines = NULL;
    }
    rb_yaml_docs_free(docs, n);
    return lines;
}

static rb_code load_json(rb_evidence *ev, rb_input *in, const unsigned char *data,
                         size_t len, const rb_load_opts *opts, rb_error *err)
{
    json_error_t e;
    json_t *value = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &e);
    if (!value)
        return rb_error_set(err, RB_EINPUT, "%s:%d:%d: invalid JSON: %s (expected one JSON value)",
                            in->path, e.line, e.column, e.text);
    rb_origin origin = {.input = in, .line = 1};
    rb_evidence_add_document(ev, origin, value, json_lines(data, len), NULL);
    return RB_OK;
}

static bool sniff_json(const unsigned char *data, size_t len)
{
    size_t i = 0;
    while (i < len && isspace(data[i]))
        i++;
    return i < len && (data[i] == '{' || data[i] == '[');
}

static const char *const json_suffixes[] = {".json", NULL};

const rb_loader rb_loader_json = {
    .kind = "json",
    .suffixes = json_suffixes,
    .sniff = sniff_json,
    .load = load_json,
};
