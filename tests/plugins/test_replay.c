/*
 * capture-replay's checks on hand-written journals, and the scan that finds
 * where a torn journal must be cut.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal.h"
#include "replay.h"
#include "unit.h"

typedef struct result {
    int rc;
    char out[4096];
    char err[4096];
} result;

#define SUMMARY 1
#define STRICT 2   /* refuse an unfinished write at the end */
#define NO_LIMIT 4 /* read it all, as from a pipe */

static void run(const char *journal, int flags, result *r)
{
    FILE *in = *journal ? fmemopen((void *)journal, strlen(journal), "r") : fopen("/dev/null", "r");
    FILE *out = fmemopen(r->out, sizeof r->out, "w");
    FILE *err = fmemopen(r->err, sizeof r->err, "w");
    journal_scan scan;
    journal_scan_buffer(journal, strlen(journal), &scan);
    replay_options o = {flags & SUMMARY, flags & STRICT, !(flags & NO_LIMIT), scan.safe_end};
    memset(r->out, 0, sizeof r->out);
    memset(r->err, 0, sizeof r->err);
    r->rc = replay_run(in, "journal", out, err, &o);
    fclose(in);
    fclose(out);
    fclose(err);
}

/* The journal must fail at `line` with a message containing `words`. */
static void expect_failure_with(int flags, const char *what, const char *journal,
                                const char *line, const char *words)
{
    result r;
    run(journal, flags, &r);
    printf("%-28s -> %s", what, r.err);
    CHECK(r.rc == 1);
    CHECK_CONTAINS(r.err, line);
    CHECK_CONTAINS(r.err, words);
    CHECK_STR(r.out, "");
}

static void expect_failure(const char *what, const char *journal, const char *line,
                           const char *words)
{
    expect_failure_with(0, what, journal, line, words);
}

#define LOAD "P\tgen.t1\t1\nS\tgen.t1\t1\t10\ta\nS\tgen.t1\t2\t20\tb\nL\tgen.t1\n"

static void check_sound_journal(void)
{
    const char *j = LOAD
        "P\tgen.t10\t0\nS\tgen.t10\t9\t0\tz\nL\tgen.t10\n"
        "B\t1001\nI\tgen.t1\t10\t100\tten\nI\tgen.t1\t9\t\\N\tnine\\ttab\n"
        "U\tgen.t1\t1\t1\t11\t\\U\nC\t1001\t0000000000000001\n"
        "B\t1002\nD\tgen.t1\t2\nX\tgen.t1\t3\nC\t1002\t0000000000000002\n";
    result r;
    run(j, 0, &r);
    CHECK(r.rc == 0);
    CHECK_STR(r.err, "");
    CHECK_STR(r.out, "gen.t1\t1\t11\ta\n"
                     "gen.t1\t9\t\\N\tnine\\ttab\n"
                     "gen.t1\t10\t100\tten\n"
                     "gen.t10\t9\t0\tz\n");
    run(j, SUMMARY, &r);
    CHECK(r.rc == 0);
    CHECK_CONTAINS(r.out, "gen.t1\trows=3\tsnapshot=2\tinserts=2\tupdates=1\tdeletes=1");
    CHECK_CONTAINS(r.out, "transactions=2\n");
}

static void check_reload_and_truncate(void)
{
    result r;
    run("", 0, &r); /* an empty journal is a sound, empty target */
    CHECK(r.rc == 0);
    CHECK_STR(r.out, "");
    run("B\t1\nI\tgen.t1\t1\t\t\\N\nC\t1\t01\n", 0, &r); /* empty text is not NULL */
    CHECK(r.rc == 0);
    CHECK_STR(r.out, "gen.t1\t1\t\t\\N\n");
    run(LOAD LOAD, 0, &r); /* prep mode 1 clears the table before the second load */
    CHECK(r.rc == 0);
    CHECK_STR(r.out, "gen.t1\t1\t10\ta\ngen.t1\t2\t20\tb\n");
    run(LOAD "B\t5\nT\tgen.t1\nI\tgen.t1\t1\t7\tx\nC\t5\t05\n", 0, &r);
    CHECK(r.rc == 0);
    CHECK_STR(r.out, "gen.t1\t1\t7\tx\n");
    run(LOAD "B\t5\nU\tgen.t1\t1\t3\t\\U\t\\U\nC\t5\t05\n", 0, &r); /* key change */
    CHECK(r.rc == 0);
    CHECK_STR(r.out, "gen.t1\t2\t20\tb\ngen.t1\t3\t10\ta\n");
}

/* What a kill -9 in the middle of a write leaves: the tail is not the target's. */
static void check_unfinished_tail(void)
{
    result r;
    run(LOAD "B\t7\nI\tgen.t1\t3\t1\tx\n", 0, &r);
    CHECK(r.rc == 0);
    CHECK_STR(r.out, "gen.t1\t1\t10\ta\ngen.t1\t2\t20\tb\n");
    CHECK_CONTAINS(r.err, "ignoring an unfinished write at the end (19 bytes from line 5 on)");
    run(LOAD "S\tgen.t2\t1\t5\tz\nS\tgen.t2\t2\t6\tz", 0, &r); /* a load cut short */
    CHECK(r.rc == 0);
    CHECK(strstr(r.out, "gen.t2") == NULL);
    CHECK_CONTAINS(r.err, "ignoring an unfinished write");
    run("B\t1\nI\tgen.t1\t1\t2\n", 0, &r); /* nothing safe at all */
    CHECK(r.rc == 0);
    CHECK_STR(r.out, "");
    run(LOAD, STRICT, &r);
    CHECK(r.rc == 0);
    CHECK_STR(r.err, "");
}

static void check_failures(void)
{
    expect_failure("duplicate insert", LOAD "B\t7\nI\tgen.t1\t2\t5\tx\nC\t7\t07\n", "journal:6:",
                   "already there");
    expect_failure("duplicate snapshot row", LOAD "S\tgen.t1\t1\t10\ta\nL\tgen.t1\n", "journal:5:",
                   "applied twice");
    expect_failure("delete of a missing key", LOAD "B\t7\nD\tgen.t1\t3\nC\t7\t07\n", "journal:6:",
                   "no such row");
    expect_failure("update of a missing key", LOAD "B\t7\nU\tgen.t1\t5\t5\t1\tx\nC\t7\t07\n",
                   "journal:6:", "no such row");
    expect_failure("out-of-order commit",
                   "B\t1\nC\t1\t0000000000000002\nB\t2\nC\t2\t0000000000000001\n", "journal:4:",
                   "not after");
    expect_failure("commit applied twice", "B\t1\nC\t1\t02\nB\t1\nC\t1\t02\n", "journal:4:",
                   "not after");
    expect_failure_with(STRICT, "partial transaction at end",
                        "B\t1\nC\t1\t01\nB\t2\nI\tgen.t1\t1\t2\n", "journal:3:",
                        "unfinished write");
    expect_failure_with(NO_LIMIT, "partial transaction (pipe)",
                        "B\t1\nC\t1\t01\nB\t2\nI\tgen.t1\t1\t2\n", "journal:4:",
                        "has no COMMIT");
    expect_failure("begin inside a transaction", "B\t1\nI\tgen.t1\t1\t2\nB\t2\nC\t2\t02\n",
                   "journal:3:", "before the COMMIT");
    expect_failure("change outside a transaction", "I\tgen.t1\t1\t2\nB\t1\nC\t1\t01\n", "journal:1:",
                   "outside a transaction");
    expect_failure("snapshot row in a transaction", "B\t1\nS\tgen.t1\t1\t2\nC\t1\t01\n",
                   "journal:2:", "inside the transaction");
    expect_failure("commit without begin", "C\t1\t01\n", "journal:1:", "without a BEGIN");
    expect_failure("commit of another xid", "B\t1\nC\t2\t01\n", "journal:2:", "ends the");
    expect_failure_with(NO_LIMIT, "torn last line (pipe)", LOAD "B\t7\nI\tgen.t1\t3",
                        "journal:6:", "incomplete");
    expect_failure_with(STRICT, "torn last line (strict)", LOAD "B\t7\nI\tgen.t1\t3",
                        "journal:5:", "unfinished write");
    expect_failure("unknown record", "Q\tgen.t1\nP\tgen.t1\t0\n", "journal:1:", "unknown record");
    expect_failure("short record", "B\t1\nD\tgen.t1\nC\t1\t01\n", "journal:2:", "fields");
}

/* ---- the torn-tail scan ---- */

static void scan_text(const char *text, journal_scan *s)
{
    char path[] = "/tmp/sluice-journal-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    CHECK(journal_scan_fd(fd, s) == 0);
    close(fd);
    unlink(path);
}

static void check_scan(void)
{
    journal_scan s;
    scan_text("", &s);
    CHECK(s.size == 0 && s.safe_end == 0 && !s.has_commit);

    const char *whole = LOAD "B\t7\nI\tgen.t1\t3\t1\tx\nC\t7\t000000000000002a\n";
    scan_text(whole, &s);
    CHECK(s.safe_end == strlen(whole) && s.size == strlen(whole));
    CHECK(s.has_commit && s.position_len == 8 && s.position[7] == 0x2a && s.commit_line == 7);

    char torn[512];
    snprintf(torn, sizeof torn, "%sB\t8\nI\tgen.t1\t4\t1\ty\n", whole); /* no COMMIT */
    scan_text(torn, &s);
    CHECK(s.safe_end == strlen(whole) && s.size == strlen(torn));
    snprintf(torn, sizeof torn, "%sC\t8\t00", whole); /* a COMMIT cut short */
    scan_text(torn, &s);
    CHECK(s.safe_end == strlen(whole) && s.position[7] == 0x2a);

    const char *load_only = LOAD "S\tgen.t2\t1\t1\tx\n"; /* a table load without its L */
    scan_text(load_only, &s);
    CHECK(s.safe_end == strlen(LOAD) && !s.has_commit);
    scan_text("P\tgen.t1\t0\n", &s);
    CHECK(s.safe_end == 11);
    scan_text("B\t1\nC\t1\tzz\n", &s);
    CHECK_CONTAINS(s.problem, "line 2");
}

static void check_escaping(void)
{
    jbuf b = {0};
    jbuf_put_escaped(&b, "a\tb\nc\\d\re\0f", 11);
    jbuf_putc(&b, '|');
    jbuf_put_int(&b, -9223372036854775807LL - 1);
    jbuf_putc(&b, '|');
    const uint8_t pos[] = {0x00, 0xab, 0x10};
    jbuf_put_hex(&b, pos, sizeof pos);
    jbuf_putc(&b, '\0');
    CHECK_STR(b.data, "a\\tb\\nc\\\\d\\re\\0f|-9223372036854775808|00ab10");
    uint8_t back[4];
    CHECK(journal_parse_hex("00ab10", 6, back, sizeof back) == 3 && back[1] == 0xab);
    CHECK(journal_parse_hex("0g", 2, back, sizeof back) == -1);
    jbuf_free(&b);
}

int main(void)
{
    check_sound_journal();
    check_reload_and_truncate();
    check_failures();
    check_unfinished_tail();
    check_scan();
    check_escaping();
    return unit_done();
}
