/*
 * A tiny test-macro header (collectd style). A test binary calls CHECK* in any
 * order and ends main with `return unit_done();`, which prints
 * "N passed, N failed" and returns non-zero when anything failed.
 */
#ifndef SLUICE_UNIT_H
#define SLUICE_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_passed, unit_failed;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (cond) {                                                                  \
            unit_passed++;                                                           \
        } else {                                                                     \
            unit_failed++;                                                           \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                            \
    } while (0)

#define CHECK_STR(actual, expected)                                                  \
    do {                                                                             \
        const char *a_ = (actual), *e_ = (expected);                                 \
        if (a_ && e_ && strcmp(a_, e_) == 0) {                                       \
            unit_passed++;                                                           \
        } else {                                                                     \
            unit_failed++;                                                           \
            fprintf(stderr, "%s:%d: %s\n  got:      \"%s\"\n  expected: \"%s\"\n",  \
                    __FILE__, __LINE__, #actual, a_ ? a_ : "(null)", e_ ? e_ : "(null)"); \
        }                                                                            \
    } while (0)

#define CHECK_CONTAINS(haystack, needle)                                             \
    do {                                                                             \
        const char *h_ = (haystack), *n_ = (needle);                                 \
        if (h_ && n_ && strstr(h_, n_)) {                                            \
            unit_passed++;                                                           \
        } else {                                                                     \
            unit_failed++;                                                           \
            fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n", __FILE__,      \
                    __LINE__, h_ ? h_ : "(null)", n_ ? n_ : "(null)");               \
        }                                                                            \
    } while (0)

static inline int unit_done(void)
{
    printf("%d passed, %d failed\n", unit_passed, unit_failed);
    return unit_failed ? 1 : 0;
}

#endif
