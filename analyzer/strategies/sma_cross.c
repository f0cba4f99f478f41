/* SimpleMA_Cross: a short moving average crossing a long one, with the seed dashboard's
 * optional filters (all off by default):
 *   BUY  when the short MA crosses above the long MA, and
 *          USE_RSI_FILTER:          RSI < RSI_OVERBOUGHT (not buying into an overbought market),
 *          USE_EMA_FILTER:          close > EMA(EMA_FILTER_PERIOD) (with the long trend),
 *          USE_VOLUME_CONFIRMATION: volume > its SMA(VOLUME_AVG_PERIOD), this candle included;
 *   SELL when the short MA crosses below the long MA, and
 *          USE_RSI_FILTER:          RSI > RSI_OVERSOLD (not selling into an oversold market).
 * As in the seed, the trend and volume filters apply to entries only. A cross is a change of
 * sign of short - long (touching and leaving is none). A filter's indicator runs only while
 * the filter is on (the default, all off, costs nothing); switched on live, it starts afresh
 * and blocks the signals it filters until it has a value. */
#include <stdlib.h>

#include "internal.h"
#include "rt/err.h"
#include "rt/ind.h"

enum {
    P_SHORT,
    P_LONG,
    P_MA_TYPE,
    P_USE_RSI,
    P_RSI_WINDOW,
    P_RSI_OVERBOUGHT,
    P_RSI_OVERSOLD,
    P_USE_EMA,
    P_EMA_PERIOD,
    P_USE_VOLUME,
    P_VOLUME_PERIOD,
    P_COUNT
};

enum { MA_SMA = 0, MA_EMA = 1 };
static const char *const ma_types[] = {"sma", "ema", NULL};

static const an_param_def_t params[P_COUNT] = {
    [P_SHORT] = {"SHORT_WINDOW", AN_PARAM_INT, 5, 1, 500, NULL, true, "short moving average"},
    [P_LONG] = {"LONG_WINDOW", AN_PARAM_INT, 20, 2, 1000, NULL, true, "long moving average"},
    [P_MA_TYPE] = {"MA_TYPE", AN_PARAM_ENUM, MA_SMA, 0, 1, ma_types, true,
                   "kind of both moving averages"},
    [P_USE_RSI] = {"USE_RSI_FILTER", AN_PARAM_BOOL, 0, 0, 1, NULL, false,
                   "no BUY when RSI >= RSI_OVERBOUGHT, no SELL when RSI <= RSI_OVERSOLD"},
    [P_RSI_WINDOW] = {"RSI_WINDOW", AN_PARAM_INT, 14, 2, 500, NULL, true,
                      "RSI period of the RSI filter"},
    [P_RSI_OVERBOUGHT] = {"RSI_OVERBOUGHT", AN_PARAM_DOUBLE, 70, 0, 100, NULL, false,
                          "RSI filter: entries need RSI below this"},
    [P_RSI_OVERSOLD] = {"RSI_OVERSOLD", AN_PARAM_DOUBLE, 30, 0, 100, NULL, false,
                        "RSI filter: exits need RSI above this"},
    [P_USE_EMA] = {"USE_EMA_FILTER", AN_PARAM_BOOL, 0, 0, 1, NULL, false,
                   "entries need the close above the trend EMA"},
    [P_EMA_PERIOD] = {"EMA_FILTER_PERIOD", AN_PARAM_INT, 50, 2, 1000, NULL, true,
                      "period of the trend EMA"},
    [P_USE_VOLUME] = {"USE_VOLUME_CONFIRMATION", AN_PARAM_BOOL, 0, 0, 1, NULL, false,
                      "entries need volume above its average"},
    [P_VOLUME_PERIOD] = {"VOLUME_AVG_PERIOD", AN_PARAM_INT, 20, 1, 1000, NULL, true,
                         "period of the volume average"},
};

typedef struct {
    const an_params_t *p;
    int ma_type;
    rt_sma_t sma_short, sma_long; /* MA_SMA */
    rt_ema_t ema_short, ema_long; /* MA_EMA */
    rt_rsi_t rsi;
    rt_ema_t trend;
    rt_sma_t volume;
    bool rsi_on, trend_on, volume_on; /* the filter ran on the previous candle */
    an_cross_t cross;
    rt_signal_id_cache_t ids;
} state_t;

static int check(const an_params_t *p, char *err, size_t cap)
{
    if (p->v[P_SHORT] >= p->v[P_LONG]) {
        an_errf(err, cap, "SHORT_WINDOW (%g) must be below LONG_WINDOW (%g)", p->v[P_SHORT],
                p->v[P_LONG]);
        return RT_EINVAL;
    }
    if (p->v[P_RSI_OVERSOLD] >= p->v[P_RSI_OVERBOUGHT]) {
        an_errf(err, cap, "RSI_OVERSOLD (%g) must be below RSI_OVERBOUGHT (%g)",
                p->v[P_RSI_OVERSOLD], p->v[P_RSI_OVERBOUGHT]);
        return RT_EINVAL;
    }
    return RT_OK;
}

static size_t warmup(const an_params_t *p)
{
    double n = p->v[P_LONG];
    if (p->v[P_RSI_WINDOW] + 1 > n)
        n = p->v[P_RSI_WINDOW] + 1;
    if (p->v[P_EMA_PERIOD] > n)
        n = p->v[P_EMA_PERIOD];
    if (p->v[P_VOLUME_PERIOD] > n)
        n = p->v[P_VOLUME_PERIOD];
    return (size_t)n + 1;
}

extern const an_strategy_t an_sma_cross_strategy;

static void state_free(void *state)
{
    state_t *st = state;
    if (st == NULL)
        return;
    rt_sma_cleanup(&st->sma_short);
    rt_sma_cleanup(&st->sma_long);
    rt_sma_cleanup(&st->volume);
    free(st);
}

static int state_new(const an_params_t *p, void **out)
{
    if (!an_params_valid(p, &an_sma_cross_strategy))
        return RT_EINVAL;
    state_t *st = calloc(1, sizeof *st);
    if (st == NULL)
        return RT_ENOMEM;
    st->p = p;
    st->ma_type = (int)p->v[P_MA_TYPE];
    int rc;
    if (st->ma_type == MA_EMA) {
        rc = rt_ema_init(&st->ema_short, (int)p->v[P_SHORT]);
        if (rc == RT_OK)
            rc = rt_ema_init(&st->ema_long, (int)p->v[P_LONG]);
    } else {
        rc = rt_sma_init(&st->sma_short, (int)p->v[P_SHORT]);
        if (rc == RT_OK)
            rc = rt_sma_init(&st->sma_long, (int)p->v[P_LONG]);
    }
    if (rc == RT_OK)
        rc = rt_rsi_init(&st->rsi, (int)p->v[P_RSI_WINDOW]);
    if (rc == RT_OK)
        rc = rt_ema_init(&st->trend, (int)p->v[P_EMA_PERIOD]);
    if (rc == RT_OK)
        rc = rt_sma_init(&st->volume, (int)p->v[P_VOLUME_PERIOD]);
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
    const double *v = st->p->v;
    bool use_rsi = v[P_USE_RSI] != 0, use_ema = v[P_USE_EMA] != 0, use_vol = v[P_USE_VOLUME] != 0;
    double close = k->close, volume = k->volume;
    bool rsi_ok = false, trend_ok = false, vol_ok = false;
    /* a filter switched on starts from scratch: its indicator missed the candles in between */
    if (use_rsi) {
        if (!st->rsi_on)
            rt_rsi_reset(&st->rsi);
        rsi_ok = rt_rsi_update_unchecked(&st->rsi, close) == RT_OK;
    }
    if (use_ema) {
        if (!st->trend_on)
            rt_ema_reset(&st->trend);
        trend_ok = rt_ema_update_unchecked(&st->trend, close) == RT_OK;
    }
    if (use_vol) {
        if (!st->volume_on)
            rt_sma_reset(&st->volume);
        vol_ok = rt_sma_update_unchecked(&st->volume, volume) == RT_OK;
    }
    st->rsi_on = use_rsi;
    st->trend_on = use_ema;
    st->volume_on = use_vol;
    double s, l;
    if (st->ma_type == MA_EMA) {
        bool a = rt_ema_update_unchecked(&st->ema_short, close) == RT_OK;
        if (rt_ema_update_unchecked(&st->ema_long, close) != RT_OK || !a)
            return 0;
        s = st->ema_short.value;
        l = st->ema_long.value;
    } else {
        bool a = rt_sma_update_unchecked(&st->sma_short, close) == RT_OK;
        if (rt_sma_update_unchecked(&st->sma_long, close) != RT_OK || !a)
            return 0;
        s = rt_sma_last(&st->sma_short);
        l = rt_sma_last(&st->sma_long);
    }
    int cross = an_cross_update(&st->cross, s - l);
    if (cross == 0)
        return 0;

    double rsi = st->rsi.value, trend = st->trend.value, vol_avg = 0.0;
    if (vol_ok)
        (void)rt_sma_value(&st->volume, &vol_avg);
    rt_side_t side;
    if (cross > 0) {
        if (use_rsi && !(rsi_ok && rsi < v[P_RSI_OVERBOUGHT]))
            return 0;
        if (use_ema && !(trend_ok && close > trend))
            return 0;
        if (use_vol && !(vol_ok && volume > vol_avg))
            return 0;
        side = RT_SIDE_BUY;
    } else {
        if (use_rsi && !(rsi_ok && rsi > v[P_RSI_OVERSOLD]))
            return 0;
        side = RT_SIDE_SELL;
    }
    int rc = an_signal_begin(out, &st->ids, an_sma_cross_strategy.name, c, side);
    if (rc != RT_OK)
        return rc;
    an_signal_meta(out, "ma_short", s);
    an_signal_meta(out, "ma_long", l);
    if (rsi_ok)
        an_signal_meta(out, "rsi", rsi);
    if (trend_ok)
        an_signal_meta(out, "ema_filter", trend);
    if (vol_ok) {
        an_signal_meta(out, "volume", volume);
        an_signal_meta(out, "volume_avg", vol_avg);
    }
    return 1;
}

const an_strategy_t an_sma_cross_strategy = {
    .name = "SimpleMA_Cross",
    .rule = "short MA crosses above the long MA -> BUY, below -> SELL (optional RSI, trend EMA "
            "and volume filters)",
    .params = params,
    .param_count = P_COUNT,
    .check = check,
    .warmup = warmup,
    .state_new = state_new,
    .state_free = state_free,
    .on_candle = on_candle,
};
