/*
 * Pipeline file tests. Each group writes small pipeline files into a temporary
 * folder (the working directory, so messages read "pipeline.lua:3: ...") and
 * asserts the exact message, detail, hint and line numbers.
 *
 *   config_test shape|sandbox|limits|secrets|options|lines|example
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>

#include "config.h"
#include "mapping.h"
#include "options.h"
#include "report.h"
#include "secret.h"

#include "../unit.h"

/* Secret values used by the tests: no error text may ever contain one. */
#define ENV_SECRET "env-secret-value-42"
#define FILE_SECRET "file-secret-value-17"
#define PLAIN_SECRET "plain-literal-secret"
#define PORT_SECRET "6543"
#define WORD_SECRET "not-a-number-secret"

static const char *const test_secrets[] = {ENV_SECRET, FILE_SECRET, PLAIN_SECRET, WORD_SECRET,
                                           "abc-crlf-secret"};

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
        exit(2);
    }
    fputs(text, f);
    fclose(f);
}

/* Every error must be free of secret values. */
static void check_clean(const sluice_error *e)
{
    for (size_t i = 0; i < sizeof test_secrets / sizeof test_secrets[0]; i++) {
        CHECK(strstr(e->message, test_secrets[i]) == NULL);
        CHECK(strstr(e->detail, test_secrets[i]) == NULL);
        CHECK(strstr(e->hint, test_secrets[i]) == NULL);
    }
}

static pipeline_config *load_as(const char *path, const char *text, sluice_error *err)
{
    write_text(path, text);
    error_init(err);
    return config_load(path, err);
}

static pipeline_config *load(const char *text, sluice_error *err)
{
    return load_as("pipeline.lua", text, err);
}

/* Loads text and expects it to fail. NULL detail/hint: not checked; "": must be empty. */
#define EXPECT(text, msg, detail, hint) expect_error(__LINE__, text, msg, detail, hint)
static void expect_error(int at, const char *text, const char *msg, const char *detail,
                         const char *hint)
{
    int before = unit_failed;
    sluice_error e;
    pipeline_config *cfg = load(text, &e);
    CHECK(cfg == NULL);
    config_free(cfg);
    CHECK_STR(e.message, msg);
    if (detail)
        CHECK_STR(e.detail, detail);
    if (hint)
        CHECK_STR(e.hint, hint);
    check_clean(&e);
    if (unit_failed != before)
        fprintf(stderr, "  (in the case at line %d)\n", at);
}

/* Loads text and expects success. */
#define LOAD_OK(text) load_ok(__LINE__, text)
static pipeline_config *load_ok(int at, const char *text)
{
    sluice_error e;
    pipeline_config *cfg = load(text, &e);
    if (!cfg) {
        unit_failed++;
        fprintf(stderr, "line %d: unexpected error: %s\n  detail: %s\n  hint: %s\n", at,
                e.message, e.detail, e.hint);
    } else {
        unit_passed++;
    }
    return cfg;
}

#define MINIMAL "mode = \"full-load\", source = { plugin = \"s\" }, target = { plugin = \"t\" }"

/* ==== shape of the pipeline table ==== */

static void test_lua_errors(void)
{
    EXPECT("return {\n  mode = \"full-load\"\n  source = {}\n}\n",
           "pipeline.lua:3: '}' expected (to close '{' at line 1) near 'source'", "", "");
    EXPECT("local t = nil\nreturn t.x\n",
           "pipeline.lua:2: attempt to index a nil value (local 't')", "", "");
    EXPECT("local function f(x)\n  return x.y\nend\nlocal r = f(nil)\nreturn r\n",
           "pipeline.lua:2: attempt to index a nil value (local 'x')",
           "Traceback:\n  pipeline.lua:2: in local 'f'\n  pipeline.lua:4: in main chunk", "");
    EXPECT("error(\"no such thing\")\n", "pipeline.lua:1: no such thing", "", "");
    EXPECT("error({})\n", "pipeline.lua: (error object is a table value)", "", "");
    EXPECT("error(\"bare\", 0)\n", "pipeline.lua: bare", "", "");
    EXPECT("\033Lua", "pipeline.lua: attempt to load a binary chunk (mode is 't')", "", "");

    sluice_error e;
    error_init(&e);
    CHECK(config_load("no-such-pipeline.lua", &e) == NULL);
    CHECK_STR(e.message,
              "could not open pipeline file \"no-such-pipeline.lua\": No such file or directory");
    error_init(&e);
    CHECK(config_load(".", &e) == NULL);
    CHECK_STR(e.message, "could not read pipeline file \".\": Is a directory");
}

static void test_return_value(void)
{
    const char *hint = "End the file with return { source = { ... }, target = { ... }, "
                       "mode = \"full-load\" }.";
    EXPECT("return 42\n", "pipeline.lua: pipeline file did not return a table",
           "It returned an integer.", hint);
    EXPECT("local x = 1\n", "pipeline.lua: pipeline file did not return a table",
           "It returned nothing.", hint);
    EXPECT("return \"source\"\n", "pipeline.lua: pipeline file did not return a table",
           "It returned a string.", hint);
    EXPECT("return {\n  { plugin = \"x\" },\n}\n",
           "pipeline.lua:1: unexpected entry [1] in the pipeline table", "",
           "Write every entry as name = value, e.g. source = { ... }.");
}

static void test_top_keys(void)
{
    EXPECT("return {\n  mode = \"full-load\",\n  sorce = { plugin = \"x\" },\n"
           "  target = { plugin = \"t\" },\n}\n",
           "pipeline.lua:3: unrecognized key \"sorce\" in the pipeline table", "",
           "Did you mean \"source\"?");
    EXPECT("return {\n  " MINIMAL ",\n  zzzzzz = 1,\n}\n",
           "pipeline.lua:3: unrecognized key \"zzzzzz\" in the pipeline table", "", "");
    /* Of two problems the earlier line is reported. */
    EXPECT("return {\n  tagret = {},\n  mode = \"full-load\",\n  sorce = {},\n}\n",
           "pipeline.lua:2: unrecognized key \"tagret\" in the pipeline table", "",
           "Did you mean \"target\"?");
    EXPECT("return {\n  " MINIMAL ",\n  Mode = 1,\n}\n",
           "pipeline.lua:3: unrecognized key \"Mode\" in the pipeline table", "",
           "Did you mean \"mode\"?");
}

static void test_mode(void)
{
    const char *valid = "Valid modes are \"full-load\", \"full-load-and-cdc\" and \"cdc-only\".";
    char hint[256];
    snprintf(hint, sizeof hint, "Did you mean \"full-load\"? %s", valid);
    EXPECT("return {\n  source = { plugin = \"s\" },\n  mode = \"ful-load\",\n"
           "  target = { plugin = \"t\" },\n}\n",
           "pipeline.lua:3: unrecognized mode: \"ful-load\"", "", hint);
    EXPECT("return {\n  source = { plugin = \"s\" },\n  target = { plugin = \"t\" },\n"
           "  mode = \"everything\",\n}\n",
           "pipeline.lua:4: unrecognized mode: \"everything\"", "", valid);
    EXPECT("return {\n  source = { plugin = \"s\" },\n  target = { plugin = \"t\" },\n"
           "  mode = 3,\n}\n",
           "pipeline.lua:4: \"mode\" must be a string, not an integer", "", valid);
    EXPECT("return {\n  source = { plugin = \"s\" },\n  target = { plugin = \"t\" },\n}\n",
           "pipeline.lua:1: missing \"mode\" in the pipeline table", "", valid);
}

static void test_sections(void)
{
    EXPECT("return {\n  mode = \"cdc-only\",\n  target = { plugin = \"t\" },\n}\n",
           "pipeline.lua:1: missing \"source\" in the pipeline table", "",
           "Add source = { plugin = \"...\", ... } naming the plugin that reads the data.");
    EXPECT("return {\n  mode = \"cdc-only\",\n  source = { plugin = \"s\" },\n}\n",
           "pipeline.lua:1: missing \"target\" in the pipeline table", "",
           "Add target = { plugin = \"...\", ... } naming the plugin that writes the data.");
    EXPECT("return {\n  mode = \"cdc-only\",\n  source = \"pg\",\n  target = { plugin = \"t\" },\n}\n",
           "pipeline.lua:3: \"source\" must be a table, not a string", "",
           "Write source = { plugin = \"...\", ... }.");
    EXPECT("return {\n  mode = \"cdc-only\",\n  source = {\n    host = \"db1\",\n  },\n"
           "  target = { plugin = \"t\" },\n}\n",
           "pipeline.lua:3: missing \"plugin\" in the source table", "",
           "Name the plugin that reads the data, e.g. plugin = \"source-pg\".");
    EXPECT("return {\n  mode = \"cdc-only\",\n  source = { plugin = \"s\" },\n"
           "  target = { plugin = 5 },\n}\n",
           "pipeline.lua:4: \"plugin\" in the target table must be a string, not an integer", "",
           "");
    EXPECT("return {\n  mode = \"cdc-only\",\n  source = {\n    plugin = \"s\",\n"
           "    host = function() end,\n  },\n  target = { plugin = \"t\" },\n}\n",
           "pipeline.lua:5: \"host\" in the source table must be a string, number, boolean or "
           "table, not a function",
           "", "");
    EXPECT("return {\n  mode = \"cdc-only\",\n  source = { \"db1\", plugin = \"s\" },\n"
           "  target = { plugin = \"t\" },\n}\n",
           "pipeline.lua:3: unexpected entry [1] in the source table", "",
           "Write every entry as name = value.");
    EXPECT("return {\n  " MINIMAL ",\n  transforms = { { plugin = \"a\" },\n"
           "    { ratio = 1 },\n  },\n}\n",
           "pipeline.lua:4: missing \"plugin\" in transform 2", "",
           "Name the transform's plugin: plugin = \"...\".");
    EXPECT("return {\n  " MINIMAL ",\n  transforms = { \"rename\" },\n}\n",
           "pipeline.lua:3: transform 1 must be a table, not a string", "",
           "transforms is a list: transforms = { { plugin = \"...\" }, ... }.");
    EXPECT("return {\n  " MINIMAL ",\n  transforms = { rename = { plugin = \"r\" } },\n}\n",
           "pipeline.lua:3: unexpected entry \"rename\" in transforms", "",
           "transforms is a list: transforms = { { plugin = \"...\" }, ... }.");
    EXPECT("return {\n  " MINIMAL ",\n  settings = {\n    BatchRows = 10,\n"
           "    Nested = { 1 },\n  },\n}\n",
           "pipeline.lua:5: setting \"Nested\" must be a string, number or boolean, not a table",
           "", "");
    EXPECT("return {\n  " MINIMAL ",\n  settings = 5,\n}\n",
           "pipeline.lua:3: \"settings\" must be a table, not an integer", "",
           "Write settings = { ... }.");
    EXPECT("return {\n  " MINIMAL ",\n  mappings = \"all\",\n}\n",
           "pipeline.lua:3: \"mappings\" must be a table, not a string", "",
           "Write mappings = { { rule = \"include\", schema = \"public\" }, ... }.");
    EXPECT("return {\n  " MINIMAL ",\n  name = \"../etc\",\n}\n",
           "pipeline.lua:3: invalid pipeline name: \"../etc\"", NULL, "");
    EXPECT("return {\n  " MINIMAL ",\n  name = 7,\n}\n",
           "pipeline.lua:3: \"name\" must be a string, not an integer", "", "");
}

static void test_good_config(void)
{
    pipeline_config *cfg = LOAD_OK("#!/usr/bin/env sluice\n"
                                   "return {\n"
                                   "  mode = \"full-load-and-cdc\",\n"
                                   "  source = {\n"
                                   "    plugin = \"generator\",\n"
                                   "    host = \"db1\",\n"
                                   "    port = 5432,\n"
                                   "    ratio = 0.25,\n"
                                   "    tls = true,\n"
                                   "    tables = { \"a\", \"b\" },\n"
                                   "  },\n"
                                   "  target = { plugin = \"capture\" },\n"
                                   "  transforms = { { plugin = \"rename\", prefix = \"x_\" } },\n"
                                   "  settings = { BatchRows = 100, StateDir = \"/tmp/s\" },\n"
                                   "}\n");
    if (!cfg)
        return;
    CHECK_STR(cfg->name, "pipeline");
    CHECK_STR(cfg->mode, "full-load-and-cdc");
    CHECK_STR(cfg->source.plugin, "generator");
    CHECK(cfg->source.line == 4);
    CHECK(cfg->source.nvalues == 5);
    const config_value *v = config_find(&cfg->source, "host");
    CHECK(v && v->type == CONFIG_STRING && strcmp(v->text, "db1") == 0 && v->line == 6 &&
          !v->secret);
    v = config_find(&cfg->source, "port");
    CHECK(v && v->type == CONFIG_INT && v->i == 5432 && strcmp(v->text, "5432") == 0);
    v = config_find(&cfg->source, "ratio");
    CHECK(v && v->type == CONFIG_DOUBLE && v->d == 0.25 && strcmp(v->text, "0.25") == 0);
    v = config_find(&cfg->source, "tls");
    CHECK(v && v->type == CONFIG_BOOL && v->i == 1 && strcmp(v->text, "true") == 0);
    v = config_find(&cfg->source, "tables");
    CHECK(v && v->type == CONFIG_TABLE && strcmp(v->text, "table") == 0 && v->line == 10);
    CHECK(config_find(&cfg->source, "plugin") == NULL);
    CHECK(config_find(&cfg->source, "nothing") == NULL);
    /* Values come sorted by line, so checks report problems in file order. */
    CHECK_STR(cfg->source.values[0].key, "host");
    CHECK_STR(cfg->source.values[4].key, "tables");
    CHECK_STR(cfg->target.plugin, "capture");
    CHECK(cfg->target.nvalues == 0 && cfg->target.line == 12);
    CHECK(cfg->ntransforms == 1);
    if (cfg->ntransforms == 1) {
        CHECK_STR(cfg->transforms[0].plugin, "rename");
        CHECK(cfg->transforms[0].line == 13);
        CHECK_STR(config_find(&cfg->transforms[0], "prefix")->text, "x_");
    }
    CHECK(cfg->settings.plugin == NULL && cfg->settings.line == 14 && cfg->settings.nvalues == 2);
    CHECK_STR(config_find(&cfg->settings, "StateDir")->text, "/tmp/s");
    CHECK(cfg->lua == NULL && cfg->mapping == NULL);
    config_free(cfg);

    cfg = LOAD_OK("return { " MINIMAL ", name = \"orders-to-dw\" }\n");
    if (cfg) {
        CHECK_STR(cfg->name, "orders-to-dw");
        CHECK(cfg->ntransforms == 0 && cfg->transforms == NULL && cfg->settings.nvalues == 0);
    }
    config_free(cfg);

    /* The default name is the file name, made safe for a folder name. */
    sluice_error e;
    cfg = load_as("my pipeline.lua", "return { " MINIMAL " }\n", &e);
    CHECK(cfg && strcmp(cfg->name, "my-pipeline") == 0);
    config_free(cfg);
}

static void test_mappings(void)
{
    pipeline_config *cfg = LOAD_OK("return {\n  " MINIMAL ",\n"
                                   "  mappings = {\n"
                                   "    { rule = \"include\", schema = \"public\", table = \"o%\",\n"
                                   "      filters = { { column = \"n\", between = { 1, 9 } } } },\n"
                                   "    { rule = \"rename\", schema = \"public\", table = \"orders\","
                                   " value = \"orders_v2\" },\n"
                                   "  },\n}\n");
    if (!cfg)
        return;
    CHECK(cfg->lua == NULL && cfg->mapping && cfg->mapping->nrules == 2);
    if (cfg->mapping && cfg->mapping->nrules == 2) {
        const map_rule *r = &cfg->mapping->rules[0];
        CHECK(r->kind == MAP_RULE_SELECTION && r->u.sel.action == MAP_INCLUDE);
        CHECK(strstr(r->where, "pipeline.lua:4") != NULL);
        CHECK(r->u.sel.nfilters == 1 && r->u.sel.filters[0].conditions[0].op == SLUICE_FILTER_BETWEEN);
        CHECK_STR(r->u.sel.filters[0].conditions[0].values[1], "9");
        r = &cfg->mapping->rules[1];
        CHECK(r->kind == MAP_RULE_TRANSFORMATION && r->u.tr.action == MAP_RENAME &&
              r->u.tr.target == MAP_TARGET_TABLE);
        CHECK_STR(r->u.tr.value, "orders_v2");
    }
    config_free(cfg);
}

static void test_globals(void)
{
    EXPECT("soruce = { plugin = \"s\" }\nreturn { " MINIMAL " }\n",
           "pipeline.lua:1: assignment to undeclared global variable \"soruce\"",
           "A pipeline file cannot create global variables.",
           "Declare it with local: local soruce = ...");
    EXPECT("local s = { plugin = strng.upper(\"x\") }\nreturn { " MINIMAL " }\n",
           "pipeline.lua:1: undeclared global variable \"strng\"", "", "Did you mean \"string\"?");
    EXPECT("local s = sourcetable\n", "pipeline.lua:1: undeclared global variable \"sourcetable\"",
           "", "");
    pipeline_config *cfg = LOAD_OK("local host = string.upper(\"db\")\n"
                                   "local n = math.max(1, 2) + #table.concat({\"a\"}) + utf8.len(\"x\")\n"
                                   "return { " MINIMAL ", name = host .. n }\n");
    if (cfg)
        CHECK_STR(cfg->name, "DB4");
    config_free(cfg);
}

/* ==== the sandbox ==== */

static void test_sandbox(void)
{
    const char *detail = "Pipeline files run in a sandbox without the io, os, package, debug and "
                         "coroutine libraries and without load, loadfile, dofile, require and "
                         "collectgarbage.";
    EXPECT("local f = io.open(\"/etc/passwd\")\n",
           "pipeline.lua:1: \"io\" is not available in a pipeline file", detail,
           "Read a secret from a file with file \"/path\".");
    EXPECT("os.execute(\"touch /tmp/pwned\")\n",
           "pipeline.lua:1: \"os\" is not available in a pipeline file", detail,
           "Read environment variables with env \"NAME\".");
    EXPECT("\nos.exit(1)\n", "pipeline.lua:2: \"os\" is not available in a pipeline file", detail,
           NULL);
    EXPECT("local m = require(\"socket\")\n",
           "pipeline.lua:1: \"require\" is not available in a pipeline file", detail, "");
    EXPECT("local f = load(\"return 1\")\n",
           "pipeline.lua:1: \"load\" is not available in a pipeline file", detail, "");
    EXPECT("dofile(\"/etc/passwd\")\n",
           "pipeline.lua:1: \"dofile\" is not available in a pipeline file", detail, "");
    EXPECT("loadfile(\"/etc/passwd\")\n",
           "pipeline.lua:1: \"loadfile\" is not available in a pipeline file", detail, "");
    EXPECT("local i = debug.getinfo(1)\n",
           "pipeline.lua:1: \"debug\" is not available in a pipeline file", detail, "");
    EXPECT("package.loadlib(\"libc.so.6\", \"system\")\n",
           "pipeline.lua:1: \"package\" is not available in a pipeline file", detail, "");
    EXPECT("collectgarbage()\n",
           "pipeline.lua:1: \"collectgarbage\" is not available in a pipeline file", detail, "");
    EXPECT("local co = coroutine.create(print)\n",
           "pipeline.lua:1: \"coroutine\" is not available in a pipeline file", detail, "");
    EXPECT("local d = string.dump(print)\n",
           "pipeline.lua:1: attempt to call a nil value (field 'dump')", "", "");
    EXPECT("setmetatable(_G, nil)\n", "pipeline.lua:1: cannot change a protected metatable", "",
           "");
    /* _ENV tricks reach nothing new: the libraries are gone, not hidden. */
    EXPECT("local _ENV = { print = print }\nlocal x = io\nreturn x.open\n",
           "pipeline.lua:3: attempt to index a nil value (local 'x')", "", "");
    pipeline_config *cfg = LOAD_OK("assert(getmetatable(_G) == \"locked\")\n"
                                   "assert(rawget(_G, \"io\") == nil and rawget(_G, \"os\") == nil)\n"
                                   "print(\"hello from\", \"the pipeline\", 1, true)\n"
                                   "return { " MINIMAL " }\n");
    config_free(cfg);
}

/* ==== limits: time and memory ==== */

static void test_limits(void)
{
    const char *detail =
        "A pipeline file may run for at most 10 seconds and 200000000 Lua instructions.";
    EXPECT("local n = 0\nwhile true do n = n + 1 end\n",
           "pipeline.lua:2: pipeline file ran for too long", detail,
           "Look for a loop that never ends.");
    /* Catching the budget error does not buy more time. */
    EXPECT("while true do\n  pcall(function() while true do end end)\nend\n",
           "pipeline.lua:2: pipeline file ran for too long", detail, NULL);

    const char *mem_detail = "A pipeline file may use at most 64 MiB of memory.";
    const char *mem_hint = "Look for a loop that keeps growing a table or a string.";
    EXPECT("local t = {}\nfor i = 1, 1e9 do t[i] = string.rep(\"x\", 1 << 20) .. i end\n",
           "pipeline.lua: pipeline file exceeded its memory limit", mem_detail, mem_hint);
    EXPECT("local s = string.rep(\"x\", 1 << 30)\n",
           "pipeline.lua: pipeline file exceeded its memory limit", mem_detail, mem_hint);
    /* A refused allocation caught by the script leaves a working state behind. */
    pipeline_config *cfg = LOAD_OK("local ok = pcall(string.rep, \"x\", 1 << 30)\n"
                                   "assert(not ok)\n"
                                   "return { " MINIMAL " }\n");
    config_free(cfg);
    /* Lua runs finalizers with hooks off, out of the budget's reach: none allowed. */
    EXPECT("setmetatable({}, { __gc = function() while true do end end })\n",
           "pipeline.lua:1: __gc metamethods are not available in a pipeline file",
           "Finalizers would run outside the pipeline file's time budget.", "");
    EXPECT("local t = setmetatable({}, { __gc = true })\n",
           "pipeline.lua:1: __gc metamethods are not available in a pipeline file", NULL, NULL);
    /* A __gc added later does not mark the object (Lua 5.4 manual, 2.5.3): harmless. */
    cfg = LOAD_OK("local mt = {}\nlocal keep = setmetatable({}, mt)\n"
                  "mt.__gc = function() while true do end end\n"
                  "return { " MINIMAL ", mappings = { keep = keep } }\n");
    config_free(cfg);
    cfg = LOAD_OK("local t = setmetatable({}, { __index = function(_, k) return k end })\n"
                  "return { " MINIMAL ", name = t.x }\n");
    if (cfg)
        CHECK_STR(cfg->name, "x");
    config_free(cfg);
}

/* ==== secrets ==== */

static void test_env(void)
{
    setenv("SLUICE_TEST_PW", ENV_SECRET, 1);
    unsetenv("SLUICE_TEST_UNSET");
    pipeline_config *cfg = LOAD_OK("return {\n  " MINIMAL ",\n"
                                   "  settings = { Password = env \"SLUICE_TEST_PW\",\n"
                                   "    Label = tostring(env \"SLUICE_TEST_PW\"),\n"
                                   "    Formatted = string.format(\"%s\", env \"SLUICE_TEST_PW\"),\n"
                                   "    Meta = getmetatable(env \"SLUICE_TEST_PW\") },\n}\n");
    if (cfg) {
        const config_value *v = config_find(&cfg->settings, "Password");
        CHECK(v && v->secret && v->type == CONFIG_STRING && strcmp(v->text, ENV_SECRET) == 0 &&
              v->line == 3);
        CHECK_STR(config_find(&cfg->settings, "Label")->text, "<secret env SLUICE_TEST_PW>");
        CHECK_STR(config_find(&cfg->settings, "Formatted")->text, "<secret env SLUICE_TEST_PW>");
        CHECK_STR(config_find(&cfg->settings, "Meta")->text, "secret");
        CHECK(!config_find(&cfg->settings, "Label")->secret);
    }
    config_free(cfg);

    char buf[128];
    secret_redact("login with " ENV_SECRET " failed", buf, sizeof buf);
    CHECK_STR(buf, "login with ******** failed");

    EXPECT("return {\n  mode = \"full-load\",\n"
           "  source = { plugin = \"s\", password = env \"SLUICE_TEST_UNSET\" },\n"
           "  target = { plugin = \"t\" },\n}\n",
           "pipeline.lua:3: environment variable \"SLUICE_TEST_UNSET\" is not set", "",
           "Set SLUICE_TEST_UNSET in the environment that runs sluice, or read the secret from "
           "a file with file \"/path\".");
    EXPECT("local x = env()\n",
           "pipeline.lua:1: bad argument #1 to 'env' (string expected, got no value)", "", "");
}

static void test_secret_misuse(void)
{
    EXPECT("local url = \"postgres://app:\" .. env \"SLUICE_TEST_PW\" .. \"@db1\"\n",
           "pipeline.lua:1: cannot concatenate a secret (env \"SLUICE_TEST_PW\")",
           "A secret can only be the whole value of an option, so that it never ends up in a "
           "string that could be printed.",
           "Give the secret its own option, e.g. password = env \"PGPASSWORD\", instead of "
           "building a connection string.");
    EXPECT("local s = env \"SLUICE_TEST_PW\" .. \"\"\n",
           "pipeline.lua:1: cannot concatenate a secret (env \"SLUICE_TEST_PW\")", NULL, NULL);
    EXPECT("local n = #env \"SLUICE_TEST_PW\"\n",
           "pipeline.lua:1: cannot take the length of a secret (env \"SLUICE_TEST_PW\")",
           "A secret's value cannot be inspected.", "");
    EXPECT("local s = env(\"SLUICE_TEST_PW\").value\n",
           "pipeline.lua:1: cannot index a secret (env \"SLUICE_TEST_PW\")",
           "A secret has no fields or methods.", "");
    EXPECT("local s = env(\"SLUICE_TEST_PW\"):sub(1, 3)\n",
           "pipeline.lua:1: cannot index a secret (env \"SLUICE_TEST_PW\")", NULL, NULL);
    EXPECT("local n = string.len(env \"SLUICE_TEST_PW\")\n",
           "pipeline.lua:1: bad argument #1 to 'len' (string expected, got sluice.secret)", "",
           "");
    EXPECT("local s = table.concat({ env \"SLUICE_TEST_PW\" })\n",
           "pipeline.lua:1: invalid value (userdata) at index 1 in table for 'concat'", "", "");
    EXPECT("setmetatable(env \"SLUICE_TEST_PW\", {})\n",
           "pipeline.lua:1: bad argument #1 to 'setmetatable' (table expected, got sluice.secret)", "",
           "");
    EXPECT("error(env \"SLUICE_TEST_PW\")\n", "pipeline.lua: <secret env SLUICE_TEST_PW>", "", "");
    EXPECT("local s = string.format(\"%q\", env \"SLUICE_TEST_PW\")\n",
           "pipeline.lua:1: bad argument #2 to 'format' (value has no literal form)", "", "");
    EXPECT("return {\n  source = { plugin = \"s\" },\n  target = { plugin = \"t\" },\n"
           "  mode = env \"SLUICE_TEST_PW\",\n}\n",
           "pipeline.lua:4: \"mode\" must be a string, not a secret", NULL, NULL);
    EXPECT("return {\n  mode = \"cdc-only\",\n  source = { plugin = env \"SLUICE_TEST_PW\" },\n"
           "  target = { plugin = \"t\" },\n}\n",
           "pipeline.lua:3: \"plugin\" in the source table must be a string, not a secret", "",
           "");
}

static void test_file(void)
{
    write_text("pw.txt", FILE_SECRET "\n");
    write_text("crlf.txt", "abc-crlf-secret\r\n");
    write_text("two-lines.txt", "line one\nline two\n\n");
    pipeline_config *cfg = LOAD_OK("return {\n  " MINIMAL ",\n  settings = {\n"
                                   "    A = file \"pw.txt\",\n    B = file \"crlf.txt\",\n"
                                   "    C = file \"two-lines.txt\",\n    D = tostring(file \"pw.txt\"),\n"
                                   "  },\n}\n");
    if (cfg) {
        const config_value *v = config_find(&cfg->settings, "A");
        CHECK(v && v->secret && strcmp(v->text, FILE_SECRET) == 0 && v->line == 4);
        CHECK_STR(config_find(&cfg->settings, "B")->text, "abc-crlf-secret");
        CHECK_STR(config_find(&cfg->settings, "C")->text, "line one\nline two\n");
        CHECK_STR(config_find(&cfg->settings, "D")->text, "<secret file pw.txt>");
    }
    config_free(cfg);

    /* Relative paths start at the pipeline file's folder, not the working directory. */
    mkdir("sub", 0700);
    write_text("sub/inner.txt", "inner-secret-value\n");
    sluice_error e;
    cfg = load_as("sub/pipeline.lua",
                  "return { " MINIMAL ", settings = { A = file \"inner.txt\" } }\n", &e);
    CHECK(cfg != NULL);
    if (cfg)
        CHECK_STR(config_find(&cfg->settings, "A")->text, "inner-secret-value");
    config_free(cfg);

    EXPECT("return {\n  " MINIMAL ",\n  settings = { A = file \"/nonexistent/sluice-secret\" },\n}\n",
           "pipeline.lua:3: could not read secret file \"/nonexistent/sluice-secret\": No such "
           "file or directory",
           "", "");
    EXPECT("local s = file \"/\"\n",
           "pipeline.lua:1: could not read secret file \"/\": Is a directory", "", "");
    FILE *f = fopen("nul.bin", "wb");
    fwrite("ab\0cd", 1, 5, f);
    fclose(f);
    EXPECT("local s = file \"nul.bin\"\n",
           "pipeline.lua:1: secret file \"./nul.bin\" is not a text file",
           "Secrets are text; the file holds a NUL byte.", "");
}

static void test_redact(void)
{
    char buf[64];
    secret_register("abcdef", 6);
    secret_register("abcdefghij", 10); /* contains the other: masked whole */
    secret_register("ab", 2);          /* too short to mask */
    secret_register(NULL, 0);
    secret_redact("x abcdefghij y abcdef z ab", buf, sizeof buf);
    CHECK_STR(buf, "x ******** y ******** z ab");
    secret_redact("abcdef", buf, 5); /* truncated, never a piece of the secret */
    CHECK_STR(buf, "****");
    snprintf(buf, sizeof buf, "in place abcdef");
    secret_redact(buf, buf, sizeof buf);
    CHECK_STR(buf, "in place ********");
    secret_redact(NULL, buf, sizeof buf);
    CHECK_STR(buf, "");
    char *dup = secret_redact_dup("abc abcdef abcdef");
    CHECK_STR(dup, "abc ******** ********");
    free(dup);
    /* Registering twice keeps one entry; masking still works. */
    secret_register("abcdef", 6);
    secret_redact("abcdef", buf, sizeof buf);
    CHECK_STR(buf, "********");
}

/* ==== options ==== */

typedef struct fake_config {
    const char *host;
    int64_t port;
    int tls;
    double ratio;
    const char *password;
    const char *mode;
    int64_t rows;
} fake_config;

#define OPT(name, type, flags, def, choices, field, text) \
    {name, type, flags, def, choices, text, offsetof(fake_config, field)}

static const sluice_option fake_list[] = {
    OPT("host", SLUICE_OPTION_STRING, SLUICE_OPTION_REQUIRED, NULL, NULL, host, "server host name"),
    OPT("port", SLUICE_OPTION_INT, 0, "5432", NULL, port, "server port"),
    OPT("tls", SLUICE_OPTION_BOOL, 0, "true", NULL, tls, "use TLS"),
    OPT("ratio", SLUICE_OPTION_DOUBLE, 0, "0.5", NULL, ratio, "sample ratio"),
    OPT("password", SLUICE_OPTION_STRING, SLUICE_OPTION_SECRET, NULL, NULL, password, "password"),
    OPT("mode", SLUICE_OPTION_STRING, 0, "both", "snapshot|stream|both", mode, "what to read"),
    OPT("rows", SLUICE_OPTION_INT, 0, NULL, NULL, rows, "rows per table"),
};

static const sluice_options fake_options = {SLUICE_HEADER_INIT(sluice_options),
                                            sizeof(sluice_option),
                                            sizeof fake_list / sizeof fake_list[0], fake_list,
                                            sizeof(fake_config)};

#define WHAT "source plugin \"generator\""

/* Loads a pipeline whose source section is the given text (starting on line 3). */
static fake_config *fill(const char *source, sluice_error *err, const sluice_options *opts)
{
    char text[2048];
    snprintf(text, sizeof text,
             "return {\n  mode = \"full-load\", target = { plugin = \"t\" },\n"
             "  source = { plugin = \"generator\",\n%s  },\n}\n",
             source);
    pipeline_config *cfg = load(text, err);
    if (!cfg)
        return NULL;
    error_init(err);
    fake_config *fc = options_fill(opts, &cfg->source, cfg->path, WHAT, err);
    config_free(cfg);
    check_clean(err);
    return fc;
}

#define EXPECT_OPT(source, msg, detail, hint) expect_opt(__LINE__, source, msg, detail, hint)
static void expect_opt(int at, const char *source, const char *msg, const char *detail,
                       const char *hint)
{
    int before = unit_failed;
    sluice_error e;
    fake_config *fc = fill(source, &e, &fake_options);
    CHECK(fc == NULL);
    options_free(&fake_options, fc);
    CHECK_STR(e.message, msg);
    if (detail)
        CHECK_STR(e.detail, detail);
    if (hint)
        CHECK_STR(e.hint, hint);
    if (unit_failed != before)
        fprintf(stderr, "  (in the case at line %d)\n", at);
}

static void test_option_defaults(void)
{
    sluice_error e;
    fake_config *fc = fill("    host = \"db1\",\n", &e, &fake_options);
    CHECK(fc != NULL);
    if (fc) {
        CHECK_STR(fc->host, "db1");
        CHECK(fc->port == 5432 && fc->tls == 1 && fc->ratio == 0.5 && fc->rows == 0);
        CHECK(fc->password == NULL);
        CHECK_STR(fc->mode, "both");
    }
    options_free(&fake_options, fc);

    fc = fill("    host = \"db1\", port = 6000, tls = false, ratio = 2, mode = \"stream\",\n"
              "    rows = -3, password = \"" PLAIN_SECRET "\",\n",
              &e, &fake_options);
    CHECK(fc != NULL);
    if (fc) {
        CHECK(fc->port == 6000 && fc->tls == 0 && fc->ratio == 2.0 && fc->rows == -3);
        CHECK_STR(fc->mode, "stream");
        CHECK_STR(fc->password, PLAIN_SECRET);
    }
    options_free(&fake_options, fc);
    /* A literal given to a secret option is masked from then on. */
    char buf[128];
    secret_redact("pw=" PLAIN_SECRET, buf, sizeof buf);
    CHECK_STR(buf, "pw=********");
}

static void test_option_errors(void)
{
    EXPECT_OPT("    hots = \"db1\",\n",
               "pipeline.lua:4: unrecognized option \"hots\" for source plugin \"generator\"", "",
               "Did you mean \"host\"?");
    EXPECT_OPT("    host = \"db1\",\n    compression = \"zstd\",\n",
               "pipeline.lua:5: unrecognized option \"compression\" for source plugin \"generator\"",
               "",
               "Valid options are \"host\", \"port\", \"tls\", \"ratio\", \"password\", \"mode\" "
               "and \"rows\".");
    EXPECT_OPT("    host = \"db1\",\n    port = \"5433\",\n",
               "pipeline.lua:5: option \"port\" of source plugin \"generator\" must be an "
               "integer, not a string",
               "The value given is \"5433\".", "Write the number without quotes: port = 5433.");
    EXPECT_OPT("    host = \"db1\",\n    port = \"many\",\n",
               "pipeline.lua:5: option \"port\" of source plugin \"generator\" must be an "
               "integer, not a string",
               "The value given is \"many\".", "");
    EXPECT_OPT("    host = \"db1\", port = 1e4,\n",
               "pipeline.lua:4: option \"port\" of source plugin \"generator\" must be an "
               "integer, not a float",
               "The value given is 10000.", "Write it as a whole number: port = 10000.");
    EXPECT_OPT("    host = \"db1\", port = 1.5,\n",
               "pipeline.lua:4: option \"port\" of source plugin \"generator\" must be an "
               "integer, not a float",
               "The value given is 1.5.", "");
    EXPECT_OPT("    host = \"db1\", tls = \"yes\",\n",
               "pipeline.lua:4: option \"tls\" of source plugin \"generator\" must be a "
               "boolean, not a string",
               "The value given is \"yes\".", "Write tls = true, without quotes.");
    EXPECT_OPT("    host = \"db1\", ratio = true,\n",
               "pipeline.lua:4: option \"ratio\" of source plugin \"generator\" must be a "
               "number, not a boolean",
               "The value given is true.", "");
    EXPECT_OPT("    host = 5432,\n",
               "pipeline.lua:4: option \"host\" of source plugin \"generator\" must be a "
               "string, not an integer",
               "The value given is 5432.", "Put the value in quotes: host = \"5432\".");
    EXPECT_OPT("    host = { \"a\" },\n",
               "pipeline.lua:4: option \"host\" of source plugin \"generator\" must be a "
               "string, not a table",
               "", "");
    EXPECT_OPT("    port = 1,\n",
               "pipeline.lua:3: source plugin \"generator\" requires option \"host\"",
               "Option \"host\": server host name.", "Add host = ... to this section.");
    EXPECT_OPT("    host = \"db1\", mode = \"fast\",\n",
               "pipeline.lua:4: invalid value for option \"mode\" of source plugin "
               "\"generator\": \"fast\"",
               "", "Valid values are \"snapshot\", \"stream\" and \"both\".");
    EXPECT_OPT("    host = \"db1\", mode = \"strem\",\n",
               "pipeline.lua:4: invalid value for option \"mode\" of source plugin "
               "\"generator\": \"strem\"",
               "", "Did you mean \"stream\"? Valid values are \"snapshot\", \"stream\" and "
                   "\"both\".");
    /* The first problem in the file is reported, whatever order Lua keeps keys in. */
    EXPECT_OPT("    host = \"db1\",\n    port = \"x\",\n    tls = 1,\n    zzz = 1,\n",
               "pipeline.lua:5: option \"port\" of source plugin \"generator\" must be an "
               "integer, not a string",
               NULL, NULL);
}

static void test_option_secrets(void)
{
    setenv("SLUICE_TEST_PORT", PORT_SECRET, 1);
    setenv("SLUICE_TEST_WORD", WORD_SECRET, 1);
    sluice_error e;
    fake_config *fc = fill("    host = env \"SLUICE_TEST_PW\", port = env \"SLUICE_TEST_PORT\",\n"
                           "    password = env \"SLUICE_TEST_PW\",\n",
                           &e, &fake_options);
    CHECK(fc != NULL);
    if (fc) {
        CHECK(fc->port == 6543);
        CHECK_STR(fc->password, ENV_SECRET);
        CHECK_STR(fc->host, ENV_SECRET);
    }
    options_free(&fake_options, fc);
    EXPECT_OPT("    host = \"db1\", port = env \"SLUICE_TEST_WORD\",\n",
               "pipeline.lua:4: option \"port\" of source plugin \"generator\" must be an "
               "integer, not a string",
               "The value comes from a secret and is not shown.", "");
    EXPECT_OPT("    host = \"db1\", mode = env \"SLUICE_TEST_WORD\",\n",
               "pipeline.lua:4: invalid value for option \"mode\" of source plugin \"generator\"",
               "The value comes from a secret and is not shown.",
               "Valid values are \"snapshot\", \"stream\" and \"both\".");
    EXPECT_OPT("    host = \"db1\", tls = file \"pw.txt\",\n",
               "pipeline.lua:4: option \"tls\" of source plugin \"generator\" must be a "
               "boolean, not a string",
               "The value comes from a secret and is not shown.", "");
    EXPECT_OPT("    host = \"db1\",\n    pasword = env \"SLUICE_TEST_PW\",\n",
               "pipeline.lua:5: unrecognized option \"pasword\" for source plugin \"generator\"",
               "", "Did you mean \"password\"?");
}

/* Plugins built against other ABI minors: elements larger or smaller than ours. */
typedef struct wide_option {
    sluice_option o;
    char future[24];
} wide_option;

static void test_option_table_shapes(void)
{
    static const wide_option wide[] = {
        {OPT("host", SLUICE_OPTION_STRING, SLUICE_OPTION_REQUIRED, NULL, NULL, host, "h"), "x"},
        {OPT("rows", SLUICE_OPTION_INT, 0, "77", NULL, rows, "r"), "y"},
    };
    sluice_options wide_opts = {SLUICE_HEADER_INIT(sluice_options), sizeof(wide_option), 2,
                                &wide[0].o, sizeof(fake_config)};
    sluice_error e;
    fake_config *fc = fill("    host = \"db1\",\n", &e, &wide_opts);
    CHECK(fc && fc->rows == 77 && strcmp(fc->host, "db1") == 0);
    options_free(&wide_opts, fc);

    /* No options at all: every key is unknown. */
    sluice_options none = {SLUICE_HEADER_INIT(sluice_options), sizeof(sluice_option), 0, NULL, 0};
    fc = fill("", &e, &none);
    CHECK(fc != NULL);
    options_free(&none, fc);
    fc = fill("    host = \"db1\",\n", &e, &none);
    CHECK(fc == NULL);
    CHECK_STR(e.message, "pipeline.lua:4: unrecognized option \"host\" for source plugin \"generator\"");
    CHECK_STR(e.hint, "The source plugin \"generator\" takes no options.");

    /* Plugin bugs: a default that does not parse, an option outside the struct. */
    static const sluice_option bad_default[] = {
        OPT("rows", SLUICE_OPTION_INT, 0, "lots", NULL, rows, "r"),
    };
    sluice_options bad = {SLUICE_HEADER_INIT(sluice_options), sizeof(sluice_option), 1,
                          bad_default, sizeof(fake_config)};
    fc = fill("", &e, &bad);
    CHECK(fc == NULL);
    CHECK_STR(e.message, "source plugin \"generator\" declares an invalid default for option "
                         "\"rows\": \"lots\"");
    CHECK_STR(e.detail, "The option is declared as an integer.");
    CHECK_STR(e.hint, "This is a bug in the plugin; report it to its authors.");
    static const sluice_option bad_choice[] = {
        OPT("mode", SLUICE_OPTION_STRING, 0, "all", "some|none", mode, "m"),
    };
    bad.options = bad_choice;
    fc = fill("", &e, &bad);
    CHECK(fc == NULL);
    CHECK_STR(e.message, "source plugin \"generator\" declares default \"all\" for option "
                         "\"mode\", which is not one of its choices");
    static const sluice_option outside[] = {
        {"rows", SLUICE_OPTION_INT, 0, NULL, NULL, "r", sizeof(fake_config) - 4},
    };
    bad.options = outside;
    fc = fill("", &e, &bad);
    CHECK(fc == NULL);
    CHECK_STR(e.message, "source plugin \"generator\" declares option \"rows\" outside its "
                         "config struct");
}

static void test_suggestions(void)
{
    CHECK(options_edit_distance("hots", "host") == 1);
    CHECK(options_edit_distance("kitten", "sitting") == 3);
    CHECK(options_edit_distance("", "abc") == 3);
    CHECK(options_edit_distance("same", "same") == 0);
    const char *const names[] = {"source", "target", "mode"};
    CHECK_STR(options_nearest("sorce", names, 3), "source");
    CHECK_STR(options_nearest("TARGET", names, 3), "target");
    CHECK(options_nearest("xyz", names, 3) == NULL);
    CHECK(options_nearest("port", (const char *const[]){"host"}, 1) == NULL);
    char buf[64];
    options_join(names, 3, buf, sizeof buf);
    CHECK_STR(buf, "\"source\", \"target\" and \"mode\"");
    options_join(names, 1, buf, sizeof buf);
    CHECK_STR(buf, "\"source\"");
    options_join(names, 3, buf, 10);
    CHECK_STR(buf, "\"source\",");
}

/* ==== line numbers ==== */

static int line_of(const config_section *s, const char *key)
{
    const config_value *v = config_find(s, key);
    return v ? v->line : -1;
}

static void test_lines(void)
{
    pipeline_config *cfg = LOAD_OK("return {\n"                            /* 1 */
                                   "  mode = \"full-load\",\n"             /* 2 */
                                   "  -- host = \"commented\",\n"          /* 3 */
                                   "  source = {\n"                        /* 4 */
                                   "    plugin = \"pg\",\n"                /* 5 */
                                   "    note = \"host = 'in a string'\",\n" /* 6 */
                                   "    --[[ host = 1,\n"                  /* 7 */
                                   "    host = 2 ]]\n"                     /* 8 */
                                   "    host = \"a\",\n"                   /* 9 */
                                   "  },\n"                                /* 10 */
                                   "  target = { plugin = \"pg\",\n"       /* 11 */
                                   "    [ \"host\" ] = \"b\",\n"           /* 12 */
                                   "    mode = \"x\", text = [[\n"         /* 13 */
                                   "host = 1\n"                            /* 14 */
                                   "]], esc = \"q\\\" port = \",\n"        /* 15 */
                                   "    --[==[ port = ]] ]==] port = 1,\n" /* 16 */
                                   "  },\n"                                /* 17 */
                                   "}\n");
    if (!cfg)
        return;
    CHECK(cfg->source.line == 4);
    CHECK(line_of(&cfg->source, "host") == 9);
    CHECK(line_of(&cfg->source, "note") == 6);
    CHECK(cfg->target.line == 11);
    CHECK(line_of(&cfg->target, "host") == 12);
    CHECK(line_of(&cfg->target, "mode") == 13);
    CHECK(line_of(&cfg->target, "text") == 13);
    CHECK(line_of(&cfg->target, "esc") == 15);
    CHECK(line_of(&cfg->target, "port") == 16);
    config_free(cfg);

    /* Sections built in local variables first. */
    cfg = LOAD_OK("local common = { host = \"x\" }\n" /* 1 */
                  "local src = {\n"                  /* 2 */
                  "  plugin = \"pg\",\n"             /* 3 */
                  "  host = \"a\",\n"                /* 4 */
                  "}\n"                              /* 5 */
                  "local tgt = { plugin = \"pg\",\n" /* 6 */
                  "  host = \"b\" }\n"               /* 7 */
                  "return {\n"                       /* 8 */
                  "  source = src,\n"                /* 9 */
                  "  target = tgt,\n"                /* 10 */
                  "  mode = \"cdc-only\",\n"         /* 11 */
                  "}\n");
    if (cfg) {
        CHECK(cfg->source.line == 9 && cfg->target.line == 10);
        CHECK(line_of(&cfg->source, "host") == 4);
        CHECK(line_of(&cfg->target, "host") == 7);
    }
    config_free(cfg);

    /* Transform items, each with its own line. */
    cfg = LOAD_OK("return {\n  " MINIMAL ",\n"          /* 1-2 */
                  "  transforms = {\n"                  /* 3 */
                  "    { plugin = \"a\", x = 1 },\n"    /* 4 */
                  "    {\n"                             /* 5 */
                  "      plugin = \"b\",\n"             /* 6 */
                  "      x = 2,\n"                      /* 7 */
                  "    },\n"                            /* 8 */
                  "  },\n}\n");
    if (cfg && cfg->ntransforms == 2) {
        CHECK(cfg->transforms[0].line == 4 && line_of(&cfg->transforms[0], "x") == 4);
        CHECK(cfg->transforms[1].line == 5 && line_of(&cfg->transforms[1], "x") == 7);
    } else {
        CHECK(!"two transforms");
    }
    config_free(cfg);

    /* A key set after the constructor, and a mode inside a section before the real one. */
    EXPECT("local p = {\n  source = { plugin = \"s\", mode = \"x\" },\n"
           "  target = { plugin = \"t\" },\n}\np.mode = \"ful-load\"\nreturn p\n",
           "pipeline.lua:5: unrecognized mode: \"ful-load\"", NULL, NULL);
    EXPECT("return {\n  source = { plugin = \"s\", mode = \"x\" },\n"
           "  target = { plugin = \"t\" },\n  mode = \"ful-load\",\n}\n",
           "pipeline.lua:4: unrecognized mode: \"ful-load\"", NULL, NULL);
}

/* ==== the documented example ==== */

static void test_example(void)
{
    setenv("ORDERS_DB_PASSWORD", ENV_SECRET, 1);
    setenv("DW_PASSWORD", ENV_SECRET, 1);
    sluice_error e;
    error_init(&e);
    pipeline_config *cfg = config_load(CONFIG_FIXTURES "/example.lua", &e);
    if (!cfg) {
        fprintf(stderr, "example.lua: %s\n  detail: %s\n  hint: %s\n", e.message, e.detail,
                e.hint);
        CHECK(!"the example loads");
        return;
    }
    CHECK_STR(cfg->name, "orders-to-warehouse");
    CHECK_STR(cfg->mode, "full-load-and-cdc");
    CHECK_STR(cfg->source.plugin, "source-pg");
    CHECK_STR(cfg->target.plugin, "sink-pg");
    const config_value *v = config_find(&cfg->source, "password");
    CHECK(v && v->secret && strcmp(v->text, ENV_SECRET) == 0);
    CHECK(cfg->ntransforms == 1);
    CHECK(config_find(&cfg->settings, "MaxFullLoadSubTasks") != NULL);
    CHECK(cfg->lua == NULL && cfg->mapping == NULL);
    config_free(cfg);
}

/* Reads a whole file into a malloc'd string, or NULL. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(1 << 20);
    size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

/* The example in docs/pipeline.md is the fixture, byte for byte. */
static void test_example_in_docs(void)
{
    char *doc = slurp(CONFIG_DOCS);
    char *fixture = slurp(CONFIG_FIXTURES "/example.lua");
    CHECK(doc != NULL && fixture != NULL);
    if (doc && fixture) {
        char *start = strstr(doc, "```lua\n");
        char *end = start ? strstr(start + 7, "```") : NULL;
        CHECK(start && end);
        if (start && end) {
            *end = '\0';
            CHECK_STR(start + 7, fixture);
        }
    }
    free(doc);
    free(fixture);
}

/* ==== main ==== */

static const struct {
    const char *name;
    void (*tests[8])(void);
} groups[] = {
    {"shape", {test_lua_errors, test_return_value, test_top_keys, test_mode, test_sections,
               test_good_config, test_mappings, test_globals}},
    {"sandbox", {test_sandbox}},
    {"limits", {test_limits}},
    {"secrets", {test_env, test_secret_misuse, test_file, test_redact}},
    {"options", {test_option_defaults, test_option_errors, test_option_secrets,
                 test_option_table_shapes, test_suggestions}},
    {"lines", {test_lines}},
    {"example", {test_example, test_example_in_docs}},
};

int main(int argc, char **argv)
{
    char dir[] = "/tmp/sluice-config-XXXXXX";
    if (!mkdtemp(dir) || chdir(dir) != 0) {
        perror("temporary folder");
        return 2;
    }
    /* Secrets used across groups. */
    setenv("SLUICE_TEST_PW", ENV_SECRET, 1);
    write_text("pw.txt", FILE_SECRET "\n");
    int ran = 0;
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        if (argc > 1 && strcmp(argv[1], groups[g].name) != 0)
            continue;
        ran++;
        for (size_t t = 0; t < 8 && groups[g].tests[t]; t++)
            groups[g].tests[t]();
    }
    secret_forget_all();
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    if (!ran) {
        fprintf(stderr, "unknown group \"%s\"\n", argv[1]);
        return 2;
    }
    return unit_done();
}
