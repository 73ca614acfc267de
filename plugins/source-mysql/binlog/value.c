/* One column value of a row image, by its type and TABLE_MAP metadata. */
#include "mybl_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#define NEED(n, what)                                                                      \
    do {                                                                                   \
        if (rd_left(r) < (size_t)(n))                                                      \
            return bl_fail(err, w, "the value needs %zu bytes (%s) but %zu remain in the " \
                           "row image", (size_t)(n), what, rd_left(r));                    \
    } while (0)

/* Text in dec->text: rows.c fixes the pointer once the row is done. */
static void text_start(mybl_decoder *dec, mybl_value *v, uint8_t kind)
{
    v->kind = kind;
    v->i = (int64_t)dec->text.len;
    v->s.ptr = NULL;
}

static void text_end(mybl_decoder *dec, mybl_value *v)
{
    v->s.len = dec->text.len - (size_t)v->i;
    buf_addc(&dec->text, '\0'); /* each value NUL-terminated, for convenience */
}

static void view_value(mybl_value *v, uint8_t kind, const uint8_t *p, size_t n)
{
    v->kind = kind;
    v->s = (mybl_str){(const char *)p, n};
    if (!v->s.ptr)
        v->s.ptr = "";
}

static void uuid_text(const uint8_t *rec, mybl_buf *b)
{
    uint8_t m[16];
    /* MariaDB keeps RFC 4122 version 1-5 UUIDs in its record with the five
       groups swapped (node, clock, time-high, time-mid, time-low) so that
       time-based UUIDs sort by time; other UUIDs are stored as they are. */
    int swapped = (rec[8] >> 4) >= 1 && (rec[8] >> 4) <= 5 && (rec[6] & 0x80);
    if (swapped) {
        memcpy(m, rec + 12, 4);
        memcpy(m + 4, rec + 10, 2);
        memcpy(m + 6, rec + 8, 2);
        memcpy(m + 8, rec + 6, 2);
        memcpy(m + 10, rec, 6);
    } else {
        memcpy(m, rec, 16);
    }
    for (int i = 0; i < 16; i++)
        buf_addf(b, "%s%02x", i == 4 || i == 6 || i == 8 || i == 10 ? "-" : "", m[i]);
}

/* A string-like value: text, converted text, bytes, or a MariaDB data type
   the caller named (UUID, INET6, INET4). fixed: CHAR/BINARY's byte length. */
static int string_value(mybl_decoder *dec, const mybl_where *w, const mybl_column *c,
                        const uint8_t *p, size_t n, size_t fixed, mybl_value *v,
                        mybl_error *err)
{
    uint32_t h = c->hint;
    if (h & (MYBL_HINT_UUID | MYBL_HINT_INET6 | MYBL_HINT_INET4)) {
        size_t want = h & MYBL_HINT_INET4 ? 4 : 16;
        uint8_t full[16] = {0};
        if (n > want)
            return bl_fail(err, w, "a %zu-byte value where %zu bytes were expected", n, want);
        memcpy(full, p, n); /* the server strips trailing zero bytes */
        text_start(dec, v, MYBL_V_TEXT);
        if (h & MYBL_HINT_UUID) {
            uuid_text(full, &dec->text);
        } else {
            char addr[INET6_ADDRSTRLEN];
            inet_ntop(h & MYBL_HINT_INET4 ? AF_INET : AF_INET6, full, addr, sizeof addr);
            buf_add(&dec->text, addr, strlen(addr));
        }
        text_end(dec, v);
        return 0;
    }
    int cls = h & MYBL_HINT_BINARY ? 3 : h & MYBL_HINT_LATIN1 ? 2 : h & MYBL_HINT_TEXT ? 1
            : c->real_type == MYBL_T_GEOMETRY ? 3 : bl_collation_class(c->collation);
    if (cls == 3 && fixed > n) { /* BINARY(n): give back the zero padding SELECT shows */
        text_start(dec, v, MYBL_V_BYTES);
        buf_add(&dec->text, p, n);
        for (size_t i = n; i < fixed; i++)
            buf_addc(&dec->text, '\0');
        text_end(dec, v);
    } else if (cls == 3) {
        view_value(v, MYBL_V_BYTES, p, n);
    } else if (cls == 2) {
        text_start(dec, v, MYBL_V_TEXT);
        bl_latin1_to_utf8(p, n, &dec->text);
        text_end(dec, v);
    } else {
        view_value(v, MYBL_V_TEXT, p, n);
        if (cls == 0)
            v->flags |= MYBL_VF_CHARSET;
    }
    return 0;
}

static void add_label(mybl_decoder *dec, const mybl_column *c, mybl_str s)
{
    if (bl_collation_class(c->collation) == 2)
        bl_latin1_to_utf8((const uint8_t *)s.ptr, s.len, &dec->text);
    else
        buf_add(&dec->text, s.ptr, s.len);
}

static int enum_set(mybl_decoder *dec, const mybl_where *w, const mybl_column *c, mybl_rd *r,
                    mybl_value *v, mybl_error *err)
{
    NEED(c->meta, "the index or bitmask");
    uint64_t x;
    rd_le(r, c->meta, &x);
    text_start(dec, v, MYBL_V_TEXT);
    if (!c->labels) {
        v->flags |= c->real_type == MYBL_T_ENUM ? MYBL_VF_ENUM_INDEX : MYBL_VF_SET_BITS;
        buf_addf(&dec->text, "%llu", (unsigned long long)x);
    } else if (c->real_type == MYBL_T_ENUM) {
        if (x > c->nlabels)
            return bl_fail(err, w, "ENUM index %llu but the column has %u labels",
                           (unsigned long long)x, c->nlabels);
        if (x > 0) /* 0 is the '' of an invalid value */
            add_label(dec, c, c->labels[x - 1]);
    } else {
        if (c->nlabels < 64 && (x >> c->nlabels) != 0)
            return bl_fail(err, w, "SET bitmask %llx has bits beyond its %u labels",
                           (unsigned long long)x, c->nlabels);
        int first = 1;
        for (uint32_t i = 0; i < c->nlabels && i < 64; i++)
            if ((x >> i) & 1) {
                if (!first)
                    buf_addc(&dec->text, ',');
                add_label(dec, c, c->labels[i]);
                first = 0;
            }
    }
    text_end(dec, v);
    return 0;
}

static int integer(const mybl_where *w, const mybl_column *c, mybl_rd *r, size_t n,
                   mybl_value *v, mybl_error *err)
{
    NEED(n, "the integer");
    uint64_t x;
    rd_le(r, n, &x);
    if (c->is_unsigned) {
        v->kind = MYBL_V_UINT;
        v->u = x;
    } else {
        unsigned shift = (unsigned)(64 - 8 * n);
        v->kind = MYBL_V_INT;
        v->i = n == 8 ? (int64_t)x : (int64_t)(x << shift) >> shift;
    }
    return 0;
}

static int length_prefixed(const mybl_where *w, mybl_rd *r, size_t prefix, size_t max,
                           const uint8_t **p, size_t *n, mybl_error *err)
{
    uint64_t len;
    NEED(prefix, "the length prefix");
    rd_le(r, prefix, &len);
    if (max && len > max)
        return bl_fail(err, w, "a length of %llu bytes, more than the column's %zu",
                       (unsigned long long)len, max);
    NEED(len, "the string");
    rd_bytes(r, (size_t)len, p);
    *n = (size_t)len;
    return 0;
}

int bl_value(mybl_decoder *dec, const mybl_where *w, const mybl_column *c, mybl_rd *r,
             mybl_value *v, mybl_error *err)
{
    const uint8_t *p = NULL; /* set by length_prefixed; the compiler cannot see it at -O3 */
    size_t n = 0;
    int zero = 0;
    switch (c->type) {
    case MYBL_T_TINY: return integer(w, c, r, 1, v, err);
    case MYBL_T_SHORT: return integer(w, c, r, 2, v, err);
    case MYBL_T_INT24: return integer(w, c, r, 3, v, err);
    case MYBL_T_LONG: return integer(w, c, r, 4, v, err);
    case MYBL_T_LONGLONG: return integer(w, c, r, 8, v, err);
    case MYBL_T_NULL:
        v->kind = MYBL_V_NULL;
        return 0;
    case MYBL_T_FLOAT: {
        NEED(4, "the FLOAT");
        uint32_t bits = (uint32_t)get_le(r->p, 4);
        float f;
        memcpy(&f, &bits, 4);
        r->p += 4;
        text_start(dec, v, MYBL_V_TEXT);
        bl_float_text(f, 1, &dec->text);
        text_end(dec, v);
        return 0;
    }
    case MYBL_T_DOUBLE: {
        NEED(8, "the DOUBLE");
        uint64_t bits = get_le(r->p, 8);
        double d;
        memcpy(&d, &bits, 8);
        r->p += 8;
        text_start(dec, v, MYBL_V_TEXT);
        bl_float_text(d, 0, &dec->text);
        text_end(dec, v);
        return 0;
    }
    case MYBL_T_NEWDECIMAL:
        n = bl_decimal_size(c->meta, c->meta2);
        NEED(n, "the packed decimal");
        text_start(dec, v, MYBL_V_TEXT);
        if (bl_decimal_text(r->p, c->meta, c->meta2, &dec->text) != 0)
            return bl_fail(err, w, "a digit group of the packed decimal is over 999999999");
        r->p += n;
        text_end(dec, v);
        return 0;
    case MYBL_T_BIT: {
        unsigned bits = c->meta2 * 8u + c->meta;
        n = (bits + 7) / 8;
        NEED(n, "the bits");
        uint64_t x = get_be(r->p, n);
        r->p += n;
        text_start(dec, v, MYBL_V_TEXT);
        for (unsigned i = bits; i > 0; i--)
            buf_addc(&dec->text, (char)('0' + ((x >> (i - 1)) & 1)));
        text_end(dec, v);
        return 0;
    }
    case MYBL_T_YEAR:
        NEED(1, "the YEAR");
        text_start(dec, v, MYBL_V_TEXT);
        buf_addf(&dec->text, "%04u", *r->p ? 1900u + *r->p : 0u);
        r->p++;
        text_end(dec, v);
        return 0;
    case MYBL_T_DATE:
    case MYBL_T_NEWDATE:
        NEED(3, "the DATE");
        text_start(dec, v, MYBL_V_TEXT);
        bl_date_text((uint32_t)get_le(r->p, 3), &dec->text, &zero);
        r->p += 3;
        break;
    case MYBL_T_TIME2:
        NEED(3 + bl_frac_bytes(c->meta), "the TIME");
        text_start(dec, v, MYBL_V_TEXT);
        bl_time2_text(r->p, c->meta, &dec->text);
        r->p += 3 + bl_frac_bytes(c->meta);
        break;
    case MYBL_T_DATETIME2:
        NEED(5 + bl_frac_bytes(c->meta), "the DATETIME");
        text_start(dec, v, MYBL_V_TEXT);
        bl_datetime2_text(r->p, c->meta, &dec->text, &zero);
        r->p += 5 + bl_frac_bytes(c->meta);
        break;
    case MYBL_T_TIMESTAMP2:
        NEED(4 + bl_frac_bytes(c->meta), "the TIMESTAMP");
        text_start(dec, v, MYBL_V_TEXT);
        bl_timestamp2_text(r->p, c->meta, &dec->text, &zero);
        r->p += 4 + bl_frac_bytes(c->meta);
        break;
    case MYBL_T_TIMESTAMP: { /* pre-5.6 format: seconds, little-endian */
        NEED(4, "the TIMESTAMP");
        uint8_t be[4] = {r->p[3], r->p[2], r->p[1], r->p[0]};
        text_start(dec, v, MYBL_V_TEXT);
        bl_timestamp2_text(be, 0, &dec->text, &zero);
        r->p += 4;
        break;
    }
    case MYBL_T_TIME: {
        NEED(3, "the TIME");
        uint32_t x = (uint32_t)get_le(r->p, 3);
        r->p += 3;
        text_start(dec, v, MYBL_V_TEXT);
        bl_old_time_text((int32_t)(x << 8) >> 8, &dec->text);
        break;
    }
    case MYBL_T_DATETIME:
        NEED(8, "the DATETIME");
        text_start(dec, v, MYBL_V_TEXT);
        bl_old_datetime_text(get_le(r->p, 8), &dec->text, &zero);
        r->p += 8;
        break;
    case MYBL_T_VARCHAR:
    case MYBL_T_VAR_STRING:
        if (length_prefixed(w, r, c->meta < 256 ? 1 : 2, c->meta, &p, &n, err) != 0)
            return -1;
        return string_value(dec, w, c, p, n, 0, v, err);
    case MYBL_T_STRING:
    case MYBL_T_ENUM:
    case MYBL_T_SET:
        if (c->real_type == MYBL_T_ENUM || c->real_type == MYBL_T_SET)
            return enum_set(dec, w, c, r, v, err);
        if (length_prefixed(w, r, c->meta2 < 256 ? 1 : 2, c->meta2, &p, &n, err) != 0)
            return -1;
        return string_value(dec, w, c, p, n, c->meta2, v, err);
    case MYBL_T_BLOB: case MYBL_T_TINY_BLOB: case MYBL_T_MEDIUM_BLOB: case MYBL_T_LONG_BLOB:
    case MYBL_T_GEOMETRY:
        if (length_prefixed(w, r, c->meta, 0, &p, &n, err) != 0)
            return -1;
        return string_value(dec, w, c, p, n, 0, v, err);
    case MYBL_T_JSON: {
        if (length_prefixed(w, r, c->meta, 0, &p, &n, err) != 0)
            return -1;
        const char *why = NULL;
        text_start(dec, v, MYBL_V_TEXT);
        v->flags |= MYBL_VF_JSON;
        if (bl_json_text(p, n, &dec->text, &why) != 0)
            return bl_fail(err, w, "binary JSON: %s", why ? why : "malformed");
        text_end(dec, v);
        return 0;
    }
    default:
        return bl_fail(err, w, "type code %u has no row decoder", c->type);
    }
    text_end(dec, v);
    if (zero)
        v->flags |= MYBL_VF_ZERO_DATE;
    return 0;
}
