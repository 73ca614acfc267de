/*
 * libFuzzer target for the binlog decoder.
 *
 * Input: byte 0 flags (1 = checksum CRC32 from the start, 2 = AUTO, else
 * OFF; 4 = hint every column as UUID, 8 = as INET6, 16 = unsigned/binary;
 * 64 = keep each event's CRC as it is, else the harness re-signs every event
 * so that mutations reach the parsers behind the checksum),
 * then events one after the other, each as long as its header's event_size
 * says (clamped to what is left). Every event is copied to an exact-size heap
 * buffer so ASan sees any over-read, and every rows event is iterated to its
 * end with every value's bytes touched.
 */
#include "mybl.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static unsigned touch(const void *p, size_t n)
{
    const volatile uint8_t *b = p;
    unsigned sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += b[i];
    return sum;
}

static unsigned walk(const mybl_row *r)
{
    unsigned sum = 0;
    char text[64];
    for (uint32_t i = 0; r && i < r->ncols; i++) {
        const mybl_value *v = &r->values[i];
        if (v->kind == MYBL_V_TEXT || v->kind == MYBL_V_BYTES)
            sum += touch(v->s.ptr, v->s.len);
        sum += (unsigned)mybl_value_text(v, text, sizeof text);
    }
    return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    mybl_decoder *dec = mybl_new();
    if (!dec)
        return 0;
    uint8_t flags = data[0];
    mybl_set_checksum(dec, flags & 1 ? MYBL_CHECKSUM_CRC32
                           : flags & 2 ? MYBL_CHECKSUM_AUTO : MYBL_CHECKSUM_OFF);
    if (flags & 0x1c) {
        uint32_t hints[8];
        uint32_t h = flags & 4 ? MYBL_HINT_UUID : flags & 8 ? MYBL_HINT_INET6
                                                 : MYBL_HINT_UNSIGNED | MYBL_HINT_BINARY;
        for (int i = 0; i < 8; i++)
            hints[i] = h;
        mybl_set_table_hints(dec, "bl", "ty", 8, hints);
    }
    volatile unsigned sink = 0;
    size_t off = 1;
    while (off < size) {
        size_t left = size - off, len = left;
        if (left >= 13) {
            len = (size_t)data[off + 9] | (size_t)data[off + 10] << 8 |
                  (size_t)data[off + 11] << 16 | (size_t)data[off + 12] << 24;
            if (len > left || len == 0)
                len = left;
        }
        uint8_t *ev_bytes = malloc(len);
        memcpy(ev_bytes, data + off, len);
        if (!(flags & 64) && len >= 23) {
            uint32_t crc = (uint32_t)crc32(0, ev_bytes, (uInt)(len - 4));
            for (int i = 0; i < 4; i++)
                ev_bytes[len - 4 + i] = (uint8_t)(crc >> (8 * i));
        }
        mybl_event ev;
        mybl_error err;
        if (mybl_feed_event(dec, ev_bytes, len, &ev, &err) == 0) {
            if (mybl_is_rows(ev.type)) {
                const mybl_row *b, *a;
                while (mybl_next_row(dec, &b, &a, &err) == 1)
                    sink += walk(b) + walk(a);
            } else if (ev.type == MYBL_QUERY || ev.type == MYBL_QUERY_COMPRESSED) {
                sink += touch(ev.u.query.sql.ptr, ev.u.query.sql.len) +
                        touch(ev.u.query.db.ptr, ev.u.query.db.len);
            } else if (ev.type == MYBL_TABLE_MAP) {
                const mybl_table *t = ev.u.table_map;
                sink += touch(t->db.ptr, t->db.len) + touch(t->name.ptr, t->name.len);
                for (uint32_t i = 0; i < t->ncols; i++) {
                    sink += touch(t->cols[i].name.ptr, t->cols[i].name.len);
                    for (uint32_t k = 0; k < t->cols[i].nlabels; k++)
                        sink += touch(t->cols[i].labels[k].ptr, t->cols[i].labels[k].len);
                }
            }
        } else {
            sink += (unsigned)strlen(err.message) + (unsigned)strlen(err.detail);
        }
        free(ev_bytes);
        off += len;
    }
    (void)sink;
    mybl_free(dec);
    return 0;
}
