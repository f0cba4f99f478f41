/* The gateway's service: market streams in, Redis out.
 *
 *   lws callback (ws.c)      parse + validate (gw/parse.h), push to the queue, return
 *   service loop (here)      pop, dedupe/order/backfill (gw/candles.h), format (rt/msg.h),
 *                            PUBLISH market:data:{S} / market:ticker:{S}, XADD
 *                            market:candles:{S}; reconnect with backoff; stale timer
 *   HTTP threads (rt/http.h) /health and /metrics, reading atomics only
 *
 * Everything but the HTTP handlers runs on the thread that calls gw_service_step. */
#ifndef GW_SERVICE_H
#define GW_SERVICE_H

#include <stdint.h>

#include "config.h"

typedef struct gw_service gw_service_t;

/** Builds the service from cfg (copied): Redis (bounded retry), the log sink on
 *  logs:gateway, the HTTP server, the REST client and the WebSocket client; the first
 *  connection attempts start with the first step. Returns 0, RT_EINVAL (a bad URL or
 *  symbol list: logged), RT_ECONN (Redis unreachable), RT_EIO (cannot listen), RT_ENOMEM.
 *  *out (free with gw_service_free) only on success. */
int gw_service_new(const gw_config_t *cfg, gw_service_t **out);

/** One turn of the loop: connects what is due, runs the WebSocket event loop for at most
 *  max_wait_ms (1..1000), publishes what arrived, runs the timers. Returns within about
 *  max_wait_ms plus the time of the Redis and REST calls it makes (each bounded by their
 *  timeouts). Returns 0, or RT_EIO when the event loop failed (the caller may go on). */
int gw_service_step(gw_service_t *s, int max_wait_ms);

/** Closes the connections (a normal close frame), stops the HTTP server, detaches the log
 *  sink and frees everything. NULL is a no-op. */
void gw_service_free(gw_service_t *s);

#endif
