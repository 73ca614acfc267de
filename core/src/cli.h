/* The `sluice` commands: one function each; argv[0] is the command's name. */
#ifndef SLUICE_CLI_H
#define SLUICE_CLI_H

#include <stdio.h>

int cli_plugins(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_cleanup(int argc, char **argv);
int cli_status(int argc, char **argv);
int cli_sync_sequences(int argc, char **argv); /* cli_sequences.c */
int cli_plan(int argc, char **argv);           /* cli_plan.c */
int cli_check(int argc, char **argv);          /* cli_check.c */
int cli_validate(int argc, char **argv);       /* cli_validate.c */

/* Options every command takes: --log-format plain|json, --verbose. Returns 1 when
   argv[*i] was one of them (and advances *i past its value), -1 on a bad value. */
int cli_common_option(int argc, char **argv, int *i);
/* A command-line error: message fmt with arg, the hint; returns EXIT_USAGE. */
int cli_usage_error(const char *fmt, const char *arg, const char *hint);
/* A word that is not an option of the command: the pipeline file into *path, or
   an error (an unknown option, a second file). -1 when taken, else EXIT_USAGE. */
int cli_pipeline_arg(const char *command, const char *arg, const char **path);
/* -1 when a pipeline file was given, else the error and EXIT_USAGE. */
int cli_need_pipeline(const char *command, const char *path);

/* The argument loop of the commands that take a pipeline file (cli_run.c): --state-dir,
   the common options, --help (prints usage), and with allow_run_options the options of
   run. Returns -1 when the arguments are good (*path set), else the exit code. */
struct run_options;
struct pipeline_config;
int cli_pipeline_args(int argc, char **argv, struct run_options *opts, const char **path,
                      const char *command, void (*usage)(FILE *), int allow_run_options);
/* Loads the pipeline file, or reports why it cannot (then NULL: exit EXIT_CONFIG). */
struct pipeline_config *cli_load_pipeline(const char *path);
/* Loads the pipeline file and runs action on it; returns its exit code. */
int cli_with_pipeline(const char *path, const struct run_options *opts,
                      int (*action)(struct pipeline_config *, const struct run_options *));

#endif
