/*
 * load_config_pair.c — `--old FILE --new FILE`: two revisions of one config
 * file as evidence (SPEC §3.4).  Each changed leaf is a `config_change`
 * event (file — the --new path as given —, path, op, old, new, line) with
 * no time: a change between two plain files comes before every other
 * event, so all evidence counts as after it (SPEC §4, `changes`).
 */
#include "loader.h"
#include "util.h"

rb_code rb_load_config_pair(rb_evidence *ev, const char *old_path, const char *new_path, const rb_load_opts *opts,
                            rb_error *err)
{
    json_t *changes;
    rb_code rc = rb_config_diff_files(opts->config, old_path, new_path, rb_limits_get()->input_bytes, &changes, err);
    if (rc)
        return rc;
    const char *file = rb_path_logical(new_path);
    rb_input *in = rb_evidence_add_input(ev, file, "config", (const unsigned char *)"", 0);
    rc = rb_sha256_file(new_path, in->sha256, &in->bytes, err);
    size_t i;
    json_t *c;
    json_array_foreach(changes, i, c) {
        if (rc)
            break;
        json_t *fields = json_deep_copy(c);
        json_object_set_new(fields, "type", json_string("config_change"));
        json_object_set_new(fields, "file", json_string(file));
        rb_origin at = {.input = in, .line = (long)json_integer_value(json_object_get(c, "line"))};
        rb_evidence_add_timeless_event(ev, at, fields);
    }
    json_decref(changes);
    return rc;
}
