/*
 * BSON to canonical text, for every BSON type, with documents and change
 * events built by libbson in the shapes the server sends (no server needed).
 * Expected texts are written out by hand from the BSON and Extended JSON specs.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mgconv.h"
#include "unit.h"

/* The JSON form of the document's field `key`. */
static char *json_of(const bson_t *doc, const char *key)
{
    bson_iter_t it;
    sbuf b = {0};
    if (!bson_iter_init_find(&it, doc, key) || mg_json_value(&b, &it) != 0) {
        sb_free(&b);
        return strdup("(failed)");
    }
    char *s = strdup(sb_cstr(&b));
    sb_free(&b);
    return s;
}

/* The scalar form: its text, "INT:n" for the fast path, "NULL". */
static char *scalar_of(const bson_t *doc, const char *key)
{
    bson_iter_t it;
    sbuf b = {0};
    int64_t i = 0;
    char tmp[64];
    int k = bson_iter_init_find(&it, doc, key) ? mg_value(&b, &it, 0, &i) : -1;
    char *s;
    if (k == MG_INT) {
        snprintf(tmp, sizeof tmp, "INT:%lld", (long long)i);
        s = strdup(tmp);
    } else if (k == MG_NULL) {
        s = strdup("NULL");
    } else if (k == MG_TEXT) {
        s = strdup(sb_cstr(&b));
    } else {
        s = strdup("(failed)");
    }
    sb_free(&b);
    return s;
}

#define CHECK_JSON(doc, key, expected)  \
    do {                                \
        char *got_ = json_of(doc, key); \
        CHECK_STR(got_, expected);      \
        free(got_);                     \
    } while (0)
#define CHECK_SCALAR(doc, key, expected)  \
    do {                                  \
        char *got_ = scalar_of(doc, key); \
        CHECK_STR(got_, expected);        \
        free(got_);                       \
    } while (0)

static void every_type(void)
{
    bson_t d = BSON_INITIALIZER, sub, arr, scope;
    bson_oid_t oid;
    bson_oid_init_from_string(&oid, "5f1e2d3c4b5a697887960504");
    bson_decimal128_t dec, dec_nan, dec_exp;
    bson_decimal128_from_string("12345678901234567890.0123456789", &dec);
    bson_decimal128_from_string("NaN", &dec_nan);
    bson_decimal128_from_string("-1.5E+40", &dec_exp);
    static const uint8_t bin[] = {0x00, 0x01, 0xfe, 0xff, 'a'};
    uint8_t uuid[16];
    for (int k = 0; k < 16; k++)
        uuid[k] = (uint8_t)(k * 17);

    BSON_APPEND_DOUBLE(&d, "double", 0.1);
    BSON_APPEND_DOUBLE(&d, "double_int", 3.0);
    BSON_APPEND_DOUBLE(&d, "double_big", 1e300);
    BSON_APPEND_DOUBLE(&d, "double_nan", NAN);
    BSON_APPEND_DOUBLE(&d, "double_inf", -INFINITY);
    BSON_APPEND_DOUBLE(&d, "double_negzero", -0.0);
    BSON_APPEND_UTF8(&d, "string", "h\xc3\xa9llo \"q\" \\ \n\t\x01");
    BSON_APPEND_DOCUMENT_BEGIN(&d, "object", &sub);
    BSON_APPEND_INT32(&sub, "a", 1);
    BSON_APPEND_DOCUMENT_BEGIN(&sub, "b", &arr);
    BSON_APPEND_UTF8(&arr, "c", "x");
    bson_append_document_end(&sub, &arr);
    bson_append_document_end(&d, &sub);
    BSON_APPEND_ARRAY_BEGIN(&d, "array", &arr);
    BSON_APPEND_INT64(&arr, "0", 1);
    BSON_APPEND_UTF8(&arr, "1", "two");
    BSON_APPEND_NULL(&arr, "2");
    bson_append_array_end(&d, &arr);
    BSON_APPEND_BINARY(&d, "binData", BSON_SUBTYPE_BINARY, bin, sizeof bin);
    BSON_APPEND_BINARY(&d, "uuid", BSON_SUBTYPE_UUID, uuid, sizeof uuid);
    BSON_APPEND_UNDEFINED(&d, "undefined");
    BSON_APPEND_OID(&d, "objectId", &oid);
    BSON_APPEND_BOOL(&d, "bool", true);
    BSON_APPEND_DATE_TIME(&d, "date", 1700000000123LL);
    BSON_APPEND_DATE_TIME(&d, "date_before_1970", -1LL);
    BSON_APPEND_DATE_TIME(&d, "date_bc", -62135683200000LL); /* 0000-12-31, 1 BC */
    BSON_APPEND_NULL(&d, "null");
    BSON_APPEND_REGEX(&d, "regex", "^a.*\"b", "im");
    BSON_APPEND_DBPOINTER(&d, "dbPointer", "db.coll", &oid);
    BSON_APPEND_CODE(&d, "javascript", "function() { return 1; }");
    BSON_APPEND_SYMBOL(&d, "symbol", "sym");
    bson_init(&scope);
    BSON_APPEND_INT32(&scope, "x", 5);
    BSON_APPEND_CODE_WITH_SCOPE(&d, "javascriptWithScope", "x + 1", &scope);
    bson_destroy(&scope);
    BSON_APPEND_INT32(&d, "int", -2147483647 - 1);
    BSON_APPEND_TIMESTAMP(&d, "timestamp", 1700000100, 7);
    BSON_APPEND_INT64(&d, "long", INT64_MAX);
    BSON_APPEND_INT64(&d, "long_min", INT64_MIN);
    BSON_APPEND_DECIMAL128(&d, "decimal", &dec);
    BSON_APPEND_DECIMAL128(&d, "decimal_nan", &dec_nan);
    BSON_APPEND_DECIMAL128(&d, "decimal_exp", &dec_exp);
    BSON_APPEND_MINKEY(&d, "minKey");
    BSON_APPEND_MAXKEY(&d, "maxKey");

    /* JSON: relaxed Extended JSON, exact */
    CHECK_JSON(&d, "double", "0.1");
    CHECK_JSON(&d, "double_int", "3.0");
    CHECK_JSON(&d, "double_big", "1e+300");
    CHECK_JSON(&d, "double_nan", "{\"$numberDouble\":\"NaN\"}");
    CHECK_JSON(&d, "double_inf", "{\"$numberDouble\":\"-Infinity\"}");
    CHECK_JSON(&d, "double_negzero", "{\"$numberDouble\":\"-0.0\"}");
    CHECK_JSON(&d, "string", "\"h\xc3\xa9llo \\\"q\\\" \\\\ \\n\\t\\u0001\"");
    CHECK_JSON(&d, "object", "{\"a\":1,\"b\":{\"c\":\"x\"}}");
    CHECK_JSON(&d, "array", "[1,\"two\",null]");
    CHECK_JSON(&d, "binData", "{\"$binary\":{\"base64\":\"AAH+/2E=\",\"subType\":\"00\"}}");
    CHECK_JSON(&d, "uuid",
               "{\"$binary\":{\"base64\":\"ABEiM0RVZneImaq7zN3u/w==\",\"subType\":\"04\"}}");
    CHECK_JSON(&d, "undefined", "{\"$undefined\":true}");
    CHECK_JSON(&d, "objectId", "{\"$oid\":\"5f1e2d3c4b5a697887960504\"}");
    CHECK_JSON(&d, "bool", "true");
    CHECK_JSON(&d, "date", "{\"$date\":\"2023-11-14T22:13:20.123Z\"}");
    CHECK_JSON(&d, "date_before_1970", "{\"$date\":{\"$numberLong\":\"-1\"}}");
    CHECK_JSON(&d, "null", "null");
    CHECK_JSON(&d, "regex",
               "{\"$regularExpression\":{\"pattern\":\"^a.*\\\"b\",\"options\":\"im\"}}");
    CHECK_JSON(&d, "dbPointer",
               "{\"$dbPointer\":{\"$ref\":\"db.coll\",\"$id\":{\"$oid\":"
               "\"5f1e2d3c4b5a697887960504\"}}}");
    CHECK_JSON(&d, "javascript", "{\"$code\":\"function() { return 1; }\"}");
    CHECK_JSON(&d, "symbol", "{\"$symbol\":\"sym\"}");
    CHECK_JSON(&d, "javascriptWithScope", "{\"$code\":\"x + 1\",\"$scope\":{\"x\":5}}");
    CHECK_JSON(&d, "int", "-2147483648");
    CHECK_JSON(&d, "timestamp", "{\"$timestamp\":{\"t\":1700000100,\"i\":7}}");
    CHECK_JSON(&d, "long", "9223372036854775807");
    CHECK_JSON(&d, "long_min", "-9223372036854775808");
    CHECK_JSON(&d, "decimal", "{\"$numberDecimal\":\"12345678901234567890.0123456789\"}");
    CHECK_JSON(&d, "decimal_nan", "{\"$numberDecimal\":\"NaN\"}");
    CHECK_JSON(&d, "decimal_exp", "{\"$numberDecimal\":\"-1.5E+40\"}");
    CHECK_JSON(&d, "minKey", "{\"$minKey\":1}");
    CHECK_JSON(&d, "maxKey", "{\"$maxKey\":1}");

    /* scalar: a column of the field's own type */
    CHECK_SCALAR(&d, "double", "0.1");
    CHECK_SCALAR(&d, "double_int", "3");
    CHECK_SCALAR(&d, "double_nan", "NaN");
    CHECK_SCALAR(&d, "double_inf", "-Infinity");
    CHECK_SCALAR(&d, "double_negzero", "-0");
    CHECK_SCALAR(&d, "string", "h\xc3\xa9llo \"q\" \\ \n\t\x01");
    CHECK_SCALAR(&d, "object", "{\"a\":1,\"b\":{\"c\":\"x\"}}");
    CHECK_SCALAR(&d, "array", "[1,\"two\",null]");
    CHECK_SCALAR(&d, "binData", "\\x0001feff61");
    CHECK_SCALAR(&d, "undefined", "NULL");
    CHECK_SCALAR(&d, "objectId", "5f1e2d3c4b5a697887960504");
    CHECK_SCALAR(&d, "bool", "true");
    CHECK_SCALAR(&d, "date", "2023-11-14 22:13:20.123+00");
    CHECK_SCALAR(&d, "date_before_1970", "1969-12-31 23:59:59.999+00");
    CHECK_SCALAR(&d, "date_bc", "0001-12-31 00:00:00.000+00 BC");
    CHECK_SCALAR(&d, "null", "NULL");
    CHECK_SCALAR(&d, "regex",
                 "{\"$regularExpression\":{\"pattern\":\"^a.*\\\"b\",\"options\":\"im\"}}");
    CHECK_SCALAR(&d, "javascript", "function() { return 1; }");
    CHECK_SCALAR(&d, "symbol", "sym");
    CHECK_SCALAR(&d, "int", "INT:-2147483648");
    CHECK_SCALAR(&d, "timestamp", "{\"$timestamp\":{\"t\":1700000100,\"i\":7}}");
    CHECK_SCALAR(&d, "long", "INT:9223372036854775807");
    CHECK_SCALAR(&d, "long_min", "INT:-9223372036854775808");
    CHECK_SCALAR(&d, "decimal", "12345678901234567890.0123456789");
    CHECK_SCALAR(&d, "decimal_nan", "NaN");
    CHECK_SCALAR(&d, "decimal_exp", "-1.5E+40");
    CHECK_SCALAR(&d, "minKey", "{\"$minKey\":1}");
    CHECK_SCALAR(&d, "maxKey", "{\"$maxKey\":1}");

    /* in a jsonb column every value is JSON, and null is SQL NULL */
    bson_iter_t it;
    sbuf b = {0};
    int64_t i;
    CHECK(bson_iter_init_find(&it, &d, "long") && mg_value(&b, &it, 1, &i) == MG_TEXT);
    CHECK_STR(sb_cstr(&b), "9223372036854775807");
    CHECK(bson_iter_init_find(&it, &d, "null") && mg_value(&b, &it, 1, &i) == MG_NULL);
    sb_free(&b);

    /* the type names $type uses, which are the keys of mongo_to_pg.lua */
    static const char *names[] = {"double", "string", "object", "array", "binData",
                                  "undefined", "objectId", "bool", "date", "null", "regex",
                                  "dbPointer", "javascript", "symbol", "javascriptWithScope",
                                  "int", "timestamp", "long", "decimal", "minKey", "maxKey"};
    for (size_t n = 0; n < sizeof names / sizeof names[0]; n++) {
        CHECK(bson_iter_init_find(&it, &d, names[n]));
        CHECK_STR(mg_type_name(bson_iter_type(&it)), names[n]);
    }

    /* the whole document, as the doc column holds it */
    sbuf whole = {0};
    CHECK(mg_json_document(&whole, &d) == 0);
    CHECK_CONTAINS(sb_cstr(&whole), "{\"double\":0.1,\"double_int\":3.0,");
    CHECK_CONTAINS(sb_cstr(&whole), ",\"maxKey\":{\"$maxKey\":1}}");
    sb_free(&whole);
    bson_destroy(&d);
}

static void doubles_round_trip(void)
{
    static const double samples[] = {0.1, 1.0 / 3, 123456789.125, 5e-324, 1.7976931348623157e308,
                                     -2.5, 100, 1e21};
    char text[40];
    for (size_t n = 0; n < sizeof samples / sizeof samples[0]; n++) {
        mg_double_text(samples[n], text, sizeof text);
        CHECK(strtod(text, NULL) == samples[n]);
    }
    mg_double_text(1.0 / 3, text, sizeof text);
    CHECK_STR(text, "0.3333333333333333");
}

/* ---- change events ---- */

static bson_t *event(const char *op, bson_t *extra)
{
    bson_t *ev = bson_new(), tok, ns;
    BSON_APPEND_DOCUMENT_BEGIN(ev, "_id", &tok);
    BSON_APPEND_UTF8(&tok, "_data", "8265553A64000000012B022C0100296E5A1004");
    bson_append_document_end(ev, &tok);
    BSON_APPEND_UTF8(ev, "operationType", op);
    BSON_APPEND_TIMESTAMP(ev, "clusterTime", 1700000100, 3);
    BSON_APPEND_DATE_TIME(ev, "wallTime", 1700000100456LL);
    BSON_APPEND_DOCUMENT_BEGIN(ev, "ns", &ns);
    BSON_APPEND_UTF8(&ns, "db", "shop");
    BSON_APPEND_UTF8(&ns, "coll", "items");
    bson_append_document_end(ev, &ns);
    if (extra) {
        bson_concat(ev, extra);
        bson_destroy(extra);
    }
    return ev;
}

static bson_t *key_and_doc(int with_doc, int with_update)
{
    bson_t *x = bson_new(), k, f, u, set, removed;
    BSON_APPEND_DOCUMENT_BEGIN(x, "documentKey", &k);
    BSON_APPEND_INT64(&k, "_id", 42);
    bson_append_document_end(x, &k);
    if (with_update) {
        BSON_APPEND_DOCUMENT_BEGIN(x, "updateDescription", &u);
        BSON_APPEND_DOCUMENT_BEGIN(&u, "updatedFields", &set);
        BSON_APPEND_INT32(&set, "qty", 7);
        bson_append_document_end(&u, &set);
        BSON_APPEND_ARRAY_BEGIN(&u, "removedFields", &removed);
        BSON_APPEND_UTF8(&removed, "0", "old");
        bson_append_array_end(&u, &removed);
        bson_append_document_end(x, &u);
    }
    if (with_doc) {
        BSON_APPEND_DOCUMENT_BEGIN(x, "fullDocument", &f);
        BSON_APPEND_INT64(&f, "_id", 42);
        BSON_APPEND_INT32(&f, "qty", 7);
        bson_append_document_end(x, &f);
    } else if (with_update) {
        BSON_APPEND_NULL(x, "fullDocument"); /* updateLookup found no document */
    }
    return x;
}

static void change_events(void)
{
    const char *why = NULL;
    mg_event e;
    sbuf b = {0};
    int64_t i = 0;

    bson_t *ins = event("insert", key_and_doc(1, 0));
    CHECK(mg_event_read(ins, &e, &why) == 0);
    CHECK(e.op == MG_OP_INSERT && e.t == 1700000100 && e.i == 3);
    CHECK(e.wall_ms == 1700000100456LL);
    CHECK(e.db.len == 4 && memcmp(e.db.ptr, "shop", 4) == 0);
    CHECK(e.coll.len == 5 && memcmp(e.coll.ptr, "items", 5) == 0);
    CHECK(e.has_key && mg_value(&b, &e.key, 0, &i) == MG_INT && i == 42);
    CHECK(e.has_full && mg_json_document(&b, &e.full) == 0);
    CHECK_STR(sb_cstr(&b), "{\"_id\":42,\"qty\":7}");
    b.len = 0;
    CHECK(mg_json_document(&b, &e.token) == 0);
    CHECK_STR(sb_cstr(&b), "{\"_data\":\"8265553A64000000012B022C0100296E5A1004\"}");
    b.len = 0;
    CHECK(!e.in_txn);
    bson_destroy(ins);

    /* an event of a multi-document transaction: lsid {id: UUID, uid} and txnNumber */
    static const uint8_t uuid[16] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0x4d, 0xef,
                                     0x80, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
    static const uint8_t uid[32] = {0xe3, 0xb0, 0xc4, 0x42};
    bson_t *tx = bson_new(), lsid;
    BSON_APPEND_DOCUMENT_BEGIN(tx, "lsid", &lsid);
    BSON_APPEND_BINARY(&lsid, "id", BSON_SUBTYPE_UUID, uuid, sizeof uuid);
    BSON_APPEND_BINARY(&lsid, "uid", BSON_SUBTYPE_BINARY, uid, sizeof uid);
    bson_append_document_end(tx, &lsid);
    BSON_APPEND_INT64(tx, "txnNumber", 5);
    bson_t *kd = key_and_doc(1, 0);
    bson_concat(tx, kd);
    bson_destroy(kd);
    bson_t *txev = event("insert", tx);
    CHECK(mg_event_read(txev, &e, &why) == 0 && e.op == MG_OP_INSERT);
    CHECK(e.in_txn && e.txn_number == 5 && e.lsid_len == 16 && memcmp(e.lsid, uuid, 16) == 0);
    bson_destroy(txev);
    bson_t *half = bson_new(); /* txnNumber without lsid: not a transaction's event */
    BSON_APPEND_INT64(half, "txnNumber", 5);
    kd = key_and_doc(1, 0);
    bson_concat(half, kd);
    bson_destroy(kd);
    bson_t *halfev = event("insert", half);
    CHECK(mg_event_read(halfev, &e, &why) == 0 && !e.in_txn);
    bson_destroy(halfev);

    bson_t *upd = event("update", key_and_doc(1, 1));
    CHECK(mg_event_read(upd, &e, &why) == 0 && e.op == MG_OP_UPDATE && e.has_full &&
          e.has_update);
    CHECK(mg_json_document(&b, &e.update) == 0);
    CHECK_STR(sb_cstr(&b), "{\"updatedFields\":{\"qty\":7},\"removedFields\":[\"old\"]}");
    b.len = 0;
    bson_destroy(upd);

    bson_t *gone = event("update", key_and_doc(0, 1));
    CHECK(mg_event_read(gone, &e, &why) == 0 && e.op == MG_OP_UPDATE && !e.has_full);
    bson_destroy(gone);

    bson_t *rep = event("replace", key_and_doc(1, 0));
    CHECK(mg_event_read(rep, &e, &why) == 0 && e.op == MG_OP_REPLACE);
    bson_destroy(rep);

    bson_t *del = event("delete", key_and_doc(0, 0));
    CHECK(mg_event_read(del, &e, &why) == 0 && e.op == MG_OP_DELETE && !e.has_full);
    CHECK(mg_value(&b, &e.key, 0, &i) == MG_INT && i == 42);
    bson_destroy(del);

    bson_t *drop = event("drop", NULL);
    CHECK(mg_event_read(drop, &e, &why) == 0 && e.op == MG_OP_DROP);
    bson_destroy(drop);

    bson_t *to = bson_new(), tons;
    BSON_APPEND_DOCUMENT_BEGIN(to, "to", &tons);
    BSON_APPEND_UTF8(&tons, "db", "shop");
    BSON_APPEND_UTF8(&tons, "coll", "items_v2");
    bson_append_document_end(to, &tons);
    bson_t *ren = event("rename", to);
    CHECK(mg_event_read(ren, &e, &why) == 0 && e.op == MG_OP_RENAME);
    CHECK(e.to_coll.len == 8 && memcmp(e.to_coll.ptr, "items_v2", 8) == 0);
    bson_destroy(ren);

    bson_t *inv = event("invalidate", NULL);
    CHECK(mg_event_read(inv, &e, &why) == 0 && e.op == MG_OP_INVALIDATE);
    bson_destroy(inv);

    /* what a source cannot act on is refused with a reason */
    bson_t *bad = event("insert", NULL); /* no documentKey, no fullDocument */
    CHECK(mg_event_read(bad, &e, &why) == -1);
    CHECK_CONTAINS(why, "documentKey");
    bson_destroy(bad);
    bson_t *noid = bson_new();
    BSON_APPEND_UTF8(noid, "operationType", "insert");
    CHECK(mg_event_read(noid, &e, &why) == -1);
    CHECK_CONTAINS(why, "resume token");
    bson_destroy(noid);
    sb_free(&b);
}

/* Table mode's columns: the top-level fields of sampled documents, in the
   order first seen, each with the type merged over the documents. */
static void sampled_fields(void)
{
    CHECK_STR(mg_merge_type(NULL, "int"), "int");
    CHECK_STR(mg_merge_type("int", "long"), "long");
    CHECK_STR(mg_merge_type("long", "int"), "long");
    CHECK_STR(mg_merge_type("null", "date"), "date");
    CHECK_STR(mg_merge_type("date", "undefined"), "date");
    CHECK_STR(mg_merge_type("null", "null"), "null");
    CHECK_STR(mg_merge_type("int", "double"), "mixed");
    CHECK_STR(mg_merge_type("string", "objectId"), "mixed");
    CHECK_STR(mg_merge_type("mixed", "string"), "mixed");

    bson_oid_t oid;
    bson_oid_init_from_string(&oid, "65f1a2b3c4d5e6f708192a3b");
    bson_t d1 = BSON_INITIALIZER, d2 = BSON_INITIALIZER, d3 = BSON_INITIALIZER, sub;
    BSON_APPEND_OID(&d1, "_id", &oid);
    BSON_APPEND_INT32(&d1, "qty", 5);
    BSON_APPEND_UTF8(&d1, "name", "a");
    BSON_APPEND_NULL(&d1, "when");
    BSON_APPEND_DOCUMENT_BEGIN(&d1, "addr", &sub);
    BSON_APPEND_UTF8(&sub, "city", "Oslo");
    bson_append_document_end(&d1, &sub);
    BSON_APPEND_OID(&d2, "_id", &oid);
    BSON_APPEND_INT64(&d2, "qty", 9007199254740993LL);
    BSON_APPEND_INT32(&d2, "name", 7);
    BSON_APPEND_DATE_TIME(&d2, "when", 1700000000123LL);
    bson_decimal128_t dec;
    bson_decimal128_from_string("12345678901234567890.5", &dec);
    BSON_APPEND_DECIMAL128(&d2, "price", &dec);
    BSON_APPEND_ARRAY_BEGIN(&d3, "tags", &sub);
    bson_append_array_end(&d3, &sub);
    BSON_APPEND_MINKEY(&d3, "lo");
    mg_fields f = {0};
    CHECK(mg_fields_add_document(&f, &d1) == 0);
    CHECK(mg_fields_add_document(&f, &d2) == 0);
    CHECK(mg_fields_add_document(&f, &d3) == 0);
    const char *want[][2] = {{"_id", "objectId"}, {"qty", "long"},    {"name", "mixed"},
                             {"when", "date"},    {"addr", "object"}, {"price", "decimal"},
                             {"tags", "array"},   {"lo", "minKey"}};
    CHECK(f.n == sizeof want / sizeof want[0]);
    for (uint32_t k = 0; k < f.n && k < sizeof want / sizeof want[0]; k++) {
        CHECK_STR(f.v[k].name, want[k][0]);
        CHECK_STR(f.v[k].type, want[k][1]);
    }
    CHECK(mg_fields_find(&f, "price", 5) == 5 && mg_fields_find(&f, "pric", 4) == -1);
    mg_fields_free(&f);
    CHECK(f.n == 0 && f.v == NULL);
    bson_destroy(&d1);
    bson_destroy(&d2);
    bson_destroy(&d3);
}

int main(void)
{
    every_type();
    doubles_round_trip();
    change_events();
    sampled_fields();
    return unit_done();
}
