/*
 * template.c: a sluice source plugin to copy and edit.
 *
 * It offers one table, SCHEMA.TABLE (id bigint primary key, label text), whose
 * `rows` rows it makes up: (1, 'row 1'), (2, 'row 2'), ... It has no log, so it
 * does full loads only. Everything a real source does beyond that is marked
 * where it goes. The steps, in the order to do them:
 *
 *   1. Rename: copy this folder, rename the file and replace "template"
 *      everywhere (the name pipelines use is PLUGIN_NAME and the .so file name).
 *   2. Declare the options and the config struct the core fills from them.
 *   3. Open and close an instance: connect, keep state, check the config.
 *   4. Discover: add every table the source offers to the catalog.
 *   5. Read a chunk: fill a SNAPSHOT batch with rows, end with SLUICE_BATCH_LAST.
 *   6. Positions: compare and print them (a source with a log makes them).
 *   7. Optional callbacks: snapshots, chunking, streaming changes, ack, cleanup.
 *   8. The vtable, the descriptor and the two exported entry points.
 *   9. Build with the Makefile; test with `sluice plugins --describe NAME`.
 *
 * Rules of the ABI (docs/plugin-abi.md has them all):
 *   - Only sluice_plugin_abi() and sluice_plugin_init() are exported; build with
 *     -fvisibility=hidden and keep everything else static.
 *   - One instance is used by one thread at a time, but several instances may
 *     run at once: keep all state in the instance, none in globals.
 *   - The core owns tables, batches and values; copy what you keep.
 *   - Report errors through host->error / error_detail / error_hint, in
 *     PostgreSQL's style: lower-case message without a final period, detail
 *     and hint as sentences. The core adds which plugin and callback it was.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/sluice.h>

/* ---- step 1: the name pipelines use: plugin = "template" ---- */
#define PLUGIN_NAME "template"
#define PLUGIN_VERSION "0.1.0"

/* ---- step 2: options and the config struct ----
 * The core validates the pipeline's keys against this table (unknown keys,
 * types, choices, required ones) and writes each value at its offset in a
 * zeroed config struct. A STRING is const char * (NULL when unset and without
 * a default), INT is int64_t, BOOL is int, DOUBLE is double. Mark passwords
 * SLUICE_OPTION_SECRET: they are never printed. */
typedef struct template_config {
    const char *schema;
    const char *table;
    int64_t rows;
} template_config;

static const sluice_option template_option_list[] = {
    {"table", SLUICE_OPTION_STRING, SLUICE_OPTION_REQUIRED, NULL, NULL,
     "Name of the one table this source offers.", offsetof(template_config, table)},
    {"schema", SLUICE_OPTION_STRING, 0, "public", NULL, "Schema of that table.",
     offsetof(template_config, schema)},
    {"rows", SLUICE_OPTION_INT, 0, "10", NULL, "How many rows the table has.",
     offsetof(template_config, rows)},
};

static const sluice_options template_options = {
    SLUICE_HEADER_INIT(sluice_options),
    sizeof(sluice_option),
    sizeof template_option_list / sizeof template_option_list[0],
    template_option_list,
    sizeof(template_config),
};

/* ---- step 3: open and close ----
 * The instance is whatever you need: a connection, cursors, progress. */
typedef struct template_instance {
    const sluice_host *host;
    sluice_context *ctx;
    char *schema;     /* copies: the config belongs to the core */
    char *table;
    int64_t rows;
    int64_t next_row; /* the next row read_chunk emits, 0-based */
} template_instance;

static void template_close(void *instance)
{
    template_instance *in = instance;
    if (in == NULL)
        return;
    free(in->schema);
    free(in->table);
    free(in);
}

static sluice_status template_open(const sluice_host *host, sluice_context *ctx,
                                   const void *config, void **instance, sluice_error *err)
{
    const template_config *cfg = config;
    /* The core has checked types and required options; check meaning here. */
    if (cfg->rows < 0) {
        host->error(err, SLUICE_FATAL, "invalid value for option \"rows\": %" PRId64, cfg->rows);
        host->error_hint(err, "Set rows to 0 or more.");
        return SLUICE_FATAL;
    }
    template_instance *in = calloc(1, sizeof *in);
    if (in == NULL)
        return host->error(err, SLUICE_FATAL, "out of memory");
    in->host = host;
    in->ctx = ctx;
    in->schema = strdup(cfg->schema ? cfg->schema : "public");
    in->table = strdup(cfg->table ? cfg->table : "items");
    in->rows = cfg->rows;
    if (in->schema == NULL || in->table == NULL) {
        template_close(in);
        return host->error(err, SLUICE_FATAL, "out of memory");
    }
    /* A real source connects here, and reports a failure like this:
     *   host->error(err, SLUICE_RETRY, "could not connect to server \"%s\": %s", ...);
     *   host->error_hint(err, "Check that the server is running and accepts ...");
     * SLUICE_RETRY lets the core back off and try again. */
    *instance = in;
    return SLUICE_OK;
}

/* ---- step 4: discover ----
 * Add every table with its columns in order; the core selects among them and
 * keeps the sluice_table until the instance is closed. source_type is the type
 * as the source spells it; the canonical type is what sinks map from. */
static sluice_str str(const char *s) { return (sluice_str){s, strlen(s)}; }

static sluice_status template_discover(void *instance, sluice_catalog *catalog, sluice_error *err)
{
    template_instance *in = instance;
    const sluice_host *host = in->host;
    sluice_table *t = host->table_add(catalog, str(in->schema), str(in->table), 2);
    if (t == NULL ||
        host->column_set(t, 0, str("id"), str("bigint"), SLUICE_TYPE_INT64, SLUICE_COLUMN_KEY) ||
        host->column_set(t, 1, str("label"), str("text"), SLUICE_TYPE_TEXT,
                         SLUICE_COLUMN_NULLABLE))
        return host->error(err, SLUICE_FATAL, "could not add table \"%s.%s\"", in->schema,
                           in->table);
    t->estimated_rows = (uint64_t)in->rows; /* progress bars and chunking use it */
    return SLUICE_OK;
}

/* ---- step 5: read a chunk ----
 * The core hands an empty SNAPSHOT batch and calls again until the chunk ends,
 * which you say with SLUICE_BATCH_LAST. Stop when host->batch_full() says so or
 * emit() returns NULL. Values: INT for the integer fast path, TEXT (copied into
 * the batch by set_text) in the canonical text form of the column's type;
 * leave a value as it is for NULL. */
static sluice_status template_read_chunk(void *instance, const sluice_chunk *chunk,
                                         sluice_batch *batch, sluice_error *err)
{
    template_instance *in = instance;
    const sluice_host *host = in->host;
    uint64_t emitted = 0;
    while (in->next_row < in->rows && !host->batch_full(batch)) {
        if (host->cancelled(in->ctx))
            break; /* the pipeline is stopping: return what we have */
        sluice_event *ev = host->emit(batch, SLUICE_OP_INSERT, chunk->table, 0);
        if (ev == NULL)
            break;
        char label[32];
        int n = snprintf(label, sizeof label, "row %" PRId64, in->next_row + 1);
        ev->new_row[0].kind = SLUICE_VALUE_INT;
        ev->new_row[0].u.i = in->next_row + 1;
        if (host->set_text(batch, &ev->new_row[1], label, (size_t)n))
            return host->error(err, SLUICE_ERROR, "could not store row %" PRId64,
                               in->next_row + 1);
        in->next_row++;
        emitted++;
    }
    if (emitted)
        host->count(in->ctx, "rows_generated", emitted);
    if (in->next_row >= in->rows) {
        batch->flags |= SLUICE_BATCH_LAST;
        in->next_row = 0; /* ready for the next full load of this instance */
    }
    return SLUICE_OK;
}

/* ---- step 6: positions ----
 * A position is opaque bytes only the source understands (an LSN, a GTID set).
 * This source has no log and never makes one, but the two callbacks are
 * required: compare like memcmp, and print into buf. */
static int template_position_compare(const sluice_position *a, const sluice_position *b)
{
    uint32_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->bytes, b->bytes, n);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

static size_t template_position_format(const sluice_position *p, char *buf, size_t size)
{
    size_t used = 0;
    if (size == 0)
        return 0;
    buf[0] = '\0';
    if (p->len == 0)
        return (size_t)snprintf(buf, size, "none");
    for (uint32_t i = 0; i < p->len && used + 3 <= size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%02x", p->bytes[i]);
    return used;
}

/* ---- step 7: optional callbacks ----
 * Leave a member NULL when the source cannot do it; the core checks with
 * SLUICE_HAS before calling. For CDC a source implements:
 *   snapshot_begin   fix a consistent snapshot and report its log position
 *   snapshot_attach  let a worker instance read under that snapshot
 *   split_table      cut a large table into chunks with host->chunk_add
 *   stream_start / stream_read   changes after a position, in CHANGES batches
 *                    with BEGIN and COMMIT events (SLUICE_AGAIN when idle)
 *   ack              the target has everything up to here; release the log
 *   position_parse   the printable form back to bytes (for --until)
 *   cleanup (1.1)    drop what the source created on the server
 *   read_sequences (1.2)  sequences and their values, with host->sequence_add
 * discover may also describe secondary indexes with host->index_add (1.2).
 */

/* ---- step 8: the vtable, the descriptor and the entry points ----
 * SLUICE_HEADER_INIT records the ABI version and struct size this file was
 * built with; the loader uses them to know which members exist. */
static const sluice_source_vtable template_vtable = {
    .header = SLUICE_HEADER_INIT(sluice_source_vtable),
    .open = template_open,
    .close = template_close,
    .discover = template_discover,
    .read_chunk = template_read_chunk,
    .position_compare = template_position_compare,
    .position_format = template_position_format,
};

static const sluice_plugin template_plugin = {
    SLUICE_HEADER_INIT(sluice_plugin),
    SLUICE_KIND_SOURCE,
    PLUGIN_NAME,
    PLUGIN_VERSION,
    "Makes up rows of one table; a source plugin to copy.",
    &template_options,
    &template_vtable,
};

/* Exports sluice_plugin_abi(): magic, ABI major and minor, size. */
SLUICE_PLUGIN_ABI_DEFINE()

/* Called once after loading. The host table is also handed to open(), so
   there is nothing to keep here; a plugin that needs it earlier may store it. */
const sluice_plugin *sluice_plugin_init(const sluice_host *host)
{
    (void)host;
    return &template_plugin;
}

/* ---- step 9: build and try it ----
 *   make                          (uses pkg-config --cflags sluice)
 *   sluice plugins --plugin-path . --describe template
 * and in a pipeline: source = { plugin = "template", table = "items", rows = 100 }
 * with settings = { PluginPath = "/path/to/this/folder" }. */
