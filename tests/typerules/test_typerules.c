/*
 * Type rules: the shipped modules entry by entry, the value policies on their
 * edge values (with the exact row errors), time zones across daylight-saving
 * changes, pipeline overrides, and rule files that try to escape the sandbox.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain.h"
#include "config.h"
#include "host.h"
#include "mapping.h"
#include "mapping_plan.h"
#include "plan_exec.h"
#include "report.h"
#include "type_rules.h"

#include <lauxlib.h>

#include "../unit.h"

static type_rules *mysql, *mongo, *pg;

static type_rules *load(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.lua", TYPES_DIR, name);
    sluice_error err;
    error_init(&err);
    type_rules *rs = type_rules_load_file(path, &err);
    if (!rs)
        fprintf(stderr, "%s: %s\n", path, err.message);
    CHECK(rs != NULL);
    return rs;
}

/* One column of type `type` planned with rs: the target type name, or the plan error. */
typedef struct outcome {
    char type[128];
    char error[1024];
    uint32_t canonical, element;
    int32_t precision, scale;
    int untouched;
    char value[512]; /* the value after plan_event; "NULL"; or the row error */
} outcome;

static outcome run(const type_rules *rs, const char *type, const char *value, int is_int,
                   int64_t i, mapping *m)
{
    outcome o;
    memset(&o, 0, sizeof o);
    const sluice_host *h = host_api();
    sluice_catalog *src = catalog_new(), *out = catalog_new();
    sluice_table *t = h->table_add(src, (sluice_str){"shop", 4}, (sluice_str){"t", 1}, 1);
    h->column_set(t, 0, (sluice_str){"c", 1}, (sluice_str){type, strlen(type)},
                  SLUICE_TYPE_SOURCE_NATIVE, SLUICE_COLUMN_NULLABLE);
    int own = !m;
    if (own)
        m = mapping_new();
    m->types = rs;
    table_plan *p = NULL;
    sluice_error err;
    error_init(&err);
    if (table_plan_build(m, out, t, &p, &err) != 0) {
        snprintf(o.error, sizeof o.error, "%s", err.message);
    } else {
        const sluice_column *c = sluice_table_column(p->target, 0);
        snprintf(o.type, sizeof o.type, "%.*s", (int)c->source_type.len, c->source_type.ptr);
        o.canonical = c->type;
        o.element = c->element_type;
        o.precision = c->precision;
        o.scale = c->scale;
        o.untouched = p->values_untouched && p->passthrough;
        sluice_batch *b = batch_new(SLUICE_BATCH_SNAPSHOT, 4, 1 << 16);
        sluice_event *e = h->emit(b, SLUICE_OP_INSERT, t, 0);
        if (is_int)
            e->new_row[0] = (sluice_value){.kind = SLUICE_VALUE_INT, .u.i = i};
        else if (value)
            h->set_text(b, &e->new_row[0], value, strlen(value));
        error_init(&err);
        plan_meta meta = {.snapshot = 1, .error = &err};
        if (plan_event(p, b, e, &meta) != 0)
            snprintf(o.value, sizeof o.value, "%s", err.message);
        else if (e->new_row[0].kind == SLUICE_VALUE_NULL)
            snprintf(o.value, sizeof o.value, "NULL");
        else if (e->new_row[0].kind == SLUICE_VALUE_INT)
            snprintf(o.value, sizeof o.value, "%lld", (long long)e->new_row[0].u.i);
        else
            snprintf(o.value, sizeof o.value, "%.*s", (int)e->new_row[0].len,
                     e->new_row[0].u.bytes);
        batch_free(b);
    }
    table_plan_free(p);
    if (own)
        mapping_free(m);
    catalog_free(src);
    catalog_free(out);
    return o;
}

static outcome text_value(const type_rules *rs, const char *type, const char *value)
{
    return run(rs, type, value, 0, 0, NULL);
}

#define TYPE_IS(rs, source, target)                                                \
    do {                                                                           \
        outcome o_ = text_value(rs, source, "x");                                  \
        if (o_.error[0])                                                           \
            fprintf(stderr, "%s: %s\n", source, o_.error);                         \
        CHECK_STR(o_.type, target);                                                \
    } while (0)

#define VALUE_IS(rs, source, in, expected) CHECK_STR(text_value(rs, source, in).value, expected)

/* ---- every entry of mysql_to_pg, and mongo_to_pg's ---- */

static void test_types(void)
{
    static const char *const pairs[][2] = {
        {"tinyint(1)", "boolean"}, {"tinyint(1) unsigned", "boolean"},
        {"tinyint(4)", "smallint"}, {"tinyint", "smallint"}, {"tinyint(3) unsigned", "smallint"},
        {"smallint(6)", "smallint"}, {"smallint(5) unsigned", "integer"},
        {"mediumint(9)", "integer"}, {"mediumint(8) unsigned", "integer"},
        {"int(11)", "integer"}, {"int", "integer"}, {"int(10) unsigned", "bigint"},
        {"int(10) unsigned zerofill", "bigint"}, {"INT UNSIGNED", "bigint"},
        {"integer", "integer"}, {"integer unsigned", "bigint"},
        {"bigint(20)", "bigint"}, {"bigint(20) unsigned", "numeric(20,0)"},
        {"bigint unsigned", "numeric(20,0)"},
        {"decimal(18,2)", "numeric(18,2)"}, {"DECIMAL (18, 2)", "numeric(18,2)"},
        {"decimal(10,0) unsigned", "numeric(10,0)"}, {"decimal(65,30)", "numeric(65,30)"},
        {"decimal(12)", "numeric(12,0)"}, {"decimal", "numeric"}, {"numeric(9,3)", "numeric(9,3)"},
        {"float", "real"}, {"float(7,3)", "real"}, {"float unsigned", "real"},
        {"double", "double precision"}, {"double(10,2)", "double precision"},
        {"double unsigned", "double precision"}, {"real", "double precision"},
        {"bit(1)", "bit(1)"}, {"bit(64)", "bit(64)"}, {"bit", "bit(1)"},
        {"year", "smallint"}, {"year(4)", "smallint"},
        {"char(10)", "char(10)"}, {"char", "char(1)"}, {"varchar(40)", "varchar(40)"},
        {"varchar(65535)", "varchar(65535)"},
        {"tinytext", "text"}, {"text", "text"}, {"mediumtext", "text"}, {"longtext", "text"},
        {"enum('a','b')", "text"}, {"enum('x,y','it''s')", "text"},
        {"set('a','b','c')", "text[]"}, {"json", "jsonb"},
        {"binary(16)", "bytea"}, {"varbinary(255)", "bytea"}, {"tinyblob", "bytea"},
        {"blob", "bytea"}, {"mediumblob", "bytea"}, {"longblob", "bytea"},
        {"date", "date"}, {"datetime", "timestamp"}, {"datetime(6)", "timestamp(6)"},
        {"timestamp", "timestamptz"}, {"timestamp(3)", "timestamptz(3)"},
        {"time", "time"}, {"time(6)", "time(6)"},
        {"uuid", "uuid"}, {"inet4", "inet"}, {"inet6", "inet"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        TYPE_IS(mysql, pairs[i][0], pairs[i][1]);

    /* canonical types follow the target names */
    outcome o = text_value(mysql, "tinyint(1)", "1");
    CHECK(o.canonical == SLUICE_TYPE_BOOL && !o.untouched);
    o = text_value(mysql, "bigint(20) unsigned", "1");
    CHECK(o.canonical == SLUICE_TYPE_DECIMAL && o.precision == 20 && o.scale == 0);
    o = text_value(mysql, "set('a')", "a");
    CHECK(o.canonical == SLUICE_TYPE_ARRAY && o.element == SLUICE_TYPE_TEXT);
    o = text_value(mysql, "varchar(40)", "a");
    CHECK(o.canonical == SLUICE_TYPE_TEXT && o.precision == 40);
    o = text_value(mysql, "datetime(6)", "2020-01-01 00:00:00");
    CHECK(o.canonical == SLUICE_TYPE_TIMESTAMP && o.precision == 6);
    o = text_value(mysql, "json", "{}");
    CHECK(o.canonical == SLUICE_TYPE_JSON);

    /* refused types: the file's line, the table and column, the reason */
    static const char *const spatial[] = {"geometry", "point", "linestring", "polygon",
                                          "multipoint", "multilinestring", "multipolygon",
                                          "geometrycollection", "geomcollection"};
    for (size_t i = 0; i < sizeof spatial / sizeof spatial[0]; i++) {
        o = text_value(mysql, spatial[i], "x");
        CHECK_CONTAINS(o.error, "spatial types have no PostgreSQL type without PostGIS");
    }
    o = text_value(mysql, "point", "x");
    CHECK_CONTAINS(o.error, "mysql_to_pg.lua:");
    CHECK_CONTAINS(o.error, "type rule \"point\": table \"shop.t\", column \"c\" (point)");
    o = text_value(mysql, "vector(3)", "x");
    CHECK_CONTAINS(o.error, "no type rule for this MySQL type");

    static const char *const bson[][2] = {
        {"double", "double precision"}, {"string", "text"}, {"object", "jsonb"},
        {"array", "jsonb"}, {"binData", "bytea"}, {"objectId", "char(24)"},
        {"bool", "boolean"}, {"date", "timestamptz"}, {"null", "text"}, {"int", "integer"},
        {"long", "bigint"}, {"decimal", "numeric"}, {"timestamp", "text"},
        {"regex", "text"}, {"javascript", "text"}, {"symbol", "text"}, {"minKey", "text"},
        {"maxKey", "text"}, {"undefined", "text"}, {"dbPointer", "text"}, {"mixed", "jsonb"},
    };
    for (size_t i = 0; i < sizeof bson / sizeof bson[0]; i++)
        TYPE_IS(mongo, bson[i][0], bson[i][1]);
    CHECK_CONTAINS(text_value(mongo, "weird", "x").error, "no type rule for this BSON type");
    VALUE_IS(mongo, "objectId", "0123456789abcdef01234567", "0123456789abcdef01234567");

    /* pg_to_pg keeps every type, and the values and the binary path */
    CHECK(type_rules_identity(pg));
    CHECK(!type_rules_identity(mysql));
    o = text_value(pg, "character varying(40)", "abc");
    CHECK_STR(o.type, "character varying(40)");
    CHECK(o.untouched && o.canonical == SLUICE_TYPE_SOURCE_NATIVE);
    o = text_value(pg, "timestamp(3) with time zone", "x");
    CHECK_STR(o.type, "timestamp(3) with time zone");
    CHECK(o.untouched);
}

/* ---- value policies ---- */

static void test_values(void)
{
    /* tinyint(1) → boolean */
    VALUE_IS(mysql, "tinyint(1)", "0", "false");
    VALUE_IS(mysql, "tinyint(1)", "1", "true");
    CHECK_STR(run(mysql, "tinyint(1)", NULL, 1, 1, NULL).value, "true");
    CHECK_STR(run(mysql, "tinyint(1)", NULL, 1, 0, NULL).value, "false");
    VALUE_IS(mysql, "tinyint(1)", NULL, "NULL");
    VALUE_IS(mysql, "tinyint(1)", "2",
             "table \"shop.t\", column \"c\": value \"2\" is not 0 or 1 (value policy int_to_bool)");
    CHECK_STR(run(mysql, "tinyint(1)", NULL, 1, -1, NULL).value,
              "table \"shop.t\", column \"c\": value \"-1\" is not 0 or 1 (value policy int_to_bool)");

    /* unsigned bigint: text passes, an integer is read as unsigned */
    VALUE_IS(mysql, "bigint(20) unsigned", "18446744073709551615", "18446744073709551615");
    VALUE_IS(mysql, "bigint unsigned", "0", "0");
    CHECK_STR(run(mysql, "bigint unsigned", NULL, 1, -1, NULL).value, "18446744073709551615");
    CHECK_STR(run(mysql, "bigint unsigned", NULL, 1, 42, NULL).value, "42");

    /* zero dates: the shipped policy is NULL */
    VALUE_IS(mysql, "date", "0000-00-00", "NULL");
    VALUE_IS(mysql, "date", "2020-00-15", "NULL");
    VALUE_IS(mysql, "date", "2020-05-00", "NULL");
    VALUE_IS(mysql, "date", "2020-05-01", "2020-05-01");
    VALUE_IS(mysql, "datetime", "0000-00-00 00:00:00", "NULL");
    VALUE_IS(mysql, "datetime(6)", "0000-00-00 00:00:00.000000", "NULL");
    VALUE_IS(mysql, "datetime", "2021-00-00 10:00:00", "NULL");
    VALUE_IS(mysql, "datetime", "2021-03-04 10:00:00", "2021-03-04 10:00:00");
    VALUE_IS(mysql, "timestamp", "0000-00-00 00:00:00", "NULL");
    CHECK(value_policy_zero_date("0000-01-01", 10)); /* year 0: PostgreSQL has none */
    CHECK(!value_policy_zero_date("2000-01-01", 10));
    CHECK(!value_policy_zero_date("00:00:00", 8));

    /* set → text[] */
    VALUE_IS(mysql, "set('a','b')", "a,b", "{a,b}");
    VALUE_IS(mysql, "set('a','b')", "", "{}");
    VALUE_IS(mysql, "set('a')", "a", "{a}");
    VALUE_IS(mysql, "set('a b','q\"','NULL')", "a b,q\",NULL", "{\"a b\",\"q\\\"\",\"NULL\"}");
    VALUE_IS(mysql, "set('x\\y','{z}')", "x\\y,{z}", "{\"x\\\\y\",\"{z}\"}");
    VALUE_IS(mysql, "set('é')", "é", "{é}");

    /* length: characters, not bytes; never cut */
    VALUE_IS(mysql, "varchar(5)", "abcde", "abcde");
    VALUE_IS(mysql, "varchar(5)", "héllo", "héllo");
    VALUE_IS(mysql, "varchar(5)", "abcdef",
             "table \"shop.t\", column \"c\": value \"abcdef\" has 6 characters, more than the 5 "
             "the target column holds (value policy length)");
    VALUE_IS(mysql, "char(2)", "abc",
             "table \"shop.t\", column \"c\": value \"abc\" has 3 characters, more than the 2 "
             "the target column holds (value policy length)");
    char longv[160], expect[400];
    memset(longv, 'x', 150);
    longv[150] = '\0';
    snprintf(expect, sizeof expect, "table \"shop.t\", column \"c\": value \"%.100s...\" has 150 "
             "characters, more than the 5 the target column holds (value policy length)", longv);
    VALUE_IS(mysql, "varchar(5)", longv, expect);
    VALUE_IS(mysql, "text", longv, longv); /* no limit */

    /* the hint says what to change */
    sluice_error err;
    error_init(&err);
    value_policy vp = {.max_chars = 1};
    sluice_batch *b = batch_new(SLUICE_BATCH_SNAPSHOT, 4, 1 << 12);
    sluice_value v = {.kind = SLUICE_VALUE_TEXT, .len = 2, .u.bytes = "ab"};
    char why[256];
    const char *hint = NULL;
    CHECK(value_policy_apply(&vp, b, &v, why, sizeof why, &hint) == 1);
    CHECK_CONTAINS(hint, "never truncates");
    batch_free(b);
}

/* ---- time zones ---- */

static type_rules *zone_rules(const char *zone)
{
    type_rules *rs = type_rules_new("test");
    lua_State *L = luaL_newstate();
    lua_newtable(L);
    lua_newtable(L);
    lua_pushstring(L, "timestamptz");
    lua_setfield(L, -2, "type");
    lua_pushstring(L, zone);
    lua_setfield(L, -2, "time_zone");
    lua_pushstring(L, "error");
    lua_setfield(L, -2, "zero_date");
    lua_setfield(L, -2, "datetime");
    sluice_error err;
    error_init(&err);
    CHECK(type_rules_read(L, -1, "test.lua", NULL, 1, rs, &err) == 0);
    lua_close(L);
    return rs;
}

static void test_zones(void)
{
    VALUE_IS(mysql, "timestamp", "2024-01-01 10:00:00", "2024-01-01 10:00:00+00");
    VALUE_IS(mysql, "timestamp(6)", "2024-01-01 10:00:00.123456", "2024-01-01 10:00:00.123456+00");

    type_rules *berlin = zone_rules("Europe/Berlin");
    VALUE_IS(berlin, "datetime", "2024-01-15 12:00:00", "2024-01-15 12:00:00+01");
    VALUE_IS(berlin, "datetime", "2024-07-01 12:00:00.5", "2024-07-01 12:00:00.5+02");
    VALUE_IS(berlin, "datetime", "2024-03-31 01:59:59", "2024-03-31 01:59:59+01");
    VALUE_IS(berlin, "datetime", "2024-03-31 02:30:00",
             "table \"shop.t\", column \"c\": value \"2024-03-31 02:30:00\" never happened in "
             "time zone Europe/Berlin (value policy time_zone)");
    VALUE_IS(berlin, "datetime", "2024-03-31 03:00:00", "2024-03-31 03:00:00+02");
    VALUE_IS(berlin, "datetime", "2024-10-27 01:59:59", "2024-10-27 01:59:59+02");
    VALUE_IS(berlin, "datetime", "2024-10-27 02:30:00", "2024-10-27 02:30:00+01"); /* as PostgreSQL */
    VALUE_IS(berlin, "datetime", "2024-10-27 03:00:00", "2024-10-27 03:00:00+01");
    VALUE_IS(berlin, "datetime", "2060-07-01 12:00:00", "2060-07-01 12:00:00+02"); /* POSIX rule */
    VALUE_IS(berlin, "datetime", "2060-12-01 12:00:00", "2060-12-01 12:00:00+01");
    VALUE_IS(berlin, "datetime", "1890-06-01 00:00:00", "1890-06-01 00:00:00+00:53:28"); /* LMT */
    VALUE_IS(berlin, "datetime", "1900-06-01 00:00:00", "1900-06-01 00:00:00+01");
    VALUE_IS(berlin, "datetime", "2024-01-15T12:00:00", "2024-01-15 12:00:00+01");
    VALUE_IS(berlin, "datetime", "2024-01-15 12:00:00+01",
             "table \"shop.t\", column \"c\": value \"2024-01-15 12:00:00+01\" is not a timestamp "
             "without time zone (value policy time_zone = \"Europe/Berlin\")");
    VALUE_IS(berlin, "datetime", "0000-00-00 00:00:00",
             "table \"shop.t\", column \"c\": value \"0000-00-00 00:00:00\" is a zero date "
             "(value policy zero_date = \"error\")");
    type_rules_free(berlin);

    type_rules *ny = zone_rules("America/New_York");
    VALUE_IS(ny, "datetime", "2024-03-10 02:30:00",
             "table \"shop.t\", column \"c\": value \"2024-03-10 02:30:00\" never happened in "
             "time zone America/New_York (value policy time_zone)");
    VALUE_IS(ny, "datetime", "2024-11-03 01:30:00", "2024-11-03 01:30:00-05");
    VALUE_IS(ny, "datetime", "2024-07-04 09:00:00", "2024-07-04 09:00:00-04");
    type_rules_free(ny);

    type_rules *sydney = zone_rules("Australia/Sydney"); /* summer in January */
    VALUE_IS(sydney, "datetime", "2024-01-15 12:00:00", "2024-01-15 12:00:00+11");
    VALUE_IS(sydney, "datetime", "2024-07-15 12:00:00", "2024-07-15 12:00:00+10");
    VALUE_IS(sydney, "datetime", "2070-01-15 12:00:00", "2070-01-15 12:00:00+11");
    type_rules_free(sydney);

    type_rules *india = zone_rules("+05:30");
    VALUE_IS(india, "datetime", "2024-01-15 12:00:00", "2024-01-15 12:00:00+05:30");
    type_rules_free(india);

    char why[200];
    CHECK(tz_load("Mars/Olympus", why, sizeof why) == NULL);
    CHECK_CONTAINS(why, "unknown time zone \"Mars/Olympus\"");
    CHECK(tz_load("../etc/passwd", why, sizeof why) == NULL);
}

/* ---- rule files ---- */

static char dir[] = "/tmp/sluice-typerules-XXXXXX";

static const char *write_file(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

static void file_error(const char *name, const char *text, const char *expect)
{
    sluice_error err;
    error_init(&err);
    type_rules *rs = type_rules_load_file(write_file(name, text), &err);
    CHECK(rs == NULL);
    CHECK_CONTAINS(err.message, expect);
    type_rules_free(rs);
}

static void test_files(void)
{
    file_error("io.lua", "-- tries the disk\nlocal f = io.open(\"/etc/passwd\")\nreturn {}\n",
               "io.lua:2:");
    file_error("os.lua", "\n\nos.execute(\"true\")\nreturn {}\n", "os.lua:3:");
    file_error("req.lua", "local x = require(\"socket\")\nreturn {}\n", "req.lua:1:");
    file_error("load.lua", "return load(\"return {}\")()\n", "load.lua:1:");
    file_error("dofile.lua", "\ndofile(\"/etc/passwd\")\n", "dofile.lua:2:");
    file_error("syntax.lua", "return {\n  [\"int\"] = { type = \"integer\" },\n  [\"x\"] = { type = }\n}\n",
               "syntax.lua:3:");
    file_error("loop.lua", "while true do end\n", "loop.lua:1:");
    file_error("notable.lua", "return 42\n", "notable.lua: a type rule file must return a table");
    file_error("field.lua", "return {\n  [\"int\"] = { type = \"integer\" },\n  [\"bigint\"] = { tpye = \"x\" },\n}\n",
               "field.lua:3: type rule \"bigint\": unknown field \"tpye\"");
    file_error("policy.lua", "return {\n  [\"tinyint(1)\"] = { value = \"int2bool\" },\n}\n",
               "policy.lua:2: type rule \"tinyint(1)\": unknown value policy \"int2bool\"");
    file_error("zero.lua", "return {\n\n  [\"date\"] = { zero_date = \"0000-00-00\" },\n}\n",
               "zero.lua:3: type rule \"date\": zero_date \"0000-00-00\" is not null, error or a date");
    file_error("zone.lua", "return { [\"timestamp\"] = { time_zone = \"Nowhere/Land\" } }\n",
               "zone.lua:1: type rule \"timestamp\": time_zone: unknown time zone \"Nowhere/Land\"");
    file_error("capture.lua", "return {\n  [\"varchar({n})\"] = { type = \"varchar({m})\" },\n}\n",
               "capture.lua:2: type rule \"varchar({n})\": type \"varchar({m})\" uses a parameter");
    file_error("key.lua", "return { [1] = { type = \"x\" } }\n",
               "key.lua: type rules are keyed by source type names, not by number");
    file_error("shape.lua", "return { [\"int\"] = \"integer\" }\n",
               "shape.lua:1: type rule \"int\": must be a table, not string");
    file_error("both.lua", "return { [\"int\"] = { type = \"integer\", error = \"no\" } }\n",
               "a rule has a type or an error, not both");
    sluice_error err;
    error_init(&err);
    CHECK(type_rules_load_file("/nonexistent/x.lua", &err) == NULL);
    CHECK_CONTAINS(err.message, "cannot read type rules /nonexistent/x.lua");

    /* parameter capture and substitution */
    char caps[TYPE_RULES_MAX_CAPTURES][TYPE_RULES_CAPTURE_MAX], out[128];
    const type_rule *r = type_rules_match(mysql, "varchar(40)", caps);
    CHECK(r && type_rules_substitute(r, caps, out, sizeof out) == 0);
    CHECK_STR(out, "varchar(40)");
    r = type_rules_match(mysql, "decimal(18,2)", caps);
    CHECK(r && type_rules_substitute(r, caps, out, sizeof out) == 0);
    CHECK_STR(out, "numeric(18,2)");
    CHECK_STR(r->key, "decimal({p},{s})");
    r = type_rules_match(mysql, "decimal(18,2) unsigned", caps);
    CHECK(r && strcmp(r->key, "decimal({p},{s}) unsigned") == 0);
    char norm[64];
    CHECK_STR(type_rules_normalize("  Numeric ( 18 , 2 )  ", 22, norm, sizeof norm), "numeric(18,2)");
    CHECK_STR(type_rules_normalize("TINYINT(1)  UNSIGNED ZEROFILL", 29, norm, sizeof norm),
              "tinyint(1) unsigned");
}

/* ---- overrides: the pipeline's type_rules ---- */

static pipeline_config *pipeline(const char *body, sluice_error *err)
{
    char text[2048];
    snprintf(text, sizeof text, "return {\n  source = { plugin = \"source-mysql\" },\n"
             "  target = { plugin = \"sink-pg\" },\n  mode = \"full-load\",\n%s}\n", body);
    error_init(err);
    return config_load(write_file("pipeline.lua", text), err);
}

static void test_overrides(void)
{
    sluice_error err;
    pipeline_config *cfg = pipeline("  type_rules = {\n    [\"tinyint(1)\"] = { type = \"smallint\" },\n"
                                    "    [\"datetime\"] = { type = \"timestamp\", zero_date = "
                                    "\"1970-01-01 00:00:00\" },\n  },\n", &err);
    CHECK(cfg != NULL);
    if (!cfg) {
        fprintf(stderr, "%s\n", err.message);
        return;
    }
    CHECK(cfg->type_rules && cfg->type_rules->n == 2);
    CHECK(type_rules_attach(cfg, NULL, "source-mysql", "sink-pg", &err) == 0);
    CHECK(cfg->mapping && cfg->mapping->types == cfg->type_rules);
    const type_rules *rs = cfg->type_rules;
    CHECK(rs && rs->n == mysql->n);
    TYPE_IS(rs, "tinyint(1)", "smallint");
    VALUE_IS(rs, "tinyint(1)", "7", "7");
    VALUE_IS(rs, "datetime", "0000-00-00 00:00:00", "1970-01-01 00:00:00");
    VALUE_IS(rs, "date", "0000-00-00", "NULL"); /* the module's other entries stay */
    TYPE_IS(rs, "bigint unsigned", "numeric(20,0)");
    config_free(cfg);

    /* TypeRules names a module, a path or none */
    type_rules *over = type_rules_new("p"), *got = NULL;
    CHECK(type_rules_for_pipeline("mongo_to_pg", "source-mysql", "sink-pg", dir, over, &got,
                                  &err) == 0);
    CHECK(got && strcmp(got->name, "mongo_to_pg.lua") == 0);
    type_rules_free(got);
    CHECK(type_rules_for_pipeline("none", "source-mysql", "sink-pg", dir, over, &got, &err) == 0);
    CHECK(got == NULL);
    write_file("mine.lua", "return { [\"int\"] = { type = \"bigint\" } }\n");
    CHECK(type_rules_for_pipeline("mine.lua", "source-x", "sink-y", dir, over, &got, &err) == 0);
    CHECK(got && got->n == 1);
    type_rules_free(got);
    CHECK(type_rules_for_pipeline("nosuch", "source-x", "sink-y", dir, over, &got, &err) != 0);
    CHECK_CONTAINS(err.message, "setting TypeRules: no type rule module \"nosuch\"");
    CHECK(type_rules_for_pipeline(NULL, "source-gen", "sink-journal", dir, over, &got, &err) == 0);
    CHECK(got == NULL); /* no module for these plugins: no rules */
    CHECK(type_rules_for_pipeline(NULL, "/opt/p/source-pg.so", "sink-pg", dir, NULL, &got,
                                  &err) == 0);
    CHECK(got && strcmp(got->name, "pg_to_pg.lua") == 0);
    type_rules_free(got);
    type_rules_free(over);

    /* pg_to_pg without mappings: nothing to plan */
    cfg = pipeline("", &err);
    CHECK(cfg && type_rules_attach(cfg, NULL, "source-pg", "sink-pg", &err) == 0);
    CHECK(cfg && cfg->mapping == NULL && cfg->type_rules != NULL);
    config_free(cfg);

    /* bad shapes */
    cfg = pipeline("  type_rules = 5,\n", &err);
    CHECK(!cfg);
    CHECK_CONTAINS(err.message, "pipeline.lua:5: \"type_rules\" must be a table, not an integer");
    cfg = pipeline("  type_rules = {\n    [\"int\"] = { type = \"bigint\" },\n"
                   "    [\"tinyint(1)\"] = { typ = \"smallint\" },\n  },\n", &err);
    CHECK(!cfg);
    CHECK_CONTAINS(err.message, "pipeline.lua:7: type rule \"tinyint(1)\": unknown field \"typ\"");
    CHECK_CONTAINS(err.hint, "Did you mean \"type\"?");
    cfg = pipeline("  type_rule = {},\n", &err);
    CHECK(!cfg);
    CHECK_CONTAINS(err.hint, "Did you mean \"type_rules\"?");
}

/* ---- plans: change-data-type wins; the row error reaches the chain ---- */

static void test_plans(void)
{
    mapping *m = mapping_new();
    map_rule *r = mapping_add(m, MAP_RULE_TRANSFORMATION, "r1", "test");
    r->u.tr.action = MAP_CHANGE_DATA_TYPE;
    r->u.tr.target = MAP_TARGET_COLUMN;
    r->u.tr.schema = strdup("%");
    r->u.tr.table = strdup("%");
    r->u.tr.column = strdup("c");
    r->u.tr.data_type = strdup("integer");
    outcome o = run(mysql, "tinyint(1)", "5", 0, 0, m);
    CHECK_STR(o.type, "integer");
    CHECK_STR(o.value, "5"); /* no int_to_bool */
    mapping_free(m);

    /* pg_to_pg inside a mapping: the plan stays untouched */
    m = mapping_new();
    r = mapping_add(m, MAP_RULE_TRANSFORMATION, "r1", "test");
    r->u.tr.action = MAP_TO_LOWERCASE;
    r->u.tr.target = MAP_TARGET_TABLE;
    r->u.tr.schema = strdup("%");
    r->u.tr.table = strdup("%");
    o = run(pg, "numeric(18,2)", "1.50", 0, 0, m);
    CHECK(o.untouched);
    CHECK_STR(o.type, "numeric(18,2)");
    mapping_free(m);

    /* chain_map: the refused value fails the table (SLUICE_ERROR), never silently */
    const sluice_host *h = host_api();
    sluice_catalog *src = catalog_new();
    sluice_table *t = h->table_add(src, (sluice_str){"shop", 4}, (sluice_str){"t", 1}, 2);
    h->column_set(t, 0, (sluice_str){"id", 2}, (sluice_str){"int(11)", 7}, SLUICE_TYPE_INT32,
                  SLUICE_COLUMN_KEY);
    h->column_set(t, 1, (sluice_str){"flag", 4}, (sluice_str){"tinyint(1)", 10},
                  SLUICE_TYPE_INT16, SLUICE_COLUMN_NULLABLE);
    m = mapping_new();
    m->types = mysql;
    transform_chain chain;
    sluice_error err;
    error_init(&err);
    CHECK(chain_open(&chain, m, NULL, NULL, NULL, 0, NULL, &err) == SLUICE_OK);
    sluice_batch *b = batch_new(SLUICE_BATCH_SNAPSHOT, 4, 1 << 14);
    b->table = t;
    sluice_event *e = h->emit(b, SLUICE_OP_INSERT, t, 0);
    e->new_row[0] = (sluice_value){.kind = SLUICE_VALUE_INT, .u.i = 1};
    e->new_row[1] = (sluice_value){.kind = SLUICE_VALUE_INT, .u.i = 1};
    CHECK(chain_map(&chain, b, &err) == SLUICE_OK);
    CHECK(e->new_row[1].kind == SLUICE_VALUE_TEXT && e->new_row[1].len == 4);
    batch_reset(b);
    b->table = t;
    e = h->emit(b, SLUICE_OP_INSERT, t, 0);
    e->new_row[0] = (sluice_value){.kind = SLUICE_VALUE_INT, .u.i = 2};
    e->new_row[1] = (sluice_value){.kind = SLUICE_VALUE_INT, .u.i = 3};
    CHECK(chain_map(&chain, b, &err) == SLUICE_ERROR);
    CHECK_STR(err.message, "table \"shop.t\", column \"flag\": value \"3\" is not 0 or 1 (value "
                           "policy int_to_bool)");
    CHECK_CONTAINS(err.hint, "smallint");
    batch_free(b);
    chain_close(&chain);
    mapping_free(m);
    catalog_free(src);
}

int main(int argc, char **argv)
{
    const char *group = argc > 1 ? argv[1] : "all";
    report_set_min_level(SLUICE_LOG_ERROR);
    if (!mkdtemp(dir))
        return 1;
    mysql = load("mysql_to_pg");
    mongo = load("mongo_to_pg");
    pg = load("pg_to_pg");
    if (!mysql || !mongo || !pg)
        return unit_done();
    int all = strcmp(group, "all") == 0;
    if (all || strcmp(group, "types") == 0)
        test_types();
    if (all || strcmp(group, "values") == 0)
        test_values();
    if (all || strcmp(group, "zones") == 0)
        test_zones();
    if (all || strcmp(group, "files") == 0)
        test_files();
    if (all || strcmp(group, "overrides") == 0)
        test_overrides();
    if (all || strcmp(group, "plans") == 0)
        test_plans();
    type_rules_free(mysql);
    type_rules_free(mongo);
    type_rules_free(pg);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return unit_done();
}
