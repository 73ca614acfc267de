/*
 * libFuzzer target for the binary COPY stream parser (plugins/source-pg/copybin.c).
 *
 * Input layout:
 *   byte 0  the column count every tuple must have
 *   byte 1  piece size - 1: the rest is fed in pieces of that size, as CopyData
 *           messages, joined the way source-pg joins them (an incomplete item
 *           waits in a carry buffer for the next piece)
 *   then    the stream
 * Every piece is copied to an exact-size heap buffer so ASan sees any overread;
 * every field of every row is read, and the parser's answers are checked.
 */
#include <stdlib.h>
#include <string.h>

#include "copybin.h"

static unsigned touch(const uint8_t *p, size_t n)
{
    const volatile uint8_t *b = p;
    unsigned sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += b[i];
    return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint32_t ncols = data[0];
    size_t piece = (size_t)data[1] + 1;
    data += 2;
    size -= 2;
    pgb_parser p;
    pgb_field fields[256];
    pgb_init(&p, ncols);
    uint8_t *carry = malloc(size ? size : 1);
    size_t carry_len = 0;
    volatile unsigned sink = 0;
    int over = 0;
    for (size_t at = 0; at < size && !over; at += piece) {
        size_t n = size - at < piece ? size - at : piece;
        memcpy(carry + carry_len, data + at, n);
        carry_len += n;
        uint8_t *buf = malloc(carry_len ? carry_len : 1); /* exact size */
        memcpy(buf, carry, carry_len);
        size_t pos = 0;
        for (;;) {
            size_t used = 0;
            pgb_status st = pgb_next(&p, buf + pos, carry_len - pos, &used, fields);
            if (used > carry_len - pos)
                abort();
            if (st == PGB_ROW) {
                if (used == 0)
                    abort(); /* a row always takes bytes */
                for (uint32_t i = 0; i < ncols; i++) {
                    if (fields[i].len < -1)
                        abort();
                    if (fields[i].len > 0) {
                        if (fields[i].data < buf + pos ||
                            fields[i].data + fields[i].len > buf + pos + used)
                            abort(); /* a field outside its row */
                        sink += touch(fields[i].data, (size_t)fields[i].len);
                    }
                }
                pos += used;
                continue;
            }
            if (st == PGB_MORE && used != 0)
                abort(); /* nothing consumed of an incomplete item */
            if (st == PGB_BAD && (!p.error[0] || !memchr(p.error, '\0', sizeof p.error)))
                abort(); /* a failure says why */
            if (st == PGB_END)
                pos += used;
            over = st == PGB_BAD || st == PGB_END;
            break;
        }
        memmove(carry, buf + pos, carry_len - pos);
        carry_len -= pos;
        free(buf);
    }
    if (over) { /* after the end or a failure, nothing more parses */
        size_t used;
        if (pgb_next(&p, data, size, &used, fields) != PGB_BAD)
            abort();
    }
    (void)sink;
    free(carry);
    return 0;
}
