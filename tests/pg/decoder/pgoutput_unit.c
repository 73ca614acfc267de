/*
 * Unit tests for the pgoutput decoder (plugins/source-pg/pgoutput.c) with
 * hand-built messages: every message type, proto 1 and 2, stream blocks, the
 * CopyBoth envelope, the standby status encoder, LSNs and times, and a table
 * of malformed inputs (every truncation point of every valid message).
 *
 *   pgoutput_unit                      run the tests
 *   pgoutput_unit --write-corpus DIR   also write the valid messages as fuzz seeds
 */
#include "pgo_build.h"
#include "pgoutput.h"
#include "unit.h"

#include <stdlib.h>

#define TS INT64_C(0x000303c6e37f25f2) /* a commit time seen on PG15 */

/* ---- the valid samples: one builder each ---- */

typedef struct sample {
    const char *name;
    int proto;      /* decoder proto_version */
    bool in_stream; /* decoder state before the message */
    bool envelope;  /* a CopyData message, not a pgoutput one */
    bbuf m;
} sample;

static void mk_begin(bbuf *m)
{
    b_u64(b_u8(m, 'B'), 0x0153d200);
    b_u32(b_u64(m, (uint64_t)TS), 0x2de);
}

static void mk_commit(bbuf *m)
{
    b_u64(b_u64(b_u8(b_u8(m, 'C'), 0), 0x0153d200), 0x0153d230);
    b_u64(m, (uint64_t)TS);
}

static void mk_origin(bbuf *m)
{
    b_str(b_u64(b_u8(m, 'O'), UINT64_C(0x16B374D848)), "node_a");
}

/* RELATION public.t1 (id int4 key, name text, big text, flag bool) */
static void relation_body(bbuf *m)
{
    b_u8(b_str(b_str(b_u32(m, 0x4007), "public"), "t1"), 'd');
    b_u16(m, 4);
    b_u32(b_u32(b_str(b_u8(m, 1), "id"), 23), 0xffffffff);
    b_u32(b_u32(b_str(b_u8(m, 0), "name"), 25), 0xffffffff);
    b_u32(b_u32(b_str(b_u8(m, 0), "big"), 1043), 104); /* varchar(100): typmod 104 */
    b_u32(b_u32(b_str(b_u8(m, 0), "flag"), 16), 0xffffffff);
}

static void mk_relation(bbuf *m)
{
    relation_body(b_u8(m, 'R'));
}

static void mk_type(bbuf *m)
{
    b_str(b_str(b_u32(b_u8(m, 'Y'), 0x4001), "public"), "mood");
}

/* (1, 'one', unchanged TOAST, NULL) */
static void tuple_new(bbuf *m)
{
    b_u16(m, 4);
    b_null(b_unch(b_text(b_text(m, "1"), "one")));
}

static void mk_insert(bbuf *m)
{
    b_u8(b_u32(b_u8(m, 'I'), 0x4007), 'N');
    b_u16(m, 4);
    b_null(b_bin(b_text(b_text(m, "1"), "one"), "\x00\x00\x00\x14", 4));
}

static void mk_update_plain(bbuf *m)
{
    tuple_new(b_u8(b_u32(b_u8(m, 'U'), 0x4007), 'N'));
}

static void mk_update_key(bbuf *m)
{
    b_u8(b_u32(b_u8(m, 'U'), 0x4007), 'K');
    b_u16(m, 4);
    b_null(b_null(b_null(b_text(m, "4"))));
    tuple_new(b_u8(m, 'N'));
}

static void mk_update_full(bbuf *m)
{
    b_u8(b_u32(b_u8(m, 'U'), 0x4007), 'O');
    b_u16(m, 4);
    b_text(b_text(b_text(b_text(m, "1"), "uno"), "xxxxxxxx"), "t");
    tuple_new(b_u8(m, 'N'));
}

static void mk_delete_key(bbuf *m)
{
    b_u8(b_u32(b_u8(m, 'D'), 0x4007), 'K');
    b_u16(m, 4);
    b_null(b_null(b_null(b_text(m, "3"))));
}

static void mk_delete_full(bbuf *m)
{
    b_u8(b_u32(b_u8(m, 'D'), 0x4007), 'O');
    b_u16(m, 4);
    b_null(b_text(b_text(b_text(m, "3"), ""), "zz"));
}

static void mk_truncate(bbuf *m)
{
    b_u32(b_u32(b_u8(b_u32(b_u8(m, 'T'), 2), 3), 0x4016), 0x401d);
}

static void mk_message(bbuf *m)
{
    b_str(b_u64(b_u8(b_u8(m, 'M'), 1), 0x15950A8), "probe");
    b_mem(b_u32(m, 5), "hello", 5);
}

static void mk_message_nontx(bbuf *m)
{
    b_u32(b_str(b_u64(b_u8(b_u8(m, 'M'), 0), 0x15950A8), ""), 0);
}

static void mk_stream_start(bbuf *m)
{
    b_u8(b_u32(b_u8(m, 'S'), 0x2ff), 1);
}

static void mk_stream_stop(bbuf *m)
{
    b_u8(m, 'E');
}

static void mk_stream_commit(bbuf *m)
{
    b_u64(b_u64(b_u8(b_u32(b_u8(m, 'c'), 0x2ff), 0), 0x1616950), 0x1616980);
    b_u64(m, (uint64_t)TS);
}

static void mk_stream_abort(bbuf *m)
{
    b_u32(b_u32(b_u8(m, 'A'), 0x300), 0x301);
}

/* Streamed copies: the xid follows the type byte. */
static void mk_s_relation(bbuf *m)
{
    relation_body(b_u32(b_u8(m, 'R'), 0x2ff));
}

static void mk_s_type(bbuf *m)
{
    b_str(b_str(b_u32(b_u32(b_u8(m, 'Y'), 0x2ff), 0x4001), "public"), "mood");
}

static void mk_s_insert(bbuf *m)
{
    tuple_new(b_u8(b_u32(b_u32(b_u8(m, 'I'), 0x300), 0x4007), 'N'));
}

static void mk_s_update(bbuf *m)
{
    b_u8(b_u32(b_u32(b_u8(m, 'U'), 0x2ff), 0x4007), 'K');
    b_u16(m, 4);
    b_null(b_null(b_null(b_text(m, "4"))));
    tuple_new(b_u8(m, 'N'));
}

static void mk_s_delete(bbuf *m)
{
    b_u8(b_u32(b_u32(b_u8(m, 'D'), 0x2ff), 0x4007), 'O');
    b_u16(m, 4);
    b_null(b_text(b_text(b_text(m, "3"), ""), "zz"));
}

static void mk_s_truncate(bbuf *m)
{
    b_u32(b_u8(b_u32(b_u32(b_u8(m, 'T'), 0x2ff), 1), 1), 0x4016);
}

static void mk_s_message(bbuf *m)
{
    b_str(b_u64(b_u8(b_u32(b_u8(m, 'M'), 0x2ff), 1), 0x15950A8), "probe");
    b_mem(b_u32(m, 2), "hi", 2);
}

static void mk_s_origin(bbuf *m)
{
    b_str(b_u64(b_u8(m, 'O'), 0), "node_a");
}

static void mk_xlogdata(bbuf *m)
{
    b_u64(b_u64(b_u64(b_u8(m, 'w'), 0x153D170), 0x153D180), (uint64_t)TS);
    mk_begin(m);
}

static void mk_keepalive(bbuf *m)
{
    b_u8(b_u64(b_u64(b_u8(m, 'k'), 0x16B0438), (uint64_t)TS), 1);
}

typedef void (*mk_fn)(bbuf *);

static const struct {
    const char *name;
    int proto;
    bool in_stream;
    bool envelope;
    mk_fn fn;
} sample_defs[] = {
    {"begin", 1, false, false, mk_begin},
    {"commit", 1, false, false, mk_commit},
    {"origin", 1, false, false, mk_origin},
    {"relation", 1, false, false, mk_relation},
    {"type", 1, false, false, mk_type},
    {"insert", 1, false, false, mk_insert},
    {"update_plain", 1, false, false, mk_update_plain},
    {"update_key", 1, false, false, mk_update_key},
    {"update_full", 1, false, false, mk_update_full},
    {"delete_key", 1, false, false, mk_delete_key},
    {"delete_full", 1, false, false, mk_delete_full},
    {"truncate", 1, false, false, mk_truncate},
    {"message", 1, false, false, mk_message},
    {"message_nontx", 1, false, false, mk_message_nontx},
    {"p2_insert", 2, false, false, mk_insert},
    {"p2_relation", 2, false, false, mk_relation},
    {"stream_start", 2, false, false, mk_stream_start},
    {"stream_stop", 2, true, false, mk_stream_stop},
    {"stream_commit", 2, false, false, mk_stream_commit},
    {"stream_abort", 2, false, false, mk_stream_abort},
    {"s_relation", 2, true, false, mk_s_relation},
    {"s_type", 2, true, false, mk_s_type},
    {"s_insert", 2, true, false, mk_s_insert},
    {"s_update", 2, true, false, mk_s_update},
    {"s_delete", 2, true, false, mk_s_delete},
    {"s_truncate", 2, true, false, mk_s_truncate},
    {"s_message", 2, true, false, mk_s_message},
    {"s_origin", 2, true, false, mk_s_origin},
    {"xlogdata", 1, false, true, mk_xlogdata},
    {"keepalive", 1, false, true, mk_keepalive},
};
#define NSAMPLES (sizeof sample_defs / sizeof sample_defs[0])

static sample samples[NSAMPLES];

static void build_samples(void)
{
    for (size_t i = 0; i < NSAMPLES; i++) {
        samples[i].name = sample_defs[i].name;
        samples[i].proto = sample_defs[i].proto;
        samples[i].in_stream = sample_defs[i].in_stream;
        samples[i].envelope = sample_defs[i].envelope;
        samples[i].m.n = 0;
        sample_defs[i].fn(&samples[i].m);
    }
}

/* ---- decoding helpers ---- */

static pgo_decoder dec_for(int proto, bool in_stream)
{
    pgo_decoder d;
    pgo_decoder_init(&d, proto);
    d.in_stream = in_stream;
    d.stream_xid = in_stream ? 0x2ff : 0;
    return d;
}

/* Decode from an exact-size heap copy so ASan sees any overread. */
static pgo_status decode_exact(pgo_decoder *d, const uint8_t *p, size_t n, pgo_msg *m,
                               pgo_error *e)
{
    uint8_t *copy = malloc(n ? n : 1);
    if (n)
        memcpy(copy, p, n);
    e->msg[0] = '\0';
    pgo_status s = pgo_decode(d, copy, n, m, e);
    free(copy);
    return s;
}

static pgo_status copy_exact(const uint8_t *p, size_t n, pgo_copy_msg *cm, pgo_error *e)
{
    uint8_t *copy = malloc(n ? n : 1);
    if (n)
        memcpy(copy, p, n);
    e->msg[0] = '\0';
    pgo_status s = pgo_parse_copy(copy, n, cm, e);
    free(copy);
    return s;
}

static pgo_status decode(int proto, bool in_stream, void (*fn)(bbuf *), pgo_msg *m, bbuf *keep)
{
    pgo_decoder d = dec_for(proto, in_stream);
    pgo_error e;
    keep->n = 0;
    fn(keep);
    pgo_status s = pgo_decode(&d, keep->b, keep->n, m, &e);
    if (s != PGO_OK)
        fprintf(stderr, "unexpected error: %s\n", e.msg);
    return s;
}

static bool str_is(pgo_str s, const char *want)
{
    return s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0 && s.ptr[s.len] == '\0';
}

static bool val_is(const pgo_value *v, char kind, const char *text)
{
    if (v->kind != kind)
        return false;
    if (!text)
        return v->len == 0 && v->data == NULL;
    return v->len == strlen(text) && memcmp(v->data, text, v->len) == 0;
}

/* ---- per-message tests ---- */

static void test_begin_commit(void)
{
    bbuf b;
    pgo_msg m;
    CHECK(decode(1, false, mk_begin, &m, &b) == PGO_OK);
    CHECK(b.n == 21);
    CHECK(m.type == PGO_MSG_BEGIN && !m.streamed);
    CHECK(m.u.begin.final_lsn == 0x0153d200);
    CHECK(m.u.begin.commit_time == TS);
    CHECK(m.xid == 0x2de);

    CHECK(decode(2, false, mk_commit, &m, &b) == PGO_OK);
    CHECK(b.n == 26);
    CHECK(m.type == PGO_MSG_COMMIT);
    CHECK(m.u.commit.flags == 0);
    CHECK(m.u.commit.commit_lsn == 0x0153d200);
    CHECK(m.u.commit.end_lsn == 0x0153d230);
    CHECK(m.u.commit.commit_time == TS);
}

static void test_origin_type(void)
{
    bbuf b;
    pgo_msg m;
    CHECK(decode(1, false, mk_origin, &m, &b) == PGO_OK);
    CHECK(m.type == PGO_MSG_ORIGIN);
    CHECK(m.u.origin.commit_lsn == UINT64_C(0x16B374D848));
    CHECK(str_is(m.u.origin.name, "node_a"));

    CHECK(decode(1, false, mk_type, &m, &b) == PGO_OK);
    CHECK(m.type == PGO_MSG_TYPE && m.u.type.oid == 0x4001);
    CHECK(str_is(m.u.type.nspname, "public"));
    CHECK(str_is(m.u.type.typname, "mood"));
}

static void check_relation(const pgo_msg *m)
{
    const pgo_relation *r = &m->u.relation;
    CHECK(m->type == PGO_MSG_RELATION);
    CHECK(r->relid == 0x4007);
    CHECK(str_is(r->nspname, "public") && str_is(r->relname, "t1"));
    CHECK(r->replident == PGO_REPLIDENT_DEFAULT);
    CHECK(r->ncols == 4);
    pgo_relcol_iter it;
    pgo_relcol c;
    pgo_relcol_iter_init(&it, r);
    CHECK(pgo_relcol_next(&it, &c) && c.flags == PGO_RELCOL_KEY && str_is(c.name, "id") &&
          c.type_oid == 23 && c.typmod == -1);
    CHECK(pgo_relcol_next(&it, &c) && c.flags == 0 && str_is(c.name, "name") && c.type_oid == 25);
    CHECK(pgo_relcol_next(&it, &c) && str_is(c.name, "big") && c.type_oid == 1043 &&
          c.typmod == 104);
    CHECK(pgo_relcol_next(&it, &c) && str_is(c.name, "flag") && c.type_oid == 16);
    CHECK(!pgo_relcol_next(&it, &c));
}

static void test_relation(void)
{
    bbuf b;
    pgo_msg m;
    CHECK(decode(1, false, mk_relation, &m, &b) == PGO_OK);
    check_relation(&m);
    CHECK(!m.streamed && m.xid == 0);
    CHECK(decode(2, true, mk_s_relation, &m, &b) == PGO_OK);
    check_relation(&m);
    CHECK(m.streamed && m.xid == 0x2ff);
}

/* (1, 'one', u, NULL) as tuple_new builds it */
static void check_tuple_new(const pgo_tuple *t)
{
    pgo_value v[5];
    CHECK(t->ncols == 4);
    CHECK(pgo_tuple_values(t, v, 5) == 4);
    CHECK(val_is(&v[0], 't', "1"));
    CHECK(val_is(&v[1], 't', "one"));
    CHECK(val_is(&v[2], PGO_VALUE_UNCHANGED, NULL)); /* unchanged, never NULL */
    CHECK(val_is(&v[3], PGO_VALUE_NULL, NULL));
}

static void test_insert(void)
{
    bbuf b;
    pgo_msg m;
    pgo_value v[4];
    CHECK(decode(1, false, mk_insert, &m, &b) == PGO_OK);
    CHECK(m.type == PGO_MSG_INSERT && m.u.change.relid == 0x4007);
    CHECK(m.u.change.has_new && m.u.change.old_kind == 0 && m.u.change.oldtup.ncols == 0);
    CHECK(pgo_tuple_values(&m.u.change.newtup, v, 4) == 4);
    CHECK(val_is(&v[0], 't', "1") && val_is(&v[1], 't', "one"));
    CHECK(v[2].kind == PGO_VALUE_BINARY && v[2].len == 4 &&
          memcmp(v[2].data, "\0\0\0\x14", 4) == 0);
    CHECK(val_is(&v[3], 'n', NULL));
    /* zero-copy: values point into the input */
    CHECK((const uint8_t *)v[1].data > b.b && (const uint8_t *)v[1].data < b.b + b.n);
    /* a short output array is filled partly */
    CHECK(pgo_tuple_values(&m.u.change.newtup, v, 2) == 2);

    CHECK(decode(2, true, mk_s_insert, &m, &b) == PGO_OK);
    CHECK(m.streamed && m.xid == 0x300 && m.u.change.relid == 0x4007);
    check_tuple_new(&m.u.change.newtup);
}

static void test_update(void)
{
    bbuf b;
    pgo_msg m;
    pgo_value v[4];
    CHECK(decode(1, false, mk_update_plain, &m, &b) == PGO_OK);
    CHECK(m.type == PGO_MSG_UPDATE && m.u.change.old_kind == 0 && m.u.change.has_new);
    check_tuple_new(&m.u.change.newtup);

    CHECK(decode(1, false, mk_update_key, &m, &b) == PGO_OK);
    CHECK(m.u.change.old_kind == 'K');
    CHECK(pgo_tuple_values(&m.u.change.oldtup, v, 4) == 4);
    CHECK(val_is(&v[0], 't', "4") && val_is(&v[1], 'n', NULL) && val_is(&v[3], 'n', NULL));
    check_tuple_new(&m.u.change.newtup);

    CHECK(decode(2, false, mk_update_full, &m, &b) == PGO_OK);
    CHECK(m.u.change.old_kind == 'O');
    CHECK(pgo_tuple_values(&m.u.change.oldtup, v, 4) == 4);
    CHECK(val_is(&v[1], 't', "uno") && val_is(&v[2], 't', "xxxxxxxx") && val_is(&v[3], 't', "t"));
    check_tuple_new(&m.u.change.newtup);

    CHECK(decode(2, true, mk_s_update, &m, &b) == PGO_OK);
    CHECK(m.streamed && m.xid == 0x2ff && m.u.change.old_kind == 'K');
    check_tuple_new(&m.u.change.newtup);
}

static void test_delete(void)
{
    bbuf b;
    pgo_msg m;
    pgo_value v[4];
    CHECK(decode(1, false, mk_delete_key, &m, &b) == PGO_OK);
    CHECK(m.type == PGO_MSG_DELETE && m.u.change.old_kind == 'K' && !m.u.change.has_new);
    CHECK(m.u.change.newtup.ncols == 0);
    CHECK(pgo_tuple_values(&m.u.change.oldtup, v, 4) == 4 && val_is(&v[0], 't', "3"));

    CHECK(decode(1, false, mk_delete_full, &m, &b) == PGO_OK);
    CHECK(m.u.change.old_kind == 'O');
    CHECK(pgo_tuple_values(&m.u.change.oldtup, v, 4) == 4);
    CHECK(val_is(&v[1], 't', "") && v[1].data != NULL); /* empty text is not NULL */
    CHECK(val_is(&v[2], 't', "zz"));

    CHECK(decode(2, true, mk_s_delete, &m, &b) == PGO_OK);
    CHECK(m.streamed && m.xid == 0x2ff && m.u.change.old_kind == 'O');
}

static void test_truncate(void)
{
    bbuf b;
    pgo_msg m;
    CHECK(decode(1, false, mk_truncate, &m, &b) == PGO_OK);
    CHECK(m.type == PGO_MSG_TRUNCATE && m.u.truncate.nrels == 2);
    CHECK(m.u.truncate.options == (PGO_TRUNCATE_CASCADE | PGO_TRUNCATE_RESTART_IDENTITY));
    CHECK(pgo_truncate_relid(&m.u.truncate, 0) == 0x4016);
    CHECK(pgo_truncate_relid(&m.u.truncate, 1) == 0x401d);
    CHECK(pgo_truncate_relid(&m.u.truncate, 2) == 0);

    CHECK(decode(2, true, mk_s_truncate, &m, &b) == PGO_OK);
    CHECK(m.streamed && m.xid == 0x2ff && m.u.truncate.nrels == 1);
    CHECK(m.u.truncate.options == PGO_TRUNCATE_CASCADE);
}

static void test_message(void)
{
    bbuf b;
    pgo_msg m;
    CHECK(decode(1, false, mk_message, &m, &b) == PGO_OK);
    CHECK(m.type == PGO_MSG_MESSAGE && m.u.message.flags == PGO_MESSAGE_TRANSACTIONAL);
    CHECK(m.u.message.lsn == 0x15950A8);
    CHECK(str_is(m.u.message.prefix, "probe"));
    CHECK(m.u.message.content.len == 5 && memcmp(m.u.message.content.ptr, "hello", 5) == 0);

    CHECK(decode(1, false, mk_message_nontx, &m, &b) == PGO_OK);
    CHECK(m.u.message.flags == 0 && m.u.message.prefix.len == 0);
    CHECK(m.u.message.content.len == 0);

    CHECK(decode(2, true, mk_s_message, &m, &b) == PGO_OK);
    CHECK(m.streamed && m.xid == 0x2ff && m.u.message.content.len == 2);
}

/* A whole stream block through one decoder: S, O, R, I, E, then c and A. */
static void test_stream_block(void)
{
    pgo_decoder d;
    pgo_msg m;
    pgo_error e;
    bbuf b;
    CHECK(pgo_decoder_init(&d, 2) == PGO_OK);

    b.n = 0;
    mk_stream_start(&b);
    CHECK(pgo_decode(&d, b.b, b.n, &m, &e) == PGO_OK);
    CHECK(m.type == PGO_MSG_STREAM_START && m.xid == 0x2ff && m.u.stream_start.first_segment);
    CHECK(d.in_stream && d.stream_xid == 0x2ff);

    b.n = 0;
    mk_s_origin(&b);
    CHECK(pgo_decode(&d, b.b, b.n, &m, &e) == PGO_OK);
    CHECK(m.type == PGO_MSG_ORIGIN && !m.streamed);

    b.n = 0;
    mk_s_relation(&b);
    CHECK(pgo_decode(&d, b.b, b.n, &m, &e) == PGO_OK);
    CHECK(m.streamed && m.xid == 0x2ff);

    /* the unstreamed layout is wrong inside a block: xid eats the relid */
    b.n = 0;
    mk_insert(&b);
    CHECK(pgo_decode(&d, b.b, b.n, &m, &e) != PGO_OK);
    CHECK(d.in_stream); /* a failure leaves the state alone */

    b.n = 0;
    mk_begin(&b);
    CHECK(pgo_decode(&d, b.b, b.n, &m, &e) == PGO_ERR_STATE);
    CHECK_CONTAINS(e.msg, "inside the stream block of xid 767");

    b.n = 0;
    mk_stream_start(&b);
    CHECK(pgo_decode(&d, b.b, b.n, &m, &e) == PGO_ERR_STATE);

    b.n = 0;
    mk_stream_stop(&b);
    CHECK(pgo_decode(&d, b.b, b.n, &m, &e) == PGO_OK);
    CHECK(m.type == PGO_MSG_STREAM_STOP && m.xid == 0x2ff);
    CHECK(!d.in_stream);

    CHECK(pgo_decode(&d, b.b, b.n, &m, &e) == PGO_ERR_STATE); /* E again */
    CHECK_CONTAINS(e.msg, "pgoutput STREAM STOP: not allowed outside a stream block");

    b.n = 0;
    mk_stream_commit(&b);
    CHECK(pgo_decode(&d, b.b, b.n, &m, &e) == PGO_OK);
    CHECK(m.type == PGO_MSG_STREAM_COMMIT && m.xid == 0x2ff);
    CHECK(m.u.commit.commit_lsn == 0x1616950 && m.u.commit.end_lsn == 0x1616980);
    CHECK(m.u.commit.commit_time == TS);

    b.n = 0;
    mk_stream_abort(&b);
    CHECK(b.n == 9);
    CHECK(pgo_decode(&d, b.b, b.n, &m, &e) == PGO_OK);
    CHECK(m.type == PGO_MSG_STREAM_ABORT && m.xid == 0x300 && m.u.stream_abort.subxid == 0x301);

    /* a later segment */
    b.n = 0;
    b_u8(b_u32(b_u8(&b, 'S'), 0x2ff), 0);
    CHECK(pgo_decode(&d, b.b, b.n, &m, &e) == PGO_OK && !m.u.stream_start.first_segment);
}

static void test_proto1_rejects_streaming(void)
{
    pgo_decoder d = dec_for(1, false);
    pgo_msg m;
    pgo_error e;
    bbuf b = {.n = 0};
    mk_stream_start(&b);
    CHECK(pgo_decode(&d, b.b, b.n, &m, &e) == PGO_ERR_STATE);
    CHECK_CONTAINS(e.msg, "proto_version 1");
    CHECK(!d.in_stream);
}

/* ---- the envelope and the encoder ---- */

static void test_envelope(void)
{
    bbuf b = {.n = 0};
    pgo_copy_msg cm;
    pgo_error e;
    mk_xlogdata(&b);
    CHECK(pgo_parse_copy(b.b, b.n, &cm, &e) == PGO_OK);
    CHECK(cm.kind == PGO_COPY_XLOGDATA && cm.wal_start == 0x153D170 && cm.wal_end == 0x153D180);
    CHECK(cm.send_time == TS && cm.len == 21 && cm.data == b.b + PGO_XLOGDATA_HEADER_LEN);
    pgo_decoder d = dec_for(1, false);
    pgo_msg m;
    CHECK(pgo_decode(&d, cm.data, cm.len, &m, &e) == PGO_OK && m.type == PGO_MSG_BEGIN);

    /* an XLogData with an empty payload parses; decoding the payload then fails */
    CHECK(pgo_parse_copy(b.b, PGO_XLOGDATA_HEADER_LEN, &cm, &e) == PGO_OK && cm.len == 0);
    CHECK(pgo_decode(&d, cm.data, cm.len, &m, &e) == PGO_ERR_TRUNCATED);

    b.n = 0;
    mk_keepalive(&b);
    CHECK(b.n == PGO_KEEPALIVE_LEN);
    CHECK(pgo_parse_copy(b.b, b.n, &cm, &e) == PGO_OK);
    CHECK(cm.kind == PGO_COPY_KEEPALIVE && cm.wal_end == 0x16B0438 && cm.reply_requested);
    CHECK(cm.send_time == TS && cm.data == NULL && cm.len == 0);
    b.b[17] = 0;
    CHECK(pgo_parse_copy(b.b, b.n, &cm, &e) == PGO_OK && !cm.reply_requested);
    b.b[17] = 2;
    CHECK(pgo_parse_copy(b.b, b.n, &cm, &e) == PGO_ERR_MALFORMED);
    CHECK_CONTAINS(e.msg, "primary keepalive: replyRequested is 2, not 0 or 1 at byte 17");
    b.b[17] = 1;
    b_u8(&b, 0);
    CHECK(pgo_parse_copy(b.b, b.n, &cm, &e) == PGO_ERR_TRAILING && e.offset == 18);

    uint8_t junk[3] = {'x', 1, 2};
    CHECK(pgo_parse_copy(junk, 3, &cm, &e) == PGO_ERR_UNKNOWN_TYPE);
    CHECK_CONTAINS(e.msg, "unknown message type 0x78");
    CHECK(pgo_parse_copy(junk, 0, &cm, &e) == PGO_ERR_TRUNCATED);
    CHECK(pgo_parse_copy(NULL, 0, &cm, &e) == PGO_ERR_TRUNCATED);
    CHECK(pgo_parse_copy(NULL, 5, &cm, &e) == PGO_ERR_ARG);
}

static void test_status_update(void)
{
    uint8_t out[40];
    memset(out, 0xee, sizeof out);
    CHECK(pgo_encode_standby_status(out, 33, 1, 2, 3, 4, true) == 0);
    CHECK(pgo_encode_standby_status(NULL, 40, 1, 2, 3, 4, true) == 0);
    CHECK(out[0] == 0xee);
    size_t n = pgo_encode_standby_status(out, sizeof out, UINT64_C(0x16B374D848), 0x15950D8,
                                         0x0102030405060708, TS, true);
    CHECK(n == PGO_STANDBY_STATUS_LEN);
    static const uint8_t want[34] = {
        'r', 0, 0, 0, 0x16, 0xB3, 0x74, 0xD8, 0x48, 0, 0, 0, 0, 0x01, 0x59, 0x50, 0xD8,
        1, 2, 3, 4, 5, 6, 7, 8, 0x00, 0x03, 0x03, 0xc6, 0xe3, 0x7f, 0x25, 0xf2, 1};
    CHECK(memcmp(out, want, 34) == 0);
    CHECK(out[34] == 0xee); /* nothing past the message */
    CHECK(pgo_encode_standby_status(out, 34, 0, 0, 0, -1, false) == 34);
    CHECK(out[25] == 0xff && out[32] == 0xff && out[33] == 0);
}

/* ---- LSNs, times, names ---- */

static void test_lsn(void)
{
    char buf[PGO_LSN_BUFSIZE];
    uint64_t v = 0;
    CHECK(pgo_lsn_format(UINT64_C(0x16B374D848), buf, sizeof buf) == 11);
    CHECK_STR(buf, "16/B374D848");
    pgo_lsn_format(0, buf, sizeof buf);
    CHECK_STR(buf, "0/0");
    CHECK(pgo_lsn_format(UINT64_MAX, buf, sizeof buf) == 17);
    CHECK_STR(buf, "FFFFFFFF/FFFFFFFF");
    char small[5];
    CHECK(pgo_lsn_format(UINT64_C(0x16B374D848), small, sizeof small) == 11);
    CHECK_STR(small, "16/B");
    CHECK(pgo_lsn_format(1, NULL, 0) == 3);

    CHECK(pgo_lsn_parse("16/B374D848", &v) && v == UINT64_C(0x16B374D848));
    CHECK(pgo_lsn_parse("0/0", &v) && v == 0);
    CHECK(pgo_lsn_parse("ffffffff/ffffffff", &v) && v == UINT64_MAX);
    CHECK(pgo_lsn_parse("0/153d200", &v) && v == 0x153d200);
    static const char *bad[] = {"", "/", "16/", "/1", "16B374D848", "1/2/3", "G/0", "0/g",
                                "123456789/0", "0/123456789", " 1/2", "1/2 ", "1 /2",
                                "-1/2", "+1/2", "0x1/2", "1/2\n"};
    v = 42;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bool ok = pgo_lsn_parse(bad[i], &v);
        CHECK(!ok);
        if (ok)
            fprintf(stderr, "  accepted bad LSN \"%s\"\n", bad[i]);
    }
    CHECK(v == 42);
    CHECK(!pgo_lsn_parse(NULL, &v));
    /* round trip */
    for (uint64_t x = 1; x; x = x * 3 + 7) {
        pgo_lsn_format(x, buf, sizeof buf);
        CHECK(pgo_lsn_parse(buf, &v) && v == x);
        if (x > UINT64_MAX / 4)
            break;
    }
}

static void test_time(void)
{
    CHECK(pgo_time_to_unix_us(0) == INT64_C(946684800000000));
    CHECK(pgo_time_from_unix_us(INT64_C(946684800000000)) == 0);
    /* TS is 2026-11-21 12:01:25.300722 UTC = 1795262485.300722 s after 1970 */
    int64_t u = pgo_time_to_unix_us(TS);
    CHECK(u == INT64_C(1795262485300722));
    CHECK(pgo_time_from_unix_us(u) == TS);
    CHECK(pgo_time_to_unix_us(INT64_MAX) == INT64_MAX);
    CHECK(pgo_time_from_unix_us(INT64_MIN) == INT64_MIN);
    CHECK(pgo_time_to_unix_us(INT64_MIN) == INT64_MIN + INT64_C(946684800000000));
}

static void test_names(void)
{
    CHECK_STR(pgo_msg_type_name('c'), "STREAM COMMIT");
    CHECK_STR(pgo_msg_type_name('Y'), "TYPE");
    CHECK_STR(pgo_msg_type_name('?'), "unknown");
    CHECK_STR(pgo_status_name(PGO_ERR_NCOLS), "column count mismatch");
    CHECK_STR(pgo_status_name(PGO_OK), "ok");
    pgo_decoder d;
    CHECK(pgo_decoder_init(&d, 0) == PGO_ERR_ARG);
    CHECK(pgo_decoder_init(&d, 3) == PGO_ERR_ARG);
    CHECK(pgo_decoder_init(NULL, 1) == PGO_ERR_ARG);
}

/* ---- malformed input ---- */

/* Every strict prefix of every valid sample must fail cleanly. */
static void test_truncations(void)
{
    pgo_msg m;
    pgo_copy_msg cm;
    pgo_error e;
    int fails = 0, prefixes = 0;
    for (size_t i = 0; i < NSAMPLES; i++) {
        const sample *s = &samples[i];
        pgo_decoder d = dec_for(s->proto, s->in_stream);
        pgo_status st = s->envelope ? copy_exact(s->m.b, s->m.n, &cm, &e)
                                    : decode_exact(&d, s->m.b, s->m.n, &m, &e);
        CHECK(st == PGO_OK);
        if (st != PGO_OK)
            fprintf(stderr, "  sample %s: %s\n", s->name, e.msg);
        for (size_t k = 0; k < s->m.n; k++) {
            /* an XLogData payload may be cut anywhere after its header */
            if (s->envelope && s->m.b[0] == 'w' && k >= PGO_XLOGDATA_HEADER_LEN)
                continue;
            d = dec_for(s->proto, s->in_stream);
            st = s->envelope ? copy_exact(s->m.b, k, &cm, &e) : decode_exact(&d, s->m.b, k, &m, &e);
            prefixes++;
            bool ok = st != PGO_OK && e.msg[0] && e.offset <= k && d.in_stream == s->in_stream;
            if (!ok) {
                fails++;
                fprintf(stderr, "  sample %s cut at %zu: status %d, msg \"%s\"\n", s->name, k,
                        (int)st, e.msg);
            }
        }
        /* one byte too many is trailing garbage */
        bbuf more = s->m;
        b_u8(&more, 0);
        d = dec_for(s->proto, s->in_stream);
        if (!s->envelope || s->m.b[0] == 'k') {
            st = s->envelope ? copy_exact(more.b, more.n, &cm, &e)
                             : decode_exact(&d, more.b, more.n, &m, &e);
            CHECK(st == PGO_ERR_TRAILING && e.offset == s->m.n);
        }
    }
    CHECK(fails == 0);
    CHECK(prefixes > 800);
    printf("truncation table: %d prefixes of %zu samples\n", prefixes, NSAMPLES);
}

/* Decode b with proto 1 outside a stream; return the status and keep the error. */
static pgo_status bad(const bbuf *b, pgo_error *e)
{
    pgo_decoder d = dec_for(1, false);
    pgo_msg m;
    return decode_exact(&d, b->b, b->n, &m, e);
}

static void test_malformed(void)
{
    bbuf b;
    pgo_error e;

    b.n = 0;
    b_u8(&b, 'Z');
    CHECK(bad(&b, &e) == PGO_ERR_UNKNOWN_TYPE);
    CHECK_STR(e.msg, "pgoutput: unknown message type 0x5a at byte 0");

    /* proto 3 two-phase messages are not supported */
    b.n = 0;
    b_u8(&b, 'b');
    CHECK(bad(&b, &e) == PGO_ERR_UNKNOWN_TYPE);

    /* negative text length */
    b.n = 0;
    b_u16(b_u8(b_u32(b_u8(&b, 'I'), 0x4007), 'N'), 2);
    b_u32(b_u8(b_text(&b, "1"), 't'), 0xfffffffb);
    CHECK(bad(&b, &e) == PGO_ERR_MALFORMED);
    CHECK_STR(e.msg, "pgoutput INSERT: new tuple column 2 length -5 is negative at byte 15");
    CHECK(e.offset == 15 && e.code == PGO_ERR_MALFORMED);

    /* length past the end */
    b.n = 0;
    b_u16(b_u8(b_u32(b_u8(&b, 'I'), 0x4007), 'N'), 1);
    b_u8(b_u32(b_u8(&b, 't'), 100), 'x');
    CHECK(bad(&b, &e) == PGO_ERR_TRUNCATED);
    CHECK_CONTAINS(e.msg, "new tuple column 1 length 100 exceeds the 1 bytes left at byte 9");

    /* huge length must not wrap */
    b.n = 0;
    b_u16(b_u8(b_u32(b_u8(&b, 'I'), 0x4007), 'N'), 1);
    b_u32(b_u8(&b, 'b'), 0x7fffffff);
    CHECK(bad(&b, &e) == PGO_ERR_TRUNCATED);

    /* unknown column kind */
    b.n = 0;
    b_u16(b_u8(b_u32(b_u8(&b, 'I'), 0x4007), 'N'), 2);
    b_u8(b_null(&b), 'x');
    CHECK(bad(&b, &e) == PGO_ERR_MALFORMED);
    CHECK_STR(e.msg, "pgoutput INSERT: new tuple column 2 has unknown kind 0x78 at byte 9");

    /* negative column count */
    b.n = 0;
    b_u16(b_u8(b_u32(b_u8(&b, 'I'), 0x4007), 'N'), 0xffff);
    CHECK(bad(&b, &e) == PGO_ERR_MALFORMED);
    CHECK_CONTAINS(e.msg, "new tuple column count -1 is negative at byte 6");

    /* wrong tuple markers */
    b.n = 0;
    b_u16(b_u8(b_u32(b_u8(&b, 'I'), 0x4007), 'K'), 0);
    CHECK(bad(&b, &e) == PGO_ERR_MALFORMED);
    CHECK_CONTAINS(e.msg, "tuple marker 0x4b is not one of N at byte 5");
    b.n = 0;
    b_u16(b_u8(b_u32(b_u8(&b, 'D'), 0x4007), 'N'), 0);
    CHECK(bad(&b, &e) == PGO_ERR_MALFORMED);
    b.n = 0;
    b_u16(b_u8(b_u32(b_u8(&b, 'U'), 0x4007), 'X'), 0);
    CHECK(bad(&b, &e) == PGO_ERR_MALFORMED);
    b.n = 0; /* old key, then not 'N' */
    b_u16(b_u8(b_u16(b_u8(b_u32(b_u8(&b, 'U'), 0x4007), 'K'), 0), 'K'), 0);
    CHECK(bad(&b, &e) == PGO_ERR_MALFORMED);
    CHECK(e.offset == 8);
    b.n = 0; /* marker byte 0 */
    b_u16(b_u8(b_u32(b_u8(&b, 'U'), 0x4007), 0), 0);
    CHECK(bad(&b, &e) == PGO_ERR_MALFORMED);

    /* bad replica identity */
    b.n = 0;
    b_u16(b_u8(b_str(b_str(b_u32(b_u8(&b, 'R'), 1), "s"), "t"), 'x'), 0);
    CHECK(bad(&b, &e) == PGO_ERR_MALFORMED);
    CHECK_STR(e.msg, "pgoutput RELATION: replica identity 0x78 is not d, n, f or i at byte 9");

    /* relation with zero columns is fine; negative is not */
    b.n = 0;
    b_u16(b_u8(b_str(b_str(b_u32(b_u8(&b, 'R'), 1), "s"), "t"), 'n'), 0);
    CHECK(bad(&b, &e) == PGO_OK);
    b.n = 0;
    b_u16(b_u8(b_str(b_str(b_u32(b_u8(&b, 'R'), 1), "s"), "t"), 'n'), 0x8000);
    CHECK(bad(&b, &e) == PGO_ERR_MALFORMED);
    CHECK_CONTAINS(e.msg, "column count -32768 is negative");

    /* string without its NUL */
    b.n = 0;
    b_mem(b_u32(b_u8(&b, 'Y'), 1), "public", 6);
    CHECK(bad(&b, &e) == PGO_ERR_TRUNCATED);
    CHECK_STR(e.msg, "pgoutput TYPE: namespace has no terminating NUL at byte 5");

    /* TRUNCATE counts */
    b.n = 0;
    b_u8(b_u32(b_u8(&b, 'T'), 0x80000000), 0);
    CHECK(bad(&b, &e) == PGO_ERR_MALFORMED);
    b.n = 0;
    b_u32(b_u8(b_u32(b_u8(&b, 'T'), 0x40000001), 0), 1);
    CHECK(bad(&b, &e) == PGO_ERR_TRUNCATED);
    CHECK_CONTAINS(e.msg, "1073741825 relation OIDs need 4294967300 bytes, 4 left");
    b.n = 0;
    b_u8(b_u32(b_u8(&b, 'T'), 0), 0);
    CHECK(bad(&b, &e) == PGO_OK);

    /* MESSAGE negative content length */
    b.n = 0;
    b_u32(b_str(b_u64(b_u8(b_u8(&b, 'M'), 1), 0), "p"), 0xffffffff);
    CHECK(bad(&b, &e) == PGO_ERR_MALFORMED);
    CHECK_CONTAINS(e.msg, "content length -1 is negative at byte 12");

    /* STREAM START flag must be 0 or 1 */
    {
        pgo_decoder d = dec_for(2, false);
        pgo_msg m;
        b.n = 0;
        b_u8(b_u32(b_u8(&b, 'S'), 5), 2);
        CHECK(decode_exact(&d, b.b, b.n, &m, &e) == PGO_ERR_MALFORMED && !d.in_stream);
    }

    /* NULL arguments */
    {
        pgo_decoder d = dec_for(1, false);
        pgo_msg m;
        CHECK(pgo_decode(NULL, b.b, 1, &m, &e) == PGO_ERR_ARG);
        CHECK(pgo_decode(&d, NULL, 1, &m, &e) == PGO_ERR_ARG);
        CHECK(pgo_decode(&d, b.b, 1, NULL, &e) == PGO_ERR_ARG);
        CHECK(pgo_decode(&d, b.b, 0, &m, NULL) == PGO_ERR_TRUNCATED); /* err is optional */
        d.proto_version = 7;
        CHECK(pgo_decode(&d, b.b, 1, &m, &e) == PGO_ERR_ARG);
    }
}

/* The optional column-count check against the last RELATION. */
static int ncols_of(void *ctx, uint32_t relid)
{
    (void)ctx;
    return relid == 0x4007 ? 3 : -1;
}

static void test_ncols_check(void)
{
    pgo_decoder d = dec_for(1, false);
    d.ncols_fn = ncols_of;
    pgo_msg m;
    pgo_error e;
    bbuf b = {.n = 0};
    mk_insert(&b); /* 4 columns for relid 0x4007 */
    CHECK(pgo_decode(&d, b.b, b.n, &m, &e) == PGO_ERR_NCOLS);
    CHECK_STR(e.msg, "pgoutput INSERT: new tuple has 4 columns but RELATION 16391 has 3 at byte 6");
    b.n = 0;
    mk_update_key(&b);
    CHECK(pgo_decode(&d, b.b, b.n, &m, &e) == PGO_ERR_NCOLS);
    CHECK_CONTAINS(e.msg, "old key tuple has 4 columns");
    /* unknown relid: no check */
    b.n = 0;
    b_u16(b_u8(b_u32(b_u8(&b, 'I'), 99), 'N'), 0);
    CHECK(pgo_decode(&d, b.b, b.n, &m, &e) == PGO_OK);
    /* matching count */
    b.n = 0;
    b_u16(b_u8(b_u32(b_u8(&b, 'I'), 0x4007), 'N'), 3);
    b_null(b_null(b_null(&b)));
    CHECK(pgo_decode(&d, b.b, b.n, &m, &e) == PGO_OK);
}

/* The iterators stop at the end and never leave a (mis-built) view. */
static void test_iterators_defensive(void)
{
    const uint8_t bytes[] = {'t', 0, 0, 0, 9, 'x'};
    pgo_tuple t = {.ncols = 3, .cols = bytes, .len = sizeof bytes};
    pgo_value v;
    pgo_tuple_iter it;
    pgo_tuple_iter_init(&it, &t);
    CHECK(!pgo_tuple_next(&it, &v));
    pgo_tuple empty = {0};
    pgo_tuple_iter_init(&it, &empty);
    CHECK(!pgo_tuple_next(&it, &v));
    pgo_relation r = {.ncols = 1, .cols = (const uint8_t *)"\x01id", .cols_len = 3};
    pgo_relcol_iter ri;
    pgo_relcol c;
    pgo_relcol_iter_init(&ri, &r);
    CHECK(!pgo_relcol_next(&ri, &c));
}

/* ---- fuzz seeds: [flags][ncols][u16 len][message] (see fuzz_pgoutput.c) ---- */

static int write_seed(const char *dir, const char *name, const sample *s)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    uint8_t hdr[4] = {(uint8_t)((s->proto == 2 ? 1 : 0) | (s->in_stream ? 2 : 0) |
                                (s->envelope ? 8 : 0)),
                      4, (uint8_t)(s->m.n >> 8), (uint8_t)s->m.n};
    fwrite(hdr, 1, 4, f);
    fwrite(s->m.b, 1, s->m.n, f);
    return fclose(f);
}

/* A multi-message seed: a whole streamed transaction, S R I E c. */
static int write_stream_seed(const char *dir)
{
    static mk_fn const seq[] = {mk_stream_start, mk_s_relation, mk_s_insert, mk_s_update,
                                mk_s_delete, mk_stream_stop, mk_stream_commit, mk_stream_abort};
    char path[512];
    snprintf(path, sizeof path, "%s/seq_stream", dir);
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    fputc(1 | 4, f); /* proto 2, ncols check on */
    fputc(4, f);
    for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++) {
        bbuf m = {.n = 0};
        seq[i](&m);
        fputc((int)(m.n >> 8), f);
        fputc((int)(m.n & 0xff), f);
        fwrite(m.b, 1, m.n, f);
    }
    return fclose(f);
}

static int write_corpus(const char *dir)
{
    int rc = 0;
    for (size_t i = 0; i < NSAMPLES; i++)
        rc |= write_seed(dir, samples[i].name, &samples[i]);
    rc |= write_stream_seed(dir);
    if (rc)
        fprintf(stderr, "could not write the corpus to \"%s\"\n", dir);
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    build_samples();
    if (argc == 3 && strcmp(argv[1], "--write-corpus") == 0 && write_corpus(argv[2]))
        return 1;
    test_begin_commit();
    test_origin_type();
    test_relation();
    test_insert();
    test_update();
    test_delete();
    test_truncate();
    test_message();
    test_stream_block();
    test_proto1_rejects_streaming();
    test_envelope();
    test_status_update();
    test_lsn();
    test_time();
    test_names();
    test_truncations();
    test_malformed();
    test_ncols_check();
    test_iterators_defensive();
    return unit_done();
}
