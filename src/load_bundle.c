/*
 * load_bundle.c — incident bundles as evidence (SPEC §3.2): every member is
 * loaded from memory by the loader of its kind under the logical name
 * BUNDLE!MEMBER (the bundle is its root: the name its fingerprints hash
 * is MEMBER, whether the bundle is a directory or an archive, and wherever
 * it lies), its documents carry the manifest's role (manifest.json
 * itself has the role "manifest"), and every unsafe, missing, altered or
 * unlisted member is an RBA-INTEGRITY finding keyed by the member's name.
 * The bundle's triage verdict goes into the JSON report, and the bundle
 * itself is one more document (kind "bundle") that rules assert on:
 *   {bundle, product, integrity: {ok, problems: [{member, kind, message}]},
 *    layers: {spec|policy|environment|snapshot|product: {status, artifacts,
 *    reasons}}, verdict: {layer, reasons, interpretation, ...} or null}
 * Members of no known kind (notes, logs) are listed as skipped with the
 * reason; a bundle inside a bundle is not opened (listed too).  A ledger's
 * NAME-wal or NAME-journal member is read with the ledger (load_sqlite.c),
 * as it would be beside a ledger file.
 */
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "loader.h"
#include "triage.h"
#include "util.h"

static void set_roles(rb_evidence *ev, size_t from, const char *role)
{
    for (size_t d = from; d < ev->n_docs; d++)
        json_object_set_new(ev->docs[d].meta, "role", json_string(role));
}

static rb_code load_member(rb_evidence *ev, const rb_bundle *b, const char *root, const rb_bundle_member *m,
                           const rb_load_opts *opts, rb_error *err)
{
    char *name = rb_xasprintf("%s!%s", b->path, m->name);
    if (rb_loader_account_companion(ev, name)) {
        free(name);
        return RB_OK;
    }
    rb_buf why = {0};
    const rb_loader *loader = rb_loader_choose(m->name, m->data, m->len, &why);
    if (loader && !loader->load)
        rb_buf_printf(&why, "a %s inside a bundle is not opened", loader->kind);
    if (!loader || !loader->load) {
        rb_evidence_skip(ev, name, "%s", why.data);
        rb_buf_free(&why);
        free(name);
        return RB_OK;
    }
    rb_buf_free(&why);
    rb_input *in = rb_evidence_add_input(ev, name, loader->kind, m->data, m->len);
    free(name);
    rb_input_set_root(in, root, '!', m->name);
    size_t docs_before = ev->n_docs;
    rb_code rc = loader->load(ev, in, m->data, m->len, opts, err);
    const char *role = strcmp(m->name, "manifest.json") == 0 ? "manifest" : rb_bundle_role(b, m->name);
    if (!rc && role)
        set_roles(ev, docs_before, role);
    return rc;
}

/* The bundle as a document: what its verification and triage found. */
static json_t *bundle_document(const rb_bundle *b, const json_t *triage)
{
    json_t *problems = json_array();
    for (size_t i = 0; i < b->n_problems; i++)
        json_array_append_new(problems, json_pack("{s:s, s:s, s:s}", "member", b->problems[i].member, "kind",
                                                  b->problems[i].kind, "message", b->problems[i].message));
    json_t *layers = json_object();
    size_t i;
    json_t *layer;
    json_array_foreach(json_object_get(triage, "layers"), i, layer) {
        json_t *entry = json_deep_copy(layer);
        json_object_del(entry, "layer");
        json_object_set_new(layers, json_string_value(json_object_get(layer, "layer")), entry);
    }
    json_t *manifest = b->manifest;
    return json_pack("{s:O, s:O, s:{s:b, s:o}, s:o, s:O}",
                     "bundle", json_object_get(manifest, "bundle") ? json_object_get(manifest, "bundle") : json_null(),
                     "product", json_object_get(manifest, "product") ? json_object_get(manifest, "product") : json_null(),
                     "integrity", "ok", b->n_problems == 0, "problems", problems, "layers", layers,
                     "verdict", json_object_get(triage, "verdict"));
}

static rb_code stream_bundle(rb_evidence *ev, const char *path, const rb_load_opts *opts, rb_error *err)
{
    rb_bundle *b;
    rb_code rc = rb_bundle_open(path, NULL, &b, err);
    if (rc)
        return rc;
    rb_load_opts member_opts = *opts;
    member_opts.bundle = b;
    rb_input *in = rb_evidence_add_streamed_input(ev, path, "bundle", NULL, NULL);
    memcpy(in->sha256, b->sha256, sizeof in->sha256);
    in->bytes = b->bytes;
    char *root = rb_path_real(path);
    rb_input_set_root(in, root, '!', "");
    for (size_t i = 0; i < b->n_problems; i++)
        rb_evidence_add_integrity(ev, (rb_origin){.input = in}, b->problems[i].member, b->problems[i].message);
    json_t *triage = rb_triage(b);
    rb_evidence_add_document(ev, (rb_origin){.input = in}, bundle_document(b, triage), NULL, NULL);
    json_object_set_new(triage, "bundle", json_string(in->path));
    json_array_append_new(ev->triage, triage);
    for (size_t i = 0; !rc && i < b->n_members; i++)
        rc = load_member(ev, b, root, &b->members[i], &member_opts, err);
    free(root);
    rb_bundle_free(b);
    return rc;
}

/* A tar archive, compressed or not; whether it is a bundle (manifest.json
 * at its root) is known once it is read: rb_bundle_open says RB_EKIND.
 * Compressed data that is no tar (a gzipped log) is near. */
static rb_sniff sniff_bundle(const unsigned char *data, size_t len, rb_buf *why)
{
    bool packed;
    if (rb_bundle_is_tar(data, len, &packed))
        return RB_SNIFF_YES;
    if (why)
        rb_buf_puts(why, packed ? "compressed data that is not a tar archive (a compressed log or file: "
                                  "decompress it to read it)"
                                : "not a tar archive");
    return packed ? RB_SNIFF_NEAR : RB_SNIFF_NO;
}

static const char *const bundle_suffixes[] = {".tar", ".tar.gz", ".tgz", NULL};

const rb_loader rb_loader_bundle = {
    .kind = "bundle",
    .suffixes = bundle_suffixes,
    .sniff = sniff_bundle,
    .generic_suffixes = true,
    .stream = stream_bundle,
};
