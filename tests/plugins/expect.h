/*
 * The expected final state of the generator's tables, straight from the model
 * (no stream code): the same lines capture-replay prints for a journal.
 */
#ifndef EXPECT_H
#define EXPECT_H

#include <stdint.h>
#include <stdio.h>

#include "gen_model.h"

/* Writes the state after transaction upto. 0, or -1 (out of memory, write error). */
int gen_expect_write(const gen_model *m, uint64_t upto, FILE *out);

#endif
