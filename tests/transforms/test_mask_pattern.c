/* The mask transform's columns patterns: what they select, and every syntax error word for word. */
#include <string.h>

#include "pattern.h"
#include "unit.h"

static int sel(const mask_patterns *p, const char *schema, const char *table, const char *col)
{
    return mask_patterns_match(p, schema, strlen(schema), table, strlen(table), col, strlen(col));
}

static void wildcards(void)
{
    mask_name n = {"%", 1, 0};
    CHECK(mask_name_match(&n, "", 0));
    CHECK(mask_name_match(&n, "anything", 8));
    mask_name a = {"e%l", 3, 0};
    CHECK(mask_name_match(&a, "email", 5));
    CHECK(mask_name_match(&a, "el", 2));
    CHECK(!mask_name_match(&a, "emails", 6));
    mask_name b = {"%mail%", 6, 0};
    CHECK(mask_name_match(&b, "email_2", 7));
    CHECK(mask_name_match(&b, "mail", 4));
    CHECK(!mask_name_match(&b, "mai", 3));
    mask_name c = {"a%b%c", 5, 0};
    CHECK(mask_name_match(&c, "abbbcbc", 7));
    CHECK(!mask_name_match(&c, "abcb", 4));
    mask_name one = {"user_id", 7, 0};
    CHECK(mask_name_match(&one, "user_id", 7));
    CHECK(mask_name_match(&one, "userXid", 7)); /* _ is one character, as in LIKE */
    CHECK(!mask_name_match(&one, "userid", 6));
    mask_name under = {"_%_", 3, 0};
    CHECK(mask_name_match(&under, "ab", 2));
    CHECK(!mask_name_match(&under, "a", 1));
    mask_name lit_ = {"a_", 2, 1};
    CHECK(mask_name_match(&lit_, "a_", 2));
    CHECK(!mask_name_match(&lit_, "ab", 2));
    mask_name lit = {"a%", 2, 1};
    CHECK(mask_name_match(&lit, "a%", 2));
    CHECK(!mask_name_match(&lit, "ab", 2));
    mask_name cs = {"Email", 5, 0};
    CHECK(!mask_name_match(&cs, "email", 5)); /* case-sensitive */
    mask_name nul = {"a%", 2, 0};
    CHECK(mask_name_match(&nul, "a\0b", 3)); /* lengths, not NUL-terminated strings */
}

static void selection(void)
{
    mask_patterns p;
    mask_pattern_error e;
    const char *list =
        " public.users.email ,%.%.ssn, !audit.%.%, \"my.schema\".\"T\"\"x\".\"%\"";
    CHECK(mask_patterns_parse(list, &p, &e) == 0);
    CHECK(p.n == 4 && p.nincludes == 3);
    CHECK(sel(&p, "public", "users", "email"));
    CHECK(!sel(&p, "public", "users", "name"));
    CHECK(!sel(&p, "public", "customers", "email"));
    CHECK(sel(&p, "sales", "people", "ssn"));
    CHECK(!sel(&p, "audit", "people", "ssn")); /* excluded, though listed after */
    CHECK(sel(&p, "my.schema", "T\"x", "%"));
    CHECK(!sel(&p, "my.schema", "T\"x", "y"));
    mask_patterns_free(&p);

    /* an exclusion before the inclusion works the same */
    CHECK(mask_patterns_parse("!%.%.id, %.%.%", &p, &e) == 0);
    CHECK(sel(&p, "a", "b", "c") && !sel(&p, "a", "b", "id"));
    mask_patterns_free(&p);
}

static void expect_error(const char *text, const char *message, const char *detail)
{
    mask_patterns p;
    mask_pattern_error e;
    int rc = mask_patterns_parse(text, &p, &e);
    CHECK(rc == -1);
    if (rc == 0) {
        mask_patterns_free(&p);
        return;
    }
    CHECK_STR(e.message, message);
    CHECK_STR(e.detail, detail);
    CHECK_CONTAINS(e.hint, "Write each pattern as schema.table.column");
}

static void errors(void)
{
    expect_error("", "option \"columns\" names no columns", "The value is empty.");
    expect_error("  ", "option \"columns\" names no columns", "The value is empty.");
    expect_error("a.b.c,,d.e.f", "option \"columns\" has an empty pattern",
                 "Pattern 2 of the list is empty (two commas in a row, or a comma at the start "
                 "or the end).");
    expect_error("a.b.c, ", "option \"columns\" has an empty pattern",
                 "Pattern 2 of the list is empty (two commas in a row, or a comma at the start "
                 "or the end).");
    expect_error("public.users.email, users.email",
                 "invalid columns pattern \"users.email\": too few names",
                 "A pattern names a column as schema.table.column (three names); this one has 2.");
    expect_error("a.b.c.d", "invalid columns pattern \"a.b.c.d\": too many names",
                 "A pattern names a column as schema.table.column (three names); this one has 4.");
    expect_error("a..c", "invalid columns pattern \"a..c\": empty name",
                 "Every one of schema, table and column needs a name or %.");
    expect_error("a.b.", "invalid columns pattern \"a.b.\": empty name",
                 "Every one of schema, table and column needs a name or %.");
    expect_error("a.\"\".c", "invalid columns pattern \"a.\"\".c\": empty name",
                 "A quoted name (\"\") must not be empty.");
    expect_error("a.b.\"c", "invalid columns pattern \"a.b.\"c\": unterminated quoted name",
                 "A name that starts with a double quote must end with one; write \"\" for a "
                 "quote inside it.");
    expect_error("a.b\"x\".c", "invalid columns pattern \"a.b\"x\".c\": misplaced double quote",
                 "Quotes enclose a whole name: \"name\", not na\"me\".");
    expect_error("a.b.c d.e.f",
                 "invalid columns pattern \"a.b.c d.e.f\": expected \",\" after the column name",
                 "Names within a pattern are joined by \".\" without spaces, and patterns are "
                 "separated by \",\".");
    expect_error("a . b.c",
                 "invalid columns pattern \"a . b.c\": too few names",
                 "A pattern names a column as schema.table.column (three names); this one has 1.");

    mask_patterns p;
    mask_pattern_error e;
    CHECK(mask_patterns_parse("!a.b.c", &p, &e) == -1);
    CHECK_STR(e.message, "option \"columns\" has no pattern that selects a column");
    CHECK_STR(e.hint, "Add the columns to mask, as in \"%.%.%, !public.users.id\".");
}

int main(void)
{
    wildcards();
    selection();
    errors();
    return unit_done();
}
