/* NEWDECIMAL's packed format: groups of 9 digits in 4 big-endian bytes, a
   shorter group for the leftover digits at either end, the sign in the top
   bit (set for positive), and negative numbers stored as the complement. */
#include "mybl_int.h"

#include <stdio.h>
#include <string.h>

static const int dig2bytes[10] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};
static const uint32_t pow10[10] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
                                   100000000, 1000000000};

size_t bl_decimal_size(int precision, int scale)
{
    if (precision < 1 || precision > 65 || scale < 0 || scale > 38 || scale > precision)
        return 0;
    int intg = precision - scale;
    return (size_t)(intg / 9 * 4 + dig2bytes[intg % 9] + scale / 9 * 4 + dig2bytes[scale % 9]);
}

/* Reads one group of `digits` digits (9 for a full one) from d at *pos. */
static int group(const uint8_t *d, size_t *pos, int digits, uint32_t *v)
{
    int n = dig2bytes[digits];
    *v = (uint32_t)get_be(d + *pos, (size_t)n);
    *pos += (size_t)n;
    return *v < pow10[digits] ? 0 : -1;
}

int bl_decimal_text(const uint8_t *p, int precision, int scale, mybl_buf *b)
{
    uint8_t d[40] = {0}; /* size <= 30: precision <= 65, checked with the table map */
    size_t size = bl_decimal_size(precision, scale), pos = 0;
    memcpy(d, p, size);
    int neg = !(d[0] & 0x80);
    d[0] ^= 0x80;
    if (neg)
        for (size_t i = 0; i < size; i++)
            d[i] ^= 0xff;
    int intg = precision - scale;
    char digits[160];
    size_t n = 0;
    uint32_t v;
    if (intg % 9) {
        if (group(d, &pos, intg % 9, &v) != 0)
            return -1;
        n += (size_t)snprintf(digits + n, sizeof digits - n, "%u", v);
    }
    for (int i = 0; i < intg / 9; i++) {
        if (group(d, &pos, 9, &v) != 0)
            return -1;
        n += (size_t)snprintf(digits + n, sizeof digits - n, "%09u", v);
    }
    size_t lead = 0;
    while (lead < n && digits[lead] == '0')
        lead++;
    char frac[80];
    size_t f = 0;
    for (int i = 0; i < scale / 9; i++) {
        if (group(d, &pos, 9, &v) != 0)
            return -1;
        f += (size_t)snprintf(frac + f, sizeof frac - f, "%09u", v);
    }
    if (scale % 9) {
        if (group(d, &pos, scale % 9, &v) != 0)
            return -1;
        f += (size_t)snprintf(frac + f, sizeof frac - f, "%0*u", scale % 9, v);
    }
    int nonzero = lead < n || strspn(frac, "0") < f;
    if (neg && nonzero)
        buf_addc(b, '-');
    if (lead < n)
        buf_add(b, digits + lead, n - lead);
    else
        buf_addc(b, '0');
    if (f) {
        buf_addc(b, '.');
        buf_add(b, frac, f);
    }
    return 0;
}
