/*
 * The generator's model against a naive simulation: every op of the stream
 * applied one by one to a plain array must give the state gen_state_build
 * computes directly; every update and delete must hit a live row and no
 * insert may reuse an id.
 */
#include <stdlib.h>
#include <string.h>

#include "expect.h"
#include "gen_model.h"
#include "unit.h"

typedef struct sim_row {
    int live, existed;
    uint64_t ver, s1ver;
} sim_row;

typedef struct sim {
    const gen_model *m;
    int64_t width; /* ids per table the array holds */
    sim_row *rows;
    long bad_insert, bad_update, bad_delete, out_of_range;
} sim;

static sim_row *sim_at(sim *s, uint32_t t, int64_t id)
{
    if (t < 1 || t > s->m->ntables || id < 1 || id > s->width) {
        s->out_of_range++;
        return NULL;
    }
    return &s->rows[(size_t)(t - 1) * (size_t)s->width + (size_t)(id - 1)];
}

static void sim_init(sim *s, const gen_model *m)
{
    memset(s, 0, sizeof *s);
    s->m = m;
    s->width = m->p.rows + (m->p.txns * m->p.ops_per_txn) / 3 + 2;
    s->rows = calloc((size_t)m->ntables * (size_t)s->width, sizeof *s->rows);
    for (uint32_t t = 1; t <= m->ntables; t++)
        for (int64_t id = 1; id <= m->p.rows; id++)
            sim_at(s, t, id)->live = sim_at(s, t, id)->existed = 1;
}

static void sim_apply(sim *s, const gen_op *op)
{
    sim_row *r = sim_at(s, op->table, op->id);
    if (!r)
        return;
    switch (op->kind) {
    case GEN_INSERT:
        s->bad_insert += r->existed;
        r->live = r->existed = 1;
        r->ver = r->s1ver = 0;
        break;
    case GEN_UPDATE:
        s->bad_update += !r->live;
        r->ver = op->version;
        if (!op->s1_unchanged)
            r->s1ver = op->version;
        break;
    default:
        s->bad_delete += !r->live;
        r->live = 0;
        break;
    }
}

/* Compares every row of the simulation with the directly computed state. */
static long sim_compare(sim *s, const gen_state *st, long *live_rows)
{
    const gen_model *m = s->m;
    long diffs = 0;
    *live_rows = 0;
    for (uint32_t t = 1; t <= m->ntables; t++) {
        int64_t max_id = gen_state_max_id(m, st, t);
        for (int64_t id = 1; id <= s->width; id++) {
            sim_row *r = sim_at(s, t, id);
            int live = gen_state_live(m, st, t, id);
            uint64_t ver, s1ver;
            gen_state_versions(m, st, t, id, &ver, &s1ver);
            diffs += live != r->live || (r->existed && id > max_id) || (!r->existed && id <= max_id);
            if (live && r->live)
                diffs += ver != r->ver || s1ver != r->s1ver;
            *live_rows += r->live;
        }
    }
    return diffs;
}

static long count_lines(const gen_model *m, uint64_t upto)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    long lines = 0;
    if (!f)
        return -1;
    int rc = gen_expect_write(m, upto, f);
    fclose(f);
    for (size_t i = 0; rc == 0 && i < len; i++)
        lines += text[i] == '\n';
    free(text);
    return rc == 0 ? lines : -1;
}

static void check_model(const gen_params *p)
{
    gen_model *m = malloc(sizeof *m);
    gen_model_init(m, p);
    sim s;
    sim_init(&s, m);
    long diffs = 0, live = 0, last_live = 0;
    for (uint64_t k = 1; k <= (uint64_t)p->txns; k++) {
        for (uint32_t j = 0; j < (uint32_t)p->ops_per_txn; j++) {
            gen_op op;
            gen_op_at(m, k, j, &op);
            sim_apply(&s, &op);
        }
        gen_state st;
        CHECK(gen_state_build(m, k, &st) == 0);
        diffs += sim_compare(&s, &st, &live);
        gen_state_free(&st);
        last_live = live;
    }
    printf("model tables=%lld rows=%lld txns=%lld ops=%lld: %ld live rows at the end\n",
           (long long)p->tables, (long long)p->rows, (long long)p->txns,
           (long long)p->ops_per_txn, last_live);
    CHECK(diffs == 0);
    CHECK(s.bad_insert == 0);
    CHECK(s.bad_update == 0);
    CHECK(s.bad_delete == 0);
    CHECK(s.out_of_range == 0);
    CHECK(count_lines(m, (uint64_t)p->txns) == last_live);
    free(s.rows);
    free(m);
}

static gen_params params(int64_t tables, int64_t rows, int64_t columns, int64_t txns,
                         int64_t ops, int64_t seed)
{
    gen_params p;
    gen_params_default(&p);
    p.tables = tables;
    p.rows = rows;
    p.columns = columns;
    p.txns = txns;
    p.ops_per_txn = ops;
    p.seed = seed;
    return p;
}

static void check_row_numbering(void)
{
    gen_params p = params(3, 10, 4, 100, 3, 1);
    gen_model *m = malloc(sizeof *m);
    gen_model_init(m, &p);
    long bad = 0;
    for (uint64_t d = 0; d < 500; d++) {
        uint32_t t;
        int64_t id;
        gen_row_of_d(m, d, &t, &id);
        bad += gen_row_d(m, t, id) != d || t < 1 || t > 3 || id < 1;
    }
    CHECK(bad == 0);
    free(m);
}

static void check_values(int wide, int special)
{
    gen_params p = params(2, 10, 8, 10, 3, 42);
    p.wide = wide;
    p.special_text = special;
    gen_model *m = malloc(sizeof *m);
    gen_model_init(m, &p);
    char a[GEN_TEXT_MAX], b[GEN_TEXT_MAX];
    long nulls_early = 0, nulls_late = 0, specials = 0, bad_len = 0, unstable = 0;
    for (int64_t id = 1; id <= 2000; id++) {
        for (uint32_t c = 1; c < m->ncols; c++) {
            gen_value x, y;
            gen_value_at(m, 1, id, c, 3, &x, a);
            gen_value_at(m, 1, id, c, 3, &y, b);
            unstable += x.kind != y.kind || (x.kind == GEN_INT && x.i != y.i) ||
                        (x.kind == GEN_TEXT && (x.len != y.len || memcmp(a, b, x.len)));
            if (x.kind == GEN_NULL && c < 3)
                nulls_early++;
            else if (x.kind == GEN_NULL)
                nulls_late++;
            if (x.kind == GEN_TEXT) {
                bad_len += x.len < m->text_base || x.len >= GEN_TEXT_MAX;
                specials += memchr(a, '\t', x.len) != NULL;
            }
        }
    }
    CHECK(m->ncols == (wide ? GEN_WIDE_MIN_COLUMNS : 8u));
    CHECK(unstable == 0);
    CHECK(nulls_early == 0);
    CHECK(nulls_late > 0);
    CHECK(bad_len == 0);
    CHECK(special ? specials > 0 : specials == 0);
    free(m);
}

static void check_params(void)
{
    gen_problem pr;
    gen_params p = params(2, 10, 4, 10, 3, 0);
    CHECK(gen_params_check(&p, &pr) == 0);
    p.rows = -1;
    CHECK(gen_params_check(&p, &pr) != 0);
    CHECK_STR(pr.option, "rows");
    p = params(2, 10, 4, 10, 3, 0);
    p.history = 11;
    CHECK(gen_params_check(&p, &pr) != 0);
    CHECK_STR(pr.option, "history");
    p = params(2, 10, 65, 10, 3, 0);
    CHECK(gen_params_check(&p, &pr) != 0);
    CHECK_STR(pr.option, "columns");
    char name[16];
    gen_column_name(0, name, sizeof name);
    CHECK_STR(name, "id");
    gen_column_name(1, name, sizeof name);
    CHECK_STR(name, "n1");
    gen_column_name(2, name, sizeof name);
    CHECK_STR(name, "s1");
    gen_column_name(63, name, sizeof name);
    CHECK_STR(name, "n32");
}

int main(void)
{
    gen_params sets[] = {
        params(1, 0, 2, 60, 1, 0),   params(2, 10, 4, 200, 3, 1), params(3, 50, 6, 300, 4, 7),
        params(5, 7, 3, 120, 7, -3), params(4, 1, 5, 150, 2, 99), params(1, 200, 4, 100, 10, 5),
    };
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
        check_model(&sets[i]);
    check_row_numbering();
    check_values(0, 0);
    check_values(1, 1);
    check_params();
    return unit_done();
}
