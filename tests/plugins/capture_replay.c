/*
 * capture-replay: checks a capture journal for exactly-once delivery and
 * prints the final state of its tables (see replay.h for the format).
 *   capture-replay [--summary] [--strict] [--check-order] JOURNAL|-
 * An unfinished write at the end of a journal (what a kill -9 in the middle
 * of a write leaves, and the sink cuts off at its next start) is ignored with
 * a warning, or refused with --strict. Standard input and pipes are read strictly.
 * Exit status: 0 sound, 1 a check failed (the message names the line),
 * 2 usage or I/O error.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "journal.h"
#include "replay.h"

static int usage(void)
{
    fprintf(stderr, "usage: capture-replay [--summary] [--strict] [--check-order] JOURNAL|-\n"
                    "  Replays a capture journal, fails on a change lost, applied twice or\n"
                    "  out of order, and prints the final rows sorted by table and key.\n"
                    "  --summary      per-table counts instead of the rows\n"
                    "  --strict       fail on an unfinished write at the end (a crash's torn\n"
                    "                 tail, which the sink drops at its next start)\n"
                    "  --check-order  accepted for clarity: order is always checked\n");
    return 2;
}

/* Where the target's journal ends: just after its last safe record. */
static int limit_of(FILE *in, replay_options *o)
{
    journal_scan scan;
    struct stat st;
    if (fstat(fileno(in), &st) != 0)
        return -1;
    if (!S_ISREG(st.st_mode)) /* a pipe cannot be scanned twice: read it strictly */
        return 0;
    if (journal_scan_fd(fileno(in), &scan) != 0)
        return -1;
    o->has_limit = 1;
    o->limit = scan.safe_end;
    return 0;
}

int main(int argc, char **argv)
{
    replay_options o = {0};
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--summary") == 0)
            o.summary = 1;
        else if (strcmp(argv[i], "--strict") == 0)
            o.strict = 1;
        else if (strcmp(argv[i], "--check-order") == 0)
            continue;
        else if ((argv[i][0] == '-' && argv[i][1]) || path)
            return usage();
        else
            path = argv[i];
    }
    if (!path)
        return usage();
    FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!in) {
        fprintf(stderr, "capture-replay: could not open \"%s\": %s\n", path, strerror(errno));
        return 2;
    }
    if (in != stdin && limit_of(in, &o) != 0) {
        fprintf(stderr, "capture-replay: could not read \"%s\": %s\n", path, strerror(errno));
        fclose(in);
        return 2;
    }
    int rc = replay_run(in, path, stdout, stderr, &o);
    if (in != stdin)
        fclose(in);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "capture-replay: could not write the output: %s\n", strerror(errno));
        return 2;
    }
    return rc;
}
