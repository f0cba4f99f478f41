/* RSI_Strategy: RSI crossing back out of its extreme zones.
 *   BUY  when the previous RSI was below RSI_OVERSOLD and this one is at or above it;
 *   SELL when the previous RSI was above RSI_OVERBOUGHT and this one is at or below it.
 * A "flat" RSI (no price movement since the start: TA-Lib's 0) is not a reading: it neither
 * fires nor becomes the previous value, so a quiet start cannot fake a cross. */
#include <stdlib.h>

#include "internal.h"
#include "rt/err.h"
#include "rt/ind.h"

enum { P_WINDOW, P_OVERBOUGHT, P_OVERSOLD, P_COUNT };

static const an_param_def_t params[P_COUNT] = {
    [P_WINDOW] = {"RSI_WINDOW", AN_PARAM_INT, 14, 2, 500, NULL, true, "RSI period (Wilder)"},
    [P_OVERBOUGHT] = {"RSI_OVERBOUGHT", AN_PARAM_DOUBLE, 70, 0, 100, NULL, false,
                      "SELL when the RSI falls back below this level"},
    [P_OVERSOLD] = {"RSI_OVERSOLD", AN_PARAM_DOUBLE, 30, 0, 100, NULL, false,
                    "BUY when the RSI rises back above this level"},
};

typedef struct {
    const an_params_t *p;
    an_rsi_t rsi; /* its own, or the symbol's shared one (an_rsi_step) */
    double prev;
    bool has_prev;
    rt_signal_id_cache_t ids;
} state_t;

static int check(const an_params_t *p, char *err, size_t cap)
{
    if (p->v[P_OVERSOLD] >= p->v[P_OVERBOUGHT]) {
        an_errf(err, cap, "RSI_OVERSOLD (%g) must be below RSI_OVERBOUGHT (%g)",
                p->v[P_OVERSOLD], p->v[P_OVERBOUGHT]);
        return RT_EINVAL;
    }
    return RT_OK;
}

static size_t warmup(const an_params_t *p)
{
    return (size_t)p->v[P_WINDOW] + 2; /* the first RSI, then one more to see a cross */
}

extern const an_strategy_t an_rsi_strategy;

static int state_new(const an_params_t *p, void **out)
{
    if (!an_params_valid(p, &an_rsi_strategy))
        return RT_EINVAL;
    state_t *st = calloc(1, sizeof *st);
    if (st == NULL)
        return RT_ENOMEM;
    st->p = p;
    if (rt_rsi_init(&st->rsi.own, (int)p->v[P_WINDOW]) != RT_OK) {
        free(st);
        return RT_EINVAL;
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
    const rt_rsi_t *r;
    int rc = an_rsi_step(&st->rsi, k, &r);
    if (rc != RT_OK)
        return rc == RT_ESTATE ? rc : 0;
    if (r->gain + r->loss == 0.0)
        return 0; /* flat: no reading */
    double rsi = r->value, prev = st->prev;
    bool had = st->has_prev;
    st->prev = rsi;
    st->has_prev = true;
    if (!had)
        return 0;
    const double *v = st->p->v;
    rt_side_t side;
    if (prev < v[P_OVERSOLD] && rsi >= v[P_OVERSOLD])
        side = RT_SIDE_BUY;
    else if (prev > v[P_OVERBOUGHT] && rsi <= v[P_OVERBOUGHT])
        side = RT_SIDE_SELL;
    else
        return 0;
    rc = an_signal_begin(out, &st->ids, an_rsi_strategy.name, c, side);
    if (rc != RT_OK)
        return rc;
    an_signal_meta(out, "rsi", rsi);
    an_signal_meta(out, "prev_rsi", prev);
    return 1;
}

const an_strategy_t an_rsi_strategy = {
    .name = "RSI_Strategy",
    .rule = "RSI crosses back above RSI_OVERSOLD -> BUY, back below RSI_OVERBOUGHT -> SELL",
    .params = params,
    .param_count = P_COUNT,
    .check = check,
    .warmup = warmup,
    .state_new = state_new,
    .state_free = state_free,
    .on_candle = on_candle,
};
