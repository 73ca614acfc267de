/*
 * Mapping rules written in a pipeline file (mapping_lua.c): every rule-action
 * in its Lua spelling, each loaded through config_load and compiled into a
 * plan for one source table, whose target is compared with what the rule
 * says; and the exact errors, with the rule's line.
 *
 *   mapping_lua_test actions|errors
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "host.h"
#include "mapping.h"
#include "mapping_plan.h"
#include "report.h"

#include "../unit.h"

#define S(lit) ((sluice_str){lit, sizeof(lit) - 1})
#define HEAD "return { mode = \"full-load\", source = { plugin = \"s\" }, target = { plugin = \"t\" },\n"

static pipeline_config *load(const char *text, sluice_error *err)
{
    FILE *f = fopen("pipeline.lua", "w");
    if (!f) {
        fprintf(stderr, "cannot write pipeline.lua: %s\n", strerror(errno));
        exit(2);
    }
    fputs(text, f);
    fclose(f);
    error_init(err);
    return config_load("pipeline.lua", err);
}

/* sales.Orders: Id (key), Region, amount numeric(12,2), secret, old_col */
static sluice_table *orders(sluice_catalog *cat)
{
    const sluice_host *h = host_api();
    sluice_table *t = h->table_add(cat, S("sales"), S("Orders"), 5);
    h->column_set(t, 0, S("Id"), S("integer"), SLUICE_TYPE_INT32, SLUICE_COLUMN_KEY);
    h->column_set(t, 1, S("Region"), S("varchar(8)"), SLUICE_TYPE_TEXT, SLUICE_COLUMN_NULLABLE);
    ((sluice_column *)sluice_table_column(t, 1))->precision = 8; /* a length limit: not a LOB */
    h->column_set(t, 2, S("amount"), S("numeric(12,2)"), SLUICE_TYPE_DECIMAL,
                  SLUICE_COLUMN_NULLABLE);
    h->column_set(t, 3, S("secret"), S("text"), SLUICE_TYPE_TEXT, SLUICE_COLUMN_NULLABLE);
    h->column_set(t, 4, S("old_col"), S("text"), SLUICE_TYPE_TEXT, SLUICE_COLUMN_NULLABLE);
    return t;
}

/* "schema.table: col type, ..." with * after key columns. */
static void describe(const sluice_table *t, char *out, size_t size)
{
    int n = snprintf(out, size, "%.*s.%.*s:", (int)t->schema.len, t->schema.ptr,
                     (int)t->name.len, t->name.ptr);
    for (uint32_t i = 0; i < t->ncolumns && n > 0 && (size_t)n < size; i++) {
        const sluice_column *c = sluice_table_column(t, i);
        n += snprintf(out + n, size - (size_t)n, "%s %.*s%s %.*s", i ? "," : "",
                      (int)c->name.len, c->name.ptr, (c->flags & SLUICE_COLUMN_KEY) ? "*" : "",
                      (int)c->source_type.len, c->source_type.ptr);
    }
}

/* Loads rules (the inside of mappings = { ... }) and checks the plan of
   sales.Orders; NULL expected: the table is not selected. */
#define PLAN(rules, expected) check_plan(__LINE__, rules, expected)
static void check_plan(int at, const char *rules, const char *expected)
{
    char text[4096], got[1024] = "(not selected)";
    snprintf(text, sizeof text, HEAD "  mappings = {\n%s\n  },\n}\n", rules);
    sluice_error err;
    pipeline_config *cfg = load(text, &err);
    if (!cfg || !cfg->mapping) {
        unit_failed++;
        fprintf(stderr, "line %d: %s\n  detail: %s\n  hint: %s\n", at, err.message, err.detail,
                err.hint);
        config_free(cfg);
        return;
    }
    sluice_catalog *src = catalog_new(), *out = catalog_new();
    sluice_table *t = orders(src);
    table_plan *p = NULL;
    if (!mapping_selects(cfg->mapping, t->schema, t->name))
        ; /* got stays "(not selected)" */
    else if (table_plan_build(cfg->mapping, out, t, &p, &err) != 0)
        snprintf(got, sizeof got, "error: %s", err.message);
    else if (p)
        describe(p->target, got, sizeof got);
    if (strcmp(got, expected ? expected : "(not selected)") != 0) {
        unit_failed++;
        fprintf(stderr, "line %d:\n  got:      %s\n  expected: %s\n", at, got,
                expected ? expected : "(not selected)");
    } else {
        unit_passed++;
    }
    table_plan_free(p);
    catalog_free(src);
    catalog_free(out);
    config_free(cfg);
}

#define ALL "Id* integer, Region varchar(8), amount numeric(12,2), secret text, old_col text"

static void test_actions(void)
{
    /* selection: include, exclude, explicit; the last matching rule decides */
    PLAN("{ rule = \"include\", schema = \"sales\", table = \"O%\" }", "sales.Orders: " ALL);
    PLAN("{ rule = \"include\", schema = \"sales\" },\n"
         "{ rule = \"exclude\", schema = \"sal_s\", table = \"%ders\" }",
         NULL);
    PLAN("{ rule = \"exclude\", schema = \"%\" },\n"
         "{ rule = \"explicit\", schema = \"sales\", table = \"Orders\" }",
         "sales.Orders: " ALL);
    PLAN("{ rule = \"include\", schema = \"hr\" }", NULL);

    /* rename, on each target */
    PLAN("{ rule = \"rename\", target = \"schema\", schema = \"sales\", value = \"shop\" }",
         "shop.Orders: " ALL);
    PLAN("{ rule = \"rename\", schema = \"sales\", table = \"Orders\", value = \"orders_v2\" }",
         "sales.orders_v2: " ALL);
    PLAN("{ rule = \"rename\", schema = \"sales\", table = \"Orders\", column = \"old_col\","
         " value = \"legacy\" }",
         "sales.Orders: Id* integer, Region varchar(8), amount numeric(12,2), secret text, "
         "legacy text");

    /* case */
    PLAN("{ rule = \"convert-lowercase\", target = \"table\", schema = \"%\", table = \"%\" },\n"
         "{ rule = \"convert-uppercase\", target = \"schema\", schema = \"%\" }",
         "SALES.orders: " ALL);
    PLAN("{ rule = \"convert-uppercase\", target = \"column\", schema = \"%\", table = \"%\","
         " column = \"%\" }",
         "sales.Orders: ID* integer, REGION varchar(8), AMOUNT numeric(12,2), SECRET text, "
         "OLD_COL text");
    PLAN("{ rule = \"convert-lowercase\", target = \"column\", schema = \"%\", table = \"%\","
         " column = \"R%\" }",
         "sales.Orders: Id* integer, region varchar(8), amount numeric(12,2), secret text, "
         "old_col text");

    /* prefixes and suffixes, on each target */
    PLAN("{ rule = \"add-prefix\", target = \"table\", schema = \"sales\", table = \"%\","
         " value = \"t_\" },\n"
         "{ rule = \"add-suffix\", target = \"schema\", schema = \"sales\", value = \"_v2\" }",
         "sales_v2.t_Orders: " ALL);
    PLAN("{ rule = \"remove-prefix\", target = \"table\", schema = \"sales\", table = \"%\","
         " value = \"Or\" },\n"
         "{ rule = \"remove-suffix\", target = \"schema\", schema = \"sales\", value = \"es\" }",
         "sal.ders: " ALL);
    PLAN("{ rule = \"replace-prefix\", target = \"column\", schema = \"sales\", table = \"%\","
         " column = \"%\", old_value = \"old_\", value = \"new_\" },\n"
         "{ rule = \"replace-suffix\", target = \"column\", schema = \"sales\", table = \"%\","
         " column = \"%\", old_value = \"ret\", value = \"_key\" },\n"
         "{ rule = \"add-suffix\", target = \"column\", schema = \"sales\", table = \"%\","
         " column = \"amount\", value = \"_usd\" },\n"
         "{ rule = \"remove-prefix\", target = \"column\", schema = \"sales\", table = \"%\","
         " column = \"%\", value = \"Reg\" },\n"
         "{ rule = \"remove-suffix\", target = \"column\", schema = \"sales\", table = \"%\","
         " column = \"I%\", value = \"d\" }",
         "sales.Orders: I* integer, ion varchar(8), amount_usd numeric(12,2), sec_key text, "
         "new_col text");
    /* a prefix that is not there: the name stays */
    PLAN("{ rule = \"remove-prefix\", target = \"table\", schema = \"sales\", table = \"%\","
         " value = \"xyz\" }",
         "sales.Orders: " ALL);

    /* columns: remove, include only, add, change type, key */
    PLAN("{ rule = \"remove-column\", schema = \"sales\", table = \"Orders\", column = \"s%\" }",
         "sales.Orders: Id* integer, Region varchar(8), amount numeric(12,2), old_col text");
    PLAN("{ rule = \"include-column\", schema = \"sales\", table = \"Orders\", column = \"Id\" },\n"
         "{ rule = \"include-column\", schema = \"sales\", table = \"Orders\", column = \"am%\" }",
         "sales.Orders: Id* integer, amount numeric(12,2)");
    PLAN("{ rule = \"add-column\", schema = \"sales\", table = \"Orders\", column = \"origin\","
         " data_type = \"text\", value = \"legacy\" },\n"
         "{ rule = \"add-column\", schema = \"sales\", table = \"Orders\", column = \"op\","
         " data_type = \"varchar(10)\", expression = \"$AR_H_OPERATION\" },\n"
         "{ rule = \"add-column\", schema = \"sales\", table = \"Orders\", column = \"label\","
         " data_type = \"text\", fn = function(t) return function(row) return 'x' end end }",
         "sales.Orders: " ALL ", origin text, op varchar(10), label text");
    PLAN("{ rule = \"change-data-type\", schema = \"sales\", table = \"Orders\","
         " column = \"amount\", data_type = \"numeric(20,4)\" },\n"
         "{ rule = \"change-data-type\", schema = \"sales\", table = \"Orders\","
         " column = \"Region\", data_type = \"text\" }",
         "sales.Orders: Id* integer, Region text, amount numeric(20,4), secret text, old_col "
         "text");
    PLAN("{ rule = \"define-primary-key\", schema = \"sales\", table = \"Orders\","
         " columns = { \"Region\", \"amount\" } }",
         "sales.Orders: Id integer, Region* varchar(8), amount* numeric(12,2), secret text, "
         "old_col text");

    /* before images: the default (key columns, BI_), and a filter with prefix and suffix */
    PLAN("{ rule = \"add-before-image-columns\", schema = \"sales\", table = \"Orders\" }",
         "sales.Orders: " ALL ", BI_Id integer");
    PLAN("{ rule = \"add-before-image-columns\", schema = \"sales\", column = \"%o%\","
         " prefix = \"was_\", suffix = \"_0\", filter = \"all\" }",
         "sales.Orders: " ALL ", was_Region_0 varchar(8), was_amount_0 numeric(12,2), "
         "was_old_col_0 text");
    PLAN("{ rule = \"add-before-image-columns\", schema = \"sales\", filter = \"non-lob\" }",
         "sales.Orders: " ALL ", BI_Id integer, BI_Region varchar(8), BI_amount numeric(12,2)");

    /* data masking keeps the shape; what it refuses is named when the plan is made */
    PLAN("{ rule = \"data-masking-digits-mask\", schema = \"sales\", table = \"Orders\","
         " column = \"secret\", value = \"#\" },\n"
         "{ rule = \"data-masking-digits-randomize\", schema = \"sales\", table = \"Orders\","
         " column = \"amount\" },\n"
         "{ rule = \"data-masking-hash-mask\", schema = \"sales\", table = \"Orders\","
         " column = \"old_col\" }",
         "sales.Orders: " ALL);
    PLAN("{ rule = \"data-masking-hash-mask\", schema = \"sales\", table = \"Orders\","
         " column = \"Region\" }",
         "error: pipeline.lua:3: rule mappings[1] on table \"sales.Orders\": "
         "data-masking-hash-mask cannot mask column \"Region\" of type varchar(8): the hash "
         "has 64 characters, more than the 8 the column holds");

    /* a row function keeps the shape; the plan runs it */
    PLAN("{ rule = \"row-function\", schema = \"sales\", table = \"%\","
         " fn = function(t) return function(row) end end }",
         "sales.Orders: " ALL);
}

#define EXPECT(text, msg, hint) expect_error(__LINE__, text, msg, hint)
static void expect_error(int at, const char *rules, const char *msg, const char *hint)
{
    char text[4096];
    snprintf(text, sizeof text, HEAD "  mappings = {\n%s\n  },\n}\n", rules);
    sluice_error err;
    pipeline_config *cfg = load(text, &err);
    int before = unit_failed;
    CHECK(cfg == NULL);
    config_free(cfg);
    CHECK_STR(err.message, msg);
    if (hint)
        CHECK_STR(err.hint, hint);
    if (unit_failed != before)
        fprintf(stderr, "  (in the case at line %d)\n", at);
}

static void test_errors(void)
{
    EXPECT("{ rule = \"include\", schema = \"s\" },\n"
           "{ rule = \"add-before-image-columns\", schema = \"s\", filter = \"lob\" }",
           "pipeline.lua:4: rule mappings[2]: unknown filter \"lob\"",
           "Filters are pk-only (the default), non-lob and all.");
    EXPECT("{ rule = \"add-before-image-columns\", table = \"t\" }",
           "pipeline.lua:3: rule mappings[1]: a \"add-before-image-columns\" rule needs schema", NULL);
    EXPECT("{ rule = \"add-before-image-columns\", schema = \"s\", value = \"x\" }",
           "pipeline.lua:3: rule mappings[1]: unknown key \"value\" in a \"add-before-image-columns\" "
           "rule",
           NULL);
    EXPECT("{ rule = \"add-column\", schema = \"s\", table = \"t\", column = \"c\","
           " data_type = \"text\", fn = 42 }",
           "pipeline.lua:3: rule mappings[1]: \"fn\" must be a function, not number", NULL);
    EXPECT("{ rule = \"rename\", schema = \"s\", table = \"t\", value = \"u\","
           " fn = function() end }",
           "pipeline.lua:3: rule mappings[1]: \"fn\" goes with add-column and row-function",
           "Use a row-function rule to run Lua on rows.");
    EXPECT("\n{ rule = \"add-column\", schema = \"s\", table = \"t\", column = \"c\","
           " data_type = \"text\", value = \"v\", fn = function(t) end }",
           "pipeline.lua:4: rule mappings[1]: add-column needs fn alone",
           "The function's result is the value: leave value and expression out.");
    EXPECT("{ rule = \"data-masking-digits-mask\", schema = \"s\", table = \"t\", column = \"c\" }",
           "pipeline.lua:3: rule mappings[1]: data-masking-digits-mask needs a value (the masking "
           "character)",
           "Give one printable ASCII character: value = \"#\".");
    EXPECT("{ rule = \"data-masking-digits-mask\", schema = \"s\", table = \"t\", column = \"c\","
           " value = \"ab\" }",
           "pipeline.lua:3: rule mappings[1]: data-masking-digits-mask: the masking character "
           "must be one printable ASCII character, not \"ab\"",
           NULL);
    EXPECT("{ rule = \"data-masking-hash-mask\", schema = \"s\", table = \"t\" }",
           "pipeline.lua:3: rule mappings[1]: data-masking-hash-mask needs a column",
           "Name the column (a pattern): column = \"%\".");
    EXPECT("{ rule = \"data-masking-digits-randomize\", target = \"table\", schema = \"s\","
           " table = \"t\", column = \"c\" }",
           "pipeline.lua:3: rule mappings[1]: data-masking-digits-randomize applies to columns, "
           "not to a table",
           "Set target = \"column\" (rule-target \"column\").");
    EXPECT("{ rule = \"uppercase\", schema = \"s\" }",
           "pipeline.lua:3: rule mappings[1]: unknown rule \"uppercase\"", NULL);
    EXPECT("{ rule = \"replace-prefix\", target = \"table\", schema = \"s\", value = \"x\" }",
           "pipeline.lua:3: rule mappings[1]: replace-prefix needs value and old_value",
           "old_value is replaced by value.");
}

static const struct {
    const char *name;
    void (*run)(void);
} groups[] = {{"actions", test_actions}, {"errors", test_errors}};

int main(int argc, char **argv)
{
    char dir[] = "/tmp/sluice-mapping-lua-XXXXXX";
    if (!mkdtemp(dir) || chdir(dir) != 0) {
        perror("temporary folder");
        return 2;
    }
    int ran = 0;
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++)
        if (argc < 2 || strcmp(argv[1], groups[g].name) == 0)
            groups[g].run(), ran++;
    unlink("pipeline.lua");
    if (chdir("/") != 0 || rmdir(dir) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    if (!ran) {
        fprintf(stderr, "unknown group \"%s\"\n", argv[1]);
        return 2;
    }
    return unit_done();
}
