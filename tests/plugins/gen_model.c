/*
 * The generator's deterministic data model: see gen_model.h for the rules.
 * Everything here is a pure function of the parameters, so the plugin, the
 * expect tool and the tests agree without sharing any running state.
 */
#include "gen_model.h"

#include <stdlib.h>
#include <string.h>

#define GEN_MAX_ROWS 1000000000000LL
#define GEN_MAX_TXNS 1000000000000LL
#define GEN_MAX_OPS 1000000LL

/* splitmix64's finalizer: cheap and well mixed. */
static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

void gen_params_default(gen_params *p)
{
    memset(p, 0, sizeof *p);
    p->tables = 2;
    p->rows = 1000;
    p->columns = 4;
    p->txns = 100;
    p->ops_per_txn = 3;
}

static int problem(gen_problem *out, const char *option, long long value, const char *rule)
{
    out->option = option;
    out->value = value;
    out->rule = rule;
    return -1;
}

int gen_params_check(const gen_params *p, gen_problem *out)
{
    if (p->tables < 1 || p->tables > GEN_MAX_TABLES)
        return problem(out, "tables", p->tables, "must be between 1 and 100000");
    if (p->rows < 0 || p->rows > GEN_MAX_ROWS)
        return problem(out, "rows", p->rows, "must be between 0 and 1000000000000");
    if (p->columns < 1 || p->columns > GEN_MAX_COLUMNS)
        return problem(out, "columns", p->columns, "must be between 1 and 64");
    if (p->txns < 0 || p->txns > GEN_MAX_TXNS)
        return problem(out, "txns", p->txns, "must be between 0 and 1000000000000");
    if (p->ops_per_txn < 1 || p->ops_per_txn > GEN_MAX_OPS)
        return problem(out, "ops_per_txn", p->ops_per_txn, "must be between 1 and 1000000");
    if (p->history < 0 || p->history > p->txns)
        return problem(out, "history", p->history, "must be between 0 and the value of txns");
    return 0;
}

/* Lower-case words with a space now and then, so texts look like text. */
static void fill_pool(gen_model *m)
{
    uint64_t seed = mix64((uint64_t)m->p.seed ^ 0x5eed5eedULL);
    for (size_t i = 0; i < GEN_POOL_SIZE; i++) {
        uint64_t h = mix64(seed + i);
        m->pool[i] = (h % 7 == 0) ? ' ' : (char)('a' + (h >> 8) % 26);
    }
}

void gen_model_init(gen_model *m, const gen_params *p)
{
    memset(m, 0, sizeof *m);
    m->p = *p;
    m->ntables = (uint32_t)p->tables;
    m->ncols = (uint32_t)p->columns;
    if (p->wide && m->ncols < GEN_WIDE_MIN_COLUMNS)
        m->ncols = GEN_WIDE_MIN_COLUMNS;
    m->tr = (uint64_t)p->tables * (uint64_t)p->rows;
    m->text_base = p->wide ? 100 : 16;
    m->text_span = p->wide ? 300 : 32;
    fill_pool(m);
}

size_t gen_column_name(uint32_t col, char *buf, size_t size)
{
    char tmp[24];
    size_t n;
    if (col == 0) {
        memcpy(tmp, "id", 2);
        n = 2;
    } else {
        tmp[0] = (col % 2) ? 'n' : 's';
        n = 1 + gen_format_int((col + 1) / 2, tmp + 1);
    }
    if (size == 0)
        return 0;
    if (n >= size)
        n = size - 1;
    memcpy(buf, tmp, n);
    buf[n] = '\0';
    return n;
}

/* ---- rows and ops ---- */

uint64_t gen_row_d(const gen_model *m, uint32_t table, int64_t id)
{
    uint64_t t = (uint64_t)m->ntables;
    if (id <= m->p.rows)
        return (uint64_t)(id - 1) * t + (table - 1);
    return m->tr + (uint64_t)(id - m->p.rows - 1) * t + (table - 1);
}

void gen_row_of_d(const gen_model *m, uint64_t d, uint32_t *table, int64_t *id)
{
    uint64_t t = (uint64_t)m->ntables;
    if (d < m->tr) {
        *table = (uint32_t)(d % t) + 1;
        *id = (int64_t)(d / t) + 1;
    } else {
        uint64_t e = d - m->tr;
        *table = (uint32_t)(e % t) + 1;
        *id = m->p.rows + (int64_t)(e / t) + 1;
    }
}

/* The row update number u rewrites: always live at that point (see gen_model.h). */
static uint64_t update_target(const gen_model *m, uint64_t u)
{
    uint64_t window = m->tr ? m->tr : 1;
    return u + mix64((uint64_t)m->p.seed ^ mix64(u + 0x7570644154ULL)) % window;
}

void gen_op_at(const gen_model *m, uint64_t txn, uint32_t j, gen_op *out)
{
    uint64_t g = (txn - 1) * (uint64_t)m->p.ops_per_txn + j;
    uint64_t idx = g / 3;
    uint64_t d;
    memset(out, 0, sizeof *out);
    out->kind = (gen_op_kind)(g % 3);
    switch (out->kind) {
    case GEN_INSERT:
        d = m->tr + idx;
        break;
    case GEN_UPDATE:
        d = update_target(m, idx);
        out->version = idx + 1;
        out->s1_unchanged = (idx % 5 == 4);
        break;
    default:
        d = idx;
        break;
    }
    gen_row_of_d(m, d, &out->table, &out->id);
}

/* ---- state ---- */

static uint64_t count_inserts(uint64_t g) { return (g + 2) / 3; }
static uint64_t count_updates(uint64_t g) { return (g + 1) / 3; }
static uint64_t count_deletes(uint64_t g) { return g / 3; }

typedef struct update_ref {
    uint64_t d;
    uint64_t u;
} update_ref;

static int cmp_update_ref(const void *a, const void *b)
{
    const update_ref *x = a, *y = b;
    if (x->d != y->d)
        return x->d < y->d ? -1 : 1;
    return x->u < y->u ? -1 : (x->u > y->u);
}

/* Folds the updates of one row (sorted by u) into its final versions. */
static size_t collapse_updates(const update_ref *refs, size_t n, gen_version *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k == 0 || out[k - 1].d != refs[i].d) {
            out[k].d = refs[i].d;
            out[k].ver = out[k].s1ver = 0;
            k++;
        }
        out[k - 1].ver = refs[i].u + 1;
        if (refs[i].u % 5 != 4)
            out[k - 1].s1ver = refs[i].u + 1;
    }
    return k;
}

int gen_state_build(const gen_model *m, uint64_t txn, gen_state *st)
{
    memset(st, 0, sizeof *st);
    st->txn = txn;
    st->ops = txn * (uint64_t)m->p.ops_per_txn;
    size_t n = (size_t)count_updates(st->ops);
    if (n == 0)
        return 0;
    update_ref *refs = malloc(n * sizeof *refs);
    st->v = malloc(n * sizeof *st->v);
    if (!refs || !st->v) {
        free(refs);
        gen_state_free(st);
        return -1;
    }
    for (size_t u = 0; u < n; u++) {
        refs[u].d = update_target(m, u);
        refs[u].u = u;
    }
    qsort(refs, n, sizeof *refs, cmp_update_ref);
    st->n = collapse_updates(refs, n, st->v);
    free(refs);
    return 0;
}

void gen_state_free(gen_state *st)
{
    free(st->v);
    st->v = NULL;
    st->n = 0;
}

int64_t gen_state_max_id(const gen_model *m, const gen_state *st, uint32_t table)
{
    uint64_t ins = count_inserts(st->ops), t = m->ntables;
    uint64_t in_table = ins > table - 1 ? (ins - (table - 1) + t - 1) / t : 0;
    return m->p.rows + (int64_t)in_table;
}

int gen_state_live(const gen_model *m, const gen_state *st, uint32_t table, int64_t id)
{
    if (id < 1 || table < 1 || table > m->ntables)
        return 0;
    uint64_t d = gen_row_d(m, table, id);
    if (d < count_deletes(st->ops))
        return 0;
    return d < m->tr || d - m->tr < count_inserts(st->ops);
}

void gen_state_versions(const gen_model *m, const gen_state *st, uint32_t table, int64_t id,
                        uint64_t *ver, uint64_t *s1ver)
{
    *ver = *s1ver = 0;
    if (st->n == 0)
        return;
    uint64_t d = gen_row_d(m, table, id);
    size_t lo = 0, hi = st->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (st->v[mid].d < d)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < st->n && st->v[lo].d == d) {
        *ver = st->v[lo].ver;
        *s1ver = st->v[lo].s1ver;
    }
}

/* ---- values ---- */

size_t gen_format_int(int64_t v, char *buf)
{
    char tmp[24];
    size_t n = 0, len = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        buf[len++] = '-';
    while (n)
        buf[len++] = tmp[--n];
    return len;
}

static uint64_t cell_hash(const gen_model *m, uint32_t table, int64_t id, uint32_t col,
                          uint64_t ver)
{
    uint64_t h = mix64((uint64_t)m->p.seed * 0x9e3779b97f4a7c15ULL + table);
    h = mix64(h ^ (uint64_t)id * 0xd6e8feb86659fd93ULL);
    return mix64(h ^ (ver << 7 | col));
}

/* Puts the characters sinks most often get wrong into a text. */
static void add_special(char *text, size_t len)
{
    static const char special[] = "\t\\\n\xc3\xa9"; /* tab, backslash, newline, e-acute */
    if (len >= sizeof special)
        memcpy(text + len - (sizeof special - 1), special, sizeof special - 1);
}

/* "<id>:<letters>": the id keeps journals readable, the pool makes it cheap. */
static size_t make_text(const gen_model *m, int64_t id, uint64_t h, char *buf)
{
    size_t len = gen_format_int(id, buf);
    size_t body = m->text_base + (size_t)((h >> 16) % m->text_span);
    size_t start = (size_t)((h >> 32) % (GEN_POOL_SIZE - body));
    buf[len++] = ':';
    memcpy(buf + len, m->pool + start, body);
    len += body;
    if (m->p.special_text && ((h >> 8) & 31) == 0)
        add_special(buf, len);
    return len;
}

void gen_value_at(const gen_model *m, uint32_t table, int64_t id, uint32_t col, uint64_t ver,
                  gen_value *out, char *buf)
{
    if (col == 0) {
        out->kind = GEN_INT;
        out->i = id;
        return;
    }
    uint64_t h = cell_hash(m, table, id, col, ver);
    if (col >= 3 && (h >> 60) == 0) { /* n2, s2 and later: NULL one time in 16 */
        out->kind = GEN_NULL;
        return;
    }
    if (gen_column_is_text(col)) {
        out->kind = GEN_TEXT;
        out->len = make_text(m, id, h, buf);
    } else {
        out->kind = GEN_INT;
        out->i = (int64_t)(h % 2000000001ULL) - 1000000000;
    }
}
