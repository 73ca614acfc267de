/* sluice: the command line. Commands are data: one table, one handler each. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "exitcodes.h"
#include "report.h"
#include "secret.h"

#ifndef SLUICE_VERSION
#define SLUICE_VERSION "dev"
#endif

static int cli_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("sluice %s (plugin ABI %d.%d)\n", SLUICE_VERSION, SLUICE_ABI_MAJOR, SLUICE_ABI_MINOR);
    return EXIT_OK;
}

static int cli_help(int argc, char **argv);

typedef struct command {
    const char *name;
    const char *summary;
    int (*handler)(int argc, char **argv);
} command;

static const command commands[] = {
    {"run", "run a pipeline: full load and/or change capture", cli_run},
    {"plan", "dry run: each table's column mapping, target DDL and sample rows", cli_plan},
    {"check", "pre-migration assessment: what would stop or surprise the pipeline", cli_check},
    {"validate", "compare source and target tables by chunked hashes; --repair", cli_validate},
    {"status", "show a pipeline's status file", cli_status},
    {"cleanup", "drop the slot/publication a pipeline created; forget its progress", cli_cleanup},
    {"sync-sequences", "set the target's sequences to the source's values (cutover)",
     cli_sync_sequences},
    {"plugins", "list the plugins found, or --describe NAME for its options", cli_plugins},
    {"version", "print the version and plugin ABI", cli_version},
    {"help", "this text", cli_help},
};

static int cli_help(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("sluice %s: full load and change data capture between databases\n\n"
           "usage: sluice COMMAND [OPTIONS] [ARGS]\n\ncommands:\n",
           SLUICE_VERSION);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        printf("  %-14s %s\n", commands[i].name, commands[i].summary);
    printf("\n"
           "Every command takes --help, --log-format plain|json and --verbose.\n"
           "Secrets come from env \"NAME\" or file \"/path\" in the pipeline file and are\n"
           "never printed.\n"
           "\n"
           "environment:\n"
           "  SLUICE_PLUGIN_PATH   colon-separated folders searched for plugins\n"
           "\n"
           "exit codes:\n"
           "  %3d  success, or stopped gracefully by SIGINT/SIGTERM\n"
           "  %3d  internal error\n"
           "  %3d  bad command line\n"
           "  %3d  bad pipeline file or settings (or a metrics address that cannot be bound)\n"
           "  %3d  a plugin could not be found, loaded or accepted\n"
           "  %3d  the source failed\n"
           "  %3d  the target (sink) failed\n"
           "  %3d  a transform failed\n"
           "  %3d  finished, but some tables failed (see sluice status)\n"
           "  %3d  the state directory is unusable or in use\n"
           "  %3d  sluice check found something blocking; sluice validate found a table\n"
           "       that differs between source and target\n"
           "  %3d  stopped at once by a second signal (safe to run again)\n",
           EXIT_OK, EXIT_INTERNAL, EXIT_USAGE, EXIT_CONFIG, EXIT_PLUGIN, EXIT_SOURCE,
           EXIT_TARGET, EXIT_TRANSFORM, EXIT_TABLE_ERRORS, EXIT_STATE, EXIT_FOUND, EXIT_KILLED);
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    int first = 1;
    /* Common options may come before the command: sluice --log-format json run p.lua */
    while (first < argc && argv[first][0] == '-') {
        if (strcmp(argv[first], "--help") == 0 || strcmp(argv[first], "-h") == 0)
            return cli_help(0, NULL);
        if (strcmp(argv[first], "--version") == 0)
            return cli_version(0, NULL);
        int common = cli_common_option(argc, argv, &first);
        if (common <= 0) {
            if (common == 0)
                fprintf(stderr, "error: unrecognized option \"%s\"\nhint: Run \"sluice "
                                "--help\".\n", argv[first]);
            return EXIT_USAGE;
        }
        first++;
    }
    if (first >= argc) {
        cli_help(0, NULL);
        return EXIT_USAGE;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[first], commands[i].name) == 0) {
            int rc = commands[i].handler(argc - first, argv + first);
            secret_forget_all();
            return rc;
        }
    }
    fprintf(stderr, "error: unrecognized command \"%s\"\nhint: Run \"sluice --help\" for the "
                    "commands.\n", argv[first]);
    return EXIT_USAGE;
}
