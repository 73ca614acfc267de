/*
 * SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), small and dependency-free,
 * for the mask transform and the core's data-masking-hash-mask rules
 * (core/src/value_mask.c, through core/src/sha256_shared.c). Tested against the
 * FIPS examples and RFC 4231.
 */
#ifndef MASK_SHA256_H
#define MASK_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_BLOCK 64
#define SHA256_DIGEST 32

typedef struct sha256_ctx {
    uint32_t h[8];
    uint64_t bytes;               /* message bytes absorbed so far */
    uint8_t buf[SHA256_BLOCK];
    size_t buflen;
} sha256_ctx;

void sha256_init(sha256_ctx *c);
void sha256_update(sha256_ctx *c, const void *data, size_t len);
void sha256_final(sha256_ctx *c, uint8_t out[SHA256_DIGEST]);
void sha256(const void *data, size_t len, uint8_t out[SHA256_DIGEST]);

/* An HMAC key, prepared once: the hash states after the inner and outer pads. */
typedef struct hmac_sha256_key {
    sha256_ctx inner, outer;
} hmac_sha256_key;

void hmac_sha256_prepare(hmac_sha256_key *k, const void *key, size_t keylen);
void hmac_sha256_prepared(const hmac_sha256_key *k, const void *msg, size_t len,
                          uint8_t out[SHA256_DIGEST]);
void hmac_sha256(const void *key, size_t keylen, const void *msg, size_t len,
                 uint8_t out[SHA256_DIGEST]);

/* Lower-case hex of n bytes into out (2n characters, no NUL). */
void hex_encode(const uint8_t *in, size_t n, char *out);

#endif
