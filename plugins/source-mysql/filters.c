/*
 * The pipeline's row filters (sluice_chunk filters, ABI 1.3) as SQL for the
 * full-load query, so filtered-out rows never leave the server: plugins/common's
 * filter_sql in MySQL's quoting. Values are string literals that MySQL converts
 * to the column's type for the comparison. Row comparisons (ABI 1.4) are left
 * to the core.
 */
#include "filter_sql.h"
#include "source_mysql.h"

static const sql_quoting my_quoting = {my_buf_ident, my_buf_literal, 0};

int my_filters_pushable(const sluice_chunk *chunk)
{
    return filter_sql_pushable(chunk, &my_quoting);
}

int my_filter_sql(sbuf *b, const sluice_chunk *chunk, int first)
{
    return filter_sql(b, chunk, first, &my_quoting);
}
