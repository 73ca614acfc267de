/* Quoted identifiers appended to plugins/common's sbuf. */
#include <stdlib.h>
#include <string.h>

#include "source_pg.h"

void pg_buf_ident(sbuf *b, const char *name, size_t len)
{
    char *q = pg_quote_ident(name, len);
    if (!q) {
        b->failed = 1;
        return;
    }
    sb_put(b, q, strlen(q));
    free(q);
}
