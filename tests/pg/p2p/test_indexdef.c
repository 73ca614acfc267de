/*
 * sink-pg's index DDL (indexdef.c), no server: pg_get_indexdef() text taken
 * apart and moved onto another table, and plain indexes from key columns.
 */
#include <stdlib.h>
#include <string.h>

#include "indexdef.h"
#include "unit.h"

static sluice_str str(const char *s) { return (sluice_str){s, strlen(s)}; }

static int is(sluice_str s, const char *want)
{
    return s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0;
}

/* The definition moved onto qtable, as a C string (static buffer). */
static const char *moved(const char *def, const char *name, const char *qtable)
{
    static char out[1024];
    indexdef d;
    sbuf b = {0};
    out[0] = '\0';
    if (indexdef_parse(str(def), &d) == 0 && indexdef_rewrite(&b, &d, str(name), qtable) == 0 &&
        sb_cstr(&b))
        snprintf(out, sizeof out, "%s", b.data);
    sb_free(&b);
    return out;
}

static void test_parse(void)
{
    indexdef d;
    CHECK(indexdef_parse(str("CREATE UNIQUE INDEX items_sku_key ON public.items USING btree "
                             "(sku)"),
                         &d) == 0);
    CHECK(d.unique && is(d.name, "items_sku_key") && is(d.schema, "public") &&
          is(d.table, "items") && is(d.rest, "btree (sku)"));

    const char *odd = "CREATE INDEX \"Odd \"\"ix\"\" é\" ON ONLY \"My Schema\".\"Odd Table\" "
                      "USING btree (lower(\"Mixed Col\")) WHERE (\"Mixed Col\" > 0)";
    CHECK(indexdef_parse(str(odd), &d) == 0);
    CHECK(!d.unique && is(d.name, "\"Odd \"\"ix\"\" é\"") && is(d.schema, "\"My Schema\""));
    CHECK(is(d.table, "\"Odd Table\"") &&
          is(d.rest, "btree (lower(\"Mixed Col\")) WHERE (\"Mixed Col\" > 0)"));
    CHECK(indexdef_ident_is(d.schema, str("My Schema")));
    CHECK(indexdef_ident_is(d.name, str("Odd \"ix\" é")));
    CHECK(!indexdef_ident_is(d.name, str("Odd \"ix\"")));
    CHECK(!indexdef_ident_is(d.schema, str("my schema")));
    CHECK(indexdef_ident_is(str("items"), str("items")));
    CHECK(!indexdef_ident_is(str("items"), str("Items")));

    /* not PostgreSQL's shape: refused, not guessed at */
    const char *bad[] = {"", "CREATE INDEX", "CREATE INDEX i ON t USING btree (a)",
                         "CREATE INDEX i ON s.t (a)", "KEY `i` (`a`)",
                         "CREATE INDEX \"i ON s.t USING btree (a)",
                         "CREATE INDEX i ON s.t USING ", "create index i on s.t using btree (a)"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(indexdef_parse(str(bad[i]), &d) == -1);
    CHECK(indexdef_parse((sluice_str){"CREATE INDEX i ON s.t USING btree (a)\0x", 40}, &d) == -1);
}

static void test_rewrite(void)
{
    CHECK_STR(moved("CREATE INDEX items_name_idx ON public.items USING btree (name)",
                    "items_name_idx", "\"replica\".\"items\""),
              "CREATE INDEX \"items_name_idx\" ON \"replica\".\"items\" USING btree (name)");
    CHECK_STR(moved("CREATE UNIQUE INDEX u ON ONLY public.events USING btree (a DESC NULLS LAST) "
                    "INCLUDE (b) WITH (fillfactor='70') WHERE (b IS NOT NULL)",
                    "u", "\"public\".\"events\""),
              "CREATE UNIQUE INDEX \"u\" ON \"public\".\"events\" USING btree (a DESC NULLS LAST) "
              "INCLUDE (b) WITH (fillfactor='70') WHERE (b IS NOT NULL)");
}

static const char *from_columns(const char *name, const char *method, uint32_t flags,
                                const char *c1, const char *c2)
{
    static char out[512];
    sluice_str cols[2] = {str(c1), str(c2 ? c2 : "")};
    sluice_index ix = {str(name), str(method), flags, c2 ? 2 : 1, cols, str("")};
    sbuf b = {0};
    out[0] = '\0';
    if (indexdef_from_columns(&b, &ix, "\"s\".\"t\"") == 0 && sb_cstr(&b))
        snprintf(out, sizeof out, "%s", b.data);
    sb_free(&b);
    return out;
}

static void test_from_columns(void)
{
    CHECK_STR(from_columns("ix", "btree", 0, "a", NULL),
              "CREATE INDEX \"ix\" ON \"s\".\"t\" USING btree (\"a\")");
    CHECK_STR(from_columns("Ux", "BTREE", SLUICE_INDEX_UNIQUE, "a", "B c"),
              "CREATE UNIQUE INDEX \"Ux\" ON \"s\".\"t\" USING btree (\"a\", \"B c\")");
    CHECK_STR(from_columns("g", "gin", 0, "tags", NULL),
              "CREATE INDEX \"g\" ON \"s\".\"t\" USING gin (\"tags\")");
    CHECK_STR(from_columns("d", "", 0, "a", NULL), "CREATE INDEX \"d\" ON \"s\".\"t\" (\"a\")");
    CHECK_STR(from_columns("f", "FULLTEXT", 0, "a", NULL), ""); /* not PostgreSQL's */
    CHECK_STR(from_columns("e", "btree", 0, "a", ""), "");       /* an expression key */
}

int main(void)
{
    test_parse();
    test_rewrite();
    test_from_columns();
    return unit_done();
}
