/*
 * generator-expect: prints the state the generator's tables have after
 * transaction N, computed from the model alone, in capture-replay's format:
 *   diff <(capture-replay journal) <(generator-expect --rows 100 ...)
 * is the exactly-once check. Options mirror the generator plugin's
 * (--ops-per-txn or --ops_per_txn alike).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"
#include "gen_model.h"

static int usage(void)
{
    fprintf(stderr,
            "usage: generator-expect [--tables N] [--rows N] [--columns N] [--wide]\n"
            "                        [--special-text] [--txns N] [--ops-per-txn N]\n"
            "                        [--history N] [--seed N] [--upto N]\n"
            "  Prints the generator's tables after transaction N (--upto, default --txns),\n"
            "  one line per row, as capture-replay prints a journal. Defaults are the\n"
            "  generator plugin's: 2 tables, 1000 rows, 4 columns, 100 txns of 3 ops.\n");
    return 2;
}

/* An integer option's value: "--name N" or "--name=N". */
typedef struct int_option {
    const char *name;
    int64_t *value;
} int_option;

static int parse_int(const char *name, const char *text, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (!*text || *end || errno) {
        fprintf(stderr, "generator-expect: invalid value for %s: \"%s\"\n", name, text);
        return -1;
    }
    *out = v;
    return 0;
}

/* Matches argv[*i] against one option; 1 matched, 0 not this one, -1 error. */
static int match_int(const int_option *o, int argc, char **argv, int *i)
{
    size_t n = strlen(o->name);
    const char *arg = argv[*i];
    if (strncmp(arg, o->name, n) != 0)
        return 0;
    if (arg[n] == '=')
        return parse_int(o->name, arg + n + 1, o->value) == 0 ? 1 : -1;
    if (arg[n] != '\0')
        return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "generator-expect: %s needs a value\n", o->name);
        return -1;
    }
    return parse_int(o->name, argv[++*i], o->value) == 0 ? 1 : -1;
}

/* "--ops_per_txn=3" -> "--ops-per-txn=3": the plugin's option names work too. */
static void normalize_flag(char *arg)
{
    if (strncmp(arg, "--", 2) != 0)
        return;
    for (char *p = arg + 2; *p && *p != '='; p++)
        if (*p == '_')
            *p = '-';
}

static int parse_args(int argc, char **argv, gen_params *p, int64_t *upto)
{
    const int_option opts[] = {
        {"--tables", &p->tables},   {"--rows", &p->rows},
        {"--columns", &p->columns}, {"--txns", &p->txns},
        {"--ops-per-txn", &p->ops_per_txn}, {"--history", &p->history},
        {"--seed", &p->seed},       {"--upto", upto},
    };
    for (int i = 1; i < argc; i++) {
        int r = 0;
        normalize_flag(argv[i]);
        if (strcmp(argv[i], "--wide") == 0)
            r = p->wide = 1;
        else if (strcmp(argv[i], "--special-text") == 0)
            r = p->special_text = 1;
        for (size_t k = 0; r == 0 && k < sizeof opts / sizeof opts[0]; k++)
            r = match_int(&opts[k], argc, argv, &i);
        if (r < 0)
            return -1;
        if (r == 0) {
            fprintf(stderr, "generator-expect: unknown argument \"%s\"\n", argv[i]);
            return -1;
        }
    }
    return 0;
}

/* "ops_per_txn" -> "--ops-per-txn" */
static void flag_of(const char *option, char *buf, size_t size)
{
    snprintf(buf, size, "--%s", option);
    for (char *p = buf; *p; p++)
        if (*p == '_')
            *p = '-';
}

int main(int argc, char **argv)
{
    gen_params p;
    gen_problem problem;
    int64_t upto = -1;
    gen_params_default(&p);
    if (parse_args(argc, argv, &p, &upto) != 0)
        return usage();
    if (gen_params_check(&p, &problem) != 0) {
        char flag[32];
        flag_of(problem.option, flag, sizeof flag);
        fprintf(stderr, "generator-expect: invalid value for %s: %lld (%s)\n", flag,
                problem.value, problem.rule);
        return 2;
    }
    if (upto < 0)
        upto = p.txns;
    if (upto > p.txns) {
        fprintf(stderr, "generator-expect: --upto %" PRId64 " is beyond --txns %" PRId64 "\n",
                upto, p.txns);
        return 2;
    }
    gen_model *m = malloc(sizeof *m);
    if (!m) {
        fprintf(stderr, "generator-expect: out of memory\n");
        return 2;
    }
    gen_model_init(m, &p);
    int rc = gen_expect_write(m, (uint64_t)upto, stdout);
    free(m);
    if (rc != 0 || fflush(stdout) != 0) {
        fprintf(stderr, "generator-expect: could not write the state: %s\n", strerror(errno));
        return 2;
    }
    return 0;
}
