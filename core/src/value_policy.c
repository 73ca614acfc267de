/*
 * The value policies of type rules, run per value. Values arrive in canonical
 * text (or as a 64-bit integer); what a policy writes is new canonical text
 * in the batch arena, so the source's bytes are never touched.
 */
#include "value_policy.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "report.h"
#include "value_mask.h"

#define SHOWN_CHARS 100 /* characters of a refused value a message shows */

static const char *const convert_names[] = {
    [VP_KEEP] = "", [VP_INT_TO_BOOL] = "int_to_bool", [VP_SET_TO_ARRAY] = "set_to_array",
    [VP_UNSIGNED] = "unsigned"};

vp_convert value_policy_convert(const char *name)
{
    for (int i = 1; i < (int)(sizeof convert_names / sizeof convert_names[0]); i++)
        if (strcmp(name, convert_names[i]) == 0)
            return (vp_convert)i;
    return VP_KEEP;
}

const char *value_policy_convert_name(vp_convert c)
{
    return c < sizeof convert_names / sizeof convert_names[0] ? convert_names[c] : "";
}

int value_policy_active(const value_policy *vp)
{
    return vp->convert || vp->zero_date || vp->max_chars > 0 || vp->zone || vp->mask;
}

static int digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

int value_policy_zero_date(const char *s, size_t len)
{
    if (len < 10 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
        !digits(s + 8, 2) || (len > 10 && s[10] != ' ' && s[10] != 'T'))
        return 0;
    return memcmp(s, "0000", 4) == 0 || memcmp(s + 5, "00", 2) == 0 || memcmp(s + 8, "00", 2) == 0;
}

/* A SET value "a,b" as an array literal: elements quoted where PostgreSQL's
   array input would misread them (empty, NULL, spaces, quotes, braces). */
static char *set_literal(const char *s, size_t len, size_t *out_len)
{
    char *out = malloc(len * 2 + 4 + 2 * (len + 1)); /* every byte escaped, every element quoted */
    if (!out)
        return NULL;
    size_t n = 0;
    out[n++] = '{';
    for (size_t i = 0; len > 0 && i <= len;) {
        size_t e = i;
        while (e < len && s[e] != ',')
            e++;
        int quote = e == i || (e - i == 4 && strncasecmp(s + i, "null", 4) == 0);
        for (size_t k = i; k < e && !quote; k++)
            quote = strchr("\"\\{} \t\n\r\v\f", s[k]) != NULL;
        if (i > 0)
            out[n++] = ',';
        if (quote)
            out[n++] = '"';
        for (size_t k = i; k < e; k++) {
            if (quote && (s[k] == '"' || s[k] == '\\'))
                out[n++] = '\\';
            out[n++] = s[k];
        }
        if (quote)
            out[n++] = '"';
        i = e + 1;
    }
    out[n++] = '}';
    *out_len = n;
    return out;
}

/* "YYYY-MM-DD HH:MM:SS[.ffffff]" → seconds as if UTC, and where the text ends. */
static int parse_local(const char *s, size_t len, int64_t *local, size_t *end)
{
    if (len < 19 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
        !digits(s + 8, 2) || (s[10] != ' ' && s[10] != 'T') || !digits(s + 11, 2) ||
        s[13] != ':' || !digits(s + 14, 2) || s[16] != ':' || !digits(s + 17, 2))
        return -1;
    int y = atoi(s), mo = atoi(s + 5), d = atoi(s + 8);
    int h = atoi(s + 11), mi = atoi(s + 14), sec = atoi(s + 17);
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -1;
    size_t i = 19;
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && isdigit((unsigned char)s[i]))
            i++;
    }
    if (i != len)
        return -1; /* an offset already, or something that is no timestamp */
    *local = tz_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec;
    *end = i;
    return 0;
}

static size_t format_offset(int32_t off, char *buf, size_t size)
{
    char sign = off < 0 ? '-' : '+';
    int32_t a = off < 0 ? -off : off;
    if (a % 3600 == 0)
        return (size_t)snprintf(buf, size, "%c%02d", sign, (int)(a / 3600));
    if (a % 60 == 0)
        return (size_t)snprintf(buf, size, "%c%02d:%02d", sign, (int)(a / 3600),
                                (int)(a / 60 % 60));
    return (size_t)snprintf(buf, size, "%c%02d:%02d:%02d", sign, (int)(a / 3600),
                            (int)(a / 60 % 60), (int)(a % 60));
}

static int refuse(char *why, size_t size, const char **hint, const char *h, const char *fmt,
                  const char *arg)
{
    snprintf(why, size, fmt, arg);
    *hint = h;
    return 1;
}

static size_t utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

int value_policy_apply(const value_policy *vp, sluice_batch *b, sluice_value *v, char *why,
                       size_t whysize, const char **hint)
{
    const sluice_host *h = host_api();
    if (vp->mask) { /* first: what the other steps see (and a refusal shows) is masked */
        int rc = value_mask_apply(vp, b, v, why, whysize, hint);
        if (rc != 0)
            return rc;
    }
    if (v->kind != SLUICE_VALUE_TEXT && v->kind != SLUICE_VALUE_INT)
        return 0; /* NULL passes; unchanged is not there to look at */
    char num[32];
    const char *s = v->u.bytes;
    size_t len = v->len;
    if (v->kind == SLUICE_VALUE_INT) {
        len = (size_t)(vp->convert == VP_UNSIGNED
                           ? snprintf(num, sizeof num, "%" PRIu64, (uint64_t)v->u.i)
                           : snprintf(num, sizeof num, "%" PRId64, v->u.i));
        s = num;
    }
    int changed = v->kind == SLUICE_VALUE_INT && vp->convert == VP_UNSIGNED && v->u.i < 0;
    if (vp->zero_date && value_policy_zero_date(s, len)) {
        if (vp->zero_date == VP_ZERO_NULL) {
            *v = (sluice_value){.kind = SLUICE_VALUE_NULL};
            return 0;
        }
        if (vp->zero_date == VP_ZERO_ERROR)
            return refuse(why, whysize, hint,
                          "Choose zero_date = \"null\" or a date for this type in type_rules, "
                          "or fix the row at the source.",
                          "is a zero date (value policy zero_date = \"%s\")", "error");
        s = vp->zero_value;
        len = strlen(s);
        changed = 1;
    }
    char *owned = NULL;
    if (vp->convert == VP_INT_TO_BOOL) {
        if (len == 1 && (s[0] == '0' || s[0] == '1')) {
            s = s[0] == '1' ? "true" : "false";
            len = strlen(s);
            changed = 1;
        } else {
            return refuse(why, whysize, hint,
                          "Map the type to smallint in type_rules, e.g. type_rules = { "
                          "[\"tinyint(1)\"] = { type = \"smallint\" } }.",
                          "is not 0 or 1 (value policy %s)", "int_to_bool");
        }
    } else if (vp->convert == VP_SET_TO_ARRAY) {
        if (!(owned = set_literal(s, len, &len)))
            return -1;
        s = owned;
        changed = 1;
    }
    char stamp[128];
    if (vp->zone) {
        int64_t local;
        size_t end;
        int32_t off;
        if (len >= sizeof stamp - 16 || parse_local(s, len, &local, &end) != 0) {
            free(owned);
            return refuse(why, whysize, hint, "The time_zone policy reads "
                          "\"YYYY-MM-DD HH:MM:SS[.ffffff]\" without an offset.",
                          "is not a timestamp without time zone (value policy time_zone = "
                          "\"%s\")", tz_name(vp->zone));
        }
        if (tz_local_offset(vp->zone, local, &off) != 0) {
            free(owned);
            return refuse(why, whysize, hint, "The clocks there skipped this time (a "
                          "daylight-saving change); fix the row or read it in another zone.",
                          "never happened in time zone %s (value policy time_zone)",
                          tz_name(vp->zone));
        }
        memcpy(stamp, s, len);
        stamp[10] = ' ';
        len += format_offset(off, stamp + len, sizeof stamp - len);
        s = stamp;
        changed = 1;
    }
    if (vp->max_chars > 0 && len > (size_t)vp->max_chars) {
        size_t chars = utf8_chars(s, len);
        if (chars > (size_t)vp->max_chars) {
            char text[96];
            snprintf(text, sizeof text, "%zu characters, more than the %d", chars,
                     (int)vp->max_chars);
            free(owned);
            return refuse(why, whysize, hint, "Widen the target type in type_rules or with a "
                          "change-data-type rule; sluice never truncates a value.",
                          "has %s the target column holds (value policy length)", text);
        }
    }
    int rc = changed ? h->set_text(b, v, s, len) : 0;
    free(owned);
    return rc != 0 ? -1 : 0;
}

void value_policy_reject(sluice_error *err, const sluice_table *t, sluice_str column,
                         const sluice_value *v, const char *why, const char *hint)
{
    char num[32];
    const char *s = v->u.bytes;
    size_t len = v->len, cut = 0, chars = 0;
    if (v->kind == SLUICE_VALUE_INT)
        s = num, len = (size_t)snprintf(num, sizeof num, "%" PRId64, v->u.i);
    while (cut < len && chars < SHOWN_CHARS) { /* whole UTF-8 characters only */
        cut++;
        while (cut < len && ((unsigned char)s[cut] & 0xC0) == 0x80)
            cut++;
        chars++;
    }
    error_set(err, SLUICE_ERROR, "table \"%.*s.%.*s\", column \"%.*s\": value \"%.*s%s\" %s",
              (int)t->schema.len, t->schema.ptr, (int)t->name.len, t->name.ptr,
              (int)column.len, column.ptr, (int)cut, s, cut < len ? "..." : "", why);
    if (hint)
        error_hint(err, "%s", hint);
}
