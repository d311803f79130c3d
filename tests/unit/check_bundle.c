/*
 * check_bundle.c — incident bundles: directories and tar archives read in
 * memory, the manifest check, hostile members (written here with
 * libarchive, as an attacker would), the caps, and the triage verdict of
 * each layer.
 */
#include "unit.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include "bundle.h"
#include "sha256.h"
#include "triage.h"
#include "util.h"

/* One tar entry to write. */
typedef struct entry {
    const char *name;
    const char *text;       /* regular file contents */
    mode_t type;            /* AE_IFREG when 0 */
    const char *link;       /* symlink target, or hard link target with type 0 */
} entry;

static void write_tar(const char *path, bool gzip, const entry *entries, size_t n)
{
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    if (gzip)
        archive_write_add_filter_gzip(a);
    ck_assert_int_eq(archive_write_open_filename(a, path), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, entries[i].name);
        mode_t type = entries[i].type ? entries[i].type : AE_IFREG;
        archive_entry_set_filetype(e, type);
        archive_entry_set_perm(e, 0644);
        if (type == AE_IFLNK)
            archive_entry_set_symlink(e, entries[i].link);
        else if (entries[i].link)
            archive_entry_set_hardlink(e, entries[i].link);
        size_t len = entries[i].text ? strlen(entries[i].text) : 0;
        archive_entry_set_size(e, type == AE_IFREG && !entries[i].link ? (la_int64_t)len : 0);
        archive_write_header(a, e);
        if (len && type == AE_IFREG)
            archive_write_data(a, entries[i].text, len);
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
}

static char *sha_of(const char *text)
{
    char *hex = malloc(RB_SHA256_HEX_LEN + 1);
    rb_sha256_hex(text, strlen(text), hex);
    return hex;
}

/* A manifest listing artifacts name=text with their true hashes, and
 * `extra` JSON members at the end of the artifacts list. */
static char *manifest_for(const entry *entries, size_t n, const char *const *roles, const char *extra)
{
    rb_buf b = {0};
    rb_buf_puts(&b, "{\"bundle\": \"inc-1\", \"product\": \"byteor-edgeplane\", \"artifacts\": [");
    for (size_t i = 0; i < n; i++) {
        char *hex = sha_of(entries[i].text);
        rb_buf_printf(&b, "%s{\"path\": \"%s\", \"sha256\": \"%s\", \"role\": \"%s\"}", i ? ", " : "",
                      entries[i].name, hex, roles[i]);
        free(hex);
    }
    if (extra)
        rb_buf_printf(&b, "%s%s", n ? ", " : "", extra);
    rb_buf_puts(&b, "]}");
    return rb_buf_take(&b);
}

static const entry good[] = {
    {"spec_validation.json", "{\"valid\": true, \"errors\": []}", 0, NULL},
    {"policy_audit.json", "{\"ok\": true, \"approval\": {\"verified\": true}}", 0, NULL},
    {"environment.json", "{\"posture\": \"supported\", \"checks\": [{\"name\": \"cpu\", \"status\": \"pass\"}]}", 0, NULL},
    {"lane_graph_state.json", "{\"adapters\": [{\"name\": \"k\", \"connection_state\": \"connected\", "
                              "\"recent_failures\": 0}]}", 0, NULL},
    {"replay_audit.json", "{\"status\": \"ok\"}", 0, NULL},
    {"trace.jsonl", "{\"ts\": \"2026-04-12T10:00:00Z\", \"type\": \"replay_started\", \"mode\": \"dry_run\"}\n", 0, NULL},
};
static const char *const good_roles[] = {"spec_validation", "policy_audit", "environment", "snapshot", "replay_audit",
                                         "trace"};
#define N_GOOD (sizeof good / sizeof good[0])

/* Writes a bundle directory holding the artifacts `held` (N_GOOD of
 * them, in the order of `good`) with a manifest made from `listed`. */
static void write_dir(const char *dir, const entry *listed, const entry *held)
{
    mkdir(dir, 0755);
    char *manifest = manifest_for(listed, N_GOOD, good_roles, NULL);
    char *path = rb_xasprintf("%s/manifest.json", dir);
    unit_write_file(path, manifest);
    free(path);
    free(manifest);
    for (size_t i = 0; i < N_GOOD; i++) {
        path = rb_xasprintf("%s/%s", dir, held[i].name);
        unit_write_file(path, held[i].text);
        free(path);
    }
}

/* Writes the good bundle into a directory, with `override` replacing
 * the artifact of that index (-1: none) after the manifest was made. */
static void write_good_dir(const char *dir, int override, const char *text)
{
    entry held[N_GOOD];
    memcpy(held, good, sizeof held);
    if (override >= 0)
        held[override].text = text;
    write_dir(dir, good, held);
}

START_TEST(directory_bundle_intact)
{
    unit_enter_workdir();
    write_good_dir("inc", -1, NULL);
    rb_bundle *b;
    rb_error err;
    ck_assert_int_eq(rb_bundle_open("inc", NULL, &b, &err), RB_OK);
    ck_assert_uint_eq(b->n_members, N_GOOD + 1);
    ck_assert_uint_eq(b->n_problems, 0);
    ck_assert_str_eq(rb_bundle_role(b, "environment.json"), "environment");
    json_t *t = rb_triage(b);
    ck_assert_json_eq(json_object_get(t, "verdict"), "null");
    json_decref(t);
    rb_bundle_free(b);
}
END_TEST

START_TEST(tar_bundle_with_root_directory)
{
    unit_enter_workdir();
    entry entries[N_GOOD + 1];
    char *names[N_GOOD + 1];
    char *manifest = manifest_for(good, N_GOOD, good_roles, NULL);
    for (size_t i = 0; i <= N_GOOD; i++) {
        names[i] = rb_xasprintf("./inc/%s", i < N_GOOD ? good[i].name : "manifest.json");
        entries[i] = (entry){names[i], i < N_GOOD ? good[i].text : manifest, 0, NULL};
    }
    write_tar("inc.tgz", true, entries, N_GOOD + 1);
    rb_bundle *b;
    rb_error err;
    ck_assert_int_eq(rb_bundle_open("inc.tgz", NULL, &b, &err), RB_OK);
    ck_assert_uint_eq(b->n_problems, 0);
    ck_assert_ptr_nonnull(rb_bundle_find(b, "trace.jsonl"));
    rb_bundle_free(b);
    for (size_t i = 0; i <= N_GOOD; i++)
        free(names[i]);
    free(manifest);
}
END_TEST

START_TEST(manifest_disagreements)
{
    unit_enter_workdir();
    write_good_dir("inc", 2, "{\"posture\": \"edited after export\"}");
    unit_write_file("inc/notes.txt", "not listed\n");
    char *manifest = manifest_for(good, N_GOOD, good_roles,
                                  "{\"path\": \"dataguard.json\", \"sha256\": \"00\", \"role\": \"dataguard_report\"}");
    unit_write_file("inc/manifest.json", manifest);
    free(manifest);
    rb_bundle *b;
    rb_error err;
    ck_assert_int_eq(rb_bundle_open("inc", NULL, &b, &err), RB_OK);
    ck_assert_uint_eq(b->n_problems, 3);
    ck_assert_str_eq(b->problems[0].kind, "hash-mismatch");
    ck_assert_str_eq(b->problems[0].member, "environment.json");
    ck_assert_str_eq(b->problems[1].kind, "missing");
    ck_assert_str_eq(b->problems[1].member, "dataguard.json");
    ck_assert_str_eq(b->problems[2].kind, "unlisted");
    ck_assert_str_eq(b->problems[2].member, "notes.txt");
    /* triage does not judge what the manifest does not vouch for, nor
     * report its problem again as a failing layer */
    json_t *t = rb_triage(b);
    ck_assert_json_eq(json_object_get(t, "verdict"), "null");
    const char *statuses[5];
    for (size_t i = 0; i < 5; i++)
        statuses[i] = json_string_value(json_object_get(json_array_get(json_object_get(t, "layers"), i), "status"));
    ck_assert_str_eq(statuses[1], "pass");
    ck_assert_str_eq(statuses[2], "unverified");
    ck_assert_str_eq(statuses[4], "unverified");
    json_decref(t);
    rb_bundle_free(b);
}
END_TEST

START_TEST(unsafe_members_are_refused_and_the_rest_read)
{
    unit_enter_workdir();
    char *manifest = manifest_for(good, 1, good_roles, NULL);
    entry entries[] = {
        {"manifest.json", manifest, 0, NULL},
        {good[0].name, good[0].text, 0, NULL},
        {"/etc/cron.d/evil", "x", 0, NULL},
        {"logs/../../evil", "x", 0, NULL},
        {"link-out", NULL, AE_IFLNK, "../../etc/passwd"},
        {"link-abs", NULL, AE_IFLNK, "/etc/passwd"},
        {"logs/link-in", NULL, AE_IFLNK, "../spec_validation.json"},
        {"hard-out", NULL, 0, "../outside"},
        {"dev-null", NULL, AE_IFCHR, NULL},
        {"fifo", NULL, AE_IFIFO, NULL},
        {good[0].name, "{\"valid\": false}", 0, NULL},
    };
    write_tar("inc.tar", false, entries, sizeof entries / sizeof entries[0]);
    rb_bundle *b;
    rb_error err;
    ck_assert_int_eq(rb_bundle_open("inc.tar", NULL, &b, &err), RB_OK);
    const char *expected[][2] = {
        {"/etc/cron.d/evil", "has an absolute path"}, {"logs/../../evil", "has a '..' segment"},
        {"link-out", "symbolic link pointing outside"}, {"link-abs", "symbolic link pointing outside"},
        {"hard-out", "hard link pointing outside"}, {"dev-null", "special file"}, {"fifo", "special file"},
        {"spec_validation.json", "appears twice"},
    };
    ck_assert_uint_eq(b->n_problems, sizeof expected / sizeof expected[0]);
    for (size_t i = 0; i < b->n_problems; i++) {
        ck_assert_str_eq(b->problems[i].member, expected[i][0]);
        ck_assert_str_eq(b->problems[i].kind, "unsafe");
        ck_assert_msg(strstr(b->problems[i].message, expected[i][1]), "%s", b->problems[i].message);
    }
    /* the first copy of the duplicate is the one read; nothing else is */
    ck_assert_uint_eq(b->n_members, 2);
    ck_assert_str_eq((const char *)rb_bundle_find(b, good[0].name)->data, good[0].text);
    rb_bundle_free(b);
    free(manifest);
    struct stat st;
    ck_assert_int_ne(stat("/etc/cron.d/evil", &st), 0);
}
END_TEST

START_TEST(directory_links_out_of_the_root)
{
    unit_enter_workdir();
    write_good_dir("inc", -1, NULL);
    ck_assert_int_eq(symlink("/etc/passwd", "inc/passwd"), 0);
    ck_assert_int_eq(symlink("trace.jsonl", "inc/trace-link.jsonl"), 0);
    rb_bundle *b;
    rb_error err;
    ck_assert_int_eq(rb_bundle_open("inc", NULL, &b, &err), RB_OK);
    ck_assert_uint_eq(b->n_problems, 1);
    ck_assert_str_eq(b->problems[0].member, "passwd");
    ck_assert_ptr_null(rb_bundle_find(b, "trace-link.jsonl"));
    rb_bundle_free(b);
}
END_TEST

START_TEST(unreadable_bundles_are_input_errors)
{
    unit_enter_workdir();
    rb_bundle *b;
    rb_error err;
    unit_write_file("garbage.tgz", "this is not an archive at all, not even close........................\n");
    ck_assert_int_eq(rb_bundle_open("garbage.tgz", NULL, &b, &err), RB_EINPUT);
    ck_assert_ptr_nonnull(strstr(err.message, "garbage.tgz: not a readable tar archive"));

    entry one[] = {{"manifest.json", "{\"artifacts\": []}", 0, NULL}, {"a.json", "{}", 0, NULL}};
    write_tar("whole.tar", false, one, 2);
    FILE *in = fopen("whole.tar", "rb");
    char buf[700];
    size_t n = fread(buf, 1, sizeof buf, in);
    fclose(in);
    FILE *out = fopen("cut.tar", "wb");
    fwrite(buf, 1, n, out);
    fclose(out);
    ck_assert_int_eq(rb_bundle_open("cut.tar", NULL, &b, &err), RB_EINPUT);
    ck_assert_ptr_nonnull(strstr(err.message, "cut.tar: "));

    entry no_manifest[] = {{"a.json", "{}", 0, NULL}};
    write_tar("bare.tar", false, no_manifest, 1);
    ck_assert_int_eq(rb_bundle_open("bare.tar", NULL, &b, &err), RB_EKIND);
    ck_assert_ptr_nonnull(strstr(err.message, "bare.tar: not an incident bundle: no manifest.json"));

    entry bad_manifest[] = {{"manifest.json", "{\"artifacts\": [\n{\"path\": 1}]}", 0, NULL}};
    write_tar("bad.tar", false, bad_manifest, 1);
    ck_assert_int_eq(rb_bundle_open("bad.tar", NULL, &b, &err), RB_EINPUT);
    ck_assert_ptr_nonnull(strstr(err.message, "bad.tar!manifest.json: artifacts.0: expected"));

    entry broken_manifest[] = {{"manifest.json", "{\"artifacts\": [\n,]}", 0, NULL}};
    write_tar("broken.tar", false, broken_manifest, 1);
    ck_assert_int_eq(rb_bundle_open("broken.tar", NULL, &b, &err), RB_EINPUT);
    ck_assert_ptr_nonnull(strstr(err.message, "broken.tar!manifest.json:2: invalid JSON"));
}
END_TEST

START_TEST(gzip_bomb_is_refused)
{
    unit_enter_workdir();
    size_t big = (size_t)64 << 20;
    char *zeros = calloc(1, big + 1);
    memset(zeros, '0', big);
    entry bomb[] = {{"manifest.json", "{\"artifacts\": []}", 0, NULL}, {"bomb.json", zeros, 0, NULL}};
    write_tar("bomb.tgz", true, bomb, 2);
    free(zeros);
    rb_bundle *b;
    rb_error err;
    ck_assert_int_eq(rb_bundle_open("bomb.tgz", NULL, &b, &err), RB_EINPUT);
    ck_assert_msg(strstr(err.message, "bomb.tgz: expands more than 200 times"), "%s", err.message);

    rb_bundle_limits small = rb_bundle_current_limits();
    small.max_member_bytes = 8;
    entry plain[] = {{"manifest.json", "{\"artifacts\": []}", 0, NULL}};
    write_tar("plain.tar", false, plain, 1);
    /* the manifest itself is capped: a bundle that cannot be read */
    ck_assert_int_eq(rb_bundle_open("plain.tar", &small, &b, &err), RB_EINPUT);
    ck_assert_msg(strstr(err.message, "plain.tar: the bundle's manifest.json is not read: manifest.json is over"),
                  "%s", err.message);
}
END_TEST

/* Each triage case: the artifact index to replace, its text, the layer
 * that must be the verdict, and a reason it must give. */
static const char *const triage_cases[][4] = {
    {"0", "{\"valid\": false, \"errors\": [{\"message\": \"unknown stage kind\"}]}", "spec", "errors: unknown stage kind"},
    {"1", "{\"ok\": true, \"approval\": {\"verified\": false}}", "policy", "approval is not verified"},
    {"2", "{\"posture\": \"supported\", \"checks\": [{\"name\": \"hugepages\", \"status\": \"fail\"}]}", "environment",
     "check hugepages: fail"},
    {"3", "{\"adapters\": [{\"name\": \"kafka\", \"connection_state\": \"reconnecting\"}]}", "snapshot",
     "adapter kafka: connection_state reconnecting"},
    {"4", "{\"status\": \"failed\", \"violations\": [\"count mismatch\"]}", "product", "status is failed"},
};

START_TEST(triage_names_the_first_failing_layer)
{
    unit_enter_workdir();
    /* an intact bundle (its manifest made from what it holds) whose layer
     * fails, and a later layer too: the verdict must still be the first */
    entry held[N_GOOD];
    memcpy(held, good, sizeof held);
    held[atoi(triage_cases[_i][0])].text = triage_cases[_i][1];
    if (_i < 4)
        held[4].text = "{\"status\": \"failed\"}";
    write_dir("inc", held, held);
    rb_bundle *b;
    rb_error err;
    ck_assert_int_eq(rb_bundle_open("inc", NULL, &b, &err), RB_OK);
    json_t *t = rb_triage(b);
    const json_t *v = json_object_get(t, "verdict");
    ck_assert_str_eq(json_string_value(json_object_get(v, "layer")), triage_cases[_i][2]);
    bool gave_reason = false;
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(v, "reasons"), i, r)
        gave_reason |= strcmp(json_string_value(r), triage_cases[_i][3]) == 0;
    ck_assert_msg(gave_reason, "no reason '%s'", triage_cases[_i][3]);
    ck_assert_ptr_nonnull(json_string_value(json_object_get(v, "interpretation")));
    json_decref(t);
    rb_bundle_free(b);
}
END_TEST

static Suite *bundle_suite(void)
{
    Suite *s = suite_create("bundle");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, directory_bundle_intact);
    tcase_add_test(tc, tar_bundle_with_root_directory);
    tcase_add_test(tc, manifest_disagreements);
    tcase_add_test(tc, unsafe_members_are_refused_and_the_rest_read);
    tcase_add_test(tc, directory_links_out_of_the_root);
    tcase_add_test(tc, unreadable_bundles_are_input_errors);
    tcase_add_test(tc, gzip_bomb_is_refused);
    tcase_add_loop_test(tc, triage_names_the_first_failing_layer, 0,
                        (int)(sizeof triage_cases / sizeof triage_cases[0]));
    suite_add_tcase(s, tc);
    return s;
}

RB_UNIT_MAIN(bundle_suite)
