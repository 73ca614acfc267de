/*
 * The pipeline file: a Lua script, run in a sandbox (no io, os, package, debug,
 * load), that returns a table with source, target, transforms, mode, settings
 * and mappings. env "NAME" and file "/path" supply secrets.
 */
#ifndef SLUICE_CONFIG_H
#define SLUICE_CONFIG_H

#include <stdint.h>
#include <sluice/sluice.h>

typedef enum config_value_type {
    CONFIG_STRING = 1,
    CONFIG_INT = 2,
    CONFIG_DOUBLE = 3,
    CONFIG_BOOL = 4,
    CONFIG_TABLE = 5 /* a nested table: kept as text "table", rejected where options expect scalars */
} config_value_type;

typedef struct config_value {
    char *key;
    config_value_type type;
    char *text;     /* the value as text (numbers formatted, booleans "true"/"false") */
    int64_t i;      /* CONFIG_INT, CONFIG_BOOL */
    double d;       /* CONFIG_DOUBLE, CONFIG_INT */
    int secret;     /* came from env/file: never print text */
    int line;       /* line of the key in the pipeline file, 0 when unknown */
} config_value;

typedef struct config_section {
    char *plugin;   /* the "plugin" key: name or path */
    int line;       /* line of the section in the file */
    config_value *values; /* every key but "plugin" */
    size_t nvalues;
} config_section;

typedef struct pipeline_config {
    char *path;         /* the pipeline file as given */
    char *name;         /* "name" key, default: file name without .lua */
    char *mode;         /* "full-load" | "full-load-and-cdc" | "cdc-only" */
    config_section source;
    config_section target;
    config_section *transforms;
    size_t ntransforms;
    config_section settings;  /* plugin is NULL; checked against the core's settings */
    void *lua;          /* the sandbox while loading; NULL after */
    struct mapping *mapping; /* the mappings rules (mapping.h); NULL when there are none */
    struct type_rules *type_rules; /* type_rules entries; after type_rules_attach, the
                                      pipeline's whole rule set (type_rules.h) */
    const char *command; /* "check" while `sluice check` runs, else NULL: plugins read it
                            as the setting "command" (a static string, not freed) */
} pipeline_config;

/* Loads and checks the file's shape. On failure returns NULL and fills err
   ("pipeline.lua:7: ..." in the message). */
pipeline_config *config_load(const char *path, sluice_error *err);
void config_free(pipeline_config *cfg);

/* Looks a key up in a section; NULL when absent. */
const config_value *config_find(const config_section *s, const char *key);

#endif
