/* Event framing (common header, checksum), the non-row events, and the
   decoder's entry points. */
#include "mybl_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define HEADER_LEN 19
#define CRC_LEN 4
#define INFLATED_MAX (1u << 30) /* max_allowed_packet's ceiling */

const char *mybl_event_name(uint8_t type)
{
    switch (type) {
    case MYBL_QUERY: return "QUERY";
    case MYBL_STOP: return "STOP";
    case MYBL_ROTATE: return "ROTATE";
    case MYBL_INTVAR: return "INTVAR";
    case MYBL_RAND: return "RAND";
    case MYBL_USER_VAR: return "USER_VAR";
    case MYBL_FORMAT_DESCRIPTION: return "FORMAT_DESCRIPTION";
    case MYBL_XID: return "XID";
    case MYBL_TABLE_MAP: return "TABLE_MAP";
    case MYBL_WRITE_ROWS_V1: return "WRITE_ROWS_V1";
    case MYBL_UPDATE_ROWS_V1: return "UPDATE_ROWS_V1";
    case MYBL_DELETE_ROWS_V1: return "DELETE_ROWS_V1";
    case MYBL_HEARTBEAT: return "HEARTBEAT";
    case MYBL_ROWS_QUERY: return "ROWS_QUERY";
    case MYBL_WRITE_ROWS_V2: return "WRITE_ROWS_V2";
    case MYBL_UPDATE_ROWS_V2: return "UPDATE_ROWS_V2";
    case MYBL_DELETE_ROWS_V2: return "DELETE_ROWS_V2";
    case MYBL_MYSQL_GTID: return "GTID(MySQL)";
    case MYBL_MYSQL_ANONYMOUS_GTID: return "ANONYMOUS_GTID";
    case MYBL_PREVIOUS_GTIDS: return "PREVIOUS_GTIDS";
    case MYBL_PARTIAL_UPDATE_ROWS: return "PARTIAL_UPDATE_ROWS";
    case MYBL_TRANSACTION_PAYLOAD: return "TRANSACTION_PAYLOAD";
    case MYBL_HEARTBEAT_V2: return "HEARTBEAT_V2";
    case MYBL_ANNOTATE_ROWS: return "ANNOTATE_ROWS";
    case MYBL_BINLOG_CHECKPOINT: return "BINLOG_CHECKPOINT";
    case MYBL_MARIADB_GTID: return "GTID(MariaDB)";
    case MYBL_GTID_LIST: return "GTID_LIST";
    case MYBL_START_ENCRYPTION: return "START_ENCRYPTION";
    case MYBL_QUERY_COMPRESSED: return "QUERY_COMPRESSED";
    case MYBL_WRITE_ROWS_COMPRESSED_V1: return "WRITE_ROWS_COMPRESSED_V1";
    case MYBL_UPDATE_ROWS_COMPRESSED_V1: return "UPDATE_ROWS_COMPRESSED_V1";
    case MYBL_DELETE_ROWS_COMPRESSED_V1: return "DELETE_ROWS_COMPRESSED_V1";
    case MYBL_WRITE_ROWS_COMPRESSED_V2: return "WRITE_ROWS_COMPRESSED_V2";
    case MYBL_UPDATE_ROWS_COMPRESSED_V2: return "UPDATE_ROWS_COMPRESSED_V2";
    case MYBL_DELETE_ROWS_COMPRESSED_V2: return "DELETE_ROWS_COMPRESSED_V2";
    default: return "unknown";
    }
}

int mybl_is_rows(uint8_t type)
{
    return (type >= MYBL_WRITE_ROWS_V1 && type <= MYBL_DELETE_ROWS_V1) ||
           (type >= MYBL_WRITE_ROWS_V2 && type <= MYBL_DELETE_ROWS_V2) ||
           (type >= MYBL_WRITE_ROWS_COMPRESSED_V1 && type <= MYBL_DELETE_ROWS_COMPRESSED_V2);
}

mybl_decoder *mybl_new(void)
{
    mybl_decoder *dec = calloc(1, sizeof *dec);
    if (dec)
        dec->checksum = MYBL_CHECKSUM_AUTO;
    return dec;
}

void mybl_free(mybl_decoder *dec)
{
    if (!dec)
        return;
    bl_tables_clear(dec);
    bl_hints_free(dec);
    buf_free(&dec->inflated);
    buf_free(&dec->scratch);
    buf_free(&dec->text);
    free(dec->before.values);
    free(dec->after.values);
    free(dec);
}

void mybl_set_checksum(mybl_decoder *dec, mybl_checksum alg)
{
    dec->checksum = alg;
}

void mybl_set_file(mybl_decoder *dec, const char *file)
{
    snprintf(dec->file, sizeof dec->file, "%s", file ? file : "");
}

/* MariaDB's compressed payload: one header byte (0x80 | bytes of the length),
   the uncompressed length big-endian, then a zlib stream. Inflated into
   dec->inflated, streaming, so a lying length cannot make us allocate it. */
int bl_inflate(mybl_decoder *dec, const mybl_where *w, const uint8_t *p, size_t n,
               mybl_error *err)
{
    if (n < 1 || !(p[0] & 0x80))
        return bl_fail(err, w, "the compressed payload does not start with its header byte");
    size_t lenlen = p[0] & 0x07;
    if ((p[0] & 0x70) != 0)
        return bl_fail(err, w, "unknown compression algorithm %d (only zlib is known)",
                       (p[0] & 0x70) >> 4);
    if (lenlen < 1 || lenlen > 4 || n < 1 + lenlen)
        return bl_fail(err, w, "the compressed payload's length field is cut short");
    uint64_t want = get_be(p + 1, lenlen);
    if (want > INFLATED_MAX)
        return bl_fail(err, w, "the uncompressed length %llu is too large",
                       (unsigned long long)want);
    dec->inflated.len = 0;
    z_stream z = {0};
    if (inflateInit(&z) != Z_OK)
        return bl_fail(err, w, "zlib could not start");
    z.next_in = (Bytef *)(p + 1 + lenlen);
    z.avail_in = (uInt)(n - 1 - lenlen);
    int rc = Z_OK;
    while (rc == Z_OK) {
        buf_add(&dec->inflated, "", 0); /* room for the NUL */
        size_t room = dec->inflated.cap - dec->inflated.len - 1;
        if (room < 4096) {
            size_t keep = dec->inflated.len;
            char pad[4096] = {0};
            buf_add(&dec->inflated, pad, sizeof pad);
            dec->inflated.len = keep;
            room = dec->inflated.cap - keep - 1;
        }
        if (dec->inflated.failed)
            break;
        if (dec->inflated.len + room > want + 1)
            room = want + 1 - dec->inflated.len; /* one byte more shows a lie */
        z.next_out = (Bytef *)dec->inflated.data + dec->inflated.len;
        z.avail_out = (uInt)room;
        rc = inflate(&z, Z_NO_FLUSH);
        dec->inflated.len += room - z.avail_out;
        if (dec->inflated.len > want)
            break;
        if (rc == Z_BUF_ERROR && z.avail_in == 0)
            break;
        if (rc == Z_BUF_ERROR)
            rc = Z_OK;
    }
    inflateEnd(&z);
    if (dec->inflated.failed)
        return bl_fail(err, w, "out of memory inflating the compressed payload");
    if (rc != Z_STREAM_END || dec->inflated.len != want)
        return bl_fail(err, w, "the compressed payload does not inflate to its stated %llu "
                       "bytes (zlib status %d)", (unsigned long long)want, rc);
    return 0;
}

static mybl_str view(const uint8_t *p, size_t n)
{
    return (mybl_str){(const char *)p, n};
}

static int fde(mybl_decoder *dec, const mybl_where *w, mybl_rd *r, mybl_event *ev,
               mybl_error *err)
{
    uint64_t version, created;
    const uint8_t *sv;
    uint8_t hlen;
    if (rd_le(r, 2, &version) || rd_bytes(r, 50, &sv) || rd_le(r, 4, &created) ||
        rd_u8(r, &hlen))
        return bl_fail(err, w, "the event is shorter than its fixed fields");
    if (version != 4 || hlen != HEADER_LEN)
        return bl_fail(err, w, "binlog version %llu with %u-byte headers; only version 4 "
                       "(19-byte headers) is known", (unsigned long long)version, hlen);
    ev->u.fde.binlog_version = (uint16_t)version;
    memcpy(ev->u.fde.server_version, sv, 50);
    ev->u.fde.server_version[50] = '\0';
    ev->u.fde.checksum_alg = (uint8_t)dec->checksum;
    memset(dec->post_header, 0, sizeof dec->post_header);
    size_t n = rd_left(r);
    memcpy(dec->post_header, r->p, n < sizeof dec->post_header ? n : sizeof dec->post_header);
    dec->have_fde = 1;
    dec->mysql = strstr(ev->u.fde.server_version, "MariaDB") == NULL;
    /* table ids may be reused by a restarted server: a new FDE starts over */
    bl_tables_clear(dec);
    return 0;
}

static uint8_t post_header_len(const mybl_decoder *dec, uint8_t type, uint8_t dflt)
{
    uint8_t v = dec->have_fde && type >= 1 ? dec->post_header[type - 1] : 0;
    return v ? v : dflt;
}

static int query(mybl_decoder *dec, const mybl_where *w, mybl_rd *r, mybl_event *ev,
                 mybl_error *err)
{
    uint64_t thread, exec, err_code, vars;
    uint8_t dblen;
    const uint8_t *db, *rest;
    uint8_t ph = post_header_len(dec, ev->type, 13);
    mybl_rd post;
    if (rd_bytes(r, ph, &rest) != 0 || ph < 13)
        return bl_fail(err, w, "the event is shorter than its %u-byte post-header", ph);
    post = (mybl_rd){rest, rest + ph};
    rd_le(&post, 4, &thread);
    rd_le(&post, 4, &exec);
    rd_u8(&post, &dblen);
    rd_le(&post, 2, &err_code);
    rd_le(&post, 2, &vars);
    if (rd_skip(r, vars) != 0)
        return bl_fail(err, w, "status variables of %llu bytes overrun the event",
                       (unsigned long long)vars);
    if (rd_bytes(r, dblen, &db) != 0 || rd_skip(r, 1) != 0)
        return bl_fail(err, w, "the database name of %u bytes overruns the event", dblen);
    ev->u.query.thread_id = (uint32_t)thread;
    ev->u.query.exec_time = (uint32_t)exec;
    ev->u.query.error_code = (uint16_t)err_code;
    ev->u.query.db = view(db, dblen);
    if (ev->type == MYBL_QUERY_COMPRESSED) {
        if (bl_inflate(dec, w, r->p, rd_left(r), err) != 0)
            return -1;
        ev->u.query.sql = view((const uint8_t *)dec->inflated.data, dec->inflated.len);
    } else {
        ev->u.query.sql = view(r->p, rd_left(r));
    }
    return 0;
}

static int gtid_list(mybl_decoder *dec, const mybl_where *w, mybl_rd *r, mybl_event *ev,
                     mybl_error *err)
{
    uint64_t count;
    if (rd_le(r, 4, &count) != 0)
        return bl_fail(err, w, "the event has no GTID count");
    count &= 0x0fffffff; /* the top 4 bits are flags */
    if (count > rd_left(r) / 16)
        return bl_fail(err, w, "%llu GTIDs do not fit in the event's %zu bytes",
                       (unsigned long long)count, rd_left(r));
    dec->scratch.len = 0;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t d, s, n;
        rd_le(r, 4, &d);
        rd_le(r, 4, &s);
        rd_le(r, 8, &n);
        buf_addf(&dec->scratch, "%s%llu-%llu-%llu", i ? "," : "", (unsigned long long)d,
                 (unsigned long long)s, (unsigned long long)n);
    }
    buf_add(&dec->scratch, "", 0);
    ev->u.gtid_list.count = (uint32_t)count;
    ev->u.gtid_list.text = view((const uint8_t *)dec->scratch.data, dec->scratch.len);
    return dec->scratch.failed ? bl_fail(err, w, "out of memory") : 0;
}

static void add_uuid(mybl_buf *b, const uint8_t *sid)
{
    for (int i = 0; i < 16; i++)
        buf_addf(b, "%s%02x", i == 4 || i == 6 || i == 8 || i == 10 ? "-" : "", sid[i]);
}

/* MySQL GTID / ANONYMOUS_GTID: flags, SID, GNO, then (5.7+) logical clocks. */
static int mysql_gtid(mybl_decoder *dec, const mybl_where *w, mybl_rd *r, mybl_event *ev,
                      mybl_error *err)
{
    const uint8_t *sid;
    uint64_t gno, lc = 0, seq = 0;
    uint8_t flags, lt;
    if (rd_u8(r, &flags) || rd_bytes(r, 16, &sid) || rd_le(r, 8, &gno))
        return bl_fail(err, w, "the event is shorter than flags, SID and GNO");
    if (rd_left(r) >= 17 && r->p[0] == 2) { /* LOGICAL_TIMESTAMP_TYPECODE */
        rd_u8(r, &lt);
        rd_le(r, 8, &lc);
        rd_le(r, 8, &seq);
    }
    ev->u.mysql_gtid.flags = flags;
    memcpy(ev->u.mysql_gtid.sid, sid, 16);
    ev->u.mysql_gtid.gno = (int64_t)gno;
    ev->u.mysql_gtid.last_committed = (int64_t)lc;
    ev->u.mysql_gtid.sequence_number = (int64_t)seq;
    dec->scratch.len = 0;
    add_uuid(&dec->scratch, sid);
    buf_addf(&dec->scratch, ":%lld", (long long)gno);
    ev->u.mysql_gtid.text = view((const uint8_t *)dec->scratch.data, dec->scratch.len);
    return dec->scratch.failed ? bl_fail(err, w, "out of memory") : 0;
}

/* PREVIOUS_GTIDS: n_sids, then per SID its intervals [start, end). */
static int previous_gtids(mybl_decoder *dec, const mybl_where *w, mybl_rd *r, mybl_event *ev,
                          mybl_error *err)
{
    uint64_t nsids;
    if (rd_le(r, 8, &nsids) != 0 || nsids > rd_left(r) / 24)
        return bl_fail(err, w, "the SID count does not fit in the event");
    dec->scratch.len = 0;
    buf_add(&dec->scratch, "", 0);
    for (uint64_t i = 0; i < nsids; i++) {
        const uint8_t *sid;
        uint64_t nint;
        if (rd_bytes(r, 16, &sid) || rd_le(r, 8, &nint) || nint > rd_left(r) / 16)
            return bl_fail(err, w, "SID %llu's intervals overrun the event",
                           (unsigned long long)i + 1);
        if (i)
            buf_addc(&dec->scratch, ',');
        add_uuid(&dec->scratch, sid);
        for (uint64_t k = 0; k < nint; k++) {
            uint64_t a, b;
            rd_le(r, 8, &a);
            rd_le(r, 8, &b);
            if (b <= a)
                return bl_fail(err, w, "an empty GTID interval %llu-%llu",
                               (unsigned long long)a, (unsigned long long)b);
            if (b - 1 == a)
                buf_addf(&dec->scratch, ":%llu", (unsigned long long)a);
            else
                buf_addf(&dec->scratch, ":%llu-%llu", (unsigned long long)a,
                         (unsigned long long)(b - 1));
        }
    }
    ev->u.gtid_list.count = (uint32_t)nsids;
    ev->u.gtid_list.text = view((const uint8_t *)dec->scratch.data, dec->scratch.len);
    return dec->scratch.failed ? bl_fail(err, w, "out of memory") : 0;
}

static int refuse(const mybl_where *w, mybl_error *err, const char *what, const char *hint)
{
    bl_fail(err, w, "%s", what);
    snprintf(err->message, sizeof err->message, "cannot decode %s events",
             mybl_event_name(w->type));
    snprintf(err->hint, sizeof err->hint, "%s", hint);
    return -1;
}

static int body(mybl_decoder *dec, const mybl_where *w, mybl_rd *r, mybl_event *ev,
                mybl_error *err)
{
    uint64_t v;
    uint8_t b;
    switch (ev->type) {
    case MYBL_FORMAT_DESCRIPTION:
        return fde(dec, w, r, ev, err);
    case MYBL_ROTATE:
        if (rd_le(r, 8, &ev->u.rotate.pos) != 0)
            return bl_fail(err, w, "the event has no position");
        ev->u.rotate.file = view(r->p, rd_left(r));
        snprintf(dec->file, sizeof dec->file, "%.*s", (int)rd_left(r), (const char *)r->p);
        return 0;
    case MYBL_HEARTBEAT:
        ev->u.rotate.pos = ev->next_pos;
        ev->u.rotate.file = view(r->p, rd_left(r));
        return 0;
    case MYBL_QUERY:
    case MYBL_QUERY_COMPRESSED:
        return query(dec, w, r, ev, err);
    case MYBL_XID:
        if (rd_le(r, 8, &ev->u.xid.xid) != 0)
            return bl_fail(err, w, "the event has no transaction id");
        return 0;
    case MYBL_MARIADB_GTID:
        if (rd_le(r, 8, &ev->u.gtid.seq_no) || rd_le(r, 4, &v) || rd_u8(r, &b))
            return bl_fail(err, w, "the event is shorter than sequence number, domain and flags");
        ev->u.gtid.domain_id = (uint32_t)v;
        ev->u.gtid.flags = b;
        if ((b & MYBL_GTID_GROUP_COMMIT_ID) && rd_le(r, 8, &ev->u.gtid.commit_id) != 0)
            return bl_fail(err, w, "the flags announce a commit id the event does not hold");
        return 0;
    case MYBL_GTID_LIST:
        return gtid_list(dec, w, r, ev, err);
    case MYBL_BINLOG_CHECKPOINT:
        if (rd_le(r, 4, &v) != 0 || v > rd_left(r))
            return bl_fail(err, w, "the file name overruns the event");
        ev->u.checkpoint.file = view(r->p, (size_t)v);
        return 0;
    case MYBL_ANNOTATE_ROWS:
        ev->u.annotate.text = view(r->p, rd_left(r));
        return 0;
    case MYBL_ROWS_QUERY:
        if (rd_skip(r, 1) != 0)
            return bl_fail(err, w, "the event has no length byte");
        ev->u.annotate.text = view(r->p, rd_left(r));
        return 0;
    case MYBL_MYSQL_GTID:
    case MYBL_MYSQL_ANONYMOUS_GTID:
        return mysql_gtid(dec, w, r, ev, err);
    case MYBL_PREVIOUS_GTIDS:
        return previous_gtids(dec, w, r, ev, err);
    case MYBL_TABLE_MAP:
        return bl_table_map(dec, w, r, &ev->u.table_map, err);
    case MYBL_PARTIAL_UPDATE_ROWS:
        return refuse(w, err, "partial JSON updates are not decoded",
                      "Set binlog_row_value_options='' on the server so JSON updates are "
                      "logged as full values.");
    case MYBL_TRANSACTION_PAYLOAD:
        return refuse(w, err, "compressed transaction payloads are not decoded",
                      "Set binlog_transaction_compression=OFF on the server.");
    case MYBL_START_ENCRYPTION:
        return refuse(w, err, "the binlog file is encrypted; read it through the server",
                      "Stream the binlog with COM_BINLOG_DUMP (the server decrypts it) "
                      "instead of reading the file.");
    default:
        if (mybl_is_rows(ev->type))
            return bl_rows_begin(dec, w, r, ev, err);
        return 0; /* INTVAR, RAND, USER_VAR, STOP, ...: nothing a row stream needs */
    }
}

int mybl_feed_event(mybl_decoder *dec, const void *bytes, size_t len, mybl_event *ev,
                    mybl_error *err)
{
    const uint8_t *p = bytes;
    memset(ev, 0, sizeof *ev);
    dec->rtable = NULL; /* a failed or new event ends the previous row iteration */
    mybl_where w = {.type = len > 4 ? p[4] : 0, .file = dec->file, .column = -1};
    if (!p || len < HEADER_LEN) {
        w.type = 0;
        return bl_fail(err, &w, "the event has %zu bytes, fewer than its 19-byte header", len);
    }
    ev->timestamp = (uint32_t)get_le(p, 4);
    ev->type = p[4];
    ev->type_name = mybl_event_name(p[4]);
    ev->server_id = (uint32_t)get_le(p + 5, 4);
    ev->size = (uint32_t)get_le(p + 9, 4);
    ev->next_pos = (uint32_t)get_le(p + 13, 4);
    ev->flags = (uint16_t)get_le(p + 17, 2);
    w.pos = ev->next_pos >= ev->size ? ev->next_pos - ev->size : 0;
    if (ev->size != len)
        return bl_fail(err, &w, "the header says %u bytes but %zu were given", ev->size, len);
    size_t end = len;
    int crc = dec->checksum;
    if (ev->type == MYBL_FORMAT_DESCRIPTION) {
        if (len < HEADER_LEN + 57 + 1 + CRC_LEN)
            return bl_fail(err, &w, "the event has %zu bytes, fewer than its fixed fields", len);
        uint8_t alg = p[len - CRC_LEN - 1];
        if (alg > 1 && alg != 255)
            return bl_fail(err, &w, "unknown checksum algorithm %u", alg);
        crc = alg == 1;
        dec->checksum = crc;
        end = len - CRC_LEN - 1; /* the alg byte and the CRC (present even when off) */
    } else if (crc == MYBL_CHECKSUM_AUTO) {
        crc = len >= HEADER_LEN + CRC_LEN &&
              crc32(0, p, (uInt)(len - CRC_LEN)) == get_le(p + len - CRC_LEN, 4);
        if (crc)
            end = len - CRC_LEN;
    } else if (crc == MYBL_CHECKSUM_CRC32) {
        if (len < HEADER_LEN + CRC_LEN)
            return bl_fail(err, &w, "the event is too short for its CRC32");
        end = len - CRC_LEN;
    }
    if (crc == MYBL_CHECKSUM_CRC32) {
        uint32_t want = (uint32_t)get_le(p + len - CRC_LEN, 4);
        uint32_t got = (uint32_t)crc32(0, p, 17);
        /* the server sets "binlog in use" (flags bit 0) in the open file's
           FDE after computing its CRC: verify as if it were clear */
        uint8_t lo = ev->type == MYBL_FORMAT_DESCRIPTION ? (uint8_t)(p[17] & ~1u) : p[17];
        got = (uint32_t)crc32(got, &lo, 1);
        got = (uint32_t)crc32(got, p + 18, (uInt)(len - CRC_LEN - 18));
        if (want != got) {
            bl_fail(err, &w, "the CRC32 is %08x but the bytes give %08x", want, got);
            snprintf(err->message, sizeof err->message, "checksum mismatch in %s event",
                     mybl_event_name(ev->type));
            return -1;
        }
    }
    mybl_rd r = {p + HEADER_LEN, p + end};
    return body(dec, &w, &r, ev, err);
}
