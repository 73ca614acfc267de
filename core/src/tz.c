/*
 * TZif reading (RFC 8536) and POSIX TZ rules, just enough to find the UTC
 * offset of an instant and of a local time in one zone. Only the version 2+
 * 64-bit block is used; a version 1 file (32-bit times only) is read as is.
 */
#include "tz.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TZ_FILE_MAX (1 << 20)
#define MAX_OFFSETS 64

/* One daylight-saving rule boundary of a POSIX TZ string. */
typedef struct tz_rule {
    char kind;       /* 'M' month.week.day, 'J' julian 1..365, 'D' day 0..365 */
    int m, w, d;
    int32_t time;    /* seconds after local midnight */
} tz_rule;

struct tz_zone {
    char *name;
    int64_t *times;    /* transitions (UTC), ascending */
    uint8_t *idx;      /* per transition: its type */
    int32_t *offsets;  /* per type: UTC offset */
    uint32_t ntimes, ntypes;
    int32_t first;     /* offset before the first transition */
    int has_rule;      /* the footer's rule applies after the last transition */
    int32_t std, dst;  /* footer offsets */
    int has_dst;
    tz_rule start, end;
};

int64_t tz_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int month_days(int64_t y, int m)
{
    static const int n[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return n[m - 1] + (m == 2 && leap(y));
}

static int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

/* The year of a day count since 1970. */
static int64_t year_of(int64_t days)
{
    int64_t y = 1970 + floor_div(days * 400, 146097);
    while (tz_days_from_civil(y, 1, 1) > days)
        y--;
    while (tz_days_from_civil(y + 1, 1, 1) <= days)
        y++;
    return y;
}

/* ---- POSIX TZ strings ("CET-1CEST,M3.5.0,M10.5.0/3") ---- */

static const char *parse_name(const char *s)
{
    if (*s == '<') {
        const char *e = strchr(s, '>');
        return e ? e + 1 : NULL;
    }
    const char *p = s;
    while (isalpha((unsigned char)*p))
        p++;
    return p - s >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]] into seconds; NULL on bad text. */
static const char *parse_hms(const char *s, int32_t *out)
{
    int sign = 1;
    if (*s == '+' || *s == '-')
        sign = *s++ == '-' ? -1 : 1;
    if (!isdigit((unsigned char)*s))
        return NULL;
    long parts[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        char *end;
        parts[i] = strtol(s, &end, 10);
        s = end;
        if (*s != ':' || i == 2)
            break;
        s++;
    }
    if (parts[0] > 167 || parts[1] > 59 || parts[2] > 59)
        return NULL;
    *out = (int32_t)(sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]));
    return s;
}

static const char *parse_rule(const char *s, tz_rule *r)
{
    char *end;
    r->time = 7200;
    if (*s == 'M') {
        r->kind = 'M';
        r->m = (int)strtol(s + 1, &end, 10);
        if (*end != '.')
            return NULL;
        r->w = (int)strtol(end + 1, &end, 10);
        if (*end != '.')
            return NULL;
        r->d = (int)strtol(end + 1, &end, 10);
        if (r->m < 1 || r->m > 12 || r->w < 1 || r->w > 5 || r->d < 0 || r->d > 6)
            return NULL;
    } else {
        r->kind = *s == 'J' ? 'J' : 'D';
        r->d = (int)strtol(s + (*s == 'J'), &end, 10);
        if (end == s + (*s == 'J') || r->d < 0 || r->d > 365)
            return NULL;
    }
    s = end;
    if (*s == '/')
        s = parse_hms(s + 1, &r->time);
    return s;
}

static int parse_posix(tz_zone *z, const char *s)
{
    int32_t off;
    if (!(s = parse_name(s)) || !(s = parse_hms(s, &off)))
        return -1;
    z->std = -off;
    z->has_rule = 1;
    if (!*s)
        return 0;
    if (!(s = parse_name(s)))
        return -1;
    z->has_dst = 1;
    z->dst = z->std + 3600;
    if (*s && *s != ',') {
        if (!(s = parse_hms(s, &off)))
            return -1;
        z->dst = -off;
    }
    if (!*s) /* no rule given: POSIX's default, the US rule */
        s = ",M3.2.0,M11.1.0";
    if (*s != ',' || !(s = parse_rule(s + 1, &z->start)) || *s != ',' ||
        !(s = parse_rule(s + 1, &z->end)))
        return -1;
    return *s ? -1 : 0;
}

/* The local-midnight day count (since 1970) a rule names in year y. */
static int64_t rule_day(const tz_rule *r, int64_t y)
{
    int64_t jan1 = tz_days_from_civil(y, 1, 1);
    if (r->kind == 'J') /* 1..365, February 29 never counted */
        return jan1 + r->d - 1 + (leap(y) && r->d >= 60);
    if (r->kind == 'D')
        return jan1 + r->d;
    int64_t first = tz_days_from_civil(y, (unsigned)r->m, 1);
    int wd = (int)(((first + 4) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
    int day = 1 + (r->d - wd + 7) % 7 + (r->w - 1) * 7;
    while (day > month_days(y, r->m))
        day -= 7;
    return first + day - 1;
}

static int32_t rule_offset(const tz_zone *z, int64_t utc)
{
    if (!z->has_dst)
        return z->std;
    int64_t y = year_of(floor_div(utc + z->std, 86400));
    int64_t start = rule_day(&z->start, y) * 86400 + z->start.time - z->std;
    int64_t end = rule_day(&z->end, y) * 86400 + z->end.time - z->dst;
    int in_dst = start < end ? utc >= start && utc < end : !(utc >= end && utc < start);
    return in_dst ? z->dst : z->std;
}

int32_t tz_offset_at(const tz_zone *z, int64_t utc)
{
    if (z->ntimes == 0 || utc < z->times[0])
        return z->ntimes == 0 && z->has_rule ? rule_offset(z, utc) : z->first;
    if (utc >= z->times[z->ntimes - 1] && z->has_rule)
        return rule_offset(z, utc);
    uint32_t lo = 0, hi = z->ntimes; /* the last transition at or before utc */
    while (hi - lo > 1) {
        uint32_t mid = (lo + hi) / 2;
        if (z->times[mid] <= utc)
            lo = mid;
        else
            hi = mid;
    }
    return z->offsets[z->idx[lo]];
}

int tz_local_offset(const tz_zone *z, int64_t local, int32_t *offset)
{
    int32_t cand[MAX_OFFSETS + 3];
    uint32_t n = 0;
    cand[n++] = z->first;
    for (uint32_t i = 0; i < z->ntypes && n < MAX_OFFSETS; i++)
        cand[n++] = z->offsets[i];
    if (z->has_rule) {
        cand[n++] = z->std;
        cand[n++] = z->dst;
    }
    int found = 0;
    int64_t best = 0;
    for (uint32_t i = 0; i < n; i++) {
        int64_t utc = local - cand[i];
        if (tz_offset_at(z, utc) == cand[i] && (!found || utc > best)) {
            best = utc; /* the latest instant: the offset after a turn-back */
            found = 1;
        }
    }
    if (!found)
        return 1;
    *offset = (int32_t)(local - best);
    return 0;
}

/* ---- TZif files ---- */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static int parse_tzif(tz_zone *z, const unsigned char *b, size_t len)
{
    if (len < 44 || memcmp(b, "TZif", 4) != 0)
        return -1;
    int v2 = b[4] >= '2';
    size_t tsize = 4;
    for (int pass = 0; pass < 2; pass++) {
        if (len < 44 || memcmp(b, "TZif", 4) != 0)
            return -1;
        uint32_t isut = be32(b + 20), isstd = be32(b + 24), leapn = be32(b + 28);
        uint32_t timen = be32(b + 32), typen = be32(b + 36), charn = be32(b + 40);
        size_t body = (size_t)timen * tsize + timen + (size_t)typen * 6 + charn +
                      (size_t)leapn * (tsize + 4) + isstd + isut;
        if (typen == 0 || 44 + body > len)
            return -1;
        if (pass == 0 && v2) { /* skip the 32-bit block */
            b += 44 + body;
            len -= 44 + body;
            tsize = 8;
            continue;
        }
        const unsigned char *p = b + 44;
        z->times = calloc(timen + 1, sizeof *z->times);
        z->idx = calloc(timen + 1, 1);
        z->offsets = calloc(typen, sizeof *z->offsets);
        if (!z->times || !z->idx || !z->offsets)
            return -1;
        for (uint32_t i = 0; i < timen; i++, p += tsize)
            z->times[i] = tsize == 8 ? be64(p) : (int32_t)be32(p);
        for (uint32_t i = 0; i < timen; i++, p++) {
            if (*p >= typen)
                return -1;
            z->idx[i] = *p;
        }
        for (uint32_t i = 0; i < typen; i++, p += 6)
            z->offsets[i] = (int32_t)be32(p);
        z->ntimes = timen;
        z->ntypes = typen;
        z->first = z->offsets[0];
        if (tsize == 8) { /* the footer: "\nPOSIX-TZ\n" */
            const char *f = (const char *)b + 44 + body;
            size_t flen = len - 44 - body;
            if (flen > 2 && f[0] == '\n' && f[1] != '\n') {
                char rule[128];
                const char *nl = memchr(f + 1, '\n', flen - 1);
                size_t n = nl ? (size_t)(nl - f - 1) : 0;
                if (n > 0 && n < sizeof rule) {
                    memcpy(rule, f + 1, n);
                    rule[n] = '\0';
                    if (parse_posix(z, rule) != 0)
                        return -1;
                }
            }
        }
        return 0;
    }
    return -1;
}

static int fixed_offset(const char *name, int32_t *out)
{
    if (strcasecmp(name, "UTC") == 0 || strcmp(name, "Z") == 0 || strcasecmp(name, "GMT") == 0) {
        *out = 0;
        return 0;
    }
    if (name[0] != '+' && name[0] != '-')
        return -1;
    const char *end = parse_hms(name, out);
    return end && !*end && *out > -86400 && *out < 86400 ? 0 : -1;
}

static unsigned char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *buf = malloc(TZ_FILE_MAX);
    *len = buf ? fread(buf, 1, TZ_FILE_MAX, f) : 0;
    fclose(f);
    return buf;
}

tz_zone *tz_load(const char *name, char *why, size_t whysize)
{
    tz_zone *z = calloc(1, sizeof *z);
    if (!z || !(z->name = strdup(name))) {
        free(z);
        snprintf(why, whysize, "out of memory");
        return NULL;
    }
    int32_t off;
    if (fixed_offset(name, &off) == 0) {
        z->first = off;
        return z;
    }
    if (!name[0] || name[0] == '/' || strstr(name, "..")) {
        snprintf(why, whysize, "\"%s\" is not a time zone name (\"Europe/Berlin\", \"UTC\", "
                 "\"+05:30\")", name);
        tz_free(z);
        return NULL;
    }
    const char *dir = getenv("TZDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
    size_t len = 0;
    unsigned char *buf = read_all(path, &len);
    int found = buf != NULL, rc = found ? parse_tzif(z, buf, len) : -1;
    free(buf);
    if (rc != 0) {
        if (found)
            snprintf(why, whysize, "%s is not a time zone file this reader understands", path);
        else
            snprintf(why, whysize, "unknown time zone \"%s\" (no file %s)", name, path);
        tz_free(z);
        return NULL;
    }
    return z;
}

void tz_free(tz_zone *z)
{
    if (!z)
        return;
    free(z->name);
    free(z->times);
    free(z->idx);
    free(z->offsets);
    free(z);
}

const char *tz_name(const tz_zone *z) { return z->name; }
