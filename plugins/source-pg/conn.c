/*
 * Connections and libpq errors. Every connection gets the same session
 * settings, so COPY (snapshot) and pgoutput (stream) print values alike:
 * PostgreSQL's own text output in UTF-8, ISO dates, UTC times.
 * Messages name a server by host:port, never by the conninfo (it may hold a
 * password).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "source_pg.h"

/* Output settings that make text values canonical, and no timeouts for the long
   snapshot transactions and streams. */
static const char session_settings[] =
    "SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET TimeZone = 'UTC'; "
    "SET extra_float_digits = 1; SET bytea_output = 'hex'; SET search_path = pg_catalog; "
    "SET statement_timeout = 0; SET lock_timeout = 0; "
    "SET idle_in_transaction_session_timeout = 0";

int64_t pg_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

sluice_status pg_oom(pgsrc *s, sluice_error *err)
{
    return s->host->error(err, SLUICE_FATAL, "out of memory");
}

void pg_set_server(pgsrc *s, PGconn *c)
{
    const char *host = PQhost(c), *port = PQport(c);
    snprintf(s->server, sizeof s->server, "%s:%s", host && host[0] ? host : "localhost",
             port && port[0] ? port : "5432");
}

/* libpq messages end in a newline and may span lines: one line for a detail. */
static void one_line(const char *in, char *out, size_t size)
{
    size_t n = 0;
    for (; *in && n + 1 < size; in++) {
        char ch = *in == '\n' || *in == '\r' || *in == '\t' ? ' ' : *in;
        if (ch == ' ' && (n == 0 || out[n - 1] == ' '))
            continue;
        out[n++] = ch;
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
}

sluice_status pg_fail(pgsrc *s, sluice_error *err, sluice_status status, PGconn *c,
                      const PGresult *res, const char *fmt, ...)
{
    char msg[SLUICE_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    s->host->error(err, status, "%s", msg);
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    char text[SLUICE_ERROR_DETAIL_MAX];
    if (primary) {
        const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
        const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
        const char *code = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        s->host->error_detail(err, "Server \"%s\" reported: %s (SQLSTATE %s).%s%s", s->server,
                              primary, code ? code : "?", detail ? " " : "",
                              detail ? detail : "");
        if (hint)
            s->host->error_hint(err, "%s", hint);
        return status;
    }
    one_line(c ? PQerrorMessage(c) : "", text, sizeof text);
    if (text[0])
        s->host->error_detail(err, "%s", text);
    return status;
}

PGresult *pg_exec(pgsrc *s, PGconn *c, const char *sql, int nparams, const char *const *params,
                  ExecStatusType expect, const char *what, sluice_error *err)
{
    PGresult *res = nparams > 0 ? PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0)
                                : PQexec(c, sql);
    if (res && PQresultStatus(res) == expect)
        return res;
    pg_fail(s, err, SLUICE_FATAL, c, res, "could not %s", what);
    PQclear(res);
    return NULL;
}

/* Server notices go to the log at debug level, not as bare lines on stderr. */
static void notice_to_log(void *arg, const char *message)
{
    pgsrc *s = arg;
    size_t n = strcspn(message, "\n");
    s->host->log(s->ctx, SLUICE_LOG_DEBUG, "server notice: %.*s", (int)n, message);
}

sluice_status pg_connect(pgsrc *s, int replication, PGconn **out, sluice_error *err)
{
    /* The conninfo is expanded in place of dbname; later keywords override it. */
    const char *keys[] = {"dbname", "fallback_application_name", "client_encoding",
                          replication ? "replication" : NULL, NULL};
    const char *vals[] = {s->conninfo, "sluice", "UTF8", replication ? "database" : NULL, NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (!c)
        return pg_oom(s, err);
    if (PQstatus(c) != CONNECTION_OK) {
        if (!s->server[0])
            pg_set_server(s, c);
        sluice_status st = pg_transient(c, NULL);
        pg_fail(s, err, st, c, NULL, "could not connect to the source database%s",
                replication ? " for replication" : "");
        s->host->error_hint(err, "Check option conninfo of the source (host, port, dbname, "
                                 "user) and that the server accepts the connection%s.",
                            replication ? " for replication in pg_hba.conf" : "");
        PQfinish(c);
        return st;
    }
    pg_set_server(s, c);
    PQsetNoticeProcessor(c, notice_to_log, s);
    PGresult *res = pg_exec(s, c, session_settings, 0, NULL, PGRES_COMMAND_OK,
                            "set up the session", err);
    if (!res) {
        PQfinish(c);
        return SLUICE_FATAL;
    }
    PQclear(res);
    *out = c;
    return SLUICE_OK;
}

char *pg_quote_ident(const char *name, size_t len)
{
    size_t quotes = 0;
    for (size_t i = 0; i < len; i++)
        quotes += name[i] == '"';
    char *q = malloc(len + quotes + 3);
    if (!q)
        return NULL;
    size_t n = 0;
    q[n++] = '"';
    for (size_t i = 0; i < len; i++) {
        q[n++] = name[i];
        if (name[i] == '"')
            q[n++] = '"';
    }
    q[n++] = '"';
    q[n] = '\0';
    return q;
}

char *pg_qualified(const sluice_table *t)
{
    char *schema = pg_quote_ident(t->schema.ptr, t->schema.len);
    char *name = pg_quote_ident(t->name.ptr, t->name.len);
    char *q = NULL;
    if (schema && name) {
        size_t n = strlen(schema) + strlen(name) + 2;
        if ((q = malloc(n)))
            snprintf(q, n, "%s.%s", schema, name);
    }
    free(schema);
    free(name);
    return q;
}

char *pg_quote_literal(const char *text)
{
    size_t len = strlen(text), quotes = 0;
    for (size_t i = 0; i < len; i++)
        quotes += text[i] == '\'';
    char *q = malloc(len + quotes + 3);
    if (!q)
        return NULL;
    size_t n = 0;
    q[n++] = '\'';
    for (size_t i = 0; i < len; i++) {
        q[n++] = text[i];
        if (text[i] == '\'')
            q[n++] = '\'';
    }
    q[n++] = '\'';
    q[n] = '\0';
    return q;
}

sluice_status pg_transient(PGconn *c, const PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    /* class 08: connection exception; 57P01-57P03: admin shutdown, crash, cannot connect now */
    if (state && (strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 ||
                  strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0))
        return SLUICE_RETRY;
    if (state)
        return SLUICE_FATAL;
    if (!c || PQstatus(c) == CONNECTION_BAD) {
        const char *msg = c ? PQerrorMessage(c) : "";
        /* a refused or dropped connection may come back; a rejected login will not */
        if (strstr(msg, "password") || strstr(msg, "authentication") ||
            strstr(msg, "does not exist") || strstr(msg, "no pg_hba.conf entry"))
            return SLUICE_FATAL;
        return SLUICE_RETRY;
    }
    return SLUICE_FATAL;
}
