/* MySQL 8's binary JSON (type 245) to JSON text as MySQL prints it:
   {"a": 1, "b": [true, null]}. MariaDB stores JSON as text and never sends
   this. Written from MySQL's documented format (json_binary.h); verified
   only against crafted bytes. */
#include "mybl_int.h"

#include <stdio.h>
#include <string.h>

#define DEPTH_MAX 100

enum { J_SOBJ, J_LOBJ, J_SARR, J_LARR, J_LIT, J_I16, J_U16, J_I32, J_U32, J_I64, J_U64,
       J_DOUBLE, J_STRING, J_OPAQUE = 0x0f };

typedef struct jctx {
    mybl_buf *b;
    const char **why;
} jctx;

static int bad(jctx *j, const char *why)
{
    *j->why = why;
    return -1;
}

/* MySQL's variable-length length: 7 bits a byte, low bits first. */
static int varlen(const uint8_t *p, size_t n, size_t *pos, uint32_t *out)
{
    uint64_t v = 0;
    for (int i = 0; i < 5; i++) {
        if (*pos >= n)
            return -1;
        uint8_t c = p[(*pos)++];
        v |= (uint64_t)(c & 0x7f) << (7 * i);
        if (!(c & 0x80)) {
            if (v > UINT32_MAX)
                return -1;
            *out = (uint32_t)v;
            return 0;
        }
    }
    return -1;
}

static void quoted(jctx *j, const uint8_t *s, size_t n)
{
    buf_addc(j->b, '"');
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        switch (c) {
        case '"': buf_add(j->b, "\\\"", 2); break;
        case '\\': buf_add(j->b, "\\\\", 2); break;
        case '\n': buf_add(j->b, "\\n", 2); break;
        case '\r': buf_add(j->b, "\\r", 2); break;
        case '\t': buf_add(j->b, "\\t", 2); break;
        case '\b': buf_add(j->b, "\\b", 2); break;
        case '\f': buf_add(j->b, "\\f", 2); break;
        default:
            if (c < 0x20)
                buf_addf(j->b, "\\u%04x", c);
            else
                buf_addc(j->b, (char)c);
        }
    }
    buf_addc(j->b, '"');
}

static int opaque(jctx *j, uint8_t ftype, const uint8_t *p, size_t n)
{
    int zero;
    if (ftype == MYBL_T_NEWDECIMAL && n >= 2 && bl_decimal_size(p[0], p[1]) &&
        bl_decimal_size(p[0], p[1]) <= n - 2)
        return bl_decimal_text(p + 2, p[0], p[1], j->b) == 0 ? 0 : bad(j, "bad decimal");
    if ((ftype == MYBL_T_DATE || ftype == MYBL_T_DATETIME || ftype == MYBL_T_TIMESTAMP ||
         ftype == MYBL_T_TIME) && n == 8) {
        int64_t packed = (int64_t)get_le(p, 8);
        buf_addc(j->b, '"');
        if (ftype == MYBL_T_TIME) {
            int neg = packed < 0;
            uint64_t a = neg ? (uint64_t)-packed : (uint64_t)packed, hms = a >> 24;
            buf_addf(j->b, "%s%02u:%02u:%02u.%06u", neg ? "-" : "",
                     (unsigned)((hms >> 12) % 1024), (unsigned)((hms >> 6) % 64),
                     (unsigned)(hms % 64), (unsigned)(a % (1 << 24)));
        } else {
            uint64_t a = packed < 0 ? 0 : (uint64_t)packed, ymdhms = a >> 24;
            uint8_t be[5];
            uint64_t v = ymdhms + UINT64_C(0x8000000000);
            for (int i = 4; i >= 0; i--, v >>= 8)
                be[i] = (uint8_t)v;
            mybl_buf t = {0};
            bl_datetime2_text(be, 0, &t, &zero);
            if (t.failed)
                return bad(j, "out of memory");
            buf_add(j->b, t.data, ftype == MYBL_T_DATE ? 10 : t.len);
            buf_free(&t);
            if (ftype != MYBL_T_DATE)
                buf_addf(j->b, ".%06u", (unsigned)(a % (1 << 24)));
        }
        buf_addc(j->b, '"');
        return 0;
    }
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    buf_addf(j->b, "\"base64:type%u:", ftype);
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        buf_addc(j->b, b64[v >> 18]);
        buf_addc(j->b, b64[(v >> 12) & 63]);
        buf_addc(j->b, i + 1 < n ? b64[(v >> 6) & 63] : '=');
        buf_addc(j->b, i + 2 < n ? b64[v & 63] : '=');
    }
    buf_addc(j->b, '"');
    return 0;
}

static int value(jctx *j, uint8_t type, const uint8_t *p, size_t n, int depth);

/* An object or array; p/n: its bytes after the type byte. */
static int container(jctx *j, uint8_t type, const uint8_t *p, size_t n, int depth)
{
    int large = type == J_LOBJ || type == J_LARR, obj = type == J_SOBJ || type == J_LOBJ;
    size_t w = large ? 4 : 2;
    if (n < 2 * w)
        return bad(j, "container header cut short");
    uint64_t count = get_le(p, w), size = get_le(p + w, w);
    if (size > n)
        return bad(j, "container larger than its value");
    size_t key_entry = w + 2, val_entry = 1 + w;
    size_t hdr = 2 * w + (obj ? count * key_entry : 0) + count * val_entry;
    if (count > size || hdr > size)
        return bad(j, "container entries overrun it");
    buf_addc(j->b, obj ? '{' : '[');
    for (uint64_t i = 0; i < count; i++) {
        if (i)
            buf_add(j->b, ", ", 2);
        if (obj) {
            const uint8_t *ke = p + 2 * w + i * key_entry;
            uint64_t koff = get_le(ke, w), klen = get_le(ke + w, 2);
            if (koff > size || klen > size - koff)
                return bad(j, "object key overruns the object");
            quoted(j, p + koff, klen);
            buf_add(j->b, ": ", 2);
        }
        const uint8_t *ve = p + 2 * w + (obj ? count * key_entry : 0) + i * val_entry;
        uint8_t vt = ve[0];
        int inlined = vt == J_LIT || vt == J_I16 || vt == J_U16 ||
                      (large && (vt == J_I32 || vt == J_U32));
        if (inlined) {
            if (value(j, vt, ve + 1, w, depth + 1) != 0)
                return -1;
            continue;
        }
        uint64_t off = get_le(ve + 1, w);
        if (off < hdr || off >= size)
            return bad(j, "value offset outside its container");
        if (value(j, vt, p + off, size - off, depth + 1) != 0)
            return -1;
    }
    buf_addc(j->b, obj ? '}' : ']');
    return 0;
}

static int value(jctx *j, uint8_t type, const uint8_t *p, size_t n, int depth)
{
    if (depth > DEPTH_MAX)
        return bad(j, "nested deeper than 100");
    size_t need = 0;
    switch (type) {
    case J_SOBJ: case J_LOBJ: case J_SARR: case J_LARR:
        return container(j, type, p, n, depth);
    case J_LIT: need = 1; break;
    case J_I16: case J_U16: need = 2; break;
    case J_I32: case J_U32: need = 4; break;
    case J_I64: case J_U64: case J_DOUBLE: need = 8; break;
    case J_STRING: case J_OPAQUE: break;
    default: return bad(j, "unknown value type");
    }
    if (n < need)
        return bad(j, "value cut short");
    uint64_t v = need ? get_le(p, need) : 0;
    switch (type) {
    case J_LIT:
        if (p[0] > 2)
            return bad(j, "unknown literal");
        buf_addf(j->b, "%s", p[0] == 0 ? "null" : p[0] == 1 ? "true" : "false");
        return 0;
    case J_I16: buf_addf(j->b, "%d", (int16_t)v); return 0;
    case J_U16: buf_addf(j->b, "%u", (unsigned)(uint16_t)v); return 0;
    case J_I32: buf_addf(j->b, "%d", (int32_t)v); return 0;
    case J_U32: buf_addf(j->b, "%u", (uint32_t)v); return 0;
    case J_I64: buf_addf(j->b, "%lld", (long long)(int64_t)v); return 0;
    case J_U64: buf_addf(j->b, "%llu", (unsigned long long)v); return 0;
    case J_DOUBLE: {
        double d;
        memcpy(&d, &v, 8);
        bl_float_text(d, 0, j->b);
        return 0;
    }
    case J_STRING: {
        size_t pos = 0;
        uint32_t len;
        if (varlen(p, n, &pos, &len) != 0 || len > n - pos)
            return bad(j, "string length overruns the value");
        quoted(j, p + pos, len);
        return 0;
    }
    default: { /* J_OPAQUE */
        size_t pos = 1;
        uint32_t len;
        if (n < 1 || varlen(p, n, &pos, &len) != 0 || len > n - pos)
            return bad(j, "opaque value overruns the value");
        return opaque(j, p[0], p + pos, len);
    }
    }
}

int bl_json_text(const uint8_t *p, size_t n, mybl_buf *b, const char **why)
{
    jctx j = {b, why};
    if (n == 0) { /* an empty value is how MySQL logs a JSON null in some paths */
        buf_add(b, "null", 4);
        return 0;
    }
    return value(&j, p[0], p + 1, n - 1, 0);
}
