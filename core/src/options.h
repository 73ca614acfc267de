/*
 * Checks a config section against a declared option table and fills the
 * plugin's config struct: unknown keys (with the nearest valid name), wrong
 * types, bad choices, missing required options, each reported with the file
 * and line. The same table prints `sluice plugins --describe`.
 */
#ifndef SLUICE_OPTIONS_H
#define SLUICE_OPTIONS_H

#include <sluice/sluice.h>
#include "config.h"

/*
 * Allocates (zeroed) and fills a config struct of opts->config_size bytes.
 * what names the section in messages: `source plugin "generator"`.
 * Strings put into the struct are owned by the returned block: free it with
 * options_free(opts, block). Walks the array by opts->option_size. Returns NULL and fills err on the first problem.
 */
void *options_fill(const sluice_options *opts, const config_section *s, const char *file,
                   const char *what, sluice_error *err);
void options_free(const sluice_options *opts, void *block);

/* Levenshtein distance, for "did you mean"; swapping two adjacent characters
   counts as one edit ("hots" is 1 from "host"). */
size_t options_edit_distance(const char *a, const char *b);

/* The name nearest to word when it is close enough to be a likely typo, else NULL. */
const char *options_nearest(const char *word, const char *const *names, size_t n);

/* Writes names as `"a", "b" and "c"` into buf (NUL-terminated, truncated to size). */
void options_join(const char *const *names, size_t n, char *buf, size_t size);

#endif
