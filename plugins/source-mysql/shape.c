/*
 * Table shapes in the change stream. Every rows event comes after a TABLE_MAP
 * that describes the table as the row was written; with
 * binlog_row_metadata=FULL it names the columns. A TABLE_MAP whose columns
 * differ from the table's current version (count, names, types, metadata such
 * as a VARCHAR's length, signedness) makes a new version (host table_reshape)
 * whose SCHEMA event goes out before the table's next change, so the target
 * follows ALTER TABLE without a restart.
 *
 * The new version's columns: an unchanged column keeps its definition; a new
 * or changed one takes information_schema's COLUMN_TYPE only when that agrees
 * with the TABLE_MAP's type (information_schema shows the schema as it is now,
 * which may be past this point of the stream), else a COLUMN_TYPE derived from
 * the TABLE_MAP itself.
 *
 * DDL statements: TRUNCATE becomes a TRUNCATE event; RENAME TABLE makes the
 * new name an alias of the captured table; CREATE / DROP are logged.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "source_mysql.h"

/* ---- types ---- */

static void data_type_word(const char *stype, size_t len, char *out, size_t size)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < size && stype[i] != '(' && stype[i] != ' '; i++)
        out[n++] = (char)tolower((unsigned char)stype[i]);
    out[n] = '\0';
}

/* The TABLE_MAP type (STRING's real type) a column of this data type has; 0: unknown. */
static int binlog_type_of(const char *dt)
{
    static const struct { const char *name; int type; } map[] = {
        {"tinyint", MYBL_T_TINY}, {"smallint", MYBL_T_SHORT}, {"mediumint", MYBL_T_INT24},
        {"int", MYBL_T_LONG}, {"integer", MYBL_T_LONG}, {"bigint", MYBL_T_LONGLONG},
        {"float", MYBL_T_FLOAT}, {"double", MYBL_T_DOUBLE}, {"real", MYBL_T_DOUBLE},
        {"decimal", MYBL_T_NEWDECIMAL}, {"numeric", MYBL_T_NEWDECIMAL}, {"bit", MYBL_T_BIT},
        {"year", MYBL_T_YEAR}, {"date", MYBL_T_DATE}, {"time", MYBL_T_TIME2},
        {"datetime", MYBL_T_DATETIME2}, {"timestamp", MYBL_T_TIMESTAMP2},
        {"char", MYBL_T_STRING}, {"binary", MYBL_T_STRING}, {"uuid", MYBL_T_STRING},
        {"inet6", MYBL_T_STRING}, {"inet4", MYBL_T_STRING}, {"enum", MYBL_T_ENUM},
        {"set", MYBL_T_SET}, {"varchar", MYBL_T_VARCHAR}, {"varbinary", MYBL_T_VARCHAR},
        {"tinytext", MYBL_T_BLOB}, {"text", MYBL_T_BLOB}, {"mediumtext", MYBL_T_BLOB},
        {"longtext", MYBL_T_BLOB}, {"tinyblob", MYBL_T_BLOB}, {"blob", MYBL_T_BLOB},
        {"mediumblob", MYBL_T_BLOB}, {"longblob", MYBL_T_BLOB},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(dt, map[i].name) == 0)
            return map[i].type;
    if (strcmp(dt, "json") == 0)
        return -1; /* MariaDB: BLOB; MySQL: JSON */
    return 0;
}

static int type_agrees(const char *stype, size_t len, const mybl_column *c)
{
    char dt[64];
    data_type_word(stype, len, dt, sizeof dt);
    int want = binlog_type_of(dt);
    if (want == -1)
        return c->real_type == MYBL_T_BLOB || c->real_type == MYBL_T_JSON;
    if (want == 0) /* spatial and newer types: trust the name */
        return 1;
    int got = c->real_type;
    if (got == MYBL_T_TINY_BLOB || got == MYBL_T_MEDIUM_BLOB || got == MYBL_T_LONG_BLOB)
        got = MYBL_T_BLOB;
    if (got == MYBL_T_VAR_STRING)
        got = MYBL_T_VARCHAR;
    return want == got && (strstr(stype, "unsigned") != NULL) == (c->is_unsigned != 0);
}

static uint64_t sig_of(const mybl_column *c)
{
    return (uint64_t)c->real_type << 40 | (uint64_t)(c->is_unsigned != 0) << 32 |
           (uint64_t)c->meta << 16 | c->meta2;
}

/* Characters a column of `bytes` bytes holds in its collation (utf8mb4 unless known). */
static unsigned chars_of(const mybl_column *c, unsigned bytes)
{
    uint32_t k = c->collation;
    if (k == 63 || k == 5 || k == 8 || k == 15 || k == 31 || k == 47 || k == 48 || k == 49 ||
        k == 94 || k == 11 || k == 65)
        return bytes; /* binary, latin1, ascii */
    if (k == 33 || k == 83 || (k >= 192 && k <= 215) || k == 223)
        return (bytes + 2) / 3;
    return (bytes + 3) / 4;
}

/* A COLUMN_TYPE for a column known only from its TABLE_MAP. */
static void derive_type(const mybl_column *c, sbuf *b)
{
    const char *uns = c->is_unsigned ? " unsigned" : "";
    int bin = c->collation == 63;
    switch (c->real_type) {
    case MYBL_T_TINY: sb_printf(b, "tinyint%s", uns); return;
    case MYBL_T_SHORT: sb_printf(b, "smallint%s", uns); return;
    case MYBL_T_INT24: sb_printf(b, "mediumint%s", uns); return;
    case MYBL_T_LONG: sb_printf(b, "int%s", uns); return;
    case MYBL_T_LONGLONG: sb_printf(b, "bigint%s", uns); return;
    case MYBL_T_FLOAT: sb_printf(b, "float"); return;
    case MYBL_T_DOUBLE: sb_printf(b, "double"); return;
    case MYBL_T_NEWDECIMAL: sb_printf(b, "decimal(%u,%u)", c->meta, c->meta2); return;
    case MYBL_T_BIT: sb_printf(b, "bit(%u)", (unsigned)c->meta2 * 8 + c->meta); return;
    case MYBL_T_YEAR: sb_printf(b, "year(4)"); return;
    case MYBL_T_DATE: case MYBL_T_NEWDATE: sb_printf(b, "date"); return;
    case MYBL_T_TIME: case MYBL_T_TIME2:
        sb_printf(b, c->meta ? "time(%u)" : "time", c->meta); return;
    case MYBL_T_DATETIME: case MYBL_T_DATETIME2:
        sb_printf(b, c->meta ? "datetime(%u)" : "datetime", c->meta); return;
    case MYBL_T_TIMESTAMP: case MYBL_T_TIMESTAMP2:
        sb_printf(b, c->meta ? "timestamp(%u)" : "timestamp", c->meta); return;
    case MYBL_T_VARCHAR: case MYBL_T_VAR_STRING:
        if (bin)
            sb_printf(b, "varbinary(%u)", c->meta);
        else
            sb_printf(b, "varchar(%u)", chars_of(c, c->meta));
        return;
    case MYBL_T_STRING:
        if (c->hint & MYBL_HINT_UUID)
            sb_printf(b, "uuid");
        else if (c->hint & MYBL_HINT_INET6)
            sb_printf(b, "inet6");
        else if (c->hint & MYBL_HINT_INET4)
            sb_printf(b, "inet4");
        else if (bin)
            sb_printf(b, "binary(%u)", c->meta2);
        else
            sb_printf(b, "char(%u)", chars_of(c, c->meta2));
        return;
    case MYBL_T_ENUM: case MYBL_T_SET:
        sb_printf(b, c->real_type == MYBL_T_ENUM ? "enum(" : "set(");
        for (uint32_t i = 0; i < c->nlabels; i++) {
            if (i)
                sb_put(b, ",", 1);
            my_buf_literal(b, c->labels[i].ptr, c->labels[i].len);
        }
        sb_put(b, ")", 1);
        return;
    case MYBL_T_BLOB: case MYBL_T_TINY_BLOB: case MYBL_T_MEDIUM_BLOB: case MYBL_T_LONG_BLOB: {
        static const char *const size[] = {"tiny", "", "medium", "long"};
        unsigned k = c->meta >= 1 && c->meta <= 4 ? c->meta - 1u : 3u;
        sb_printf(b, "%s%s", size[k], bin ? "blob" : "text");
        return;
    }
    case MYBL_T_JSON: sb_printf(b, "json"); return;
    case MYBL_T_GEOMETRY: sb_printf(b, "geometry"); return;
    default: sb_printf(b, "%s", mybl_type_name(c->real_type)); return;
    }
}

/* ---- hints ---- */

sluice_status my_table_hints(mysrc *s, const my_table *mt, sluice_error *err)
{
    const sluice_table *t = mt->table;
    uint32_t *h = calloc(t->ncolumns ? t->ncolumns : 1, sizeof *h);
    if (!h)
        return my_oom(s, err);
    for (uint32_t i = 0; i < t->ncolumns; i++) {
        const sluice_column *c = sluice_table_column(t, i);
        char dt[64];
        data_type_word(c->source_type.ptr, c->source_type.len, dt, sizeof dt);
        char stype[256];
        snprintf(stype, sizeof stype, "%.*s", (int)c->source_type.len, c->source_type.ptr);
        if (strstr(stype, "unsigned"))
            h[i] |= MYBL_HINT_UNSIGNED;
        if (strcmp(dt, "uuid") == 0)
            h[i] |= MYBL_HINT_UUID;
        else if (strcmp(dt, "inet6") == 0)
            h[i] |= MYBL_HINT_INET6;
        else if (strcmp(dt, "inet4") == 0)
            h[i] |= MYBL_HINT_INET4;
        else if (strstr(dt, "binary") || strstr(dt, "blob"))
            h[i] |= MYBL_HINT_BINARY;
    }
    char db[256], name[256];
    snprintf(db, sizeof db, "%.*s", (int)t->schema.len, t->schema.ptr);
    snprintf(name, sizeof name, "%.*s", (int)t->name.len, t->name.ptr);
    int rc = mybl_set_table_hints(s->stream.dec, db, name, t->ncolumns, h);
    free(h);
    return rc == 0 ? SLUICE_OK : my_oom(s, err);
}

/* ---- which table ---- */

static int str_is(mybl_str a, const char *p, size_t n)
{
    return a.len == n && memcmp(a.ptr, p, n) == 0;
}

sluice_status my_stream_table(mysrc *s, const mybl_table *tm, int *index, sluice_error *err)
{
    *index = -1;
    for (uint32_t i = 0; i < s->ntables; i++) {
        const sluice_table *t = s->tables[i].table;
        if (str_is(tm->db, t->schema.ptr, t->schema.len) &&
            str_is(tm->name, t->name.ptr, t->name.len)) {
            *index = (int)i;
            return SLUICE_OK;
        }
    }
    for (uint32_t i = 0; i < s->stream.naliases; i++) {
        const my_alias *a = &s->stream.aliases[i];
        if (str_is(tm->db, a->db, strlen(a->db)) && str_is(tm->name, a->name, strlen(a->name))) {
            *index = (int)a->table;
            return SLUICE_OK;
        }
    }
    /* not in the catalog: created while streaming, or not ours */
    if (!s->catalog || !my_database_listed(s, tm->db.ptr, tm->db.len) ||
        !SLUICE_HAS(s->host, sluice_host, table_selected) ||
        !s->host->table_selected(s->ctx, (sluice_str){tm->db.ptr, tm->db.len},
                                 (sluice_str){tm->name.ptr, tm->name.len}))
        return SLUICE_OK;
    my_stream *st = &s->stream;
    if (!st->meta && my_connect(s, &st->meta, err) != SLUICE_OK)
        return err->status;
    char db[65], name[65];
    snprintf(db, sizeof db, "%.*s", (int)tm->db.len, tm->db.ptr);
    snprintf(name, sizeof name, "%.*s", (int)tm->name.len, tm->name.ptr);
    sluice_status rc = my_discover_created(s, st->meta, db, name, index, err);
    if (rc != SLUICE_OK || *index < 0)
        return rc;
    my_table *mt = &s->tables[*index];
    mt->schema_pending = 1; /* its SCHEMA event makes the table at the target */
    s->host->log(s->ctx, SLUICE_LOG_INFO,
                 "table \"%s.%s\" was created while streaming: captured from its first change",
                 db, name);
    return my_table_hints(s, mt, err);
}

/* ---- shape ---- */

static int same_shape(const my_table *mt, const mybl_table *tm)
{
    const sluice_table *t = mt->table;
    if (tm->ncols != t->ncolumns)
        return 0;
    for (uint32_t i = 0; i < tm->ncols; i++) {
        const sluice_column *c = sluice_table_column(t, i);
        const mybl_column *bc = &tm->cols[i];
        if (tm->has_names && !str_is(bc->name, c->name.ptr, c->name.len))
            return 0;
        if (mt->sig && mt->sig_ncols == tm->ncols ? mt->sig[i] != sig_of(bc)
                                                  : !type_agrees(c->source_type.ptr,
                                                                 c->source_type.len, bc))
            return 0;
    }
    return 1;
}

enum { I_NAME, I_TYPE, I_DTYPE, I_NULL, I_PK, I_JSON, I_N };

static MYSQL_RES *columns_now(mysrc *s, const mybl_table *tm, sluice_error *err)
{
    my_stream *st = &s->stream;
    if (!st->meta && my_connect(s, &st->meta, err) != SLUICE_OK)
        return NULL;
    sbuf b = {0};
    sb_printf(&b, "SELECT c.COLUMN_NAME, c.COLUMN_TYPE, LOWER(c.DATA_TYPE), c.IS_NULLABLE, "
                    "c.COLUMN_KEY = 'PRI', %s FROM information_schema.COLUMNS c "
                    "WHERE c.TABLE_SCHEMA = ",
              s->mariadb ? "EXISTS (SELECT 1 FROM information_schema.CHECK_CONSTRAINTS k "
                             "WHERE k.CONSTRAINT_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = "
                             "c.TABLE_NAME AND k.CHECK_CLAUSE = CONCAT('json_valid(`', "
                             "c.COLUMN_NAME, '`)'))"
                           : "0");
    my_buf_literal(&b, tm->db.ptr, tm->db.len);
    sb_printf(&b, " AND c.TABLE_NAME = ");
    my_buf_literal(&b, tm->name.ptr, tm->name.len);
    char *sql = sb_take(&b);
    if (!sql) {
        my_oom(s, err);
        return NULL;
    }
    MYSQL_RES *r = my_query(s, st->meta, sql, "read a changed table's columns", err);
    free(sql);
    return r;
}

static MYSQL_ROW find_row(MYSQL_RES *r, mybl_str name)
{
    if (!r || !name.len)
        return NULL;
    mysql_data_seek(r, 0);
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(r)))
        if (row[I_NAME] && strlen(row[I_NAME]) == name.len &&
            strncasecmp(row[I_NAME], name.ptr, name.len) == 0)
            return row;
    return NULL;
}

static const sluice_column *old_column(const my_table *mt, const mybl_table *tm, uint32_t i)
{
    const sluice_table *t = mt->table;
    const mybl_column *bc = &tm->cols[i];
    for (uint32_t k = 0; k < t->ncolumns; k++) {
        const sluice_column *c = sluice_table_column(t, k);
        if (tm->has_names ? !str_is(bc->name, c->name.ptr, c->name.len) : k != i)
            continue;
        int same = mt->sig && mt->sig_ncols == t->ncolumns
                       ? mt->sig[k] == sig_of(bc)
                       : type_agrees(c->source_type.ptr, c->source_type.len, bc);
        return same ? c : NULL;
    }
    return NULL;
}

/* Column i of the new version t. */
static sluice_status new_column(mysrc *s, my_table *mt, const mybl_table *tm, uint32_t i,
                                MYSQL_RES **now, int keys_known, sluice_table *t,
                                uint8_t *read_as, int32_t *bits, sluice_error *err)
{
    const mybl_column *bc = &tm->cols[i];
    const sluice_column *old = old_column(mt, tm, i);
    char fallback[32];
    mybl_str name = bc->name;
    if (!tm->has_names) {
        if (old)
            name = (mybl_str){old->name.ptr, old->name.len};
        else if (i < mt->table->ncolumns)
            name = (mybl_str){sluice_table_column(mt->table, i)->name.ptr,
                              sluice_table_column(mt->table, i)->name.len};
        else {
            snprintf(fallback, sizeof fallback, "col%u", (unsigned)i + 1);
            name = (mybl_str){fallback, strlen(fallback)};
        }
    }
    char *stype = NULL;
    int is_json = 0, pk = 0;
    if (old) {
        stype = strndup(old->source_type.ptr, old->source_type.len);
        pk = (old->flags & SLUICE_COLUMN_KEY) != 0;
    } else {
        if (!*now && !(*now = columns_now(s, tm, err)))
            return err->status;
        MYSQL_ROW row = find_row(*now, name);
        if (row && row[I_TYPE] && type_agrees(row[I_TYPE], strlen(row[I_TYPE]), bc)) {
            is_json = row[I_JSON] && row[I_JSON][0] == '1';
            stype = strdup(is_json ? "json" : row[I_TYPE]);
            pk = row[I_PK] && row[I_PK][0] == '1';
        } else {
            sbuf b = {0};
            derive_type(bc, &b);
            stype = sb_take(&b);
        }
    }
    if (!stype)
        return my_oom(s, err);
    if (keys_known)
        pk = bc->key != 0;
    char dt[64];
    data_type_word(stype, strlen(stype), dt, sizeof dt);
    my_canonical c;
    my_map_type(stype, dt, is_json || strcmp(dt, "json") == 0, &c);
    uint32_t flags = (bc->nullable ? SLUICE_COLUMN_NULLABLE : 0) |
                     (pk ? SLUICE_COLUMN_KEY | SLUICE_COLUMN_REPLICA_IDENTITY : 0);
    int failed = s->host->column_set(t, i, (sluice_str){name.ptr, name.len},
                                     (sluice_str){stype, strlen(stype)}, c.type, flags) != 0;
    free(stype);
    if (failed)
        return my_oom(s, err);
    sluice_column *col = sluice_table_column(t, i);
    col->precision = old ? old->precision : c.precision;
    col->scale = old ? old->scale : c.scale;
    read_as[i] = (uint8_t)c.read_as;
    bits[i] = c.bits;
    return SLUICE_OK;
}

static sluice_status remember(mysrc *s, my_table *mt, const mybl_table *tm, sluice_error *err)
{
    uint64_t *sig = realloc(mt->sig, (tm->ncols ? tm->ncols : 1) * sizeof *sig);
    if (!sig)
        return my_oom(s, err);
    for (uint32_t i = 0; i < tm->ncols; i++)
        sig[i] = sig_of(&tm->cols[i]);
    mt->sig = sig;
    mt->sig_ncols = tm->ncols;
    return SLUICE_OK;
}

sluice_status my_shape_check(mysrc *s, uint32_t index, const mybl_table *tm, sluice_error *err)
{
    my_table *mt = &s->tables[index];
    if (same_shape(mt, tm))
        return remember(s, mt, tm, err);
    if (!s->catalog || tm->ncols == 0)
        return s->host->error(err, SLUICE_FATAL, "table \"%.*s.%.*s\" changed shape in the "
                                                 "binary log, and no catalog is at hand",
                              (int)tm->db.len, tm->db.ptr, (int)tm->name.len, tm->name.ptr);
    sluice_table *t = s->host->table_reshape(s->catalog, mt->table, tm->ncols);
    uint8_t *read_as = calloc(tm->ncols, 1);
    int32_t *bits = calloc(tm->ncols, sizeof *bits);
    if (!t || !read_as || !bits) {
        free(read_as);
        free(bits);
        return my_oom(s, err);
    }
    int keys_known = 0;
    for (uint32_t i = 0; i < tm->ncols; i++)
        keys_known |= tm->cols[i].key != 0;
    MYSQL_RES *now = NULL;
    sluice_status st = SLUICE_OK;
    for (uint32_t i = 0; i < tm->ncols && st == SLUICE_OK; i++)
        st = new_column(s, mt, tm, i, &now, keys_known, t, read_as, bits, err);
    if (now)
        mysql_free_result(now);
    if (st != SLUICE_OK) {
        free(read_as);
        free(bits);
        return st;
    }
    free(mt->read_as);
    free(mt->bits);
    mt->read_as = read_as;
    mt->bits = bits;
    mt->table = t;
    mt->schema_pending = 1;
    s->host->log(s->ctx, SLUICE_LOG_INFO,
                 "table \"%.*s.%.*s\" changed shape in the binary log: %u columns now",
                 (int)t->schema.len, t->schema.ptr, (int)t->name.len, t->name.ptr,
                 (unsigned)tm->ncols);
    if ((st = my_table_hints(s, mt, err)) != SLUICE_OK)
        return st;
    return remember(s, mt, tm, err);
}

/* ---- DDL statements ---- */

typedef struct lexer {
    const char *p, *end;
} lexer;

static void skip_space(lexer *l)
{
    for (;;) {
        while (l->p < l->end && isspace((unsigned char)*l->p))
            l->p++;
        if (l->end - l->p >= 2 && l->p[0] == '/' && l->p[1] == '*') {
            const char *e = l->p + 2;
            while (e + 1 < l->end && !(e[0] == '*' && e[1] == '/'))
                e++;
            l->p = e + 1 < l->end ? e + 2 : l->end;
            continue;
        }
        return;
    }
}

static int keyword(lexer *l, const char *kw)
{
    skip_space(l);
    size_t n = strlen(kw);
    if ((size_t)(l->end - l->p) >= n && strncasecmp(l->p, kw, n) == 0 &&
        (l->p + n == l->end || !(isalnum((unsigned char)l->p[n]) || l->p[n] == '_'))) {
        l->p += n;
        return 1;
    }
    return 0;
}

/* One identifier, `quoted` or bare, into out; 0 when none. */
static int ident(lexer *l, char *out, size_t size)
{
    skip_space(l);
    size_t n = 0;
    if (l->p < l->end && *l->p == '`') {
        l->p++;
        while (l->p < l->end) {
            if (*l->p == '`') {
                if (l->p + 1 < l->end && l->p[1] == '`') {
                    l->p++;
                } else {
                    l->p++;
                    break;
                }
            }
            if (n + 1 < size)
                out[n++] = *l->p;
            l->p++;
        }
    } else {
        while (l->p < l->end && (isalnum((unsigned char)*l->p) || *l->p == '_' || *l->p == '$' ||
                                 (unsigned char)*l->p >= 0x80)) {
            if (n + 1 < size)
                out[n++] = *l->p;
            l->p++;
        }
    }
    out[n] = '\0';
    return n > 0;
}

/* [db.]name; db defaults to the statement's database. */
static int table_name(lexer *l, const mybl_str *defdb, char *db, char *name)
{
    if (!ident(l, name, 65))
        return 0;
    if (l->p < l->end && *l->p == '.') {
        l->p++;
        memcpy(db, name, 65);
        return ident(l, name, 65);
    }
    snprintf(db, 65, "%.*s", (int)defdb->len, defdb->ptr);
    return 1;
}

static int table_index(mysrc *s, const char *db, const char *name)
{
    mybl_table tm;
    memset(&tm, 0, sizeof tm);
    tm.db = (mybl_str){db, strlen(db)};
    tm.name = (mybl_str){name, strlen(name)};
    for (uint32_t i = 0; i < s->ntables; i++) {
        const sluice_table *t = s->tables[i].table;
        if (str_is(tm.db, t->schema.ptr, t->schema.len) &&
            str_is(tm.name, t->name.ptr, t->name.len))
            return (int)i;
    }
    for (uint32_t i = 0; i < s->stream.naliases; i++)
        if (strcmp(s->stream.aliases[i].db, db) == 0 &&
            strcmp(s->stream.aliases[i].name, name) == 0)
            return (int)s->stream.aliases[i].table;
    return -1;
}

static sluice_status add_alias(mysrc *s, int index, const char *db, const char *name,
                               sluice_error *err)
{
    my_stream *st = &s->stream;
    my_alias *more = realloc(st->aliases, (st->naliases + 1) * sizeof *more);
    if (!more)
        return my_oom(s, err);
    st->aliases = more;
    my_alias *a = &more[st->naliases++];
    snprintf(a->db, sizeof a->db, "%s", db);
    snprintf(a->name, sizeof a->name, "%s", name);
    a->table = (uint32_t)index;
    const sluice_table *t = s->tables[index].table;
    s->host->log(s->ctx, SLUICE_LOG_INFO,
                 "table \"%.*s.%.*s\" was renamed to \"%s.%s\" at the source: its changes "
                 "still go to the table of the old name",
                 (int)t->schema.len, t->schema.ptr, (int)t->name.len, t->name.ptr, db, name);
    return SLUICE_OK;
}

/* RENAME TABLE a TO b [, c TO d] */
static sluice_status rename_tables(mysrc *s, lexer *l, const mybl_str *defdb, sluice_error *err)
{
    do {
        char db[65], name[65], db2[65], name2[65];
        if (!table_name(l, defdb, db, name) || !keyword(l, "TO") ||
            !table_name(l, defdb, db2, name2))
            return SLUICE_OK;
        int index = table_index(s, db, name);
        if (index >= 0) {
            sluice_status st = add_alias(s, index, db2, name2, err);
            if (st != SLUICE_OK)
                return st;
        }
        skip_space(l);
    } while (l->p < l->end && *l->p++ == ',');
    return SLUICE_OK;
}

sluice_status my_ddl(mysrc *s, const mybl_str *db, const mybl_str *sql, int *truncate,
                     sluice_error *err)
{
    lexer l = {sql->ptr, sql->ptr + sql->len};
    char tdb[65], name[65];
    *truncate = -1;
    if (keyword(&l, "TRUNCATE")) {
        keyword(&l, "TABLE");
        if (table_name(&l, db, tdb, name))
            *truncate = table_index(s, tdb, name);
        return SLUICE_OK;
    }
    if (keyword(&l, "RENAME")) {
        if (keyword(&l, "TABLE") || keyword(&l, "TABLES"))
            return rename_tables(s, &l, db, err);
        return SLUICE_OK;
    }
    if (keyword(&l, "ALTER")) {
        keyword(&l, "ONLINE");
        keyword(&l, "IGNORE");
        if (!keyword(&l, "TABLE") || !table_name(&l, db, tdb, name))
            return SLUICE_OK;
        int index = table_index(s, tdb, name);
        /* ALTER TABLE a RENAME [TO|AS] b (possibly after other changes) */
        const char *p = l.p;
        while (index >= 0 && p < l.end) {
            lexer k = {p, l.end};
            if (keyword(&k, "RENAME") && !keyword(&k, "COLUMN") && !keyword(&k, "INDEX") &&
                !keyword(&k, "KEY")) {
                if (!keyword(&k, "TO"))
                    keyword(&k, "AS");
                char db2[65], name2[65];
                if (table_name(&k, db, db2, name2))
                    return add_alias(s, index, db2, name2, err);
            }
            p++;
        }
        return SLUICE_OK;
    }
    if (keyword(&l, "DROP")) {
        keyword(&l, "TEMPORARY");
        if (!keyword(&l, "TABLE"))
            return SLUICE_OK;
        if (keyword(&l, "IF"))
            keyword(&l, "EXISTS");
        do {
            if (table_name(&l, db, tdb, name) && table_index(s, tdb, name) >= 0)
                s->host->log(s->ctx, SLUICE_LOG_WARNING,
                             "table \"%s.%s\" was dropped at the source; the target keeps its "
                             "table and rows",
                             tdb, name);
            skip_space(&l);
        } while (l.p < l.end && *l.p++ == ',');
    }
    return SLUICE_OK;
}

void my_shape_free(mysrc *s)
{
    my_stream *st = &s->stream;
    free(st->aliases);
    st->aliases = NULL;
    st->naliases = 0;
}
