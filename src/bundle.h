/*
 * bundle.h — incident bundles (SPEC §3.2, §8): a directory or a tar
 * archive (.tar, .tar.gz, .tgz) whose root holds manifest.json, read into
 * memory member by member — never extracted — and checked against its
 * manifest.
 *
 * Unsafe members (an absolute path, a `..` segment, a link pointing out of
 * the root, a device or other special file, a second member of the same
 * name, a member over the size cap) are not read; each becomes an integrity
 * problem naming the member, and the others are still read.  An archive
 * that cannot be read at all, or that is over the total size or
 * compression-ratio cap, is an input error.  Links inside the bundle are
 * not followed: an artifact must be a regular file.
 *
 * A tar whose only top-level entry is a directory holding manifest.json
 * (what `tar czf inc.tgz inc/` makes) has that directory as its root.
 *
 * Ownership: an rb_bundle owns its members, problems and manifest;
 * rb_bundle_free releases them.
 */
#ifndef RB_BUNDLE_H
#define RB_BUNDLE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "sha256.h"

typedef struct rb_bundle_limits {
    size_t max_member_bytes;  /* a larger member is unsafe */
    size_t max_total_bytes;   /* all members together; over it: input error */
    double max_ratio;         /* uncompressed / archive bytes; over it: input error */
    size_t max_members;       /* more entries: input error */
} rb_bundle_limits;

/* The limits in force (input_limits.h): 256 MiB per member (or --max-input-size
 * when smaller), --max-input-size in all, --max-archive-ratio, and 100000
 * entries. */
rb_bundle_limits rb_bundle_current_limits(void);

typedef struct rb_bundle_member {
    char *name;            /* path inside the bundle, '/'-separated, no "./" */
    unsigned char *data;   /* its bytes, NUL-terminated at data[len] */
    size_t len;
    char sha256[RB_SHA256_HEX_LEN + 1];
} rb_bundle_member;

/* What is wrong with one member: an unsafe entry, or a disagreement with
 * the manifest. */
typedef struct rb_bundle_problem {
    char *member;
    const char *kind;  /* "unsafe", "missing", "hash-mismatch", "unlisted" */
    char *message;
} rb_bundle_problem;

typedef struct rb_bundle {
    char *path;                 /* as given */
    bool is_archive;
    char sha256[RB_SHA256_HEX_LEN + 1]; /* of the archive, or of a directory's manifest */
    uint64_t bytes;
    rb_bundle_member *members;  /* sorted by name */
    size_t n_members;
    rb_bundle_problem *problems;
    size_t n_problems;
    json_t *manifest;           /* the parsed manifest.json */
    char **listed;              /* member name of each manifest artifact, in its
                                   order; NULL for an unsafe path */
    size_t n_listed;
} rb_bundle;

/* Whether a path names a bundle: a directory with manifest.json, or a
 * file named .tar, .tar.gz or .tgz. */
bool rb_bundle_is_bundle_path(const char *path);

/* Whether data (the first bytes of a file) is a tar archive, compressed
 * or not, or compressed data that breaks off (a damaged archive, whose
 * rb_bundle_open says what is wrong); *packed tells whether it is
 * compressed (by any compressor libarchive reads). */
bool rb_bundle_is_tar(const unsigned char *data, size_t len, bool *packed);

/*
 * Reads the bundle at path and its manifest, then checks every member
 * against the manifest (problems "missing", "hash-mismatch", "unlisted",
 * after the "unsafe" ones; a listed member that is unsafe has that one
 * problem, not "missing" too).  An archive with no manifest.json at its
 * root is no bundle: RB_EKIND.  An unreadable archive, a cap exceeded, an
 * invalid manifest.json is an RB_EINPUT error naming the bundle (and the
 * manifest's line).  limits NULL: rb_bundle_current_limits().
 * *out is the caller's: rb_bundle_free.
 */
rb_code rb_bundle_open(const char *path, const rb_bundle_limits *limits, rb_bundle **out, rb_error *err);

void rb_bundle_free(rb_bundle *b);

/* The member of that name, or NULL. */
const rb_bundle_member *rb_bundle_find(const rb_bundle *b, const char *name);

/* The first problem of a member (borrowed), or NULL when it has none. */
const rb_bundle_problem *rb_bundle_problem_of(const rb_bundle *b, const char *member);

/* The manifest's role for a member (borrowed), or NULL when unlisted. */
const char *rb_bundle_role(const rb_bundle *b, const char *name);

#endif
