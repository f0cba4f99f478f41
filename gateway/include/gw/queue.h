/* The hand-off between the WebSocket callback and the service loop: a bounded FIFO of parsed
 * events. The callback pushes (parse, validate, push, return); the loop pops and publishes.
 * Both run on the loop's thread (lws_service is called from the loop), so there is no lock.
 * When the queue is full the new event is dropped and counted: a lost closing kline is
 * recovered by the gap check (gw/candles.h), a lost update or ticker is superseded by the
 * next one. */
#ifndef GW_QUEUE_H
#define GW_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "gw/parse.h"

/** One queued event and when its frame arrived (rt_time_mono_ns, for the latency). */
typedef struct {
    gw_event_t ev;
    int64_t arrival_ns;
    size_t conn; /* connection it came on */
} gw_item_t;

typedef struct {
    gw_item_t *items;
    size_t cap, head, len;
    uint64_t dropped; /* pushes refused because the queue was full */
} gw_queue_t;

/** Allocates room for cap (1..1048576) items. Returns 0, RT_EINVAL, RT_ENOMEM. */
int gw_queue_init(gw_queue_t *q, size_t cap);

/** Frees the room. NULL is a no-op. */
void gw_queue_cleanup(gw_queue_t *q);

/** Appends a copy of *it. Returns 0, or RT_ETOOBIG when full (counted in q->dropped). */
int gw_queue_push(gw_queue_t *q, const gw_item_t *it);

/** The oldest item, borrowed until the next pop or push; NULL when empty. */
const gw_item_t *gw_queue_peek(const gw_queue_t *q);

/** Removes the oldest item (no-op when empty). */
void gw_queue_pop(gw_queue_t *q);

/** Items waiting. */
size_t gw_queue_len(const gw_queue_t *q);

#endif
