/* parse: numbers in the text the servers send. */
#ifndef SLUICE_PLUGIN_PARSE_H
#define SLUICE_PLUGIN_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* Exactly [-]digits of n bytes into *out: 0, or -1 when it is not one or overflows
   int64 ("+1", "", "1.0" are refused). */
int parse_int64(const char *p, size_t n, int64_t *out);

#endif
