/* The generator's expected state in capture-replay's format (expect.h). */
#include "expect.h"

#include <stdlib.h>
#include <string.h>

#include "journal.h"

/* capture-replay sorts tables by name with strcmp: "gen.t10" before "gen.t2". */
static int cmp_table_name(const void *a, const void *b)
{
    char x[24], y[24];
    snprintf(x, sizeof x, "t%u", *(const uint32_t *)a);
    snprintf(y, sizeof y, "t%u", *(const uint32_t *)b);
    return strcmp(x, y);
}

static void put_row(const gen_model *m, const gen_state *st, uint32_t t, int64_t id, jbuf *b)
{
    char text[GEN_TEXT_MAX];
    uint64_t ver, s1ver;
    gen_value v;
    gen_state_versions(m, st, t, id, &ver, &s1ver);
    jbuf_puts(b, "gen.t");
    jbuf_put_uint(b, t);
    for (uint32_t c = 0; c < m->ncols; c++) {
        gen_value_at(m, t, id, c, c == 2 ? s1ver : ver, &v, text);
        jbuf_putc(b, '\t');
        if (v.kind == GEN_INT)
            jbuf_put_int(b, v.i);
        else if (v.kind == GEN_TEXT)
            jbuf_put_escaped(b, text, v.len);
        else
            jbuf_put(b, "\\N", 2);
    }
    jbuf_putc(b, '\n');
}

static int write_table(const gen_model *m, const gen_state *st, uint32_t t, jbuf *b, FILE *out)
{
    int64_t max_id = gen_state_max_id(m, st, t);
    for (int64_t id = 1; id <= max_id; id++) {
        if (!gen_state_live(m, st, t, id))
            continue;
        put_row(m, st, t, id, b);
        if (b->len >= 1 << 16) {
            if (b->failed || fwrite(b->data, 1, b->len, out) != b->len)
                return -1;
            b->len = 0;
        }
    }
    if (b->len && (b->failed || fwrite(b->data, 1, b->len, out) != b->len))
        return -1;
    b->len = 0;
    return 0;
}

int gen_expect_write(const gen_model *m, uint64_t upto, FILE *out)
{
    gen_state st;
    uint32_t *order = malloc(m->ntables * sizeof *order);
    if (!order || gen_state_build(m, upto, &st) != 0) {
        free(order);
        return -1;
    }
    for (uint32_t i = 0; i < m->ntables; i++)
        order[i] = i + 1;
    qsort(order, m->ntables, sizeof *order, cmp_table_name);
    jbuf b = {0};
    int rc = 0;
    for (uint32_t i = 0; i < m->ntables && rc == 0; i++)
        rc = write_table(m, &st, order[i], &b, out);
    jbuf_free(&b);
    gen_state_free(&st);
    free(order);
    return rc;
}
