/*
 * Connections and client errors. Every connection gets the same session
 * settings, so values read the same on every lane: utf8mb4 (the server
 * converts latin1 and other character sets), UTC for TIMESTAMP, and no
 * timeouts that would cut a long full-load query while the sink is slow.
 * Messages name a server by host:port, never with the password.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source_mysql.h"

/* net_write_timeout: mysql_use_result leaves rows on the server while the sink
   works; the server would cut the query after 60 s of a slow reader. */
static const char *const session_settings[] = {
    "SET time_zone = '+00:00'",
    "SET SESSION net_write_timeout = 86400, SESSION net_read_timeout = 86400, "
    "SESSION wait_timeout = 86400",
    "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
};

/* ---- SQL text (appended to plugins/common's sbuf) ---- */

void my_buf_ident(sbuf *b, const char *name, size_t len)
{
    sb_put(b, "`", 1);
    for (size_t i = 0; i < len; i++)
        sb_put(b, name[i] == '`' ? "``" : &name[i], name[i] == '`' ? 2 : 1);
    sb_put(b, "`", 1);
}

void my_buf_literal(sbuf *b, const char *text, size_t len)
{
    sb_put(b, "'", 1);
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == '\'' || c == '\\')
            sb_put(b, "\\", 1);
        if (c == '\0')
            sb_put(b, "\\0", 2);
        else
            sb_put(b, &c, 1);
    }
    sb_put(b, "'", 1);
}

/* ---- errors ---- */

sluice_status my_oom(mysrc *s, sluice_error *err)
{
    return s->host->error(err, SLUICE_FATAL, "out of memory");
}

sluice_status my_transient(MYSQL *c)
{
    switch (c ? mysql_errno(c) : 2006) {
    case 2002: /* CR_CONNECTION_ERROR */
    case 2003: /* CR_CONN_HOST_ERROR */
    case 2006: /* CR_SERVER_GONE_ERROR */
    case 2013: /* CR_SERVER_LOST */
    case 1053: /* ER_SERVER_SHUTDOWN */
    case 1927: /* ER_CONNECTION_KILLED */
        return SLUICE_RETRY;
    default:
        return SLUICE_FATAL;
    }
}

sluice_status my_fail(mysrc *s, sluice_error *err, MYSQL *c, const char *fmt, ...)
{
    char msg[SLUICE_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sluice_status st = my_transient(c);
    s->host->error(err, st, "%s", msg);
    if (c && mysql_errno(c))
        s->host->error_detail(err, "Server \"%s\" reported: %s (error %u, SQLSTATE %s).",
                              s->server, mysql_error(c), mysql_errno(c), mysql_sqlstate(c));
    return st;
}

sluice_status my_exec(mysrc *s, MYSQL *c, const char *sql, const char *what, sluice_error *err)
{
    if (mysql_query(c, sql) != 0)
        return my_fail(s, err, c, "could not %s", what);
    /* drain any result so the connection is ready for the next statement */
    do {
        MYSQL_RES *r = mysql_store_result(c);
        if (r)
            mysql_free_result(r);
    } while (mysql_next_result(c) == 0);
    return SLUICE_OK;
}

MYSQL_RES *my_query(mysrc *s, MYSQL *c, const char *sql, const char *what, sluice_error *err)
{
    if (mysql_query(c, sql) != 0) {
        my_fail(s, err, c, "could not %s", what);
        return NULL;
    }
    MYSQL_RES *r = mysql_store_result(c);
    if (!r)
        my_fail(s, err, c, "could not %s", what);
    return r;
}

sluice_status my_query_value(mysrc *s, MYSQL *c, const char *sql, char *buf, size_t size,
                             int *found, const char *what, sluice_error *err)
{
    MYSQL_RES *r = my_query(s, c, sql, what, err);
    if (!r)
        return err->status;
    MYSQL_ROW row = mysql_fetch_row(r);
    *found = row && row[0];
    if (size)
        snprintf(buf, size, "%s", *found ? row[0] : "");
    mysql_free_result(r);
    return SLUICE_OK;
}

const char *my_mode(mysrc *s)
{
    return s->host->setting ? s->host->setting(s->ctx, "mode") : NULL;
}

/* ---- connecting ---- */

sluice_status my_connect(mysrc *s, MYSQL **out, sluice_error *err)
{
    return my_connect_timeout(s, out, 0, err);
}

sluice_status my_connect_timeout(mysrc *s, MYSQL **out, unsigned read_timeout,
                                 sluice_error *err)
{
    MYSQL *c = mysql_init(NULL);
    if (!c)
        return my_oom(s, err);
    unsigned int timeout = (unsigned int)s->cfg.connect_timeout;
    if (timeout)
        mysql_options(c, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    if (read_timeout) /* applies from the connect on: set it before */
        mysql_options(c, MYSQL_OPT_READ_TIMEOUT, &read_timeout);
    mysql_options(c, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    mysql_options(c, MYSQL_READ_DEFAULT_GROUP, "sluice"); /* [client] and [sluice] of my.cnf */
    const char *db = NULL; /* every query names its database */
    if (!mysql_real_connect(c, s->hostname, s->user, s->password, db, (unsigned int)s->cfg.port,
                            s->socket && s->socket[0] ? s->socket : NULL,
                            CLIENT_MULTI_STATEMENTS)) {
        sluice_status st = my_fail(s, err, c, "could not connect to the source server \"%s\"",
                                   s->server);
        if (mysql_errno(c) == 1045) /* ER_ACCESS_DENIED_ERROR */
            st = err->status = SLUICE_FATAL;
        s->host->error_hint(err, "Check options host, port, user and password of the source, "
                                 "and that the server accepts connections from this host.");
        mysql_close(c);
        return st;
    }
    for (size_t i = 0; i < sizeof session_settings / sizeof session_settings[0]; i++) {
        sluice_status st = my_exec(s, c, session_settings[i], "set up the session", err);
        if (st != SLUICE_OK) {
            mysql_close(c);
            return st;
        }
    }
    if (!s->version[0]) {
        snprintf(s->version, sizeof s->version, "%s", mysql_get_server_info(c));
        s->version_num = mysql_get_server_version(c);
        s->mariadb = strstr(s->version, "MariaDB") != NULL;
    }
    *out = c;
    return SLUICE_OK;
}
