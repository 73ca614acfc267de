/* sluice sync-sequences PIPELINE: the source's sequence values set at the target. */
#include <stdio.h>

#include "cli.h"
#include "runner.h"
#include "sequences.h"

static void sync_sequences_usage(FILE *out)
{
    fprintf(out,
            "usage: sluice sync-sequences [--state-dir DIR] PIPELINE.lua\n"
            "\n"
            "Sets every sequence of the pipeline's target to the value it has at the\n"
            "source now (PostgreSQL: setval(), creating a sequence the target lacks).\n"
            "This is the cutover step: run it after the last changes reached the target\n"
            "and before the applications write to the target. A full load does it once\n"
            "at its end; change capture does not carry sequence values.\n"
            "\n"
            "It takes the pipeline's state directory lock: stop the pipeline's run first.\n");
}

int cli_sync_sequences(int argc, char **argv)
{
    run_options opts = {NULL, NULL, -1, NULL};
    const char *path = NULL;
    int rc =
        cli_pipeline_args(argc, argv, &opts, &path, "sync-sequences", sync_sequences_usage, 0);
    return rc >= 0 ? rc : cli_with_pipeline(path, &opts, runner_sync_sequences);
}
