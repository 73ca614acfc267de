/*
 * Internals shared by the decoder's files, one job each:
 *   event.c     framing, checksums, the non-row events, the entry points
 *   tablemap.c  TABLE_MAP and its optional metadata, the table cache, hints
 *   rows.c      rows events: bitmaps, row images, the row iterator
 *   value.c     one column value by type and metadata
 *   decimal.c   NEWDECIMAL's packed format
 *   temporal.c  DATE, TIME, DATETIME, TIMESTAMP (old and 5.6 formats)
 *   json.c      MySQL 8 binary JSON to JSON text
 *   text.c      charset conversion, float spelling
 *   reader.c    the bounds-checked reader, the scratch buffer, error text
 */
#ifndef SLUICE_MYBL_INT_H
#define SLUICE_MYBL_INT_H

#include "mybl.h"

#include <stdarg.h>

/* A bounds-checked reader over [p, end). Every get fails (returns -1) rather
   than read past end; the caller turns that into an error with context. */
typedef struct mybl_rd {
    const uint8_t *p, *end;
} mybl_rd;

static inline size_t rd_left(const mybl_rd *r) { return (size_t)(r->end - r->p); }
int rd_skip(mybl_rd *r, size_t n);
int rd_u8(mybl_rd *r, uint8_t *v);
int rd_le(mybl_rd *r, size_t n, uint64_t *v); /* n = 1..8 bytes little-endian */
int rd_bytes(mybl_rd *r, size_t n, const uint8_t **out);
int rd_lenenc(mybl_rd *r, uint64_t *v);        /* MySQL length-encoded integer */
uint64_t get_be(const uint8_t *p, size_t n);
uint64_t get_le(const uint8_t *p, size_t n);

/* A growable scratch buffer; offsets stay valid across growth, pointers do not. */
typedef struct mybl_buf {
    char *data;
    size_t len, cap;
    int failed;
} mybl_buf;

void buf_add(mybl_buf *b, const void *s, size_t n);
void buf_addc(mybl_buf *b, char c);
void buf_addf(mybl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_free(mybl_buf *b);

/* Where a failure happened, for the message. */
typedef struct mybl_where {
    uint8_t type;
    uint32_t pos;          /* event start in the file, when known */
    const char *file;
    const mybl_table *table;
    int column;            /* -1: none */
} mybl_where;

int bl_fail(mybl_error *err, const mybl_where *w, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

typedef struct mybl_hints {
    char *db, *table;
    uint32_t ncols;
    uint32_t *hints;
    struct mybl_hints *next;
} mybl_hints;

typedef struct mybl_tmap {
    mybl_table t;
    uint8_t *owned;   /* a copy of the TABLE_MAP body the views point into */
    struct mybl_tmap *next;
} mybl_tmap;

struct mybl_decoder {
    int checksum;            /* mybl_checksum */
    uint8_t post_header[256];/* post-header length per event type, from the FDE */
    int have_fde;
    int mysql;               /* the FDE's server is MySQL (not MariaDB) */
    char file[256];
    mybl_tmap *tables;
    mybl_hints *hints;
    mybl_buf inflated;       /* compressed events, inflated */
    mybl_buf scratch;        /* event-level text (GTID lists) */
    /* the rows event being iterated */
    mybl_where where;
    const mybl_table *rtable;
    uint8_t rop;             /* mybl_row_op */
    uint32_t ncols;
    const uint8_t *present, *present_after;
    mybl_rd rows;
    mybl_row before, after;
    mybl_buf text;           /* per-row value text */
    uint32_t cap_cols;
};

/* event.c: MariaDB's compressed payload into dec->inflated */
int bl_inflate(mybl_decoder *dec, const mybl_where *w, const uint8_t *p, size_t n,
               mybl_error *err);

/* tablemap.c */
int bl_table_map(mybl_decoder *dec, const mybl_where *w, mybl_rd *r, const mybl_table **out,
                 mybl_error *err);
void bl_tables_clear(mybl_decoder *dec);
void bl_hints_free(mybl_decoder *dec);

/* rows.c */
int bl_rows_begin(mybl_decoder *dec, const mybl_where *w, mybl_rd *r, mybl_event *ev,
                  mybl_error *err);

/* value.c: decode column c's value at r into v (text into dec->text). */
int bl_value(mybl_decoder *dec, const mybl_where *w, const mybl_column *c, mybl_rd *r,
             mybl_value *v, mybl_error *err);

/* decimal.c: precision/scale's packed size, or 0 when they are invalid */
size_t bl_decimal_size(int precision, int scale);
/* text into b; -1 when a digit group is out of range */
int bl_decimal_text(const uint8_t *p, int precision, int scale, mybl_buf *b);

/* temporal.c: the value's stored size for fsp (fractional digits) */
size_t bl_frac_bytes(int fsp);
void bl_date_text(uint32_t v, mybl_buf *b, int *zero);
void bl_time2_text(const uint8_t *p, int fsp, mybl_buf *b);
void bl_datetime2_text(const uint8_t *p, int fsp, mybl_buf *b, int *zero);
void bl_timestamp2_text(const uint8_t *p, int fsp, mybl_buf *b, int *zero);
void bl_old_time_text(int32_t v, mybl_buf *b);
void bl_old_datetime_text(uint64_t v, mybl_buf *b, int *zero);

/* json.c: MySQL binary JSON to text; -1 (and why) when malformed */
int bl_json_text(const uint8_t *p, size_t n, mybl_buf *b, const char **why);

/* text.c */
void bl_float_text(double v, int is_float, mybl_buf *b);
void bl_latin1_to_utf8(const uint8_t *p, size_t n, mybl_buf *b);
/* 1 for collations the decoder passes through as UTF-8 (utf8mb3/utf8mb4/ascii),
   2 for latin1 (converted), 3 for binary, 0 for unknown */
int bl_collation_class(uint32_t collation);

#endif
