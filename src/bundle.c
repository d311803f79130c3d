/*
 * bundle.c — reading incident bundles safely into memory and checking them
 * against their manifest (bundle.h).
 */
#include "bundle.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "input_limits.h"
#include "util.h"

rb_bundle_limits rb_bundle_current_limits(void)
{
    const rb_limits *l = rb_limits_get();
    size_t member = (size_t)256 << 20;
    rb_bundle_limits b = {
        .max_member_bytes = member < l->input_bytes ? member : l->input_bytes,
        .max_total_bytes = l->input_bytes,
        .max_ratio = l->archive_ratio,
        .max_members = 100000,
    };
    return b;
}

/* Ratios are only judged past this many bytes: small archives of
 * repetitive JSON compress far better than any bomb threshold. */
#define RATIO_FLOOR_BYTES ((uint64_t)1 << 20)

#define MANIFEST "manifest.json"

/* A bundle being read. */
typedef struct reading {
    rb_bundle *b;
    const rb_bundle_limits *limits;
    size_t cap_members, cap_problems;
    uint64_t total;       /* bytes of all members read */
    size_t entries;
} reading;

static void add_problem(rb_bundle *b, size_t *cap, const char *member, const char *kind, char *message)
{
    rb_grow((void **)&b->problems, cap, b->n_problems + 1, sizeof *b->problems);
    b->problems[b->n_problems++] = (rb_bundle_problem){rb_xstrdup(member), kind, message};
}

static void unsafe(reading *r, const char *member, char *message)
{
    add_problem(r->b, &r->cap_problems, member, "unsafe", message);
}

const rb_bundle_problem *rb_bundle_problem_of(const rb_bundle *b, const char *member)
{
    for (size_t i = 0; i < b->n_problems; i++)
        if (strcmp(b->problems[i].member, member) == 0)
            return &b->problems[i];
    return NULL;
}

const rb_bundle_member *rb_bundle_find(const rb_bundle *b, const char *name)
{
    for (size_t i = 0; i < b->n_members; i++)
        if (strcmp(b->members[i].name, name) == 0)
            return &b->members[i];
    return NULL;
}

/* Takes data (allocated, NUL-terminated at len). */
static void add_member(reading *r, const char *name, unsigned char *data, size_t len)
{
    if (rb_bundle_find(r->b, name)) {
        unsafe(r, name, rb_xasprintf("%s appears twice in the bundle (only the first is read)", name));
        free(data);
        return;
    }
    rb_grow((void **)&r->b->members, &r->cap_members, r->b->n_members + 1, sizeof *r->b->members);
    rb_bundle_member *m = &r->b->members[r->b->n_members++];
    m->name = rb_xstrdup(name);
    m->data = data;
    m->len = len;
    rb_sha256_hex(data, len, m->sha256);
}

/*
 * The member name of a raw entry path: "./" prefixes and empty segments
 * dropped.  Returns NULL and sets *why for an absolute path or a ".."
 * segment; returns "" for the root itself.  The result is the caller's.
 */
static char *clean_name(const char *raw, const char **why)
{
    *why = NULL;
    if (raw[0] == '/') {
        *why = "an absolute path";
        return NULL;
    }
    rb_buf b = {0};
    rb_buf_puts(&b, "");
    for (const char *p = raw; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && strncmp(p, "..", 2) == 0) {
            *why = "a '..' segment";
            rb_buf_free(&b);
            return NULL;
        }
        if (n && !(n == 1 && p[0] == '.')) {
            if (b.len)
                rb_buf_putc(&b, '/');
            rb_buf_append(&b, p, n);
        }
        p += n + (p[n] == '/');
    }
    return rb_buf_take(&b);
}

/* Why clean_name refuses a path. */
static const char *unsafe_reason(const char *path)
{
    const char *why;
    free(clean_name(path, &why));
    return why;
}

/* Whether a link at member `name` pointing at `target` stays inside the
 * root (followed lexically, as the archive would be laid out). */
static bool link_inside(const char *name, const char *target)
{
    if (target[0] == '/')
        return false;
    int depth = 0;
    for (const char *p = name; *p; p++) /* the link's own directory depth */
        depth += *p == '/';
    for (const char *p = target; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && strncmp(p, "..", 2) == 0)
            depth--;
        else if (n && !(n == 1 && p[0] == '.'))
            depth++;
        if (depth < 0)
            return false;
        p += n + (p[n] == '/');
    }
    return true;
}

static rb_code check_total(reading *r, uint64_t archive_bytes, rb_error *err)
{
    if (r->total > r->limits->max_total_bytes)
        return rb_error_set(err, RB_EINPUT, "%s: its members hold more than %zu bytes (the --max-input-size cap)",
                            r->b->path, r->limits->max_total_bytes);
    if (r->b->is_archive && r->total > RATIO_FLOOR_BYTES &&
        (double)r->total > r->limits->max_ratio * (double)(archive_bytes ? archive_bytes : 1))
        return rb_error_set(err, RB_EINPUT,
                            "%s: expands more than %.0f times its %llu bytes (the --max-archive-ratio cap; "
                            "a decompression bomb?)",
                            r->b->path, r->limits->max_ratio, (unsigned long long)archive_bytes);
    return RB_OK;
}

/* What libarchive says went wrong; it says nothing of some truncations. */
static const char *archive_why(struct archive *a)
{
    const char *why = archive_error_string(a);
    return why ? why : "truncated or corrupt (expected a tar archive, plain or gzip-, bzip2- or xz-compressed)";
}

/* Reads the data of the current tar entry, or marks it over the cap. */
static rb_code read_entry_data(reading *r, struct archive *a, const char *name, uint64_t archive_bytes,
                               rb_error *err)
{
    size_t cap = 64 << 10, len = 0;
    unsigned char *data = rb_xmalloc(cap + 1);
    for (;;) {
        if (len == cap) {
            cap *= 2;
            data = rb_xrealloc(data, cap + 1);
        }
        la_ssize_t n = archive_read_data(a, data + len, cap - len);
        if (n < 0) {
            free(data);
            return rb_error_set(err, RB_EINPUT, "%s: member %s cannot be read: %s", r->b->path, name,
                                archive_why(a));
        }
        if (n == 0)
            break;
        len += (size_t)n;
        r->total += (uint64_t)n;
        rb_code rc = check_total(r, archive_bytes, err);
        if (rc) {
            free(data);
            return rc;
        }
        if (len > r->limits->max_member_bytes) {
            free(data);
            unsafe(r, name, rb_xasprintf("%s is over the member size cap of %zu bytes", name,
                                         r->limits->max_member_bytes));
            return RB_OK;
        }
    }
    data[len] = '\0';
    add_member(r, name, data, len);
    return RB_OK;
}

/* One tar entry: read, refused, or passed over (directories, safe links). */
static rb_code read_tar_entry(reading *r, struct archive *a, struct archive_entry *e, uint64_t archive_bytes,
                              rb_error *err)
{
    const char *raw = archive_entry_pathname(e);
    const char *why;
    char *name = clean_name(raw ? raw : "", &why);
    rb_code rc = RB_OK;
    mode_t type = archive_entry_filetype(e);
    const char *hardlink = archive_entry_hardlink(e), *symlink = archive_entry_symlink(e);
    if (!name) {
        unsafe(r, raw, rb_xasprintf("%s has %s (a member must stay inside the bundle)", raw, why));
    } else if (!*name && type != AE_IFDIR) {
        /* "." or "./": a file cannot be the bundle's root; keyed by the
         * name as written, the only one it has. */
        const char *shown = raw && *raw ? raw : "(no name)";
        unsafe(r, shown, rb_xasprintf("%s names the bundle's root (expected a member inside it)", shown));
    } else if (hardlink) {
        char *target = clean_name(hardlink, &why);
        if (!target)
            unsafe(r, name, rb_xasprintf("%s is a hard link pointing outside the bundle (to %s)", name, hardlink));
        free(target);
    } else if (type == AE_IFLNK) {
        if (!symlink || !link_inside(name, symlink))
            unsafe(r, name, rb_xasprintf("%s is a symbolic link pointing outside the bundle (to %s)", name,
                                         symlink ? symlink : "?"));
    } else if (type == AE_IFREG) {
        rc = read_entry_data(r, a, name, archive_bytes, err);
    } else if (type != AE_IFDIR) {
        unsafe(r, name, rb_xasprintf("%s is a device or other special file (expected a regular file)", name));
    }
    free(name);
    return rc;
}

/* A reader of the archives bundles may be: tar, compressed by any filter
 * libarchive knows. */
static struct archive *tar_reader(void)
{
    struct archive *a = archive_read_new();
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    return a;
}

/* Whether data starts with the magic of a compressor libarchive reads. */
static bool compressed(const unsigned char *data, size_t len)
{
    static const struct {
        const char *magic;
        size_t n;
    } magics[] = {{"\x1f\x8b", 2}, {"BZh", 3}, {"\xfd" "7zXZ", 5}, {"\x28\xb5\x2f\xfd", 4}};
    for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++)
        if (len >= magics[i].n && memcmp(data, magics[i].magic, magics[i].n) == 0)
            return true;
    return false;
}

static rb_code read_tar(reading *r, rb_error *err)
{
    struct archive *a = tar_reader();
    /* read once: hashed, then unpacked from memory */
    unsigned char *data = NULL;
    size_t archive_bytes = 0;
    rb_code rc = rb_read_file(r->b->path, r->limits->max_total_bytes, &data, &archive_bytes, err);
    r->b->bytes = archive_bytes;
    if (!rc)
        rb_sha256_hex(data, archive_bytes, r->b->sha256);
    if (!rc && archive_read_open_memory(a, data, archive_bytes) != ARCHIVE_OK)
        rc = rb_error_set(err, RB_EINPUT, "%s: not a readable tar archive: %s", r->b->path, archive_why(a));
    struct archive_entry *e;
    while (!rc) {
        int arc = archive_read_next_header(a, &e);
        if (arc == ARCHIVE_EOF)
            break;
        if (arc < ARCHIVE_WARN) {
            rc = rb_error_set(err, RB_EINPUT, "%s: not a readable tar archive after %zu members: %s", r->b->path,
                              r->entries, archive_why(a));
            break;
        }
        if (++r->entries > r->limits->max_members)
            rc = rb_error_set(err, RB_EINPUT, "%s: more than %zu members (the member count cap)", r->b->path,
                              r->limits->max_members);
        else
            rc = read_tar_entry(r, a, e, archive_bytes, err);
    }
    archive_read_free(a);
    free(data);
    return rc;
}

/* A directory walk in progress. */
typedef struct dir_walk {
    reading *r;
    const char *root;
    char *root_real;   /* realpath of the root, for links */
    const char *prefix; /* member name of the directory being walked ("" at the root) */
    int depth;
} dir_walk;

static rb_code walk_dir(dir_walk *w, const char *dir, rb_error *err);

static rb_code visit(void *ctx, const char *path, const char *name, const struct stat *unused, rb_error *err)
{
    (void)unused;
    dir_walk *w = ctx;
    reading *r = w->r;
    char *member = w->prefix[0] ? rb_xasprintf("%s/%s", w->prefix, name) : rb_xstrdup(name);
    struct stat st;
    rb_code rc = RB_OK;
    if (++r->entries > r->limits->max_members) {
        rc = rb_error_set(err, RB_EINPUT, "%s: more than %zu entries (the member count cap)", r->b->path,
                          r->limits->max_members);
    } else if (lstat(path, &st) != 0) {
        rc = rb_error_set(err, RB_EINPUT, "%s: cannot read: %s", path, strerror(errno));
    } else if (S_ISLNK(st.st_mode)) {
        char *real = realpath(path, NULL);
        size_t n = strlen(w->root_real);
        if (!real || strncmp(real, w->root_real, n) != 0 || (real[n] != '/' && real[n] != '\0'))
            unsafe(r, member, rb_xasprintf("%s is a symbolic link pointing outside the bundle", member));
        free(real);
    } else if (S_ISDIR(st.st_mode)) {
        const char *saved = w->prefix;
        w->prefix = member;
        rc = walk_dir(w, path, err);
        w->prefix = saved;
    } else if (!S_ISREG(st.st_mode)) {
        unsafe(r, member, rb_xasprintf("%s is a device or other special file (expected a regular file)", member));
    } else if ((uint64_t)st.st_size > r->limits->max_member_bytes) {
        unsafe(r, member, rb_xasprintf("%s is over the member size cap of %zu bytes", member,
                                       r->limits->max_member_bytes));
    } else {
        unsigned char *data;
        size_t len;
        rc = rb_read_file(path, r->limits->max_member_bytes, &data, &len, err);
        if (!rc) {
            r->total += len;
            rc = check_total(r, 0, err);
            if (rc)
                free(data);
            else
                add_member(r, member, data, len);
        }
    }
    free(member);
    return rc;
}

static rb_code walk_dir(dir_walk *w, const char *dir, rb_error *err)
{
    if (++w->depth > 64)
        return rb_error_set(err, RB_EINPUT, "%s: directories nested more than 64 deep", dir);
    /* every entry, hidden ones too: a tar of the directory would hold them,
     * and the manifest must account for them either way */
    rb_code rc = rb_dir_each(dir, RB_DIR_EVERY, RB_EINPUT, visit, w, err);
    w->depth--;
    return rc;
}

static rb_code read_directory(reading *r, rb_error *err)
{
    dir_walk w = {r, r->b->path, realpath(r->b->path, NULL), "", 0};
    if (!w.root_real)
        return rb_error_set(err, RB_EINPUT, "%s: cannot read: %s", r->b->path, strerror(errno));
    rb_code rc = walk_dir(&w, r->b->path, err);
    free(w.root_real);
    return rc;
}

static int compare_members(const void *a, const void *b)
{
    return strcmp(((const rb_bundle_member *)a)->name, ((const rb_bundle_member *)b)->name);
}

/* An archive of one directory holding the manifest has that directory as
 * its root: its name is taken off every member. */
static void strip_single_root(rb_bundle *b)
{
    if (rb_bundle_find(b, MANIFEST) || b->n_members == 0)
        return;
    const char *first = b->members[0].name, *slash = strchr(first, '/');
    if (!slash)
        return;
    size_t n = (size_t)(slash - first) + 1;
    for (size_t i = 0; i < b->n_members; i++)
        if (strncmp(b->members[i].name, first, n) != 0)
            return;
    char *manifest = rb_xasprintf("%.*s%s", (int)n, first, MANIFEST);
    bool has = rb_bundle_find(b, manifest) != NULL;
    free(manifest);
    if (!has)
        return;
    for (size_t i = 0; i < b->n_members; i++)
        memmove(b->members[i].name, b->members[i].name + n, strlen(b->members[i].name + n) + 1);
}

/* Parses manifest.json and checks its shape. */
static rb_code read_manifest(rb_bundle *b, rb_error *err)
{
    const rb_bundle_member *m = rb_bundle_find(b, MANIFEST);
    for (size_t i = 0; !m && i < b->n_problems; i++)
        if (strcmp(b->problems[i].member, MANIFEST) == 0)
            return rb_error_set(err, RB_EINPUT, "%s: the bundle's %s is not read: %s", b->path, MANIFEST,
                                b->problems[i].message);
    if (!m)
        return rb_error_set(err, RB_EKIND, "%s: not an incident bundle: no %s at its root (expected a manifest "
                            "listing the artifacts with their sha256 and role)", b->path, MANIFEST);
    if (!b->is_archive) {
        memcpy(b->sha256, m->sha256, sizeof b->sha256);
        b->bytes = m->len;
    }
    json_error_t e;
    b->manifest = rb_json_parse((const char *)m->data, m->len, JSON_REJECT_DUPLICATES, &e);
    if (!b->manifest)
        return rb_error_set(err, RB_EINPUT, "%s!%s:%d: invalid JSON: %s", b->path, MANIFEST, e.line, e.text);
    json_t *artifacts = json_object_get(b->manifest, "artifacts");
    if (!json_is_object(b->manifest) || !json_is_array(artifacts))
        return rb_error_set(err, RB_EINPUT, "%s!%s: expected an object with an 'artifacts' list", b->path, MANIFEST);
    size_t i;
    json_t *a;
    json_array_foreach(artifacts, i, a) {
        json_t *path = json_object_get(a, "path"), *sha = json_object_get(a, "sha256"), *role = json_object_get(a, "role");
        if (!json_is_string(path) || !json_is_string(sha) || (role && !json_is_string(role)))
            return rb_error_set(err, RB_EINPUT, "%s!%s: artifacts.%zu: expected {\"path\": string, \"sha256\": "
                                "string, \"role\": string}", b->path, MANIFEST, i);
    }
    b->listed = rb_xcalloc(json_array_size(artifacts) + 1, sizeof *b->listed);
    json_array_foreach(artifacts, i, a) {
        const char *why;
        b->listed[b->n_listed++] = clean_name(json_string_value(json_object_get(a, "path")), &why);
    }
    return RB_OK;
}

/* The manifest's entry for a member, or NULL. */
static const json_t *artifact_of(const rb_bundle *b, const char *name)
{
    for (size_t i = 0; i < b->n_listed; i++)
        if (b->listed[i] && strcmp(b->listed[i], name) == 0)
            return json_array_get(json_object_get(b->manifest, "artifacts"), i);
    return NULL;
}

const char *rb_bundle_role(const rb_bundle *b, const char *name)
{
    return json_string_value(json_object_get(artifact_of(b, name), "role"));
}

static void verify(rb_bundle *b, size_t *cap)
{
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(b->manifest, "artifacts"), i, a) {
        const char *path = json_string_value(json_object_get(a, "path"));
        const char *want = json_string_value(json_object_get(a, "sha256"));
        const char *name = b->listed[i];
        const rb_bundle_member *m = name ? rb_bundle_find(b, name) : NULL;
        if (!name) {
            add_problem(b, cap, path, "unsafe", rb_xasprintf("the manifest lists %s, which has %s", path,
                                                             unsafe_reason(path)));
        } else if (!m) {
            /* one not read because it is unsafe is reported as such, not
             * as missing too */
            if (!rb_bundle_problem_of(b, name))
                add_problem(b, cap, name, "missing",
                            rb_xasprintf("%s is listed in the manifest but not in the bundle", name));
        } else if (strcasecmp(m->sha256, want) != 0) {
            add_problem(b, cap, name, "hash-mismatch",
                        rb_xasprintf("%s has sha256 %s, the manifest says %s", name, m->sha256, want));
        }
    }
    for (size_t k = 0; k < b->n_members; k++) {
        const char *name = b->members[k].name;
        if (strcmp(name, MANIFEST) != 0 && !artifact_of(b, name))
            add_problem(b, cap, name, "unlisted", rb_xasprintf("%s is in the bundle but not in the manifest", name));
    }
}

static bool has_archive_suffix(const char *path)
{
    return rb_has_suffix(path, ".tar") || rb_has_suffix(path, ".tar.gz") || rb_has_suffix(path, ".tgz");
}

bool rb_bundle_is_bundle_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return false;
    if (!S_ISDIR(st.st_mode))
        return has_archive_suffix(path);
    char *manifest = rb_xasprintf("%s/%s", path, MANIFEST);
    bool has = stat(manifest, &st) == 0 && S_ISREG(st.st_mode);
    free(manifest);
    return has;
}

/* How much of compressed data breaks_off reads: enough to see a truncated
 * head, never a bomb's worth. */
#define BREAK_OFF_BYTES ((size_t)1 << 20)

/* Whether compressed data breaks off within its first BREAK_OFF_BYTES: a
 * damaged archive (the reading of the bundle then says where), not
 * another kind. */
static bool breaks_off(const unsigned char *data, size_t len)
{
    struct archive *a = archive_read_new();
    archive_read_support_filter_all(a);
    archive_read_support_format_raw(a);
    struct archive_entry *e;
    char block[4096];
    la_ssize_t n = -1;
    size_t total = 0;
    if (archive_read_open_memory(a, data, len) == ARCHIVE_OK && archive_read_next_header(a, &e) == ARCHIVE_OK)
        while (total < BREAK_OFF_BYTES && (n = archive_read_data(a, block, sizeof block)) > 0)
            total += (size_t)n;
    archive_read_free(a);
    return n < 0;
}

bool rb_bundle_is_tar(const unsigned char *data, size_t len, bool *packed)
{
    *packed = compressed(data, len);
    if (!*packed && !(len >= 262 && memcmp(data + 257, "ustar", 5) == 0))
        return false;
    /* the first member's header is in the first bytes, compressed or not:
     * libarchive tells a tar from any other compressed data */
    struct archive *a = tar_reader();
    struct archive_entry *e;
    bool tar = archive_read_open_memory(a, data, len) == ARCHIVE_OK && archive_read_next_header(a, &e) >= ARCHIVE_WARN;
    archive_read_free(a);
    return tar || (*packed && breaks_off(data, len));
}

rb_code rb_bundle_open(const char *path, const rb_bundle_limits *limits, rb_bundle **out, rb_error *err)
{
    rb_bundle_limits current = rb_bundle_current_limits();
    rb_bundle *b = rb_xcalloc(1, sizeof *b);
    b->path = rb_xstrdup(rb_path_logical(path));
    struct stat st;
    reading r = {b, limits ? limits : &current, 0, 0, 0, 0};
    rb_code rc;
    if (stat(path, &st) != 0) {
        rc = rb_error_set(err, RB_EINPUT, "%s: cannot read: %s", b->path, strerror(errno));
    } else if (S_ISDIR(st.st_mode)) {
        rc = read_directory(&r, err);
    } else {
        b->is_archive = true;
        rc = read_tar(&r, err);
    }
    if (!rc) {
        if (b->n_members)
            qsort(b->members, b->n_members, sizeof *b->members, compare_members);
        if (b->is_archive)
            strip_single_root(b);
        rc = read_manifest(b, err);
    }
    if (!rc)
        verify(b, &r.cap_problems);
    if (rc) {
        rb_bundle_free(b);
        b = NULL;
    }
    *out = b;
    return rc;
}

void rb_bundle_free(rb_bundle *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n_members; i++) {
        free(b->members[i].name);
        free(b->members[i].data);
    }
    for (size_t i = 0; i < b->n_problems; i++) {
        free(b->problems[i].member);
        free(b->problems[i].message);
    }
    for (size_t i = 0; i < b->n_listed; i++)
        free(b->listed[i]);
    free(b->listed);
    free(b->members);
    free(b->problems);
    json_decref(b->manifest);
    free(b->path);
    free(b);
}
