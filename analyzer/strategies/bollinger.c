/* Bollinger_Bands: the seed's rule exactly (roottrading.md, BollingerBandsStrategy):
 *   bands = SMA(BB_WINDOW) of the closes up to and including this one +- BB_STD population
 *   standard deviations (numpy's np.std);
 *   BUY  when the previous close <= the lower band and this close > the lower band;
 *   SELL otherwise, when the previous close >= the upper band and this close < the upper band.
 * Both comparisons use this candle's bands, as the seed does. */
#include <stdlib.h>

#include "internal.h"
#include "rt/err.h"
#include "rt/ind.h"

enum { P_WINDOW, P_STD, P_COUNT };

static const an_param_def_t params[P_COUNT] = {
    [P_WINDOW] = {"BB_WINDOW", AN_PARAM_INT, 20, 2, 500, NULL, true,
                  "period of the middle band (SMA) and of the standard deviation"},
    [P_STD] = {"BB_STD", AN_PARAM_DOUBLE, 2.0, 0.1, 10, NULL, false,
               "band width in standard deviations"},
};

typedef struct {
    const an_params_t *p;
    rt_bbands_t bb;
    double prev_close;
    bool has_prev;
    rt_signal_id_cache_t ids;
} state_t;

static size_t warmup(const an_params_t *p)
{
    return (size_t)p->v[P_WINDOW] + 1;
}

extern const an_strategy_t an_bollinger_strategy;

static void state_free(void *state)
{
    state_t *st = state;
    if (st == NULL)
        return;
    rt_bbands_cleanup(&st->bb);
    free(st);
}

static int state_new(const an_params_t *p, void **out)
{
    if (!an_params_valid(p, &an_bollinger_strategy))
        return RT_EINVAL;
    state_t *st = calloc(1, sizeof *st);
    if (st == NULL)
        return RT_ENOMEM;
    st->p = p;
    int rc = rt_bbands_init(&st->bb, (int)p->v[P_WINDOW], p->v[P_STD]);
    if (rc != RT_OK) {
        state_free(st);
        return rc;
    }
    *out = st;
    return RT_OK;
}

static int on_candle(void *state, const an_candle_t *k, rt_signal_t *out)
{
    const rt_candle_t *c = k->c;
    state_t *st = state;
    double price = k->close, prev = st->prev_close;
    bool had = st->has_prev;
    st->prev_close = price;
    st->has_prev = true;
    if (rt_bbands_update_unchecked(&st->bb, price) != RT_OK || !had)
        return 0;
    rt_bbands_value_t b = rt_bbands_last(&st->bb);
    double dev = st->p->v[P_STD] * b.stddev; /* BB_STD may change live */
    double upper = b.middle + dev, lower = b.middle - dev;
    rt_side_t side;
    if (prev <= lower && price > lower)
        side = RT_SIDE_BUY;
    else if (prev >= upper && price < upper)
        side = RT_SIDE_SELL;
    else
        return 0;
    int rc = an_signal_begin(out, &st->ids, an_bollinger_strategy.name, c, side);
    if (rc != RT_OK)
        return rc;
    an_signal_meta(out, "bb_upper", upper);
    an_signal_meta(out, "bb_lower", lower);
    an_signal_meta(out, "bb_mean", b.middle);
    an_signal_meta(out, "bb_std", b.stddev);
    an_signal_meta(out, "prev_close", prev);
    return 1;
}

const an_strategy_t an_bollinger_strategy = {
    .name = "Bollinger_Bands",
    .rule = "previous close <= lower band and close > lower band -> BUY; previous close >= "
            "upper band and close < upper band -> SELL",
    .params = params,
    .param_count = P_COUNT,
    .check = NULL,
    .warmup = warmup,
    .state_new = state_new,
    .state_free = state_free,
    .on_candle = on_candle,
};
