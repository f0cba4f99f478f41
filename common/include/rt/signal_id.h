/* Deterministic signal ids: the same strategy, symbol, interval and candle give the same id,
 * so a candle replayed after a restart produces a duplicate the trader can drop. */
#ifndef RT_SIGNAL_ID_H
#define RT_SIGNAL_ID_H

#include <stddef.h>
#include <stdint.h>

#include "rt/types.h"

/** Writes "strategy:symbol:interval:open_time" into buf, e.g.
 *  "RSI_Strategy:BTCUSDC:1m:1616554800000" (interval NULL is written as ""). Returns 0;
 *  RT_EINVAL when strategy or symbol is NULL or empty, a part contains ':' or
 *  a control character, or open_time < 0; RT_ETOOBIG when the id does not fit cap (RT_ID_CAP
 *  always holds the ids of this project's strategies). buf is written only on success. */
int rt_signal_make_id(const char *strategy, const char *symbol, const char *interval,
                      int64_t open_time, char *buf, size_t cap);

/** What rt_signal_make_id_cached and rt_signal_make_id_candle remember of the last id (zero it
 *  before the first use; use one cache with one of the two functions). */
typedef struct {
    const char *strategy; /* compared by address: a strategy's name is a constant */
    char symbol[RT_SYMBOL_CAP];
    char interval[RT_INTERVAL_CAP];
    char prefix[RT_ID_CAP]; /* "strategy:symbol:interval:", then the time's leading digits */
    size_t len;             /* of "strategy:symbol:interval:"; 0 when nothing is cached */
    int64_t hi;             /* open_time / 10^8 of those leading digits (0: none yet) */
    size_t hi_len;          /* len + their count */
} rt_signal_id_cache_t;

/** rt_signal_make_id for a caller that makes many ids for one strategy and symbol (a strategy's
 *  per-symbol state): when strategy (the same pointer), symbol and interval are those of the
 *  previous call, only the time is formatted. Same results and errors as rt_signal_make_id. */
int rt_signal_make_id_cached(rt_signal_id_cache_t *cache, const char *strategy,
                             const char *symbol, const char *interval, int64_t open_time,
                             char *buf, size_t cap);

/** rt_signal_make_id_cached for the candle a signal is made on (c->symbol, c->interval,
 *  c->open_time), for the strategies' hot path: the cache is matched by comparing whole
 *  symbol and interval arrays (fixed sizes, no string walks), and a time sharing its leading
 *  digits with the previous one formats its last eight only. Same results and errors as
 *  rt_signal_make_id, plus RT_EINVAL when cache or c is NULL or a name of c is not
 *  NUL-terminated within its array. buf is written only on success. */
int rt_signal_make_id_candle(rt_signal_id_cache_t *cache, const char *strategy,
                             const rt_candle_t *c, char *buf, size_t cap);

#endif
