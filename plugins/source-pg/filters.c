/*
 * The pipeline's row filters (sluice_chunk filters, ABI 1.3) as SQL for the
 * full-load query, so filtered-out rows never leave the server. Values are
 * literals cast by PostgreSQL to the column's type ('10' < numeric column
 * compares as numbers), as a WHERE clause typed by hand would. A row
 * comparison (ABI 1.4) is SQL's own: ("a", "b") <= ('1', 'x'), each pair
 * typed like a single comparison and text compared in the column's collation.
 * A filter of an op this file does not know leaves every filter to the core.
 */
#include <string.h>

#include "source_pg.h"

static void literal(sbuf *b, sluice_str v)
{
    sb_put(b, "'", 1);
    for (size_t i = 0; i < v.len; i++) /* standard_conforming_strings: only ' is special */
        sb_put(b, v.ptr[i] == '\'' ? "''" : &v.ptr[i], v.ptr[i] == '\'' ? 2 : 1);
    sb_put(b, "'", 1);
}

static int is_row(uint32_t op)
{
    return op >= SLUICE_FILTER_ROW_LT && op <= SLUICE_FILTER_ROW_GE;
}

static void row_condition(sbuf *b, const sluice_chunk *chunk, const sluice_filter *f)
{
    static const char *const ops[] = {[SLUICE_FILTER_ROW_LT - SLUICE_FILTER_ROW_LT] = " < ",
                                      [SLUICE_FILTER_ROW_LE - SLUICE_FILTER_ROW_LT] = " <= ",
                                      [SLUICE_FILTER_ROW_GT - SLUICE_FILTER_ROW_LT] = " > ",
                                      [SLUICE_FILTER_ROW_GE - SLUICE_FILTER_ROW_LT] = " >= "};
    uint32_t n;
    const uint32_t *cols = sluice_filter_columns(chunk, f, &n);
    sb_put(b, "(", 1);
    for (uint32_t i = 0; i < n; i++) {
        const sluice_column *col = sluice_table_column(chunk->table, cols[i]);
        if (i)
            sb_put(b, ", ", 2);
        pg_buf_ident(b, col->name.ptr, col->name.len);
    }
    sb_printf(b, ")%s(", ops[f->op - SLUICE_FILTER_ROW_LT]);
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            sb_put(b, ", ", 2);
        literal(b, f->values[i]);
    }
    sb_put(b, ")", 1);
}

/* Whether every filter is one this file can say in SQL, with its values. */
static int all_known(const sluice_chunk *chunk, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        const sluice_filter *f = sluice_filter_at(chunk, i);
        uint32_t ncols;
        sluice_filter_columns(chunk, f, &ncols);
        if (f->op < SLUICE_FILTER_EQ || f->op > SLUICE_FILTER_ROW_GE ||
            (is_row(f->op) && (ncols < 1 || f->nvalues != ncols)))
            return 0;
    }
    return 1;
}

static void condition(sbuf *b, const sluice_chunk *chunk, const sluice_filter *f)
{
    const sluice_table *t = chunk->table;
    if (is_row(f->op)) {
        row_condition(b, chunk, f);
        return;
    }
    static const char *const ops[] = {
        [SLUICE_FILTER_EQ] = " = ",  [SLUICE_FILTER_NE] = " <> ", [SLUICE_FILTER_LT] = " < ",
        [SLUICE_FILTER_LE] = " <= ", [SLUICE_FILTER_GT] = " > ",  [SLUICE_FILTER_GE] = " >= ",
    };
    const sluice_column *col = sluice_table_column(t, f->column);
    pg_buf_ident(b, col->name.ptr, col->name.len);
    switch (f->op) {
    case SLUICE_FILTER_NULL: sb_printf(b, " IS NULL"); break;
    case SLUICE_FILTER_NOT_NULL: sb_printf(b, " IS NOT NULL"); break;
    case SLUICE_FILTER_BETWEEN:
        sb_printf(b, " BETWEEN ");
        literal(b, f->values[0]);
        sb_printf(b, " AND ");
        literal(b, f->values[1]);
        break;
    case SLUICE_FILTER_IN:
        sb_printf(b, " IN (");
        for (uint32_t i = 0; i < f->nvalues; i++) {
            if (i)
                sb_put(b, ", ", 2);
            literal(b, f->values[i]);
        }
        sb_put(b, ")", 1);
        break;
    default:
        sb_printf(b, "%s", ops[f->op]);
        literal(b, f->values[0]);
        break;
    }
}

int pg_filter_sql(sbuf *b, const sluice_chunk *chunk, int first)
{
    uint32_t n;
    if (!sluice_chunk_filters(chunk, &n) || n == 0 || !all_known(chunk, n))
        return 0;
    for (uint32_t i = 0; i < n;) { /* groups AND-ed, conditions of a group OR-ed */
        uint32_t group = sluice_filter_at(chunk, i)->group;
        sb_printf(b, "%s(", first ? " WHERE " : " AND ");
        first = 0;
        for (uint32_t j = i; i < n && sluice_filter_at(chunk, i)->group == group; i++) {
            if (i > j)
                sb_printf(b, " OR ");
            condition(b, chunk, sluice_filter_at(chunk, i));
        }
        sb_put(b, ")", 1);
    }
    return 1;
}
