/*
 * load_json.c — a JSON document (a config revision, environment.json, a
 * manifest): one value, parsed by jansson, with its line map
 * (rb_yaml_json_lines) so that document findings point at lines.
 */
#include <ctype.h>
#include <string.h>

#include "loader.h"
#include "util.h"
#include "yaml_load.h"

static rb_code load_json(rb_evidence *ev, rb_input *in, const unsigned char *data,
                         size_t len, const rb_load_opts *opts, rb_error *err)
{
    json_error_t e;
    json_t *value = rb_json_parse((const char *)data, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &e);
    if (!value)
        return rb_error_set(err, RB_EINPUT, "%s:%s: invalid JSON: %s (expected one JSON value)",
                            in->path, rb_json_error_place(&e).text, e.text);
    rb_origin origin = {.input = in, .line = 1};
    rb_evidence_add_document(ev, origin, value, rb_yaml_json_lines(data, len), NULL);
    return RB_OK;
}

static rb_sniff sniff_json(const unsigned char *data, size_t len, rb_buf *why)
{
    (void)why;
    size_t i = 0;
    while (i < len && isspace(data[i]))
        i++;
    return i < len && (data[i] == '{' || data[i] == '[') ? RB_SNIFF_YES : RB_SNIFF_NO;
}

static const char *const json_suffixes[] = {".json", NULL};

const rb_loader rb_loader_json = {
    .kind = "json",
    .suffixes = json_suffixes,
    .sniff = sniff_json,
    .load = load_json,
};
