/*
 * Row filters evaluated in C, on canonical values: numbers compare as exact
 * decimals (a 40-digit numeric compares right), booleans by truth, anything
 * else byte by byte (text in C collation; dates and timestamps in their ISO
 * canonical form sort the same way). Row comparisons (ABI 1.4) compare
 * column by column, as SQL's (a, b) < (x, y).
 */
#include "filter_eval.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_numeric(uint32_t type)
{
    return (type >= SLUICE_TYPE_INT16 && type <= SLUICE_TYPE_DECIMAL);
}

/* A plain decimal: optional sign, digits, optional fraction. */
static int plain_decimal(const char *s, size_t n)
{
    size_t i = 0, digits = 0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
        digits++;
    if (i < n && s[i] == '.')
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            digits++;
    return i == n && digits > 0;
}

/* Compares two non-negative plain decimals without sign. */
static int cmp_magnitude(const char *a, size_t an, const char *b, size_t bn)
{
    while (an && *a == '0') /* "007" is 7, "0.5" is .5 */
        a++, an--;
    while (bn && *b == '0')
        b++, bn--;
    const char *ad = memchr(a, '.', an), *bd = memchr(b, '.', bn);
    size_t ai = ad ? (size_t)(ad - a) : an, bi = bd ? (size_t)(bd - b) : bn;
    if (ai != bi)
        return ai < bi ? -1 : 1;
    int c = memcmp(a, b, ai);
    if (c)
        return c < 0 ? -1 : 1;
    const char *af = ad ? ad + 1 : "", *bf = bd ? bd + 1 : "";
    size_t afn = ad ? an - ai - 1 : 0, bfn = bd ? bn - bi - 1 : 0;
    for (size_t i = 0; i < afn || i < bfn; i++) {
        char x = i < afn ? af[i] : '0', y = i < bfn ? bf[i] : '0';
        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}

static int is_zero(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] >= '1' && s[i] <= '9')
            return 0;
    return 1;
}

static int cmp_decimal(const char *a, size_t an, const char *b, size_t bn)
{
    int aneg = an && a[0] == '-' && !is_zero(a, an), bneg = bn && b[0] == '-' && !is_zero(b, bn);
    if (an && (a[0] == '-' || a[0] == '+'))
        a++, an--;
    if (bn && (b[0] == '-' || b[0] == '+'))
        b++, bn--;
    if (aneg != bneg)
        return aneg ? -1 : 1;
    int c = cmp_magnitude(a, an, b, bn);
    return aneg ? -c : c;
}

static int cmp_double(const char *a, size_t an, const char *b, size_t bn)
{
    char x[64], y[64];
    snprintf(x, sizeof x, "%.*s", (int)an, a);
    snprintf(y, sizeof y, "%.*s", (int)bn, b);
    double p = strtod(x, NULL), q = strtod(y, NULL);
    return p < q ? -1 : p > q ? 1 : 0;
}

static int truth(const char *s, size_t n)
{
    return n && (s[0] == 't' || s[0] == 'T' || s[0] == '1' || s[0] == 'y' || s[0] == 'Y');
}

static int compare(uint32_t type, const char *v, size_t vn, sluice_str lit)
{
    if (is_numeric(type)) {
        if (plain_decimal(v, vn) && plain_decimal(lit.ptr, lit.len))
            return cmp_decimal(v, vn, lit.ptr, lit.len);
        return cmp_double(v, vn, lit.ptr, lit.len);
    }
    if (type == SLUICE_TYPE_BOOL)
        return truth(v, vn) - truth(lit.ptr, lit.len);
    size_t n = vn < lit.len ? vn : lit.len;
    int c = memcmp(v, lit.ptr, n);
    if (c)
        return c < 0 ? -1 : 1;
    return vn < lit.len ? -1 : vn > lit.len ? 1 : 0;
}

/* A literal that is a plain integer fitting int64, parsed; 0 when it is not one. */
static int int_literal(sluice_str lit, int64_t *out)
{
    size_t i = lit.len && lit.ptr[0] == '-';
    if (i == lit.len || lit.len - i > 18) /* 18 digits always fit */
        return 0;
    int64_t v = 0;
    for (; i < lit.len; i++) {
        if (lit.ptr[i] < '0' || lit.ptr[i] > '9')
            return 0;
        v = v * 10 + (lit.ptr[i] - '0');
    }
    *out = lit.ptr[0] == '-' ? -v : v;
    return 1;
}

/* An INT value against a literal: integers compare as integers, the rest as text. */
static int compare_int(uint32_t type, int64_t v, sluice_str lit)
{
    int64_t n;
    if (is_numeric(type) && int_literal(lit, &n))
        return v < n ? -1 : v > n ? 1 : 0;
    char num[24];
    size_t len = (size_t)snprintf(num, sizeof num, "%" PRId64, v);
    return compare(type, num, len, lit);
}

static int cmp_value(uint32_t type, const sluice_value *v, sluice_str lit)
{
    if (v->kind == SLUICE_VALUE_INT)
        return compare_int(type, v->u.i, lit);
    return compare(type, v->u.bytes, v->len, lit);
}

static int condition_holds(const sluice_filter *f, uint32_t type, const sluice_value *v)
{
    if (v->kind == SLUICE_VALUE_NULL)
        return f->op == SLUICE_FILTER_NULL;
    if (f->op == SLUICE_FILTER_NULL)
        return 0;
    if (f->op == SLUICE_FILTER_NOT_NULL)
        return 1;
    switch (f->op) {
    case SLUICE_FILTER_EQ: return cmp_value(type, v, f->values[0]) == 0;
    case SLUICE_FILTER_NE: return cmp_value(type, v, f->values[0]) != 0;
    case SLUICE_FILTER_LT: return cmp_value(type, v, f->values[0]) < 0;
    case SLUICE_FILTER_LE: return cmp_value(type, v, f->values[0]) <= 0;
    case SLUICE_FILTER_GT: return cmp_value(type, v, f->values[0]) > 0;
    case SLUICE_FILTER_GE: return cmp_value(type, v, f->values[0]) >= 0;
    case SLUICE_FILTER_BETWEEN:
        return cmp_value(type, v, f->values[0]) >= 0 && cmp_value(type, v, f->values[1]) <= 0;
    case SLUICE_FILTER_IN:
        for (uint32_t i = 0; i < f->nvalues; i++)
            if (cmp_value(type, v, f->values[i]) == 0)
                return 1;
        return 0;
    default: return 0;
    }
}

/* Whether the value of col cannot be judged: not sent, native, or (keys_only) not a key. */
static int unjudgeable(const sluice_column *col, const sluice_value *v, int keys_only)
{
    return v->kind == SLUICE_VALUE_UNCHANGED || v->kind == SLUICE_VALUE_NATIVE ||
           (keys_only && !(col->flags & (SLUICE_COLUMN_KEY | SLUICE_COLUMN_REPLICA_IDENTITY)));
}

static int is_row_op(uint32_t op)
{
    return op >= SLUICE_FILTER_ROW_LT && op <= SLUICE_FILTER_ROW_GE;
}

/*
 * A row comparison (ABI 1.4) as SQL does it: column by column, the first
 * unequal pair decides; a NULL met first leaves it unknown, which fails. Text
 * compares byte by byte here, where the source (source-pg) uses the column's
 * collation: a source that applies the filters itself is the one to trust.
 * 1 holds, 0 fails, -1 cannot be judged.
 */
static int row_holds(const sluice_filter *f, const sluice_table *t, const sluice_value *row,
                     int keys_only)
{
    if (!f->columns || f->ncolumns == 0 || f->nvalues < f->ncolumns)
        return 0;
    int c = 0;
    for (uint32_t i = 0; i < f->ncolumns && c == 0; i++) {
        const sluice_column *col = sluice_table_column(t, f->columns[i]);
        const sluice_value *v = &row[f->columns[i]];
        if (unjudgeable(col, v, keys_only))
            return -1;
        if (v->kind == SLUICE_VALUE_NULL)
            return 0;
        c = cmp_value(col->type, v, f->values[i]);
    }
    switch (f->op) {
    case SLUICE_FILTER_ROW_LT: return c < 0;
    case SLUICE_FILTER_ROW_LE: return c <= 0;
    case SLUICE_FILTER_ROW_GT: return c > 0;
    default: return c >= 0;
    }
}

int filter_row(const sluice_filter *filters, uint32_t n, const sluice_table *t,
               const sluice_value *row, int keys_only)
{
    /* groups are AND-ed: a group fails when none of its conditions holds */
    for (uint32_t i = 0; i < n;) {
        uint32_t group = filters[i].group, j = i;
        int holds = 0, unknown = 0;
        for (; j < n && filters[j].group == group; j++) {
            const sluice_filter *f = &filters[j];
            const sluice_column *col = sluice_table_column(t, f->column);
            const sluice_value *v = &row[f->column];
            int r = is_row_op(f->op) ? row_holds(f, t, row, keys_only)
                    : unjudgeable(col, v, keys_only) ? -1
                                                     : condition_holds(f, col->type, v);
            if (r < 0)
                unknown = 1; /* the source did not send it: cannot judge, let it pass */
            else if (r)
                holds = 1;
        }
        if (!holds && !unknown)
            return 0;
        i = j;
    }
    return 1;
}
