/*
 * A parser of PostgreSQL's binary COPY stream (COPY ... TO STDOUT (FORMAT
 * binary)): the signature header, its flags and extension, then tuples (an
 * int16 field count, per field an int32 length, -1 for NULL, and the bytes),
 * then the trailer (a field count of -1). All integers are big-endian.
 *
 * The bytes come from the network, so nothing is trusted: every length is
 * checked against what is there, and a malformed stream is an error with a
 * message, never a read outside the input. The server cuts the stream into
 * CopyData messages as it likes (a row per message today, the header glued to
 * the first), so the parser takes any piece and answers PGB_MORE when the
 * next item is not complete in it; nothing is consumed then.
 *
 * No libpq and no sluice types: the unit tests and the fuzz target link it alone.
 */
#ifndef SOURCE_PG_COPYBIN_H
#define SOURCE_PG_COPYBIN_H

#include <stddef.h>
#include <stdint.h>

typedef enum pgb_status {
    PGB_ROW = 0,  /* a tuple: its fields are filled */
    PGB_MORE = 1, /* the next item is incomplete: call again with more bytes */
    PGB_END = 2,  /* the trailer: the stream is over */
    PGB_BAD = 3   /* malformed: see the parser's error */
} pgb_status;

/* One field of a tuple: data points into the caller's bytes; len -1 for NULL. */
typedef struct pgb_field {
    const uint8_t *data;
    int32_t len;
} pgb_field;

typedef struct pgb_parser {
    uint32_t ncols;   /* fields every tuple must have */
    int state;        /* private: header, tuples, ended, failed */
    uint64_t rows;    /* tuples parsed so far (for messages) */
    uint64_t offset;  /* stream bytes consumed so far (for messages) */
    char error[200];  /* what was wrong, when PGB_BAD */
} pgb_parser;

/* The 11-byte signature that starts the stream. */
#define PGB_SIGNATURE "PGCOPY\n\377\r\n"
#define PGB_SIGNATURE_LEN 11
/* Signature, flags and an empty extension: what a writer puts first. */
#define PGB_HEADER_LEN 19

void pgb_init(pgb_parser *p, uint32_t ncols);

/*
 * Parses the next item of buf[0 .. n): the header, when not yet seen, is
 * consumed with the tuple after it. On PGB_ROW, fields[0 .. ncols) are filled
 * and *used says how many bytes the header (if any) and the tuple took; on
 * PGB_END, *used covers the trailer. After PGB_END or PGB_BAD every call
 * answers PGB_BAD. fields needs room for ncols entries.
 */
pgb_status pgb_next(pgb_parser *p, const uint8_t *buf, size_t n, size_t *used,
                    pgb_field *fields);

/* Writes the header a binary COPY FROM expects into out (PGB_HEADER_LEN bytes). */
void pgb_put_header(uint8_t *out);

#endif
