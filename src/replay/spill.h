/*
 * spill.h — the temporary files of a replay: what a run cannot hold in
 * memory (the sorted runs of a trace that is out of time order, the keys
 * it retired) goes to a file and is read back at offsets.
 *
 * A file is made under TMPDIR (else /tmp) through the cleanup module
 * (cleanup.h) and removed from its directory at once: the descriptor
 * keeps it alive while the run reads it, and nothing is left behind
 * whatever ends the process, SIGKILL included.  Its space is the disk's,
 * not the run's memory.
 *
 * Ownership: a spill owns its descriptor; rp_spill_close releases it.
 */
#ifndef RP_SPILL_H
#define RP_SPILL_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct rp_spill {
    int fd;            /* -1 when closed */
    uint64_t size;     /* bytes written so far: where the next append goes */
    const char *what;  /* what it holds, for messages (static) */
} rp_spill;

/* Makes an empty temporary file; `what` says what it will hold ("the
 * sorted trace") in the message of an error (RB_EINTERNAL, exit 3). */
rb_code rp_spill_open(rp_spill *s, const char *what, rb_error *err);

/* Appends n bytes; *offset (may be NULL) gets where they start. */
rb_code rp_spill_append(rp_spill *s, const void *data, size_t n, uint64_t *offset, rb_error *err);

/* Reads n bytes at offset; fewer (the end of the file) is an error. */
rb_code rp_spill_read(const rp_spill *s, uint64_t offset, void *buf, size_t n, rb_error *err);

/* Reads up to n bytes at offset into buf; *got tells how many. */
rb_code rp_spill_read_some(const rp_spill *s, uint64_t offset, void *buf, size_t n, size_t *got, rb_error *err);

void rp_spill_close(rp_spill *s);

#endif
