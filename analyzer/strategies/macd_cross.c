/* MACD_Cross: the MACD line crossing its signal line (TA-Lib's MACD, see rt/ind.h).
 *   BUY  when MACD - signal turns positive after being negative;
 *   SELL when it turns negative after being positive.
 * Touching the signal line and leaving on the same side is no cross. */
#include <stdlib.h>

#include "internal.h"
#include "rt/err.h"
#include "rt/ind.h"

enum { P_FAST, P_SLOW, P_SIGNAL, P_COUNT };

static const an_param_def_t params[P_COUNT] = {
    [P_FAST] = {"MACD_FAST", AN_PARAM_INT, 12, 2, 200, NULL, true, "fast EMA period"},
    [P_SLOW] = {"MACD_SLOW", AN_PARAM_INT, 26, 3, 500, NULL, true, "slow EMA period"},
    [P_SIGNAL] = {"MACD_SIGNAL", AN_PARAM_INT, 9, 1, 200, NULL, true,
                  "signal line: EMA period of the MACD line"},
};

typedef struct {
    rt_macd_t macd;
    an_cross_t cross;
    rt_signal_id_cache_t ids;
} state_t;

static int check(const an_params_t *p, char *err, size_t cap)
{
    if (p->v[P_FAST] >= p->v[P_SLOW]) {
        an_errf(err, cap, "MACD_FAST (%g) must be below MACD_SLOW (%g)", p->v[P_FAST],
                p->v[P_SLOW]);
        return RT_EINVAL;
    }
    return RT_OK;
}

static size_t warmup(const an_params_t *p)
{
    return (size_t)(p->v[P_SLOW] + p->v[P_SIGNAL]); /* first value at slow+signal-1, +1 */
}

extern const an_strategy_t an_macd_cross_strategy;

static int state_new(const an_params_t *p, void **out)
{
    if (!an_params_valid(p, &an_macd_cross_strategy))
        return RT_EINVAL;
    state_t *st = calloc(1, sizeof *st);
    if (st == NULL)
        return RT_ENOMEM;
    int rc = rt_macd_init(&st->macd, (int)p->v[P_FAST], (int)p->v[P_SLOW], (int)p->v[P_SIGNAL]);
    if (rc != RT_OK) {
        free(st);
        return rc;
    }
    *out = st;
    return RT_OK;
}

static void state_free(void *state)
{
    free(state);
}

static int on_candle(void *state, const an_candle_t *k, rt_signal_t *out)
{
    const rt_candle_t *c = k->c;
    state_t *st = state;
    if (rt_macd_update_unchecked(&st->macd, k->close) != RT_OK)
        return 0;
    const rt_macd_value_t *m = &st->macd.value;
    int cross = an_cross_update(&st->cross, m->hist);
    if (cross == 0)
        return 0;
    int rc = an_signal_begin(out, &st->ids, an_macd_cross_strategy.name, c,
                             cross > 0 ? RT_SIDE_BUY : RT_SIDE_SELL);
    if (rc != RT_OK)
        return rc;
    an_signal_meta(out, "macd", m->macd);
    an_signal_meta(out, "macd_signal", m->signal);
    an_signal_meta(out, "macd_hist", m->hist);
    return 1;
}

const an_strategy_t an_macd_cross_strategy = {
    .name = "MACD_Cross",
    .rule = "MACD line crosses above its signal line -> BUY, below -> SELL",
    .params = params,
    .param_count = P_COUNT,
    .check = check,
    .warmup = warmup,
    .state_new = state_new,
    .state_free = state_free,
    .on_candle = on_candle,
};
