/*
 * Positions. The bytes: a version byte, the event's cluster time (t, i) and
 * the upsert horizon (t, i), 4 big-endian bytes each, then the resume token's
 * BSON (none: start at the cluster time, startAtOperationTime). Positions
 * order by cluster time, then by the token's _data, which the server builds
 * to sort in stream order. Printed "T.I" and, with a token, " token _DATA".
 *
 * The horizon is the cluster time the full load had reached when change
 * capture began: events up to it may already be in the loaded rows, so they
 * are applied as upserts (stream.c). It travels in every position so that a
 * restart inside that stretch still knows it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source_mongo.h"

#define POS_VERSION 1
#define POS_HEAD 17

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8),
    p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int mg_pos_set(sluice_position *p, const mg_pos *in)
{
    if (POS_HEAD + (size_t)in->token_len > SLUICE_POSITION_MAX)
        return -1;
    p->bytes[0] = POS_VERSION;
    put32(p->bytes + 1, in->t);
    put32(p->bytes + 5, in->i);
    put32(p->bytes + 9, in->horizon_t);
    put32(p->bytes + 13, in->horizon_i);
    if (in->token_len)
        memmove(p->bytes + POS_HEAD, in->token, in->token_len);
    p->len = POS_HEAD + in->token_len;
    return 0;
}

int mg_pos_get(const sluice_position *p, mg_pos *out)
{
    if (!p || p->len < POS_HEAD || p->bytes[0] != POS_VERSION)
        return -1;
    out->t = get32(p->bytes + 1);
    out->i = get32(p->bytes + 5);
    out->horizon_t = get32(p->bytes + 9);
    out->horizon_i = get32(p->bytes + 13);
    out->token_len = p->len - POS_HEAD;
    out->token = out->token_len ? p->bytes + POS_HEAD : NULL;
    if (out->token_len) {
        bson_t doc;
        if (!bson_init_static(&doc, out->token, out->token_len) || !bson_validate(&doc, 0, NULL))
            return -1;
    }
    return 0;
}

/* the token's _data string, or "" */
static const char *token_data(const mg_pos *p, bson_t *doc)
{
    bson_iter_t it;
    if (p->token_len && bson_init_static(doc, p->token, p->token_len) &&
        bson_iter_init_find(&it, doc, "_data") && BSON_ITER_HOLDS_UTF8(&it))
        return bson_iter_utf8(&it, NULL);
    return "";
}

static int hex_u32(const char *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int k = 0; k < 8; k++) {
        char c = p[k];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v << 4 | (uint32_t)d;
    }
    *out = v;
    return 0;
}

int mg_token_time(const bson_t *token, uint32_t *t, uint32_t *i)
{
    bson_iter_t it;
    if (!bson_iter_init_find(&it, token, "_data") || !BSON_ITER_HOLDS_UTF8(&it))
        return -1;
    uint32_t len;
    const char *d = bson_iter_utf8(&it, &len);
    /* KeyString: 0x82 is a Timestamp, then its seconds and increment */
    if (len < 18 || d[0] != '8' || d[1] != '2')
        return -1;
    return hex_u32(d + 2, t) == 0 && hex_u32(d + 10, i) == 0 ? 0 : -1;
}

int mg_position_compare(const sluice_position *a, const sluice_position *b)
{
    mg_pos pa = {0}, pb = {0};
    int ga = mg_pos_get(a, &pa), gb = mg_pos_get(b, &pb);
    if (ga != 0 || gb != 0)
        return (ga != 0) - (gb != 0);
    int c = memcmp(a->bytes + 1, b->bytes + 1, 8); /* cluster time */
    if (c != 0)
        return c;
    bson_t da, db;
    c = strcmp(token_data(&pa, &da), token_data(&pb, &db));
    return (c > 0) - (c < 0);
}

size_t mg_position_format(const sluice_position *p, char *buf, size_t size)
{
    mg_pos pos;
    int n;
    if (mg_pos_get(p, &pos) != 0) {
        n = snprintf(buf, size, "(invalid position of %u bytes)", (unsigned)p->len);
    } else {
        bson_t doc;
        const char *data = token_data(&pos, &doc);
        n = snprintf(buf, size, "%u.%u%s%s", pos.t, pos.i, *data ? " token " : "", data);
    }
    return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size ? size - 1 : 0;
}

static sluice_status bad_text(const char *text, sluice_error *err)
{
    err->status = SLUICE_ERROR;
    snprintf(err->message, sizeof err->message, "invalid change stream position: \"%s\"", text);
    snprintf(err->detail, sizeof err->detail,
             "A position is a cluster time T.I (seconds and increment of a BSON Timestamp), "
             "optionally followed by \" token \" and a resume token's _data.");
    snprintf(err->hint, sizeof err->hint,
             "Write it as sluice status shows it, like 1700000100.1, or as a cluster time.");
    return SLUICE_ERROR;
}

sluice_status mg_position_parse(const char *text, sluice_position *out, sluice_error *err)
{
    unsigned long t = 0, i = 0;
    int used = 0;
    char data[SLUICE_POSITION_MAX];
    data[0] = '\0';
    if (sscanf(text, "%lu.%lu%n", &t, &i, &used) < 2 || t > UINT32_MAX || i > UINT32_MAX)
        return bad_text(text, err);
    const char *rest = text + used;
    if (strncmp(rest, " token ", 7) == 0 && strlen(rest + 7) < sizeof data)
        snprintf(data, sizeof data, "%s", rest + 7);
    else if (*rest)
        return bad_text(text, err);
    bson_t *token = data[0] ? BCON_NEW("_data", BCON_UTF8(data)) : NULL;
    mg_pos p = {.t = (uint32_t)t, .i = (uint32_t)i,
                .token = token ? bson_get_data(token) : NULL, .token_len = token ? token->len : 0};
    int rc = mg_pos_set(out, &p);
    if (token)
        bson_destroy(token);
    return rc == 0 ? SLUICE_OK : bad_text(text, err);
}
