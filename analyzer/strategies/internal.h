/* What the strategy files share beyond the public interface (not for the service). */
#ifndef AN_STRATEGIES_INTERNAL_H
#define AN_STRATEGIES_INTERNAL_H

#include <stddef.h>

#include "analyzer/strategy.h"
#include "rt/money.h"

/** Writes a message into err (NULL or cap 0: nothing), truncated to cap. */
void an_errf(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/** True when p belongs to s and passes its checks (what every state_new verifies). */
bool an_params_valid(const an_params_t *p, const an_strategy_t *s);

/** Price of a candle field as a double, for the indicators: rt_money_to_double inlined (the
 *  same correctly rounded quotient, without a call on the hot path). */
static inline double an_px(rt_money_t v)
{
    return (double)v / (double)RT_MONEY_SCALE;
}

#endif
