/*
 * One consistent snapshot for every full-load lane, and the exact binlog
 * position it stands at.
 *
 * MySQL and MariaDB cannot hand a snapshot to another connection, so the
 * lanes (other instances, other connections) must each start their own
 * START TRANSACTION WITH CONSISTENT SNAPSHOT while no transaction commits:
 * the way mydumper does it. snapshot_begin, on the main instance:
 *   1. a lock connection blocks commits and takes a user lock, the sentinel,
 *      that says "commits are blocked". MariaDB 10.4.1 and later: BACKUP STAGE
 *      START, BACKUP STAGE BLOCK_COMMIT, as mariadb-backup does: no global
 *      read lock, so writes go on (only their commits wait) and a long-running
 *      query does not hold the lock up. Elsewhere FLUSH TABLES WITH READ LOCK,
 *      which waits for running statements and blocks writes too;
 *   2. the main connection starts its snapshot and reads the position:
 *      MariaDB's Binlog_snapshot_file/_position (exact for the snapshot even
 *      without the lock) and BINLOG_GTID_POS() of it (@@gtid_binlog_pos is
 *      read at statement time, not snapshot time); MySQL's SHOW MASTER STATUS,
 *      exact only because commits are blocked;
 *   3. a thread of the main instance keeps the lock until every lane has
 *      joined (each lane takes a numbered user lock once its snapshot stands)
 *      or snapshot_lock_wait_ms has passed, then releases the sentinel and
 *      then the lock.
 * snapshot_attach, on a lane: starts its snapshot, then checks that the
 * sentinel was still held (the lock outlived the snapshot's start) or, on
 * MariaDB, that its Binlog_snapshot position equals the main one; anything
 * else fails the lane's first chunk loudly instead of loading rows of another
 * moment (a lane that gets no chunk, because the others took them all, is
 * harmless).
 * The lock thread sees lanes by polling their user locks, which end with the
 * lane; it also lets go when a lane it saw has gone (that lane found no more
 * chunks, so no lane still to come will read any).
 * Without the RELOAD privilege there is no lock: lanes then join only while
 * nothing commits, which MariaDB's position check detects.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "source_mysql.h"

#define MAX_LANES 256

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* How many lanes the core will run: MaxFullLoadSubTasks, resolved as the core does. */
static unsigned lanes_setting(mysrc *s)
{
    const char *v = s->host->setting ? s->host->setting(s->ctx, "MaxFullLoadSubTasks") : NULL;
    long n = v ? strtol(v, NULL, 10) : 0;
    if (n <= 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        n = cpus > 2 ? cpus : 2;
    }
    return n > MAX_LANES ? MAX_LANES : (unsigned)n;
}

/* ---- the position ---- */

static sluice_status mariadb_position(mysrc *s, my_pos *pos, sluice_error *err)
{
    MYSQL_RES *r = my_query(s, s->conn, "SHOW STATUS LIKE 'binlog_snapshot_%'",
                            "read the snapshot's binlog position", err);
    if (!r)
        return err->status;
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(r))) {
        if (strcasecmp(row[0], "Binlog_snapshot_file") == 0)
            snprintf(pos->file, sizeof pos->file, "%s", row[1] ? row[1] : "");
        else if (strcasecmp(row[0], "Binlog_snapshot_position") == 0)
            pos->offset = strtoull(row[1] ? row[1] : "0", NULL, 10);
    }
    mysql_free_result(r);
    if (!pos->file[0])
        return SLUICE_OK; /* no binary log */
    sbuf b = {0};
    sb_printf(&b, "SELECT BINLOG_GTID_POS(");
    my_buf_literal(&b, pos->file, strlen(pos->file));
    sb_printf(&b, ", %llu)", (unsigned long long)pos->offset);
    char *sql = sb_take(&b);
    if (!sql)
        return my_oom(s, err);
    int found;
    sluice_status st = my_query_value(s, s->conn, sql, pos->gtid, sizeof pos->gtid, &found,
                                      "read the GTID position of the snapshot", err);
    free(sql);
    return st;
}

static sluice_status mysql_position(mysrc *s, my_pos *pos, sluice_error *err)
{
    MYSQL_RES *r = my_query(s, s->conn, "SHOW MASTER STATUS", "read the binlog position", err);
    if (!r)
        return err->status;
    MYSQL_ROW row = mysql_fetch_row(r);
    if (row && row[0]) {
        snprintf(pos->file, sizeof pos->file, "%s", row[0]);
        pos->offset = strtoull(row[1] ? row[1] : "0", NULL, 10);
        if (mysql_num_fields(r) >= 5 && row[4]) /* Executed_Gtid_Set, one line */
            for (size_t i = 0, n = 0; row[4][i] && n + 1 < sizeof pos->gtid; i++)
                if (row[4][i] != '\n')
                    pos->gtid[n++] = row[4][i], pos->gtid[n] = '\0';
    }
    mysql_free_result(r);
    return SLUICE_OK;
}

/* ---- the lock and its thread ---- */

/* Lanes registered so far: their numbered user locks are taken. */
static int lanes_joined(mysrc *s, unsigned upto)
{
    sbuf b = {0};
    sb_printf(&b, "SELECT 0");
    for (unsigned k = 1; k <= upto; k++)
        sb_printf(&b, " + (IS_USED_LOCK('sluice_lane_%lu_%u') IS NOT NULL)", s->lock.id, k);
    char *sql = sb_take(&b);
    if (!sql)
        return -1;
    int n = -1;
    if (mysql_query(s->lock.conn, sql) == 0) {
        MYSQL_RES *r = mysql_store_result(s->lock.conn);
        MYSQL_ROW row = r ? mysql_fetch_row(r) : NULL;
        if (row && row[0])
            n = atoi(row[0]);
        if (r)
            mysql_free_result(r);
    }
    free(sql);
    return n;
}

static void unlock_now(mysrc *s)
{
    char sql[96];
    snprintf(sql, sizeof sql, "DO RELEASE_LOCK('sluice_snap_%lu')", s->lock.id);
    /* the sentinel first: a lane that sees it held started before the unlock */
    if (mysql_query(s->lock.conn, sql) != 0 ||
        mysql_query(s->lock.conn, s->lock.backup_stage ? "BACKUP STAGE END" : "UNLOCK TABLES") != 0)
        s->host->log(s->ctx, SLUICE_LOG_WARNING,
                     "could not release the snapshot lock (%s); closing its connection",
                     mysql_error(s->lock.conn));
    s->lock.held = 0;
}

static void *lock_main(void *arg)
{
    mysrc *s = arg;
    mysql_thread_init();
    int64_t start = now_ms(), limit = start + s->cfg.snapshot_lock_wait_ms;
    unsigned want = lanes_setting(s);
    int joined = 0, most = 0;
    pthread_mutex_lock(&s->lock.mu);
    while (!s->lock.stop) {
        unsigned expected = atomic_load(&s->lock.expected);
        unsigned chunks = atomic_load(&s->chunks_known);
        if (chunks && chunks < expected)
            expected = chunks;
        if (expected > want)
            expected = want;
        pthread_mutex_unlock(&s->lock.mu);
        joined = lanes_joined(s, expected);
        pthread_mutex_lock(&s->lock.mu);
        if (joined < 0 || (unsigned)joined >= expected || now_ms() >= limit || joined < most)
            break;
        most = joined;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 5 * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->lock.wake, &s->lock.mu, &until);
    }
    pthread_mutex_unlock(&s->lock.mu);
    unlock_now(s);
    s->host->log(s->ctx, joined < 0 || now_ms() >= limit ? SLUICE_LOG_WARNING : SLUICE_LOG_INFO,
                 "snapshot lock (%s) released after %lld ms; %d lane(s) had joined the snapshot",
                 s->lock.backup_stage ? "BACKUP STAGE BLOCK_COMMIT" : "FLUSH TABLES WITH READ LOCK",
                 (long long)(now_ms() - start), joined > most ? joined : most);
    mysql_close(s->lock.conn);
    s->lock.conn = NULL;
    mysql_thread_end();
    return NULL;
}

void my_lock_release(mysrc *s)
{
    if (s->lock.thread_started) {
        pthread_mutex_lock(&s->lock.mu);
        s->lock.stop = 1;
        pthread_cond_signal(&s->lock.wake);
        pthread_mutex_unlock(&s->lock.mu);
        pthread_join(s->lock.thread, NULL);
        pthread_mutex_destroy(&s->lock.mu);
        pthread_cond_destroy(&s->lock.wake);
        s->lock.thread_started = 0;
    }
    if (s->lock.conn) {
        if (s->lock.held)
            unlock_now(s);
        mysql_close(s->lock.conn);
        s->lock.conn = NULL;
    }
}

/* Commits blocked: BACKUP STAGE where MariaDB has it, else FLUSH TABLES WITH READ
   LOCK. 0, or the server's error number. */
static unsigned block_commits(mysrc *s)
{
    s->lock.backup_stage = s->mariadb && s->version_num >= 100401;
    if (!s->lock.backup_stage)
        return mysql_query(s->lock.conn, "FLUSH TABLES WITH READ LOCK") ? mysql_errno(s->lock.conn)
                                                                         : 0;
    if (mysql_query(s->lock.conn, "BACKUP STAGE START") != 0 ||
        mysql_query(s->lock.conn, "BACKUP STAGE BLOCK_COMMIT") != 0) {
        unsigned e = mysql_errno(s->lock.conn);
        mysql_query(s->lock.conn, "BACKUP STAGE END"); /* after START alone */
        return e;
    }
    return 0;
}

/* Commits blocked on a connection of its own, and the sentinel. */
static sluice_status take_lock(mysrc *s, sluice_error *err)
{
    sluice_status st = my_connect(s, &s->lock.conn, err);
    if (st != SLUICE_OK)
        return st;
    s->lock.id = mysql_thread_id(s->lock.conn);
    char sql[128];
    long wait_s = (long)(s->cfg.snapshot_lock_wait_ms + 999) / 1000;
    snprintf(sql, sizeof sql, "SET SESSION lock_wait_timeout = %ld", wait_s > 0 ? wait_s : 1);
    st = my_exec(s, s->lock.conn, sql, "set the lock wait timeout", err);
    if (st != SLUICE_OK)
        return st;
    unsigned e = block_commits(s);
    if (e) {
        if (e == 1227 || e == 1044 || e == 1045) { /* no RELOAD privilege */
            s->host->log(s->ctx, SLUICE_LOG_WARNING,
                         "no snapshot lock (user lacks RELOAD: %s): full-load lanes can join "
                         "the snapshot only while nothing commits",
                         mysql_error(s->lock.conn));
            mysql_close(s->lock.conn);
            s->lock.conn = NULL;
            s->lock.id = 0;
            return SLUICE_OK;
        }
        st = my_fail(s, err, s->lock.conn, "could not block commits for the snapshot");
        s->host->error_hint(err, "%s waits for running %s; retry when none runs, or raise "
                                 "snapshot_lock_wait_ms.",
                            s->lock.backup_stage ? "BACKUP STAGE BLOCK_COMMIT"
                                                 : "FLUSH TABLES WITH READ LOCK",
                            s->lock.backup_stage ? "DDL and commits" : "statements");
        return st;
    }
    s->lock.held = 1;
    snprintf(sql, sizeof sql, "DO GET_LOCK('sluice_snap_%lu', 0)", s->lock.id);
    return my_exec(s, s->lock.conn, sql, "take the snapshot sentinel lock", err);
}

static sluice_status start_lock_thread(mysrc *s, sluice_error *err)
{
    pthread_mutex_init(&s->lock.mu, NULL);
    pthread_cond_init(&s->lock.wake, NULL);
    atomic_store(&s->lock.expected, MAX_LANES);
    s->lock.stop = 0;
    if (pthread_create(&s->lock.thread, NULL, lock_main, s) != 0) {
        pthread_mutex_destroy(&s->lock.mu);
        pthread_cond_destroy(&s->lock.wake);
        return s->host->error(err, SLUICE_FATAL, "could not start the snapshot lock thread: %s",
                              strerror(errno));
    }
    s->lock.thread_started = 1;
    return SLUICE_OK;
}

/* ---- snapshot_begin ---- */

static const char start_snapshot_sql[] = "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY";

sluice_status my_snapshot_begin(void *instance, sluice_position *at, sluice_snapshot *snap,
                                sluice_error *err)
{
    mysrc *s = instance;
    my_pos pos;
    memset(&pos, 0, sizeof pos);
    sluice_status st = take_lock(s, err);
    if (st == SLUICE_OK)
        st = my_exec(s, s->conn, start_snapshot_sql, "start the snapshot transaction", err);
    if (st == SLUICE_OK)
        st = s->mariadb ? mariadb_position(s, &pos, err) : mysql_position(s, &pos, err);
    if (st == SLUICE_OK && !s->mariadb && !s->lock.held) {
        s->host->error(err, SLUICE_FATAL,
                       "cannot take a consistent snapshot on server \"%s\" without the RELOAD "
                       "privilege",
                       s->server);
        s->host->error_detail(err, "MySQL tells the binlog position of a snapshot only while "
                                   "commits are blocked (FLUSH TABLES WITH READ LOCK).");
        s->host->error_hint(err, "GRANT RELOAD ON *.* TO the source user.");
        st = SLUICE_FATAL;
    }
    if (st == SLUICE_OK && s->lock.held)
        st = start_lock_thread(s, err);
    if (st != SLUICE_OK) {
        my_lock_release(s);
        return st;
    }
    s->in_snapshot = 1;
    memset(at, 0, sizeof *at);
    if (pos.file[0] && my_pos_set(at, &pos) != 0)
        return s->host->error(err, SLUICE_FATAL, "binlog position too long: \"%s\"", pos.file);
    char token[512];
    int n = snprintf(token, sizeof token, "lock=%lu offset=%llu file=%s", s->lock.id,
                     (unsigned long long)pos.offset, pos.file);
    if (n < 0 || (size_t)n >= sizeof snap->token)
        return s->host->error(err, SLUICE_FATAL, "binlog file name too long: \"%s\"", pos.file);
    memcpy(snap->token, token, (size_t)n + 1);
    char text[600];
    my_position_format(at, text, sizeof text);
    s->host->log(s->ctx, SLUICE_LOG_INFO, "snapshot at binlog position %s (%s)",
                 pos.file[0] ? text : "none: the binary log is off",
                 s->lock.held ? "commits blocked until the lanes have joined"
                              : "without a lock");
    return SLUICE_OK;
}

/* ---- snapshot_attach ---- */

static sluice_status register_lane(mysrc *s, unsigned long lock_id, sluice_error *err)
{
    for (unsigned k = 1; k <= MAX_LANES; k++) {
        char sql[96], got[8];
        int found;
        snprintf(sql, sizeof sql, "SELECT GET_LOCK('sluice_lane_%lu_%u', 0)", lock_id, k);
        sluice_status st = my_query_value(s, s->conn, sql, got, sizeof got, &found,
                                          "register with the snapshot lock", err);
        if (st != SLUICE_OK)
            return st;
        if (found && strcmp(got, "1") == 0)
            return SLUICE_OK;
    }
    return SLUICE_OK; /* more lanes than numbers: the lock thread's wait ends by time */
}

sluice_status my_snapshot_attach(void *instance, const sluice_snapshot *snap, sluice_error *err)
{
    mysrc *s = instance;
    char token[SLUICE_SNAPSHOT_TOKEN_MAX];
    snprintf(token, sizeof token, "%.*s", (int)strnlen(snap->token, sizeof snap->token),
             snap->token);
    unsigned long lock_id = 0;
    unsigned long long offset = 0;
    const char *file = strstr(token, " file=");
    if (sscanf(token, "lock=%lu offset=%llu", &lock_id, &offset) != 2 || !file)
        return s->host->error(err, SLUICE_FATAL, "invalid snapshot token \"%s\"", token);
    file += 6;
    sluice_status st = my_exec(s, s->conn, start_snapshot_sql, "start the snapshot transaction",
                               err);
    if (st != SLUICE_OK)
        return st;
    s->in_snapshot = 1;
    int locked = 0;
    if (lock_id) {
        char sql[96], holder[32];
        int found;
        snprintf(sql, sizeof sql, "SELECT IS_USED_LOCK('sluice_snap_%lu')", lock_id);
        st = my_query_value(s, s->conn, sql, holder, sizeof holder, &found,
                            "check the snapshot lock", err);
        if (st != SLUICE_OK)
            return st;
        locked = found && strtoul(holder, NULL, 10) == lock_id;
    }
    my_pos pos;
    memset(&pos, 0, sizeof pos);
    if (!locked && s->mariadb) {
        if ((st = mariadb_position(s, &pos, err)) != SLUICE_OK)
            return st;
    }
    if (!locked && !(s->mariadb && file[0] && strcmp(pos.file, file) == 0 &&
                     pos.offset == offset)) {
        /* reported by the first read_chunk: a lane that gets no chunk is harmless */
        s->snapshot_off = 1;
        if (s->mariadb && file[0])
            snprintf(s->snapshot_detail, sizeof s->snapshot_detail,
                     "The snapshot stands at binlog position %s:%llu; this lane's would stand "
                     "at %s:%llu, after commits the other lanes do not see, and commits were "
                     "no longer blocked.",
                     file, offset, pos.file, (unsigned long long)pos.offset);
        else
            snprintf(s->snapshot_detail, sizeof s->snapshot_detail,
                     "Commits on server \"%s\" were no longer blocked when this lane started "
                     "its snapshot, so it could see transactions the other lanes do not.",
                     s->server);
        return SLUICE_OK;
    }
    return lock_id ? register_lane(s, lock_id, err) : SLUICE_OK;
}
