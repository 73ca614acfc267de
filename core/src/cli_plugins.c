/*
 * `sluice plugins`: what the loader finds on the search path, with kinds,
 * versions and ABI versions; `--describe NAME` prints one plugin's options
 * from the same table the core validates pipelines against.
 */
#include "cli.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcodes.h"
#include "loader.h"
#include "report.h"

#define USAGE "sluice plugins [--plugin-path DIRS] [--describe NAME] [--log-format FORMAT]"

typedef struct plugins_args {
    char *plugin_path; /* --plugin-path, colon-separated; NULL when not given */
    const char *describe; /* --describe NAME */
    int help;
} plugins_args;

static int usage_error(sluice_error *err)
{
    error_hint(err, "Run \"sluice plugins --help\" for the options.");
    report_error(err);
    return EXIT_USAGE;
}

/* Appends a colon-separated list to args->plugin_path (the option may repeat). */
static int add_plugin_path(plugins_args *args, const char *dirs)
{
    size_t old = args->plugin_path ? strlen(args->plugin_path) : 0;
    char *joined = realloc(args->plugin_path, old + strlen(dirs) + 2);
    if (joined == NULL)
        return -1;
    snprintf(joined + old, strlen(dirs) + 2, "%s%s", old ? ":" : "", dirs);
    args->plugin_path = joined;
    return 0;
}

/* The value of `--name VALUE` or `--name=VALUE` at argv[*i], or NULL. */
static const char *option_value(int argc, char **argv, int *i, const char *name, int *matched)
{
    size_t len = strlen(name);
    const char *arg = argv[*i];
    *matched = 0;
    if (strncmp(arg, name, len) != 0)
        return NULL;
    if (arg[len] == '=') {
        *matched = 1;
        return arg + len + 1;
    }
    if (arg[len] != '\0')
        return NULL;
    *matched = 1;
    return *i + 1 < argc ? argv[++*i] : NULL;
}

static int parse_args(int argc, char **argv, plugins_args *args)
{
    sluice_error err;
    error_init(&err);
    for (int i = 1; i < argc; i++) {
        int matched;
        const char *v;
        int common = cli_common_option(argc, argv, &i);
        if (common < 0)
            return EXIT_USAGE;
        if (common)
            continue;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            args->help = 1;
        } else if ((v = option_value(argc, argv, &i, "--plugin-path", &matched)) || matched) {
            if (v == NULL) {
                error_set(&err, SLUICE_FATAL, "option \"--plugin-path\" needs a value");
                return usage_error(&err);
            }
            if (add_plugin_path(args, v)) {
                error_set(&err, SLUICE_FATAL, "out of memory");
                report_error(&err);
                return EXIT_INTERNAL;
            }
        } else if ((v = option_value(argc, argv, &i, "--describe", &matched)) || matched) {
            if (v == NULL || v[0] == '\0') {
                error_set(&err, SLUICE_FATAL, "option \"--describe\" needs a plugin name");
                return usage_error(&err);
            }
            args->describe = v;
        } else if (argv[i][0] == '-') {
            error_set(&err, SLUICE_FATAL, "unrecognized option \"%s\"", argv[i]);
            return usage_error(&err);
        } else {
            error_set(&err, SLUICE_FATAL, "unexpected argument \"%s\"", argv[i]);
            return usage_error(&err);
        }
    }
    return EXIT_OK;
}

static void print_usage(void)
{
    printf("Usage: " USAGE "\n\n"
           "Lists the plugins sluice finds on its search path, or describes one.\n\n"
           "  --plugin-path DIRS  look in these colon-separated directories first\n"
           "  --describe NAME     print a plugin's kind, version, ABI and options;\n"
           "                      NAME is a plugin name or the path of its .so file\n"
           "  --log-format FORMAT plain (default) or json, for errors and warnings\n"
           "  --verbose           also log debug lines\n\n"
           "The search path: --plugin-path, $SLUICE_PLUGIN_PATH, " SLUICE_INSTALL_PLUGIN_DIR
           ", " SLUICE_BUILD_PLUGIN_DIR ".\n"
           "Exit codes: 0 ok, 2 bad usage, 4 a plugin could not be loaded.\n");
}

/* ---- the list ---- */

static int is_shared_object(const struct dirent *e)
{
    size_t len = strlen(e->d_name);
    return e->d_name[0] != '.' && len > 3 && strcmp(e->d_name + len - 3, ".so") == 0;
}

#define ROW_FORMAT "%-10s %-24s %-10s %-5s %s\n"

/* A file name seen in an earlier dir hides this one: the loader takes the first. */
static int seen_before(char **names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return 1;
    return 0;
}

static void list_one(const char *path, int hidden, int *failed)
{
    sluice_error err;
    error_init(&err);
    loaded_plugin *p = plugin_load_file(path, 0, &err);
    if (p == NULL) {
        printf(ROW_FORMAT, "error", "-", "-", "-", path);
        printf("%-10s %s\n", "", err.message);
        (*failed)++;
        return;
    }
    char abi[16], where[4200];
    snprintf(abi, sizeof abi, "%u.%u", (unsigned)p->abi.header.major,
             (unsigned)p->abi.header.minor);
    snprintf(where, sizeof where, "%s%s", path, hidden ? " (hidden by an earlier file)" : "");
    printf(ROW_FORMAT, plugin_kind_name(p->info.kind), p->info.name,
           p->info.version[0] ? p->info.version : "-", abi, where);
    plugin_unload(p);
}

/* Lists every .so of one directory, in name order; a missing directory is skipped. */
static void list_dir(const char *dir, char ***seen, size_t *nseen, int *found, int *failed)
{
    struct dirent **entries;
    int n = scandir(dir, &entries, is_shared_object, alphasort);
    if (n < 0)
        return;
    for (int i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, entries[i]->d_name);
        int hidden = seen_before(*seen, *nseen, entries[i]->d_name);
        char **grown = realloc(*seen, (*nseen + 1) * sizeof *grown);
        if (grown) {
            *seen = grown;
            if ((grown[*nseen] = strdup(entries[i]->d_name)) != NULL)
                (*nseen)++;
        }
        list_one(path, hidden, failed);
        (*found)++;
        free(entries[i]);
    }
    free(entries);
}

static int list_plugins(char **dirs)
{
    char **seen = NULL;
    size_t nseen = 0;
    int found = 0, failed = 0;
    printf(ROW_FORMAT, "KIND", "NAME", "VERSION", "ABI", "PATH");
    for (size_t i = 0; dirs[i]; i++)
        list_dir(dirs[i], &seen, &nseen, &found, &failed);
    for (size_t i = 0; i < nseen; i++)
        free(seen[i]);
    free(seen);

    printf("\nsearch path:");
    for (size_t i = 0; dirs[i]; i++)
        printf("%s%s", i ? ":" : " ", dirs[i]);
    printf("\nsluice plugin ABI: %d.%d\n", SLUICE_ABI_MAJOR, SLUICE_ABI_MINOR);
    fflush(stdout);
    if (found == 0)
        report_log(SLUICE_LOG_WARNING, "no plugins found on the search path");
    if (failed == 0)
        return EXIT_OK;
    sluice_error err;
    error_init(&err);
    error_set(&err, SLUICE_FATAL, "%d of %d plugins could not be loaded", failed, found);
    error_hint(&err, "Run \"sluice plugins --describe PATH\" to see why a plugin was refused.");
    report_error(&err);
    return EXIT_PLUGIN;
}

/* ---- --describe ---- */

static const char *option_type_name(uint32_t type)
{
    switch (type) {
    case SLUICE_OPTION_STRING: return "string";
    case SLUICE_OPTION_INT: return "int";
    case SLUICE_OPTION_BOOL: return "bool";
    case SLUICE_OPTION_DOUBLE: return "double";
    }
    return "unknown";
}

static void describe_option(const sluice_option *o)
{
    printf("  %s (%s%s%s)\n", o->name, option_type_name(o->type),
           o->flags & SLUICE_OPTION_REQUIRED ? ", required" : "",
           o->flags & SLUICE_OPTION_SECRET ? ", secret" : "");
    if (o->description && o->description[0])
        printf("      %s\n", o->description);
    if (o->default_value)
        printf("      default: %s\n", o->default_value);
    if (o->choices)
        printf("      choices: %s\n", o->choices);
}

static int describe_plugin(const char *name, char **dirs)
{
    sluice_error err;
    error_init(&err);
    loaded_plugin *p = plugin_load(name, 0, dirs, &err);
    if (p == NULL) {
        report_error(&err);
        return EXIT_PLUGIN;
    }
    printf("name:        %s\n", p->info.name);
    printf("kind:        %s\n", plugin_kind_name(p->info.kind));
    printf("version:     %s\n", p->info.version[0] ? p->info.version : "-");
    printf("description: %s\n", p->info.description);
    printf("abi:         %u.%u\n", (unsigned)p->abi.header.major, (unsigned)p->abi.header.minor);
    printf("path:        %s\n", p->path);
    if (p->options.count == 0)
        printf("options:     none\n");
    else
        printf("options:\n");
    for (uint32_t i = 0; i < p->options.count; i++)
        describe_option(plugin_option(p, i));
    fflush(stdout);
    plugin_unload(p);
    return EXIT_OK;
}

int cli_plugins(int argc, char **argv)
{
    plugins_args args = {0};
    int rc = parse_args(argc, argv, &args);
    if (rc == EXIT_OK && args.help) {
        print_usage();
    } else if (rc == EXIT_OK) {
        char **dirs = loader_search_path(args.plugin_path);
        if (dirs == NULL) {
            sluice_error err;
            error_init(&err);
            error_set(&err, SLUICE_FATAL, "out of memory");
            report_error(&err);
            rc = EXIT_INTERNAL;
        } else {
            rc = args.describe ? describe_plugin(args.describe, dirs) : list_plugins(dirs);
        }
        loader_free_path(dirs);
    }
    free(args.plugin_path);
    return rc;
}
