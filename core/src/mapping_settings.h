/*
 * AWS DMS "table-settings" rules: per-table settings that do not change what
 * is moved, only how (today: parallel-load, which splits a table's full load).
 * The rule list (mapping.h) has no place for them, so they are kept in their
 * own list, read from the same JSON document (mapping_json.c) and kept in
 * mapping->settings; the full load splits a table by its ranges
 * (range_chunks.c) or its partitions (partition_chunks.c). mapping_from_json_*,
 * for callers without a list, refuse
 * the settings that would change behaviour.
 */
#ifndef SLUICE_MAPPING_SETTINGS_H
#define SLUICE_MAPPING_SETTINGS_H

#include <stddef.h>
#include <sluice/sluice.h>

#include "mapping.h"

typedef enum map_parallel_load {
    MAP_PARALLEL_NONE = 0,          /* "none" or no parallel-load: one piece */
    MAP_PARALLEL_RANGES,            /* "ranges": columns + boundaries */
    MAP_PARALLEL_PARTITIONS_AUTO,   /* "partitions-auto": every leaf partition its own piece */
    MAP_PARALLEL_SUBPARTITIONS_AUTO, /* "subpartitions-auto": every leaf partition too */
    MAP_PARALLEL_PARTITIONS_LIST    /* "partitions-list": the named (sub)partitions */
} map_parallel_load;

typedef struct map_table_settings {
    char *id;     /* as map_rule.id: "2" or "2 (rule-name)" */
    char *where;  /* the file, for messages */
    char *schema; /* patterns with % and _ wildcards */
    char *table;
    map_parallel_load parallel;
    /* ranges: the segment columns, most significant first, and nboundaries rows
       of ncolumns values each (row-major, canonical text). Row k is the upper
       bound of segment k; rows above the last row form one more segment. */
    char **columns;
    uint32_t ncolumns;
    char **boundaries;
    uint32_t nboundaries;
    /* partitions-list: partition and subpartition names */
    char **partitions;
    uint32_t npartitions;
    char **subpartitions;
    uint32_t nsubpartitions;
} map_table_settings;

typedef struct mapping_settings {
    map_table_settings *items;
    size_t n;
    size_t capacity;
} mapping_settings;

mapping_settings *mapping_settings_new(void);
void mapping_settings_free(mapping_settings *s);
/* Appends zeroed settings (id, where copied); NULL when out of memory. */
map_table_settings *mapping_settings_add(mapping_settings *s, const char *id, const char *where);
/* The settings for schema.table: the last entry that matches, as for selection rules. */
const map_table_settings *mapping_settings_for(const mapping_settings *s, sluice_str schema,
                                               sluice_str name);

/* mapping_from_json_text / _file, with the table-settings rules appended to
   settings instead of refused. settings NULL: refused as those do. */
int mapping_json_load_text(mapping *m, mapping_settings *settings, const char *text, size_t len,
                           const char *where, sluice_error *err);
int mapping_json_load_file(mapping *m, mapping_settings *settings, const char *path,
                           sluice_error *err);

#endif
