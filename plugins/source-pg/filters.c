/*
 * The pipeline's row filters (sluice_chunk filters, ABI 1.3) as SQL for the
 * full-load query, so filtered-out rows never leave the server: plugins/common's
 * filter_sql in PostgreSQL's quoting. Values are literals cast by PostgreSQL to
 * the column's type ('10' < numeric column compares as numbers). A row
 * comparison (ABI 1.4) is SQL's own: ("a", "b") <= ('1', 'x'), each pair typed
 * like a single comparison and text compared in the column's collation.
 */
#include "filter_sql.h"
#include "source_pg.h"

static void literal(sbuf *b, const char *text, size_t len)
{
    sb_put(b, "'", 1);
    for (size_t i = 0; i < len; i++) /* standard_conforming_strings: only ' is special */
        sb_put(b, text[i] == '\'' ? "''" : &text[i], text[i] == '\'' ? 2 : 1);
    sb_put(b, "'", 1);
}

static const sql_quoting pg_quoting = {pg_buf_ident, literal, 1};

int pg_filter_sql(sbuf *b, const sluice_chunk *chunk, int first)
{
    return filter_sql(b, chunk, first, &pg_quoting);
}
