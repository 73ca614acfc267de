/*
 * Target tables: prepare_table (create / truncate / keep, per TargetTablePrepMode)
 * and schema changes during CDC (ALTER TABLE to the new shape).
 *
 * A column's type is the source's own name for it when the target resolves
 * that name (to_regtype, which also proves the text is nothing but a type
 * name, so it is safe to put in DDL) to a type that holds the column's
 * canonical type; otherwise pgtypes.c's mapping of the canonical type.
 */
#include <stdlib.h>
#include <string.h>

#include "pgtypes.h"
#include "sinkpg.h"
#include "sqltext.h"

sluice_status sp_ensure_schema(sinkpg *s, const char *schema, sluice_status st,
                               sluice_error *err)
{
    char what[400];
    snprintf(what, sizeof what, "could not look up schema \"%s\"", schema);
    PGresult *res = sp_query(s, err, st,
                             "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1", 1,
                             &schema, what);
    if (!res)
        return err->status;
    int exists = PQntuples(res) > 0;
    PQclear(res);
    if (exists) /* CREATE SCHEMA IF NOT EXISTS would still need the CREATE privilege */
        return SLUICE_OK;
    sbuf sql = {0};
    sb_puts(&sql, "CREATE SCHEMA IF NOT EXISTS ");
    sql_put_ident(&sql, schema, strlen(schema));
    snprintf(what, sizeof what, "could not create schema \"%s\"", schema);
    sluice_status rc = sb_cstr(&sql) ? sp_command(s, err, st, sql.data, what) : sp_oom(s, err);
    sb_free(&sql);
    if (rc == SLUICE_OK)
        s->host->log(s->ctx, SLUICE_LOG_INFO, "created schema \"%s\"", schema);
    return rc;
}

/* ---- column types ---- */

static const char resolve_sql[] =
    "SELECT b.typname, b.typcategory, t.typtype FROM pg_catalog.pg_type t "
    "JOIN pg_catalog.pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype "
    "ELSE t.oid END WHERE t.oid = pg_catalog.to_regtype($1)";

/*
 * What the target makes of a type name: 1 resolved (info filled), 0 not a type
 * here, -1 the connection failed. to_regtype raises an error for text that is
 * not a type name at all ("tinyint(1) unsigned"): inside a transaction a
 * savepoint keeps that from aborting it.
 */
static int resolve(sinkpg *s, const char *name, int in_txn, pgtype_info *info)
{
    if (in_txn)
        PQclear(PQexec(s->conn, "SAVEPOINT sluice_type_check"));
    PGresult *res = PQexecParams(s->conn, resolve_sql, 1, NULL, &name, NULL, NULL, 0);
    int found = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0;
    if (found) {
        snprintf(info->typname, sizeof info->typname, "%s", PQgetvalue(res, 0, 0));
        info->category = PQgetvalue(res, 0, 1)[0];
        info->typtype = PQgetvalue(res, 0, 2)[0];
    }
    int failed = PQresultStatus(res) != PGRES_TUPLES_OK;
    PQclear(res);
    if (in_txn)
        PQclear(PQexec(s->conn, failed ? "ROLLBACK TO SAVEPOINT sluice_type_check; "
                                         "RELEASE SAVEPOINT sluice_type_check"
                                       : "RELEASE SAVEPOINT sluice_type_check"));
    return sp_connection_lost(s) ? -1 : found;
}

/* The column's target type into out. */
static sluice_status column_type(sinkpg *s, const sp_table *tt, const sluice_column *c,
                                 int in_txn, sbuf *out, sluice_error *err)
{
    sluice_status lost = in_txn ? SLUICE_FATAL : SLUICE_RETRY;
    char *named = NULL;
    if (c->source_type.len && !memchr(c->source_type.ptr, '\0', c->source_type.len))
        named = strndup(c->source_type.ptr, c->source_type.len);
    pgtype_info info;
    int found = named ? resolve(s, named, in_txn, &info) : 0;
    if (found < 0) {
        free(named);
        return sp_report(s, err, lost, NULL, "could not look up a column type", NULL);
    }
    if (found && pgtype_accepts(c, &info)) {
        sb_puts(out, named); /* verbatim: keeps the typmod, as in numeric(18,2) */
        free(named);
        return SLUICE_OK;
    }
    size_t before = out->len;
    if (pgtype_fallback(c, out) != 0) {
        s->host->error(err, SLUICE_ERROR,
                       "cannot create column \"%.*s\" of table \"%s\": type \"%s\" does not "
                       "exist at the target",
                       (int)c->name.len, c->name.ptr, tt->display, named ? named : "");
        s->host->error_detail(err, "The source names the type \"%s\" and gives no canonical "
                                   "type that sluice could map instead.",
                              named ? named : "");
        s->host->error_hint(err, "Create the type at the target first (CREATE TYPE or CREATE "
                                 "DOMAIN), or give the column another type with a transform.");
        free(named);
        return SLUICE_ERROR;
    }
    if (named && (c->type == SLUICE_TYPE_SOURCE_NATIVE || c->type == SLUICE_TYPE_ENUM) &&
        sb_cstr(out))
        s->host->log(s->ctx, SLUICE_LOG_WARNING,
                     "column \"%.*s\" of table \"%s\": type \"%s\" does not exist at the target; "
                     "using %s",
                     (int)c->name.len, c->name.ptr, tt->display, named, out->data + before);
    free(named);
    return SLUICE_OK;
}

/* "name type [NOT NULL]" */
static sluice_status column_def(sinkpg *s, const sp_table *tt, const sluice_column *c, int in_txn,
                                int not_null, sbuf *sql, sluice_error *err)
{
    sql_put_ident(sql, c->name.ptr, c->name.len);
    sb_putc(sql, ' ');
    sluice_status st = column_type(s, tt, c, in_txn, sql, err);
    if (st == SLUICE_OK && not_null)
        sb_puts(sql, " NOT NULL");
    return st;
}

static sluice_status create_sql(sinkpg *s, const sp_table *tt, const sluice_table *t, int in_txn,
                                sbuf *sql, sluice_error *err)
{
    sb_reset(sql);
    sb_printf(sql, "CREATE TABLE %s (", tt->qname);
    uint32_t nkeys = 0;
    for (uint32_t i = 0; i < t->ncolumns; i++) {
        const sluice_column *c = sluice_table_column(t, i);
        if (i)
            sb_puts(sql, ", ");
        sluice_status st = column_def(s, tt, c, in_txn, !(c->flags & SLUICE_COLUMN_NULLABLE), sql,
                                      err);
        if (st != SLUICE_OK)
            return st;
        nkeys += (c->flags & SLUICE_COLUMN_KEY) != 0;
    }
    for (uint32_t i = 0, k = 0; i < t->ncolumns && nkeys; i++) {
        const sluice_column *c = sluice_table_column(t, i);
        if (!(c->flags & SLUICE_COLUMN_KEY))
            continue;
        sb_puts(sql, k++ ? ", " : ", PRIMARY KEY (");
        sql_put_ident(sql, c->name.ptr, c->name.len);
    }
    sb_puts(sql, nkeys ? "))" : ")");
    return sb_cstr(sql) ? SLUICE_OK : sp_oom(s, err);
}

/* ---- prepare_table ---- */

static int table_exists(sinkpg *s, const sp_table *tt, sluice_error *err)
{
    return sp_table_exists(s, tt->schema, tt->name, tt->display, SLUICE_ERROR, err);
}

/*
 * Runs statements in one transaction; rolls back on the first failure. With
 * error_policy = record the table's recorded errors go in the same
 * transaction: the table is about to be loaded from nothing again. `created`:
 * the statements create the table t, whose indexes are then recorded to be
 * built after the load (indexes.c, ABI 1.2); NULL otherwise.
 */
static sluice_status in_transaction(sinkpg *s, const sp_table *tt, const char *const *sql,
                                    const char *const *what, int n, const sluice_table *created,
                                    sluice_error *err)
{
    sluice_status st = sp_command(s, err, SLUICE_ERROR, "BEGIN", "could not begin a transaction");
    for (int i = 0; i < n && st == SLUICE_OK; i++)
        st = sp_command(s, err, SLUICE_ERROR, sql[i], what[i]);
    if (st == SLUICE_OK && s->record)
        st = sp_errors_purge(s, tt, err);
    if (st == SLUICE_OK && created)
        st = sp_indexes_record(s, tt, created, err);
    if (st == SLUICE_OK)
        return sp_command(s, err, SLUICE_ERROR, "COMMIT", "could not commit the table's DDL");
    if (!sp_connection_lost(s))
        PQclear(PQexec(s->conn, "ROLLBACK"));
    return st;
}

sluice_status sp_prepare_table(sinkpg *s, const sluice_table *t, sluice_prep_mode mode,
                               sluice_error *err)
{
    if (s->txn_open) { /* its own COMMIT would commit part of the change stream */
        s->host->error(err, SLUICE_FATAL, "cannot prepare a table while changes are being applied");
        s->host->error_detail(err, "A target transaction with uncommitted changes is open on "
                                   "this instance.");
        return SLUICE_FATAL;
    }
    sluice_status st = sp_ensure_connected(s, err);
    if (st != SLUICE_OK)
        return st;
    sp_table *tt = sp_table_for(s, t, err);
    if (!tt)
        return err->status;
    if ((st = sp_table_set_shape(s, tt, t, err)) != SLUICE_OK)
        return st;
    if (tt->nstmts)
        sp_table_drop_statements(s, tt); /* the table may be about to change under them */
    if (s->record && (st = sp_errors_ensure(s, SLUICE_ERROR, err)) != SLUICE_OK)
        return st; /* here, before the lanes need it */
    int exists = table_exists(s, tt, err);
    if (exists < 0)
        return err->status;
    if (exists && mode == SLUICE_PREP_DO_NOTHING)
        return SLUICE_OK;
    char drop[400], create[400], truncate[400];
    snprintf(drop, sizeof drop, "could not drop table \"%s\"", tt->display);
    snprintf(create, sizeof create, "could not create table \"%s\"", tt->display);
    snprintf(truncate, sizeof truncate, "could not truncate table \"%s\"", tt->display);
    sbuf sql = {0}, other = {0};
    if (exists && mode == SLUICE_PREP_TRUNCATE) {
        sb_printf(&sql, "TRUNCATE TABLE %s", tt->qname);
        const char *stmts[1] = {sb_cstr(&sql)}, *whats[1] = {truncate};
        st = stmts[0] ? in_transaction(s, tt, stmts, whats, 1, NULL, err) : sp_oom(s, err);
        if (st == SLUICE_OK)
            s->host->log(s->ctx, SLUICE_LOG_INFO, "truncated table \"%s\"", tt->display);
    } else {
        st = create_sql(s, tt, t, 0, &sql, err);
        if (st == SLUICE_OK)
            st = sp_ensure_schema(s, tt->schema, SLUICE_ERROR, err);
        if (st == SLUICE_OK) {
            sb_printf(&other, "DROP TABLE IF EXISTS %s", tt->qname);
            const char *stmts[2] = {sb_cstr(&other), sql.data}, *whats[2] = {drop, create};
            int n = exists ? 2 : 1; /* DROP only what is there: no notice, no race with it */
            st = !stmts[0] ? sp_oom(s, err)
                           : in_transaction(s, tt, exists ? stmts : stmts + 1,
                                            exists ? whats : whats + 1, n, t, err);
        }
        if (st == SLUICE_OK)
            s->host->log(s->ctx, SLUICE_LOG_INFO, "%s table \"%s\"",
                         exists ? "dropped and created" : "created", tt->display);
    }
    sb_free(&sql);
    sb_free(&other);
    return st;
}

/* ---- schema changes ---- */

static int find_column(const sluice_table *t, const char *name)
{
    size_t n = strlen(name);
    for (uint32_t i = 0; i < t->ncolumns; i++) {
        const sluice_column *c = sluice_table_column(t, i);
        if (c->name.len == n && memcmp(c->name.ptr, name, n) == 0)
            return (int)i;
    }
    return -1;
}

static int same_type(const sluice_column *a, const sluice_column *b)
{
    return a->type == b->type && a->precision == b->precision && a->scale == b->scale &&
           a->element_type == b->element_type && a->source_type.len == b->source_type.len &&
           memcmp(a->source_type.ptr, b->source_type.ptr, a->source_type.len) == 0;
}

/* The target table's current column names, or NULL rows when it does not exist. */
static PGresult *target_columns(sinkpg *s, const sp_table *tt, sluice_error *err)
{
    char what[400];
    snprintf(what, sizeof what, "could not read the columns of table \"%s\"", tt->display);
    const char *q = tt->qname;
    return sp_query(s, err, SLUICE_FATAL,
                    "SELECT attname FROM pg_catalog.pg_attribute WHERE attrelid = "
                    "pg_catalog.to_regclass($1) AND attnum > 0 AND NOT attisdropped "
                    "ORDER BY attnum",
                    1, &q, what);
}

static int in_result(const PGresult *res, const char *name, size_t len)
{
    for (int r = 0; r < PQntuples(res); r++)
        if (strlen(PQgetvalue(res, r, 0)) == len && memcmp(PQgetvalue(res, r, 0), name, len) == 0)
            return 1;
    return 0;
}

/*
 * "ALTER TABLE x DROP COLUMN ..., ADD COLUMN ..., ALTER COLUMN ... TYPE ..." for
 * the new shape t. The previous shape is the one this instance last saw; when
 * it saw none (a restart), the target table stands in for it, and type changes
 * cannot be told apart from columns the user typed differently, so only
 * columns are added and dropped.
 */
static sluice_status alter_sql(sinkpg *s, const sp_table *tt, const sluice_table *prev,
                               const sluice_table *t, const PGresult *cols, sbuf *sql,
                               sluice_error *err)
{
    sb_reset(sql);
    sb_printf(sql, "ALTER TABLE %s", tt->qname);
    size_t bare = sql->len;
    for (int r = 0; r < PQntuples(cols); r++) {
        const char *name = PQgetvalue(cols, r, 0);
        int was_source = !prev || find_column(prev, name) >= 0; /* keep the target's own */
        if (find_column(t, name) < 0 && was_source) {
            sb_puts(sql, sql->len > bare ? ", DROP COLUMN " : " DROP COLUMN ");
            sql_put_ident(sql, name, strlen(name));
        }
    }
    for (uint32_t i = 0; i < t->ncolumns; i++) {
        const sluice_column *c = sluice_table_column(t, i);
        sluice_status st = SLUICE_OK;
        if (!in_result(cols, c->name.ptr, c->name.len)) {
            /* never NOT NULL: the rows already there have no value for it */
            sb_puts(sql, sql->len > bare ? ", ADD COLUMN " : " ADD COLUMN ");
            st = column_def(s, tt, c, 1, 0, sql, err);
        } else if (prev) {
            char *name = strndup(c->name.ptr, c->name.len);
            if (!name)
                return sp_oom(s, err);
            int j = find_column(prev, name);
            free(name);
            if (j >= 0 && !same_type(sluice_table_column(prev, (uint32_t)j), c)) {
                sbuf type = {0};
                st = column_type(s, tt, c, 1, &type, err);
                if (st == SLUICE_OK && sb_cstr(&type)) {
                    sb_puts(sql, sql->len > bare ? ", ALTER COLUMN " : " ALTER COLUMN ");
                    sql_put_ident(sql, c->name.ptr, c->name.len);
                    sb_printf(sql, " TYPE %s USING ", type.data);
                    sql_put_ident(sql, c->name.ptr, c->name.len);
                    sb_printf(sql, "::%s", type.data);
                }
                sb_free(&type);
            }
        }
        if (st != SLUICE_OK)
            return st;
    }
    if (!sb_cstr(sql))
        return sp_oom(s, err);
    if (sql->len == bare)
        sb_reset(sql); /* nothing to change */
    return SLUICE_OK;
}

sluice_status sp_schema_change(sinkpg *s, sp_table *tt, const sluice_table *t, sluice_error *err)
{
    const sluice_table *prev = tt->columns ? tt->shape : NULL;
    PGresult *cols = target_columns(s, tt, err);
    if (!cols)
        return SLUICE_FATAL;
    sbuf sql = {0};
    sluice_status st;
    char what[400];
    int created = PQntuples(cols) == 0;
    if (created) { /* a table new to the target: the source created it after the start */
        snprintf(what, sizeof what, "could not create table \"%s\"", tt->display);
        st = create_sql(s, tt, t, 1, &sql, err);
        if (st == SLUICE_OK)
            st = sp_ensure_schema(s, tt->schema, SLUICE_FATAL, err);
    } else {
        snprintf(what, sizeof what, "could not change table \"%s\" to its new shape",
                 tt->display);
        st = alter_sql(s, tt, prev, t, cols, &sql, err);
    }
    PQclear(cols);
    if (st == SLUICE_ERROR)
        st = err->status = SLUICE_FATAL; /* in a transaction nothing is per table any more */
    if (st == SLUICE_OK && sql.len)
        st = sp_command(s, err, SLUICE_FATAL, sql.data, what);
    if (st == SLUICE_OK && sql.len)
        s->host->log(s->ctx, SLUICE_LOG_INFO, "%s: %s", created ? "created table" : "schema change",
                     sql.data);
    sb_free(&sql);
    if (st != SLUICE_OK)
        return st;
    sp_table_drop_statements(s, tt);
    return sp_table_set_shape(s, tt, t, err);
}

/*
 * A new version of a table met during its full load (ABI 1.8): the columns the
 * target lacks are added, nothing is dropped or retyped (other lanes load the
 * same table with the versions they met). Lanes altering the same table take
 * turns on its lock; the caller ended its own COPY first, so none waits on
 * itself.
 */
sluice_status sp_load_schema_change(sinkpg *s, sp_table *tt, const sluice_table *t,
                                    sluice_error *err)
{
    char what[400];
    snprintf(what, sizeof what, "could not add the new columns of table \"%s\"", tt->display);
    sbuf sql = {0};
    sb_printf(&sql, "LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE", tt->qname);
    sluice_status st = sb_cstr(&sql) ? sp_command(s, err, SLUICE_ERROR, "BEGIN", what)
                                     : sp_oom(s, err);
    if (st == SLUICE_OK)
        st = sp_command(s, err, SLUICE_ERROR, sql.data, what);
    PGresult *cols = st == SLUICE_OK ? target_columns(s, tt, err) : NULL;
    if (st == SLUICE_OK && !cols)
        st = err->status;
    /* t as its own previous shape: a target column t lacks was never t's, so it stays */
    if (st == SLUICE_OK)
        st = alter_sql(s, tt, t, t, cols, &sql, err);
    PQclear(cols);
    if (st == SLUICE_OK && sql.len)
        st = sp_command(s, err, SLUICE_ERROR, sql.data, what);
    if (st == SLUICE_OK)
        st = sp_command(s, err, SLUICE_ERROR, "COMMIT", what);
    else if (PQtransactionStatus(s->conn) != PQTRANS_IDLE)
        PQclear(PQexec(s->conn, "ROLLBACK"));
    if (st == SLUICE_OK && sql.len)
        s->host->log(s->ctx, SLUICE_LOG_INFO, "schema change during the full load: %s", sql.data);
    sb_free(&sql);
    if (st == SLUICE_FATAL)
        st = err->status = SLUICE_ERROR; /* the table fails; the other tables go on */
    if (st != SLUICE_OK)
        return st;
    sp_table_drop_statements(s, tt);
    return sp_table_set_shape(s, tt, t, err);
}
