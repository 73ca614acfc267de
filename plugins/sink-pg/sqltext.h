/*
 * Text that goes to the server: quoted identifiers and COPY text-format values.
 * Pure functions over sbuf, unit-tested without a server (tests/pg/sink).
 */
#ifndef SINKPG_SQLTEXT_H
#define SINKPG_SQLTEXT_H

#include <sluice/types.h>

#include "sbuf.h"

/*
 * An identifier, always double-quoted with inner quotes doubled: the same name
 * quote_ident() gives, for any case, spaces, quotes or non-ASCII letters.
 * Identifiers cannot hold NUL bytes: returns -1 (nothing written) for one.
 */
int sql_put_ident(sbuf *b, const char *name, size_t len);
/* "schema"."table" */
int sql_put_qualified(sbuf *b, const char *schema, size_t slen, const char *name, size_t nlen);

/* A string literal: 'it''s'. Backslashes are plain (standard_conforming_strings). */
void sql_put_literal(sbuf *b, const char *s, size_t len);

/* Bytes escaped for COPY text format: backslash, tab, newline and carriage return. */
void copy_put_escaped(sbuf *b, const char *p, size_t n);

/*
 * One value as a COPY text field: \N for NULL, decimal for INT, escaped TEXT.
 * Returns 0, or -1 for a kind COPY text cannot carry (UNCHANGED, NATIVE).
 */
int copy_put_value(sbuf *b, const sluice_value *v);

/* True when a value carries data (TEXT, INT or NATIVE), not NULL or UNCHANGED. */
int value_present(const sluice_value *v);

/*
 * A JSON string: quote, backslash and control characters escaped. Bytes that
 * are not UTF-8, and NUL (which PostgreSQL text cannot hold), become U+FFFD, so
 * the result is always valid JSON whatever the value held.
 */
void json_put_string(sbuf *b, const char *p, size_t n);

/*
 * A value as JSON: TEXT a string, INT a number, NULL null. Returns 0, or -1
 * (nothing written) for UNCHANGED and NATIVE, which carry no text.
 */
int json_put_value(sbuf *b, const sluice_value *v);

#endif
