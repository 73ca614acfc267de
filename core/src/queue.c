#include "queue.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

int queue_init(batch_queue *q, unsigned capacity)
{
    q->gauge = NULL;
    q->count = 0;
    q->items = calloc(capacity, sizeof *q->items);
    if (!q->items)
        return -1;
    q->capacity = capacity;
    q->head = q->count = 0;
    q->closed = 0;
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->changed, NULL);
    return 0;
}

void queue_set_gauge(batch_queue *q, atomic_int_fast64_t *gauge) { q->gauge = gauge; }

void queue_destroy(batch_queue *q)
{
    if (q->gauge) /* batches a failed lane left behind are no longer waiting */
        atomic_fetch_sub(q->gauge, (int_fast64_t)q->count);
    free(q->items);
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->changed);
}

void queue_push(batch_queue *q, sluice_batch *b)
{
    pthread_mutex_lock(&q->lock);
    while (q->count == q->capacity)
        pthread_cond_wait(&q->changed, &q->lock);
    q->items[(q->head + q->count) % q->capacity] = b;
    q->count++;
    if (q->gauge)
        atomic_fetch_add(q->gauge, 1);
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->lock);
}

static sluice_batch *take(batch_queue *q)
{
    sluice_batch *b = q->items[q->head];
    q->head = (q->head + 1) % q->capacity;
    q->count--;
    if (q->gauge)
        atomic_fetch_sub(q->gauge, 1);
    pthread_cond_broadcast(&q->changed);
    return b;
}

sluice_batch *queue_pop(batch_queue *q)
{
    pthread_mutex_lock(&q->lock);
    while (q->count == 0 && !q->closed)
        pthread_cond_wait(&q->changed, &q->lock);
    sluice_batch *b = q->count ? take(q) : NULL;
    pthread_mutex_unlock(&q->lock);
    return b;
}

sluice_batch *queue_pop_timed(batch_queue *q, int timeout_ms, int *closed)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&q->lock);
    int rc = 0;
    while (q->count == 0 && !q->closed && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&q->changed, &q->lock, &deadline);
    sluice_batch *b = q->count ? take(q) : NULL;
    if (closed)
        *closed = q->closed && q->count == 0;
    pthread_mutex_unlock(&q->lock);
    return b;
}

void queue_close(batch_queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->closed = 1;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->lock);
}

unsigned queue_count(batch_queue *q)
{
    pthread_mutex_lock(&q->lock);
    unsigned n = q->count;
    pthread_mutex_unlock(&q->lock);
    return n;
}
