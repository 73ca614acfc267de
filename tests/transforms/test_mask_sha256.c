/*
 * The mask transform's SHA-256 (FIPS 180-4 examples) and HMAC-SHA256 (all seven
 * test cases of RFC 4231), plus block-boundary lengths and incremental updates.
 */
#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "unit.h"

static void hex_of(const uint8_t *d, size_t n, char *out)
{
    hex_encode(d, n, out);
    out[2 * n] = '\0';
}

static const char *sha_hex(const void *data, size_t len)
{
    static char out[2 * SHA256_DIGEST + 1];
    uint8_t d[SHA256_DIGEST];
    sha256(data, len, d);
    hex_of(d, sizeof d, out);
    return out;
}

static const char *hmac_hex(const void *key, size_t keylen, const void *msg, size_t len,
                            size_t digits)
{
    static char out[2 * SHA256_DIGEST + 1];
    uint8_t d[SHA256_DIGEST];
    hmac_sha256(key, keylen, msg, len, d);
    hex_of(d, sizeof d, out);
    out[digits] = '\0';
    return out;
}

static void fips_vectors(void)
{
    CHECK_STR(sha_hex("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK_STR(sha_hex("abc", 3),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    CHECK_STR(sha_hex(two, strlen(two)),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    char *million = malloc(1000000);
    memset(million, 'a', 1000000);
    CHECK_STR(sha_hex(million, 1000000),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(million);
}

/* Lengths around the 56- and 64-byte padding boundaries (values from Python's hashlib). */
static void boundaries(void)
{
    static const struct {
        size_t n;
        const char *hex;
    } cases[] = {
        {55, "463eb28e72f82e0a96c0a4cc53690c571281131f672aa229e0d45ae59b598b59"},
        {56, "da2ae4d6b36748f2a318f23e7ab1dfdf45acdc9d049bd80e59de82a60895f562"},
        {63, "29af2686fd53374a36b0846694cc342177e428d1647515f078784d69cdb9e488"},
        {64, "fdeab9acf3710362bd2658cdc9a29e8f9c757fcf9811603a8c447cd1d9151108"},
        {65, "4bfd2c8b6f1eec7a2afeb48b934ee4b2694182027e6d0fc075074f2fabb31781"},
        {119, "da18797ed7c3a777f0847f429724a2d8cd5138e6ed2895c3fa1a6d39d18f7ec6"},
        {120, "f52b23db1fbb6ded89ef42a23ce0c8922c45f25c50b568a93bf1c075420bbb7c"},
        {127, "92ca0fa6651ee2f97b884b7246a562fa71250fedefe5ebf270d31c546bfea976"},
        {128, "471fb943aa23c511f6f72f8d1652d9c880cfa392ad80503120547703e56a2be5"},
    };
    uint8_t data[128];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i % 251);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK_STR(sha_hex(data, cases[i].n), cases[i].hex);
        /* the same bytes fed in two pieces, split everywhere */
        for (size_t cut = 0; cut <= cases[i].n; cut++) {
            sha256_ctx c;
            uint8_t d[SHA256_DIGEST];
            char hex[2 * SHA256_DIGEST + 1];
            sha256_init(&c);
            sha256_update(&c, data, cut);
            sha256_update(&c, data + cut, cases[i].n - cut);
            sha256_final(&c, d);
            hex_of(d, sizeof d, hex);
            if (strcmp(hex, cases[i].hex) != 0) {
                CHECK_STR(hex, cases[i].hex);
                break;
            }
        }
    }
}

static void rfc4231(void)
{
    uint8_t k[131], d[50];
    /* 1 */
    memset(k, 0x0b, 20);
    CHECK_STR(hmac_hex(k, 20, "Hi There", 8, 64),
              "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    /* 2: a key shorter than the output */
    const char *m2 = "what do ya want for nothing?";
    CHECK_STR(hmac_hex("Jefe", 4, m2, strlen(m2), 64),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    /* 3 */
    memset(k, 0xaa, 20);
    memset(d, 0xdd, 50);
    CHECK_STR(hmac_hex(k, 20, d, 50, 64),
              "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
    /* 4 */
    for (int i = 0; i < 25; i++)
        k[i] = (uint8_t)(i + 1);
    memset(d, 0xcd, 50);
    CHECK_STR(hmac_hex(k, 25, d, 50, 64),
              "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
    /* 5: truncated to 128 bits */
    memset(k, 0x0c, 20);
    CHECK_STR(hmac_hex(k, 20, "Test With Truncation", 20, 32), "a3b6167473100ee06e0c796c2955552b");
    /* 6: a key larger than the block */
    memset(k, 0xaa, 131);
    const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
    CHECK_STR(hmac_hex(k, 131, m6, strlen(m6), 64),
              "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    /* 7: key and data larger than the block */
    const char *m7 = "This is a test using a larger than block-size key and a larger than "
                     "block-size data. The key needs to be hashed before being used by the HMAC "
                     "algorithm.";
    CHECK_STR(hmac_hex(k, 131, m7, strlen(m7), 64),
              "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
    /* a key of exactly one block is used as it is (Python's hmac) */
    memset(k, 'k', 64);
    CHECK_STR(hmac_hex(k, 64, "block-size key", 14, 64),
              "3639ed45f96410ae1abf821aaf15a4e616209464f7e06fb79435d35e485bd3c2");
    /* a prepared key gives the same results, many times over */
    hmac_sha256_key pk;
    hmac_sha256_prepare(&pk, "Jefe", 4);
    for (int i = 0; i < 3; i++) {
        uint8_t out[SHA256_DIGEST];
        char hex[2 * SHA256_DIGEST + 1];
        hmac_sha256_prepared(&pk, m2, strlen(m2), out);
        hex_of(out, sizeof out, hex);
        CHECK_STR(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }
}

int main(void)
{
    fips_vectors();
    boundaries();
    rfc4231();
    return unit_done();
}
