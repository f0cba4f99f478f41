#include "gw/queue.h"

#include <stdlib.h>
#include <string.h>

#include "rt/err.h"

#define QUEUE_CAP_MAX ((size_t)1 << 20)

int gw_queue_init(gw_queue_t *q, size_t cap)
{
    if (q == NULL || cap == 0 || cap > QUEUE_CAP_MAX)
        return RT_EINVAL;
    gw_item_t *items = calloc(cap, sizeof *items);
    if (items == NULL)
        return RT_ENOMEM;
    memset(q, 0, sizeof *q);
    q->items = items;
    q->cap = cap;
    return RT_OK;
}

void gw_queue_cleanup(gw_queue_t *q)
{
    if (q == NULL)
        return;
    free(q->items);
    memset(q, 0, sizeof *q);
}

int gw_queue_push(gw_queue_t *q, const gw_item_t *it)
{
    if (q->len == q->cap) {
        q->dropped++;
        return RT_ETOOBIG;
    }
    q->items[(q->head + q->len) % q->cap] = *it;
    q->len++;
    return RT_OK;
}

const gw_item_t *gw_queue_peek(const gw_queue_t *q)
{
    return q->len ? &q->items[q->head] : NULL;
}

void gw_queue_pop(gw_queue_t *q)
{
    if (q->len == 0)
        return;
    q->head = (q->head + 1) % q->cap;
    q->len--;
}

size_t gw_queue_len(const gw_queue_t *q)
{
    return q->len;
}
