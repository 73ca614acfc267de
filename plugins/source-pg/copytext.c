/*
 * COPY text format fields (PostgreSQL's "COPY ... TO STDOUT" default format):
 * backslash escapes back to bytes, and integers for the INT fast path.
 */
#include <stdint.h>

#include "source_pg.h"

static int octal(char c) { return c >= '0' && c <= '7'; }

static int hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t pg_copy_unescape(const char *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        if (c != '\\' || i + 1 == n) {
            out[o++] = c;
            continue;
        }
        c = in[++i];
        switch (c) {
        case 'b': out[o++] = '\b'; break;
        case 'f': out[o++] = '\f'; break;
        case 'n': out[o++] = '\n'; break;
        case 'r': out[o++] = '\r'; break;
        case 't': out[o++] = '\t'; break;
        case 'v': out[o++] = '\v'; break;
        case 'x':
            if (i + 1 < n && hex(in[i + 1]) >= 0) {
                int v = hex(in[++i]);
                if (i + 1 < n && hex(in[i + 1]) >= 0)
                    v = v * 16 + hex(in[++i]);
                out[o++] = (char)v;
            } else {
                out[o++] = 'x';
            }
            break;
        default:
            if (octal(c)) {
                int v = c - '0';
                for (int k = 0; k < 2 && i + 1 < n && octal(in[i + 1]); k++)
                    v = v * 8 + (in[++i] - '0');
                out[o++] = (char)(v & 0xff);
            } else {
                out[o++] = c; /* \\ and any other escaped character stand for themselves */
            }
        }
    }
    return o;
}

