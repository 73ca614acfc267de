#include "pgtypes.h"

#include <string.h>

static const char *const canonical_names[] = {
    [SLUICE_TYPE_UNKNOWN] = "unknown",     [SLUICE_TYPE_BOOL] = "bool",
    [SLUICE_TYPE_INT16] = "int16",         [SLUICE_TYPE_INT32] = "int32",
    [SLUICE_TYPE_INT64] = "int64",         [SLUICE_TYPE_UINT64] = "uint64",
    [SLUICE_TYPE_FLOAT32] = "float32",     [SLUICE_TYPE_FLOAT64] = "float64",
    [SLUICE_TYPE_DECIMAL] = "decimal",     [SLUICE_TYPE_TEXT] = "text",
    [SLUICE_TYPE_BYTES] = "bytes",         [SLUICE_TYPE_DATE] = "date",
    [SLUICE_TYPE_TIME] = "time",           [SLUICE_TYPE_TIMESTAMP] = "timestamp",
    [SLUICE_TYPE_TIMESTAMPTZ] = "timestamptz", [SLUICE_TYPE_INTERVAL] = "interval",
    [SLUICE_TYPE_UUID] = "uuid",           [SLUICE_TYPE_JSON] = "json",
    [SLUICE_TYPE_ARRAY] = "array",         [SLUICE_TYPE_ENUM] = "enum",
    [SLUICE_TYPE_SOURCE_NATIVE] = "source-native",
};

const char *pgtype_canonical_name(uint32_t type)
{
    if (type < sizeof canonical_names / sizeof canonical_names[0] && canonical_names[type])
        return canonical_names[type];
    return "unknown";
}

/* The base type for a canonical scalar type; NULL for UNKNOWN and ARRAY. */
static const char *scalar_type(uint32_t type)
{
    switch (type) {
    case SLUICE_TYPE_BOOL: return "boolean";
    case SLUICE_TYPE_INT16: return "smallint";
    case SLUICE_TYPE_INT32: return "integer";
    case SLUICE_TYPE_INT64: return "bigint";
    case SLUICE_TYPE_UINT64: return "numeric(20,0)"; /* 2^64-1 has 20 digits */
    case SLUICE_TYPE_FLOAT32: return "real";
    case SLUICE_TYPE_FLOAT64: return "double precision";
    case SLUICE_TYPE_DECIMAL: return "numeric";
    case SLUICE_TYPE_TEXT: return "text";
    case SLUICE_TYPE_BYTES: return "bytea";
    case SLUICE_TYPE_DATE: return "date";
    case SLUICE_TYPE_TIME: return "time";
    case SLUICE_TYPE_TIMESTAMP: return "timestamp";
    case SLUICE_TYPE_TIMESTAMPTZ: return "timestamptz";
    case SLUICE_TYPE_INTERVAL: return "interval";
    case SLUICE_TYPE_UUID: return "uuid";
    case SLUICE_TYPE_JSON: return "json"; /* json keeps the text as sent; jsonb would not */
    case SLUICE_TYPE_ENUM: return "text"; /* the label; the enum type may not exist here */
    case SLUICE_TYPE_SOURCE_NATIVE: return "text"; /* carried as text */
    default: return NULL;
    }
}

int pgtype_fallback(const sluice_column *c, sbuf *b)
{
    if (c->type == SLUICE_TYPE_ARRAY) {
        const char *elem = c->element_type == SLUICE_TYPE_ARRAY ? NULL : scalar_type(c->element_type);
        sb_puts(b, elem ? elem : "text");
        sb_puts(b, "[]");
        return 0;
    }
    const char *base = scalar_type(c->type);
    if (!base)
        return -1;
    if (c->type == SLUICE_TYPE_DECIMAL && c->precision > 0) {
        /* numeric(p,s) keeps the declared scale; without one, unconstrained numeric */
        if (c->scale >= 0)
            sb_printf(b, "numeric(%d,%d)", (int)c->precision, (int)c->scale);
        else
            sb_printf(b, "numeric(%d)", (int)c->precision);
        return 0;
    }
    if (c->type == SLUICE_TYPE_TEXT && c->precision > 0) {
        sb_printf(b, "varchar(%d)", (int)c->precision);
        return 0;
    }
    sb_puts(b, base);
    return 0;
}

static int is(const pgtype_info *t, const char *name) { return strcmp(t->typname, name) == 0; }

int pgtype_accepts(const sluice_column *c, const pgtype_info *t)
{
    switch (c->type) {
    case SLUICE_TYPE_BOOL: return is(t, "bool");
    case SLUICE_TYPE_INT16: return is(t, "int2");
    case SLUICE_TYPE_INT32: return is(t, "int4");
    case SLUICE_TYPE_INT64: return is(t, "int8");
    case SLUICE_TYPE_UINT64: return is(t, "numeric");
    case SLUICE_TYPE_FLOAT32: return is(t, "float4");
    case SLUICE_TYPE_FLOAT64: return is(t, "float8");
    case SLUICE_TYPE_DECIMAL: return is(t, "numeric");
    case SLUICE_TYPE_TEXT: return t->category == 'S';
    case SLUICE_TYPE_BYTES: return is(t, "bytea");
    case SLUICE_TYPE_DATE: return is(t, "date");
    case SLUICE_TYPE_TIME: return is(t, "time") || is(t, "timetz");
    case SLUICE_TYPE_TIMESTAMP: return is(t, "timestamp");
    case SLUICE_TYPE_TIMESTAMPTZ: return is(t, "timestamptz");
    case SLUICE_TYPE_INTERVAL: return is(t, "interval");
    case SLUICE_TYPE_UUID: return is(t, "uuid");
    case SLUICE_TYPE_JSON: return is(t, "json") || is(t, "jsonb");
    case SLUICE_TYPE_ARRAY: return t->category == 'A';
    case SLUICE_TYPE_ENUM: return t->typtype == 'e' || t->category == 'S';
    case SLUICE_TYPE_SOURCE_NATIVE: /* the source's own type: whatever the target calls it */
    case SLUICE_TYPE_UNKNOWN: return 1;
    default: return 0;
    }
}
