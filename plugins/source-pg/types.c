/*
 * PostgreSQL types -> canonical types. Built-in types are known by their OID
 * (fixed below 10000 in every PostgreSQL release); domains map as their base
 * type, arrays as ARRAY of their element's type, enums as ENUM. Everything else
 * is SOURCE_NATIVE: carried as PostgreSQL's text output with its type name.
 */
#include "source_pg.h"

enum {
    BOOLOID = 16, BYTEAOID = 17, INT8OID = 20, INT2OID = 21, INT4OID = 23, TEXTOID = 25,
    JSONOID = 114, FLOAT4OID = 700, FLOAT8OID = 701, BPCHAROID = 1042, VARCHAROID = 1043,
    DATEOID = 1082, TIMEOID = 1083, TIMESTAMPOID = 1114, TIMESTAMPTZOID = 1184,
    INTERVALOID = 1186, NUMERICOID = 1700, UUIDOID = 2950, JSONBOID = 3802
};

#define VARHDRSZ 4
#define MAX_DOMAIN_DEPTH 16 /* domains over domains: far more than anyone nests */

int pg_type_is_int(sluice_type t)
{
    return t == SLUICE_TYPE_INT16 || t == SLUICE_TYPE_INT32 || t == SLUICE_TYPE_INT64;
}

/* numeric(p,s): typmod = ((p << 16) | (s & 0x7ff)) + 4; the scale may be negative. */
static void numeric_typmod(int32_t typmod, pg_canonical *out)
{
    if (typmod < VARHDRSZ)
        return;
    uint32_t t = (uint32_t)(typmod - VARHDRSZ);
    out->precision = (int32_t)((t >> 16) & 0xffff);
    out->scale = (int32_t)((t & 0x7ff) ^ 1024) - 1024;
}

static sluice_type builtin(uint32_t oid, int32_t typmod, pg_canonical *out)
{
    switch (oid) {
    case BOOLOID: return SLUICE_TYPE_BOOL;
    case INT2OID: return SLUICE_TYPE_INT16;
    case INT4OID: return SLUICE_TYPE_INT32;
    case INT8OID: return SLUICE_TYPE_INT64;
    case FLOAT4OID: return SLUICE_TYPE_FLOAT32;
    case FLOAT8OID: return SLUICE_TYPE_FLOAT64;
    case NUMERICOID:
        numeric_typmod(typmod, out);
        return SLUICE_TYPE_DECIMAL;
    case VARCHAROID:
    case BPCHAROID:
        if (typmod >= VARHDRSZ)
            out->precision = typmod - VARHDRSZ; /* the length limit */
        return SLUICE_TYPE_TEXT;
    case TEXTOID: return SLUICE_TYPE_TEXT;
    case BYTEAOID: return SLUICE_TYPE_BYTES;
    case DATEOID: return SLUICE_TYPE_DATE;
    case TIMEOID:
    case TIMESTAMPOID:
    case TIMESTAMPTZOID:
        if (typmod >= 0)
            out->precision = typmod; /* fractional digits of the seconds */
        return oid == TIMEOID        ? SLUICE_TYPE_TIME
               : oid == TIMESTAMPOID ? SLUICE_TYPE_TIMESTAMP
                                     : SLUICE_TYPE_TIMESTAMPTZ;
    case INTERVALOID: return SLUICE_TYPE_INTERVAL;
    case UUIDOID: return SLUICE_TYPE_UUID;
    case JSONOID:
    case JSONBOID: return SLUICE_TYPE_JSON;
    default: return SLUICE_TYPE_UNKNOWN;
    }
}

static void map(uint32_t oid, int32_t typmod, pg_type_lookup_fn lookup, void *ctx, int depth,
                pg_canonical *out)
{
    out->type = builtin(oid, typmod, out);
    if (out->type != SLUICE_TYPE_UNKNOWN)
        return;
    out->type = SLUICE_TYPE_SOURCE_NATIVE;
    pg_typeinfo ti;
    if (depth > MAX_DOMAIN_DEPTH || !lookup || lookup(ctx, oid, &ti) != 0)
        return;
    if (ti.typtype == 'e') {
        out->type = SLUICE_TYPE_ENUM;
    } else if (ti.typtype == 'd' && ti.basetype) {
        map(ti.basetype, ti.typtypmod, lookup, ctx, depth + 1, out);
    } else if (ti.typcategory == 'A' && ti.typelem) {
        pg_canonical elem = {SLUICE_TYPE_UNKNOWN, -1, -1, SLUICE_TYPE_UNKNOWN};
        map(ti.typelem, typmod, lookup, ctx, depth + 1, &elem);
        out->type = SLUICE_TYPE_ARRAY;
        out->precision = elem.precision;
        out->scale = elem.scale;
        /* arrays of arrays do not exist in PostgreSQL; an array's element is a scalar */
        out->element = elem.type == SLUICE_TYPE_ARRAY ? SLUICE_TYPE_SOURCE_NATIVE : elem.type;
    }
}

void pg_map_type(uint32_t oid, int32_t typmod, pg_type_lookup_fn lookup, void *ctx,
                 pg_canonical *out)
{
    out->type = SLUICE_TYPE_UNKNOWN;
    out->precision = out->scale = -1;
    out->element = SLUICE_TYPE_UNKNOWN;
    map(oid, typmod, lookup, ctx, 0, out);
}
