/*
 * The checkpoint object, <bucketFolder>/_sluice/<checkpoint_key>.json:
 *   {"pipeline": ..., "position": "<hex of the source position>",
 *    "pending": [keys], "updated": "..."}
 * A change roll (cdc.c) first writes it with the old position and the keys it is
 * about to write as "pending", then the data objects, then it again with the new
 * position and no pending keys. So the position never covers an object that is
 * not there, and at start the objects of a roll that did not finish are known:
 * they are deleted, and the source resends their changes from the position.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sinks3.h"

static int hex_decode(const char *hex, sluice_position *out)
{
    size_t n = strlen(hex);
    if (n % 2 || n / 2 > SLUICE_POSITION_MAX)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return -1;
        out->bytes[i] = (uint8_t)v;
    }
    out->len = (uint32_t)(n / 2);
    return 0;
}

sluice_status s3_checkpoint_write(sinks3 *s, const sluice_position *pos, const sbuf *pending,
                                  sluice_error *err)
{
    char hex[2 * SLUICE_POSITION_MAX + 1], now[40];
    for (uint32_t i = 0; i < pos->len; i++)
        snprintf(hex + 2 * i, 3, "%02x", pos->bytes[i]);
    hex[2 * pos->len] = 0;
    s3_format_timestamp(s3_now_us(), now, sizeof now);
    json_t *keys = json_array();
    for (const char *p = pending && pending->len ? pending->data : ""; *p;) {
        size_t n = strcspn(p, "\n");
        json_array_append_new(keys, json_stringn(p, n));
        p += n + (p[n] == '\n');
    }
    json_t *doc = json_pack("{s:s, s:s, s:o, s:s}", "pipeline", s->pipeline, "position", hex,
                            "pending", keys, "updated", now);
    char *text = doc ? json_dumps(doc, JSON_INDENT(1)) : NULL;
    json_decref(doc);
    if (!text)
        return s3_oom(s, err);
    /* then a copy: on a store whose PUT is not atomic (s3rver writes the file in
       place), a write cut short leaves the object empty, and the copy holds the
       state before it, which is as good a place to resume (see s3_checkpoint_read) */
    sluice_status st = s3_put(s, s->ck_key, text, strlen(text), "application/json",
                              "could not write the checkpoint object", err);
    if (st == SLUICE_OK)
        st = s3_put(s, s->ck_copy_key, text, strlen(text), "application/json",
                    "could not write the checkpoint object's copy", err);
    free(text);
    return st;
}

static sluice_status bad_checkpoint(sinks3 *s, const char *why, sluice_error *err)
{
    s->host->error(err, SLUICE_FATAL, "checkpoint object \"%s\" is not valid", s->ck_key);
    s->host->error_detail(err, "%s", why);
    s->host->error_hint(err, "Delete it and its copy \"%s\" to start over (the full load runs "
                             "again), or give this pipeline another checkpoint_key.",
                        s->ck_copy_key);
    return SLUICE_FATAL;
}

/* Deletes the objects of a roll that did not finish, then records that. */
static sluice_status remove_pending(sinks3 *s, json_t *pending, const sluice_position *pos,
                                    sluice_error *err)
{
    size_t i;
    json_t *k;
    sbuf keys = {0};
    json_array_foreach(pending, i, k)
    {
        if (!json_is_string(k) || strchr(json_string_value(k), '\n')) {
            sb_free(&keys);
            return bad_checkpoint(s, "An entry of \"pending\" is not an object key.", err);
        }
        sb_printf(&keys, "%s\n", json_string_value(k));
    }
    if (!sb_cstr(&keys))
        return s3_oom(s, err);
    sluice_status st = s3_delete_keys(s, keys.data, err);
    sb_free(&keys);
    if (st != SLUICE_OK)
        return st;
    json_array_foreach(pending, i, k)
    {
        s->host->log(s->ctx, SLUICE_LOG_INFO,
                     "removed object \"%s\" of an unfinished change roll; its changes are "
                     "written again",
                     json_string_value(k));
    }
    s->host->count(s->ctx, "unfinished_objects_removed", json_array_size(pending));
    return json_array_size(pending) ? s3_checkpoint_write(s, pos, NULL, err) : SLUICE_OK;
}

/* The checkpoint object (or its copy) parsed, or NULL: *found says whether it exists. */
static json_t *load_object(sinks3 *s, const char *key, int *found, sluice_status *st,
                           sluice_error *err)
{
    sbuf body = {0};
    *found = 0;
    *st = s3_get(s, key, &body, found, err);
    json_error_t jerr;
    json_t *doc = *st == SLUICE_OK && *found ? json_loadb(body.data, body.len, 0, &jerr) : NULL;
    sb_free(&body);
    if (doc && !json_is_object(doc)) {
        json_decref(doc);
        doc = NULL;
    }
    return doc;
}

sluice_status s3_checkpoint_read(sinks3 *s, sluice_position *out, sluice_error *err)
{
    memset(out, 0, sizeof *out);
    int found;
    sluice_status st;
    json_t *doc = load_object(s, s->ck_key, &found, &st, err);
    if (st != SLUICE_OK || !found)
        return st; /* no checkpoint object: nothing written yet, or deleted to start over */
    int from_copy = !doc;
    if (from_copy) { /* a write cut short on a store whose PUT is not atomic: the copy */
        int copy_found;
        doc = load_object(s, s->ck_copy_key, &copy_found, &st, err);
        if (st != SLUICE_OK)
            return st;
        if (doc)
            s->host->log(s->ctx, SLUICE_LOG_WARNING,
                         "checkpoint object \"%s\" does not parse (a write cut short); resuming "
                         "from its copy \"%s\", written before it",
                         s->ck_key, s->ck_copy_key);
    }
    const char *hex = NULL;
    json_t *pending = NULL;
    if (!doc || json_unpack(doc, "{s:s, s?o}", "position", &hex, "pending", &pending) != 0 ||
        (pending && !json_is_array(pending))) {
        json_decref(doc);
        return bad_checkpoint(s, "It is not the JSON object sink-s3 writes.", err);
    }
    if (hex_decode(hex, out) != 0) {
        json_decref(doc);
        return bad_checkpoint(s, "Its \"position\" is not hexadecimal.", err);
    }
    st = pending ? remove_pending(s, pending, out, err) : SLUICE_OK;
    if (st == SLUICE_OK && from_copy && !json_array_size(pending))
        st = s3_checkpoint_write(s, out, NULL, err); /* mend the object (remove_pending did) */
    json_decref(doc);
    return st;
}

sluice_status s3_checkpoint_cleanup(sinks3 *s, sluice_error *err)
{
    /* `sluice cleanup`: the checkpoint object is the sink's own; the data stays */
    sluice_status st = s3_delete(s, s->ck_key, err);
    if (st == SLUICE_OK)
        st = s3_delete(s, s->ck_copy_key, err);
    if (st == SLUICE_OK)
        s->host->log(s->ctx, SLUICE_LOG_INFO, "removed the checkpoint object \"%s\"", s->ck_key);
    return st;
}
