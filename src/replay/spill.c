/*
 * spill.c — temporary files of a replay (spill.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "replay/spill.h"
#include "util.h"

static const char *temp_dir(void)
{
    const char *dir = getenv("TMPDIR");
    return dir && *dir ? dir : "/tmp";
}

rb_code rp_spill_open(rp_spill *s, const char *what, rb_error *err)
{
    s->fd = -1;
    s->size = 0;
    s->what = what;
    char *path = rb_xasprintf("%s/rbaudit-replay-XXXXXX", temp_dir());
    int fd = rb_cleanup_mkstemp(path);
    if (fd < 0) {
        rb_code rc = rb_error_set(err, RB_EINTERNAL, "replay: cannot make a temporary file %s for %s (TMPDIR names "
                                  "where): %s", path, what, strerror(errno));
        free(path);
        return rc;
    }
    /* Gone from the directory at once: only the descriptor holds it. */
    rb_cleanup_remove(path);
    free(path);
    s->fd = fd;
    return RB_OK;
}

static rb_code io_error(const rp_spill *s, const char *verb, rb_error *err)
{
    return rb_error_set(err, RB_EINTERNAL, "replay: cannot %s the temporary file of %s under %s (TMPDIR names "
                        "where): %s", verb, s->what, temp_dir(), errno ? strerror(errno) : "short transfer");
}

rb_code rp_spill_append(rp_spill *s, const void *data, size_t n, uint64_t *offset, rb_error *err)
{
    if (offset)
        *offset = s->size;
    const char *p = data;
    while (n) {
        ssize_t put = pwrite(s->fd, p, n, (off_t)s->size);
        if (put < 0 && errno == EINTR)
            continue;
        if (put <= 0)
            return io_error(s, "write", err);
        p += put;
        n -= (size_t)put;
        s->size += (uint64_t)put;
    }
    return RB_OK;
}

rb_code rp_spill_read_some(const rp_spill *s, uint64_t offset, void *buf, size_t n, size_t *got, rb_error *err)
{
    *got = 0;
    char *p = buf;
    while (*got < n && offset + *got < s->size) {
        ssize_t r = pread(s->fd, p + *got, n - *got, (off_t)(offset + *got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return io_error(s, "read", err);
        if (r == 0)
            break;
        *got += (size_t)r;
    }
    return RB_OK;
}

rb_code rp_spill_read(const rp_spill *s, uint64_t offset, void *buf, size_t n, rb_error *err)
{
    size_t got;
    rb_code rc = rp_spill_read_some(s, offset, buf, n, &got, err);
    if (!rc && got != n) {
        errno = 0;
        return io_error(s, "read", err);
    }
    return rc;
}

void rp_spill_close(rp_spill *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    s->size = 0;
}
