/* Deterministic signal ids: the same strategy, symbol, interval and candle give the same id,
 * so a candle replayed after a restart produces a duplicate the trader can drop. */
#ifndef RT_SIGNAL_ID_H
#define RT_SIGNAL_ID_H

#include <stddef.h>
#include <stdint.h>

/** Writes "strategy:symbol:interval:open_time" into buf, e.g.
 *  "RSI_Strategy:BTCUSDC:1m:1616554800000" (interval NULL is written as ""). Returns 0;
 *  RT_EINVAL when strategy or symbol is NULL or empty, a part contains ':' or
 *  a control character, or open_time < 0; RT_ETOOBIG when the id does not fit cap (RT_ID_CAP
 *  always holds the ids of this project's strategies). buf is written only on success. */
int rt_signal_make_id(const char *strategy, const char *symbol, const char *interval,
                      int64_t open_time, char *buf, size_t cap);

#endif
