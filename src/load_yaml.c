/*
 * load_yaml.c — YAML documents (config revisions, policies): each document
 * of the stream is one evidence document with its line map.
 */
#include <stdlib.h>

#include "loader.h"
#include "yaml_load.h"

static rb_code load_yaml(rb_evidence *ev, rb_input *in, const unsigned char *data,
                         size_t len, const rb_load_opts *opts, rb_error *err)
{
    rb_yaml_doc *docs = NULL;
    size_t n = 0;
    rb_code rc = rb_yaml_load(in->path, data, len, NULL, &docs, &n, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        rb_origin origin = {.input = in, .line = docs[i].line};
        rb_evidence_add_document(ev, origin, docs[i].value, docs[i].lines, NULL);
        docs[i].value = NULL;
        docs[i].lines = NULL;
    }
    rb_yaml_docs_free(docs, n);
    return RB_OK;
}

static const char *const yaml_suffixes[] = {".yaml", ".yml", NULL};

const rb_loader rb_loader_yaml = {
    .kind = "yaml",
    .suffixes = yaml_suffixes,
    .sniff = NULL,
    .load = load_yaml,
};
