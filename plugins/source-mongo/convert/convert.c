/*
 * BSON values to canonical text: relaxed Extended JSON for documents and
 * jsonb columns, the scalar forms for columns of one type (mgconv.h says
 * which form each type takes, and why).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "mgconv.h"

#define MS_PER_DAY 86400000LL

const char *mg_type_name(bson_type_t t)
{
    switch (t) {
    case BSON_TYPE_DOUBLE: return "double";
    case BSON_TYPE_UTF8: return "string";
    case BSON_TYPE_DOCUMENT: return "object";
    case BSON_TYPE_ARRAY: return "array";
    case BSON_TYPE_BINARY: return "binData";
    case BSON_TYPE_UNDEFINED: return "undefined";
    case BSON_TYPE_OID: return "objectId";
    case BSON_TYPE_BOOL: return "bool";
    case BSON_TYPE_DATE_TIME: return "date";
    case BSON_TYPE_NULL: return "null";
    case BSON_TYPE_REGEX: return "regex";
    case BSON_TYPE_DBPOINTER: return "dbPointer";
    case BSON_TYPE_CODE: return "javascript";
    case BSON_TYPE_SYMBOL: return "symbol";
    case BSON_TYPE_CODEWSCOPE: return "javascriptWithScope";
    case BSON_TYPE_INT32: return "int";
    case BSON_TYPE_TIMESTAMP: return "timestamp";
    case BSON_TYPE_INT64: return "long";
    case BSON_TYPE_DECIMAL128: return "decimal";
    case BSON_TYPE_MINKEY: return "minKey";
    case BSON_TYPE_MAXKEY: return "maxKey";
    default: return "unknown";
    }
}

/* ---- numbers and dates ---- */

void mg_double_text(double d, char *buf, size_t size)
{
    if (isnan(d)) {
        snprintf(buf, size, "NaN");
        return;
    }
    if (isinf(d)) {
        snprintf(buf, size, d > 0 ? "Infinity" : "-Infinity");
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            return;
    }
}

typedef struct civil {
    int64_t year;
    unsigned month, day, hour, minute, second, ms;
} civil;

static void split_ms(int64_t ms, civil *c)
{
    int64_t days = ms / MS_PER_DAY, rem = ms % MS_PER_DAY;
    if (rem < 0) {
        rem += MS_PER_DAY;
        days--;
    }
    civil_from_days(days, &c->year, &c->month, &c->day);
    c->hour = (unsigned)(rem / 3600000);
    c->minute = (unsigned)(rem / 60000 % 60);
    c->second = (unsigned)(rem / 1000 % 60);
    c->ms = (unsigned)(rem % 1000);
}

void mg_date_text(int64_t ms, char *buf, size_t size)
{
    civil c;
    split_ms(ms, &c);
    /* PostgreSQL has no year 0: 1 BC is year 0 of the proleptic calendar */
    int bc = c.year <= 0;
    snprintf(buf, size, "%04" PRId64 "-%02u-%02u %02u:%02u:%02u.%03u+00%s",
             bc ? 1 - c.year : c.year, c.month, c.day, c.hour, c.minute, c.second, c.ms,
             bc ? " BC" : "");
}

int mg_date_iso(int64_t ms, char *buf, size_t size)
{
    civil c;
    split_ms(ms, &c);
    if (c.year < 1970 || c.year > 9999)
        return -1;
    snprintf(buf, size, "%04" PRId64 "-%02u-%02uT%02u:%02u:%02u.%03uZ", c.year, c.month, c.day,
             c.hour, c.minute, c.second, c.ms);
    return 0;
}

/* ---- JSON ---- */

static void json_string(sbuf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    sb_put(b, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        sb_put(b, s + run, i - run);
        run = i + 1;
        char esc[7] = {'\\', (char)c, 0};
        switch (c) {
        case '"': case '\\': break;
        case '\n': esc[1] = 'n'; break;
        case '\t': esc[1] = 't'; break;
        case '\r': esc[1] = 'r'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        default:
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            sb_put(b, esc, 6);
            continue;
        }
        sb_put(b, esc, 2);
    }
    sb_put(b, s + run, n - run);
    sb_put(b, "\"", 1);
}

static void json_cstr(sbuf *b, const char *s)
{
    json_string(b, s, strlen(s));
}

static void base64(sbuf *b, const uint8_t *p, uint32_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char out[4];
    for (uint32_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        out[0] = tab[v >> 18 & 63];
        out[1] = tab[v >> 12 & 63];
        out[2] = i + 1 < n ? tab[v >> 6 & 63] : '=';
        out[3] = i + 2 < n ? tab[v & 63] : '=';
        sb_put(b, out, 4);
    }
}

static int json_children(sbuf *b, const bson_iter_t *it, int array);

static void json_oid(sbuf *b, const bson_oid_t *oid)
{
    char hex[25];
    bson_oid_to_string(oid, hex);
    sb_printf(b, "{\"$oid\":\"%s\"}", hex);
}

static void json_double(sbuf *b, double d)
{
    char num[40];
    mg_double_text(d, num, sizeof num);
    if (!isfinite(d) || (d == 0 && signbit(d))) { /* JSON has no form for these */
        sb_printf(b, "{\"$numberDouble\":\"%s\"}", signbit(d) && d == 0 ? "-0.0" : num);
        return;
    }
    sb_put(b, num, strlen(num));
    if (!strpbrk(num, ".e")) /* 3.0 stays a double to a reader of the JSON */
        sb_put(b, ".0", 2);
}

int mg_json_value(sbuf *b, const bson_iter_t *it)
{
    uint32_t len;
    switch (bson_iter_type(it)) {
    case BSON_TYPE_DOUBLE:
        json_double(b, bson_iter_double(it));
        break;
    case BSON_TYPE_UTF8: {
        const char *s = bson_iter_utf8(it, &len);
        json_string(b, s, len);
        break;
    }
    case BSON_TYPE_DOCUMENT:
    case BSON_TYPE_ARRAY:
        if (json_children(b, it, bson_iter_type(it) == BSON_TYPE_ARRAY) != 0)
            return -1;
        break;
    case BSON_TYPE_BINARY: {
        bson_subtype_t sub;
        const uint8_t *data;
        bson_iter_binary(it, &sub, &len, &data);
        sb_printf(b, "{\"$binary\":{\"base64\":\"");
        base64(b, data, len);
        sb_printf(b, "\",\"subType\":\"%02x\"}}", (unsigned)sub);
        break;
    }
    case BSON_TYPE_UNDEFINED:
        sb_printf(b, "{\"$undefined\":true}");
        break;
    case BSON_TYPE_OID:
        json_oid(b, bson_iter_oid(it));
        break;
    case BSON_TYPE_BOOL:
        sb_printf(b, "%s", bson_iter_bool(it) ? "true" : "false");
        break;
    case BSON_TYPE_DATE_TIME: {
        int64_t ms = bson_iter_date_time(it);
        char iso[40];
        if (mg_date_iso(ms, iso, sizeof iso) == 0)
            sb_printf(b, "{\"$date\":\"%s\"}", iso);
        else
            sb_printf(b, "{\"$date\":{\"$numberLong\":\"%" PRId64 "\"}}", ms);
        break;
    }
    case BSON_TYPE_NULL:
        sb_printf(b, "null");
        break;
    case BSON_TYPE_REGEX: {
        const char *options;
        const char *pattern = bson_iter_regex(it, &options);
        sb_printf(b, "{\"$regularExpression\":{\"pattern\":");
        json_cstr(b, pattern);
        sb_printf(b, ",\"options\":");
        json_cstr(b, options ? options : "");
        sb_printf(b, "}}");
        break;
    }
    case BSON_TYPE_DBPOINTER: {
        const char *coll;
        const bson_oid_t *oid;
        bson_iter_dbpointer(it, &len, &coll, &oid);
        sb_printf(b, "{\"$dbPointer\":{\"$ref\":");
        json_string(b, coll, len);
        sb_printf(b, ",\"$id\":");
        json_oid(b, oid);
        sb_printf(b, "}}");
        break;
    }
    case BSON_TYPE_CODE: {
        const char *code = bson_iter_code(it, &len);
        sb_printf(b, "{\"$code\":");
        json_string(b, code, len);
        sb_printf(b, "}");
        break;
    }
    case BSON_TYPE_SYMBOL: {
        const char *sym = bson_iter_symbol(it, &len);
        sb_printf(b, "{\"$symbol\":");
        json_string(b, sym, len);
        sb_printf(b, "}");
        break;
    }
    case BSON_TYPE_CODEWSCOPE: {
        uint32_t scope_len;
        const uint8_t *scope_data;
        const char *code = bson_iter_codewscope(it, &len, &scope_len, &scope_data);
        bson_t scope;
        if (!bson_init_static(&scope, scope_data, scope_len))
            return -1;
        sb_printf(b, "{\"$code\":");
        json_string(b, code, len);
        sb_printf(b, ",\"$scope\":");
        if (mg_json_document(b, &scope) != 0)
            return -1;
        sb_printf(b, "}");
        break;
    }
    case BSON_TYPE_INT32:
        sb_printf(b, "%" PRId32, bson_iter_int32(it));
        break;
    case BSON_TYPE_TIMESTAMP: {
        uint32_t t, i;
        bson_iter_timestamp(it, &t, &i);
        sb_printf(b, "{\"$timestamp\":{\"t\":%" PRIu32 ",\"i\":%" PRIu32 "}}", t, i);
        break;
    }
    case BSON_TYPE_INT64:
        sb_printf(b, "%" PRId64, bson_iter_int64(it));
        break;
    case BSON_TYPE_DECIMAL128: {
        bson_decimal128_t dec;
        char text[BSON_DECIMAL128_STRING];
        bson_iter_decimal128(it, &dec);
        bson_decimal128_to_string(&dec, text);
        sb_printf(b, "{\"$numberDecimal\":\"%s\"}", text);
        break;
    }
    case BSON_TYPE_MINKEY:
        sb_printf(b, "{\"$minKey\":1}");
        break;
    case BSON_TYPE_MAXKEY:
        sb_printf(b, "{\"$maxKey\":1}");
        break;
    default:
        return -1; /* bson_iter_next refuses unknown types before this */
    }
    return b->failed ? -1 : 0;
}

static int json_children(sbuf *b, const bson_iter_t *it, int array)
{
    bson_iter_t child;
    if (!bson_iter_recurse(it, &child))
        return -1;
    sb_put(b, array ? "[" : "{", 1);
    int first = 1;
    while (bson_iter_next(&child)) {
        if (!first)
            sb_put(b, ",", 1);
        first = 0;
        if (!array) {
            json_string(b, bson_iter_key(&child), bson_iter_key_len(&child));
            sb_put(b, ":", 1);
        }
        if (mg_json_value(b, &child) != 0)
            return -1;
    }
    sb_put(b, array ? "]" : "}", 1);
    return b->failed ? -1 : 0;
}

int mg_json_document(sbuf *b, const bson_t *doc)
{
    bson_iter_t it;
    if (!bson_iter_init(&it, doc))
        return -1;
    sb_put(b, "{", 1);
    int first = 1;
    while (bson_iter_next(&it)) {
        if (!first)
            sb_put(b, ",", 1);
        first = 0;
        json_string(b, bson_iter_key(&it), bson_iter_key_len(&it));
        sb_put(b, ":", 1);
        if (mg_json_value(b, &it) != 0)
            return -1;
    }
    sb_put(b, "}", 1);
    return b->failed ? -1 : 0;
}

/* ---- scalar column values ---- */

int mg_value(sbuf *b, const bson_iter_t *it, int as_json, int64_t *i)
{
    bson_type_t t = bson_iter_type(it);
    if (t == BSON_TYPE_NULL || t == BSON_TYPE_UNDEFINED)
        return MG_NULL; /* in a jsonb column too: SQL NULL, not JSON null */
    if (as_json)
        return mg_json_value(b, it) != 0 ? -1 : MG_TEXT;
    uint32_t len;
    char text[64];
    switch (t) {
    case BSON_TYPE_INT32:
        *i = bson_iter_int32(it);
        return MG_INT;
    case BSON_TYPE_INT64:
        *i = bson_iter_int64(it);
        return MG_INT;
    case BSON_TYPE_DOUBLE:
        mg_double_text(bson_iter_double(it), text, sizeof text);
        sb_put(b, text, strlen(text));
        break;
    case BSON_TYPE_UTF8: {
        const char *s = bson_iter_utf8(it, &len);
        sb_put(b, s, len);
        break;
    }
    case BSON_TYPE_SYMBOL: {
        const char *s = bson_iter_symbol(it, &len);
        sb_put(b, s, len);
        break;
    }
    case BSON_TYPE_CODE: {
        const char *s = bson_iter_code(it, &len);
        sb_put(b, s, len);
        break;
    }
    case BSON_TYPE_OID:
        bson_oid_to_string(bson_iter_oid(it), text);
        sb_put(b, text, 24);
        break;
    case BSON_TYPE_BOOL:
        sb_printf(b, "%s", bson_iter_bool(it) ? "true" : "false");
        break;
    case BSON_TYPE_DATE_TIME:
        mg_date_text(bson_iter_date_time(it), text, sizeof text);
        sb_put(b, text, strlen(text));
        break;
    case BSON_TYPE_BINARY: {
        static const char hex[] = "0123456789abcdef";
        bson_subtype_t sub;
        const uint8_t *data;
        bson_iter_binary(it, &sub, &len, &data);
        sb_put(b, "\\x", 2);
        for (uint32_t k = 0; k < len; k++) {
            char pair[2] = {hex[data[k] >> 4], hex[data[k] & 15]};
            sb_put(b, pair, 2);
        }
        break;
    }
    case BSON_TYPE_DECIMAL128: {
        bson_decimal128_t dec;
        char dtext[BSON_DECIMAL128_STRING];
        bson_iter_decimal128(it, &dec);
        bson_decimal128_to_string(&dec, dtext);
        sb_put(b, dtext, strlen(dtext));
        break;
    }
    default: /* documents, arrays and the legacy types: their JSON */
        return mg_json_value(b, it) != 0 ? -1 : MG_TEXT;
    }
    return b->failed ? -1 : MG_TEXT;
}
