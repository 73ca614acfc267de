/*
 * The binlog transport: a replica connection (MariaDB Connector/C's rpl API,
 * used only to send the dump request and frame events; PROTOCOL-FACTS 2.3)
 * read by a thread of its own into a bounded queue of raw events.
 *
 * Why a thread: mariadb_rpl_fetch blocks, and the client library reads ahead
 * into a cache of its own, so polling the socket cannot tell whether an event
 * is already waiting. stream_read waits on the queue with a timeout instead.
 * The server's heartbeats (every heartbeat_interval_ms while idle) keep data
 * arriving, so the connection's read timeout only fires when the server is
 * really gone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "source_mysql.h" /* mysql.h first: mariadb_rpl.h needs it */

#include <mariadb_rpl.h>

#define QUEUE_EVENTS 4096          /* events waiting for stream_read, at most */
#define QUEUE_BYTES (64u << 20)    /* ... and their bytes (one bigger event always fits) */

static void *reader_main(void *arg)
{
    my_reader *rd = arg;
    for (;;) {
        MARIADB_RPL_EVENT *ev = mariadb_rpl_fetch(rd->rpl, NULL);
        pthread_mutex_lock(&rd->mu);
        int stop = rd->stop;
        pthread_mutex_unlock(&rd->mu);
        if (!ev || stop) {
            if (ev)
                mariadb_free_rpl_event(ev);
            pthread_mutex_lock(&rd->mu);
            if (!stop) {
                rd->err_no = mysql_errno(rd->conn);
                snprintf(rd->err_text, sizeof rd->err_text, "%s", mysql_error(rd->conn));
                snprintf(rd->sqlstate, sizeof rd->sqlstate, "%s", mysql_sqlstate(rd->conn));
            }
            break;
        }
        /* the OK byte first; copy, so the library's event can go at once */
        size_t n = ev->raw_data_size > 0 ? ev->raw_data_size - 1 : 0;
        my_rawev *e = malloc(sizeof *e + (n ? n : 1));
        if (e) {
            e->next = NULL;
            e->len = n;
            memcpy(e->data, ev->raw_data + 1, n);
        }
        mariadb_free_rpl_event(ev);
        pthread_mutex_lock(&rd->mu);
        if (!e) {
            rd->err_no = 2008; /* CR_OUT_OF_MEMORY */
            snprintf(rd->err_text, sizeof rd->err_text, "out of memory for a binlog event");
            break;
        }
        while (!rd->stop && rd->count > 0 &&
               (rd->count >= QUEUE_EVENTS || rd->bytes + n > QUEUE_BYTES))
            pthread_cond_wait(&rd->room, &rd->mu);
        if (rd->stop) {
            free(e);
            break;
        }
        if (rd->tail)
            rd->tail->next = e;
        else
            rd->head = e;
        rd->tail = e;
        rd->count++;
        rd->bytes += n;
        pthread_cond_signal(&rd->more);
        pthread_mutex_unlock(&rd->mu);
    }
    rd->done = 1;
    pthread_cond_signal(&rd->more);
    pthread_mutex_unlock(&rd->mu);
    return NULL;
}

static sluice_status setup_session(mysrc *s, MYSQL *c, sluice_error *err)
{
    char sql[160];
    /* The library does not negotiate the checksum (PROTOCOL-FACTS 2.2): without
       this the server refuses to send. Capability 4: MariaDB GTID events as such. */
    static const char *const required[] = {
        "SET @master_binlog_checksum = @@global.binlog_checksum",
        "SET @mariadb_slave_capability = 4",
    };
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        sluice_status st = my_exec(s, c, required[i], "set up the binlog session", err);
        if (st != SLUICE_OK)
            return st;
    }
    snprintf(sql, sizeof sql, "SET @master_heartbeat_period = %llu",
             (unsigned long long)s->cfg.heartbeat_interval_ms * 1000000ull);
    return my_exec(s, c, sql, "set the binlog heartbeat period", err);
}

sluice_status my_reader_start(mysrc *s, my_reader *rd, const char *file, uint64_t offset,
                              sluice_error *err)
{
    memset(rd, 0, sizeof *rd);
    /* the heartbeat arrives every heartbeat_interval_ms: a read that waits
       several of them means the server or the network is gone */
    int64_t hb_s = (s->cfg.heartbeat_interval_ms + 999) / 1000;
    unsigned read_timeout = (unsigned)(hb_s * 5 > 30 ? hb_s * 5 : 30);
    sluice_status st = my_connect_timeout(s, &rd->conn, read_timeout, err);
    if (st != SLUICE_OK)
        return st;
    if ((st = setup_session(s, rd->conn, err)) != SLUICE_OK) {
        mysql_close(rd->conn);
        rd->conn = NULL;
        return st;
    }
    rd->rpl = mariadb_rpl_init(rd->conn);
    if (!rd->rpl) {
        mysql_close(rd->conn);
        rd->conn = NULL;
        return my_oom(s, err);
    }
    unsigned int server_id = (unsigned int)s->cfg.server_id;
    unsigned long start = (unsigned long)offset;
    unsigned int flags = 0; /* blocking: the server waits for new events and sends heartbeats */
    if (mariadb_rpl_optionsv(rd->rpl, MARIADB_RPL_FILENAME, file, strlen(file)) != 0 ||
        mariadb_rpl_optionsv(rd->rpl, MARIADB_RPL_START, start) != 0 ||
        mariadb_rpl_optionsv(rd->rpl, MARIADB_RPL_SERVER_ID, server_id) != 0 ||
        mariadb_rpl_optionsv(rd->rpl, MARIADB_RPL_FLAGS, flags) != 0 ||
        mariadb_rpl_open(rd->rpl) != 0) {
        st = my_fail(s, err, rd->conn, "could not start reading the binary log of server \"%s\" "
                                       "at %s:%llu",
                     s->server, file, (unsigned long long)offset);
        my_reader_stop(rd);
        return st;
    }
    pthread_mutex_init(&rd->mu, NULL);
    pthread_cond_init(&rd->more, NULL);
    pthread_cond_init(&rd->room, NULL);
    rd->sync_ready = 1;
    if (pthread_create(&rd->thread, NULL, reader_main, rd) != 0) {
        my_reader_stop(rd);
        return s->host->error(err, SLUICE_FATAL, "could not start the binlog reader thread");
    }
    rd->started = 1;
    return SLUICE_OK;
}

my_rawev *my_reader_pop(my_reader *rd, int wait_ms, int *ended)
{
    *ended = 0;
    pthread_mutex_lock(&rd->mu);
    if (!rd->head && !rd->done && wait_ms > 0) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += (long)wait_ms * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&rd->more, &rd->mu, &until);
    }
    my_rawev *e = rd->head;
    if (e) {
        rd->head = e->next;
        if (!rd->head)
            rd->tail = NULL;
        rd->count--;
        rd->bytes -= e->len;
        pthread_cond_signal(&rd->room);
    } else {
        *ended = rd->done;
    }
    pthread_mutex_unlock(&rd->mu);
    return e;
}

void my_reader_stop(my_reader *rd)
{
    if (rd->started) {
        pthread_mutex_lock(&rd->mu);
        rd->stop = 1;
        pthread_cond_broadcast(&rd->room);
        pthread_mutex_unlock(&rd->mu);
        /* wakes a fetch blocked in recv; the write side stays usable for COM_QUIT */
        my_socket fd = mysql_get_socket(rd->conn);
        if (fd != (my_socket)-1)
            shutdown(fd, SHUT_RD);
        pthread_join(rd->thread, NULL);
        rd->started = 0;
    }
    while (rd->head) {
        my_rawev *e = rd->head;
        rd->head = e->next;
        free(e);
    }
    rd->tail = NULL;
    rd->count = rd->bytes = 0;
    if (rd->rpl)
        mariadb_rpl_close(rd->rpl);
    rd->rpl = NULL;
    if (rd->conn)
        mysql_close(rd->conn);
    rd->conn = NULL;
    if (rd->sync_ready) {
        pthread_mutex_destroy(&rd->mu);
        pthread_cond_destroy(&rd->more);
        pthread_cond_destroy(&rd->room);
        rd->sync_ready = 0;
    }
}
