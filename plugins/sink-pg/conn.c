/*
 * Connecting to the target and turning libpq's errors into sluice errors.
 *
 * The conninfo option is a secret: it is handed to libpq and never printed.
 * Messages name the server only through PQhost/PQport/PQdb, and every libpq
 * text we pass on is scrubbed of the password libpq used, in case a message
 * ever quotes it.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sinkpg.h"

int64_t sp_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

sluice_status sp_oom(sinkpg *s, sluice_error *err)
{
    return s->host->error(err, SLUICE_FATAL, "out of memory");
}

/* ---- message hygiene ---- */

void sp_scrub(const sinkpg *s, char *text)
{
    /* short passwords would turn ordinary words into stars; they are never quoted anyway */
    if (!s->password || strlen(s->password) < 3)
        return;
    size_t plen = strlen(s->password);
    char *hit;
    while ((hit = strstr(text, s->password)) != NULL) {
        static const char stars[] = "********";
        size_t slen = sizeof stars - 1, tail = strlen(hit + plen);
        if (slen > plen)
            slen = plen; /* never grow the text: the buffer may be full */
        memcpy(hit, stars, slen);
        memmove(hit + slen, hit + plen, tail + 1);
    }
}

/*
 * libpq's multi-line text as one line of sentences: "Xxx: yyy. Is the server ...?"
 * Lines are joined with ". "; their indentation and the "FATAL:  " severity
 * prefixes libpq copies from the server go; tabs inside a line (COPY data in a
 * context line) become spaces.
 */
static void one_line(const char *in, char *out, size_t size)
{
    size_t n = 0;
    int joined = 0;
    while (*in && n + 3 < size) {
        if (*in == '\n') {
            joined = n > 0;
            while (*in == '\n' || *in == '\t' || *in == ' ')
                in++;
            continue;
        }
        if (strncmp(in, "FATAL:  ", 8) == 0 || strncmp(in, "ERROR:  ", 8) == 0) {
            in += 8;
            continue;
        }
        if (joined) {
            if (out[n - 1] != '.' && out[n - 1] != '?' && out[n - 1] != ':')
                out[n++] = '.';
            out[n++] = ' ';
            joined = 0;
            continue;
        }
        out[n++] = *in == '\t' || *in == '\r' ? ' ' : *in;
        in++;
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
    if (n > 0)
        out[0] = (char)toupper((unsigned char)out[0]);
    if (n > 0 && n + 1 < size && out[n - 1] != '.' && out[n - 1] != '?') {
        out[n++] = '.';
        out[n] = '\0';
    }
}

void sp_server_name(const sinkpg *s, char *buf, size_t size)
{
    const char *host = s->conn ? PQhost(s->conn) : NULL;
    const char *port = s->conn ? PQport(s->conn) : NULL;
    if (!host || !*host)
        host = "localhost";
    if (host[0] == '/') /* a socket directory: say so rather than print a path as a host */
        snprintf(buf, size, "socket %s, port %s", host, port && *port ? port : "5432");
    else
        snprintf(buf, size, "%s:%s", host, port && *port ? port : "5432");
}

/* Keeps quoted text only when it is a libpq keyword: a parse error may quote the password. */
static void mask_quoted(const char *in, char *out, size_t size)
{
    PQconninfoOption *known = PQconndefaults();
    size_t n = 0;
    while (*in && n + 1 < size) {
        const char *close = *in == '"' ? strchr(in + 1, '"') : NULL;
        if (!close) {
            out[n++] = *in++;
            continue;
        }
        size_t len = (size_t)(close - in - 1);
        int keyword = 0;
        for (PQconninfoOption *o = known; o && o->keyword && !keyword; o++)
            keyword = strlen(o->keyword) == len && strncmp(o->keyword, in + 1, len) == 0;
        const char *shown = keyword ? in + 1 : "...";
        size_t slen = keyword ? len : 3;
        if (n + slen + 3 >= size)
            break;
        out[n++] = '"';
        memcpy(out + n, shown, slen);
        n += slen;
        out[n++] = '"';
        in = close + 1;
    }
    out[n] = '\0';
    PQconninfoFree(known);
}

/* ---- connecting ---- */

static sluice_status bad_conninfo(sinkpg *s, sluice_error *err, char *libpq_message)
{
    char masked[SLUICE_ERROR_DETAIL_MAX], line[SLUICE_ERROR_DETAIL_MAX];
    mask_quoted(libpq_message ? libpq_message : "", masked, sizeof masked);
    one_line(masked, line, sizeof line);
    PQfreemem(libpq_message);
    s->host->error(err, SLUICE_FATAL, "invalid value for option \"conninfo\"");
    s->host->error_detail(err, "%s", line);
    s->host->error_hint(err, "Write conninfo as keyword=value pairs (host=... dbname=...) or as a "
                             "postgresql:// URI. Quoted parts of the message are hidden because "
                             "the string may hold a password.");
    return SLUICE_FATAL;
}

/* Keeps the password libpq will use, only to scrub messages. */
static void remember_password(sinkpg *s, const char *password)
{
    if (!password || !*password || (s->password && strcmp(s->password, password) == 0))
        return;
    free(s->password);
    s->password = strdup(password);
}

static sluice_status check_conninfo(sinkpg *s, sluice_error *err)
{
    char *message = NULL;
    PQconninfoOption *opts = PQconninfoParse(s->conninfo, &message);
    if (!opts)
        return message ? bad_conninfo(s, err, message) : sp_oom(s, err);
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (strcmp(o->keyword, "password") == 0)
            remember_password(s, o->val);
    PQconninfoFree(opts);
    return SLUICE_OK;
}

static int mentions(const char *text, const char *what) { return strstr(text, what) != NULL; }

static sluice_status connect_failed(sinkpg *s, sluice_error *err)
{
    char server[300], raw[SLUICE_ERROR_DETAIL_MAX], line[SLUICE_ERROR_DETAIL_MAX];
    sp_server_name(s, server, sizeof server);
    const char *db = PQdb(s->conn);
    snprintf(raw, sizeof raw, "%s", PQerrorMessage(s->conn));
    sp_scrub(s, raw);
    one_line(raw, line, sizeof line);
    /* Bad credentials or a missing database stay bad: retrying only delays the message. */
    int needs_password = PQconnectionNeedsPassword(s->conn);
    int auth = needs_password || mentions(raw, "authentication failed") ||
               mentions(raw, "pg_hba.conf");
    int missing = mentions(raw, "does not exist");
    sluice_status st = auth || missing ? SLUICE_FATAL : SLUICE_RETRY;
    s->host->error(err, st, "could not connect to the target database \"%s\" at %s",
                   db && *db ? db : "?", server);
    s->host->error_detail(err, "%s", line);
    if (needs_password)
        s->host->error_hint(err, "The server asks for a password: give one in conninfo "
                                 "(password=...), in PGPASSWORD or in ~/.pgpass.");
    else if (auth)
        s->host->error_hint(err, "Check the user and password (conninfo, PGPASSWORD or "
                                 "~/.pgpass) and the server's pg_hba.conf.");
    else if (missing)
        s->host->error_hint(err, "Check dbname and user in conninfo; create the database at "
                                 "the target first if it is new.");
    else
        s->host->error_hint(err, "Check that the target server is running and that host and "
                                 "port in conninfo (or PGHOST and PGPORT) are right.");
    return st;
}

/* Server notices ("table ... does not exist, skipping") go to the log at debug
   level instead of libpq's default, a bare line on stderr. */
static void notice_to_log(void *arg, const char *message)
{
    sinkpg *s = arg;
    size_t n = strcspn(message, "\n");
    s->host->log(s->ctx, SLUICE_LOG_DEBUG, "server notice: %.*s", (int)n, message);
}

sluice_status sp_connect(sinkpg *s, sluice_error *err)
{
    sluice_status st = check_conninfo(s, err);
    if (st != SLUICE_OK)
        return st;
    /* Our defaults come before the conninfo so that anything it says wins; environment
       variables lose to explicit keywords, so a default is only passed when none is set. */
    const char *keys[6], *vals[6];
    char timeout[24];
    int n = 0;
    if (s->cfg.connect_timeout > 0 && !getenv("PGCONNECT_TIMEOUT")) {
        snprintf(timeout, sizeof timeout, "%lld", (long long)s->cfg.connect_timeout);
        keys[n] = "connect_timeout";
        vals[n++] = timeout;
    }
    if (!getenv("PGCLIENTENCODING")) {
        keys[n] = "client_encoding"; /* canonical text is UTF-8 */
        vals[n++] = "UTF8";
    }
    keys[n] = "fallback_application_name";
    vals[n++] = "sluice-sink-pg";
    keys[n] = "dbname"; /* expanded: a conninfo string or URI */
    vals[n++] = s->conninfo;
    keys[n] = NULL;
    vals[n] = NULL;
    if (s->conn)
        PQfinish(s->conn);
    s->conn = PQconnectdbParams(keys, vals, 1);
    if (!s->conn)
        return sp_oom(s, err);
    remember_password(s, PQpass(s->conn));
    if (PQstatus(s->conn) != CONNECTION_OK)
        return connect_failed(s, err);
    PQsetNoticeProcessor(s->conn, notice_to_log, s);
    char server[300];
    sp_server_name(s, server, sizeof server);
    s->host->log(s->ctx, SLUICE_LOG_DEBUG, "connected to database \"%s\" at %s (server %d)",
                 PQdb(s->conn), server, PQserverVersion(s->conn));
    return SLUICE_OK;
}

int sp_connection_lost(const sinkpg *s) { return !s->conn || PQstatus(s->conn) != CONNECTION_OK; }

sluice_status sp_ensure_connected(sinkpg *s, sluice_error *err)
{
    if (!sp_connection_lost(s))
        return SLUICE_OK;
    /* Statements prepared on the old connection are gone with it. */
    for (uint32_t i = 0; i < s->ntables; i++) {
        s->tables[i]->nstmts = 0;
        s->tables[i]->generation++;
    }
    s->pipe.active = 0;
    s->pipe.nitems = s->pipe.nrows = 0;
    s->pipe.qhead = s->pipe.nqueue = s->pipe.ncommits = 0;
    s->pipe.guarded = s->pipe.framed = 0;
    s->copy_table = NULL;
    int relock = s->ck_locked; /* the lock went with the old session */
    s->ck_locked = 0;
    s->host->log(s->ctx, SLUICE_LOG_WARNING, "reconnecting to the target after a lost connection");
    sluice_status st = sp_connect(s, err);
    return st == SLUICE_OK && relock ? sp_checkpoint_lock(s, err) : st;
}

/* ---- statement errors ---- */

/* Our hint for a SQLSTATE the server gave no hint for, or NULL. */
static const char *hint_for(const char *sqlstate)
{
    static const struct {
        const char *code;
        const char *hint;
    } hints[] = {
        {"42501", "Grant the target user the privilege it lacks (GRANT ... TO that user), or "
                  "connect as a user that has it."},
        {"42P01", "Create the table at the target first, or load it with TargetTablePrepMode "
                  "DROP_AND_CREATE or DO_NOTHING, which create missing tables."},
        {"3F000", "Create the schema at the target, or set the schema option."},
        {"23505", "The target already holds a row with this key: it was written outside "
                  "sluice or by another pipeline. Remove it, or reload the table."},
        {"23503", "The target has a foreign key the source order does not satisfy: drop it at "
                  "the target or make it DEFERRABLE INITIALLY DEFERRED."},
        {"23514", "The row breaks a CHECK constraint of the target table: change the "
                  "constraint, or drop or fix the row with a transform."},
        {"23502", "The target column is NOT NULL but the row has no value for it: drop the "
                  "constraint at the target or give the column a value with a transform."},
        {"40001", "Another session at the target conflicted with sluice; run the pipeline "
                  "again."},
        {"40P01", "Another session at the target deadlocked with sluice; run the pipeline "
                  "again."},
        {"57014", "A statement timeout or an administrator cancelled the statement; raise "
                  "statement_timeout for the target user."},
        {"55P03", "Another session holds a lock sluice needs; run the pipeline again once it "
                  "is released, or raise lock_timeout."},
    };
    if (!sqlstate)
        return NULL;
    for (size_t i = 0; i < sizeof hints / sizeof hints[0]; i++)
        if (strcmp(hints[i].code, sqlstate) == 0)
            return hints[i].hint;
    if (strncmp(sqlstate, "22", 2) == 0)
        return "The value does not fit the target column's type: change the column's type at "
               "the target, or convert the value with a transform.";
    if (strncmp(sqlstate, "53", 2) == 0)
        return "The target server ran out of a resource (disk, memory, connections): free it, "
               "then run the pipeline again.";
    return NULL;
}

/* Appends a sentence to a detail buffer. */
static void add_sentence(char *buf, size_t size, const char *text)
{
    size_t n = strlen(buf);
    if (!text || !*text || n + 2 >= size)
        return;
    if (n)
        buf[n++] = ' ';
    size_t len = strnlen(text, size - 1 - n); /* cut, not overflow, a long detail */
    memcpy(buf + n, text, len);
    buf[n + len] = '\0';
}

sluice_status sp_report(sinkpg *s, sluice_error *err, sluice_status st, const PGresult *res,
                        const char *what, const char *extra)
{
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *sqlstate = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    char message[SLUICE_ERROR_MESSAGE_MAX], detail[SLUICE_ERROR_DETAIL_MAX] = "";
    char line[SLUICE_ERROR_DETAIL_MAX], hint[SLUICE_ERROR_HINT_MAX] = "";
    char server[300];
    if (!primary && sp_connection_lost(s)) {
        sp_server_name(s, server, sizeof server);
        snprintf(message, sizeof message, "%s: lost the connection to the target at %s", what,
                 server);
        one_line(PQerrorMessage(s->conn), line, sizeof line);
        add_sentence(detail, sizeof detail, line);
    } else if (!primary) { /* libpq's own message: one lower-case line already */
        const char *text = res && *PQresultErrorMessage(res) ? PQresultErrorMessage(res)
                                                             : PQerrorMessage(s->conn);
        size_t n = strcspn(text, "\n");
        if (n == 0) {
            text = "unknown error";
            n = strlen(text);
        }
        snprintf(message, sizeof message, "%s: %.*s", what, (int)n, text);
    } else {
        snprintf(message, sizeof message, "%s: %s", what, primary);
        const char *d = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
        const char *c = PQresultErrorField(res, PG_DIAG_CONTEXT);
        const char *h = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
        if (d) {
            one_line(d, line, sizeof line);
            add_sentence(detail, sizeof detail, line);
        }
        if (c) { /* "COPY t1, line 3, column n1: ..." says which row */
            one_line(c, line, sizeof line);
            add_sentence(detail, sizeof detail, line);
        }
        if (h)
            snprintf(hint, sizeof hint, "%s", h);
    }
    add_sentence(detail, sizeof detail, extra);
    if (sqlstate) {
        snprintf(line, sizeof line, "SQLSTATE %s.", sqlstate);
        add_sentence(detail, sizeof detail, line);
    }
    if (!*hint && hint_for(sqlstate))
        snprintf(hint, sizeof hint, "%s", hint_for(sqlstate));
    sp_scrub(s, message);
    sp_scrub(s, detail);
    s->host->error(err, st, "%s", message);
    if (*detail)
        s->host->error_detail(err, "%s", detail);
    if (*hint)
        s->host->error_hint(err, "%s", hint);
    return st;
}

static int result_ok(const PGresult *res)
{
    ExecStatusType t = PQresultStatus(res);
    return t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK;
}

sluice_status sp_command(sinkpg *s, sluice_error *err, sluice_status st, const char *sql,
                         const char *what)
{
    PGresult *res = sp_query(s, err, st, sql, 0, NULL, what);
    if (!res)
        return err->status;
    PQclear(res);
    return SLUICE_OK;
}

PGresult *sp_query(sinkpg *s, sluice_error *err, sluice_status st, const char *sql, int nparams,
                   const char *const *values, const char *what)
{
    PGresult *res = PQexecParams(s->conn, sql, nparams, NULL, values, NULL, NULL, 0);
    if (res && result_ok(res))
        return res;
    /* a lost connection between transactions is worth another try */
    if (st != SLUICE_FATAL && sp_connection_lost(s))
        st = SLUICE_RETRY;
    sp_report(s, err, st, res, what, NULL);
    PQclear(res);
    return NULL;
}

int sp_table_exists(sinkpg *s, const char *schema, const char *name, const char *display,
                    sluice_status st, sluice_error *err)
{
    const char *names[2] = {schema, name};
    char what[400];
    snprintf(what, sizeof what, "could not look up table \"%s\"", display);
    PGresult *res = sp_query(s, err, st,
                             "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
                             "ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2",
                             2, names, what);
    if (!res)
        return -1;
    int exists = PQntuples(res) > 0;
    PQclear(res);
    return exists;
}
