/*
 * Prerequisites of change capture from the binary log, each its own finding
 * with what, where and how to fix it, in the order a DBA would fix them: the
 * log itself, its format, then who reads it. One code path for two callers:
 * open() in the change-capture modes (out NULL: the first blocking finding is
 * the error) and `sluice check` (check.c: out is the host's list, and every
 * finding goes there).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "source_mysql.h"

typedef struct server_vars {
    char log_bin[16], binlog_format[32], binlog_row_image[32], binlog_row_metadata[32];
    int has_row_metadata;
    char server_id[32];
    long long expire_days, expire_seconds;
    int has_expire_seconds;
} server_vars;

static sluice_status read_vars(mysrc *s, server_vars *v, sluice_error *err)
{
    memset(v, 0, sizeof *v);
    MYSQL_RES *r = my_query(s, s->conn,
                            "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('log_bin', "
                            "'binlog_format', 'binlog_row_image', 'binlog_row_metadata', "
                            "'server_id', 'expire_logs_days', 'binlog_expire_logs_seconds')",
                            "read the server's binary log settings", err);
    if (!r)
        return err->status;
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(r))) {
        const char *name = row[0], *val = row[1] ? row[1] : "";
        if (strcmp(name, "log_bin") == 0)
            snprintf(v->log_bin, sizeof v->log_bin, "%s", val);
        else if (strcmp(name, "binlog_format") == 0)
            snprintf(v->binlog_format, sizeof v->binlog_format, "%s", val);
        else if (strcmp(name, "binlog_row_image") == 0)
            snprintf(v->binlog_row_image, sizeof v->binlog_row_image, "%s", val);
        else if (strcmp(name, "binlog_row_metadata") == 0) {
            snprintf(v->binlog_row_metadata, sizeof v->binlog_row_metadata, "%s", val);
            v->has_row_metadata = 1;
        } else if (strcmp(name, "server_id") == 0)
            snprintf(v->server_id, sizeof v->server_id, "%s", val);
        else if (strcmp(name, "expire_logs_days") == 0)
            v->expire_days = (long long)strtod(val, NULL);
        else if (strcmp(name, "binlog_expire_logs_seconds") == 0) {
            v->expire_seconds = strtoll(val, NULL, 10);
            v->has_expire_seconds = 1;
        }
    }
    mysql_free_result(r);
    return SLUICE_OK;
}

sluice_status my_report(mysrc *s, sluice_findings *out, sluice_severity severity,
                        const char *table, sluice_error *err)
{
    if (!out) /* opening: a blocking finding is the error; the others do not stop it */
        return severity == SLUICE_SEVERITY_BLOCKING ? (err->status = SLUICE_FATAL) : SLUICE_OK;
    if (s->host->finding_add(out, severity, table, err) != 0)
        return my_oom(s, err);
    err->status = SLUICE_OK;
    err->message[0] = err->detail[0] = err->hint[0] = '\0';
    return SLUICE_OK;
}

static sluice_status wrong_setting(mysrc *s, sluice_findings *out, sluice_error *err,
                                   const char *name, const char *want, const char *have)
{
    s->host->error(err, SLUICE_FATAL, "change capture requires %s \"%s\"", name, want);
    s->host->error_detail(err, "Server \"%s\" has %s \"%s\". Change capture decodes row "
                               "events, which need every column of every changed row in the "
                               "binary log.",
                          s->server, name, have);
    s->host->error_hint(err, "Run SET GLOBAL %s = '%s' and put %s = %s in the server's my.cnf "
                             "so it survives a restart; sessions already connected keep the "
                             "old value until they reconnect.",
                        name, want, name, want);
    return my_report(s, out, SLUICE_SEVERITY_BLOCKING, NULL, err);
}

static sluice_status check_log(mysrc *s, const server_vars *v, sluice_findings *out,
                               sluice_error *err)
{
    if (strcasecmp(v->log_bin, "ON") != 0 && strcmp(v->log_bin, "1") != 0) {
        s->host->error(err, SLUICE_FATAL, "change capture requires the binary log");
        s->host->error_detail(err, "Server \"%s\" runs with log_bin \"%s\": it writes no binary "
                                   "log to read changes from.",
                              s->server, v->log_bin[0] ? v->log_bin : "OFF");
        s->host->error_hint(err, "Add log_bin = binlog and server_id = 1 (any id unique among "
                                 "the servers and readers of this log) to the [mysqld] or "
                                 "[mariadbd] section of my.cnf and restart the server.");
        return my_report(s, out, SLUICE_SEVERITY_BLOCKING, NULL, err);
    }
    sluice_status st = SLUICE_OK;
    if (strcasecmp(v->binlog_format, "ROW") != 0)
        st = wrong_setting(s, out, err, "binlog_format", "ROW", v->binlog_format);
    if (st == SLUICE_OK && strcasecmp(v->binlog_row_image, "FULL") != 0)
        st = wrong_setting(s, out, err, "binlog_row_image", "FULL", v->binlog_row_image);
    if (st == SLUICE_OK && v->has_row_metadata && strcasecmp(v->binlog_row_metadata, "FULL") != 0)
        st = wrong_setting(s, out, err, "binlog_row_metadata", "FULL", v->binlog_row_metadata);
    return st;
}

static sluice_status check_server_id(mysrc *s, const server_vars *v, sluice_findings *out,
                                     sluice_error *err)
{
    long long server = strtoll(v->server_id, NULL, 10);
    if (server == 0) {
        s->host->error(err, SLUICE_FATAL, "change capture requires a server_id on the source");
        s->host->error_detail(err, "Server \"%s\" has server_id 0, with which it refuses to "
                                   "send its binary log to any reader.",
                              s->server);
        s->host->error_hint(err, "Set server_id to a number unique among your servers in "
                                 "my.cnf (SET GLOBAL server_id = 1 until the restart).");
        return my_report(s, out, SLUICE_SEVERITY_BLOCKING, NULL, err);
    }
    if (server == s->cfg.server_id) {
        s->host->error(err, SLUICE_FATAL, "option \"server_id\" (%lld) is the source server's "
                                          "own server_id",
                       (long long)s->cfg.server_id);
        s->host->error_detail(err, "sluice reads the binary log as a replica named by "
                                   "server_id; server \"%s\" has server_id %lld itself.",
                              s->server, server);
        s->host->error_hint(err, "Set server_id in the source options to a number no server "
                                 "or other reader of this log uses.");
        return my_report(s, out, SLUICE_SEVERITY_BLOCKING, NULL, err);
    }
    /* replicas registered with the server (best effort: needs a privilege we may lack) */
    if (mysql_query(s->conn, "SHOW SLAVE HOSTS") == 0) {
        MYSQL_RES *r = mysql_store_result(s->conn);
        MYSQL_ROW row;
        long long clash = -1;
        while (r && (row = mysql_fetch_row(r)))
            if (row[0] && strtoll(row[0], NULL, 10) == s->cfg.server_id)
                clash = s->cfg.server_id;
        if (r)
            mysql_free_result(r);
        if (clash >= 0) {
            s->host->error(err, SLUICE_FATAL, "option \"server_id\" (%lld) is in use by a "
                                              "replica of the source",
                           clash);
            s->host->error_detail(err, "SHOW SLAVE HOSTS on server \"%s\" lists a replica "
                                       "with server_id %lld; the server would drop one of the "
                                       "two connections.",
                                  s->server, clash);
            s->host->error_hint(err, "Set server_id in the source options to an unused "
                                     "number.");
            return my_report(s, out, SLUICE_SEVERITY_BLOCKING, NULL, err);
        }
    }
    return SLUICE_OK;
}

/* The current user's global privileges, as information_schema lists them. */
static sluice_status global_privileges(mysrc *s, char *out, size_t size, char *who, size_t wsize,
                                       sluice_error *err)
{
    MYSQL_RES *r = my_query(
        s, s->conn,
        "SELECT CURRENT_USER(), COALESCE((SELECT GROUP_CONCAT(PRIVILEGE_TYPE SEPARATOR ',') "
        "FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = CONCAT('''', "
        "SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', "
        "SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')), '')",
        "read the user's privileges", err);
    if (!r)
        return err->status;
    MYSQL_ROW row = mysql_fetch_row(r);
    snprintf(who, wsize, "%s", row && row[0] ? row[0] : "?");
    snprintf(out, size, ",%s,", row && row[1] ? row[1] : "");
    mysql_free_result(r);
    return SLUICE_OK;
}

static int has_priv(const char *list, const char *priv)
{
    char key[64];
    snprintf(key, sizeof key, ",%s,", priv);
    return strstr(list, key) != NULL;
}

/* 'user'@'host' for a GRANT in a hint. */
static void grantee(const char *who, char *buf, size_t size)
{
    const char *at = strrchr(who, '@');
    if (!at)
        snprintf(buf, size, "'%s'", who);
    else
        snprintf(buf, size, "'%.*s'@'%s'", (int)(at - who), who, at + 1);
}

static sluice_status check_privileges(mysrc *s, sluice_findings *out, sluice_error *err)
{
    char privs[4096], who[300], g[320];
    sluice_status st = global_privileges(s, privs, sizeof privs, who, sizeof who, err);
    if (st != SLUICE_OK)
        return st;
    grantee(who, g, sizeof g);
    int all = has_priv(privs, "ALL PRIVILEGES");
    const char *missing = NULL, *why = NULL;
    if (!all && !has_priv(privs, "REPLICATION SLAVE") && !has_priv(privs, "REPLICATION REPLICA")) {
        missing = "REPLICATION SLAVE";
        why = "it reads the binary log the way a replica does";
    } else if (!all && !has_priv(privs, "REPLICATION CLIENT") &&
               !has_priv(privs, "BINLOG MONITOR") && !has_priv(privs, "SUPER")) {
        missing = s->mariadb && s->version_num >= 100502 ? "BINLOG MONITOR" : "REPLICATION CLIENT";
        why = "it reads the binary log's files and positions (SHOW MASTER STATUS, SHOW BINARY "
              "LOGS)";
    }
    if (!missing)
        return SLUICE_OK;
    s->host->error(err, SLUICE_FATAL, "user %s lacks the %s privilege", g, missing);
    s->host->error_detail(err, "Change capture needs it on server \"%s\": %s.", s->server, why);
    s->host->error_hint(err, "As an administrator, run GRANT REPLICATION SLAVE, %s ON *.* TO %s.",
                        s->mariadb && s->version_num >= 100502 ? "BINLOG MONITOR"
                                                               : "REPLICATION CLIENT",
                        g);
    return my_report(s, out, SLUICE_SEVERITY_BLOCKING, NULL, err);
}

static sluice_status check_retention(mysrc *s, const server_vars *v, sluice_findings *out,
                                     sluice_error *err)
{
    long long seconds = v->has_expire_seconds && v->expire_seconds > 0 ? v->expire_seconds
                                                                      : v->expire_days * 86400;
    if (seconds == 0 || seconds >= 86400)
        return SLUICE_OK; /* never purged, or kept at least a day */
    s->host->error(err, SLUICE_FATAL, "the source keeps its binary log for only %lld seconds",
                   seconds);
    s->host->error_detail(err, "Server \"%s\" purges binary log files older than that; a full "
                               "load that takes longer would leave change capture without the "
                               "changes made since its snapshot.",
                          s->server);
    s->host->error_hint(err, "Keep the binary log at least a day, longer than the full load "
                             "takes: SET GLOBAL binlog_expire_logs_seconds = 604800 (and the "
                             "same in my.cnf).");
    return my_report(s, out, SLUICE_SEVERITY_BLOCKING, NULL, err);
}

sluice_status my_check_cdc(mysrc *s, sluice_findings *out, sluice_error *err)
{
    server_vars v;
    sluice_status st = read_vars(s, &v, err);
    if (st == SLUICE_OK)
        st = check_log(s, &v, out, err);
    if (st == SLUICE_OK)
        st = check_server_id(s, &v, out, err);
    if (st == SLUICE_OK)
        st = check_privileges(s, out, err);
    if (st == SLUICE_OK)
        st = check_retention(s, &v, out, err);
    return st;
}
