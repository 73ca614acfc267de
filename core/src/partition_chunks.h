/*
 * AWS DMS parallel-load by partitions as full-load chunks (ABI 1.4): the
 * source lists a table's partitions (list_partitions), and each chunk names
 * the partitions it reads (sluice_chunk.partitions).
 */
#ifndef SLUICE_PARTITION_CHUNKS_H
#define SLUICE_PARTITION_CHUNKS_H

#include <sluice/sluice.h>

#include "mapping_settings.h"

/* list_partitions' output: every partition, parents before their sub-partitions. */
struct sluice_partition_list {
    sluice_str *names;   /* owned copies */
    sluice_str *parents; /* "" for the table's own partitions */
    uint32_t *flags;     /* SLUICE_PARTITION_* */
    uint32_t count, capacity;
};

/* host->partition_add */
int partition_list_add(sluice_partition_list *l, sluice_str name, sluice_str parent,
                       uint32_t flags);
void partition_list_free(sluice_partition_list *l);

typedef struct partition_chunks {
    uint32_t count;          /* chunks; 0: the table is read whole */
    sluice_str **partitions; /* per chunk: the partitions it reads (into the list) */
    uint32_t *npartitions;
} partition_chunks;

/*
 * The chunks of table t by rule ts from its partition list l:
 * partitions-auto and subpartitions-auto: one per leaf partition (0 chunks
 * when the table has none: it loads whole). partitions-list: one per named
 * partition or subpartition (with its sub-partitions), then one for every
 * leaf none of them covers, when there is one. A name that is not a
 * partition of t, or one inside another named one (its rows would load
 * twice), is an error naming the rule. 0, or -1 with err.
 */
int partition_chunks_build(partition_chunks *pc, const map_table_settings *ts,
                           const sluice_partition_list *l, const sluice_table *t,
                           sluice_error *err);
void partition_chunks_free(partition_chunks *pc);

#endif
