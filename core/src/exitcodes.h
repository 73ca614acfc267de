/* Process exit codes (documented in `sluice --help` and docs/cli.md). */
#ifndef SLUICE_EXITCODES_H
#define SLUICE_EXITCODES_H

#define EXIT_OK 0               /* done, or stopped gracefully by a signal */
#define EXIT_INTERNAL 1         /* an unexpected internal failure */
#define EXIT_USAGE 2            /* bad command line */
#define EXIT_CONFIG 3           /* bad pipeline file or settings */
#define EXIT_PLUGIN 4           /* a plugin could not be found, loaded or accepted */
#define EXIT_SOURCE 5           /* the source failed */
#define EXIT_TARGET 6           /* the sink (target) failed */
#define EXIT_TRANSFORM 7        /* a transform failed */
#define EXIT_TABLE_ERRORS 8     /* the run finished but some tables failed (see status) */
#define EXIT_STATE 9            /* the state directory is unusable or locked */
#define EXIT_FOUND 10           /* check: something would stop the pipeline; validate: a
                                   table differs between source and target */
#define EXIT_KILLED 130         /* stopped at once by a second signal; safe to restart */

#endif
