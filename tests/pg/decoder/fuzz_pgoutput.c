/*
 * libFuzzer target for the pgoutput decoder and the CopyBoth envelope.
 *
 * Input layout (so one input can drive a sequence through one decoder and
 * reach the stream-state rules):
 *   byte 0  flags: 1 = proto_version 2 (else 1), 2 = start inside a stream block,
 *           4 = column-count check on (every relid has byte 1 columns),
 *           8 = chunks are CopyData ('w' payloads are then decoded)
 *   byte 1  the column count the check expects
 *   then    chunks: big-endian u16 length + that many bytes (clamped to what is left)
 * Every chunk is copied to an exact-size heap buffer so ASan sees any overread,
 * and every successful result is walked completely (tuples, columns, relids).
 */
#include "pgoutput.h"

#include <stdlib.h>
#include <string.h>

static int fixed_ncols(void *ctx, uint32_t relid)
{
    (void)relid;
    return *(const uint8_t *)ctx;
}

/* Touch every byte a view claims, so an out-of-range view faults under ASan. */
static unsigned touch(const void *p, size_t n)
{
    const volatile uint8_t *b = p;
    unsigned sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += b[i];
    return sum;
}

static unsigned walk_tuple(const pgo_tuple *t)
{
    pgo_tuple_iter it;
    pgo_value v;
    unsigned sum = 0, n = 0;
    pgo_tuple_iter_init(&it, t);
    while (pgo_tuple_next(&it, &v)) {
        sum += touch(v.data, v.len) + (unsigned char)v.kind;
        n++;
    }
    if (n != t->ncols)
        abort(); /* a validated tuple must walk completely */
    return sum;
}

static unsigned walk_relation(const pgo_relation *r)
{
    pgo_relcol_iter it;
    pgo_relcol c;
    unsigned sum = touch(r->nspname.ptr, r->nspname.len + 1) +
                   touch(r->relname.ptr, r->relname.len + 1);
    unsigned n = 0;
    pgo_relcol_iter_init(&it, r);
    while (pgo_relcol_next(&it, &c)) {
        sum += touch(c.name.ptr, c.name.len + 1) + c.type_oid;
        n++;
    }
    if (n != r->ncols)
        abort();
    return sum;
}

static unsigned walk_msg(const pgo_msg *m)
{
    switch (m->type) {
    case PGO_MSG_RELATION:
        return walk_relation(&m->u.relation);
    case PGO_MSG_INSERT:
    case PGO_MSG_UPDATE:
    case PGO_MSG_DELETE:
        return walk_tuple(&m->u.change.oldtup) + walk_tuple(&m->u.change.newtup);
    case PGO_MSG_TRUNCATE: {
        unsigned sum = 0;
        for (uint32_t i = 0; i < m->u.truncate.nrels; i++)
            sum += pgo_truncate_relid(&m->u.truncate, i);
        return sum;
    }
    case PGO_MSG_MESSAGE:
        return touch(m->u.message.prefix.ptr, m->u.message.prefix.len + 1) +
               touch(m->u.message.content.ptr, m->u.message.content.len);
    case PGO_MSG_TYPE:
        return touch(m->u.type.nspname.ptr, m->u.type.nspname.len + 1) +
               touch(m->u.type.typname.ptr, m->u.type.typname.len + 1);
    case PGO_MSG_ORIGIN:
        return touch(m->u.origin.name.ptr, m->u.origin.name.len + 1);
    }
    return 0;
}

static void check_error(pgo_status s, const pgo_error *e, size_t len)
{
    /* an error must say something and point inside (or just past) the input */
    if (s != PGO_OK && (e->code != s || !e->msg[0] || e->offset > len ||
                        !memchr(e->msg, '\0', sizeof e->msg)))
        abort();
}

static void one_chunk(pgo_decoder *dec, bool envelope, const uint8_t *p, size_t n)
{
    pgo_msg m;
    pgo_error e;
    pgo_copy_msg cm;
    volatile unsigned sink = 0;
    if (envelope) {
        pgo_status s = pgo_parse_copy(p, n, &cm, &e);
        check_error(s, &e, n);
        if (s != PGO_OK || cm.kind != PGO_COPY_XLOGDATA)
            return;
        p = cm.data;
        n = cm.len;
    }
    bool was_in = dec->in_stream;
    pgo_status s = pgo_decode(dec, p, n, &m, &e);
    check_error(s, &e, n);
    if (s != PGO_OK) {
        if (dec->in_stream != was_in)
            abort(); /* failures leave the state alone */
        return;
    }
    sink += walk_msg(&m);
    (void)sink;
}

/* LSN parsing on a NUL-terminated copy of (a bit of) the chunk. */
static void lsn_roundtrip(const uint8_t *p, size_t n)
{
    char s[40], out[PGO_LSN_BUFSIZE];
    uint64_t v;
    if (n >= sizeof s)
        n = sizeof s - 1;
    memcpy(s, p, n);
    s[n] = '\0';
    if (!pgo_lsn_parse(s, &v))
        return;
    pgo_lsn_format(v, out, sizeof out);
    uint64_t w;
    if (!pgo_lsn_parse(out, &w) || w != v)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint8_t flags = data[0];
    uint8_t ncols = data[1];
    pgo_decoder dec;
    pgo_decoder_init(&dec, flags & 1 ? 2 : 1);
    dec.in_stream = (flags & 2) != 0;
    if (flags & 4) {
        dec.ncols_fn = fixed_ncols;
        dec.ncols_ctx = &ncols;
    }
    size_t pos = 2;
    while (pos < size) {
        size_t n = size - pos >= 2 ? (size_t)data[pos] << 8 | data[pos + 1] : 0;
        pos += size - pos >= 2 ? 2 : size - pos;
        if (n > size - pos)
            n = size - pos;
        uint8_t *chunk = malloc(n ? n : 1);
        if (!chunk)
            return 0;
        memcpy(chunk, data + pos, n);
        one_chunk(&dec, (flags & 8) != 0, chunk, n);
        lsn_roundtrip(chunk, n);
        free(chunk);
        pos += n;
    }
    return 0;
}
