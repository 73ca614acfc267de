/*
 * The capture journal: a text file, one record per line, tab-separated fields.
 * Written by the capture sink, read by capture-replay, mirrored by
 * generator-expect. Values are escaped so a record is always one line:
 *   \t \n \r \\ \0  for tab, newline, carriage return, backslash, NUL
 *   \N           NULL
 *   \U           unchanged (the source did not send the value)
 * Records (first field):
 *   P <table> <mode>            prepare_table (1 truncate, 2 drop-and-create clear it)
 *   S <table> <values...>       snapshot row
 *   L <table>                   finish_table: the table's rows above are loaded
 *   B <xid>                     begin
 *   I <table> <values...>       insert
 *   U <table> <old key> <values...>   update (\U values keep the old value)
 *   D <table> <old key>         delete
 *   T <table>                   truncate
 *   X <table> <ncols>           schema change
 *   C <xid> <position hex>      commit
 * <table> is "schema.table". Safe records (a restart may keep the file up to
 * one of them) are P, L and C; anything after the last one is a torn write.
 */
#ifndef JOURNAL_H
#define JOURNAL_H

#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer; `failed` sticks after the first allocation failure. */
typedef struct jbuf {
    char *data;
    size_t len, cap;
    int failed;
} jbuf;

void jbuf_put(jbuf *b, const void *p, size_t n);
void jbuf_putc(jbuf *b, char c);
void jbuf_puts(jbuf *b, const char *s);
/* Escaped as a journal value (see above). */
void jbuf_put_escaped(jbuf *b, const char *p, size_t n);
void jbuf_put_int(jbuf *b, int64_t v);
void jbuf_put_uint(jbuf *b, uint64_t v);
void jbuf_put_hex(jbuf *b, const uint8_t *p, size_t n);
/* Drops the first n bytes. */
void jbuf_consume(jbuf *b, size_t n);
void jbuf_free(jbuf *b);

#define JOURNAL_POSITION_MAX 496

/* What a scan of a journal found. */
typedef struct journal_scan {
    uint64_t size;        /* bytes in the file */
    uint64_t safe_end;    /* offset just after the last safe record (P, L or C) */
    uint64_t records;     /* complete lines up to safe_end */
    int has_commit;
    uint8_t position[JOURNAL_POSITION_MAX]; /* the last C record's position */
    uint32_t position_len;
    uint64_t commit_line; /* its line number */
    char problem[256];    /* set when a C record's position cannot be read */
} journal_scan;

/* Scans an open journal. 0, or -1 with errno set when it cannot be read. */
int journal_scan_fd(int fd, journal_scan *out);
/* The same over bytes in memory. */
void journal_scan_buffer(const char *data, size_t size, journal_scan *out);

/* Decodes hex (even length, [0-9a-fA-F]) into out; returns bytes, or -1. */
int journal_parse_hex(const char *hex, size_t len, uint8_t *out, size_t max);

#endif
