/*
 * Change events, as the server documents them (the output of db.watch()):
 * operationType, _id (the resume token), clusterTime, wallTime, ns, to,
 * documentKey, fullDocument, updateDescription. Read in place: the result
 * points into the event's own bytes.
 */
#include <string.h>

#include "mgconv.h"

static const struct {
    const char *name;
    mg_op op;
} ops[] = {
    {"insert", MG_OP_INSERT},          {"update", MG_OP_UPDATE},
    {"replace", MG_OP_REPLACE},        {"delete", MG_OP_DELETE},
    {"drop", MG_OP_DROP},              {"rename", MG_OP_RENAME},
    {"dropDatabase", MG_OP_DROP_DATABASE}, {"invalidate", MG_OP_INVALIDATE},
};

static int sub_document(const bson_iter_t *it, bson_t *out)
{
    const uint8_t *data;
    uint32_t len;
    if (!BSON_ITER_HOLDS_DOCUMENT(it))
        return -1;
    bson_iter_document(it, &len, &data);
    return bson_init_static(out, data, len) ? 0 : -1;
}

/* ns / to: {db: "...", coll: "..."} (coll absent for database-wide events) */
static int namespace(const bson_iter_t *it, mg_str *db, mg_str *coll)
{
    bson_iter_t child;
    if (!BSON_ITER_HOLDS_DOCUMENT(it) || !bson_iter_recurse(it, &child))
        return -1;
    while (bson_iter_next(&child)) {
        mg_str *dst = strcmp(bson_iter_key(&child), "db") == 0     ? db
                      : strcmp(bson_iter_key(&child), "coll") == 0 ? coll
                                                                   : NULL;
        if (dst && BSON_ITER_HOLDS_UTF8(&child))
            dst->ptr = bson_iter_utf8(&child, &dst->len);
    }
    return db->ptr ? 0 : -1;
}

int mg_event_read(const bson_t *ev, mg_event *out, const char **why)
{
    bson_iter_t it;
    memset(out, 0, sizeof *out);
    int has_token = 0, has_time = 0, has_ns = 0, has_txn = 0;
    if (!bson_iter_init(&it, ev)) {
        *why = "The event is not a valid BSON document.";
        return -1;
    }
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);
        if (strcmp(k, "_id") == 0) {
            has_token = sub_document(&it, &out->token) == 0;
        } else if (strcmp(k, "operationType") == 0 && BSON_ITER_HOLDS_UTF8(&it)) {
            out->op_name.ptr = bson_iter_utf8(&it, &out->op_name.len);
            for (size_t n = 0; n < sizeof ops / sizeof ops[0]; n++)
                if (strcmp(out->op_name.ptr, ops[n].name) == 0)
                    out->op = ops[n].op;
        } else if (strcmp(k, "clusterTime") == 0 && BSON_ITER_HOLDS_TIMESTAMP(&it)) {
            bson_iter_timestamp(&it, &out->t, &out->i);
            has_time = 1;
        } else if (strcmp(k, "wallTime") == 0 && BSON_ITER_HOLDS_DATE_TIME(&it)) {
            out->wall_ms = bson_iter_date_time(&it);
        } else if (strcmp(k, "ns") == 0) {
            has_ns = namespace(&it, &out->db, &out->coll) == 0;
        } else if (strcmp(k, "to") == 0) {
            namespace(&it, &out->to_db, &out->to_coll);
        } else if (strcmp(k, "documentKey") == 0) {
            bson_iter_t key;
            if (BSON_ITER_HOLDS_DOCUMENT(&it) && bson_iter_recurse(&it, &key) &&
                bson_iter_find(&key, "_id")) {
                out->key = key;
                out->has_key = 1;
            }
        } else if (strcmp(k, "fullDocument") == 0) {
            out->has_full = sub_document(&it, &out->full) == 0; /* null: not found */
        } else if (strcmp(k, "updateDescription") == 0) {
            out->has_update = sub_document(&it, &out->update) == 0;
        } else if (strcmp(k, "txnNumber") == 0 && BSON_ITER_HOLDS_NUMBER(&it)) {
            out->txn_number = bson_iter_as_int64(&it);
            has_txn = 1;
        } else if (strcmp(k, "lsid") == 0) {
            bson_iter_t id;
            bson_subtype_t subtype;
            if (BSON_ITER_HOLDS_DOCUMENT(&it) && bson_iter_recurse(&it, &id) &&
                bson_iter_find(&id, "id") && BSON_ITER_HOLDS_BINARY(&id))
                bson_iter_binary(&id, &subtype, &out->lsid_len, &out->lsid);
        }
    }
    /* the server marks a transaction's events with both; one alone is no transaction */
    out->in_txn = has_txn && out->lsid;
    if (!out->op_name.ptr) {
        *why = "The event has no operationType.";
        return -1;
    }
    if (!has_token) {
        *why = "The event has no resume token (_id); a $project stage must not remove it.";
        return -1;
    }
    if (!has_time) {
        *why = "The event has no clusterTime.";
        return -1;
    }
    if (!out->wall_ms)
        out->wall_ms = (int64_t)out->t * 1000;
    int needs_ns = out->op != MG_OP_INVALIDATE && out->op != MG_OP_OTHER;
    if (needs_ns && !has_ns) {
        *why = "The event has no namespace (ns).";
        return -1;
    }
    int needs_key = out->op == MG_OP_INSERT || out->op == MG_OP_UPDATE ||
                    out->op == MG_OP_REPLACE || out->op == MG_OP_DELETE;
    if (needs_key && (!out->has_key || !out->coll.ptr)) {
        *why = "The event has no documentKey._id or no collection in ns.";
        return -1;
    }
    if ((out->op == MG_OP_INSERT || out->op == MG_OP_REPLACE) && !out->has_full) {
        *why = "An insert or replace event has no fullDocument.";
        return -1;
    }
    if (out->op == MG_OP_RENAME && (!out->to_db.ptr || !out->to_coll.ptr)) {
        *why = "A rename event has no target namespace (to).";
        return -1;
    }
    return 0;
}
