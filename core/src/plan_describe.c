/* The words and the DDL of `sluice plan` (plan_describe.h). */
#include "plan_describe.h"

#include <stdlib.h>
#include <string.h>

#include "value_mask.h"

static int same_str(sluice_str a, sluice_str b)
{
    return a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0;
}

static const sluice_column *column_named(const sluice_table *t, sluice_str name)
{
    for (uint32_t i = 0; i < t->ncolumns; i++)
        if (same_str(sluice_table_column(t, i)->name, name))
            return sluice_table_column(t, i);
    return NULL;
}

plan_colmap *plan_column_map(const sluice_table *source, const table_plan *plan,
                             const sluice_table *target, uint32_t *n)
{
    const sluice_table *planned = plan ? plan->target : source;
    /* a transform that kept the column count renamed or retyped in place: pair by
       position; one that changed it is followed by name */
    int same = target->ncolumns == planned->ncolumns;
    plan_colmap *map = calloc(source->ncolumns + planned->ncolumns + target->ncolumns + 1,
                              sizeof *map);
    char *used = calloc(target->ncolumns + 1, 1);
    if (!map || !used) {
        free(map);
        free(used);
        return NULL;
    }
    uint32_t m = 0;
    for (uint32_t k = 0; k < source->ncolumns + planned->ncolumns; k++) {
        /* first pass (k < source->ncolumns): source columns; then added ones */
        int added_pass = k >= source->ncolumns;
        uint32_t c = added_pass ? k - source->ncolumns : k;
        if (added_pass && (!plan || c >= planned->ncolumns))
            continue;
        int32_t p = -1;
        if (added_pass)
            p = plan->columns[c].source < 0 ? (int32_t)c : -1;
        else
            for (uint32_t j = 0; j < planned->ncolumns && p < 0; j++)
                if (plan ? plan->columns[j].source == (int32_t)c : j == c)
                    p = (int32_t)j;
        if (added_pass && p < 0)
            continue;
        plan_colmap *e = &map[m++];
        e->source = added_pass ? NULL : sluice_table_column(source, c);
        e->added = added_pass ? plan->columns[p].added : NULL;
        if (added_pass && plan->columns[p].before.kind == MAP_TERM_BEFORE_IMAGE)
            e->before_of = sluice_table_column(source, (uint32_t)plan->columns[p].term_columns[0]);
        if (p < 0)
            continue; /* removed by the plan */
        if (plan) {
            e->mask = (vp_mask)plan->columns[p].policy.mask;
            e->mask_char = plan->columns[p].policy.mask_char;
        }
        const sluice_column *pc = sluice_table_column(planned, (uint32_t)p);
        e->target = same ? sluice_table_column(target, (uint32_t)p) : column_named(target, pc->name);
        if (e->target)
            used[e->target - sluice_table_column(target, 0)] = 1;
    }
    for (uint32_t t = 0; !same && t < target->ncolumns; t++)
        if (!used[t])
            map[m++] = (plan_colmap){.target = sluice_table_column(target, t)};
    free(used);
    *n = m;
    return map;
}

void plan_mask_note(const plan_colmap *e, char *buf, size_t size)
{
    if (!e->mask)
        snprintf(buf, size, "%s", "");
    else if (e->mask == VP_MASK_DIGITS)
        snprintf(buf, size, "masked: %s '%c'", value_mask_name(e->mask), e->mask_char);
    else
        snprintf(buf, size, "masked: %s", value_mask_name(e->mask));
}

/* ---- type names ---- */

static const char *pg_scalar(uint32_t type)
{
    switch (type) {
    case SLUICE_TYPE_BOOL: return "boolean";
    case SLUICE_TYPE_INT16: return "smallint";
    case SLUICE_TYPE_INT32: return "integer";
    case SLUICE_TYPE_INT64: return "bigint";
    case SLUICE_TYPE_UINT64: return "numeric(20,0)"; /* 2^64-1 has 20 digits */
    case SLUICE_TYPE_FLOAT32: return "real";
    case SLUICE_TYPE_FLOAT64: return "double precision";
    case SLUICE_TYPE_DECIMAL: return "numeric";
    case SLUICE_TYPE_BYTES: return "bytea";
    case SLUICE_TYPE_DATE: return "date";
    case SLUICE_TYPE_TIME: return "time";
    case SLUICE_TYPE_TIMESTAMP: return "timestamp";
    case SLUICE_TYPE_TIMESTAMPTZ: return "timestamptz";
    case SLUICE_TYPE_INTERVAL: return "interval";
    case SLUICE_TYPE_UUID: return "uuid";
    case SLUICE_TYPE_JSON: return "json"; /* keeps the text as sent, as sink-pg does */
    default: return "text"; /* text, enum labels, source-native values: carried as text */
    }
}

/* What sink-pg falls back to when the target does not know the source's name. */
static void canonical_pg(const sluice_column *c, char *buf, size_t size)
{
    if (c->type == SLUICE_TYPE_ARRAY)
        snprintf(buf, size, "%s[]",
                 c->element_type == SLUICE_TYPE_ARRAY ? "text" : pg_scalar(c->element_type));
    else if (c->type == SLUICE_TYPE_DECIMAL && c->precision > 0 && c->scale >= 0)
        snprintf(buf, size, "numeric(%d,%d)", (int)c->precision, (int)c->scale);
    else if (c->type == SLUICE_TYPE_DECIMAL && c->precision > 0)
        snprintf(buf, size, "numeric(%d)", (int)c->precision);
    else if (c->type == SLUICE_TYPE_TEXT && c->precision > 0)
        snprintf(buf, size, "varchar(%d)", (int)c->precision);
    else
        snprintf(buf, size, "%s", pg_scalar(c->type));
}

void plan_type_name(const sluice_column *c, const sluice_column *from, int pg_names, char *buf,
                    size_t size)
{
    int changed = !from || !same_str(c->source_type, from->source_type);
    if (c->source_type.len && (pg_names || changed))
        snprintf(buf, size, "%.*s", (int)c->source_type.len, c->source_type.ptr);
    else
        canonical_pg(c, buf, size);
}

void plan_source_type(const sluice_column *c, char *buf, size_t size)
{
    if (c->source_type.len)
        snprintf(buf, size, "%.*s", (int)c->source_type.len, c->source_type.ptr);
    else
        canonical_pg(c, buf, size);
}

/* ---- identifiers and literals ---- */

/* PostgreSQL's keywords other than the unreserved ones: quote_ident quotes these
   (a few of them would do as bare column names, but quoting never hurts). */
static const char *const keywords[] = {
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric",
    "authorization", "between", "bigint", "binary", "bit", "boolean", "both", "case", "cast",
    "char", "character", "check", "coalesce", "collate", "collation", "column",
    "concurrently", "constraint", "create", "cross", "current_catalog", "current_date",
    "current_role", "current_schema", "current_time", "current_timestamp", "current_user",
    "dec", "decimal", "default", "deferrable", "desc", "distinct", "do", "else", "end",
    "except", "exists", "extract", "false", "fetch", "float", "for", "foreign", "freeze",
    "from", "full", "grant", "greatest", "group", "grouping", "having", "ilike", "in",
    "initially", "inner", "inout", "int", "integer", "intersect", "interval", "into", "is",
    "isnull", "join", "json", "json_array", "json_arrayagg", "json_exists", "json_object",
    "json_objectagg", "json_query", "json_scalar", "json_serialize", "json_table",
    "json_value", "lateral", "leading", "least", "left", "like", "limit", "localtime",
    "localtimestamp", "merge_action", "national", "natural", "nchar", "none", "normalize",
    "not", "notnull", "null", "nullif", "numeric", "offset", "on", "only", "or", "order",
    "out", "outer", "overlaps", "overlay", "placing", "position", "precision", "primary",
    "real", "references", "returning", "right", "row", "select", "session_user", "setof",
    "similar", "smallint", "some", "substring", "symmetric", "system_user", "table",
    "tablesample", "then", "time", "timestamp", "to", "trailing", "treat", "trim", "true",
    "union", "unique", "user", "using", "values", "varchar", "variadic", "verbose", "when",
    "where", "window", "with", "xmlattributes", "xmlconcat", "xmlelement", "xmlexists",
    "xmlforest", "xmlnamespaces", "xmlparse", "xmlpi", "xmlroot", "xmlserialize", "xmltable",
};

static int needs_quotes(const char *name, size_t len)
{
    if (len == 0 || len > 63 || !((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_'))
        return 1;
    for (size_t i = 1; i < len; i++) {
        char ch = name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '$'))
            return 1;
    }
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
        if (strlen(keywords[i]) == len && memcmp(keywords[i], name, len) == 0)
            return 1;
    return 0;
}

void plan_put_ident(FILE *out, const char *name, size_t len)
{
    if (!needs_quotes(name, len)) {
        fwrite(name, 1, len, out);
        return;
    }
    fputc('"', out);
    for (size_t i = 0; i < len; i++) {
        if (name[i] == '"')
            fputc('"', out);
        fputc(name[i], out);
    }
    fputc('"', out);
}

static void put_literal(FILE *out, const char *s)
{
    fputc('\'', out);
    for (; *s; s++) {
        if (*s == '\'')
            fputc('\'', out);
        fputc(*s, out);
    }
    fputc('\'', out);
}

/* Numbers compare as numbers: shown bare when the column is numeric and the value
   reads as one, so the filter reads like the SQL a user would write. */
static int is_number(const char *s)
{
    char *end;
    if (!*s)
        return 0;
    (void)strtod(s, &end);
    return *end == '\0' && strspn(s, "+-0123456789.eE") == strlen(s);
}

static int numeric_type(uint32_t t)
{
    return t == SLUICE_TYPE_INT16 || t == SLUICE_TYPE_INT32 || t == SLUICE_TYPE_INT64 ||
           t == SLUICE_TYPE_UINT64 || t == SLUICE_TYPE_FLOAT32 || t == SLUICE_TYPE_FLOAT64 ||
           t == SLUICE_TYPE_DECIMAL;
}

static void put_value(FILE *out, const sluice_column *c, sluice_str v)
{
    char *s = strndup(v.ptr, v.len);
    if (!s)
        return;
    if (numeric_type(c->type) && is_number(s))
        fputs(s, out);
    else
        put_literal(out, s);
    free(s);
}

void plan_put_expression(FILE *out, const map_transform *added, const sluice_column *before_of)
{
    static const char *const meta[] = {
        [MAP_TERM_OPERATION] = "$AR_H_OPERATION",
        [MAP_TERM_COMMIT_TIME] = "$AR_H_COMMIT_TIMESTAMP",
        [MAP_TERM_TRANSACTION_ID] = "$AR_H_TRANSACTION_ID",
        [MAP_TERM_POSITION] = "$AR_H_STREAM_POSITION",
        [MAP_TERM_SCHEMA_NAME] = "$AR_M_SOURCE_SCHEMA",
        [MAP_TERM_TABLE_NAME] = "$AR_M_SOURCE_TABLE_NAME",
    };
    if (before_of) {
        fprintf(out, "before image of $%.*s", (int)before_of->name.len, before_of->name.ptr);
        return;
    }
    if (added && added->has_fn) {
        fputs("Lua fn", out);
        return;
    }
    if (added && added->nterms == 0 && added->value) { /* value = "constant" */
        put_literal(out, added->value);
        return;
    }
    if (!added || added->nterms == 0) {
        fputs("NULL", out); /* neither value nor expression, as DMS leaves it */
        return;
    }
    for (uint32_t i = 0; i < added->nterms; i++) {
        const map_term *t = &added->terms[i];
        if (i)
            fputs(" || ", out);
        if (t->kind == MAP_TERM_CONSTANT)
            put_literal(out, t->text);
        else if (t->kind == MAP_TERM_COLUMN)
            fprintf(out, "$%s", t->text);
        else if (t->kind < sizeof meta / sizeof meta[0] && meta[t->kind])
            fputs(meta[t->kind], out);
    }
}

static void put_condition(FILE *out, const sluice_table *t, const sluice_filter *f)
{
    static const char *const ops[] = {[SLUICE_FILTER_EQ] = "=",  [SLUICE_FILTER_NE] = "<>",
                                      [SLUICE_FILTER_LT] = "<",  [SLUICE_FILTER_LE] = "<=",
                                      [SLUICE_FILTER_GT] = ">",  [SLUICE_FILTER_GE] = ">="};
    const sluice_column *c = sluice_table_column(t, f->column);
    plan_put_ident(out, c->name.ptr, c->name.len);
    switch (f->op) {
    case SLUICE_FILTER_NULL: fputs(" IS NULL", out); return;
    case SLUICE_FILTER_NOT_NULL: fputs(" IS NOT NULL", out); return;
    case SLUICE_FILTER_BETWEEN:
        fputs(" BETWEEN ", out);
        put_value(out, c, f->values[0]);
        fputs(" AND ", out);
        put_value(out, c, f->values[1]);
        return;
    case SLUICE_FILTER_IN:
        fputs(" IN (", out);
        for (uint32_t i = 0; i < f->nvalues; i++) {
            if (i)
                fputs(", ", out);
            put_value(out, c, f->values[i]);
        }
        fputc(')', out);
        return;
    default:
        fprintf(out, " %s ", f->op < sizeof ops / sizeof ops[0] && ops[f->op] ? ops[f->op] : "?");
        put_value(out, c, f->values[0]);
    }
}

int plan_put_filter(FILE *out, const table_plan *plan)
{
    if (!plan || plan->nfilters == 0)
        return 0;
    uint32_t ngroups = 0;
    for (uint32_t i = 0; i < plan->nfilters; i++)
        if (i == 0 || plan->filters[i].group != plan->filters[i - 1].group)
            ngroups++;
    for (uint32_t i = 0; i < plan->nfilters; i++) {
        const sluice_filter *f = &plan->filters[i];
        int first = i == 0 || f->group != plan->filters[i - 1].group;
        int last = i + 1 == plan->nfilters || plan->filters[i + 1].group != f->group;
        int several = !(first && last);
        if (first && i)
            fputs(" AND ", out);
        else if (!first)
            fputs(" OR ", out);
        if (first && several && ngroups > 1)
            fputc('(', out); /* OR binds looser than AND */
        put_condition(out, plan->source, f);
        if (last && several && ngroups > 1)
            fputc(')', out);
    }
    return 1;
}

/* ---- the DDL ---- */

static const sluice_column *from_of(const sluice_column *c, const plan_colmap *map, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (map[i].target == c)
            return map[i].source;
    return NULL;
}

void plan_put_ddl(FILE *out, const sluice_table *target, const plan_colmap *map, uint32_t n,
                  int pg_names, const char *indent)
{
    fputs("CREATE TABLE ", out);
    plan_put_ident(out, target->schema.ptr, target->schema.len);
    fputc('.', out);
    plan_put_ident(out, target->name.ptr, target->name.len);
    fputs(" (", out);
    uint32_t nkeys = 0;
    for (uint32_t i = 0; i < target->ncolumns; i++) {
        const sluice_column *c = sluice_table_column(target, i);
        char type[256];
        plan_type_name(c, from_of(c, map, n), pg_names, type, sizeof type);
        fprintf(out, "%s\n%s  ", i ? "," : "", indent);
        plan_put_ident(out, c->name.ptr, c->name.len);
        fprintf(out, " %s%s", type, c->flags & SLUICE_COLUMN_NULLABLE ? "" : " NOT NULL");
        nkeys += (c->flags & SLUICE_COLUMN_KEY) != 0;
    }
    for (uint32_t i = 0, k = 0; i < target->ncolumns && nkeys; i++) {
        const sluice_column *c = sluice_table_column(target, i);
        if (!(c->flags & SLUICE_COLUMN_KEY))
            continue;
        if (k++)
            fputs(", ", out);
        else
            fprintf(out, ",\n%s  PRIMARY KEY (", indent);
        plan_put_ident(out, c->name.ptr, c->name.len);
    }
    fprintf(out, "%s\n%s);", nkeys ? ")" : "", indent);
}
