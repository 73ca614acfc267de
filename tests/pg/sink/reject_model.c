/*
 * sinkpg-reject-model: the generator's tables as a target with
 * CHECK (n1 % M <> 0) ends up under error_policy = record, from the model
 * alone (tests/plugins/gen_model.h): the snapshot at --history without its
 * rows that break the CHECK, then transactions history+1..upto applied one
 * change at a time, each change whose new n1 breaks it skipped. An update or
 * delete of a row that is not there changes nothing (the sink counts it as
 * missing, it is not rejected). An update leaves s1 as the target has it when
 * the generator sends s1 unchanged, so a rejected update shows in later ones.
 *
 *   sinkpg-reject-model --mod 13 [generator-expect's options]          rows
 *   sinkpg-reject-model --mod 13 --rejected [generator-expect's options]
 *   sinkpg-reject-model --mod 13 --missing-from N [generator-expect's options]
 *
 * Rows print as generator-expect prints them; --rejected prints one line per
 * rejected change: "full-load|cdc <TAB> gen.tN <TAB> id <TAB> insert|update
 * <TAB> txn" (txn "-" in the full load); --missing-from N prints how many
 * updates and deletes after transaction N find no row (the sink's rows_missing).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_model.h"
#include "journal.h"

typedef struct target_row {
    uint8_t live;
    uint64_t ver, s1ver;
} target_row;

typedef struct model_run {
    gen_model m;
    int64_t mod;
    uint64_t upto;
    int rejected_only;
    int64_t missing_from; /* -1: rows or --rejected */
    uint64_t missing;
    target_row *rows; /* by delete-order number d */
    uint64_t nrows;
    FILE *out;
} model_run;

static int usage(void)
{
    fprintf(stderr, "usage: sinkpg-reject-model --mod M [--rejected] [--tables N] [--rows N]\n"
                    "         [--columns N] [--wide] [--special-text] [--txns N]\n"
                    "         [--ops-per-txn N] [--history N] [--seed N] [--upto N]\n");
    return 2;
}

static int parse_int(const char *text, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (!*text || *end || errno)
        return -1;
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, gen_params *p, int64_t *upto, model_run *r)
{
    const struct {
        const char *name;
        int64_t *value;
    } opts[] = {{"--tables", &p->tables},   {"--rows", &p->rows},
                {"--columns", &p->columns}, {"--txns", &p->txns},
                {"--ops-per-txn", &p->ops_per_txn}, {"--history", &p->history},
                {"--seed", &p->seed},       {"--upto", upto},
                {"--mod", &r->mod},         {"--missing-from", &r->missing_from}};
    for (int i = 1; i < argc; i++) {
        int matched = 0;
        if (strcmp(argv[i], "--wide") == 0)
            matched = p->wide = 1;
        else if (strcmp(argv[i], "--special-text") == 0)
            matched = p->special_text = 1;
        else if (strcmp(argv[i], "--rejected") == 0)
            matched = r->rejected_only = 1;
        for (size_t k = 0; !matched && k < sizeof opts / sizeof opts[0]; k++) {
            if (strcmp(argv[i], opts[k].name) != 0)
                continue;
            if (i + 1 >= argc || parse_int(argv[++i], opts[k].value) != 0)
                return -1;
            matched = 1;
        }
        if (!matched)
            return -1;
    }
    return 0;
}

static int rejects(const model_run *r, uint32_t table, int64_t id, uint64_t ver)
{
    gen_value v;
    char text[GEN_TEXT_MAX];
    gen_value_at(&r->m, table, id, 1, ver, &v, text);
    return v.kind == GEN_INT && v.i % r->mod == 0;
}

static void print_rejected(model_run *r, uint64_t txn, uint32_t table, int64_t id,
                           const char *op)
{
    if (!r->rejected_only)
        return;
    if (txn)
        fprintf(r->out, "cdc\tgen.t%u\t%" PRId64 "\t%s\t%" PRIu64 "\n", table, id, op, txn);
    else
        fprintf(r->out, "full-load\tgen.t%u\t%" PRId64 "\t%s\t-\n", table, id, op);
}

/* The snapshot at --history, less the rows the CHECK refuses. */
static int load_snapshot(model_run *r)
{
    gen_state st;
    if (gen_state_build(&r->m, (uint64_t)r->m.p.history, &st) != 0)
        return -1;
    for (uint64_t d = 0; d < r->nrows; d++) {
        uint32_t table;
        int64_t id;
        target_row *row = &r->rows[d];
        gen_row_of_d(&r->m, d, &table, &id);
        if (!gen_state_live(&r->m, &st, table, id))
            continue;
        gen_state_versions(&r->m, &st, table, id, &row->ver, &row->s1ver);
        row->live = !rejects(r, table, id, row->ver);
        if (!row->live)
            print_rejected(r, 0, table, id, "insert");
    }
    gen_state_free(&st);
    return 0;
}

static void apply_op(model_run *r, uint64_t txn, const gen_op *op)
{
    target_row *row = &r->rows[gen_row_d(&r->m, op->table, op->id)];
    if (op->kind != GEN_INSERT && !row->live && r->missing_from >= 0 &&
        txn > (uint64_t)r->missing_from)
        r->missing++;
    switch (op->kind) {
    case GEN_INSERT:
        row->live = !rejects(r, op->table, op->id, 0);
        row->ver = row->s1ver = 0;
        if (!row->live)
            print_rejected(r, txn, op->table, op->id, "insert");
        break;
    case GEN_UPDATE:
        if (!row->live)
            break; /* not at the target: found no row */
        if (rejects(r, op->table, op->id, op->version)) {
            print_rejected(r, txn, op->table, op->id, "update");
            break;
        }
        row->ver = op->version;
        if (!op->s1_unchanged)
            row->s1ver = op->version;
        break;
    default:
        row->live = 0;
        break;
    }
}

static void put_row(const model_run *r, uint32_t table, int64_t id, const target_row *row,
                    jbuf *b)
{
    char text[GEN_TEXT_MAX];
    gen_value v;
    jbuf_puts(b, "gen.t");
    jbuf_put_uint(b, table);
    for (uint32_t c = 0; c < r->m.ncols; c++) {
        gen_value_at(&r->m, table, id, c, c == 2 ? row->s1ver : row->ver, &v, text);
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

static int cmp_table_name(const void *a, const void *b)
{
    char x[24], y[24];
    snprintf(x, sizeof x, "t%u", *(const uint32_t *)a);
    snprintf(y, sizeof y, "t%u", *(const uint32_t *)b);
    return strcmp(x, y);
}

/* Every live row, tables in strcmp order of their names, rows by id. */
static int print_rows(const model_run *r)
{
    uint32_t *order = malloc(r->m.ntables * sizeof *order);
    if (!order)
        return -1;
    for (uint32_t i = 0; i < r->m.ntables; i++)
        order[i] = i + 1;
    qsort(order, r->m.ntables, sizeof *order, cmp_table_name);
    jbuf b = {0};
    for (uint32_t i = 0; i < r->m.ntables; i++) {
        uint64_t d;
        for (int64_t id = 1; (d = gen_row_d(&r->m, order[i], id)) < r->nrows; id++)
            if (r->rows[d].live)
                put_row(r, order[i], id, &r->rows[d], &b);
        if (b.failed || fwrite(b.data, 1, b.len, r->out) != b.len)
            break;
        b.len = 0;
    }
    int rc = b.failed || b.len ? -1 : 0;
    jbuf_free(&b);
    free(order);
    return rc;
}

int main(int argc, char **argv)
{
    static model_run r;
    gen_params p;
    gen_problem problem;
    int64_t upto = -1;
    gen_params_default(&p);
    r.mod = 0;
    r.missing_from = -1;
    if (parse_args(argc, argv, &p, &upto, &r) != 0 || r.mod <= 0 ||
        gen_params_check(&p, &problem) != 0 || p.columns < 2 || upto > p.txns)
        return usage();
    gen_model_init(&r.m, &p);
    r.upto = upto < 0 ? (uint64_t)p.txns : (uint64_t)upto;
    r.out = stdout;
    uint64_t ops = r.upto * (uint64_t)p.ops_per_txn;
    r.nrows = r.m.tr + (ops + 2) / 3; /* every row there ever was: initial and inserted */
    r.rows = calloc(r.nrows ? r.nrows : 1, sizeof *r.rows);
    if (!r.rows || load_snapshot(&r) != 0) {
        fprintf(stderr, "sinkpg-reject-model: out of memory\n");
        return 2;
    }
    for (uint64_t txn = (uint64_t)p.history + 1; txn <= r.upto; txn++)
        for (uint32_t j = 0; j < (uint32_t)p.ops_per_txn; j++) {
            gen_op op;
            gen_op_at(&r.m, txn, j, &op);
            apply_op(&r, txn, &op);
        }
    int rc = 0;
    if (r.missing_from >= 0)
        fprintf(r.out, "%" PRIu64 "\n", r.missing);
    else if (!r.rejected_only)
        rc = print_rows(&r);
    free(r.rows);
    if (rc != 0 || fflush(stdout) != 0) {
        fprintf(stderr, "sinkpg-reject-model: could not write: %s\n", strerror(errno));
        return 2;
    }
    return 0;
}
