/* Candles for a backtest from the exchange's REST klines (the simulator by default). */
#ifndef BT_FETCH_H
#define BT_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "rt/types.h"

/** Most candles one fetch returns. */
#define BT_FETCH_MAX ((size_t)20000000)

/** Fetches the closed candles of symbol/interval with open times in [since_ms, until_ms) from
 *  base_url (e.g. "http://127.0.0.1:9090"), 1000 per request. Returns 0 with *out (new,
 *  caller frees; NULL when none) and *count; RT_EINVAL for bad arguments, the REST client's
 *  error (RT_ECONN, RT_EEXCHANGE, ...) or RT_ETOOBIG past BT_FETCH_MAX, with the reason in
 *  err. */
int bt_fetch_klines(const char *base_url, const char *symbol, const char *interval,
                    int64_t since_ms, int64_t until_ms, rt_candle_t **out, size_t *count, char *err,
                    size_t cap);

/** Parses a time for --since/--until: milliseconds since the epoch, or a UTC date
 *  "YYYY-MM-DD" optionally followed by "THH:MM" or " HH:MM" (and ":SS"). Returns 0 or
 *  RT_EINVAL. */
int bt_parse_time(const char *s, int64_t *out);

#endif
