/*
 * The pipeline's row filters (sluice_chunk filters, ABI 1.3) as SQL for the
 * full-load query, so filtered-out rows never leave the server. Values are
 * string literals that MySQL converts to the column's type for the
 * comparison, as a WHERE clause typed by hand would.
 */
#include <string.h>

#include "source_mysql.h"

static void condition(sbuf *b, const sluice_table *t, const sluice_filter *f)
{
    static const char *const ops[] = {
        [SLUICE_FILTER_EQ] = " = ",  [SLUICE_FILTER_NE] = " <> ", [SLUICE_FILTER_LT] = " < ",
        [SLUICE_FILTER_LE] = " <= ", [SLUICE_FILTER_GT] = " > ",  [SLUICE_FILTER_GE] = " >= ",
    };
    const sluice_column *col = sluice_table_column(t, f->column);
    my_buf_ident(b, col->name.ptr, col->name.len);
    switch (f->op) {
    case SLUICE_FILTER_NULL: sb_printf(b, " IS NULL"); break;
    case SLUICE_FILTER_NOT_NULL: sb_printf(b, " IS NOT NULL"); break;
    case SLUICE_FILTER_BETWEEN:
        sb_printf(b, " BETWEEN ");
        my_buf_literal(b, f->values[0].ptr, f->values[0].len);
        sb_printf(b, " AND ");
        my_buf_literal(b, f->values[1].ptr, f->values[1].len);
        break;
    case SLUICE_FILTER_IN:
        sb_printf(b, " IN (");
        for (uint32_t i = 0; i < f->nvalues; i++) {
            if (i)
                sb_put(b, ", ", 2);
            my_buf_literal(b, f->values[i].ptr, f->values[i].len);
        }
        sb_put(b, ")", 1);
        break;
    default:
        sb_printf(b, "%s", ops[f->op]);
        my_buf_literal(b, f->values[0].ptr, f->values[0].len);
        break;
    }
}

/* Whether every filter is one this file writes as SQL: a newer core may send
   ops it does not know (1.4's row comparisons); then the core applies them all. */
int my_filters_pushable(const sluice_chunk *chunk)
{
    uint32_t n;
    if (!sluice_chunk_filters(chunk, &n) || n == 0)
        return 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t op = sluice_filter_at(chunk, i)->op;
        if (op < SLUICE_FILTER_EQ || op > SLUICE_FILTER_IN)
            return 0;
    }
    return 1;
}

int my_filter_sql(sbuf *b, const sluice_chunk *chunk, int first)
{
    uint32_t n;
    if (!my_filters_pushable(chunk) || !sluice_chunk_filters(chunk, &n))
        return 0;
    for (uint32_t i = 0; i < n;) { /* groups AND-ed, conditions of a group OR-ed */
        uint32_t group = sluice_filter_at(chunk, i)->group;
        sb_printf(b, "%s(", first ? " WHERE " : " AND ");
        first = 0;
        for (uint32_t j = i; i < n && sluice_filter_at(chunk, i)->group == group; i++) {
            if (i > j)
                sb_printf(b, " OR ");
            condition(b, chunk->table, sluice_filter_at(chunk, i));
        }
        sb_put(b, ")", 1);
    }
    return 1;
}
