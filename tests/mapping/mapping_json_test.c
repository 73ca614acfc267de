/*
 * AWS DMS table-mapping JSON documents (mapping_json.c). JSON in this file is
 * written with ` for " so it stays readable; doc() turns it back.
 *
 *   mapping_json_test selection|transformation|types|settings|ranges|ranges_rows|row_eval|
 *                     partitions|settings_docs|docs|errors|file
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host.h"
#include "mapping.h"
#include "mapping_json.h"
#include "mapping_plan.h"
#include "filter_eval.h"
#include "mapping_settings.h"
#include "partition_chunks.h"
#include "range_chunks.h"
#include "report.h"

#include "../unit.h"

static char *doc(const char *text)
{
    char *s = strdup(text);
    for (char *p = s; *p; p++)
        if (*p == '`')
            *p = '"';
    return s;
}

/* Loads text; NULL (with err) when it fails. */
static mapping *load(const char *text, sluice_error *err)
{
    char *s = doc(text);
    mapping *m = mapping_new();
    error_init(err);
    int rc = mapping_from_json_text(m, s, strlen(s), "dms.json", err);
    free(s);
    if (rc != 0) {
        mapping_free(m);
        return NULL;
    }
    return m;
}

static mapping *load_ok(int at, const char *text)
{
    sluice_error e;
    mapping *m = load(text, &e);
    if (!m) {
        unit_failed++;
        fprintf(stderr, "mapping_json_test.c:%d: load failed: %s (hint: %s)\n", at, e.message,
                e.hint);
    }
    return m;
}
#define LOAD(text) load_ok(__LINE__, text)

/* Expects text to fail with exactly msg; hint NULL: not checked. */
#define EXPECT(text, msg, hint) expect_error(__LINE__, text, msg, hint)
static void expect_error(int at, const char *text, const char *msg, const char *hint)
{
    int before = unit_failed;
    sluice_error e;
    mapping *m = load(text, &e);
    CHECK(m == NULL);
    mapping_free(m);
    CHECK_STR(e.message, msg);
    if (hint)
        CHECK_STR(e.hint, hint);
    if (unit_failed != before)
        fprintf(stderr, "  (expectation at line %d)\n", at);
}

/* One rule wrapped in a document, for the error tests. */
#define RULES(...) "{`rules`: [" __VA_ARGS__ "]}"
#define INCLUDE_ALL                                                                        \
    "{`rule-type`: `selection`, `rule-id`: `1`, `rule-name`: `1`, `object-locator`: "      \
    "{`schema-name`: `%`, `table-name`: `%`}, `rule-action`: `include`}"

static const map_condition *cond(const mapping *m, size_t rule, uint32_t filter, uint32_t c)
{
    if (rule >= m->nrules || m->rules[rule].kind != MAP_RULE_SELECTION ||
        filter >= m->rules[rule].u.sel.nfilters ||
        c >= m->rules[rule].u.sel.filters[filter].nconditions)
        return NULL;
    return &m->rules[rule].u.sel.filters[filter].conditions[c];
}

static void check_cond(int at, const map_condition *c, sluice_filter_op op, const char *v0,
                       const char *v1)
{
    int before = unit_failed;
    CHECK(c != NULL);
    if (!c)
        goto out;
    CHECK(c->op == op);
    CHECK(c->nvalues == (v1 ? 2u : v0 ? 1u : 0u));
    if (v0 && c->nvalues > 0)
        CHECK_STR(c->values[0], v0);
    if (v1 && c->nvalues > 1)
        CHECK_STR(c->values[1], v1);
out:
    if (unit_failed != before)
        fprintf(stderr, "  (condition checked at line %d)\n", at);
}
#define COND(c, op, v0, v1) check_cond(__LINE__, c, op, v0, v1)

static sluice_str str(const char *s)
{
    return (sluice_str){s, strlen(s)};
}

/* ---- selection ---- */

static void test_selection(void)
{
    /* every operator DMS documents, and the ones sluice's Lua mappings also know */
    mapping *m = LOAD(RULES(
        "{`rule-type`: `selection`, `rule-id`: 7, `rule-name`: `ops`, `object-locator`: "
        "{`schema-name`: `app`, `table-name`: `t_%`}, `rule-action`: `include`, `load-order`: `2`,"
        " `filters`: [{`filter-type`: `source`, `column-name`: `a`, `filter-conditions`: ["
        "  {`filter-operator`: `eq`, `value`: `x`},"
        "  {`filter-operator`: `noteq`, `value`: 5},"
        "  {`filter-operator`: `lte`, `value`: 1.5},"
        "  {`filter-operator`: `ste`, `value`: `2002-01-01`},"
        "  {`filter-operator`: `gte`, `value`: -3},"
        "  {`filter-operator`: `between`, `start-value`: `50`, `end-value`: `75`},"
        "  {`filter-operator`: `notbetween`, `start-value`: 10, `end-value`: 20},"
        "  {`filter-operator`: `null`},"
        "  {`filter-operator`: `notnull`},"
        "  {`filter-operator`: `lt`, `value`: `b`},"
        "  {`filter-operator`: `gt`, `value`: 0.1},"
        "  {`filter-operator`: `in`, `value`: [`EU`, `US`, 3]}]},"
        " {`column-name`: `b`, `filter-conditions`: [{`filter-operator`: `eq`, `value`: ``}]}]}"));
    if (!m)
        return;
    CHECK(m->nrules == 1 && m->has_selection);
    const map_selection *s = &m->rules[0].u.sel;
    CHECK_STR(m->rules[0].id, "7 (ops)");
    CHECK_STR(m->rules[0].where, "dms.json");
    CHECK(s->action == MAP_INCLUDE);
    CHECK_STR(s->schema, "app");
    CHECK_STR(s->table, "t_%");
    CHECK(s->nfilters == 2);
    CHECK_STR(s->filters[0].column, "a");
    CHECK(s->filters[0].nconditions == 13); /* notbetween is two */
    COND(cond(m, 0, 0, 0), SLUICE_FILTER_EQ, "x", NULL);
    COND(cond(m, 0, 0, 1), SLUICE_FILTER_NE, "5", NULL);
    COND(cond(m, 0, 0, 2), SLUICE_FILTER_LE, "1.5", NULL);
    COND(cond(m, 0, 0, 3), SLUICE_FILTER_LE, "2002-01-01", NULL);
    COND(cond(m, 0, 0, 4), SLUICE_FILTER_GE, "-3", NULL);
    COND(cond(m, 0, 0, 5), SLUICE_FILTER_BETWEEN, "50", "75");
    COND(cond(m, 0, 0, 6), SLUICE_FILTER_LT, "10", NULL); /* notbetween 10 20: < 10 OR > 20 */
    COND(cond(m, 0, 0, 7), SLUICE_FILTER_GT, "20", NULL);
    COND(cond(m, 0, 0, 8), SLUICE_FILTER_NULL, NULL, NULL);
    COND(cond(m, 0, 0, 9), SLUICE_FILTER_NOT_NULL, NULL, NULL);
    COND(cond(m, 0, 0, 10), SLUICE_FILTER_LT, "b", NULL);
    COND(cond(m, 0, 0, 11), SLUICE_FILTER_GT, "0.1", NULL);
    const map_condition *in = cond(m, 0, 0, 12);
    CHECK(in && in->op == SLUICE_FILTER_IN && in->nvalues == 3);
    if (in && in->nvalues == 3) {
        CHECK_STR(in->values[0], "EU");
        CHECK_STR(in->values[2], "3");
    }
    COND(cond(m, 0, 1, 0), SLUICE_FILTER_EQ, "", NULL);
    mapping_free(m);

    /* include / exclude / explicit, in the document's order; the last match decides */
    m = LOAD(RULES(INCLUDE_ALL ","
                   "{`rule-type`: `selection`, `rule-id`: `2`, `rule-name`: `2`, `object-locator`: "
                   "{`schema-name`: `%`, `table-name`: `tmp_%`}, `rule-action`: `exclude`},"
                   "{`rule-type`: `selection`, `rule-id`: `3`, `object-locator`: "
                   "{`schema-name`: `app`, `table-name`: `tmp_keep`, `table-type`: `table`}, "
                   "`rule-action`: `explicit`, `filters`: []}"));
    if (m) {
        CHECK(m->nrules == 3);
        CHECK(m->rules[0].u.sel.action == MAP_INCLUDE);
        CHECK(m->rules[1].u.sel.action == MAP_EXCLUDE);
        CHECK(m->rules[2].u.sel.action == MAP_EXPLICIT);
        CHECK_STR(m->rules[1].id, "2");
        CHECK_STR(m->rules[2].id, "3");
        CHECK(m->rules[2].u.sel.nfilters == 0);
        CHECK(mapping_selects(m, str("app"), str("users")));
        CHECK(!mapping_selects(m, str("app"), str("tmp_x")));
        CHECK(mapping_selects(m, str("app"), str("tmp_keep")));
    }
    mapping_free(m);

    /* table-name defaults to every table; null counts as absent */
    m = LOAD(RULES("{`rule-type`: `selection`, `rule-id`: `1`, `rule-name`: null, "
                   "`object-locator`: {`schema-name`: `s`}, `rule-action`: `include`, "
                   "`filters`: null}"));
    if (m)
        CHECK_STR(m->rules[0].u.sel.table, "%");
    mapping_free(m);

    /* an empty document selects everything */
    m = LOAD("{`rules`: []}");
    if (m)
        CHECK(m->nrules == 0 && mapping_selects(m, str("a"), str("b")));
    mapping_free(m);
}

/* ---- transformation ---- */

#define TR(id, target, action, locator, extra)                                               \
    "{`rule-type`: `transformation`, `rule-id`: `" id "`, `rule-name`: `" id "`, "          \
    "`rule-target`: `" target "`, `rule-action`: `" action "`, `object-locator`: {" locator \
    "}" extra "}"

static const map_transform *tr(const mapping *m, size_t i)
{
    return i < m->nrules && m->rules[i].kind == MAP_RULE_TRANSFORMATION ? &m->rules[i].u.tr
                                                                        : NULL;
}

static void test_transformation(void)
{
    mapping *m = LOAD(RULES(
        TR("1", "schema", "rename", "`schema-name`: `Test`", ", `value`: `Test1`") ","
        TR("2", "table", "rename", "`schema-name`: `Test`, `table-name`: `Actor`",
           ", `value`: `Actor1`") ","
        TR("3", "column", "rename",
           "`schema-name`: `test`, `table-name`: `Actor`, `column-name`: `first_name`",
           ", `value`: `fname`") ","
        TR("4", "table", "convert-lowercase", "`schema-name`: `%`, `table-name`: `%`", "") ","
        TR("5", "column", "convert-uppercase",
           "`schema-name`: `%`, `table-name`: `%`, `column-name`: `%`", "") ","
        TR("6", "table", "add-prefix", "`schema-name`: `s`, `table-name`: `%`",
           ", `value`: `DMS_`") ","
        TR("7", "schema", "remove-prefix", "`schema-name`: `%`", ", `value`: `old_`") ","
        TR("8", "column", "replace-prefix",
           "`schema-name`: `%`, `table-name`: `%`, `column-name`: `%`",
           ", `value`: `NewPre_`, `old-value`: `Pre_`") ","
        TR("9", "table", "add-suffix", "`schema-name`: `s`, `table-name`: `t`",
           ", `value`: `_v2`") ","
        TR("10", "table", "remove-suffix", "`schema-name`: `s`, `table-name`: `%`",
           ", `value`: `_DMS`") ","
        TR("11", "column", "replace-suffix",
           "`schema-name`: `s`, `table-name`: `t`, `column-name`: `%_id`",
           ", `value`: `_key`, `old-value`: `_id`") ","
        TR("12", "column", "remove-column",
           "`schema-name`: `test`, `table-name`: `Actor`, `column-name`: `col%`", "") ","
        TR("13", "column", "include-column",
           "`schema-name`: `test`, `table-name`: `Actor`, `column-name`: `id`", "") ","
        TR("14", "column", "change-data-type",
           "`schema-name`: `dbo`, `table-name`: `dms`, `column-name`: `SALE_AMOUNT`",
           ", `data-type`: {`type`: `numeric`, `precision`: 18, `scale`: 2}") ","
        TR("15", "column", "add-column", "`schema-name`: `Test`, `table-name`: `ITEM`",
           ", `value`: `FULL_NAME`, `expression`: `$FIRST_NAME||'_'||$LAST_NAME`, "
           "`data-type`: {`type`: `string`, `length`: 50}") ","
        TR("16", "table", "define-primary-key", "`schema-name`: `inventory`, `table-name`: `ITEM`",
           ", `primary-key-def`: {`name`: `ITEM-primary-key`, `origin`: `primary-key`, "
           "`columns`: [`ITEM-NAME`, `BOM-MODEL-NUM`]}") ","
        TR("17", "column", "add-column", "`schema-name`: `%`, `table-name`: `%`",
           ", `value`: `op`, `expression`: `$AR_H_OPERATION || ':' || $AR_M_SOURCE_TABLE_NAME`,"
           " `data-type`: {`type`: `string`, `length`: 50}, `old-value`: null")));
    if (!m)
        return;
    CHECK(m->nrules == 17 && !m->has_selection);
    static const struct {
        map_action action;
        map_target target;
        const char *schema, *table, *column, *value, *old_value;
    } want[] = {
        {MAP_RENAME, MAP_TARGET_SCHEMA, "Test", NULL, NULL, "Test1", NULL},
        {MAP_RENAME, MAP_TARGET_TABLE, "Test", "Actor", NULL, "Actor1", NULL},
        {MAP_RENAME, MAP_TARGET_COLUMN, "test", "Actor", "first_name", "fname", NULL},
        {MAP_TO_LOWERCASE, MAP_TARGET_TABLE, "%", "%", NULL, NULL, NULL},
        {MAP_TO_UPPERCASE, MAP_TARGET_COLUMN, "%", "%", "%", NULL, NULL},
        {MAP_ADD_PREFIX, MAP_TARGET_TABLE, "s", "%", NULL, "DMS_", NULL},
        {MAP_REMOVE_PREFIX, MAP_TARGET_SCHEMA, "%", NULL, NULL, "old_", NULL},
        {MAP_REPLACE_PREFIX, MAP_TARGET_COLUMN, "%", "%", "%", "NewPre_", "Pre_"},
        {MAP_ADD_SUFFIX, MAP_TARGET_TABLE, "s", "t", NULL, "_v2", NULL},
        {MAP_REMOVE_SUFFIX, MAP_TARGET_TABLE, "s", "%", NULL, "_DMS", NULL},
        {MAP_REPLACE_SUFFIX, MAP_TARGET_COLUMN, "s", "t", "%_id", "_key", "_id"},
        {MAP_REMOVE_COLUMN, MAP_TARGET_COLUMN, "test", "Actor", "col%", NULL, NULL},
        {MAP_INCLUDE_COLUMN, MAP_TARGET_COLUMN, "test", "Actor", "id", NULL, NULL},
        {MAP_CHANGE_DATA_TYPE, MAP_TARGET_COLUMN, "dbo", "dms", "SALE_AMOUNT", NULL, NULL},
        {MAP_ADD_COLUMN, MAP_TARGET_COLUMN, "Test", "ITEM", "FULL_NAME", NULL, NULL},
        {MAP_DEFINE_PRIMARY_KEY, MAP_TARGET_TABLE, "inventory", "ITEM", NULL, NULL, NULL},
        {MAP_ADD_COLUMN, MAP_TARGET_COLUMN, "%", "%", "op", NULL, NULL},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0] && i < m->nrules; i++) {
        const map_transform *t = tr(m, i);
        int before = unit_failed;
        CHECK(t != NULL);
        if (!t)
            continue;
        CHECK(t->action == want[i].action);
        CHECK(t->target == want[i].target);
        CHECK_STR(t->schema, want[i].schema);
#define SAME(got, exp)                                                                       \
    do {                                                                                     \
        if (exp)                                                                             \
            CHECK_STR(got, exp);                                                             \
        else                                                                                 \
            CHECK((got) == NULL);                                                            \
    } while (0)
        SAME(t->table, want[i].table);
        SAME(t->column, want[i].column);
        SAME(t->value, want[i].value);
        SAME(t->old_value, want[i].old_value);
        if (unit_failed != before)
            fprintf(stderr, "  (rule %zu)\n", i + 1);
    }
    const map_transform *t = tr(m, 13);
    if (t)
        CHECK_STR(t->data_type, "numeric(18,2)");
    if ((t = tr(m, 14))) {
        CHECK_STR(t->data_type, "varchar(50)");
        CHECK(t->nterms == 3);
        if (t->nterms == 3) {
            CHECK(t->terms[0].kind == MAP_TERM_COLUMN);
            CHECK_STR(t->terms[0].text, "FIRST_NAME");
            CHECK(t->terms[1].kind == MAP_TERM_CONSTANT);
            CHECK_STR(t->terms[1].text, "_");
            CHECK(t->terms[2].kind == MAP_TERM_COLUMN);
            CHECK_STR(t->terms[2].text, "LAST_NAME");
        }
    }
    if ((t = tr(m, 15))) {
        CHECK(t->nkey_columns == 2);
        if (t->nkey_columns == 2) {
            CHECK_STR(t->key_columns[0], "ITEM-NAME");
            CHECK_STR(t->key_columns[1], "BOM-MODEL-NUM");
        }
    }
    if ((t = tr(m, 16))) {
        CHECK(t->nterms == 3);
        if (t->nterms == 3) {
            CHECK(t->terms[0].kind == MAP_TERM_OPERATION);
            CHECK_STR(t->terms[1].text, ":");
            CHECK(t->terms[2].kind == MAP_TERM_TABLE_NAME);
        }
    }
    mapping_free(m);
}

/* ---- data types ---- */

static void check_type(int at, const char *data_type, const char *want)
{
    char text[600];
    snprintf(text, sizeof text,
             RULES(TR("1", "column", "change-data-type",
                      "`schema-name`: `s`, `table-name`: `t`, `column-name`: `c`",
                      ", `data-type`: %s")),
             data_type);
    sluice_error e;
    mapping *m = load(text, &e);
    int before = unit_failed;
    CHECK(m != NULL);
    if (m)
        CHECK_STR(m->rules[0].u.tr.data_type, want);
    else
        fprintf(stderr, "  %s\n", e.message);
    if (unit_failed != before)
        fprintf(stderr, "  (type checked at line %d)\n", at);
    mapping_free(m);
}
#define TYPE(dt, want) check_type(__LINE__, dt, want)

static void test_types(void)
{
    TYPE("{`type`: `boolean`}", "boolean");
    TYPE("{`type`: `bytes`, `length`: 16}", "bytea");
    TYPE("{`type`: `blob`}", "bytea");
    TYPE("{`type`: `date`}", "date");
    TYPE("{`type`: `time`}", "time");
    TYPE("{`type`: `datetime`}", "timestamp");
    TYPE("{`type`: `datetime`, `precision`: 6}", "timestamp(6)"); /* the DMS doc's example */
    TYPE("{`type`: `datetime`, `scale`: 3}", "timestamp(3)");
    TYPE("{`type`: `int1`}", "smallint");
    TYPE("{`type`: `int2`}", "smallint");
    TYPE("{`type`: `int4`}", "integer");
    TYPE("{`type`: `int8`}", "bigint");
    TYPE("{`type`: `INT8`}", "bigint");
    TYPE("{`type`: `uint1`}", "smallint");
    TYPE("{`type`: `uint2`}", "integer");
    TYPE("{`type`: `uint4`}", "bigint");
    TYPE("{`type`: `uint8`}", "numeric(20,0)");
    TYPE("{`type`: `numeric`}", "numeric");
    TYPE("{`type`: `numeric`, `precision`: 38}", "numeric(38,0)");
    TYPE("{`type`: `numeric`, `precision`: `10`, `scale`: `4`}", "numeric(10,4)");
    TYPE("{`type`: `real4`}", "real");
    TYPE("{`type`: `real8`}", "double precision");
    TYPE("{`type`: `string`}", "text");
    TYPE("{`type`: `string`, `length`: 50}", "varchar(50)");
    TYPE("{`type`: `wstring`, `length`: 20}", "varchar(20)");
    TYPE("{`type`: `string`, `length`: 20000000}", "text");
    TYPE("{`type`: `clob`}", "text");
    TYPE("{`type`: `nclob`}", "text");

#define DT_RULE(dt)                                                                          \
    RULES(TR("4", "column", "change-data-type",                                              \
             "`schema-name`: `s`, `table-name`: `t`, `column-name`: `c`", ", `data-type`: " dt))
    EXPECT(DT_RULE("{`type`: `int16`}"), "dms.json: rule 4: unknown data-type \"int16\"",
           "Did you mean \"int1\"? Valid values are \"boolean\", \"bytes\", \"blob\", \"date\", "
           "\"time\", \"datetime\", \"int1\", \"int2\", \"int4\", \"int8\", \"uint1\", \"uint2\", "
           "\"uint4\", \"uint8\", \"numeric\", \"real4\", \"real8\", \"string\", \"wstring\", "
           "\"clob\" and \"nclob\".");
    EXPECT(DT_RULE("{`type`: `datetime`, `scale`: 7}"),
           "dms.json: rule 4: datetime with 7 fractional digits: PostgreSQL timestamps hold 6",
           "Use a precision of 6 or less.");
    EXPECT(DT_RULE("{`type`: `numeric`, `precision`: 5, `scale`: 6}"),
           "dms.json: rule 4: numeric scale 6 is larger than its precision 5", NULL);
    EXPECT(DT_RULE("{`type`: `map`}"),
           "dms.json: rule 4: data-type \"map\" (a Cassandra collection) has no PostgreSQL "
           "column type",
           NULL);
    EXPECT(DT_RULE("{`type`: `string`, `lenght`: 5}"),
           "dms.json: rule 4: unknown key \"lenght\" in data-type", "Did you mean \"length\"?");
    EXPECT(DT_RULE("{`type`: `string`, `length`: -1}"),
           "dms.json: rule 4: \"length\" in data-type must be a whole number, not a number", NULL);
    EXPECT(DT_RULE("`int8`"), "dms.json: rule 4: \"data-type\" must be an object, not a string",
           "Write \"data-type\": {\"type\": \"int8\"}.");
}

/* ---- table-settings ---- */

static void test_settings(void)
{
    static const char ranges[] = RULES(
        INCLUDE_ALL ", {`rule-type`: `table-settings`, `rule-id`: `2`, `rule-name`: `2`,"
                    " `object-locator`: {`schema-name`: `HR`, `table-name`: `SALES`},"
                    " `parallel-load`: {`type`: `ranges`, `columns`: [`SALES_NO`],"
                    " `boundaries`: [[`1000`], [3000]]}},"
                    "{`rule-type`: `table-settings`, `rule-id`: `3`, `rule-name`: `3`,"
                    " `object-locator`: {`schema-name`: `HR`, `table-name`: `ORDERS`},"
                    " `parallel-load`: {`type`: `none`}, `lob-settings`: {`mode`: `unlimited`,"
                    " `bulk-max-size`: `0`}}");
    /* kept when the caller keeps them */
    char *s = doc(ranges);
    mapping *m = mapping_new();
    mapping_settings *set = mapping_settings_new();
    sluice_error e;
    error_init(&e);
    CHECK(mapping_json_load_text(m, set, s, strlen(s), "dms.json", &e) == 0);
    CHECK(m->nrules == 1);
    CHECK(set->n == 2);
    const map_table_settings *t = mapping_settings_for(set, str("HR"), str("SALES"));
    CHECK(t != NULL);
    if (t) {
        CHECK_STR(t->id, "2");
        CHECK(t->parallel == MAP_PARALLEL_RANGES);
        CHECK(t->ncolumns == 1 && t->nboundaries == 2);
        if (t->ncolumns == 1 && t->nboundaries == 2) {
            CHECK_STR(t->columns[0], "SALES_NO");
            CHECK_STR(t->boundaries[0], "1000");
            CHECK_STR(t->boundaries[1], "3000");
        }
    }
    t = mapping_settings_for(set, str("HR"), str("ORDERS"));
    CHECK(t && t->parallel == MAP_PARALLEL_NONE);
    CHECK(mapping_settings_for(set, str("HR"), str("OTHER")) == NULL);
    mapping_free(m);
    mapping_settings_free(set);
    free(s);

    /* refused where nobody keeps them */
    EXPECT(ranges, "dms.json: rule 2: table-settings are not supported yet",
           "Remove \"parallel-load\" (or set its type to \"none\"); the table then loads in one "
           "piece.");
    sluice_error e2;
    CHECK(load(ranges, &e2) == NULL);
    CHECK_STR(e2.detail, "parallel-load would split the full load of HR.SALES; sluice does not "
                         "split a table's full load by these settings yet.");

    /* what changes nothing is accepted: type none, unlimited or none LOB modes */
    m = LOAD(RULES("{`rule-type`: `table-settings`, `rule-id`: `2`, `object-locator`: "
                   "{`schema-name`: `INV`, `table-name`: `ITEMS`}, `parallel-load`: {`type`: "
                   "`none`}, `lob-settings`: {`mode`: `none`, `bulk-max-size`: `100000`}}"));
    if (m)
        CHECK(m->nrules == 0);
    mapping_free(m);

#define SETTINGS(body)                                                                       \
    RULES("{`rule-type`: `table-settings`, `rule-id`: `5`, `rule-name`: `five`, "             \
          "`object-locator`: {`schema-name`: `HR`, `table-name`: `T`}, " body "}")
    EXPECT(SETTINGS("`lob-settings`: {`bulk-max-size`: `100000`}"),
           "dms.json: rule 5 (five): limited LOB mode is not supported (it truncates LOBs; "
           "sluice moves them whole)",
           "Use \"mode\": \"unlimited\" (what sluice does) or remove \"lob-settings\".");
    EXPECT(SETTINGS("`parallel-load`: {`type`: `ranges`, `columns`: [`a`, `b`], "
                    "`boundaries`: [[`1`]]}"),
           "dms.json: rule 5 (five): boundaries[0] must be a list of 2 values",
           "Give one value per column, in the order of \"columns\".");
    EXPECT(SETTINGS("`parallel-load`: {`type`: `range`}"),
           "dms.json: rule 5 (five): unknown parallel-load type \"range\"",
           "Did you mean \"ranges\"? Valid values are \"partitions-auto\", "
           "\"subpartitions-auto\", \"partitions-list\", \"ranges\" and \"none\".");
    EXPECT(SETTINGS("`parallel-load`: {`type`: `partitions-auto`}"),
           "dms.json: rule 5 (five): table-settings are not supported yet", NULL);
    EXPECT(SETTINGS("`parallel-load`: {`type`: `partitions-auto`, `number-of-partitions`: 5}"),
           "dms.json: rule 5 (five): parallel-load \"number-of-partitions\" is not supported",
           "Remove it; split the table with \"type\": \"ranges\" or by its partitions "
           "instead.");
    EXPECT(SETTINGS("`parallel-load`: {`type`: `partitions-list`}"),
           "dms.json: rule 5 (five): parallel-load partitions-list names no partitions", NULL);
    EXPECT(SETTINGS("`paralel-load`: {`type`: `none`}"),
           "dms.json: rule 5 (five): unknown key \"paralel-load\" in a table-settings rule",
           "Did you mean \"parallel-load\"?");
}

/* ---- the examples of the AWS DMS documentation ---- */

/* https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Tasks.CustomizingTasks.Filters.html */
static const char filters_multiple_operators[] =
    "{`rules`: [{`rule-type`: `selection`, `rule-id`: `1`, `rule-name`: `1`,"
    " `object-locator`: {`schema-name`: `test`, `table-name`: `employee`},"
    " `rule-action`: `include`,"
    " `filters`: [{`filter-type`: `source`, `column-name`: `empid`,"
    "  `filter-conditions`: [{`filter-operator`: `lte`, `value`: `10`},"
    "   {`filter-operator`: `between`, `start-value`: `50`, `end-value`: `75`},"
    "   {`filter-operator`: `gte`, `value`: `100`}]}]}]}";
static const char filters_multiple_filters[] =
    "{`rules`: [{`rule-type`: `selection`, `rule-id`: `1`, `rule-name`: `1`,"
    " `object-locator`: {`schema-name`: `test`, `table-name`: `employee`},"
    " `rule-action`: `include`,"
    " `filters`: [{`filter-type`: `source`, `column-name`: `empid`,"
    "  `filter-conditions`: [{`filter-operator`: `lte`, `value`: `100`}]},"
    "  {`filter-type`: `source`, `column-name`: `dept`,"
    "  `filter-conditions`: [{`filter-operator`: `eq`, `value`: `tech`}]}]}]}";
static const char filters_null[] =
    "{`rules`: [{`rule-type`: `selection`, `rule-id`: `1`, `rule-name`: `1`,"
    " `object-locator`: {`schema-name`: `test`, `table-name`: `employee`},"
    " `rule-action`: `include`,"
    " `filters`: [{`filter-type`: `source`, `column-name`: `dept`,"
    "  `filter-conditions`: [{`filter-operator`: `null`}]}]}]}";
static const char filters_not[] =
    "{`rules`: [{`rule-type`: `selection`, `rule-id`: `1`, `rule-name`: `1`,"
    " `object-locator`: {`schema-name`: `test`, `table-name`: `employee`},"
    " `rule-action`: `include`,"
    " `filters`: [{`filter-type`: `source`, `column-name`: `empid`,"
    "  `filter-conditions`: [{`filter-operator`: `noteq`, `value`: `50`}]},"
    "  {`filter-type`: `source`, `column-name`: `dept`,"
    "  `filter-conditions`: [{`filter-operator`: `notnull`}]}]}]}";

/* https://docs.aws.amazon.com/dms/latest/userguide/
   CHAP_Tasks.CustomizingTasks.TableMapping.SelectionTransformation.Selections.html */
static const char selections_some_tables[] =
    "{`rules`: [{`rule-type`: `selection`, `rule-id`: `1`, `rule-name`: `1`,"
    " `object-locator`: {`schema-name`: `Test`, `table-name`: `%`}, `rule-action`: `include`},"
    " {`rule-type`: `selection`, `rule-id`: `2`, `rule-name`: `2`,"
    " `object-locator`: {`schema-name`: `Test`, `table-name`: `DMS%`},"
    " `rule-action`: `exclude`}]}";
static const char selections_load_order[] =
    "{`rules`: [{`rule-type`: `selection`, `rule-id`: `1`, `rule-name`: `1`,"
    " `object-locator`: {`schema-name`: `Test`, `table-name`: `loadsecond`},"
    " `rule-action`: `include`, `load-order`: `1`},"
    " {`rule-type`: `selection`, `rule-id`: `2`, `rule-name`: `2`,"
    " `object-locator`: {`schema-name`: `Test`, `table-name`: `loadfirst`},"
    " `rule-action`: `include`, `load-order`: `2`}]}";
static const char selections_views[] =
    "{`rules`: [{`rule-type`: `selection`, `rule-id`: `2`, `rule-name`: `2`,"
    " `object-locator`: {`schema-name`: `Test`, `table-name`: `view_DMS%`,"
    " `table-type`: `view`}, `rule-action`: `include`}]}";

/* https://docs.aws.amazon.com/dms/latest/userguide/
   CHAP_Tasks.CustomizingTasks.TableMapping.SelectionTransformation.Transformations.html */
#define DOC_SELECT(schema)                                                                   \
    "{`rule-type`: `selection`, `rule-id`: `1`, `rule-name`: `1`, `object-locator`: "        \
    "{`schema-name`: `" schema "`, `table-name`: `%`}, `rule-action`: `include`}, "
static const char tr_add_column_datetime[] =
    "{`rules`: [" DOC_SELECT("test")
    "{`rule-type`: `transformation`, `rule-id`: `2`, `rule-name`: `2`,"
    " `rule-action`: `add-column`, `rule-target`: `column`,"
    " `object-locator`: {`schema-name`: `test`, `table-name`: `actor`},"
    " `value`: `last_updated`, `data-type`: {`type`: `datetime`, `precision`: 6}}]}";
static const char tr_tablespace[] =
    "{`rules`: [" DOC_SELECT("Play")
    "{`rule-type`: `transformation`, `rule-id`: `2`, `rule-name`: `2`,"
    " `rule-action`: `rename`, `rule-target`: `table-tablespace`,"
    " `object-locator`: {`schema-name`: `Play`, `table-name`: `Actor`,"
    " `table-tablespace-name`: `SetSpace`}, `value`: `SceneTblSpace`}]}";
static const char tr_unique_index[] =
    "{`rules`: [" DOC_SELECT("inventory")
    "{`rule-type`: `transformation`, `rule-id`: `2`, `rule-name`: `2`,"
    " `rule-action`: `define-primary-key`, `rule-target`: `table`,"
    " `object-locator`: {`schema-name`: `inventory`, `table-name`: `ITEM`},"
    " `primary-key-def`: {`name`: `ITEM-unique-idx`, `origin`: `unique-index`,"
    " `columns`: [`ITEM-NAME`, `BOM-MODEL-NUM`, `BOM-PART-NUM`]}}]}";
static const char tr_before_image[] =
    "{`rules`: [{`rule-type`: `selection`, `rule-id`: `1`, `rule-name`: `1`,"
    " `object-locator`: {`schema-name`: `%`, `table-name`: `%`}, `rule-action`: `include`},"
    " {`rule-type`: `transformation`, `rule-id`: `2`, `rule-name`: `2`,"
    " `rule-target`: `column`, `object-locator`: {`schema-name`: `%`, `table-name`: `employees`},"
    " `rule-action`: `add-before-image-columns`, `before-image-def`: {`column-prefix`: `BI_`,"
    " `column-suffix`: ``, `column-filter`: `pk-only`}}]}";
/* The change-data-type example is one rule, without the {"rules": [...]} around it. */
static const char tr_change_type[] =
    "{`rules`: [{`rule-type`: `transformation`, `rule-id`: `1`, `rule-name`: `RuleName 1`,"
    " `rule-action`: `change-data-type`, `rule-target`: `column`,"
    " `object-locator`: {`schema-name`: `dbo`, `table-name`: `dms`,"
    " `column-name`: `SALE_AMOUNT`}, `data-type`: {`type`: `int8`}}]}";

/* https://docs.aws.amazon.com/dms/latest/userguide/
   CHAP_Tasks.CustomizingTasks.TableMapping.SelectionTransformation.Expressions.html */
static const char expr_operation_indicator[] =
    "{`rules`: [{`rule-type`: `transformation`, `rule-id`: `2`, `rule-name`: `2`,"
    " `rule-target`: `column`, `object-locator`: {`schema-name`: `%`, `table-name`: `%`},"
    " `rule-action`: `add-column`, `value`: `Operation`,"
    " `expression`: `operation_indicator('D', 'U', 'I')`,"
    " `data-type`: {`type`: `string`, `length`: 50}}]}";
static const char expr_change_seq[] =
    "{`rules`: [{`rule-type`: `transformation`, `rule-id`: `2`, `rule-name`: `2`,"
    " `rule-target`: `column`, `object-locator`: {`schema-name`: `%`, `table-name`: `%`},"
    " `rule-action`: `add-column`, `value`: `transact_id`, `expression`: `$AR_H_CHANGE_SEQ`,"
    " `data-type`: {`type`: `string`, `length`: 50}}]}";

/* https://docs.aws.amazon.com/dms/latest/userguide/
   CHAP_Tasks.CustomizingTasks.TableMapping.SelectionTransformation.Masking.html */
#define MASK_SELECT                                                                          \
    "{`rule-type`: `selection`, `rule-id`: `1`, `rule-name`: `1`, `object-locator`: "        \
    "{`schema-name`: `cust_schema`, `table-name`: `%`}, `rule-action`: `include`}, "
#define MASK_LOCATOR                                                                         \
    " `object-locator`: {`schema-name`: `cust_schema`, `table-name`: `customer_master`,"     \
    " `column-name`: `cust_passport_no`},"
static const char mask_digits[] =
    "{`rules`: [" MASK_SELECT
    "{`rule-type`: `transformation`, `rule-id`: `2`, `rule-name`: `2`, `rule-target`: `column`,"
    MASK_LOCATOR " `rule-action`: `data-masking-digits-mask`, `value`: `#`}]}";
static const char mask_randomize[] =
    "{`rules`: [" MASK_SELECT
    "{`rule-type`: `transformation`, `rule-id`: `2`, `rule-name`: `2`, `rule-target`: `column`,"
    MASK_LOCATOR " `rule-action`: `data-masking-digits-randomize`}]}";
/* the hash has 64 characters: the example widens the column first */
static const char mask_hash[] =
    "{`rules`: [" MASK_SELECT
    "{`rule-type`: `transformation`, `rule-id`: `2`, `rule-name`: `2`, `rule-target`: `column`,"
    MASK_LOCATOR " `rule-action`: `change-data-type`,"
    " `data-type`: {`type`: `string`, `length`: `100`, `scale`: ``}},"
    "{`rule-type`: `transformation`, `rule-id`: `3`, `rule-name`: `3`, `rule-target`: `column`,"
    MASK_LOCATOR " `rule-action`: `data-masking-hash-mask`}]}";
/* not from the documentation: the hash example without its change-data-type rule */
static const char mask_hash_unwidened[] =
    "{`rules`: [" MASK_SELECT
    "{`rule-type`: `transformation`, `rule-id`: `3`, `rule-name`: `3`, `rule-target`: `column`,"
    MASK_LOCATOR " `rule-action`: `data-masking-hash-mask`}]}";

/* The plan of cust_schema.customer_master (cust_id integer key, cust_passport_no of
   type passport_type) under a document: 1 when made, 0 (with e.message, e.hint) when
   refused; *mask and *mask_char tell what the passport column's policy masks. */
static int mask_plan(const char *text, const char *passport_type, sluice_error *e,
                     vp_mask *mask, char *mask_char)
{
    const sluice_host *h = host_api();
    sluice_catalog *src = catalog_new(), *out = catalog_new();
    sluice_table *t = h->table_add(src, str("cust_schema"), str("customer_master"), 2);
    h->column_set(t, 0, str("cust_id"), str("integer"), SLUICE_TYPE_INT32, SLUICE_COLUMN_KEY);
    int32_t precision, scale;
    h->column_set(t, 1, str("cust_passport_no"), str(passport_type),
                  plan_type_of(passport_type, &precision, &scale), SLUICE_COLUMN_NULLABLE);
    sluice_table_column(t, 1)->precision = precision;
    table_plan *plan = NULL;
    mapping *m = load(text, e);
    int made = m && table_plan_build(m, out, t, &plan, e) == 0;
    *mask = made ? (vp_mask)plan->columns[1].policy.mask : VP_MASK_NONE;
    *mask_char = made ? plan->columns[1].policy.mask_char : 0;
    if (made)
        CHECK(!plan->values_untouched && !plan->passthrough); /* never the binary path */
    table_plan_free(plan);
    mapping_free(m);
    catalog_free(src);
    catalog_free(out);
    return made;
}

static void test_masking_docs(void)
{
    mapping *m = LOAD(mask_digits);
    if (m) {
        CHECK(m->nrules == 2 && tr(m, 1)->action == MAP_MASK_DIGITS &&
              tr(m, 1)->target == MAP_TARGET_COLUMN);
        CHECK_STR(tr(m, 1)->value, "#");
        CHECK_STR(tr(m, 1)->column, "cust_passport_no");
    }
    mapping_free(m);
    if ((m = LOAD(mask_randomize)))
        CHECK(tr(m, 1)->action == MAP_MASK_RANDOMIZE && tr(m, 1)->value == NULL);
    mapping_free(m);
    if ((m = LOAD(mask_hash))) {
        CHECK(tr(m, 2)->action == MAP_MASK_HASH && tr(m, 2)->value == NULL);
        CHECK_STR(tr(m, 1)->data_type, "varchar(100)");
    }
    mapping_free(m);

    /* planned against a table: the masks become the column's value policy */
    sluice_error err;
    vp_mask mask;
    char mc;
    CHECK(mask_plan(mask_digits, "varchar(20)", &err, &mask, &mc) && mask == VP_MASK_DIGITS &&
          mc == '#');
    CHECK(mask_plan(mask_randomize, "numeric(12,2)", &err, &mask, &mc) &&
          mask == VP_MASK_RANDOMIZE);
    /* widened to varchar(100) first */
    CHECK(mask_plan(mask_hash, "varchar(20)", &err, &mask, &mc) && mask == VP_MASK_HASH);
    CHECK(mask_plan(mask_hash_unwidened, "text", &err, &mask, &mc) && mask == VP_MASK_HASH);
    /* refused when planned, naming the rule and the column's type */
    CHECK(!mask_plan(mask_digits, "integer", &err, &mask, &mc));
    CHECK_STR(err.message, "dms.json: rule 2 on table \"cust_schema.customer_master\": "
              "data-masking-digits-mask cannot mask column \"cust_passport_no\" of type "
              "integer: a masked value is no longer a number");
    CHECK_STR(err.hint, "Mask text columns, or make this one text first with a "
              "change-data-type rule: \"data-type\": {\"type\": \"string\"} (Lua: data_type = "
              "\"text\").");
    CHECK(!mask_plan(mask_randomize, "date", &err, &mask, &mc));
    CHECK_STR(err.message, "dms.json: rule 2 on table \"cust_schema.customer_master\": "
              "data-masking-digits-randomize cannot mask column \"cust_passport_no\" of type "
              "date: random digits fit only text, integer and numeric columns");
    CHECK(!mask_plan(mask_hash_unwidened, "varchar(20)", &err, &mask, &mc));
    CHECK_STR(err.message, "dms.json: rule 3 on table \"cust_schema.customer_master\": "
              "data-masking-hash-mask cannot mask column \"cust_passport_no\" of type "
              "varchar(20): the hash has 64 characters, more than the 20 the column holds");
    CHECK_CONTAINS(err.hint, "\"data-type\": {\"type\": \"string\", \"length\": 64}");
}

static void test_docs(void)
{
    test_masking_docs();
    mapping *m = LOAD(filters_multiple_operators);
    if (m) {
        CHECK(m->rules[0].u.sel.nfilters == 1);
        COND(cond(m, 0, 0, 0), SLUICE_FILTER_LE, "10", NULL);
        COND(cond(m, 0, 0, 1), SLUICE_FILTER_BETWEEN, "50", "75");
        COND(cond(m, 0, 0, 2), SLUICE_FILTER_GE, "100", NULL);
    }
    mapping_free(m);
    if ((m = LOAD(filters_multiple_filters))) {
        CHECK(m->rules[0].u.sel.nfilters == 2);
        COND(cond(m, 0, 1, 0), SLUICE_FILTER_EQ, "tech", NULL);
    }
    mapping_free(m);
    if ((m = LOAD(filters_null)))
        COND(cond(m, 0, 0, 0), SLUICE_FILTER_NULL, NULL, NULL);
    mapping_free(m);
    if ((m = LOAD(filters_not))) {
        COND(cond(m, 0, 0, 0), SLUICE_FILTER_NE, "50", NULL);
        COND(cond(m, 0, 1, 0), SLUICE_FILTER_NOT_NULL, NULL, NULL);
    }
    mapping_free(m);
    if ((m = LOAD(selections_some_tables))) {
        CHECK(mapping_selects(m, str("Test"), str("Customer")));
        CHECK(!mapping_selects(m, str("Test"), str("DMSx")));
        CHECK(!mapping_selects(m, str("Other"), str("Customer")));
    }
    mapping_free(m);
    if ((m = LOAD(selections_load_order)))
        CHECK(m->nrules == 2);
    mapping_free(m);
    if ((m = LOAD(tr_change_type)))
        CHECK_STR(m->rules[0].u.tr.data_type, "bigint");
    mapping_free(m);
    if ((m = LOAD(expr_change_seq)))
        CHECK(m->rules[0].u.tr.nterms == 1 && m->rules[0].u.tr.terms[0].kind == MAP_TERM_POSITION);
    mapping_free(m);

    /* the documented examples sluice cannot honour, each refused with why */
    EXPECT(selections_views,
           "dms.json: rule 2: table-type \"view\" is not supported (views cannot be replicated)",
           "sluice moves tables; remove \"table-type\" or set it to \"table\".");
    if ((m = LOAD(tr_add_column_datetime))) /* no expression: a NULL column, as in DMS */
        CHECK(m->rules[1].u.tr.action == MAP_ADD_COLUMN && m->rules[1].u.tr.nterms == 0 &&
              m->rules[1].u.tr.value == NULL && m->rules[1].u.tr.data_type != NULL);
    mapping_free(m);
    EXPECT(tr_tablespace,
           "dms.json: rule 2: rule-target table-tablespace is not supported (sluice does not "
           "place tables or indexes in tablespaces)",
           "Remove the rule; tables and indexes go to the target's default tablespace.");
    EXPECT(tr_unique_index,
           "dms.json: rule 2: origin \"unique-index\" is not supported (sluice defines a primary "
           "key)",
           NULL);
    if ((m = LOAD(tr_before_image))) {
        const map_transform *t = &m->rules[1].u.tr;
        CHECK(t->action == MAP_ADD_BEFORE_IMAGE && t->bi_filter == MAP_BI_PK_ONLY);
        CHECK_STR(t->value, "BI_");
        CHECK_STR(t->suffix, "");
        CHECK_STR(t->column, "%");
        CHECK_STR(t->table, "employees");
    }
    mapping_free(m);
    EXPECT(expr_operation_indicator,
           "dms.json: rule 2: expression \"operation_indicator('D', 'U', 'I')\": unsupported "
           "expression at \"operation_indicator(\" (supported: 'text', numbers, $COLUMN, "
           "$AR_H_... headers, joined with ||)",
           NULL);
}

/* ---- errors ---- */

static void test_errors(void)
{
    EXPECT("{`rules`: [\n  {`rule-type`: `selection`,\n   `rule-id`: `1` `x`: 1}]}",
           "dms.json:3:21: not valid JSON: '}' expected near '\"x\"'",
           "A DMS table mapping is {\"rules\": [ ... ]}.");
    EXPECT("{`rules`: [], `rules`: []}",
           "dms.json:1:21: not valid JSON: duplicate object key near '\"rules\"'", NULL);
    EXPECT("[]", "dms.json: the document: must be an object, not a list", NULL);
    EXPECT("{`rule`: []}", "dms.json: the document: unknown key \"rule\" in the document",
           "Did you mean \"rules\"?");
    EXPECT("{}", "dms.json: the document: \"rules\" must be a list", NULL);
    EXPECT(RULES("3"), "dms.json: rules[0]: must be an object, not a number", NULL);
    EXPECT(RULES(INCLUDE_ALL ", {`rule-type`: `selection`, `rule-name`: `x`}"),
           "dms.json: rules[1]: a rule has no \"rule-id\"",
           "Give every rule a \"rule-id\": \"1\", \"2\", ...");
    EXPECT(RULES("{`rule-type`: `selecton`, `rule-id`: 3, `rule-name`: `pick`}"),
           "dms.json: rule 3 (pick): unknown rule-type \"selecton\"",
           "Did you mean \"selection\"? Valid values are \"selection\", \"transformation\" and "
           "\"table-settings\".");
    EXPECT(RULES("{`rule-type`: `post-processing`, `rule-id`: 3}"),
           "dms.json: rule 3: unknown rule-type \"post-processing\"", NULL);
    EXPECT(RULES("{`rule-type`: `selection`, `rule-id`: 3, `rule-acton`: `include`}"),
           "dms.json: rule 3: unknown key \"rule-acton\" in a selection rule",
           "Did you mean \"rule-action\"?");
    EXPECT(RULES("{`rule-type`: `selection`, `rule-id`: 3, `rule-action`: `inclde`, "
                 "`object-locator`: {`schema-name`: `s`}}"),
           "dms.json: rule 3: unknown selection rule-action \"inclde\"",
           "Did you mean \"include\"? Valid values are \"include\", \"exclude\" and \"explicit\".");
    EXPECT(RULES("{`rule-type`: `selection`, `rule-id`: 3, `rule-action`: `include`, "
                 "`object-locator`: {`table-name`: `t`}}"),
           "dms.json: rule 3: \"object-locator\" has no \"schema-name\"", NULL);
    EXPECT(RULES("{`rule-type`: `selection`, `rule-id`: 3, `rule-action`: `include`, "
                 "`object-locator`: {`schema-name`: [`s`]}}"),
           "dms.json: rule 3: \"schema-name\" in object-locator must be a string, not a list",
           NULL);
    EXPECT(RULES("{`rule-type`: `selection`, `rule-id`: 3, `rule-action`: `explicit`, "
                 "`object-locator`: {`schema-name`: `s`, `table-name`: `t%`}}"),
           "dms.json: rule 3: an explicit selection names one table",
           "Use rule-action \"include\" for wildcards.");

#define FILTER(cond)                                                                         \
    RULES("{`rule-type`: `selection`, `rule-id`: `9`, `rule-action`: `include`, "           \
          "`object-locator`: {`schema-name`: `s`, `table-name`: `t`}, `filters`: "           \
          "[{`filter-type`: `source`, `column-name`: `c`, `filter-conditions`: [" cond "]}]}")
    EXPECT(FILTER("{`filter-operator`: `like`, `value`: `a%`}"),
           "dms.json: rule 9: filter on \"c\": unknown filter-operator \"like\"",
           "Valid values are \"eq\", \"noteq\", \"lte\", \"ste\", \"gte\", "
           "\"between\", \"notbetween\", \"null\", \"notnull\", \"lt\", \"gt\", \"ne\", \"le\", "
           "\"ge\" and \"in\".");
    EXPECT(FILTER("{`filter-operator`: `between`, `value`: `1`}"),
           "dms.json: rule 9: filter on \"c\": between takes \"start-value\" and \"end-value\", "
           "not \"value\"",
           "Give \"start-value\" and \"end-value\".");
    EXPECT(FILTER("{`filter-operator`: `notbetween`, `start-value`: `1`}"),
           "dms.json: rule 9: filter on \"c\": notbetween needs \"start-value\" and \"end-value\"",
           NULL);
    EXPECT(FILTER("{`filter-operator`: `eq`}"),
           "dms.json: rule 9: filter on \"c\": eq needs a \"value\"", NULL);
    EXPECT(FILTER("{`filter-operator`: `eq`, `value`: true}"),
           "dms.json: rule 9: \"value\" in a filter condition must be a string, not a boolean",
           NULL);
    EXPECT(FILTER("{`filter-operator`: `null`, `value`: `x`}"),
           "dms.json: rule 9: filter on \"c\": null takes no value", NULL);
    EXPECT(FILTER("{`filter-operator`: `in`, `value`: []}"),
           "dms.json: rule 9: filter on \"c\": in needs a non-empty \"value\" list", NULL);
    EXPECT(FILTER("{`filter-operator`: `eq`, `valeu`: `1`}"),
           "dms.json: rule 9: unknown key \"valeu\" in a filter condition",
           "Did you mean \"value\"?");
    EXPECT(RULES("{`rule-type`: `selection`, `rule-id`: `9`, `rule-action`: `exclude`, "
                 "`object-locator`: {`schema-name`: `s`}, `filters`: [{`column-name`: `c`, "
                 "`filter-conditions`: [{`filter-operator`: `null`}]}]}"),
           "dms.json: rule 9: an exclude rule has filters (DMS applies filters only to include "
           "rules)",
           NULL);
    EXPECT(RULES("{`rule-type`: `selection`, `rule-id`: `9`, `rule-action`: `include`, "
                 "`object-locator`: {`schema-name`: `s`}, `filters`: [{`filter-type`: `target`, "
                 "`column-name`: `c`, `filter-conditions`: [{`filter-operator`: `null`}]}]}"),
           "dms.json: rule 9: unknown filter-type \"target\"", NULL);

#define T(action, target, locator, extra)                                                    \
    RULES("{`rule-type`: `transformation`, `rule-id`: `4`, `rule-name`: `my rule`, "         \
          "`rule-action`: `" action "`, `rule-target`: `" target "`, "                       \
          "`object-locator`: {" locator "}" extra "}")
#define LOC_T "`schema-name`: `s`, `table-name`: `t`"
#define LOC_C "`schema-name`: `s`, `table-name`: `t`, `column-name`: `c`"
    EXPECT(T("renam", "table", LOC_T, ", `value`: `x`"),
           "dms.json: rule 4 (my rule): unknown rule-action \"renam\"",
           "Did you mean \"rename\"? Valid values are \"rename\", \"remove-column\", "
           "\"convert-lowercase\", \"convert-uppercase\", \"add-prefix\", \"remove-prefix\", "
           "\"replace-prefix\", \"add-suffix\", \"remove-suffix\", \"replace-suffix\", "
           "\"define-primary-key\", \"change-data-type\", \"add-column\", \"include-column\", "
           "\"add-before-image-columns\", \"data-masking-digits-mask\", "
           "\"data-masking-digits-randomize\" and \"data-masking-hash-mask\".");
    EXPECT(T("data-masking-digits-mask", "column", LOC_C, ""),
           "dms.json: rule 4 (my rule): data-masking-digits-mask needs a \"value\" (the "
           "masking character)",
           "Give the masking character: \"value\": \"#\".");
    static const char *const bad_chars[] = {", `value`: `##`", ", `value`: ` `",
                                            ", `value`: `\\t`", ", `value`: `\u00e9`"};
    static const char *const bad_shown[] = {"##", " ", "\t", "\xc3\xa9"};
    for (size_t i = 0; i < sizeof bad_chars / sizeof bad_chars[0]; i++) {
        char rule[400], msg[300];
        snprintf(rule, sizeof rule, T("data-masking-digits-mask", "column", LOC_C, "%s"),
                 bad_chars[i]);
        snprintf(msg, sizeof msg, "dms.json: rule 4 (my rule): data-masking-digits-mask: the "
                 "masking character must be one printable ASCII character, not \"%s\"",
                 bad_shown[i]);
        EXPECT(rule, msg, "As in AWS DMS: one character from ! to ~ (not a space), such as "
               "\"#\" or \"*\".");
    }
    EXPECT(T("data-masking-hash-mask", "table", LOC_T, ""),
           "dms.json: rule 4 (my rule): data-masking-hash-mask applies to columns",
           "Set \"rule-target\": \"column\".");
    EXPECT(T("data-masking-digits-randomize", "schema", "`schema-name`: `s`", ""),
           "dms.json: rule 4 (my rule): data-masking-digits-randomize applies to columns",
           "Set \"rule-target\": \"column\".");
    EXPECT(T("data-masking-hash-mask", "column", LOC_C, ", `value`: `#`"),
           "dms.json: rule 4 (my rule): data-masking-hash-mask takes no value",
           "Remove the value; only data-masking-digits-mask has one (the masking character).");
    EXPECT(T("data-masking-hash-mask", "column", "`schema-name`: `s`, `table-name`: `t`", ""),
           "dms.json: rule 4 (my rule): a column rule needs \"column-name\" in \"object-locator\"",
           NULL);
    EXPECT(T("rename", "index-tablespace", LOC_T, ", `value`: `x`"),
           "dms.json: rule 4 (my rule): rule-target index-tablespace is not supported (sluice "
           "does not place tables or indexes in tablespaces)",
           NULL);
    EXPECT(T("rename", "tabel", LOC_T, ", `value`: `x`"),
           "dms.json: rule 4 (my rule): unknown rule-target \"tabel\"",
           "Did you mean \"table\"? Valid values are \"schema\", \"table\", \"column\", "
           "\"table-tablespace\" and \"index-tablespace\".");
    EXPECT(T("add-before-image-columns", "column", LOC_C,
             ", `before-image-def`: {`column-filter`: `pk_only`}"),
           "dms.json: rule 4 (my rule): unknown before-image-def column-filter \"pk_only\"",
           "Did you mean \"pk-only\"? Valid values are \"pk-only\", \"non-lob\" and \"all\".");
    EXPECT(T("add-before-image-columns", "column", LOC_C,
             ", `before-image-def`: {`column-prefix`: `BI_`, `prefix`: `x`}"),
           "dms.json: rule 4 (my rule): unknown key \"prefix\" in before-image-def", NULL);
    EXPECT(T("rename", "column", LOC_C, ", `value`: `x`, `before-image-def`: {}"),
           "dms.json: rule 4 (my rule): \"before-image-def\" goes with add-before-image-columns, "
           "not rename",
           "Remove it, or use rule-action add-before-image-columns.");
    EXPECT(T("add-before-image-columns", "table", LOC_T, ""),
           "dms.json: rule 4 (my rule): add-before-image-columns applies to columns",
           "Set \"rule-target\": \"column\".");
    EXPECT(RULES("{`rule-type`: `transformation`, `rule-id`: `4`, `rule-action`: `rename`, "
                 "`object-locator`: {`schema-name`: `s`}, `value`: `x`}"),
           "dms.json: rule 4: a transformation rule has no \"rule-target\"", NULL);
    EXPECT(T("add-column", "column", LOC_T,
             ", `value`: `n`, `expression`: `upper($NAME)`, `data-type`: {`type`: `string`}"),
           "dms.json: rule 4 (my rule): expression \"upper($NAME)\": unsupported expression at "
           "\"upper($NAME)\" (supported: 'text', numbers, $COLUMN, $AR_H_... headers, joined "
           "with ||)",
           "sluice evaluates 'text', numbers, $COLUMN and the $AR_H_/$AR_M_ headers, joined "
           "with ||; SQLite functions are not supported.");
    EXPECT(T("add-column", "column", LOC_T,
             ", `value`: `n`, `expression`: `$AR_H_USER`, `data-type`: {`type`: `string`}"),
           "dms.json: rule 4 (my rule): expression \"$AR_H_USER\": the header $AR_H_USER is not "
           "supported (supported: $AR_H_OPERATION, $AR_H_COMMIT_TIMESTAMP, $AR_H_TIMESTAMP, "
           "$AR_H_TRANSACTION_ID, $AR_H_STREAM_POSITION, $AR_H_CHANGE_SEQ, $AR_M_SOURCE_SCHEMA, "
           "$AR_M_SOURCE_TABLE_NAME)",
           NULL);
    EXPECT(T("add-column", "column", LOC_T, ", `value`: `n`, `expression`: `'x'`"),
           "dms.json: rule 4 (my rule): add-column needs a \"data-type\"", NULL);
    EXPECT(T("add-column", "column", LOC_C,
             ", `value`: `n`, `expression`: `'x'`, `data-type`: {`type`: `string`}"),
           "dms.json: rule 4 (my rule): add-column has a \"column-name\" in \"object-locator\"",
           "Name the new column in \"value\" and leave \"column-name\" out.");
    EXPECT(T("rename", "table", LOC_T, ""),
           "dms.json: rule 4 (my rule): rename needs a \"value\"",
           "Give the new name or the affix as \"value\".");
    EXPECT(T("replace-prefix", "table", LOC_T, ", `value`: `a_`"),
           "dms.json: rule 4 (my rule): replace-prefix needs \"value\" and \"old-value\"",
           "\"old-value\" is replaced by \"value\".");
    EXPECT(T("change-data-type", "column", LOC_C, ""),
           "dms.json: rule 4 (my rule): change-data-type needs a \"data-type\"", NULL);
    EXPECT(T("remove-column", "table", LOC_T, ""),
           "dms.json: rule 4 (my rule): remove-column applies to columns",
           "Set \"rule-target\": \"column\".");
    EXPECT(T("convert-lowercase", "column", LOC_T, ""),
           "dms.json: rule 4 (my rule): a column rule needs \"column-name\" in \"object-locator\"",
           NULL);
    EXPECT(T("rename", "table", LOC_C, ", `value`: `x`"),
           "dms.json: rule 4 (my rule): a table rule has a \"column-name\"", NULL);
    EXPECT(T("define-primary-key", "table", LOC_T, ", `primary-key-def`: {`name`: `pk`}"),
           "dms.json: rule 4 (my rule): define-primary-key needs \"primary-key-def\" with "
           "\"columns\"",
           NULL);
    EXPECT(T("rename", "table", LOC_T, ", `value`: `x`, `data-type`: {`type`: `int4`}"),
           "dms.json: rule 4 (my rule): \"data-type\" goes with add-column and change-data-type, "
           "not rename",
           NULL);
    EXPECT(T("rename", "table", LOC_T, ", `value`: `x`, `expression`: `'a'`"),
           "dms.json: rule 4 (my rule): \"expression\" goes with add-column, not rename", NULL);
    EXPECT(T("rename", "table", LOC_T, ", `value`: `x`, `primary-key-def`: {`columns`: [`a`]}"),
           "dms.json: rule 4 (my rule): \"primary-key-def\" goes with define-primary-key, not "
           "rename",
           NULL);
    EXPECT(T("change-data-type", "column", LOC_T ", `column-name`: `%`, `data-type`: `int4`",
             ", `data-type`: {`type`: `int8`}"),
           "dms.json: rule 4 (my rule): selecting columns by \"data-type\" in \"object-locator\" "
           "is not supported",
           NULL);
    EXPECT(T("rename", "table", LOC_T ", `colum-name`: `c`", ", `value`: `x`"),
           "dms.json: rule 4 (my rule): unknown key \"colum-name\" in object-locator",
           "Did you mean \"column-name\"?");
    EXPECT(T("rename", "table", LOC_T, ", `value`: `x`, `oldvalue`: `y`"),
           "dms.json: rule 4 (my rule): unknown key \"oldvalue\" in a transformation rule",
           "Did you mean \"old-value\"?");
    EXPECT(T("rename", "table", LOC_T, ", `value`: {`a`: 1}"),
           "dms.json: rule 4 (my rule): \"value\" must be a string, not an object", NULL);
    /* add-column into a pattern: mapping_check names the rule too */
    EXPECT(T("add-column", "column", LOC_T,
             ", `value`: `n%`, `expression`: `'x'`, `data-type`: {`type`: `string`}"),
           "dms.json: rule 4 (my rule): add-column needs one column name",
           "Name the new column without %.");
}

/* ---- files ---- */

static void test_file(void)
{
    char dir[] = "/tmp/sluice-mapping-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        unit_failed++;
        return;
    }
    char path[256];
    snprintf(path, sizeof path, "%s/dms.json", dir);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        unit_failed++;
        return;
    }
    char *s = doc(filters_multiple_operators);
    fputs(s, f);
    fclose(f);
    free(s);
    mapping *m = mapping_new();
    sluice_error e;
    error_init(&e);
    CHECK(mapping_from_json_file(m, path, &e) == 0);
    CHECK(m->nrules == 1);
    if (m->nrules == 1)
        CHECK_STR(m->rules[0].where, path);
    mapping_free(m);

    /* malformed: the file, line and column in the message */
    f = fopen(path, "w");
    if (f) {
        fputs("{\n  \"rules\": [\n    {\"rule-type\": \"selection\",}\n  ]\n}\n", f);
        fclose(f);
    }
    m = mapping_new();
    error_init(&e);
    CHECK(mapping_from_json_file(m, path, &e) != 0);
    char want[400];
    snprintf(want, sizeof want, "%s:3:31: not valid JSON: string or '}' expected near '}'", path);
    CHECK_STR(e.message, want);
    mapping_free(m);

    unlink(path);
    m = mapping_new();
    error_init(&e);
    CHECK(mapping_from_json_file(m, path, &e) != 0);
    snprintf(want, sizeof want, "cannot read the table mapping %s: No such file or directory",
             path);
    CHECK_STR(e.message, want);
    mapping_free(m);
    rmdir(dir);
}

/* ---- parallel-load ranges as chunk filters (range_chunks.c) ---- */

/* Loads a JSON document keeping its settings; the settings of s.t, or NULL. */
static const map_table_settings *ranges_of(const char *text, mapping **m, mapping_settings **set)
{
    char *s = doc(text);
    sluice_error e;
    error_init(&e);
    *m = mapping_new();
    *set = mapping_settings_new();
    int rc = mapping_json_load_text(*m, *set, s, strlen(s), "dms.json", &e);
    free(s);
    if (rc != 0) {
        unit_failed++;
        fprintf(stderr, "ranges_of: %s\n", e.message);
        return NULL;
    }
    return mapping_settings_for(*set, str("s"), str("t"));
}

#define RANGES_HEAD(cols)                                                                  \
    "{`rules`: [" INCLUDE_ALL ", {`rule-type`: `table-settings`, `rule-id`: `7`, "           \
    "`rule-name`: `r`, `object-locator`: {`schema-name`: `s`, `table-name`: `t`}, "           \
    "`parallel-load`: {`type`: `ranges`, `columns`: " cols ", `boundaries`: "
#define RANGES_TAIL "}}]}"
#define RANGES(cols, bounds) RANGES_HEAD(cols) bounds RANGES_TAIL

/* A segment's filters as SQL-ish text: groups AND-ed, conditions OR-ed. */
static void describe(const range_chunks *rc, uint32_t k, const sluice_table *t, char *out,
                     size_t size)
{
    static const char *const ops[] = {[SLUICE_FILTER_EQ] = "=", [SLUICE_FILTER_LE] = "<=",
                                      [SLUICE_FILTER_GT] = ">", [SLUICE_FILTER_ROW_LE] = "<=",
                                      [SLUICE_FILTER_ROW_GT] = ">"};
    size_t n = 0;
    out[0] = 0;
    const sluice_filter *f = rc->filters[k];
    for (uint32_t i = 0; i < rc->nfilters[k]; i++) {
        int first = i == 0 || f[i].group != f[i - 1].group;
        const sluice_column *c = sluice_table_column(t, f[i].column);
        n += (size_t)snprintf(out + n, size - n, "%s", first ? (i ? ") AND (" : "(") : " OR ");
        if (f[i].op >= SLUICE_FILTER_ROW_LT) { /* (a, b) op (x, y) */
            for (uint32_t k = 0; k < f[i].ncolumns; k++) {
                const sluice_column *ck = sluice_table_column(t, f[i].columns[k]);
                n += (size_t)snprintf(out + n, size - n, "%s%.*s", k ? ", " : "[",
                                      (int)ck->name.len, ck->name.ptr);
            }
            n += (size_t)snprintf(out + n, size - n, "] %s ", ops[f[i].op]);
            for (uint32_t k = 0; k < f[i].nvalues; k++)
                n += (size_t)snprintf(out + n, size - n, "%s%.*s", k ? ", " : "[",
                                      (int)f[i].values[k].len, f[i].values[k].ptr);
            n += (size_t)snprintf(out + n, size - n, "]");
            continue;
        }
        n += (size_t)snprintf(out + n, size - n, "%.*s", (int)c->name.len, c->name.ptr);
        if (f[i].op == SLUICE_FILTER_NOT_NULL)
            n += (size_t)snprintf(out + n, size - n, " IS NOT NULL");
        else if (f[i].op == SLUICE_FILTER_NULL)
            n += (size_t)snprintf(out + n, size - n, " IS NULL");
        else
            n += (size_t)snprintf(out + n, size - n, " %s %.*s", ops[f[i].op],
                                  (int)f[i].values[0].len, f[i].values[0].ptr);
    }
    snprintf(out + n, size - n, ")");
}

/* Which segments take value v (NULL: a NULL); as a bit set. */
static unsigned segments_of(const range_chunks *rc, const sluice_table *t, const char *v)
{
    sluice_value row[2] = {{.kind = SLUICE_VALUE_TEXT, .len = 1, .u.bytes = "x"}};
    row[1] = v ? (sluice_value){.kind = SLUICE_VALUE_TEXT, .len = (uint32_t)strlen(v), .u.bytes = v}
               : (sluice_value){.kind = SLUICE_VALUE_NULL};
    unsigned set = 0;
    for (uint32_t k = 0; k < rc->count; k++)
        if (filter_row(rc->filters[k], rc->nfilters[k], t, row, 0))
            set |= 1u << k;
    return set;
}

static void test_ranges(void)
{
    sluice_column cols[2] = {{.name = str("name"), .type = SLUICE_TYPE_TEXT},
                             {.name = str("id"), .type = SLUICE_TYPE_INT64}};
    sluice_table t = {.header = SLUICE_HEADER_INIT(sluice_table), .ncolumns = 2,
                      .schema = str("s"), .name = str("t"), .column_size = sizeof(sluice_column),
                      .columns = cols};
    static const struct {
        const char *bounds;
        uint32_t count;
        const char *want[4];
    } cases[] = {
        {"[[`10`]]", 2, {"(id <= 10 OR id IS NULL)", "(id > 10)"}},
        {"[[`10`], [20]]", 3, {"(id <= 10 OR id IS NULL)", "(id > 10) AND (id <= 20)",
                               "(id > 10) AND (id > 20)"}},
        {"[[`10`], [`20`], [`30`]]", 4,
         {"(id <= 10 OR id IS NULL)", "(id > 10) AND (id <= 20)",
          "(id > 10) AND (id > 20) AND (id <= 30)", "(id > 10) AND (id > 20) AND (id > 30)"}},
    };
    char buf[400], text[600];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        snprintf(text, sizeof text, "%s%s%s", RANGES_HEAD("[`id`]"), cases[c].bounds,
                 RANGES_TAIL);
        mapping *m;
        mapping_settings *set;
        const map_table_settings *ts = ranges_of(text, &m, &set);
        range_chunks rc;
        sluice_error e;
        CHECK(ts && range_chunks_build(&rc, ts, &t, NULL, 0, &e) == 0);
        if (ts && rc.count == cases[c].count) {
            for (uint32_t k = 0; k < rc.count; k++) {
                describe(&rc, k, &t, buf, sizeof buf);
                CHECK_STR(buf, cases[c].want[k]);
            }
            /* every value in exactly one segment: NULL first, a boundary in the one it ends */
            if (c == 2) {
                CHECK(segments_of(&rc, &t, NULL) == 0x1);
                CHECK(segments_of(&rc, &t, "-5") == 0x1);
                CHECK(segments_of(&rc, &t, "10") == 0x1);
                CHECK(segments_of(&rc, &t, "10.5") == 0x2);
                CHECK(segments_of(&rc, &t, "20") == 0x2);
                CHECK(segments_of(&rc, &t, "30") == 0x4);
                CHECK(segments_of(&rc, &t, "31") == 0x8);
                CHECK(segments_of(&rc, &t, "100") == 0x8); /* numerically, not as text */
            }
            range_chunks_free(&rc);
        } else {
            CHECK(!"segment count");
        }
        mapping_free(m);
        mapping_settings_free(set);
    }

    /* the plan's own filters come first; the range's groups follow theirs */
    {
        mapping *m;
        mapping_settings *set;
        const map_table_settings *ts = ranges_of(RANGES("[`id`]", "[[`5`]]"), &m, &set);
        sluice_str v = str("a");
        sluice_filter base[2] = {
            {.column = 0, .op = SLUICE_FILTER_EQ, .group = 0, .nvalues = 1, .values = &v},
            {.column = 0, .op = SLUICE_FILTER_NULL, .group = 0}};
        range_chunks rc;
        sluice_error e;
        CHECK(ts && range_chunks_build(&rc, ts, &t, base, 2, &e) == 0);
        if (ts && rc.count == 2) {
            describe(&rc, 0, &t, buf, sizeof buf);
            CHECK_STR(buf, "(name = a OR name IS NULL) AND (id <= 5 OR id IS NULL)");
            describe(&rc, 1, &t, buf, sizeof buf);
            CHECK_STR(buf, "(name = a OR name IS NULL) AND (id > 5)");
            CHECK(rc.filters[0][2].group == 1 && rc.filters[1][2].group == 1);
            range_chunks_free(&rc);
        }
        mapping_free(m);
        mapping_settings_free(set);
    }

    /* text and dates: boundaries out of order still split without loss or duplicates */
    {
        cols[1] = (sluice_column){.name = str("id"), .type = SLUICE_TYPE_DATE};
        mapping *m;
        mapping_settings *set;
        const map_table_settings *ts =
            ranges_of(RANGES("[`id`]", "[[`2024-06-30`], [`2024-01-01`]]"), &m, &set);
        range_chunks rc;
        sluice_error e;
        CHECK(ts && range_chunks_build(&rc, ts, &t, NULL, 0, &e) == 0);
        if (ts && rc.count == 3) {
            CHECK(segments_of(&rc, &t, "2023-12-31") == 0x1);
            CHECK(segments_of(&rc, &t, "2024-01-01") == 0x1);
            CHECK(segments_of(&rc, &t, "2024-06-30") == 0x1);
            CHECK(segments_of(&rc, &t, "2024-07-01") == 0x4);
            CHECK(segments_of(&rc, &t, NULL) == 0x1);
            range_chunks_free(&rc);
        }
        cols[1] = (sluice_column){.name = str("id"), .type = SLUICE_TYPE_TEXT};
        mapping_free(m);
        mapping_settings_free(set);
        ts = ranges_of(RANGES("[`id`]", "[[`b`], [`d`]]"), &m, &set);
        CHECK(ts && range_chunks_build(&rc, ts, &t, NULL, 0, &e) == 0);
        if (ts && rc.count == 3) {
            CHECK(segments_of(&rc, &t, "") == 0x1);
            CHECK(segments_of(&rc, &t, "b") == 0x1);
            CHECK(segments_of(&rc, &t, "ba") == 0x2);
            CHECK(segments_of(&rc, &t, "d") == 0x2);
            CHECK(segments_of(&rc, &t, "e") == 0x4);
            range_chunks_free(&rc);
        }
        mapping_free(m);
        mapping_settings_free(set);
    }

    /* a column the table lacks names the rule */
    {
        mapping *m;
        mapping_settings *set;
        const map_table_settings *ts = ranges_of(RANGES("[`ID`]", "[[`5`]]"), &m, &set);
        range_chunks rc;
        sluice_error e;
        error_init(&e);
        CHECK(ts && range_chunks_build(&rc, ts, &t, NULL, 0, &e) != 0);
        CHECK_STR(e.message, "dms.json: rule 7 (r): parallel-load ranges column \"ID\" is not a "
                             "column of s.t");
        mapping_free(m);
        mapping_settings_free(set);
    }

    /* kept where the settings are kept: several columns and partitions */
    static const struct {
        const char *pl;
        map_parallel_load type;
    } kept[] = {
        {"{`type`: `ranges`, `columns`: [`a`, `b`], `boundaries`: [[`1`, `x`]]}",
         MAP_PARALLEL_RANGES},
        {"{`type`: `partitions-auto`}", MAP_PARALLEL_PARTITIONS_AUTO},
        {"{`type`: `subpartitions-auto`}", MAP_PARALLEL_SUBPARTITIONS_AUTO},
        {"{`type`: `partitions-list`, `partitions`: [`p1`]}", MAP_PARALLEL_PARTITIONS_LIST},
    };
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
        snprintf(text, sizeof text,
                 RULES("{`rule-type`: `table-settings`, `rule-id`: `7`, `object-locator`: "
                       "{`schema-name`: `s`, `table-name`: `t`}, `parallel-load`: %s}"),
                 kept[i].pl);
        mapping *m;
        mapping_settings *set;
        const map_table_settings *ts = ranges_of(text, &m, &set);
        CHECK(ts && ts->parallel == kept[i].type);
        mapping_free(m);
        mapping_settings_free(set);
    }
}

/* Which segments take the row (a, b) (NULL: a NULL); as a bit set. */
static unsigned segments_of2(const range_chunks *rc, const sluice_table *t, const char *a,
                             const char *b)
{
    sluice_value row[2];
    const char *v[2] = {a, b};
    for (int i = 0; i < 2; i++)
        row[i] = v[i] ? (sluice_value){.kind = SLUICE_VALUE_TEXT, .len = (uint32_t)strlen(v[i]),
                                       .u.bytes = v[i]}
                      : (sluice_value){.kind = SLUICE_VALUE_NULL};
    unsigned set = 0;
    for (uint32_t k = 0; k < rc->count; k++)
        if (filter_row(rc->filters[k], rc->nfilters[k], t, row, 0))
            set |= 1u << k;
    return set;
}

/* Multi-column ranges: row comparisons (ABI 1.4), NULLs in the first segment. */
static void test_ranges_rows(void)
{
    sluice_column cols[2] = {{.name = str("n"), .type = SLUICE_TYPE_INT32},
                             {.name = str("r"), .type = SLUICE_TYPE_TEXT}};
    sluice_table t = {.header = SLUICE_HEADER_INIT(sluice_table), .ncolumns = 2,
                      .schema = str("s"), .name = str("t"), .column_size = sizeof(sluice_column),
                      .columns = cols};
    mapping *m;
    mapping_settings *set;
    const map_table_settings *ts =
        ranges_of(RANGES("[`n`, `r`]", "[[`1000`, `NORTH`], [3000, `WEST`]]"), &m, &set);
    range_chunks rc;
    sluice_error e;
    CHECK(ts && range_chunks_build(&rc, ts, &t, NULL, 0, &e) == 0);
    if (ts && rc.count == 3) {
        static const char *const want[] = {
            "([n, r] <= [1000, NORTH] OR n IS NULL OR r IS NULL)",
            "([n, r] > [1000, NORTH]) AND ([n, r] <= [3000, WEST]) AND (n IS NOT NULL) AND "
            "(r IS NOT NULL)",
            "([n, r] > [1000, NORTH]) AND ([n, r] > [3000, WEST]) AND (n IS NOT NULL) AND "
            "(r IS NOT NULL)"};
        char buf[400];
        for (uint32_t k = 0; k < 3; k++) {
            describe(&rc, k, &t, buf, sizeof buf);
            CHECK_STR(buf, want[k]);
        }
        CHECK(rc.row_ops == 1);
        /* lexicographic: the first column decides unless equal */
        CHECK(segments_of2(&rc, &t, "999", "ZZZ") == 0x1);
        CHECK(segments_of2(&rc, &t, "1000", "NORTH") == 0x1);
        CHECK(segments_of2(&rc, &t, "1000", "NORTHA") == 0x2);
        CHECK(segments_of2(&rc, &t, "1000", "A") == 0x1);
        CHECK(segments_of2(&rc, &t, "1001", "A") == 0x2);
        CHECK(segments_of2(&rc, &t, "3000", "WEST") == 0x2);
        CHECK(segments_of2(&rc, &t, "3000", "WESTERN") == 0x4);
        CHECK(segments_of2(&rc, &t, "20000", "A") == 0x4); /* numerically, not as text */
        /* NULLs: in segment 0 only, even where SQL's row comparison would decide before
           reaching the NULL ((2000, NULL) > (1000, 'NORTH') is true in SQL) */
        CHECK(segments_of2(&rc, &t, NULL, "A") == 0x1);
        CHECK(segments_of2(&rc, &t, "2000", NULL) == 0x1);
        CHECK(segments_of2(&rc, &t, "5000", NULL) == 0x1);
        CHECK(segments_of2(&rc, &t, NULL, NULL) == 0x1);
        range_chunks_free(&rc);
    } else {
        CHECK(!"segment count");
    }
    mapping_free(m);
    mapping_settings_free(set);

    /* boundaries out of order: still every row exactly once */
    ts = ranges_of(RANGES("[`n`, `r`]", "[[`5`, `m`], [`1`, `z`]]"), &m, &set);
    CHECK(ts && range_chunks_build(&rc, ts, &t, NULL, 0, &e) == 0);
    if (ts && rc.count == 3) {
        static const char *const rows[][2] = {{"0", "a"}, {"1", "z"}, {"1", "zz"}, {"5", "m"},
                                              {"5", "n"}, {"9", "a"}, {NULL, "a"}};
        for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
            unsigned got = segments_of2(&rc, &t, rows[i][0], rows[i][1]);
            CHECK(got == 0x1 || got == 0x2 || got == 0x4);
        }
        CHECK(segments_of2(&rc, &t, "5", "n") == 0x4);
        range_chunks_free(&rc);
    }
    mapping_free(m);
    mapping_settings_free(set);

    /* a missing second column names the rule */
    ts = ranges_of(RANGES("[`n`, `R`]", "[[`1`, `x`]]"), &m, &set);
    error_init(&e);
    CHECK(ts && range_chunks_build(&rc, ts, &t, NULL, 0, &e) != 0);
    CHECK_STR(e.message, "dms.json: rule 7 (r): parallel-load ranges column \"R\" is not a "
                         "column of s.t");
    mapping_free(m);
    mapping_settings_free(set);
}

/* The row-comparison evaluator (filter_eval.c) alone: SQL's semantics, exact numbers. */
static void test_row_eval(void)
{
    sluice_column cols[3] = {{.name = str("a"), .type = SLUICE_TYPE_DECIMAL},
                             {.name = str("b"), .type = SLUICE_TYPE_INT64},
                             {.name = str("c"), .type = SLUICE_TYPE_TEXT, .flags = 0}};
    sluice_table t = {.header = SLUICE_HEADER_INIT(sluice_table), .ncolumns = 3,
                      .schema = str("s"), .name = str("t"), .column_size = sizeof(sluice_column),
                      .columns = cols};
    uint32_t idx[3] = {0, 1, 2};
    sluice_str v[3] = {str("10.50"), str("7"), str("m")};
    sluice_filter f = {.column = 0, .op = SLUICE_FILTER_ROW_LT, .nvalues = 3, .values = v,
                       .ncolumns = 3, .columns = idx};
#define ROW(x, y, z)                                                                          \
    (sluice_value[3]){x ? (sluice_value){.kind = SLUICE_VALUE_TEXT, .len = (uint32_t)strlen(x),  \
                                         .u.bytes = x}                                        \
                        : (sluice_value){.kind = SLUICE_VALUE_NULL},                          \
                      y ? (sluice_value){.kind = SLUICE_VALUE_INT, .u.i = atoll(y)}            \
                        : (sluice_value){.kind = SLUICE_VALUE_NULL},                          \
                      z ? (sluice_value){.kind = SLUICE_VALUE_TEXT, .len = (uint32_t)strlen(z),  \
                                         .u.bytes = z}                                        \
                        : (sluice_value){.kind = SLUICE_VALUE_NULL}}
    static const struct {
        const char *a, *b, *c;
        int lt, le, gt, ge;
    } cases[] = {
        {"10.5", "7", "m", 0, 1, 0, 1},            /* equal: 10.5 = 10.50 exactly */
        {"10.49999999999999999999", "99", "z", 1, 1, 0, 0},
        {"10.500000000000000000001", "0", "a", 0, 0, 1, 1},
        {"10.5", "6", "z", 1, 1, 0, 0},
        {"10.5", "7", "l", 1, 1, 0, 0},
        {"10.5", "7", "mm", 0, 0, 1, 1},
        {"9", NULL, "m", 1, 1, 0, 0},             /* decided before the NULL: as SQL */
        {"10.5", NULL, "m", 0, 0, 0, 0},          /* the NULL decides: unknown, fails */
        {NULL, "7", "m", 0, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sluice_value *row = ROW(cases[i].a, cases[i].b, cases[i].c);
        int got[4];
        for (uint32_t op = SLUICE_FILTER_ROW_LT; op <= SLUICE_FILTER_ROW_GE; op++) {
            f.op = op;
            got[op - SLUICE_FILTER_ROW_LT] = filter_row(&f, 1, &t, row, 0);
        }
        if (got[0] != cases[i].lt || got[1] != cases[i].le || got[2] != cases[i].gt ||
            got[3] != cases[i].ge) {
            unit_failed++;
            fprintf(stderr, "row case %zu: got %d %d %d %d\n", i, got[0], got[1], got[2],
                    got[3]);
        }
    }
    /* a column the source did not send cannot be judged when it is reached: the group
       passes; one after the deciding column is never looked at */
    sluice_value *row = ROW("10.5", "7", "m");
    row[2] = (sluice_value){.kind = SLUICE_VALUE_UNCHANGED};
    f.op = SLUICE_FILTER_ROW_GT;
    CHECK(filter_row(&f, 1, &t, row, 0) == 1);
    row = ROW("1", "7", "m");
    row[2] = (sluice_value){.kind = SLUICE_VALUE_UNCHANGED};
    CHECK(filter_row(&f, 1, &t, row, 0) == 0);
    /* keys_only (a delete's old key): a non-key column cannot be judged either */
    row = ROW("1", "7", "m");
    CHECK(filter_row(&f, 1, &t, row, 0) == 0);
    CHECK(filter_row(&f, 1, &t, row, 1) == 1);
#undef ROW
}

/* ---- parallel-load by partitions (partition_chunks.c) ---- */

static const map_table_settings *settings_of(const char *pl, mapping **m, mapping_settings **set)
{
    char text[600];
    snprintf(text, sizeof text,
             RULES("{`rule-type`: `table-settings`, `rule-id`: `9`, `rule-name`: `p`, "
                   "`object-locator`: {`schema-name`: `s`, `table-name`: `t`}, "
                   "`parallel-load`: %s}"),
             pl);
    return ranges_of(text, m, set);
}

/* Chunk k's partitions as "a+b". */
static void chunk_names(const partition_chunks *pc, uint32_t k, char *out, size_t size)
{
    size_t n = 0;
    out[0] = 0;
    for (uint32_t i = 0; i < pc->npartitions[k]; i++)
        n += (size_t)snprintf(out + n, size - n, "%s%.*s", i ? "+" : "",
                              (int)pc->partitions[k][i].len, pc->partitions[k][i].ptr);
}

static void check_chunks(int at, const char *pl, const sluice_partition_list *l, const char *want)
{
    int before = unit_failed;
    mapping *m;
    mapping_settings *set;
    const map_table_settings *ts = settings_of(pl, &m, &set);
    sluice_table t = {.header = SLUICE_HEADER_INIT(sluice_table), .schema = str("s"),
                      .name = str("t")};
    partition_chunks pc;
    sluice_error e;
    error_init(&e);
    int rc = ts ? partition_chunks_build(&pc, ts, l, &t, &e) : -1;
    char got[3000] = "", one[200];
    if (rc == 0) {
        size_t n = 0;
        for (uint32_t k = 0; k < pc.count; k++) {
            chunk_names(&pc, k, one, sizeof one);
            n += (size_t)snprintf(got + n, sizeof got - n, "%s%s", k ? " | " : "", one);
        }
        partition_chunks_free(&pc);
    } else {
        snprintf(got, sizeof got, "error: %s / %s", e.message, e.detail);
    }
    CHECK_STR(got, want);
    mapping_free(m);
    mapping_settings_free(set);
    if (unit_failed != before)
        fprintf(stderr, "  (chunks checked at line %d)\n", at);
}
#define CHUNKS(pl, l, want) check_chunks(__LINE__, pl, l, want)

static void test_partitions(void)
{
    /* t: p2023 (leaf), p2024 (sub-partitioned: p2024_h1, p2024_h2), pdef (default), and
       other.pext in another schema */
    sluice_partition_list l = {0};
    static const char *const parts[][3] = {
        {"p2023", "", "1"},          {"p2024", "", "0"},         {"pdef", "", "1"},
        {"other.pext", "", "1"},     {"p2024_h1", "p2024", "1"}, {"p2024_h2", "p2024", "1"},
    };
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        CHECK(partition_list_add(&l, str(parts[i][0]), str(parts[i][1]),
                                 parts[i][2][0] == '1' ? SLUICE_PARTITION_LEAF : 0) == 0);
    CHUNKS("{`type`: `partitions-auto`}", &l, "p2023 | pdef | other.pext | p2024_h1 | p2024_h2");
    CHUNKS("{`type`: `subpartitions-auto`}", &l,
           "p2023 | pdef | other.pext | p2024_h1 | p2024_h2");
    /* named ones each a chunk (a sub-partitioned one whole), the rest one more */
    CHUNKS("{`type`: `partitions-list`, `partitions`: [`p2024`, `pdef`]}", &l,
           "p2024 | pdef | p2023+other.pext");
    CHUNKS("{`type`: `partitions-list`, `partitions`: [`p2023`], `subpartitions`: [`p2024_h2`]}",
           &l, "p2023 | p2024_h2 | pdef+other.pext+p2024_h1");
    /* every leaf named: no rest chunk */
    CHUNKS("{`type`: `partitions-list`, `partitions`: [`p2023`, `p2024`, `pdef`, `other.pext`]}",
           &l, "p2023 | p2024 | pdef | other.pext");
    CHUNKS("{`type`: `partitions-list`, `partitions`: [`p9`]}", &l,
           "error: dms.json: rule 9 (p): parallel-load partitions-list: \"p9\" is not a "
           "partition of s.t / Its partitions are \"p2023\", \"p2024\", \"pdef\", "
           "\"other.pext\", \"p2024_h1\", \"p2024_h2\".");
    CHUNKS("{`type`: `partitions-list`, `partitions`: [`P2023`]}", &l,
           "error: dms.json: rule 9 (p): parallel-load partitions-list: \"P2023\" is not a "
           "partition of s.t / Its partitions are \"p2023\", \"p2024\", \"pdef\", "
           "\"other.pext\", \"p2024_h1\", \"p2024_h2\".");
    CHUNKS("{`type`: `partitions-list`, `partitions`: [`p2024`], `subpartitions`: [`p2024_h1`]}",
           &l, "error: dms.json: rule 9 (p): parallel-load partitions-list names \"p2024_h1\" "
               "and \"p2024\", which overlap / One is a sub-partition of the other (or they are "
               "the same), so its rows would load twice.");
    CHUNKS("{`type`: `partitions-list`, `partitions`: [`pdef`, `pdef`]}", &l,
           "error: dms.json: rule 9 (p): parallel-load partitions-list names \"pdef\" and "
           "\"pdef\", which overlap / One is a sub-partition of the other (or they are the "
           "same), so its rows would load twice.");
    partition_list_free(&l);

    /* a table that is not partitioned: auto loads it whole, a list cannot be honoured */
    sluice_partition_list none = {0};
    CHUNKS("{`type`: `partitions-auto`}", &none, "");
    CHUNKS("{`type`: `partitions-list`, `partitions`: [`p1`]}", &none,
           "error: dms.json: rule 9 (p): parallel-load partitions-list: \"p1\" is not a "
           "partition of s.t / The table is not partitioned.");
}

/*
 * The parallel-load examples of the DMS documentation, as printed there:
 * https://docs.aws.amazon.com/dms/latest/userguide/
 *   CHAP_Tasks.CustomizingTasks.TableMapping.SelectionTransformation.Tablesettings.html
 * (section "Using parallel load for selected tables, views, and collections").
 */
#define DMS_SELECT_ALL                                                                     \
    "{`rule-type`: `selection`, `rule-id`: `1`, `rule-name`: `1`, `object-locator`: "      \
    "{`schema-name`: `%`, `table-name`: `%`}, `rule-action`: `include`}"
#define DMS_SETTINGS(pl)                                                                   \
    "{`rules`: [" DMS_SELECT_ALL ", {`rule-type`: `table-settings`, `rule-id`: `2`, "      \
    "`rule-name`: `2`, `object-locator`: {`schema-name`: `Sales`, "                        \
    "`table-name`: `SALES_TBL`}, `parallel-load`: " pl "}]}"
static const char pl_partitions_auto[] = DMS_SETTINGS("{`type`: `partitions-auto`}");
static const char pl_subpartitions_auto[] = DMS_SETTINGS("{`type`: `subpartitions-auto`}");
static const char pl_partitions_list[] =
    DMS_SETTINGS("{`type`: `partitions-list`, `partitions`: [`ABCD`, `EFGH`]}");
static const char pl_partitions_subpartitions_list[] = DMS_SETTINGS(
    "{`type`: `partitions-list`, `partitions`: [`ABCD`, `EFGH`], "
    "`subpartitions`: [`abcd`, `efgh`]}");
static const char pl_ranges[] = DMS_SETTINGS(
    "{`type`: `ranges`, `columns`: [`SALES_NO`, `REGION`], "
    "`boundaries`: [[`1000`, `NORTH`], [`3000`, `WEST`]]}");

static const map_table_settings *dms_settings(const char *text, mapping **m,
                                              mapping_settings **set)
{
    char *s = doc(text);
    sluice_error e;
    error_init(&e);
    *m = mapping_new();
    *set = mapping_settings_new();
    int rc = mapping_json_load_text(*m, *set, s, strlen(s), "dms.json", &e);
    free(s);
    if (rc != 0) {
        unit_failed++;
        fprintf(stderr, "dms_settings: %s\n", e.message);
        return NULL;
    }
    return mapping_settings_for(*set, str("Sales"), str("SALES_TBL"));
}

static void test_settings_docs(void)
{
    mapping *m;
    mapping_settings *set;
    const map_table_settings *ts = dms_settings(pl_partitions_auto, &m, &set);
    CHECK(ts && ts->parallel == MAP_PARALLEL_PARTITIONS_AUTO && m->nrules == 1);
    mapping_free(m);
    mapping_settings_free(set);
    ts = dms_settings(pl_subpartitions_auto, &m, &set);
    CHECK(ts && ts->parallel == MAP_PARALLEL_SUBPARTITIONS_AUTO);
    mapping_free(m);
    mapping_settings_free(set);
    ts = dms_settings(pl_partitions_list, &m, &set);
    CHECK(ts && ts->parallel == MAP_PARALLEL_PARTITIONS_LIST && ts->npartitions == 2);
    if (ts && ts->npartitions == 2) {
        CHECK_STR(ts->partitions[0], "ABCD");
        CHECK_STR(ts->partitions[1], "EFGH");
    }
    mapping_free(m);
    mapping_settings_free(set);
    ts = dms_settings(pl_partitions_subpartitions_list, &m, &set);
    CHECK(ts && ts->npartitions == 2 && ts->nsubpartitions == 2);
    mapping_free(m);
    mapping_settings_free(set);
    ts = dms_settings(pl_ranges, &m, &set);
    CHECK(ts && ts->parallel == MAP_PARALLEL_RANGES && ts->ncolumns == 2 && ts->nboundaries == 2);
    if (ts && ts->ncolumns == 2 && ts->nboundaries == 2) {
        CHECK_STR(ts->columns[1], "REGION");
        CHECK_STR(ts->boundaries[2], "3000"); /* row-major: row 1, column 0 */
        CHECK_STR(ts->boundaries[3], "WEST");
    }
    mapping_free(m);
    mapping_settings_free(set);

    /* where nobody keeps the settings (mapping_from_json_*), each is refused naming the rule */
    const char *all[] = {pl_partitions_auto, pl_subpartitions_auto, pl_partitions_list,
                         pl_partitions_subpartitions_list, pl_ranges};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        EXPECT(all[i], "dms.json: rule 2: table-settings are not supported yet", NULL);
}

static const struct {
    const char *name;
    void (*run)(void);
} groups[] = {
    {"selection", test_selection}, {"transformation", test_transformation},
    {"types", test_types},         {"settings", test_settings},
    {"ranges", test_ranges},       {"ranges_rows", test_ranges_rows},
    {"row_eval", test_row_eval},   {"partitions", test_partitions},
    {"settings_docs", test_settings_docs},
    {"docs", test_docs},           {"errors", test_errors},
    {"file", test_file},
};

int main(int argc, char **argv)
{
    int ran = 0;
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        if (argc > 1 && strcmp(argv[1], groups[g].name) != 0)
            continue;
        ran++;
        groups[g].run();
    }
    if (!ran) {
        fprintf(stderr, "unknown group \"%s\"\n", argv[1]);
        return 2;
    }
    return unit_done();
}
