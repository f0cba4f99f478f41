/* The gateway's REST calls: closed klines for a backfill. A thin layer over rt/exrest.h and
 * rt/exparse.h: the request, the error log line, the parse. */
#ifndef GW_REST_H
#define GW_REST_H

#include <stddef.h>
#include <stdint.h>

#include "rt/types.h"

typedef struct rt_exrest rt_exrest_t;

/** A client of the public endpoints at base_url (http[s]://host[:port]). Returns 0,
 *  RT_EINVAL (bad URL; logged), RT_ENOMEM, RT_EIO. *out (free with gw_rest_free) only on
 *  success. */
int gw_rest_new(const char *base_url, rt_exrest_t **out);

/** Frees the client. NULL is a no-op. */
void gw_rest_free(rt_exrest_t *rest);

/** GET /api/v3/klines?symbol&interval&startTime=from&endTime=to&limit: the candles that
 *  opened in [from, to], every one marked closed (the caller asks only for candles that have
 *  closed). Returns 0 with a new array in *out (caller frees; NULL when none) and its length
 *  in *n, or the error of rt_exrest_get / rt_exparse_klines (logged with the HTTP status and
 *  the exchange's code and message). */
int gw_rest_klines(rt_exrest_t *rest, const char *symbol, const char *interval, int64_t from,
                   int64_t to, int limit, rt_candle_t **out, size_t *n);

#endif
