/*
 * Change capture: the binary log from a position (the full load's snapshot or
 * the target's checkpoint), read by rpl.c, decoded by mybl, handed to the core
 * as transactions of change events.
 *
 * Transactions: a MariaDB GTID event opens one; an XID event (InnoDB), a QUERY
 * "COMMIT" (non-transactional tables) or, after a standalone GTID, the DDL
 * statement itself closes it. BEGIN goes out before a transaction's first
 * change, so transactions that touch no captured table cost nothing; but one
 * such commit goes out at least every EMPTY_COMMIT_US, so that the target's
 * checkpoint keeps up with a busy server and a restart never has to reach far
 * back into binlog files the server may have purged.
 *
 * Positions: COMMIT carries the file and offset where the next transaction
 * starts, and the GTID position there; a restart streams from that file and
 * offset. The server follows rotation itself (a ROTATE, then the next file's
 * FORMAT_DESCRIPTION). A stream_read that stops inside a rows event keeps the
 * raw event and the row not yet emitted, and goes on from there next time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "source_mysql.h"

#define WAIT_MS 50
#define EMPTY_COMMIT_US 10000000LL

static int64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- positions ---- */

/* state with domain's entry set to d-s-n (MariaDB keeps one GTID per domain). */
static void gtid_merge(const char *state, uint32_t d, uint32_t srv, uint64_t n, char *out,
                       size_t size)
{
    size_t k = 0;
    int done = 0;
    const char *p = state;
    out[0] = '\0';
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char item[64];
        snprintf(item, sizeof item, "%.*s", (int)len, p);
        unsigned long dom = strtoul(item, NULL, 10);
        int w;
        if (dom == d && !done) {
            w = snprintf(out + k, size - k, "%s%u-%u-%llu", k ? "," : "", d, srv,
                         (unsigned long long)n);
            done = 1;
        } else {
            w = snprintf(out + k, size - k, "%s%s", k ? "," : "", item);
        }
        if (w < 0 || (size_t)w >= size - k)
            return;
        k += (size_t)w;
        p = end ? end + 1 : p + len;
    }
    if (!done)
        snprintf(out + k, size - k, "%s%u-%u-%llu", k ? "," : "", d, srv,
                 (unsigned long long)n);
}

static sluice_status bad_position(mysrc *s, const char *what, unsigned len, sluice_error *err)
{
    s->host->error(err, SLUICE_FATAL, "invalid binlog position %s", what);
    s->host->error_detail(err, "It has %u bytes and does not read as a binlog file name, "
                               "offset and GTID position.",
                          len);
    return SLUICE_FATAL;
}

/* Where the server's binary log stands now (mode cdc-only without a start). */
static sluice_status current_position(mysrc *s, my_pos *p, sluice_error *err)
{
    MYSQL_RES *r = my_query(s, s->conn, "SHOW MASTER STATUS", "read the binlog position", err);
    if (!r)
        return err->status;
    MYSQL_ROW row = mysql_fetch_row(r);
    if (row && row[0] && row[1]) {
        snprintf(p->file, sizeof p->file, "%s", row[0]);
        p->offset = strtoull(row[1], NULL, 10);
    }
    mysql_free_result(r);
    if (!p->file[0])
        return s->host->error(err, SLUICE_FATAL, "server \"%s\" has no binary log position",
                              s->server);
    if (s->mariadb) {
        int found;
        return my_query_value(s, s->conn, "SELECT @@gtid_binlog_pos", p->gtid, sizeof p->gtid,
                              &found, "read the GTID position", err);
    }
    return SLUICE_OK;
}

/* The position's file must still be on the server: never a silent jump. */
static sluice_status check_available(mysrc *s, const my_pos *p, sluice_error *err)
{
    MYSQL_RES *r = my_query(s, s->conn, "SHOW BINARY LOGS", "list the binary log files", err);
    if (!r)
        return err->status;
    char first[256] = "", last[256] = "";
    unsigned long long size = 0;
    int found = 0;
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(r))) {
        if (!row[0])
            continue;
        if (!first[0])
            snprintf(first, sizeof first, "%s", row[0]);
        snprintf(last, sizeof last, "%s", row[0]);
        if (strcmp(row[0], p->file) == 0) {
            found = 1;
            size = row[1] ? strtoull(row[1], NULL, 10) : 0;
        }
    }
    mysql_free_result(r);
    if (found && p->offset <= size)
        return SLUICE_OK;
    s->host->error(err, SLUICE_FATAL,
                   "binlog position %s:%llu is no longer available on server \"%s\"", p->file,
                   (unsigned long long)p->offset, s->server);
    if (!found)
        s->host->error_detail(err, "Change capture is to resume there, but the server keeps "
                                   "only binlog files %s to %s: the changes since then were "
                                   "purged (binlog_expire_logs_seconds, PURGE BINARY LOGS).",
                              first[0] ? first : "(none)", last[0] ? last : "(none)");
    else
        s->host->error_detail(err, "File %s has only %llu bytes: the log was reset or "
                                   "belongs to another server.",
                              p->file, size);
    s->host->error_hint(err, "Reload the tables: run the pipeline with mode "
                             "full-load-and-cdc into an empty target (or remove its state "
                             "directory and the target's checkpoint), and keep binary logs "
                             "longer than the pipeline may be stopped.");
    return SLUICE_FATAL;
}

/* ---- start / close ---- */

void my_stream_close(mysrc *s)
{
    my_stream *st = &s->stream;
    my_reader_stop(&st->rd);
    free(st->cur);
    st->cur = NULL;
    st->fed = st->row_pending = 0;
    if (st->dec)
        mybl_free(st->dec);
    st->dec = NULL;
    if (st->meta)
        mysql_close(st->meta);
    st->meta = NULL;
    my_shape_free(s);
    st->started = 0;
}

sluice_status my_stream_start(void *instance, const sluice_position *from, sluice_error *err)
{
    mysrc *s = instance;
    my_stream *st = &s->stream;
    my_stream_close(s); /* a new session after a lost connection */
    if (s->in_snapshot) { /* the full load is over: let InnoDB purge again */
        my_lock_release(s);
        sluice_status rc = my_exec(s, s->conn, "COMMIT", "end the snapshot", err);
        if (rc != SLUICE_OK)
            return rc;
        s->in_snapshot = 0;
    }
    my_pos p;
    memset(&p, 0, sizeof p);
    sluice_status rc = SLUICE_OK;
    if (from && from->len) {
        if (my_pos_get(from, &p) != 0)
            return bad_position(s, "to start from", (unsigned)from->len, err);
    } else if ((rc = current_position(s, &p, err)) != SLUICE_OK) {
        return rc;
    }
    if ((rc = check_available(s, &p, err)) != SLUICE_OK)
        return rc;
    memset(st, 0, sizeof *st);
    st->cur_table = -1;
    if (!(st->dec = mybl_new()))
        return my_oom(s, err);
    for (uint32_t i = 0; i < s->ntables && rc == SLUICE_OK; i++)
        rc = my_table_hints(s, &s->tables[i], err);
    if (rc == SLUICE_OK && my_pos_set(&st->horizon, &p) != 0)
        rc = bad_position(s, "to start from", 0, err);
    if (rc == SLUICE_OK)
        rc = my_reader_start(s, &st->rd, p.file, p.offset, err);
    if (rc != SLUICE_OK) {
        my_stream_close(s);
        return rc;
    }
    st->acked = st->horizon;
    snprintf(st->file, sizeof st->file, "%s", p.file);
    st->next_pos = p.offset;
    snprintf(st->gtid_state, sizeof st->gtid_state, "%s", p.gtid);
    mybl_set_file(st->dec, p.file);
    st->last_commit_emit_us = wall_us();
    st->started = 1;
    s->host->log(s->ctx, SLUICE_LOG_INFO, "reading the binary log of server \"%s\" from %s:%llu%s%s",
                 s->server, p.file, (unsigned long long)p.offset, p.gtid[0] ? " gtid " : "",
                 p.gtid);
    return SLUICE_OK;
}

/* ---- events ---- */

typedef enum { DONE, FULL } step;

static sluice_status begin_txn(mysrc *s, sluice_batch *b, step *r)
{
    my_stream *st = &s->stream;
    if (st->begun)
        return SLUICE_OK;
    sluice_event *e = s->host->emit(b, SLUICE_OP_BEGIN, NULL, 0);
    if (!e) {
        *r = FULL;
        return SLUICE_OK;
    }
    e->xid = st->gtid_seq;
    e->commit_time_us = st->begin_us;
    st->begun = 1;
    return SLUICE_OK;
}

static sluice_status commit_txn(mysrc *s, sluice_batch *b, step *r, sluice_error *err)
{
    my_stream *st = &s->stream;
    const mybl_event *ev = &st->ev;
    int64_t now = wall_us();
    char state[sizeof st->gtid_state];
    gtid_merge(st->gtid_state, st->gtid_domain, st->gtid_server, st->gtid_seq, state,
               sizeof state);
    if (!st->begun && now - st->last_commit_emit_us < EMPTY_COMMIT_US) {
        memcpy(st->gtid_state, state, sizeof state); /* nothing of ours in it */
        st->in_txn = 0;
        return SLUICE_OK;
    }
    sluice_status rc = begin_txn(s, b, r);
    if (rc != SLUICE_OK || *r == FULL)
        return rc;
    sluice_event *e = s->host->emit(b, SLUICE_OP_COMMIT, NULL, 0);
    if (!e || !e->position) {
        *r = FULL;
        return SLUICE_OK;
    }
    my_pos p;
    memset(&p, 0, sizeof p);
    snprintf(p.file, sizeof p.file, "%s", st->file);
    p.offset = ev->next_pos ? ev->next_pos : st->next_pos;
    snprintf(p.gtid, sizeof p.gtid, "%s", state);
    if (my_pos_set(e->position, &p) != 0)
        return bad_position(s, "at a commit", 0, err);
    e->xid = st->gtid_seq;
    e->commit_time_us = (int64_t)ev->timestamp * 1000000;
    st->horizon = *e->position;
    memcpy(st->gtid_state, state, sizeof state);
    st->in_txn = st->begun = 0;
    st->last_commit_emit_us = now;
    s->host->count(s->ctx, "transactions", 1);
    return SLUICE_OK;
}

static sluice_status emit_row(mysrc *s, sluice_batch *b, step *r, sluice_error *err)
{
    my_stream *st = &s->stream;
    my_table *mt = &s->tables[st->cur_table];
    sluice_status rc = begin_txn(s, b, r);
    if (rc != SLUICE_OK || *r == FULL)
        return rc;
    if (b->nevents > 0 && s->host->batch_full(b)) {
        *r = FULL;
        return SLUICE_OK;
    }
    if (mt->schema_pending) {
        /* a new table version starts a batch: the core maps a batch's events of
           one table through one version (chain.c), so rows of the old shape
           must not share a batch with the new one */
        if (b->nevents > 0) {
            *r = FULL;
            return SLUICE_OK;
        }
        if (!s->host->emit(b, SLUICE_OP_SCHEMA, mt->table, 0)) {
            *r = FULL;
            return SLUICE_OK;
        }
        mt->schema_pending = 0;
    }
    mybl_row_op bop = st->ev.u.rows.op;
    sluice_op op = bop == MYBL_OP_INSERT   ? SLUICE_OP_INSERT
                   : bop == MYBL_OP_UPDATE ? SLUICE_OP_UPDATE
                                           : SLUICE_OP_DELETE;
    sluice_event *e = s->host->emit(b, op, mt->table, op != SLUICE_OP_INSERT);
    if (!e) {
        *r = FULL;
        return SLUICE_OK;
    }
    uint32_t n = mt->table->ncolumns;
    for (uint32_t i = 0; i < n; i++) {
        if (st->after && e->new_row && i < st->after->ncols &&
            my_binlog_value(s->host, b, mt, i, &st->after->values[i], &e->new_row[i]) != 0)
            return my_oom(s, err);
        if (st->before && e->old_row && i < st->before->ncols &&
            my_binlog_value(s->host, b, mt, i, &st->before->values[i], &e->old_row[i]) != 0)
            return my_oom(s, err);
    }
    st->row_pending = 0;
    return SLUICE_OK;
}

static sluice_status decode_failed(mysrc *s, const mybl_error *me, sluice_error *err)
{
    s->host->error(err, SLUICE_FATAL, "%s", me->message);
    if (me->detail[0])
        s->host->error_detail(err, "%s", me->detail);
    if (me->hint[0])
        s->host->error_hint(err, "%s", me->hint);
    return SLUICE_FATAL;
}

static sluice_status rows_event(mysrc *s, sluice_batch *b, step *r, sluice_error *err)
{
    my_stream *st = &s->stream;
    const mybl_table *tm = st->ev.u.rows.table;
    if (!st->in_txn)
        return s->host->error(err, SLUICE_FATAL, "rows event outside a transaction in the "
                                                 "binary log at %s:%llu",
                              st->file, (unsigned long long)st->next_pos);
    if (st->cur_table_id != tm->table_id + 1) { /* once per event: resolve the table */
        sluice_status rc = my_stream_table(s, tm, &st->cur_table, err);
        if (rc != SLUICE_OK)
            return rc;
        if (st->cur_table >= 0) {
            rc = my_shape_check(s, (uint32_t)st->cur_table, tm, err);
            if (rc != SLUICE_OK)
                return rc;
        }
        st->cur_table_id = tm->table_id + 1;
    }
    for (;;) {
        if (!st->row_pending) {
            mybl_error me;
            int got = mybl_next_row(st->dec, &st->before, &st->after, &me);
            if (got < 0)
                return decode_failed(s, &me, err);
            if (got == 0)
                return SLUICE_OK;
            if (st->cur_table < 0)
                continue;
            st->row_pending = 1;
        }
        sluice_status rc = emit_row(s, b, r, err);
        if (rc != SLUICE_OK || *r == FULL)
            return rc;
    }
}

static int starts_with(const mybl_str *sql, const char *word)
{
    size_t i = 0, n = strlen(word);
    while (i < sql->len && (sql->ptr[i] == ' ' || sql->ptr[i] == '\n' || sql->ptr[i] == '\t'))
        i++;
    return sql->len - i >= n && strncasecmp(sql->ptr + i, word, n) == 0 &&
           (sql->len - i == n || sql->ptr[i + n] == ' ' || sql->ptr[i + n] == '\n' ||
            sql->ptr[i + n] == '\t' || sql->ptr[i + n] == ';');
}

static int our_database(mysrc *s, const mybl_str *db)
{
    for (uint32_t i = 0; i < s->ntables; i++) {
        const sluice_table *t = s->tables[i].table;
        if (t->schema.len == db->len && memcmp(t->schema.ptr, db->ptr, db->len) == 0)
            return 1;
    }
    return 0;
}

static sluice_status query_event(mysrc *s, sluice_batch *b, step *r, sluice_error *err)
{
    my_stream *st = &s->stream;
    const mybl_str *sql = &st->ev.u.query.sql, *db = &st->ev.u.query.db;
    if (!st->in_txn || starts_with(sql, "BEGIN"))
        return SLUICE_OK;
    if (starts_with(sql, "COMMIT") || starts_with(sql, "ROLLBACK"))
        return commit_txn(s, b, r, err);
    if (!st->txn_done) {
        static const char *const dml[] = {"INSERT", "UPDATE", "DELETE", "REPLACE", "LOAD"};
        for (size_t i = 0; i < sizeof dml / sizeof dml[0]; i++)
            if (starts_with(sql, dml[i]) && our_database(s, db)) {
                s->host->error(err, SLUICE_FATAL, "statement-based change in the binary log "
                                                  "at %s:%llu",
                               st->file, (unsigned long long)st->next_pos);
                s->host->error_detail(err, "A session wrote \"%.*s\" as a statement, not as "
                                           "rows; its changes cannot be captured.",
                                      (int)(sql->len > 200 ? 200 : sql->len), sql->ptr);
                s->host->error_hint(err, "Make sure every session writes binlog_format = "
                                         "'ROW', then reload the tables.");
                return SLUICE_FATAL;
            }
        int truncate;
        sluice_status rc = my_ddl(s, db, sql, &truncate, err);
        if (rc != SLUICE_OK)
            return rc;
        st->cur_table = truncate;
        st->txn_done = 1;
    }
    if (st->cur_table >= 0 && st->txn_done == 1) { /* TRUNCATE of a captured table */
        my_table *mt = &s->tables[st->cur_table];
        sluice_status rc = begin_txn(s, b, r);
        if (rc != SLUICE_OK || *r == FULL)
            return rc;
        if (!s->host->emit(b, SLUICE_OP_TRUNCATE, mt->table, 0)) {
            *r = FULL;
            return SLUICE_OK;
        }
        st->txn_done = 2;
    }
    st->cur_table_id = 0; /* the table map of the next rows event is looked at again */
    return st->standalone ? commit_txn(s, b, r, err) : SLUICE_OK;
}

static sluice_status gtid_event(mysrc *s, sluice_error *err)
{
    my_stream *st = &s->stream;
    const mybl_event *ev = &st->ev;
    if (st->in_txn)
        return s->host->error(err, SLUICE_FATAL, "transaction %u-%u-%llu in the binary log has "
                                                 "no commit",
                              st->gtid_domain, st->gtid_server,
                              (unsigned long long)st->gtid_seq);
    st->in_txn = 1;
    st->begun = 0;
    st->standalone = (ev->u.gtid.flags & MYBL_GTID_STANDALONE) != 0;
    st->gtid_domain = ev->u.gtid.domain_id;
    st->gtid_server = ev->server_id;
    st->gtid_seq = ev->u.gtid.seq_no;
    st->begin_us = (int64_t)ev->timestamp * 1000000;
    return SLUICE_OK;
}

/* The effects of the current event; *r = FULL when the batch has no room (call again). */
static sluice_status take_event(mysrc *s, sluice_batch *b, step *r, sluice_error *err)
{
    my_stream *st = &s->stream;
    const mybl_event *ev = &st->ev;
    *r = DONE;
    switch (ev->type) {
    case MYBL_ROTATE:
        snprintf(st->file, sizeof st->file, "%.*s", (int)ev->u.rotate.file.len,
                 ev->u.rotate.file.ptr);
        st->next_pos = ev->u.rotate.pos;
        return SLUICE_OK;
    case MYBL_MARIADB_GTID:
        return gtid_event(s, err);
    case MYBL_XID:
        return st->in_txn ? commit_txn(s, b, r, err) : SLUICE_OK;
    case MYBL_QUERY:
    case MYBL_QUERY_COMPRESSED:
        return query_event(s, b, r, err);
    case MYBL_TABLE_MAP: /* table ids are reused after a server restart: resolve again */
        st->cur_table_id = 0;
        return SLUICE_OK;
    default:
        if (mybl_is_rows(ev->type))
            return rows_event(s, b, r, err);
        return SLUICE_OK; /* TABLE_MAP (the decoder keeps it), heartbeats, GTID lists, ... */
    }
}

static sluice_status reader_ended(mysrc *s, sluice_error *err)
{
    my_reader *rd = &s->stream.rd;
    char at[300];
    snprintf(at, sizeof at, "%s:%llu", s->stream.file, (unsigned long long)s->stream.next_pos);
    if (rd->err_no == 1236) { /* ER_MASTER_FATAL_ERROR_READING_BINLOG */
        s->host->error(err, SLUICE_FATAL, "server \"%s\" cannot send its binary log from %s",
                       s->server, at);
        s->host->error_detail(err, "Server reported: %s (error 1236).", rd->err_text);
        s->host->error_hint(err, "If the binlog files were purged, reload the tables: run "
                                 "mode full-load-and-cdc into an empty target.");
        return SLUICE_FATAL;
    }
    sluice_status st;
    switch (rd->err_no) {
    case 0: case 2002: case 2003: case 2006: case 2013: case 1053: case 1927:
        st = SLUICE_RETRY;
        break;
    default:
        st = SLUICE_FATAL;
    }
    s->host->error(err, st, "lost the binary log stream of server \"%s\" at %s", s->server, at);
    if (rd->err_no)
        s->host->error_detail(err, "Server \"%s\" reported: %s (error %u, SQLSTATE %s).",
                              s->server, rd->err_text, rd->err_no, rd->sqlstate);
    return st;
}

sluice_status my_stream_read(void *instance, sluice_batch *b, sluice_error *err)
{
    mysrc *s = instance;
    my_stream *st = &s->stream;
    if (!st->started)
        return s->host->error(err, SLUICE_FATAL, "stream_read was called before stream_start");
    int waited = 0;
    while (!s->host->cancelled(s->ctx)) {
        if (!st->cur) {
            int ended;
            int wait = b->nevents == 0 && !waited ? WAIT_MS : 0;
            st->cur = my_reader_pop(&st->rd, wait, &ended);
            waited |= wait > 0;
            if (!st->cur) {
                if (ended)
                    return b->nevents > 0 ? SLUICE_OK : reader_ended(s, err);
                break;
            }
        }
        if (!st->fed) {
            mybl_error me;
            if (mybl_feed_event(st->dec, st->cur->data, st->cur->len, &st->ev, &me) != 0)
                return decode_failed(s, &me, err);
            st->fed = 1;
            st->row_pending = 0;
            st->txn_done = st->ev.type == MYBL_QUERY || st->ev.type == MYBL_QUERY_COMPRESSED
                               ? 0
                               : st->txn_done;
        }
        step r;
        sluice_status rc = take_event(s, b, &r, err);
        if (rc != SLUICE_OK)
            return rc;
        if (r == FULL) {
            if (b->nevents == 0)
                return s->host->error(err, SLUICE_FATAL, "the batch has no room for one event");
            break;
        }
        if (st->ev.next_pos && st->ev.type != MYBL_ROTATE)
            st->next_pos = st->ev.next_pos;
        free(st->cur);
        st->cur = NULL;
        st->fed = 0;
        if (b->nevents > 0 && s->host->batch_full(b))
            break;
    }
    return b->nevents > 0 ? SLUICE_OK : SLUICE_AGAIN;
}

sluice_status my_ack(void *instance, const sluice_position *committed, sluice_error *err)
{
    mysrc *s = instance;
    my_stream *st = &s->stream;
    my_pos p;
    if (!committed->len)
        return SLUICE_OK;
    if (my_pos_get(committed, &p) != 0)
        return bad_position(s, "in an acknowledgement", (unsigned)committed->len, err);
    if (st->horizon.len && my_position_compare(committed, &st->horizon) > 0) {
        char at[600], top[600];
        my_position_format(committed, at, sizeof at);
        my_position_format(&st->horizon, top, sizeof top);
        s->host->error(err, SLUICE_FATAL, "acknowledged position %s was never sent", at);
        s->host->error_detail(err, "The highest position this source has handed out is %s.",
                              top);
        return SLUICE_FATAL;
    }
    /* nothing to tell the server: a binlog reader keeps no state there, and the
       target's checkpoint is where the next session starts */
    st->acked = *committed;
    return SLUICE_OK;
}
