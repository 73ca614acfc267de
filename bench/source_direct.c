/*
 * The limit for the core benchmark: a source plugin's read_chunk called in a
 * tight loop into one reused batch, on one thread, with no queue, no sink and
 * no transforms. `sluice run` of the same source into a null sink, divided by
 * this, is the share of the source's speed the core keeps.
 *
 * usage: source-direct PLUGIN key=integer ...   (prints rows and seconds)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "host.h"
#include "loader.h"
#include "options.h"
#include "report.h"

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: source-direct PLUGIN key=integer ...\n");
        return 2;
    }
    sluice_error err;
    error_init(&err);
    char **dirs = loader_search_path(NULL);
    loaded_plugin *p = plugin_load(argv[1], SLUICE_KIND_SOURCE, dirs, &err);
    if (!p) {
        report_error(&err);
        return 4;
    }
    config_section section = {0};
    section.values = calloc((size_t)argc, sizeof *section.values);
    for (int i = 2; i < argc; i++) {
        config_value *v = &section.values[section.nvalues++];
        char *eq = strchr(argv[i], '=');
        if (!eq)
            return 2;
        *eq = '\0';
        v->key = argv[i];
        v->text = eq + 1;
        v->type = strcmp(eq + 1, "true") == 0 || strcmp(eq + 1, "false") == 0 ? CONFIG_BOOL
                                                                              : CONFIG_INT;
        v->i = v->type == CONFIG_BOOL ? strcmp(eq + 1, "true") == 0 : strtoll(eq + 1, NULL, 10);
        v->d = (double)v->i;
    }
    void *config = options_fill(&p->options, &section, "command line", "source", &err);
    if (!config) {
        report_error(&err);
        return 3;
    }
    sluice_context ctx = {.plugin_name = p->info.name, .kind_name = "source"};
    void *inst = NULL;
    sluice_catalog *cat = catalog_new();
    if (p->vt.source.open(host_api(), &ctx, config, &inst, &err) != SLUICE_OK ||
        p->vt.source.discover(inst, cat, &err) != SLUICE_OK) {
        report_error(&err);
        return 5;
    }
    sluice_batch *b = batch_new(SLUICE_BATCH_SNAPSHOT, 8192, 8 << 20);
    unsigned long long rows = 0;
    double start = seconds_now();
    for (uint32_t t = 0; t < cat->ntables; t++) {
        sluice_chunk chunk = {.header = SLUICE_HEADER_INIT(sluice_chunk), .table = cat->tables[t], .index = 0, .count = 1, .bounds = {"", 0}};
        do {
            batch_reset(b);
            b->kind = SLUICE_BATCH_SNAPSHOT;
            b->table = cat->tables[t];
            if (p->vt.source.read_chunk(inst, &chunk, b, &err) != SLUICE_OK) {
                report_error(&err);
                return 5;
            }
            rows += b->nevents;
        } while (!(b->flags & SLUICE_BATCH_LAST));
    }
    double elapsed = seconds_now() - start;
    printf("%llu rows %.6f s\n", rows, elapsed);
    batch_free(b);
    p->vt.source.close(inst);
    catalog_free(cat);
    options_free(&p->options, config);
    free(section.values);
    plugin_unload(p);
    loader_free_path(dirs);
    return 0;
}
