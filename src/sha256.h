/*
 * sha256.h — SHA-256 digests as lowercase hex, through libcrypto.
 */
#ifndef RB_SHA256_H
#define RB_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define RB_SHA256_HEX_LEN 64
#define RB_SHA256_LEN 32

typedef struct rb_sha256 rb_sha256;

/* Incremental hashing: new, update any number of times, then final writes
 * 64 hex digits and a NUL into hex and frees the context. */
rb_sha256 *rb_sha256_new(void);
void rb_sha256_update(rb_sha256 *h, const void *data, size_t len);
void rb_sha256_final(rb_sha256 *h, char hex[RB_SHA256_HEX_LEN + 1]);

/* Finishes the digest as 32 raw bytes and starts h over, so that one
 * context hashes many short records (the rows of a table) without a new
 * context each. */
void rb_sha256_digest_restart(rb_sha256 *h, unsigned char out[RB_SHA256_LEN]);

/* Hashes the file at path; *bytes gets its size.  Errors name the path. */
rb_code rb_sha256_file(const char *path, char hex[RB_SHA256_HEX_LEN + 1], uint64_t *bytes,
                       rb_error *err);

/* One-shot digest of a buffer. */
void rb_sha256_hex(const void *data, size_t len, char hex[RB_SHA256_HEX_LEN + 1]);

#endif
