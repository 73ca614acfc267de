/* Dates and times as the text protocol spells them: 'YYYY-MM-DD',
   '[-]HH:MM:SS[.f]' (hours up to 838), 'YYYY-MM-DD HH:MM:SS[.f]' with exactly
   the column's fractional digits. TIMESTAMP is UTC (sluice reads it with the
   session time zone UTC). Zero dates stay zero: '0000-00-00 00:00:00'. */
#include "mybl_int.h"

#include <stdio.h>

#include "civil.h"

size_t bl_frac_bytes(int fsp)
{
    return (size_t)(fsp + 1) / 2;
}

static uint32_t frac_us(const uint8_t *p, int fsp)
{
    switch (bl_frac_bytes(fsp)) {
    case 1: return p[0] * 10000u;
    case 2: return (uint32_t)get_be(p, 2) * 100u;
    case 3: return (uint32_t)get_be(p, 3);
    default: return 0;
    }
}

static void add_frac(mybl_buf *b, uint32_t us, int fsp)
{
    if (fsp <= 0)
        return;
    char t[16];
    snprintf(t, sizeof t, "%06u", us % 1000000u);
    buf_addc(b, '.');
    buf_add(b, t, (size_t)fsp);
}

void bl_date_text(uint32_t v, mybl_buf *b, int *zero)
{
    unsigned day = v & 31, month = (v >> 5) & 15, year = v >> 9;
    buf_addf(b, "%04u-%02u-%02u", year, month, day);
    *zero = !year || !month || !day;
}

void bl_time2_text(const uint8_t *p, int fsp, mybl_buf *b)
{
    int64_t intpart = (int64_t)get_be(p, 3) - 0x800000, frac = 0, packed;
    switch (fsp) {
    case 1: case 2:
        frac = p[3];
        if (intpart < 0 && frac) { /* the fraction counts up from the next lower second */
            intpart++;
            frac -= 0x100;
        }
        packed = intpart * (1 << 24) + frac * 10000;
        break;
    case 3: case 4:
        frac = (int64_t)get_be(p + 3, 2);
        if (intpart < 0 && frac) {
            intpart++;
            frac -= 0x10000;
        }
        packed = intpart * (1 << 24) + frac * 100;
        break;
    case 5: case 6:
        packed = (int64_t)get_be(p, 6) - INT64_C(0x800000000000);
        break;
    default:
        packed = intpart * (1 << 24);
        break;
    }
    int neg = packed < 0;
    uint64_t a = neg ? (uint64_t)-packed : (uint64_t)packed;
    uint64_t hms = a >> 24;
    unsigned hour = (unsigned)((hms >> 12) % 1024), minute = (unsigned)((hms >> 6) % 64),
             second = (unsigned)(hms % 64);
    buf_addf(b, "%s%02u:%02u:%02u", neg ? "-" : "", hour, minute, second);
    add_frac(b, (uint32_t)(a % (1 << 24)), fsp);
}

void bl_datetime2_text(const uint8_t *p, int fsp, mybl_buf *b, int *zero)
{
    uint64_t v = get_be(p, 5), intpart = v >= UINT64_C(0x8000000000) ? v - UINT64_C(0x8000000000) : 0;
    uint64_t ymd = intpart >> 17, ym = ymd >> 5, hms = intpart % (1 << 17);
    unsigned day = (unsigned)(ymd % 32), month = (unsigned)(ym % 13), year = (unsigned)(ym / 13);
    buf_addf(b, "%04u-%02u-%02u %02u:%02u:%02u", year, month, day, (unsigned)(hms >> 12),
             (unsigned)((hms >> 6) % 64), (unsigned)(hms % 64));
    add_frac(b, frac_us(p + 5, fsp), fsp);
    *zero = !year || !month || !day;
}

void bl_timestamp2_text(const uint8_t *p, int fsp, mybl_buf *b, int *zero)
{
    uint32_t secs = (uint32_t)get_be(p, 4);
    if (secs == 0) {
        buf_add(b, "0000-00-00 00:00:00", 19);
        add_frac(b, 0, fsp);
        *zero = 1;
        return;
    }
    int64_t y;
    unsigned m, d;
    civil_from_days(secs / 86400, &y, &m, &d);
    uint32_t t = secs % 86400;
    buf_addf(b, "%04lld-%02u-%02u %02u:%02u:%02u", (long long)y, m, d, t / 3600, t / 60 % 60,
             t % 60);
    add_frac(b, frac_us(p + 4, fsp), fsp);
    *zero = 0;
}

void bl_old_time_text(int32_t v, mybl_buf *b)
{
    uint32_t a = v < 0 ? (uint32_t)-(int64_t)v : (uint32_t)v;
    buf_addf(b, "%s%02u:%02u:%02u", v < 0 ? "-" : "", a / 10000, a / 100 % 100, a % 100);
}

void bl_old_datetime_text(uint64_t v, mybl_buf *b, int *zero)
{
    uint64_t d = v / 1000000, t = v % 1000000;
    unsigned year = (unsigned)(d / 10000 % 10000), month = (unsigned)(d / 100 % 100),
             day = (unsigned)(d % 100);
    buf_addf(b, "%04u-%02u-%02u %02u:%02u:%02u", year, month, day, (unsigned)(t / 10000),
             (unsigned)(t / 100 % 100), (unsigned)(t % 100));
    *zero = !year || !month || !day;
}
