/*
 * util.c — allocation, string buffers, file reads and path globs (util.h).
 */
#include "util.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <dirent.h>
#include <sys/stat.h>

void rb_out_of_memory(size_t n)
{
    fprintf(stderr, "rbaudit: out of memory (allocating %zu bytes)\n", n);
    exit(3);
}

void *rb_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        rb_out_of_memory(n);
    return p;
}

void *rb_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        rb_out_of_memory(count * size);
    return p;
}

void *rb_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        rb_out_of_memory(n);
    return q;
}

char *rb_xstrdup(const char *s)
{
    return rb_xstrndup(s, strlen(s));
}

char *rb_xstrndup(const char *s, size_t n)
{
    char *p = rb_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *rb_xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        rb_out_of_memory(0);
    char *s = rb_xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

void rb_grow(void **items, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return;
    size_t n = *cap ? *cap : 8;
    while (n < need)
        n *= 2;
    *items = rb_xrealloc(*items, n * elem);
    *cap = n;
}

/* Makes room for n more bytes and the terminating NUL. */
static void buf_reserve(rb_buf *b, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->data = rb_xrealloc(b->data, cap);
        b->cap = cap;
    }
}

void rb_buf_append(rb_buf *b, const char *s, size_t n)
{
    buf_reserve(b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void rb_buf_puts(rb_buf *b, const char *s)
{
    rb_buf_append(b, s, strlen(s));
}

void rb_buf_putc(rb_buf *b, char c)
{
    rb_buf_append(b, &c, 1);
}

void rb_buf_printf(rb_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *rb_buf_take(rb_buf *b)
{
    char *s = b->data ? b->data : rb_xstrdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return s;
}

void rb_buf_free(rb_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

rb_code rb_read_file(const char *path, size_t max_bytes, unsigned char **data,
                     size_t *len, rb_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return rb_error_set(err, RB_EINPUT, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return rb_error_set(err, RB_EINPUT, "%s: not a regular file", path);
    }
    if ((uint64_t)st.st_size > max_bytes) {
        fclose(f);
        return rb_error_set(err, RB_EINPUT, "%s: %lld bytes is over the input size limit of %zu bytes",
                            path, (long long)st.st_size, max_bytes);
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    unsigned char *buf = rb_xmalloc(cap);
    for (;;) {
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
        if (n + 1 == cap) {
            if (n >= max_bytes)
                break;
            cap *= 2;
            buf = rb_xrealloc(buf, cap);
        }
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        free(buf);
        return rb_error_set(err, RB_EINPUT, "%s: read error", path);
    }
    if (n > max_bytes) {
        free(buf);
        return rb_error_set(err, RB_EINPUT, "%s: over the input size limit of %zu bytes", path, max_bytes);
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return RB_OK;
}

const char *rb_path_logical(const char *path)
{
    while (path[0] == '.' && path[1] == '/') {
        path += 2;
        while (*path == '/')
            path++;
    }
    return path;
}

const char *rb_path_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

char *rb_path_real(const char *path)
{
    char *real = realpath(path, NULL);
    return real ? real : rb_xstrdup(path);
}

char *rb_path_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    while (slash && slash > path && slash[-1] == '/')
        slash--;
    if (!slash)
        return rb_xstrdup(".");
    if (slash == path)
        return rb_xstrdup("/");
    return rb_xasprintf("%.*s", (int)(slash - path), path);
}

bool rb_has_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name), m = strlen(suffix);
    return n >= m && strcasecmp(name + n - m, suffix) == 0;
}

/* Matches one segment pattern (no '/') against one segment. */
static bool segment_match(const char *pat, size_t plen, const char *seg, size_t slen)
{
    char p[1024], s[1024];
    if (plen >= sizeof p || slen >= sizeof s)
        return false;
    memcpy(p, pat, plen);
    p[plen] = '\0';
    memcpy(s, seg, slen);
    s[slen] = '\0';
    return fnmatch(p, s, 0) == 0;
}

static bool glob_segments(const char *pat, const char *path)
{
    const char *pend = strchr(pat, '/');
    size_t plen = pend ? (size_t)(pend - pat) : strlen(pat);
    if (plen == 2 && pat[0] == '*' && pat[1] == '*') {
        const char *rest = pend ? pend + 1 : NULL;
        if (!rest)
            return true; /* trailing ** matches everything below */
        for (const char *p = path;;) {
            if (glob_segments(rest, p))
                return true;
            const char *slash = strchr(p, '/');
            if (!slash)
                return false;
            p = slash + 1;
        }
    }
    const char *send = strchr(path, '/');
    size_t slen = send ? (size_t)(send - path) : strlen(path);
    if (!segment_match(pat, plen, path, slen))
        return false;
    if (!pend && !send)
        return true;
    if (!pend || !send)
        return false;
    return glob_segments(pend + 1, send + 1);
}

bool rb_path_glob(const char *pattern, const char *path)
{
    path = rb_path_logical(path);
    if (!strchr(pattern, '/'))
        return glob_segments(pattern, rb_path_basename(path));
    return glob_segments(pattern, path);
}

size_t rb_utf8_length(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            count++;
    return count;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
    size_t len;
    uint32_t min, cp;
    if (s[0] < 0x80)
        return 1;
    if ((s[0] & 0xE0) == 0xC0)
        len = 2, min = 0x80, cp = s[0] & 0x1F;
    else if ((s[0] & 0xF0) == 0xE0)
        len = 3, min = 0x800, cp = s[0] & 0x0F;
    else if ((s[0] & 0xF8) == 0xF0)
        len = 4, min = 0x10000, cp = s[0] & 0x07;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

json_t *rb_json_text(const char *s, size_t n)
{
    json_t *v = json_stringn(s, n);
    if (v)
        return v;
    rb_buf b = {0};
    rb_buf_puts(&b, "");
    for (size_t i = 0; i < n;) {
        size_t len = utf8_sequence((const unsigned char *)s + i, n - i);
        if (len)
            rb_buf_append(&b, s + i, len);
        else
            rb_buf_puts(&b, "\xEF\xBF\xBD");
        i += len ? len : 1;
    }
    v = json_stringn(b.data, b.len);
    rb_buf_free(&b);
    return v;
}

int rb_strcmp_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

rb_code rb_dir_each(const char *dir, unsigned flags, rb_code code, rb_dir_visit visit, void *ctx, rb_error *err)
{
    bool every = flags & RB_DIR_EVERY;
    DIR *d = opendir(dir);
    if (!d)
        return rb_error_set(err, code, "%s: cannot open directory: %s", dir, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || (de->d_name[0] == '.' && !every))
            continue;
        rb_grow((void **)&names, &cap, n + 1, sizeof *names);
        names[n++] = rb_xstrdup(de->d_name);
    }
    closedir(d);
    if (n > 1)
        qsort(names, n, sizeof *names, rb_strcmp_ptr);
    rb_code rc = RB_OK;
    for (size_t i = 0; i < n; i++) {
        char *child = rb_xasprintf("%s%s%s", dir, rb_has_suffix(dir, "/") ? "" : "/", names[i]);
        struct stat st;
        bool known = stat(child, &st) == 0;
        if (rc == RB_OK && (known || every))
            rc = visit(ctx, child, names[i], known ? &st : NULL, err);
        free(child);
        free(names[i]);
    }
    free(names);
    return rc;
}

bool rb_str_in_list(const char *s, const char *const *list)
{
    for (; list && *list; list++)
        if (strcmp(s, *list) == 0)
            return true;
    return false;
}

const char **rb_json_sorted_keys(const json_t *object, size_t *n)
{
    const char **keys = rb_xcalloc(json_object_size(object) + 1, sizeof *keys);
    const char *k;
    json_t *v;
    *n = 0;
    json_object_foreach((json_t *)object, k, v)
        keys[(*n)++] = k;
    if (*n > 1)
        qsort(keys, *n, sizeof *keys, rb_strcmp_ptr);
    return keys;
}

static bool verbose;

void rb_verbose_set(bool on)
{
    verbose = on;
}

void rb_verbose(const char *fmt, ...)
{
    if (!verbose)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("rbaudit: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}
