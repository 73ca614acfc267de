/* Text spellings shared by the value decoders: FLOAT / DOUBLE as the server's
   text protocol prints them, latin1 to UTF-8, collation classes. */
#include "mybl_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The server's my_gcvt(): the shortest digits that read back as the value
   (at most 6 for FLOAT, whose value is first widened to double), in 'f'
   format unless the exponent is below -14 or above 15 with no fraction. */
void bl_float_text(double x, int is_float, mybl_buf *b)
{
    if (x == 0) {
        buf_add(b, signbit(x) ? "-0" : "0", signbit(x) ? 2 : 1);
        return;
    }
    if (!isfinite(x)) {
        buf_add(b, isnan(x) ? "nan" : x < 0 ? "-inf" : "inf", isnan(x) ? 3 : x < 0 ? 4 : 3);
        return;
    }
    int maxdig = is_float ? 6 : 17;
    char e[40];
    for (int k = 1; k <= maxdig; k++) {
        snprintf(e, sizeof e, "%.*e", k - 1, x);
        if (k == maxdig || strtod(e, NULL) == x)
            break;
    }
    /* e is "-d.ddde[+-]XX": collect digits and the decimal exponent */
    char dig[24];
    int len = 0, neg = e[0] == '-';
    const char *s = e + neg;
    for (; *s && *s != 'e'; s++)
        if (*s >= '0' && *s <= '9')
            dig[len++] = *s;
    int decpt = atoi(s + 1) + 1;
    while (len > 1 && dig[len - 1] == '0')
        len--;
    if (neg)
        buf_addc(b, '-');
    if (decpt >= -14 && (decpt <= 15 || len > decpt)) {
        if (decpt <= 0) {
            buf_add(b, "0.", 2);
            for (int i = 0; i < -decpt; i++)
                buf_addc(b, '0');
            buf_add(b, dig, (size_t)len);
        } else if (decpt < len) {
            buf_add(b, dig, (size_t)decpt);
            buf_addc(b, '.');
            buf_add(b, dig + decpt, (size_t)(len - decpt));
        } else {
            buf_add(b, dig, (size_t)len);
            for (int i = len; i < decpt; i++)
                buf_addc(b, '0');
        }
        return;
    }
    buf_addc(b, dig[0]);
    if (len > 1) {
        buf_addc(b, '.');
        buf_add(b, dig + 1, (size_t)(len - 1));
    }
    buf_addf(b, "e%d", decpt - 1);
}

/* MySQL's latin1 is Windows-1252: 0x80-0x9f are typographic characters
   (five unassigned ones map to the C1 controls, as MySQL does). */
static const uint16_t cp1252[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

void bl_latin1_to_utf8(const uint8_t *p, size_t n, mybl_buf *b)
{
    for (size_t i = 0; i < n; i++) {
        unsigned c = p[i] >= 0x80 && p[i] < 0xa0 ? cp1252[p[i] - 0x80] : p[i];
        if (c < 0x80) {
            buf_addc(b, (char)c);
        } else if (c < 0x800) {
            buf_addc(b, (char)(0xc0 | c >> 6));
            buf_addc(b, (char)(0x80 | (c & 0x3f)));
        } else {
            buf_addc(b, (char)(0xe0 | c >> 12));
            buf_addc(b, (char)(0x80 | ((c >> 6) & 0x3f)));
            buf_addc(b, (char)(0x80 | (c & 0x3f)));
        }
    }
}

int bl_collation_class(uint32_t id)
{
    if (id == 63)
        return 3;
    if (id == 5 || id == 8 || id == 15 || id == 31 || (id >= 47 && id <= 49) || id == 94 ||
        id == 1029 || id == 1032 || id == 1071)
        return 2; /* latin1_*, including MariaDB's _nopad_ ones */
    if (id == 11 || id == 65 || id == 1035 || id == 1089 || /* ascii */
        id == 33 || id == 45 || id == 46 || id == 76 || id == 83 ||
        (id >= 192 && id <= 247) || (id >= 255 && id <= 323) || /* utf8mb3 / utf8mb4 */
        id == 1057 || id == 1069 || id == 1070 || id == 1107 || id == 1119 ||
        (id >= 1216 && id <= 1271))
        return 1;
    return 0;
}
