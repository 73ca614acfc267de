/*
 * Sequences (ABI 1.2): the source's current sequence values set at the target,
 * at the end of a full load and with `sluice sync-sequences` (the cutover step).
 */
#ifndef SLUICE_SEQUENCES_H
#define SLUICE_SEQUENCES_H

#include "runner.h"

/*
 * read_sequences on src, then set_sequences on sink. Returns 0 (*count: the
 * sequences set), SEQUENCES_UNSUPPORTED when either plugin lacks its callback
 * (err says which, for a caller that needs it), or the exit code of the side
 * that failed (EXIT_SOURCE, EXIT_TARGET) with err filled.
 */
#define SEQUENCES_UNSUPPORTED (-1)
int sequences_sync(plugin_instance *src, plugin_instance *sink, uint32_t *count,
                   sluice_error *err);

/* The end of a complete full load (fullload.c), through the idle main instances: a
   failure is reported and counted (exit code 8) but does not undo the load. */
void sequences_after_load(runner *r);

/* `sluice sync-sequences PIPELINE`: returns the process exit code. */
int runner_sync_sequences(pipeline_config *cfg, const run_options *opts);

#endif
