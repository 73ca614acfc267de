/*
 * ABI 1.6 check: what `sluice check` reports about a MySQL / MariaDB source.
 * In the change-capture modes the prerequisites of prereq.c (the code open()
 * runs, here reporting every finding); in every mode the server, the largest
 * selected tables, the columns with large values (a bounded sample) and the
 * open InnoDB transactions. Everything here only reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source_mysql.h"

/* Rows read per large-value column to sample its sizes. */
#define LOB_SAMPLE_ROWS 1000

/* " IN ((schema, table), ...)" of the selected tables, for information_schema. */
static void selected_tables(mysrc *s, sbuf *b)
{
    sb_put(b, " IN (", 5);
    for (uint32_t i = 0; i < s->ntables; i++) {
        const sluice_table *t = s->tables[i].table;
        sb_put(b, i ? ", (" : "(", i ? 3 : 1);
        my_buf_literal(b, t->schema.ptr, t->schema.len);
        sb_put(b, ", ", 2);
        my_buf_literal(b, t->name.ptr, t->name.len);
        sb_put(b, ")", 1);
    }
    sb_put(b, ")", 1);
}

static sluice_status server_info(mysrc *s, sluice_findings *out, sluice_error *err)
{
    s->host->error(err, SLUICE_OK, "server \"%s\" runs %s %s", s->server,
                   s->mariadb ? "MariaDB" : "MySQL", s->version);
    return my_report(s, out, SLUICE_SEVERITY_INFO, NULL, err);
}

static sluice_status largest_tables(mysrc *s, sluice_findings *out, sluice_error *err)
{
    sbuf b = {0};
    sb_printf(&b, "SELECT TABLE_SCHEMA, TABLE_NAME, COALESCE(DATA_LENGTH, 0) + "
                    "COALESCE(INDEX_LENGTH, 0), COALESCE(TABLE_ROWS, 0) "
                    "FROM information_schema.TABLES WHERE (TABLE_SCHEMA, TABLE_NAME)");
    selected_tables(s, &b);
    sb_printf(&b, " ORDER BY 3 DESC, 1, 2 LIMIT 5");
    char *sql = sb_take(&b);
    if (!sql)
        return my_oom(s, err);
    MYSQL_RES *r = my_query(s, s->conn, sql, "read the tables' sizes", err);
    free(sql);
    if (!r)
        return err->status;
    MYSQL_ROW row;
    sluice_status st = SLUICE_OK;
    for (int i = 1; st == SLUICE_OK && (row = mysql_fetch_row(r)); i++) {
        char name[420];
        snprintf(name, sizeof name, "%s.%s", row[0], row[1]);
        s->host->error(err, SLUICE_OK, "table \"%s\" takes %s bytes", name, row[2]);
        s->host->error_detail(err, "Size number %d of the selected tables, data and indexes "
                                   "as information_schema.TABLES estimates them; about %s rows.",
                              i, row[3]);
        st = my_report(s, out, SLUICE_SEVERITY_INFO, name, err);
    }
    mysql_free_result(r);
    return st;
}

/* One large-value column: average and largest of a sample of its values. */
static sluice_status lob_column(mysrc *s, MYSQL_ROW col, sluice_findings *out, sluice_error *err)
{
    sbuf b = {0};
    sb_printf(&b, "SELECT CAST(COALESCE(AVG(LENGTH(x.v)), 0) AS UNSIGNED), "
                    "COALESCE(MAX(LENGTH(x.v)), 0), COUNT(x.v) FROM (SELECT ");
    my_buf_ident(&b, col[2], strlen(col[2]));
    sb_printf(&b, " AS v FROM ");
    my_buf_ident(&b, col[0], strlen(col[0]));
    sb_put(&b, ".", 1);
    my_buf_ident(&b, col[1], strlen(col[1]));
    sb_printf(&b, " LIMIT %d) x", LOB_SAMPLE_ROWS);
    char *sql = sb_take(&b);
    if (!sql)
        return my_oom(s, err);
    MYSQL_RES *r = my_query(s, s->conn, sql, "sample a column's value sizes", err);
    free(sql);
    if (!r)
        return err->status;
    MYSQL_ROW row = mysql_fetch_row(r);
    sluice_status st = SLUICE_OK;
    if (row && row[2] && strtoll(row[2], NULL, 10) > 0) {
        char name[420];
        snprintf(name, sizeof name, "%s.%s", col[0], col[1]);
        long long avg = strtoll(row[0], NULL, 10), rows = strtoll(col[4], NULL, 10);
        s->host->error(err, SLUICE_OK, "column \"%s\" of table \"%s\" (%s) holds values of %lld "
                                       "bytes on average",
                       col[2], name, col[3], avg);
        s->host->error_detail(err, "Of %s sampled values the largest takes %s bytes; with about "
                                   "%lld rows the column holds about %lld bytes.",
                              row[2], row[1], rows, avg * rows);
        st = my_report(s, out, SLUICE_SEVERITY_INFO, name, err);
    }
    mysql_free_result(r);
    return st;
}

static sluice_status large_values(mysrc *s, sluice_findings *out, sluice_error *err)
{
    sbuf b = {0};
    sb_printf(&b, "SELECT c.TABLE_SCHEMA, c.TABLE_NAME, c.COLUMN_NAME, c.COLUMN_TYPE, "
                    "COALESCE(t.TABLE_ROWS, 0) FROM information_schema.COLUMNS c "
                    "JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA "
                    "AND t.TABLE_NAME = c.TABLE_NAME WHERE c.DATA_TYPE IN ('tinytext', 'text', "
                    "'mediumtext', 'longtext', 'tinyblob', 'blob', 'mediumblob', 'longblob', "
                    "'json') AND (c.TABLE_SCHEMA, c.TABLE_NAME)");
    selected_tables(s, &b);
    sb_printf(&b, " ORDER BY COALESCE(t.DATA_LENGTH, 0) DESC, 1, 2, c.ORDINAL_POSITION "
                    "LIMIT 100");
    char *sql = sb_take(&b);
    if (!sql)
        return my_oom(s, err);
    MYSQL_RES *cols = my_query(s, s->conn, sql, "read the large-value columns", err);
    free(sql);
    if (!cols)
        return err->status;
    MYSQL_ROW col;
    sluice_status st = SLUICE_OK;
    while (st == SLUICE_OK && (col = mysql_fetch_row(cols)))
        st = lob_column(s, col, out, err);
    mysql_free_result(cols);
    return st;
}

/* Open InnoDB transactions: their changes reach the binary log only at commit. */
static sluice_status open_transactions(mysrc *s, sluice_findings *out, sluice_error *err)
{
    MYSQL_RES *r = my_query(s, s->conn,
                            "SELECT trx_mysql_thread_id, TIMESTAMPDIFF(SECOND, trx_started, "
                            "NOW()), trx_state, trx_rows_modified "
                            "FROM information_schema.INNODB_TRX "
                            "WHERE trx_mysql_thread_id <> CONNECTION_ID() ORDER BY trx_started",
                            "read the open transactions", err);
    if (!r && mysql_errno(s->conn) == 1227) { /* ER_SPECIFIC_ACCESS_DENIED_ERROR */
        s->host->error(err, SLUICE_OK, "cannot see the open transactions of other sessions");
        s->host->error_detail(err, "information_schema.INNODB_TRX needs the PROCESS privilege, "
                                   "which the user lacks; a long transaction would go "
                                   "unnoticed here.");
        s->host->error_hint(err, "GRANT PROCESS ON *.* to the source user to have it checked.");
        return my_report(s, out, SLUICE_SEVERITY_INFO, NULL, err);
    }
    if (!r)
        return err->status;
    MYSQL_ROW row;
    sluice_status st = SLUICE_OK;
    while (st == SLUICE_OK && (row = mysql_fetch_row(r))) {
        s->host->error(err, SLUICE_OK, "transaction of thread %s has been open for %s seconds",
                       row[0], row[1] ? row[1] : "?");
        s->host->error_detail(err, "It is %s and has modified %s rows. Its changes reach the "
                                   "binary log only when it commits; until then InnoDB keeps "
                                   "the old row versions the full load's snapshot may need, and "
                                   "a large one arrives in change capture as one transaction.",
                              row[2] ? row[2] : "?", row[3] ? row[3] : "?");
        s->host->error_hint(err, "Let it finish before the run, or end it with KILL %s.",
                            row[0]);
        st = my_report(s, out, SLUICE_SEVERITY_WARNING, NULL, err);
    }
    mysql_free_result(r);
    return st;
}

sluice_status my_check(void *instance, sluice_findings *out, sluice_error *err)
{
    mysrc *s = instance;
    const char *mode = my_mode(s);
    sluice_status st = server_info(s, out, err);
    if (st == SLUICE_OK && mode && strcmp(mode, "full-load") != 0)
        st = my_check_cdc(s, out, err);
    if (st == SLUICE_OK && s->ntables)
        st = largest_tables(s, out, err);
    if (st == SLUICE_OK && s->ntables)
        st = large_values(s, out, err);
    if (st == SLUICE_OK)
        st = open_transactions(s, out, err);
    return st;
}
