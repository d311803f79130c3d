/*
 * util.h — small helpers shared by every module: allocation that never
 * returns NULL, a growable string buffer, whole-file reads, path globs.
 */
#ifndef RB_UTIL_H
#define RB_UTIL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Allocation.  On exhaustion these print a message and exit with status 3
 * (an internal error), so callers never handle NULL. */
void *rb_xmalloc(size_t n);
void rb_out_of_memory(size_t n) __attribute__((noreturn));
void *rb_xcalloc(size_t count, size_t size);
void *rb_xrealloc(void *p, size_t n);
char *rb_xstrdup(const char *s);
char *rb_xstrndup(const char *s, size_t n);
char *rb_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grows *items (of *cap elements of size elem) so that it holds need. */
void rb_grow(void **items, size_t *cap, size_t need, size_t elem);

/* A growable NUL-terminated string.  Zero-initialise; rb_buf_take hands the
 * string to the caller (who frees it) and resets the buffer. */
typedef struct rb_buf {
    char *data;
    size_t len, cap;
} rb_buf;
void rb_buf_append(rb_buf *b, const char *s, size_t n);
void rb_buf_puts(rb_buf *b, const char *s);
void rb_buf_putc(rb_buf *b, char c);
void rb_buf_printf(rb_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *rb_buf_take(rb_buf *b);
void rb_buf_free(rb_buf *b);

/* Reads a whole file into a NUL-terminated buffer (owned by the caller).
 * Files larger than max_bytes are refused with RB_EINPUT. */
rb_code rb_read_file(const char *path, size_t max_bytes, unsigned char **data,
                     size_t *len, rb_error *err);

/* The logical name of a path as given on the command line: without any
 * leading "./" (SPEC §5).  Returns a pointer into path. */
const char *rb_path_logical(const char *path);

/* The last component of a path (a pointer into path). */
const char *rb_path_basename(const char *path);

/* The canonical absolute path of an existing path (realpath: links and
 * "." and ".." resolved), or a copy of path when it cannot be resolved.
 * Owned by the caller. */
char *rb_path_real(const char *path);

/* The directory a file path is in: "x" for "x/a.jsonl", "." for
 * "a.jsonl", "/" for "/a.jsonl".  Owned by the caller. */
char *rb_path_dirname(const char *path);

/* True when name ends with suffix (ASCII case-insensitively). */
bool rb_has_suffix(const char *name, const char *suffix);

/* Path glob of SPEC §4: `*` matches within one '/'-separated segment, `**`
 * any number of whole segments, `?` one character of a segment.  A pattern
 * with no '/' is matched against the basename (as .gitignore does). */
bool rb_path_glob(const char *pattern, const char *path);

/* Number of UTF-8 code points in s, which must be valid UTF-8 (every
 * jansson string is); continuation bytes are not counted. */
size_t rb_utf8_length(const char *s, size_t n);

/* A JSON string of n bytes of text from evidence: bytes that are not valid
 * UTF-8 become U+FFFD, so that every report stays valid JSON.  New
 * reference. */
json_t *rb_json_text(const char *s, size_t n);

/* The keys of a JSON object, sorted by strcmp: an array of *n pointers
 * borrowed from the object (the array itself is the caller's to free). */
const char **rb_json_sorted_keys(const json_t *object, size_t *n);

/* Called by rb_dir_each for one entry: its path (dir/name), its name and
 * what stat(2) says of it (links followed); st is NULL for an entry that
 * cannot be stat'ed (errno says why), only with RB_DIR_EVERY. */
struct stat;
typedef rb_code (*rb_dir_visit)(void *ctx, const char *path, const char *name,
                                const struct stat *st, rb_error *err);

/* rb_dir_each flags.  By default entries whose name starts with '.' and
 * entries that vanish or cannot be stat'ed are passed over; a walk that
 * must account for everything it meets asks for every entry. */
enum { RB_DIR_EVERY = 1 };

/*
 * Calls visit for each entry of dir, in byte order of names, so that walks
 * are deterministic; stops at the first code visit returns that is not
 * RB_OK and returns it.  When dir cannot be opened, sets an error of code
 * `code` naming it.
 */
rb_code rb_dir_each(const char *dir, unsigned flags, rb_code code, rb_dir_visit visit, void *ctx, rb_error *err);

/* Whether s is one of the strings of a NULL-terminated list (list may be NULL). */
bool rb_str_in_list(const char *s, const char *const *list);

/* Comparison for qsort of C strings. */
int rb_strcmp_ptr(const void *a, const void *b);

/* --verbose: a line on standard error about a choice the run made on the
 * user's behalf (a time without a zone read as UTC).  Process-wide, set
 * once by option parsing; off by default.  Never in a report, so reports
 * stay the same with and without it. */
void rb_verbose_set(bool on);
void rb_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
