/* The `sluice` commands: one function each; argv[0] is the command's name. */
#ifndef SLUICE_CLI_H
#define SLUICE_CLI_H

int cli_plugins(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_cleanup(int argc, char **argv);
int cli_status(int argc, char **argv);

/* Options every command takes: --log-format plain|json, --verbose. Returns 1 when
   argv[*i] was one of them (and advances *i past its value), -1 on a bad value. */
int cli_common_option(int argc, char **argv, int *i);

#endif
