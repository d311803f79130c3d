/*
 * sha256.c — SHA-256 through OpenSSL's EVP interface (sha256.h).
 *
 * The algorithm is fetched from OpenSSL's providers once: EVP_sha256()
 * would make every new context look it up again, under a lock (OpenSSL
 * 3), which costs more than hashing a finding's few hundred bytes.  The
 * fetch is made once for all threads (a worker hashes files, worker.h).
 */
#include "sha256.h"

#include <openssl/evp.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "util.h"

struct rb_sha256 {
    EVP_MD_CTX *ctx;
};

static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void free_md(void)
{
    EVP_MD_free(sha256_md);
    sha256_md = NULL;
}

/* Registered after OpenSSL's own exit handler (the fetch sets that up),
 * so run before it. */
static void fetch_md(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    atexit(free_md);
}

/* The algorithm, fetched once; NULL when OpenSSL has none. */
static const EVP_MD *md(void)
{
    pthread_once(&sha256_once, fetch_md);
    return sha256_md;
}

rb_sha256 *rb_sha256_new(void)
{
    rb_sha256 *h = rb_xmalloc(sizeof *h);
    h->ctx = EVP_MD_CTX_new();
    if (!h->ctx || !md() || EVP_DigestInit_ex(h->ctx, md(), NULL) != 1) {
        fprintf(stderr, "rbaudit: cannot initialise SHA-256\n");
        exit(3);
    }
    return h;
}

void rb_sha256_update(rb_sha256 *h, const void *data, size_t len)
{
    EVP_DigestUpdate(h->ctx, data, len);
}

void rb_sha256_final(rb_sha256 *h, char hex[RB_SHA256_HEX_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(h->ctx, digest, &n);
    for (unsigned int i = 0; i < RB_SHA256_LEN; i++) {
        hex[2 * i] = digits[i < n ? digest[i] >> 4 : 0];
        hex[2 * i + 1] = digits[i < n ? digest[i] & 15 : 0];
    }
    hex[RB_SHA256_HEX_LEN] = '\0';
    EVP_MD_CTX_free(h->ctx);
    free(h);
}

void rb_sha256_digest_restart(rb_sha256 *h, unsigned char out[RB_SHA256_LEN])
{
    unsigned int n = 0;
    /* a NULL type restarts with the context's own digest, without looking
     * the algorithm up again (in OpenSSL 3, a lookup takes a lock) */
    if (EVP_DigestFinal_ex(h->ctx, out, &n) != 1 || n != RB_SHA256_LEN ||
        EVP_DigestInit_ex(h->ctx, NULL, NULL) != 1) {
        fprintf(stderr, "rbaudit: SHA-256 failed\n");
        exit(3);
    }
}

void rb_sha256_hex(const void *data, size_t len, char hex[RB_SHA256_HEX_LEN + 1])
{
    rb_sha256 *h = rb_sha256_new();
    rb_sha256_update(h, data, len);
    rb_sha256_final(h, hex);
}

rb_code rb_sha256_file(const char *path, char hex[RB_SHA256_HEX_LEN + 1], uint64_t *bytes,
                       rb_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return rb_error_set(err, RB_EINPUT, "%s: cannot open: %s", path, strerror(errno));
    rb_sha256 *h = rb_sha256_new();
    unsigned char *buf = rb_xmalloc(1 << 16);
    size_t n;
    *bytes = 0;
    while ((n = fread(buf, 1, 1 << 16, f)) > 0) {
        rb_sha256_update(h, buf, n);
        *bytes += n;
    }
    int failed = ferror(f);
    fclose(f);
    free(buf);
    rb_sha256_final(h, hex);
    if (failed)
        return rb_error_set(err, RB_EINPUT, "%s: read error", path);
    return RB_OK;
}
