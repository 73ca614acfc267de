/* A chunk's row filters as SQL (filter_sql.h), for source-pg and source-mysql. */
#include "filter_sql.h"

static int is_row(uint32_t op)
{
    return op >= SLUICE_FILTER_ROW_LT && op <= SLUICE_FILTER_ROW_GE;
}

static void column(sbuf *b, const sluice_table *t, uint32_t i, const sql_quoting *q)
{
    const sluice_column *col = sluice_table_column(t, i);
    q->ident(b, col->name.ptr, col->name.len);
}

static void literal(sbuf *b, sluice_str v, const sql_quoting *q)
{
    q->literal(b, v.ptr, v.len);
}

static void row_condition(sbuf *b, const sluice_chunk *chunk, const sluice_filter *f,
                          const sql_quoting *q)
{
    static const char *const ops[] = {[SLUICE_FILTER_ROW_LT - SLUICE_FILTER_ROW_LT] = " < ",
                                      [SLUICE_FILTER_ROW_LE - SLUICE_FILTER_ROW_LT] = " <= ",
                                      [SLUICE_FILTER_ROW_GT - SLUICE_FILTER_ROW_LT] = " > ",
                                      [SLUICE_FILTER_ROW_GE - SLUICE_FILTER_ROW_LT] = " >= "};
    uint32_t n;
    const uint32_t *cols = sluice_filter_columns(chunk, f, &n);
    sb_put(b, "(", 1);
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            sb_put(b, ", ", 2);
        column(b, chunk->table, cols[i], q);
    }
    sb_printf(b, ")%s(", ops[f->op - SLUICE_FILTER_ROW_LT]);
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            sb_put(b, ", ", 2);
        literal(b, f->values[i], q);
    }
    sb_put(b, ")", 1);
}

static void condition(sbuf *b, const sluice_chunk *chunk, const sluice_filter *f,
                      const sql_quoting *q)
{
    static const char *const ops[] = {
        [SLUICE_FILTER_EQ] = " = ",  [SLUICE_FILTER_NE] = " <> ", [SLUICE_FILTER_LT] = " < ",
        [SLUICE_FILTER_LE] = " <= ", [SLUICE_FILTER_GT] = " > ",  [SLUICE_FILTER_GE] = " >= ",
    };
    if (is_row(f->op)) {
        row_condition(b, chunk, f, q);
        return;
    }
    column(b, chunk->table, f->column, q);
    switch (f->op) {
    case SLUICE_FILTER_NULL: sb_printf(b, " IS NULL"); break;
    case SLUICE_FILTER_NOT_NULL: sb_printf(b, " IS NOT NULL"); break;
    case SLUICE_FILTER_BETWEEN:
        sb_printf(b, " BETWEEN ");
        literal(b, f->values[0], q);
        sb_printf(b, " AND ");
        literal(b, f->values[1], q);
        break;
    case SLUICE_FILTER_IN:
        sb_printf(b, " IN (");
        for (uint32_t i = 0; i < f->nvalues; i++) {
            if (i)
                sb_put(b, ", ", 2);
            literal(b, f->values[i], q);
        }
        sb_put(b, ")", 1);
        break;
    default:
        sb_printf(b, "%s", ops[f->op]);
        literal(b, f->values[0], q);
        break;
    }
}

int filter_sql_pushable(const sluice_chunk *chunk, const sql_quoting *q)
{
    uint32_t n;
    if (!sluice_chunk_filters(chunk, &n) || n == 0)
        return 0;
    uint32_t last = q->row_comparisons ? SLUICE_FILTER_ROW_GE : SLUICE_FILTER_IN;
    for (uint32_t i = 0; i < n; i++) {
        const sluice_filter *f = sluice_filter_at(chunk, i);
        uint32_t ncols;
        sluice_filter_columns(chunk, f, &ncols);
        /* a newer core may send ops this file does not know */
        if (f->op < SLUICE_FILTER_EQ || f->op > last ||
            (is_row(f->op) && (ncols < 1 || f->nvalues != ncols)))
            return 0;
    }
    return 1;
}

int filter_sql(sbuf *b, const sluice_chunk *chunk, int first, const sql_quoting *q)
{
    uint32_t n;
    if (!filter_sql_pushable(chunk, q) || !sluice_chunk_filters(chunk, &n))
        return 0;
    for (uint32_t i = 0; i < n;) {
        uint32_t group = sluice_filter_at(chunk, i)->group;
        sb_printf(b, "%s(", first ? " WHERE " : " AND ");
        first = 0;
        for (uint32_t j = i; i < n && sluice_filter_at(chunk, i)->group == group; i++) {
            if (i > j)
                sb_printf(b, " OR ");
            condition(b, chunk, sluice_filter_at(chunk, i), q);
        }
        sb_put(b, ")", 1);
    }
    return 1;
}
