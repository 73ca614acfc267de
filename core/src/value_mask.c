/*
 * Data masking per value (value_mask.h). Digits are the ASCII digits 0-9 only:
 * every byte of a multi-byte UTF-8 character is >= 0x80, so other characters
 * pass untouched and the text stays valid UTF-8 of the same length.
 */
#include "value_mask.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "host.h"
/* one SHA-256 for the core and the mask transform plugin */
#include "../../transforms/mask/sha256.h"

static const char *const mask_names[] = {
    [VP_MASK_NONE] = "",
    [VP_MASK_DIGITS] = "data-masking-digits-mask",
    [VP_MASK_RANDOMIZE] = "data-masking-digits-randomize",
    [VP_MASK_HASH] = "data-masking-hash-mask",
};

const char *value_mask_name(vp_mask m)
{
    return (size_t)m < sizeof mask_names / sizeof mask_names[0] ? mask_names[m] : "";
}

static int is_number(uint32_t type)
{
    return type == SLUICE_TYPE_INT16 || type == SLUICE_TYPE_INT32 || type == SLUICE_TYPE_INT64 ||
           type == SLUICE_TYPE_UINT64 || type == SLUICE_TYPE_DECIMAL;
}

const char *value_mask_refuses(vp_mask m, const sluice_column *c, char *why, size_t whysize)
{
    if (c->type == SLUICE_TYPE_TEXT) {
        if (m == VP_MASK_HASH && c->precision >= 0 && c->precision < VALUE_MASK_HASH_CHARS) {
            snprintf(why, whysize, "the hash has %d characters, more than the %d the column "
                     "holds", VALUE_MASK_HASH_CHARS, (int)c->precision);
            return why;
        }
        return NULL;
    }
    if (m == VP_MASK_RANDOMIZE && is_number(c->type))
        return NULL; /* random digits keep a number a number */
    snprintf(why, whysize, "%s", m == VP_MASK_RANDOMIZE
                                     ? "random digits fit only text, integer and numeric columns"
                             : is_number(c->type) || c->type == SLUICE_TYPE_FLOAT32 ||
                                     c->type == SLUICE_TYPE_FLOAT64
                                 ? "a masked value is no longer a number"
                                 : "the masked text is no value of that type");
    return why;
}

/* ---- random digits ---- */

/* Random bytes from the kernel, a few hundred at a time per thread. */
static _Thread_local unsigned char pool[256];
static _Thread_local size_t pool_left;

/* A uniform random digit in from..9 (from is 0 or 1); -1 when the kernel gives none. */
static int random_digit(int from)
{
    int span = 10 - from;
    for (;;) {
        if (pool_left == 0) {
            size_t got = 0;
            while (got < sizeof pool) {
                ssize_t n = getrandom(pool + got, sizeof pool - got, 0);
                if (n < 0 && errno == EINTR)
                    continue;
                if (n <= 0)
                    return -1;
                got += (size_t)n;
            }
            pool_left = sizeof pool;
        }
        unsigned r = pool[--pool_left];
        if (r < 256u - 256u % (unsigned)span) /* no bias towards the low digits */
            return from + (int)(r % (unsigned)span);
    }
}

/* The largest magnitude an integer type holds, as digits; NULL when unbounded. */
static const char *int_limit(uint32_t type, int negative)
{
    switch (type) {
    case SLUICE_TYPE_INT16: return negative ? "32768" : "32767";
    case SLUICE_TYPE_INT32: return negative ? "2147483648" : "2147483647";
    case SLUICE_TYPE_INT64: return negative ? "9223372036854775808" : "9223372036854775807";
    case SLUICE_TYPE_UINT64: return "18446744073709551615";
    default: return NULL;
    }
}

/* Every digit of s random, into out. In a number the first digit of a
   several-digit integer part is 1-9, so the number keeps its digits (no
   leading zero), and an integer is drawn again until its type holds it. */
static int randomize(const value_policy *vp, const char *s, size_t len, char *out)
{
    int number = is_number(vp->mask_type);
    const char *limit = int_limit(vp->mask_type, len > 0 && s[0] == '-');
    size_t first = 0;
    while (first < len && (s[first] < '0' || s[first] > '9'))
        first++;
    size_t ndigits = 0; /* of an integer, contiguous after the sign */
    while (first + ndigits < len && s[first + ndigits] >= '0' && s[first + ndigits] <= '9')
        ndigits++;
    for (int attempt = 0;; attempt++) {
        for (size_t i = 0; i < len; i++) {
            if (s[i] < '0' || s[i] > '9') {
                out[i] = s[i];
                continue;
            }
            int d = random_digit(number && i == first && ndigits > 1 ? 1 : 0);
            if (d < 0)
                return -1;
            out[i] = (char)('0' + d);
        }
        if (!limit || ndigits != strlen(limit) || memcmp(out + first, limit, ndigits) <= 0)
            return 0;
        if (attempt == 1000) { /* 1 in 10 draws fits at worst: never reached */
            memcpy(out + first, limit, ndigits);
            return 0;
        }
    }
}

/* ---- per value ---- */

static void hash_hex(const char *s, size_t len, char *out)
{
    static const char hex[] = "0123456789ABCDEF";
    uint8_t digest[SHA256_DIGEST];
    sha256(s, len, digest);
    for (size_t i = 0; i < SHA256_DIGEST; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 15];
    }
}

int value_mask_apply(const value_policy *vp, sluice_batch *b, sluice_value *v, char *why,
                     size_t whysize, const char **hint)
{
    if (v->kind == SLUICE_VALUE_NULL || v->kind == SLUICE_VALUE_UNCHANGED)
        return 0;
    if (v->kind == SLUICE_VALUE_NATIVE) { /* the plan asks for text: never here */
        *v = (sluice_value){.kind = SLUICE_VALUE_TEXT, .u.bytes = ""};
        snprintf(why, whysize, "is in the source's native form, which %s cannot read",
                 value_mask_name((vp_mask)vp->mask));
        *hint = "This is a bug: a masked column's table should travel in canonical text.";
        return 1;
    }
    char num[32];
    const char *s = v->u.bytes;
    size_t len = v->len;
    if (v->kind == SLUICE_VALUE_INT) {
        len = (size_t)(vp->mask_type == SLUICE_TYPE_UINT64
                           ? snprintf(num, sizeof num, "%" PRIu64, (uint64_t)v->u.i)
                           : snprintf(num, sizeof num, "%" PRId64, v->u.i));
        s = num;
    }
    size_t outlen = vp->mask == VP_MASK_HASH ? VALUE_MASK_HASH_CHARS : len;
    char *out = host_api()->alloc(b, outlen + 1);
    if (!out)
        return -1;
    switch ((vp_mask)vp->mask) {
    case VP_MASK_HASH: hash_hex(s, len, out); break;
    case VP_MASK_DIGITS:
        for (size_t i = 0; i < len; i++)
            out[i] = s[i] >= '0' && s[i] <= '9' ? vp->mask_char : s[i];
        break;
    case VP_MASK_RANDOMIZE:
        if (randomize(vp, s, len, out) != 0) {
            snprintf(why, whysize, "could not be masked: no random bytes from the kernel "
                     "(getrandom: %s)", strerror(errno));
            *v = (sluice_value){.kind = SLUICE_VALUE_TEXT, .u.bytes = ""}; /* never shown */
            *hint = "Check that the kernel offers getrandom(2).";
            return 1;
        }
        break;
    case VP_MASK_NONE: return 0;
    }
    *v = (sluice_value){.kind = SLUICE_VALUE_TEXT, .len = (uint32_t)outlen, .u.bytes = out};
    return 0;
}
