/*
 * The mapping engine below the parsers: wildcard matching, selection order,
 * row filters on canonical values, table plans (names, projection, types,
 * added columns, keys) and plan_event on real batches of the core.
 */
#include <stdlib.h>
#include <string.h>

#include "filter_eval.h"
#include "host.h"
#include "mapping.h"
#include "mapping_plan.h"
#include "plan_exec.h"
#include "report.h"

#include "../unit.h"

#define S(lit) ((sluice_str){lit, sizeof(lit) - 1})

static map_rule *selection(mapping *m, map_select_action a, const char *schema, const char *table)
{
    map_rule *r = mapping_add(m, MAP_RULE_SELECTION, "t", "test");
    r->u.sel.action = a;
    r->u.sel.schema = strdup(schema);
    r->u.sel.table = strdup(table);
    return r;
}

static map_transform *transform(mapping *m, map_action a, map_target target, const char *schema,
                                const char *table, const char *column, const char *value)
{
    map_rule *r = mapping_add(m, MAP_RULE_TRANSFORMATION, "t", "test");
    map_transform *t = &r->u.tr;
    t->action = a;
    t->target = target;
    t->schema = schema ? strdup(schema) : NULL;
    t->table = table ? strdup(table) : NULL;
    t->column = column ? strdup(column) : NULL;
    t->value = value ? strdup(value) : NULL;
    return t;
}

static void add_filter(map_rule *r, const char *column, sluice_filter_op op, const char *v1,
                       const char *v2)
{
    map_selection *s = &r->u.sel;
    s->filters = realloc(s->filters, (s->nfilters + 1) * sizeof *s->filters);
    map_filter *f = &s->filters[s->nfilters++];
    f->column = strdup(column);
    f->nconditions = 1;
    f->conditions = calloc(1, sizeof *f->conditions);
    f->conditions[0].op = op;
    f->conditions[0].values = calloc(2, sizeof(char *));
    if (v1)
        f->conditions[0].values[f->conditions[0].nvalues++] = strdup(v1);
    if (v2)
        f->conditions[0].values[f->conditions[0].nvalues++] = strdup(v2);
}

static void test_like(void)
{
    CHECK(mapping_like("%", "anything", 8));
    CHECK(mapping_like("ord%", "orders", 6));
    CHECK(!mapping_like("ord%", "xorders", 7));
    CHECK(mapping_like("%_log", "audit_log", 9));
    CHECK(mapping_like("o_d%s", "orders", 6));
    CHECK(!mapping_like("orders", "order", 5));
    CHECK(mapping_like("%a%b%", "xxaxxbxx", 8));
    CHECK(!mapping_like("%a%b%", "xxbxxaxx", 8));
    CHECK(mapping_like("", "", 0));
}

static void test_selection_order(void)
{
    mapping *m = mapping_new();
    CHECK(mapping_selects(m, S("any"), S("thing"))); /* no selection rule: all */
    selection(m, MAP_INCLUDE, "sales", "%");
    selection(m, MAP_EXCLUDE, "sales", "tmp%");
    selection(m, MAP_INCLUDE, "sales", "tmp_keep");
    CHECK(mapping_selects(m, S("sales"), S("orders")));
    CHECK(!mapping_selects(m, S("sales"), S("tmp_x")));
    CHECK(mapping_selects(m, S("sales"), S("tmp_keep")));
    CHECK(!mapping_selects(m, S("hr"), S("people"))); /* no rule matches: not moved */
    mapping_free(m);
}

static sluice_value text(const char *s)
{
    return (sluice_value){.kind = SLUICE_VALUE_TEXT, .len = (uint32_t)strlen(s), .u.bytes = s};
}

static void test_filters(void)
{
    sluice_catalog *cat = catalog_new();
    const sluice_host *h = host_api();
    sluice_table *t = h->table_add(cat, S("s"), S("t"), 3);
    h->column_set(t, 0, S("id"), S("int"), SLUICE_TYPE_INT32, SLUICE_COLUMN_KEY);
    h->column_set(t, 1, S("amount"), S("numeric"), SLUICE_TYPE_DECIMAL, SLUICE_COLUMN_NULLABLE);
    h->column_set(t, 2, S("region"), S("text"), SLUICE_TYPE_TEXT, SLUICE_COLUMN_NULLABLE);
    sluice_str lo = S("10.5"), hi = S("1000000000000000000000000000000.25"), eu = S("EU"),
               apac = S("APAC");
    sluice_str between[] = {lo, hi}, in[] = {eu, apac};
    sluice_filter f[] = {
        {.column = 1, .op = SLUICE_FILTER_BETWEEN, .group = 0, .nvalues = 2, .values = between},
        {.column = 2, .op = SLUICE_FILTER_IN, .group = 1, .nvalues = 2, .values = in},
        {.column = 2, .op = SLUICE_FILTER_NULL, .group = 1},
    };
    sluice_value row[3] = {{.kind = SLUICE_VALUE_INT, .u.i = 1}, text("10.50"), text("EU")};
    CHECK(filter_row(f, 3, t, row, 0));
    row[1] = text("10.49999999999999999999999");
    CHECK(!filter_row(f, 3, t, row, 0)); /* exact, not a double's rounding */
    row[1] = text("1000000000000000000000000000000.2500");
    CHECK(filter_row(f, 3, t, row, 0));
    row[1] = text("1000000000000000000000000000000.2501");
    CHECK(!filter_row(f, 3, t, row, 0));
    row[1] = text("0011");
    row[2] = (sluice_value){.kind = SLUICE_VALUE_NULL};
    CHECK(filter_row(f, 3, t, row, 0)); /* group 1: region IS NULL holds */
    row[2] = text("US");
    CHECK(!filter_row(f, 3, t, row, 0));
    CHECK(filter_row(f, 3, t, row, 1)); /* keys only: region cannot be judged on a delete */
    row[2] = (sluice_value){.kind = SLUICE_VALUE_UNCHANGED};
    CHECK(filter_row(f, 3, t, row, 0));
    row[1] = text("-20");
    row[2] = text("EU");
    CHECK(!filter_row(f, 3, t, row, 0));
    sluice_str zero = S("0");
    sluice_filter gt0 = {.column = 1, .op = SLUICE_FILTER_GT, .nvalues = 1, .values = &zero};
    row[1] = text("-0.000");
    CHECK(!filter_row(&gt0, 1, t, row, 0));
    row[1] = text("0.001");
    CHECK(filter_row(&gt0, 1, t, row, 0));
    /* INT values: compared as integers with integer literals, exactly with others */
    sluice_str m5 = S("-5"), big = S("123456789012345678"), frac = S("10.5");
    sluice_filter ge = {.column = 0, .op = SLUICE_FILTER_GE, .nvalues = 1, .values = &m5};
    row[0] = (sluice_value){.kind = SLUICE_VALUE_INT, .u.i = -5};
    CHECK(filter_row(&ge, 1, t, row, 0));
    row[0].u.i = -6;
    CHECK(!filter_row(&ge, 1, t, row, 0));
    ge.values = &big;
    row[0].u.i = 123456789012345678;
    CHECK(filter_row(&ge, 1, t, row, 0));
    row[0].u.i = 123456789012345677;
    CHECK(!filter_row(&ge, 1, t, row, 0));
    ge.values = &frac;
    row[0].u.i = 10;
    CHECK(!filter_row(&ge, 1, t, row, 0));
    row[0].u.i = 11;
    CHECK(filter_row(&ge, 1, t, row, 0));
    catalog_free(cat);
}

static sluice_table *orders(sluice_catalog *cat)
{
    const sluice_host *h = host_api();
    sluice_table *t = h->table_add(cat, S("sales"), S("Orders"), 4);
    h->column_set(t, 0, S("Id"), S("integer"), SLUICE_TYPE_INT32, SLUICE_COLUMN_KEY);
    h->column_set(t, 1, S("Region"), S("text"), SLUICE_TYPE_TEXT, SLUICE_COLUMN_NULLABLE);
    h->column_set(t, 2, S("amount"), S("numeric(12,2)"), SLUICE_TYPE_DECIMAL,
                  SLUICE_COLUMN_NULLABLE);
    h->column_set(t, 3, S("secret"), S("text"), SLUICE_TYPE_TEXT, SLUICE_COLUMN_NULLABLE);
    sluice_str cols[] = {S("Region")}, two[] = {S("Region"), S("secret")};
    h->index_add(t, S("ix_region"), S("btree"), 0, cols, 1, S("CREATE INDEX ..."));
    h->index_add(t, S("ix_two"), S("btree"), 0, two, 2, S("CREATE INDEX ..."));
    return t;
}

static const char *col_name(const sluice_table *t, uint32_t i)
{
    static char buf[4][64];
    const sluice_column *c = sluice_table_column(t, i);
    snprintf(buf[i % 4], sizeof buf[0], "%.*s", (int)c->name.len, c->name.ptr);
    return buf[i % 4];
}

static void test_plan(void)
{
    sluice_catalog *src = catalog_new(), *out = catalog_new();
    sluice_table *t = orders(src);
    mapping *m = mapping_new();
    transform(m, MAP_RENAME, MAP_TARGET_SCHEMA, "sales", NULL, NULL, "shop");
    transform(m, MAP_TO_LOWERCASE, MAP_TARGET_TABLE, "%", "%", NULL, NULL);
    transform(m, MAP_ADD_PREFIX, MAP_TARGET_TABLE, "sales", "Ord%", NULL, "t_");
    transform(m, MAP_TO_LOWERCASE, MAP_TARGET_COLUMN, "%", "%", "%", NULL);
    transform(m, MAP_REMOVE_COLUMN, MAP_TARGET_COLUMN, "sales", "Orders", "secret", NULL);
    map_transform *ct =
        transform(m, MAP_CHANGE_DATA_TYPE, MAP_TARGET_COLUMN, "sales", "Orders", "amount", NULL);
    ct->data_type = strdup("numeric(20,4)");
    map_transform *add =
        transform(m, MAP_ADD_COLUMN, MAP_TARGET_COLUMN, "sales", "Orders", "op", NULL);
    add->data_type = strdup("text");
    char why[200];
    CHECK(mapping_term_parse("$AR_H_OPERATION || '/' || $Region || 'it''s'", &add->terms,
                             &add->nterms, why, sizeof why) == 0);
    map_rule *sel = selection(m, MAP_INCLUDE, "sales", "%");
    add_filter(sel, "Region", SLUICE_FILTER_EQ, "EU", NULL);

    table_plan *p;
    sluice_error err;
    error_init(&err);
    CHECK(table_plan_build(m, out, t, &p, &err) == 0);
    if (!p) {
        fprintf(stderr, "%s\n", err.message);
        return;
    }
    CHECK(p->target->schema.len == 4 && memcmp(p->target->schema.ptr, "shop", 4) == 0);
    CHECK(p->target->name.len == 8 && memcmp(p->target->name.ptr, "t_orders", 8) == 0);
    CHECK(p->target->ncolumns == 4 && !p->passthrough && !p->values_untouched);
    CHECK_STR(col_name(p->target, 0), "id");
    CHECK_STR(col_name(p->target, 1), "region");
    CHECK_STR(col_name(p->target, 2), "amount");
    CHECK_STR(col_name(p->target, 3), "op");
    const sluice_column *amount = sluice_table_column(p->target, 2);
    CHECK(amount->type == SLUICE_TYPE_DECIMAL && amount->precision == 20 && amount->scale == 4);
    CHECK(sluice_table_column(p->target, 0)->flags & SLUICE_COLUMN_KEY);
    /* ix_two names the removed column; ix_region survives under the new column name */
    CHECK(sluice_table_nindexes(p->target) == 1);
    if (sluice_table_nindexes(p->target) == 1) {
        const sluice_index *ix = sluice_table_index(p->target, 0);
        CHECK(ix->columns[0].len == 6 && memcmp(ix->columns[0].ptr, "region", 6) == 0);
        CHECK(ix->source_definition.len == 0); /* it named the old columns */
    }
    CHECK(p->nfilters == 1 && p->filters[0].column == 1);

    /* plan_event on a snapshot batch and a change batch */
    sluice_batch *b = batch_new(SLUICE_BATCH_SNAPSHOT, 8, 1 << 16);
    const sluice_host *h = host_api();
    sluice_event *e1 = h->emit(b, SLUICE_OP_INSERT, t, 0);
    sluice_event *e2 = h->emit(b, SLUICE_OP_INSERT, t, 0);
    e1->new_row[0] = (sluice_value){.kind = SLUICE_VALUE_INT, .u.i = 7};
    h->set_text(b, &e1->new_row[1], "EU", 2);
    h->set_text(b, &e1->new_row[2], "1.50", 4);
    h->set_text(b, &e1->new_row[3], "hush", 4);
    h->set_text(b, &e2->new_row[1], "US", 2);
    plan_meta meta = {.snapshot = 1};
    CHECK(plan_event(p, b, e1, &meta) == 0 && plan_event(p, b, e2, &meta) == 0);
    CHECK(e1->op == SLUICE_OP_INSERT && e1->table == p->target);
    CHECK(e2->op == SLUICE_OP_SKIP);
    CHECK(e1->new_row[0].kind == SLUICE_VALUE_INT && e1->new_row[0].u.i == 7);
    CHECK(e1->new_row[2].len == 4 && memcmp(e1->new_row[2].u.bytes, "1.50", 4) == 0);
    CHECK(e1->new_row[3].kind == SLUICE_VALUE_TEXT);
    CHECK(e1->new_row[3].len == 11 && memcmp(e1->new_row[3].u.bytes, "LOAD/EUit's", 11) == 0);

    batch_reset(b);
    b->kind = SLUICE_BATCH_CHANGES;
    sluice_event *d = h->emit(b, SLUICE_OP_DELETE, t, 1);
    d->old_row[0] = (sluice_value){.kind = SLUICE_VALUE_INT, .u.i = 9};
    sluice_event *u = h->emit(b, SLUICE_OP_UPDATE, t, 0);
    h->set_text(b, &u->new_row[1], "EU", 2); /* Region set, amount NULL */
    meta = (plan_meta){.xid = 42};
    CHECK(plan_event(p, b, d, &meta) == 0 && plan_event(p, b, u, &meta) == 0);
    CHECK(d->op == SLUICE_OP_DELETE && d->old_row[0].u.i == 9); /* key-only old row passes */
    CHECK(u->op == SLUICE_OP_UPDATE && u->new_row[3].len == 13 &&
          memcmp(u->new_row[3].u.bytes, "UPDATE/EUit's", 13) == 0);
    batch_free(b);
    table_plan_free(p);

    /* a filter on a column the table lacks: a configuration error naming the rule */
    free(sel->u.sel.filters[0].column);
    sel->u.sel.filters[0].column = strdup("nope");
    CHECK(table_plan_build(m, out, t, &p, &err) == -1 && p == NULL);
    CHECK_CONTAINS(err.message, "the filter names column \"nope\", which the table does not have");
    CHECK_CONTAINS(err.message, "table \"sales.Orders\"");
    mapping_free(m);
    catalog_free(src);
    catalog_free(out);
}

static void test_passthrough(void)
{
    sluice_catalog *src = catalog_new(), *out = catalog_new();
    sluice_table *t = orders(src);
    mapping *m = mapping_new();
    transform(m, MAP_RENAME, MAP_TARGET_TABLE, "sales", "Orders", NULL, "orders");
    table_plan *p;
    sluice_error err;
    error_init(&err);
    CHECK(table_plan_build(m, out, t, &p, &err) == 0);
    CHECK(p && p->passthrough && p->values_untouched && p->nfilters == 0);
    CHECK(p && sluice_table_nindexes(p->target) == 2 &&
          sluice_table_index(p->target, 0)->source_definition.len > 0);
    table_plan_free(p);
    mapping_free(m);
    catalog_free(src);
    catalog_free(out);
}

/* add-before-image-columns: BI_ columns typed as their columns, holding the
   old row's values on updates; NULL on inserts, full-load rows and values the
   source did not send. */
static void test_before_image(void)
{
    sluice_catalog *src = catalog_new(), *out = catalog_new();
    sluice_table *t = orders(src);
    mapping *m = mapping_new();
    transform(m, MAP_REMOVE_COLUMN, MAP_TARGET_COLUMN, "sales", "Orders", "secret", NULL);
    map_transform *pk =
        transform(m, MAP_ADD_BEFORE_IMAGE, MAP_TARGET_COLUMN, "sales", "%", "%", "BI_");
    pk->suffix = strdup("");
    map_transform *nl =
        transform(m, MAP_ADD_BEFORE_IMAGE, MAP_TARGET_COLUMN, "sales", "%", "%", "old_");
    nl->suffix = strdup("_was");
    nl->bi_filter = MAP_BI_NON_LOB; /* Id and amount: Region and secret are text (LOBs) */
    table_plan *p;
    sluice_error err;
    error_init(&err);
    CHECK(table_plan_build(m, out, t, &p, &err) == 0);
    if (!p) {
        fprintf(stderr, "%s\n", err.message);
        return;
    }
    CHECK(p->target->ncolumns == 6 && !p->values_untouched && !p->in_place);
    CHECK_STR(col_name(p->target, 3), "BI_Id");
    CHECK_STR(col_name(p->target, 4), "old_Id_was");
    CHECK_STR(col_name(p->target, 5), "old_amount_was");
    const sluice_column *bi = sluice_table_column(p->target, 3);
    CHECK(bi->type == SLUICE_TYPE_INT32 && !(bi->flags & SLUICE_COLUMN_KEY) &&
          (bi->flags & SLUICE_COLUMN_NULLABLE));
    const sluice_column *am = sluice_table_column(p->target, 5);
    CHECK(am->type == SLUICE_TYPE_DECIMAL && am->source_type.len == 13 &&
          memcmp(am->source_type.ptr, "numeric(12,2)", 13) == 0);

    const sluice_host *h = host_api();
    sluice_batch *b = batch_new(SLUICE_BATCH_CHANGES, 8, 1 << 16);
    sluice_event *u = h->emit(b, SLUICE_OP_UPDATE, t, 1); /* REPLICA IDENTITY FULL */
    u->new_row[0] = (sluice_value){.kind = SLUICE_VALUE_INT, .u.i = 8};
    h->set_text(b, &u->new_row[2], "2.00", 4);
    u->old_row[0] = (sluice_value){.kind = SLUICE_VALUE_INT, .u.i = 7};
    h->set_text(b, &u->old_row[2], "1.50", 4);
    sluice_event *k = h->emit(b, SLUICE_OP_UPDATE, t, 1); /* old key only */
    k->new_row[0] = (sluice_value){.kind = SLUICE_VALUE_INT, .u.i = 3};
    k->old_row[0] = (sluice_value){.kind = SLUICE_VALUE_INT, .u.i = 2};
    k->old_row[2] = (sluice_value){.kind = SLUICE_VALUE_UNCHANGED};
    sluice_event *n = h->emit(b, SLUICE_OP_UPDATE, t, 0); /* no old row sent */
    n->new_row[0] = (sluice_value){.kind = SLUICE_VALUE_INT, .u.i = 4};
    sluice_event *i = h->emit(b, SLUICE_OP_INSERT, t, 0);
    i->new_row[0] = (sluice_value){.kind = SLUICE_VALUE_INT, .u.i = 5};
    plan_meta meta = {.xid = 1};
    CHECK(plan_event(p, b, u, &meta) == 0 && plan_event(p, b, k, &meta) == 0 &&
          plan_event(p, b, n, &meta) == 0 && plan_event(p, b, i, &meta) == 0);
    CHECK(u->new_row[0].u.i == 8 && u->new_row[3].kind == SLUICE_VALUE_INT &&
          u->new_row[3].u.i == 7 && u->new_row[4].u.i == 7);
    CHECK(u->new_row[5].kind == SLUICE_VALUE_TEXT && u->new_row[5].len == 4 &&
          memcmp(u->new_row[5].u.bytes, "1.50", 4) == 0);
    CHECK(u->old_row[0].u.i == 7 && u->old_row[3].kind == SLUICE_VALUE_NULL);
    CHECK(k->new_row[3].u.i == 2 && k->new_row[5].kind == SLUICE_VALUE_NULL);
    CHECK(n->new_row[3].kind == SLUICE_VALUE_NULL && n->new_row[5].kind == SLUICE_VALUE_NULL);
    CHECK(i->new_row[3].kind == SLUICE_VALUE_NULL && i->new_row[4].kind == SLUICE_VALUE_NULL);

    /* a full-load row has no before image, even with an old row */
    batch_reset(b);
    b->kind = SLUICE_BATCH_SNAPSHOT;
    sluice_event *l = h->emit(b, SLUICE_OP_INSERT, t, 0);
    l->new_row[0] = (sluice_value){.kind = SLUICE_VALUE_INT, .u.i = 6};
    meta = (plan_meta){.snapshot = 1};
    CHECK(plan_event(p, b, l, &meta) == 0 && l->new_row[0].u.i == 6 &&
          l->new_row[3].kind == SLUICE_VALUE_NULL);
    batch_free(b);
    table_plan_free(p);
    mapping_free(m);
    catalog_free(src);
    catalog_free(out);
}

/* ---- data masking ---- */

/* hr.people: id integer (the key when keyed), passport text, code varchar(10),
   n smallint, amount numeric(6,2), note text */
static sluice_table *people(sluice_catalog *cat, int keyed)
{
    const sluice_host *h = host_api();
    sluice_table *t = h->table_add(cat, S("hr"), S("people"), 6);
    h->column_set(t, 0, S("id"), S("integer"), SLUICE_TYPE_INT32, keyed ? SLUICE_COLUMN_KEY : 0);
    h->column_set(t, 1, S("passport"), S("text"), SLUICE_TYPE_TEXT, SLUICE_COLUMN_NULLABLE);
    h->column_set(t, 2, S("code"), S("varchar(10)"), SLUICE_TYPE_TEXT, SLUICE_COLUMN_NULLABLE);
    sluice_table_column(t, 2)->precision = 10;
    h->column_set(t, 3, S("n"), S("smallint"), SLUICE_TYPE_INT16, SLUICE_COLUMN_NULLABLE);
    h->column_set(t, 4, S("amount"), S("numeric(6,2)"), SLUICE_TYPE_DECIMAL,
                  SLUICE_COLUMN_NULLABLE);
    h->column_set(t, 5, S("note"), S("text"), SLUICE_TYPE_TEXT, SLUICE_COLUMN_NULLABLE);
    return t;
}

static int value_is(const sluice_value *v, const char *text)
{
    return v->kind == SLUICE_VALUE_TEXT && v->len == strlen(text) &&
           memcmp(v->u.bytes, text, v->len) == 0;
}

/* Builds the plan of t under m; NULL (err filled) when refused. */
static table_plan *plan_of(const mapping *m, sluice_catalog *out, const sluice_table *t,
                           sluice_error *err)
{
    table_plan *p = NULL;
    error_init(err);
    if (table_plan_build(m, out, t, &p, err) != 0)
        return NULL;
    return p;
}

static void test_mask_digits_and_hash(void)
{
    sluice_catalog *src = catalog_new(), *out = catalog_new();
    sluice_table *t = people(src, 1);
    mapping *m = mapping_new();
    transform(m, MAP_MASK_DIGITS, MAP_TARGET_COLUMN, "hr", "people", "passport", "#");
    transform(m, MAP_MASK_DIGITS, MAP_TARGET_COLUMN, "hr", "people", "note", "*");
    transform(m, MAP_MASK_HASH, MAP_TARGET_COLUMN, "hr", "people", "id", NULL);
    map_transform *ct =
        transform(m, MAP_CHANGE_DATA_TYPE, MAP_TARGET_COLUMN, "hr", "people", "id", NULL);
    ct->data_type = strdup("varchar(64)"); /* a hashed key: text of 64 characters */
    map_transform *bi =
        transform(m, MAP_ADD_BEFORE_IMAGE, MAP_TARGET_COLUMN, "hr", "people", "note", "BI_");
    bi->suffix = strdup("");
    bi->bi_filter = MAP_BI_ALL;
    sluice_error err;
    table_plan *p = plan_of(m, out, t, &err);
    CHECK(p != NULL);
    if (!p) {
        fprintf(stderr, "%s\n", err.message);
        return;
    }
    /* a masked column changes values: never the binary path, never untouched */
    CHECK(!p->passthrough && !p->values_untouched && p->has_policies);
    CHECK(p->columns[0].policy.mask == VP_MASK_HASH && p->columns[1].policy.mask == VP_MASK_DIGITS);
    CHECK(p->columns[6].policy.mask == VP_MASK_DIGITS && p->columns[6].policy.mask_char == '*');

    const sluice_host *h = host_api();
    sluice_batch *b = batch_new(SLUICE_BATCH_CHANGES, 8, 1 << 16);
    sluice_event *i = h->emit(b, SLUICE_OP_INSERT, t, 0);
    i->new_row[0] = (sluice_value){.kind = SLUICE_VALUE_INT, .u.i = 42};
    /* the DMS documentation's value ("C6BGJ56669K" in its text, one 6 short of its
       "C#BGJ######K"; its hash example has "C6BGJ566669K") */
    h->set_text(b, &i->new_row[1], "C6BGJ566669K", 12);
    h->set_text(b, &i->new_row[2], "AB-x", 4);
    static const char street[] = "Stra\xc3\x9f" "e 12, \xe6\x9d\xb1\xe4\xba\xac 3";
    h->set_text(b, &i->new_row[5], street, sizeof street - 1);
    sluice_event *n = h->emit(b, SLUICE_OP_INSERT, t, 0); /* NULLs and no digits */
    n->new_row[0] = (sluice_value){.kind = SLUICE_VALUE_INT, .u.i = 7};
    h->set_text(b, &n->new_row[5], "no digits", 9);
    sluice_event *u = h->emit(b, SLUICE_OP_UPDATE, t, 1); /* REPLICA IDENTITY FULL */
    h->set_text(b, &u->new_row[0], "42", 2);
    u->new_row[1] = (sluice_value){.kind = SLUICE_VALUE_UNCHANGED};
    h->set_text(b, &u->new_row[5], "v2", 2);
    u->old_row[0] = (sluice_value){.kind = SLUICE_VALUE_INT, .u.i = 42};
    h->set_text(b, &u->old_row[5], "v1", 2);
    sluice_event *d = h->emit(b, SLUICE_OP_DELETE, t, 1);
    h->set_text(b, &d->old_row[0], "42", 2);
    plan_meta meta = {.xid = 1};
    CHECK(plan_event(p, b, i, &meta) == 0 && plan_event(p, b, n, &meta) == 0 &&
          plan_event(p, b, u, &meta) == 0 && plan_event(p, b, d, &meta) == 0);
    /* python3 -c 'import hashlib; print(hashlib.sha256(b"42").hexdigest().upper())' */
    static const char h42[] = "73475CB40A568E8DA8A045CED110137E159F890AC4DA883B6B17DC651B3A8049";
    CHECK(value_is(&i->new_row[0], h42));
    CHECK(value_is(&i->new_row[1], "C#BGJ######K"));
    CHECK(value_is(&i->new_row[2], "AB-x")); /* not masked */
    /* multi-byte characters untouched, ASCII digits masked */
    CHECK(value_is(&i->new_row[5], "Stra\xc3\x9f" "e **, \xe6\x9d\xb1\xe4\xba\xac *"));
    CHECK(i->new_row[6].kind == SLUICE_VALUE_NULL); /* no before image on an insert */
    CHECK(n->new_row[1].kind == SLUICE_VALUE_NULL && value_is(&n->new_row[5], "no digits"));
    /* python3 -c 'import hashlib; print(hashlib.sha256(b"7").hexdigest().upper())' */
    CHECK(value_is(&n->new_row[0],
                   "7902699BE42C8A8E46FBBB4501726517E86B22C56A189F7625A6DA49081B2451"));
    /* a key masks the same way in the new row, the old key and a delete's key, so
       updates and deletes find the row the insert wrote */
    CHECK(value_is(&u->new_row[0], h42) && value_is(&u->old_row[0], h42) &&
          value_is(&d->old_row[0], h42));
    CHECK(u->new_row[1].kind == SLUICE_VALUE_UNCHANGED); /* the target keeps its masked value */
    CHECK(value_is(&u->new_row[5], "v*"));
    CHECK(value_is(&u->new_row[6], "v*")); /* the before image of a masked column is masked */
    batch_free(b);
    table_plan_free(p);

    /* hash-mask of the DMS example, on a text column */
    mapping *m2 = mapping_new();
    transform(m2, MAP_MASK_HASH, MAP_TARGET_COLUMN, "hr", "people", "passport", NULL);
    p = plan_of(m2, out, t, &err);
    CHECK(p != NULL);
    b = batch_new(SLUICE_BATCH_SNAPSHOT, 8, 1 << 16);
    sluice_event *l = h->emit(b, SLUICE_OP_INSERT, t, 0);
    h->set_text(b, &l->new_row[1], "C6BGJ566669K", 12);
    sluice_event *e = h->emit(b, SLUICE_OP_INSERT, t, 0);
    h->set_text(b, &e->new_row[1], "", 0);
    meta = (plan_meta){.snapshot = 1};
    CHECK(p && plan_event(p, b, l, &meta) == 0 && plan_event(p, b, e, &meta) == 0);
    /* python3 -c 'import hashlib; print(hashlib.sha256(b"C6BGJ566669K").hexdigest().upper())',
       the value the DMS documentation shows */
    CHECK(value_is(&l->new_row[1],
                   "7CB06784764C9030CCC41E25C15339FEB293FFE9B329A72B5FED564E99900C75"));
    CHECK(value_is(&e->new_row[1],
                   "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
    batch_free(b);
    table_plan_free(p);
    mapping_free(m2);
    mapping_free(m);
    catalog_free(src);
    catalog_free(out);
}

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static void test_mask_randomize(void)
{
    sluice_catalog *src = catalog_new(), *out = catalog_new();
    sluice_table *t = people(src, 1);
    mapping *m = mapping_new();
    transform(m, MAP_MASK_RANDOMIZE, MAP_TARGET_COLUMN, "hr", "people", "passport", NULL);
    transform(m, MAP_MASK_RANDOMIZE, MAP_TARGET_COLUMN, "hr", "people", "n", NULL);
    transform(m, MAP_MASK_RANDOMIZE, MAP_TARGET_COLUMN, "hr", "people", "amount", NULL);
    sluice_error err;
    table_plan *p = plan_of(m, out, t, &err);
    CHECK(p != NULL && !p->values_untouched);
    if (!p) {
        fprintf(stderr, "%s\n", err.message);
        return;
    }
    const sluice_host *h = host_api();
    enum { ROWS = 400 };
    static const char passport[] = "AB-1234-\xc3\xa9x9"; /* é between digits */
    size_t plen = sizeof passport - 1;
    int changed = 0, seen[10][10] = {{0}}, lead[10] = {0};
    sluice_batch *b = batch_new(SLUICE_BATCH_SNAPSHOT, ROWS, 1 << 20);
    sluice_event *ev[ROWS];
    plan_meta meta = {.snapshot = 1};
    for (int r = 0; r < ROWS; r++) {
        ev[r] = h->emit(b, SLUICE_OP_INSERT, t, 0);
        ev[r]->new_row[0] = (sluice_value){.kind = SLUICE_VALUE_INT, .u.i = r};
        h->set_text(b, &ev[r]->new_row[1], passport, plen);
        /* smallint at its edge: a random 5-digit number must still fit */
        ev[r]->new_row[3] = r % 2 ? (sluice_value){.kind = SLUICE_VALUE_INT, .u.i = 32767}
                                  : (sluice_value){.kind = SLUICE_VALUE_INT, .u.i = -32768};
        h->set_text(b, &ev[r]->new_row[4], "1234.56", 7);
        CHECK(plan_event(p, b, ev[r], &meta) == 0);
    }
    int ok_len = 1, ok_rest = 1, ok_int = 1, ok_num = 1;
    for (int r = 0; r < ROWS; r++) {
        const sluice_value *v = &ev[r]->new_row[1];
        ok_len &= v->kind == SLUICE_VALUE_TEXT && v->len == plen;
        if (v->len != plen)
            continue;
        changed += memcmp(v->u.bytes, passport, plen) != 0;
        for (size_t k = 0; k < plen; k++) {
            int digit = passport[k] >= '0' && passport[k] <= '9';
            if (digit && v->u.bytes[k] >= '0' && v->u.bytes[k] <= '9')
                seen[k % 10][v->u.bytes[k] - '0'] = 1;
            else if (digit || v->u.bytes[k] != passport[k])
                ok_rest = 0; /* a digit became a non-digit, or a non-digit changed */
        }
        /* smallint: still 5 digits (no leading zero), and within -32768..32767 */
        const sluice_value *n = &ev[r]->new_row[3];
        long x = n->kind == SLUICE_VALUE_TEXT ? strtol(n->u.bytes, NULL, 10) : 99999;
        int neg = r % 2 == 0;
        ok_int &= n->kind == SLUICE_VALUE_TEXT && n->len == (neg ? 6u : 5u) &&
                  all_digits(n->u.bytes + neg, 5) && n->u.bytes[neg] != '0' &&
                  x >= -32768 && x <= 32767 && (neg ? x < 0 : x > 0);
        const sluice_value *a = &ev[r]->new_row[4];
        ok_num &= a->kind == SLUICE_VALUE_TEXT && a->len == 7 && a->u.bytes[4] == '.' &&
                  all_digits(a->u.bytes, 4) && all_digits(a->u.bytes + 5, 2) &&
                  a->u.bytes[0] != '0';
        if (a->len == 7)
            lead[a->u.bytes[0] - '0']++;
    }
    CHECK(ok_len && ok_rest && ok_int && ok_num);
    CHECK(changed > ROWS - 5); /* 1e-5 of a row keeps all 5 digits; 5 such rows: never */
    int positions = 0, values = 0;
    for (int k = 0; k < 10; k++) {
        int distinct = 0;
        for (int v = 0; v < 10; v++)
            distinct += seen[k][v];
        positions += distinct > 0;
        values += distinct == 10; /* 400 draws of 10 digits: every digit appears */
    }
    CHECK(positions == 5 && values == 5);
    CHECK(lead[0] == 0 && lead[1] > 0 && lead[9] > 0);
    batch_free(b);
    table_plan_free(p);
    mapping_free(m);
    catalog_free(src);
    catalog_free(out);
}

/* Refused when the plan is made: each names the rule, the column and its type. */
static void test_mask_refused(void)
{
    static const struct {
        map_action action;
        const char *column, *value;
        int keyed;
        const char *message;
    } cases[] = {
        {MAP_MASK_RANDOMIZE, "id", NULL, 1,
         "data-masking-digits-randomize cannot mask column \"id\" of type integer: random "
         "digits in a key: updates and deletes would not find the row"},
        {MAP_MASK_DIGITS, "id", "#", 1, "data-masking-digits-mask cannot mask column \"id\" of "
         "type integer: a masked value is no longer a number"},
        {MAP_MASK_RANDOMIZE, "note", NULL, 0,
         "data-masking-digits-randomize cannot mask column \"note\" of type text: the table "
         "has no key, so updates and deletes find its rows by every column, and random "
         "digits would not match"},
        {MAP_MASK_HASH, "code", NULL, 1, "data-masking-hash-mask cannot mask column \"code\" of "
         "type varchar(10): the hash has 64 characters, more than the 10 the column holds"},
        {MAP_MASK_HASH, "amount", NULL, 1, "data-masking-hash-mask cannot mask column "
         "\"amount\" of type numeric(6,2): a masked value is no longer a number"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        sluice_catalog *src = catalog_new(), *out = catalog_new();
        sluice_table *t = people(src, cases[c].keyed);
        mapping *m = mapping_new();
        transform(m, cases[c].action, MAP_TARGET_COLUMN, "hr", "people", cases[c].column,
                  cases[c].value);
        sluice_error err;
        CHECK(plan_of(m, out, t, &err) == NULL);
        CHECK_CONTAINS(err.message, "test: rule t on table \"hr.people\": ");
        CHECK_CONTAINS(err.message, cases[c].message);
        mapping_free(m);
        catalog_free(src);
        catalog_free(out);
    }
    /* a digits-masked key: different keys would become one */
    sluice_catalog *src = catalog_new(), *out = catalog_new();
    sluice_table *t = people(src, 1);
    mapping *m = mapping_new();
    map_transform *ct =
        transform(m, MAP_CHANGE_DATA_TYPE, MAP_TARGET_COLUMN, "hr", "people", "id", NULL);
    ct->data_type = strdup("text");
    transform(m, MAP_MASK_DIGITS, MAP_TARGET_COLUMN, "hr", "people", "id", "#");
    sluice_error err;
    CHECK(plan_of(m, out, t, &err) == NULL);
    CHECK_CONTAINS(err.message, "different keys would become one");
    CHECK_STR(err.hint, "Use data-masking-hash-mask, which keeps different keys different.");
    mapping_free(m);
    /* an added column must not show a masked column's value */
    m = mapping_new();
    transform(m, MAP_MASK_HASH, MAP_TARGET_COLUMN, "hr", "people", "passport", NULL);
    map_transform *add =
        transform(m, MAP_ADD_COLUMN, MAP_TARGET_COLUMN, "hr", "people", "p2", NULL);
    add->data_type = strdup("text");
    char why[200];
    CHECK(mapping_term_parse("'x' || $passport", &add->terms, &add->nterms, why, sizeof why) == 0);
    CHECK(plan_of(m, out, t, &err) == NULL);
    CHECK_CONTAINS(err.message, "add-column \"p2\" reads $passport, which rule t masks");
    mapping_free(m);
    catalog_free(src);
    catalog_free(out);
}

static void test_terms(void)
{
    map_term *terms;
    uint32_t n;
    char why[300];
    CHECK(mapping_term_parse("upper($a)", &terms, &n, why, sizeof why) == -1);
    CHECK_CONTAINS(why, "unsupported expression at \"upper($a)\"");
    CHECK(mapping_term_parse("$AR_H_USER", &terms, &n, why, sizeof why) == -1);
    CHECK_CONTAINS(why, "the header $AR_H_USER is not supported");
    CHECK(mapping_term_parse("'open", &terms, &n, why, sizeof why) == -1);
    CHECK(mapping_term_parse(" 12 || $x ", &terms, &n, why, sizeof why) == 0 && n == 2);
    CHECK(terms[0].kind == MAP_TERM_CONSTANT && strcmp(terms[0].text, "12") == 0);
    CHECK(terms[1].kind == MAP_TERM_COLUMN && strcmp(terms[1].text, "x") == 0);
    for (uint32_t i = 0; i < n; i++)
        free(terms[i].text);
    free(terms);
}

int main(void)
{
    test_like();
    test_selection_order();
    test_filters();
    test_plan();
    test_passthrough();
    test_before_image();
    test_mask_digits_and_hash();
    test_mask_randomize();
    test_mask_refused();
    test_terms();
    return unit_done();
}
