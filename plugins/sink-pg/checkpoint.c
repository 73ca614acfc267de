/*
 * The checkpoint: one row per checkpoint_key in the checkpoint table
 * (default sluice.sluice_checkpoint), holding the source position of the
 * last source transaction committed at the target. apply.c writes it in the
 * same target transaction as the data, so the data and the position are
 * durable together or not at all; get_checkpoint reads it back at start.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sinkpg.h"
#include "sqltext.h"

void sp_checkpoint_display(const sinkpg *s, char *buf, size_t size)
{
    snprintf(buf, size, "%s.%s", s->ck_schema ? s->ck_schema : "?",
             s->ck_name ? s->ck_name : "?");
}

sluice_status sp_checkpoint_init(sinkpg *s, sluice_error *err)
{
    sluice_status st = sp_table_option(s, "checkpoint_table", s->cfg.checkpoint_table,
                                       &s->ck_schema, &s->ck_name, &s->ck_qname, err);
    if (st != SLUICE_OK)
        return st;
    s->ck_key = strdup(s->cfg.checkpoint_key ? s->cfg.checkpoint_key : "");
    if (!s->ck_key)
        return sp_oom(s, err);
    if (!*s->ck_key) {
        s->host->error(err, SLUICE_FATAL, "option \"checkpoint_key\" must not be empty");
        s->host->error_hint(err, "Give each pipeline writing to this target its own key, such as "
                                 "its name.");
        return SLUICE_FATAL;
    }
    return SLUICE_OK;
}

sluice_status sp_checkpoint_ensure(sinkpg *s, sluice_error *err)
{
    if (s->ck_ready)
        return SLUICE_OK;
    char table[300], what[400];
    sp_checkpoint_display(s, table, sizeof table);
    int exists = sp_table_exists(s, s->ck_schema, s->ck_name, table, SLUICE_FATAL, err);
    if (exists < 0)
        return err->status;
    if (!exists) {
        sluice_status st = sp_ensure_schema(s, s->ck_schema, SLUICE_FATAL, err);
        if (st != SLUICE_OK)
            return st;
        sbuf sql = {0};
        sb_printf(&sql,
                  "CREATE TABLE IF NOT EXISTS %s (key text PRIMARY KEY, position bytea NOT NULL, "
                  "updated_at timestamptz NOT NULL DEFAULT now())",
                  s->ck_qname);
        snprintf(what, sizeof what, "could not create the checkpoint table \"%s\"", table);
        st = sb_cstr(&sql) ? sp_command(s, err, SLUICE_FATAL, sql.data, what) : sp_oom(s, err);
        sb_free(&sql);
        if (st != SLUICE_OK)
            return st;
        s->host->log(s->ctx, SLUICE_LOG_INFO, "created the checkpoint table \"%s\"", table);
    }
    s->ck_ready = 1;
    return SLUICE_OK;
}

/* How long get_checkpoint waits for another session's lock on the same key. */
#define LOCK_WAIT_MS 30000
#define LOCK_POLL_MS 100

static const char lock_sql[] =
    "SELECT pg_catalog.pg_try_advisory_lock(pg_catalog.hashtext('sluice checkpoint'), "
    "pg_catalog.hashtext($1))";

static const char holder_sql[] =
    "SELECT pid FROM pg_catalog.pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND "
    "classid = pg_catalog.hashtext('sluice checkpoint')::oid AND "
    "objid = pg_catalog.hashtext($1)::oid AND granted LIMIT 1";

static sluice_status lock_busy(sinkpg *s, const char *lock_key, sluice_error *err)
{
    char table[300], pid[32] = "?";
    sp_checkpoint_display(s, table, sizeof table);
    PGresult *res = PQexecParams(s->conn, holder_sql, 1, NULL, &lock_key, NULL, NULL, 0);
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0)
        snprintf(pid, sizeof pid, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    s->host->error(err, SLUICE_FATAL, "checkpoint \"%s\" in table \"%s\" is in use by another session",
                   s->ck_key, table);
    s->host->error_detail(err, "Server process %s has held its lock for %d seconds: another "
                               "sluice run is writing to this target with the same checkpoint_key.",
                          pid, LOCK_WAIT_MS / 1000);
    s->host->error_hint(err, "Stop the other run, or give this pipeline its own checkpoint_key.");
    return SLUICE_FATAL;
}

/*
 * The main instance holds a session lock on its checkpoint key. Besides keeping
 * two runs off one key, it orders restarts: after a kill -9 the old server
 * process may still be working through a COMMIT the old run had sent; it lets
 * go of the lock only once it has finished, so the checkpoint read after
 * taking the lock includes that commit.
 */
sluice_status sp_checkpoint_lock(sinkpg *s, sluice_error *err)
{
    if (s->ck_locked)
        return SLUICE_OK;
    sbuf key = {0};
    sb_printf(&key, "%s.%s/%s", s->ck_schema, s->ck_name, s->ck_key);
    if (!sb_cstr(&key))
        return sp_oom(s, err);
    const char *lock_key = key.data;
    sluice_status st = SLUICE_OK;
    for (int waited = 0; st == SLUICE_OK && !s->ck_locked; waited += LOCK_POLL_MS) {
        PGresult *res = sp_query(s, err, SLUICE_FATAL, lock_sql, 1, &lock_key,
                                 "could not lock the checkpoint");
        if (!res) {
            st = err->status;
            break;
        }
        s->ck_locked = PQgetvalue(res, 0, 0)[0] == 't';
        PQclear(res);
        if (s->ck_locked)
            break;
        if (waited == 0)
            s->host->log(s->ctx, SLUICE_LOG_INFO, "waiting for another session to release "
                         "checkpoint \"%s\"", s->ck_key);
        if (waited >= LOCK_WAIT_MS || s->host->cancelled(s->ctx))
            st = lock_busy(s, lock_key, err);
        else
            nanosleep(&(struct timespec){0, LOCK_POLL_MS * 1000000L}, NULL);
    }
    sb_free(&key);
    return st;
}

sluice_status sp_checkpoint_read(sinkpg *s, sluice_position *out, sluice_error *err)
{
    out->len = 0;
    sluice_status st = sp_ensure_connected(s, err);
    if (st == SLUICE_OK)
        st = sp_checkpoint_lock(s, err);
    if (st == SLUICE_OK)
        st = sp_checkpoint_ensure(s, err);
    if (st != SLUICE_OK)
        return st;
    sbuf sql = {0};
    sb_printf(&sql, "SELECT position FROM %s WHERE key = $1", s->ck_qname);
    if (!sb_cstr(&sql))
        return sp_oom(s, err);
    const char *key = s->ck_key;
    /* binary results: the bytea's bytes as they are */
    PGresult *res = PQexecParams(s->conn, sql.data, 1, NULL, &key, NULL, NULL, 1);
    sb_free(&sql);
    char table[300], what[400];
    sp_checkpoint_display(s, table, sizeof table);
    snprintf(what, sizeof what, "could not read the checkpoint from table \"%s\"", table);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        st = sp_report(s, err, sp_connection_lost(s) ? SLUICE_RETRY : SLUICE_FATAL, res, what,
                       NULL);
        PQclear(res);
        return st;
    }
    if (PQntuples(res) > 0) {
        int len = PQgetlength(res, 0, 0);
        if (len < 0 || len > SLUICE_POSITION_MAX) {
            PQclear(res);
            s->host->error(err, SLUICE_FATAL, "%s: the position has %d bytes", what, len);
            s->host->error_detail(err, "A position has at most %d bytes.", SLUICE_POSITION_MAX);
            s->host->error_hint(err, "The row for checkpoint_key \"%s\" was not written by "
                                     "sluice; delete it to start over.",
                                s->ck_key);
            return SLUICE_FATAL;
        }
        memcpy(out->bytes, PQgetvalue(res, 0, 0), (size_t)len);
        out->len = (uint32_t)len;
    }
    PQclear(res);
    s->host->log(s->ctx, SLUICE_LOG_DEBUG, "checkpoint \"%s\" in \"%s\": %u bytes", s->ck_key,
                 table, (unsigned)out->len);
    return SLUICE_OK;
}

sluice_status sp_checkpoint_send(sinkpg *s, const sluice_position *pos, sluice_error *err)
{
    /* after every row it commits with is settled (that may send rows again, using s->sql) */
    sluice_status st = sp_pipe_settle(s, err);
    if (st == SLUICE_OK)
        st = sp_pipe_enter(s, err);
    if (st != SLUICE_OK)
        return st;
    sbuf *q = &s->sql;
    sb_reset(q);
    sb_printf(q,
              "INSERT INTO %s (key, position, updated_at) VALUES ($1, $2, clock_timestamp()) "
              "ON CONFLICT (key) DO UPDATE SET position = excluded.position, "
              "updated_at = excluded.updated_at",
              s->ck_qname);
    if (!sb_cstr(q))
        return sp_oom(s, err);
    const char *values[2] = {s->ck_key, (const char *)pos->bytes};
    int lengths[2] = {0, (int)pos->len}, formats[2] = {0, 1}; /* the position goes as binary */
    if (!PQsendQueryParams(s->conn, q->data, 2, NULL, values, lengths, formats, 0))
        return sp_report(s, err, SLUICE_FATAL, NULL, "could not send the checkpoint", NULL);
    return sp_pipe_push(s, (sp_item){.kind = ITEM_CHECKPOINT, .slot = UINT32_MAX, .xid = s->xid}, err);
}

sluice_status sp_checkpoint_cleanup(sinkpg *s, sluice_error *err)
{
    /* not while a run of this pipeline holds the checkpoint */
    sluice_status lock = sp_checkpoint_lock(s, err);
    if (lock != SLUICE_OK)
        return lock;
    char table[300], what[400];
    PGresult *res;
    sp_checkpoint_display(s, table, sizeof table);
    int exists = sp_table_exists(s, s->ck_schema, s->ck_name, table, SLUICE_ERROR, err);
    if (exists < 0)
        return err->status;
    if (!exists) {
        s->host->log(s->ctx, SLUICE_LOG_INFO, "no checkpoint table \"%s\": nothing to clean up",
                     table);
        return SLUICE_OK;
    }
    sbuf sql = {0};
    /* the table goes only when no other pipeline's key is left in it */
    sb_printf(&sql, "DELETE FROM %s WHERE key = $1", s->ck_qname);
    if (!sb_cstr(&sql))
        return sp_oom(s, err);
    const char *key = s->ck_key;
    snprintf(what, sizeof what, "could not delete checkpoint \"%s\" from table \"%s\"", s->ck_key,
             table);
    res = sp_query(s, err, SLUICE_ERROR, sql.data, 1, &key, what);
    sb_reset(&sql);
    if (!res) {
        sb_free(&sql);
        return err->status;
    }
    PQclear(res);
    sb_printf(&sql, "SELECT count(*) FROM %s", s->ck_qname);
    res = sb_cstr(&sql) ? sp_query(s, err, SLUICE_ERROR, sql.data, 0, NULL, what) : NULL;
    if (!res) {
        sb_free(&sql);
        return err->status ? err->status : sp_oom(s, err);
    }
    int empty = strcmp(PQgetvalue(res, 0, 0), "0") == 0;
    PQclear(res);
    sluice_status st = SLUICE_OK;
    if (empty) {
        sb_reset(&sql);
        sb_printf(&sql, "DROP TABLE IF EXISTS %s", s->ck_qname);
        snprintf(what, sizeof what, "could not drop the checkpoint table \"%s\"", table);
        st = sb_cstr(&sql) ? sp_command(s, err, SLUICE_ERROR, sql.data, what) : sp_oom(s, err);
    }
    sb_free(&sql);
    if (st == SLUICE_OK) {
        s->ck_ready = 0;
        s->host->log(s->ctx, SLUICE_LOG_INFO, "removed checkpoint \"%s\"%s", s->ck_key,
                     empty ? " and the then empty checkpoint table" : "");
    }
    return st;
}
