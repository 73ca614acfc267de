/*
 * A value's comparable form for `sluice validate`. Both sides arrive in
 * canonical text, but a canonical type may be spelled several ways for one
 * value: the source's rows come from the mapping chain (MySQL's `1` for a
 * boolean, `12.50` for a decimal, `2024-01-01 10:00:00` for a UTC timestamp,
 * JSON with its keys in the order the source kept), the target's from
 * PostgreSQL's output (`t`, `12.5` in a numeric without scale,
 * `2024-01-01 10:00:00+00`, jsonb). Each type's spellings of one value are made
 * one here, and nothing else: two values that differ stay different.
 */
#include "validate.h"

#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *keep(arena *a, const char *p, size_t n, uint32_t *len)
{
    *len = (uint32_t)n;
    return arena_strndup(a, p, n);
}

static int word_is(const char *p, size_t n, const char *w)
{
    return strlen(w) == n && strncasecmp(p, w, n) == 0;
}

static const char *boolean(arena *a, const char *p, size_t n, uint32_t *len)
{
    static const char *const yes[] = {"t", "true", "1", "y", "yes", "on"};
    static const char *const no[] = {"f", "false", "0", "n", "no", "off"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (word_is(p, n, yes[i]))
            return keep(a, "t", 1, len);
        if (word_is(p, n, no[i]))
            return keep(a, "f", 1, len);
    }
    return keep(a, p, n, len);
}

/* Exact decimal text: no '+', no leading zeros, no trailing fraction zeros, no "-0". */
static const char *decimal(arena *a, const char *p, size_t n, uint32_t *len)
{
    size_t i = 0;
    int neg = 0;
    if (i < n && (p[i] == '+' || p[i] == '-'))
        neg = p[i++] == '-';
    size_t int_start = i;
    while (i < n && isdigit((unsigned char)p[i]))
        i++;
    size_t int_end = i, frac_start = i, frac_end = i;
    if (i < n && p[i] == '.') {
        frac_start = ++i;
        while (i < n && isdigit((unsigned char)p[i]))
            i++;
        frac_end = i;
    }
    if (i != n || (int_end == int_start && frac_end == frac_start))
        return keep(a, p, n, len); /* NaN, exponents: as they are */
    while (int_start + 1 < int_end && p[int_start] == '0')
        int_start++;
    while (frac_end > frac_start && p[frac_end - 1] == '0')
        frac_end--;
    char *out = arena_alloc(a, n + 3);
    if (!out)
        return NULL;
    size_t o = 0;
    int zero = 1;
    for (size_t k = int_start; k < int_end; k++)
        zero &= p[k] == '0';
    zero &= frac_end == frac_start;
    if (neg && !zero)
        out[o++] = '-';
    if (int_end == int_start)
        out[o++] = '0';
    memcpy(out + o, p + int_start, int_end - int_start);
    o += int_end - int_start;
    if (frac_end > frac_start) {
        out[o++] = '.';
        memcpy(out + o, p + frac_start, frac_end - frac_start);
        o += frac_end - frac_start;
    }
    out[o] = '\0';
    *len = (uint32_t)o;
    return out;
}

/* A float as the shortest text its own width reads back (float4 as float4). */
static const char *floating(arena *a, const char *p, size_t n, int single, uint32_t *len)
{
    char buf[64], *end;
    if (n == 0 || n >= sizeof buf)
        return keep(a, p, n, len);
    memcpy(buf, p, n);
    buf[n] = '\0';
    double d = single ? (double)strtof(buf, &end) : strtod(buf, &end);
    if (*end)
        return keep(a, p, n, len);
    if (isnan(d))
        return keep(a, "NaN", 3, len);
    if (isinf(d))
        return d > 0 ? keep(a, "Infinity", 8, len) : keep(a, "-Infinity", 9, len);
    if (d == 0)
        d = 0; /* -0 prints as 0 */
    for (int digits = single ? 6 : 15; digits <= 17; digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, d);
        if (single ? strtof(buf, NULL) == (float)d : strtod(buf, NULL) == d)
            break;
    }
    return keep(a, buf, strlen(buf), len);
}

/* Dates and times: 'T' as ' ', no trailing fraction zeros, a UTC offset left out
   (both sides print in UTC: source-pg and sink-pg set TimeZone, MySQL's session
   is UTC). */
static const char *temporal(arena *a, const char *p, size_t n, uint32_t *len)
{
    char *out = arena_alloc(a, n + 1);
    if (!out)
        return NULL;
    memcpy(out, p, n);
    out[n] = '\0';
    if (n > 10 && out[10] == 'T')
        out[10] = ' ';
    static const char *const utc[] = {"+00:00", "+00", "Z"};
    for (size_t i = 0; i < sizeof utc / sizeof utc[0]; i++) {
        size_t u = strlen(utc[i]);
        if (n > u + 8 && strcmp(out + n - u, utc[i]) == 0) {
            n -= u;
            out[n] = '\0';
            break;
        }
    }
    char *dot = memchr(out, '.', n);
    if (dot) {
        size_t end = (size_t)(dot - out) + 1;
        while (end < n && isdigit((unsigned char)out[end]))
            end++;
        size_t last = end;
        while (last > (size_t)(dot - out) + 1 && out[last - 1] == '0')
            last--;
        if (last == (size_t)(dot - out) + 1)
            last--; /* the '.' goes too */
        memmove(out + last, out + end, n - end + 1);
        n -= end - last;
    }
    *len = (uint32_t)n;
    return out;
}

static const char *lower(arena *a, const char *p, size_t n, uint32_t *len)
{
    char *out = arena_alloc(a, n + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++)
        out[i] = (char)tolower((unsigned char)p[i]);
    out[n] = '\0';
    *len = (uint32_t)n;
    return out;
}

/* A JSON number token as [-]DIGITSeEXP, without leading or trailing zeros (zero is
   "0"), so equal values compare equal whatever their spelling: 1.50 and 1.5, 1e+300
   and a 301-digit integer (PostgreSQL's jsonb prints numbers as numeric). Appends
   to out; returns the token's length in p, 0 when p holds no number. */
static size_t number_canon(const char *p, size_t n, char *out, size_t *olen, size_t cap)
{
    size_t i = 0, digits_at = *olen + 1;
    int neg = i < n && p[i] == '-';
    i += (size_t)neg;
    long exp = 0;
    int seen = 0, frac = 0;
    size_t nd = 0;
    for (; i < n && (isdigit((unsigned char)p[i]) || (p[i] == '.' && !frac)); i++) {
        if (p[i] == '.') {
            frac = 1;
            continue;
        }
        seen = 1;
        exp -= frac;
        if ((nd || p[i] != '0') && digits_at + nd < cap)
            out[digits_at + nd++] = p[i];
    }
    if (!seen)
        return 0;
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        char *end;
        exp += strtol(p + i + 1, &end, 10);
        i = (size_t)(end - p);
    }
    while (nd && out[digits_at + nd - 1] == '0') {
        nd--;
        exp++;
    }
    out[*olen] = neg && nd ? '-' : '+';
    if (!nd)
        out[digits_at + nd++] = '0', exp = 0;
    *olen = digits_at + nd;
    *olen += (size_t)snprintf(out + *olen, cap - *olen, "e%ld", exp);
    return i;
}

/* The JSON text with every number outside strings replaced by a string holding a NUL
   and its canonical form, so jansson (which turns numbers into int64 / double,
   refusing larger integers and rounding long decimals) keeps them exact. NULL when
   out of memory. */
static char *numbers_as_strings(const char *p, size_t n, size_t *out_len)
{
    size_t cap = 2 * n + 64, o = 0;
    char *out = malloc(cap);
    int in_string = 0;
    for (size_t i = 0; out && i < n;) {
        size_t token = 0; /* a number's canonical form is at most its length + 32 */
        while (i + token < n && strchr("+-.eE0123456789", p[i + token]))
            token++;
        while (cap - o < token + 64) {
            char *more = realloc(out, cap *= 2);
            if (!more) {
                free(out);
                return NULL;
            }
            out = more;
        }
        char c = p[i];
        if (in_string) {
            out[o++] = c;
            if (c == '\\' && i + 1 < n)
                out[o++] = p[++i];
            else if (c == '"')
                in_string = 0;
            i++;
        } else if (c == '-' || isdigit((unsigned char)c)) {
            memcpy(out + o, "\"\\u0000", 7);
            o += 7;
            size_t used = number_canon(p + i, n - i, out, &o, cap - 2);
            out[o++] = '"';
            i += used ? used : 1;
        } else {
            in_string = c == '"';
            out[o++] = c;
            i++;
        }
    }
    if (out)
        *out_len = o;
    return out;
}

/* JSON with sorted keys, no spaces and numbers by value; text that does not parse
   stays as it is. */
static const char *json(arena *a, const char *p, size_t n, uint32_t *len)
{
    json_error_t e;
    size_t m;
    char *exact = numbers_as_strings(p, n, &m);
    json_t *j = exact ? json_loadb(exact, m, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e) : NULL;
    free(exact);
    if (!j)
        return keep(a, p, n, len);
    char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    json_decref(j);
    if (!text)
        return keep(a, p, n, len);
    const char *out = keep(a, text, strlen(text), len);
    free(text);
    return out;
}

/* char(n) pads with spaces at PostgreSQL and strips them at MySQL. */
static int blank_padded(const sluice_column *c)
{
    const char *t = c->source_type.ptr;
    size_t n = c->source_type.len;
    return (n >= 5 && strncasecmp(t, "char(", 5) == 0) ||
           (n >= 10 && strncasecmp(t, "character(", 10) == 0) || word_is(t, n, "bpchar") ||
           word_is(t, n, "character") || word_is(t, n, "char");
}

const char *vcanon(arena *a, const sluice_column *c, const sluice_value *v, uint32_t *len)
{
    char num[32];
    const char *p;
    size_t n;
    if (v->kind == SLUICE_VALUE_INT) {
        n = (size_t)snprintf(num, sizeof num, "%" PRId64, v->u.i);
        p = num;
    } else if (v->kind == SLUICE_VALUE_TEXT) {
        p = v->u.bytes;
        n = v->len;
    } else {
        *len = 0;
        return NULL; /* NULL (a snapshot sends every value; canonical text, never native) */
    }
    switch (c->type) {
    case SLUICE_TYPE_BOOL: return boolean(a, p, n, len);
    case SLUICE_TYPE_INT16:
    case SLUICE_TYPE_INT32:
    case SLUICE_TYPE_INT64:
    case SLUICE_TYPE_UINT64:
    case SLUICE_TYPE_DECIMAL: return decimal(a, p, n, len);
    case SLUICE_TYPE_FLOAT32: return floating(a, p, n, 1, len);
    case SLUICE_TYPE_FLOAT64: return floating(a, p, n, 0, len);
    case SLUICE_TYPE_DATE:
    case SLUICE_TYPE_TIME:
    case SLUICE_TYPE_TIMESTAMP:
    case SLUICE_TYPE_TIMESTAMPTZ: return temporal(a, p, n, len);
    case SLUICE_TYPE_BYTES:
    case SLUICE_TYPE_UUID: return lower(a, p, n, len);
    case SLUICE_TYPE_JSON: return json(a, p, n, len);
    case SLUICE_TYPE_TEXT:
        if (blank_padded(c))
            while (n > 0 && p[n - 1] == ' ')
                n--;
        return keep(a, p, n, len);
    default: return keep(a, p, n, len);
    }
}
