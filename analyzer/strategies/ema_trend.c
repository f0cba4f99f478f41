/* EMA_Trend: trend following on an EMA cross (the seed's "Trend-Following avec Cross EMA",
 * EMA 21 vs EMA 50) with a volatility stop (the seed's "SL à 1,5x ATR(14)"):
 *   BUY  when EMA(EMA_TREND_SHORT) crosses above EMA(EMA_TREND_LONG), with
 *          stop_loss   = close - EMA_TREND_ATR_MULT x ATR(EMA_TREND_ATR_WINDOW),
 *          take_profit = close + EMA_TREND_REWARD_RATIO x (close - stop_loss);
 *   SELL when it crosses below (the trend is over: an exit, no stop or target).
 * The stop distance is computed as a double and converted to money once (rounded to 8
 * decimals); the rest is fixed point: stop = close - distance, target = close + distance x
 * ratio (rounded to 8 decimals). No BUY while the ATR has no value, when
 * the distance rounds to 0, or when the stop would not be above 0. */
#include <stdlib.h>

#include "internal.h"
#include "rt/err.h"
#include "rt/ind.h"

enum { P_SHORT, P_LONG, P_ATR_WINDOW, P_ATR_MULT, P_REWARD, P_COUNT };

static const an_param_def_t params[P_COUNT] = {
    [P_SHORT] = {"EMA_TREND_SHORT", AN_PARAM_INT, 21, 2, 500, NULL, true, "fast EMA period"},
    [P_LONG] = {"EMA_TREND_LONG", AN_PARAM_INT, 50, 3, 1000, NULL, true, "slow EMA period"},
    [P_ATR_WINDOW] = {"EMA_TREND_ATR_WINDOW", AN_PARAM_INT, 14, 1, 500, NULL, true,
                      "ATR period of the stop"},
    [P_ATR_MULT] = {"EMA_TREND_ATR_MULT", AN_PARAM_DOUBLE, 1.5, 0.1, 20, NULL, false,
                    "stop distance in ATRs below the close"},
    [P_REWARD] = {"EMA_TREND_REWARD_RATIO", AN_PARAM_DOUBLE, 2.0, 0.1, 20, NULL, false,
                  "target distance as a multiple of the stop distance"},
};

typedef struct {
    const an_params_t *p;
    rt_ema_t fast, slow;
    rt_atr_t atr;
    an_cross_t cross;
    double reward;            /* EMA_TREND_REWARD_RATIO as last converted, and as money */
    rt_money_t reward_money;
    rt_signal_id_cache_t ids;
} state_t;

static int check(const an_params_t *p, char *err, size_t cap)
{
    if (p->v[P_SHORT] >= p->v[P_LONG]) {
        an_errf(err, cap, "EMA_TREND_SHORT (%g) must be below EMA_TREND_LONG (%g)",
                p->v[P_SHORT], p->v[P_LONG]);
        return RT_EINVAL;
    }
    return RT_OK;
}

static size_t warmup(const an_params_t *p)
{
    double n = p->v[P_LONG];
    if (p->v[P_ATR_WINDOW] + 1 > n)
        n = p->v[P_ATR_WINDOW] + 1;
    return (size_t)n + 1;
}

extern const an_strategy_t an_ema_trend_strategy;

static int state_new(const an_params_t *p, void **out)
{
    if (!an_params_valid(p, &an_ema_trend_strategy))
        return RT_EINVAL;
    state_t *st = calloc(1, sizeof *st);
    if (st == NULL)
        return RT_ENOMEM;
    st->p = p;
    st->reward = -1.0; /* nothing converted yet */
    int rc = rt_ema_init(&st->fast, (int)p->v[P_SHORT]);
    if (rc == RT_OK)
        rc = rt_ema_init(&st->slow, (int)p->v[P_LONG]);
    if (rc == RT_OK)
        rc = rt_atr_init(&st->atr, (int)p->v[P_ATR_WINDOW]);
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
    double close = k->close;
    bool atr_ok = rt_atr_update_unchecked(&st->atr, k->high, k->low, close) == RT_OK;
    bool fast_ok = rt_ema_update_unchecked(&st->fast, close) == RT_OK;
    if (rt_ema_update_unchecked(&st->slow, close) != RT_OK || !fast_ok)
        return 0;
    int cross = an_cross_update(&st->cross, st->fast.value - st->slow.value);
    if (cross == 0)
        return 0;
    rt_money_t stop = 0, target = 0;
    double atr = st->atr.value;
    if (cross > 0) {
        if (!atr_ok)
            return 0;
        const double *v = st->p->v;
        if (v[P_REWARD] != st->reward) { /* the ratio in fixed point, converted when it changes */
            if (an_money_of(v[P_REWARD], &st->reward_money) != RT_OK)
                return 0;
            st->reward = v[P_REWARD];
        }
        rt_money_t d_stop, d_target;
        if (an_money_of(v[P_ATR_MULT] * atr, &d_stop) != RT_OK || d_stop <= 0 ||
            rt_money_sub(c->close, d_stop, &stop) != RT_OK || stop <= 0 ||
            rt_money_mul(d_stop, st->reward_money, RT_ROUND_NEAREST, &d_target) != RT_OK ||
            rt_money_add(c->close, d_target, &target) != RT_OK)
            return 0;
    }
    int rc = an_signal_begin(out, &st->ids, an_ema_trend_strategy.name, c,
                             cross > 0 ? RT_SIDE_BUY : RT_SIDE_SELL);
    if (rc != RT_OK)
        return rc;
    out->stop_loss = stop;
    out->take_profit = target;
    an_signal_meta(out, "ema_short", st->fast.value);
    an_signal_meta(out, "ema_long", st->slow.value);
    if (atr_ok)
        an_signal_meta(out, "atr", atr);
    return 1;
}

const an_strategy_t an_ema_trend_strategy = {
    .name = "EMA_Trend",
    .rule = "EMA 21 crosses above EMA 50 -> BUY with stop 1.5 ATR below and target 2x the stop "
            "distance above; crosses below -> SELL",
    .params = params,
    .param_count = P_COUNT,
    .check = check,
    .warmup = warmup,
    .state_new = state_new,
    .state_free = state_free,
    .on_candle = on_candle,
};
