/*
 * A bounded FIFO of batches between two threads. Two of them make a lane: the
 * "full" queue carries filled batches to the consumer and the "free" queue
 * carries empty ones back. The producer blocks on the free queue when the
 * consumer is slow: that is the backpressure, and memory stays bounded at the
 * number of batches the lane was given.
 */
#ifndef SLUICE_QUEUE_H
#define SLUICE_QUEUE_H

#include <pthread.h>
#include <stdatomic.h>
#include <sluice/sluice.h>

typedef struct batch_queue {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    sluice_batch **items;
    unsigned capacity, head, count;
    int closed;
    atomic_int_fast64_t *gauge; /* NULL, or a shared count of queued batches (metrics) */
} batch_queue;

int queue_init(batch_queue *q, unsigned capacity);
/* Keeps *gauge up to date with this queue's batches from now on (set before use). */
void queue_set_gauge(batch_queue *q, atomic_int_fast64_t *gauge);
void queue_destroy(batch_queue *q);
/* Blocks while full. */
void queue_push(batch_queue *q, sluice_batch *b);
/* Blocks while empty; NULL once the queue is closed and drained. */
sluice_batch *queue_pop(batch_queue *q);
/* Like queue_pop but gives up after timeout_ms (returns NULL; *closed tells why). */
sluice_batch *queue_pop_timed(batch_queue *q, int timeout_ms, int *closed);
void queue_close(batch_queue *q);
unsigned queue_count(batch_queue *q);

#endif
