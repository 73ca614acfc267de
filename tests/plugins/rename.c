/*
 * rename: a test transform. map_schema renames every table to
 * "<schema>.<prefix><name>" and marks nothing else; map_batch uppercases every
 * TEXT value of column s1 and drops (SKIP) insert and snapshot rows whose id is a
 * multiple of drop_every. The runner tests use it to prove that transforms run
 * between source and sink, that map_schema happens before a table's first batch,
 * and that sinks see the output tables.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/sluice.h>

typedef struct rename_config {
    const char *prefix;
    int64_t drop_every;
} rename_config;

typedef struct rename_state {
    const sluice_host *host;
    rename_config cfg;
    uint64_t schemas_mapped;
} rename_state;

#define OPT(name, type, def, text, field) \
    {name, type, 0, def, NULL, text, offsetof(rename_config, field)}

static const sluice_option option_list[] = {
    OPT("prefix", SLUICE_OPTION_STRING, "out_", "put in front of every table name", prefix),
    OPT("drop_every", SLUICE_OPTION_INT, "0",
        "drop inserted rows whose id is a multiple of this; 0 drops none", drop_every),
};

static const sluice_options options = {SLUICE_HEADER_INIT(sluice_options), sizeof(sluice_option),
                                       sizeof option_list / sizeof option_list[0], option_list,
                                       sizeof(rename_config)};

static sluice_status rename_open(const sluice_host *host, sluice_context *ctx, const void *config,
                                 void **instance, sluice_error *err)
{
    (void)ctx;
    rename_state *s = calloc(1, sizeof *s);
    if (!s)
        return host->error(err, SLUICE_FATAL, "out of memory");
    s->host = host;
    s->cfg = *(const rename_config *)config;
    *instance = s;
    return SLUICE_OK;
}

static void rename_close(void *instance) { free(instance); }

static sluice_status rename_map_schema(void *instance, sluice_table *t, sluice_error *err)
{
    rename_state *s = instance;
    size_t plen = strlen(s->cfg.prefix);
    char *name = malloc(plen + t->name.len + 1);
    if (!name)
        return s->host->error(err, SLUICE_FATAL, "out of memory");
    memcpy(name, s->cfg.prefix, plen);
    memcpy(name + plen, t->name.ptr, t->name.len);
    int rc = s->host->table_rename(t, t->schema, (sluice_str){name, plen + t->name.len});
    free(name);
    s->schemas_mapped++;
    return rc == 0 ? SLUICE_OK : s->host->error(err, SLUICE_FATAL, "could not rename a table");
}

static int column_index(const sluice_table *t, const char *name)
{
    for (uint32_t i = 0; i < t->ncolumns; i++) {
        const sluice_column *c = sluice_table_column(t, i);
        if (c->name.len == strlen(name) && memcmp(c->name.ptr, name, c->name.len) == 0)
            return (int)i;
    }
    return -1;
}

static sluice_status rename_map_batch(void *instance, sluice_batch *b, sluice_error *err)
{
    rename_state *s = instance;
    if (s->schemas_mapped == 0)
        return s->host->error(err, SLUICE_FATAL, "map_batch before any map_schema");
    for (uint32_t i = 0; i < b->nevents; i++) {
        sluice_event *e = sluice_batch_event(b, i);
        if (!e->table || !e->new_row)
            continue;
        sluice_value *id = &e->new_row[0];
        if (e->op == SLUICE_OP_INSERT && s->cfg.drop_every > 0 && id->kind == SLUICE_VALUE_INT &&
            id->u.i % s->cfg.drop_every == 0) {
            e->op = SLUICE_OP_SKIP;
            continue;
        }
        int col = column_index(e->table, "s1");
        sluice_value *v = col >= 0 ? &e->new_row[col] : NULL;
        if (!v || v->kind != SLUICE_VALUE_TEXT)
            continue;
        char *upper = s->host->alloc(b, v->len ? v->len : 1);
        if (!upper)
            return s->host->error(err, SLUICE_FATAL, "out of memory");
        for (uint32_t k = 0; k < v->len; k++)
            upper[k] = (char)toupper((unsigned char)v->u.bytes[k]);
        v->u.bytes = upper;
    }
    return SLUICE_OK;
}

static const sluice_transform_vtable vtable = {
    SLUICE_HEADER_INIT(sluice_transform_vtable), rename_open, rename_close, rename_map_schema,
    rename_map_batch};

static const sluice_plugin descriptor = {
    SLUICE_HEADER_INIT(sluice_plugin), SLUICE_KIND_TRANSFORM, "rename", "1.0.0",
    "test transform: prefixes table names, uppercases s1, drops some inserts", &options,
    &vtable};

SLUICE_PLUGIN_ABI_DEFINE()

SLUICE_EXPORT const sluice_plugin *sluice_plugin_init(const sluice_host *host)
{
    (void)host; /* each instance gets the host in open() */
    return &descriptor;
}
