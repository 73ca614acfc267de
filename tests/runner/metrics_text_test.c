/* metrics_text(): label escaping, figures that appear only once known, and the
   counters' values, on a stats block filled by hand. */
#include <stdlib.h>
#include <string.h>

#include "../unit.h"
#include "metrics_text.h"

int main(void)
{
    stats *s = stats_new("p\"1", "full-load-and-cdc");
    /* a table name with a quote, a backslash and a line feed in it */
    uint32_t t = stats_add_table(s, "we\"ird", 6, "a\\b\nc", 5, 40);
    stats_add_table(s, "public", 6, "plain", 5, 10);
    atomic_store(&s->tables[t].rows_loaded, 12);
    atomic_store(&s->tables[t].inserts, 3);
    atomic_store(&s->tables[t].state, TABLE_LOADED);
    stats_plugin_count(s, "sink-pg", "rows_rejected", 2);

    size_t len = 0;
    char *text = metrics_text(s, &len);
    CHECK(text && strlen(text) == len && text[len - 1] == '\n');
    CHECK_CONTAINS(text, "sluice_table_rows_loaded_total{pipeline=\"p\\\"1\","
                         "table=\"we\\\"ird.a\\\\b\\nc\"} 12\n");
    CHECK_CONTAINS(text,
                   "sluice_table_inserts_total{pipeline=\"p\\\"1\",table=\"public.plain\"} 0\n");
    CHECK_CONTAINS(text, "sluice_full_load_tables_loaded{pipeline=\"p\\\"1\"} 1\n");
    CHECK_CONTAINS(text, "sluice_full_load_rows_estimated{pipeline=\"p\\\"1\"} 50\n");
    CHECK_CONTAINS(text, "sluice_rows_rejected_total{pipeline=\"p\\\"1\",plugin=\"sink-pg\"} 2\n");
    CHECK_CONTAINS(text, "# TYPE sluice_target_latency_seconds gauge\n");
    /* unknown figures: the family is declared, no sample */
    CHECK(!strstr(text, "sluice_target_latency_seconds{"));
    CHECK(!strstr(text, "sluice_source_retained_bytes{"));
    free(text);

    int64_t now = now_us();
    atomic_store(&s->last_capture_source_us, now - 250000);
    atomic_store(&s->last_capture_us, now);
    atomic_store(&s->last_commit_source_us, now - 250000);
    atomic_store(&s->last_commit_target_us, now + 1500000);
    atomic_store(&s->source_retained_bytes, 4096);
    text = metrics_text(s, &len);
    CHECK_CONTAINS(text, "sluice_source_latency_seconds{pipeline=\"p\\\"1\"} 0.250000\n");
    CHECK_CONTAINS(text, "sluice_target_latency_seconds{pipeline=\"p\\\"1\"} 1.750000\n");
    CHECK_CONTAINS(text, "sluice_source_retained_bytes{pipeline=\"p\\\"1\"} 4096\n");
    CHECK(!strstr(text, "sluice_source_spilled_bytes_total{"));
    /* every line: a comment or name{...} value; HELP before TYPE */
    for (char *line = text; *line;) {
        char *end = strchr(line, '\n');
        CHECK(end != NULL);
        if (!end)
            break;
        CHECK(strncmp(line, "# HELP sluice_", 14) == 0 ||
              strncmp(line, "# TYPE sluice_", 14) == 0 ||
              (strncmp(line, "sluice_", 7) == 0 && memchr(line, '{', (size_t)(end - line))));
        line = end + 1;
    }
    free(text);
    stats_free(s);
    return unit_done();
}
