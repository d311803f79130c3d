/*
 * sha256.c — SHA-256 through OpenSSL's EVP interface (sha256.h).
 */
#include "sha256.h"

#include <openssl/evp.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "util.h"

struct rb_sha256 {
    EVP_MD_CTX *ctx;
};

rb_sha256 *rb_sha256_new(void)
{
    rb_sha256 *h = rb_xmalloc(sizeof *h);
    h->ctx = EVP_MD_CTX_new();
    if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
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
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(h->ctx, md, &n);
    for (unsigned int i = 0; i < n && i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
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
