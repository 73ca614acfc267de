/*
 * The target tables an instance has met. A table is known by its target
 * schema and name (the schema option applied), because a transform may hand
 * the same table over under several sluice_table versions; each entry keeps
 * the last shape it saw, the columns that find a row, and the statements
 * prepared for that shape.
 */
#include <stdlib.h>
#include <string.h>

#include "sinkpg.h"
#include "sqltext.h"

static char *dup_str(sluice_str s)
{
    char *p = malloc(s.len + 1);
    if (p) {
        memcpy(p, s.ptr, s.len);
        p[s.len] = '\0';
    }
    return p;
}

static void free_statements(sp_table *tt)
{
    for (uint32_t i = 0; i < tt->nstmts; i++) {
        free(tt->stmts[i].mask);
        free(tt->stmts[i].param_cols);
    }
    tt->nstmts = 0;
}

static void free_columns(sp_table *tt)
{
    for (uint32_t i = 0; i < tt->ncolumns && tt->columns; i++)
        free(tt->columns[i]);
    free(tt->columns);
    tt->columns = NULL;
    tt->ncolumns = 0;
    free(tt->keys);
    tt->keys = NULL;
    tt->nkeys = 0;
}

static void table_free(sp_table *tt)
{
    if (!tt)
        return;
    free_statements(tt);
    free(tt->stmts);
    free_columns(tt);
    free(tt->schema);
    free(tt->name);
    free(tt->qname);
    free(tt->display);
    free(tt);
}

void sp_tables_free(sinkpg *s)
{
    for (uint32_t i = 0; i < s->ntables; i++)
        table_free(s->tables[i]);
    free(s->tables);
    s->tables = NULL;
    s->ntables = 0;
}

static sluice_status bad_name(sinkpg *s, sluice_error *err, sluice_str schema, sluice_str name)
{
    s->host->error(err, SLUICE_ERROR, "cannot name a table \"%.*s.%.*s\" at the target",
                   (int)strnlen(schema.ptr, schema.len), schema.ptr,
                   (int)strnlen(name.ptr, name.len), name.ptr);
    s->host->error_detail(err, "PostgreSQL names cannot contain NUL bytes.");
    s->host->error_hint(err, "Rename the table with a transform.");
    return SLUICE_ERROR;
}

static sp_table *table_new(sinkpg *s, sluice_str schema, sluice_str name)
{
    sp_table *tt = calloc(1, sizeof *tt);
    if (!tt)
        return NULL;
    tt->schema = dup_str(schema);
    tt->name = dup_str(name);
    sbuf q = {0}, d = {0};
    sql_put_qualified(&q, schema.ptr, schema.len, name.ptr, name.len);
    sb_put(&d, schema.ptr, schema.len);
    sb_putc(&d, '.');
    sb_put(&d, name.ptr, name.len);
    if (sb_cstr(&q) && sb_cstr(&d)) {
        tt->qname = q.data;
        tt->display = d.data;
    } else {
        sb_free(&q);
        sb_free(&d);
    }
    if (!tt->schema || !tt->name || !tt->qname || !tt->display) {
        table_free(tt);
        return NULL;
    }
    sp_table **more = realloc(s->tables, (s->ntables + 1) * sizeof *more);
    if (!more) {
        table_free(tt);
        return NULL;
    }
    s->tables = more;
    tt->slot = s->ntables;
    s->tables[s->ntables++] = tt;
    return tt;
}

sp_table *sp_table_for(sinkpg *s, const sluice_table *t, sluice_error *err)
{
    /* table versions live until the instance closes, so a pointer seen once stays this table's */
    for (uint32_t i = 0; i < s->ntables; i++)
        if (s->tables[i]->seen == t)
            return s->tables[i];
    sluice_str schema = s->schema ? (sluice_str){s->schema, strlen(s->schema)} : t->schema;
    if (memchr(schema.ptr, '\0', schema.len) || memchr(t->name.ptr, '\0', t->name.len)) {
        bad_name(s, err, schema, t->name);
        return NULL;
    }
    for (uint32_t i = 0; i < s->ntables; i++) {
        sp_table *tt = s->tables[i];
        if (strlen(tt->schema) == schema.len && memcmp(tt->schema, schema.ptr, schema.len) == 0 &&
            strlen(tt->name) == t->name.len && memcmp(tt->name, t->name.ptr, t->name.len) == 0) {
            tt->seen = t;
            return tt;
        }
    }
    sp_table *tt = table_new(s, schema, t->name);
    if (!tt)
        sp_oom(s, err);
    else
        tt->seen = t;
    return tt;
}

/* The columns that find a row: the primary key, else the replica identity. */
static int set_keys(sp_table *tt, const sluice_table *t)
{
    tt->keys = malloc((t->ncolumns ? t->ncolumns : 1) * sizeof *tt->keys);
    if (!tt->keys)
        return -1;
    tt->nkeys = 0;
    for (uint32_t i = 0; i < t->ncolumns; i++)
        if (sluice_table_column(t, i)->flags & SLUICE_COLUMN_KEY)
            tt->keys[tt->nkeys++] = (int32_t)i;
    tt->full_identity = 0;
    if (tt->nkeys == 0) {
        for (uint32_t i = 0; i < t->ncolumns; i++)
            if (sluice_table_column(t, i)->flags & SLUICE_COLUMN_REPLICA_IDENTITY)
                tt->keys[tt->nkeys++] = (int32_t)i;
        tt->full_identity = tt->nkeys > 0;
    }
    return 0;
}

static int same_columns(const sp_table *tt, const sluice_table *t)
{
    if (!tt->columns || tt->ncolumns != t->ncolumns)
        return 0;
    for (uint32_t i = 0; i < t->ncolumns; i++) {
        const sluice_column *c = sluice_table_column(t, i);
        if (strlen(tt->columns[i]) != c->name.len ||
            memcmp(tt->columns[i], c->name.ptr, c->name.len) != 0)
            return 0;
    }
    return 1;
}

sluice_status sp_table_set_shape(sinkpg *s, sp_table *tt, const sluice_table *t, sluice_error *err)
{
    if (tt->shape == t)
        return SLUICE_OK;
    for (uint32_t i = 0; i < t->ncolumns; i++) {
        const sluice_column *c = sluice_table_column(t, i);
        if (memchr(c->name.ptr, '\0', c->name.len)) {
            s->host->error(err, SLUICE_FATAL, "cannot name a column of table \"%s\" at the target",
                           tt->display);
            s->host->error_detail(err, "Column %u's name contains a NUL byte.", (unsigned)i + 1);
            s->host->error_hint(err, "Rename the column with a transform.");
            return SLUICE_FATAL;
        }
    }
    int same = same_columns(tt, t);
    if (!same && tt->nstmts)
        sp_table_drop_statements(s, tt); /* their column lists no longer match the rows */
    free(tt->keys);
    tt->keys = NULL;
    if (!same) {
        free_columns(tt);
        tt->columns = calloc(t->ncolumns ? t->ncolumns : 1, sizeof *tt->columns);
        if (!tt->columns)
            return sp_oom(s, err);
        tt->ncolumns = t->ncolumns;
        for (uint32_t i = 0; i < t->ncolumns; i++)
            if (!(tt->columns[i] = dup_str(sluice_table_column(t, i)->name)))
                return sp_oom(s, err);
    }
    if (set_keys(tt, t) != 0)
        return sp_oom(s, err);
    tt->shape = t;
    return SLUICE_OK;
}

void sp_table_drop_statements(sinkpg *s, sp_table *tt)
{
    if (tt->nstmts && !sp_connection_lost(s) && !s->pipe.active) {
        sbuf sql = {0};
        for (uint32_t i = 0; i < tt->nstmts; i++)
            sb_printf(&sql, "DEALLOCATE %s;", tt->stmts[i].name);
        if (sb_cstr(&sql)) {
            PGresult *res = PQexec(s->conn, sql.data); /* our own names: a simple query is safe */
            if (PQresultStatus(res) != PGRES_COMMAND_OK)
                s->host->log(s->ctx, SLUICE_LOG_DEBUG, "could not deallocate statements: %s",
                             PQresultErrorMessage(res));
            PQclear(res);
        }
        sb_free(&sql);
    }
    free_statements(tt);
    tt->generation++; /* new names even where DEALLOCATE was skipped */
}

sluice_status sp_table_option(sinkpg *s, const char *option, const char *value, char **schema,
                              char **name, char **qname, sluice_error *err)
{
    const char *opt = value ? value : "";
    const char *dot = strchr(opt, '.');
    *schema = dot ? strndup(opt, (size_t)(dot - opt)) : strdup("sluice");
    *name = strdup(dot ? dot + 1 : opt);
    if (!*schema || !*name)
        return sp_oom(s, err);
    if (!**schema || !**name) {
        s->host->error(err, SLUICE_FATAL, "invalid value for option \"%s\": \"%s\"", option, opt);
        s->host->error_detail(err, "It names a table as schema.table (or table, in schema "
                                   "sluice); both parts must be non-empty.");
        s->host->error_hint(err, "Set %s = \"sluice.sluice_%s\" or leave it out.", option,
                            strcmp(option, "errors_table") == 0 ? "errors" : "checkpoint");
        return SLUICE_FATAL;
    }
    sbuf q = {0};
    sql_put_qualified(&q, *schema, strlen(*schema), *name, strlen(*name));
    if (!sb_cstr(&q)) {
        sb_free(&q);
        return sp_oom(s, err);
    }
    *qname = q.data;
    return SLUICE_OK;
}
