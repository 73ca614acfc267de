/* TABLE_MAP events: column types, metadata, nullability and the optional
   metadata of binlog_row_metadata=FULL; the table cache and caller hints. */
#include "mybl_int.h"

#include <stdlib.h>
#include <string.h>

/* optional metadata field types */
enum {
    OM_SIGNEDNESS = 1, OM_DEFAULT_CHARSET, OM_COLUMN_CHARSET, OM_COLUMN_NAME, OM_SET_STR_VALUE,
    OM_ENUM_STR_VALUE, OM_GEOMETRY_TYPE, OM_SIMPLE_PRIMARY_KEY, OM_PRIMARY_KEY_WITH_PREFIX,
    OM_ENUM_AND_SET_DEFAULT_CHARSET, OM_ENUM_AND_SET_COLUMN_CHARSET
};

const char *mybl_type_name(uint8_t t)
{
    switch (t) {
    case MYBL_T_DECIMAL: return "DECIMAL";
    case MYBL_T_TINY: return "TINY";
    case MYBL_T_SHORT: return "SHORT";
    case MYBL_T_LONG: return "LONG";
    case MYBL_T_FLOAT: return "FLOAT";
    case MYBL_T_DOUBLE: return "DOUBLE";
    case MYBL_T_NULL: return "NULL";
    case MYBL_T_TIMESTAMP: return "TIMESTAMP";
    case MYBL_T_LONGLONG: return "LONGLONG";
    case MYBL_T_INT24: return "INT24";
    case MYBL_T_DATE: return "DATE";
    case MYBL_T_TIME: return "TIME";
    case MYBL_T_DATETIME: return "DATETIME";
    case MYBL_T_YEAR: return "YEAR";
    case MYBL_T_NEWDATE: return "NEWDATE";
    case MYBL_T_VARCHAR: return "VARCHAR";
    case MYBL_T_BIT: return "BIT";
    case MYBL_T_TIMESTAMP2: return "TIMESTAMP2";
    case MYBL_T_DATETIME2: return "DATETIME2";
    case MYBL_T_TIME2: return "TIME2";
    case MYBL_T_JSON: return "JSON";
    case MYBL_T_NEWDECIMAL: return "NEWDECIMAL";
    case MYBL_T_ENUM: return "ENUM";
    case MYBL_T_SET: return "SET";
    case MYBL_T_TINY_BLOB: return "TINY_BLOB";
    case MYBL_T_MEDIUM_BLOB: return "MEDIUM_BLOB";
    case MYBL_T_LONG_BLOB: return "LONG_BLOB";
    case MYBL_T_BLOB: return "BLOB";
    case MYBL_T_VAR_STRING: return "VAR_STRING";
    case MYBL_T_STRING: return "STRING";
    case MYBL_T_GEOMETRY: return "GEOMETRY";
    default: return "unknown type";
    }
}

static void tmap_free(mybl_tmap *m)
{
    if (!m)
        return;
    for (uint32_t i = 0; m->t.cols && i < m->t.ncols; i++)
        free(m->t.cols[i].labels);
    free(m->t.cols);
    free(m->owned);
    free(m);
}

void bl_tables_clear(mybl_decoder *dec)
{
    while (dec->tables) {
        mybl_tmap *n = dec->tables->next;
        tmap_free(dec->tables);
        dec->tables = n;
    }
}

void bl_hints_free(mybl_decoder *dec)
{
    while (dec->hints) {
        mybl_hints *n = dec->hints->next;
        free(dec->hints->db);
        free(dec->hints->table);
        free(dec->hints->hints);
        free(dec->hints);
        dec->hints = n;
    }
}

const mybl_table *mybl_table_by_id(const mybl_decoder *dec, uint64_t table_id)
{
    for (const mybl_tmap *m = dec->tables; m; m = m->next)
        if (m->t.table_id == table_id)
            return &m->t;
    return NULL;
}

int mybl_set_table_hints(mybl_decoder *dec, const char *db, const char *table, uint32_t ncols,
                         const uint32_t *hints)
{
    mybl_hints *h = calloc(1, sizeof *h);
    if (!h)
        return -1;
    h->db = strdup(db);
    h->table = strdup(table);
    h->hints = malloc((ncols ? ncols : 1) * sizeof *h->hints);
    if (!h->db || !h->table || !h->hints) {
        free(h->db), free(h->table), free(h->hints), free(h);
        return -1;
    }
    if (ncols)
        memcpy(h->hints, hints, ncols * sizeof *hints);
    h->ncols = ncols;
    for (mybl_hints **pp = &dec->hints; *pp; pp = &(*pp)->next)
        if (strcmp((*pp)->db, db) == 0 && strcmp((*pp)->table, table) == 0) {
            mybl_hints *old = *pp;
            *pp = old->next;
            free(old->db), free(old->table), free(old->hints), free(old);
            break;
        }
    h->next = dec->hints;
    dec->hints = h;
    return 0;
}

static int str_is(mybl_str s, const char *z)
{
    return s.len == strlen(z) && memcmp(s.ptr, z, s.len) == 0;
}

static int is_numeric(uint8_t t)
{
    return t == MYBL_T_TINY || t == MYBL_T_SHORT || t == MYBL_T_INT24 || t == MYBL_T_LONG ||
           t == MYBL_T_LONGLONG || t == MYBL_T_NEWDECIMAL || t == MYBL_T_FLOAT ||
           t == MYBL_T_DOUBLE;
}

static int is_character(uint8_t real)
{
    return real == MYBL_T_STRING || real == MYBL_T_VAR_STRING || real == MYBL_T_VARCHAR ||
           real == MYBL_T_BLOB || real == MYBL_T_GEOMETRY;
}

static int is_enum_set(uint8_t real)
{
    return real == MYBL_T_ENUM || real == MYBL_T_SET;
}

/* Consume column c's type metadata from r. */
static int column_meta(const mybl_where *w, mybl_column *c, mybl_rd *r, mybl_error *err)
{
    const uint8_t *m;
    c->real_type = c->type;
    switch (c->type) {
    case MYBL_T_FLOAT: case MYBL_T_DOUBLE: case MYBL_T_BLOB: case MYBL_T_TINY_BLOB:
    case MYBL_T_MEDIUM_BLOB: case MYBL_T_LONG_BLOB: case MYBL_T_GEOMETRY: case MYBL_T_JSON:
    case MYBL_T_TIMESTAMP2: case MYBL_T_DATETIME2: case MYBL_T_TIME2:
        if (rd_bytes(r, 1, &m) != 0)
            break;
        c->meta = m[0];
        if ((c->type == MYBL_T_FLOAT && c->meta != 4) || (c->type == MYBL_T_DOUBLE && c->meta != 8))
            return bl_fail(err, w, "its size metadata is %u", c->meta);
        if ((c->type >= MYBL_T_TINY_BLOB || c->type == MYBL_T_JSON) && (c->meta < 1 || c->meta > 4))
            return bl_fail(err, w, "its length-prefix size is %u, not 1 to 4", c->meta);
        if (c->type >= MYBL_T_TIMESTAMP2 && c->type <= MYBL_T_TIME2 && c->meta > 6)
            return bl_fail(err, w, "its fractional digits are %u, more than 6", c->meta);
        if (c->type >= MYBL_T_TINY_BLOB && c->type <= MYBL_T_LONG_BLOB)
            c->real_type = MYBL_T_BLOB;
        return 0;
    case MYBL_T_VARCHAR: case MYBL_T_VAR_STRING:
        if (rd_bytes(r, 2, &m) != 0)
            break;
        c->meta = (uint16_t)get_le(m, 2);
        c->real_type = MYBL_T_VARCHAR;
        return 0;
    case MYBL_T_BIT:
        if (rd_bytes(r, 2, &m) != 0)
            break;
        c->meta = m[0];
        c->meta2 = m[1];
        if (c->meta > 7 || c->meta2 > 8 || c->meta2 * 8 + c->meta == 0 ||
            c->meta2 * 8 + c->meta > 64)
            return bl_fail(err, w, "BIT metadata %u/%u is not 1 to 64 bits", c->meta, c->meta2);
        return 0;
    case MYBL_T_NEWDECIMAL:
        if (rd_bytes(r, 2, &m) != 0)
            break;
        c->meta = m[0];
        c->meta2 = m[1];
        if (!bl_decimal_size(c->meta, c->meta2))
            return bl_fail(err, w, "DECIMAL(%u,%u) is not a valid precision and scale", c->meta,
                           c->meta2);
        return 0;
    case MYBL_T_STRING: case MYBL_T_ENUM: case MYBL_T_SET:
        if (rd_bytes(r, 2, &m) != 0)
            break;
        if (c->type == MYBL_T_STRING && m[0] != 0 && (m[0] & 0x30) != 0x30) {
            /* CHAR longer than 255 bytes: two bits of the length hide in byte 0 */
            c->real_type = (uint8_t)(m[0] | 0x30);
            c->meta2 = (uint16_t)(m[1] | (((m[0] & 0x30) ^ 0x30) << 4));
        } else {
            c->real_type = m[0] ? m[0] : MYBL_T_STRING;
            c->meta2 = m[1];
        }
        if (c->type != MYBL_T_STRING)
            c->real_type = c->type;
        if (is_enum_set(c->real_type)) {
            c->meta = m[1]; /* bytes of the index / bitmask */
            if (!((c->real_type == MYBL_T_ENUM && (c->meta == 1 || c->meta == 2)) ||
                  (c->real_type == MYBL_T_SET && c->meta >= 1 && c->meta <= 8)))
                return bl_fail(err, w, "%s of %u bytes", mybl_type_name(c->real_type), c->meta);
        } else if (c->real_type != MYBL_T_STRING) {
            return bl_fail(err, w, "STRING metadata names real type %u", c->real_type);
        }
        return 0;
    case MYBL_T_TINY: case MYBL_T_SHORT: case MYBL_T_INT24: case MYBL_T_LONG:
    case MYBL_T_LONGLONG: case MYBL_T_NULL: case MYBL_T_TIMESTAMP: case MYBL_T_DATE:
    case MYBL_T_TIME: case MYBL_T_DATETIME: case MYBL_T_YEAR: case MYBL_T_NEWDATE:
        return 0;
    default:
        return bl_fail(err, w, "type code %u is not one this decoder knows", c->type);
    }
    return bl_fail(err, w, "the metadata block ends before this column's metadata");
}

/* Walk the columns that a per-kind optional field covers, in order. */
static int next_of(const mybl_table *t, int from, int (*pred)(uint8_t))
{
    for (int i = from + 1; i < (int)t->ncols; i++)
        if (pred(t->cols[i].real_type))
            return i;
    return -1;
}

static int om_charsets(const mybl_where *w, mybl_table *t, mybl_rd *f, int (*pred)(uint8_t),
                       int per_column, mybl_error *err)
{
    uint64_t v, idx;
    if (!per_column) {
        if (rd_lenenc(f, &v) != 0)
            return bl_fail(err, w, "DEFAULT_CHARSET has no default collation");
        for (int i = next_of(t, -1, pred); i >= 0; i = next_of(t, i, pred))
            t->cols[i].collation = (uint32_t)v;
        while (rd_left(f)) {
            if (rd_lenenc(f, &idx) != 0 || rd_lenenc(f, &v) != 0)
                return bl_fail(err, w, "DEFAULT_CHARSET's exception list is cut short");
            int i = -1;
            for (uint64_t k = 0; k <= idx; k++)
                if ((i = next_of(t, i, pred)) < 0)
                    return bl_fail(err, w, "DEFAULT_CHARSET names character column %llu of "
                                   "fewer", (unsigned long long)idx);
            t->cols[i].collation = (uint32_t)v;
        }
        return 0;
    }
    for (int i = next_of(t, -1, pred); i >= 0; i = next_of(t, i, pred)) {
        if (rd_lenenc(f, &v) != 0)
            return bl_fail(err, w, "COLUMN_CHARSET has fewer entries than character columns");
        t->cols[i].collation = (uint32_t)v;
    }
    return 0;
}

static int om_labels(const mybl_where *w, mybl_table *t, mybl_rd *f, uint8_t kind,
                     mybl_error *err)
{
    for (uint32_t i = 0; i < t->ncols; i++) {
        mybl_column *c = &t->cols[i];
        if (c->real_type != kind)
            continue;
        uint64_t n, len;
        const uint8_t *s;
        if (rd_lenenc(f, &n) != 0 || n > rd_left(f) || n > 65535)
            return bl_fail(err, w, "%s_STR_VALUE is cut short at column %u",
                           mybl_type_name(kind), i + 1);
        free(c->labels);
        c->labels = calloc(n ? n : 1, sizeof *c->labels);
        if (!c->labels)
            return bl_fail(err, w, "out of memory");
        c->nlabels = (uint32_t)n;
        for (uint64_t k = 0; k < n; k++) {
            if (rd_lenenc(f, &len) != 0 || rd_bytes(f, len, &s) != 0)
                return bl_fail(err, w, "%s_STR_VALUE's label %llu is cut short",
                               mybl_type_name(kind), (unsigned long long)k + 1);
            c->labels[k] = (mybl_str){(const char *)s, len};
        }
    }
    return 0;
}

static int optional_metadata(const mybl_where *w, mybl_table *t, mybl_rd *r, mybl_error *err)
{
    while (rd_left(r)) {
        uint8_t kind;
        uint64_t len, v;
        const uint8_t *body;
        if (rd_u8(r, &kind) != 0 || rd_lenenc(r, &len) != 0 || rd_bytes(r, len, &body) != 0)
            return bl_fail(err, w, "optional metadata field is cut short");
        mybl_rd f = {body, body + len};
        int rc = 0, col = -1;
        switch (kind) {
        case OM_SIGNEDNESS:
            t->has_signedness = 1;
            for (uint32_t i = 0, k = 0; i < t->ncols; i++) {
                if (!is_numeric(t->cols[i].type))
                    continue;
                if (k / 8 >= len)
                    return bl_fail(err, w, "SIGNEDNESS has fewer bits than numeric columns");
                t->cols[i].is_unsigned = (body[k / 8] >> (7 - k % 8)) & 1;
                k++;
            }
            break;
        case OM_DEFAULT_CHARSET:
        case OM_COLUMN_CHARSET:
            t->has_charsets = 1;
            rc = om_charsets(w, t, &f, is_character, kind == OM_COLUMN_CHARSET, err);
            break;
        case OM_ENUM_AND_SET_DEFAULT_CHARSET:
        case OM_ENUM_AND_SET_COLUMN_CHARSET:
            rc = om_charsets(w, t, &f, is_enum_set, kind == OM_ENUM_AND_SET_COLUMN_CHARSET, err);
            break;
        case OM_COLUMN_NAME:
            t->has_names = 1;
            for (uint32_t i = 0; i < t->ncols; i++) {
                const uint8_t *s;
                if (rd_lenenc(&f, &v) != 0 || rd_bytes(&f, v, &s) != 0)
                    return bl_fail(err, w, "COLUMN_NAME is cut short at column %u", i + 1);
                t->cols[i].name = (mybl_str){(const char *)s, v};
            }
            break;
        case OM_SET_STR_VALUE:
            rc = om_labels(w, t, &f, MYBL_T_SET, err);
            break;
        case OM_ENUM_STR_VALUE:
            rc = om_labels(w, t, &f, MYBL_T_ENUM, err);
            break;
        case OM_GEOMETRY_TYPE:
            for (uint32_t i = 0; i < t->ncols && rd_left(&f); i++)
                if (t->cols[i].type == MYBL_T_GEOMETRY && rd_lenenc(&f, &v) == 0)
                    t->cols[i].geometry_type = (uint8_t)v;
            break;
        case OM_SIMPLE_PRIMARY_KEY:
        case OM_PRIMARY_KEY_WITH_PREFIX:
            while (rd_left(&f)) {
                if (rd_lenenc(&f, &v) != 0 || v >= t->ncols ||
                    (kind == OM_PRIMARY_KEY_WITH_PREFIX && rd_lenenc(&f, &len) != 0))
                    return bl_fail(err, w, "the primary key names a column out of range");
                t->cols[v].key = 1;
            }
            break;
        default:
            break; /* COLUMN_VISIBILITY and later fields: not needed */
        }
        (void)col;
        if (rc != 0)
            return rc;
    }
    return 0;
}

static void apply_hints(const mybl_decoder *dec, mybl_table *t)
{
    for (const mybl_hints *h = dec->hints; h; h = h->next) {
        if (!str_is(t->db, h->db) || !str_is(t->name, h->table))
            continue;
        for (uint32_t i = 0; i < t->ncols && i < h->ncols; i++) {
            t->cols[i].hint = h->hints[i];
            if (h->hints[i] & MYBL_HINT_UNSIGNED)
                t->cols[i].is_unsigned = 1;
        }
        return;
    }
}

int bl_table_map(mybl_decoder *dec, const mybl_where *w0, mybl_rd *r, const mybl_table **out,
                 mybl_error *err)
{
    mybl_where w = *w0;
    uint8_t ph = dec->have_fde && dec->post_header[MYBL_TABLE_MAP - 1]
                     ? dec->post_header[MYBL_TABLE_MAP - 1] : 8;
    if (ph != 8 && ph != 6)
        return bl_fail(err, &w, "its post-header is %u bytes, not 6 or 8", ph);
    mybl_tmap *m = calloc(1, sizeof *m);
    size_t n = rd_left(r);
    if (!m || !(m->owned = malloc(n ? n : 1))) {
        free(m);
        return bl_fail(err, &w, "out of memory");
    }
    memcpy(m->owned, r->p, n);
    mybl_rd b = {m->owned, m->owned + n};
    mybl_table *t = &m->t;
    uint64_t id, flags, ncols, metalen;
    uint8_t len;
    const uint8_t *s, *types, *meta, *nulls;
    int rc = -1;
    if (rd_le(&b, ph - 2, &id) || rd_le(&b, 2, &flags)) {
        bl_fail(err, &w, "the event is shorter than its post-header");
        goto out;
    }
    t->table_id = id;
    t->flags = (uint16_t)flags;
    if (rd_u8(&b, &len) || rd_bytes(&b, len, &s) || rd_skip(&b, 1)) {
        bl_fail(err, &w, "the database name overruns the event");
        goto out;
    }
    t->db = (mybl_str){(const char *)s, len};
    if (rd_u8(&b, &len) || rd_bytes(&b, len, &s) || rd_skip(&b, 1)) {
        bl_fail(err, &w, "the table name overruns the event");
        goto out;
    }
    t->name = (mybl_str){(const char *)s, len};
    if (rd_lenenc(&b, &ncols) || ncols == 0 || ncols > 4096 || rd_bytes(&b, ncols, &types)) {
        bl_fail(err, &w, "the column count is missing, 0, over 4096 or overruns the event");
        goto out;
    }
    t->ncols = (uint32_t)ncols;
    if (!(t->cols = calloc(ncols, sizeof *t->cols))) {
        bl_fail(err, &w, "out of memory");
        goto out;
    }
    w.table = t; /* from here errors name the table */
    if (rd_lenenc(&b, &metalen) || rd_bytes(&b, metalen, &meta)) {
        bl_fail(err, &w, "the metadata block overruns the event");
        goto out;
    }
    mybl_rd mr = {meta, meta + metalen};
    for (uint32_t i = 0; i < t->ncols; i++) {
        t->cols[i].type = types[i];
        w.column = (int)i;
        if (column_meta(&w, &t->cols[i], &mr, err) != 0)
            goto out;
    }
    w.column = -1;
    if (rd_left(&mr)) {
        bl_fail(err, &w, "%zu metadata bytes are left after the last column", rd_left(&mr));
        goto out;
    }
    if (rd_bytes(&b, (ncols + 7) / 8, &nulls)) {
        bl_fail(err, &w, "the nullability bitmap overruns the event");
        goto out;
    }
    for (uint32_t i = 0; i < t->ncols; i++)
        t->cols[i].nullable = (nulls[i / 8] >> (i % 8)) & 1;
    if (optional_metadata(&w, t, &b, err) != 0)
        goto out;
    apply_hints(dec, t);
    for (mybl_tmap **pp = &dec->tables; *pp; pp = &(*pp)->next)
        if ((*pp)->t.table_id == t->table_id) {
            mybl_tmap *old = *pp;
            *pp = old->next;
            tmap_free(old);
            break;
        }
    m->next = dec->tables;
    dec->tables = m;
    *out = t;
    rc = 0;
out:
    if (rc != 0)
        tmap_free(m);
    return rc;
}
