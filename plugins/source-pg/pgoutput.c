/*
 * pgoutput.c: decoder for the CopyBoth envelope and PostgreSQL 15 pgoutput
 * messages (proto 1 and 2). See pgoutput.h for the contract.
 *
 * Everything reads through one bounds-checked cursor (struct reader). A
 * message is fully validated before pgo_decode returns OK, so the tuple and
 * relation-column iterators can walk it later without re-checking errors.
 */
#include "pgoutput.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define TRY(expr)                          \
    do {                                   \
        pgo_status try_ = (expr);          \
        if (try_ != PGO_OK)                \
            return try_;                   \
    } while (0)

/* ---- big-endian helpers (no alignment assumptions) ---- */

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

/* ---- the cursor ---- */

typedef struct reader {
    const uint8_t *buf;
    size_t len;
    size_t pos;
    const char *what; /* prefix of every error: "pgoutput INSERT" */
    pgo_error *err;
} reader;

__attribute__((format(printf, 4, 5)))
static pgo_status fail_at(const reader *r, pgo_status code, size_t off, const char *fmt, ...)
{
    if (!r->err)
        return code;
    char detail[PGO_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    if (n < 0)
        detail[0] = '\0';
    r->err->code = code;
    r->err->offset = off;
    n = snprintf(r->err->msg, sizeof r->err->msg, "%s: %s at byte %zu", r->what, detail, off);
    (void)n; /* a long message is cut short, never overrun */
    return code;
}

static size_t left(const reader *r)
{
    return r->len - r->pos;
}

static pgo_status need(const reader *r, size_t n, const char *field)
{
    if (left(r) >= n)
        return PGO_OK;
    return fail_at(r, PGO_ERR_TRUNCATED, r->pos, "%s truncated: need %zu bytes, %zu left",
                   field, n, left(r));
}

static pgo_status rd_u8(reader *r, const char *field, uint8_t *v)
{
    TRY(need(r, 1, field));
    *v = r->buf[r->pos++];
    return PGO_OK;
}

static pgo_status rd_u16(reader *r, const char *field, uint16_t *v)
{
    TRY(need(r, 2, field));
    *v = be16(r->buf + r->pos);
    r->pos += 2;
    return PGO_OK;
}

static pgo_status rd_u32(reader *r, const char *field, uint32_t *v)
{
    TRY(need(r, 4, field));
    *v = be32(r->buf + r->pos);
    r->pos += 4;
    return PGO_OK;
}

static pgo_status rd_u64(reader *r, const char *field, uint64_t *v)
{
    TRY(need(r, 8, field));
    *v = be64(r->buf + r->pos);
    r->pos += 8;
    return PGO_OK;
}

static pgo_status rd_i64(reader *r, const char *field, int64_t *v)
{
    uint64_t u;
    TRY(rd_u64(r, field, &u));
    memcpy(v, &u, sizeof *v); /* two's complement reinterpretation, no UB */
    return PGO_OK;
}

/* A wire Int16 count; the server never sends a negative one. */
static pgo_status rd_count16(reader *r, const char *field, uint16_t *v)
{
    size_t at = r->pos;
    TRY(rd_u16(r, field, v));
    if (*v > INT16_MAX)
        return fail_at(r, PGO_ERR_MALFORMED, at, "%s %d is negative", field, (int)(int16_t)*v);
    return PGO_OK;
}

/* A wire Int32 length or count: negative is malformed, too big is truncated. */
static pgo_status rd_len32(reader *r, const char *field, size_t unit, uint32_t *v)
{
    size_t at = r->pos;
    TRY(rd_u32(r, field, v));
    if (*v > INT32_MAX)
        return fail_at(r, PGO_ERR_MALFORMED, at, "%s %d is negative", field, (int)(int32_t)*v);
    if (*v > left(r) / unit)
        return fail_at(r, PGO_ERR_TRUNCATED, at, "%s %u exceeds the %zu bytes left", field,
                       (unsigned)*v, left(r));
    return PGO_OK;
}

/* A NUL-terminated string; the view excludes the NUL but ptr[len] is it. */
static pgo_status rd_str(reader *r, const char *field, pgo_str *s)
{
    const uint8_t *start = r->buf + r->pos;
    const uint8_t *nul = left(r) ? memchr(start, '\0', left(r)) : NULL;
    if (!nul)
        return fail_at(r, PGO_ERR_TRUNCATED, r->pos, "%s has no terminating NUL", field);
    s->ptr = (const char *)start;
    s->len = (size_t)(nul - start);
    r->pos += s->len + 1;
    return PGO_OK;
}

static pgo_status expect_end(const reader *r)
{
    if (left(r) == 0)
        return PGO_OK;
    return fail_at(r, PGO_ERR_TRAILING, r->pos, "%zu unexpected bytes after the message",
                   left(r));
}

/* ---- names ---- */

const char *pgo_status_name(pgo_status s)
{
    switch (s) {
    case PGO_OK: return "ok";
    case PGO_ERR_TRUNCATED: return "truncated";
    case PGO_ERR_MALFORMED: return "malformed";
    case PGO_ERR_UNKNOWN_TYPE: return "unknown type";
    case PGO_ERR_TRAILING: return "trailing bytes";
    case PGO_ERR_NCOLS: return "column count mismatch";
    case PGO_ERR_STATE: return "out of order";
    case PGO_ERR_ARG: return "bad argument";
    }
    return "unknown status";
}

const char *pgo_msg_type_name(int type)
{
    switch (type) {
    case PGO_MSG_BEGIN: return "BEGIN";
    case PGO_MSG_COMMIT: return "COMMIT";
    case PGO_MSG_ORIGIN: return "ORIGIN";
    case PGO_MSG_RELATION: return "RELATION";
    case PGO_MSG_TYPE: return "TYPE";
    case PGO_MSG_INSERT: return "INSERT";
    case PGO_MSG_UPDATE: return "UPDATE";
    case PGO_MSG_DELETE: return "DELETE";
    case PGO_MSG_TRUNCATE: return "TRUNCATE";
    case PGO_MSG_MESSAGE: return "MESSAGE";
    case PGO_MSG_STREAM_START: return "STREAM START";
    case PGO_MSG_STREAM_STOP: return "STREAM STOP";
    case PGO_MSG_STREAM_COMMIT: return "STREAM COMMIT";
    case PGO_MSG_STREAM_ABORT: return "STREAM ABORT";
    }
    return "unknown";
}

/* ---- the CopyBoth envelope ---- */

static pgo_status parse_xlogdata(reader *r, pgo_copy_msg *out)
{
    TRY(rd_u64(r, "dataStart", &out->wal_start));
    TRY(rd_u64(r, "walEnd", &out->wal_end));
    TRY(rd_i64(r, "sendTime", &out->send_time));
    out->data = r->buf + r->pos;
    out->len = left(r);
    return PGO_OK;
}

static pgo_status parse_keepalive(reader *r, pgo_copy_msg *out)
{
    uint8_t reply;
    TRY(rd_u64(r, "walEnd", &out->wal_end));
    TRY(rd_i64(r, "sendTime", &out->send_time));
    size_t at = r->pos;
    TRY(rd_u8(r, "replyRequested", &reply));
    if (reply > 1)
        return fail_at(r, PGO_ERR_MALFORMED, at, "replyRequested is %u, not 0 or 1",
                       (unsigned)reply);
    out->reply_requested = reply;
    return expect_end(r);
}

pgo_status pgo_parse_copy(const void *buf, size_t len, pgo_copy_msg *out, pgo_error *err)
{
    reader r = {buf, len, 0, "CopyData", err};
    uint8_t kind;
    if (!out || (!buf && len))
        return fail_at(&r, PGO_ERR_ARG, 0, "NULL buffer or result");
    memset(out, 0, sizeof *out);
    TRY(rd_u8(&r, "message type", &kind));
    out->kind = (char)kind;
    if (kind == PGO_COPY_XLOGDATA) {
        r.what = "XLogData";
        return parse_xlogdata(&r, out);
    }
    if (kind == PGO_COPY_KEEPALIVE) {
        r.what = "primary keepalive";
        return parse_keepalive(&r, out);
    }
    return fail_at(&r, PGO_ERR_UNKNOWN_TYPE, 0, "unknown message type 0x%02x", (unsigned)kind);
}

size_t pgo_encode_standby_status(void *buf, size_t cap, uint64_t write_lsn, uint64_t flush_lsn,
                                 uint64_t apply_lsn, int64_t now_pg_us, bool reply_requested)
{
    uint8_t *p = buf;
    if (!p || cap < PGO_STANDBY_STATUS_LEN)
        return 0;
    p[0] = 'r';
    put64(p + 1, write_lsn);
    put64(p + 9, flush_lsn);
    put64(p + 17, apply_lsn);
    put64(p + 25, (uint64_t)now_pg_us);
    p[33] = reply_requested ? 1 : 0;
    return PGO_STANDBY_STATUS_LEN;
}

/* ---- tuples ---- */

/* Like need(), for a field of column col; formats only on failure (hot path). */
static pgo_status need_col(const reader *r, size_t n, const char *label, unsigned col,
                           const char *field)
{
    if (left(r) >= n)
        return PGO_OK;
    return fail_at(r, PGO_ERR_TRUNCATED, r->pos,
                   "%s column %u %s truncated: need %zu bytes, %zu left", label, col, field, n,
                   left(r));
}

/* Skip one column of a TupleData; label and col name it in errors. */
static pgo_status skip_column(reader *r, const char *label, unsigned col)
{
    size_t at = r->pos;
    TRY(need_col(r, 1, label, col, "kind"));
    uint8_t kind = r->buf[r->pos++];
    if (kind == PGO_VALUE_NULL || kind == PGO_VALUE_UNCHANGED)
        return PGO_OK;
    if (kind != PGO_VALUE_TEXT && kind != PGO_VALUE_BINARY)
        return fail_at(r, PGO_ERR_MALFORMED, at, "%s column %u has unknown kind 0x%02x", label,
                       col, (unsigned)kind);
    at = r->pos;
    TRY(need_col(r, 4, label, col, "length"));
    uint32_t n = be32(r->buf + r->pos);
    r->pos += 4;
    if (n > INT32_MAX)
        return fail_at(r, PGO_ERR_MALFORMED, at, "%s column %u length %d is negative", label, col,
                       (int)(int32_t)n);
    if (n > left(r))
        return fail_at(r, PGO_ERR_TRUNCATED, at,
                       "%s column %u length %u exceeds the %zu bytes left", label, col,
                       (unsigned)n, left(r));
    r->pos += n;
    return PGO_OK;
}

static pgo_status check_ncols(const reader *r, const pgo_decoder *dec, uint32_t relid,
                              const char *label, uint16_t ncols, size_t at)
{
    if (!dec->ncols_fn)
        return PGO_OK;
    int want = dec->ncols_fn(dec->ncols_ctx, relid);
    if (want < 0 || want == ncols)
        return PGO_OK;
    return fail_at(r, PGO_ERR_NCOLS, at, "%s has %u columns but RELATION %u has %d", label,
                   (unsigned)ncols, (unsigned)relid, want);
}

/* Validate a TupleData and record its view. */
static pgo_status rd_tuple(reader *r, const pgo_decoder *dec, uint32_t relid, const char *label,
                           pgo_tuple *t)
{
    size_t at = r->pos;
    if (left(r) < 2)
        return fail_at(r, PGO_ERR_TRUNCATED, at,
                       "%s column count truncated: need 2 bytes, %zu left", label, left(r));
    t->ncols = be16(r->buf + r->pos);
    r->pos += 2;
    if (t->ncols > INT16_MAX)
        return fail_at(r, PGO_ERR_MALFORMED, at, "%s column count %d is negative", label,
                       (int)(int16_t)t->ncols);
    TRY(check_ncols(r, dec, relid, label, t->ncols, at));
    t->cols = r->buf + r->pos;
    size_t start = r->pos;
    for (unsigned i = 0; i < t->ncols; i++)
        TRY(skip_column(r, label, i + 1));
    t->len = r->pos - start;
    return PGO_OK;
}

void pgo_tuple_iter_init(pgo_tuple_iter *it, const pgo_tuple *t)
{
    it->p = t->cols;
    it->end = t->cols ? t->cols + t->len : NULL;
    it->left = t->ncols;
}

bool pgo_tuple_next(pgo_tuple_iter *it, pgo_value *out)
{
    /* The tuple was validated; the checks only guard against misuse. */
    if (!it->left || it->p >= it->end)
        return false;
    out->kind = (char)*it->p++;
    out->len = 0;
    out->data = NULL;
    if (out->kind == PGO_VALUE_TEXT || out->kind == PGO_VALUE_BINARY) {
        if (it->end - it->p < 4)
            return false;
        uint32_t n = be32(it->p);
        it->p += 4;
        if (n > (size_t)(it->end - it->p))
            return false;
        out->len = n;
        out->data = (const char *)it->p;
        it->p += n;
    }
    it->left--;
    return true;
}

size_t pgo_tuple_values(const pgo_tuple *t, pgo_value *out, size_t cap)
{
    pgo_tuple_iter it;
    size_t n = 0;
    pgo_tuple_iter_init(&it, t);
    while (n < cap && pgo_tuple_next(&it, &out[n]))
        n++;
    return n;
}

/* ---- RELATION columns ---- */

static pgo_status skip_relcol(reader *r, unsigned col)
{
    TRY(need_col(r, 1, "relation", col, "flags"));
    r->pos++;
    const uint8_t *name = r->buf + r->pos;
    const uint8_t *nul = left(r) ? memchr(name, '\0', left(r)) : NULL;
    if (!nul)
        return fail_at(r, PGO_ERR_TRUNCATED, r->pos,
                       "relation column %u name has no terminating NUL", col);
    r->pos += (size_t)(nul - name) + 1;
    TRY(need_col(r, 8, "relation", col, "type OID and typmod"));
    r->pos += 8;
    return PGO_OK;
}

void pgo_relcol_iter_init(pgo_relcol_iter *it, const pgo_relation *rel)
{
    it->p = rel->cols;
    it->end = rel->cols ? rel->cols + rel->cols_len : NULL;
    it->left = rel->ncols;
}

bool pgo_relcol_next(pgo_relcol_iter *it, pgo_relcol *out)
{
    if (!it->left || it->p >= it->end)
        return false;
    const uint8_t *name = it->p + 1;
    const uint8_t *nul = memchr(name, '\0', (size_t)(it->end - name));
    if (!nul || it->end - (nul + 1) < 8)
        return false;
    out->flags = it->p[0];
    out->name.ptr = (const char *)name;
    out->name.len = (size_t)(nul - name);
    out->type_oid = be32(nul + 1);
    uint32_t typmod = be32(nul + 5);
    memcpy(&out->typmod, &typmod, sizeof typmod);
    it->p = nul + 9;
    it->left--;
    return true;
}

uint32_t pgo_truncate_relid(const pgo_truncate *t, uint32_t i)
{
    return i < t->nrels ? be32(t->relids + (size_t)i * 4) : 0;
}

/* ---- pgoutput messages, one function each ---- */

typedef pgo_status (*msg_fn)(reader *r, const pgo_decoder *dec, pgo_msg *m);

static pgo_status msg_begin(reader *r, const pgo_decoder *dec, pgo_msg *m)
{
    (void)dec;
    TRY(rd_u64(r, "final LSN", &m->u.begin.final_lsn));
    TRY(rd_i64(r, "commit time", &m->u.begin.commit_time));
    return rd_u32(r, "xid", &m->xid);
}

/* COMMIT and STREAM COMMIT share their tail. */
static pgo_status commit_tail(reader *r, pgo_msg *m)
{
    TRY(rd_u8(r, "flags", &m->u.commit.flags));
    TRY(rd_u64(r, "commit LSN", &m->u.commit.commit_lsn));
    TRY(rd_u64(r, "end LSN", &m->u.commit.end_lsn));
    return rd_i64(r, "commit time", &m->u.commit.commit_time);
}

static pgo_status msg_commit(reader *r, const pgo_decoder *dec, pgo_msg *m)
{
    (void)dec;
    return commit_tail(r, m);
}

static pgo_status msg_origin(reader *r, const pgo_decoder *dec, pgo_msg *m)
{
    (void)dec;
    TRY(rd_u64(r, "origin LSN", &m->u.origin.commit_lsn));
    return rd_str(r, "origin name", &m->u.origin.name);
}

static pgo_status check_replident(const reader *r, uint8_t c, size_t at)
{
    if (c == PGO_REPLIDENT_DEFAULT || c == PGO_REPLIDENT_NOTHING || c == PGO_REPLIDENT_FULL ||
        c == PGO_REPLIDENT_INDEX)
        return PGO_OK;
    return fail_at(r, PGO_ERR_MALFORMED, at, "replica identity 0x%02x is not d, n, f or i",
                   (unsigned)c);
}

static pgo_status msg_relation(reader *r, const pgo_decoder *dec, pgo_msg *m)
{
    pgo_relation *rel = &m->u.relation;
    uint8_t ident;
    (void)dec;
    TRY(rd_u32(r, "relation OID", &rel->relid));
    TRY(rd_str(r, "namespace", &rel->nspname));
    TRY(rd_str(r, "relation name", &rel->relname));
    size_t at = r->pos;
    TRY(rd_u8(r, "replica identity", &ident));
    TRY(check_replident(r, ident, at));
    rel->replident = (char)ident;
    TRY(rd_count16(r, "column count", &rel->ncols));
    rel->cols = r->buf + r->pos;
    size_t start = r->pos;
    for (unsigned i = 0; i < rel->ncols; i++)
        TRY(skip_relcol(r, i + 1));
    rel->cols_len = r->pos - start;
    return PGO_OK;
}

static pgo_status msg_type(reader *r, const pgo_decoder *dec, pgo_msg *m)
{
    (void)dec;
    TRY(rd_u32(r, "type OID", &m->u.type.oid));
    TRY(rd_str(r, "namespace", &m->u.type.nspname));
    return rd_str(r, "type name", &m->u.type.typname);
}

/* Read a one-byte tuple marker and check it is one of the allowed ones. */
static pgo_status rd_marker(reader *r, const char *allowed, uint8_t *c)
{
    size_t at = r->pos;
    TRY(rd_u8(r, "tuple marker", c));
    if (*c && strchr(allowed, *c))
        return PGO_OK;
    return fail_at(r, PGO_ERR_MALFORMED, at, "tuple marker 0x%02x is not one of %s",
                   (unsigned)*c, allowed);
}

static pgo_status msg_insert(reader *r, const pgo_decoder *dec, pgo_msg *m)
{
    pgo_change *c = &m->u.change;
    uint8_t mark;
    TRY(rd_u32(r, "relation OID", &c->relid));
    TRY(rd_marker(r, "N", &mark));
    c->has_new = true;
    return rd_tuple(r, dec, c->relid, "new tuple", &c->newtup);
}

static pgo_status rd_old(reader *r, const pgo_decoder *dec, pgo_change *c, uint8_t mark)
{
    c->old_kind = (char)mark;
    return rd_tuple(r, dec, c->relid, mark == 'K' ? "old key tuple" : "old tuple", &c->oldtup);
}

static pgo_status msg_update(reader *r, const pgo_decoder *dec, pgo_msg *m)
{
    pgo_change *c = &m->u.change;
    uint8_t mark;
    TRY(rd_u32(r, "relation OID", &c->relid));
    TRY(rd_marker(r, "KON", &mark));
    if (mark != 'N') {
        TRY(rd_old(r, dec, c, mark));
        TRY(rd_marker(r, "N", &mark));
    }
    c->has_new = true;
    return rd_tuple(r, dec, c->relid, "new tuple", &c->newtup);
}

static pgo_status msg_delete(reader *r, const pgo_decoder *dec, pgo_msg *m)
{
    pgo_change *c = &m->u.change;
    uint8_t mark;
    TRY(rd_u32(r, "relation OID", &c->relid));
    TRY(rd_marker(r, "KO", &mark));
    return rd_old(r, dec, c, mark);
}

static pgo_status msg_truncate(reader *r, const pgo_decoder *dec, pgo_msg *m)
{
    pgo_truncate *t = &m->u.truncate;
    (void)dec;
    size_t at = r->pos;
    TRY(rd_u32(r, "relation count", &t->nrels));
    if (t->nrels > INT32_MAX)
        return fail_at(r, PGO_ERR_MALFORMED, at, "relation count %d is negative",
                       (int)(int32_t)t->nrels);
    TRY(rd_u8(r, "options", &t->options));
    if (t->nrels > left(r) / 4)
        return fail_at(r, PGO_ERR_TRUNCATED, r->pos,
                       "%u relation OIDs need %zu bytes, %zu left", (unsigned)t->nrels,
                       (size_t)t->nrels * 4, left(r));
    t->relids = r->buf + r->pos;
    r->pos += (size_t)t->nrels * 4;
    return PGO_OK;
}

static pgo_status msg_message(reader *r, const pgo_decoder *dec, pgo_msg *m)
{
    uint32_t n;
    (void)dec;
    TRY(rd_u8(r, "flags", &m->u.message.flags));
    TRY(rd_u64(r, "LSN", &m->u.message.lsn));
    TRY(rd_str(r, "prefix", &m->u.message.prefix));
    TRY(rd_len32(r, "content length", 1, &n));
    m->u.message.content.ptr = (const char *)r->buf + r->pos;
    m->u.message.content.len = n;
    r->pos += n;
    return PGO_OK;
}

static pgo_status msg_stream_start(reader *r, const pgo_decoder *dec, pgo_msg *m)
{
    uint8_t first;
    (void)dec;
    TRY(rd_u32(r, "xid", &m->xid));
    size_t at = r->pos;
    TRY(rd_u8(r, "first segment flag", &first));
    if (first > 1)
        return fail_at(r, PGO_ERR_MALFORMED, at, "first segment flag is %u, not 0 or 1",
                       (unsigned)first);
    m->u.stream_start.first_segment = first;
    return PGO_OK;
}

static pgo_status msg_stream_stop(reader *r, const pgo_decoder *dec, pgo_msg *m)
{
    (void)r;
    m->xid = dec->stream_xid;
    return PGO_OK;
}

static pgo_status msg_stream_commit(reader *r, const pgo_decoder *dec, pgo_msg *m)
{
    (void)dec;
    TRY(rd_u32(r, "xid", &m->xid));
    return commit_tail(r, m);
}

static pgo_status msg_stream_abort(reader *r, const pgo_decoder *dec, pgo_msg *m)
{
    (void)dec;
    TRY(rd_u32(r, "xid", &m->xid));
    return rd_u32(r, "subtransaction xid", &m->u.stream_abort.subxid);
}

/* ---- dispatch ---- */

enum where { OUTSIDE_STREAM, INSIDE_STREAM, ANYWHERE };

typedef struct msg_def {
    char type;
    enum where where;
    bool xid_in_stream; /* a streamed copy carries the xid after the type byte */
    bool proto2;        /* streaming messages need proto_version 2 */
    msg_fn fn;
} msg_def;

static const msg_def msg_defs[] = {
    {PGO_MSG_BEGIN, OUTSIDE_STREAM, false, false, msg_begin},
    {PGO_MSG_COMMIT, OUTSIDE_STREAM, false, false, msg_commit},
    /* ORIGIN follows STREAM START for a replicated txn, without an xid */
    {PGO_MSG_ORIGIN, ANYWHERE, false, false, msg_origin},
    {PGO_MSG_RELATION, ANYWHERE, true, false, msg_relation},
    {PGO_MSG_TYPE, ANYWHERE, true, false, msg_type},
    {PGO_MSG_INSERT, ANYWHERE, true, false, msg_insert},
    {PGO_MSG_UPDATE, ANYWHERE, true, false, msg_update},
    {PGO_MSG_DELETE, ANYWHERE, true, false, msg_delete},
    {PGO_MSG_TRUNCATE, ANYWHERE, true, false, msg_truncate},
    {PGO_MSG_MESSAGE, ANYWHERE, true, false, msg_message},
    {PGO_MSG_STREAM_START, OUTSIDE_STREAM, false, true, msg_stream_start},
    {PGO_MSG_STREAM_STOP, INSIDE_STREAM, false, true, msg_stream_stop},
    {PGO_MSG_STREAM_COMMIT, OUTSIDE_STREAM, false, true, msg_stream_commit},
    {PGO_MSG_STREAM_ABORT, OUTSIDE_STREAM, false, true, msg_stream_abort},
};

static const msg_def *find_def(uint8_t type)
{
    for (size_t i = 0; i < sizeof msg_defs / sizeof msg_defs[0]; i++)
        if ((uint8_t)msg_defs[i].type == type)
            return &msg_defs[i];
    return NULL;
}

/* Is this message allowed in the decoder's current state? */
static pgo_status check_state(const reader *r, const pgo_decoder *dec, const msg_def *d)
{
    if (d->proto2 && dec->proto_version < 2)
        return fail_at(r, PGO_ERR_STATE, 0, "streaming message with proto_version %d",
                       dec->proto_version);
    if (d->where == OUTSIDE_STREAM && dec->in_stream)
        return fail_at(r, PGO_ERR_STATE, 0, "not allowed inside the stream block of xid %u",
                       (unsigned)dec->stream_xid);
    if (d->where == INSIDE_STREAM && !dec->in_stream)
        return fail_at(r, PGO_ERR_STATE, 0, "not allowed outside a stream block");
    return PGO_OK;
}

static void update_state(pgo_decoder *dec, const pgo_msg *m)
{
    if (m->type == PGO_MSG_STREAM_START) {
        dec->in_stream = true;
        dec->stream_xid = m->xid;
    } else if (m->type == PGO_MSG_STREAM_STOP) {
        dec->in_stream = false;
        dec->stream_xid = 0;
    }
}

pgo_status pgo_decoder_init(pgo_decoder *dec, int proto_version)
{
    if (!dec || proto_version < 1 || proto_version > 2)
        return PGO_ERR_ARG;
    memset(dec, 0, sizeof *dec);
    dec->proto_version = proto_version;
    return PGO_OK;
}

/* Message names as error prefixes, built without formatting at run time. */
static const char *what_for(uint8_t type)
{
    switch (type) {
    case PGO_MSG_BEGIN: return "pgoutput BEGIN";
    case PGO_MSG_COMMIT: return "pgoutput COMMIT";
    case PGO_MSG_ORIGIN: return "pgoutput ORIGIN";
    case PGO_MSG_RELATION: return "pgoutput RELATION";
    case PGO_MSG_TYPE: return "pgoutput TYPE";
    case PGO_MSG_INSERT: return "pgoutput INSERT";
    case PGO_MSG_UPDATE: return "pgoutput UPDATE";
    case PGO_MSG_DELETE: return "pgoutput DELETE";
    case PGO_MSG_TRUNCATE: return "pgoutput TRUNCATE";
    case PGO_MSG_MESSAGE: return "pgoutput MESSAGE";
    case PGO_MSG_STREAM_START: return "pgoutput STREAM START";
    case PGO_MSG_STREAM_STOP: return "pgoutput STREAM STOP";
    case PGO_MSG_STREAM_COMMIT: return "pgoutput STREAM COMMIT";
    case PGO_MSG_STREAM_ABORT: return "pgoutput STREAM ABORT";
    }
    return "pgoutput";
}

pgo_status pgo_decode(pgo_decoder *dec, const void *buf, size_t len, pgo_msg *out,
                      pgo_error *err)
{
    reader r = {buf, len, 0, "pgoutput", err};
    uint8_t type;
    if (!dec || !out || (!buf && len))
        return fail_at(&r, PGO_ERR_ARG, 0, "NULL decoder, buffer or result");
    if (dec->proto_version < 1 || dec->proto_version > 2)
        return fail_at(&r, PGO_ERR_ARG, 0, "unsupported proto_version %d", dec->proto_version);
    memset(out, 0, sizeof *out);
    TRY(rd_u8(&r, "message type", &type));
    const msg_def *d = find_def(type);
    if (!d)
        return fail_at(&r, PGO_ERR_UNKNOWN_TYPE, 0, "unknown message type 0x%02x",
                       (unsigned)type);
    r.what = what_for(type);
    out->type = (char)type;
    TRY(check_state(&r, dec, d));
    if (d->xid_in_stream && dec->in_stream) {
        out->streamed = true;
        TRY(rd_u32(&r, "xid", &out->xid));
    }
    TRY(d->fn(&r, dec, out));
    TRY(expect_end(&r));
    update_state(dec, out);
    return PGO_OK;
}

/* ---- LSNs and times ---- */

size_t pgo_lsn_format(uint64_t lsn, char *buf, size_t cap)
{
    char tmp[PGO_LSN_BUFSIZE];
    int n = snprintf(tmp, sizeof tmp, "%X/%X", (unsigned)(lsn >> 32), (unsigned)lsn);
    if (n < 0)
        n = 0;
    if (buf && cap) {
        size_t k = (size_t)n < cap - 1 ? (size_t)n : cap - 1;
        memcpy(buf, tmp, k);
        buf[k] = '\0';
    }
    return (size_t)n;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* 1 to 8 hex digits at *s, stopping at the first non-digit. */
static bool parse_hex32(const char **s, uint32_t *out)
{
    uint32_t v = 0;
    int n = 0;
    for (int d; (d = hexval(**s)) >= 0; (*s)++) {
        if (++n > 8)
            return false;
        v = v << 4 | (uint32_t)d;
    }
    *out = v;
    return n > 0;
}

bool pgo_lsn_parse(const char *s, uint64_t *out)
{
    uint32_t hi, lo;
    if (!s || !out || !parse_hex32(&s, &hi) || *s++ != '/' || !parse_hex32(&s, &lo) || *s)
        return false;
    *out = (uint64_t)hi << 32 | lo;
    return true;
}

int64_t pgo_time_to_unix_us(int64_t pg_us)
{
    if (pg_us > INT64_MAX - PGO_EPOCH_OFFSET_US)
        return INT64_MAX;
    return pg_us + PGO_EPOCH_OFFSET_US;
}

int64_t pgo_time_from_unix_us(int64_t unix_us)
{
    if (unix_us < INT64_MIN + PGO_EPOCH_OFFSET_US)
        return INT64_MIN;
    return unix_us - PGO_EPOCH_OFFSET_US;
}
